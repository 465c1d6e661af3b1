"""First linkage: score each partner record's subject against canonical households and persons.

Candidates come from blocks (exact ID number, address key, address without compound inside the
community, phone); each candidate household is scored by adding the weight of every attribute
that agrees or disagrees, in the spirit of Fellegi–Sunter. A record links when its best household scores
above the accept threshold and clearly above the runner-up; between the review and accept
thresholds it is proposed for review; the evidence of every decision is kept.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from gateway.linkage.normalize import Address, extract_address, name_similarity, parse_address
from gateway.linkage.places import compound_key, registered_building
from gateway.linkage.weights import Level, Model

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
_LEVELS: dict[Level, Level] = {}
# A namesake is never linked on the name alone: some other attribute must agree.
NAME_LEVELS = frozenset({"name"})


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Score cut-offs: at or above `accept` (and `margin` clear of the runner-up) a link is made;
    from `review` up it is proposed to a person; below, the record stays unlinked."""

    accept: float = 4.5
    review: float = 2.0
    margin: float = 1.5
    weights: str = "learned"  # or "hand": the hand-set weights, no EM


DEFAULT_THRESHOLDS = Thresholds()


@dataclass(slots=True)
class Person:
    id: int
    household_id: int | None
    id_number: str | None
    name: str | None
    pinyin: str | None
    phones: list[str]
    birth: date | None = None
    gender: str | None = None  # M / F


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
    # Former names (曾用名, former.py): key → {community: the compound's name}; and the names an
    # address is parsed against, per community and in all (empty: the compounds' own names).
    former: dict[str, dict[str, str]] = field(default_factory=dict)
    known: dict[str, list[str]] = field(default_factory=dict)
    all_known: list[str] = field(default_factory=list)
    model: Model | None = None  # the weights learned by the last batch run

    def add_phone(self, value: str, household_id: int) -> None:
        self.by_phone[value].add(household_id)
        self.household_phones[household_id].add(value)
        if len(value) == 11:  # mobiles: also findable by their usual mask
            self.by_phone_mask[(value[:3], value[-4:])].add(household_id)


@dataclass(slots=True)
class Decision:
    """What linkage decided for one record. `status`: `auto` (linked), `needs_review` (the
    household is only proposed), `unlinked` (evidence says why) or `place`."""

    household_id: int | None
    person_id: int | None
    method: str
    confidence: float
    evidence: dict[str, Any]
    compound_id: int | None = None
    building_id: int | None = None
    status: str = "auto"

    @property
    def linked(self) -> bool:
        return self.status == "auto" and self.household_id is not None


def unlinked(reason: str, **evidence: Any) -> Decision:
    return Decision(None, None, "none", 0.0, {"reason": reason, **evidence}, status="unlinked")


def _usable(attrs: dict[str, Any]) -> bool:
    ident = attrs.get("id") or {}
    raw = attrs.get("raw") or {}
    return bool(attrs.get("name") or attrs.get("surname") or ident.get("value")
                or ident.get("prefix") or ident.get("suffix") or attrs.get("phones")
                or raw.get("address"))


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
    if community:
        known = idx.known.get(community) or idx.compounds.get(community, idx.all_compounds)
    else:
        known = idx.all_known or idx.all_compounds
    if attrs.get("addressIsFreeText"):
        addr = extract_address(text, known_compounds=known) or Address()
    else:
        addr = parse_address(text, known_compounds=known)
    key = compound_key(addr.compound)
    if addr.compound and key not in idx.compound_keys:
        current = _current_name(idx, key, community)
        if current:
            addr, key = replace(addr, compound=current), compound_key(current)
    if addr.compound and (addr.compound.endswith("社区") or key not in idx.compound_keys):
        # A community named where the compound should be, or a name no compound here bears
        # (an old developer's name no project lists): say nothing rather than contradict.
        return replace(addr, compound=None)
    if not addr.building or addr.building.isdigit():  # the usual case: nothing to resolve
        return addr
    compounds = [cid for (code, k), cid in idx.compound_ids.items()
                 if k == key and (community is None or code == community)]
    building = registered_building(addr.building, compounds, idx.building_ids)
    return addr if building == addr.building else replace(addr, building=building)


def _current_name(idx: Indexes, key: str | None, community: str | None) -> str | None:
    """The compound a former name stands for: in the record's community, or, when the record
    states none, the one community's where it stands for compounds of one only."""
    targets = idx.former.get(key or "")
    if not targets:
        return None
    if community:
        return targets.get(community)
    return next(iter(targets.values())) if len(targets) == 1 else None


@dataclass(slots=True)
class Comparison:
    """A record against each candidate household: the comparison levels of every pair, as
    (comparison, hand weight). `decided` is set when there is nothing to score."""

    attrs: dict[str, Any]
    pairs: dict[int, list[Level]] = field(default_factory=dict)
    decided: Decision | None = None
    address: Address | None = None


class Scorer:
    """Scores records against households. With a learned `model` each level weighs what EM
    learned (`weights.py`); without, the hand-set weights above."""

    def __init__(self, idx: Indexes, thresholds: Thresholds = DEFAULT_THRESHOLDS,
                 model: Model | None = None) -> None:
        self.idx = idx
        self.thresholds = thresholds
        self.model = model

    def decide(self, attrs: dict[str, Any]) -> Decision:
        return self.choose(self.compare(attrs))

    def compare(self, attrs: dict[str, Any]) -> Comparison:
        idx = self.idx
        level = attrs.get("targetLevel")
        if not _usable(attrs) and level not in {"branch", "compound", "building"}:
            return Comparison(attrs, decided=unlinked(
                "no usable attribute: no name, ID number, phone or address"))
        addr = parse_subject_address(attrs, idx)
        if level in {"branch", "compound", "building"}:
            return Comparison(attrs, decided=self._place(attrs, addr, level))
        candidates = self._candidates(attrs, addr)
        if not candidates:
            return Comparison(attrs, decided=unlinked(
                "no candidate household shares an ID number, phone, name or address"))
        # One tuple per distinct level, shared by every pair (a batch run holds them all).
        shared = _LEVELS.setdefault
        return Comparison(attrs, {hid: [shared(lv, lv) for lv in
                                        self._household_evidence(hid, attrs, addr)]
                                  for hid in sorted(candidates)}, address=addr)

    def random_pairs(self, comparisons: list[Comparison], *, records: int = 20_000,
                     per_record: int = 3, seed: int = 20261129) -> list[list[Level]]:
        """Levels of records set against households drawn at random (same community when the
        record names one): what chance agreement looks like, for learning u."""
        rng = random.Random(seed)
        scored = [c for c in comparisons if c.pairs]
        if len(scored) > records:
            scored = rng.sample(scored, records)
        by_community: dict[str, list[int]] = defaultdict(list)
        for hid, community in self.idx.household_community.items():
            by_community[community].append(hid)
        everyone = list(self.idx.household_community)
        out = []
        for c in scored:
            pool = by_community.get(_community(c.attrs, self.idx) or "", everyone)
            # never the household the hand weights would choose: u is about non-matches
            likely = max(c.pairs, key=lambda hid: sum(h for _, h in c.pairs[hid]))
            for hid in rng.sample(pool, min(per_record + 1, len(pool))):
                if hid != likely:
                    out.append(list(self._household_evidence(hid, c.attrs, c.address)))
        return out

    def choose(self, c: Comparison) -> Decision:
        if c.decided is not None:
            return c.decided
        weigh = self.model.weight if self.model else (lambda level: level[1])
        evidence = {hid: {name: weigh((name, hand)) for name, hand in levels}
                    for hid, levels in c.pairs.items()}
        scores = {hid: sum(ev.values()) for hid, ev in evidence.items()}
        ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
        best, score = ranked[0]
        runner = ranked[1][1] if len(ranked) > 1 else -math.inf
        t = self.thresholds
        ev = {k: round(v, 2) for k, v in evidence[best].items()}
        found = {"score": round(score, 2), "agreements": ev, "candidates": len(ranked),
                 "runnerUp": None if runner == -math.inf else round(runner, 2),
                 "weights": "learned" if self.model else "hand"}
        if score < t.review:
            return unlinked("best candidate scores below the review threshold", **found)
        name_only = all(w <= 0 for k, w in evidence[best].items() if k not in NAME_LEVELS)
        status = ("auto" if score >= t.accept and score - runner >= t.margin and not name_only
                  else "needs_review")
        if status == "needs_review":
            found["why"] = ("close runner-up" if score - runner < t.margin
                            else "only the name agrees" if name_only
                            else "score between review and accept thresholds")
        person = self._person(best, c.attrs)
        method = max(ev, key=lambda k: ev[k])
        return Decision(best, person, method, round(1 / (1 + math.exp(-(score - 2))), 4),
                        found, status=status)

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
    ) -> Iterable[Level]:
        """Each comparison's level for this pair. Disagreements the hand model does not weigh
        are yielded with hand weight 0, so that learned weights can."""
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
            elif members:
                yield "idNumber", 0.0
        elif ident.get("kind") in {"masked", "invalid"} and (ident.get("prefix") or ident.get("suffix")):
            if any(_partial_id(p.id_number, ident) for p in members):
                yield "idNumberPartial", W_ID_PARTIAL
            elif any(p.id_number for p in members):
                yield "idNumberPartial", 0.0
        name_w = self._name_weight(members, attrs)
        if name_w:
            yield "name", name_w
        birth = _id_birth(ident)
        if birth and members:
            if any(p.birth == birth and p.id_number != ident.get("value") and
                   name_similarity(attrs.get("name") or "", p.name or "") >= 0.7 for p in members):
                yield "birthDate", W_BIRTH
            else:
                yield "birthDate", 0.0
        affinity = attrs.get("affinity")
        if affinity and idx.affinity.get(affinity):
            home = idx.affinity[affinity].most_common(1)[0][0]
            yield "affinity", W_AFFINITY if idx.address.get(hid, ("",))[0] == home else 0.0
        if addr:
            yield from self._address_evidence(hid, addr)
        phones = attrs.get("phones") or ()
        theirs = idx.household_phones.get(hid, set())
        full = {p["value"] for p in phones if p.get("value")}
        if full & theirs:
            yield "phone", W_PHONE
        else:
            masked = [p for p in phones if p.get("kind") == "masked"
                      and _partial_phone(theirs, p)]
            if masked:
                strong = any(_full_mask(p) for p in masked)
                yield "phonePartial", W_PHONE_MASKED if strong else W_PHONE_PARTIAL
            elif phones and theirs:
                yield "phone", 0.0

    def _address_evidence(self, hid: int, addr: Address) -> Iterable[Level]:
        known = self.idx.address.get(hid)
        if not known or not addr.building or not addr.room:
            return
        compound, building, entrance, room = known
        if (building, room) != (addr.building, addr.room):
            yield "addressRoom", 0.0
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
        """Which resident of the household the record is about, when the evidence singles one
        out: the ID number (unless the name says it is a relative's, typed by the agent who came
        along), the name, a phone only one resident uses, or an honorific's surname, sex and age
        (孙先生, 老李, 王女士)."""
        members = self.idx.members.get(hid, [])
        if not members:
            return None
        value = (attrs.get("id") or {}).get("value")
        by_id = next((p for p in members if value and p.id_number == value), None)
        name = attrs.get("name")
        by_name = None
        if name:
            scored = sorted(((name_similarity(name, p.name or ""), i) for i, p in
                             enumerate(members)), reverse=True)
            if scored[0][0] >= 0.75 and (len(scored) == 1 or scored[1][0] < scored[0][0]):
                by_name = members[scored[0][1]]
        if by_id is not None:
            if (by_name is not None and by_name is not by_id
                    and name_similarity(name or "", by_id.name or "") < 0.5):
                return by_name.id  # the ID is a relative's: the name says whose record it is
            return by_id.id
        if by_name is not None:
            return by_name.id
        if name:
            return None  # a full name that fits nobody here: not a guess by phone
        fits = _by_honorific(members, attrs)
        if len(fits) <= 1:
            return fits[0].id if fits else None
        # Several fit the honorific: the one whose phone the record gives (a shared household
        # phone alone never decides: without a surname there is no person to speak of).
        phones = attrs.get("phones") or ()
        full = {p["value"] for p in phones if p.get("value")}
        users = [p for p in fits if full & set(p.phones)] or [
            p for p in fits if any(q.get("kind") == "masked" and _full_mask(q)
                                   and _partial_phone(set(p.phones), q) for q in phones)]
        return users[0].id if len(users) == 1 else None

    def _place(self, attrs: dict[str, Any], addr: Address | None, level: str) -> Decision:
        """Responsibilities at branch, compound or building level point at a place."""
        idx = self.idx
        if level == "branch":
            return Decision(None, None, "place", 1.0, {"level": level}, status="place")
        if not addr or not addr.compound:
            return unlinked(f"a {level}-level record without a compound in its address")
        community = _community(attrs, idx) or ""
        compound_id = idx.compound_ids.get((community, compound_key(addr.compound) or ""))
        if compound_id is None:
            return unlinked(f"no compound {addr.compound!r} in community {community!r}")
        building_id = idx.building_ids.get((compound_id, addr.building or "")) if level == "building" else None
        if level == "building" and building_id is None:
            return unlinked(f"no building {addr.building!r} in compound {addr.compound!r}")
        return Decision(None, None, "place", 0.95, {"compound": addr.compound,
                        "building": addr.building}, compound_id, building_id, status="place")


_HONORIFIC_SEX = {"先生": "M", "师傅": "M", "大爷": "M", "女士": "F", "阿姨": "F", "大妈": "F"}
# Rough ages an honorific implies (老李 is old, 小王 young); used only to tell residents apart.
_HONORIFIC_AGE = {"老": (55, 120), "小": (0, 35), "师傅": (30, 70), "阿姨": (40, 120),
                  "大爷": (55, 120), "大妈": (50, 120)}


def _by_honorific(members: list[Person], attrs: dict[str, Any]) -> list[Person]:
    """Residents an honorific can mean: the surname, and the sex and age it implies."""
    surname, honorific = attrs.get("surname"), attrs.get("honorific")
    if not surname:
        return []
    fits = [p for p in members if (p.name or "").startswith(surname)]
    sex = _HONORIFIC_SEX.get(honorific or "")
    if sex:
        fits = [p for p in fits if p.gender in (sex, None)]
    ages = _HONORIFIC_AGE.get(honorific or "")
    if ages and len(fits) > 1:
        today = date.today()
        fits = [p for p in fits if p.birth is None
                or ages[0] <= (today - p.birth).days // 365 <= ages[1]]
    return fits


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
