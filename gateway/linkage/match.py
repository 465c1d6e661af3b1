"""First linkage: score each partner record's subject against canonical households and persons.

Candidates come from blocks (exact ID number, address key, address without compound inside the
community, phone); each candidate household is scored by adding the weight of every attribute
that agrees or disagrees, in the spirit of Fellegi–Sunter with hand-set weights (learned weights
are the linkage issue's work). A record links when its best household scores above the threshold
and clearly above the runner-up; the evidence of every link is kept.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from gateway.linkage.normalize import Address, extract_address, name_similarity, parse_address
from gateway.linkage.places import compound_key

# Weights (log-odds-like points). An ID number that agrees is near-certain; a shared household
# phone or a room says "this household", not "this person".
W_ID = 12.0
W_ID_PARTIAL = 3.0
W_ID_CONFLICT = -6.0
W_NAME = 3.5
W_NAME_SIMILAR = 2.0
W_SURNAME = 1.0
W_NAME_CONFLICT = -1.5
W_ROOM = 2.5  # building + room agree
W_ENTRANCE = 1.5
W_ENTRANCE_CONFLICT = -4.0
W_COMPOUND = 1.5
W_COMPOUND_CONFLICT = -5.0
W_PHONE = 3.5
W_PHONE_PARTIAL = 1.0
W_PHONE_MASKED = 3.0  # 138****5678: seven digits agree, rarely by chance inside one district
W_BIRTH = 3.0  # a namesake born the same day as the ID number says
W_AFFINITY = 2.5  # where the record's related records (same Party member) were placed
MAX_NAME_BLOCK = 30
THRESHOLD = 4.5
MARGIN = 1.5


@dataclass(slots=True)
class Person:
    id: int
    household_id: int | None
    id_number: str | None
    name: str | None
    pinyin: str | None
    phones: list[str]
    birth: date | None = None


@dataclass(slots=True)
class Indexes:
    by_id_number: dict[str, list[Person]] = field(default_factory=lambda: defaultdict(list))
    by_name: dict[str, list[Person]] = field(default_factory=lambda: defaultdict(list))
    # Affinity key → compound keys where already linked records of that key live.
    affinity: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    by_phone: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    by_phone_mask: dict[tuple[str, str], set[int]] = field(default_factory=lambda: defaultdict(set))
    # (community, 'building|room') → households: the address block, entrance and compound scored.
    by_block: dict[tuple[str, str], list[int]] = field(default_factory=lambda: defaultdict(list))
    address: dict[int, tuple[str, str, str, str]] = field(default_factory=dict)
    members: dict[int, list[Person]] = field(default_factory=lambda: defaultdict(list))
    household_community: dict[int, str] = field(default_factory=dict)
    household_phones: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))
    compounds: dict[str, list[str]] = field(default_factory=dict)  # community → names
    all_compounds: list[str] = field(default_factory=list)
    community_by_name: dict[str, str] = field(default_factory=dict)
    compound_ids: dict[tuple[str, str], int] = field(default_factory=dict)  # (community, key)
    compound_keys: set[str | None] = field(default_factory=set)
    building_ids: dict[tuple[int, str], int] = field(default_factory=dict)

    def add_phone(self, value: str, household_id: int) -> None:
        self.by_phone[value].add(household_id)
        self.household_phones[household_id].add(value)
        if len(value) == 11:  # mobiles: also findable by their usual mask
            self.by_phone_mask[(value[:3], value[-4:])].add(household_id)


@dataclass(slots=True)
class Decision:
    household_id: int | None
    person_id: int | None
    method: str
    confidence: float
    evidence: dict[str, Any]
    compound_id: int | None = None
    building_id: int | None = None


def block_key(addr: Address) -> str | None:
    """Building|room: the address block inside one community (entrance and compound scored)."""
    if not addr.building or not addr.room:
        return None
    return f"{addr.building}|{addr.room}"


def _community(attrs: dict[str, Any], idx: Indexes) -> str | None:
    value = attrs.get("community")
    if not value:
        return None
    return value if value in idx.compounds else idx.community_by_name.get(value)


def parse_subject_address(attrs: dict[str, Any], idx: Indexes) -> Address | None:
    text = (attrs.get("raw") or {}).get("address")
    if not text:
        return None
    community = _community(attrs, idx)
    known = idx.compounds.get(community, idx.all_compounds) if community else idx.all_compounds
    if attrs.get("addressIsFreeText"):
        addr = extract_address(text, known_compounds=known) or Address()
    else:
        addr = parse_address(text, known_compounds=known)
    key = compound_key(addr.compound)
    if addr.compound and (addr.compound.endswith("社区") or key not in idx.compound_keys):
        # A community named where the compound should be, or a name no compound here bears
        # (an old developer's name): say nothing rather than contradict.
        addr = replace(addr, compound=None)
    return addr


class Scorer:
    def __init__(self, idx: Indexes) -> None:
        self.idx = idx

    def decide(self, attrs: dict[str, Any]) -> Decision | None:
        idx = self.idx
        addr = parse_subject_address(attrs, idx)
        level = attrs.get("targetLevel")
        if level in {"branch", "compound", "building"}:
            return self._place(attrs, addr, level)
        scores: dict[int, float] = defaultdict(float)
        evidence: dict[int, dict[str, float]] = defaultdict(dict)
        candidates = self._candidates(attrs, addr)
        if not candidates:
            return None
        for hid in candidates:
            for name, weight in self._household_evidence(hid, attrs, addr):
                scores[hid] += weight
                evidence[hid][name] = weight
        ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
        best, score = ranked[0]
        runner = ranked[1][1] if len(ranked) > 1 else -math.inf
        if score < THRESHOLD or score - runner < MARGIN:
            return None
        person = self._person(best, attrs)
        ev = {k: round(v, 2) for k, v in evidence[best].items()}
        method = max(ev, key=lambda k: ev[k])
        return Decision(best, person, method, round(1 / (1 + math.exp(-(score - 2))), 4),
                        {"score": round(score, 2), "agreements": ev,
                         "runnerUp": None if runner == -math.inf else round(runner, 2)})

    def _candidates(self, attrs: dict[str, Any], addr: Address | None) -> set[int]:
        idx = self.idx
        out: set[int] = set()
        value = (attrs.get("id") or {}).get("value")
        if value:
            out.update(p.household_id for p in idx.by_id_number.get(value, ()) if p.household_id)
        for phone in attrs.get("phones") or ():
            if phone.get("value"):
                out.update(idx.by_phone.get(phone["value"], ()))
            elif phone.get("kind") == "masked" and _full_mask(phone):
                out.update(idx.by_phone_mask.get((phone["prefix"], phone["suffix"]), ()))
        name = attrs.get("name")
        if name and not out:
            namesakes = idx.by_name.get(name, ())
            if len(namesakes) <= MAX_NAME_BLOCK:
                out.update(p.household_id for p in namesakes if p.household_id)
        block = block_key(addr) if addr else None
        if block:
            community = _community(attrs, idx)
            for comm in [community] if community else list(idx.compounds):
                out.update(idx.by_block.get((comm, block), ()))
        return out

    def _household_evidence(
        self, hid: int, attrs: dict[str, Any], addr: Address | None
    ) -> Iterable[tuple[str, float]]:
        idx = self.idx
        members = idx.members.get(hid, [])
        ident = attrs.get("id") or {}
        if ident.get("value"):
            if any(p.id_number == ident["value"] for p in members):
                yield "idNumber", W_ID
            elif attrs.get("name") and any(
                p.id_number and name_similarity(attrs["name"], p.name or "") >= 0.9
                for p in members
            ):
                # The same name here holds another ID number: a namesake, not this person.
                yield "idNumber", W_ID_CONFLICT
        elif ident.get("kind") in {"masked", "invalid"} and (ident.get("prefix") or ident.get("suffix")):
            if any(_partial_id(p.id_number, ident) for p in members):
                yield "idNumberPartial", W_ID_PARTIAL
        name_w = self._name_weight(members, attrs)
        if name_w:
            yield "name", name_w
        birth = _id_birth(ident)
        if birth and any(
            p.birth == birth and p.id_number != ident.get("value") and
            name_similarity(attrs.get("name") or "", p.name or "") >= 0.7 for p in members
        ):
            yield "birthDate", W_BIRTH
        affinity = attrs.get("affinity")
        if affinity and idx.affinity.get(affinity):
            home = idx.affinity[affinity].most_common(1)[0][0]
            if idx.address.get(hid, ("",))[0] == home:
                yield "affinity", W_AFFINITY
        if addr:
            yield from self._address_evidence(hid, addr)
        phones = attrs.get("phones") or ()
        full = {p["value"] for p in phones if p.get("value")}
        if full & idx.household_phones.get(hid, set()):
            yield "phone", W_PHONE
        else:
            masked = [p for p in phones if p.get("kind") == "masked"
                      and _partial_phone(idx.household_phones.get(hid, set()), p)]
            if masked:
                strong = any(_full_mask(p) for p in masked)
                yield "phonePartial", W_PHONE_MASKED if strong else W_PHONE_PARTIAL

    def _address_evidence(self, hid: int, addr: Address) -> Iterable[tuple[str, float]]:
        known = self.idx.address.get(hid)
        if not known or not addr.building or not addr.room:
            return
        compound, building, entrance, room = known
        if (building, room) != (addr.building, addr.room):
            return
        yield "addressRoom", W_ROOM
        if addr.entrance and entrance:
            yield ("addressEntrance", W_ENTRANCE if addr.entrance == entrance
                   else W_ENTRANCE_CONFLICT)
        theirs = compound_key(addr.compound)
        if theirs and compound:
            yield ("addressCompound", W_COMPOUND if theirs == compound else W_COMPOUND_CONFLICT)

    def _name_weight(self, members: list[Person], attrs: dict[str, Any]) -> float:
        name = attrs.get("name")
        if name:
            best = max((name_similarity(name, p.name or "") for p in members), default=0.0)
            if best >= 0.999:
                return W_NAME
            if best >= 0.75:
                return W_NAME_SIMILAR
            return W_NAME_CONFLICT if members else 0.0
        surname = attrs.get("surname")
        if surname and any((p.name or "").startswith(surname) for p in members):
            return W_SURNAME
        return 0.0

    def _person(self, hid: int, attrs: dict[str, Any]) -> int | None:
        members = self.idx.members.get(hid, [])
        value = (attrs.get("id") or {}).get("value")
        if value:
            for p in members:
                if p.id_number == value:
                    return p.id
        name = attrs.get("name")
        if name:
            scored = sorted(((name_similarity(name, p.name or ""), p.id) for p in members),
                            reverse=True)
            if scored and scored[0][0] >= 0.75 and (len(scored) == 1 or scored[1][0] < scored[0][0]):
                return scored[0][1]
        return None

    def _place(self, attrs: dict[str, Any], addr: Address | None, level: str) -> Decision | None:
        """Responsibilities at branch, compound or building level point at a place."""
        idx = self.idx
        if level == "branch" or not addr or not addr.compound:
            return None
        community = _community(attrs, idx) or ""
        compound_id = idx.compound_ids.get((community, compound_key(addr.compound) or ""))
        if compound_id is None:
            return None
        building_id = idx.building_ids.get((compound_id, addr.building or "")) if level == "building" else None
        if level == "building" and building_id is None:
            return None
        return Decision(None, None, "place", 0.95, {"compound": addr.compound,
                        "building": addr.building}, compound_id, building_id)


def _id_birth(ident: dict[str, Any]) -> date | None:
    value = ident.get("value")
    if not value or len(value) != 18:
        return None
    try:
        return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None


def _partial_id(full: str | None, ident: dict[str, Any]) -> bool:
    if not full:
        return False
    prefix, suffix = ident.get("prefix") or "", ident.get("suffix") or ""
    if not (prefix or suffix):
        return False
    return full.startswith(prefix) and full.endswith(suffix) and len(prefix) + len(suffix) >= 4


def _full_mask(phone: dict[str, Any]) -> bool:
    return len(phone.get("prefix") or "") == 3 and len(phone.get("suffix") or "") == 4


def _partial_phone(full: set[str], masked: dict[str, Any]) -> bool:
    prefix, suffix = masked.get("prefix") or "", masked.get("suffix") or ""
    return any(p.startswith(prefix) and p.endswith(suffix) for p in full if prefix or suffix)
