"""Public school statistics at /public/graphql: figures equal a direct computation on the seed (SQL and the
domain's Circular 22 functions), small counts are suppressed (primary, complement, derived, secondary), and the
statements do not grow with the number of schools asked for. Runs on both backends (``seeded``)."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import and_, func, select

from govgraph.datasources import education as ds
from govgraph.datasources.base import QueryStats, current_stats
from govgraph.domain import education as rules
from govgraph.public.education import LevelTally, SubjectTally, Tally, publish
from tests.conftest import GQL, Seeded

URL = "/public/graphql"
CURRENT = rules.school_year_of(dt.date.today())
PREVIOUS = f"{rules.school_year_start(CURRENT) - 1}-{rules.school_year_start(CURRENT)}"
"""The seed's complete school year: both semesters entered, so averages and ratings exist."""
RATINGS = ("GOOD", "FAIR", "SATISFACTORY", "UNSATISFACTORY")

STATS = """
  schoolYear level schools classes students { value suppressed }
  byLevel { level schools classes students { value suppressed } }
  yearAverages { code name students { value suppressed } average { value suppressed } }
  overallYearAverage { students { value suppressed } average { value suppressed } }
  ratings { students { value suppressed } byRating { rating students { value suppressed } }
            notRated { value suppressed } }
"""


@pytest.fixture
def public(client: httpx.AsyncClient) -> GQL:
    async def run(query: str, variables: dict[str, Any] | None = None, expect_errors: bool = False) -> dict[str, Any]:
        resp = await client.post(URL, json={"query": query, "variables": variables or {}})
        assert resp.status_code == 200, resp.text
        body: dict[str, Any] = resp.json()
        if not expect_errors:
            assert "errors" not in body, body.get("errors")
        return body

    return run


def codes(body: dict[str, Any]) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors", [])]


# ---------------------------------------------------------------------------------------------------------
# The direct computation: SQL on the seed, grouped by personal ID, and the domain functions
# ---------------------------------------------------------------------------------------------------------


@dataclass
class Direct:
    students: int
    classes: int
    ratings: Counter[str] = field(default_factory=Counter)
    subjects: dict[str, list[Decimal]] = field(default_factory=lambda: defaultdict(list))
    means: list[Decimal] = field(default_factory=list)


async def direct(seeded: Seeded, school_code: str, school_year: str) -> Direct:
    store = seeded.stores["education"]
    st, c, e = ds.students.c, ds.classes.c, ds.grade_entries.c
    students = await store.scalar(
        select(func.count())
        .select_from(ds.students)
        .where(st.school_code == school_code, st.school_year == school_year)
    )
    classes = await store.scalar(
        select(func.count()).select_from(ds.classes).where(c.school_code == school_code, c.school_year == school_year)
    )
    out = Direct(int(students), int(classes))
    cur = ds.curriculum.c
    curriculum = await store.all(
        select(cur.grade, cur.periods_per_year, ds.subjects.c.code, ds.subjects.c.mode).join(
            ds.subjects, ds.subjects.c.code == cur.subject_code
        )
    )
    by_grade: dict[int, dict[str, rules.SubjectRule]] = defaultdict(dict)
    for r in curriculum:
        by_grade[r.grade][r.code] = rules.SubjectRule(rules.Mode(r.mode), r.periods_per_year)
    rows = await store.all(
        select(e.student_pid, st.grade, e.semester, e.subject_code, e.kind, e.seq, e.score_tenths, e.rating)
        .select_from(ds.grade_entries.join(ds.students, and_(st.pid == e.student_pid, st.school_year == e.school_year)))
        .where(st.school_code == school_code, st.school_year == school_year)
    )
    books: dict[str, list[Any]] = defaultdict(list)
    for r in rows:
        books[r.student_pid].append(r)
    for entries in books.values():
        book = [
            rules.Entry(
                r.subject_code,
                r.semester,
                rules.Kind(r.kind),
                r.seq,
                None if r.score_tenths is None else Decimal(r.score_tenths) / 10,
                None if r.rating is None else r.rating == "PASS",
            )
            for r in entries
        ]
        results = rules.subject_results(book, by_grade.get(entries[0].grade, {}))
        rating = rules.rating_of(results, None)
        if rating is not None:
            out.ratings[rating.value] += 1
        averages = [res.year_average for res in results if res.year_average is not None]
        for res in results:
            if res.year_average is not None:
                out.subjects[res.subject].append(res.year_average)
        if averages:
            out.means.append(sum(averages, Decimal(0)) / len(averages))
    return out


async def school_counts(seeded: Seeded, school_year: str) -> list[Any]:
    """(code, level, unit_code, students) of every school in a school year."""
    s, st = ds.schools.c, ds.students.c
    n = select(func.count()).where(st.school_code == s.code, st.school_year == school_year).scalar_subquery()
    rows = await seeded.stores["education"].all(select(s.code, s.level, s.unit_code, n.label("n")).order_by(s.code))
    return list(rows)


async def statistics(public: GQL, school_code: str, school_year: str) -> dict[str, Any]:
    query = f"query S($c: String!, $y: String!) {{ schoolStatistics(schoolCode: $c, schoolYear: $y) {{ {STATS} }} }}"
    body = await public(query, {"c": school_code, "y": school_year})
    stats: dict[str, Any] = body["data"]["schoolStatistics"]
    return stats


def buckets(stats: dict[str, Any]) -> list[dict[str, Any]]:
    return [b["students"] for b in stats["ratings"]["byRating"]] + [stats["ratings"]["notRated"]]


# ---------------------------------------------------------------------------------------------------------
# Figures equal the direct computation
# ---------------------------------------------------------------------------------------------------------


async def test_a_school_s_statistics_equal_a_direct_computation(public: GQL, seeded: Seeded) -> None:
    schools = [r for r in await school_counts(seeded, PREVIOUS) if r.level == "UPPER_SECONDARY"]
    biggest = max(schools, key=lambda r: (r.n, r.code))
    d = await direct(seeded, biggest.code, PREVIOUS)
    stats = await statistics(public, biggest.code, PREVIOUS)
    assert d.students >= 50 and sum(d.ratings.values()) == d.students  # a complete year: everyone is rated
    assert stats["level"] == "UPPER_SECONDARY" and stats["schools"] == 1
    assert stats["students"] == {"value": d.students, "suppressed": False}
    assert stats["classes"] == d.classes > 0
    assert stats["byLevel"] == [
        {"level": "UPPER_SECONDARY", "schools": 1, "classes": d.classes, "students": stats["students"]}
    ]
    assert stats["ratings"]["students"] == {"value": d.students, "suppressed": False}
    published = buckets(stats)
    expected = [d.ratings[r] for r in RATINGS] + [d.students - sum(d.ratings.values())]
    assert [b["rating"] for b in stats["ratings"]["byRating"]] == list(RATINGS)
    for got, n in zip(published, expected, strict=True):
        assert got == ({"value": None, "suppressed": True} if got["suppressed"] else {"value": n, "suppressed": False})
    assert sum(not b["suppressed"] and b["value"] > 0 for b in published) >= 2
    assert sum(b["suppressed"] for b in published) != 1
    by_code = {a["code"]: a for a in stats["yearAverages"]}
    assert set(by_code) == set(d.subjects)
    assert {"TOAN", "NV", "NN1"} <= set(by_code)
    for code, averages in d.subjects.items():
        n = len(averages)
        assert n >= 5 and d.students - n not in range(1, 5)  # the seed's big school: nothing to hide
        assert by_code[code]["students"] == {"value": n, "suppressed": False}
        assert by_code[code]["average"] == {"value": round(float(sum(averages)) / n, 2), "suppressed": False}
    overall = stats["overallYearAverage"]
    assert overall["students"] == {"value": len(d.means), "suppressed": False}
    assert overall["average"]["value"] == pytest.approx(float(sum(d.means)) / len(d.means), abs=0.005)


async def test_a_unit_s_statistics_add_up_its_schools_per_level(public: GQL, seeded: Seeded) -> None:
    rows = await school_counts(seeded, PREVIOUS)
    per_unit: dict[str, list[Any]] = defaultdict(list)
    for r in rows:
        per_unit[r.unit_code].append(r)
    unit_code = max(per_unit, key=lambda u: (len({r.level for r in per_unit[u]}), sum(r.n for r in per_unit[u]), u))
    schools = per_unit[unit_code]
    query = f"""query U($u: String!, $y: String!, $l: SchoolLevel) {{
      schoolStatistics(unitCode: $u, schoolYear: $y, level: $l) {{ unit {{ code }} school {{ code }} {STATS} }} }}"""
    stats = (await public(query, {"u": unit_code, "y": PREVIOUS}))["data"]["schoolStatistics"]
    assert stats["unit"] == {"code": unit_code} and stats["school"] is None and stats["level"] is None
    assert stats["schools"] == len(schools)
    assert stats["students"] == {"value": sum(r.n for r in schools), "suppressed": False}
    levels = [lv for lv in ("KINDERGARTEN", "PRIMARY", "LOWER_SECONDARY", "UPPER_SECONDARY")
              if any(r.level == lv for r in schools)]  # fmt: skip
    assert [g["level"] for g in stats["byLevel"]] == levels and len(levels) == 4
    for g in stats["byLevel"]:
        n = sum(r.n for r in schools if r.level == g["level"])
        assert g["schools"] == sum(1 for r in schools if r.level == g["level"])
        assert g["students"] == ({"value": None, "suppressed": True} if g["students"]["suppressed"]
                                 else {"value": n, "suppressed": False})  # fmt: skip
    assert sum(g["students"]["suppressed"] for g in stats["byLevel"]) != 1
    # The rating distribution of the unit is the sum over its secondary schools.
    secondary = [r for r in schools if r.level in ("LOWER_SECONDARY", "UPPER_SECONDARY")]
    total: Counter[str] = Counter()
    for r in secondary:
        total.update((await direct(seeded, r.code, PREVIOUS)).ratings)
    assessed = sum(r.n for r in secondary)
    if not stats["ratings"]["students"]["suppressed"]:
        assert stats["ratings"]["students"]["value"] == assessed
        for b, rating in zip(stats["ratings"]["byRating"], RATINGS, strict=True):
            assert b["students"]["suppressed"] or b["students"]["value"] == total[rating]
    # One level: only that level's schools.
    lower = (await public(query, {"u": unit_code, "y": PREVIOUS, "l": "LOWER_SECONDARY"}))["data"]["schoolStatistics"]
    n_lower = sum(r.n for r in schools if r.level == "LOWER_SECONDARY")
    assert lower["level"] == "LOWER_SECONDARY"
    assert lower["schools"] == sum(1 for r in schools if r.level == "LOWER_SECONDARY")
    assert lower["students"]["suppressed"] or lower["students"]["value"] == n_lower
    assert [g["level"] for g in lower["byLevel"]] == ["LOWER_SECONDARY"]


# ---------------------------------------------------------------------------------------------------------
# Suppression
# ---------------------------------------------------------------------------------------------------------


async def test_a_school_of_one_to_four_students_is_suppressed_and_one_of_five_or_more_is_exact(
    public: GQL, seeded: Seeded
) -> None:
    small, large = None, None
    for year in (PREVIOUS, CURRENT):
        for r in await school_counts(seeded, year):
            if small is None and 1 <= r.n <= 4:
                small = (r.code, year, r.n)
            if large is None and 5 <= r.n <= 10:
                large = (r.code, year, r.n)
    assert small and large, "the demo seed has schools with 1-4 and with 5-10 students in a year"
    hidden = await statistics(public, small[0], small[1])
    assert hidden["students"] == {"value": None, "suppressed": True}
    assert all(g["students"] == {"value": None, "suppressed": True} for g in hidden["byLevel"])
    assert hidden["ratings"]["students"]["suppressed"]
    assert all(b == {"value": None, "suppressed": True} for b in buckets(hidden))
    assert all(a["average"]["suppressed"] for a in hidden["yearAverages"])
    shown = await statistics(public, large[0], large[1])
    assert shown["students"] == {"value": large[2], "suppressed": False}
    assert shown["byLevel"][0]["students"] == {"value": large[2], "suppressed": False}


async def test_a_rating_of_one_to_four_students_is_suppressed_and_never_alone(public: GQL, seeded: Seeded) -> None:
    found = None
    for r in await school_counts(seeded, PREVIOUS):
        if r.level not in ("LOWER_SECONDARY", "UPPER_SECONDARY") or r.n < 10:
            continue
        d = await direct(seeded, r.code, PREVIOUS)
        small = [rating for rating in RATINGS if 1 <= d.ratings[rating] <= 4]
        if len(small) == 1:  # one small bucket: the secondary rule must hide another one
            found = (r.code, d, small[0])
            break
    assert found, "the demo seed has a secondary school with exactly one rating given to 1-4 students"
    code, d, small_rating = found
    stats = await statistics(public, code, PREVIOUS)
    by_rating = {b["rating"]: b["students"] for b in stats["ratings"]["byRating"]}
    assert by_rating[small_rating] == {"value": None, "suppressed": True}
    hidden = [rating for rating in RATINGS if by_rating[rating]["suppressed"]]
    assert len(hidden) == 2, hidden  # the small one and the smallest other non-zero one
    other = next(rating for rating in hidden if rating != small_rating)
    candidates = [d.ratings[rating] for rating in RATINGS if rating != small_rating and d.ratings[rating] > 0]
    assert d.ratings[other] == min(candidates) >= 5
    for rating in RATINGS:
        if rating not in hidden:
            assert by_rating[rating] == {"value": d.ratings[rating], "suppressed": False}
    assert any(d.ratings[rating] >= 5 and not by_rating[rating]["suppressed"] for rating in RATINGS)
    assert stats["students"] == {"value": d.students, "suppressed": False}


def _tally(contributors: int, assessed: int) -> Tally:
    return Tally(
        levels={"LOWER_SECONDARY": LevelTally(schools=1, classes=2, students=assessed)},
        subjects={"TOAN": SubjectTally("Toán", 2, Decimal("7.5") * contributors, contributors)},
        mean_total=Decimal("7.0") * contributors,
        mean_students=contributors,
    )


def test_an_average_over_fewer_than_five_students_or_all_but_a_few_is_suppressed() -> None:
    four = publish(_tally(4, 40), PREVIOUS, "LOWER_SECONDARY", "x", None)
    assert (four.year_averages[0].average.value, four.year_averages[0].average.suppressed) == (None, True)
    assert (four.year_averages[0].students.value, four.year_averages[0].students.suppressed) == (None, True)
    assert four.overall_year_average.average.suppressed
    five = publish(_tally(5, 40), PREVIOUS, "LOWER_SECONDARY", "x", None)
    assert (five.year_averages[0].average.value, five.year_averages[0].average.suppressed) == (7.5, False)
    assert (five.overall_year_average.average.value, five.overall_year_average.students.value) == (7.0, 5)
    all_but_two = publish(_tally(38, 40), PREVIOUS, "LOWER_SECONDARY", "x", None)
    assert all_but_two.year_averages[0].average.suppressed  # its count would reveal the 2 others
    everyone = publish(_tally(40, 40), PREVIOUS, "LOWER_SECONDARY", "x", None)
    assert everyone.year_averages[0].average.value == 7.5
    # A secondary level hidden in a unit hides the whole rating distribution (it would give that level back).
    unit = Tally(
        levels={
            "PRIMARY": LevelTally(1, 3, 60),
            "LOWER_SECONDARY": LevelTally(1, 2, 40),
            "UPPER_SECONDARY": LevelTally(1, 1, 3),
        },
        ratings=Counter({rules.Rating.GOOD: 20, rules.Rating.FAIR: 23}),
    )
    stats = publish(unit, PREVIOUS, None, None, "00004")
    assert [g.students.suppressed for g in stats.by_level] == [False, True, True]  # 3 and then the smallest other
    assert stats.ratings.students.suppressed
    assert all(b.students.suppressed for b in stats.ratings.by_rating) and stats.ratings.not_rated.suppressed


# ---------------------------------------------------------------------------------------------------------
# Batching, lists and input
# ---------------------------------------------------------------------------------------------------------


async def counted(public: GQL, query: str, variables: dict[str, Any]) -> tuple[dict[str, Any], QueryStats]:
    """Run a query and count its SQL statements per store (the public schema does not report them itself)."""
    stats = QueryStats()
    token = current_stats.set(stats)
    try:
        body = await public(query, variables)
    finally:
        current_stats.reset(token)
    return body, stats


async def _page_statements(public: GQL, n: int) -> dict[str, int]:
    query = f"""query P($n: Int!, $y: String!) {{ schools(first: $n, filter: {{ level: LOWER_SECONDARY }}) {{
      nodes {{ code statistics(schoolYear: $y) {{ {STATS} }} }} }} }}"""
    body, stats = await counted(public, query, {"n": n, "y": PREVIOUS})
    nodes = body["data"]["schools"]["nodes"]
    assert len(nodes) == n
    assert all(node["statistics"]["ratings"]["students"]["value"] for node in nodes)
    assert all(node["statistics"]["yearAverages"] for node in nodes)
    return {name: s.statements for name, s in stats.stores.items()}


async def test_statements_do_not_grow_with_the_schools_asked_for(public: GQL) -> None:
    two = await _page_statements(public, 2)
    twenty = await _page_statements(public, 20)
    assert two == twenty
    assert set(twenty) == {"education"}
    assert twenty["education"] == 4  # the page, the counts, the curriculum, the grade book of every student
    both = """query B($y: String!) { a: school(code: "0100004301") { statistics(schoolYear: $y) { students { value } } }
      b: school(code: "0100004302") { statistics(schoolYear: $y) { students { value } } } }"""
    _body, stats = await counted(public, both, {"y": PREVIOUS})
    assert stats.stores["education"].statements == 4  # both schools in one look-up and one tally batch


async def test_schools_list_filters_and_pages(public: GQL, seeded: Seeded) -> None:
    rows = await school_counts(seeded, PREVIOUS)
    unit_code = rows[0].unit_code
    in_unit = [r.code for r in rows if r.unit_code == unit_code]
    body = await public(
        """query L($u: String!) { schools(first: 2, filter: { unitCode: $u }) {
          totalCount pageInfo { hasNextPage endCursor } nodes { code name level unit { code } } } }""",
        {"u": unit_code},
    )
    page = body["data"]["schools"]
    assert page["totalCount"] == len(in_unit) > 2
    assert [n["code"] for n in page["nodes"]] == in_unit[:2]
    assert all(n["unit"] == {"code": unit_code} for n in page["nodes"])
    rest = await public(
        """query L($u: String!, $a: String) { schools(first: 50, after: $a, filter: { unitCode: $u }) {
          nodes { code } } }""",
        {"u": unit_code, "a": page["pageInfo"]["endCursor"]},
    )
    assert [n["code"] for n in rest["data"]["schools"]["nodes"]] == in_unit[2:]
    upper = await public("{ schools(first: 50, filter: { level: UPPER_SECONDARY }) { totalCount nodes { level } } }")
    assert upper["data"]["schools"]["totalCount"] == sum(1 for r in rows if r.level == "UPPER_SECONDARY")
    assert {n["level"] for n in upper["data"]["schools"]["nodes"]} == {"UPPER_SECONDARY"}
    named = await public('{ schools(filter: { search: "thpt viet duc" }) { nodes { name } } }')
    assert [n["name"] for n in named["data"]["schools"]["nodes"]] == ["Trường THPT Việt Đức"]
    assert (await public('{ school(code: "nope") { code } }'))["data"]["school"] is None


async def test_bad_statistics_input_is_reported_as_such(public: GQL) -> None:
    for args in (
        'schoolYear: "2025-2026"',
        'schoolYear: "2025-2026", schoolCode: "0100004301", unitCode: "00004"',
        'schoolYear: "2025-2026", schoolCode: "0100004301", level: PRIMARY',
        'schoolYear: "2025/26", schoolCode: "0100004301"',
    ):
        body = await public(f"{{ schoolStatistics({args}) {{ students {{ value }} }} }}", expect_errors=True)
        assert codes(body) == ["BAD_USER_INPUT"], args
    unknown = await public(
        '{ a: schoolStatistics(schoolYear: "2025-2026", schoolCode: "0000000000") { schools }'
        ' b: schoolStatistics(schoolYear: "2025-2026", unitCode: "99999") { schools } }'
    )
    assert unknown["data"] == {"a": None, "b": None}
