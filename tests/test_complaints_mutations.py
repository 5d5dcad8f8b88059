"""Complaints and denunciations: the case mutations, the status machine, deadlines, roles, the sealed denouncer,
idempotency, atomicity, real parallel filings, and the ``caseUpdated`` subscription over a real WebSocket."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import websockets
from sqlalchemy import func, select, update
from starlette.applications import Starlette
from websockets.typing import Subprotocol

from govgraph.auth.identity import Role
from govgraph.datasources import complaints as ds
from govgraph.datasources.places import gazetteer
from govgraph.domain import complaints as rules
from govgraph.domain.calendar import add_days, is_working_day
from govgraph.events import Event
from govgraph.resolvers import complaints as resolvers
from govgraph.resolvers import mutation
from govgraph.schema import build_schema
from govgraph.seed.complaints import PILOT_UNITS
from tests.conftest import GQL, Seeded, token_for

S = rules.CaseStatus
K, DN = rules.CaseKind.COMPLAINT, rules.CaseKind.DENUNCIATION
UNIT = "00091"  # a ward with no seeded cases, so read tests are unaffected
OTHER_UNIT = "00097"
CASE_FIELDS = """code kind status complexity extensions outcome subject acceptedAt concludedAt
  inspector { staffId name } deadlines { acceptBy resolveBy acceptanceDaysLate extensionsAllowed }
  history { status note actor { staffId name } } complainants { fullName }"""

FILE = f"""
mutation($in: CaseFileInput!) {{
  caseFile(input: $in) {{ case {{ {CASE_FIELDS} }} userErrors {{ field message code }} }}
}}"""


def step_query(name: str, input_type: str, extra: str = "") -> str:
    return f"""
mutation($in: {input_type}!) {{
  {name}(input: $in) {{ case {{ {CASE_FIELDS} }} {extra} userErrors {{ field message code }} }}
}}"""


@dataclass(frozen=True)
class Mut:
    """A step mutation: its input type, the fields it needs, and the status it leads to."""

    name: str
    input_type: str
    fields: dict[str, Any]
    target: Callable[[rules.CaseKind], rules.CaseStatus]
    sources: frozenset[rules.CaseStatus] | None = None


def to(s: rules.CaseStatus) -> Callable[[rules.CaseKind], rules.CaseStatus]:
    return lambda kind: s


STEPS: list[Mut] = [
    Mut("caseClassify", "CaseClassifyInput", {}, to(S.CLASSIFYING)),
    Mut("caseAccept", "CaseAcceptInput", {"complexity": "ESPECIALLY_COMPLEX"}, to(S.ACCEPTED)),
    Mut("caseRefuse", "CaseRefuseInput", {"reason": "Quá thời hiệu khiếu nại"}, to(S.NOT_ACCEPTED)),
    Mut("caseTransfer", "CaseTransferInput", {"toAgency": "Thanh tra Thành phố"}, to(S.TRANSFERRED)),
    Mut("caseGuide", "CaseGuideInput", {"toAgency": "Tòa án nhân dân"}, to(S.GUIDED)),
    Mut("caseStartVerification", "CaseStartVerificationInput", {}, to(S.VERIFYING), frozenset({S.ACCEPTED})),
    Mut("caseExtend", "CaseExtendInput", {"reason": "Xác minh tại 3 địa điểm"}, to(S.EXTENDED)),
    Mut("caseStartDialogue", "CaseStartDialogueInput", {}, to(S.DIALOGUE)),
    Mut(
        "caseConclude",
        "CaseConcludeInput",
        {"summary": "Khiếu nại đúng một phần"},
        lambda k: S.DECIDED if k is K else S.CONCLUDED,
    ),
    Mut("caseHandleConclusion", "CaseHandleConclusionInput", {}, to(S.HANDLING_CONCLUSION)),
    Mut("casePublish", "CasePublishInput", {}, to(S.PUBLISHED)),
    Mut("caseClose", "CaseCloseInput", {}, to(S.CLOSED)),
    Mut("caseSuspend", "CaseSuspendInput", {"reason": "Chờ kết quả giám định"}, to(S.SUSPENDED)),
    Mut("caseResume", "CaseResumeInput", {}, to(S.VERIFYING), frozenset({S.SUSPENDED})),
    Mut("caseTerminate", "CaseTerminateInput", {"reason": "Người khiếu nại chết"}, to(S.TERMINATED)),
    Mut("caseWithdraw", "CaseWithdrawInput", {"note": "Đơn rút có chữ ký ngày 20/11"}, to(S.WITHDRAWN)),
    Mut("caseRecordLawsuit", "CaseRecordLawsuitInput", {}, to(S.LITIGATION)),
]
BY_NAME = {m.name: m for m in STEPS}


# ---------------------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------------------


def today() -> dt.date:
    return ds.hanoi_today()


def people(seeded: Seeded, n: int, skip: int = 0) -> list[str]:
    """Adults living outside the pilot wards (no seeded complaints), from the end of the register."""
    cutoff = today() - dt.timedelta(days=20 * 366)
    found = [p.pid for p in reversed(seeded.ctx.people) if p.unit not in PILOT_UNITS and p.dob <= cutoff]
    return found[skip : skip + n]


def officer(as_role: Callable[..., GQL], unit: str = UNIT) -> GQL:
    return as_role(Role.OFFICER, subject="TCD-T-01", unit=unit, domains=("complaints",))


def complaint_input(pid: str | None = None, **over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "kind": "COMPLAINT",
        "unitCode": UNIT,
        "subject": "Khiếu nại quyết định xử phạt vi phạm hành chính về trật tự xây dựng",
        "petitioner": {"personalId": pid} if pid else {"fullName": "Trần Văn Khiếu"},
        "contestedAct": "Quyết định số 12/QĐ-XPHC",
        "contestedOn": (today() - dt.timedelta(days=20)).isoformat(),
    }
    return {**base, **over}


def denunciation_input(petitioner: dict[str, Any], **over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "kind": "DENUNCIATION",
        "unitCode": UNIT,
        "subject": "Tố cáo cán bộ địa chính thu tiền ngoài quy định khi giải quyết hồ sơ đất đai",
        "petitioner": petitioner,
    }
    return {**base, **over}


async def file(gql: GQL, data: dict[str, Any], **kw: Any) -> dict[str, Any]:
    body = await gql(FILE, {"in": data}, **kw)
    payload: dict[str, Any] = body["data"]["caseFile"]
    return payload


async def run_step(gql: GQL, name: str, code: str, **fields: Any) -> dict[str, Any]:
    m = BY_NAME.get(name)
    input_type = m.input_type if m else {"caseAssign": "CaseAssignInput"}[name]
    extra = "acceptedLateDays" if name == "caseAccept" else ""
    data = {**(m.fields if m else {}), **fields, "code": code}
    body = await gql(step_query(name, input_type, extra), {"in": data})
    payload: dict[str, Any] = body["data"][name]
    return payload


def ok(payload: dict[str, Any]) -> dict[str, Any]:
    assert payload["userErrors"] == [], payload["userErrors"]
    case: dict[str, Any] = payload["case"]
    return case


async def set_case(seeded: Seeded, code: str, **values: Any) -> None:
    """Put a case directly into a state (test set-up for the transition matrix)."""
    async with seeded.stores["complaints"].begin() as conn:
        await conn.execute(update(ds.cases).where(ds.cases.c.code == code).values(**values))


async def count(seeded: Seeded, table: Any, *where: Any) -> int:
    return int(await seeded.stores["complaints"].scalar(select(func.count()).select_from(table).where(*where)))


async def status_of(seeded: Seeded, code: str) -> str:
    return str(await seeded.stores["complaints"].scalar(select(ds.cases.c.status).where(ds.cases.c.code == code)))


def drain(sub: Any) -> list[Event]:
    out = []
    while not sub.queue.empty():
        out.append(sub.queue.get_nowait())
    return out


async def accepted_case(gql: GQL, data: dict[str, Any], **accept: Any) -> str:
    code = str(ok(await file(gql, data))["code"])
    ok(await run_step(gql, "caseClassify", code))
    ok(await run_step(gql, "caseAccept", code, **accept))
    return code


# ---------------------------------------------------------------------------------------------------------
# Filing
# ---------------------------------------------------------------------------------------------------------


async def test_citizen_files_own_complaint_and_the_event_follows_commit(
    as_role: Callable[..., GQL], seeded: Seeded, app: Starlette
) -> None:
    pid = people(seeded, 1)[0]
    sub = app.state.bus.subscribe(["complaints."])
    case = ok(await file(as_role(Role.CITIZEN, subject=pid), complaint_input(pid)))
    assert re.fullmatch(rf"KN-{today().year}-\d{{6}}", case["code"])
    assert case["status"] == "RECEIVED" and case["kind"] == "COMPLAINT"
    assert case["complainants"] == [{"fullName": seeded.ctx.by_pid[pid].name.full}]
    assert [h["status"] for h in case["history"]] == ["RECEIVED"]
    assert case["deadlines"]["acceptBy"] == rules.accept_by(K, today()).isoformat()
    events = drain(sub)
    assert [e.topic for e in events] == ["complaints.case.filed"]
    payload = events[0].payload
    assert payload["code"] == case["code"] and payload["kind"] == "COMPLAINT" and payload["status"] == "RECEIVED"
    assert payload["unit_code"] == UNIT and payload["inspector_id"] is None
    assert seeded.ctx.by_pid[pid].name.full not in json.dumps(payload, ensure_ascii=False)
    sub.close()


async def test_reception_desk_files_on_someones_behalf(as_role: Callable[..., GQL], seeded: Seeded) -> None:
    pid = people(seeded, 1, skip=1)[0]
    case = ok(await file(officer(as_role), complaint_input(pid, agencyName="Chủ tịch UBND phường Thử")))
    assert case["history"][0]["actor"]["staffId"] == "TCD-T-01"
    assert case["complainants"][0]["fullName"] == seeded.ctx.by_pid[pid].name.full


async def test_denouncer_identity_is_sealed_and_never_returned_or_published(
    as_role: Callable[..., GQL], as_admin: GQL, seeded: Seeded, app: Starlette, client: Any
) -> None:
    pid = people(seeded, 1, skip=2)[0]
    person = seeded.ctx.by_pid[pid]
    name, phone = person.name.full, "0912 345 678"
    secrets_ = [name, pid, "0912345678", "0912 345 678", "Số 7 ngõ Bí Mật"]
    sub = app.state.bus.subscribe(["complaints."])
    token = token_for(seeded.settings, Role.CITIZEN, subject=pid)
    data = denunciation_input(
        {"personalId": pid, "phone": phone, "address": "Số 7 ngõ Bí Mật"},
        subject=f"Tôi là {name}, số định danh {pid}, điện thoại {phone}, tố cáo cán bộ thu tiền trái phép.",
    )
    resp = await client.post(
        "/graphql", json={"query": FILE, "variables": {"in": data}}, headers={"Authorization": f"Bearer {token}"}
    )
    raw = resp.text
    for secret in secrets_:
        assert secret not in raw
    case = ok(resp.json()["data"]["caseFile"])
    code = case["code"]
    assert code.startswith("TC-") and rules.REDACTED in case["subject"]
    assert case["complainants"] == [] and case["history"][0]["actor"]["staffId"] == resolvers.DENOUNCER_ACTOR[0]
    # the identity is in the sealed table, under the case's opaque token, and nowhere else in the store
    store = seeded.stores["complaints"]
    tok = await store.scalar(select(ds.cases.c.denouncer_token).where(ds.cases.c.code == code))
    assert tok and re.fullmatch(r"[0-9a-f]{32}", tok)
    sealed = (await store.all(select(ds.denouncer_identities).where(ds.denouncer_identities.c.token == tok)))[0]
    assert (sealed.pid, sealed.full_name, sealed.phone) == (pid, name, "0912345678")
    assert await count(seeded, ds.complainants, ds.complainants.c.case_code == code) == 0
    # the whole life of the case: nothing in any payload or event names the denouncer
    staff = as_role(Role.OFFICER, subject="TCD-T-01", unit=UNIT, domains=("complaints",))
    inspector = as_role(Role.INSPECTOR, subject="TTr-T-09")
    ok(await run_step(staff, "caseClassify", code, note=f"Đơn của {name}"))
    ok(await run_step(staff, "caseAccept", code, complexity="COMPLEX"))
    ok(await run_step(staff, "caseAssign", code, inspectorId="TTr-T-09", inspectorName="Lê Thanh Tra"))
    ok(await run_step(inspector, "caseStartVerification", code))
    ok(await run_step(staff, "caseExtend", code, reason=f"Cần xác minh thêm với ông {name}"))
    ok(await run_step(inspector, "caseConclude", code, summary=f"Tố cáo của {name} ({pid}) đúng một phần"))
    full = await as_admin(
        "query($c: String!) { case(code: $c) { subject outcome history { note actor { staffId name } } } }",
        {"c": code},
    )
    raw_all = json.dumps(full, ensure_ascii=False)
    events = json.dumps([e.payload for e in drain(sub)], ensure_ascii=False)
    for secret in secrets_:
        assert secret not in raw_all and secret not in events
    assert rules.REDACTED in full["data"]["case"]["outcome"]
    sub.close()


async def test_complaint_time_limit_is_90_days_moved_off_weekends_and_holidays(
    as_role: Callable[..., GQL], seeded: Seeded
) -> None:
    """Day 90 on a weekend or holiday: the limit moves to the next working day; a day later it has expired."""
    staff = officer(as_role)
    window = [today() - dt.timedelta(days=d) for d in range(350, 95, -1)]
    weekend = next(d for d in window if add_days(d, 90).weekday() == 5)
    holiday = next(d for d in window if add_days(d, 90).weekday() < 5 and not is_working_day(add_days(d, 90)))
    for contested in (weekend, holiday):
        limit = rules.complaint_time_limit(contested)
        assert limit > add_days(contested, 90) and is_working_day(limit)
        data = complaint_input(contestedOn=contested.isoformat(), receivedOn=limit.isoformat())
        assert ok(await file(staff, data))["status"] == "RECEIVED"
        late = {**data, "receivedOn": (limit + dt.timedelta(days=1)).isoformat()}
        payload = await file(staff, late)
        assert payload["case"] is None
        err = payload["userErrors"][0]
        assert (err["code"], err["field"]) == ("TIME_LIMIT_EXPIRED", ["input", "contestedOn"])
        assert limit.isoformat() in err["message"]


@pytest.mark.parametrize("kind", [K, DN])
async def test_acceptance_deadline_across_days_off_and_late_acceptance_is_recorded(
    as_role: Callable[..., GQL], seeded: Seeded, kind: rules.CaseKind
) -> None:
    staff = officer(as_role)
    window = [today() - dt.timedelta(days=d) for d in range(300, 30, -1)]
    if kind is K:  # 10 calendar days ending on a day off
        received = next(d for d in window if not is_working_day(add_days(d, 10)))
    else:  # 7 working days spanning a public holiday (not only weekends)
        received = next(
            d
            for d in window
            if any(
                not is_working_day(d + dt.timedelta(days=i)) and (d + dt.timedelta(days=i)).weekday() < 5
                for i in range(1, 10)
            )
        )
    due = rules.accept_by(kind, received)
    petitioner = {"fullName": "Phạm Thị Đơn"}
    data = (
        complaint_input(receivedOn=received.isoformat(), contestedOn=(received - dt.timedelta(days=5)).isoformat())
        if kind is K
        else denunciation_input(petitioner, receivedOn=received.isoformat())
    )
    on_time = str(ok(await file(staff, data))["code"])
    ok(await run_step(staff, "caseClassify", on_time))
    payload = await run_step(staff, "caseAccept", on_time, acceptedOn=due.isoformat())
    case = ok(payload)
    assert payload["acceptedLateDays"] == 0 and case["deadlines"]["acceptanceDaysLate"] == 0
    assert case["acceptedAt"].startswith(due.isoformat())
    assert case["history"][-1]["status"] == "ACCEPTED"
    assert case["history"][-1]["note"] == f"Quyết định thụ lý ngày {due:%d/%m/%Y}"
    late_day = due + dt.timedelta(days=3)
    late = str(ok(await file(staff, data))["code"])
    ok(await run_step(staff, "caseClassify", late))
    payload = await run_step(staff, "caseAccept", late, acceptedOn=late_day.isoformat())
    case = ok(payload)
    assert payload["acceptedLateDays"] == 3 and case["status"] == "ACCEPTED"
    assert case["history"][-1]["note"].startswith(f"Thụ lý quá hạn 3 ngày (hạn thụ lý {due:%d/%m/%Y}). ")
    # the resolution clock starts on the day actually accepted
    assert (
        case["deadlines"]["resolveBy"]
        == rules.resolve_by(
            kind, rules.Instance.FIRST if kind is K else None, rules.Complexity.ESPECIALLY_COMPLEX, False, 0, late_day
        ).isoformat()
    )
    # an acceptance dated before the receipt, or in the future, is refused
    other = str(ok(await file(staff, data))["code"])
    ok(await run_step(staff, "caseClassify", other))
    for bad in (received - dt.timedelta(days=1), today() + dt.timedelta(days=1)):
        err = (await run_step(staff, "caseAccept", other, acceptedOn=bad.isoformat()))["userErrors"][0]
        assert err["field"] == ["input", "acceptedOn"]
    assert await status_of(seeded, other) == "CLASSIFYING"


# ---------------------------------------------------------------------------------------------------------
# Life cycles and the status machine
# ---------------------------------------------------------------------------------------------------------


async def test_complaint_life_cycle_with_the_assigned_inspector(
    as_role: Callable[..., GQL], seeded: Seeded, app: Starlette
) -> None:
    staff = officer(as_role)
    inspector = as_role(Role.INSPECTOR, subject="TTr-T-01")
    sub = app.state.bus.subscribe(["complaints."])
    code = await accepted_case(staff, complaint_input(), complexity="COMPLEX", remoteArea=True)
    assigned = ok(await run_step(staff, "caseAssign", code, inspectorId="TTr-T-01", inspectorName="Ngô Văn Tra"))
    assert assigned["inspector"] == {"staffId": "TTr-T-01", "name": "Ngô Văn Tra"}
    assert assigned["status"] == "ACCEPTED" and assigned["history"][-1]["note"].startswith("Giao xác minh")
    ok(await run_step(inspector, "caseStartVerification", code))
    ok(await run_step(inspector, "caseStartDialogue", code))
    decided = ok(await run_step(inspector, "caseConclude", code, summary="Giữ nguyên quyết định"))
    assert decided["status"] == "DECIDED" and decided["outcome"] == "Giữ nguyên quyết định" and decided["concludedAt"]
    assert decided["history"][-1]["actor"] == {"staffId": "TTr-T-01", "name": "Ngô Văn Tra"}
    ok(await run_step(staff, "casePublish", code))
    closed = ok(await run_step(staff, "caseClose", code))
    assert [h["status"] for h in closed["history"]] == [
        "RECEIVED", "CLASSIFYING", "ACCEPTED", "ACCEPTED", "VERIFYING", "DIALOGUE", "DECIDED", "PUBLISHED", "CLOSED",
    ]  # fmt: skip
    # 60 days: first instance, complex, remote area (Art. 28)
    accepted_on = dt.date.fromisoformat(closed["acceptedAt"][:10])
    assert closed["deadlines"]["resolveBy"] == rules.period_end(accepted_on, 60).isoformat()
    verbs = [e.topic.rsplit(".", 1)[1] for e in drain(sub) if e.payload["code"] == code]
    assert verbs == [
        "filed", "classified", "accepted", "assigned", "verification_started", "dialogue_started", "concluded",
        "published", "closed",
    ]  # fmt: skip
    sub.close()


@pytest.mark.parametrize(
    ("complexity", "allowed", "code"),
    [("NORMAL", 0, "EXTENSION_NOT_ALLOWED"), ("COMPLEX", 1, "EXTENSION_NOT_ALLOWED"),
     ("ESPECIALLY_COMPLEX", 2, "EXTENSION_LIMIT")],
)  # fmt: skip
async def test_denunciation_extensions_are_capped_by_complexity(
    as_role: Callable[..., GQL], seeded: Seeded, complexity: str, allowed: int, code: str
) -> None:
    staff = officer(as_role)
    # accepted on a day whose +30, +60, +90 are computed by the rule (crossing days off where they fall)
    case_code = await accepted_case(staff, denunciation_input({"fullName": "Vũ Văn Báo"}), complexity=complexity)
    ok(await run_step(staff, "caseAssign", case_code, inspectorId="TTr-T-02", inspectorName="Đỗ Thị Xét"))
    case = ok(await run_step(staff, "caseStartVerification", case_code))
    accepted_on = dt.date.fromisoformat(case["acceptedAt"][:10])
    assert case["deadlines"]["extensionsAllowed"] == allowed
    for n in range(1, allowed + 1):
        case = ok(await run_step(staff, "caseExtend", case_code))
        assert (case["status"], case["extensions"]) == ("EXTENDED", n)
        assert case["deadlines"]["resolveBy"] == rules.period_end(accepted_on, 30 + 30 * n).isoformat()
    refused = await run_step(staff, "caseExtend", case_code)
    assert refused["case"] is None and refused["userErrors"][0]["code"] == code
    row = (await seeded.stores["complaints"].all(select(ds.cases).where(ds.cases.c.code == case_code)))[0]
    assert row.extensions == allowed


async def test_a_third_extension_is_refused_even_if_the_row_was_forced(
    as_role: Callable[..., GQL], seeded: Seeded
) -> None:
    staff = officer(as_role)
    code = await accepted_case(staff, denunciation_input({"fullName": "Vũ Văn Ba"}), complexity="ESPECIALLY_COMPLEX")
    await set_case(seeded, code, status="EXTENDED", extensions=2)
    refused = await run_step(staff, "caseExtend", code)
    assert refused["userErrors"][0]["code"] == "EXTENSION_LIMIT" and "at most 2" in refused["userErrors"][0]["message"]


async def test_complaints_are_never_extended(as_role: Callable[..., GQL], seeded: Seeded) -> None:
    staff = officer(as_role)
    code = await accepted_case(staff, complaint_input(), complexity="ESPECIALLY_COMPLEX")
    ok(await run_step(staff, "caseAssign", code, inspectorId="TTr-T-02", inspectorName="Đỗ Thị Xét"))
    ok(await run_step(staff, "caseStartVerification", code))
    refused = await run_step(staff, "caseExtend", code)
    assert refused["userErrors"][0]["code"] == "NOT_EXTENDABLE"
    assert await status_of(seeded, code) == "VERIFYING"


@pytest.mark.parametrize("kind", [K, DN])
async def test_every_transition_allowed_and_forbidden(
    as_role: Callable[..., GQL], seeded: Seeded, kind: rules.CaseKind
) -> None:
    """Each step from each status the kind can take: allowed exactly when the status machine allows it;
    otherwise INVALID_TRANSITION naming the current status, and nothing changes."""
    staff = officer(as_role)
    data = complaint_input() if kind is K else denunciation_input({"fullName": "Hoàng Văn Tố"})
    code = str(ok(await file(staff, data))["code"])
    checked = 0
    for current in sorted(rules.allowed_statuses(kind), key=lambda s: s.name):
        for m in STEPS:
            await set_case(seeded, code, status=current.name, inspector_id="TTr-T-03", inspector_name="Tạ Văn Kiểm",
                           complexity="ESPECIALLY_COMPLEX", extensions=0)  # fmt: skip
            target = m.target(kind)
            allowed = rules.can_change(kind, current, target) and (m.sources is None or current in m.sources)
            payload = await run_step(staff, m.name, code)
            if allowed:
                assert payload["userErrors"] == [], (current, m.name, payload["userErrors"])
                assert payload["case"]["status"] == target.name
            elif m.name == "caseExtend" and kind is K:
                assert payload["userErrors"][0]["code"] == "NOT_EXTENDABLE"
                assert await status_of(seeded, code) == current.name
            else:
                err = payload["userErrors"][0]
                assert err["code"] == "INVALID_TRANSITION", (current, m.name, err)
                assert current.name in err["message"] and payload["case"] is None
                assert await status_of(seeded, code) == current.name
            checked += 1
    assert checked == len(rules.allowed_statuses(kind)) * len(STEPS)


async def test_assignment_only_while_the_case_is_open(as_role: Callable[..., GQL], seeded: Seeded) -> None:
    staff = officer(as_role)
    code = str(ok(await file(staff, complaint_input()))["code"])
    for status in rules.CaseStatus:
        if status not in rules.allowed_statuses(K):
            continue
        await set_case(seeded, code, status=status.name)
        payload = await run_step(staff, "caseAssign", code, inspectorId="TTr-T-04", inspectorName="Lý Thị Soát")
        if status.phase is rules.Phase.DONE:
            assert payload["userErrors"][0]["code"] == "INVALID_TRANSITION"
            assert status.name in payload["userErrors"][0]["message"]
        else:
            assert ok(payload)["status"] == status.name


async def test_verification_needs_an_assigned_inspector(as_role: Callable[..., GQL], seeded: Seeded) -> None:
    staff = officer(as_role)
    code = await accepted_case(staff, complaint_input())
    assert (await run_step(staff, "caseStartVerification", code))["userErrors"][0]["code"] == "NO_INSPECTOR"


async def test_second_instance_complaint(as_role: Callable[..., GQL], seeded: Seeded) -> None:
    staff = officer(as_role)
    pid, stranger = people(seeded, 2, skip=3)
    citizen = as_role(Role.CITIZEN, subject=pid)
    first = await accepted_case(staff, complaint_input(pid))
    again = complaint_input(pid, firstInstanceCode=first, unitCode=UNIT, contestedAct=None, contestedOn=None)
    not_yet = await file(citizen, again)
    assert (
        not_yet["userErrors"][0]["code"] == "INVALID_TRANSITION" and "ACCEPTED" in not_yet["userErrors"][0]["message"]
    )
    await set_case(seeded, first, status="DECIDED", concluded_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=3))
    other = await as_role(Role.CITIZEN, subject=stranger)(
        FILE, {"in": {**again, "petitioner": {"personalId": stranger}}}
    )
    assert other["data"]["caseFile"]["userErrors"][0]["code"] == "NOT_COMPLAINANT"
    second = ok(await file(citizen, again))
    assert second["status"] == "RECEIVED" and await status_of(seeded, first) == "SECOND_INSTANCE"
    # more than 30 days after the first decision: too late
    first2 = await accepted_case(staff, complaint_input(pid))
    await set_case(seeded, first2, status="DECIDED", concluded_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=45))
    late = await file(citizen, {**again, "firstInstanceCode": first2})
    assert late["userErrors"][0]["code"] == "TIME_LIMIT_EXPIRED"
    assert await status_of(seeded, first2) == "DECIDED"


# ---------------------------------------------------------------------------------------------------------
# Withdrawal
# ---------------------------------------------------------------------------------------------------------


async def test_citizens_withdraw_their_own_complaint_and_denunciation_only(
    as_role: Callable[..., GQL], seeded: Seeded
) -> None:
    me, other = people(seeded, 2, skip=5)
    mine = as_role(Role.CITIZEN, subject=me)
    theirs = as_role(Role.CITIZEN, subject=other)
    complaint = str(ok(await file(mine, complaint_input(me)))["code"])
    denunciation = str(ok(await file(mine, denunciation_input({"personalId": me})))["code"])
    for code in (complaint, denunciation):
        body = await theirs(step_query("caseWithdraw", "CaseWithdrawInput"), {"in": {"code": code}}, expect_errors=True)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert "own complaint or denunciation" in body["errors"][0]["message"]
        assert await status_of(seeded, code) == "RECEIVED"
        case = ok(await run_step(mine, "caseWithdraw", code, note=None))
        assert case["status"] == "WITHDRAWN" and case["concludedAt"]
    again = await run_step(mine, "caseWithdraw", complaint, note=None)
    assert again["userErrors"][0]["code"] == "INVALID_TRANSITION" and "WITHDRAWN" in again["userErrors"][0]["message"]
    body = await mine(
        step_query("caseWithdraw", "CaseWithdrawInput"),
        {"in": {"code": denunciation, "continueHandling": True}},
        expect_errors=True,
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_officer_records_a_signed_withdrawal_or_continues_a_denunciation(
    as_role: Callable[..., GQL], seeded: Seeded, app: Starlette
) -> None:
    staff = officer(as_role)
    den = await accepted_case(staff, denunciation_input({"fullName": "Đinh Văn Rút"}))
    missing = await run_step(staff, "caseWithdraw", den, note=None)
    assert missing["userErrors"][0] == {"field": ["input", "note"], "message": "`note` is required", "code": "REQUIRED"}
    sub = app.state.bus.subscribe(["complaints."])
    kept = ok(await run_step(staff, "caseWithdraw", den, note="Có dấu hiệu vi phạm rõ", continueHandling=True))
    assert kept["status"] == "ACCEPTED" and "tiếp tục giải quyết" in kept["history"][-1]["note"]
    assert [e.topic for e in drain(sub)] == ["complaints.case.withdrawal_overridden"]
    sub.close()
    comp = await accepted_case(staff, complaint_input())
    refused = await run_step(staff, "caseWithdraw", comp, note="Đơn rút", continueHandling=True)
    assert refused["userErrors"][0]["code"] == "NOT_CONTINUABLE"
    assert ok(await run_step(staff, "caseWithdraw", comp, note="Đơn rút ngày 26/11"))["status"] == "WITHDRAWN"


# ---------------------------------------------------------------------------------------------------------
# Roles
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "claims"),
    [
        (Role.CITIZEN, {"subject": "001087123456"}),  # someone else
        (Role.OFFICER, {"unit": UNIT, "domains": ("services",)}),  # not a complaints officer
        (Role.OFFICER, {"unit": OTHER_UNIT, "domains": ("complaints",)}),  # another unit
        (Role.INSPECTOR, {"subject": "TTr-T-05"}),
        (Role.TEACHER, {}),
        (Role.DEVICE, {}),
        (Role.OPERATOR, {}),
    ],
)
async def test_who_may_not_file(
    as_role: Callable[..., GQL], seeded: Seeded, role: Role, claims: dict[str, Any]
) -> None:
    pid = people(seeded, 1, skip=7)[0]
    before = await count(seeded, ds.cases)
    body = await as_role(role, **claims)(FILE, {"in": complaint_input(pid)}, expect_errors=True)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await count(seeded, ds.cases) == before


async def test_step_roles(as_role: Callable[..., GQL], seeded: Seeded) -> None:
    staff = officer(as_role)
    code = await accepted_case(staff, complaint_input())
    ok(await run_step(staff, "caseAssign", code, inspectorId="TTr-T-06", inspectorName="Mai Văn Tra"))
    forbidden = [
        (as_role(Role.CITIZEN, subject=people(seeded, 1)[0]), "caseStartVerification"),
        (as_role(Role.OFFICER, subject="x", unit=OTHER_UNIT, domains=("complaints",)), "caseStartVerification"),
        (as_role(Role.OFFICER, subject="x", unit=UNIT, domains=("population",)), "caseStartVerification"),
        (as_role(Role.INSPECTOR, subject="TTr-T-07"), "caseStartVerification"),  # not assigned to them
        (as_role(Role.INSPECTOR, subject="TTr-T-06"), "caseSuspend"),  # not a verification/conclusion step
        (as_role(Role.INSPECTOR, subject="TTr-T-06"), "caseAssign"),
        (as_role(Role.OPERATOR), "caseStartVerification"),
        (as_role(Role.DEVICE), "caseStartVerification"),
    ]
    for gql, name in forbidden:
        fields = {"inspectorId": "TTr-T-07", "inspectorName": "X"} if name == "caseAssign" else BY_NAME[name].fields
        input_type = "CaseAssignInput" if name == "caseAssign" else BY_NAME[name].input_type
        body = await gql(step_query(name, input_type), {"in": {**fields, "code": code}}, expect_errors=True)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", (name, body)
        assert await status_of(seeded, code) == "ACCEPTED"
    assert ok(await run_step(as_role(Role.INSPECTOR, subject="TTr-T-06"), "caseStartVerification", code))
    assert ok(await run_step(as_role(Role.ADMIN), "caseSuspend", code))["status"] == "SUSPENDED"


# ---------------------------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"unitCode": "99999"}, ["input", "unitCode"], "NOT_FOUND"),
        ({"subject": "ngắn"}, ["input", "subject"], "INVALID"),
        ({"petitioner": {"personalId": "12345"}}, ["input", "petitioner", "personalId"], "INVALID"),
        ({"petitioner": {"personalId": "001099999999"}}, ["input", "petitioner", "personalId"], "NOT_FOUND"),
        ({"petitioner": {}}, ["input", "petitioner", "fullName"], "REQUIRED"),
        ({"petitioner": {"fullName": "A", "phone": "0112"}}, ["input", "petitioner", "phone"], "INVALID"),
        ({"contestedOn": None}, ["input", "contestedOn"], "REQUIRED"),
        ({"contestedAct": " "}, ["input", "contestedAct"], "REQUIRED"),
        ({"contestedOn": "2031-01-01"}, ["input", "contestedOn"], "INVALID"),
        ({"receivedOn": "2031-01-01"}, ["input", "receivedOn"], "INVALID"),
        ({"receivedOn": "2020-01-01"}, ["input", "receivedOn"], "INVALID"),
        ({"kind": "DENUNCIATION"}, ["input", "contestedAct"], "INVALID"),
        ({"firstInstanceCode": "KN-2020-999999"}, ["input", "firstInstanceCode"], "NOT_FOUND"),
    ],
)
async def test_bad_filing_input_is_a_user_error_and_writes_nothing(
    as_admin: GQL, seeded: Seeded, change: dict[str, Any], field: list[str], code: str
) -> None:
    before = (await count(seeded, ds.cases), await count(seeded, ds.case_events),
              await count(seeded, ds.denouncer_identities))  # fmt: skip
    payload = await file(as_admin, {**complaint_input(), **change})
    assert payload["case"] is None
    assert any(e["field"] == field and e["code"] == code for e in payload["userErrors"]), payload["userErrors"]
    after = (await count(seeded, ds.cases), await count(seeded, ds.case_events),
             await count(seeded, ds.denouncer_identities))  # fmt: skip
    assert after == before


async def test_a_citizen_may_not_date_the_receipt(as_role: Callable[..., GQL], seeded: Seeded) -> None:
    pid = people(seeded, 1, skip=9)[0]
    payload = await file(as_role(Role.CITIZEN, subject=pid), complaint_input(pid, receivedOn=today().isoformat()))
    assert payload["userErrors"][0]["code"] == "NOT_ALLOWED"


@pytest.mark.parametrize(
    ("name", "fields", "field", "code"),
    [
        ("caseClassify", {"code": "nonsense"}, ["input", "code"], "INVALID"),
        ("caseClassify", {"code": "KN-2020-999999"}, ["input", "code"], "NOT_FOUND"),
        ("caseRefuse", {"reason": "  "}, ["input", "reason"], "REQUIRED"),
        ("caseRefuse", {"reason": "x" * 2001}, ["input", "reason"], "TOO_LONG"),
        ("caseTransfer", {"toAgency": ""}, ["input", "toAgency"], "REQUIRED"),
        (
            "caseAssign",
            {"inspectorId": "bad id with spaces", "inspectorName": "A"},
            ["input", "inspectorId"],
            "INVALID",
        ),
        ("caseAssign", {"inspectorId": "TTr-1", "inspectorName": ""}, ["input", "inspectorName"], "REQUIRED"),
    ],
)
async def test_bad_step_input(
    as_role: Callable[..., GQL], seeded: Seeded, name: str, fields: dict[str, Any], field: list[str], code: str
) -> None:
    staff = officer(as_role)
    case_code = str(ok(await file(staff, complaint_input()))["code"])
    await set_case(seeded, case_code, status="CLASSIFYING")
    m = BY_NAME.get(name)
    input_type = m.input_type if m else "CaseAssignInput"
    body = await staff(step_query(name, input_type), {"in": {"code": case_code, **fields}})
    err = body["data"][name]["userErrors"][0]
    assert (err["field"], err["code"]) == (field, code)
    assert await status_of(seeded, case_code) == "CLASSIFYING"


# ---------------------------------------------------------------------------------------------------------
# Idempotency and atomicity
# ---------------------------------------------------------------------------------------------------------


async def test_retry_with_the_same_key_files_once(as_role: Callable[..., GQL], seeded: Seeded, app: Starlette) -> None:
    staff = officer(as_role)
    sub = app.state.bus.subscribe(["complaints."])
    before = await count(seeded, ds.cases)
    data = {**complaint_input(), "idempotencyKey": "file-once"}
    first = ok(await file(staff, data))
    again = ok(await file(staff, data))
    assert first == again and await count(seeded, ds.cases) == before + 1
    assert len(drain(sub)) == 1
    other = await file(staff, {**data, "subject": "Một nội dung khiếu nại khác hẳn"})
    assert other["userErrors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert await count(seeded, ds.cases) == before + 1
    # steps too: a retried extension extends once
    code = await accepted_case(staff, denunciation_input({"fullName": "Lâm Văn Lặp"}), complexity="ESPECIALLY_COMPLEX")
    ok(await run_step(staff, "caseAssign", code, inspectorId="TTr-T-08", inspectorName="Tô Thị Tra"))
    ok(await run_step(staff, "caseStartVerification", code))
    for _ in range(3):
        assert ok(await run_step(staff, "caseExtend", code, idempotencyKey="ext-1"))["extensions"] == 1
    sub.close()


async def test_a_failure_in_the_middle_of_filing_leaves_nothing(
    as_role: Callable[..., GQL], seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    staff = officer(as_role)
    base = (await count(seeded, ds.cases), await count(seeded, ds.denouncer_identities),
            await count(seeded, ds.case_events))  # fmt: skip
    last = ok(await file(staff, denunciation_input({"fullName": "Kha Văn Trước"})))["code"]

    async def explode(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("crash after the case and the sealed identity were written, before commit")

    monkeypatch.setattr(ds, "append_event", explode)
    body = await staff(FILE, {"in": denunciation_input({"fullName": "Kha Văn Giữa"})}, expect_errors=True)
    assert body["errors"]
    monkeypatch.undo()
    assert (await count(seeded, ds.cases), await count(seeded, ds.denouncer_identities),
            await count(seeded, ds.case_events)) == (base[0] + 1, base[1] + 1, base[2] + 1)  # fmt: skip
    nxt = ok(await file(staff, denunciation_input({"fullName": "Kha Văn Sau"})))["code"]
    assert int(nxt.rsplit("-", 1)[1]) == int(last.rsplit("-", 1)[1]) + 1  # the serial was not used up


async def test_a_failure_in_the_middle_of_a_step_changes_nothing(
    as_role: Callable[..., GQL], seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    staff = officer(as_role)
    code = str(ok(await file(staff, complaint_input()))["code"])
    ok(await run_step(staff, "caseClassify", code))
    events = await count(seeded, ds.case_events, ds.case_events.c.case_code == code)

    def explode(self: mutation.Tx, topic: str, **payload: Any) -> None:
        raise RuntimeError("crash after the UPDATE and the history row, before commit")

    monkeypatch.setattr(mutation.Tx, "emit", explode)
    body = await staff(step_query("caseAccept", "CaseAcceptInput"), {"in": {"code": code}}, expect_errors=True)
    assert body["errors"]
    monkeypatch.undo()
    assert await status_of(seeded, code) == "CLASSIFYING"
    assert await count(seeded, ds.case_events, ds.case_events.c.case_code == code) == events


# ---------------------------------------------------------------------------------------------------------
# Real parallel requests and the live subscription
# ---------------------------------------------------------------------------------------------------------


async def test_parallel_filings_get_consecutive_codes(live_server: Any, seeded: Seeded) -> None:
    """20 parallel caseFile requests to a running server: 20 distinct codes, consecutive serials."""
    query = FILE.replace(CASE_FIELDS, "code status")
    async with live_server.client(Role.OFFICER, subject="TCD-T-01", unit=UNIT, domains=("complaints",)) as http:
        responses = await asyncio.gather(
            *(
                http.post("/graphql", json={"query": query, "variables": {"in": complaint_input(subject=f"{s} #{i}")}})
                for i, s in enumerate(["Khiếu nại song song về quyết định xử phạt"] * 20)
            )
        )
    assert {r.status_code for r in responses} == {200}
    codes = [r.json()["data"]["caseFile"]["case"]["code"] for r in responses]
    assert len(set(codes)) == 20
    serials = sorted(int(c.rsplit("-", 1)[1]) for c in codes)
    assert serials == list(range(serials[0], serials[0] + 20))
    assert {c.rsplit("-", 1)[0] for c in codes} == {f"KN-{today().year}"}


PROTOCOL = Subprotocol("graphql-transport-ws")
SUBSCRIBE = "subscription { caseUpdated { code status inspector { staffId } } }"


async def open_subscription(live_server: Any, role: Role, **claims: Any) -> Any:
    token = token_for(live_server.settings, role, **claims)
    ws = await websockets.connect(live_server.url.replace("http://", "ws://") + "/graphql", subprotocols=[PROTOCOL])
    await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}))
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}}))
    return ws


async def next_update(ws: Any, wait: float) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout=wait))
    assert message["type"] == "next", message
    update_: dict[str, Any] = message["payload"]["data"]["caseUpdated"]
    return update_


async def test_assigned_inspector_receives_updates_over_a_websocket(live_server: Any, seeded: Seeded) -> None:
    if "caseUpdated" not in build_schema().as_str():
        pytest.skip("the schema has no Subscription root yet: govgraph/schema/__init__.py must merge <D>Subscription")
    mine = await open_subscription(live_server, Role.INSPECTOR, subject="TTr-WS-1")
    other = await open_subscription(live_server, Role.INSPECTOR, subject="TTr-WS-2")
    unit_officer = await open_subscription(live_server, Role.OFFICER, subject="o1", unit=UNIT, domains=("complaints",))
    far_officer = await open_subscription(
        live_server, Role.OFFICER, subject="o2", unit=OTHER_UNIT, domains=("complaints",)
    )
    try:
        await asyncio.sleep(0.3)  # let the subscriptions attach to the bus
        async with live_server.client(Role.OFFICER, subject="TCD-T-01", unit=UNIT, domains=("complaints",)) as http:

            async def call(query: str, data: dict[str, Any]) -> dict[str, Any]:
                body: dict[str, Any] = (
                    await http.post("/graphql", json={"query": query, "variables": {"in": data}})
                ).json()
                return body

            filed = await call(FILE, complaint_input())
            code = filed["data"]["caseFile"]["case"]["code"]
            seen = await next_update(unit_officer, 2)
            assert (seen["code"], seen["status"]) == (code, "RECEIVED")
            await call(step_query("caseClassify", "CaseClassifyInput"), {"code": code})
            await call(step_query("caseAccept", "CaseAcceptInput"), {"code": code})
            assign = step_query("caseAssign", "CaseAssignInput")
            await call(assign, {"code": code, "inspectorId": "TTr-WS-1", "inspectorName": "Thanh Tra Một"})
            got = await next_update(mine, 2)
            assert got == {"code": code, "status": "ACCEPTED", "inspector": {"staffId": "TTr-WS-1"}}
            await call(step_query("caseStartVerification", "CaseStartVerificationInput"), {"code": code})
            got = await next_update(mine, 2)
            assert (got["code"], got["status"]) == (code, "VERIFYING")
        for silent in (other, far_officer):
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(silent.recv(), timeout=1.0)
    finally:
        for ws in (mine, other, unit_officer, far_officer):
            await ws.close()


async def test_who_may_not_subscribe(live_server: Any, seeded: Seeded) -> None:
    if "caseUpdated" not in build_schema().as_str():
        pytest.skip("the schema has no Subscription root yet: govgraph/schema/__init__.py must merge <D>Subscription")
    ws = await open_subscription(live_server, Role.CITIZEN, subject=people(seeded, 1)[0])
    try:
        message = json.loads(await asyncio.wait_for(ws.recv(), timeout=2))
        assert message["type"] == "error" or message["payload"].get("errors"), message
        assert "FORBIDDEN" in json.dumps(message) or "may not" in json.dumps(message)
    finally:
        await ws.close()


def test_units_of_a_legacy_case_are_its_successors() -> None:
    g = gazetteer()
    legacy = g.legacy_codes_of(UNIT)[0]
    assert UNIT in resolvers.units_of(legacy, "Y2025_01")
    assert resolvers.units_of(UNIT, "Y2025_07") == [UNIT]
