"""Seed the registry store: the digitised register books of the 2017 ward pilot, and later registrations.

demo: the pilot ward (Phường Trần Hưng Đạo, Quận Hoàn Kiếm, legacy code 00082) with exactly 64 books holding
8,355 entries of 2006-2017, plus the registrations made in the current units since 1 Jul 2025 (births of
children born since then, some marriages and deaths).
city: the same, plus a birth entry for every citizen born from 2006 on (in the legacy ward books until 30 Jun
2025, in the current units' books after), marriages of a share of the couples and some deaths.

Entries about people of the population store link to them by personal ID where ages fit (a 2012 birth entry for
a child born in 2012); other entries name people unknown to that store, with real-looking names.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from govgraph.datasources.places import CURRENT, LEGACY, gazetteer
from govgraph.datasources.registry import (
    birth_details,
    death_details,
    marginal_notes,
    marriage_details,
    register_books,
    registration_people,
    registrations,
)
from govgraph.domain.identity import Sex, make_personal_id
from govgraph.domain.registry import BOOK_CAPACITY, is_late, may_marry, next_office_day, printed_book_number
from govgraph.domain.text import fold
from govgraph.seed import PILOT_WARD, PILOT_WARD_LEGACY, Person, SeedContext
from govgraph.seed.names import Name, date_between, person_name

PILOT_YEARS = range(2006, 2018)
PILOT_BOOKS = {"BIRTH": 34, "MARRIAGE": 18, "DEATH": 12}
"""64 books in all."""
PILOT_ENTRIES = {"BIRTH": 4_700, "MARRIAGE": 2_300, "DEATH": 1_355}
"""8,355 entries in all: births most, then marriages, then deaths."""
REFORM = dt.date(2025, 7, 1)
"""Two-tier local government: from this day registrations are made in the current units."""
ELECTRONIC_FROM = dt.date(2020, 1, 1)
"""From here entries are keyed straight into the electronic civil-status system (born digital)."""
FLUSH_AT = 20_000

PILOT_STREETS = ["Trần Hưng Đạo", "Lý Thường Kiệt", "Quán Sứ", "Hai Bà Trưng", "Phan Bội Châu", "Trần Bình Trọng",
                 "Thợ Nhuộm", "Ngô Quyền", "Lý Thái Tổ", "Hàm Long", "Bà Triệu", "Tông Đản"]  # fmt: skip
HOSPITALS = [
    ("Bệnh viện Phụ sản Hà Nội", 30), ("Bệnh viện Phụ sản Trung ương", 25), ("Bệnh viện Bạch Mai", 8),
    ("Bệnh viện Đa khoa Xanh Pôn", 6), ("Bệnh viện Thanh Nhàn", 6), ("Bệnh viện Đa khoa Hồng Ngọc", 5),
    ("Bệnh viện Đa khoa Quốc tế Vinmec Times City", 4), ("Bệnh viện Đa khoa Hà Đông", 5),
    ("Bệnh viện Đa khoa Đức Giang", 4), ("Bệnh viện Bưu Điện", 2),
]  # fmt: skip
DEATH_HOSPITALS = ["Bệnh viện Bạch Mai", "Bệnh viện Hữu nghị Việt Đức", "Bệnh viện K", "Bệnh viện Thanh Nhàn",
                   "Bệnh viện Hữu Nghị", "Bệnh viện Đa khoa Xanh Pôn", "Bệnh viện E"]  # fmt: skip
CAUSES = [("Già yếu", 30), ("Bệnh tim mạch", 18), ("Tai biến mạch máu não", 16), ("Ung thư phổi", 8),
          ("Ung thư gan", 6), ("Bệnh phổi tắc nghẽn mạn tính", 6), ("Suy thận mạn", 4), ("Đái tháo đường", 4),
          ("Tai nạn giao thông", 4), ("Viêm phổi", 4)]  # fmt: skip
NATIVE = ["Nam Định", "Thái Bình", "Hưng Yên", "Hà Nam", "Ninh Bình", "Thanh Hóa", "Nghệ An", "Hải Dương",
          "Phú Thọ", "Bắc Ninh", "Vĩnh Phúc", "Hải Phòng"]  # fmt: skip
ETHNIC_MINORITIES = ["Tày", "Mường", "Thái", "Nùng", "Hoa", "Dao"]

Place = tuple[str, str]


@dataclass
class Plan:
    """One registration to write: its type, date and (when known) the population people it is about."""

    type: str
    date: dt.date
    event: dt.date
    a: Person | None = None
    """BIRTH: the child; MARRIAGE: the husband."""
    b: Person | None = None
    """MARRIAGE: the wife."""


@dataclass
class Office:
    place: Place
    name: str
    """'Phường Trần Hưng Đạo, Quận Hoàn Kiếm' (legacy) or 'Phường Cửa Nam' (current)."""
    commune: bool
    staff: dict[int, tuple[tuple[str, str], str]] = field(default_factory=dict)
    """Per five-year period: (signer, title) and civil-status officer."""


class Writer:
    """Turns plans into rows, book by book, and inserts them in batches (books before their entries)."""

    def __init__(self, ctx: SeedContext, rng: random.Random) -> None:
        self.ctx = ctx
        self.rng = rng
        self.store = ctx.stores["registry"]
        self.next_book = 1
        self.next_registration = 1
        self.used_pids = set(ctx.by_pid)
        self.offices: dict[Place, Office] = {}
        self.digitisers = [person_name(rng, rng.choice(["MALE", "FEMALE"])).full for _ in range(6)]
        self.rows: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        self.pending = 0
        self.books = 0
        self.entries = 0

    # -- offices and staff ------------------------------------------------------------------------------

    def office(self, place: Place) -> Office:
        found = self.offices.get(place)
        if found is None:
            g = gazetteer()
            unit = g.units[(place[1], place[0])]
            name = unit.name
            if unit.district_code:
                name = f"{name}, {g.units[(LEGACY.value, unit.district_code)].name}"
            found = self.offices[place] = Office(place, name, unit.kind != "PHUONG")
        return found

    def staff(self, office: Office, day: dt.date) -> tuple[tuple[str, str], str]:
        period = day.year // 5
        if period not in office.staff:
            rng = self.rng
            level = "xã" if office.commune else "phường"
            title = rng.choice([f"Chủ tịch UBND {level}", f"Phó Chủ tịch UBND {level}"])
            signer = person_name(rng, rng.choice(["MALE", "FEMALE"])).full
            officer = person_name(rng, rng.choice(["MALE", "FEMALE"])).full
            office.staff[period] = ((signer, title), officer)
        return office.staff[period]

    # -- people --------------------------------------------------------------------------------------------

    def new_pid(self, dob: dt.date, sex: Sex) -> str:
        while True:
            pid = make_personal_id("001", dob, sex, self.rng.randrange(1_000_000))
            if pid not in self.used_pids:
                self.used_pids.add(pid)
                return pid

    def residence(self, office: Office) -> str:
        rng = self.rng
        if office.place == (PILOT_WARD_LEGACY, LEGACY.value):
            street = rng.choice(PILOT_STREETS)
        else:
            street = rng.choice(["Hàng Bài", "Láng", "Kim Mã", "Minh Khai", "Giải Phóng", "Nguyễn Trãi",
                                 "Trần Duy Hưng", "Cầu Giấy", "Lạc Long Quân", "Ngọc Lâm", "Tô Hiệu"])  # fmt: skip
        if rng.random() < 0.4:
            return f"Số {rng.randint(1, 150)}, ngõ {rng.randint(2, 120)} {street}, {office.name}, Hà Nội"
        return f"Số {rng.randint(1, 220)} {street}, {office.name}, Hà Nội"

    def ethnicity(self) -> str:
        return "Kinh" if self.rng.random() < 0.97 else self.rng.choice(ETHNIC_MINORITIES)

    # -- one book ------------------------------------------------------------------------------------------

    def book(self, office: Office, rtype: str, year: int, book_no: int, plans: Sequence[Plan], last: bool) -> None:
        """Write one book holding ``plans`` (sorted by date) as entries Số 1..n."""
        book_id = self.next_book
        self.next_book += 1
        printed = printed_book_number(book_no, year, rtype)
        if not last:
            closed: dt.date | None = plans[-1].date
        elif year < self.ctx.today.year:
            closed = dt.date(year, 12, 31)
        else:
            closed = None
        self.rows["books"].append((book_id, office.place[0], office.place[1], rtype, year, book_no, printed,
                                   plans[0].date, closed, len(plans)))  # fmt: skip
        per_page = 2 if rtype == "MARRIAGE" else 3
        for n, plan in enumerate(plans, start=1):
            self.entry(office, book_id, printed, n, (n - 1) // per_page + 1, plan)
        self.books += 1
        self.pending += len(plans)

    def entry(self, office: Office, book_id: int, printed: str, n: int, page: int, plan: Plan) -> None:
        rng = self.rng
        rid = self.next_registration
        self.next_registration += 1
        (signer, title), officer = self.staff(office, plan.date)
        paper = plan.date < ELECTRONIC_FROM
        if paper:
            scan = f"scan://hotich/01/{office.place[0]}/{printed.replace('/', '-')}/p{page:03d}.jpg"
            done = max(plan.date, dt.date(2017, 3, 1)) + dt.timedelta(days=rng.randint(10, 300))
            at = dt.datetime.combine(done, dt.time(rng.randint(8, 16), rng.randint(0, 59)), dt.UTC)
            by: str | None = rng.choice(self.digitisers)
            status = rng.choices(["VERIFIED", "UNVERIFIED", "DISCREPANCY"], weights=[90, 8, 2])[0]
            page_no: int | None = page
        else:
            scan, at, by, status, page_no = None, None, None, "VERIFIED", None
        late = is_late(plan.type, plan.event, plan.date)
        self.rows["registrations"].append((rid, book_id, n, plan.type, plan.date, office.place[0], office.place[1],
                                           page_no, late, signer, title, officer, scan, by, at, status))  # fmt: skip
        if plan.type == "BIRTH":
            self.birth(rid, office, plan)
        elif plan.type == "MARRIAGE":
            self.marriage(rid, office, plan)
        else:
            self.death(rid, office, plan)
        if rng.random() < 0.015:
            self.note(rid, plan)
        self.entries += 1

    def person(self, rid: int, role: str, name: str, pid: str | None) -> None:
        self.rows["people"].append((rid, role, pid, name, fold(name)))

    def birth(self, rid: int, office: Office, plan: Plan) -> None:
        rng = self.rng
        child = plan.a
        father = self.ctx.by_pid.get(child.father) if child and child.father else None
        mother = self.ctx.by_pid.get(child.mother) if child and child.mother else None
        dob = plan.event
        if child is not None:
            name, sex = child.name, child.sex
        else:
            sex = rng.choice(["MALE", "FEMALE"])
            name = person_name(rng, sex)
        # A father is left blank now and then (paternity undetermined), never for a linked family.
        has_father = father is not None or (child is None and rng.random() > 0.03)
        f_name = father.name if father else (Name(name.family, *_male_rest(rng)) if has_father else None)
        m_name = mother.name if mother else person_name(rng, "FEMALE")
        f_year = father.dob.year if father else dob.year - rng.randint(24, 40)
        m_year = mother.dob.year if mother else dob.year - rng.randint(20, 38)
        home = self.residence(office)
        ethnic = self.ethnicity()
        child_pid = None
        if plan.date.year >= 2016:  # personal IDs are issued at birth registration from 2016
            child_pid = child.pid if child else self.new_pid(dob, sex)
        linked_pid = child.pid if child else child_pid
        native = "Hà Nội" if rng.random() < 0.6 else rng.choice(NATIVE)
        hospital = rng.choices([h for h, _ in HOSPITALS], weights=[w for _, w in HOSPITALS])[0]
        witness = rng.random() < 0.01
        evidence = "Văn bản xác nhận của người làm chứng" if witness else f"Giấy chứng sinh số {rng.randint(1, 9999)}"
        place = f"{hospital}, thành phố Hà Nội" if not witness else f"Tại nhà, {home}"
        if f_name and rng.random() < 0.7:
            d_name, d_rel, d_pid = f_name.full, "Cha", father.pid if father else None
        elif rng.random() < 0.85:
            d_name, d_rel, d_pid = m_name.full, "Mẹ", mother.pid if mother else None
        else:
            d_rel = rng.choice(["Bà nội", "Ông nội", "Bà ngoại", "Ông ngoại"])
            d_sex: Sex = "FEMALE" if d_rel.startswith("Bà") else "MALE"
            d_name, d_pid = person_name(rng, d_sex, name.family if d_rel.endswith("nội") else None).full, None
        self.rows["births"].append((
            rid, name.family, name.middle, name.given, name.full, sex, dob, place, native, ethnic, "Việt Nam",
            child_pid, f_name.full if f_name else None, f_year if f_name else None, ethnic if f_name else None,
            "Việt Nam" if f_name else None, home if f_name else None, m_name.full, m_year, ethnic, "Việt Nam", home,
            d_name, d_rel, evidence,
        ))  # fmt: skip
        self.person(rid, "CHILD", name.full, linked_pid)
        if f_name:
            self.person(rid, "FATHER", f_name.full, father.pid if father else None)
        self.person(rid, "MOTHER", m_name.full, mother.pid if mother else None)
        self.person(rid, "DECLARANT", d_name, d_pid)

    def marriage(self, rid: int, office: Office, plan: Plan) -> None:
        rng = self.rng
        row: list[Any] = [rid]
        home = self.residence(office)
        sides: list[tuple[str, Person | None, Sex]] = [("HUSBAND", plan.a, "MALE"), ("WIFE", plan.b, "FEMALE")]
        for role, person, sex in sides:
            pid: str | None
            if person is not None:
                name, dob, pid = person.name, person.dob, person.pid
            else:
                name = person_name(rng, sex)
                youngest = 20 if sex == "MALE" else 18
                dob = date_between(rng, plan.date - dt.timedelta(days=36 * 365),
                                   plan.date - dt.timedelta(days=youngest * 366 + 1))  # fmt: skip
                pid = self.new_pid(dob, sex) if plan.date.year >= 2016 else None
            written = pid if plan.date.year >= 2016 else f"{rng.randrange(10**8, 10**9)}"  # CMND9 before
            row += [name.family, name.middle, name.given, name.full, dob, self.ethnicity(), "Việt Nam",
                    home if rng.random() < 0.7 else self.residence(office), written]  # fmt: skip
            self.person(rid, role, name.full, pid)
        self.rows["marriages"].append(tuple(row))

    def death(self, rid: int, office: Office, plan: Plan) -> None:
        rng = self.rng
        sex: Sex = rng.choice(["MALE", "FEMALE"])
        name = person_name(rng, sex)
        age = min(int(rng.triangular(35, 101, 84)), 100)
        born = plan.event.year - age
        pid = None
        if plan.date.year >= 2016 and rng.random() < 0.8:
            pid = self.new_pid(dt.date(born, rng.randint(1, 12), rng.randint(1, 28)), sex)
        hour = dt.time(rng.randint(0, 23), rng.randint(0, 59))
        died_at = dt.datetime.combine(plan.event, hour, dt.timezone(dt.timedelta(hours=7))).astimezone(dt.UTC)
        home = self.residence(office)
        at_home = rng.random() < 0.55
        hospital = rng.choice(DEATH_HOSPITALS)
        place = f"Tại nhà, {home}" if at_home else f"{hospital}, thành phố Hà Nội"
        cause = rng.choices([c for c, _ in CAUSES], weights=[w for _, w in CAUSES])[0]
        rel = rng.choice(["Con", "Con", "Con", "Vợ" if sex == "MALE" else "Chồng", "Cháu"])
        d_sex: Sex = rng.choice(["MALE", "FEMALE"]) if rel in ("Con", "Cháu") else ("FEMALE" if rel == "Vợ" else "MALE")
        declarant = person_name(rng, d_sex, name.family if rel in ("Con", "Cháu") and d_sex == "MALE" else None)
        evidence = f"Giấy báo tử số {rng.randint(1, 999)}" if at_home else f"Giấy báo tử của {hospital}"
        self.rows["deaths"].append((rid, name.family, name.middle, name.given, name.full, sex, born, pid,
                                    "Việt Nam", died_at, place, cause, declarant.full, rel, evidence))  # fmt: skip
        self.person(rid, "DECEASED", name.full, pid)
        self.person(rid, "DECLARANT", declarant.full, None)

    def note(self, rid: int, plan: Plan) -> None:
        rng = self.rng
        day = plan.date + dt.timedelta(days=rng.randint(30, 2000))
        if day > self.ctx.today:
            return
        kind = rng.choices(["CORRECTION", "CHANGE", "SUPPLEMENT"], weights=[6, 3, 1])[0]
        decision = f"Quyết định số {rng.randint(1, 300)}/QĐ-UBND ngày {day:%d/%m/%Y}"
        text = {
            "CORRECTION": "Cải chính năm sinh của mẹ theo " + decision,
            "CHANGE": "Thay đổi tên đệm theo " + decision,
            "SUPPLEMENT": "Bổ sung quê quán theo " + decision,
        }[kind]
        self.rows["notes"].append((rid, day, kind, text))

    # -- insertion -----------------------------------------------------------------------------------------

    async def flush(self, advance: Callable[[int], None] | None = None) -> None:
        targets = [
            ("books", register_books, None),
            ("registrations", registrations, None),
            ("births", birth_details, None),
            ("marriages", marriage_details, None),
            ("deaths", death_details, None),
            ("people", registration_people, None),
            ("notes", marginal_notes, ["registration_id", "noted_on", "kind", "content"]),
        ]
        for key, table, columns in targets:
            rows = self.rows.pop(key, [])
            for i in range(0, len(rows), FLUSH_AT):
                await self.store.bulk_insert(table, rows[i : i + FLUSH_AT], columns)
        if advance:
            advance(self.pending)
        self.pending = 0


def _male_rest(rng: random.Random) -> tuple[str, str]:
    n = person_name(rng, "MALE")
    return n.middle, n.given


def _registered_on(rng: random.Random, event: dt.date, late_share: float, deadline: int) -> dt.date:
    if rng.random() < late_share:
        return next_office_day(event + dt.timedelta(days=rng.randint(deadline + 1, deadline + 900)))
    return next_office_day(event + dt.timedelta(days=rng.randint(1, deadline - 5)))


def _spread(rng: random.Random, total: int, parts: int, low: int = 100, high: int = 200) -> list[int]:
    """``parts`` sizes in [low, high] summing to ``total``."""
    if not parts * low <= total <= parts * high:
        raise ValueError(f"{total} entries cannot fill {parts} books of {low}-{high}")
    sizes = [low] * parts
    extra = total - parts * low
    weights = [rng.random() + 0.3 for _ in range(parts)]
    while extra:
        i = rng.choices(range(parts), weights=weights)[0]
        if sizes[i] < high:
            sizes[i] += 1
            extra -= 1
    return sizes


def _office_days(rng: random.Random, year: int, n: int, first: dt.date | None = None) -> list[dt.date]:
    start = first or dt.date(year, 1, 2)
    end = dt.date(year, 12, 31)
    days = []
    for _ in range(n):
        d = next_office_day(date_between(rng, start, end))
        days.append(d if d.year == year else next_office_day(start))
    return sorted(days)


# ---------------------------------------------------------------------------------------------------------
# The pilot ward: 64 books, 8,355 entries
# ---------------------------------------------------------------------------------------------------------


def _birth_plan(rng: random.Random, child: Person) -> Plan:
    return Plan("BIRTH", _registered_on(rng, child.dob, 0.03, 60), child.dob, child)


def _couples(ctx: SeedContext, rng: random.Random, people: Sequence[Person]) -> list[Plan]:
    """Marriage plans for the couples among ``people``: about a year before their first child, if of age."""
    first_child: dict[tuple[str, str], dt.date] = {}
    for p in people:
        if p.father and p.mother:
            key = (p.father, p.mother)
            if key not in first_child or p.dob < first_child[key]:
                first_child[key] = p.dob
    plans = []
    for (f, m), born in sorted(first_child.items()):
        husband, wife = ctx.by_pid.get(f), ctx.by_pid.get(m)
        if husband is None or wife is None:
            continue
        day = next_office_day(born - dt.timedelta(days=rng.randint(300, 800)))
        if may_marry("MALE", husband.dob, day) and may_marry("FEMALE", wife.dob, day):
            plans.append(Plan("MARRIAGE", day, day, husband, wife))
    return plans


def _pilot_plans(
    ctx: SeedContext, rng: random.Random
) -> tuple[dict[tuple[str, int], tuple[list[int], list[Plan]]], set[str]]:
    """Plans per (type, year) with exactly the pilot's counts; the population people it links."""
    residents = ctx.by_unit.get(PILOT_WARD, [])
    linked: dict[tuple[str, int], list[Plan]] = defaultdict(list)
    for p in residents:
        if p.father or p.mother:
            plan = _birth_plan(rng, p)
            if plan.date.year in PILOT_YEARS:
                linked[("BIRTH", plan.date.year)].append(plan)
    for plan in _couples(ctx, rng, residents):
        if plan.date.year in PILOT_YEARS:
            linked[("MARRIAGE", plan.date.year)].append(plan)
    plans: dict[tuple[str, int], tuple[list[int], list[Plan]]] = {}
    used: set[str] = set()
    layout = _pilot_layout(rng)
    for (rtype, year), sizes in layout.items():
        count = sum(sizes)
        mine = sorted(linked.get((rtype, year), []), key=lambda p: p.date)
        rng.shuffle(mine)
        mine = mine[: count // 3]  # most pilot entries are of people who no longer live there
        for plan in mine:
            used.update(p.pid for p in (plan.a, plan.b) if p is not None)
        rest = []
        for day in _office_days(rng, year, count - len(mine)):
            if rtype == "BIRTH":
                late = rng.random() < 0.03
                event = day - dt.timedelta(days=rng.randint(61, 700) if late else rng.randint(1, 55))
                rest.append(Plan(rtype, day, event))
            elif rtype == "DEATH":
                late = rng.random() < 0.02
                rest.append(
                    Plan(rtype, day, day - dt.timedelta(days=rng.randint(16, 300) if late else rng.randint(0, 14)))
                )
            else:
                rest.append(Plan(rtype, day, day))
        plans[(rtype, year)] = (sizes, sorted(mine + rest, key=lambda p: p.date))
    return plans, used


def _pilot_layout(rng: random.Random) -> dict[tuple[str, int], list[int]]:
    """Book sizes per (type, year): 64 books, 8,355 entries, each book 100-200 entries."""
    years = list(PILOT_YEARS)
    layout: dict[tuple[str, int], list[int]] = {}
    for rtype, books in PILOT_BOOKS.items():
        per_year = {y: books // len(years) for y in years}
        extra = books - sum(per_year.values())
        # Extra books go to the later years (more registrations as the ward's register grew).
        for y in years[len(years) - extra :]:
            per_year[y] += 1
        sizes = _spread(rng, PILOT_ENTRIES[rtype], books)
        i = 0
        for y in years:
            layout[(rtype, y)] = sizes[i : i + per_year[y]]
            i += per_year[y]
    return layout


async def _write_pilot(w: Writer, plans: dict[tuple[str, int], tuple[list[int], list[Plan]]]) -> None:
    office = w.office((PILOT_WARD_LEGACY, LEGACY.value))
    for (rtype, year), (sizes, items) in sorted(plans.items()):
        start = 0
        for no, size in enumerate(sizes, start=1):
            w.book(office, rtype, year, no, items[start : start + size], last=no == len(sizes))
            start += size


# ---------------------------------------------------------------------------------------------------------
# Everything else: books filled in date order, up to BOOK_CAPACITY entries each
# ---------------------------------------------------------------------------------------------------------


async def _write_grouped(
    w: Writer, groups: dict[tuple[Place, str, int], list[Plan]], advance: Callable[[int], None]
) -> None:
    for place, rtype, year in sorted(groups):
        items = sorted(groups[(place, rtype, year)], key=lambda p: p.date)
        office = w.office(place)
        count = (len(items) + BOOK_CAPACITY - 1) // BOOK_CAPACITY
        for no in range(1, count + 1):
            part = items[(no - 1) * BOOK_CAPACITY : no * BOOK_CAPACITY]
            w.book(office, rtype, year, no, part, last=no == count)
        if w.pending >= FLUSH_AT:
            await w.flush(advance)
    await w.flush(advance)


def _legacy_office(rng: random.Random, unit: str, day: dt.date) -> Place:
    """Where an event before the reform was registered: one of the legacy wards the person's unit came from."""
    if day >= REFORM:
        return (unit, CURRENT.value)
    olds = gazetteer().legacy_codes_of(unit)
    if unit == PILOT_WARD:
        olds = [c for c in olds if c != PILOT_WARD_LEGACY]  # the pilot ward's 64 books are all it has
    if not olds:
        return (unit, CURRENT.value)
    return (rng.choice(olds), LEGACY.value)


def _later_plans(ctx: SeedContext, rng: random.Random, skip: set[str]) -> dict[tuple[Place, str, int], list[Plan]]:
    """Births (every citizen from 2006 on at city scale; those since the reform at demo scale), marriages and
    deaths outside the pilot's books."""
    today = ctx.today
    since = dt.date(2006, 1, 1) if ctx.scale == "city" else REFORM
    groups: dict[tuple[Place, str, int], list[Plan]] = defaultdict(list)

    def add(place: Place, plan: Plan) -> None:
        groups[(place, plan.type, plan.date.year)].append(plan)

    for p in ctx.people:
        if p.dob.year < 2006 or p.pid in skip:
            continue
        plan = _birth_plan(rng, p)
        if since <= plan.date <= today:
            add(_legacy_office(rng, p.unit, plan.date), plan)
    if ctx.scale == "city":
        for plan in _couples(ctx, rng, ctx.people):
            assert plan.a is not None  # noqa: S101 - couples always name both
            if since <= plan.date <= today and plan.a.pid not in skip and rng.random() < 0.6:
                add(_legacy_office(rng, plan.a.unit, plan.date), plan)
    units = [u.code for u in gazetteer().current()]
    marriages = ctx.sized(demo=3, city=40)
    deaths = ctx.sized(demo=2, city=30)
    for unit in units:
        for _ in range(rng.randint(0, 2 * marriages)):
            day = next_office_day(date_between(rng, REFORM, today))
            if day <= today:
                add((unit, CURRENT.value), Plan("MARRIAGE", day, day))
        for _ in range(rng.randint(0, 2 * deaths)):
            died = date_between(rng, REFORM, today - dt.timedelta(days=20))
            day = _registered_on(rng, died, 0.02, 15)
            if day <= today:
                add((unit, CURRENT.value), Plan("DEATH", day, died))
    if ctx.scale == "city":  # deaths before the reform, across the legacy wards
        legacy = [u.code for u in gazetteer().sorted[LEGACY] if not u.is_district]
        for _ in range(25_000):
            died = date_between(rng, dt.date(2006, 1, 1), REFORM - dt.timedelta(days=30))
            day = _registered_on(rng, died, 0.02, 15)
            code = rng.choice(legacy)
            if code == PILOT_WARD_LEGACY:
                continue
            add((code, LEGACY.value) if day < REFORM else (rng.choice(units), CURRENT.value), Plan("DEATH", day, died))
    return groups


async def seed(ctx: SeedContext) -> None:
    rng = ctx.rng("registry")
    w = Writer(ctx, rng)
    pilot, used = _pilot_plans(ctx, rng)
    later = _later_plans(ctx, rng, used)
    total = sum(len(v[1]) for v in pilot.values()) + sum(len(v) for v in later.values())
    with ctx.task("registry: register books", total) as advance:
        await _write_pilot(w, pilot)
        await w.flush(advance)
        await _write_grouped(w, later, advance)
    ctx.shared["registry"] = {"books": w.books, "registrations": w.entries}
