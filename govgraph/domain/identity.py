"""The 12-digit personal ID number (số định danh cá nhân) and Vietnamese phone numbers (DOMAIN.md §2)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

Sex = Literal["MALE", "FEMALE"]

# Province codes (PPP) where a birth can be registered: the 63 pre-2025 codes (Circular 07/2016/TT-BCA).
# The 2025 merger renumbered no cards, so these stay valid.
PROVINCE_CODES: dict[str, str] = {
    "001": "Hà Nội", "002": "Hà Giang", "004": "Cao Bằng", "006": "Bắc Kạn", "008": "Tuyên Quang",
    "010": "Lào Cai", "011": "Điện Biên", "012": "Lai Châu", "014": "Sơn La", "015": "Yên Bái",
    "017": "Hòa Bình", "019": "Thái Nguyên", "020": "Lạng Sơn", "022": "Quảng Ninh", "024": "Bắc Giang",
    "025": "Phú Thọ", "026": "Vĩnh Phúc", "027": "Bắc Ninh", "030": "Hải Dương", "031": "Hải Phòng",
    "033": "Hưng Yên", "034": "Thái Bình", "035": "Hà Nam", "036": "Nam Định", "037": "Ninh Bình",
    "038": "Thanh Hóa", "040": "Nghệ An", "042": "Hà Tĩnh", "044": "Quảng Bình", "045": "Quảng Trị",
    "046": "Thừa Thiên Huế", "048": "Đà Nẵng", "049": "Quảng Nam", "051": "Quảng Ngãi", "052": "Bình Định",
    "054": "Phú Yên", "056": "Khánh Hòa", "058": "Ninh Thuận", "060": "Bình Thuận", "062": "Kon Tum",
    "064": "Gia Lai", "066": "Đắk Lắk", "067": "Đắk Nông", "068": "Lâm Đồng", "070": "Bình Phước",
    "072": "Tây Ninh", "074": "Bình Dương", "075": "Đồng Nai", "077": "Bà Rịa - Vũng Tàu", "079": "Hồ Chí Minh",
    "080": "Long An", "082": "Tiền Giang", "083": "Bến Tre", "084": "Trà Vinh", "086": "Vĩnh Long",
    "087": "Đồng Tháp", "089": "An Giang", "091": "Kiên Giang", "092": "Cần Thơ", "093": "Hậu Giang",
    "094": "Sóc Trăng", "095": "Bạc Liêu", "096": "Cà Mau",
}  # fmt: skip

_PID = re.compile(r"^\d{12}$")


class InvalidPersonalId(ValueError):
    """A personal ID that is malformed or inconsistent with the person's date of birth or sex."""


@dataclass(frozen=True)
class PersonalId:
    number: str
    province_code: str
    province: str
    birth_year: int
    sex: Sex
    serial: str


def century_sex_digit(birth_year: int, sex: Sex) -> int:
    """G in PPP G YY NNNNNN: 0/1 for 1900s male/female, 2/3 for 2000s, and so on."""
    century = (birth_year - 1900) // 100
    if century < 0 or century > 4:
        raise InvalidPersonalId(f"birth year {birth_year} cannot be encoded in a personal ID")
    return century * 2 + (1 if sex == "FEMALE" else 0)


def parse_personal_id(number: str) -> PersonalId:
    """Check the format and decode a personal ID. There is no check digit: a well-formed ID can still be wrong."""
    if not _PID.match(number or ""):
        raise InvalidPersonalId("a personal ID has exactly 12 digits")
    ppp, g, yy, serial = number[:3], int(number[3]), int(number[4:6]), number[6:]
    if ppp not in PROVINCE_CODES:
        raise InvalidPersonalId(f"{ppp} is not a province code")
    year = 1900 + 100 * (g // 2) + yy
    return PersonalId(
        number=number,
        province_code=ppp,
        province=PROVINCE_CODES[ppp],
        birth_year=year,
        sex="FEMALE" if g % 2 else "MALE",
        serial=serial,
    )


def validate_personal_id(number: str, date_of_birth: dt.date, sex: Sex, today: dt.date | None = None) -> PersonalId:
    """Parse ``number`` and check it against the person's date of birth and sex."""
    pid = parse_personal_id(number)
    today = today or dt.date.today()
    if pid.birth_year > today.year:
        raise InvalidPersonalId(f"birth year {pid.birth_year} is in the future")
    if pid.birth_year != date_of_birth.year:
        raise InvalidPersonalId(
            f"the ID encodes birth year {pid.birth_year}, the date of birth says {date_of_birth.year}"
        )
    if pid.sex != sex:
        raise InvalidPersonalId(f"the ID encodes sex {pid.sex}, the record says {sex}")
    return pid


def make_personal_id(province_code: str, date_of_birth: dt.date, sex: Sex, serial: int) -> str:
    """Compose a personal ID (as the population DB does at birth registration)."""
    if province_code not in PROVINCE_CODES:
        raise InvalidPersonalId(f"{province_code} is not a province code")
    if not 0 <= serial <= 999_999:
        raise InvalidPersonalId("the serial has 6 digits")
    g = century_sex_digit(date_of_birth.year, sex)
    return f"{province_code}{g}{date_of_birth.year % 100:02d}{serial:06d}"


# Mobile prefixes by carrier (DOMAIN.md §2.2), including the MVNOs that vn-ident misses.
MOBILE_PREFIXES: dict[str, tuple[str, ...]] = {
    "Viettel": ("032", "033", "034", "035", "036", "037", "038", "039", "086", "096", "097", "098"),
    "Vinaphone": ("081", "082", "083", "084", "085", "088", "091", "094"),
    "MobiFone": ("070", "076", "077", "078", "079", "089", "090", "093"),
    "Vietnamobile": ("052", "056", "058", "092"),
    "Gmobile": ("059", "099"),
    "iTel": ("087",),
    "Reddi": ("055",),
}
_MOBILE = re.compile(r"^0\d{9}$")
_LANDLINE_HANOI = re.compile(r"^024\d{8}$")


def normalize_phone(raw: str) -> str | None:
    """A 10-digit mobile or an 11-digit Hanoi landline in national form, or None when it is neither."""
    digits = re.sub(r"[\s.\-()]", "", raw or "")
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    if _MOBILE.match(digits) and any(digits.startswith(p) for ps in MOBILE_PREFIXES.values() for p in ps):
        return digits
    if _LANDLINE_HANOI.match(digits):
        return digits
    return None
