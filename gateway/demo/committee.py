"""The owners' committees (slug `owners`, docs/partners.md §5.2): for some compounds an owner
roster (业主名册) and the owners' votes on 2–3 community matters (表决统计).

The roster copies the property company's contracts (`estate.Unit`): the same buyers, co-owners
and developers, with the committee's own room spelling and the 专有部分面积 (smaller than the
建筑面积 the company bills). Owners who did not vote have no ballot row.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from gateway.demo import noise as Z
from gateway.demo.estate import Estate, Project, Unit
from gateway.demo.events import Out, Row, pick
from gateway.demo.names import TODAY

__all__ = ["CHOICES", "MATTERS", "Committees"]

MATTERS = ("关于加装电梯的决定", "关于小区停车位规划方案的决定", "关于调整物业服务收费标准的决定")
CHOICES = {"同意": "FOR", "反对": "AGAINST", "弃权": "ABSTAIN"}
_ROLES = ("主任", "副主任", "委员", "委员", "委员", "委员", "委员")
_ROOM_STYLES = (("--", 60), ("号楼单元", 25), ("栋-", 15))
MIN_ROOMS = 12  # a courtyard smaller than this elects no committee


def _room(rng: random.Random, unit: Unit) -> str:
    a = unit.address
    style = pick(rng, _ROOM_STYLES)
    if style == "号楼单元":
        return f"{a.building}号楼{a.entrance}单元{a.room}"
    if style == "栋-":
        return f"{a.building}栋{a.entrance}-{a.room}"
    return f"{a.building}-{a.entrance}-{a.room}"


class Committees:
    """Rosters and ballots, one workbook's worth per compound with a committee."""

    def __init__(self, out: Out, rng: random.Random, estate: Estate) -> None:
        self.out, self.rng, self.estate = out, rng, estate

    def write(self) -> None:
        by_project: dict[str, list[Unit]] = {}
        for unit in self.estate.units:
            by_project.setdefault(unit.project.code, []).append(unit)
        for i, project in enumerate(self.estate.projects):
            units = by_project.get(project.code, [])
            # Every other compound has one, the first always: a tiny district still has one.
            if len(units) >= MIN_ROOMS and (i == 0 or self.rng.random() < 0.5):
                rooms = self._roster(i + 1, project, units)
                self._votes(i + 1, project, units, rooms)

    def _roster(self, n: int, project: Project, units: list[Unit]) -> dict[str, str]:
        rng = self.rng
        residents = [u for u in units if u.owner_person is not None]
        board = rng.sample(residents, min(len(residents), rng.randint(5, 7)))
        roles = {u.house_id: role for u, role in zip(board, _ROLES, strict=False)}
        rooms: dict[str, str] = {}
        for seq, unit in enumerate(units, 1):
            key = f"YZ{n:02d}-{seq:04d}"
            rooms[unit.house_id] = _room(rng, unit)
            row: Row = {"业主编号": key, "小区名称": project.compound.name,
                        "房号": rooms[unit.house_id], "业主姓名": Z.name_cell(rng, unit.owner),
                        "专有部分面积（㎡）": _private_area(unit),
                        "联系电话": Z.phone_cell(rng, unit.owner_phone, missing=0.1),
                        "业委会职务": roles.get(unit.house_id, ""),
                        "备注": "开发商持有" if unit.owner.endswith("置业有限公司") else ""}
            self.out.add("owners", "roster", "owner", key, row, unit.owner_person,
                         unit.household if unit.owner_person else None,
                         compound=project.compound.name, community=project.community,
                         area=row["专有部分面积（㎡）"], role=roles.get(unit.house_id) or None)
        return rooms

    def _votes(self, n: int, project: Project, units: list[Unit], rooms: dict[str, str]) -> None:
        rng = self.rng
        matters = rng.sample(range(len(MATTERS)), rng.randint(2, 3))
        for m in sorted(matters):
            turnout, support = rng.uniform(0.55, 0.92), rng.uniform(0.45, 0.9)
            day = TODAY - timedelta(days=rng.randint(20, 330))
            seq = 0
            for unit in units:
                if rng.random() >= turnout:
                    continue
                seq += 1
                key = f"TP{n:02d}-{m + 1}-{seq:04d}"
                choice = "同意" if rng.random() < support else pick(
                    rng, (("反对", 70), ("弃权", 30)))
                voted = day + timedelta(days=rng.randint(0, 13))
                row: Row = {"表决票编号": key, "小区名称": project.compound.name,
                            "表决事项": MATTERS[m], "房号": rooms[unit.house_id],
                            "业主姓名": Z.name_cell(rng, unit.owner),
                            "专有部分面积（㎡）": _private_area(unit), "表决意见": choice,
                            "投票方式": pick(rng, (("书面", 60), ("线上", 30), ("委托", 10))),
                            "投票日期": _vote_date(rng, voted)}
                self.out.add("owners", "votes", "owner_vote", key, row, unit.owner_person,
                             unit.household if unit.owner_person else None,
                             compound=project.compound.name, community=project.community,
                             matter=MATTERS[m], choice=CHOICES[choice],
                             area=row["专有部分面积（㎡）"])


def _private_area(unit: Unit) -> float:
    # 专有部分面积 leaves out the shared part the company bills (公摊, about a fifth).
    return round(unit.area * 0.8, 2)


def _vote_date(rng: random.Random, d: date) -> str:
    style = pick(rng, (("iso", 70), ("slash", 20), ("cn", 10)))
    return Z.date_text(min(d, TODAY), style)
