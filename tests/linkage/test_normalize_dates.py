from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.linkage.normalize import parse_date, parse_month

D = date(1985, 3, 7)


@pytest.mark.parametrize(
    "raw",
    ["1985-03-07", "1985/3/7", "1985.03.07", "19850307", "1985年3月7日", "1985年03月07日",
     "1985-3-7", "1985年3月7号", 31113, 31113.0, "31113", "85.3.7", "85-03-07",
     "1985-03-07 12:30:00", "1985-03-07T12:30:00+08:00", "1985/03/07 08:00", "19850307123000",
     "１９８５－０３－０７", " 1985-03-07 ", "一九八五年三月七日", datetime(1985, 3, 7, 9, 30), D,
     19850307],
)
def test_date_spellings(raw):
    assert parse_date(raw) == D


def test_two_digit_year_pivot_is_fixed_at_26():
    assert parse_date("26.1.1") == date(2026, 1, 1)
    assert parse_date("27.1.1") == date(1927, 1, 1)
    assert parse_date("05.3.7") == date(2005, 3, 7)


@pytest.mark.parametrize(
    "raw", [None, "", "无", "1985-02-30", "1985-13-01", "abc", float("nan"), "1985", -5, True, "0"]
)
def test_not_dates(raw):
    assert parse_date(raw) is None


@pytest.mark.parametrize(
    "raw", ["1998.07", "1998.7", "1998年7月", "199807", "1998-07", "1998/7", "1998年07月",
            1998.07, "1998-07-15", 35985, "一九九八年七月"],
)
def test_month_spellings(raw):
    assert parse_month(raw) == (1998, 7)


@pytest.mark.parametrize("raw", [None, "", "1998.13", "1998", "待补", "abc"])
def test_not_months(raw):
    assert parse_month(raw) is None


@settings(max_examples=60, deadline=None)
@given(st.dates(min_value=date(1900, 3, 1), max_value=date(2099, 12, 31)))
def test_excel_serial_and_spellings_agree(day):
    serial = (day - date(1899, 12, 30)).days
    spellings = [serial, float(serial), day.isoformat(), day.strftime("%Y%m%d"),
                 f"{day.year}年{day.month}月{day.day}日", f"{day.year}/{day.month}/{day.day}"]
    if serial > 2100:  # as text, '1985' is a year and '61' is nothing; longer runs are serials
        spellings.append(str(serial))
    assert {parse_date(s) for s in spellings} == {day}
    assert parse_month(day.strftime("%Y.%m")) == (day.year, day.month)
    assert parse_date(serial + 0.75) == day  # a time of day in the serial's fraction
    assert parse_date(datetime.combine(day, datetime.min.time()) + timedelta(hours=23)) == day
