"""Linkage benchmark: the full linkage run's time and memory, its accuracy against the
generator's hidden truth, and the time to relink a batch of changed records, per noise level.

    python bench/linkage.py [--households 100000] [--noise 1,2] [--seed S] [--data-dir DIR]
        [--changed 1000] [--json PATH]

Per noise level (each in a child process of its own when there are several, so one level's
memory never shows in another's peak):

1. prepare a district in its own data dir (generate once, in a child process; start PostgreSQL
   and the partner systems; migrate; sync), timing each step; the partners stop after the sync;
2. the full run: `link_all` on a cold process (no warm indexes), wall time, RSS before and the
   peak RSS while it ran;
3. accuracy: predicted clusters (the store's active links) against truth.jsonl, which only this
   bench reads, for persons and households, pairwise and B-cubed; where the errors are, by
   partner and entity; two checks (no person in two households, no link on a name alone);
4. relink: `--changed` random non-registry records respelled the way a resync would bring them,
   then `link_changed` on them, on warm indexes; their original spelling is restored afterwards
   (relinked on cold indexes, also timed), so a rerun finds the store as the sync left it;
5. print the figures and the targets with pass/fail marks (and write JSON with --json).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import orjson
from _common import (
    Setup,
    cancel_on_sigterm,
    console,
    district_folder,
    fmt,
    migrate_and_sync,
    setup_text,
    start_partners,
    table,
    timed,
)

from gateway.adapters.base import Subject
from gateway.linkage.attrs import subject_attrs
from gateway.linkage.link import forget_indexes, link_all, link_changed
from gateway.linkage.match import DEFAULT_THRESHOLDS
from gateway.linkage.metrics import Scores, cluster_scores
from gateway.linkage.registry import REGISTRY
from gateway.settings import Settings

BENCH = Path(__file__).resolve().parent
ACTIVE = ("auto", "confirmed")  # a link the gateway shows; needs_review is only proposed
PLACE_LEVELS = ("branch", "compound", "building")
NAME_KEYS = ("name", "surname", "nameSimilar", "pinyin")  # agreements that are only a name


@dataclass(frozen=True, slots=True)
class Target:
    label: str
    key: str  # into the flat figures
    bound: float
    at_most: bool = False

    def met(self, value: float | None) -> bool | None:
        if value is None:
            return None
        return value <= self.bound if self.at_most else value >= self.bound


TARGETS = (
    Target("persons precision", "persons.precision", 0.995),
    Target("persons recall", "persons.recall", 0.98),
    Target("households precision", "households.precision", 0.99),
    Target("households recall", "households.recall", 0.98),
    Target("full run s", "link_s", 600.0, at_most=True),
    Target("relink changed s", "relink.warm_s", 5.0, at_most=True),
)


# --- truth and prediction -------------------------------------------------------------------------

Key = tuple[str, str, str, int]  # partner, entity, local_id, subject


def load_truth(path: Path) -> dict[Key, tuple[str | None, str | None]]:
    """(person, household) of every record subject; a dispute's parties by subject index."""
    out: dict[Key, tuple[str | None, str | None]] = {}
    with path.open("rb") as lines:
        for line in lines:
            t = orjson.loads(line)
            base = (t["partner"], t["entity"], t["local_id"])
            for i, party in enumerate(t.get("parties") or [t]):
                out[(*base, i)] = (party.get("person"), party.get("household"))
    return out


@dataclass(slots=True)
class Row:
    """One source record subject with its link (if any) and its truth."""

    id: int
    partner: str
    entity: str
    person: int | None
    household: int | None
    status: str | None
    true_person: str | None
    true_household: str | None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE


@dataclass
class Scored:
    rows: list[Row]
    left_out: int  # place-level responsibilities and organizations
    not_in_truth: int
    not_in_store: int


async def scored_rows(conn: asyncpg.Connection, truth: dict[Key, tuple[str | None, str | None]]
                      ) -> Scored:
    records = await conn.fetch(
        """SELECT s.id, s.partner, s.entity, s.local_id, s.subject,
                  s.attrs->>'targetLevel' AS level, l.person_id, l.household_id, l.status
           FROM source_records s LEFT JOIN links l ON l.source_record_id = s.id""")
    rows, left_out, missing, seen = [], 0, 0, set()
    for r in records:
        key = (r["partner"], r["entity"], r["local_id"], r["subject"])
        seen.add(key)
        if r["entity"] == "organization" or r["level"] in PLACE_LEVELS:
            left_out += 1
            continue
        if key not in truth:
            missing += 1
            continue
        person, household = truth[key]
        rows.append(Row(r["id"], r["partner"], r["entity"], r["person_id"], r["household_id"],
                        r["status"], person, household))
    return Scored(rows, left_out, missing, len(truth.keys() - seen))


def accuracy(rows: list[Row], *, accept_reviews: bool = False) -> dict[str, Scores]:
    """Persons and households scored; a record not actively linked is a cluster of its own."""
    shown = (*ACTIVE, "needs_review") if accept_reviews else ACTIVE

    def clusters(label: Callable[[Row], Hashable | None]) -> dict[int, Hashable | None]:
        return {r.id: label(r) if r.status in shown else None for r in rows}

    return {
        "persons": cluster_scores(clusters(lambda r: r.person),
                                  {r.id: r.true_person for r in rows}),
        "households": cluster_scores(clusters(lambda r: r.household),
                                     {r.id: r.true_household for r in rows}),
    }


# --- where the errors are -------------------------------------------------------------------------


def _majority(pairs: Iterable[tuple[int | None, str | None]]) -> dict[int, str]:
    """Each predicted cluster's truth: the label most of its records bear."""
    votes: dict[int, Counter[str]] = defaultdict(Counter)
    for predicted, true in pairs:
        if predicted is not None and true is not None:
            votes[predicted][true] += 1
    return {p: c.most_common(1)[0][0] for p, c in votes.items()}


@dataclass
class Errors:
    """One partner entity's records, by what became of them at one level (person or household)."""

    records: int = 0
    right: int = 0
    wrong: int = 0  # linked into a cluster that is mostly someone else
    review: int = 0
    review_right: int = 0
    missed: int = 0  # not linked, though the registry knows the true one


def errors_by_entity(rows: list[Row]) -> dict[str, dict[str, Errors]]:
    """Per level, per 'partner entity': right, wrong, proposed and missed links."""
    anchored = [r for r in rows if r.partner == REGISTRY]
    out: dict[str, dict[str, Errors]] = {}
    for level in ("households", "persons"):
        def pred(r: Row, level: str = level) -> int | None:
            return r.household if level == "households" else r.person

        def true(r: Row, level: str = level) -> str | None:
            return r.true_household if level == "households" else r.true_person

        truth_of = _majority((pred(r), true(r)) for r in anchored)
        known = set(truth_of.values())
        table: dict[str, Errors] = defaultdict(Errors)
        for r in rows:
            if r.partner == REGISTRY or true(r) is None:
                continue
            e = table[f"{r.partner} {r.entity}"]
            e.records += 1
            cluster = pred(r)
            label = truth_of.get(cluster) if cluster is not None else None
            if r.active and cluster is not None:
                e.right += label == true(r)
                e.wrong += label != true(r)
            else:
                e.review += r.status == "needs_review"
                e.review_right += r.status == "needs_review" and label == true(r)
                e.missed += true(r) in known
        out[level] = dict(sorted(table.items()))
    return out


# --- checks ---------------------------------------------------------------------------------------


async def checks(conn: asyncpg.Connection, rows: list[Row]) -> dict[str, int]:
    split = await conn.fetchval(
        """SELECT count(*) FROM (SELECT person_id FROM links
           WHERE person_id IS NOT NULL AND status = ANY($1::text[])
           GROUP BY person_id HAVING count(DISTINCT household_id) > 1) t""", list(ACTIVE))
    name_only = await conn.fetch(
        """SELECT l.source_record_id FROM links l
           WHERE l.status = ANY($1::text[]) AND l.method <> 'anchor'
             AND EXISTS (SELECT 1 FROM jsonb_each_text(l.evidence->'agreements') a
                         WHERE a.value::float8 > 0)
             AND NOT EXISTS (SELECT 1 FROM jsonb_each_text(l.evidence->'agreements') a
                             WHERE a.value::float8 > 0 AND a.key <> ALL($2::text[]))""",
        list(ACTIVE), list(NAME_KEYS))
    ids = {r["source_record_id"] for r in name_only}
    households = _majority((r.household, r.true_household) for r in rows if r.partner == REGISTRY)
    wrong = sum(1 for r in rows if r.id in ids and r.household is not None
                and households.get(r.household) != r.true_household)
    return {"persons_in_two_households": int(split or 0), "name_only_links": len(ids),
            "name_only_links_wrong": wrong}


# --- relink ---------------------------------------------------------------------------------------

PLAIN_PHONE = re.compile(r"1\d{10}")


def respelled(attrs: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The record's attrs as a resync would bring them if the partner had retyped one cell:
    a full phone with separators, else 号楼 as 栋 in the address, else the name with a space;
    else unchanged (touched)."""
    raw = dict(attrs.get("raw") or {})
    full = [p["value"] for p in attrs.get("phones") or () if p.get("value")]
    name, address = raw.get("name") or "", raw.get("address") or ""
    if full and PLAIN_PHONE.fullmatch(full[0]):
        p = full[0]
        raw["phone"], kind = f"{p[:3]}-{p[3:7]}-{p[7:]}", "phone respelled"
    elif "号楼" in address:
        raw["address"], kind = address.replace("号楼", "栋", 1), "address respelled"
    elif len(name) >= 2 and " " not in name:
        raw["name"], kind = f"{name[0]} {name[1:]}", "name spaced"
    else:
        kind = "touched"
    subject = Subject(name=raw.get("name"), id_number=raw.get("idNumber"),
                      phone=raw.get("phone"), address=raw.get("address"),
                      community=attrs.get("community"), role=attrs.get("role"),
                      household_local_id=attrs.get("householdLocalId"),
                      target_level=attrs.get("targetLevel"), affinity=attrs.get("affinity"))
    out = subject_attrs(subject)
    for kept in ("compound_id", "building_id"):  # what linkage placed, as the sync keeps it
        if kept in attrs:
            out[kept] = attrs[kept]
    return out, kind


@dataclass
class Relink:
    records: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    warm_s: float = 0.0
    warm_counts: dict[str, int] = field(default_factory=dict)
    unchanged: int = 0  # records whose link (person, household, status) is the same after
    restore_cold_s: float = 0.0


async def _link_state(conn: asyncpg.Connection, ids: list[int]) -> dict[int, tuple[Any, ...]]:
    rows = await conn.fetch("SELECT source_record_id, person_id, household_id, status FROM links "
                            "WHERE source_record_id = ANY($1::bigint[])", ids)
    return {r["source_record_id"]: (r["person_id"], r["household_id"], r["status"]) for r in rows}


async def _set_attrs(conn: asyncpg.Connection, attrs: dict[int, dict[str, Any]]) -> None:
    await conn.executemany(
        "UPDATE source_records SET attrs = $2::jsonb, link_pending = true WHERE id = $1",
        [(i, orjson.dumps(a).decode()) for i, a in attrs.items()])


async def relink(pool: asyncpg.Pool, n: int, seed: int) -> Relink:
    """Respell `n` random non-registry records, time `link_changed` on them (warm indexes), then
    restore them and time that on cold indexes."""
    out = Relink()
    async with pool.acquire() as conn:
        ids = sorted(r["id"] for r in await conn.fetch(
            "SELECT id FROM source_records WHERE partner <> $1", REGISTRY))
        chosen = sorted(random.Random(seed).sample(ids, min(n, len(ids))))
        original = {r["id"]: orjson.loads(r["attrs"]) for r in await conn.fetch(
            "SELECT id, attrs::text AS attrs FROM source_records WHERE id = ANY($1::bigint[])",
            chosen)}
        before = await _link_state(conn, chosen)
        changed, kinds = {}, Counter[str]()
        for i, attrs in original.items():
            changed[i], kind = respelled(attrs)
            kinds[kind] += 1
        await _set_attrs(conn, changed)
    out.records, out.kinds = len(chosen), dict(kinds)
    out.warm_counts, out.warm_s = await timed(link_changed(pool, chosen))
    async with pool.acquire() as conn:
        after = await _link_state(conn, chosen)
        out.unchanged = sum(before.get(i) == after.get(i) for i in chosen)
        await _set_attrs(conn, original)
    forget_indexes()
    _, out.restore_cold_s = await timed(link_changed(pool, chosen))
    return out


# --- memory ---------------------------------------------------------------------------------------


def rss_mb() -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def reset_peak() -> bool:
    """Start the peak RSS (and ru_maxrss) over from now (Linux >= 4.0); False where unsupported."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


# --- one noise level ------------------------------------------------------------------------------


@dataclass
class Level:
    """Everything one noise level measured."""

    noise: float
    households: int
    seed: int
    setup: Setup = field(default_factory=Setup)
    revision: str = "-"  # the code measured: git describe of the working tree
    linker: dict[str, Any] = field(default_factory=lambda: asdict(DEFAULT_THRESHOLDS))
    link_s: float = 0.0
    links: dict[str, int] = field(default_factory=dict)
    rss_before_mb: float | None = None
    peak_mb: float = 0.0
    peak_reset: bool = False  # False: the peak is since the process started
    scored: int = 0
    left_out: int = 0
    not_in_truth: int = 0
    not_in_store: int = 0
    scores: dict[str, Scores] = field(default_factory=dict)
    scores_reviews: dict[str, Scores] = field(default_factory=dict)
    errors: dict[str, dict[str, Errors]] = field(default_factory=dict)
    checks: dict[str, int] = field(default_factory=dict)
    relink: Relink | None = None
    accuracy_s: float = 0.0

    def flat(self) -> dict[str, float | None]:
        out: dict[str, float | None] = {"link_s": self.link_s,
                                        "relink.warm_s": self.relink.warm_s if self.relink else None}
        for level, s in self.scores.items():
            out[f"{level}.precision"], out[f"{level}.recall"] = s.precision, s.recall
        return out


def revision() -> str:
    try:
        done = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=BENCH,
                              capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return "-"
    return done.stdout.strip() or "-"


async def measure(args: argparse.Namespace, noise: float, data_dir: Path) -> Level:
    level = Level(noise, args.households, args.seed, revision=revision())
    settings = Settings(data_dir=data_dir)
    district = await start_partners(settings, args.households, args.seed, level.setup,
                                    noise=noise)
    try:
        uri = await migrate_and_sync(settings, district, level.setup, link=False)
    finally:
        await asyncio.to_thread(district.stop)  # linking needs the store only
    pool = await asyncpg.create_pool(uri, min_size=1, max_size=4)
    try:
        await full_run(pool, level)
        start = time.perf_counter()
        folder = district_folder(data_dir, args.households, args.seed, noise)
        await score(pool, level, load_truth(folder / "truth.jsonl"))
        level.accuracy_s = time.perf_counter() - start
        if args.changed:
            console.print(f"relinking {args.changed:,} changed records …")
            level.relink = await relink(pool, args.changed, args.seed)
    finally:
        await pool.close()
    return level


async def full_run(pool: asyncpg.Pool, level: Level) -> None:
    forget_indexes()
    level.rss_before_mb = rss_mb()
    level.peak_reset = reset_peak()
    console.print("linking every record (link_all) …")
    level.links, level.link_s = await timed(link_all(pool))
    level.peak_mb = peak_mb()


async def score(pool: asyncpg.Pool, level: Level,
                truth: dict[Key, tuple[str | None, str | None]]) -> None:
    console.print("scoring against truth.jsonl …")
    async with pool.acquire() as conn:
        scored = await scored_rows(conn, truth)
        level.checks = await checks(conn, scored.rows)
    level.scored, level.left_out = len(scored.rows), scored.left_out
    level.not_in_truth, level.not_in_store = scored.not_in_truth, scored.not_in_store
    level.scores = accuracy(scored.rows)
    level.scores_reviews = accuracy(scored.rows, accept_reviews=True)
    level.errors = errors_by_entity(scored.rows)


# --- report ---------------------------------------------------------------------------------------


def _mark(ok: bool | None) -> str:
    return "-" if ok is None else "PASS" if ok else "FAIL"


def _mb(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f} MB"


def run_text(lv: Level) -> str:
    order = sorted(lv.links.items(), key=lambda kv: -kv[1])
    peak = "peak while linking" if lv.peak_reset else "peak since start (no reset)"
    return "\n".join([
        "full linkage run (link_all, cold process; "
        + ", ".join(f"{k} {v}" for k, v in lv.linker.items()) + ")",
        f"  wall {lv.link_s:.1f} s | RSS before {_mb(lv.rss_before_mb)} | "
        f"{peak} {_mb(lv.peak_mb)} (ru_maxrss)",
        "  decisions: " + ", ".join(f"{m} {n:,}" for m, n in order),
    ])


def scores_text(lv: Level) -> str:
    headers = ["level", "records", "pairs true", "pairs pred", "P", "R", "F1",
               "B3 P", "B3 R", "B3 F1"]
    rows = [[name, f"{s.records:,}", f"{s.pairs_true:,}", f"{s.pairs_predicted:,}",
             fmt(s.precision, 4), fmt(s.recall, 4), fmt(s.f1, 4), fmt(s.bcubed_precision, 4),
             fmt(s.bcubed_recall, 4), fmt(s.bcubed_f1, 4)] for name, s in lv.scores.items()]
    reviews = ", ".join(f"{name} P {fmt(s.precision, 4)} R {fmt(s.recall, 4)}"
                        for name, s in lv.scores_reviews.items())
    return "\n".join([
        f"accuracy against truth.jsonl ({lv.scored:,} record subjects, scored in "
        f"{lv.accuracy_s:.1f} s; left out {lv.left_out:,} place-level/organization, "
        f"{lv.not_in_truth:,} not in truth; {lv.not_in_store:,} truth lines not in the store)",
        table(headers, rows),
        f"  if every review proposal were accepted: {reviews}",
    ])


def errors_text(lv: Level) -> str:
    headers = ["partner entity", *(f"{side} {col}" for side in ("hh", "person")
                                   for col in ("records", "right", "wrong", "review(ok)", "missed"))]
    hh, pp = lv.errors.get("households", {}), lv.errors.get("persons", {})

    def cells(e: Errors) -> list[str]:
        return [f"{e.records:,}", f"{e.right:,}", f"{e.wrong:,}",
                f"{e.review:,}({e.review_right:,})", f"{e.missed:,}"]

    rows = [[name, *cells(hh.get(name, Errors())), *cells(pp.get(name, Errors()))]
            for name in sorted(set(hh) | set(pp))]
    return ("where the errors are: non-registry records with a true household (hh) or person; "
            "wrong = linked into a cluster that is mostly\n  someone else's, review(ok) = proposed "
            "(of which right), missed = not linked though the registry knows the true one\n"
            + table(headers, rows))


def checks_text(lv: Level) -> str:
    c = lv.checks
    return "\n".join([
        "checks",
        f"  {_mark(c['persons_in_two_households'] == 0)}  persons linked to two households: "
        f"{c['persons_in_two_households']:,}",
        f"  {_mark(c['name_only_links'] == 0)}  links on a name alone: {c['name_only_links']:,} "
        f"({c['name_only_links_wrong']:,} of them wrong by truth)",
    ])


def relink_text(lv: Level) -> str:
    r = lv.relink
    if r is None:
        return "relink: skipped (--changed 0)"
    kinds = ", ".join(f"{n:,} {k}" for k, n in sorted(r.kinds.items()))
    counts = ", ".join(f"{m} {n:,}" for m, n in sorted(r.warm_counts.items(), key=lambda kv: -kv[1]))
    return "\n".join([
        f"relink of {r.records:,} changed records (link_changed; {kinds})",
        f"  warm indexes {r.warm_s:.2f} s ({counts}); same link as before for "
        f"{r.unchanged:,}/{r.records:,}",
        f"  restoring them on cold indexes (load_indexes first) {r.restore_cold_s:.2f} s",
    ])


def targets_text(levels: list[Level]) -> str:
    headers = ["target", "bound", *(f"noise {lv.noise:g}" for lv in levels)]
    rows = []
    for t in TARGETS:
        cells = []
        for lv in levels:
            value = lv.flat().get(t.key)
            digits = 1 if t.key.endswith("_s") else 4
            cells.append(f"{fmt(value, digits)} {_mark(t.met(value))}")
        rows.append([t.label, ("≤ " if t.at_most else "≥ ") + f"{t.bound:g}", *cells])
    for key, label in (("persons_in_two_households", "persons in two households"),
                       ("name_only_links", "links on a name alone")):
        rows.append([label, "= 0", *(f"{lv.checks.get(key, 0):,} "
                                     f"{_mark(lv.checks.get(key, 0) == 0)}" for lv in levels)])
    return "targets\n" + table(headers, rows)


def report(lv: Level) -> None:
    print(f"\nJuheli linkage benchmark — {lv.households:,} households, noise {lv.noise:g}, seed "
          f"{lv.seed}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
          f"code {lv.revision}\n")
    for part in (setup_text(lv.setup, lv.households), run_text(lv), scores_text(lv),
                 errors_text(lv), checks_text(lv), relink_text(lv), targets_text([lv])):
        print(part, end="\n\n")
    sys.stdout.flush()


def as_json(lv: Level) -> dict[str, Any]:
    return {**asdict(lv), "flat": lv.flat()}


def from_json(data: dict[str, Any]) -> Level:
    """Enough of a Level back from a child's JSON for the summary table."""
    lv = Level(data["noise"], data["households"], data["seed"])
    lv.link_s, lv.checks = data["link_s"], data["checks"]
    lv.scores = {k: Scores(**v) for k, v in data["scores"].items()}
    if data.get("relink"):
        lv.relink = Relink(**data["relink"])
    return lv


# --- main -----------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--noise", default="1,2", help="comma-separated noise levels")
    parser.add_argument("--seed", type=int, default=20261129)
    parser.add_argument("--data-dir", type=Path,
                        help="default: bench/out/linkage-<households>-<noise>; with several "
                             "levels, one subfolder noise-<n> each")
    parser.add_argument("--changed", type=int, default=1000, help="records to relink")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    return parser.parse_args(argv)


def noise_levels(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x.strip()]


def level_dir(args: argparse.Namespace, noise: float, several: bool) -> Path:
    if args.data_dir is None:
        return (BENCH / "out" / f"linkage-{args.households}-{noise:g}").resolve()
    base = Path(args.data_dir)
    return (base / f"noise-{noise:g}" if several else base).resolve()


async def one_level(args: argparse.Namespace, noise: float, data_dir: Path) -> Level:
    data_dir.mkdir(parents=True, exist_ok=True)
    cancel_on_sigterm()
    return await measure(args, noise, data_dir)


def each_in_a_child(args: argparse.Namespace, levels: list[float]) -> list[Level]:
    """Run this script once per level, so each level's memory is its own; their JSON back.
    A level that fails is reported and left out; the others still run."""
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for noise in levels:
            figures = Path(tmp) / f"{noise:g}.json"
            cmd = [sys.executable, __file__, "--households", str(args.households),
                   "--noise", f"{noise:g}", "--seed", str(args.seed),
                   "--data-dir", str(level_dir(args, noise, several=True)),
                   "--changed", str(args.changed), "--json", str(figures)]
            code = subprocess.run(cmd, stdin=subprocess.DEVNULL).returncode
            if code != 0:
                console.print(f"[red]noise {noise:g} failed (exit code {code})[/red]")
                continue
            out.append(json.loads(figures.read_text(encoding="utf-8")))
    if args.json:
        args.json.write_text(json.dumps({"levels": out}, indent=1, ensure_ascii=False),
                             encoding="utf-8")
    return [from_json(d) for d in out]


def main() -> None:
    args = parse_args()
    levels = noise_levels(args.noise)
    try:
        if len(levels) == 1:
            lv = asyncio.run(one_level(args, levels[0], level_dir(args, levels[0], False)))
            report(lv)
            if args.json:
                args.json.write_text(json.dumps(as_json(lv), indent=1, ensure_ascii=False,
                                                default=str), encoding="utf-8")
            return
        done = each_in_a_child(args, levels)
        print(f"summary over noise levels {args.noise} ({args.households:,} households)\n")
        print(targets_text(done))
        if args.json:
            print(f"\nfigures written to {args.json}")
        if len(done) < len(levels):
            sys.exit(1)
    except (KeyboardInterrupt, asyncio.CancelledError):
        console.print("[yellow]interrupted; partners stopped[/yellow]")
        sys.exit(130)


if __name__ == "__main__":
    main()
