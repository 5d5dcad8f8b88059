"""Names, IDs, phones and addresses that look real to a Hanoian (DOMAIN.md §2 and §9).

faker's vi_VN data puts the family name last and uses obsolete phone formats, so govgraph has its own
generators. Frequencies of family names follow published surveys (Nguyễn ~38%, Trần ~11%, Lê ~9.5% ...).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import ClassVar

from govgraph.domain.identity import MOBILE_PREFIXES, Sex, make_personal_id
from govgraph.domain.text import fold, nfc

FAMILY_NAMES: list[tuple[str, float]] = [
    ("Nguyễn", 38.4), ("Trần", 11.0), ("Lê", 9.5), ("Phạm", 7.1), ("Hoàng", 4.1), ("Huỳnh", 1.0),
    ("Phan", 4.5), ("Vũ", 3.9), ("Võ", 1.0), ("Đặng", 2.1), ("Bùi", 2.0), ("Đỗ", 1.4), ("Hồ", 1.3),
    ("Ngô", 1.3), ("Dương", 1.0), ("Lý", 0.5), ("Đinh", 0.8), ("Đào", 0.7), ("Trịnh", 0.6), ("Mai", 0.5),
    ("Tạ", 0.3), ("Lương", 0.4), ("Cao", 0.4), ("Chu", 0.3), ("Kiều", 0.2), ("Tô", 0.3), ("Khúc", 0.1),
    ("Quách", 0.1), ("Nghiêm", 0.1), ("Văn", 0.2), ("Lại", 0.2), ("Triệu", 0.2), ("Hà", 0.4),
]  # fmt: skip

MIDDLE_MALE = ["Văn", "Đức", "Minh", "Quang", "Hữu", "Thành", "Công", "Xuân", "Ngọc", "Mạnh", "Tuấn",
               "Quốc", "Hoàng", "Đình", "Trọng", "Việt", "Anh", "Gia", "Duy", "Thế", "Bảo", "Đăng"]  # fmt: skip
MIDDLE_FEMALE = ["Thị", "Thu", "Ngọc", "Thanh", "Minh", "Phương", "Thuỳ", "Hồng", "Kim", "Bích", "Mai",
                 "Khánh", "Bảo", "Hải", "Diệu", "Quỳnh", "Lan", "Hoài", "Cẩm", "Tuyết"]  # fmt: skip
GIVEN_MALE = ["Anh", "Bình", "Cường", "Dũng", "Đạt", "Đức", "Giang", "Hải", "Hiếu", "Hoàng", "Hùng", "Huy",
              "Khánh", "Khôi", "Kiên", "Lâm", "Long", "Minh", "Nam", "Nghĩa", "Phong", "Phúc", "Quân", "Quang",
              "Sơn", "Tâm", "Thắng", "Thành", "Trung", "Tú", "Tuấn", "Tùng", "Việt", "Vinh", "Vũ", "Bảo",
              "Đăng", "Hưng", "Lộc", "Thịnh", "Toàn", "Trí", "An", "Khang", "Nhật"]  # fmt: skip
GIVEN_FEMALE = ["Anh", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hiền", "Hoa", "Huyền", "Hương", "Lan",
                "Liên", "Linh", "Loan", "Mai", "My", "Nga", "Ngọc", "Nhung", "Oanh", "Phương", "Quỳnh", "Tâm",
                "Thảo", "Thu", "Thuỷ", "Trang", "Trinh", "Tú", "Uyên", "Vân", "Yến", "Hoà", "Ngân", "Nhi",
                "Thư", "Vy", "Châu", "Diệp", "Hậu", "Khuê", "Lam", "Minh", "Ánh"]  # fmt: skip

# Real streets of Hanoi (a sample across the old districts).
STREETS = [
    "Lý Thường Kiệt", "Trần Hưng Đạo", "Hàng Bài", "Tràng Tiền", "Đinh Tiên Hoàng", "Hàng Gai", "Hàng Bạc",
    "Phan Đình Phùng", "Hoàng Diệu", "Điện Biên Phủ", "Kim Mã", "Đội Cấn", "Liễu Giai", "Văn Cao",
    "Nguyễn Thái Học", "Tôn Đức Thắng", "Xã Đàn", "Thái Hà", "Chùa Bộc", "Tây Sơn", "Láng", "Nguyễn Trãi",
    "Lê Văn Lương", "Khuất Duy Tiến", "Trần Duy Hưng", "Cầu Giấy", "Xuân Thủy", "Hồ Tùng Mậu",
    "Phạm Văn Đồng", "Hoàng Quốc Việt", "Lạc Long Quân", "Âu Cơ", "Nghi Tàm", "Thụy Khuê", "Minh Khai",
    "Bạch Mai", "Giải Phóng", "Trương Định", "Tam Trinh", "Lĩnh Nam", "Nguyễn Văn Cừ", "Ngọc Lâm",
    "Nguyễn Văn Linh", "Quang Trung", "Tô Hiệu", "Nguyễn Khuyến", "Ngô Gia Tự", "Trần Phú", "Lê Duẩn",
    "Bà Triệu", "Huế", "Phố Vọng", "Đại La", "Kim Ngưu", "Hoàng Hoa Thám", "Nguyễn Chí Thanh",
]  # fmt: skip

_FAMILY, _FAMILY_W = zip(*FAMILY_NAMES, strict=True)


@dataclass(frozen=True)
class Name:
    family: str
    middle: str
    given: str

    @property
    def full(self) -> str:
        return nfc(" ".join(p for p in (self.family, self.middle, self.given) if p))

    @property
    def folded(self) -> str:
        return fold(self.full)


def family_name(rng: random.Random) -> str:
    name: str = rng.choices(_FAMILY, weights=_FAMILY_W)[0]
    return name


def person_name(rng: random.Random, sex: Sex, family: str | None = None) -> Name:
    """A full name in Vietnamese order; a second middle name now and then, as in real registers."""
    middles = MIDDLE_MALE if sex == "MALE" else MIDDLE_FEMALE
    givens = GIVEN_MALE if sex == "MALE" else GIVEN_FEMALE
    middle = rng.choice(middles)
    if rng.random() < 0.12:
        second = rng.choice(middles)
        if second != middle:
            middle = f"{middle} {second}"
    return Name(nfc(family or family_name(rng)), nfc(middle), nfc(rng.choice(givens)))


class PersonalIds:
    """Unique personal IDs: province of birth registration (mostly Hà Nội), century/sex digit, year, serial."""

    OTHER_PROVINCES: ClassVar[list[str]] = [
        "030",
        "033",
        "034",
        "035",
        "036",
        "037",
        "038",
        "040",
        "022",
        "027",
        "024",
        "019",
        "026",
        "025",
    ]

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def new(self, dob: dt.date, sex: Sex, born_in_hanoi: float = 0.75) -> str:
        province = "001" if self.rng.random() < born_in_hanoi else self.rng.choice(self.OTHER_PROVINCES)
        while True:
            pid = make_personal_id(province, dob, sex, self.rng.randrange(1_000_000))
            if pid not in self.used:
                self.used.add(pid)
                return pid


_ALL_MOBILE = [p for prefixes in MOBILE_PREFIXES.values() for p in prefixes]
_MOBILE_WEIGHTS = [3.0 if p.startswith(("03", "09")) else 1.0 for p in _ALL_MOBILE]


def mobile(rng: random.Random) -> str:
    prefix = rng.choices(_ALL_MOBILE, weights=_MOBILE_WEIGHTS)[0]
    return prefix + f"{rng.randrange(10_000_000):07d}"


def street_address(rng: random.Random, unit_name: str, street: str | None = None) -> str:
    """'Số 12, ngõ 34 Láng, Phường Láng, Hà Nội' style text."""
    number = rng.randint(1, 220)
    street = street or rng.choice(STREETS)
    if rng.random() < 0.45:
        return f"Số {number}, ngõ {rng.randint(2, 180)} {street}, {unit_name}, Hà Nội"
    return f"Số {number} {street}, {unit_name}, Hà Nội"


def date_between(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))
