"""The synthetic district generator: determinism, sizes, truth, file formats and noise rates."""

from __future__ import annotations

import csv
import io
import random
import re
from collections import Counter
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook
from stdnum.cn import ric

from gateway.demo import noise as Z
from gateway.demo.files import HEADERS
from gateway.demo.generator import District, generate, load_rows, write_district
from gateway.demo.world import World, build_world

TABLE_KEYS = {
    ("rc", "community"): "sqbm", ("rc", "hu"): "hubh", ("rc", "ren"): "rybh",
    ("rc", "huiyi"): "hybh", ("rc", "jiedai"): "jdbh", ("party", "zuzhi"): "zzid",
    ("party", "dangyuan"): "dyid",
    ("party", "baolian"): "blid", ("party", "zoufang"): "zfid", ("hall", "banjian"): "bjbh",
    ("hall", "wuka"): "kh", ("hall", "daiban"): "dbdh", ("hotline", "workorders"): "gdbh",
    ("hotline", "petitions"): "xfjbh", ("mediation", "disputes"): "caseId",
    ("massorg", "hardship_file"): "职工编号", ("massorg", "volunteer"): "志愿者编号",
    ("massorg", "pairing"): "台账编号", ("womenfed", "rights_case"): "编号",
}  # fmt: skip
ENTITY = {
    "community": "community", "hu": "household", "ren": "resident", "huiyi": "meeting",
    "jiedai": "reception",
    "zuzhi": "organization", "dangyuan": "member", "baolian": "responsibility",
    "zoufang": "contact_visit", "banjian": "service_case", "wuka": "care_card",
    "daiban": "errand", "workorders": "ticket", "petitions": "petition", "disputes": "dispute",
    "hardship_file": "hardship_file", "volunteer": "volunteer", "pairing": "pairing",
    "rights_case": "rights_case",
}  # fmt: skip
ID18 = re.compile(r"\d{17}[\dX]")


@pytest.fixture(scope="module")
def district() -> District:
    return generate(3000)


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(3000)


@pytest.fixture(scope="module")
def folder(district: District, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("district")
    write_district(district, out)
    return out


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    write_district(generate(300, seed=7), tmp_path / "a")
    write_district(generate(300, seed=7), tmp_path / "b")
    write_district(generate(300, seed=8), tmp_path / "c")
    a, b, c = _tree(tmp_path / "a"), _tree(tmp_path / "b"), _tree(tmp_path / "c")
    books = [k for k in a if k.startswith("owners/")]  # one per compound with a committee
    assert books and all(k.endswith("业主委员会_业主名册及表决统计.xlsx") for k in books)
    # jsonl tables (property 3, owners 2), massorg (two months), workbooks, truth, manifest
    assert len(a) == 15 + 5 + 8 + len(books) + 2
    assert a == b
    assert a["truth.jsonl"] != c["truth.jsonl"]


def test_sizes(district: District) -> None:
    counts = district.counts()
    assert counts["rc"]["hu"] == 3000 and district.communities == 3
    assert 7500 <= counts["rc"]["ren"] <= 8800
    codes = [r["sqbm"] for r in district.rows["rc"]["community"]]
    assert codes == ["110105001001", "110105001002", "110105001003"]
    assert 0.04 <= counts["party"]["dangyuan"] / counts["rc"]["ren"] <= 0.08
    assert 1.3 <= counts["hall"]["banjian"] / 3000 <= 1.7
    assert 0.35 <= counts["hotline"]["workorders"] / 3000 <= 0.45
    assert counts["mediation"]["disputes"] == 300 and counts["massorg"]["volunteer"] == 150


def test_world_ids_are_valid_and_unique(world: World) -> None:
    ids = [p.id_number for p in world.persons]
    assert len(set(ids)) == len(ids)
    assert all(ric.is_valid(i) for i in ids)
    assert all(int(i[16]) % 2 == (p.gender == "M") for i, p in zip(ids, world.persons, strict=True))
    assert {i[:6] for i in ids} > {"110105"}  # migrants carry other county codes
    names = Counter(p.name for p in world.persons)
    assert names.most_common(1)[0][1] >= 5  # namesakes exist


def test_clean_rc_ids_validate(district: District, world: World) -> None:
    persons = {p.pid: p for p in world.persons}
    truth = {t["local_id"]: t for t in district.truth if t["entity"] == "resident"}
    clean = bad = 0
    for row in district.rows["rc"]["ren"]:
        sfzh = row["sfzh"]
        if sfzh == persons[truth[row["rybh"]]["person"]].id_number:
            assert ric.is_valid(sfzh)
            clean += 1
        elif isinstance(sfzh, str) and ID18.fullmatch(sfzh) and not ric.is_valid(sfzh):
            bad += 1  # an injected typo
    n = len(district.rows["rc"]["ren"])
    assert clean / n > 0.9 and 0.002 < bad / n < 0.02


def test_truth_covers_every_record(district: District, world: World) -> None:
    lines = Counter((t["partner"], t["entity"], t["local_id"]) for t in district.truth)
    assert max(lines.values()) == 1
    for (partner, table), key in TABLE_KEYS.items():
        keys = [r[key] for r in district.rows[partner][table]]
        assert len(set(keys)) == len(keys), table
        assert all((partner, ENTITY[table], k) in lines for k in keys), table
    assert len(lines) == sum(sum(t.values()) for t in district.counts().values())
    pids, hids = {p.pid for p in world.persons}, {h.hid for h in world.households}
    assert {t["person"] for t in district.truth} - {None} <= pids
    assert {t["household"] for t in district.truth} - {None} <= hids
    outsiders = [t for t in district.truth if t["partner"] in ("hotline", "massorg", "womenfed")
                 and t["household"] is None]
    assert outsiders  # a petitioner or volunteer from elsewhere


def test_massorg_files_decode(folder: Path, district: District) -> None:
    month = folder / "massorg" / "2026-11"
    for name, entity in (("共青团_志愿者名册_202611.csv", "volunteer"),
                         ("共青团_帮扶台账_202611.csv", "pairing")):
        raw = (month / name).read_bytes()
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
        rows = list(csv.reader(io.StringIO(raw.decode("gb18030"))))
        assert tuple(rows[0]) == HEADERS[entity]
        data = [r for r in rows[1:] if any(r)]
        written = district.rows["massorg"][entity]
        # Every generated row, plus the clerk's slips (a retyped row, a row with no number).
        assert len(data) == len(written) + (2 if len(written) >= 10 else 0)
        assert {r[0] for r in data if r[0]} == {row[HEADERS[entity][0]] for row in written}
    raw = (month / "妇联_维权来访登记_202611.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert tuple(rows[0]) == HEADERS["rights_case"]
    # The women's federation's ledger, a body of its own, shares the mass organisations' drop.
    assert {r[0] for r in rows[1:] if r and r[0]} == {
        row["编号"] for row in district.rows["womenfed"]["rights_case"]}
    book = CalamineWorkbook.from_path(str(month / "工会_困难职工档案_202611.xlsx"))
    assert book.sheet_names == ["困难职工档案"]
    sheet = book.get_sheet_by_name("困难职工档案").to_python()
    assert "困难职工档案" in sheet[0][0]
    assert tuple(sheet[1]) == HEADERS["hardship_file"]
    assert sheet[-1][0] == "合计"
    assert len(sheet) - 3 == len(district.rows["massorg"]["hardship_file"])
    older = folder / "massorg" / "2026-10" / "共青团_志愿者名册_202610.csv"
    assert 0 < older.read_bytes().count(b"\n") < (month / "共青团_志愿者名册_202611.csv").read_bytes().count(b"\n")


def test_rows_round_trip(folder: Path, district: District) -> None:
    assert load_rows(folder, "hall", "banjian") == district.rows["hall"]["banjian"]
    assert load_rows(folder, "mediation", "disputes")[0]["parties"]


def test_disputes_reference_hotline_tickets(district: District) -> None:
    tickets = {r["gdbh"] for r in district.rows["hotline"]["workorders"]}
    related = [d["relatedTicketNo"] for d in district.rows["mediation"]["disputes"]
               if d["relatedTicketNo"]]
    assert len(related) >= 10 and set(related) <= tickets
    assert all(re.fullmatch(r"\d{18}", t) for t in tickets)


def test_hotline_hides_callers(district: District) -> None:
    rows = district.rows["hotline"]["workorders"]
    assert all(re.fullmatch(r"1\d{2}\*{4}\d{4}", r["ldhm"]) for r in rows)
    honorific = re.compile(r"(.{1,2}(女士|先生|师傅|阿姨)|[老小].{1,2}|匿名)")
    share = sum(bool(honorific.fullmatch(r["sqr"])) for r in rows) / len(rows)
    assert 0.8 < share < 0.99
    repeats = [r for r in rows if r["cfjglgd"]]
    assert repeats and {r["cfjglgd"] for r in repeats} <= {r["gdbh"] for r in rows}


def test_party_leaves_coverage_gaps(district: District) -> None:
    covered = {t["household"] for t in district.truth
               if t["entity"] == "responsibility" and t["household"]}
    share = 1 - len(covered) / 3000
    assert 0.10 <= share <= 0.2
    levels = Counter(r["bljc"] for r in district.rows["party"]["baolian"])
    assert set(levels) == {"党委包支部", "书记包院", "支委包楼", "党员包户"}
    types = {r["zblx"] for r in district.rows["party"]["zuzhi"]} - {None}
    assert types == {"地缘型", "楼组型", "联合型", "临时型"}


ALLOWED = {
    ("hall", "banjian", "bjzt"): {"已提交", "预审中", "已受理", "不予受理", "需补正", "办理中", "已办结",
                                  "已送达", "已评价", "已撤回"},
    ("hall", "wuka", "zt"): {"已发放", "使用中", "已注销", "已过期"},
    ("hall", "daiban", "zt"): {"已接件", "已送件", "已办结", "退回补件"},
    ("hotline", "workorders", "zt"): {"已受理", "直接答复", "待派遣", "已派遣", "退单审核", "已签收",
                                      "办理中", "已回复", "回访中", "重办", "已归档"},
    ("hotline", "petitions", "zt"): {"已登记", "已受理", "不予受理", "已转送", "办理中", "已出具意见",
                                     "复查中", "复核中", "已办结"},
    ("mediation", "disputes", "result"): {"成功", "不成功", "终止", None},
    ("rc", "jiedai", "jdfs"): {"接待室", "恳谈会", "入户"},
    ("rc", "jiedai", "blqk"): {"已答复", "办理中", "已转办"},
    ("rc", "jiedai", "sxlb"): {"邻里纠纷", "环境卫生", "物业管理", "停车管理", "养老服务", "社会保障", "其他"},
}  # fmt: skip


def test_status_values_follow_the_contract(district: District) -> None:
    for (partner, table, field), allowed in ALLOWED.items():
        assert {r[field] for r in district.rows[partner][table]} <= allowed, table
    statuses = Counter(r["status"] for r in district.rows["mediation"]["disputes"])
    assert statuses["CLOSED"] > 0 and all(s.isupper() for s in statuses)
    stamps = [r["updated_at"] for r in district.rows["rc"]["ren"]]
    assert min(stamps) >= "2024-11-28" and max(stamps) <= "2026-11-28 23:59:59"
    assert all(r["updatedAt"].endswith("+08:00") for r in district.rows["mediation"]["disputes"])


def test_noise_is_present(district: District) -> None:
    ren = district.rows["rc"]["ren"]
    ids = [r["sfzh"] for r in ren]
    assert any(isinstance(i, str) and i.startswith("'") for i in ids)
    assert any(isinstance(i, str) and "１" in i for i in ids)
    assert 0.005 < sum(i in Z.PLACEHOLDERS for i in ids) / len(ids) < 0.05
    assert len({re.sub(r"\d", "9", r["csrq"]) for r in ren}) >= 5  # several date formats
    vols = district.rows["massorg"]["volunteer"]
    masked = sum("*" in (r["身份证号"] or "") for r in vols) / len(vols)
    assert 0.4 < masked < 0.8
    union = district.rows["massorg"]["hardship_file"]
    assert any(re.fullmatch(r"\d{15}", r["身份证号"] or "") for r in union)
    addresses = [r["jtzz"] for r in district.rows["party"]["dangyuan"]]
    assert sum("号楼" in a for a in addresses) and sum("-" in a for a in addresses)


def test_noise_functions() -> None:
    rng = random.Random(1)
    valid = "11010519491231002X"
    assert ric.is_valid(valid)
    assert all(not ric.is_valid(Z.id_typo(rng, valid)) for _ in range(200))
    assert Z.id_legacy(valid) == "110105491231002"
    assert Z.id_mask(random.Random(3), valid).endswith("002X")
    assert Z.phone_mask("13812345678") == "138****5678"
    assert Z.cn_number(12) == "十二" and Z.cn_digits(301) == "三〇一"
    assert Z.date_text(__import__("datetime").date(1985, 3, 7), "serial") == "31113"
    w = build_world(30)
    address = w.households[0].address
    spellings = {Z.room_text(rng, address, s) for s in Z.ROOM_STYLES}
    assert len(spellings) >= 9


PLAIN_PHONE = re.compile(r"1\d{10}")


def _bad_id(cell: str | None) -> bool:
    return not (isinstance(cell, str) and ID18.fullmatch(cell) and ric.is_valid(cell))


def _formatted_phone(cell: str | None) -> bool:
    """A phone that is there but not written as plain 11 digits (spaces, +86, two numbers)."""
    return bool(cell) and cell != "无" and not PLAIN_PHONE.fullmatch(cell or "")


def test_noise_scale_doubles_noisy_cells(district: District) -> None:
    noisier = generate(3000, noise=2.0)
    assert noisier.rows["rc"]["ren"][0]["rybh"] == district.rows["rc"]["ren"][0]["rybh"]
    for partner, table, column, noisy in (("rc", "ren", "sfzh", _bad_id),
                                          ("rc", "ren", "lxdh", _formatted_phone),
                                          ("hall", "banjian", "lxdh", _formatted_phone)):
        base = sum(noisy(r[column]) for r in district.rows[partner][table])
        more = sum(noisy(r[column]) for r in noisier.rows[partner][table])
        assert base > 150, (table, column)
        assert 1.6 <= more / base <= 2.4, (table, column, base, more)


def test_noise_scale_is_deterministic(tmp_path: Path) -> None:
    write_district(generate(300, seed=7, noise=2.0), tmp_path / "a")
    write_district(generate(300, seed=7, noise=2.0), tmp_path / "b")
    write_district(generate(300, seed=7), tmp_path / "c")
    a, b, c = _tree(tmp_path / "a"), _tree(tmp_path / "b"), _tree(tmp_path / "c")
    assert a == b
    assert a["rows/rc/ren.jsonl"] != c["rows/rc/ren.jsonl"]
    assert b'"noise":2.0' in a["district.json"].replace(b" ", b"")
    assert b"noise" not in c["district.json"]  # the default manifest keeps its bytes


def test_noise_rates_scale_and_clamp() -> None:
    assert Z.rate(0.03) == 0.03 and Z.keep(0.85) == 0.85
    with Z.noise_scale(2.0):
        assert Z.rate(0.03) == 0.06 and Z.rate(0.6) == 1.0
        assert Z.keep(0.85) == pytest.approx(0.7) and Z.keep(0.35) == 0.0
        with Z.noise_scale(0.0):
            assert Z.rate(0.5) == 0.0 and Z.keep(0.5) == 1.0
        assert Z.rate(0.03) == 0.06
    assert Z.rate(0.03) == 0.03
    with pytest.raises(ValueError), Z.noise_scale(-1):
        pass
