"""The true world of the synthetic district, before any partner writes it down.

One street (光明街道, 110105001) with communities → compounds → buildings → entrances → floors →
rooms, households living in rooms, persons in households (names, valid GB 11643 ID numbers,
phones, relations to the head), and the community Party organisation with its 包联 chain.
Partner rows (`events.py`, `generator.py`) are renderings of this world with noise; the truth
ids (`P000123`, `H00042`) are what an evaluation compares a linker's answer against.

Everything is drawn from one `random.Random`, so a seed fixes the world.
"""

from __future__ import annotations

import random
from bisect import bisect
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate

from gateway.demo import names as N
from gateway.demo.names import TODAY
from gateway.demo.party import Party, build_party

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151",
                    "152", "155", "156", "158", "159", "166", "176", "177", "180", "182", "185",
                    "186", "187", "188", "189", "191", "198", "199")  # fmt: skip
GRID_SIZE = 300


def check_char(first17: str) -> str:
    """GB 11643 check character of the first 17 characters."""
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


@dataclass(slots=True)
class Compound:
    community: int
    name: str
    stem: str
    suffix: str
    buildings: int
    entrances: int
    floors: int
    per_floor: int


@dataclass(frozen=True, slots=True)
class Address:
    """A room: `room` is the door number `FF0R` (301 = floor 3 room 1)."""

    community: str
    compound: Compound
    building: int
    entrance: int
    floor: int
    room: int


@dataclass(slots=True)
class Person:
    pid: str
    name: str
    gender: str  # 'M' | 'F'
    birth: date
    id_number: str
    ethnicity: str
    relation: str  # canonical: 户主/配偶/子/女/父亲/母亲/孙子/孙女/其他
    phone: str | None
    household: Household
    political: str = "群众"  # 群众 | 党员 | 团员
    tags: list[str] = field(default_factory=list)
    deregistered: date | None = None

    @property
    def age(self) -> int:
        return (TODAY - self.birth).days // 365


@dataclass(slots=True)
class Household:
    hid: str
    community: int
    address: Address
    population: str  # 户籍人口 | 流动人口 | 人户分离
    kind: str = "家庭户"
    persons: list[Person] = field(default_factory=list)
    hubh: str = ""
    grid: int = 1
    registered: date = TODAY

    @property
    def head(self) -> Person:
        return self.persons[0]

    @property
    def phone(self) -> str | None:
        """The one number the whole household gives (usually the head's)."""
        return next((p.phone for p in self.persons if p.phone), None)


@dataclass(slots=True)
class Community:
    code: str
    name: str
    stem: str
    compounds: list[Compound] = field(default_factory=list)
    households: list[Household] = field(default_factory=list)


@dataclass(slots=True)
class World:
    seed: int
    communities: list[Community]
    households: list[Household]
    persons: list[Person]
    party: Party = field(default_factory=Party)


class _Draw:
    """Random draws shared by the builders, with the uniqueness sets for IDs and phones."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.ids: set[str] = set()
        self.phones: set[str] = set()
        self._surnames = [s for s, _ in N.SURNAMES]
        self._cum = list(accumulate(w for _, w in N.SURNAMES))
        self._eth = [e for e, _ in N.ETHNICITIES]
        self._eth_cum = list(accumulate(w for _, w in N.ETHNICITIES))

    def surname(self) -> str:
        return self._surnames[bisect(self._cum, self.rng.random() * self._cum[-1])]

    def ethnicity(self) -> str:
        return self._eth[bisect(self._eth_cum, self.rng.random() * self._eth_cum[-1])]

    def given(self, gender: str, birth: date) -> str:
        era = "old" if birth.year < 1965 else "mid" if birth.year < 1990 else "new"
        if self.rng.random() < 0.45:  # popular names: the namesake generator
            return self.rng.choice(N.POPULAR[(era, gender)])
        chars = N.NAME_CHARS[gender]
        n = 1 if self.rng.random() < 0.3 else 2
        return "".join(self.rng.choice(chars) for _ in range(n))

    def birth(self, age_lo: int, age_hi: int) -> date:
        days = self.rng.randint(age_lo * 365, age_hi * 365 + 364)
        return TODAY - timedelta(days=days)

    def id_number(self, county: str, birth: date, gender: str) -> str:
        while True:
            seq = self.rng.randrange(0, 999, 2) + (1 if gender == "M" else 0)
            body = f"{county}{birth:%Y%m%d}{seq:03d}"
            full = body + check_char(body)
            if full not in self.ids:
                self.ids.add(full)
                return full

    def phone(self) -> str:
        while True:
            number = self.rng.choice(_MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self.phones:
                self.phones.add(number)
                return number


# --- places ------------------------------------------------------------------------------------


def _compounds(draw: _Draw, community: int, stem: str, n_households: int,
               stems: list[str]) -> list[Compound]:
    rng = draw.rng
    k = max(3, min(8, n_households // 120))
    shares = [rng.uniform(0.5, 1.5) for _ in range(k)]
    total = sum(shares)
    out = []
    for i, share in enumerate(shares):
        want = max(4, round(n_households * share / total * 1.2))  # ~80% of rooms occupied
        # Past ~60 compounds the stems run out: reuse the community's with a direction.
        cstem = stem if i == 0 else stems.pop() if stems else stem + "东西南北中"[i % 5]
        suffix = "花园" if i == 0 else _suffix(rng, cstem)
        if want < 300:  # small old courtyards: walk-ups
            entrances, floors, per_floor = rng.randint(1, 3), rng.randint(4, 6), 2
        else:
            entrances, floors = rng.randint(2, 6), rng.choice((6, 6, 11, 18, 24, 28, 33))
            per_floor = rng.randint(2, 4)
        while want > 40 * entrances * floors * per_floor and floors < 33:
            floors = min(33, floors + 6)  # a big estate builds high, not 200 walk-ups
        buildings = max(1, -(-want // (entrances * floors * per_floor)))
        out.append(Compound(community, cstem + suffix, cstem, suffix, buildings, entrances,
                            floors, per_floor))
    return out


def _suffix(rng: random.Random, stem: str) -> str:
    if stem.endswith("里"):
        return "小区"
    if stem in N.WORK_UNIT_STEMS:  # work-unit courtyards
        return "大院"
    return rng.choice(N.COMPOUND_SUFFIXES)


def _rooms(compound: Compound, community_name: str) -> list[Address]:
    c = compound
    return [
        Address(community_name, c, b, e, f, f * 100 + r)
        for b in range(1, c.buildings + 1)
        for e in range(1, c.entrances + 1)
        for f in range(1, c.floors + 1)
        for r in range(1, c.per_floor + 1)
    ]


def _place_households(draw: _Draw, community: Community, n: int) -> list[Address]:
    """Rooms for n households, in register order (compound, building, entrance, room)."""
    rooms = [a for c in community.compounds for a in _rooms(c, community.name)]
    if len(rooms) < n:  # a tiny district: let rooms repeat rather than fail
        rooms = rooms * (n // len(rooms) + 1)
    picked = sorted(draw.rng.sample(range(len(rooms)), n))
    return [rooms[i] for i in picked]


# --- people ------------------------------------------------------------------------------------


def _member(draw: _Draw, hh: Household, county: str, *, gender: str, ages: tuple[int, int],
            relation: str, surname: str | None = None, birth: date | None = None) -> Person:
    birth = birth or draw.birth(*ages)
    name = (surname or draw.surname()) + draw.given(gender, birth)
    adult = (TODAY - birth).days >= 16 * 365
    has_phone = adult and draw.rng.random() < (0.95 if ages[1] < 70 else 0.7)
    return Person("", name, gender, birth, draw.id_number(county, birth, gender),
                  draw.ethnicity(), relation, draw.phone() if has_phone else None, hh)


def _family(draw: _Draw, hh: Household, county: str) -> None:
    """Fill a household with a plausible family (about 2.7 persons on average)."""
    rng, add = draw.rng, hh.persons.append
    r = rng.random()
    if r < 0.02:  # 集体户: unrelated workers sharing a flat
        hh.kind = "集体户"
        for i in range(rng.randint(2, 4)):
            add(_member(draw, hh, county, gender=rng.choice("MF"), ages=(19, 45),
                        relation="户主" if i == 0 else "其他"))
        return
    old = rng.random() < 0.6
    if r < 0.20:  # one person
        add(_member(draw, hh, county, gender=rng.choice("MF"),
                    ages=(62, 92) if old else (22, 40), relation="户主"))
        return
    ages = (58, 88) if r < 0.47 and old else (26, 55)
    his, hers = draw.surname(), draw.surname()
    man = _member(draw, hh, county, gender="M", ages=ages, relation="户主", surname=his)
    near = man.birth + timedelta(days=rng.randint(-700, 2500))  # wives mostly a bit younger
    wife = _member(draw, hh, county, gender="F", ages=ages, relation="配偶", surname=hers,
                   birth=min(near, TODAY - timedelta(days=20 * 365)))
    if rng.random() < 0.22:  # the wife is registered as head
        man.relation, wife.relation = "配偶", "户主"
        hh.persons.extend((wife, man))
    else:
        hh.persons.extend((man, wife))
    if r < 0.47:
        return
    hi = max(0, min(man.age, wife.age) - 22)
    for _ in range(1 if rng.random() < 0.7 else 2):
        g = rng.choice("MF")
        add(_member(draw, hh, county, gender=g, ages=(0, min(hi, 28)),
                    relation="子" if g == "M" else "女", surname=his))
    if r >= 0.85:  # three generations: the head's parents live in
        head_surname = his if hh.persons[0] is man else hers
        lo = min(hh.persons[0].age + 22, 85)
        add(_member(draw, hh, county, gender="F", ages=(lo, lo + 8), relation="母亲"))
        if rng.random() < 0.6:
            add(_member(draw, hh, county, gender="M", ages=(lo, lo + 8), relation="父亲",
                        surname=head_surname))


def _tag(draw: _Draw, hh: Household) -> None:
    rng = draw.rng
    poor = rng.random() < 0.03
    for p in hh.persons:
        if poor and p.relation == "户主":
            p.tags.append("低保")
        if rng.random() < 0.02:
            p.tags.append("残疾")
        if p.gender == "M" and p.age >= 40 and rng.random() < 0.04:
            p.tags.append("退役军人")
        if 12 <= p.age <= 25 and rng.random() < 0.02:
            p.tags.append("重点青少年")
        if 14 <= p.age <= 28 and rng.random() < 0.4:
            p.political = "团员"
    elderly = all(p.age >= 60 for p in hh.persons)
    if elderly and len(hh.persons) == 1:
        hh.head.tags.append("独居老人")
    elif elderly:
        hh.head.tags.append("空巢")


def _household(draw: _Draw, n: int, community: int, address: Address) -> Household:
    rng = draw.rng
    r = rng.random()
    population = "户籍人口" if r < 0.76 else "流动人口" if r < 0.95 else "人户分离"
    hh = Household(f"H{n:05d}", community, address, population)
    county = rng.choice(N.OTHER_COUNTIES) if population == "流动人口" else N.LOCAL_COUNTY
    _family(draw, hh, county)
    _tag(draw, hh)
    hh.registered = TODAY - timedelta(days=rng.randint(60, 365 * 20))
    for p in hh.persons:
        if rng.random() < 0.015 and p.relation != "户主":  # moved out or died, still listed
            p.deregistered = TODAY - timedelta(days=rng.randint(10, 700))
    return hh


def build_world(households: int = 3000, *, seed: int = 20261129, communities: int = 3) -> World:
    """The seeded true world: places, households, persons, then the Party structure."""
    draw = _Draw(random.Random(f"{seed}:world"))
    stems = [s for s in N.COMPOUND_STEMS if s not in N.COMMUNITY_STEMS]
    draw.rng.shuffle(stems)
    comms: list[Community] = []
    all_hh: list[Household] = []
    per = [households // communities + (1 if i < households % communities else 0)
           for i in range(communities)]
    for ci in range(communities):
        lap, i = divmod(ci, len(N.COMMUNITY_STEMS))
        stem = N.COMMUNITY_STEMS[i] + ("" if lap == 0 else "第二第三第四第五"[2 * lap - 2 : 2 * lap])
        com = Community(f"{N.STREET_CODE}{ci + 1:03d}", f"{stem}社区", stem)
        com.compounds = _compounds(draw, ci, stem, per[ci], stems)
        for i, address in enumerate(_place_households(draw, com, per[ci])):
            hh = _household(draw, len(all_hh) + 1, ci, address)
            hh.grid = i // GRID_SIZE + 1
            hh.hubh = f"{com.code}-{hh.grid:02d}-{i % GRID_SIZE + 1:04d}"
            com.households.append(hh)
            all_hh.append(hh)
        comms.append(com)
    persons = [p for hh in all_hh for p in hh.persons]
    for i, p in enumerate(persons, 1):
        p.pid = f"P{i:06d}"
    world = World(seed, comms, all_hh, persons)
    world.party = build_party(world, random.Random(f"{seed}:party"))
    return world

