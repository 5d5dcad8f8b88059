"""Seed the education store: schools in every unit of the pilot area and across the city, every school-age child
of the population enrolled at a school of their level near home, their parents as guardians, the e-grade book of
secondary students (Circular 22 counts) and the summer's online enrolment applications.

Grade book: the whole previous school year (both semesters, so averages and ratings exist) and the current
school year's entries up to today. At city scale the population has fewer school-age children than Hanoi's
schools teach, so children of families registered in other provinces (tạm trú) are added: they are in the
education store only (their ``citizen`` is null).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from govgraph.datasources import education as ds
from govgraph.datasources.base import Store
from govgraph.datasources.places import CURRENT, Unit, gazetteer
from govgraph.domain.education import regular_count, school_year_of, school_year_start
from govgraph.domain.identity import Sex, make_personal_id
from govgraph.domain.text import fold
from govgraph.seed import PILOT_WARD, SeedContext
from govgraph.seed.names import Name, date_between, family_name, mobile, person_name, street_address

LEVELS = ("KINDERGARTEN", "PRIMARY", "LOWER_SECONDARY", "UPPER_SECONDARY")
LEVEL_DIGIT = {"KINDERGARTEN": "1", "PRIMARY": "2", "LOWER_SECONDARY": "3", "UPPER_SECONDARY": "4"}
PREFIX = {"KINDERGARTEN": "Trường Mầm non", "PRIMARY": "Trường Tiểu học", "LOWER_SECONDARY": "Trường THCS",
          "UPPER_SECONDARY": "Trường THPT"}  # fmt: skip
AGE_GROUP_NAMES = {3: "Mầm", 4: "Chồi", 5: "Lá"}
CLASS_SIZE = {"KINDERGARTEN": 30, "PRIMARY": 40, "LOWER_SECONDARY": 44, "UPPER_SECONDARY": 45}
CITY_STUDENTS = 300_000

# (code, name, mode): GDPT 2018 subjects of grades 6-12, in the order of the school record.
SUBJECTS = [
    ("NV", "Ngữ văn", "SCORE"), ("TOAN", "Toán", "SCORE"), ("NN1", "Ngoại ngữ 1 (Tiếng Anh)", "SCORE"),
    ("GDCD", "Giáo dục công dân", "SCORE"), ("LS", "Lịch sử", "SCORE"),
    ("LSDL", "Lịch sử và Địa lí", "SCORE"), ("KHTN", "Khoa học tự nhiên", "SCORE"),
    ("GDQPAN", "Giáo dục quốc phòng và an ninh", "SCORE"), ("DL", "Địa lí", "SCORE"),
    ("KTPL", "Giáo dục kinh tế và pháp luật", "SCORE"), ("LI", "Vật lí", "SCORE"), ("HOA", "Hóa học", "SCORE"),
    ("SINH", "Sinh học", "SCORE"), ("CN", "Công nghệ", "SCORE"), ("TIN", "Tin học", "SCORE"),
    ("GDTC", "Giáo dục thể chất", "COMMENT"), ("AN", "Nghệ thuật (Âm nhạc)", "COMMENT"),
    ("MT", "Nghệ thuật (Mĩ thuật)", "COMMENT"), ("HDTN", "Hoạt động trải nghiệm, hướng nghiệp", "COMMENT"),
    ("GDDP", "Nội dung giáo dục địa phương", "COMMENT"),
]  # fmt: skip
MODE = {code: mode for code, _n, mode in SUBJECTS}

LOWER = {"NV": 140, "TOAN": 140, "NN1": 105, "GDCD": 35, "LSDL": 105, "KHTN": 140, "TIN": 35, "GDTC": 70,
         "AN": 35, "MT": 35, "HDTN": 105, "GDDP": 35}  # fmt: skip
UPPER = {"NV": 105, "TOAN": 105, "NN1": 105, "LS": 52, "GDQPAN": 35, "GDTC": 70, "HDTN": 105, "GDDP": 35}
ELECTIVES = ("DL", "KTPL", "LI", "HOA", "SINH", "CN", "TIN", "AN", "MT")
COMBOS = [  # tổ hợp môn lựa chọn offered by Hanoi upper secondary schools
    ("LI", "HOA", "SINH", "TIN"), ("LI", "HOA", "TIN", "CN"), ("LI", "HOA", "DL", "KTPL"),
    ("HOA", "SINH", "DL", "TIN"), ("DL", "KTPL", "LI", "TIN"), ("DL", "KTPL", "HOA", "SINH"),
    ("DL", "KTPL", "TIN", "CN"), ("DL", "KTPL", "TIN", "MT"),
]  # fmt: skip


def curriculum() -> dict[int, dict[str, tuple[int, bool]]]:
    """Grade -> subject code -> (periods per year, elective)."""
    out: dict[int, dict[str, tuple[int, bool]]] = {}
    for grade in range(6, 10):
        out[grade] = {code: (p, False) for code, p in LOWER.items()}
        out[grade]["CN"] = (35 if grade < 8 else 52, False)
    for grade in range(10, 13):
        out[grade] = {code: (p, False) for code, p in UPPER.items()}
        out[grade].update({code: (70, True) for code in ELECTIVES})
    return out


FIGURES = [
    "Trưng Vương", "Ngô Quyền", "Lý Thường Kiệt", "Trần Hưng Đạo", "Lê Lợi", "Nguyễn Trãi", "Quang Trung",
    "Chu Văn An", "Nguyễn Du", "Lê Quý Đôn", "Phan Chu Trinh", "Phan Bội Châu", "Đinh Tiên Hoàng",
    "Lý Công Uẩn", "Tô Hiến Thành", "Hoàng Hoa Thám", "Lê Ngọc Hân", "Võ Thị Sáu", "Kim Đồng", "Lê Văn Tám",
    "Nguyễn Văn Trỗi", "Nguyễn Siêu", "Ngô Sĩ Liên", "Lương Thế Vinh", "Trần Phú", "Nguyễn Bỉnh Khiêm",
    "Lê Hồng Phong", "Phùng Hưng", "Mạc Đĩnh Chi", "Trần Quốc Toản", "Yết Kiêu", "Dã Tượng", "Lý Tự Trọng",
    "Nguyễn Công Trứ", "Nguyễn Đình Chiểu", "Đoàn Thị Điểm", "Hai Bà Trưng", "Lê Thánh Tông", "Trần Nhân Tông",
    "Phan Huy Chú", "Ngô Gia Tự", "Nguyễn Khuyến", "Tô Vĩnh Diện", "Bế Văn Đàn", "Cù Chính Lan", "Hoàng Diệu",
    "Nguyễn Huệ", "Ngô Thì Nhậm", "Nguyễn Hiền", "Mạc Thị Bưởi", "Nguyễn Thị Minh Khai", "Lê Văn Hưu",
    "Trần Quang Khải", "Phạm Ngũ Lão", "Lý Nam Đế", "Triệu Thị Trinh", "Nguyễn Gia Thiều", "Lê Quý Đôn",
]  # fmt: skip
KINDERGARTEN_NAMES = [
    "Hoa Sen", "Hoa Mai", "Hoa Sữa", "Hoa Hồng", "Tuổi Thơ", "Họa Mi", "Sơn Ca", "Bằng Lăng", "Ánh Dương",
    "Hoa Phượng", "Bình Minh", "Búp Sen Hồng", "Thủy Tiên", "Tuổi Hoa", "Hướng Dương", "Sao Mai", "Hoa Ban",
    "Hoa Đào", "Mặt Trời Hồng", "Hoa Anh Đào", "Chim Non", "Hoa Lan", "Bông Sen", "Hoa Thủy Tiên", "Vàng Anh",
]  # fmt: skip
# Real schools of the pilot area (former Quận Hoàn Kiếm) by current unit and level.
PILOT_SCHOOLS: dict[str, dict[str, list[str]]] = {
    "00070": {"KINDERGARTEN": ["Hoa Sữa", "Tuổi Thơ", "Hoàn Kiếm"], "PRIMARY": ["Tràng An", "Hoàn Kiếm"],
              "LOWER_SECONDARY": ["Trưng Vương", "Ngô Sĩ Liên"], "UPPER_SECONDARY": ["Trần Phú - Hoàn Kiếm"]},
    "00082": {"KINDERGARTEN": ["Hoa Mai", "Bằng Lăng", "Cửa Nam"], "PRIMARY": ["Trần Quốc Toản", "Quang Trung"],
              "LOWER_SECONDARY": ["Trần Phú", "Lê Lợi"], "UPPER_SECONDARY": ["Việt Đức"]},
    "00097": {"KINDERGARTEN": ["Chương Dương", "Hoa Hồng", "Hồng Hà"], "PRIMARY": ["Hồng Hà", "Chương Dương"],
              "LOWER_SECONDARY": ["Chương Dương", "Nguyễn Du"], "UPPER_SECONDARY": ["Đoàn Kết - Hai Bà Trưng"]},
    "00004": {"KINDERGARTEN": ["Ngọc Hà", "Hoa Sen", "Ba Đình"], "PRIMARY": ["Điện Biên", "Nguyễn Trung Trực"],
              "LOWER_SECONDARY": ["Phan Chu Trinh", "Thăng Long"], "UPPER_SECONDARY": ["Phan Đình Phùng"]},
    "00226": {"KINDERGARTEN": ["Văn Chương", "Sơn Ca", "Văn Miếu"], "PRIMARY": ["Văn Chương", "Quốc Tử Giám"],
              "LOWER_SECONDARY": ["Lý Thường Kiệt", "Bế Văn Đàn"], "UPPER_SECONDARY": ["Lý Thường Kiệt"]},
}  # fmt: skip


@dataclass
class SchoolSeed:
    code: str
    name: str
    level: str
    unit: str


@dataclass
class Family:
    """A pupil as the education store knows them (from the population, or a family registered elsewhere)."""

    pid: str
    name: Name
    dob: dt.date
    sex: Sex
    unit: str
    guardians: list[tuple[str, str, str, str | None]] = field(default_factory=list)
    """(pid, relation, full name, phone)."""


def pilot_units() -> list[str]:
    """Current units formed (wholly or partly) from the wards of the former Quận Hoàn Kiếm, the 2017 pilot."""
    g = gazetteer()
    return sorted({c for w in g.wards_of["002"] for c in g.current_codes_of(w.code)} | {PILOT_WARD})


def home_district() -> dict[str, str]:
    """Current unit -> the legacy district most of it came from (neighbourhood for school catchment)."""
    g = gazetteer()
    out = {}
    for u in g.current():
        districts = [link.legacy.district_code for link in g.predecessors.get(u.code, []) if link.legacy.district_code]
        out[u.code] = max(sorted(set(districts)), key=districts.count) if districts else "000"
    return out


def _short(unit: Unit) -> str:
    return unit.name.split(" ", 1)[1] if " " in unit.name else unit.name


def _plan_schools(ctx: SeedContext, rng: random.Random) -> list[SchoolSeed]:
    g = gazetteer()
    pilot = pilot_units()
    taken: dict[str, set[str]] = defaultdict(set)
    out: list[SchoolSeed] = []
    serial: dict[tuple[str, str], int] = defaultdict(int)

    def add(unit: Unit, level: str, base: str | None = None) -> None:
        candidates = [base] if base else []
        pool = KINDERGARTEN_NAMES if level == "KINDERGARTEN" else FIGURES
        candidates += [*rng.sample(pool, 4), _short(unit), f"{_short(unit)} A", f"{_short(unit)} B"]
        name = next((c for c in candidates if c not in taken[level]), f"{_short(unit)} số {len(taken[level])}")
        taken[level].add(name)
        serial[(unit.code, level)] += 1
        code = f"01{unit.code}{LEVEL_DIGIT[level]}{serial[(unit.code, level)]:02d}"
        out.append(SchoolSeed(code, f"{PREFIX[level]} {name}", level, unit.code))

    for code in pilot:
        unit = g.units[(CURRENT.value, code)]
        for level, names in PILOT_SCHOOLS.get(code, {}).items():
            for n in names:
                add(unit, level, n)
    others = [u for u in g.current() if u.code not in pilot]
    if ctx.scale == "demo":
        for unit in sorted(rng.sample(others, 80), key=lambda u: u.code):
            add(unit, rng.choices(LEVELS, weights=[35, 30, 25, 10])[0])
    else:
        for unit in others:
            counts = {"KINDERGARTEN": rng.randint(3, 6), "PRIMARY": rng.randint(2, 4),
                      "LOWER_SECONDARY": rng.randint(1, 3), "UPPER_SECONDARY": rng.choice([1, 1, 2])}  # fmt: skip
            for level, count in counts.items():
                for _ in range(count):
                    add(unit, level)
    return out


def level_of(grade: int) -> str:
    if grade <= 0:
        return "KINDERGARTEN"
    if grade <= 5:
        return "PRIMARY"
    return "LOWER_SECONDARY" if grade <= 9 else "UPPER_SECONDARY"


class Catchment:
    """Which school a child of a unit attends: one of the unit's own, else one near home (same old district)."""

    def __init__(self, schools: list[SchoolSeed], rng: random.Random) -> None:
        self.rng = rng
        self.district = home_district()
        self.by_unit: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.by_district: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.by_level: dict[str, list[str]] = defaultdict(list)
        for s in schools:
            self.by_unit[(s.unit, s.level)].append(s.code)
            self.by_district[(self.district[s.unit], s.level)].append(s.code)
            self.by_level[s.level].append(s.code)
        self.home: dict[tuple[str, str], str] = {}

    def nearby(self, unit: str, level: str) -> list[str]:
        return (
            self.by_unit.get((unit, level))
            or self.by_district.get((self.district[unit], level))
            or self.by_level[level]
        )

    def school_for(self, pid: str, unit: str, level: str) -> str:
        key = (pid, level)
        if key not in self.home:
            choices = self.nearby(unit, level)
            if level == "UPPER_SECONDARY" and self.rng.random() < 0.25:  # entrance exam: a school farther away
                choices = self.by_district.get((self.district[unit], level)) or choices
            self.home[key] = self.rng.choice(choices)
        return self.home[key]


OTHER_PROVINCES = ["030", "033", "034", "035", "036", "037", "038", "040", "022", "027", "024", "019", "026", "025"]


def _other_province_pid(
    rng: random.Random, used: set[str], taken: Mapping[str, object], dob: dt.date, sex: Sex, hanoi: float
) -> str:
    """A personal ID unused in the population and among the families added here."""
    province = "001" if rng.random() < hanoi else rng.choice(OTHER_PROVINCES)
    while True:
        pid = make_personal_id(province, dob, sex, rng.randrange(1_000_000))
        if pid not in used and pid not in taken:
            used.add(pid)
            return pid


def _pupils(ctx: SeedContext, rng: random.Random, first_year: int, last_year: int) -> list[Family]:
    """Children born first_year..last_year: the population's, plus (city) families registered elsewhere."""
    out: list[Family] = []
    for p in ctx.people:
        if first_year <= p.dob.year <= last_year:
            fam = Family(p.pid, p.name, p.dob, p.sex, p.unit)
            for parent_pid, relation in ((p.father, "FATHER"), (p.mother, "MOTHER")):
                parent = ctx.by_pid.get(parent_pid) if parent_pid else None
                if parent is not None:
                    fam.guardians.append((parent.pid, relation, parent.name.full, parent.phone))
            out.append(fam)
    if ctx.scale == "demo":
        return out
    current_start = school_year_start(school_year_of(ctx.today))
    in_school = sum(1 for f in out if f.dob.year >= current_start - 17)
    missing = max(0, CITY_STUDENTS - in_school)
    units = gazetteer().current()
    weights = [float(len(ctx.by_unit.get(u.code, [])) or 1) for u in units]
    used: set[str] = set()
    added = 0
    with ctx.task("education: families from other provinces", missing) as advance:
        while added < missing:
            unit = rng.choices(units, weights=weights)[0].code
            fam_name = family_name(rng)
            father_dob = date_between(rng, dt.date(1972, 1, 1), dt.date(1994, 12, 31))
            mother_dob = father_dob + dt.timedelta(days=rng.randint(-700, 2200))
            father = (_other_province_pid(rng, used, ctx.by_pid, father_dob, "MALE", 0.0), "FATHER",
                      person_name(rng, "MALE", fam_name).full, mobile(rng))  # fmt: skip
            mother = (_other_province_pid(rng, used, ctx.by_pid, mother_dob, "FEMALE", 0.0), "MOTHER",
                      person_name(rng, "FEMALE").full, mobile(rng))  # fmt: skip
            first = rng.randint(current_start - 17, current_start - 3)
            for i in range(rng.choices([1, 2, 3], weights=[4, 5, 1])[0]):
                year = first + i * rng.randint(2, 4)
                if year > current_start - 3 or added >= missing:
                    break
                sex: Sex = rng.choice(["MALE", "FEMALE"])
                dob = date_between(rng, dt.date(year, 1, 1), dt.date(year, 12, 31))
                pid = _other_province_pid(rng, used, ctx.by_pid, dob, sex, 0.3)
                out.append(Family(pid, person_name(rng, sex, fam_name), dob, sex, unit, [father, mother]))
                added += 1
                advance()
    return out


@dataclass
class ClassSeed:
    id: int
    school: str
    year: str
    grade: int | None
    age_group: int | None
    name: str
    teacher: str
    electives: tuple[str, ...] | None


def _enrol(
    ctx: SeedContext, rng: random.Random, pupils: list[Family], years: list[str], catchment: Catchment
) -> tuple[list[ClassSeed], list[tuple[object, ...]], dict[tuple[str, str], tuple[ClassSeed, int]]]:
    """Student records of each school year, grouped into classes. Returns classes, rows and (pid, year) -> class."""
    groups: dict[tuple[str, str, int], list[Family]] = defaultdict(list)
    for year in years:
        start = school_year_start(year)
        for fam in pupils:
            grade = start - fam.dob.year - 5
            if -2 <= grade <= 12:
                groups[(catchment.school_for(fam.pid, fam.unit, level_of(grade)), year, grade)].append(fam)
    classes: list[ClassSeed] = []
    rows: list[tuple[object, ...]] = []
    placed: dict[tuple[str, str], tuple[ClassSeed, int]] = {}
    for (school, year, grade), members in sorted(groups.items(), key=lambda kv: kv[0]):
        level = level_of(grade)
        n = max(1, math.ceil(len(members) / CLASS_SIZE[level]))
        made: list[ClassSeed] = []
        for k in range(1, n + 1):
            if grade <= 0:
                age = grade + 5
                name, g, a, electives = f"{AGE_GROUP_NAMES[age]} {k}", None, age, None
            else:
                name, g, a = f"{grade}A{k}", grade, None
                electives = COMBOS[(k - 1 + grade) % len(COMBOS)] if grade >= 10 else None
            teacher_sex: Sex = "FEMALE" if rng.random() < 0.8 else "MALE"
            made.append(ClassSeed(len(classes) + len(made) + 1, school, year, g, a, name,
                                  person_name(rng, teacher_sex).full, electives))  # fmt: skip
        classes.extend(made)
        members = sorted(members, key=lambda f: f.pid)
        rng.shuffle(members)
        for i, fam in enumerate(members):
            cls = made[i % n]
            placed[(fam.pid, year)] = (cls, i % n)
            rows.append((fam.pid, year, school, cls.id, cls.grade, cls.age_group, fam.name.full, fam.name.folded,
                         fam.dob, fam.sex))  # fmt: skip
    return classes, rows, placed


# ---------------------------------------------------------------------------------------------------------
# Grade book
# ---------------------------------------------------------------------------------------------------------

HANOI = dt.timezone(dt.timedelta(hours=7))


def _at(rng: random.Random, day: dt.date) -> dt.datetime:
    local = dt.datetime.combine(day, dt.time(rng.randint(13, 21), rng.randrange(60), rng.randrange(60)), HANOI)
    return local.astimezone(dt.UTC)


def _schedule(rng: random.Random, start: int, periods: int) -> list[tuple[int, str, int, dt.date]]:
    """(semester, kind, seq, date) of the assessments of one subject in one class, per Circular 22 counts."""
    n = regular_count(periods)
    out = []
    for sem, first, span, gk, ck in ((1, dt.date(start, 9, 15), 92, dt.date(start, 10, 27), dt.date(start, 12, 15)),
                                     (2, dt.date(start + 1, 1, 19), 98, dt.date(start + 1, 3, 9),
                                      dt.date(start + 1, 4, 27))):  # fmt: skip
        for i in range(n):
            out.append(
                (sem, "REGULAR", i + 1, first + dt.timedelta(days=int(span * (i + 0.5) / n) + rng.randint(-4, 4)))
            )
        out.append((sem, "MIDTERM", 1, gk + dt.timedelta(days=rng.randint(0, 10))))
        out.append((sem, "FINAL", 1, ck + dt.timedelta(days=rng.randint(0, 12))))
    return out


def _score_tenths(rng: random.Random, mean: float, kind: str) -> int:
    x = min(10.0, max(0.0, rng.gauss(mean, 0.85 if kind == "REGULAR" else 1.0)))
    if kind == "REGULAR":
        return round(x * 2) * 5 if rng.random() < 0.5 else round(x) * 10
    quarter = round(x * 4) / 4
    return min(100, int(quarter * 10 + 0.5))


class GradeBook:
    """Generates entries class by class (same assessment dates for the whole class, as teachers enter them)."""

    def __init__(self, rng: random.Random, today: dt.date) -> None:
        self.rng = rng
        self.today = today
        self.plan = curriculum()
        self.schedules: dict[tuple[int, str], list[tuple[int, str, int, dt.datetime]]] = {}
        self.ability: dict[str, float] = {}

    def _class_schedule(self, cls: ClassSeed, subject: str, periods: int) -> list[tuple[int, str, int, dt.datetime]]:
        key = (cls.id, subject)
        if key not in self.schedules:
            start = school_year_start(cls.year)
            self.schedules[key] = [
                (sem, kind, seq, _at(self.rng, day))
                for sem, kind, seq, day in _schedule(self.rng, start, periods)
                if day < self.today
            ]
        return self.schedules[key]

    def entries(self, pid: str, cls: ClassSeed, school: str, k: int) -> Iterator[tuple[object, ...]]:
        if cls.grade is None:
            return
        rng = self.rng
        if pid not in self.ability:
            self.ability[pid] = min(9.7, max(3.8, rng.gauss(7.5, 1.0)))
        ability = self.ability[pid]
        plan = self.plan[cls.grade]
        for pos, (subject, (periods, elective)) in enumerate(plan.items()):
            if elective and (cls.electives is None or subject not in cls.electives):
                continue
            teacher = f"gv.{school}.{(pos * 3 + k % 3) % 60 + 1:02d}"
            if MODE[subject] == "SCORE":
                mean = ability + rng.gauss(0.0, 0.55)
                for sem, kind, seq, at in self._class_schedule(cls, subject, periods):
                    yield (pid, cls.year, sem, subject, kind, seq, _score_tenths(rng, mean, kind), None, teacher, at)
            else:
                fail = 0.03 if ability < 5.0 else 0.0015
                for sem, kind, seq, at in self._class_schedule(cls, subject, periods):
                    rating = "FAIL" if rng.random() < fail else "PASS"
                    yield (pid, cls.year, sem, subject, kind, seq, None, rating, teacher, at)


# ---------------------------------------------------------------------------------------------------------
# Enrolment applications
# ---------------------------------------------------------------------------------------------------------

WINDOWS = {"KINDERGARTEN": (1, "MN"), "GRADE_1": (4, "L1"), "GRADE_6": (7, "L6")}
"""Hanoi's online windows in early July, one after another (day of July the window opens; 3 days each)."""


def _applications(
    ctx: SeedContext, rng: random.Random, pupils: list[Family], catchment: Catchment, year: str
) -> list[tuple[object, ...]]:
    start = school_year_start(year)
    targets = {start - 5: ("KINDERGARTEN", "KINDERGARTEN"), start - 6: ("GRADE_1", "PRIMARY"),
               start - 11: ("GRADE_6", "LOWER_SECONDARY")}  # fmt: skip
    rows: list[tuple[object, ...]] = []
    counters: dict[str, int] = defaultdict(int)

    def add(fam: Family, level: str, school: str, status: str, assigned: str | None, late: bool = False) -> None:
        first_day, tag = WINDOWS[level]
        counters[level] += 1
        if late:
            day = dt.date(start, 8, rng.randint(1, 20))
        else:
            day = dt.date(start, 7, first_day + rng.randrange(3))
        submitted = dt.datetime.combine(day, dt.time(rng.randint(8, 22), rng.randrange(60)), HANOI)
        decided = None
        if status == "REJECTED":
            decided = submitted + dt.timedelta(days=rng.randint(2, 6), hours=rng.randint(0, 8))
        elif status in ("ACCEPTED", "TRANSFERRED"):
            decided = dt.datetime.combine(dt.date(start, 7, 20 + rng.randrange(6)), dt.time(9, 0), HANOI)
        rows.append((len(rows) + 1, f"TS{start}-{tag}-{counters[level]:06d}", year, fam.pid, fam.name.full, fam.dob,
                     level, school, assigned, fam.unit, CURRENT.value, status, submitted.astimezone(dt.UTC),
                     decided.astimezone(dt.UTC) if decided else None))  # fmt: skip

    for fam in pupils:
        target = targets.get(fam.dob.year)
        if target is None or rng.random() > 0.93:  # the rest applied in person
            continue
        level, school_level = target
        enrolled = catchment.school_for(fam.pid, fam.unit, school_level)
        others = [c for c in catchment.by_level[school_level] if c != enrolled]
        draw = rng.random()
        if draw < 0.04 and others:
            add(fam, level, rng.choice(others), "REJECTED", None)
            add(fam, level, enrolled, "ACCEPTED", None)
        elif draw < 0.08:
            near = [c for c in catchment.nearby(fam.unit, school_level) if c != enrolled] or others
            if near:
                add(fam, level, rng.choice(near), "TRANSFERRED", enrolled)
            else:
                add(fam, level, enrolled, "ACCEPTED", None)
        elif draw < 0.09:
            add(fam, level, enrolled, rng.choice(["SUBMITTED", "VERIFIED"]), None, late=True)
        else:
            add(fam, level, enrolled, "ACCEPTED", None)
    rows.sort(key=lambda r: (str(r[12]), str(r[1])))
    return [(i + 1, *r[1:]) for i, r in enumerate(rows)]


# ---------------------------------------------------------------------------------------------------------


async def _insert_entries(store: Store, rows: list[tuple[object, ...]]) -> None:
    """Grade entries are the bulk of the store: COPY on PostgreSQL; plain executemany on SQLite (SQLAlchemy's
    per-row parameter processing tripled the demo's seed time), with times in SQLAlchemy's SQLite format."""
    if not rows:
        return
    if not store.is_sqlite:
        await store.bulk_insert(ds.grade_entries, rows)
        return
    names = [c.name for c in ds.grade_entries.columns]
    sql = f"INSERT INTO {ds.grade_entries.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"  # noqa: S608
    stamp = "%Y-%m-%d %H:%M:%S.%f"
    stamps: dict[object, str] = {}
    prepared = []
    for r in rows:
        at = r[-1]
        text = stamps.get(at)
        if text is None:
            text = stamps[at] = at.strftime(stamp) if isinstance(at, dt.datetime) else str(at)
        prepared.append((*r[:-1], text))
    async with store.begin() as conn:
        await conn.exec_driver_sql(sql, prepared)


async def seed(ctx: SeedContext) -> None:
    rng = ctx.rng("education")
    store = ctx.stores["education"]
    g = gazetteer()
    current = school_year_of(ctx.today)
    start = school_year_start(current)
    previous = f"{start - 1}-{start}"

    schools = _plan_schools(ctx, rng)
    school_rows = []
    for s in schools:
        unit = g.units[(CURRENT.value, s.unit)]
        school_rows.append((s.code, s.name, fold(s.name), s.level, s.unit, CURRENT.value,
                            street_address(rng, unit.name), f"0243{rng.randrange(10**7):07d}",
                            rng.randint(1954, 2015)))  # fmt: skip
    await ctx.insert(store, ds.schools, school_rows, "education: schools")
    ctx.shared["education"] = {
        "school_year": current,
        "schools": [(s.code, s.name, s.level, s.unit) for s in schools],
    }

    await ctx.insert(store, ds.subjects, [(c, n, m, i + 1) for i, (c, n, m) in enumerate(SUBJECTS)],
                     "education: subjects")  # fmt: skip
    plan = curriculum()
    await ctx.insert(store, ds.curriculum,
                     [(grade, code, p, e) for grade, subs in plan.items() for code, (p, e) in subs.items()],
                     "education: curriculum")  # fmt: skip

    catchment = Catchment(schools, rng)
    # Everyone at school in the previous or current year: born (start - 1) - 17 .. start - 3.
    pupils = _pupils(ctx, rng, start - 18, start - 3)
    classes, student_rows, placed = _enrol(ctx, rng, pupils, [previous, current], catchment)
    await ctx.insert(store, ds.classes, [(c.id, c.school, c.year, c.grade, c.age_group, c.name, c.teacher,
                                          ",".join(c.electives) if c.electives else None) for c in classes],
                     "education: classes")  # fmt: skip
    keys = ctx.rng("education.node_keys")  # a stream of its own: the other draws stay as they were
    student_rows = [(*r, f"{keys.getrandbits(64):016x}") for r in student_rows]
    await ctx.insert(store, ds.students, student_rows, "education: students")

    enrolled = {fam.pid for fam in pupils if (fam.pid, current) in placed or (fam.pid, previous) in placed}
    guardian_rows = [(fam.pid, gpid, rel, name, phone) for fam in pupils if fam.pid in enrolled
                     for gpid, rel, name, phone in fam.guardians]  # fmt: skip
    await ctx.insert(store, ds.guardians, guardian_rows, "education: guardians")

    await ctx.insert(store, ds.enrolment_applications, _applications(ctx, rng, pupils, catchment, current),
                     "education: enrolment applications")  # fmt: skip

    # PostgreSQL: load the grade book without its primary key, then build the key once (a sorted build is
    # several times faster than maintaining the B-tree for millions of rows arriving in class order).
    pkey = ds.grade_entries.primary_key
    if not store.is_sqlite:
        async with store.begin() as conn:
            await conn.exec_driver_sql(f"ALTER TABLE {ds.grade_entries.name} DROP CONSTRAINT {pkey.name}")
    book = GradeBook(rng, ctx.today)
    secondary = [(pid, year, cls, k) for (pid, year), (cls, k) in placed.items() if (cls.grade or 0) >= 6]
    secondary.sort(key=lambda t: (t[1], t[2].id, t[0]))
    batch: list[tuple[object, ...]] = []
    with ctx.task("education: grade entries (students)", len(secondary)) as advance:
        done = 0
        for pid, _year, cls, k in secondary:
            batch.extend(book.entries(pid, cls, cls.school, k))
            done += 1
            if len(batch) >= 50_000:
                await _insert_entries(store, batch)
                batch = []
                advance(done)
                done = 0
        await _insert_entries(store, batch)
    if not store.is_sqlite:
        columns = ", ".join(c.name for c in pkey.columns)
        with ctx.task("education: grade book primary key", 1):
            async with store.begin() as conn:
                await conn.exec_driver_sql(f"ALTER TABLE {ds.grade_entries.name} ADD CONSTRAINT {pkey.name} "
                                           f"PRIMARY KEY ({columns})")  # fmt: skip
                await conn.exec_driver_sql(
                    "ANALYZE " + ", ".join(t.name for t in ds.metadata.sorted_tables)  # planner statistics
                )
