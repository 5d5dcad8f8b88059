"""Education store: Circular 22 formulas and ratings, grade books through GraphQL, guardians, enrolment, batching."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from govgraph.datasources import education as ds
from govgraph.domain import education as rules
from govgraph.domain.education import Entry, Kind, Mode, Rating, SubjectRule
from govgraph.seed import PILOT_WARD
from tests.conftest import GQL, Seeded, statements, token_for

D = Decimal
CURRENT = rules.school_year_of(dt.date.today())
PREVIOUS = f"{rules.school_year_start(CURRENT) - 1}-{rules.school_year_start(CURRENT)}"


# ---------------------------------------------------------------------------------------------------------
# Formulas (Circular 22/2021/TT-BGDĐT)
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("periods", "count"), [(35, 2), (36, 3), (52, 3), (70, 3), (71, 4), (140, 4)])
def test_regular_assessments_by_periods(periods: int, count: int) -> None:
    assert rules.regular_count(periods) == count


def test_semester_average_weights_midterm_twice_and_final_three_times() -> None:
    # (8 + 7 + 9 + 2*7.5 + 3*8) / (3 + 5) = 63 / 8 = 7.875 -> 7.9
    assert rules.semester_average([D("8"), D("7"), D("9")], D("7.5"), D("8")) == D("7.9")
    # 2 regular: (7 + 8 + 2*6 + 3*7) / 7 = 48 / 7 = 6.857... -> 6.9
    assert rules.semester_average([D("7"), D("8")], D("6"), D("7")) == D("6.9")


def test_semester_average_rounds_half_up_not_to_even() -> None:
    # (7 + 7 + 8 + 2*6 + 3*8) / 8 = 58 / 8 = 7.25 exactly: 7.3, where banker's rounding would give 7.2
    assert rules.semester_average([D("7"), D("7"), D("8")], D("6"), D("8")) == D("7.3")
    assert rules.round1(D("6.45")) == D("6.5")


def test_year_average_counts_semester_two_twice() -> None:
    assert rules.year_average(D("6.5"), D("8.0")) == D("7.5")
    assert rules.year_average(D("7.0"), D("7.1")) == D("7.1")  # 21.2 / 3 = 7.066...
    assert rules.year_average(D("9.0"), D("5.0")) == D("6.3")  # 19 / 3 = 6.333...


def test_scores_outside_the_scale_or_with_two_decimals_are_refused() -> None:
    with pytest.raises(ValueError, match="between 0 and 10"):
        rules.semester_average([D("10.5")], D("8"), D("8"))
    with pytest.raises(ValueError, match="one decimal"):
        rules.semester_average([D("7.25")], D("8"), D("8"))


def _scores(*values: str) -> list[Decimal]:
    return [D(v) for v in values]


def test_good_needs_six_subjects_at_eight_and_all_at_six_point_five() -> None:
    exactly_six = _scores("8.0", "8.0", "8.0", "8.0", "8.0", "8.0", "6.5", "7.0")
    assert rules.learning_rating(exactly_six, [True] * 4) == Rating.GOOD
    only_five = _scores("8.0", "8.0", "8.0", "8.0", "8.0", "7.9", "6.5", "7.0")
    assert rules.learning_rating(only_five, [True] * 4) == Rating.FAIR
    one_below = _scores("8.0", "8.0", "8.0", "8.0", "8.0", "8.0", "6.4", "9.0")
    assert rules.learning_rating(one_below, [True] * 4) == Rating.FAIR
    assert rules.learning_rating(exactly_six, [True, True, True, False]) == Rating.SATISFACTORY


def test_fair_needs_six_subjects_at_six_point_five_and_all_at_five() -> None:
    assert rules.learning_rating(_scores("6.5", "6.5", "6.5", "6.5", "6.5", "6.5", "5.0", "5.0"), []) == Rating.FAIR
    assert rules.learning_rating(_scores("6.5", "6.5", "6.5", "6.5", "6.5", "6.4", "5.0", "5.0"), []) == (
        Rating.SATISFACTORY
    )
    assert rules.learning_rating(_scores("9", "9", "9", "9", "9", "9", "9", "4.9"), []) == Rating.SATISFACTORY


def test_a_subject_below_three_point_five_means_not_passed() -> None:
    high = ["9.0"] * 7
    assert rules.learning_rating(_scores(*high, "3.4"), [True] * 4) == Rating.UNSATISFACTORY
    assert rules.learning_rating(_scores(*high, "3.5"), [True] * 4) == Rating.SATISFACTORY


def test_satisfactory_allows_one_failed_comment_subject_and_needs_six_at_five() -> None:
    scores = _scores("5.0", "5.0", "5.0", "5.0", "5.0", "5.0", "4.0", "3.5")
    assert rules.learning_rating(scores, [True, True, True, False]) == Rating.SATISFACTORY
    assert rules.learning_rating(scores, [True, True, False, False]) == Rating.UNSATISFACTORY
    five_at_five = _scores("5.0", "5.0", "5.0", "5.0", "5.0", "4.9", "4.0", "3.5")
    assert rules.learning_rating(five_at_five, [True] * 4) == Rating.UNSATISFACTORY


def test_comment_subject_needs_every_assessment_and_every_one_passed() -> None:
    assert rules.comment_semester_passed([True, True, True, True], required=4)
    assert not rules.comment_semester_passed([True, True, True], required=4)  # one assessment missing
    assert not rules.comment_semester_passed([True, False, True, True], required=4)


def test_results_from_entries_semester_and_year() -> None:
    def book(subject: str, sem: int, regular: list[str], gk: str, ck: str) -> list[Entry]:
        out = [Entry(subject, sem, Kind.REGULAR, i + 1, score=D(s)) for i, s in enumerate(regular)]
        return [
            *out,
            Entry(subject, sem, Kind.MIDTERM, 1, score=D(gk)),
            Entry(subject, sem, Kind.FINAL, 1, score=D(ck)),
        ]

    def comment(subject: str, sem: int, flags: list[bool]) -> list[Entry]:
        kinds = [Kind.REGULAR] * (len(flags) - 2) + [Kind.MIDTERM, Kind.FINAL]
        return [Entry(subject, sem, k, i + 1, passed=f) for i, (k, f) in enumerate(zip(kinds, flags, strict=True))]

    subject_rules = {"TOAN": SubjectRule(Mode.SCORE, 140), "GDTC": SubjectRule(Mode.COMMENT, 70)}
    entries = [
        *book("TOAN", 1, ["8", "7", "9", "8"], "7.5", "8"),  # (32 + 15 + 24) / 9 = 7.888 -> 7.9
        *book("TOAN", 2, ["6", "7", "8", "7"], "6.5", "7"),  # (28 + 13 + 21) / 9 = 6.888 -> 6.9
        *comment("GDTC", 1, [True, True, False, True, True]),
        *comment("GDTC", 2, [True, True, True, True, True]),
    ]
    toan, gdtc = rules.subject_results(entries, subject_rules)
    assert (toan.semester_averages[1], toan.semester_averages[2]) == (D("7.9"), D("6.9"))
    assert toan.year_average == D("7.2")  # (7.9 + 13.8) / 3 = 7.233
    assert (gdtc.semester_passed[1], gdtc.semester_passed[2], gdtc.year_passed) == (False, True, True)
    # Only two scored subjects: never six at 5.0, so the year is "Chưa đạt" under §7.2.
    assert rules.rating_of([toan, gdtc], None) == Rating.UNSATISFACTORY
    # Semester II without its final assessment: no average, no rating yet.
    partial = [e for e in entries if not (e.semester == 2 and e.kind == Kind.FINAL and e.subject == "TOAN")]
    toan2, _ = rules.subject_results(partial, subject_rules)
    assert toan2.semester_averages[2] is None and toan2.year_average is None
    assert rules.rating_of([toan2, gdtc], 2) is None


def test_school_years() -> None:
    assert rules.school_year_of(dt.date(2026, 11, 27)) == "2026-2027"
    assert rules.school_year_of(dt.date(2026, 5, 20)) == "2025-2026"
    assert rules.grade_for(2015, "2026-2027") == 6
    with pytest.raises(ValueError, match="2025-2026"):
        rules.school_year_start("2025-2027")


# ---------------------------------------------------------------------------------------------------------
# Through GraphQL, against the seeded data
# ---------------------------------------------------------------------------------------------------------


async def _entries_of(seeded: Seeded, pid: str, year: str) -> list[Any]:
    e = ds.grade_entries.c
    stmt = select(ds.grade_entries).where(e.student_pid == pid, e.school_year == year)
    return list(await seeded.stores["education"].all(stmt))


def _hand_average(regular: list[int], gk: int, ck: int) -> Decimal:
    """ĐTBmhk from scores in tenths, computed with fractions and rounded half up by hand."""
    exact = (Fraction(sum(regular), 10) + 2 * Fraction(gk, 10) + 3 * Fraction(ck, 10)) / (len(regular) + 5)
    return (D(exact.numerator) / D(exact.denominator)).quantize(D("0.1"), rounding=ROUND_HALF_UP)


async def _secondary_pid(seeded: Seeded, grade: int) -> str:
    s = ds.students.c
    stmt = select(s.pid).where(s.school_year == PREVIOUS, s.grade == grade).order_by(s.pid).limit(1)
    pid = await seeded.stores["education"].scalar(stmt)
    assert pid is not None
    return str(pid)


@pytest.mark.parametrize("grade", [7, 11])
async def test_computed_averages_match_a_hand_computation(as_admin: GQL, seeded: Seeded, grade: int) -> None:
    pid = await _secondary_pid(seeded, grade)
    rows = await _entries_of(seeded, pid, PREVIOUS)
    by: dict[tuple[str, int], list[Any]] = defaultdict(list)
    for r in rows:
        by[(r.subject_code, r.semester)].append(r)
    body = await as_admin(
        "query($p: String!, $y: String!) { student(personalId: $p, schoolYear: $y) { grade "
        "subjectResults { subject { code mode } regularAssessmentsRequired semester1Average semester2Average "
        "yearAverage semester1Result semester2Result yearResult } "
        "r1: rating(semester: 1) r2: rating(semester: 2) year: rating "
        "grades(semester: 1) { subject { code } kind seq score rating enteredBy enteredAt } } }",
        {"p": pid, "y": PREVIOUS},
    )
    student = body["data"]["student"]
    assert student["grade"] == grade
    assert len(student["grades"]) == sum(1 for r in rows if r.semester == 1)
    assert all(g["enteredAt"].endswith("+07:00") for g in student["grades"])
    scored: dict[int | None, list[Decimal]] = defaultdict(list)
    comments: dict[int | None, list[bool]] = defaultdict(list)
    for res in student["subjectResults"]:
        code = res["subject"]["code"]
        if res["subject"]["mode"] == "SCORE":
            sem = {}
            for s in (1, 2):
                entries = by[(code, s)]
                regular = [r.score_tenths for r in entries if r.kind == "REGULAR"]
                assert len(regular) == res["regularAssessmentsRequired"]  # Circular 22 counts were seeded
                gk = next(r.score_tenths for r in entries if r.kind == "MIDTERM")
                ck = next(r.score_tenths for r in entries if r.kind == "FINAL")
                sem[s] = _hand_average(regular, gk, ck)
                assert D(str(res[f"semester{s}Average"])) == sem[s], (code, s)
                scored[s].append(sem[s])
            year = ((sem[1] + 2 * sem[2]) / 3).quantize(D("0.1"), rounding=ROUND_HALF_UP)
            assert D(str(res["yearAverage"])) == year, code
            scored[None].append(year)
            assert res["semester1Result"] is None
        else:
            passed = {s: all(r.rating == "PASS" for r in by[(code, s)]) for s in (1, 2)}
            assert res["semester1Result"] == ("PASS" if passed[1] else "FAIL")
            assert res["yearResult"] == ("PASS" if passed[2] else "FAIL")
            comments[1].append(passed[1])
            comments[2].append(passed[2])
            comments[None].append(passed[2])
            assert res["yearAverage"] is None
    assert {r["subject"]["code"] for r in student["subjectResults"]} == {c for c, _ in by}
    for key, alias in ((1, "r1"), (2, "r2"), (None, "year")):
        assert student[alias] == rules.learning_rating(scored[key], comments[key]).value


async def test_current_semester_in_progress_has_entries_but_no_average(as_admin: GQL, seeded: Seeded) -> None:
    pid = await _secondary_pid(seeded, 8)  # grade 9 now
    rows = await _entries_of(seeded, pid, CURRENT)
    today = dt.date.today()
    body = await as_admin(
        "query($p: String!) { student(personalId: $p) { schoolYear grade grades { kind enteredAt } "
        "subjectResults { semester1Average semester2Average yearAverage } rating(semester: 2) } }",
        {"p": pid},
    )
    student = body["data"]["student"]
    assert (student["schoolYear"], student["grade"]) == (CURRENT, 9)
    assert len(student["grades"]) == len(rows)
    assert all(dt.datetime.fromisoformat(g["enteredAt"]).date() <= today for g in student["grades"])
    assert student["rating"] is None  # semester II has not ended
    assert all(r["yearAverage"] is None for r in student["subjectResults"])


async def test_guardians_are_the_parents_in_the_population_register(as_admin: GQL, seeded: Seeded) -> None:
    child = next(
        p for p in seeded.ctx.people if p.father and p.mother and 2 <= rules.grade_for(p.dob.year, CURRENT) <= 11
    )
    body = await as_admin(
        "query($p: String!) { student(personalId: $p) { fullName citizen { personalId fullName } "
        "guardians { relation personalId fullName citizen { personalId fullName children { personalId } } } } }",
        {"p": child.pid},
    )
    student = body["data"]["student"]
    assert student["citizen"] == {"personalId": child.pid, "fullName": child.name.full}
    guardians = {g["relation"]: g for g in student["guardians"]}
    assert set(guardians) == {"FATHER", "MOTHER"}
    for relation, pid in (("FATHER", child.father), ("MOTHER", child.mother)):
        g = guardians[relation]
        assert g["personalId"] == pid == g["citizen"]["personalId"]
        assert g["fullName"] == g["citizen"]["fullName"]
        assert child.pid in {c["personalId"] for c in g["citizen"]["children"]}


async def test_a_parent_reaches_the_childrens_school_records(as_admin: GQL, seeded: Seeded) -> None:
    child = next(p for p in seeded.ctx.people if p.father and 7 <= rules.grade_for(p.dob.year, CURRENT) <= 12)
    body = await as_admin(
        "query($p: String!) { citizen(personalId: $p) { children { personalId schoolRecords { schoolYear grade "
        "school { level unit { code } } class { name grade } } } } }",
        {"p": child.father},
    )
    kids = {c["personalId"]: c for c in body["data"]["citizen"]["children"]}
    records = kids[child.pid]["schoolRecords"]
    grade = rules.grade_for(child.dob.year, CURRENT)
    assert [(r["schoolYear"], r["grade"]) for r in records] == [(CURRENT, grade), (PREVIOUS, grade - 1)]
    assert records[0]["class"]["name"].startswith(f"{grade}A")
    assert records[0]["school"]["level"] == ("LOWER_SECONDARY" if grade <= 9 else "UPPER_SECONDARY")


async def test_every_school_age_child_is_enrolled_at_a_school_of_their_level(as_admin: GQL, seeded: Seeded) -> None:
    s = ds.students.c
    rows = await seeded.stores["education"].all(
        select(s.pid, s.grade, s.age_group, ds.schools.c.level)
        .join(ds.schools, ds.schools.c.code == s.school_code)
        .where(s.school_year == CURRENT)
    )
    enrolled = {r.pid: r for r in rows}
    start = rules.school_year_start(CURRENT)
    school_age = [p for p in seeded.ctx.people if start - 17 <= p.dob.year <= start - 3]
    assert school_age and all(p.pid in enrolled for p in school_age)
    for p in school_age:
        r = enrolled[p.pid]
        grade = start - p.dob.year - 5
        if grade <= 0:
            assert (r.level, r.age_group, r.grade) == ("KINDERGARTEN", grade + 5, None)
        else:
            expected = "PRIMARY" if grade <= 5 else "LOWER_SECONDARY" if grade <= 9 else "UPPER_SECONDARY"
            assert (r.level, r.grade) == (expected, grade)


async def test_schools_of_the_pilot_ward_and_search(as_admin: GQL) -> None:
    body = await as_admin(
        "query($u: String!) { administrativeUnit(code: $u) { name schools { code name level unit { code } } } }",
        {"u": PILOT_WARD},
    )
    unit = body["data"]["administrativeUnit"]
    assert {s["level"] for s in unit["schools"]} == {"KINDERGARTEN", "PRIMARY", "LOWER_SECONDARY", "UPPER_SECONDARY"}
    assert all(s["unit"]["code"] == PILOT_WARD and s["code"].startswith(f"01{PILOT_WARD}") for s in unit["schools"])
    assert "Trường THPT Việt Đức" in {s["name"] for s in unit["schools"]}
    found = await as_admin('{ schools(filter: {search: "THCS TRUNG VUONG"}) { totalCount nodes { name level } } }')
    assert found["data"]["schools"]["nodes"] == [{"name": "Trường THCS Trưng Vương", "level": "LOWER_SECONDARY"}]
    by_level = await as_admin(
        "{ schools(filter: {level: UPPER_SECONDARY}, orderBy: {field: NAME}, first: 100) { nodes { name level } } }"
    )
    nodes = by_level["data"]["schools"]["nodes"]
    assert nodes and all(n["level"] == "UPPER_SECONDARY" and n["name"].startswith("Trường THPT ") for n in nodes)


async def test_students_of_a_class_by_class_id(as_admin: GQL, seeded: Seeded) -> None:
    body = await as_admin(
        "query($u: String!, $y: String!) { administrativeUnit(code: $u) { schools { level "
        "classes(schoolYear: $y) { id name grade students(first: 100) { totalCount } } } } }",
        {"u": PILOT_WARD, "y": CURRENT},
    )
    schools = body["data"]["administrativeUnit"]["schools"]
    cls = next(c for s in schools if s["level"] == "LOWER_SECONDARY" for c in s["classes"] if c["grade"] == 6)
    listed = await as_admin(
        "query($c: ID!) { students(filter: {classId: $c}, orderBy: {field: NAME}, first: 100) { totalCount "
        "nodes { grade fullName class { id name } } } }",
        {"c": cls["id"]},
    )
    conn = listed["data"]["students"]
    assert conn["totalCount"] == cls["students"]["totalCount"] == len(conn["nodes"]) > 0
    assert all(n["class"] == {"id": cls["id"], "name": cls["name"]} and n["grade"] == 6 for n in conn["nodes"])
    bad = await as_admin('{ students(filter: {classId: "U2Nob29sOjAxMDA"}) { totalCount } }', expect_errors=True)
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_enrolment_applications_follow_the_route_and_age(as_admin: GQL) -> None:
    start = rules.school_year_start(CURRENT)
    for level, age in (("KINDERGARTEN", 5), ("GRADE_1", 6), ("GRADE_6", 11)):
        body = await as_admin(
            "query($l: EnrolmentLevel!) { enrolmentApplications(filter: {level: $l}, first: 50) { totalCount "
            "nodes { applicationNo schoolYear status childDateOfBirth submittedAt school { level } routeUnit { code } "
            "assignedSchool { level } child { personalId } } } }",
            {"l": level},
        )
        conn = body["data"]["enrolmentApplications"]
        assert conn["totalCount"] > 0
        for n in conn["nodes"]:
            assert start - dt.date.fromisoformat(n["childDateOfBirth"]).year == age
            assert n["schoolYear"] == CURRENT and n["submittedAt"].endswith("+07:00")
        times = [n["submittedAt"] for n in conn["nodes"]]
        assert times == sorted(times)
    moved = await as_admin(
        "{ enrolmentApplications(filter: {status: TRANSFERRED}, first: 20) { nodes { school { code level } "
        "assignedSchool { code level } } } }"
    )
    nodes = moved["data"]["enrolmentApplications"]["nodes"]
    assert nodes and all(n["assignedSchool"]["level"] == n["school"]["level"] for n in nodes)
    assert all(n["assignedSchool"]["code"] != n["school"]["code"] for n in nodes)


async def test_student_node_round_trip(as_admin: GQL, seeded: Seeded) -> None:
    pid = await _secondary_pid(seeded, 9)
    body = await as_admin("query($p: String!) { student(personalId: $p) { id personalId schoolYear } }", {"p": pid})
    student = body["data"]["student"]
    again = await as_admin(
        "query($i: ID!) { node(id: $i) { ... on Student { personalId schoolYear } } }", {"i": student["id"]}
    )
    assert again["data"]["node"] == {"personalId": pid, "schoolYear": student["schoolYear"]}


async def test_malformed_school_year_is_a_user_error(as_admin: GQL, seeded: Seeded) -> None:
    pid = await _secondary_pid(seeded, 9)
    body = await as_admin(
        'query($p: String!) { student(personalId: $p, schoolYear: "2025/26") { grade } }', {"p": pid},
        expect_errors=True,
    )  # fmt: skip
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_education_store_down_nulls_only_its_fields(
    seeded: Seeded, client_with_store_down: Callable[[str], Any]
) -> None:
    child = next(p for p in seeded.ctx.people if 7 <= rules.grade_for(p.dob.year, CURRENT) <= 12)
    client: httpx.AsyncClient = await client_with_store_down("education")
    resp = await client.post(
        "/graphql",
        json={"query": f'{{ citizen(personalId: "{child.pid}") {{ fullName schoolRecords {{ grade }} }} }}'},
        headers={"Authorization": f"Bearer {token_for(seeded.settings)}"},
    )
    body = resp.json()
    assert body["data"]["citizen"] == {"fullName": child.name.full, "schoolRecords": None}
    assert body["errors"][0]["extensions"] == {"code": "STORE_UNAVAILABLE", "store": "education"}


# ---------------------------------------------------------------------------------------------------------
# Batching: the same statements for 10 parents as for 100
# ---------------------------------------------------------------------------------------------------------


async def _students_statements(as_admin: GQL, n: int) -> dict[str, int]:
    body = await as_admin(
        "query($y: String!, $n: Int!) { students(filter: {schoolYear: $y}, first: $n) { nodes { "
        "fullName school { name } class { name } citizen { fullName } "
        "guardians { relation citizen { fullName } } "
        "grades { score rating } subjectResults { subject { name } yearAverage yearResult } "
        "r1: rating(semester: 1) year: rating } } }",
        {"y": PREVIOUS, "n": n},
    )
    nodes = body["data"]["students"]["nodes"]
    assert len(nodes) == n
    assert sum(1 for s in nodes if s["grades"]) > 0
    return {"education": statements(body, "education"), "population": statements(body, "population")}


async def test_batching_students_grades_and_guardians_same_for_10_and_100(as_admin: GQL) -> None:
    ten = await _students_statements(as_admin, 10)
    hundred = await _students_statements(as_admin, 100)
    assert ten == hundred
    # page, schools, classes, guardians, entries, curriculum; citizens of students and guardians
    assert hundred["education"] <= 6
    assert hundred["population"] <= 2


async def _records_statements(as_admin: GQL, n: int, parents: bool) -> dict[str, int]:
    """Citizens' own records (school-age children), or parents reaching their children's records."""
    start = rules.school_year_start(CURRENT)
    born = ("1975-01-01", "1990-12-31") if parents else (f"{start - 17}-01-01", f"{start - 3}-12-31")
    records = "schoolRecords { schoolYear grade school { name } class { name } rating }"
    body = await as_admin(
        "query($u: String!, $b: Date!, $e: Date!, $n: Int!) { citizens(filter: {unitCode: $u, bornFrom: $b, "
        f"bornTo: $e}}, first: $n) {{ nodes {{ {'children { ' + records + ' }' if parents else records} }} }} }}",
        {"u": PILOT_WARD, "b": born[0], "e": born[1], "n": n},
    )
    nodes = body["data"]["citizens"]["nodes"]
    assert len(nodes) == n
    if parents:
        assert any(kid["schoolRecords"] for node in nodes for kid in node["children"])
    else:
        assert all(node["schoolRecords"] for node in nodes)  # every school-age child has a record
    return {"education": statements(body, "education"), "population": statements(body, "population")}


@pytest.mark.parametrize("parents", [False, True], ids=["own", "children"])
async def test_batching_citizens_school_records_same_for_10_and_100(as_admin: GQL, parents: bool) -> None:
    ten = await _records_statements(as_admin, 10, parents)
    hundred = await _records_statements(as_admin, 100, parents)
    assert ten == hundred
    # records, schools, classes, entries of each of the two school years, the curriculum
    assert hundred["education"] <= 6
