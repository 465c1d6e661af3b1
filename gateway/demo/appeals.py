"""Residents' appeals and conflicts: 12345 work orders and petitions (hotline), disputes
(mediation platform).

The hotline hides who called (honorific names, masked numbers) and keeps the address inside the
free-text 诉求内容; some callers repeat the same issue (重复件). A share of disputes was also
reported to 12345: their `relatedTicketNo` is the `gdbh` of a work order generated here for the
same applicant. Statuses follow DOMAIN.md §3.3, §3.4 and §3.1.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from gateway.demo import names as N
from gateway.demo import noise as Z
from gateway.demo.events import (
    END,
    Cast,
    Out,
    Row,
    later,
    moment,
    outsider,
    phone_of,
    pick,
    touched,
    ts,
)
from gateway.demo.names import TODAY
from gateway.demo.world import Address, Person

_CHANNELS = (("电话", 70), ("网站", 8), ("微信", 8), ("APP", 10), ("转办", 4))
_KINDS = (("咨询", 25), ("求助", 20), ("投诉", 35), ("举报", 8), ("建议", 10), ("表扬", 2))
_ASKS = ("希望尽快处理。", "要求相关部门解决。", "请尽快给予答复。", "希望有关部门协调。")
_SATISFACTION = (("满意", 70), ("基本满意", 20), ("不满意", 10))


def _ticket_flow(rng: random.Random, when: datetime, kind: str) -> Row:
    """How far along the 12345 machine a ticket has come, with its timestamps."""
    age = (END - when).days
    if kind == "咨询" and rng.random() < 0.5:  # answered during the call
        done = later(rng, when, 0.05, 0.5)
        return {"zt": "直接答复" if age < 1 else "已归档", "pdsj": None, "qssj": None,
                "bjsj": ts(done), "myd": "满意" if age >= 1 and rng.random() < 0.7 else None,
                "_last": done}
    if age < 1:
        zt = pick(rng, (("已受理", 30), ("待派遣", 40), ("已派遣", 30)))
    elif age < 3:
        zt = pick(rng, (("已派遣", 20), ("退单审核", 5), ("已签收", 25), ("办理中", 50)))
    elif age < 20:
        zt = pick(rng, (("办理中", 35), ("已回复", 30), ("回访中", 15), ("重办", 5), ("已归档", 15)))
    else:
        zt = pick(rng, (("已归档", 88), ("回访中", 2), ("重办", 3), ("已回复", 3), ("办理中", 4)))
    dispatched = later(rng, when, 0.5, 4) if zt not in ("已受理", "待派遣") else None
    signed = later(rng, dispatched, 0.5, 24) if dispatched and zt not in (
        "已派遣", "退单审核") else None
    replied = later(rng, signed, 24, 24 * min(15, max(1, age))) if signed and zt in (
        "已回复", "回访中", "重办", "已归档") else None
    myd = "不满意" if zt == "重办" else pick(rng, _SATISFACTION) if zt == "已归档" else None
    return {"zt": zt, "pdsj": ts(dispatched), "qssj": ts(signed), "bjsj": ts(replied),
            "myd": myd, "_last": replied or signed or dispatched or when}


class Hotline:
    """12345 work orders and petitions, numbered as the platform numbers them."""

    def __init__(self, out: Out, rng: random.Random, cast: Cast) -> None:
        self.out, self.rng, self.cast = out, rng, cast
        self.seq = 0
        self.petition_seq = 0

    def ticket(self, person: Person | None, when: datetime, topic: tuple[str, str], *,
               place: Address, caller: tuple[str, str, int, str] | None = None,
               duplicate_of: str | None = None) -> str:
        """One work order; `caller` (name, gender, age, phone) when not a resident."""
        rng = self.rng
        self.seq += 1
        gdbh = f"{when:%y%m%d%H%M%S}{self.seq % 10**6:06d}"
        if person is not None:
            phone = phone_of(rng, person, shared=0.3) or ""
            name, gender, age = person.name, person.gender, person.age
        else:
            assert caller is not None
            name, gender, age, phone = caller
        sqr = Z.honorific(rng, name, gender, age)
        kind = "投诉" if topic[0].endswith("邻里纠纷") else pick(rng, _KINDS)
        if rng.random() < Z.rate(0.06):  # only the compound, no room
            where = place.community + place.compound.name + "小区内"
        else:
            where = place.community + Z.address_cell(rng, place, compound=0.9, prefix=0.0)
        text = f"{'市民' if sqr == '匿名' else sqr}来电反映：{where}{topic[1]}，{rng.choice(_ASKS)}"
        if phone and rng.random() < 0.1:  # the operator typed the callback number into the text
            text += f"联系电话{phone}。"
        if not phone:  # called from a borrowed or unlisted number
            phone = f"13{rng.randrange(10**9):09d}"
        flow = _ticket_flow(rng, when, kind)
        due = when + timedelta(days=4 if kind in ("咨询", "求助") else 18)
        units = rng.choice(N.HOTLINE_UNITS)
        row: Row = {"gdbh": gdbh, "ldsj": ts(when), "ldhm": Z.phone_mask(phone), "sqr": sqr,
                    "sqqd": pick(rng, _CHANNELS), "sqlx": kind, "sqfl": topic[0], "sqnr": text,
                    "sfdz": self._sfdz(place), "ssjd": N.STREET_NAME, "sssq": place.community,
                    "cbdw": rng.choice(units), "pdsj": flow["pdsj"], "qssj": flow["qssj"],
                    "blsx": ts(due), "bjsj": flow["bjsj"], "zt": flow["zt"], "myd": flow["myd"],
                    "cfjglgd": duplicate_of, "gxsj": touched(rng, flow["_last"])}
        self.out.add("hotline", "workorders", "ticket", gdbh, row, person)
        return gdbh

    def _sfdz(self, place: Address) -> str | None:
        r = self.rng.random()
        if r < 0.3:
            return Z.address_cell(self.rng, place, compound=0.95)
        return "" if r < 0.7 else None

    def tickets(self, n: int) -> None:
        """n work orders, about one in ten a repeat (重复件) of an earlier one."""
        rng, made = self.rng, 0
        while made < n:
            when = moment(rng, hi=TODAY - timedelta(days=2))
            topic = rng.choice(N.HOTLINE_TOPICS)
            if rng.random() < 0.02:  # someone from elsewhere calls about the district
                place = rng.choice(self.cast.adults).household.address
                name, gender, _, phone = outsider(rng, self.seq)
                first = self.ticket(None, when, topic, place=place,
                                    caller=(name, gender, 40, phone))
                made += 1
                continue
            person = self.cast.adult(rng, elderly=0.3)
            place = person.household.address
            first = self.ticket(person, when, topic, place=place)
            made += 1
            if rng.random() < 0.03:  # the same issue again, 2-5 times
                for _ in range(rng.randint(2, 5)):
                    when = later(rng, when, 24, 24 * 10)
                    self.ticket(person, when, topic, place=place, duplicate_of=first)
                    made += 1

    def petitions(self, n: int) -> None:
        rng = self.rng
        for _ in range(n):
            self.petition_seq += 1
            day = moment(rng)
            key = f"XF{day.year}{self.petition_seq:06d}"
            person: Person | None = None
            if rng.random() < 0.1:  # a petitioner registered elsewhere
                name, gender, id_number, phone = outsider(rng, self.petition_seq)
                address = rng.choice(("河北省石家庄市长安区建华街12号", "河南省郑州市金水区经三路8号",
                                      "山东省济南市历下区文化东路66号"))
            else:
                person = self.cast.adult(rng, elderly=0.4)
                name, id_number = person.name, person.id_number
                phone = phone_of(rng, person, shared=0.2) or ""
                address = Z.address_cell(rng, person.household.address, prefix=0.5)
            group = rng.random() < 0.1
            row = {"xfjbh": key, "xfxs": pick(rng, (("来信", 25), ("来访", 40), ("网上", 25),
                                                   ("电话", 10))),
                   "xfrq": day.date().isoformat(),
                   "xfr": Z.name_cell(rng, name) + ("等" if group else ""),
                   "rs": rng.randint(5, 30) if group else 1,
                   "sfzh": Z.id_cell(rng, id_number, typo=0.01, fmt=0.03, missing=0.1),
                   "dh": Z.phone_cell(rng, phone or None), "zz": address,
                   "xfsx": rng.choice(N.PETITION_MATTERS),
                   "wtsd": N.STREET_NAME + (person.household.address.community if person else ""),
                   "zt": _petition_status(rng, (TODAY - day.date()).days),
                   "blsx": (day.date() + timedelta(days=60)).isoformat(),
                   "gxsj": touched(rng, later(rng, day, 0, 24 * 60))}
            self.out.add("hotline", "petitions", "petition", key, row, person)


def _petition_status(rng: random.Random, age: int) -> str:
    if age < 15:
        return pick(rng, (("已登记", 60), ("已受理", 30), ("已转送", 10)))
    if age < 75:
        return pick(rng, (("办理中", 60), ("已出具意见", 20), ("已受理", 10), ("不予受理", 5),
                          ("已转送", 5)))
    return pick(rng, (("已办结", 70), ("已出具意见", 8), ("复查中", 8), ("复核中", 4),
                      ("不予受理", 5), ("已转送", 5)))


# --- disputes ----------------------------------------------------------------------------------

_SUMMARIES = {
    "邻里纠纷": "双方因楼道堆物及噪音问题多次发生口角", "婚姻家庭纠纷": "夫妻因家庭琐事及子女抚养问题产生矛盾",
    "损害赔偿纠纷": "楼上漏水造成楼下装修损坏，双方就赔偿金额协商未果",
    "房屋宅基地纠纷": "双方因房屋产权及使用问题发生争执", "医疗纠纷": "患者家属对诊疗结果不满",
    "物业纠纷": "业主以服务不到位为由拒交物业费", "合同纠纷": "双方就装修合同履行发生争议",
    "劳动争议纠纷": "申请人主张被拖欠工资", "消费纠纷": "申请人购买的商品存在质量问题",
    "其他纠纷": "双方因停车位使用发生争执",
}  # fmt: skip
_MONEY = ("损害赔偿纠纷", "合同纠纷", "劳动争议纠纷", "消费纠纷", "医疗纠纷")
_SUCCESS = ("AGREEMENT_REACHED", "JUDICIAL_CONFIRMATION_PENDING", "CONFIRMED", "INVALIDATED",
            "PERFORMING", "FOLLOWED_UP", "CLOSED")


def _dispute_status(rng: random.Random, age: int, risk: str | None) -> str:
    if risk == "红" and age >= 1:  # red risk is escalated at once
        return "ESCALATED"
    if age < 3:
        return pick(rng, (("DISCOVERED", 20), ("REGISTERED", 50), ("ASSIGNED", 30)))
    if age < 30:
        return pick(rng, (("IN_MEDIATION", 45), ("AGREEMENT_REACHED", 20), ("PERFORMING", 15),
                          ("MEDIATION_FAILED", 5), ("ASSIGNED", 5), ("NOT_ACCEPTED", 4),
                          ("TERMINATED", 3), ("JUDICIAL_CONFIRMATION_PENDING", 3)))
    return pick(rng, (("CLOSED", 60), ("FOLLOWED_UP", 10), ("PERFORMING", 6), ("ESCALATED", 6),
                      ("TERMINATED", 5), ("CONFIRMED", 4), ("MEDIATION_FAILED", 3),
                      ("NOT_ACCEPTED", 3), ("REOPENED", 1), ("INVALIDATED", 1),
                      ("IN_MEDIATION", 1)))


def _result(status: str) -> str | None:
    if status in _SUCCESS:
        return "成功"
    if status in ("MEDIATION_FAILED", "ESCALATED"):
        return "不成功"
    return "终止" if status == "TERMINATED" else None


class Mediation:
    """Disputes of the 调委会 platform; some also reported to 12345 (`relatedTicketNo`)."""

    def __init__(self, out: Out, rng: random.Random, cast: Cast, hotline: Hotline) -> None:
        self.out, self.rng, self.cast, self.hotline = out, rng, cast, hotline
        self.per_year: dict[int, int] = {}
        self.agreements: dict[int, int] = {}

    def _counter(self, table: dict[int, int], year: int) -> int:
        table[year] = table.get(year, 0) + 1
        return table[year]

    def _respondent(self, category: str, p: Person) -> Person | str | None:
        """The other party: spouse, a neighbour, a company, or nobody the register knows."""
        rng, hh = self.rng, p.household
        if category == "婚姻家庭纠纷":
            others = [q for q in hh.persons if q is not p and q.age >= 18]
            return others[0] if others else None
        if category == "物业纠纷":
            return f"北京{hh.address.compound.stem}物业服务有限公司"
        if category in ("医疗纠纷", "劳动争议纠纷", "消费纠纷"):
            return rng.choice(N.UNIONS_EMPLOYERS[:5])
        households = self.cast.world.households
        i = int(hh.hid[1:]) - 1 + rng.choice((-3, -2, -1, 1, 2, 3))
        near = households[i % len(households)]
        adults = [q for q in near.persons if q.age >= 18 and q.deregistered is None]
        return rng.choice(adults) if adults else None

    def _party(self, role: str, who: Person | str | None) -> Row:
        rng = self.rng
        if isinstance(who, str):
            return {"role": role, "name": who, "gender": None, "idNumber": None,
                    "phone": f"010-6{rng.randrange(10**7):07d}", "address": None}
        if who is None:
            name, gender, _, phone = outsider(rng, rng.randrange(10**6))
            return {"role": role, "name": name, "gender": "男" if gender == "M" else "女",
                    "idNumber": None, "phone": phone, "address": None}
        return {"role": role, "name": Z.name_cell(rng, who.name),
                "gender": "男" if who.gender == "M" else "女",
                "idNumber": Z.id_cell(rng, who.id_number, typo=0.01, fmt=0.03, missing=0.2),
                "phone": Z.phone_cell(rng, phone_of(rng, who, shared=0.2)),
                "address": Z.address_cell(rng, who.household.address, prefix=0.3)}

    def disputes(self, n: int) -> None:
        rng = self.rng
        categories, sources = N.DISPUTE_CATEGORIES, N.DISPUTE_SOURCES
        for i in range(1, n + 1):
            p = self.cast.adult(rng, elderly=0.3)
            category, source = pick(rng, categories), pick(rng, sources)
            other = self._respondent(category, p)
            occurred = moment(rng, hi=TODAY - timedelta(days=1))
            accepted = later(rng, occurred, 2, 24 * 10)
            related = None
            if source == "12345转办" or rng.random() < 0.12:
                topic = ("社会管理>邻里关系>邻里纠纷", _SUMMARIES[category])
                related = self.hotline.ticket(p, later(rng, occurred, 0.2, 20), topic,
                                              place=p.household.address)
            risk = rng.choices(("黄", "橙", "红", None), (70, 8, 2, 20))[0]
            status = _dispute_status(rng, (TODAY - accepted.date()).days, risk)
            result = _result(status)
            year = accepted.year
            agreement = (f"({year})光明人调协字第{self._counter(self.agreements, year):03d}号"
                         if result == "成功" else None)
            row = {"caseId": f"M{i:06d}",
                   "caseNo": f"({year})光明人调字第{self._counter(self.per_year, year):03d}号",
                   "category": category, "source": source, "riskLevel": risk,
                   "occurredAt": occurred.date().isoformat(),
                   "place": Z.address_cell(rng, p.household.address, compound=0.95),
                   "parties": [self._party("申请人", p), self._party("被申请人", other)],
                   "summary": _SUMMARIES[category], "acceptedOn": accepted.date().isoformat(),
                   "mediationType": pick(rng, (("人民调解", 85), ("行政调解", 10), ("司法调解", 5))),
                   "mediator": rng.choice(N.MEDIATORS), "status": status, "result": result,
                   "agreementNo": agreement,
                   "amount": round(rng.uniform(500, 50000), 2)
                   if agreement and category in _MONEY else None,
                   "relatedTicketNo": related,
                   "updatedAt": touched(rng, later(rng, accepted, 1, 24 * 40)).replace(" ", "T")
                   + "+08:00"}
            parties = [_truth_of(p), _truth_of(other if isinstance(other, Person) else None)]
            self.out.add("mediation", "disputes", "dispute", f"M{i:06d}", row, p,
                         parties=parties)


def _truth_of(p: Person | None) -> dict[str, str | None]:
    return {"person": p.pid if p else None, "household": p.household.hid if p else None}
