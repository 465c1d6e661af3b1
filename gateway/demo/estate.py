"""The property company's ledgers (slug `property`, docs/partners.md §5.1): one project per
compound with its company, one house row per room (occupancy, owner, tenant, area, fees,
arrears) and the repair orders of the last year, some of them opened from 12345 complaints.
One project's house ledger and repair orders still carry the developer's sales name (案名) the
rooms were handed over under; its project row gives that name as the compound's 曾用名
(`formerName`), which is how the gateway knows the two name one compound.

Written in a random stream of its own after every other partner, so the tables written before
stay as they were. Owners are the buyers on the contract: now and then a former owner (sold,
inherited), co-owners joined `张三、李四`, a developer for a few unsold rooms (DOMAIN.md §2.5).
The facts behind the rows (`Unit`) are what the owners' committee (`committee.py`) writes down
too.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from stdnum.cn import uscc

from gateway.demo import names as N
from gateway.demo import noise as Z
from gateway.demo.events import Cast, Out, later, moment, outsider, phone_of, pick, touched, ts
from gateway.demo.names import TODAY
from gateway.demo.world import Address, Compound, Household, Person, _rooms

__all__ = ["Estate", "Project", "Unit", "room_code"]

OCCUPANCY = {"自住": "OWNER_OCCUPIED", "出租": "RENTED", "空置": "VACANT"}
STATUS = {"待派工": "REPORTED", "已派工": "DISPATCHED", "维修中": "IN_REPAIR",
          "待评价": "AWAITING_RATING", "已完成": "DONE", "已取消": "CANCELLED"}  # fmt: skip
# 12345 topics a property company turns into a repair order, and the order's type.
HOTLINE_REPAIRS = {"城乡建设>电梯管理>电梯故障": "电梯", "城乡建设>房屋管理>房屋漏水": "水电",
                   "城乡建设>物业管理>物业服务": "公共部位"}  # fmt: skip
_CONTENT = {
    "水电": ("卫生间水管漏水", "厨房下水道堵塞", "家中跳闸断电", "水龙头损坏"),
    "门窗": ("入户门锁损坏", "窗户关不严漏风", "单元门禁损坏"),
    "公共部位": ("楼道灯不亮", "楼道墙皮脱落", "单元门口台阶破损"),
    "电梯": ("电梯异响", "电梯停运", "电梯按钮失灵"),
    "绿化": ("树枝遮挡窗户需修剪", "草坪枯死需补种"),
}
_WORKERS = ("刘师傅", "王师傅", "张建军", "李强", "赵师傅", "孙伟")
REPAIRS_PER_UNIT = 0.35  # orders per occupied room and year
# The project (by its order) whose ledgers use the developer's old name, and that name.
RENAMED_PROJECT = 1
FORMER_NAME = "金域华府"


@dataclass(frozen=True, slots=True)
class Project:
    code: str
    compound: Compound
    community: str  # community code
    company: str
    style: str  # 'hash' (3#2-301) | 'letter' (A03-2-0301)
    former: str | None = None  # the developer's name its house ledger and orders still use

    @property
    def ledger_name(self) -> str:
        """The compound as the house ledger and the repair orders name it."""
        return self.former or self.compound.name


@dataclass(slots=True)
class Unit:
    """One room as the property company knows it."""

    house_id: str
    project: Project
    address: Address
    household: Household | None
    occupancy: str  # 自住 | 出租 | 空置
    owner: str  # as on the contract
    owner_person: Person | None  # the resident who owns it, when one does
    owner_phone: str | None
    area: float


def room_code(project: Project, a: Address) -> str:
    if project.style == "letter":
        return f"A{a.building:02d}-{a.entrance}-{a.room:04d}"
    return f"{a.building}#{a.entrance}-{a.room}"


def _building(project: Project, code: str) -> str:
    """The building part of a room code: `3#` of `3#2-301`, `A03` of `A03-2-0301`."""
    head = code.split("-")[0]
    return head.split("#")[0] + "#" if project.style == "hash" else head


def _company_code(rng: random.Random) -> str:
    body = f"911101057{rng.randrange(10**8):08d}"
    return body + uscc.calc_check_digit(body)


class Estate:
    """Projects, houses and repair orders of the district's property companies."""

    def __init__(self, out: Out, rng: random.Random, cast: Cast) -> None:
        self.out, self.rng, self.cast = out, rng, cast
        self.units: list[Unit] = []
        self.projects: list[Project] = []
        self._orders: dict[str, int] = {}

    # --- houses --------------------------------------------------------------------------------

    def houses(self) -> None:
        world = self.cast.world
        for community in world.communities:
            living: dict[tuple[str, int, int, int], Household] = {}
            for hh in community.households:
                a = hh.address
                living.setdefault((a.compound.name, a.building, a.entrance, a.room), hh)
            for compound in community.compounds:
                project = self._project(compound, community.code)
                for a in _rooms(compound, community.name):
                    key = (compound.name, a.building, a.entrance, a.room)
                    self._house(project, a, living.get(key))

    def _project(self, compound: Compound, community: str) -> Project:
        rng = self.rng
        code = f"P{len(self.projects) + 1:02d}"
        project = Project(code, compound, community, f"北京{compound.stem}物业服务有限公司",
                          "letter" if len(self.projects) % 2 else "hash",
                          FORMER_NAME if len(self.projects) == RENAMED_PROJECT else None)
        self.projects.append(project)
        name = compound.name + ("一期" if rng.random() < Z.rate(0.15) else "")
        row = {"projectCode": code, "projectName": name, "companyName": project.company,
               "companyUscc": _company_code(rng),
               "address": f"光明街道{rng.choice(N.ROADS)}{rng.randint(1, 200)}号",
               "roomCodeStyle": project.style, "formerName": project.former,
               "updateTime": ts(moment(rng))}
        self.out.add("property", "projects", "project", code, row, None, compound=compound.name)
        return project

    def _owner(self, hh: Household | None, occupancy: str) -> tuple[str, Person | None, str | None]:
        """Who the contract names: the resident (and spouse), a former owner, or a developer."""
        rng = self.rng
        if hh is not None and occupancy == "自住" and rng.random() >= Z.rate(0.06):
            head = hh.head
            spouse = next((p for p in hh.persons if p.relation == "配偶"), None)
            name = head.name
            if spouse and rng.random() < Z.rate(0.15):
                name = f"{head.name}、{spouse.name}"
            return name, head, phone_of(rng, head, shared=0.2)
        if hh is None and rng.random() < 0.08:
            return f"北京{rng.choice(N.COMPOUND_STEMS)}置业有限公司", None, None
        name, _, _, phone = outsider(rng, 500_000 + len(self.units))
        return name, None, phone

    def _house(self, project: Project, a: Address, hh: Household | None) -> None:
        rng = self.rng
        if hh is None:
            occupancy = "空置"
        else:
            rented = 0.75 if hh.population == "流动人口" else 0.1
            occupancy = "出租" if rng.random() < rented else "自住"
        owner, owner_person, owner_phone = self._owner(hh, occupancy)
        walkup = project.compound.floors <= 6
        area = round(rng.uniform(42, 78) if walkup else rng.uniform(68, 145), 2)
        unit = Unit(f"HS{len(self.units) + 1:07d}", project, a, hh, occupancy, owner,
                    owner_person, owner_phone, area)
        self.units.append(unit)
        self._house_row(unit, walkup)

    def _house_row(self, unit: Unit, walkup: bool) -> None:
        rng, a = self.rng, unit.address
        code = room_code(unit.project, a)
        tenant = unit.household.head if unit.household and unit.occupancy == "出租" else None
        fee = round(rng.uniform(0.8, 1.5) if walkup else rng.uniform(1.8, 3.2), 2)
        months = _arrears(rng, unit.occupancy)
        row = {"houseId": unit.house_id, "projectCode": unit.project.code,
               "projectName": unit.project.ledger_name, "roomCode": code,
               "building": _building(unit.project, code),
               "unit": str(a.entrance), "roomNo": code.rsplit("-", 1)[1], "buildArea": unit.area,
               "ownerName": Z.name_cell(rng, unit.owner),
               "ownerPhone": Z.phone_cell(rng, unit.owner_phone, missing=0.05),
               "checkInStatus": unit.occupancy,
               "tenantName": Z.name_cell(rng, tenant.name) if tenant else None,
               "tenantPhone": Z.phone_cell(rng, phone_of(rng, tenant)) if tenant else None,
               "parkingNo": f"B1-{rng.randint(1, 400):03d}" if rng.random() < 0.3 else None,
               "feePrice": fee, "arrearsMonths": months,
               "arrearsAmount": round(unit.area * fee * months, 2),
               "updateTime": ts(moment(rng, lo=TODAY - timedelta(days=400)))}
        self.out.add("property", "houses", "occupancy", unit.house_id, row, unit.owner_person,
                     unit.household, compound=unit.project.compound.name,
                     community=unit.project.community, occupancy=OCCUPANCY[unit.occupancy],
                     arrearsMonths=months, tenant=tenant.pid if tenant else None)

    # --- repair orders -------------------------------------------------------------------------

    def repairs(self) -> None:
        """Orders the residents reported, then the ones opened from 12345 complaints."""
        rng = self.rng
        occupied = [u for u in self.units if u.household is not None]
        for _ in range(round(REPAIRS_PER_UNIT * len(occupied))):
            unit = rng.choice(occupied)
            common = rng.random() < 0.15
            kind = pick(rng, (("公共部位", 40), ("电梯", 35), ("绿化", 25))) if common else pick(
                rng, (("水电", 55), ("门窗", 30), ("公共部位", 15)))
            when = moment(rng, lo=TODAY - timedelta(days=365))
            self._order(unit, when, kind, common=common, source=pick(
                rng, (("业主报修", 90), ("巡检", 10))) if common else "业主报修")
        self._from_hotline()

    def _from_hotline(self) -> None:
        rng, by_pid = self.rng, {p.pid: p for p in self.cast.world.persons}
        units = {id(u.household): u for u in self.units if u.household is not None}
        tickets = self.out.rows.get("hotline", {}).get("workorders", [])
        who = {t["local_id"]: t["person"] for t in self.out.truth
               if t["partner"] == "hotline" and t["entity"] == "ticket"}
        for row in tickets:
            kind = HOTLINE_REPAIRS.get(row["sqfl"])
            person = by_pid.get(who.get(row["gdbh"]) or "")
            when = datetime.fromisoformat(row["ldsj"])
            if kind is None or person is None or when.date() < TODAY - timedelta(days=365):
                continue
            unit = units.get(id(person.household))
            if unit is not None and row["cfjglgd"] is None and rng.random() < 0.7:
                self._order(unit, later(rng, when, 1, 30), kind, common=kind == "公共部位",
                            source="12345转办", hotline=row["gdbh"], reporter=person)

    def _number(self, when: datetime) -> str:
        day = f"{when:%Y%m%d}"
        self._orders[day] = self._orders.get(day, 0) + 1
        return f"BX{day}{self._orders[day]:04d}"

    def _order(self, unit: Unit, when: datetime, kind: str, *, common: bool, source: str,
               hotline: str | None = None, reporter: Person | None = None) -> None:
        rng = self.rng
        assert unit.household is not None
        person = reporter or rng.choice([p for p in unit.household.persons if p.age >= 18]
                                        or unit.household.persons)
        number = self._number(when)
        status, finished, last = _repair_flow(rng, when)
        code = room_code(unit.project, unit.address)
        row = {"orderNo": number, "projectCode": unit.project.code,
               "projectName": unit.project.ledger_name,
               "houseId": None if common else unit.house_id,
               "roomCode": f"{_building(unit.project, code)}公共区域" if common else code,
               "reportTime": ts(when),
               "reporter": Z.honorific(rng, person.name, person.gender, person.age,
                                       anonymous=0.0, full=0.6),
               "reporterPhone": Z.phone_cell(rng, phone_of(rng, person), missing=0.03),
               "repairType": kind, "content": rng.choice(_CONTENT[kind]),
               "worker": rng.choice(_WORKERS) if status != "待派工" else None,
               "status": status, "finishTime": ts(finished),
               "evaluation": rng.choice((5, 5, 5, 4, 4, 3, 2, None))
               if status == "已完成" else None,
               "source": source, "hotlineNo": hotline, "updateTime": touched(rng, last)}
        self.out.add("property", "repairs", "repair_order", number, row, person,
                     compound=unit.project.compound.name, community=unit.project.community,
                     status=STATUS[status], hotline=hotline)


def _arrears(rng: random.Random, occupancy: str) -> int:
    if rng.random() >= (0.25 if occupancy == "空置" else 0.1):
        return 0
    return rng.choices((1, 2, 3, 4, 6, 9, 12, 18, 24), (30, 20, 12, 8, 8, 6, 8, 4, 4))[0]


def _repair_flow(rng: random.Random, when: datetime) -> tuple[str, datetime | None, datetime]:
    """Where an order stands on the machine of DOMAIN.md §3.6, its finish and last change."""
    age = (TODAY - when.date()).days
    if age < 2:
        status = pick(rng, (("待派工", 50), ("已派工", 35), ("维修中", 15)))
    elif age < 10:
        status = pick(rng, (("已派工", 15), ("维修中", 30), ("待评价", 35), ("已完成", 15),
                            ("已取消", 5)))
    else:
        status = pick(rng, (("已完成", 82), ("待评价", 8), ("已取消", 6), ("维修中", 4)))
    finished = later(rng, when, 2, 24 * 7) if status in ("待评价", "已完成") else None
    last = later(rng, finished, 1, 24 * 5) if finished and status == "已完成" else (
        finished or later(rng, when, 0.2, 24))
    return status, finished, last
