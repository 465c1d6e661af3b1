"""Linkage of interchange records without a store, with the code the gateway links with.

The anchor source's rows that name a household (`household_ref`) play the registry: its
household rows (`target_level` = household) become the canonical households, its other rows the
canonical persons of the household their `household_ref` names, built as `registry.py` builds them and indexed as `link.load_indexes`
indexes them. Every other row becomes a `Subject`, its attributes are built by `subject_attrs`,
and `link.decide_all` decides its link, as a batch run (`link_all`) does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from gateway.adapters.base import Subject
from gateway.linkage.attrs import subject_attrs
from gateway.linkage.interchange import Key, RecordRow
from gateway.linkage.link import decide_all
from gateway.linkage.match import DEFAULT_THRESHOLDS, Indexes, Person, Thresholds
from gateway.linkage.normalize import (
    Address,
    address_key,
    extract_phones,
    parse_address,
    parse_date,
    parse_gender,
    parse_name,
    parse_phones,
)
from gateway.linkage.places import compound_key
from gateway.linkage.registry import REGISTRY, canonical_compounds, resident_id_number

PLACE_LEVELS = frozenset({"branch", "compound", "building"})


@dataclass(frozen=True, slots=True)
class Linked:
    """Where each record was placed: its person and household (None: not linked)."""

    persons: dict[Key, int | None]
    households: dict[Key, int | None]
    anchors: int


def _parsed_households(rows: Sequence[RecordRow]) -> list[Address]:
    """The anchor households' addresses, compounds spelled as `registry.build_households` does."""
    known: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        first = parse_address(r.address)
        if first.compound:
            known[r.community or ""].add(first.compound)
    parsed = [parse_address(r.address, known_compounds=sorted(known[r.community or ""]))
              for r in rows]
    names = canonical_compounds([(r.household_ref or "", r.community or "", a.compound)
                                 for r, a in zip(rows, parsed, strict=True)])
    return [replace(a, compound=n) for a, n in zip(parsed, names, strict=True)]


def _add_geography(idx: Indexes, rows: Sequence[RecordRow], parsed: Sequence[Address]) -> None:
    for r in rows:
        idx.compounds.setdefault(r.community or "", [])
        if r.community and r.community_name:
            idx.community_by_name[r.community_name] = r.community
    places = sorted({(a.compound, r.community or "") for r, a in zip(rows, parsed, strict=True)
                     if a.compound})
    for number, (name, community) in enumerate(places, start=1):
        idx.compounds[community].append(name)
        idx.all_compounds.append(name)
        idx.compound_ids[(community, compound_key(name) or "")] = number
        idx.compound_keys.add(compound_key(name))
    for r, a in zip(rows, parsed, strict=True):
        compound = idx.compound_ids.get((r.community or "", compound_key(a.compound) or ""))
        if compound and a.building:
            idx.building_ids.setdefault((compound, a.building), len(idx.building_ids) + 1)


def _add_households(idx: Indexes, rows: Sequence[RecordRow]) -> dict[str, int]:
    """Index the anchor households; returns household_ref → household id."""
    parsed = _parsed_households(rows)
    _add_geography(idx, rows, parsed)
    ids: dict[str, int] = {}
    for r, a in zip(rows, parsed, strict=True):
        if not r.household_ref or r.household_ref in ids:
            continue
        hid = ids[r.household_ref] = len(ids) + 1
        community = r.community or ""
        idx.household_community[hid] = community
        key = address_key(a)
        if key:
            _, building, entrance, room = key.split("|")
            idx.address[hid] = (compound_key(a.compound) or "", building, entrance, room)
            idx.by_block[(community, f"{building}|{room}")].append(hid)
        for phone in parse_phones(r.phone):
            if phone.value:
                idx.add_phone(phone.value, hid)
    return ids


def _add_person(idx: Indexes, pid: int, r: RecordRow, household: int | None) -> None:
    name = parse_name(r.name)
    person = Person(pid, household, resident_id_number(r.id_number), name.full, name.pinyin,
                    [p.value for p in parse_phones(r.phone) if p.value], parse_date(r.birth_date),
                    parse_gender(r.gender) or None)
    if person.id_number:
        idx.by_id_number[person.id_number].append(person)
    if person.name:
        idx.by_name[person.name].append(person)
    if household:
        idx.members[household].append(person)
        for phone in person.phones:
            idx.add_phone(phone, household)


def record_attrs(r: RecordRow) -> dict[str, Any]:
    """The attributes the gateway would keep of this record's subject."""
    subject = Subject(name=r.name, id_number=r.id_number, phone=r.phone,
                      address=r.free_text or r.address, community=r.community,
                      household_local_id=r.household_ref, target_level=r.target_level,
                      affinity=r.affinity)
    attrs = subject_attrs(subject)
    if r.free_text and not attrs["addressIsFreeText"]:
        # The file says this is free text however short it is: read it as the gateway reads a
        # long account, address searched for in the words and phones taken from them.
        attrs["addressIsFreeText"] = True
        phones = attrs["phones"]
        phones += [asdict(p) for p in extract_phones(r.free_text) if asdict(p) not in phones]
    return attrs


def is_anchor(r: RecordRow, anchor: str) -> bool:
    """A row of the registry itself: the anchor source's, naming its household. The anchor
    source's other rows (a residents' committee's reception log) are linked like any other."""
    return r.source == anchor and r.household_ref is not None


def link_records(rows: Sequence[RecordRow], *, anchor: str = REGISTRY,
                 thresholds: Thresholds = DEFAULT_THRESHOLDS) -> Linked:
    """Anchor on `anchor`'s rows, then decide every other row's person and household."""
    idx = Indexes()
    anchors = [r for r in rows if is_anchor(r, anchor)]
    homes = _add_households(idx, [r for r in anchors if r.target_level == "household"])
    persons: dict[Key, int | None] = {}
    households: dict[Key, int | None] = {}
    pid = 0
    for r in anchors:
        households[r.key] = home = homes.get(r.household_ref or "")
        persons[r.key] = None
        if r.target_level != "household":
            pid += 1
            persons[r.key] = pid
            _add_person(idx, pid, r, home)
    others = [r for r in rows if not is_anchor(r, anchor)]
    decisions = decide_all(idx, [record_attrs(r) for r in others], thresholds)
    for r, d in zip(others, decisions, strict=True):
        # Proposed for review or unlinked: a cluster of its own.
        link = d if d is not None and d.linked else None
        persons[r.key] = link.person_id if link else None
        households[r.key] = link.household_id if link else None
    return Linked(persons, households, len(anchors))


__all__ = ["Linked", "is_anchor", "link_records", "record_attrs"]
