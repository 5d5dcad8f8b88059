"""Who may see which student records, grades, guardians and enrolment applications, through every path (DESIGN.md §6).

Rows are scoped in SQL (govgraph.auth.scope.students / enrolment_applications): the pupil, their parents (population
links) and declared guardians, teachers of the record's school (not applications), education officers of the school's
unit, operators (masked) and admins. Within a row, the education block of govgraph/auth/policy.py guards the pupil's
identity, the grade book and the family's details. The matrices below walk every caller over every path to a seeded
record and application; the expected value of each guarded field is derived from the POLICY entries of the education
block (readers evaluated for the caller), so a new entry is walked too. Links to Citizen must give the population
policy's answer (a teacher sees `student { citizen { phone } }` masked).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select

from govgraph.auth import masking
from govgraph.auth.identity import Principal, Role
from govgraph.auth.policy import EDUCATION_SUBJECTS, NOT_PERSONAL, POLICY, SUBJECTS, FieldPolicy
from govgraph.auth.rules import Subject
from govgraph.context import Context
from govgraph.datasources import education as ds
from govgraph.events import Event, InProcessBus
from govgraph.schema import build_schema
from govgraph.schema.education import StudentRef
from tests.conftest import GQL, STAFF_PURPOSE, Seeded
from tests.test_education import CURRENT, PREVIOUS
from tests.test_education_mutations import TEST_YEAR, make_pupil

EDUCATION_POLICY = {k: p for k, p in POLICY.items() if k.split(".")[0] in EDUCATION_SUBJECTS}

STUDENT = """id personalId fullName dateOfBirth schoolYear rating
  grades { subject { code } semester kind seq score rating }
  subjectResults { subject { code } yearAverage yearResult }
  guardians { relation personalId fullName phone citizen { personalId phone } }
  citizen { personalId fullName phone }"""

APPLICATION = "id applicationNo status childPersonalId childName childDateOfBirth child { personalId phone }"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


# ---------------------------------------------------------------------------------------------------------
# The callers, and what the policy says each may read
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Caller:
    name: str
    role: Role
    claims: dict[str, Any] = field(default_factory=dict)
    sees: bool = False
    """Whether the target row is in this caller's scope."""

    def principal(self) -> Principal:
        c = self.claims
        return Principal(subject=c.get("subject", f"{self.role.value}-dev"), role=self.role, unit=c.get("unit"),
                         school=c.get("school"), domains=tuple(c.get("domains", ())),
                         purpose=c.get("purpose", STAFF_PURPOSE if self.role != Role.CITIZEN else None))  # fmt: skip


class _Loads:
    def __init__(self, data: dict[str, list[Any]]) -> None:
        self.data = data

    async def load(self, key: str) -> list[Any]:
        return self.data.get(key, [])


async def fake_ctx(seeded: Seeded, principal: Principal) -> Any:
    """Just enough of a request context for the readers: the caller's children and declared wards."""
    g = ds.guardians.c
    wards = await seeded.stores["education"].all(select(ds.guardians).where(g.guardian_pid == principal.subject))
    children = [SimpleNamespace(pid=c) for c in seeded.ctx.children_of.get(principal.subject, [])]
    loaders = SimpleNamespace(
        population=SimpleNamespace(children_by_pid=_Loads({principal.subject: children})),
        education=SimpleNamespace(wards_by_guardian=_Loads({principal.subject: list(wards)})),
    )
    return SimpleNamespace(principal=principal, loaders=loaders)


async def readable(policy: FieldPolicy, ctx: Any, subject: Subject) -> bool:
    return any([await r.allows(ctx, subject) for r in policy.readers])


async def guarded(ctx: Any, type_name: str, obj: Any, truth: dict[str, Any]) -> dict[str, Any]:
    """``truth`` (what an admin reads) as this caller must get it: each guarded field per its POLICY entry."""
    subject = SUBJECTS[type_name](obj)
    out = dict(truth)
    for key, policy in POLICY.items():
        t, _, name = key.partition(".")
        if t == type_name and name in out and not await readable(policy, ctx, subject):
            out[name] = policy.otherwise(truth[name])
    return out


async def citizen_view(ctx: Any, seeded: Seeded, pid: str, truth: dict[str, Any] | None) -> dict[str, Any] | None:
    """The population policy's answer for a Citizen reached through a link."""
    if truth is None:
        return None
    person = seeded.ctx.by_pid[pid]
    return await guarded(ctx, "Citizen", SimpleNamespace(key="?", pid=pid, unit_code=person.unit), truth)


# ---------------------------------------------------------------------------------------------------------
# The seeded record under test
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    pid: str
    year: str
    node_key: str
    node_id: str
    school: str
    unit: str
    class_id: int
    grade: int
    father: str


async def pick_target(seeded: Seeded) -> Target:
    """A secondary pupil of the previous school year (a complete grade book) whose father is their guardian."""
    s, sc, g = ds.students.c, ds.schools.c, ds.guardians.c
    rows = await seeded.stores["education"].all(
        select(s.pid, s.school_year, s.node_key, s.school_code, s.class_id, s.grade, sc.unit_code, g.guardian_pid)
        .select_from(ds.students.join(ds.schools, sc.code == s.school_code).join(ds.guardians,
                                                                                  g.student_pid == s.pid))
        .where(s.school_year == PREVIOUS, s.grade >= 7, g.relation == "FATHER")
        .order_by(s.pid)
        .limit(50)
    )  # fmt: skip
    r = next(r for r in rows if seeded.ctx.by_pid[r.guardian_pid].phone)
    return Target(r.pid, r.school_year, r.node_key, b64(f"Student:{r.node_key}"), r.school_code, r.unit_code,
                  r.class_id, r.grade, r.guardian_pid)  # fmt: skip


async def other_school_and_unit(seeded: Seeded, t: Target) -> tuple[str, str]:
    sc = ds.schools.c
    rows = await seeded.stores["education"].all(select(sc.code, sc.unit_code).where(sc.unit_code != t.unit).limit(1))
    return rows[0].code, rows[0].unit_code


def callers(seeded: Seeded, t: Target, other_school: str, other_unit: str) -> list[Caller]:
    stranger = next(p.pid for p in seeded.ctx.people if p.pid not in (t.pid, t.father) and not p.father)
    return [
        Caller("the pupil", Role.CITIZEN, {"subject": t.pid}, sees=True),
        Caller("their father", Role.CITIZEN, {"subject": t.father}, sees=True),
        Caller("another citizen", Role.CITIZEN, {"subject": stranger}),
        Caller("education officer of the school's unit", Role.OFFICER,
               {"subject": "gd-unit", "unit": t.unit, "domains": ("education",)}, sees=True),
        Caller("education officer of another unit", Role.OFFICER,
               {"subject": "gd-other", "unit": other_unit, "domains": ("education",)}),
        Caller("officer of another domain in the unit", Role.OFFICER,
               {"subject": "pop-unit", "unit": t.unit, "domains": ("population", "services")}),
        Caller("teacher of the school", Role.TEACHER, {"subject": "gv-here", "school": t.school}, sees=True),
        Caller("teacher of another school", Role.TEACHER, {"subject": "gv-there", "school": other_school}),
        Caller("teacher without a school", Role.TEACHER, {"subject": "gv-none"}),
        Caller("inspector", Role.INSPECTOR, {"subject": "insp-1"}),
        Caller("device", Role.DEVICE, {"subject": "gate-1"}),
        Caller("operator", Role.OPERATOR, {"subject": "ops-1"}, sees=True),
        Caller("admin", Role.ADMIN, {"subject": "admin-1"}, sees=True),
    ]  # fmt: skip


# ---------------------------------------------------------------------------------------------------------
# Paths to a student record
# ---------------------------------------------------------------------------------------------------------

Path = Callable[[GQL, Target], Awaitable[dict[str, Any] | None]]


def _find(nodes: list[dict[str, Any]] | None, node_id: str) -> dict[str, Any] | None:
    return next((n for n in nodes or [] if n and n["id"] == node_id), None)


async def root_list(gql: GQL, t: Target) -> dict[str, Any] | None:
    body = await gql(
        f"query($c: ID!) {{ students(filter: {{classId: $c}}, first: 100) {{ totalCount nodes {{ {STUDENT} }} }} }}",
        {"c": b64(f"SchoolClass:{t.class_id}")},
    )
    conn = body["data"]["students"]
    assert conn["totalCount"] == len(conn["nodes"])  # the count respects the scope
    return _find(conn["nodes"], t.node_id)


async def by_key(gql: GQL, t: Target) -> dict[str, Any] | None:
    body = await gql(f"query($p: String!, $y: String) {{ student(personalId: $p, schoolYear: $y) {{ {STUDENT} }} }}",
                     {"p": t.pid, "y": t.year})  # fmt: skip
    found: dict[str, Any] | None = body["data"]["student"]
    return found


async def node(gql: GQL, t: Target) -> dict[str, Any] | None:
    body = await gql(f"query($id: ID!) {{ node(id: $id) {{ ... on Student {{ {STUDENT} }} }} }}", {"id": t.node_id})
    return body["data"]["node"] or None


async def nodes(gql: GQL, t: Target) -> dict[str, Any] | None:
    body = await gql(f"query($ids: [ID!]!) {{ nodes(ids: $ids) {{ ... on Student {{ {STUDENT} }} }} }}",
                     {"ids": [t.node_id]})  # fmt: skip
    return body["data"]["nodes"][0] or None


async def class_students(gql: GQL, t: Target) -> dict[str, Any] | None:
    body = await gql(
        "query($c: ID!) { node(id: $c) { ... on SchoolClass { students(first: 100) { totalCount "
        f"nodes {{ {STUDENT} }} }} }} }} }}",
        {"c": b64(f"SchoolClass:{t.class_id}")},
    )  # fmt: skip
    conn = body["data"]["node"]["students"]
    assert conn["totalCount"] == len(conn["nodes"])
    return _find(conn["nodes"], t.node_id)


async def school_students(gql: GQL, t: Target) -> dict[str, Any] | None:
    found, seen, after, total = None, 0, None, None
    while True:
        body = await gql(
            "query($s: String!, $y: String!, $g: Int!, $a: String) { school(code: $s) { students(schoolYear: $y, "
            "grade: $g, first: 100, after: $a) { totalCount pageInfo { hasNextPage endCursor } "
            f"nodes {{ {STUDENT} }} }} }} }}",
            {"s": t.school, "y": t.year, "g": t.grade, "a": after},
        )  # fmt: skip
        conn = body["data"]["school"]["students"]
        total = conn["totalCount"]
        seen += len(conn["nodes"])
        found = found or _find(conn["nodes"], t.node_id)
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert total == seen
    return found


async def school_records(gql: GQL, t: Target) -> dict[str, Any] | None:
    """Through the population register: null wherever the caller may not reach the citizen or the link."""
    body = await gql(f"query($p: String!) {{ citizen(personalId: $p) {{ schoolRecords {{ {STUDENT} }} }} }}",
                     {"p": t.pid})  # fmt: skip
    c = body["data"]["citizen"]
    return _find(c["schoolRecords"], t.node_id) if c else None


async def me(gql: GQL, t: Target) -> dict[str, Any] | None:
    body = await gql(f"{{ me {{ schoolRecords {{ {STUDENT} }} children {{ schoolRecords {{ {STUDENT} }} }} }} }}")
    m = body["data"]["me"]
    if not m:
        return None
    records = [*(m["schoolRecords"] or []), *(r for c in m["children"] or [] for r in c["schoolRecords"] or [])]
    return _find(records, t.node_id)


ROW_PATHS: dict[str, Path] = {"students": root_list, "student": by_key, "node": node, "nodes": nodes,
                              "SchoolClass.students": class_students, "School.students": school_students}  # fmt: skip
"""Paths every caller who may see the row must find it by."""
LINK_PATHS: dict[str, Path] = {"Citizen.schoolRecords": school_records, "me": me}
"""Paths through the population register (its own row scope and policy may stop a caller first)."""


async def expected_student(seeded: Seeded, caller: Caller, t: Target, truth: dict[str, Any]) -> dict[str, Any]:
    ctx = await fake_ctx(seeded, caller.principal())
    ref = StudentRef(key=t.node_key, pid=t.pid, school=t.school, unit=t.unit)
    out = await guarded(ctx, "Student", SimpleNamespace(ref=ref), truth)
    out["guardians"] = [
        await guarded(ctx, "Guardian", SimpleNamespace(ref=ref, personal_id=g["personalId"]), g)
        | {"citizen": await citizen_view(ctx, seeded, g["personalId"], g["citizen"])}
        for g in truth["guardians"]
    ]
    out["citizen"] = await citizen_view(ctx, seeded, t.pid, truth["citizen"])
    return out


def test_every_education_type_is_classified() -> None:
    """Default deny for this block: every field of every education subject type is in POLICY or NOT_PERSONAL."""
    schema = build_schema()._schema
    missing = [f"{t}.{f}" for t in EDUCATION_SUBJECTS for f in schema.type_map[t].fields  # type: ignore[attr-defined]
               if f"{t}.{f}" not in POLICY and f"{t}.{f}" not in NOT_PERSONAL]  # fmt: skip
    assert not missing
    assert {"Student", "Guardian", "GradeEntry", "GradeCorrection", "SubjectResult", "EnrolmentApplication"} <= set(
        EDUCATION_SUBJECTS
    )
    assert "Access: the pupil, their parents and declared guardians" in build_schema().as_str()


async def test_student_ids_do_not_carry_personal_ids(seeded: Seeded, as_admin: GQL) -> None:
    t = await pick_target(seeded)
    body = await as_admin("query($p: String!, $y: String) { student(personalId: $p, schoolYear: $y) { id } }",
                          {"p": t.pid, "y": t.year})  # fmt: skip
    nid = body["data"]["student"]["id"]
    assert nid == t.node_id and t.pid not in base64.b64decode(nid).decode()


async def test_student_matrix(seeded: Seeded, as_role: Callable[..., GQL], as_admin: GQL) -> None:
    """Every caller x every path to a student record: absent where out of scope, else exactly the policy's view."""
    t = await pick_target(seeded)
    truth = await by_key(as_admin, t)
    assert truth is not None and truth["grades"] and truth["subjectResults"] and truth["guardians"]
    assert truth["citizen"]["phone"] and truth["fullName"]
    other_school, other_unit = await other_school_and_unit(seeded, t)
    checked = 0
    for caller in callers(seeded, t, other_school, other_unit):
        gql = as_role(caller.role, **caller.claims)
        want = await expected_student(seeded, caller, t, truth)
        for name, path in ROW_PATHS.items():
            got = await path(gql, t)
            if not caller.sees:
                assert got is None, f"{caller.name} reached the record through {name}"
            else:
                assert got == want, f"{caller.name} via {name}"
            checked += 1
        for name, path in LINK_PATHS.items():
            got = await path(gql, t)
            assert got is None or (caller.sees and got == want), f"{caller.name} via {name}: {got}"
            if caller.name in ("the pupil", "their father", "admin") and name == "Citizen.schoolRecords":
                assert got == want
    assert checked == 13 * len(ROW_PATHS)


async def test_what_each_role_reads_in_a_record(seeded: Seeded, as_role: Callable[..., GQL], as_admin: GQL) -> None:
    """The matrix's expectations spelled out for the roles the issue names."""
    t = await pick_target(seeded)
    truth = await by_key(as_admin, t)
    assert truth is not None
    ops = await by_key(as_role(Role.OPERATOR), t)
    assert ops is not None
    assert ops["personalId"] == masking.personal_id(t.pid) != t.pid
    assert ops["fullName"] == masking.name(truth["fullName"]) != truth["fullName"]
    assert ops["dateOfBirth"] is None and ops["grades"] is None and ops["subjectResults"] is None
    assert ops["rating"] is None
    g = ops["guardians"][0]
    assert g["personalId"] != truth["guardians"][0]["personalId"] and g["phone"] != truth["guardians"][0]["phone"]
    teacher = await by_key(as_role(Role.TEACHER, subject="gv", school=t.school), t)
    assert teacher is not None and teacher["grades"] == truth["grades"] and teacher["fullName"] == truth["fullName"]
    # The link to the population register answers with the population policy: masked for a teacher.
    assert teacher["citizen"]["phone"] == masking.phone(truth["citizen"]["phone"]) != truth["citizen"]["phone"]
    assert teacher["citizen"]["personalId"] == masking.personal_id(t.pid)
    father = await by_key(as_role(Role.CITIZEN, subject=t.father), t)
    assert father is not None
    # A parent reads everything of their child's record; the other parent's register entry stays theirs.
    assert {k: v for k, v in father.items() if k != "guardians"} == {k: v for k, v in truth.items() if k != "guardians"}
    for mine, real in zip(father["guardians"], truth["guardians"], strict=True):
        assert {k: v for k, v in mine.items() if k != "citizen"} == {k: v for k, v in real.items() if k != "citizen"}
        if real["personalId"] == t.father:
            assert mine["citizen"] == real["citizen"]


async def test_officer_reads_are_purpose_bound_and_audited(
    seeded: Seeded, as_role: Callable[..., GQL], as_admin: GQL
) -> None:
    t = await pick_target(seeded)
    officer = as_role(Role.OFFICER, subject="gd-audit-01", unit=t.unit, domains=("education",),
                      purpose="Xét duyệt học bạ")  # fmt: skip
    assert (await by_key(officer, t)) is not None
    log = await as_role(Role.CITIZEN, subject=t.pid)(
        "{ me { accessLog(first: 50) { nodes { reader purpose fields } } } }"
    )
    mine = [e for e in log["data"]["me"]["accessLog"]["nodes"] if e["reader"] == "gd-audit-01"]
    assert mine and mine[0]["purpose"] == "Xét duyệt học bạ"
    assert {"Student.fullName", "Student.grades"} <= set(mine[0]["fields"])
    # The father's own access log shows the officer reading his details as the pupil's guardian.
    flog = await as_role(Role.CITIZEN, subject=t.father)("{ me { accessLog(first: 50) { nodes { reader fields } } } }")
    assert any(e["reader"] == "gd-audit-01" and "Guardian.phone" in e["fields"]
               for e in flog["data"]["me"]["accessLog"]["nodes"])  # fmt: skip
    without = as_role(Role.OFFICER, unit=t.unit, domains=("education",), purpose=None)
    body = await without(f"query($id: ID!) {{ node(id: $id) {{ ... on Student {{ {STUDENT} }} }} }}",
                         {"id": t.node_id}, expect_errors=True)  # fmt: skip
    assert {e["extensions"]["code"] for e in body["errors"]} == {"PURPOSE_REQUIRED"}
    teacher = as_role(Role.TEACHER, school=t.school, purpose=None)
    body = await teacher(f"query($id: ID!) {{ node(id: $id) {{ ... on Student {{ {STUDENT} }} }} }}",
                         {"id": t.node_id}, expect_errors=True)  # fmt: skip
    assert {e["extensions"]["code"] for e in body["errors"]} == {"PURPOSE_REQUIRED"}


async def test_counts_follow_the_scope(seeded: Seeded, as_role: Callable[..., GQL], as_admin: GQL) -> None:
    t = await pick_target(seeded)
    other_school, other_unit = await other_school_and_unit(seeded, t)
    s, sc = ds.students.c, ds.schools.c
    store = seeded.stores["education"]
    in_school = await store.scalar(select(func.count()).select_from(ds.students).where(s.school_code == t.school))
    in_unit = await store.scalar(
        select(func.count())
        .select_from(ds.students.join(ds.schools, sc.code == s.school_code))
        .where(sc.unit_code == t.unit)
    )
    everyone = await store.scalar(select(func.count()).select_from(ds.students))
    q = "{ students { totalCount } enrolmentApplications { totalCount } }"
    counts = {
        "teacher": (as_role(Role.TEACHER, school=t.school), in_school),
        "officer": (as_role(Role.OFFICER, unit=t.unit, domains=("education",)), in_unit),
        "operator": (as_role(Role.OPERATOR), everyone),
        "admin": (as_admin, everyone),
        "device": (as_role(Role.DEVICE), 0),
        "inspector": (as_role(Role.INSPECTOR), 0),
        "population officer": (as_role(Role.OFFICER, unit=t.unit, domains=("population",)), 0),
    }
    for name, (gql, want) in counts.items():
        body = await gql(q)
        assert body["data"]["students"]["totalCount"] == want, name
    teacher = await as_role(Role.TEACHER, school=t.school)(q)
    assert teacher["data"]["enrolmentApplications"]["totalCount"] == 0  # teachers do not read applications
    father = await as_role(Role.CITIZEN, subject=t.father)(
        "{ students(first: 100) { totalCount nodes { personalId } } }"
    )
    kids = {t.father, *seeded.ctx.children_of[t.father]}
    assert {n["personalId"] for n in father["data"]["students"]["nodes"]} <= kids
    assert t.pid in {n["personalId"] for n in father["data"]["students"]["nodes"]}
    other = await as_role(Role.OFFICER, unit=other_unit, domains=("education",))(
        "query($s: String!) { school(code: $s) { students { totalCount } } }", {"s": t.school}
    )
    assert other["data"]["school"]["students"]["totalCount"] == 0
    there = await as_role(Role.TEACHER, school=other_school)(
        "query($s: String!) { school(code: $s) { students { totalCount } } }", {"s": t.school}
    )
    assert there["data"]["school"]["students"]["totalCount"] == 0


async def test_another_years_grades_only_through_a_visible_record(
    seeded: Seeded, as_role: Callable[..., GQL], as_admin: GQL
) -> None:
    """A pupil who moved school: the new school's teacher reads this year's record, not last year's grade book."""
    s = ds.students.c
    old, new = ds.students.alias("old"), ds.students.alias("new")
    row = (
        await seeded.stores["education"].all(
            select(new.c.pid, new.c.school_code, old.c.school_code.label("before"))
            .select_from(new.join(old, old.c.pid == new.c.pid))
            .where(new.c.school_year == CURRENT, old.c.school_year == PREVIOUS, old.c.grade == 9)
            .where(new.c.school_code != old.c.school_code)
            .order_by(new.c.pid)
            .limit(1)
        )
    )[0]
    del s
    q = (
        "query($p: String!, $y: String!, $b: String!) { student(personalId: $p, schoolYear: $y) { "
        "grades(schoolYear: $b) { score } subjectResults(schoolYear: $b) { yearAverage } rating(schoolYear: $b) } }"
    )
    args = {"p": row.pid, "y": CURRENT, "b": PREVIOUS}
    admin = (await as_admin(q, args))["data"]["student"]
    assert admin["grades"] and admin["subjectResults"]
    now = (await as_role(Role.TEACHER, school=row.school_code)(q, args))["data"]["student"]
    assert now == {"grades": [], "subjectResults": [], "rating": None}
    before = await as_role(Role.TEACHER, school=row.before)(
        "query($p: String!, $b: String!) { student(personalId: $p, schoolYear: $b) { grades { score } } }",
        {"p": row.pid, "b": PREVIOUS},
    )
    assert before["data"]["student"]["grades"] == admin["grades"]


# ---------------------------------------------------------------------------------------------------------
# Enrolment applications
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AppTarget:
    id: int
    node_id: str
    child: str
    parent: str
    school: str
    unit: str
    year: str


async def pick_application(seeded: Seeded) -> AppTarget:
    a, sc = ds.enrolment_applications.c, ds.schools.c
    rows = await seeded.stores["education"].all(
        select(a.id, a.child_pid, a.school_code, a.school_year, sc.unit_code)
        .select_from(ds.enrolment_applications.join(ds.schools, sc.code == a.school_code))
        .order_by(a.id)
        .limit(200)
    )
    r = next(r for r in rows if seeded.ctx.by_pid[r.child_pid].father)
    return AppTarget(r.id, b64(f"EnrolmentApplication:{r.id}"), r.child_pid, str(seeded.ctx.by_pid[r.child_pid].father),
                     r.school_code, r.unit_code, r.school_year)  # fmt: skip


async def app_list(gql: GQL, t: AppTarget) -> dict[str, Any] | None:
    found, seen, after, total = None, 0, None, None
    while True:
        body = await gql(
            "query($s: String!, $y: String!, $a: String) { enrolmentApplications(filter: {schoolCode: $s, "
            "schoolYear: $y}, first: 100, after: $a) { totalCount pageInfo { hasNextPage endCursor } "
            f"nodes {{ {APPLICATION} }} }} }}",
            {"s": t.school, "y": t.year, "a": after},
        )  # fmt: skip
        conn = body["data"]["enrolmentApplications"]
        total, seen = conn["totalCount"], seen + len(conn["nodes"])
        found = found or _find(conn["nodes"], t.node_id)
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert total == seen
    return found


async def app_node(gql: GQL, t: AppTarget) -> dict[str, Any] | None:
    body = await gql(f"query($id: ID!) {{ node(id: $id) {{ ... on EnrolmentApplication {{ {APPLICATION} }} }} }}",
                     {"id": t.node_id})  # fmt: skip
    return body["data"]["node"] or None


async def app_nodes(gql: GQL, t: AppTarget) -> dict[str, Any] | None:
    body = await gql(
        f"query($ids: [ID!]!) {{ nodes(ids: $ids) {{ ... on EnrolmentApplication {{ {APPLICATION} }} }} }}",
        {"ids": [t.node_id]},
    )
    return body["data"]["nodes"][0] or None


async def test_application_matrix(seeded: Seeded, as_role: Callable[..., GQL], as_admin: GQL) -> None:
    t = await pick_application(seeded)
    truth = await app_node(as_admin, t)
    assert truth is not None and truth["childPersonalId"] == t.child and truth["child"]["personalId"] == t.child
    sc = ds.schools.c
    other = (await seeded.stores["education"].all(select(sc.code, sc.unit_code).where(sc.unit_code != t.unit)
                                                  .limit(1)))[0]  # fmt: skip
    stranger = next(p.pid for p in seeded.ctx.people if p.pid not in (t.child, t.parent) and not p.father)
    cast = [
        Caller("the child", Role.CITIZEN, {"subject": t.child}, sees=True),
        Caller("the parent", Role.CITIZEN, {"subject": t.parent}, sees=True),
        Caller("another citizen", Role.CITIZEN, {"subject": stranger}),
        Caller("education officer of the school's unit", Role.OFFICER,
               {"subject": "gd", "unit": t.unit, "domains": ("education",)}, sees=True),
        Caller("education officer of another unit", Role.OFFICER,
               {"subject": "gd2", "unit": other.unit_code, "domains": ("education",)}),
        Caller("officer of another domain", Role.OFFICER,
               {"subject": "pop", "unit": t.unit, "domains": ("population",)}),
        Caller("teacher of the school", Role.TEACHER, {"subject": "gv", "school": t.school}),
        Caller("inspector", Role.INSPECTOR, {"subject": "insp"}),
        Caller("device", Role.DEVICE, {"subject": "dev"}),
        Caller("operator", Role.OPERATOR, {"subject": "ops"}, sees=True),
        Caller("admin", Role.ADMIN, {"subject": "adm"}, sees=True),
    ]  # fmt: skip
    app = SimpleNamespace(key=str(t.id), child_personal_id=t.child, school_unit=t.unit)
    for caller in cast:
        ctx = await fake_ctx(seeded, caller.principal())
        want = await guarded(ctx, "EnrolmentApplication", app, truth)
        want["child"] = await citizen_view(ctx, seeded, t.child, truth["child"])
        gql = as_role(caller.role, **caller.claims)
        for name, path in {"enrolmentApplications": app_list, "node": app_node, "nodes": app_nodes}.items():
            got = await path(gql, t)
            if caller.sees:
                assert got == want, f"{caller.name} via {name}"
            else:
                assert got is None, f"{caller.name} reached the application through {name}"
    ops = await app_node(as_role(Role.OPERATOR), t)
    assert ops is not None and ops["childName"] != truth["childName"] and ops["childDateOfBirth"] is None
    assert ops["childPersonalId"] == masking.personal_id(t.child)


# ---------------------------------------------------------------------------------------------------------
# The grade book's writes: payloads, corrections, and the gradeEntered subscription
# ---------------------------------------------------------------------------------------------------------

ENTER = """mutation($in: GradeEnterInput!) { gradeEnter(input: $in) { entry { seq score } student { personalId }
  subjectResult { semester1Average } semesterRating yearRating userErrors { code } } }"""
CORRECT = """mutation($in: GradeCorrectInput!) { gradeCorrect(input: $in) { entry { score corrections { previousScore
  score reason correctedBy } } userErrors { code } } }"""
BOOK = """query($p: String!, $y: String) { student(personalId: $p, schoolYear: $y) { personalId
  grades { seq score corrections { previousScore previousRating score rating reason correctedBy } } } }"""


async def test_corrections_and_payloads_follow_the_policy(seeded: Seeded, as_role: Callable[..., GQL]) -> None:
    pupil = await make_pupil(seeded)
    teacher = as_role(Role.TEACHER, subject="gv.auth.01", school=pupil.school)
    first = {"studentPersonalId": pupil.pid, "schoolYear": TEST_YEAR, "subjectCode": "TOAN", "semester": 1,
             "kind": "REGULAR", "score": 6.0}  # fmt: skip
    entered = await teacher(ENTER, {"in": first})
    p = entered["data"]["gradeEnter"]
    assert p["userErrors"] == [] and p["entry"]["score"] == 6.0 and p["student"]["personalId"] == pupil.pid
    seq = p["entry"]["seq"]
    corrected = await teacher(CORRECT, {"in": {"studentPersonalId": pupil.pid, "schoolYear": TEST_YEAR,
                                               "subjectCode": "TOAN", "semester": 1, "kind": "REGULAR", "seq": seq,
                                               "score": 6.5, "reason": "Nhập nhầm: bài kiểm tra 15 phút"}})  # fmt: skip
    c = corrected["data"]["gradeCorrect"]["entry"]["corrections"]
    assert c == [{"previousScore": 6.0, "score": 6.5, "reason": "Nhập nhầm: bài kiểm tra 15 phút",
                  "correctedBy": "gv.auth.01"}]  # fmt: skip
    unit = await seeded.stores["education"].scalar(
        select(ds.schools.c.unit_code).where(ds.schools.c.code == pupil.school)
    )
    truth = {"seq": seq, "score": 6.5, "corrections": [{"previousScore": 6.0, "previousRating": None, "score": 6.5,
                                                         "rating": None, "reason": "Nhập nhầm: bài kiểm tra 15 phút",
                                                         "correctedBy": "gv.auth.01"}]}  # fmt: skip
    readers = {
        "declared guardian (not a parent in the register)": as_role(Role.CITIZEN, subject=pupil.guardian),
        "the pupil": as_role(Role.CITIZEN, subject=pupil.pid),
        "teacher of the school": teacher,
        "education officer of the unit": as_role(Role.OFFICER, unit=unit, domains=("education",)),
        "admin": as_role(Role.ADMIN),
    }
    for name, gql in readers.items():
        body = await gql(BOOK, {"p": pupil.pid, "y": TEST_YEAR})
        assert [g for g in body["data"]["student"]["grades"] if g["seq"] == seq] == [truth], name
    ops = await as_role(Role.OPERATOR)(BOOK, {"p": pupil.pid, "y": TEST_YEAR})
    assert ops["data"]["student"]["grades"] is None and ops["data"]["student"]["personalId"] != pupil.pid
    for gql in (as_role(Role.CITIZEN, subject=pupil.pid[:-1] + str((int(pupil.pid[-1]) + 1) % 10)),
                as_role(Role.TEACHER, school="0100000000"), as_role(Role.DEVICE), as_role(Role.INSPECTOR),
                as_role(Role.OFFICER, unit=unit, domains=("population",))):  # fmt: skip
        assert (await gql(BOOK, {"p": pupil.pid, "y": TEST_YEAR}))["data"]["student"] is None
    # Another school's teacher may not write here: refused before anything is read back.
    there = await as_role(Role.TEACHER, school="0100000000")(
        ENTER, {"in": {"studentPersonalId": pupil.pid, "schoolYear": TEST_YEAR, "subjectCode": "TOAN", "semester": 1,
                       "kind": "REGULAR", "score": 5.0}}, expect_errors=True,
    )  # fmt: skip
    assert there["data"] is None or there["data"]["gradeEnter"]["entry"] is None


GRADES = """subscription($p: String) { gradeEntered(studentPersonalId: $p) { change
  student { personalId fullName } entry { seq score } subjectResult { semester1Average } } }"""


async def _first(schema: Any, seeded: Seeded, principal: Principal, bus: InProcessBus, events: list[Event],
                 student: str | None = None) -> Any:  # fmt: skip
    """The first thing ``principal`` receives from gradeEntered while ``events`` are published (None: nothing)."""
    ctx = Context(stores=seeded.stores, principal=principal, bus=bus, settings=seeded.settings)
    first: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    async def consume() -> None:  # one task from subscribe to close (the stream's context variables live in it)
        stream = await schema.subscribe(GRADES, variable_values={"p": student}, context_value=ctx)
        if not hasattr(stream, "__anext__"):
            first.set_result(stream)  # refused before it started
            return
        try:
            first.set_result(await stream.__anext__())
        finally:
            await stream.aclose()

    task = asyncio.create_task(consume())
    try:
        await asyncio.sleep(0.2)  # subscribed to the bus
        await bus.publish(events)
        try:
            return await asyncio.wait_for(asyncio.shield(first), timeout=2)
        except TimeoutError:
            return None
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_grade_entered_delivers_only_what_the_subscriber_may_see(seeded: Seeded) -> None:
    """Events are matched per subscriber, then reloaded through the row-scoped loaders and the field policy."""
    t = await pick_target(seeded)
    other_school, other_unit = await other_school_and_unit(seeded, t)
    e = ds.grade_entries.c
    entry = (await seeded.stores["education"].all(
        select(ds.grade_entries).where(e.student_pid == t.pid, e.school_year == t.year).limit(1)))[0]  # fmt: skip
    payload = {"student_pid": t.pid, "school_code": t.school, "unit_code": t.unit, "school_year": t.year,
               "subject": entry.subject_code, "semester": entry.semester, "kind": entry.kind,
               "seq": entry.seq}  # fmt: skip
    real = Event("education.grade.entered", payload)
    # A forged or misrouted event naming another school and unit: the match lets it through to that school's
    # teacher and unit's officer, the reload does not (the record is not theirs).
    forged = Event("education.grade.entered", payload | {"school_code": other_school, "unit_code": other_unit})
    schema = build_schema()
    score = entry.score_tenths / 10 if entry.score_tenths is not None else None

    def who(role: Role, **claims: Any) -> Principal:
        return Caller("x", role, claims).principal()

    receive = {
        "the pupil": who(Role.CITIZEN, subject=t.pid),
        "their father": who(Role.CITIZEN, subject=t.father),
        "teacher of the school": who(Role.TEACHER, subject="gv", school=t.school),
        "education officer of the unit": who(Role.OFFICER, subject="gd", unit=t.unit, domains=("education",)),
        "admin": who(Role.ADMIN, subject="adm"),
    }
    for name, principal in receive.items():
        got = await _first(schema, seeded, principal, InProcessBus(), [real])
        assert got is not None and not got.errors, (name, got)
        change = got.data["gradeEntered"]
        assert change["student"]["personalId"] == t.pid and change["entry"]["score"] == score, name
    stranger = next(p.pid for p in seeded.ctx.people if p.pid not in (t.pid, t.father) and not p.father)
    nothing = {
        "another citizen": who(Role.CITIZEN, subject=stranger),
        "teacher of another school": who(Role.TEACHER, subject="gv2", school=other_school),
        "education officer of another unit": who(Role.OFFICER, subject="gd2", unit=other_unit,
                                                  domains=("education",)),
    }  # fmt: skip
    for name, principal in nothing.items():
        assert await _first(schema, seeded, principal, InProcessBus(), [real, forged]) is None, name
    # Asking for the pupil by personal ID does not widen anything: a stranger is refused outright.
    refused = await _first(schema, seeded, nothing["another citizen"], InProcessBus(), [real], student=t.pid)
    assert refused is not None and refused.errors
    for role in (Role.OPERATOR, Role.DEVICE, Role.INSPECTOR):
        got = await _first(schema, seeded, who(role, subject="x"), InProcessBus(), [real])
        assert got is not None and got.errors and got.data is None, role
    # A teacher without a stated purpose: the reload's staff read is refused, nothing personal leaves.
    bare = Principal(subject="gv", role=Role.TEACHER, school=t.school)
    got = await _first(schema, seeded, bare, InProcessBus(), [real])
    assert got is not None and got.errors and all("stated purpose" in e.message for e in got.errors)
    assert not (got.data or {}).get("gradeEntered")


@pytest.mark.parametrize("role", [Role.DEVICE, Role.INSPECTOR])
async def test_roles_without_education_access_see_nothing(
    seeded: Seeded, as_role: Callable[..., GQL], role: Role
) -> None:
    body = await as_role(role)("{ students { totalCount nodes { id } } enrolmentApplications { totalCount } }")
    assert body["data"]["students"] == {"totalCount": 0, "nodes": []}
    assert body["data"]["enrolmentApplications"]["totalCount"] == 0
