"""Secondary-school assessment under Circular 22/2021/TT-BGDĐT (DOMAIN.md §7.2), as pure functions.

Averages and ratings are never stored: they are computed from the grade-book entries (sổ điểm điện tử).

- Regular assessments per semester (ĐĐGtx) by annual periods: ≤35 → 2, >35 to 70 → 3, >70 → 4.
- Semester average ĐTBmhk = (ΣĐĐGtx + 2·ĐĐGgk + 3·ĐĐGck) / (số ĐĐGtx + 5), one decimal after rounding.
- Year average ĐTBmcn = (ĐTBmhkI + 2·ĐTBmhkII) / 3, one decimal after rounding.
- Comment-only subjects: a semester is Đạt when every required assessment exists and all are Đạt; the year
  takes semester II's result.
- Learning result (Tốt / Khá / Đạt / Chưa đạt) per semester and year from the subject results.

Rounding is half up (7.25 → 7.3), done exactly in decimal arithmetic. The adjustment of Circular 22 Art. 9
for a rating lowered by a single subject is not in DOMAIN.md §7.2 and is not applied here.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

TENTH = Decimal("0.1")


class Mode(StrEnum):
    SCORE = "SCORE"
    """Đánh giá bằng nhận xét kết hợp với điểm số: scored 0-10."""
    COMMENT = "COMMENT"
    """Đánh giá bằng nhận xét: rated Đạt / Chưa đạt."""


class Kind(StrEnum):
    REGULAR = "REGULAR"
    """ĐĐGtx (thường xuyên)."""
    MIDTERM = "MIDTERM"
    """ĐĐGgk (giữa kì)."""
    FINAL = "FINAL"
    """ĐĐGck (cuối kì)."""


class Rating(StrEnum):
    """Learning result of a semester or year (kết quả học tập)."""

    GOOD = "GOOD"
    """Tốt."""
    FAIR = "FAIR"
    """Khá."""
    SATISFACTORY = "SATISFACTORY"
    """Đạt."""
    UNSATISFACTORY = "UNSATISFACTORY"
    """Chưa đạt."""


# ---------------------------------------------------------------------------------------------------------
# School years
# ---------------------------------------------------------------------------------------------------------


def school_year_of(day: dt.date) -> str:
    """The school year a date belongs to: from August it is the year that starts in September."""
    start = day.year if day.month >= 8 else day.year - 1
    return f"{start}-{start + 1}"


def school_year_start(school_year: str) -> int:
    """2025 for "2025-2026"; raises ValueError on anything but two consecutive years."""
    first, sep, second = school_year.partition("-")
    if not sep or not first.isdigit() or not second.isdigit() or int(second) != int(first) + 1:
        raise ValueError(f"school year {school_year!r} must look like '2025-2026'")
    return int(first)


def grade_for(birth_year: int, school_year: str) -> int:
    """The grade (1-12) of a child born in ``birth_year`` at the normal age: grade 1 in the year they turn 6.

    Values below 1 mean preschool: -2, -1 and 0 are the 3-, 4- and 5-year-old kindergarten groups.
    """
    return school_year_start(school_year) - birth_year - 5


# ---------------------------------------------------------------------------------------------------------
# Formulas
# ---------------------------------------------------------------------------------------------------------


def regular_count(periods_per_year: int) -> int:
    """Required regular assessments per semester for a subject with this many periods a year."""
    if periods_per_year <= 35:
        return 2
    if periods_per_year <= 70:
        return 3
    return 4


def round1(value: Decimal) -> Decimal:
    """One decimal place, half up (Circular 22: "lấy đến chữ số thập phân thứ nhất sau khi làm tròn số")."""
    return value.quantize(TENTH, rounding=ROUND_HALF_UP)


def _check_score(score: Decimal) -> Decimal:
    if score < 0 or score > 10 or score != round1(score):
        raise ValueError(f"score {score} must be between 0 and 10 with at most one decimal")
    return score


def semester_average(regular: Sequence[Decimal], midterm: Decimal, final: Decimal) -> Decimal:
    """ĐTBmhk = (ΣĐĐGtx + 2·ĐĐGgk + 3·ĐĐGck) / (số ĐĐGtx + 5), rounded to one decimal."""
    for s in (*regular, midterm, final):
        _check_score(s)
    total = sum(regular, Decimal(0)) + 2 * midterm + 3 * final
    return round1(total / (len(regular) + 5))


def year_average(semester1: Decimal, semester2: Decimal) -> Decimal:
    """ĐTBmcn = (ĐTBmhkI + 2·ĐTBmhkII) / 3, rounded to one decimal."""
    return round1((semester1 + 2 * semester2) / 3)


def comment_semester_passed(ratings: Sequence[bool], required: int) -> bool:
    """Đạt when all required assessments exist (``required`` = regular count + mid-term + final) and all pass."""
    return len(ratings) >= required and all(ratings)


def learning_rating(scored: Iterable[Decimal], comment: Iterable[bool]) -> Rating:
    """Tốt / Khá / Đạt / Chưa đạt from subject averages (scored) and Đạt/Chưa đạt results (comment-only)."""
    averages = list(scored)
    passes = list(comment)
    failed_comments = sum(1 for p in passes if not p)
    if failed_comments == 0:
        if all(a >= Decimal("6.5") for a in averages) and sum(a >= 8 for a in averages) >= 6:
            return Rating.GOOD
        if all(a >= 5 for a in averages) and sum(a >= Decimal("6.5") for a in averages) >= 6:
            return Rating.FAIR
    if failed_comments <= 1 and sum(a >= 5 for a in averages) >= 6 and all(a >= Decimal("3.5") for a in averages):
        return Rating.SATISFACTORY
    return Rating.UNSATISFACTORY


# ---------------------------------------------------------------------------------------------------------
# From grade-book entries to results
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One grade-book entry, as the computation needs it."""

    subject: str
    semester: int
    kind: Kind
    seq: int
    score: Decimal | None = None
    passed: bool | None = None


@dataclass(frozen=True)
class SubjectRule:
    """How a subject is assessed in one grade."""

    mode: Mode
    periods_per_year: int

    @property
    def regular(self) -> int:
        return regular_count(self.periods_per_year)


@dataclass
class SubjectResult:
    """One subject's results in one school year. None where the semester is not complete yet."""

    subject: str
    mode: Mode
    regular_required: int
    semester_averages: dict[int, Decimal | None] = field(default_factory=dict)
    semester_passed: dict[int, bool | None] = field(default_factory=dict)
    year_average: Decimal | None = None
    year_passed: bool | None = None


def _semester(entries: Sequence[Entry], rule: SubjectRule) -> tuple[Decimal | None, bool | None]:
    midterm = [e for e in entries if e.kind == Kind.MIDTERM]
    final = [e for e in entries if e.kind == Kind.FINAL]
    regular = [e for e in entries if e.kind == Kind.REGULAR]
    if not midterm or not final:
        return None, None
    if rule.mode == Mode.SCORE:
        scores = [e.score for e in regular]
        gk, ck = midterm[-1].score, final[-1].score
        if gk is None or ck is None or any(s is None for s in scores):
            return None, None
        return semester_average([s for s in scores if s is not None], gk, ck), None
    flags = [bool(e.passed) for e in (*regular, midterm[-1], final[-1])]
    return None, comment_semester_passed(flags, rule.regular + 2)


def subject_results(entries: Iterable[Entry], rules: Mapping[str, SubjectRule]) -> list[SubjectResult]:
    """Per-subject semester and year results of one student in one school year, in the order of ``rules``.

    Subjects are those the student has entries in (electives differ between students); a subject with
    entries but no rule is ignored. A semester's result needs its mid-term and final assessments.
    """
    by_subject: dict[str, dict[int, list[Entry]]] = defaultdict(lambda: defaultdict(list))
    for e in entries:
        by_subject[e.subject][e.semester].append(e)
    out = []
    for code, rule in rules.items():
        if code not in by_subject:
            continue
        res = SubjectResult(subject=code, mode=rule.mode, regular_required=rule.regular)
        for sem in (1, 2):
            avg, passed = _semester(sorted(by_subject[code].get(sem, []), key=lambda e: e.seq), rule)
            res.semester_averages[sem] = avg
            res.semester_passed[sem] = passed
        if rule.mode == Mode.SCORE:
            s1, s2 = res.semester_averages[1], res.semester_averages[2]
            res.year_average = year_average(s1, s2) if s1 is not None and s2 is not None else None
        else:
            # Comment-only subjects: the year result is semester II's (once semester I is complete too).
            res.year_passed = res.semester_passed[2] if res.semester_passed[1] is not None else None
        out.append(res)
    return out


def rating_of(results: Sequence[SubjectResult], semester: int | None) -> Rating | None:
    """The learning result of a semester (1 or 2) or of the year (None); None while any subject is incomplete."""
    if not results:
        return None
    scored: list[Decimal] = []
    comment: list[bool] = []
    for r in results:
        if r.mode == Mode.SCORE:
            avg = r.year_average if semester is None else r.semester_averages.get(semester)
            if avg is None:
                return None
            scored.append(avg)
        else:
            passed = r.year_passed if semester is None else r.semester_passed.get(semester)
            if passed is None:
                return None
            comment.append(passed)
    return learning_rating(scored, comment)


# ---------------------------------------------------------------------------------------------------------
# The e-grade book: what one new entry may be (Circular 22 counts and the 0-10 scale)
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """A reason an input is refused: the input field it is about, a message and a machine-readable code."""

    field: str
    message: str
    code: str = "INVALID"


def parse_score(value: float | Decimal | str) -> Decimal:
    """A score as entered: 0 to 10 in steps of 0.1 (7.25, 10.5, -1 are refused). Raises ValueError.

    Floats are read through their shortest repr, so 7.3 is exactly 7.3 and 7.25 stays 7.25 (refused).
    """
    try:
        score = Decimal(repr(value) if isinstance(value, float) else str(value))
    except ArithmeticError as exc:
        raise ValueError(f"score {value!r} is not a number") from exc
    if not score.is_finite():
        raise ValueError(f"score {value!r} is not a number")
    if score < 0 or score > 10:
        raise ValueError(f"A score is between 0 and 10, not {score}")
    if score != round1(score):
        raise ValueError(f"A score has at most one decimal (steps of 0.1), not {score}")
    return round1(score)


def assessments_allowed(kind: Kind, regular_required: int) -> int:
    """How many assessments of a kind one subject has per semester: the regular count, one mid-term, one final."""
    return regular_required if kind == Kind.REGULAR else 1


def check_value(mode: Mode, score: Decimal | float | None, passed: bool | None) -> list[Problem]:
    """A scored subject takes a score and no rating; a comment-only subject a rating (Đạt/Chưa đạt) and no score."""
    if mode == Mode.SCORE:
        if passed is not None:
            return [Problem("rating", "This subject is scored 0-10: give a score, not a PASS/FAIL rating")]
        if score is None:
            return [Problem("score", "This subject is scored 0-10: a score is required", "REQUIRED")]
        try:
            parse_score(score)
        except ValueError as exc:
            return [Problem("score", str(exc), "OUT_OF_RANGE")]
        return []
    if score is not None:
        return [Problem("score", "This subject is assessed by comment only (Đạt/Chưa đạt): give a rating, not a score")]
    if passed is None:
        return [
            Problem("rating", "This subject is assessed by comment only: a PASS/FAIL rating is required", "REQUIRED")
        ]
    return []


def pick_seq(kind: Kind, seq: int | None, taken: Iterable[int], regular_required: int) -> int | Problem:
    """The number of a new assessment: ``seq`` if it is free and within the Circular 22 count, or (``seq`` null)
    the lowest free one. A problem when it is out of range, already entered (correct it instead) or the count
    is full."""
    allowed = assessments_allowed(kind, regular_required)
    used = set(taken)
    if seq is None:
        free = [n for n in range(1, allowed + 1) if n not in used]
        if not free:
            what = f"all {allowed} regular assessments" if kind == Kind.REGULAR else f"the {kind.value.lower()}"
            return Problem(
                "kind",
                f"This semester already has {what} of the subject (Circular 22): use gradeCorrect to change one",
                "LIMIT_REACHED",
            )
        return free[0]
    if not 1 <= seq <= allowed:
        return Problem("seq", f"{kind.value} assessments of this subject are numbered 1 to {allowed}", "OUT_OF_RANGE")
    if seq in used:
        return Problem(
            "seq", f"{kind.value} assessment {seq} is already entered: use gradeCorrect to change it", "DUPLICATE"
        )
    return seq


# ---------------------------------------------------------------------------------------------------------
# Online enrolment (tuyển sinh trực tuyến): windows, ages, routes, decisions
# ---------------------------------------------------------------------------------------------------------

HANOI_TZ = dt.timezone(dt.timedelta(hours=7), "ICT")


class EnrolmentLevel(StrEnum):
    KINDERGARTEN = "KINDERGARTEN"
    """The 5-year-old kindergarten class (mẫu giáo 5 tuổi)."""
    GRADE_1 = "GRADE_1"
    GRADE_6 = "GRADE_6"


ENTRY_AGE = {EnrolmentLevel.KINDERGARTEN: 5, EnrolmentLevel.GRADE_1: 6, EnrolmentLevel.GRADE_6: 11}
"""The age a child turns in the enrolment year (calendar year of birth, not the birthday)."""

SCHOOL_LEVEL = {
    EnrolmentLevel.KINDERGARTEN: "KINDERGARTEN",
    EnrolmentLevel.GRADE_1: "PRIMARY",
    EnrolmentLevel.GRADE_6: "LOWER_SECONDARY",
}
"""The level of school each entry level applies to."""

TAG = {EnrolmentLevel.KINDERGARTEN: "MN", EnrolmentLevel.GRADE_1: "L1", EnrolmentLevel.GRADE_6: "L6"}
"""The level's tag in application numbers (TS2026-L1-000123)."""


@dataclass(frozen=True)
class Window:
    """When online applications for one level are taken: from ``opens`` (inclusive) to ``closes`` (exclusive)."""

    level: EnrolmentLevel
    opens: dt.datetime
    closes: dt.datetime

    def contains(self, at: dt.datetime) -> bool:
        return self.opens <= at < self.closes

    def describe(self) -> str:
        fmt = "%H:%M %d/%m/%Y"
        return f"{self.opens.strftime(fmt)} to {self.closes.strftime(fmt)} (Hanoi time)"


def _window(level: EnrolmentLevel, year: int, first_day: int, last_day: int) -> Window:
    """08:00 on the first day to 17:00 on the last day of July, Hanoi time."""
    return Window(
        level,
        dt.datetime(year, 7, first_day, 8, 0, tzinfo=HANOI_TZ),
        dt.datetime(year, 7, last_day, 17, 0, tzinfo=HANOI_TZ),
    )


_KG, _G1, _G6 = EnrolmentLevel.KINDERGARTEN, EnrolmentLevel.GRADE_1, EnrolmentLevel.GRADE_6

ENROLMENT_WINDOWS: dict[int, dict[EnrolmentLevel, Window]] = {
    # ASSUMPTIONS (DOMAIN.md §7.5 [?]): the Department of Education sets the dates each spring. These follow the
    # pattern announced for 2025 as far as we know it — three days each, 08:00 to 17:00, kindergarten first,
    # then grade 1, then grade 6 — and must be replaced by the announced dates each year.
    2025: {_KG: _window(_KG, 2025, 1, 3), _G1: _window(_G1, 2025, 4, 6), _G6: _window(_G6, 2025, 7, 9)},
    2026: {_KG: _window(_KG, 2026, 1, 3), _G1: _window(_G1, 2026, 4, 6), _G6: _window(_G6, 2026, 7, 9)},
    2027: {_KG: _window(_KG, 2027, 1, 3), _G1: _window(_G1, 2027, 4, 6), _G6: _window(_G6, 2027, 7, 9)},
}
"""Online enrolment windows per year and level (data: add next year's when the Department announces them)."""


class EnrolmentClosed(ValueError):
    """An application outside its level's window; ``window`` is the year's window (None if none is set)."""

    def __init__(self, message: str, window: Window | None) -> None:
        super().__init__(message)
        self.window = window


def enrolment_window(
    level: EnrolmentLevel, at: dt.datetime, windows: Mapping[int, Mapping[EnrolmentLevel, Window]] | None = None
) -> Window:
    """The window of ``level`` that ``at`` falls in; raises EnrolmentClosed with the year's window otherwise."""
    table = ENROLMENT_WINDOWS if windows is None else windows
    local = at.astimezone(HANOI_TZ)
    window = table.get(local.year, {}).get(level)
    if window is None:
        raise EnrolmentClosed(f"No {level.value} enrolment window is set for {local.year}", None)
    if not window.contains(local):
        when = "has not opened yet" if local < window.opens else "has closed"
        raise EnrolmentClosed(
            f"The {level.value} online enrolment window {when}: it runs from {window.describe()}", window
        )
    return window


def entry_school_year(window: Window) -> str:
    """The school year a child enrolled in a summer's window enters: the one starting that September."""
    return f"{window.opens.year}-{window.opens.year + 1}"


def eligibility(
    level: EnrolmentLevel, date_of_birth: dt.date, year: int, grade_last_year: int | None
) -> Problem | None:
    """Whether a child may apply for ``level`` in the enrolment year ``year`` (None: yes).

    - KINDERGARTEN: the child turns 5 in ``year``; GRADE_1: turns 6 (born in ``year`` - 6).
    - GRADE_6: the child finished grade 5. Our rule: if the education store has the child's record of the
      school year that ends this summer, it must be grade 5 (whatever the age: a child who repeated or skipped a
      year follows their record); without such a record (e.g. primary school outside Hanoi) the child must turn
      11 in ``year``, the normal age for grade 6. Primary completion itself (Circular 27) is not stored.
    """
    age = year - date_of_birth.year
    if level == EnrolmentLevel.GRADE_6 and grade_last_year is not None:
        if grade_last_year != 5:
            return Problem(
                "childPersonalId",
                f"Grade 6 is for children who finished grade 5; this child's record for {year - 1}-{year} "
                f"is grade {grade_last_year}",
                "NOT_ELIGIBLE",
            )
        return None
    expected = ENTRY_AGE[level]
    if age != expected:
        return Problem(
            "childPersonalId",
            f"{level.value} in {year} is for children born in {year - expected} (turning {expected}); "
            f"this child was born in {date_of_birth.year}",
            "NOT_ELIGIBLE",
        )
    return None


class EnrolmentStatus(StrEnum):
    SUBMITTED = "SUBMITTED"
    VERIFIED = "VERIFIED"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    TRANSFERRED = "TRANSFERRED"


class Decision(StrEnum):
    VERIFY = "VERIFY"
    ACCEPT = "ACCEPT"
    REJECT = "REJECT"
    TRANSFER = "TRANSFER"


DECISION_STATUS = {
    Decision.VERIFY: EnrolmentStatus.VERIFIED,
    Decision.ACCEPT: EnrolmentStatus.ACCEPTED,
    Decision.REJECT: EnrolmentStatus.REJECTED,
    Decision.TRANSFER: EnrolmentStatus.TRANSFERRED,
}

TRANSITIONS: dict[EnrolmentStatus, frozenset[EnrolmentStatus]] = {
    EnrolmentStatus.SUBMITTED: frozenset(
        {EnrolmentStatus.VERIFIED, EnrolmentStatus.ACCEPTED, EnrolmentStatus.REJECTED, EnrolmentStatus.TRANSFERRED}
    ),
    EnrolmentStatus.VERIFIED: frozenset(
        {EnrolmentStatus.ACCEPTED, EnrolmentStatus.REJECTED, EnrolmentStatus.TRANSFERRED}
    ),
    EnrolmentStatus.ACCEPTED: frozenset(),
    EnrolmentStatus.REJECTED: frozenset(),
    EnrolmentStatus.TRANSFERRED: frozenset(),
}
"""Submitted → verified (residence checked) → accepted, rejected or transferred; a decision is final."""

ACTIVE_STATUSES = (
    EnrolmentStatus.SUBMITTED,
    EnrolmentStatus.VERIFIED,
    EnrolmentStatus.ACCEPTED,
    EnrolmentStatus.TRANSFERRED,
)
"""An application that still counts: a child has at most one per level and year (a rejected one may be
followed by a new one while the window is open)."""


def transition(current: EnrolmentStatus, decision: Decision) -> EnrolmentStatus | Problem:
    target = DECISION_STATUS[decision]
    if target not in TRANSITIONS[current]:
        return Problem(
            "decision",
            f"An application that is {current.value} cannot be {target.value.lower()} ({decision.value})",
            "INVALID_TRANSITION",
        )
    return target
