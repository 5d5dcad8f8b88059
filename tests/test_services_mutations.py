"""Services mutations: dossier submission and the one-stop flow through the 10 DVCQG statuses, deadlines in
working days with holidays and pauses, late completion with the written apology, appointments with capacity,
paid look-ups released on payment, events, the dossierStatusChanged subscription, and real parallel requests
against a running server (bookings never exceed capacity; dossier numbers have no gap and no duplicate)."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import strawberry
import websockets
from sqlalchemy import delete, func, select, update
from starlette.applications import Starlette
from websockets.typing import Subprotocol

from govgraph.auth.identity import Principal, Role
from govgraph.context import Context
from govgraph.datasources.services import appointment_slots, dossiers
from govgraph.domain import services as rules
from govgraph.domain.calendar import add_working_days, is_working_day
from govgraph.events import Event, InProcessBus
from govgraph.resolvers import mutation
from govgraph.resolvers import services as resolvers
from govgraph.schema.services import ServicesQuery, ServicesSubscription
from govgraph.seed import Person
from tests.conftest import GQL, Seeded, token_for

H = rules.HANOI
S = rules.Status
A = rules.Action
RESIDENCE = "CA-01"  # Đăng ký thường trú: 7 working days, 20,000 in person / 10,000 online
TEMPORARY = "CA-02"  # Đăng ký tạm trú: 3 working days
BIRTH = "HT-01"  # Đăng ký khai sinh: same day, free
COMPANY = "DN-02"  # company registration: online only, at the Department of Finance
FINANCE = "000.00.03.H26"
POLICE = "000.00.90.H26"
JUSTICE = "000.00.20.H26"

DOSSIER = "dossier { code status channel feeAmount amountDue statusReason receivedAt acceptedAt dueAt completedAt "
DOSSIER += "returnedAt late apology { issuedAt newDueAt } pauses { reason requestedAt resumedAt note } }"
ERRORS = "userErrors { field message code }"


def act(name: str, input_type: str) -> str:
    return f"mutation($in: {input_type}!) {{ {name}(input: $in) {{ {DOSSIER} {ERRORS} }} }}"


SUBMIT = act("dossierSubmit", "DossierSubmitInput")
ACTIONS: dict[rules.Action, tuple[str, str, dict[str, Any]]] = {
    A.ACCEPT: ("dossierAccept", "DossierAcceptInput", {}),
    A.REFUSE: ("dossierRefuse", "DossierRefuseInput", {"reason": "Hồ sơ không thuộc thẩm quyền"}),
    A.PROCESS: ("dossierProcess", "DossierProcessInput", {}),
    A.REQUEST_DOCUMENTS: (
        "dossierRequestDocuments",
        "DossierRequestDocumentsInput",
        {"documents": ["Bản sao Giấy khai sinh", "Văn bản đồng ý của chủ hộ"]},
    ),
    A.PROVIDE_DOCUMENTS: ("dossierProvideDocuments", "DossierProvideDocumentsInput", {}),
    A.REQUEST_PAYMENT: ("dossierRequestPayment", "DossierRequestPaymentInput", {"amount": 50_000}),
    A.RECORD_PAYMENT: ("dossierRecordPayment", "DossierRecordPaymentInput", {}),
    A.COMPLETE: ("dossierComplete", "DossierCompleteInput", {}),
    A.RETURN_RESULT: ("dossierReturnResult", "DossierReturnResultInput", {}),
    A.WITHDRAW: ("dossierWithdraw", "DossierWithdrawInput", {"reason": "Công dân không còn nhu cầu"}),
    A.STOP: ("dossierStop", "DossierStopInput", {"reason": "Không đủ điều kiện"}),
}
APOLOGIZE = act("dossierApologize", "DossierApologizeInput")


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=H)


def parse(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


class Clock:
    """The services resolvers' clock, set by the test."""

    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC)

    def set(self, value: dt.datetime) -> None:
        self.now = value.astimezone(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    c = Clock()
    monkeypatch.setattr(resolvers, "clock", c)
    yield c


def ward(seeded: Seeded, index: int) -> tuple[str, str, list[Person]]:
    """(unit code, its agency code, its adults) of the index-th ward that has adults."""
    agencies: dict[str, str] = seeded.ctx.shared["services"]["ward_agency"]
    cut = seeded.ctx.today - dt.timedelta(days=20 * 365)
    units = [u for u in sorted(agencies) if len([p for p in seeded.ctx.by_unit.get(u, []) if p.dob <= cut]) >= 3]
    unit = units[index]
    return unit, agencies[unit], [p for p in seeded.ctx.by_unit[unit] if p.dob <= cut]


def adults(seeded: Seeded) -> list[Person]:
    cut = seeded.ctx.today - dt.timedelta(days=20 * 365)
    return [p for p in seeded.ctx.people if p.dob <= cut]


async def submit(gql: GQL, pid: str, agency: str | None, procedure: str = RESIDENCE, channel: str = "ONLINE",
                 **extra: Any) -> dict[str, Any]:  # fmt: skip
    data = {"procedureCode": procedure, "applicantPersonalId": pid, "channel": channel, **extra}
    if agency:
        data["agencyCode"] = agency
    body = await gql(SUBMIT, {"in": data})
    payload: dict[str, Any] = body["data"]["dossierSubmit"]
    return payload


async def do(gql: GQL, action: rules.Action, code: str, **extra: Any) -> dict[str, Any]:
    name, input_type, defaults = ACTIONS[action]
    body = await gql(act(name, input_type), {"in": {"code": code, **defaults, **extra}})
    payload: dict[str, Any] = body["data"][name]
    return payload


def ok(payload: dict[str, Any]) -> dict[str, Any]:
    assert payload["userErrors"] == [], payload["userErrors"]
    dossier: dict[str, Any] = payload["dossier"]
    return dossier


async def count_dossiers(seeded: Seeded, agency: str, day: dt.date) -> int:
    d = dossiers.c
    stmt = select(func.count()).where(d.agency_code == agency, d.code.like(f"{agency}-{day:%y%m%d}-%"))
    return int(await seeded.stores["services"].scalar(stmt))


# ---------------------------------------------------------------------------------------------------------
# The state machine (pure): every action from every status
# ---------------------------------------------------------------------------------------------------------

EXPECTED: dict[rules.Action, tuple[set[rules.Status], rules.Status]] = {
    A.ACCEPT: ({S.SUBMITTED}, S.ACCEPTED),
    A.REFUSE: ({S.SUBMITTED}, S.REFUSED),
    A.PROCESS: ({S.ACCEPTED}, S.PROCESSING),
    A.REQUEST_DOCUMENTS: ({S.ACCEPTED, S.PROCESSING}, S.ADDITIONAL_DOCUMENTS_REQUESTED),
    A.PROVIDE_DOCUMENTS: ({S.ADDITIONAL_DOCUMENTS_REQUESTED}, S.PROCESSING),
    A.REQUEST_PAYMENT: ({S.ACCEPTED, S.PROCESSING}, S.PAYMENT_REQUESTED),
    A.RECORD_PAYMENT: ({S.PAYMENT_REQUESTED}, S.PROCESSING),
    A.COMPLETE: ({S.ACCEPTED, S.PROCESSING}, S.RESOLVED),
    A.RETURN_RESULT: ({S.RESOLVED}, S.RESULT_RETURNED),
    A.WITHDRAW: (
        {S.SUBMITTED, S.ACCEPTED, S.PROCESSING, S.ADDITIONAL_DOCUMENTS_REQUESTED, S.PAYMENT_REQUESTED},
        S.WITHDRAWN,
    ),
    A.STOP: ({S.ACCEPTED, S.PROCESSING, S.ADDITIONAL_DOCUMENTS_REQUESTED, S.PAYMENT_REQUESTED}, S.STOPPED),
}


def test_every_action_from_every_status() -> None:
    for action, (sources, target) in EXPECTED.items():
        for status in S:
            if status in sources:
                assert rules.transition(action, status) == target
            else:
                with pytest.raises(rules.InvalidTransition) as exc:
                    rules.transition(action, status)
                assert status.value in str(exc.value)
    final = {S.REFUSED, S.WITHDRAWN, S.STOPPED, S.RESULT_RETURNED}
    assert rules.FINAL == final
    assert not any(s in final for sources, _ in EXPECTED.values() for s in sources)


def test_check_in_window_and_late_completion_rules() -> None:
    starts = at(2026, 12, 1, 9)
    assert not rules.can_check_in(starts, at(2026, 12, 1, 8, 49))
    assert rules.can_check_in(starts, at(2026, 12, 1, 8, 50))
    assert rules.can_check_in(starts, at(2026, 12, 1, 9, 10))
    assert not rules.can_check_in(starts, at(2026, 12, 1, 9, 11))
    due = at(2026, 11, 5, 17)
    rules.check_late_completion(due, None, None, at(2026, 11, 5, 16))  # on time: nothing needed
    with pytest.raises(rules.ApologyNeeded):
        rules.check_late_completion(due, None, None, at(2026, 11, 6, 9))
    rules.check_late_completion(due, at(2026, 11, 5, 9), at(2026, 11, 9, 17), at(2026, 11, 6, 9))
    with pytest.raises(rules.ApologyNeeded):  # the new date passed as well
        rules.check_late_completion(due, at(2026, 11, 5, 9), at(2026, 11, 9, 17), at(2026, 11, 10, 9))
    with pytest.raises(ValueError):
        rules.check_new_due(at(2026, 11, 7, 9), at(2026, 11, 6, 9))  # a Saturday
    assert rules.check_new_due(at(2026, 11, 9, 8), at(2026, 11, 6, 9)) == at(2026, 11, 9, 17)


def test_fees_owed_adds_charge_and_fee_types() -> None:
    company = [
        rules.FeeRule(rules.Channel.IN_PERSON, 50_000, dt.date(2017, 1, 1), None, "LE_PHI"),
        rules.FeeRule(rules.Channel.ONLINE, 0, dt.date(2017, 1, 1), None, "LE_PHI"),
        rules.FeeRule(rules.Channel.ONLINE, 100_000, dt.date(2017, 1, 1), None, "PHI"),
    ]
    online = rules.fees_owed(company, rules.Channel.ONLINE, dt.date(2026, 4, 23))
    assert sorted(r.amount for r in online) == [0, 100_000]
    assert [r.amount for r in rules.fees_owed(company, rules.Channel.POST, dt.date(2026, 4, 23))] == [50_000]
    assert rules.fees_owed(company, rules.Channel.ONLINE, dt.date(2016, 1, 1)) == []


# ---------------------------------------------------------------------------------------------------------
# dossierSubmit
# ---------------------------------------------------------------------------------------------------------


async def test_submit_numbers_dossiers_per_agency_and_day_with_fees_by_channel(
    as_role: Callable[..., GQL], seeded: Seeded, clock: Clock, app: Starlette
) -> None:
    unit, agency, people = ward(seeded, 0)
    clock.set(at(2029, 4, 19, 10))  # Thursday
    sub = app.state.bus.subscribe(["services."])
    me = as_role(Role.CITIZEN, subject=people[0].pid)
    first = ok(await submit(me, people[0].pid, agency, channel="ONLINE"))
    assert first["code"] == f"{agency}-290419-0001"
    assert (first["status"], first["channel"], first["feeAmount"]) == ("SUBMITTED", "ONLINE", 10_000)
    assert parse(first["receivedAt"]) == at(2029, 4, 19, 10) and first["dueAt"] is None
    desk = as_role(Role.OFFICER, unit=unit, domains=("services",))
    second = ok(await submit(desk, people[1].pid, agency, channel="IN_PERSON"))
    assert second["code"] == f"{agency}-290419-0002" and second["feeAmount"] == 20_000
    posted = ok(await submit(desk, people[1].pid, agency, channel="POST"))
    assert posted["code"] == f"{agency}-290419-0003" and posted["feeAmount"] == 20_000  # post pays in-person
    clock.set(at(2029, 4, 20, 0, 5))  # a new local day starts a new sequence
    assert ok(await submit(me, people[0].pid, agency))["code"] == f"{agency}-290420-0001"
    event: Event = sub.queue.get_nowait()
    assert event.topic == "services.dossier.submitted"
    assert event.payload == {"code": first["code"], "applicant_pid": people[0].pid, "agency_code": agency,
                             "unit_code": unit, "old_status": None, "new_status": "SUBMITTED"}  # fmt: skip
    sub.close()


async def test_company_registration_is_refused_in_person_and_by_post(
    as_admin: GQL, seeded: Seeded, clock: Clock
) -> None:
    clock.set(at(2029, 4, 24, 9))
    pid = adults(seeded)[0].pid
    for channel in ("IN_PERSON", "POST"):
        refused = await submit(as_admin, pid, None, COMPANY, channel, applicantType="ENTERPRISE")
        assert refused["dossier"] is None
        assert refused["userErrors"][0]["field"] == ["input", "channel"]
        assert refused["userErrors"][0]["code"] == "ONLINE_ONLY"
    assert await count_dossiers(seeded, FINANCE, dt.date(2029, 4, 24)) == 0
    online = ok(await submit(as_admin, pid, None, COMPANY, "ONLINE", applicantType="ENTERPRISE"))
    assert online["code"] == f"{FINANCE}-290424-0001"
    assert online["feeAmount"] == 100_000  # registration charge exempt online, publication fee owed


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"procedureCode": "XX-99"}, "procedureCode", "NOT_FOUND"),
        ({"applicantPersonalId": "12345"}, "applicantPersonalId", "INVALID"),
        ({"applicantPersonalId": "001099999999"}, "applicantPersonalId", "NOT_FOUND"),
        ({"agencyCode": None}, "agencyCode", "REQUIRED"),
        ({"agencyCode": "999.99.99.H26"}, "agencyCode", "NOT_FOUND"),
        ({"agencyCode": FINANCE}, "agencyCode", "WRONG_AGENCY"),
        ({"procedureCode": "CC-04"}, "agencyCode", "WRONG_AGENCY"),  # passports: city police, not a ward
    ],
)
async def test_bad_submissions_are_user_errors_and_write_nothing(
    as_admin: GQL, seeded: Seeded, clock: Clock, change: dict[str, Any], field: str, code: str
) -> None:
    _, agency, people = ward(seeded, 1)
    clock.set(at(2029, 4, 25, 9))
    data = {"procedureCode": RESIDENCE, "applicantPersonalId": people[0].pid, "channel": "ONLINE",
            "agencyCode": agency, **change}  # fmt: skip
    payload = (await as_admin(SUBMIT, {"in": data}))["data"]["dossierSubmit"]
    assert payload["dossier"] is None
    assert (payload["userErrors"][0]["field"], payload["userErrors"][0]["code"]) == (["input", field], code)
    assert await count_dossiers(seeded, agency, dt.date(2029, 4, 25)) == 0


async def test_an_officer_records_only_desk_submissions(
    as_role: Callable[..., GQL], seeded: Seeded, clock: Clock
) -> None:
    unit, agency, people = ward(seeded, 1)
    clock.set(at(2029, 4, 26, 9))
    desk = as_role(Role.OFFICER, unit=unit, domains=("services",))
    online = await submit(desk, people[0].pid, agency, channel="ONLINE")
    assert online["userErrors"][0]["field"] == ["input", "channel"]


@pytest.mark.parametrize(
    ("role", "claims"),
    [
        (Role.CITIZEN, {"subject": "001087123456"}),  # someone else's dossier
        (Role.OFFICER, {"unit": "00004", "domains": ("population",)}),  # not a services officer
        (Role.OFFICER, {"unit": "99999", "domains": ("services",)}),  # another ward
        (Role.OPERATOR, {}),
        (Role.TEACHER, {"school": "x"}),
        (Role.DEVICE, {}),
        (Role.INSPECTOR, {}),
    ],
)
async def test_who_may_not_submit(
    as_role: Callable[..., GQL], seeded: Seeded, clock: Clock, role: Role, claims: dict[str, Any]
) -> None:
    _, agency, people = ward(seeded, 2)
    clock.set(at(2029, 4, 26, 9))
    channel = "IN_PERSON" if role == Role.OFFICER else "ONLINE"
    data = {"procedureCode": RESIDENCE, "applicantPersonalId": people[0].pid, "channel": channel,
            "agencyCode": agency}  # fmt: skip
    body = await as_role(role, **claims)(SUBMIT, {"in": data}, expect_errors=True)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await count_dossiers(seeded, agency, dt.date(2029, 4, 26)) == 0


async def test_retry_with_the_same_key_creates_nothing_new(
    as_role: Callable[..., GQL], seeded: Seeded, clock: Clock, app: Starlette
) -> None:
    _, agency, people = ward(seeded, 3)
    clock.set(at(2029, 5, 7, 9))
    me = as_role(Role.CITIZEN, subject=people[0].pid)
    sub = app.state.bus.subscribe(["services.dossier."])
    first = await submit(me, people[0].pid, agency, idempotencyKey="submit-once")
    again = await submit(me, people[0].pid, agency, idempotencyKey="submit-once")
    assert first == again and first["dossier"]["code"].endswith("-0001")
    assert await count_dossiers(seeded, agency, dt.date(2029, 5, 7)) == 1
    assert sub.queue.qsize() == 1
    code = first["dossier"]["code"]
    officer = as_role(Role.OFFICER, unit=ward(seeded, 3)[0], domains=("services",))
    accepted = await do(officer, A.ACCEPT, code, idempotencyKey="accept-once")
    assert await do(officer, A.ACCEPT, code, idempotencyKey="accept-once") == accepted  # not INVALID_TRANSITION
    assert ok(accepted)["status"] == "ACCEPTED" and sub.queue.qsize() == 2
    sub.close()


async def test_a_failure_in_the_middle_leaves_no_dossier_and_no_gap(
    as_admin: GQL, seeded: Seeded, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, agency, people = ward(seeded, 4)
    clock.set(at(2029, 5, 8, 9))

    def explode(self: mutation.Tx, topic: str, **payload: Any) -> None:
        raise RuntimeError("crash after the INSERT, before commit")

    monkeypatch.setattr(mutation.Tx, "emit", explode)
    body = await as_admin(SUBMIT, {"in": {"procedureCode": RESIDENCE, "applicantPersonalId": people[0].pid,
                                          "channel": "ONLINE", "agencyCode": agency}}, expect_errors=True)  # fmt: skip
    assert body["errors"]
    monkeypatch.undo()
    monkeypatch.setattr(resolvers, "clock", clock)
    assert await count_dossiers(seeded, agency, dt.date(2029, 5, 8)) == 0
    assert ok(await submit(as_admin, people[0].pid, agency))["code"] == f"{agency}-290508-0001"


# ---------------------------------------------------------------------------------------------------------
# The one-stop flow through the API: every action on a dossier in every status
# ---------------------------------------------------------------------------------------------------------

PATHS: dict[rules.Status, list[rules.Action]] = {
    S.SUBMITTED: [],
    S.ACCEPTED: [A.ACCEPT],
    S.REFUSED: [A.REFUSE],
    S.PROCESSING: [A.ACCEPT, A.PROCESS],
    S.ADDITIONAL_DOCUMENTS_REQUESTED: [A.ACCEPT, A.REQUEST_DOCUMENTS],
    S.PAYMENT_REQUESTED: [A.ACCEPT, A.REQUEST_PAYMENT],
    S.WITHDRAWN: [A.WITHDRAW],
    S.STOPPED: [A.ACCEPT, A.STOP],
    S.RESOLVED: [A.ACCEPT, A.COMPLETE],
    S.RESULT_RETURNED: [A.ACCEPT, A.COMPLETE, A.RETURN_RESULT],
}


@pytest.mark.parametrize("status", list(S))
async def test_every_action_on_a_dossier_in_each_status(
    as_admin: GQL, seeded: Seeded, clock: Clock, status: rules.Status
) -> None:
    _, agency, people = ward(seeded, 5)
    clock.set(at(2029, 6, 4, 9) + dt.timedelta(minutes=list(S).index(status)))
    for action, (sources, target) in EXPECTED.items():
        code = ok(await submit(as_admin, people[0].pid, agency))["code"]
        for step in PATHS[status]:
            assert ok(await do(as_admin, step, code))["status"] == EXPECTED[step][1].value
        payload = await do(as_admin, action, code)
        if status in sources:
            assert ok(payload)["status"] == target.value, (status, action)
        else:
            assert payload["dossier"] is None
            error = payload["userErrors"][0]
            assert error["code"] == "INVALID_TRANSITION" and status.value in error["message"], (status, action)
            now = (await as_admin("query($c: String!) { dossier(code: $c) { status } }", {"c": code}))["data"]
            assert now["dossier"]["status"] == status.value


async def test_reasons_documents_and_amounts_are_recorded_and_validated(
    as_admin: GQL, seeded: Seeded, clock: Clock
) -> None:
    _, agency, people = ward(seeded, 6)
    clock.set(at(2029, 6, 5, 9))
    code = ok(await submit(as_admin, people[0].pid, agency))["code"]
    blank = await do(as_admin, A.REFUSE, code, reason="   ")
    assert blank["userErrors"][0]["field"] == ["input", "reason"]
    assert ok(await do(as_admin, A.REFUSE, code))["statusReason"] == "Hồ sơ không thuộc thẩm quyền"
    code = ok(await submit(as_admin, people[0].pid, agency))["code"]
    ok(await do(as_admin, A.ACCEPT, code))
    none = await do(as_admin, A.REQUEST_DOCUMENTS, code, documents=[])
    assert none["userErrors"][0]["field"] == ["input", "documents"]
    empty = await do(as_admin, A.REQUEST_DOCUMENTS, code, documents=["Tờ khai", " "])
    assert empty["userErrors"][0]["field"] == ["input", "documents", "1"]
    bad = await do(as_admin, A.REQUEST_PAYMENT, code, amount=-5)
    assert bad["userErrors"][0]["field"] == ["input", "amount"]
    default = ok(await do(as_admin, A.REQUEST_PAYMENT, code, amount=None))
    assert default["amountDue"] == default["feeAmount"] == 10_000
    assert default["pauses"][0]["reason"] == "FINANCIAL_OBLIGATION" and default["pauses"][0]["resumedAt"] is None
    unknown = await do(as_admin, A.ACCEPT, code[:-4] + "9999")
    assert unknown["userErrors"][0]["code"] == "NOT_FOUND"
    malformed = await do(as_admin, A.ACCEPT, "not-a-code")
    assert malformed["userErrors"][0] == {"field": ["input", "code"], "code": "INVALID",
                                          "message": malformed["userErrors"][0]["message"]}  # fmt: skip


# ---------------------------------------------------------------------------------------------------------
# Deadlines: working days, holidays, pauses, the 15:00 rule
# ---------------------------------------------------------------------------------------------------------


async def test_due_date_crosses_weekends_and_holidays_and_moves_with_a_pause(
    as_role: Callable[..., GQL], as_admin: GQL, seeded: Seeded, clock: Clock
) -> None:
    unit, agency, people = ward(seeded, 7)
    officer = as_role(Role.OFFICER, unit=unit, domains=("services",))
    applicant = as_role(Role.CITIZEN, subject=people[0].pid)
    clock.set(at(2029, 4, 18, 16))
    code = ok(await submit(applicant, people[0].pid, agency))["code"]
    clock.set(at(2029, 4, 19, 9))  # Thursday
    accepted = ok(await do(officer, A.ACCEPT, code))
    # 7 working days: Fri 20; Mon 23 Apr (Hùng Kings), Mon 30 Apr and Tue 1 May are off:
    # Tue 24, Wed 25, Thu 26, Fri 27, Wed 2, Thu 3 May.
    assert parse(accepted["dueAt"]) == at(2029, 5, 3, 17) == rules.due_at(at(2029, 4, 19, 9), 7)
    clock.set(at(2029, 4, 20, 10))  # Friday: documents requested, the clock stops
    asked = ok(await do(officer, A.REQUEST_DOCUMENTS, code))
    assert asked["status"] == "ADDITIONAL_DOCUMENTS_REQUESTED"
    assert asked["pauses"][0]["note"] == "Bản sao Giấy khai sinh; Văn bản đồng ý của chủ hộ"
    assert parse(asked["dueAt"]) == at(2029, 5, 3, 17)  # unchanged while the pause is open
    clock.set(at(2029, 4, 24, 15))  # Tuesday: the applicant answers
    answered = ok(await do(applicant, A.PROVIDE_DOCUMENTS, code))
    assert answered["status"] == "PROCESSING"
    assert parse(answered["pauses"][0]["resumedAt"]) == at(2029, 4, 24, 15)
    # Fri 20 - Tue 24 paused: two working days (Fri 20, Tue 24; Mon 23 is a holiday) no longer count.
    paused = [(dt.date(2029, 4, 20), dt.date(2029, 4, 24))]
    expected = dt.datetime.combine(add_working_days(dt.date(2029, 4, 19), 7, paused), rules.OFFICE_CLOSE, tzinfo=H)
    assert parse(answered["dueAt"]) == expected == at(2029, 5, 7, 17)
    # a payment request pauses again; recording the payment moves the due date once more
    clock.set(at(2029, 5, 2, 9))  # Wednesday
    ok(await do(officer, A.REQUEST_PAYMENT, code, amount=20_000))
    clock.set(at(2029, 5, 3, 11))  # Thursday
    paid = ok(await do(officer, A.RECORD_PAYMENT, code))
    assert paid["status"] == "PROCESSING" and len(paid["pauses"]) == 2 and paid["amountDue"] == 20_000
    assert parse(paid["dueAt"]) == at(2029, 5, 9, 17)  # Wed 2 and Thu 3 May paused as well
    clock.set(at(2029, 5, 8, 10))
    done = ok(await do(officer, A.COMPLETE, code))
    assert done["status"] == "RESOLVED" and done["late"] is False
    returned = ok(await do(officer, A.RETURN_RESULT, code))
    assert returned["status"] == "RESULT_RETURNED" and parse(returned["returnedAt"]) == at(2029, 5, 8, 10)


async def test_same_day_procedure_accepted_after_15_00_is_due_the_next_working_day(
    as_admin: GQL, seeded: Seeded, clock: Clock
) -> None:
    _, agency, people = ward(seeded, 7)
    clock.set(at(2029, 11, 30, 14, 59))  # Friday
    before = ok(await submit(as_admin, people[1].pid, agency, BIRTH))
    assert before["feeAmount"] == 0
    assert parse(ok(await do(as_admin, A.ACCEPT, before["code"]))["dueAt"]) == at(2029, 11, 30, 17)
    after = ok(await submit(as_admin, people[1].pid, agency, BIRTH))["code"]
    clock.set(at(2029, 11, 30, 15, 0))
    assert parse(ok(await do(as_admin, A.ACCEPT, after))["dueAt"]) == at(2029, 12, 3, 17)  # Monday


async def test_late_completion_needs_the_written_apology(
    as_role: Callable[..., GQL], seeded: Seeded, clock: Clock, app: Starlette
) -> None:
    unit, agency, people = ward(seeded, 8)
    officer = as_role(Role.OFFICER, unit=unit, domains=("services",))
    clock.set(at(2029, 11, 5, 9))  # Monday
    code = ok(await submit(officer, people[0].pid, agency, TEMPORARY, "IN_PERSON"))["code"]
    assert parse(ok(await do(officer, A.ACCEPT, code))["dueAt"]) == at(2029, 11, 8, 17)  # 3 working days
    clock.set(at(2029, 11, 9, 10))  # Friday, past due
    refused = await do(officer, A.COMPLETE, code)
    assert refused["userErrors"][0]["code"] == "APOLOGY_REQUIRED" and refused["dossier"] is None

    def apologize(new: dt.datetime) -> dict[str, Any]:
        return {"in": {"code": code, "newDueAt": new.isoformat(), "reason": "Chờ kết quả xác minh"}}

    saturday = (await officer(APOLOGIZE, apologize(at(2029, 11, 10, 9))))["data"]["dossierApologize"]
    assert saturday["userErrors"][0]["field"] == ["input", "newDueAt"]
    sub = app.state.bus.subscribe(["services.dossier."])
    sorry = ok((await officer(APOLOGIZE, apologize(at(2029, 11, 12, 8))))["data"]["dossierApologize"])
    assert sorry["status"] == "ACCEPTED" and sorry["statusReason"] == "Chờ kết quả xác minh"
    assert sorry["apology"] == {
        "issuedAt": at(2029, 11, 9, 10).isoformat(),
        "newDueAt": at(2029, 11, 12, 17).isoformat(),
    }
    event: Event = sub.queue.get_nowait()
    assert event.topic == "services.dossier.apologized" and event.payload["new_status"] == "ACCEPTED"
    sub.close()
    clock.set(at(2029, 11, 13, 9))  # the new date passed too: a new apology first
    assert (await do(officer, A.COMPLETE, code))["userErrors"][0]["code"] == "APOLOGY_REQUIRED"
    ok((await officer(APOLOGIZE, apologize(at(2029, 11, 14, 9))))["data"]["dossierApologize"])
    done = ok(await do(officer, A.COMPLETE, code))
    assert done["status"] == "RESOLVED" and done["late"] is True
    assert parse(done["dueAt"]) == at(2029, 11, 8, 17)  # the legal due date stays; the promise is separate
    assert ok(await do(officer, A.RETURN_RESULT, code))["status"] == "RESULT_RETURNED"


async def test_officers_act_only_on_their_agency_and_citizens_only_on_their_own(
    as_role: Callable[..., GQL], as_admin: GQL, seeded: Seeded, clock: Clock
) -> None:
    unit, agency, people = ward(seeded, 9)
    other_unit = ward(seeded, 10)[0]
    clock.set(at(2029, 6, 6, 9))
    code = ok(await submit(as_admin, people[0].pid, agency))["code"]
    name, input_type, _ = ACTIONS[A.ACCEPT]
    refused: list[tuple[Role, dict[str, Any]]] = [
        (Role.OFFICER, {"unit": other_unit, "domains": ("services",)}),
        (Role.OFFICER, {"unit": unit, "domains": ("complaints",)}),
        (Role.CITIZEN, {"subject": people[0].pid}),  # the applicant cannot accept their own dossier
        (Role.OPERATOR, {}),
    ]
    for role, claims in refused:
        body = await as_role(role, **claims)(act(name, input_type), {"in": {"code": code}}, expect_errors=True)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", (role, claims)
    other = as_role(Role.CITIZEN, subject=people[1].pid)
    body = await other(act("dossierWithdraw", "DossierWithdrawInput"), {"in": {"code": code}}, expect_errors=True)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    mine = as_role(Role.CITIZEN, subject=people[0].pid)
    assert ok(await do(mine, A.WITHDRAW, code))["status"] == "WITHDRAWN"
    # a city department's officers carry its agency code as their unit
    company = ok(await submit(as_admin, people[0].pid, None, COMPANY, applicantType="ENTERPRISE"))["code"]
    ward_officer = as_role(Role.OFFICER, unit=unit, domains=("services",))
    body = await ward_officer(act(name, input_type), {"in": {"code": company}}, expect_errors=True)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    finance = as_role(Role.OFFICER, unit=FINANCE, domains=("services",))
    assert ok(await do(finance, A.ACCEPT, company))["status"] == "ACCEPTED"


# ---------------------------------------------------------------------------------------------------------
# Overdue events and the subscription
# ---------------------------------------------------------------------------------------------------------


async def test_newly_overdue_dossiers_are_emitted_once_per_window(as_admin: GQL, seeded: Seeded, clock: Clock) -> None:
    unit, agency, people = ward(seeded, 11)
    clock.set(at(2029, 3, 5, 9))  # Monday
    code = ok(await submit(as_admin, people[0].pid, agency, TEMPORARY))["code"]
    due = parse(ok(await do(as_admin, A.ACCEPT, code))["dueAt"])
    assert due == at(2029, 3, 8, 17)
    bus = InProcessBus()
    sub = bus.subscribe(["services.dossier.overdue"])
    store = seeded.stores["services"]
    minute = dt.timedelta(minutes=1)
    assert await resolvers.emit_newly_overdue(store, bus, due - 2 * minute, due - minute) == 0
    assert await resolvers.emit_newly_overdue(store, bus, due - minute, due + minute) >= 1
    events = [sub.queue.get_nowait() for _ in range(sub.queue.qsize())]
    mine = [e for e in events if isinstance(e, Event) and e.payload["code"] == code]
    assert len(mine) == 1 and mine[0].payload == {"code": code, "applicant_pid": people[0].pid, "agency_code": agency,
                                                  "unit_code": unit, "old_status": "ACCEPTED",
                                                  "new_status": "ACCEPTED"}  # fmt: skip
    # a paused dossier's clock does not run: it does not become overdue
    clock.set(at(2029, 3, 6, 9))
    ok(await do(as_admin, A.REQUEST_DOCUMENTS, code))
    await resolvers.emit_newly_overdue(store, bus, due - dt.timedelta(minutes=1), due + dt.timedelta(minutes=1))
    again = [sub.queue.get_nowait() for _ in range(sub.queue.qsize())]
    assert not [e for e in again if isinstance(e, Event) and e.payload["code"] == code]
    sub.close()


def test_who_receives_which_dossier_event() -> None:
    event = Event("services.dossier.accepted", {"code": "C", "applicant_pid": "001200000001",
                  "agency_code": "000.01.60.H26", "unit_code": "00004"})  # fmt: skip

    def sees(principal: Principal, code: str | None = None) -> bool:
        return resolvers.dossier_visible(principal, code)(event)

    assert sees(Principal("001200000001", Role.CITIZEN))
    assert not sees(Principal("001200000002", Role.CITIZEN))
    assert sees(Principal("o", Role.OFFICER, unit="00004", domains=("services",)))
    assert not sees(Principal("o", Role.OFFICER, unit="00007", domains=("services",)))
    assert sees(Principal("a", Role.ADMIN)) and sees(Principal("op", Role.OPERATOR))
    assert not sees(Principal("a", Role.ADMIN), "OTHER")


async def test_subscription_delivers_a_dossier_becoming_overdue_to_its_applicant(
    as_admin: GQL, seeded: Seeded, clock: Clock
) -> None:
    """In-process: the subscription's wait loop runs the overdue check and yields the reloaded dossier."""
    _, agency, people = ward(seeded, 12)
    clock.set(dt.datetime.now(dt.UTC) - dt.timedelta(days=10))
    code = ok(await submit(as_admin, people[0].pid, agency, TEMPORARY))["code"]
    ok(await do(as_admin, A.ACCEPT, code))
    now = dt.datetime.now(dt.UTC)
    clock.set(now)
    store = seeded.stores["services"]
    async with store.begin() as conn:  # due a few seconds ago: it has just become overdue
        await conn.execute(update(dossiers).where(dossiers.c.code == code).values(due_at=now - dt.timedelta(seconds=5)))
    resolvers._overdue_checked.pop(store.url, None)
    schema = strawberry.Schema(query=ServicesQuery, subscription=ServicesSubscription)
    query = "subscription($c: String) { dossierStatusChanged(code: $c) { code status overdue } }"
    bus = InProcessBus()

    def context(pid: str) -> Context:
        return Context(stores=seeded.stores, principal=Principal(pid, Role.CITIZEN), bus=bus)

    stream = await schema.subscribe(query, variable_values={"c": code}, context_value=context(people[0].pid))
    assert not isinstance(stream, strawberry.types.ExecutionResult)
    result = await asyncio.wait_for(anext(stream), timeout=5)
    assert result.errors is None
    assert result.data == {"dossierStatusChanged": {"code": code, "status": "ACCEPTED", "overdue": True}}
    await stream.aclose()


# ---------------------------------------------------------------------------------------------------------
# Appointments
# ---------------------------------------------------------------------------------------------------------

BOOK = "mutation($in: AppointmentBookInput!) { appointmentBook(input: $in) { appointment { bookingCode status "
BOOK += "slot { booked available } } " + ERRORS + " } }"
CANCEL = "mutation($in: AppointmentCancelInput!) { appointmentCancel(input: $in) { appointment { bookingCode status "
CANCEL += "slot { booked } } " + ERRORS + " } }"
CHECK_IN = "mutation($in: AppointmentCheckInInput!) { appointmentCheckIn(input: $in) { appointment { bookingCode "
CHECK_IN += "status } " + ERRORS + " } }"


async def make_slot(seeded: Seeded, agency: str, day: dt.date, hour: int, capacity: int) -> str:
    """A fresh slot (test setup: slots are opened by the seed or the office's schedule, not by a mutation)."""
    key = f"{agency}:{day.isoformat()}:{hour:02d}"
    async with seeded.stores["services"].begin() as conn:
        await conn.execute(delete(appointment_slots).where(appointment_slots.c.key == key))
        await conn.execute(appointment_slots.insert().values(key=key, agency_code=agency, day=day, start_hour=hour,
                                                            capacity=capacity, booked=0))  # fmt: skip
    return key


async def booked(seeded: Seeded, key: str) -> int:
    stmt = select(appointment_slots.c.booked).where(appointment_slots.c.key == key)
    return int(await seeded.stores["services"].scalar(stmt))


async def test_book_cancel_and_check_in(
    as_role: Callable[..., GQL], seeded: Seeded, clock: Clock, app: Starlette
) -> None:
    unit, agency, people = ward(seeded, 13)
    day = dt.date(2029, 12, 4)  # Tuesday
    key = await make_slot(seeded, agency, day, 7, capacity=2)
    clock.set(at(2029, 12, 3, 10))
    sub = app.state.bus.subscribe(["services.appointment."])
    me = as_role(Role.CITIZEN, subject=people[0].pid)
    first = await me(BOOK, {"in": {"slotKey": key, "citizenPersonalId": people[0].pid, "procedureCode": TEMPORARY}})
    a = first["data"]["appointmentBook"]
    assert a["userErrors"] == [] and a["appointment"]["status"] == "BOOKED"
    assert a["appointment"]["bookingCode"].startswith("LH") and len(a["appointment"]["bookingCode"]) == 10
    assert a["appointment"]["slot"] == {"booked": 1, "available": 1}
    twice = (await me(BOOK, {"in": {"slotKey": key, "citizenPersonalId": people[0].pid}}))["data"]["appointmentBook"]
    assert twice["userErrors"][0]["code"] == "ALREADY_BOOKED" and await booked(seeded, key) == 1
    desk = as_role(Role.OFFICER, unit=unit, domains=("services",))
    second = (await desk(BOOK, {"in": {"slotKey": key, "citizenPersonalId": people[1].pid}}))["data"]["appointmentBook"]
    assert second["appointment"]["slot"]["available"] == 0
    full = (await desk(BOOK, {"in": {"slotKey": key, "citizenPersonalId": people[2].pid}}))["data"]["appointmentBook"]
    assert full["userErrors"][0]["code"] == "SLOT_FULL" and full["appointment"] is None
    code = a["appointment"]["bookingCode"]
    cancelled = (await me(CANCEL, {"in": {"bookingCode": code}}))["data"]["appointmentCancel"]
    assert cancelled["appointment"]["status"] == "CANCELLED" and cancelled["appointment"]["slot"]["booked"] == 1
    again = (await me(CANCEL, {"in": {"bookingCode": code}}))["data"]["appointmentCancel"]
    assert again["userErrors"][0]["code"] == "INVALID_TRANSITION"
    rebook = (await me(BOOK, {"in": {"slotKey": key, "citizenPersonalId": people[0].pid}}))["data"]["appointmentBook"]
    assert rebook["userErrors"] == [] and await booked(seeded, key) == 2  # the freed place was taken again
    topics = [sub.queue.get_nowait().topic for _ in range(sub.queue.qsize())]
    assert topics == ["services.appointment.booked"] * 2 + ["services.appointment.cancelled",
                                                            "services.appointment.booked"]  # fmt: skip
    sub.close()
    # check-in: from 06:50 to 07:10
    code = rebook["appointment"]["bookingCode"]
    clock.set(at(2029, 12, 4, 6, 49))
    early = (await desk(CHECK_IN, {"in": {"bookingCode": code}}))["data"]["appointmentCheckIn"]
    assert early["userErrors"][0]["code"] == "OUTSIDE_CHECK_IN_WINDOW"
    assert "06:50 to 07:10" in early["userErrors"][0]["message"]
    body = await me(CHECK_IN, {"in": {"bookingCode": code}}, expect_errors=True)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"  # the citizen cannot check themselves in
    other_desk = as_role(Role.OFFICER, unit=ward(seeded, 14)[0], domains=("services",))
    clock.set(at(2029, 12, 4, 6, 50))
    body = await other_desk(CHECK_IN, {"in": {"bookingCode": code}}, expect_errors=True)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    checked = (await desk(CHECK_IN, {"in": {"bookingCode": code}}))["data"]["appointmentCheckIn"]
    assert checked["appointment"]["status"] == "CHECKED_IN"
    clock.set(at(2029, 12, 4, 7, 11))
    late_code = second["appointment"]["bookingCode"]
    late = (await desk(CHECK_IN, {"in": {"bookingCode": late_code}}))["data"]["appointmentCheckIn"]
    assert late["userErrors"][0]["code"] == "OUTSIDE_CHECK_IN_WINDOW"
    past = (await desk(BOOK, {"in": {"slotKey": key, "citizenPersonalId": people[2].pid}}))["data"]["appointmentBook"]
    assert past["userErrors"][0]["code"] == "SLOT_PASSED"
    gone = (await desk(CANCEL, {"in": {"bookingCode": late_code}}))["data"]["appointmentCancel"]
    assert gone["userErrors"][0]["code"] == "SLOT_PASSED"


async def test_booking_bad_input_and_a_failure_midway(
    as_admin: GQL, seeded: Seeded, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, agency, people = ward(seeded, 15)
    key = await make_slot(seeded, agency, dt.date(2029, 12, 5), 7, capacity=3)
    clock.set(at(2029, 12, 3, 10))
    for data, field, code in [
        ({"slotKey": "nope", "citizenPersonalId": people[0].pid}, "slotKey", "NOT_FOUND"),
        ({"slotKey": key, "citizenPersonalId": "12"}, "citizenPersonalId", "INVALID"),
        ({"slotKey": key, "citizenPersonalId": people[0].pid, "procedureCode": "ZZ"}, "procedureCode", "NOT_FOUND"),
    ]:
        err = (await as_admin(BOOK, {"in": data}))["data"]["appointmentBook"]["userErrors"][0]
        assert (err["field"], err["code"]) == (["input", field], code)
    assert await booked(seeded, key) == 0

    def explode(self: mutation.Tx, topic: str, **payload: Any) -> None:
        raise RuntimeError("crash after the slot UPDATE and the INSERT")

    monkeypatch.setattr(mutation.Tx, "emit", explode)
    body = await as_admin(BOOK, {"in": {"slotKey": key, "citizenPersonalId": people[0].pid}}, expect_errors=True)
    assert body["errors"]
    assert await booked(seeded, key) == 0


# ---------------------------------------------------------------------------------------------------------
# Paid look-ups
# ---------------------------------------------------------------------------------------------------------

LOOKUP = "paidLookup { code kind amount paymentStatus resultReleased result paidAt }"
REQUEST = "mutation($in: PaidLookupRequestInput!) { paidLookupRequest(input: $in) { " + LOOKUP + " " + ERRORS + " } }"
PAY = "mutation($in: PaidLookupRecordPaymentInput!) { paidLookupRecordPayment(input: $in) { " + LOOKUP + " "
PAY += ERRORS + " } }"


def node_id(type_name: str, key: str) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


async def test_a_lookup_result_is_released_only_after_payment(
    as_role: Callable[..., GQL], as_admin: GQL, seeded: Seeded, app: Starlette
) -> None:
    requester, subject = adults(seeded)[3], adults(seeded)[4]
    me = as_role(Role.CITIZEN, subject=requester.pid)
    data = {"kind": "ID_CARD", "requesterPersonalId": requester.pid, "subject": subject.pid,
            "purpose": "Đối chiếu thông tin người lao động", "consent": True}  # fmt: skip
    sub = app.state.bus.subscribe(["services.lookup."])
    asked = (await me(REQUEST, {"in": data}))["data"]["paidLookupRequest"]
    lookup = asked["paidLookup"]
    assert asked["userErrors"] == [] and lookup["amount"] == 1_000  # KT-02 in the fee schedule
    assert (lookup["paymentStatus"], lookup["resultReleased"], lookup["result"]) == ("UNPAID", False, None)
    read = "query($i: ID!) { node(id: $i) { ... on PaidLookup { result resultReleased } } }"
    assert (await as_admin(read, {"i": node_id("PaidLookup", lookup["code"])}))["data"]["node"]["result"] is None
    wrong_desk = as_role(Role.OFFICER, unit=JUSTICE, domains=("services",))
    body = await wrong_desk(PAY, {"in": {"code": lookup["code"]}}, expect_errors=True)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await me(PAY, {"in": {"code": lookup["code"]}}, expect_errors=True)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    police = as_role(Role.OFFICER, unit=POLICE, domains=("services",))
    paid = (await police(PAY, {"in": {"code": lookup["code"]}}))["data"]["paidLookupRecordPayment"]["paidLookup"]
    assert paid["paymentStatus"] == "PAID" and paid["resultReleased"] and subject.name.full in paid["result"]
    after = (await as_admin(read, {"i": node_id("PaidLookup", lookup["code"])}))["data"]["node"]
    assert after == {"result": paid["result"], "resultReleased": True}
    twice = (await police(PAY, {"in": {"code": lookup["code"]}}))["data"]["paidLookupRecordPayment"]
    assert twice["userErrors"][0]["code"] == "INVALID_TRANSITION"
    topics = [sub.queue.get_nowait().topic for _ in range(sub.queue.qsize())]
    assert topics == ["services.lookup.requested", "services.lookup.paid"]
    sub.close()


async def test_lookup_validation_consent_and_free_lookups(as_role: Callable[..., GQL], seeded: Seeded) -> None:
    requester = adults(seeded)[5]
    me = as_role(Role.CITIZEN, subject=requester.pid)
    base = {"requesterPersonalId": requester.pid, "purpose": "Kiểm tra", "consent": True}
    no_consent = {**base, "kind": "ID_CARD", "subject": adults(seeded)[6].pid, "consent": False}
    err = (await me(REQUEST, {"in": no_consent}))["data"]["paidLookupRequest"]["userErrors"][0]
    assert (err["field"], err["code"]) == (["input", "consent"], "CONSENT_REQUIRED")
    bad_phone = {**base, "kind": "SIM_REGISTRATION", "subject": "12345"}
    assert (await me(REQUEST, {"in": bad_phone}))["data"]["paidLookupRequest"]["userErrors"][0]["field"] == [
        "input",
        "subject",
    ]
    no_purpose = {**base, "kind": "NOTARISATION_RECORD", "subject": "Thửa đất số 12", "purpose": " "}
    err = (await me(REQUEST, {"in": no_purpose}))["data"]["paidLookupRequest"]["userErrors"][0]
    assert err["field"] == ["input", "purpose"]
    sim = {**base, "kind": "SIM_REGISTRATION", "subject": "0912345678"}
    free = (await me(REQUEST, {"in": sim}))["data"]["paidLookupRequest"]["paidLookup"]
    assert free["amount"] == 0 and free["resultReleased"] and free["result"]  # nothing owed: released at once
    admin = as_role(Role.ADMIN)
    nothing = (await admin(PAY, {"in": {"code": free["code"]}}))["data"]["paidLookupRecordPayment"]
    assert nothing["userErrors"][0]["code"] == "NOTHING_OWED"
    someone_else = {**sim, "requesterPersonalId": adults(seeded)[7].pid}
    body = await me(REQUEST, {"in": someone_else}, expect_errors=True)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


# ---------------------------------------------------------------------------------------------------------
# Real parallel requests against a running server, and the WebSocket subscription
# ---------------------------------------------------------------------------------------------------------


async def test_fifty_simultaneous_bookings_for_ten_places(live_server: Any, seeded: Seeded) -> None:
    _, agency, _ = ward(seeded, 16)
    day = dt.date.today() + dt.timedelta(days=30)
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    key = await make_slot(seeded, agency, day, 12, capacity=10)
    people = adults(seeded)[10:60]
    async with live_server.client() as http:
        responses = await asyncio.gather(*(
            http.post("/graphql", json={"query": BOOK, "variables": {"in": {"slotKey": key,
                                                                          "citizenPersonalId": p.pid}}})
            for p in people
        ))  # fmt: skip
    assert {r.status_code for r in responses} == {200}
    payloads = [r.json()["data"]["appointmentBook"] for r in responses]
    succeeded = [p for p in payloads if p["appointment"]]
    refused = [p for p in payloads if p["userErrors"]]
    assert len(succeeded) == 10 and len(refused) == 40
    assert {p["userErrors"][0]["code"] for p in refused} == {"SLOT_FULL"}
    assert len({p["appointment"]["bookingCode"] for p in succeeded}) == 10
    assert await booked(seeded, key) == 10


async def test_twenty_simultaneous_submissions_get_consecutive_numbers(live_server: Any, seeded: Seeded) -> None:
    _, agency, people = ward(seeded, 17)
    applicants = (people * 20)[:20]
    async with live_server.client() as http:
        responses = await asyncio.gather(*(
            http.post("/graphql", json={"query": SUBMIT, "variables": {"in": {
                "procedureCode": RESIDENCE, "applicantPersonalId": p.pid, "channel": "ONLINE", "agencyCode": agency}}})
            for p in applicants
        ))  # fmt: skip
    assert {r.status_code for r in responses} == {200}
    codes = [r.json()["data"]["dossierSubmit"]["dossier"]["code"] for r in responses]
    parsed = [rules.parse_dossier_code(c) for c in codes]
    days = {p.day for p in parsed}
    assert len(days) == 1  # (a run across local midnight would split them)
    seqs = sorted(p.seq for p in parsed)
    assert seqs == list(range(seqs[0], seqs[0] + 20))  # consecutive: no gap, no duplicate
    d = dossiers.c
    prefix = f"{agency}-{days.pop():%y%m%d}-"
    stored = await seeded.stores["services"].all(select(d.code).where(d.code.like(prefix + "%")))
    every = sorted(int(r.code.rsplit("-", 1)[1]) for r in stored)
    assert every == list(range(1, len(every) + 1))  # the whole day of this agency: 1..N


def ws_url(live_server: Any) -> str:
    return str(live_server.url).replace("http://", "ws://") + "/graphql"


async def _subscribe(live_server: Any, token: str, code: str) -> Any:
    ws = await websockets.connect(ws_url(live_server), subprotocols=[Subprotocol("graphql-transport-ws")])
    await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}))
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    query = "subscription($c: String) { dossierStatusChanged(code: $c) { code status applicant { personalId } } }"
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query, "variables": {"c": code}}}))
    return ws


async def test_a_citizen_follows_their_dossier_and_another_citizen_sees_nothing(
    live_server: Any, seeded: Seeded
) -> None:
    _, agency, people = ward(seeded, 18)
    owner, stranger = people[0], people[1]
    async with live_server.client(Role.CITIZEN, subject=owner.pid) as http:
        data = {"procedureCode": RESIDENCE, "applicantPersonalId": owner.pid, "channel": "ONLINE", "agencyCode": agency}
        r = await http.post("/graphql", json={"query": SUBMIT, "variables": {"in": data}})
    code = r.json()["data"]["dossierSubmit"]["dossier"]["code"]
    mine = await _subscribe(live_server, token_for(live_server.settings, Role.CITIZEN, subject=owner.pid), code)
    theirs = await _subscribe(live_server, token_for(live_server.settings, Role.CITIZEN, subject=stranger.pid), code)
    try:
        await asyncio.sleep(0.3)  # both subscriptions are listening
        async with live_server.client() as admin:
            name, input_type, _ = ACTIONS[A.ACCEPT]
            r = await admin.post("/graphql", json={"query": act(name, input_type), "variables": {"in": {"code": code}}})
            assert r.json()["data"]["dossierAccept"]["userErrors"] == []
        message = json.loads(await asyncio.wait_for(mine.recv(), timeout=3))
        assert message["type"] == "next" and message["id"] == "1"
        assert message["payload"]["data"]["dossierStatusChanged"] == {
            "code": code, "status": "ACCEPTED", "applicant": {"personalId": owner.pid}}  # fmt: skip
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(theirs.recv(), timeout=1.5)
    finally:
        await mine.close()
        await theirs.close()
