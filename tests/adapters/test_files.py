"""The file-drop adapter on real spreadsheets: encodings detected, title and subtotal rows
skipped, bad rows quarantined with file, line and reason — and none of it lost in sync."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncpg
import pytest
import xlsxwriter

from gateway.adapters.base import Record
from gateway.adapters.files import decode_bytes
from gateway.adapters.partners import massorg
from gateway.errors import PartnerDataInvalid
from gateway.sync.runner import SyncReport, register_partners, sync_partner

HEAD = "志愿者编号,姓名,性别,出生日期,身份证号,手机,所属组织,注册日期,累计时长"


def _drop(root: Path) -> Path:
    month = root / "2026-11"
    month.mkdir(parents=True)
    rows = [HEAD, "V001,张三,男,1990-01-01,110105********0011,13800000001,翠湖社区青年志愿服务队,2024-01-01,12.5",
            "V002,李 四,女,1992/3/4,,138 0000 0002,翠湖社区青年志愿服务队,2024-02-01,3",
            ",无名氏,男,,,,,,",  # no key: quarantined
            "V001,张三,男,1990-01-01,,13800000001,重复,2024-01-01,1",  # duplicate key
            "合计,,,,,,,,15.5"]  # fmt: skip
    (month / "共青团_志愿者名册_202611.csv").write_bytes("\r\n".join(rows).encode("gbk"))
    bom = ["编号,日期,方式,来访人,身份证号,电话,住址,问题类别,简要情况,处理方式,办理单位,回访",
           "FL001,2026-11-02,来访,王芳,,13900000003,翠湖花园3-2-301,婚姻家庭,……,调解,社区妇联,是"]
    (month / "妇联_维权来访登记_202611.csv").write_bytes(b"\xef\xbb\xbf" + "\n".join(bom).encode())
    book = xlsxwriter.Workbook(str(month / "工会_困难职工档案_202611.xlsx"))
    sheet = book.add_worksheet("困难职工档案")
    sheet.merge_range(0, 0, 0, 5, "光明街道困难职工档案（2026年11月）")
    header = ["职工编号", "姓名", "身份证号", "手机", "家庭住址", "困难类别"]
    for col, text in enumerate(header):
        sheet.write(1, col, text)
    sheet.write_row(2, 0, ["GH001", "赵六", "110105491231002", "13700000004", "阳光苑1-1-101", "深度困难"])
    sheet.write_row(3, 0, ["合计", "", "", "", "", ""])
    book.close()
    return root


async def test_encodings_titles_and_subtotals(tmp_path: Path) -> None:
    adapter = massorg.build(_drop(tmp_path))
    slots = await adapter.fetch_many("volunteer", ["V002", "V001", "V404"])
    assert isinstance(slots[0], Record) and slots[0].data["name"] == "李 四"  # GBK decoded
    assert isinstance(slots[1], Record) and slots[1].data["team"] == "翠湖社区青年志愿服务队"
    assert slots[2] is None
    assert slots[0].live is False  # a drop is a snapshot
    # The women's federation's ledger in the same folder is a body of its own (womenfed.yaml).
    assert "rights_case" not in adapter.capabilities.entities
    [worker] = await adapter.fetch_many("hardship_file", ["GH001"])
    assert isinstance(worker, Record) and worker.data["level"] == "DEEP"
    drop = await adapter.drop("hardship_file")
    assert list(drop.records) == ["GH001"] and not drop.quarantined  # title and 合计 skipped


async def test_bad_rows_are_quarantined_with_file_line_and_reason(tmp_path: Path) -> None:
    adapter = massorg.build(_drop(tmp_path))
    drop = await adapter.drop("volunteer")
    reasons = {(q.origin, q.line, q.reason.split(" ")[0]) for q in drop.quarantined}
    origin = "2026-11/共青团_志愿者名册_202611.csv"
    assert (origin, 4, "missing") in reasons
    assert (origin, 5, "duplicate") in reasons
    assert all(q.raw for q in drop.quarantined)


@pytest.fixture(scope="module")
async def own_store(pg_admin: str) -> str:
    """A store of its own, so this test's drop never mixes with the district's."""
    from tests.conftest import migrated_store

    return await migrated_store(pg_admin, "files")


async def test_sync_keeps_good_rows_and_quarantines_bad_ones(tmp_path: Path, own_store: str) -> None:
    adapter = massorg.build(_drop(tmp_path / "drops"))
    pool = await asyncpg.create_pool(own_store, min_size=1, max_size=2)
    try:
        async with pool.acquire() as conn:
            await register_partners(conn, [adapter])
        report = SyncReport()
        await sync_partner(pool, adapter, report)
        assert report.records["massorg.volunteer"] == 2
        assert report.quarantined["massorg.volunteer"] == 2
        async with pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT origin, line, reason FROM quarantine WHERE partner = 'massorg' ORDER BY line")
            assert [(r["line"], r["reason"].split(" ")[0]) for r in rows] == [
                (4, "missing"), (5, "duplicate")]
            again = SyncReport()
            await sync_partner(pool, adapter, again)  # same drop: nothing new, nothing doubled
            assert again.records == {}
            count = await conn.fetchval("SELECT count(*) FROM quarantine WHERE partner='massorg'")
            assert count == 2
    finally:
        await pool.close()


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-8-sig"])
def test_decode_detects_partner_encodings(encoding: str) -> None:
    text = "志愿者编号,姓名,所属组织\nV001,张三,翠湖社区青年志愿服务队\nV002,欧阳娜娜,阳光社区\n"
    assert decode_bytes(text.encode(encoding)) == text


def test_undecodable_bytes_are_a_coded_error() -> None:
    with pytest.raises(PartnerDataInvalid) as info:
        decode_bytes(bytes(range(128, 256)) * 3, "bad.csv")
    assert info.value.extensions["code"] == "PARTNER_DATA_INVALID"




async def _store(pg_admin: str, name: str, adapter: Any) -> asyncpg.Pool:
    from tests.conftest import migrated_store

    pool = await asyncpg.create_pool(await migrated_store(pg_admin, name), min_size=1, max_size=2)
    async with pool.acquire() as conn:
        await register_partners(conn, [adapter])
    return pool


def _workbook(path: Path, rows: list[list[str]]) -> None:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("困难职工档案")
    sheet.write_row(0, 0, ["职工编号", "姓名", "身份证号", "手机", "家庭住址", "困难类别"])
    for r, row in enumerate(rows, start=1):
        sheet.write_row(r, 0, row)
    book.close()


async def test_a_truncated_workbook_is_one_quarantined_row_and_a_coded_live_error(
    tmp_path: Path, pg_admin: str
) -> None:
    month = tmp_path / "2026-11"
    month.mkdir(parents=True)
    path = month / "工会_困难职工档案_202611.xlsx"
    _workbook(path, [["GH001", "赵六", "", "13700000004", "阳光苑1-1-101", "深度困难"]])
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])  # the upload broke off
    adapter = massorg.build(tmp_path)
    with pytest.raises(PartnerDataInvalid, match="unreadable workbook") as info:
        await adapter.fetch_many("hardship_file", ["GH001"])
    assert info.value.extensions["code"] == "PARTNER_DATA_INVALID"
    pool = await _store(pg_admin, "files_truncated", adapter)
    try:
        report = SyncReport()
        await sync_partner(pool, adapter, report)
        assert report.quarantined["massorg.hardship_file"] == 1
        row = await pool.fetchrow("SELECT origin, line, reason, raw, status FROM quarantine")
        assert (row["origin"], row["line"], row["status"]) == (
            "2026-11/工会_困难职工档案_202611.xlsx", None, "open")
        assert row["reason"].startswith("unreadable workbook")
        assert row["raw"].startswith(f"{len(whole) // 2} bytes, sha256 ")
        # The body sends the whole file again, under the same name: read, and the row resolved.
        path.write_bytes(whole)
        again = SyncReport()
        await sync_partner(pool, adapter, again)
        assert again.records["massorg.hardship_file"] == 1
        done = await pool.fetchrow("SELECT status, note FROM quarantine")
        assert (done["status"], done["note"]) == (
            "superseded", "a later version of the file no longer has this row")
        [slot] = await adapter.fetch_many("hardship_file", ["GH001"])
        assert isinstance(slot, Record) and slot.data["level"] == "DEEP"
    finally:
        await pool.close()


async def test_a_corrected_drop_resolves_the_rows_it_fixed_and_keeps_the_rest(
    tmp_path: Path, pg_admin: str
) -> None:
    root = _drop(tmp_path / "drops")
    adapter = massorg.build(root)
    pool = await _store(pg_admin, "files_corrected", adapter)
    path = root / "2026-11" / "共青团_志愿者名册_202611.csv"
    try:
        await sync_partner(pool, adapter, SyncReport())
        # The clerk fills in the missing number; the row typed twice is still there.
        fixed = path.read_bytes().decode("gbk").replace(",无名氏,", "V003,无名氏,")
        path.write_bytes(fixed.encode("gbk"))
        report = SyncReport()
        await sync_partner(pool, adapter, report)
        assert report.records["massorg.volunteer"] == 3
        rows = await pool.fetch("SELECT line, reason, status FROM quarantine "
                                "WHERE entity = 'volunteer' ORDER BY line")
        assert [(r["line"], r["reason"].split(" ")[0], r["status"]) for r in rows] == [
            (4, "missing", "superseded"), (5, "duplicate", "open")]
        assert await pool.fetchval("SELECT count(*) FROM source_records WHERE local_id = 'V003'")
    finally:
        await pool.close()
