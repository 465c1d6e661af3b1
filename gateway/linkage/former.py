"""Former names (曾用名) of compounds: a property company's project (entity `project`, field
`aliases`) says the compound it manages was once called otherwise, and its ledgers may still use
that name (the developer's 金域华府 for 朝阳里小区). Linkage reads an address that names a former
name as naming the compound, so its rooms and orders link to the households living there.

A former name stands for the compound the project's own name resolves to (by `compound_key`, as
addresses are matched), in that compound's community only: a record that states another
community is not read by it, and one that states none is read by it only when it stands for
compounds of one community. It is ignored, with a warning, when it is itself a compound's
current name, or when projects claim it for different compounds.

The projects are read from their facts (`facts`, kind `project`: `place` the key of the compound's
name, `topic` the keys of its former names), which a sync writes with the records, before linking
runs: once per linking run, so a project synced after the rooms that use its former name counts
at the next run (`link.link_pending` relinks those rooms).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import asyncpg

from gateway.db.compounds import PROJECT_KIND
from gateway.linkage.match import Indexes
from gateway.linkage.places import compound_key

__all__ = ["Project", "changed_former_keys", "former_names", "load_former_names",
           "set_former_names", "split_topic"]

log = logging.getLogger(__name__)

# How a project fact joins its former names' keys (`gateway.db.compounds.join_aliases`).
_JOINED = "|"


@dataclass(frozen=True, slots=True)
class Project:
    """A property company's project: which one (for the log), the compound it names, and the
    former names it gives that compound."""

    ref: str
    compound: str
    former: tuple[str, ...]


def split_topic(topic: str | None) -> tuple[str, ...]:
    """The former names' keys a project fact keeps in `topic`."""
    return tuple(k for k in (topic or "").split(_JOINED) if k)


def former_names(projects: Iterable[Project],
                 compounds: Iterable[tuple[str, str]]) -> dict[str, dict[str, str]]:
    """Former name (its `compound_key`) → {community: name of the compound it stands for}, from
    the projects and the registry's compounds, given as (community, name)."""
    current: dict[str, dict[str, str]] = defaultdict(dict)
    for community, name in compounds:
        key = compound_key(name)
        if key:
            current[key][community] = name
    claims: dict[str, dict[str, frozenset[tuple[str, str]]]] = defaultdict(dict)
    for project in projects:
        own = compound_key(project.compound) or ""
        targets = current.get(own)
        if not targets:
            continue  # a project of a compound the registry does not know: nothing to stand for
        for written in project.former:
            key = compound_key(written)
            if not key or key == own:
                continue
            if key in current:
                log.warning("former name %r of project %s is the name of compound %s: ignored",
                            written, project.ref, ", ".join(sorted(current[key].values())))
                continue
            claims[key][project.ref] = frozenset(targets.items())
    out: dict[str, dict[str, str]] = {}
    for key, by_project in claims.items():
        if len(set(by_project.values())) > 1:
            log.warning("former name %r is claimed for different compounds by projects %s: "
                        "ignored", key, ", ".join(sorted(by_project)))
            continue
        out[key] = dict(next(iter(by_project.values())))
    return out


async def _projects(conn: asyncpg.Connection) -> list[Project]:
    rows = await conn.fetch(
        "SELECT partner, local_id, place, topic FROM facts "
        "WHERE kind = $1 AND place IS NOT NULL AND topic IS NOT NULL "
        "ORDER BY partner, local_id", PROJECT_KIND)
    return [Project(f"{r['partner']}/{r['local_id']}", r["place"], split_topic(r["topic"]))
            for r in rows]


async def load_former_names(conn: asyncpg.Connection, idx: Indexes) -> None:
    """`set_former_names` from the projects the store holds now."""
    set_former_names(idx, await _projects(conn))


def set_former_names(idx: Indexes, projects: Sequence[Project]) -> None:
    """Set `idx.former` and the names addresses are parsed against (`idx.known`,
    `idx.all_known`: the compounds' names, then the former names that stand for them), from
    the compounds `idx` holds."""
    compounds = [(community, name) for community, names in idx.compounds.items()
                 for name in names]
    idx.former = former_names(projects, compounds)
    # As the projects write them (金域华府, not its key 金域华): what the address parser finds.
    written = sorted({(compound_key(w) or "", w) for p in projects for w in p.former})
    extra: dict[str, list[str]] = defaultdict(list)
    for key, name in written:
        for community in idx.former.get(key, ()):
            extra[community].append(name)
    idx.known = {community: [*names, *extra.get(community, ())]
                 for community, names in idx.compounds.items()}
    idx.all_known = [*idx.all_compounds, *(name for key, name in written if key in idx.former)]


async def changed_former_keys(conn: asyncpg.Connection, ids: Sequence[int]) -> list[str]:
    """The former names (keys) of the projects among these source records."""
    rows = await conn.fetch(
        "SELECT f.topic FROM source_records s "
        "JOIN facts f ON (f.partner, f.entity, f.local_id) = (s.partner, s.entity, s.local_id) "
        "WHERE s.id = ANY($1::bigint[]) AND f.kind = $2 AND f.topic IS NOT NULL",
        list(ids), PROJECT_KIND)
    keys = {compound_key(k) for r in rows for k in split_topic(r["topic"])}
    return sorted(k for k in keys if k)
