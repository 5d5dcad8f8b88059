"""Complaints (khiếu nại) and denunciations (tố cáo): deadline rules, the cases API, confidentiality, batching."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from graphql import GraphQLObjectType
from sqlalchemy import func, select

from govgraph.datasources import complaints as ds
from govgraph.domain.calendar import is_working_day
from govgraph.domain.complaints import (
    CaseFacts,
    CaseKind,
    CaseStatus,
    Complexity,
    DeadlineRuleError,
    Instance,
    Phase,
    accept_by,
    allowed_statuses,
    can_change,
    can_extend,
    complaint_time_limit,
    deadlines,
    max_extensions,
    overdue_rules,
    redact_petition,
    resolution_days,
    resolve_by,
    second_complaint_by,
)
from govgraph.schema import build_schema
from govgraph.seed import PILOT_WARD
from tests.conftest import GQL, Seeded, statements, token_for

D = dt.date
K, DN = CaseKind.COMPLAINT, CaseKind.DENUNCIATION

# ---------------------------------------------------------------------------------------------------------
# Deadline rules (pure)
# ---------------------------------------------------------------------------------------------------------


def test_complaint_acceptance_is_ten_days_moved_off_days_off() -> None:
    assert accept_by(K, D(2026, 11, 20)) == D(2026, 11, 30)  # Friday + 10 = Monday, a working day
    # Friday 17 Apr 2026 + 10 = Monday 27 Apr, the day off in lieu of Hùng Kings' day (a Sunday): Tuesday
    assert accept_by(K, D(2026, 4, 17)) == D(2026, 4, 28)


def test_denunciation_intake_counts_seven_working_days_across_holidays() -> None:
    # Wed 18 Nov 2026: Thu 19, Fri 20, Mon 23 ... Fri 27 is the 7th working day
    assert accept_by(DN, D(2026, 11, 18)) == D(2026, 11, 27)
    # Thu 23 Apr 2026: Fri 24, [Mon 27 off], Tue 28, Wed 29, [30/4, 1/5 off], Mon 4, Tue 5, Wed 6, Thu 7 May
    assert accept_by(DN, D(2026, 4, 23)) == D(2026, 5, 7)
    # Fri 13 Feb 2026, before Tết (16-20 Feb off): the clock resumes on Mon 23 Feb
    assert accept_by(DN, D(2026, 2, 13)) == D(2026, 3, 3)


@pytest.mark.parametrize(
    ("instance", "complexity", "remote", "days"),
    [
        (Instance.FIRST, Complexity.NORMAL, False, 30),
        (Instance.FIRST, Complexity.COMPLEX, False, 45),
        (Instance.FIRST, Complexity.ESPECIALLY_COMPLEX, False, 45),
        (Instance.FIRST, Complexity.NORMAL, True, 45),
        (Instance.FIRST, Complexity.COMPLEX, True, 60),
        (Instance.SECOND, Complexity.NORMAL, False, 45),
        (Instance.SECOND, Complexity.COMPLEX, False, 60),
        (Instance.SECOND, Complexity.NORMAL, True, 60),
        (Instance.SECOND, Complexity.ESPECIALLY_COMPLEX, True, 70),
    ],
)
def test_complaint_resolution_periods(instance: Instance, complexity: Complexity, remote: bool, days: int) -> None:
    assert resolution_days(K, instance, complexity, remote, 0) == days
    accepted = D(2026, 1, 5)
    due = resolve_by(K, instance, complexity, remote, 0, accepted)
    assert due >= accepted + dt.timedelta(days=days) and is_working_day(due)


def test_a_period_ending_on_a_holiday_ends_on_the_next_working_day() -> None:
    # 31 Mar + 30 days = 30 Apr (Reunification Day), then 1 May and the weekend: Monday 4 May
    assert resolve_by(K, Instance.FIRST, Complexity.NORMAL, False, 0, D(2026, 3, 31)) == D(2026, 5, 4)
    assert complaint_time_limit(D(2026, 6, 5)) == D(2026, 9, 3)  # 90 days; 1-2 Sep are National Day
    assert second_complaint_by(D(2026, 11, 2)) == D(2026, 12, 2)
    assert second_complaint_by(D(2026, 11, 2), remote_area=True) == D(2026, 12, 17)


def test_denunciation_extensions_are_capped_at_two() -> None:
    accepted = D(2026, 6, 1)
    assert [resolution_days(DN, None, Complexity.ESPECIALLY_COMPLEX, False, e) for e in (0, 1, 2)] == [30, 60, 90]
    assert resolve_by(DN, None, Complexity.ESPECIALLY_COMPLEX, False, 2, accepted) == D(2026, 8, 31)
    with pytest.raises(DeadlineRuleError):
        resolution_days(DN, None, Complexity.ESPECIALLY_COMPLEX, False, 3)
    assert [max_extensions(c) for c in Complexity] == [0, 1, 2]
    assert not can_extend(Complexity.NORMAL, 0)
    assert can_extend(Complexity.COMPLEX, 0) and not can_extend(Complexity.COMPLEX, 1)
    assert can_extend(Complexity.ESPECIALLY_COMPLEX, 1) and not can_extend(Complexity.ESPECIALLY_COMPLEX, 2)
    with pytest.raises(DeadlineRuleError):
        resolution_days(K, None, Complexity.NORMAL, False, 0)


def _facts(**kw: Any) -> CaseFacts:
    base: dict[str, Any] = {
        "kind": K,
        "instance": Instance.FIRST,
        "status": CaseStatus.VERIFYING,
        "complexity": Complexity.NORMAL,
        "remote_area": False,
        "extensions": 0,
        "received_on": D(2026, 10, 1),
        "accepted_on": D(2026, 10, 8),
    }
    return CaseFacts(**{**base, **kw})


def test_running_deadline_overdue_and_days_left() -> None:
    d = deadlines(_facts(), D(2026, 11, 6))  # due 7 Nov is a Saturday, so Monday 9 Nov
    assert (d.accept_by, d.resolve_by, d.pending, d.overdue, d.days_left) == (
        D(2026, 10, 12), D(2026, 11, 9), Phase.RESOLUTION, False, 3,
    )  # fmt: skip
    late = deadlines(_facts(), D(2026, 11, 12))
    assert late.overdue and late.days_left == -3
    waiting = deadlines(_facts(status=CaseStatus.CLASSIFYING, accepted_on=None), D(2026, 10, 20))
    assert waiting.pending is Phase.INTAKE and waiting.overdue and waiting.resolve_by is None
    for status in (CaseStatus.SUSPENDED, CaseStatus.DECIDED, CaseStatus.CLOSED, CaseStatus.WITHDRAWN):
        done = deadlines(_facts(status=status), D(2027, 1, 1))
        assert not done.overdue and done.days_left is None and done.pending is None


def test_overdue_thresholds_agree_with_the_deadlines_of_every_kind_of_case() -> None:
    """The database filter uses thresholds; they must say exactly what ``deadlines`` says, case by case."""
    rng = random.Random(7)  # noqa: S311 - reproducible samples, not secrets
    for _ in range(400):
        today = D(2025, 1, 1) + dt.timedelta(days=rng.randrange(700))
        kind = rng.choice(list(CaseKind))
        complexity = rng.choice(list(Complexity))
        received = today - dt.timedelta(days=rng.randrange(0, 150))
        accepted = received + dt.timedelta(days=rng.randrange(0, 12)) if rng.random() < 0.7 else None
        status = (
            rng.choice([CaseStatus.ACCEPTED, CaseStatus.VERIFYING])
            if accepted
            else rng.choice([CaseStatus.RECEIVED, CaseStatus.CLASSIFYING])
        )
        facts = _facts(
            kind=kind,
            instance=rng.choice(list(Instance)) if kind is K else None,
            status=status,
            complexity=complexity,
            remote_area=rng.random() < 0.3,
            extensions=rng.randint(0, max_extensions(complexity)) if kind is DN else 0,
            received_on=received,
            accepted_on=accepted,
        )
        expected = deadlines(facts, today).overdue
        matched = [
            r
            for r in overdue_rules(today)
            if r.kind is kind
            and r.phase is status.phase
            and (r.instance is None or r.instance is facts.instance)
            and (r.complex_ is None or r.complex_ == (complexity is not Complexity.NORMAL))
            and (r.remote_area is None or r.remote_area == facts.remote_area)
            and (r.extensions is None or r.extensions == facts.extensions)
        ]
        assert len(matched) == 1
        start = received if status.phase is Phase.INTAKE else accepted
        assert start is not None
        assert (start <= matched[0].started_by) == expected, (facts, today)


def test_statuses_allowed_per_kind_and_changes() -> None:
    assert CaseStatus.DIALOGUE in allowed_statuses(K) and CaseStatus.DIALOGUE not in allowed_statuses(DN)
    assert CaseStatus.EXTENDED in allowed_statuses(DN) and CaseStatus.EXTENDED not in allowed_statuses(K)
    assert CaseStatus.CONCLUDED not in allowed_statuses(K) and CaseStatus.DECIDED not in allowed_statuses(DN)
    assert all(s.vi for s in CaseStatus)
    assert can_change(DN, CaseStatus.VERIFYING, CaseStatus.EXTENDED)
    assert not can_change(K, CaseStatus.VERIFYING, CaseStatus.EXTENDED)
    assert can_change(K, CaseStatus.DECIDED, CaseStatus.SECOND_INSTANCE)
    assert not can_change(K, CaseStatus.CLOSED, CaseStatus.VERIFYING)
    assert not can_change(DN, CaseStatus.RECEIVED, CaseStatus.CONCLUDED)


def test_redaction_removes_every_identifying_detail() -> None:
    text = "Tôi là Nguyễn Văn An, CCCD 001 099 012345, ĐT 0912.345.678, trú tại Số 5 Hàng Bài. NGUYỄN VĂN AN ký."
    out = redact_petition(text, ["Nguyễn Văn An", "001099012345", "0912345678", "Số 5 Hàng Bài", None])
    for leaked in ("Nguyễn", "NGUYỄN", "012345", "345", "Hàng Bài"):
        assert leaked not in out
    assert out.count("[đã lược bỏ]") == 5


# ---------------------------------------------------------------------------------------------------------
# The API
# ---------------------------------------------------------------------------------------------------------

CASE_FIELDS = """
  code kind instance status complexity remoteArea receivedAt acceptedAt concludedAt extensions
  handlingAgency subject outcome contestedAct contestedOn
  handlingUnit { code structure name }
  inspector { staffId name }
  deadlines { acceptBy resolveBy running overdue daysLeft complainBy extensionsAllowed }
"""


async def _all_cases(as_admin: GQL, flt: dict[str, Any] | None = None, fields: str = CASE_FIELDS) -> list[Any]:
    out: list[Any] = []
    after = None
    while True:
        body = await as_admin(
            f"query($f: CaseFilterInput, $a: String) {{ cases(filter: $f, first: 100, after: $a) "
            f"{{ totalCount pageInfo {{ hasNextPage endCursor }} nodes {{ {fields} }} }} }}",
            {"f": flt, "a": after},
        )
        conn = body["data"]["cases"]
        out += conn["nodes"]
        if not conn["pageInfo"]["hasNextPage"]:
            assert conn["totalCount"] == len(out)
            return out
        after = conn["pageInfo"]["endCursor"]


def _day(iso: str) -> dt.date:
    return dt.datetime.fromisoformat(iso).date()


def _first_working_day_from(day: dt.date) -> dt.date:
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day


async def test_seeded_cases_look_like_the_pilot(as_admin: GQL, seeded: Seeded) -> None:
    cases = await _all_cases(as_admin)
    assert 300 <= len(cases) <= 600
    codes = [c["code"] for c in cases]
    assert len(set(codes)) == len(codes)
    received = [c["receivedAt"] for c in cases]
    assert received == sorted(received, reverse=True)  # default order: newest first
    assert all(r.endswith("+07:00") for r in received)
    by_status = {c["status"] for c in cases}
    assert {"CLOSED", "VERIFYING", "EXTENDED", "SECOND_INSTANCE"} <= by_status
    assert sum(c["status"] == "CLOSED" for c in cases) > len(cases) / 2
    assert 1 <= sum(c["deadlines"]["overdue"] for c in cases) <= 30
    wards = {c["handlingUnit"]["code"] for c in cases if c["handlingUnit"]["structure"] == "Y2025_07"}
    assert PILOT_WARD in wards and len(wards) == 5
    for c in cases:
        prefix = "KN" if c["kind"] == "COMPLAINT" else "TC"
        assert c["code"].startswith(f"{prefix}-{c['receivedAt'][:4]}-")
        assert (c["instance"] is not None) == (c["kind"] == "COMPLAINT")
        structure = "Y2025_07" if c["receivedAt"] >= "2025-07-01" else "Y2025_01"
        assert c["handlingUnit"]["structure"] == structure  # records keep the structure of their time
        if c["acceptedAt"]:
            assert c["inspector"]["staffId"].startswith("TTr-HN-")


async def test_deadlines_follow_the_law_for_seeded_cases(as_admin: GQL) -> None:
    cases = await _all_cases(as_admin)
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=7))).date()
    for c in cases:
        d = c["deadlines"]
        received = _day(c["receivedAt"])
        accept = dt.date.fromisoformat(d["acceptBy"])
        if c["kind"] == "COMPLAINT":
            assert accept == _first_working_day_from(received + dt.timedelta(days=10))
            assert d["extensionsAllowed"] is None and c["extensions"] == 0
        else:
            assert received + dt.timedelta(days=9) <= accept <= received + dt.timedelta(days=20)  # 7 working days
            assert is_working_day(accept) and c["extensions"] <= d["extensionsAllowed"] <= 2
        if c["acceptedAt"] is None:
            assert d["resolveBy"] is None
            continue
        allowed = {"NORMAL": 30, "COMPLEX": 45, "ESPECIALLY_COMPLEX": 45}[c["complexity"]]
        if c["kind"] == "COMPLAINT" and c["instance"] == "SECOND":
            allowed = 60 if c["complexity"] != "NORMAL" else 45
        if c["kind"] == "DENUNCIATION":
            allowed = 30 * (1 + c["extensions"])
        resolve = dt.date.fromisoformat(d["resolveBy"])
        assert resolve == _first_working_day_from(_day(c["acceptedAt"]) + dt.timedelta(days=allowed))
        if d["running"] is None:
            assert d["overdue"] is False and d["daysLeft"] is None
        else:
            due = accept if d["running"] == "ACCEPTANCE" else resolve
            assert d["daysLeft"] == (due - today).days
            assert d["overdue"] == (d["daysLeft"] < 0)


async def test_denunciations_extended_twice_show_it_in_their_history(as_admin: GQL) -> None:
    body = await as_admin(
        "{ cases(filter: {kind: DENUNCIATION}, first: 100) { nodes { code extensions complexity "
        "acceptedAt deadlines { resolveBy } history { status at actor { staffId } note } } } }"
    )
    nodes = body["data"]["cases"]["nodes"]
    twice = [n for n in nodes if n["extensions"] == 2]
    assert twice
    for n in nodes:
        steps = [h["status"] for h in n["history"]]
        assert steps.count("EXTENDED") == n["extensions"]
        assert steps[0] == "RECEIVED"
        assert [h["at"] for h in n["history"]] == sorted(h["at"] for h in n["history"])
    for n in twice:
        assert n["complexity"] == "ESPECIALLY_COMPLEX"
        due = dt.date.fromisoformat(n["deadlines"]["resolveBy"])
        assert due == _first_working_day_from(_day(n["acceptedAt"]) + dt.timedelta(days=90))


async def test_overdue_filter_matches_the_computed_deadlines(as_admin: GQL) -> None:
    everything = await _all_cases(as_admin, fields="code deadlines { overdue }")
    expected = {c["code"] for c in everything if c["deadlines"]["overdue"]}
    overdue = await _all_cases(as_admin, {"overdue": True}, fields="code deadlines { overdue }")
    assert {c["code"] for c in overdue} == expected and expected
    not_overdue = await _all_cases(as_admin, {"overdue": False}, fields="code")
    assert len(not_overdue) + len(overdue) == len(everything)


async def test_filters_combine(as_admin: GQL) -> None:
    cases = await _all_cases(as_admin, fields="code kind status receivedAt inspector { staffId } handlingUnit { code }")
    inspector = next(c["inspector"]["staffId"] for c in cases if c["inspector"])
    flt = {
        "kind": "COMPLAINT",
        "status": ["CLOSED", "PUBLISHED"],
        "unitCode": PILOT_WARD,
        "unitStructure": "Y2025_07",
        "receivedFrom": "2025-07-01",
        "receivedTo": "2026-06-30",
    }
    found = await _all_cases(as_admin, flt, fields="code kind status receivedAt handlingUnit { code structure }")
    expected = [
        c["code"] for c in cases
        if c["kind"] == "COMPLAINT" and c["status"] in ("CLOSED", "PUBLISHED")
        and c["handlingUnit"]["code"] == PILOT_WARD and "2025-07-01" <= c["receivedAt"][:10] <= "2026-06-30"
    ]  # fmt: skip
    assert [c["code"] for c in found] == expected and expected
    mine = await _all_cases(as_admin, {"inspectorId": inspector}, fields="inspector { staffId }")
    assert mine and all(c["inspector"]["staffId"] == inspector for c in mine)


async def test_ordering_by_code_and_paging(as_admin: GQL) -> None:
    seen: list[str] = []
    after = None
    for _ in range(3):
        body = await as_admin(
            "query($a: String) { cases(orderBy: {field: CODE}, first: 40, after: $a) "
            "{ nodes { code } pageInfo { endCursor hasPreviousPage } } }",
            {"a": after},
        )
        conn = body["data"]["cases"]
        assert conn["pageInfo"]["hasPreviousPage"] == (after is not None)
        seen += [n["code"] for n in conn["nodes"]]
        after = conn["pageInfo"]["endCursor"]
    assert seen == sorted(seen) and len(set(seen)) == 120
    bad = await as_admin("{ cases(first: 500) { totalCount } }", expect_errors=True)
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_one_case_by_code_and_by_node_id(as_admin: GQL) -> None:
    first = await as_admin("{ cases(filter: {kind: COMPLAINT, status: [CLOSED]}, first: 1) { nodes { id code } } }")
    node = first["data"]["cases"]["nodes"][0]
    body = await as_admin(
        "query($c: String!, $id: ID!) { case(code: $c) { code complainants { lead fullName citizen { fullName } } } "
        "node(id: $id) { ... on Case { code } } }",
        {"c": node["code"], "id": node["id"]},
    )
    assert body["data"]["case"]["code"] == body["data"]["node"]["code"] == node["code"]
    people = body["data"]["case"]["complainants"]
    assert people[0]["lead"] and people[0]["citizen"]["fullName"] == people[0]["fullName"]
    assert (await as_admin('{ case(code: "KN-1999-000001") { code } }'))["data"]["case"] is None


async def test_second_instance_follows_its_first_instance(as_admin: GQL) -> None:
    body = await as_admin(
        "{ cases(filter: {kind: COMPLAINT}, first: 100) { nodes { code instance receivedAt complainant { personalId } "
        "firstInstance { code status instance concludedAt complainant { personalId } } } } }"
    )
    seconds = [n for n in body["data"]["cases"]["nodes"] if n["instance"] == "SECOND"]
    assert seconds
    for n in seconds:
        parent = n["firstInstance"]
        assert parent["instance"] == "FIRST" and parent["status"] == "SECOND_INSTANCE"
        assert parent["complainant"]["personalId"] == n["complainant"]["personalId"]
        assert parent["concludedAt"] < n["receivedAt"]


async def test_citizen_complaints_never_list_denunciations(as_admin: GQL, seeded: Seeded) -> None:
    store = seeded.stores["complaints"]
    pid, code = (await store.all(select(ds.complainants.c.pid, ds.complainants.c.case_code).limit(1)))[0]
    body = await as_admin(
        "query($p: String!) { citizen(personalId: $p) { complaints { code kind "
        "complainants { citizen { personalId } } } } }",
        {"p": pid},
    )
    mine = body["data"]["citizen"]["complaints"]
    assert code in {c["code"] for c in mine}
    assert all(c["kind"] == "COMPLAINT" for c in mine)
    assert all(pid in {p["citizen"]["personalId"] for p in c["complainants"]} for c in mine)
    # A denouncer's own denunciation does not appear among their complaints.
    token, denouncer = (await store.all(select(ds.denouncer_identities.c.token, ds.denouncer_identities.c.pid)))[0]
    theirs = await as_admin("query($p: String!) { citizen(personalId: $p) { complaints { code } } }", {"p": denouncer})
    tc = await store.scalar(select(ds.cases.c.code).where(ds.cases.c.denouncer_token == token))
    assert tc.startswith("TC-")
    assert tc not in {c["code"] for c in theirs["data"]["citizen"]["complaints"]}


async def test_the_denouncer_is_never_exposed(as_admin: GQL, seeded: Seeded) -> None:
    schema = build_schema()._schema
    case_type = schema.type_map["Case"]
    assert isinstance(case_type, GraphQLObjectType)
    citizen_type = schema.type_map["Citizen"]
    assert isinstance(citizen_type, GraphQLObjectType)
    assert not any("denounc" in name.lower() for name in citizen_type.fields)
    # The one way to the identity is the guarded Case.denouncer (tests/test_authorization_complaints.py);
    # admins get null there, like everyone who is not the resolver, designated staff or the denouncer.
    assert [name for name in case_type.fields if "denounc" in name.lower()] == ["denouncer"]
    store = seeded.stores["complaints"]
    idc, cc = ds.denouncer_identities.c, ds.cases.c
    rows = await store.all(
        select(cc.code, idc.full_name, idc.pid, idc.phone, idc.address).join(
            ds.denouncer_identities, idc.token == cc.denouncer_token
        )
    )
    assert len(rows) == await store.scalar(select(func.count()).where(cc.kind == "DENUNCIATION"))
    secrets = {r.code: r for r in rows}
    nodes = await _all_cases(
        as_admin,
        {"kind": "DENUNCIATION"},
        "code subject complainant { fullName } complainants { fullName } denouncer { fullName }",
    )
    for n in nodes:
        assert n["denouncer"] is None
        r = secrets[n["code"]]
        assert "[đã lược bỏ]" in n["subject"]
        for secret in (r.full_name, r.pid, r.phone, r.address):
            assert not secret or secret not in n["subject"]
        assert n["complainant"] is None and n["complainants"] == []


async def test_statistics_agree_with_the_lists(as_admin: GQL) -> None:
    body = await as_admin(
        'query($u: String!) { caseStatistics(unitCode: $u, unitStructure: "Y2025_07") { unitCode total overdue '
        "byKind { kind count open overdue } byStatus { kind status count overdue } } "
        'all: cases(filter: {unitCode: $u, unitStructure: "Y2025_07"}) { totalCount } '
        'late: cases(filter: {unitCode: $u, unitStructure: "Y2025_07", overdue: true}) { totalCount } '
        'closed: cases(filter: {unitCode: $u, unitStructure: "Y2025_07", kind: COMPLAINT, status: [CLOSED]}) '
        "{ totalCount } }",
        {"u": PILOT_WARD},
    )
    d = body["data"]
    stats = d["caseStatistics"]
    assert stats["total"] == d["all"]["totalCount"] == sum(k["count"] for k in stats["byKind"]) > 0
    assert stats["overdue"] == d["late"]["totalCount"]
    closed = next(s["count"] for s in stats["byStatus"] if s["kind"] == "COMPLAINT" and s["status"] == "CLOSED")
    assert closed == d["closed"]["totalCount"]
    city = await as_admin("{ caseStatistics { total unitCode } cases { totalCount } }")
    assert city["data"]["caseStatistics"]["total"] == city["data"]["cases"]["totalCount"] > stats["total"]


async def test_unit_cases_are_kept_in_the_structure_of_their_time(as_admin: GQL) -> None:
    body = await as_admin(
        '{ now: administrativeUnit(code: "00082") { name cases(first: 5, kind: DENUNCIATION) { totalCount '
        "nodes { code kind receivedAt handlingUnit { code structure } } pageInfo { hasNextPage endCursor } } } "
        'then: administrativeUnit(code: "00082", structure: Y2025_01) { name cases(first: 100) '
        "{ totalCount nodes { receivedAt handlingUnit { structure } } } } "
        'list: cases(filter: {unitCode: "00082", unitStructure: "Y2025_07", kind: DENUNCIATION}) { totalCount } }'
    )
    now, then = body["data"]["now"], body["data"]["then"]
    assert now["name"] == "Phường Cửa Nam" and then["name"] == "Phường Trần Hưng Đạo"
    assert now["cases"]["totalCount"] == body["data"]["list"]["totalCount"] > 5
    nodes = now["cases"]["nodes"]
    assert len(nodes) == 5 and all(n["kind"] == "DENUNCIATION" for n in nodes)
    assert [n["receivedAt"] for n in nodes] == sorted((n["receivedAt"] for n in nodes), reverse=True)
    assert then["cases"]["totalCount"] > 0
    assert all(n["receivedAt"] < "2025-07-01" for n in then["cases"]["nodes"])
    nxt = await as_admin(
        'query($a: String) { administrativeUnit(code: "00082") { cases(first: 5, kind: DENUNCIATION, after: $a) '
        "{ nodes { code receivedAt } pageInfo { hasPreviousPage } } } }",
        {"a": now["cases"]["pageInfo"]["endCursor"]},
    )
    more = nxt["data"]["administrativeUnit"]["cases"]
    assert more["pageInfo"]["hasPreviousPage"]
    assert not {n["code"] for n in more["nodes"]} & {n["code"] for n in nodes}
    assert more["nodes"][0]["receivedAt"] <= nodes[-1]["receivedAt"]


async def test_complaints_store_down_nulls_only_its_fields(client_with_store_down: Any, seeded: Seeded) -> None:
    c = await client_with_store_down("complaints")
    person = seeded.ctx.people[0]
    resp = await c.post(
        "/graphql",
        json={
            "query": "query($p: String!) { citizen(personalId: $p) { fullName complaints { code } } }",
            "variables": {"p": person.pid},
        },
        headers={"Authorization": f"Bearer {token_for(seeded.settings)}"},
    )
    body = resp.json()
    assert body["data"]["citizen"] == {"fullName": person.name.full, "complaints": None}
    err = body["errors"][0]
    assert err["path"] == ["citizen", "complaints"]
    assert err["extensions"]["code"] == "STORE_UNAVAILABLE"
    assert err["extensions"]["store"] == "complaints"


# ---------------------------------------------------------------------------------------------------------
# Batching: the same number of statements for 10 parents as for 100
# ---------------------------------------------------------------------------------------------------------


async def _complainant_pids(seeded: Seeded, n: int) -> list[str]:
    p = ds.complainants.c
    rows = await seeded.stores["complaints"].all(select(p.pid).distinct().order_by(p.pid).limit(n))
    return [r.pid for r in rows]


async def _citizens_complaints(as_admin: GQL, pids: list[str]) -> dict[str, int]:
    parts = " ".join(
        f'c{i}: citizen(personalId: "{pid}") {{ fullName complaints {{ code history {{ status }} '
        "complainant { fullName } complainants { citizen { personalId } } } }"
        for i, pid in enumerate(pids)
    )
    body = await as_admin(f"{{ {parts} }}")
    assert all(body["data"][f"c{i}"]["complaints"] for i in range(len(pids)))
    return {s: statements(body, s) for s in ("complaints", "population")}


async def test_batching_same_statement_count_for_10_and_100_citizens_complaints(as_admin: GQL, seeded: Seeded) -> None:
    pids = await _complainant_pids(seeded, 100)
    ten = await _citizens_complaints(as_admin, pids[:10])
    hundred = await _citizens_complaints(as_admin, pids)
    assert ten == hundred
    # complaints of the citizens, then history and complainants: one statement each
    assert hundred["complaints"] == 3


async def _cases_with_people(as_admin: GQL, n: int) -> dict[str, int]:
    body = await as_admin(
        "query($n: Int!) { cases(filter: {kind: COMPLAINT}, first: $n) { nodes { code "
        "complainant { fullName complaints { code } } complainants { fullName citizen { personalId } } "
        "history { status actor { name } } } } }",
        {"n": n},
    )
    assert len(body["data"]["cases"]["nodes"]) == n
    return {s: statements(body, s) for s in ("complaints", "population")}


async def test_batching_same_statement_count_for_10_and_100_cases_complainants(as_admin: GQL) -> None:
    ten = await _cases_with_people(as_admin, 10)
    hundred = await _cases_with_people(as_admin, 100)
    assert ten == hundred
    # Case.complainant and Complainant.citizen are each guarded by the field policy (an await before the
    # resolver), so their citizen loads may land in two batches: still constant, whatever the page size.
    assert hundred["complaints"] == 4 and hundred["population"] <= 2


async def _units_cases(as_admin: GQL, n: int, structure: str) -> int:
    body = await as_admin(
        "query($n: Int!, $s: UnitStructure) { administrativeUnits(structure: $s, first: $n) { nodes { code "
        "cases(first: 3) { totalCount nodes { code handlingUnit { code } } } } } }",
        {"n": n, "s": structure},
    )
    units = body["data"]["administrativeUnits"]["nodes"]
    assert len(units) == n
    for u in units:
        assert all(c["handlingUnit"]["code"] == u["code"] for c in u["cases"]["nodes"])
        assert len(u["cases"]["nodes"]) == min(3, u["cases"]["totalCount"])
    return statements(body, "complaints")


@pytest.mark.parametrize("structure", ["Y2025_07", "Y2025_01"])
async def test_batching_same_statement_count_for_10_and_100_units_cases(as_admin: GQL, structure: str) -> None:
    ten = await _units_cases(as_admin, 10, structure)
    hundred = await _units_cases(as_admin, 100, structure)
    assert ten == hundred == 2  # the newest cases of every unit, then the counts
