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
