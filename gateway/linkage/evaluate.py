"""Measure linkage on an interchange pair (records.csv, truth.csv): link the records as the
gateway does (`offline.link_records`), then score persons and households against the truth."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from gateway.errors import InterchangeInvalid
from gateway.linkage.interchange import read_records, read_truth, require_truth
from gateway.linkage.match import DEFAULT_THRESHOLDS, Thresholds
from gateway.linkage.metrics import Scores, cluster_scores
from gateway.linkage.offline import is_anchor, link_records
from gateway.linkage.registry import REGISTRY


@dataclass(frozen=True, slots=True)
class Evaluation:
    persons: Scores
    households: Scores
    anchor: str
    records: int  # rows of the records file
    anchors: int  # of which the anchor source's
    linked: int  # other rows linked to a household
    seconds: dict[str, float]  # read, link, score, total

    def as_json(self) -> dict[str, Any]:
        return {"anchor": self.anchor, "records": self.records, "anchors": self.anchors,
                "linked": self.linked, "seconds": self.seconds,
                "persons": asdict(self.persons), "households": asdict(self.households)}


def evaluate(records_path: Path, truth_path: Path, *, anchor: str = REGISTRY,
             thresholds: Thresholds = DEFAULT_THRESHOLDS) -> Evaluation:
    started = time.perf_counter()
    rows = read_records(records_path)
    truth = read_truth(truth_path)
    require_truth(rows, truth, truth_path)
    if not any(is_anchor(r, anchor) for r in rows):
        raise InterchangeInvalid(
            f"{records_path.name}: no rows of the anchor source {anchor!r}; name the registry's "
            "source with --anchor", file=str(records_path))
    read = time.perf_counter()
    linked = link_records(rows, anchor=anchor, thresholds=thresholds)
    decided = time.perf_counter()
    persons = cluster_scores(linked.persons, {r.key: truth[r.key].person for r in rows})
    households = cluster_scores(linked.households, {r.key: truth[r.key].household for r in rows})
    done = time.perf_counter()
    placed = sum(1 for r in rows
                 if not is_anchor(r, anchor) and linked.households[r.key] is not None)
    seconds = {"read": read - started, "link": decided - read, "score": done - decided,
               "total": done - started}
    return Evaluation(persons, households, anchor, len(rows), linked.anchors, placed,
                      {k: round(v, 3) for k, v in seconds.items()})


def report(ev: Evaluation) -> list[str]:
    """The figures as text lines: pairwise, then B-cubed, per clustering."""
    s = ev.seconds
    lines = [
        f"{ev.records:,} records: {ev.anchors:,} anchors ({ev.anchor}), {ev.linked:,} of "
        f"{ev.records - ev.anchors:,} others linked to a household; {s['total']:.2f} s "
        f"(read {s['read']:.2f}, link {s['link']:.2f}, score {s['score']:.2f})",
        "",
        f"{'':<11}{'scored':>8}  {'true pairs':>10} {'predicted':>10} {'correct':>10}  "
        f"{'P':>6} {'R':>6} {'F1':>6}  |  {'B3 P':>6} {'B3 R':>6} {'B3 F1':>6}",
    ]
    for label, sc in (("persons", ev.persons), ("households", ev.households)):
        lines.append(
            f"{label:<11}{sc.records:>8,}  {sc.pairs_true:>10,} {sc.pairs_predicted:>10,} "
            f"{sc.pairs_correct:>10,}  {sc.precision:>6.4f} {sc.recall:>6.4f} {sc.f1:>6.4f}  |  "
            f"{sc.bcubed_precision:>6.4f} {sc.bcubed_recall:>6.4f} {sc.bcubed_f1:>6.4f}")
    return lines


__all__ = ["Evaluation", "evaluate", "report"]
