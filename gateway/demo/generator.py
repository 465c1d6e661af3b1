"""Generate a synthetic district: every partner's native rows plus the hidden ground truth.

`generate()` builds the true world (`world.py`, `party.py`) and lets each partner write it down
its own way (`registry.py`, `events.py`, `appeals.py`, `groups.py`, `reception.py`, `estate.py`,
`committee.py`, noise from `noise.py`).
`write_district()` lays the result out as docs/partners.md expects:

    <folder>/rows/<partner>/<table>.jsonl    rc, party, hall, hotline, mediation, property, owners
    <folder>/massorg/<YYYY-MM>/<file>         monthly drops of massorg and womenfed (current
                                              2026-11, older 2026-10)
    <folder>/owners/<小区>业主委员会_….xlsx     the owners' committees' workbooks (§5.2)
    <folder>/truth.jsonl                      one line per partner record (§6)
    <folder>/district.json                    manifest with counts

Same seed, same bytes: every draw comes from `random.Random` streams seeded from `seed`, and no
wall-clock time is read. `noise` scales every noise rate (noise.py's `noise_scale`); the same seed
at another noise level is the same world written more or less carelessly.
Run `python -m gateway.demo.generator --households N --out DIR [--noise 2]`.
"""

from __future__ import annotations

import argparse
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from gateway.demo.appeals import Hotline, Mediation
from gateway.demo.committee import Committees
from gateway.demo.estate import Estate
from gateway.demo.events import Cast, Hall, Out
from gateway.demo.files import read_jsonl, write_jsonl, write_massorg_month, write_owner_workbooks
from gateway.demo.groups import all_groups
from gateway.demo.noise import noise_scale
from gateway.demo.reception import Reception
from gateway.demo.registry import registries
from gateway.demo.world import World, build_world

__all__ = ["District", "generate", "load_rows", "main", "write_district"]

SQL_AND_REST = ("rc", "party", "hall", "hotline", "mediation", "property")
CURRENT_MONTH, PREVIOUS_MONTH = "2026-11", "2026-10"
# Events per household over the two years the district covers.
RATES = {"banjian": 1.4, "wuka": 0.2, "daiban": 0.3, "workorders": 0.38, "petitions": 0.03,
         "disputes": 0.1, "jiedai": 0.15}


@dataclass
class District:
    """A generated district: native rows per partner and table, and the truth lines."""

    households: int
    seed: int
    # Not in the repr: a failing assertion would print a million rows.
    rows: dict[str, dict[str, list[dict[str, Any]]]] = field(repr=False)
    truth: list[dict[str, Any]] = field(repr=False)
    noise: float = 1.0

    @property
    def communities(self) -> int:
        return len(self.rows["rc"]["community"])

    def counts(self) -> dict[str, dict[str, int]]:
        return {p: {t: len(rows) for t, rows in tables.items()} for p, tables in self.rows.items()}


def generate(households: int = 3000, *, seed: int = 20261129, communities: int = 3,
             noise: float = 1.0) -> District:
    """The district of `households` households in `communities` communities, fixed by `seed`,
    with every noise rate times `noise` (capped at 1)."""
    world = build_world(households, seed=seed, communities=communities)
    with noise_scale(noise):
        out = _write_down(world, households, seed)
    return District(households, seed, out.rows, out.truth, noise)


def _write_down(world: World, households: int, seed: int) -> Out:
    """Every partner's rows about `world`, in a fixed order of random streams."""
    out = Out()
    for partner, tables in (("rc", ("community", "hu", "ren", "huiyi", "jiedai")),
                            ("party", ("zuzhi", "dangyuan", "baolian", "zoufang")),
                            ("hall", ("banjian", "wuka", "daiban")),
                            ("hotline", ("workorders", "petitions")),
                            ("mediation", ("disputes",)),
                            ("massorg", ("hardship_file", "volunteer", "pairing")),
                            ("womenfed", ("rights_case",)),
                            ("property", ("projects", "houses", "repairs")),
                            ("owners", ("roster", "votes"))):
        out.rows[partner] = {t: [] for t in tables}  # fixed order, empty tables too
    registries(out, random.Random(f"{seed}:registry"), world)
    cast = Cast(world)
    n = {k: round(rate * households) for k, rate in RATES.items()}
    hall = Hall(out, random.Random(f"{seed}:hall"), cast)
    hall.cases(n["banjian"])
    hall.cards_(n["wuka"])
    hall.errands(n["daiban"])
    hotline = Hotline(out, random.Random(f"{seed}:hotline"), cast)
    hotline.tickets(n["workorders"])
    hotline.petitions(n["petitions"])
    Mediation(out, random.Random(f"{seed}:mediation"), cast, hotline).disputes(n["disputes"])
    all_groups(out, random.Random(f"{seed}:massorg"), cast, households)
    # Last, in a stream of its own: the tables written before it stay as they were.
    Reception(out, random.Random(f"{seed}:reception"), cast).receptions(n["jiedai"])
    # The property bodies after that, in streams of their own for the same reason.
    estate = Estate(out, random.Random(f"{seed}:property"), cast)
    estate.houses()
    estate.repairs()
    Committees(out, random.Random(f"{seed}:owners"), estate).write()
    return out


def generated_at(seed: int) -> datetime:
    """A fixed 'generation time' derived from the seed (never the wall clock)."""
    return datetime(2026, 11, 28, 22, 0) + timedelta(seconds=seed % 3600)


def write_district(district: District, folder: Path) -> None:
    """Write rows, massorg drops, truth and manifest under `folder` (see module docstring)."""
    folder.mkdir(parents=True, exist_ok=True)
    for partner in SQL_AND_REST:
        for table, rows in district.rows[partner].items():
            write_jsonl(folder / "rows" / partner / f"{table}.jsonl", rows)
    created = generated_at(district.seed)
    # The women's federation's ledger lies in the drop folder it shares with the union and league.
    massorg = {**district.rows["massorg"], **district.rows["womenfed"]}
    write_massorg_month(folder / "massorg", CURRENT_MONTH, massorg, created)
    # Last month's drop: the same ledgers without the most recently opened rows.
    older = {e: rows[: len(rows) * 19 // 20] for e, rows in massorg.items()}
    write_massorg_month(folder / "massorg", PREVIOUS_MONTH, older, created - timedelta(days=30))
    write_jsonl(folder / "rows" / "owners" / "roster.jsonl", district.rows["owners"]["roster"])
    write_jsonl(folder / "rows" / "owners" / "votes.jsonl", district.rows["owners"]["votes"])
    write_owner_workbooks(folder / "owners", district.rows["owners"], created)
    write_jsonl(folder / "truth.jsonl", district.truth)
    manifest = {"households": district.households, "seed": district.seed,
                "communities": district.communities,
                "generated_at": created.isoformat(timespec="seconds"),
                "counts": district.counts()}
    if district.noise != 1.0:  # only when set: the default manifest keeps its bytes
        manifest["noise"] = district.noise
    (folder / "district.json").write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))


def load_rows(folder: Path, partner: str, table: str) -> list[dict[str, Any]]:
    """The rows of one table as written by `write_district`."""
    return read_jsonl(folder / "rows" / partner / f"{table}.jsonl")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Generate a synthetic Juheli district.")
    parser.add_argument("--households", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=20261129)
    parser.add_argument("--communities", type=int, default=3)
    parser.add_argument("--noise", type=float, default=1.0, help="noise rate multiplier")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    print(f"generating {args.households} households (seed {args.seed}, noise {args.noise}) …",
          flush=True)
    district = generate(args.households, seed=args.seed, communities=args.communities,
                        noise=args.noise)
    rows = sum(sum(c.values()) for c in district.counts().values())
    print(f"  {rows} rows in {time.perf_counter() - start:.1f} s", flush=True)
    write_district(district, args.out)
    print(f"  written to {args.out} in {time.perf_counter() - start:.1f} s total", flush=True)
    for partner, tables in district.counts().items():
        print(f"  {partner}: " + ", ".join(f"{t} {n}" for t, n in tables.items()))


if __name__ == "__main__":
    main()
