"""The residents' committee's reception log (rc `jiedai`): its own stream, its columns, its truth."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, timedelta

import pytest

from gateway.demo import generator
from gateway.demo.generator import District, generate
from gateway.demo.names import TODAY

NUMBER = re.compile(r"JD-(\d{4})-(\d{2})(\d{2})-\d{2}")
MASKED = re.compile(r"1\d{2}\*{4}\d{4}")
HONORIFIC = re.compile(r"(老.{1,2}|.{1,2}(阿姨|大爷|奶奶|叔叔|大姐|师傅|女士|先生))")


@pytest.fixture(scope="module")
def district() -> District:
    return generate(3000)


@pytest.fixture(scope="module")
def rows(district: District) -> list[dict]:
    return district.rows["rc"]["jiedai"]


def test_the_log_leaves_every_other_table_as_it_was(monkeypatch: pytest.MonkeyPatch) -> None:
    with_log = generate(300, seed=7)
    assert generate(300, seed=7).rows["rc"]["jiedai"] == with_log.rows["rc"]["jiedai"]
    monkeypatch.setitem(generator.RATES, "jiedai", 0.0)
    without = generate(300, seed=7)
    assert without.rows["rc"]["jiedai"] == [] and len(with_log.rows["rc"]["jiedai"]) == 45
    for partner, tables in without.rows.items():
        for table, table_rows in tables.items():
            if table != "jiedai":
                assert with_log.rows[partner][table] == table_rows, table
    assert [t for t in with_log.truth if t["entity"] != "reception"] == without.truth


def test_rate_channels_and_categories(rows: list[dict]) -> None:
    assert len(rows) == 450  # 0.15 per household
    channels = Counter(r["jdfs"] for r in rows)
    assert 0.68 <= channels["接待室"] / 450 <= 0.82
    assert 0.14 <= channels["恳谈会"] / 450 <= 0.26 and channels["入户"] > 5
    assert len({r["sxlb"] for r in rows}) == 7
    assert all(r["fysx"] for r in rows)


def test_numbers_dates_and_handling(rows: list[dict]) -> None:
    keys = [r["jdbh"] for r in rows]
    assert len(set(keys)) == len(keys)
    for r in rows:
        received = date.fromisoformat(r["jdrq"])
        year, month, day = map(int, NUMBER.fullmatch(r["jdbh"]).groups())  # type: ignore[union-attr]
        assert date(year, month, day) == received
        assert TODAY - timedelta(days=731) <= received < TODAY
        assert r["blsx"] == (received + timedelta(days=7)).isoformat()
        assert (r["dfrq"] is None) == (r["blqk"] == "办理中")
        if r["dfrq"]:
            assert r["jdrq"] <= r["dfrq"] <= TODAY.isoformat()
        assert r["jdrq"] <= r["updated_at"][:10]
    status = Counter(r["blqk"] for r in rows)
    assert status["已答复"] > status["已转办"] > status["办理中"] > 0
    late = [r for r in rows if r["dfrq"] and r["dfrq"] > r["blsx"]]
    assert 0 < len(late) < len(rows) * 0.2  # some answers came after the time limit


def test_forums_fall_on_meeting_days(district: District, rows: list[dict]) -> None:
    met = {(m["sqbm"], m["hyrq"]) for m in district.rows["rc"]["huiyi"]}
    forums = [r for r in rows if r["jdfs"] == "恳谈会"]
    assert forums and all((r["sqbm"], r["jdrq"]) in met for r in forums)


def test_visitors_are_written_down_carelessly(rows: list[dict]) -> None:
    names = [r["fyr"] for r in rows]
    honorific = sum(bool(HONORIFIC.fullmatch(n)) for n in names) / len(rows)
    assert 0.12 <= honorific <= 0.35
    masked = sum(bool(MASKED.fullmatch(r["lxdh"] or "")) for r in rows) / len(rows)
    assert 0.05 <= masked <= 0.2
    assert 0.02 <= sum(r["zz"] is None for r in rows) / len(rows) <= 0.15
    assert sum(bool(re.fullmatch(r".+\d+号楼", r["zz"] or "")) for r in rows) > 10  # a forum's


def test_truth_names_the_visitor(district: District, rows: list[dict]) -> None:
    truth = {t["local_id"]: t for t in district.truth if t["entity"] == "reception"}
    assert set(truth) == {r["jdbh"] for r in rows}
    assert all(t["partner"] == "rc" for t in truth.values())
    outsiders = [t for t in truth.values() if t["household"] is None]
    assert 0 < len(outsiders) < len(rows) * 0.05
    assert all(t["person"] for t in truth.values() if t["household"])
    codes = {c["sqbm"] for c in district.rows["rc"]["community"]}
    assert {r["sqbm"] for r in rows} == codes
