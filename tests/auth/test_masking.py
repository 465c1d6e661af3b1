"""Masked values keep nothing the masked level should not show."""

from __future__ import annotations

import pytest

from gateway.auth.access import mask_date


@pytest.mark.parametrize(("written", "year"), [
    ("1958-03-02", "1958"), ("19580302", "1958"), ("1958年3月2日", "1958"), ("58.3.2", "1958"),
    ("1958/3/2", "1958"), ("21245", "1958"),  # an Excel serial: 1958-03-01
])
def test_a_birth_date_masks_to_its_year_however_it_was_written(written: str, year: str) -> None:
    assert mask_date(written) == year


@pytest.mark.parametrize("written", ["待补", "不详", "3/2/1958x", "12"])
def test_what_is_no_date_masks_to_nothing_not_to_its_first_digits(written: str) -> None:
    assert mask_date(written) is None


def test_nothing_stays_nothing() -> None:
    assert mask_date(None) is None and mask_date("") == ""
