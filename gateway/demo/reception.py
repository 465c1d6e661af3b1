"""The residents' committee's reception log (接待登记, rc table `jiedai`, docs/partners.md §1):
residents received in the 接待室, heard at a 恳谈会 (residents' forum) or visited at home (入户),
what they raised and how the committee answered.

Written in its own random stream after every other partner, so adding the log left every other
table of a seed as it was. A 恳谈会 reception falls on a day the community met (its `huiyi`
minutes). The staff write down what they were told: often only how they called the visitor
(王阿姨, 李师傅, 老李), a number sometimes noted masked, the address as the visitor said it, at a
forum often only the building.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, datetime, timedelta

from gateway.demo import names as N
from gateway.demo import noise as Z
from gateway.demo.events import Cast, Out, Row, later, moment, outsider, phone_of, pick, touched
from gateway.demo.names import TODAY
from gateway.demo.world import Person

__all__ = ["Reception"]

_CHANNELS = (("接待室", 75), ("恳谈会", 20), ("入户", 5))
_CATEGORIES = (("邻里纠纷", 16), ("环境卫生", 18), ("物业管理", 22), ("停车管理", 12),
               ("养老服务", 14), ("社会保障", 12), ("其他", 6))
_MATTERS = {
    "邻里纠纷": ("楼上住户夜间噪音影响休息", "邻居在楼道堆放杂物，协商未果", "邻居装修损坏共用管道"),
    "环境卫生": ("楼道卫生长期无人清扫", "垃圾分类桶站异味大", "绿地内犬类粪便无人清理"),
    "物业管理": ("单元门禁损坏多日未修", "电梯频繁故障，物业维修不及时", "物业费收支情况不公开"),
    "停车管理": ("消防通道被私家车占用", "外来车辆随意停放占用车位", "电动车在楼道充电存在隐患"),
    "养老服务": ("咨询社区养老助餐服务", "希望延长老年活动室开放时间", "家中独居老人希望定期探访"),
    "社会保障": ("咨询低保申请条件", "咨询城乡居民医保缴费", "咨询高龄津贴如何办理"),
    "其他": ("建议增设便民服务点", "咨询社区活动报名", "反映小区路灯不亮"),
}  # fmt: skip
_ASKS = ("希望社区协调解决。", "请社区帮助联系相关部门。", "希望尽快答复。", "")
# Days from the reception to the answer (the time limit is 7; some answers come late).
_REPLY_DAYS = ((0, 25), (1, 20), (2, 15), (3, 12), (5, 10), (7, 8), (10, 6), (14, 4))


def _matter(rng: random.Random, category: str) -> str:
    """反映事项 as noted: what was raised, and what the visitor asked for."""
    matter = rng.choice(_MATTERS[category])
    if not matter.startswith(("咨询", "建议", "希望")):
        matter = "反映" + matter
    ask = rng.choice(_ASKS)
    return f"{matter}，{ask}" if ask else matter


def _status(rng: random.Random, age: int) -> str:
    if age < 2:
        return pick(rng, (("办理中", 70), ("已答复", 25), ("已转办", 5)))
    if age < 10:
        return pick(rng, (("办理中", 30), ("已答复", 55), ("已转办", 15)))
    return pick(rng, (("已答复", 80), ("已转办", 15), ("办理中", 5)))


def _handling(rng: random.Random, when: datetime) -> tuple[str, date | None, datetime]:
    """办理情况, 答复日期 (none while 办理中) and when the row was last touched."""
    status = _status(rng, (TODAY - when.date()).days)
    if status == "办理中":
        return status, None, later(rng, when, 0.5, 4)
    wait = rng.choices([d for d, _ in _REPLY_DAYS], [w for _, w in _REPLY_DAYS])[0]
    replied = min(TODAY, when.date() + timedelta(days=wait))
    return status, replied, max(when, datetime(replied.year, replied.month, replied.day, 16, 0))


def _as_called(rng: random.Random, p: Person) -> str:
    """The visitor as the staff wrote them down: the full name, or 王阿姨 / 李师傅 / 老李."""
    if rng.random() >= Z.rate(0.25):
        return Z.name_cell(rng, p.name)
    s, female = Z.surname(p.name), p.gender == "F"
    if p.age >= 60:
        return rng.choice(("老" + s, s + ("阿姨" if female else "大爷"),
                           s + ("奶奶" if female else "叔叔")))
    if p.age >= 40:
        return s + (rng.choice(("大姐", "阿姨")) if female else "师傅")
    return s + ("女士" if female else "先生")


def _address(rng: random.Random, p: Person, channel: str) -> str | None:
    a = p.household.address
    if channel == "入户":  # written at the door
        return Z.address_cell(rng, a, compound=0.95, prefix=0.0, tail=0.0)
    r = rng.random()
    if r < Z.rate(0.06 if channel == "接待室" else 0.1):
        return None
    if channel == "恳谈会" and r < 0.45:  # a forum notes the building, not the room
        return f"{a.compound.name}{a.building}号楼"
    return Z.address_cell(rng, a, compound=0.8, prefix=0.1, tail=0.05)


def _phone(rng: random.Random, p: Person, channel: str) -> str | None:
    phone = phone_of(rng, p, shared=0.3)
    if phone and rng.random() < Z.rate(0.12):
        return Z.phone_mask(phone)
    return Z.phone_cell(rng, phone, missing=0.2 if channel == "恳谈会" else 0.05)


class Reception:
    """The log of one district: receptions numbered per day (JD-2026-0312-07)."""

    def __init__(self, out: Out, rng: random.Random, cast: Cast) -> None:
        self.out, self.rng, self.cast = out, rng, cast
        self.per_day: dict[date, int] = {}
        # The days each community met, from the minutes already written.
        self.meetings: dict[str, list[date]] = defaultdict(list)
        for row in out.rows.get("rc", {}).get("huiyi", []):
            self.meetings[row["sqbm"]].append(date.fromisoformat(row["hyrq"]))

    def _when(self, channel: str, community: str) -> datetime:
        days = self.meetings.get(community)
        if channel == "恳谈会" and days:
            day = self.rng.choice(days)
            return datetime(day.year, day.month, day.day, 15, 0)
        return moment(self.rng, hi=TODAY - timedelta(days=1))

    def _number(self, day: date) -> str:
        self.per_day[day] = self.per_day.get(day, 0) + 1
        return f"JD-{day:%Y-%m%d}-{self.per_day[day]:02d}"

    def _visitor(self, community: str) -> tuple[Person | None, Row]:
        """Who came: a resident (elders more often), now and then someone from elsewhere."""
        rng = self.rng
        if rng.random() < 0.02:
            name, _, _, phone = outsider(rng, 900_000 + sum(self.per_day.values()))
            return None, {"sqbm": community, "fyr": name, "lxdh": phone,
                          "zz": f"{rng.choice(N.ROADS)}{rng.randint(1, 200)}号"}
        p = self.cast.adult(rng, elderly=0.5)
        return p, {"sqbm": self.cast.world.communities[p.household.community].code}

    def receptions(self, n: int) -> None:
        rng, communities = self.rng, self.cast.world.communities
        for _ in range(n):
            channel = pick(rng, _CHANNELS)
            person, row = self._visitor(rng.choice(communities).code)
            when = self._when(channel, row["sqbm"])
            if person is not None:
                row |= {"fyr": _as_called(rng, person), "lxdh": _phone(rng, person, channel),
                        "zz": _address(rng, person, channel)}
            category = pick(rng, _CATEGORIES)
            status, replied, last = _handling(rng, when)
            key, day = self._number(when.date()), when.date()
            row = {"jdbh": key, "sqbm": row["sqbm"], "jdfs": channel, "jdrq": day.isoformat(),
                   "fyr": row["fyr"], "lxdh": row["lxdh"], "zz": row["zz"], "sxlb": category,
                   "fysx": _matter(rng, category), "blqk": status,
                   "dfrq": replied.isoformat() if replied else None,
                   "blsx": (day + timedelta(days=7)).isoformat(),
                   "updated_at": touched(rng, last)}
            self.out.add("rc", "jiedai", "reception", key, row, person)
