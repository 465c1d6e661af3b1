"""The true community Party organisation: committees, branches, members, the 包联 chain, visits.

Per community one committee (党委) and 2-5 branches of the four types; about 6% of residents are
members. The responsibility chain follows the community's practice: 党委包支部 (committee members
→ branches), 书记包院 (branch secretary → compounds), 支委包楼 (branch committee members →
buildings), 党员包户 (member → 8-15 neighbouring households). About 12% of households are left
without a member on purpose, so that coverage gaps exist to be found.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

from gateway.demo.names import TODAY

if TYPE_CHECKING:
    from gateway.demo.world import Compound, Household, Person, World

BRANCH_TYPES = ("地缘型", "楼组型", "联合型", "临时型", "地缘型")
MEMBER_TYPES = ("谋划型", "知识型", "文体型", "服务型")
_ORDINALS = "一二三四五六七八九十"
UNCOVERED = 0.12  # share of households without 党员包户, on purpose
WORKPLACES = ("退休", "退休", "退休", "光明街道办事处", "北京光明纺织有限公司", "朝阳区第三小学",
              "个体经营", "光明街道社区卫生服务中心", "北京顺达物流有限公司", "无")  # fmt: skip


@dataclass(slots=True)
class Member:
    dyid: str
    person: Person
    branch: Org
    kind: str  # 谋划型 | 知识型 | 文体型 | 服务型
    joined: date
    probationary: bool
    mobile: bool
    workplace: str
    duty: str = "党员"  # 党委书记 | 党委委员 | 支部书记 | 支部委员 | 党员


@dataclass(slots=True)
class Org:
    zzid: str
    name: str
    short: str  # how members write it: 一支部
    kind: str  # 党委 | 党支部
    branch_type: str | None
    parent: Org | None
    community: int
    compounds: list[Compound] = field(default_factory=list)
    members: list[Member] = field(default_factory=list)
    secretary: Member | None = None
    committee: list[Member] = field(default_factory=list)


@dataclass(slots=True)
class Duty:
    """One 包联 responsibility; `target` is an Org, a Compound, (Compound, building) or a
    Household depending on the level."""

    blid: str
    member: Member
    level: str  # 党委包支部 | 书记包院 | 支委包楼 | 党员包户
    target: object
    community: int


@dataclass(slots=True)
class Visit:
    zfid: str
    member: Member
    household: Household
    day: date
    mode: str  # 入户 | 电话 | 微信


@dataclass(slots=True)
class Party:
    orgs: list[Org] = field(default_factory=list)
    members: list[Member] = field(default_factory=list)
    duties: list[Duty] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)
    keeper: dict[str, Member] = field(default_factory=dict)  # hid -> 党员包户 member


def _orgs(party: Party, ci: int, name: str, compounds: list[Compound], n_hh: int) -> list[Org]:
    full = f"中共{name}委员会"
    committee = Org(f"ZZ{len(party.orgs) + 1:03d}", full, "党委", "党委", None, None, ci)
    party.orgs.append(committee)
    branches = []
    for i in range(max(2, min(5, 2 + n_hh // 400))):
        ordinal = _ORDINALS[i]
        branch = Org(f"ZZ{len(party.orgs) + 1:03d}", f"{full}第{ordinal}支部委员会",
                     f"{ordinal}支部", "党支部", BRANCH_TYPES[i], committee, ci)
        party.orgs.append(branch)
        branches.append(branch)
    territorial = [b for b in branches if b.branch_type != "临时型"]
    for i, compound in enumerate(compounds):
        territorial[i % len(territorial)].compounds.append(compound)
    return branches


def _recruit(rng: random.Random, party: Party, residents: list[Person],
             branches: list[Org]) -> list[Member]:
    """About 6% of residents, older ones more often, each in the branch of their compound."""
    adults = [p for p in residents if p.age >= 22 and p.deregistered is None]
    weight = {p.pid: 2.0 if p.age >= 60 else 1.2 if p.age >= 40 else 0.7 for p in adults}
    scale = 0.06 * len(residents) / max(1.0, sum(weight.values()))
    by_compound = {id(c): b for b in branches for c in b.compounds}
    temporary = [b for b in branches if b.branch_type == "临时型"]
    members: list[Member] = []
    for p in adults:
        if rng.random() >= weight[p.pid] * scale:
            continue
        branch = by_compound[id(p.household.address.compound)]
        mobile = rng.random() < 0.05
        if temporary and (mobile or rng.random() < 0.05):
            branch = temporary[0]
        joined = TODAY - timedelta(days=rng.randint(200, max(201, (p.age - 18) * 365)))
        m = Member(f"DY{len(party.members) + len(members) + 1:05d}", p, branch,
                   rng.choice(MEMBER_TYPES), joined, joined > TODAY - timedelta(days=365),
                   mobile, rng.choice(WORKPLACES))
        p.political = "党员"
        branch.members.append(m)
        members.append(m)
    return members


def _duty(party: Party, member: Member, level: str, target: object, ci: int) -> None:
    party.duties.append(Duty(f"BL{len(party.duties) + 1:05d}", member, level, target, ci))


def _chain(rng: random.Random, party: Party, committee: Org, branches: list[Org]) -> None:
    """Committee, secretaries, branch committees and the upper three 包联 levels."""
    pool = [m for b in branches for m in b.members if not m.mobile]
    rng.shuffle(pool)
    committee.committee = pool[: min(len(pool), rng.randint(5, 7))]
    for i, m in enumerate(committee.committee):
        m.duty = "党委书记" if i == 0 else "党委委员"
    committee.secretary = committee.committee[0] if committee.committee else None
    for i, branch in enumerate(branches):
        if committee.committee:
            _duty(party, committee.committee[i % len(committee.committee)], "党委包支部",
                  branch, branch.community)
        local = [m for m in branch.members if m.duty == "党员" and not m.mobile]
        if not local:
            continue
        branch.secretary = local[0]
        local[0].duty = "支部书记"
        branch.committee = local[1 : 1 + rng.randint(2, 4)]
        for m in branch.committee:
            m.duty = "支部委员"
        for compound in branch.compounds:
            _duty(party, branch.secretary, "书记包院", compound, branch.community)
        keepers = branch.committee or [branch.secretary]
        buildings = [(c, b) for c in branch.compounds for b in range(1, c.buildings + 1)]
        for j, building in enumerate(buildings):
            _duty(party, keepers[j % len(keepers)], "支委包楼", building, branch.community)


def _households(rng: random.Random, party: Party, ci: int, households: list[Household],
                members: list[Member]) -> None:
    """党员包户: neighbouring households in chunks of 8-15, leaving about 12% uncovered."""
    covered = [h for h in households if rng.random() >= UNCOVERED]
    keepers = [m for m in members if not m.mobile]
    keepers.sort(key=lambda m: m.person.household.hid)  # neighbours take neighbours
    start = 0
    for m in keepers:
        if start >= len(covered):
            break
        size = rng.randint(8, 15)
        for hh in covered[start : start + size]:
            _duty(party, m, "党员包户", hh, ci)
            party.keeper[hh.hid] = m
        start += size


def _visits(rng: random.Random, party: Party) -> None:
    first = TODAY - timedelta(days=730)
    for duty in party.duties:
        if duty.level != "党员包户":
            continue
        for _ in range(rng.choice((0, 0, 1, 1, 1, 2, 3))):
            day = first + timedelta(days=rng.randint(0, 729))
            mode = rng.choices(("入户", "电话", "微信"), (6, 3, 1))[0]
            party.visits.append(Visit(f"ZF{len(party.visits) + 1:06d}", duty.member,
                                      duty.target, day, mode))  # type: ignore[arg-type]


def build_party(world: World, rng: random.Random) -> Party:
    party = Party()
    for ci, com in enumerate(world.communities):
        branches = _orgs(party, ci, com.name, com.compounds, len(com.households))
        residents = [p for hh in com.households for p in hh.persons]
        members = _recruit(rng, party, residents, branches)
        party.members.extend(members)
        committee = branches[0].parent
        assert committee is not None
        _chain(rng, party, committee, branches)
        _households(rng, party, ci, com.households, members)
    _visits(rng, party)
    return party
