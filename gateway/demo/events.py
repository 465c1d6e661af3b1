"""What happens in the district, written down by the government partners: service-hall cases,
五卡 cards, agency errands (hall), 12345 work orders and petitions (hotline).

Each function draws true events about true persons (`world.py`) and renders them straight into
the partner's native row with its noise (`noise.py`), registering a truth line for each row in
an `Out`. Statuses follow the state machines of DOMAIN.md §3, and an event's age decides how far
along its machine it has come. Shared helpers (`Out`, `Cast`, the clock) are used by the other
renderers too.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from stdnum.cn import uscc

from gateway.demo import names as N
from gateway.demo import noise as Z
from gateway.demo.names import TODAY
from gateway.demo.world import Household, Person, World, check_char

Row = dict[str, Any]
WINDOW_START = TODAY - timedelta(days=730)
END = datetime(TODAY.year, TODAY.month, TODAY.day, 23, 59, 59)


# --- output and clock --------------------------------------------------------------------------


@dataclass(slots=True)
class Out:
    """Rows per partner and table, and one truth line per row."""

    rows: dict[str, dict[str, list[Row]]] = field(default_factory=dict)
    truth: list[Row] = field(default_factory=list)

    def add(self, partner: str, table: str, entity: str, key: str, row: Row,
            person: Person | None, household: Household | None = None, **extra: Any) -> None:
        self.rows.setdefault(partner, {}).setdefault(table, []).append(row)
        hh = household or (person.household if person else None)
        line = {"partner": partner, "entity": entity, "local_id": key,
                "person": person.pid if person else None, "household": hh.hid if hh else None}
        self.truth.append(line | extra if extra else line)


def moment(rng: random.Random, lo: date = WINDOW_START, hi: date = TODAY) -> datetime:
    """A time during office hours on a day in [lo, hi]."""
    day = lo + timedelta(days=rng.randint(0, max(0, (hi - lo).days)))
    return datetime(day.year, day.month, day.day, 8, 30) + timedelta(seconds=rng.randint(0, 32400))


def later(rng: random.Random, t: datetime, lo_hours: float, hi_hours: float) -> datetime:
    """A time lo..hi hours after t, but never after the end of TODAY (nothing happened yet)."""
    room = max(0, int((END - t).total_seconds()))
    hi = min(int(hi_hours * 3600), room)
    return t + timedelta(seconds=rng.randint(min(int(lo_hours * 3600), hi), hi))


def ts(t: datetime | None) -> str | None:
    return t.isoformat(" ") if t else None


def touched(rng: random.Random, t: datetime) -> str:
    """An update time: the last action plus a little, never after the end of TODAY."""
    return later(rng, t, 0.05, 30).isoformat(" ")


def pick(rng: random.Random, options: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([o for o, _ in options], [w for _, w in options])[0]


class Cast:
    """Who events happen to: active residents grouped by age, sex and household."""

    def __init__(self, world: World) -> None:
        active = [p for p in world.persons if p.deregistered is None]
        self.world = world
        self.adults = [p for p in active if p.age >= 18]
        self.elders = [p for p in self.adults if p.age >= 60]
        self.children = [p for p in active if 6 <= p.age <= 17]
        self.women = [p for p in self.adults if p.gender == "F" and p.age <= 70]
        self.youth = [p for p in active if 14 <= p.age <= 45]
        self.workers = [p for p in self.adults if 25 <= p.age <= 60]

    def adult(self, rng: random.Random, elderly: float = 0.35) -> Person:
        pool = self.elders if self.elders and rng.random() < elderly else self.adults
        return rng.choice(pool)

    def agent_of(self, rng: random.Random, person: Person) -> Person | None:
        """A younger adult of the same household who does paperwork for the person."""
        others = [p for p in person.household.persons
                  if p is not person and p.deregistered is None and 18 <= p.age < 60]
        return rng.choice(others) if others else None


def phone_of(rng: random.Random, p: Person, *, shared: float = 0.25) -> str | None:
    """The number a person gives: their own, or often the household's."""
    if p.phone is None or rng.random() < shared:
        return p.household.phone or p.phone
    return p.phone


def outsider(rng: random.Random, seq: int) -> tuple[str, str, str, str]:
    """A person from outside the district: name, gender, ID number, phone (unique by seq)."""
    gender = rng.choice("MF")
    surname = rng.choice(N.SURNAMES)[0]
    given = rng.choice(N.POPULAR[("mid", gender)])
    birth = TODAY - timedelta(days=rng.randint(20 * 365, 70 * 365))
    body = f"{rng.choice(N.OTHER_COUNTIES)}{birth:%Y%m%d}{(seq * 2 + (gender == 'M')) % 1000:03d}"
    phone = f"17{seq % 10}{rng.randrange(10**8):08d}"
    return surname + given, gender, body + check_char(body), phone


# --- service hall ------------------------------------------------------------------------------


def _hall_status(rng: random.Random, age_days: int) -> str:
    if age_days > 30:
        return pick(rng, (("已评价", 50), ("已送达", 25), ("已办结", 15), ("不予受理", 4),
                          ("已撤回", 3), ("需补正", 3)))
    if age_days > 7:
        return pick(rng, (("办理中", 30), ("已办结", 40), ("已送达", 15), ("已评价", 10),
                          ("需补正", 5)))
    return pick(rng, (("已提交", 15), ("预审中", 25), ("已受理", 30), ("办理中", 25),
                      ("需补正", 5)))


_DONE = ("已办结", "已送达", "已评价")
_COMPANIES = ("北京光明纺织有限公司", "北京顺达物流有限公司", "北京翠湖物业服务有限公司")


class Hall:
    """Case numbers and rows of the service hall (办件, 五卡, 代办)."""

    def __init__(self, out: Out, rng: random.Random, cast: Cast) -> None:
        self.out, self.rng, self.cast = out, rng, cast
        self.per_day: dict[str, int] = {}
        self.cards: dict[str, int] = {}

    def _serial(self, prefix: str) -> int:
        self.per_day[prefix] = self.per_day.get(prefix, 0) + 1
        return self.per_day[prefix]

    def case(self, person: Person | None, when: datetime, item: tuple[str, str]) -> str:
        rng = self.rng
        bjbh = f"DJ{when:%Y%m%d}{self._serial(f'DJ{when:%Y%m%d}'):05d}"
        status = _hall_status(rng, (TODAY - when.date()).days)
        promised = when + timedelta(days=rng.choice((5, 7, 10, 15, 20)))  # may lie ahead
        done = later(rng, when, 4, 24 * 18) if status in _DONE else None
        row: Row = {"bjbh": bjbh, "sxbm": item[0], "sxmc": item[1], "sqrlx": "1"}
        row |= self._applicant(person)
        row |= {"slsj": ts(when), "cnbjsj": ts(promised), "bjsj": ts(done), "bjzt": status,
                "bljg": ("准予" if rng.random() < 0.95 else "不予") if done else None,
                "slck": rng.choice(N.HALL_WINDOWS), "slr": rng.choice(N.STAFF),
                "pj": pick(rng, (("非常满意", 55), ("满意", 30), ("基本满意", 10), ("不满意", 4),
                                 ("非常不满意", 1))) if status == "已评价" else None,
                "gxsj": touched(rng, done or when)}
        self.out.add("hall", "banjian", "service_case", bjbh, row, person)
        return bjbh

    def _applicant(self, person: Person | None) -> Row:
        rng = self.rng
        if person is None:  # a company applies (申请人类型 2): no resident behind it
            name = rng.choice(_COMPANIES)
            code = f"911101057{rng.randrange(10**8):08d}"
            return {"sqrlx": "2", "sqrxm": name, "zjlx": "统一社会信用代码",
                    "zjhm": code + uscc.calc_check_digit(code), "lxdh": None}
        agent = self.cast.agent_of(rng, person)
        id_number = person.id_number
        if agent and rng.random() < Z.rate(0.03):  # the agent's ID typed instead of the applicant's
            id_number = agent.id_number
        phone = phone_of(rng, person)
        if agent and person.age >= 70 and rng.random() < 0.4:  # the child who came along
            phone = agent.phone or phone
        return {"sqrxm": Z.name_cell(rng, person.name), "zjlx": "身份证",
                "zjhm": Z.id_cell(rng, id_number, typo=0.01, fmt=0.02, missing=0.01),
                "lxdh": Z.phone_cell(rng, phone, missing=0.02)}

    def cases(self, n: int) -> None:
        rng = self.rng
        for _ in range(n):
            person = None if rng.random() < 0.01 else self.cast.adult(rng)
            self.case(person, moment(rng), rng.choice(N.SERVICE_ITEMS))

    def cards_(self, n: int) -> None:
        rng, cast = self.rng, self.cast
        for _ in range(n):
            kind, letter = rng.choice(N.CARD_KINDS)
            pool = cast.children if kind == "助学卡" else cast.elders if kind in (
                "医疗卡", "服务卡") else cast.adults
            p = rng.choice(pool or cast.adults)
            self.cards[letter] = self.cards.get(letter, 0) + 1
            kh = f"WK{letter}{self.cards[letter]:06d}"
            issued = moment(rng)
            age = (TODAY - issued.date()).days
            status = ("已发放" if age < 30 else "已过期" if age > 400 and rng.random() < 0.3
                      else "已注销" if rng.random() < 0.05 else "使用中")
            row = {"kh": kh, "klx": kind, "cyrxm": Z.name_cell(rng, p.name),
                   "zjhm": Z.id_cell(rng, p.id_number, typo=0.01, fmt=0.02, missing=0.03),
                   "lxdh": Z.phone_cell(rng, phone_of(rng, p, shared=0.4)),
                   "zz": Z.address_cell(rng, p.household.address, compound=0.8),
                   "ffrq": issued.date().isoformat(), "zt": status,
                   "gxsj": touched(rng, later(rng, issued, 0, 24 * age))}
            self.out.add("hall", "wuka", "care_card", kh, row, p)

    def errands(self, n: int) -> None:
        rng = self.rng
        for _ in range(n):
            p = self.cast.adult(rng, elderly=0.8)
            got = moment(rng)
            dbdh = f"DB-{got:%Y-%m%d}-{self._serial(f'DB{got:%Y%m%d}'):02d}"
            age = (TODAY - got.date()).days
            sent = later(rng, got, 20, 72) if age > 3 else None
            back = later(rng, sent, 72, 360) if sent and age > 15 else None
            status = ("已办结" if back else "退回补件" if sent and rng.random() < 0.1
                      else "已送件" if sent else "已接件")
            item = rng.choice(N.ERRANDS)
            linked = None
            if sent and rng.random() < 0.35:  # the hall case it became, when anyone noted it
                code = next(i for i in N.SERVICE_ITEMS if i[1] == item)
                linked = self.case(p, sent, code)
            row = {"dbdh": dbdh, "jmxm": Z.name_cell(rng, p.name),
                   "lxdh": Z.phone_cell(rng, phone_of(rng, p, shared=0.4), missing=0.02),
                   "zz": Z.address_cell(rng, p.household.address, compound=0.35, prefix=0.0),
                   "sqbm": self.cast.world.communities[p.household.community].code,
                   "dbsx": item, "jjrq": got.date().isoformat(),
                   "sjrq": sent.date().isoformat() if sent else None,
                   "qjrq": back.date().isoformat() if back else None, "zt": status,
                   "dby": rng.choice(N.STAFF), "glbjbh": linked,
                   "gxsj": touched(rng, back or sent or got)}
            self.out.add("hall", "daiban", "errand", dbdh, row, p)
