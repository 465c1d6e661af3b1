"""The property company's and the owners' committees' rows in the generated world: facts, noise
and the truth lines an evaluation counts against (docs/partners.md §5)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook
from stdnum.cn import uscc

from gateway.demo.committee import CHOICES, MATTERS
from gateway.demo.estate import OCCUPANCY, STATUS
from gateway.demo.files import OWNER_SHEETS
from gateway.demo.generator import District, generate, write_district

ROOM = re.compile(r"\d+#\d+-\d{3,4}|A\d{2}-\d+-\d{4}")


@pytest.fixture(scope="module")
def district() -> District:
    return generate(900, seed=7)


@pytest.fixture(scope="module")
def folder(district: District, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("property-district")
    write_district(district, out)
    return out


def _truth(district: District, partner: str, entity: str) -> dict[str, dict]:
    return {t["local_id"]: t for t in district.truth
            if t["partner"] == partner and t["entity"] == entity}


def test_every_room_has_one_house_row(district: District) -> None:
    houses = district.rows["property"]["houses"]
    projects = district.rows["property"]["projects"]
    assert len({h["houseId"] for h in houses}) == len(houses)
    assert {h["projectCode"] for h in houses} == {p["projectCode"] for p in projects}
    assert all(ROOM.fullmatch(h["roomCode"]) for h in houses)
    styles = {p["roomCodeStyle"] for p in projects}
    assert styles == {"hash", "letter"}
    # Rooms outnumber households (about 80% occupied); every household's room is on the books.
    occupied = [h for h in houses if h["checkInStatus"] != "空置"]
    assert len(houses) > 900 and 0.6 < len(occupied) / len(houses) < 0.95
    assert all(h["tenantName"] for h in houses if h["checkInStatus"] == "出租")
    assert not any(h["tenantName"] for h in houses if h["checkInStatus"] != "出租")
    assert all(uscc.is_valid(p["companyUscc"]) for p in projects)
    assert all(p["companyName"].endswith("物业服务有限公司") for p in projects)


def test_house_truth_counts_occupancy_and_arrears(district: District) -> None:
    houses = district.rows["property"]["houses"]
    truth = _truth(district, "property", "occupancy")
    assert set(truth) == {h["houseId"] for h in houses}
    for h in houses:
        line = truth[h["houseId"]]
        assert line["occupancy"] == OCCUPANCY[h["checkInStatus"]]
        assert line["arrearsMonths"] == h["arrearsMonths"]
        assert (line["household"] is None) == (h["checkInStatus"] == "空置")
        assert h["arrearsAmount"] == round(h["buildArea"] * h["feePrice"] * h["arrearsMonths"], 2)
    in_arrears = sum(1 for t in truth.values() if t["arrearsMonths"] > 0)
    assert 0.05 < in_arrears / len(truth) < 0.3
    assert not any("idNumber" in k or "身份证" in k for h in houses for k in h)  # no ID numbers


def test_owner_noise(district: District) -> None:
    owners = [h["ownerName"] for h in district.rows["property"]["houses"]]
    assert any("、" in o for o in owners)  # co-owners in one cell
    assert any(o.endswith("置业有限公司") for o in owners)  # a developer's unsold room
    truth = _truth(district, "property", "occupancy")
    # The buyer on the contract is not always the family that lives there.
    not_resident = [t for t in truth.values() if t["occupancy"] == "OWNER_OCCUPIED"
                    and t["person"] is None]
    assert not_resident


def test_repair_orders_follow_the_machine_and_link_hotline_tickets(district: District) -> None:
    orders = district.rows["property"]["repairs"]
    assert {o["status"] for o in orders} <= set(STATUS)
    assert {o["repairType"] for o in orders} == {"水电", "门窗", "公共部位", "电梯", "绿化"}
    assert all(o["finishTime"] for o in orders if o["status"] in ("待评价", "已完成"))
    assert not any(o["worker"] for o in orders if o["status"] == "待派工")
    assert all(o["reportTime"] >= "2025-11-28" for o in orders)  # the last year only
    common = [o for o in orders if o["houseId"] is None]
    assert common and all(re.fullmatch(r"(\d+#|A\d{2})公共区域", o["roomCode"]) for o in common)
    tickets = {t["gdbh"]: t for t in district.rows["hotline"]["workorders"]}
    from_hotline = [o for o in orders if o["source"] == "12345转办"]
    assert from_hotline and all(o["hotlineNo"] in tickets for o in from_hotline)
    assert not any(o["hotlineNo"] for o in orders if o["source"] != "12345转办")
    truth = _truth(district, "property", "repair_order")
    callers = _truth(district, "hotline", "ticket")
    for o in from_hotline:  # the same resident behind the ticket and the order
        assert truth[o["orderNo"]]["person"] == callers[o["hotlineNo"]]["person"]
        assert tickets[o["hotlineNo"]]["ldsj"] <= o["reportTime"]
    assert Counter(t["status"] for t in truth.values()) == Counter(
        STATUS[o["status"]] for o in orders)


def test_committees_roster_and_votes(district: District) -> None:
    roster, votes = district.rows["owners"]["roster"], district.rows["owners"]["votes"]
    compounds = {r["小区名称"] for r in roster}
    all_compounds = {p["projectName"].removesuffix("一期")
                     for p in district.rows["property"]["projects"]}
    assert compounds and compounds < all_compounds  # some compounds, not all
    for compound in compounds:
        mine = [r for r in roster if r["小区名称"] == compound]
        roles = Counter(r["业委会职务"] for r in mine if r["业委会职务"])
        assert roles["主任"] == 1 and roles["副主任"] == 1 and 3 <= roles["委员"] <= 5
        matters = {v["表决事项"] for v in votes if v["小区名称"] == compound}
        assert 2 <= len(matters) <= 3 and matters <= set(MATTERS)
        for matter in matters:  # nobody votes twice on one matter
            rooms = [v["房号"] for v in votes if v["小区名称"] == compound
                     and v["表决事项"] == matter]
            assert len(rooms) <= len(mine)
    assert {v["表决意见"] for v in votes} == set(CHOICES)
    truth = _truth(district, "owners", "owner_vote")
    assert {t["choice"] for t in truth.values()} == set(CHOICES.values())
    assert all(truth[v["表决票编号"]]["area"] == v["专有部分面积（㎡）"] for v in votes)


def test_owner_workbooks(folder: Path, district: District) -> None:
    roster = district.rows["owners"]["roster"]
    books = sorted((folder / "owners").glob("*业主委员会_业主名册及表决统计.xlsx"))
    assert len(books) == len({r["小区名称"] for r in roster})
    seen = 0
    for path in books:
        book = CalamineWorkbook.from_path(str(path))
        assert book.sheet_names == ["业主名册", "表决统计"]
        for kind, (name, headers) in OWNER_SHEETS.items():
            sheet = book.get_sheet_by_name(name).to_python()
            assert path.name.removesuffix("业主委员会_业主名册及表决统计.xlsx") in sheet[0][0]
            assert tuple(sheet[1]) == headers
            data = [row for row in sheet[2:] if row[1]]
            totals = [row for row in sheet[2:] if row[0] == "合计"]
            assert totals and all(row[1] == "" for row in totals)  # merged: key cell empty
            assert len(data) + len(totals) == len(sheet) - 2
            if kind == "roster":
                seen += len(data)
    assert seen == len(roster)


def test_same_seed_same_property_rows() -> None:
    a, b = generate(150, seed=11), generate(150, seed=11)
    assert a.rows["property"] == b.rows["property"] and a.rows["owners"] == b.rows["owners"]
    # The property streams come last: the tables written before them did not change.
    assert a.rows["rc"] == b.rows["rc"] and a.rows["hotline"] == b.rows["hotline"]
