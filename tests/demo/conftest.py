"""Fixtures for the simulated district: a small hand-made district folder and a PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson
import pytest

from gateway.db.embedded import start_embedded


def _write(folder: Path, partner: str, table: str, rows: list[dict[str, Any]]) -> None:
    path = folder / "rows" / partner / f"{table}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(orjson.dumps(row) + b"\n" for row in rows))


def _rc(folder: Path) -> None:
    _write(folder, "rc", "community", [
        {"sqbm": "110105001001", "sqmc": "翠湖社区", "jdbm": "110105001", "jdmc": "光明街道"},
        {"sqbm": "110105001002", "sqmc": "建设社区", "jdbm": "110105001", "jdmc": "光明街道"},
    ])  # fmt: skip
    hus = [
        {"hubh": f"110105001001-01-{i:04d}", "sqbm": "110105001001", "hzxm": f"王{i}",
         "hb": "家庭户", "xiaoqu": "翠湖花园", "loudong": "3", "danyuan": "2", "fanghao": "301",
         "zhuzhi": None, "dh": "13800000000", "wg": "第01网格",
         "updated_at": f"2025-03-{1 + i % 28:02d} 08:00:00"}
        for i in range(1, 31)
    ]  # fmt: skip
    _write(folder, "rc", "hu", hus)
    ren = [
        {"rybh": f"R{i:08d}", "hubh": hus[i % 30]["hubh"], "xm": f"张{i}", "xb": "男",
         "sfzh": f"11010519800101{i:04d}", "csrq": "1980-01-01", "yhzgx": "户主",
         "updated_at": "2025-03-02 09:30:00"}
        for i in range(75)
    ]  # fmt: skip
    _write(folder, "rc", "ren", ren)
    _write(folder, "rc", "huiyi", [
        {"hybh": "HY110105001001-001", "sqbm": "110105001001", "hylx": "联席会",
         "hyrq": "2025-02-14", "zt": "物业费", "cyrs": 12, "jy": "……",
         "updated_at": "2025-02-14 17:00:00"},
    ])  # fmt: skip
    _write(folder, "rc", "jiedai", [
        {"jdbh": "JD-2025-0214-01", "sqbm": "110105001001", "jdfs": "恳谈会", "jdrq": "2025-02-14",
         "fyr": "王阿姨", "lxdh": "138****0000", "zz": "翠湖花园3号楼", "sxlb": "停车管理",
         "fysx": "反映消防通道被私家车占用", "blqk": "已答复", "dfrq": "2025-02-18",
         "blsx": "2025-02-21", "updated_at": "2025-02-18 16:20:00"},
        {"jdbh": "JD-2025-0301-01", "sqbm": "110105001001", "jdfs": "接待室", "jdrq": "2025-03-01",
         "fyr": "王1", "lxdh": "13800000000", "zz": "翠湖花园3-2-301", "sxlb": "其他",
         "fysx": "咨询社区活动报名", "blqk": "办理中", "dfrq": None, "blsx": "2025-03-08",
         "updated_at": "2025-03-01 10:05:00"},
    ])  # fmt: skip


def _party(folder: Path) -> None:
    _write(folder, "party", "zuzhi", [
        {"zzid": "ZZ001", "zzmc": "中共翠湖社区委员会", "zzlx": "党委", "sqbm": "110105001001",
         "updated_at": "2025-01-01 00:00:00"},
    ])  # fmt: skip
    _write(folder, "party", "dangyuan", [
        {"dyid": f"DY{i:05d}", "xm": f"李{i}", "rdsj": 35870 if i == 0 else "1998.07",
         "updated_at": "2025-01-02 00:00:00"}
        for i in range(12)
    ])  # fmt: skip
    _write(folder, "party", "baolian", [
        {"blid": "BL00001", "dyid": "DY00001", "bljc": "党员包户", "bldx": "翠湖花园3-2-301",
         "sqbm": "110105001001", "updated_at": "2025-01-03 00:00:00"},
    ])  # fmt: skip
    _write(folder, "party", "zoufang", [
        {"zfid": f"ZF{i:06d}", "dyid": "DY00001", "lxh": "3#2-301", "sqbm": "110105001001",
         "zfrq": f"2025-03-{1 + i:02d}", "zfxs": "入户", "updated_at": f"2025-03-{1 + i:02d} 12:00:00"}
        for i in range(5)
    ])  # fmt: skip


def _rest(folder: Path) -> None:
    # Few distinct update times, so the feeds must order ties by key.
    _write(folder, "hall", "banjian", [
        {"bjbh": f"DJ20250315{i:05d}", "sqrxm": "张三", "zjhm": "110105198001010011",
         "gxsj": f"2025-03-{1 + (i * 7) % 5:02d} 10:00:00"}
        for i in range(250)
    ])  # fmt: skip
    _write(
        folder,
        "hall",
        "wuka",
        [{"kh": "WKA000001", "klx": "医疗卡", "gxsj": "2025-01-01 00:00:00"}],
    )
    _write(folder, "hall", "daiban", [{"dbdh": "DB-2025-0312-07", "gxsj": "2025-03-12 09:00:00"}])
    _write(folder, "hotline", "workorders", [
        {"gdbh": f"2025031500000{i:05d}", "sqr": "王女士", "gxsj": f"2025-03-{1 + i % 3:02d} 08:00:00"}
        for i in range(120)
    ])  # fmt: skip
    _write(
        folder, "hotline", "petitions", [{"xfjbh": "XF2025000001", "gxsj": "2025-03-01 08:00:00"}]
    )
    disputes = [
        {"caseId": f"M{i:06d}", "category": "邻里纠纷",
         "parties": [{"role": "申请人", "name": "李四", "idNumber": None}],
         "updatedAt": f"2025-03-{1 + i % 4:02d}T10:00:00+08:00"}
        for i in range(230)
    ]  # fmt: skip
    # Same instant as 2025-03-01T10:30:00+08:00 written in UTC: must sort as Shanghai time.
    disputes.append({"caseId": "M900000", "parties": [], "updatedAt": "2025-03-01T02:30:00Z"})
    _write(folder, "mediation", "disputes", disputes)


@pytest.fixture(scope="session")
def district_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny district folder as the generator would write it (rows only, empty massorg)."""
    folder = tmp_path_factory.mktemp("district")
    _rc(folder)
    _party(folder)
    _rest(folder)
    (folder / "massorg").mkdir()
    return folder


@pytest.fixture(scope="session")
def admin_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    """TEST_DATABASE_URL, or an embedded PostgreSQL for this test session."""
    return os.environ.get("TEST_DATABASE_URL") or start_embedded(
        tmp_path_factory.mktemp("pg") / "pg"
    )
