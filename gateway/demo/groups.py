"""群团 mass organisations' ledgers: union hardship files, youth-league volunteers and pairings,
women's-federation rights cases (docs/partners.md §4), as rows keyed by their Chinese headers.

Rows are numbered in the order they were opened, so an older monthly drop is a prefix of the
current one (`files.py` writes it). Youth and women's ledgers mask ID numbers more often than
not; the union still carries 15-digit IDs and sometimes a works dormitory as home address.
"""

from __future__ import annotations

import random
from datetime import date, datetime

from gateway.demo import names as N
from gateway.demo import noise as Z
from gateway.demo.events import Cast, Out, Row, moment, outsider, phone_of, pick
from gateway.demo.world import Person


def _cell_date(rng: random.Random, d: date, main: str) -> str | int:
    """A date as typed into a spreadsheet; Excel serials stay numbers."""
    text = Z.date_cell(rng, d, main=main, other=0.2)
    return int(text) if text.isdigit() and len(text) == 5 else text


def _opened(rng: random.Random, n: int) -> list[datetime]:
    return sorted(moment(rng) for _ in range(n))


def hardship_files(out: Out, rng: random.Random, cast: Cast, n: int) -> None:
    people = rng.sample(cast.workers, min(n, len(cast.workers)))
    for i, (p, opened) in enumerate(zip(people, _opened(rng, len(people)), strict=True), 1):
        key = f"GH110105{i:05d}"
        employer = rng.choice(N.UNIONS_EMPLOYERS)
        dorm = employer != "个体" and rng.random() < 0.08
        row = {"职工编号": key, "姓名": Z.name_cell(rng, p.name),
               "性别": Z.gender_cell(rng, p.gender), "民族": p.ethnicity,
               "政治面貌": Z.political_cell(rng, p.political),
               "身份证号": Z.id_cell(rng, p.id_number, legacy=0.08, typo=0.01, missing=0.02),
               "出生日期": _cell_date(rng, p.birth, "slash"),
               "健康状况": pick(rng, (("健康", 50), ("慢性病", 25), ("大病", 15), ("残疾", 10))),
               "身份": pick(rng, (("在岗", 45), ("下岗", 10), ("失业", 15), ("退休", 10),
                                 ("农民工", 20))),
               "手机": Z.phone_cell(rng, phone_of(rng, p, shared=0.1)),
               "工作单位": employer,
               "家庭住址": f"{employer}职工宿舍" if dorm else Z.address_cell(
                   rng, p.household.address, prefix=0.3),
               "家庭人口": len(p.household.persons),
               "家庭年度总收入": round(rng.uniform(8000, 60000), 2),
               "主要致困原因": rng.choice(N.HARDSHIP_CAUSES),
               "困难类别": pick(rng, (("深度困难", 30), ("相对困难", 55), ("意外致困", 15))),
               "建档日期": _cell_date(rng, opened.date(), "iso")}
        out.add("massorg", "hardship_file", "hardship_file", key, row, p)


def volunteers(out: Out, rng: random.Random, cast: Cast, n: int, team: dict[int, str]) -> None:
    people: list[Person | None] = [
        None if rng.random() < 0.05 else rng.choice(cast.youth) for _ in range(n)
    ]
    for i, (p, opened) in enumerate(zip(people, _opened(rng, n), strict=True), 1):
        key = f"ZYZ{110105000000 + i:012d}"
        if p is None:  # registered with the street's team but living in another district
            name, gender, id_number, phone = outsider(rng, i)
            birth = date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
            org = "光明街道青年志愿者协会"
        else:
            name, gender, id_number, birth = p.name, p.gender, p.id_number, p.birth
            phone = p.phone or p.household.phone or ""
            org = team[p.household.community]
        row = {"志愿者编号": key, "姓名": Z.name_cell(rng, name),
               "性别": Z.gender_cell(rng, gender),
               "出生日期": Z.date_cell(rng, birth, main="iso", other=0.2),
               "身份证号": Z.id_cell(rng, id_number, mask=0.6, missing=0.1, typo=0.005),
               "手机": Z.phone_cell(rng, phone or None, missing=0.01),
               "所属组织": org, "注册日期": opened.date().isoformat(),
               "累计时长": round(rng.uniform(0, 300) * rng.random(), 1)}
        out.add("massorg", "volunteer", "volunteer", key, row, p)


def pairings(out: Out, rng: random.Random, cast: Cast, n: int) -> None:
    if not cast.children:
        return
    children = rng.sample(cast.children, min(n, len(cast.children)))
    for i, (child, opened) in enumerate(zip(children, _opened(rng, len(children)),
                                            strict=True), 1):
        key = f"BF{opened.year}{i:05d}"
        mentor = rng.choice(cast.adults)
        row = {"台账编号": key, "帮扶对象": Z.name_cell(rng, child.name),
               "学校": rng.choice(N.SCHOOLS),
               "监护人电话": Z.phone_cell(rng, child.household.phone, missing=0.02),
               "家庭住址": Z.address_cell(rng, child.household.address, compound=0.8),
               "帮扶类型": pick(rng, (("留守", 30), ("困境", 45), ("重点青少年", 25))),
               "结对人": mentor.name, "结对日期": Z.date_cell(rng, opened.date(), other=0.2)}
        out.add("massorg", "pairing", "pairing", key, row, child)


def _partial_address(rng: random.Random, p: Person) -> str:
    a = p.household.address
    if rng.random() < Z.rate(0.2):  # victims often give only compound and building
        return f"{a.compound.name}{a.building}号楼"
    return Z.address_cell(rng, a, compound=0.75)


def rights_cases(out: Out, rng: random.Random, cast: Cast, n: int) -> None:
    women: list[Person | None] = [
        None if rng.random() < 0.03 else rng.choice(cast.women) for _ in range(n)
    ]
    for i, (p, opened) in enumerate(zip(women, _opened(rng, n), strict=True), 1):
        key = f"FL{opened.year}-{i:04d}"
        if p is None:
            name, _, id_number, phone = outsider(rng, 5000 + i)
            address = "外区来访"
        else:
            name, id_number = p.name, p.id_number
            phone = phone_of(rng, p, shared=0.1) or ""
            address = _partial_address(rng, p)
        row = {"编号": key, "日期": Z.date_cell(rng, opened.date(), other=0.2),
               "方式": pick(rng, (("来访", 50), ("来信", 5), ("12338", 35), ("网上", 10))),
               "来访人": Z.name_cell(rng, name),
               "身份证号": Z.id_cell(rng, id_number, mask=0.65, missing=0.15, typo=0.0),
               "电话": Z.phone_cell(rng, phone or None, missing=0.01),
               "住址": address, "问题类别": rng.choice(N.RIGHTS_CATEGORIES),
               "简要情况": "来访人反映家庭矛盾，请求妇联协助", "处理方式": rng.choice(N.RIGHTS_HANDLING),
               "办理单位": rng.choice(("光明街道妇联", "区妇联", "光明街道妇女联合会")),
               "回访": rng.choice(("已回访", "已回访，情况稳定", "未回访", ""))}
        # A body of its own (gateway/onboard/definitions/womenfed.yaml), though its ledger lies
        # in the mass organisations' shared drop folder.
        out.add("womenfed", "rights_case", "rights_case", key, row, p)


def all_groups(out: Out, rng: random.Random, cast: Cast, households: int) -> Row:
    """Every mass-organisation ledger at its rate per household; returns the counts."""
    team = {i: f"{c.name}青年志愿服务队" for i, c in enumerate(cast.world.communities)}
    counts = {"hardship_file": round(0.02 * households), "volunteer": round(0.05 * households),
              "pairing": round(0.01 * households), "rights_case": round(0.02 * households)}
    hardship_files(out, rng, cast, counts["hardship_file"])
    volunteers(out, rng, cast, counts["volunteer"], team)
    pairings(out, rng, cast, counts["pairing"])
    rights_cases(out, rng, cast, counts["rights_case"])
    return counts
