"""Personal ID numbers, phone numbers and text folding (DOMAIN.md §2)."""

from __future__ import annotations

import datetime as dt

import pytest

from govgraph.domain.identity import (
    InvalidPersonalId,
    make_personal_id,
    normalize_phone,
    parse_personal_id,
    validate_personal_id,
)
from govgraph.domain.text import fold, like_pattern, nfc


def test_parse_decodes_province_century_sex_and_year() -> None:
    pid = parse_personal_id("001087123456")
    assert (pid.province, pid.birth_year, pid.sex, pid.serial) == ("Hà Nội", 1987, "MALE", "123456")
    assert parse_personal_id("001305000001").birth_year == 2005
    assert parse_personal_id("001305000001").sex == "FEMALE"


@pytest.mark.parametrize(
    ("number", "why"),
    [
        ("00108712345", "12 digits"),
        ("00108712345a", "12 digits"),
        ("003087123456", "province"),
        ("", "12 digits"),
    ],
)
def test_malformed_ids_are_refused(number: str, why: str) -> None:
    with pytest.raises(InvalidPersonalId, match=why):
        parse_personal_id(number)


def test_id_must_agree_with_date_of_birth_and_sex() -> None:
    validate_personal_id("001087123456", dt.date(1987, 5, 1), "MALE")
    with pytest.raises(InvalidPersonalId, match="birth year"):
        validate_personal_id("001087123456", dt.date(1988, 5, 1), "MALE")
    with pytest.raises(InvalidPersonalId, match="sex"):
        validate_personal_id("001087123456", dt.date(1987, 5, 1), "FEMALE")
    with pytest.raises(InvalidPersonalId, match="future"):
        validate_personal_id("001399123456", dt.date(2099, 1, 1), "FEMALE", today=dt.date(2026, 1, 1))


def test_make_round_trips() -> None:
    number = make_personal_id("001", dt.date(2025, 7, 2), "FEMALE", 42)
    assert number == "001325000042"
    validate_personal_id(number, dt.date(2025, 7, 2), "FEMALE")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0912 345 678", "0912345678"),
        ("+84 912345678", "0912345678"),
        ("84912345678", "0912345678"),
        ("0871234567", "0871234567"),  # iTel, an MVNO
        ("024 3825 3536", "02438253536"),  # Hanoi landline
        ("0112345678", None),  # no such prefix
        ("12345", None),
    ],
)
def test_phone_normalisation(raw: str, expected: str | None) -> None:
    assert normalize_phone(raw) == expected


def test_fold_and_nfc() -> None:
    assert fold("Nguyễn Đức  Anh") == "nguyen duc anh"
    assert fold("Thuỵ") == fold("Thụy") == "thuy"
    decomposed = "Nguye\u0302\u0303n"
    assert nfc(decomposed) == "Nguyễn"
    assert like_pattern("Nguyen 50%") == "%nguyen%50%"
