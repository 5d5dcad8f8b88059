"""gradeEnter, gradeCorrect, enrolmentApply, enrolmentDecide and the gradeEntered subscription: the Circular 22
scale and counts, append-only corrections, averages and ratings recomputed after each entry, enrolment windows,
ages and routes, one application per child, roles, idempotency, atomicity, real parallel requests and a real
WebSocket."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

import pytest
import websockets
from sqlalchemy import func, select
from starlette.applications import Starlette
from websockets.typing import Subprotocol

from govgraph.auth.identity import Role
from govgraph.datasources import education as ds
from govgraph.domain import education as rules
from govgraph.domain.education import Decision, EnrolmentLevel, EnrolmentStatus, Kind, Problem
from govgraph.domain.identity import make_personal_id
from govgraph.events import Event
from govgraph.resolvers import education as resolve
from govgraph.resolvers import mutation
from govgraph.seed import Person
from tests.conftest import GQL, Seeded, token_for

D = Decimal
HANOI = rules.HANOI_TZ
TEST_YEAR = "2031-2032"
"""School year of the students these tests create: no seeded record or read test uses it."""

ENTRY = """entry { subject { code } semester kind seq score rating enteredBy
  corrections { previousScore previousRating score rating correctedBy reason correctedAt } }
  student { personalId schoolYear }
  subjectResult { subject { code } regularAssessmentsRequired semester1Average semester2Average yearAverage
    semester1Result semester2Result yearResult }
  semesterRating yearRating userErrors { field message code }"""
ENTER = f"mutation($in: GradeEnterInput!) {{ gradeEnter(input: $in) {{ {ENTRY} }} }}"
CORRECT = f"mutation($in: GradeCorrectInput!) {{ gradeCorrect(input: $in) {{ {ENTRY} }} }}"
APPLICATION = """application { id applicationNo schoolYear level status childPersonalId childDateOfBirth
  submittedAt decidedAt school { code level } assignedSchool { code } routeUnit { code } }
  userErrors { field message code }"""
APPLY = f"mutation($in: EnrolmentApplyInput!) {{ enrolmentApply(input: $in) {{ {APPLICATION} }} }}"
DECIDE = f"mutation($in: EnrolmentDecideInput!) {{ enrolmentDecide(input: $in) {{ {APPLICATION} }} }}"

_serials = itertools.count(1)


# ---------------------------------------------------------------------------------------------------------
# Pure rules
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, 0.0, 0.1, 5, 7.3, 9.9, 10, 10.0, "8.5"])
def test_scores_on_the_scale_are_accepted(value: Any) -> None:
    score = rules.parse_score(value)
    assert D(0) <= score <= D(10) and score == score.quantize(D("0.1"))


@pytest.mark.parametrize("value", [10.5, -1, -0.1, 7.25, 10.01, 0.05, 11, "abc", float("nan"), float("inf")])
def test_scores_off_the_scale_or_between_steps_are_refused(value: Any) -> None:
    with pytest.raises(ValueError, match=r"score|number"):
        rules.parse_score(value)


def test_a_value_must_match_the_subjects_mode() -> None:
    assert rules.check_value(rules.Mode.SCORE, 7.5, None) == []
    assert rules.check_value(rules.Mode.COMMENT, None, True) == []
    assert [p.field for p in rules.check_value(rules.Mode.SCORE, None, True)] == ["rating"]
    assert [p.field for p in rules.check_value(rules.Mode.SCORE, None, None)] == ["score"]
    assert [p.field for p in rules.check_value(rules.Mode.SCORE, 7.25, None)] == ["score"]
    assert [p.field for p in rules.check_value(rules.Mode.COMMENT, 8.0, None)] == ["score"]
    assert [p.field for p in rules.check_value(rules.Mode.COMMENT, None, None)] == ["rating"]


@pytest.mark.parametrize("required", [2, 3, 4])
def test_regular_numbers_follow_the_circular_22_count(required: int) -> None:
    taken: list[int] = []
    for n in range(1, required + 1):
        assert rules.pick_seq(Kind.REGULAR, None, taken, required) == n
        taken.append(n)
    full = rules.pick_seq(Kind.REGULAR, None, taken, required)
    assert isinstance(full, Problem) and full.code == "LIMIT_REACHED" and str(required) in full.message
    out = rules.pick_seq(Kind.REGULAR, required + 1, [], required)
    assert isinstance(out, Problem) and (out.field, out.code) == ("seq", "OUT_OF_RANGE")
    dup = rules.pick_seq(Kind.REGULAR, 1, [1], required)
    assert isinstance(dup, Problem) and (dup.field, dup.code) == ("seq", "DUPLICATE")
    assert rules.pick_seq(Kind.REGULAR, 2, [1, 3], required) == 2  # a gap may be filled


@pytest.mark.parametrize("kind", [Kind.MIDTERM, Kind.FINAL])
def test_one_midterm_and_one_final_per_semester(kind: Kind) -> None:
    assert rules.pick_seq(kind, None, [], 4) == 1
    assert rules.pick_seq(kind, 1, [], 4) == 1
    again = rules.pick_seq(kind, None, [1], 4)
    assert isinstance(again, Problem) and again.code == "LIMIT_REACHED"
    second = rules.pick_seq(kind, 2, [], 4)
    assert isinstance(second, Problem) and second.code == "OUT_OF_RANGE"


def at(year: int, month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=HANOI)


@pytest.mark.parametrize(
    ("level", "moment", "open_"),
    [
        (EnrolmentLevel.KINDERGARTEN, at(2026, 6, 30, 12), False),
        (EnrolmentLevel.KINDERGARTEN, at(2026, 7, 1, 7, 59, 59), False),
        (EnrolmentLevel.KINDERGARTEN, at(2026, 7, 1, 8), True),
        (EnrolmentLevel.KINDERGARTEN, at(2026, 7, 3, 16, 59, 59), True),
        (EnrolmentLevel.KINDERGARTEN, at(2026, 7, 3, 17), False),
        (EnrolmentLevel.GRADE_1, at(2026, 7, 3, 12), False),  # kindergarten's days
        (EnrolmentLevel.GRADE_1, at(2026, 7, 4, 8), True),
        (EnrolmentLevel.GRADE_1, at(2026, 7, 6, 16, 59), True),
        (EnrolmentLevel.GRADE_1, at(2026, 7, 6, 17), False),
        (EnrolmentLevel.GRADE_6, at(2026, 7, 6, 12), False),
        (EnrolmentLevel.GRADE_6, at(2026, 7, 7, 8), True),
        (EnrolmentLevel.GRADE_6, at(2026, 7, 9, 17), False),
        (EnrolmentLevel.GRADE_6, at(2027, 7, 8, 10), True),
        # 01:00 UTC on 1 July is 08:00 in Hanoi: the window is in Hanoi time
        (EnrolmentLevel.KINDERGARTEN, dt.datetime(2026, 7, 1, 1, 0, tzinfo=dt.UTC), True),
        (EnrolmentLevel.KINDERGARTEN, dt.datetime(2026, 7, 1, 0, 59, tzinfo=dt.UTC), False),
    ],
)
def test_enrolment_windows_edges(level: EnrolmentLevel, moment: dt.datetime, open_: bool) -> None:
    if open_:
        window = rules.enrolment_window(level, moment)
        assert window.level == level and rules.entry_school_year(window) == f"{moment.year}-{moment.year + 1}"
    else:
        with pytest.raises(rules.EnrolmentClosed) as caught:
            rules.enrolment_window(level, moment)
        window = caught.value.window
        assert window is not None and window.describe() in str(caught.value)


def test_no_window_set_for_a_year_means_closed() -> None:
    with pytest.raises(rules.EnrolmentClosed) as caught:
        rules.enrolment_window(EnrolmentLevel.GRADE_1, at(2019, 7, 5, 10))
    assert caught.value.window is None and "2019" in str(caught.value)


def test_windows_are_in_early_july_in_sequence() -> None:
    for year, windows in rules.ENROLMENT_WINDOWS.items():
        kg, g1, g6 = (
            windows[EnrolmentLevel.KINDERGARTEN],
            windows[EnrolmentLevel.GRADE_1],
            windows[EnrolmentLevel.GRADE_6],
        )
        assert kg.opens < kg.closes <= g1.opens < g1.closes <= g6.opens < g6.closes
        assert all(w.opens.year == year and w.opens.month == w.closes.month == 7 for w in (kg, g1, g6))
        assert g6.closes.day <= 15


@pytest.mark.parametrize(
    ("level", "born", "last_grade", "ok"),
    [
        (EnrolmentLevel.KINDERGARTEN, dt.date(2022, 1, 1), None, True),
        (EnrolmentLevel.KINDERGARTEN, dt.date(2022, 12, 31), None, True),
        (EnrolmentLevel.KINDERGARTEN, dt.date(2021, 12, 31), None, False),
        (EnrolmentLevel.KINDERGARTEN, dt.date(2023, 1, 1), None, False),
        (EnrolmentLevel.GRADE_1, dt.date(2021, 1, 1), None, True),
        (EnrolmentLevel.GRADE_1, dt.date(2021, 12, 31), None, True),
        (EnrolmentLevel.GRADE_1, dt.date(2020, 12, 31), None, False),
        (EnrolmentLevel.GRADE_1, dt.date(2022, 1, 1), None, False),
        (EnrolmentLevel.GRADE_6, dt.date(2016, 6, 1), None, True),  # no Hanoi record: the age rule
        (EnrolmentLevel.GRADE_6, dt.date(2015, 6, 1), None, False),
        (EnrolmentLevel.GRADE_6, dt.date(2015, 6, 1), 5, True),  # repeated a year: the record decides
        (EnrolmentLevel.GRADE_6, dt.date(2016, 6, 1), 4, False),
    ],
)
def test_who_may_apply_in_2027(level: EnrolmentLevel, born: dt.date, last_grade: int | None, ok: bool) -> None:
    problem = rules.eligibility(level, born, 2027, last_grade)
    assert (problem is None) == ok
    if problem is not None:
        assert (problem.field, problem.code) == ("childPersonalId", "NOT_ELIGIBLE")


def test_enrolment_decisions_state_machine() -> None:
    S = EnrolmentStatus
    assert rules.transition(S.SUBMITTED, Decision.VERIFY) == S.VERIFIED
    for start in (S.SUBMITTED, S.VERIFIED):
        assert rules.transition(start, Decision.ACCEPT) == S.ACCEPTED
        assert rules.transition(start, Decision.REJECT) == S.REJECTED
        assert rules.transition(start, Decision.TRANSFER) == S.TRANSFERRED
    refused = [(S.VERIFIED, Decision.VERIFY)] + [
        (final, d) for final in (S.ACCEPTED, S.REJECTED, S.TRANSFERRED) for d in Decision
    ]
    for start, decision in refused:
        problem = rules.transition(start, decision)
        assert isinstance(problem, Problem) and problem.code == "INVALID_TRANSITION" and start.value in problem.message


# ---------------------------------------------------------------------------------------------------------
# Test students: created by the tests, in a school year nothing else uses
# ---------------------------------------------------------------------------------------------------------


@dataclass
class Pupil:
    pid: str
    school: str
    guardian: str
    grade: int


def fresh_pid(born: dt.date) -> str:
    serial = (uuid.uuid4().int + next(_serials)) % 900_000 + 100_000
    return make_personal_id("001", born, "FEMALE", serial)


async def school_of(seeded: Seeded, level: str, skip: int = 0) -> str:
    s = ds.schools.c
    stmt = select(s.code).where(s.level == level).order_by(s.code).offset(skip).limit(1)
    code = await seeded.stores["education"].scalar(stmt)
    assert code is not None
    return str(code)


async def make_pupil(seeded: Seeded, grade: int = 7, school: str | None = None, year: str = TEST_YEAR) -> Pupil:
    """A new student (and their class and declared guardian) in ``year``, with an empty grade book."""
    store = seeded.stores["education"]
    level = "PRIMARY" if grade <= 5 else "LOWER_SECONDARY" if grade <= 9 else "UPPER_SECONDARY"
    school = school or await school_of(seeded, level)
    born = dt.date(rules.school_year_start(year) - grade - 5, 3, 14)
    pid, guardian = fresh_pid(born), fresh_pid(dt.date(born.year - 30, 5, 1))
    async with store.begin() as conn:
        class_id = int((await conn.execute(select(func.coalesce(func.max(ds.classes.c.id), 0) + 1))).scalar_one())
        await conn.execute(
            ds.classes.insert().values(id=class_id, school_code=school, school_year=year, grade=grade,
                                       name=f"{grade}T{class_id}", homeroom_teacher="Cô Thử", electives=None)
        )  # fmt: skip
        await conn.execute(
            ds.students.insert().values(pid=pid, school_year=year, school_code=school, class_id=class_id,
                                        grade=grade, age_group=None, full_name="Học Sinh Thử",
                                        name_folded="hoc sinh thu", date_of_birth=born, sex="FEMALE")
        )  # fmt: skip
        await conn.execute(
            ds.guardians.insert().values(student_pid=pid, guardian_pid=guardian, relation="MOTHER",
                                         full_name="Mẹ Thử", phone=None)
        )  # fmt: skip
    return Pupil(pid, school, guardian, grade)


async def preload(seeded: Seeded, pupil: Pupil, semester: int, subject: str, tenths: int | None, rating: str | None,
                  regular: int) -> None:  # fmt: skip
    """A complete semester of one subject written straight into the store (every assessment the same value)."""
    rows = [(pupil.pid, TEST_YEAR, semester, subject, kind, seq, tenths, rating, "gv.preload",
             dt.datetime(2031, 10, 1, tzinfo=dt.UTC))
            for kind, n in (("REGULAR", regular), ("MIDTERM", 1), ("FINAL", 1)) for seq in range(1, n + 1)]  # fmt: skip
    async with seeded.stores["education"].begin() as conn:
        await conn.execute(ds.grade_entries.insert(), [dict(zip([c.name for c in ds.grade_entries.c], r, strict=True))
                                                      for r in rows])  # fmt: skip


async def entries(seeded: Seeded, pid: str, subject: str | None = None) -> list[Any]:
    e = ds.grade_entries.c
    stmt = select(ds.grade_entries).where(e.student_pid == pid).order_by(e.semester, e.subject_code, e.kind, e.seq)
    if subject:
        stmt = stmt.where(e.subject_code == subject)
    return list(await seeded.stores["education"].all(stmt))


async def corrections_of(seeded: Seeded, pid: str) -> list[Any]:
    c = ds.grade_corrections.c
    return list(await seeded.stores["education"].all(select(ds.grade_corrections).where(c.student_pid == pid)))


def grade_input(
    pupil: Pupil, subject: str = "TOAN", semester: int = 1, kind: str = "REGULAR", **more: Any
) -> dict[str, Any]:
    return {"studentPersonalId": pupil.pid, "schoolYear": TEST_YEAR, "subjectCode": subject, "semester": semester,
            "kind": kind, **more}  # fmt: skip


def teacher(as_role: Callable[..., GQL], pupil: Pupil, subject: str = "gv.test.01") -> GQL:
    return as_role(Role.TEACHER, subject=subject, school=pupil.school)


def payload(body: dict[str, Any], name: str = "gradeEnter") -> dict[str, Any]:
    found: dict[str, Any] = body["data"][name]
    return found


def error_of(body: dict[str, Any], name: str = "gradeEnter") -> tuple[list[str], str]:
    errors = payload(body, name)["userErrors"]
    assert errors, body
    return errors[0]["field"], errors[0]["code"]


def hand_average(regular: list[str], gk: str, ck: str) -> Decimal:
    """ĐTBmhk = (ΣĐĐGtx + 2·ĐĐGgk + 3·ĐĐGck) / (n + 5), exactly, then half up to one decimal."""
    exact = (sum(Fraction(r) for r in regular) + 2 * Fraction(gk) + 3 * Fraction(ck)) / (len(regular) + 5)
    return (D(exact.numerator) / D(exact.denominator)).quantize(D("0.1"), rounding=ROUND_HALF_UP)


def hand_year(s1: Decimal, s2: Decimal) -> Decimal:
    return ((s1 + 2 * s2) / 3).quantize(D("0.1"), rounding=ROUND_HALF_UP)


def as_decimal(value: float | None) -> Decimal | None:
    return None if value is None else D(str(value))


# ---------------------------------------------------------------------------------------------------------
# gradeEnter: the scale, the modes, the counts
# ---------------------------------------------------------------------------------------------------------


async def test_a_teacher_enters_a_score_and_the_event_follows(
    as_role: Callable[..., GQL], seeded: Seeded, app: Starlette
) -> None:
    pupil = await make_pupil(seeded)
    sub = app.state.bus.subscribe(["education."])
    body = await teacher(as_role, pupil)(ENTER, {"in": grade_input(pupil, score=7.5, seq=2)})
    p = payload(body)
    assert p["userErrors"] == []
    assert p["entry"] | {"corrections": []} == {"subject": {"code": "TOAN"}, "semester": 1, "kind": "REGULAR",
                                                "seq": 2, "score": 7.5, "rating": None, "enteredBy": "gv.test.01",
                                                "corrections": []}  # fmt: skip
    assert p["student"] == {"personalId": pupil.pid, "schoolYear": TEST_YEAR}
    assert p["subjectResult"]["regularAssessmentsRequired"] == 4  # Toán: 140 periods a year
    assert p["subjectResult"]["semester1Average"] is None  # no mid-term or final yet
    [row] = await entries(seeded, pupil.pid)
    assert (row.seq, row.score_tenths, row.rating, row.entered_by) == (2, 75, None, "gv.test.01")
    event: Event = sub.queue.get_nowait()  # type: ignore[assignment]
    assert event.topic == "education.grade.entered"
    assert event.payload | {"unit_code": None} == {
        "student_pid": pupil.pid, "school_code": pupil.school, "unit_code": None, "school_year": TEST_YEAR,
        "subject": "TOAN", "semester": 1, "kind": "REGULAR", "seq": 2,
    }  # fmt: skip
    assert event.payload["unit_code"] is not None
    sub.close()


@pytest.mark.parametrize("score", [10.5, -1, 7.25, 10.01, 100])
async def test_scores_off_the_scale_are_user_errors_and_store_nothing(
    as_role: Callable[..., GQL], seeded: Seeded, score: float
) -> None:
    pupil = await make_pupil(seeded)
    body = await teacher(as_role, pupil)(ENTER, {"in": grade_input(pupil, score=score)})
    assert error_of(body) == (["input", "score"], "OUT_OF_RANGE")
    assert payload(body)["entry"] is None
    assert await entries(seeded, pupil.pid) == []


@pytest.mark.parametrize("score", [0, 0.1, 9.9, 10])
async def test_scores_on_the_scale_are_stored_exactly(
    as_role: Callable[..., GQL], seeded: Seeded, score: float
) -> None:
    pupil = await make_pupil(seeded)
    body = await teacher(as_role, pupil)(ENTER, {"in": grade_input(pupil, score=score)})
    assert payload(body)["entry"]["score"] == score
    [row] = await entries(seeded, pupil.pid)
    assert row.score_tenths == round(score * 10)


async def test_comment_only_subjects_take_a_rating_and_scored_ones_a_score(
    as_role: Callable[..., GQL], seeded: Seeded
) -> None:
    pupil = await make_pupil(seeded)
    gql = teacher(as_role, pupil)
    body = await gql(ENTER, {"in": grade_input(pupil, subject="GDTC", score=8.0)})
    assert error_of(body) == (["input", "score"], "INVALID")
    body = await gql(ENTER, {"in": grade_input(pupil, subject="GDTC")})
    assert error_of(body) == (["input", "rating"], "REQUIRED")
    body = await gql(ENTER, {"in": grade_input(pupil, subject="TOAN", rating="PASS")})
    assert error_of(body) == (["input", "rating"], "INVALID")
    body = await gql(ENTER, {"in": grade_input(pupil, subject="TOAN")})
    assert error_of(body) == (["input", "score"], "REQUIRED")
    assert await entries(seeded, pupil.pid) == []
    body = await gql(ENTER, {"in": grade_input(pupil, subject="GDTC", rating="PASS")})
    assert payload(body)["entry"]["rating"] == "PASS" and payload(body)["entry"]["score"] is None
    assert payload(body)["subjectResult"]["regularAssessmentsRequired"] == 3  # 70 periods a year


@pytest.mark.parametrize(("subject", "count"), [("TOAN", 4), ("GDCD", 2), ("GDTC", 3)])
async def test_circular_22_counts_per_subject_and_semester(
    as_role: Callable[..., GQL], seeded: Seeded, subject: str, count: int
) -> None:
    pupil = await make_pupil(seeded)
    gql = teacher(as_role, pupil)
    value: dict[str, Any] = {"rating": "PASS"} if subject == "GDTC" else {"score": 8.0}
    for n in range(1, count + 1):
        body = await gql(ENTER, {"in": grade_input(pupil, subject=subject, **value)})
        assert payload(body)["entry"]["seq"] == n
    body = await gql(ENTER, {"in": grade_input(pupil, subject=subject, **value)})
    assert error_of(body) == (["input", "kind"], "LIMIT_REACHED")
    body = await gql(ENTER, {"in": grade_input(pupil, subject=subject, seq=count + 1, **value)})
    assert error_of(body) == (["input", "seq"], "OUT_OF_RANGE")
    body = await gql(ENTER, {"in": grade_input(pupil, subject=subject, seq=1, **value)})
    assert error_of(body) == (["input", "seq"], "DUPLICATE")
    for kind in ("MIDTERM", "FINAL"):
        assert payload(await gql(ENTER, {"in": grade_input(pupil, subject=subject, kind=kind, **value)}))["entry"]
        body = await gql(ENTER, {"in": grade_input(pupil, subject=subject, kind=kind, **value)})
        assert error_of(body) == (["input", "kind"], "LIMIT_REACHED")
        body = await gql(ENTER, {"in": grade_input(pupil, subject=subject, kind=kind, seq=1, **value)})
        assert error_of(body) == (["input", "seq"], "DUPLICATE")
    # the other semester has its own count
    body = await gql(ENTER, {"in": grade_input(pupil, subject=subject, semester=2, **value)})
    assert payload(body)["entry"]["seq"] == 1
    stored = Counter((r.semester, r.kind) for r in await entries(seeded, pupil.pid))
    assert stored == {(1, "REGULAR"): count, (1, "MIDTERM"): 1, (1, "FINAL"): 1, (2, "REGULAR"): 1}


async def test_averages_and_year_average_equal_a_hand_computation_after_each_entry(
    as_role: Callable[..., GQL], seeded: Seeded
) -> None:
    pupil = await make_pupil(seeded)
    gql = teacher(as_role, pupil)
    plan = {
        1: (["8.0", "7.5", "9.0", "6.5"], "7.0", "8.5"),  # (31 + 14 + 25.5) / 9 = 7.833 -> 7.8
        2: (["6.0", "7.3", "8.8", "9.5"], "7.8", "6.6"),  # (31.6 + 15.6 + 19.8) / 9 = 7.444 -> 7.4
    }
    semester_avg: dict[int, Decimal] = {}
    for semester, (regular, gk, ck) in plan.items():
        steps = [("REGULAR", s) for s in regular] + [("MIDTERM", gk), ("FINAL", ck)]
        for i, (kind, score) in enumerate(steps):
            body = await gql(ENTER, {"in": grade_input(pupil, semester=semester, kind=kind, score=float(score))})
            result = payload(body)["subjectResult"]
            done = i == len(steps) - 1
            expected = hand_average(regular, gk, ck) if done else None
            assert as_decimal(result[f"semester{semester}Average"]) == expected, (semester, kind, score)
            if semester == 2 and done:
                year = hand_year(semester_avg[1], expected or D(0))
                assert as_decimal(result["yearAverage"]) == year == D("7.5")  # (7.8 + 2 x 7.4) / 3 = 7.53
            else:
                assert result["yearAverage"] is None
        semester_avg[semester] = hand_average(regular, gk, ck)
    assert semester_avg == {1: D("7.8"), 2: D("7.4")}


async def test_ratings_follow_every_entry_and_correction(as_role: Callable[..., GQL], seeded: Seeded) -> None:
    """Five scored subjects at 9.0 and PE passed are preloaded; Toán is entered and corrected through the API.
    Tốt needs six subjects at 8.0 or more (all at 6.5+); Khá six at 6.5 or more (all at 5.0+); Đạt six at 5.0
    or more and none under 3.5."""
    pupil = await make_pupil(seeded)
    for subject, regular in (("NV", 4), ("NN1", 4), ("LSDL", 4), ("KHTN", 4), ("GDCD", 2)):
        await preload(seeded, pupil, 1, subject, 90, None, regular)
    await preload(seeded, pupil, 1, "GDTC", None, "PASS", 3)
    gql = teacher(as_role, pupil)
    steps = [("REGULAR", 8.0), ("REGULAR", 7.5), ("REGULAR", 9.0), ("REGULAR", 6.5), ("MIDTERM", 7.0)]
    for kind, score in steps:
        p = payload(await gql(ENTER, {"in": grade_input(pupil, kind=kind, score=score)}))
        assert p["semesterRating"] is None  # Toán is not complete yet
        assert p["yearRating"] is None
    p = payload(await gql(ENTER, {"in": grade_input(pupil, kind="FINAL", score=8.5)}))
    assert p["subjectResult"]["semester1Average"] == 7.8  # 70.5 / 9
    assert p["semesterRating"] == "FAIR"  # only five subjects at 8.0+, all six at 6.5+
    assert p["yearRating"] is None
    corrections = [
        ("FINAL", 10.0, 8.3, "GOOD"),  # (31 + 14 + 30) / 9 = 8.33: six at 8.0+
        ("MIDTERM", 0.0, 6.8, "FAIR"),  # (31 + 0 + 30) / 9 = 6.78
        ("FINAL", 2.0, 4.1, "UNSATISFACTORY"),  # (31 + 0 + 6) / 9 = 4.11: only five at 5.0+
        ("FINAL", 3.5, 4.6, "UNSATISFACTORY"),  # (31 + 0 + 10.5) / 9 = 4.61
        ("MIDTERM", 5.0, 5.7, "SATISFACTORY"),  # (31 + 10 + 10.5) / 9 = 5.72: six at 5.0+, Toán under 6.5
    ]
    for kind, score, average, rating in corrections:
        body = await gql(CORRECT, {"in": grade_input(pupil, kind=kind, score=score, seq=1, reason="chấm lại")})
        p = payload(body, "gradeCorrect")
        assert p["userErrors"] == []
        assert p["subjectResult"]["semester1Average"] == average, (kind, score)
        assert p["semesterRating"] == rating, (kind, score)


# ---------------------------------------------------------------------------------------------------------
# gradeCorrect: append-only history
# ---------------------------------------------------------------------------------------------------------


async def test_corrections_keep_the_old_values_with_who_when_and_why(
    as_role: Callable[..., GQL], seeded: Seeded, app: Starlette
) -> None:
    pupil = await make_pupil(seeded)
    await teacher(as_role, pupil)(ENTER, {"in": grade_input(pupil, seq=3, score=6.0)})
    sub = app.state.bus.subscribe(["education."])
    first = await teacher(as_role, pupil, "gv.test.02")(
        CORRECT, {"in": grade_input(pupil, seq=3, score=6.5, reason="Cộng sai điểm bài kiểm tra")}
    )
    second = await as_role(Role.ADMIN, subject="admin-1")(
        CORRECT, {"in": grade_input(pupil, seq=3, score=7.0, reason="Phúc khảo")}
    )
    entry = payload(second, "gradeCorrect")["entry"]
    assert entry["score"] == 7.0 and entry["enteredBy"] == "gv.test.01"  # who entered it first stays
    history = entry["corrections"]
    assert [(c["previousScore"], c["score"], c["correctedBy"], c["reason"]) for c in history] == [
        (6.0, 6.5, "gv.test.02", "Cộng sai điểm bài kiểm tra"),
        (6.5, 7.0, "admin-1", "Phúc khảo"),
    ]
    assert all(c["correctedAt"].endswith("+07:00") for c in history)
    assert payload(first, "gradeCorrect")["entry"]["corrections"][0]["previousScore"] == 6.0
    rows = await corrections_of(seeded, pupil.pid)
    assert [(r.old_score_tenths, r.new_score_tenths) for r in rows] == [(60, 65), (65, 70)]
    [row] = await entries(seeded, pupil.pid)
    assert row.score_tenths == 70
    topics = [sub.queue.get_nowait().topic for _ in range(2)]  # type: ignore[attr-defined]
    assert topics == ["education.grade.corrected"] * 2
    sub.close()


async def test_corrections_of_comment_ratings(as_role: Callable[..., GQL], seeded: Seeded) -> None:
    pupil = await make_pupil(seeded)
    gql = teacher(as_role, pupil)
    await gql(ENTER, {"in": grade_input(pupil, subject="MT", kind="FINAL", rating="FAIL")})
    body = await gql(CORRECT, {"in": grade_input(pupil, subject="MT", kind="FINAL", score=9.0, reason="x")})
    assert error_of(body, "gradeCorrect") == (["input", "score"], "INVALID")
    body = await gql(CORRECT, {"in": grade_input(pupil, subject="MT", kind="FINAL", rating="PASS", reason="x")})
    history = payload(body, "gradeCorrect")["entry"]["corrections"]
    assert [(c["previousRating"], c["rating"]) for c in history] == [("FAIL", "PASS")]


async def test_correction_refusals_change_nothing(as_role: Callable[..., GQL], seeded: Seeded) -> None:
    pupil = await make_pupil(seeded)
    gql = teacher(as_role, pupil)
    await gql(ENTER, {"in": grade_input(pupil, seq=1, score=5.0)})
    cases = [
        (grade_input(pupil, seq=2, score=6.0, reason="x"), (["input", "seq"], "NOT_FOUND")),  # never entered
        (grade_input(pupil, seq=1, score=5.0, reason="x"), (["input", "score"], "UNCHANGED")),
        (grade_input(pupil, seq=1, score=5.05, reason="x"), (["input", "score"], "OUT_OF_RANGE")),
        (grade_input(pupil, seq=1, score=6.0, reason="   "), (["input", "reason"], "INVALID")),
        (grade_input(pupil, seq=1, score=6.0, reason="x" * 501), (["input", "reason"], "INVALID")),
    ]
    for data, expected in cases:
        assert error_of(await gql(CORRECT, {"in": data}), "gradeCorrect") == expected, data
    assert await corrections_of(seeded, pupil.pid) == []
    assert [r.score_tenths for r in await entries(seeded, pupil.pid)] == [50]


# ---------------------------------------------------------------------------------------------------------
# Bad input, roles
# ---------------------------------------------------------------------------------------------------------


async def test_bad_input_names_the_field(as_role: Callable[..., GQL], as_admin: GQL, seeded: Seeded) -> None:
    pupil = await make_pupil(seeded)
    primary = await make_pupil(seeded, grade=3)
    cases = [
        (grade_input(pupil, score=5.0) | {"studentPersonalId": "12345"}, (["input", "studentPersonalId"], "INVALID")),
        (grade_input(pupil, score=5.0) | {"schoolYear": "2031-2033"}, (["input", "schoolYear"], "INVALID")),
        (grade_input(pupil, score=5.0, semester=3), (["input", "semester"], "OUT_OF_RANGE")),
        (grade_input(pupil, score=5.0, subject="XYZ"), (["input", "subjectCode"], "NOT_IN_CURRICULUM")),
        (grade_input(pupil, score=5.0, subject="LI"), (["input", "subjectCode"], "NOT_IN_CURRICULUM")),  # grade 10+
        (grade_input(pupil, score=5.0) | {"schoolYear": "2030-2031"}, (["input", "studentPersonalId"], "NOT_FOUND")),
        (grade_input(primary, score=5.0), (["input", "studentPersonalId"], "NOT_SECONDARY")),
    ]
    for data, expected in cases:
        assert error_of(await as_admin(ENTER, {"in": data})) == expected, data
    assert await entries(seeded, pupil.pid) == [] and await entries(seeded, primary.pid) == []


async def test_upper_secondary_electives_only_where_the_class_studies_them(as_admin: GQL, seeded: Seeded) -> None:
    pupil = await make_pupil(seeded, grade=10)
    async with seeded.stores["education"].begin() as conn:
        record = (await conn.execute(select(ds.students.c.class_id).where(ds.students.c.pid == pupil.pid))).scalar()
        await conn.execute(ds.classes.update().where(ds.classes.c.id == record).values(electives="LI,HOA,SINH,TIN"))
    ok = await as_admin(ENTER, {"in": grade_input(pupil, subject="HOA", score=6.0)})
    assert payload(ok)["subjectResult"]["regularAssessmentsRequired"] == 3  # electives: 70 periods
    refused = await as_admin(ENTER, {"in": grade_input(pupil, subject="DL", score=6.0)})
    assert error_of(refused) == (["input", "subjectCode"], "NOT_IN_CURRICULUM")


@pytest.mark.parametrize(
    ("role", "claims"),
    [
        (Role.TEACHER, {"subject": "gv.other", "school": "0199999999"}),  # another school
        (Role.TEACHER, {"subject": "gv.none"}),  # no school claim
        (Role.CITIZEN, {}),  # even the student's own parent (set below)
        (Role.OFFICER, {"unit": "00082", "domains": ("education",)}),
        (Role.OPERATOR, {}),
        (Role.DEVICE, {}),
    ],
)
async def test_who_may_not_enter_or_correct_grades(
    as_role: Callable[..., GQL], seeded: Seeded, role: Role, claims: dict[str, Any]
) -> None:
    pupil = await make_pupil(seeded)
    await teacher(as_role, pupil)(ENTER, {"in": grade_input(pupil, seq=1, score=5.0)})
    if role == Role.CITIZEN:
        claims = {"subject": pupil.guardian}
    gql = as_role(role, **claims)
    for query, data in ((ENTER, grade_input(pupil, seq=2, score=9.0)),
                        (CORRECT, grade_input(pupil, seq=1, score=9.0, reason="x"))):  # fmt: skip
        body = await gql(query, {"in": data}, expect_errors=True)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
    assert [r.score_tenths for r in await entries(seeded, pupil.pid)] == [50]
    assert await corrections_of(seeded, pupil.pid) == []


async def test_a_teacher_of_another_real_school_is_refused(as_role: Callable[..., GQL], seeded: Seeded) -> None:
    pupil = await make_pupil(seeded)
    other = await school_of(seeded, "LOWER_SECONDARY", skip=1)
    assert other != pupil.school
    body = await as_role(Role.TEACHER, subject="gv.x", school=other)(
        ENTER, {"in": grade_input(pupil, score=5.0)}, expect_errors=True
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await entries(seeded, pupil.pid) == []


# ---------------------------------------------------------------------------------------------------------
# Idempotency, atomicity
# ---------------------------------------------------------------------------------------------------------


async def test_a_retry_with_the_same_key_enters_once(
    as_role: Callable[..., GQL], seeded: Seeded, app: Starlette
) -> None:
    pupil = await make_pupil(seeded)
    gql = teacher(as_role, pupil)
    sub = app.state.bus.subscribe(["education."])
    data = grade_input(pupil, score=8.0, idempotencyKey="grade-retry-1")
    first, again = await gql(ENTER, {"in": data}), await gql(ENTER, {"in": data})
    assert first["data"] == again["data"] and payload(first)["entry"]["seq"] == 1
    assert len(await entries(seeded, pupil.pid)) == 1
    assert sub.queue.qsize() == 1
    other = await gql(ENTER, {"in": data | {"score": 9.0}})
    assert error_of(other) == (["idempotencyKey"], "IDEMPOTENCY_KEY_REUSED")
    assert len(await entries(seeded, pupil.pid)) == 1
    sub.close()


@pytest.mark.parametrize("query", ["enter", "correct"])
async def test_a_failure_in_the_middle_writes_nothing(
    as_role: Callable[..., GQL], seeded: Seeded, monkeypatch: pytest.MonkeyPatch, query: str
) -> None:
    pupil = await make_pupil(seeded)
    gql = teacher(as_role, pupil)
    await gql(ENTER, {"in": grade_input(pupil, seq=1, score=5.0)})

    def explode(self: mutation.Tx, topic: str, **data: Any) -> None:
        raise RuntimeError("crash after the writes, before commit")

    monkeypatch.setattr(mutation.Tx, "emit", explode)
    if query == "enter":
        body = await gql(ENTER, {"in": grade_input(pupil, seq=2, score=6.0)}, expect_errors=True)
    else:
        body = await gql(CORRECT, {"in": grade_input(pupil, seq=1, score=6.0, reason="x")}, expect_errors=True)
    assert body["errors"]
    monkeypatch.undo()
    assert [(r.seq, r.score_tenths) for r in await entries(seeded, pupil.pid)] == [(1, 50)]
    assert await corrections_of(seeded, pupil.pid) == []


# ---------------------------------------------------------------------------------------------------------
# Real parallel requests against a running server
# ---------------------------------------------------------------------------------------------------------


async def parallel(live_server: Any, pupil: Pupil, inputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    async with live_server.client(Role.TEACHER, subject="gv.live", school=pupil.school) as http:
        responses = await asyncio.gather(
            *(http.post("/graphql", json={"query": ENTER, "variables": {"in": data}}) for data in inputs)
        )
    assert {r.status_code for r in responses} == {200}
    bodies = [r.json() for r in responses]
    assert all("errors" not in b for b in bodies), [b["errors"] for b in bodies if "errors" in b]
    return [payload(b) for b in bodies]


async def test_twenty_parallel_entries_of_the_same_assessment_store_one(live_server: Any, seeded: Seeded) -> None:
    pupil = await make_pupil(seeded)
    results = await parallel(live_server, pupil, [grade_input(pupil, seq=2, score=5.0 + i / 10) for i in range(20)])
    stored = [r for r in results if not r["userErrors"]]
    refused = [r["userErrors"][0] for r in results if r["userErrors"]]
    assert len(stored) == 1 and len(refused) == 19
    assert {(tuple(e["field"]), e["code"]) for e in refused} == {(("input", "seq"), "DUPLICATE")}
    [row] = await entries(seeded, pupil.pid)
    assert row.seq == 2 and row.score_tenths / 10 == stored[0]["entry"]["score"]


async def test_twenty_parallel_regular_entries_stop_at_the_circular_22_count(live_server: Any, seeded: Seeded) -> None:
    pupil = await make_pupil(seeded)
    # Toán allows 4 regular assessments per semester, GDCD 2: the next free number is taken under the lock.
    inputs = [grade_input(pupil, score=6.0) for _ in range(20)] + [
        grade_input(pupil, subject="GDCD", score=7.0) for _ in range(20)
    ]
    results = await parallel(live_server, pupil, inputs)
    assert sum(1 for r in results[:20] if not r["userErrors"]) == 4
    assert sum(1 for r in results[20:] if not r["userErrors"]) == 2
    codes = Counter(r["userErrors"][0]["code"] for r in results if r["userErrors"])
    assert codes == {"LIMIT_REACHED": 34}
    rows = await entries(seeded, pupil.pid)
    assert sorted((r.subject_code, r.seq) for r in rows) == [("GDCD", 1), ("GDCD", 2)] + [
        ("TOAN", n) for n in range(1, 5)
    ]


async def test_twenty_parallel_entries_with_chosen_numbers_store_one_per_number(
    live_server: Any, seeded: Seeded
) -> None:
    pupil = await make_pupil(seeded)
    inputs = [grade_input(pupil, seq=i % 5 + 1, score=8.0) for i in range(20)]  # 1..5: 5 is out of range
    results = await parallel(live_server, pupil, inputs)
    assert sum(1 for r in results if not r["userErrors"]) == 4
    codes = Counter(r["userErrors"][0]["code"] for r in results if r["userErrors"])
    assert codes == {"DUPLICATE": 12, "OUT_OF_RANGE": 4}
    assert sorted(r.seq for r in await entries(seeded, pupil.pid)) == [1, 2, 3, 4]


# ---------------------------------------------------------------------------------------------------------
# Subscription over a real WebSocket
# ---------------------------------------------------------------------------------------------------------

SUBSCRIPTION = """subscription($p: String) { gradeEntered(studentPersonalId: $p) { change
  entry { subject { code } kind seq score } student { personalId } subjectResult { semester1Average } } }"""


async def open_ws(live_server: Any, role: Role, variables: dict[str, Any], **claims: Any) -> Any:
    url = live_server.url.replace("http://", "ws://") + "/graphql"
    ws = await websockets.connect(url, subprotocols=[Subprotocol("graphql-transport-ws")])
    token = token_for(live_server.settings, role, **claims)
    await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}))
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    message = {"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION, "variables": variables}}
    await ws.send(json.dumps(message))
    return ws


async def test_a_parent_receives_their_childs_new_grade_and_another_parent_nothing(
    live_server: Any, seeded: Seeded
) -> None:
    child, other = await make_pupil(seeded), await make_pupil(seeded)
    mine = await open_ws(live_server, Role.CITIZEN, {"p": child.pid}, subject=child.guardian)
    all_mine = await open_ws(live_server, Role.CITIZEN, {}, subject=child.guardian)
    theirs = await open_ws(live_server, Role.CITIZEN, {}, subject=other.guardian)
    school = await open_ws(live_server, Role.TEACHER, {}, subject="gv.ws", school=child.school)
    try:
        await asyncio.sleep(0.3)  # let the server register the subscriptions
        results = await parallel(live_server, child, [grade_input(child, kind="MIDTERM", score=9.5)])
        assert results[0]["userErrors"] == []
        for ws in (mine, all_mine, school):
            message = json.loads(await asyncio.wait_for(ws.recv(), timeout=2))
            assert message["type"] == "next", message
            change = message["payload"]["data"]["gradeEntered"]
            assert change["change"] == "ENTERED" and change["student"] == {"personalId": child.pid}
            assert change["entry"] == {"subject": {"code": "TOAN"}, "kind": "MIDTERM", "seq": 1, "score": 9.5}
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(theirs.recv(), timeout=1)
    finally:
        for ws in (mine, all_mine, theirs, school):
            await ws.close()


async def test_a_citizen_may_not_follow_someone_elses_child(live_server: Any, seeded: Seeded) -> None:
    child, stranger = await make_pupil(seeded), await make_pupil(seeded)
    ws = await open_ws(live_server, Role.CITIZEN, {"p": child.pid}, subject=stranger.guardian)
    try:
        message = json.loads(await asyncio.wait_for(ws.recv(), timeout=2))
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert errors and "may follow only their own" in json.dumps(errors)
    finally:
        await ws.close()


# ---------------------------------------------------------------------------------------------------------
# enrolmentApply and enrolmentDecide (the clock is set inside the 2027 windows)
# ---------------------------------------------------------------------------------------------------------

ENROL_YEAR = 2027
_taken: set[str] = set()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[dt.datetime], None]]:
    """``clock(moment)``: what time the enrolment resolvers see."""

    def set_to(moment: dt.datetime) -> None:
        monkeypatch.setattr(resolve, "clock", lambda: moment)

    yield set_to


IN_WINDOW = {
    EnrolmentLevel.KINDERGARTEN: at(ENROL_YEAR, 7, 2, 10),
    EnrolmentLevel.GRADE_1: at(ENROL_YEAR, 7, 5, 10),
    EnrolmentLevel.GRADE_6: at(ENROL_YEAR, 7, 8, 10),
}


async def unit_schools(seeded: Seeded, unit: str, level: str) -> list[str]:
    s = ds.schools.c
    rows = await seeded.stores["education"].all(select(s.code).where(s.unit_code == unit, s.level == level))
    return sorted(r.code for r in rows)


async def child_for(
    seeded: Seeded, level: EnrolmentLevel, schools_needed: int = 1, born: int | None = None
) -> tuple[Person, list[str]]:
    """A seeded child of the right age for ``level`` in 2027 (or born in ``born``), with a parent and schools of
    that level at home. Each child is used by one test only."""
    born = born or ENROL_YEAR - rules.ENTRY_AGE[level]
    for p in seeded.ctx.people:
        key = f"{seeded.backend}:{p.pid}"
        if p.dob.year != born or key in _taken or not (p.father or p.mother):
            continue
        schools = await unit_schools(seeded, p.unit, rules.SCHOOL_LEVEL[level])
        if len(schools) >= schools_needed:
            _taken.add(key)
            return p, schools
    raise AssertionError(f"no seeded child for {level}")


def parent_of(child: Person) -> str:
    parent = child.mother or child.father
    assert parent is not None
    return parent


def apply_input(child: Person, level: EnrolmentLevel, school: str, **more: Any) -> dict[str, Any]:
    return {"childPersonalId": child.pid, "level": level.value, "schoolCode": school, **more}


async def applications_of(seeded: Seeded, pid: str) -> list[Any]:
    a = ds.enrolment_applications.c
    entry_year = f"{ENROL_YEAR}-{ENROL_YEAR + 1}"  # the seed has applications of 2026-2027
    stmt = select(ds.enrolment_applications).where(a.child_pid == pid, a.school_year == entry_year).order_by(a.id)
    return list(await seeded.stores["education"].all(stmt))


@pytest.mark.parametrize("level", list(EnrolmentLevel))
async def test_a_parent_applies_within_the_window(
    as_role: Callable[..., GQL], seeded: Seeded, app: Starlette, clock: Callable[[dt.datetime], None],
    level: EnrolmentLevel,
) -> None:  # fmt: skip
    child, schools = await child_for(seeded, level)
    clock(IN_WINDOW[level])
    sub = app.state.bus.subscribe(["education.enrolment."])
    body = await as_role(Role.CITIZEN, subject=parent_of(child))(APPLY, {"in": apply_input(child, level, schools[0])})
    p = payload(body, "enrolmentApply")
    assert p["userErrors"] == []
    application = p["application"]
    assert application["applicationNo"].startswith(f"TS{ENROL_YEAR}-{rules.TAG[level]}-")
    assert (application["schoolYear"], application["level"], application["status"]) == (
        f"{ENROL_YEAR}-{ENROL_YEAR + 1}", level.value, "SUBMITTED",
    )  # fmt: skip
    assert application["childPersonalId"] == child.pid and application["childDateOfBirth"] == child.dob.isoformat()
    assert application["routeUnit"] == {"code": child.unit}
    assert application["school"] == {"code": schools[0], "level": rules.SCHOOL_LEVEL[level]}
    assert application["submittedAt"] == IN_WINDOW[level].isoformat()
    event: Event = sub.queue.get_nowait()  # type: ignore[assignment]
    assert event.topic == "education.enrolment.submitted"
    assert (event.payload["child_pid"], event.payload["school_code"]) == (child.pid, schools[0])
    sub.close()


@pytest.mark.parametrize(
    ("moment", "ok"),
    [
        (at(ENROL_YEAR, 7, 4, 7, 59), False),
        (at(ENROL_YEAR, 7, 4, 8, 0), True),
        (at(ENROL_YEAR, 7, 6, 16, 59), True),
        (at(ENROL_YEAR, 7, 6, 17, 0), False),
        (at(ENROL_YEAR, 7, 2, 10), False),  # the kindergarten window
    ],
)
async def test_grade_1_window_edges_through_the_api(
    as_role: Callable[..., GQL], seeded: Seeded, clock: Callable[[dt.datetime], None], moment: dt.datetime, ok: bool
) -> None:
    child, schools = await child_for(seeded, EnrolmentLevel.GRADE_1)
    clock(moment)
    body = await as_role(Role.CITIZEN, subject=parent_of(child))(
        APPLY, {"in": apply_input(child, EnrolmentLevel.GRADE_1, schools[0])}
    )
    errors = payload(body, "enrolmentApply")["userErrors"]
    if ok:
        assert errors == []
        assert len(await applications_of(seeded, child.pid)) == 1
    else:
        assert [(e["field"], e["code"]) for e in errors] == [(["input", "level"], "WINDOW_CLOSED")]
        assert "08:00 04/07/2027 to 17:00 06/07/2027" in errors[0]["message"]
        assert await applications_of(seeded, child.pid) == []


async def test_age_level_and_route_are_checked(
    as_role: Callable[..., GQL], seeded: Seeded, clock: Callable[[dt.datetime], None]
) -> None:
    clock(IN_WINDOW[EnrolmentLevel.GRADE_1])
    young, schools = await child_for(seeded, EnrolmentLevel.KINDERGARTEN)  # turns 5: too young for grade 1
    primary = await unit_schools(seeded, young.unit, "PRIMARY")
    gql = as_role(Role.CITIZEN, subject=parent_of(young))
    body = await gql(APPLY, {"in": apply_input(young, EnrolmentLevel.GRADE_1, primary[0] if primary else "x")})
    fields = {(tuple(e["field"]), e["code"]) for e in payload(body, "enrolmentApply")["userErrors"]}
    assert (("input", "childPersonalId"), "NOT_ELIGIBLE") in fields
    child, primary = await child_for(seeded, EnrolmentLevel.GRADE_1)
    gql = as_role(Role.CITIZEN, subject=parent_of(child))
    kindergarten = await unit_schools(seeded, child.unit, "KINDERGARTEN")
    elsewhere = next(c for c in await all_schools(seeded, "PRIMARY") if c not in primary)
    for school, code in ((kindergarten[0] if kindergarten else schools[0], "WRONG_LEVEL"),
                         (elsewhere, "OUT_OF_ROUTE"), ("0100000000", "NOT_FOUND")):  # fmt: skip
        body = await gql(APPLY, {"in": apply_input(child, EnrolmentLevel.GRADE_1, school)})
        assert error_of(body, "enrolmentApply") == (["input", "schoolCode"], code)
    body = await gql(APPLY, {"in": apply_input(child, EnrolmentLevel.GRADE_1, primary[0]) | {"childPersonalId": "1"}})
    assert error_of(body, "enrolmentApply") == (["input", "childPersonalId"], "INVALID")
    assert await applications_of(seeded, child.pid) == [] and await applications_of(seeded, young.pid) == []


async def all_schools(seeded: Seeded, level: str) -> list[str]:
    s = ds.schools.c
    return sorted(r.code for r in await seeded.stores["education"].all(select(s.code).where(s.level == level)))


async def test_grade_6_follows_the_grade_5_record(
    as_role: Callable[..., GQL], seeded: Seeded, clock: Callable[[dt.datetime], None]
) -> None:
    """The seeded records of 2026-2027 (while they are in the store) decide; without one, the age does."""
    clock(IN_WINDOW[EnrolmentLevel.GRADE_6])
    child, schools = await child_for(seeded, EnrolmentLevel.GRADE_6)  # born 2016: grade 5 in 2026-2027
    body = await as_role(Role.CITIZEN, subject=parent_of(child))(
        APPLY, {"in": apply_input(child, EnrolmentLevel.GRADE_6, schools[0])}
    )
    assert payload(body, "enrolmentApply")["userErrors"] == []
    older, schools = await child_for(seeded, EnrolmentLevel.GRADE_6, born=ENROL_YEAR - 12)  # in grade 6 already
    body = await as_role(Role.CITIZEN, subject=parent_of(older))(
        APPLY, {"in": apply_input(older, EnrolmentLevel.GRADE_6, schools[0])}
    )
    assert error_of(body, "enrolmentApply") == (["input", "childPersonalId"], "NOT_ELIGIBLE")
    assert await applications_of(seeded, older.pid) == []


async def test_one_active_application_per_child_level_and_year(
    as_role: Callable[..., GQL], seeded: Seeded, clock: Callable[[dt.datetime], None]
) -> None:
    level = EnrolmentLevel.KINDERGARTEN
    child, schools = await child_for(seeded, level)
    clock(IN_WINDOW[level])
    gql = as_role(Role.CITIZEN, subject=parent_of(child))
    first = payload(await gql(APPLY, {"in": apply_input(child, level, schools[0])}), "enrolmentApply")
    again = await gql(APPLY, {"in": apply_input(child, level, schools[-1])})
    assert error_of(again, "enrolmentApply") == (["input", "childPersonalId"], "DUPLICATE")
    assert first["application"]["applicationNo"] in payload(again, "enrolmentApply")["userErrors"][0]["message"]
    officer = as_role(
        Role.OFFICER, subject="cb.gd", unit=await unit_of_school(seeded, schools[0]), domains=("education",)
    )
    rejected = await officer(DECIDE, {"in": {"applicationId": first["application"]["id"], "decision": "REJECT"}})
    assert payload(rejected, "enrolmentDecide")["application"]["status"] == "REJECTED"
    retry = payload(await gql(APPLY, {"in": apply_input(child, level, schools[-1])}), "enrolmentApply")
    assert retry["userErrors"] == [] and retry["application"]["status"] == "SUBMITTED"
    assert [r.status for r in await applications_of(seeded, child.pid)] == ["REJECTED", "SUBMITTED"]


async def unit_of_school(seeded: Seeded, code: str) -> str:
    unit = await seeded.stores["education"].scalar(select(ds.schools.c.unit_code).where(ds.schools.c.code == code))
    return str(unit)


async def test_who_may_apply(as_role: Callable[..., GQL], seeded: Seeded, clock: Callable[[dt.datetime], None]) -> None:
    level = EnrolmentLevel.GRADE_1
    clock(IN_WINDOW[level])
    child, schools = await child_for(seeded, level)
    data = {"in": apply_input(child, level, schools[0])}
    refused = [
        as_role(Role.CITIZEN, subject="001087123456"),  # not the parent
        as_role(Role.CITIZEN, subject=child.pid),  # the child themselves
        as_role(Role.OFFICER, unit="99999", domains=("education",)),  # another unit
        as_role(Role.OFFICER, unit=child.unit, domains=("population",)),  # not an education officer
        as_role(Role.TEACHER, school=schools[0]),
        as_role(Role.OPERATOR),
    ]
    for gql in refused:
        body = await gql(APPLY, data, expect_errors=True)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
    assert await applications_of(seeded, child.pid) == []
    officer = as_role(Role.OFFICER, subject="cb.phuong", unit=child.unit, domains=("education",))
    assert payload(await officer(APPLY, data), "enrolmentApply")["userErrors"] == []
    sibling, schools2 = await child_for(seeded, level)
    assert payload(await as_role(Role.ADMIN)(APPLY, {"in": apply_input(sibling, level, schools2[0])}),
                   "enrolmentApply")["userErrors"] == []  # fmt: skip


async def test_a_guardian_declared_to_the_school_may_apply(
    as_role: Callable[..., GQL], seeded: Seeded, clock: Callable[[dt.datetime], None]
) -> None:
    level = EnrolmentLevel.GRADE_6
    clock(IN_WINDOW[level])
    child, schools = await child_for(seeded, level)
    guardian = fresh_pid(dt.date(1960, 1, 1))
    async with seeded.stores["education"].begin() as conn:
        await conn.execute(
            ds.guardians.insert().values(
                student_pid=child.pid, guardian_pid=guardian, relation="GUARDIAN", full_name="Bà Ngoại", phone=None
            )
        )
    body = await as_role(Role.CITIZEN, subject=guardian)(APPLY, {"in": apply_input(child, level, schools[0])})
    assert payload(body, "enrolmentApply")["userErrors"] == []


async def test_apply_retry_and_atomicity(
    as_role: Callable[..., GQL], seeded: Seeded, clock: Callable[[dt.datetime], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    level = EnrolmentLevel.KINDERGARTEN
    clock(IN_WINDOW[level])
    child, schools = await child_for(seeded, level)
    gql = as_role(Role.CITIZEN, subject=parent_of(child))
    data = {"in": apply_input(child, level, schools[0], idempotencyKey="enrol-1")}

    def explode(self: mutation.Tx, topic: str, **payload: Any) -> None:
        raise RuntimeError("crash after the INSERT, before commit")

    emit = mutation.Tx.emit
    monkeypatch.setattr(mutation.Tx, "emit", explode)
    assert (await gql(APPLY, data, expect_errors=True))["errors"]
    monkeypatch.setattr(mutation.Tx, "emit", emit)
    assert await applications_of(seeded, child.pid) == []
    first, again = await gql(APPLY, data), await gql(APPLY, data)
    assert first["data"] == again["data"] and payload(first, "enrolmentApply")["userErrors"] == []
    assert len(await applications_of(seeded, child.pid)) == 1


async def test_decisions_by_an_officer_of_the_schools_unit(
    as_role: Callable[..., GQL], seeded: Seeded, clock: Callable[[dt.datetime], None], app: Starlette
) -> None:
    level = EnrolmentLevel.GRADE_1
    clock(IN_WINDOW[level])
    children = [await child_for(seeded, level, schools_needed=2) for _ in range(3)]
    ids = []
    for child, schools in children:
        body = await as_role(Role.CITIZEN, subject=parent_of(child))(
            APPLY, {"in": apply_input(child, level, schools[0])}
        )
        ids.append(payload(body, "enrolmentApply")["application"]["id"])
    unit = await unit_of_school(seeded, children[0][1][0])
    officer = as_role(Role.OFFICER, subject="cb.gd.1", unit=unit, domains=("education",))

    async def decide(gql: GQL, i: int, decision: str, **more: Any) -> dict[str, Any]:
        return payload(await gql(DECIDE, {"in": {"applicationId": ids[i], "decision": decision, **more}}),
                       "enrolmentDecide")  # fmt: skip

    outsiders = [
        as_role(Role.OFFICER, unit="99999", domains=("education",)),
        as_role(Role.OFFICER, unit=unit, domains=("services",)),
        as_role(Role.CITIZEN, subject=parent_of(children[0][0])),
        as_role(Role.TEACHER, school="x"),
    ]
    for gql in outsiders:
        body = await gql(DECIDE, {"in": {"applicationId": ids[0], "decision": "ACCEPT"}}, expect_errors=True)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    sub = app.state.bus.subscribe(["education.enrolment."])
    clock(at(ENROL_YEAR, 7, 20, 9))
    verified = await decide(officer, 0, "VERIFY")
    assert verified["application"]["status"] == "VERIFIED" and verified["application"]["decidedAt"] is None
    again = await decide(officer, 0, "VERIFY")
    assert again["userErrors"][0]["code"] == "INVALID_TRANSITION" and "VERIFIED" in again["userErrors"][0]["message"]
    accepted = await decide(officer, 0, "ACCEPT", note="Đúng tuyến")
    assert accepted["application"]["status"] == "ACCEPTED"
    assert accepted["application"]["decidedAt"] == at(ENROL_YEAR, 7, 20, 9).isoformat()
    late = await decide(officer, 0, "REJECT")
    assert late["userErrors"][0]["code"] == "INVALID_TRANSITION" and "ACCEPTED" in late["userErrors"][0]["message"]
    # a transfer needs another school of the same level in the child's route
    child, schools = children[1]
    admin = as_role(Role.ADMIN)
    missing = await admin(DECIDE, {"in": {"applicationId": ids[1], "decision": "TRANSFER"}})
    assert error_of(missing, "enrolmentDecide") == (["input", "assignedSchoolCode"], "REQUIRED")
    elsewhere = next(c for c in await all_schools(seeded, "PRIMARY") if c not in schools)
    kindergarten = (await all_schools(seeded, "KINDERGARTEN"))[0]
    for school, code in ((schools[0], "SAME_SCHOOL"), ("0100000000", "NOT_FOUND"), (kindergarten, "WRONG_LEVEL"),
                         (elsewhere, "OUT_OF_ROUTE")):  # fmt: skip
        body = await admin(
            DECIDE, {"in": {"applicationId": ids[1], "decision": "TRANSFER", "assignedSchoolCode": school}}
        )
        assert error_of(body, "enrolmentDecide") == (["input", "assignedSchoolCode"], code), school
    moved = payload(await admin(DECIDE, {"in": {"applicationId": ids[1], "decision": "TRANSFER",
                                                "assignedSchoolCode": schools[1]}}), "enrolmentDecide")  # fmt: skip
    assert moved["application"]["status"] == "TRANSFERRED" and moved["application"]["assignedSchool"] == {
        "code": schools[1]
    }
    body = await admin(
        DECIDE, {"in": {"applicationId": ids[2], "decision": "ACCEPT", "assignedSchoolCode": schools[1]}}
    )
    assert error_of(body, "enrolmentDecide") == (["input", "assignedSchoolCode"], "INVALID")
    bad = await admin(DECIDE, {"in": {"applicationId": "U2Nob29sOjAxMDA=", "decision": "ACCEPT"}})
    assert error_of(bad, "enrolmentDecide") == (["input", "applicationId"], "INVALID")
    topics = [sub.queue.get_nowait().topic for _ in range(sub.queue.qsize())]  # type: ignore[attr-defined]
    assert topics == ["education.enrolment.verified", "education.enrolment.accepted",
                      "education.enrolment.transferred"]  # fmt: skip
    sub.close()
    d = ds.enrolment_decisions.c
    history = await seeded.stores["education"].all(
        select(d.from_status, d.to_status, d.decided_by, d.note).where(d.application_id == int(_node(ids[0])))
        .order_by(d.id)
    )  # fmt: skip
    assert [tuple(r) for r in history] == [("SUBMITTED", "VERIFIED", "cb.gd.1", None),
                                           ("VERIFIED", "ACCEPTED", "cb.gd.1", "Đúng tuyến")]  # fmt: skip


def _node(global_id: str) -> str:
    import base64

    return base64.b64decode(global_id).decode().split(":", 1)[1]
