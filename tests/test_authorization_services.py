"""Field policy and row scoping of the services store: dossiers, their pauses, appointments, paid look-ups.

Every role walks every guarded field of the domain (taken from POLICY, not listed by hand) through every path
that reaches it: the root by-key field, the root list and its totalCount, `node(id)`, the nested links
(`Citizen.dossiers`, `AppointmentSlot.appointments`), the statistics, and the dossierStatusChanged
subscription. Which rows each role sees is written out here (the expectation); which fields it reads on them
follows from the policy's readers.

The records walked are added by this module (received in January 2030, a month no other test uses), fully
filled in, so that every guarded field has a value for the readers who may see it.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest
import strawberry
from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType
from sqlalchemy import func, select

from govgraph.auth.identity import Principal, Role
from govgraph.auth.policy import NOT_PERSONAL, POLICY, SUBJECTS
from govgraph.context import Context
from govgraph.datasources import services as ds
from govgraph.domain.services import HANOI
from govgraph.events import Event, InProcessBus
from govgraph.resolvers import services as resolvers
from govgraph.schema import build_schema
from govgraph.seed import PILOT_WARD
from tests.conftest import GQL, STAFF_PURPOSE, Seeded

TYPES = ("Dossier", "DossierPause", "Appointment", "PaidLookup")
FINANCE = "000.00.03.H26"  # Sở Tài chính: a city department (its officers' `unit` is its agency code)
POLICE = "000.00.90.H26"  # Công an thành phố: provides the ID-card look-ups (KT-02)
OTHER_WARD = "00004"
MONTH = "2030-01"


def when(day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2030, 1, day, hour, tzinfo=HANOI)


# ---------------------------------------------------------------------------------------------------------
# The records walked
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class World:
    owner: str
    parent: str
    stranger: str
    ward_agency: str
    ward_dossier: str
    city_dossier: str
    booking: str
    slot: str
    lookup: str


async def _fee_id(seeded: Seeded, procedure: str) -> int:
    f = ds.fees.c
    stmt = select(func.min(f.id)).where(f.procedure_code == procedure, f.channel == "ONLINE")
    return int(await seeded.stores["services"].scalar(stmt))


@pytest.fixture
async def world(seeded: Seeded) -> World:
    """A resident of the pilot ward (with a parent there) who filed a dossier at the ward and one at a city
    department, booked a visit and paid for a look-up of their parent's data. Added once per backend."""
    owner = next(p for p in seeded.ctx.by_unit[PILOT_WARD] if p.father and p.phone)
    parent = seeded.ctx.by_pid[str(owner.father)]
    stranger = next(p for p in seeded.ctx.by_unit[PILOT_WARD] if p.pid not in (owner.pid, parent.pid))
    store = seeded.stores["services"]
    a = ds.agencies.c
    stmt = select(a.code).where(a.unit_code == PILOT_WARD, a.kind == "WARD_PEOPLES_COMMITTEE")
    ward_agency = str(await store.scalar(stmt))
    w = World(
        owner=owner.pid,
        parent=parent.pid,
        stranger=stranger.pid,
        ward_agency=ward_agency,
        ward_dossier=f"{ward_agency}-300102-9001",
        city_dossier=f"{FINANCE}-300102-9001",
        booking="LHAUTHZ001",
        slot=f"{ward_agency}:2030-01-03:09",
        lookup="KT-300102-990001",
    )
    if await store.scalar(select(ds.dossiers.c.code).where(ds.dossiers.c.code == w.ward_dossier)):
        return w
    async with store.begin() as conn:
        for code, agency, procedure, status in (
            (w.ward_dossier, ward_agency, "CA-02", "PROCESSING"),
            (w.city_dossier, FINANCE, "DN-02", "REFUSED"),
        ):
            await ds.insert_dossier(
                conn, code=code, procedure_code=procedure, agency_code=agency, applicant_pid=owner.pid,
                applicant_type="CITIZEN", channel="ONLINE", status=status, received_at=when(2),
                accepted_at=when(2, 10), due_at=when(8, 17), completed_at=None, returned_at=None,
                status_at=when(3), apology_at=None, new_due_at=None, fee_id=await _fee_id(seeded, procedure),
                fee_amount=10_000, amount_due=25_000, paid_at=when(3, 11),
                status_note="Hồ sơ thiếu bản sao giấy chứng nhận (kiểm thử)",
            )  # fmt: skip
            await ds.open_pause(conn, code, "ADDITIONAL_DOCUMENTS", when(2, 11), "Bản sao sổ hộ khẩu (kiểm thử)")
            await ds.close_pauses(conn, code, when(3, 8))
        await conn.execute(ds.appointment_slots.insert().values(key=w.slot, agency_code=ward_agency,
                           day=dt.date(2030, 1, 3), start_hour=9, capacity=5, booked=1))  # fmt: skip
        await ds.insert_appointment(conn, booking_code=w.booking, slot_key=w.slot, citizen_pid=owner.pid,
                                    procedure_code="CA-02", status="BOOKED", booked_at=when(1))  # fmt: skip
        await ds.insert_lookup(
            conn, code=w.lookup, kind="ID_CARD", procedure_code="KT-02", requester_pid=owner.pid,
            subject=parent.pid, purpose="Xác minh nhân thân để ký hợp đồng (kiểm thử)", consent=True,
            requested_at=when(2), fee_id=await _fee_id(seeded, "KT-02"), amount=1_000, payment_status="PAID",
            paid_at=when(2, 10), result=f"Số định danh cá nhân {parent.pid} có trong Cơ sở dữ liệu (kiểm thử).",
        )  # fmt: skip
    return w


# ---------------------------------------------------------------------------------------------------------
# The roles, and which rows each one sees (the expectation, written out)
# ---------------------------------------------------------------------------------------------------------

ROLES: dict[str, tuple[Role, dict[str, Any]]] = {
    "owner": (Role.CITIZEN, {}),
    "parent": (Role.CITIZEN, {}),
    "stranger": (Role.CITIZEN, {}),
    "ward officer": (Role.OFFICER, {"subject": "canbo-motcua-82", "unit": PILOT_WARD, "domains": ("services",)}),
    "ward officer, services and population": (
        Role.OFFICER,
        {"subject": "canbo-motcua-82b", "unit": PILOT_WARD, "domains": ("services", "population")},
    ),
    "officer of another ward": (Role.OFFICER, {"unit": OTHER_WARD, "domains": ("services",)}),
    "officer of another domain": (Role.OFFICER, {"unit": PILOT_WARD, "domains": ("population", "complaints")}),
    "finance department officer": (Role.OFFICER, {"unit": FINANCE, "domains": ("services",)}),
    "police officer": (Role.OFFICER, {"unit": POLICE, "domains": ("services",)}),
    "teacher": (Role.TEACHER, {"school": "THCS-00082-01"}),
    "inspector": (Role.INSPECTOR, {}),
    "device": (Role.DEVICE, {}),
    "operator": (Role.OPERATOR, {}),
    "admin": (Role.ADMIN, {}),
}
WARD_DESK = {"ward officer", "ward officer, services and population"}
CITY_WIDE = {"operator", "admin"}
SEES = {
    "ward_dossier": {"owner", *WARD_DESK, *CITY_WIDE},
    "city_dossier": {"owner", "finance department officer", *CITY_WIDE},
    "booking": {"owner", *WARD_DESK, *CITY_WIDE},
    "lookup": {"owner", "police officer", *CITY_WIDE},
}


def claims(w: World, name: str) -> tuple[Role, dict[str, Any]]:
    role, extra = ROLES[name]
    if role == Role.CITIZEN:
        return role, {"subject": {"owner": w.owner, "parent": w.parent, "stranger": w.stranger}[name]}
    return role, dict(extra)


def principal(w: World, name: str) -> Principal:
    role, c = claims(w, name)
    return Principal(subject=c.get("subject") or f"{role.value}-dev", role=role, unit=c.get("unit"),
                     school=c.get("school"), domains=tuple(c.get("domains", ())), purpose=STAFF_PURPOSE)  # fmt: skip


def client(as_role: Callable[..., GQL], w: World, name: str, **extra: Any) -> GQL:
    role, c = claims(w, name)
    return as_role(role, **{**c, **extra})


# ---------------------------------------------------------------------------------------------------------
# The fields walked, from POLICY
# ---------------------------------------------------------------------------------------------------------


def guarded(type_name: str) -> list[str]:
    return [k.split(".", 1)[1] for k in POLICY if k.split(".", 1)[0] == type_name]


def _named(t: Any) -> Any:
    while isinstance(t, GraphQLNonNull | GraphQLList):
        t = t.of_type
    return t


def selection(type_name: str) -> str:
    """The record's code and every guarded field (objects by their __typename)."""
    gql = build_schema()._schema.type_map[type_name]
    parts = []
    for name in guarded(type_name):
        is_object = isinstance(_named(gql.fields[name].type), GraphQLObjectType)  # type: ignore[attr-defined]
        parts.append(f"{name} {{ __typename }}" if is_object else name)
    return " ".join(parts)


KEYS = {"Dossier": "code", "Appointment": "bookingCode", "PaidLookup": "code"}


def fields_of(type_name: str) -> str:
    extra = f" pauses {{ reason {selection('DossierPause')} }}" if type_name == "Dossier" else ""
    return f"{KEYS[type_name]} {selection(type_name)}{extra}"


class _Ctx:
    def __init__(self, p: Principal) -> None:
        self.principal = p


async def may_read(key: str, who: Principal, record: Any) -> bool:
    """Whether the policy's readers allow ``who`` this field of ``record`` (its Subject from SUBJECTS)."""
    subject = SUBJECTS[key.split(".", 1)[0]](record)
    for reader in POLICY[key].readers:
        if await reader.allows(_Ctx(who), subject):  # type: ignore[arg-type]
            return True
    return False


def records(w: World) -> dict[str, tuple[str, Any]]:
    """What the Subject functions see of each record (the strawberry.Private attributes)."""
    ward = SimpleNamespace(code=w.ward_dossier, applicant_pid=w.owner, jurisdiction=PILOT_WARD,
                           dossier_code=w.ward_dossier)  # fmt: skip
    city = SimpleNamespace(code=w.city_dossier, applicant_pid=w.owner, jurisdiction=FINANCE,
                           dossier_code=w.city_dossier)  # fmt: skip
    return {
        "ward_dossier": ("Dossier", ward),
        "city_dossier": ("Dossier", city),
        "booking": (
            "Appointment",
            SimpleNamespace(booking_code=w.booking, citizen_pid=w.owner, jurisdiction=PILOT_WARD),
        ),
        "lookup": ("PaidLookup", SimpleNamespace(code=w.lookup, requester_pid=w.owner, jurisdiction=POLICE)),
    }


async def check_record(got: dict[str, Any], full: dict[str, Any], type_name: str, who: Principal, rec: Any) -> None:
    """Each guarded field: the full value for an allowed reader, null for everyone else."""
    for name in guarded(type_name):
        assert full[name] is not None, f"the admin must see {type_name}.{name} (test data incomplete)"
        expected = full[name] if await may_read(f"{type_name}.{name}", who, rec) else None
        assert got[name] == expected, f"{type_name}.{name} for {who.role.value} {who.unit}: {got[name]!r}"
    if type_name == "Dossier":
        assert len(got["pauses"]) == len(full["pauses"]) == 1
        await check_record(got["pauses"][0], full["pauses"][0], "DossierPause", who, rec)


# ---------------------------------------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------------------------------------


def test_services_types_are_classified_and_say_who_reads_them() -> None:
    for type_name in TYPES:
        assert type_name in SUBJECTS and guarded(type_name)
    sdl = build_schema().as_str()
    assert "officers of the services store in the record's unit" in sdl
    schema = build_schema()._schema
    for type_name in TYPES:
        for name in schema.type_map[type_name].fields:  # type: ignore[attr-defined]
            key = f"{type_name}.{name}"
            assert key in POLICY or key in NOT_PERSONAL, key
            if key in POLICY:  # whoever may not read it gets null
                field = schema.type_map[type_name].fields[name]  # type: ignore[attr-defined]
                assert not isinstance(field.type, GraphQLNonNull), key
                assert "Access: the person themselves" in (field.description or ""), key


DOSSIER_BY_CODE = "query($c: String!) {{ dossier(code: $c) {{ {f} }} }}"
DOSSIERS = """query($a: String!) {{ dossiers(first: 100, filter: {{agencyCode: $a, receivedFrom: "2030-01-01",
  receivedTo: "2030-01-31"}}) {{ totalCount nodes {{ {f} }} }} }}"""
NODE = "query($id: ID!) {{ node(id: $id) {{ ... on {t} {{ {f} }} }} }}"
BOOKING = "query($c: String!) {{ appointment(bookingCode: $c) {{ {f} }} }}"
SLOT = (
    'query($a: String!) {{ appointmentSlots(agencyCode: $a, date: "2030-01-03") {{ startHour appointments {{ {f} }} '
    "}} }}"
)
LOOKUPS = "{{ paidLookups(first: 100) {{ totalCount nodes {{ {f} }} }} }}"


async def _admin_view(as_admin: GQL, w: World) -> dict[str, Any]:
    d = fields_of("Dossier")
    full = {
        "ward_dossier": (await as_admin(DOSSIER_BY_CODE.format(f=f"id {d}"), {"c": w.ward_dossier}))["data"]["dossier"],
        "city_dossier": (await as_admin(DOSSIER_BY_CODE.format(f=f"id {d}"), {"c": w.city_dossier}))["data"]["dossier"],
        "booking": (await as_admin(BOOKING.format(f=f"id {fields_of('Appointment')}"), {"c": w.booking}))["data"][
            "appointment"
        ],
    }
    lookups = (await as_admin(LOOKUPS.format(f=f"id {fields_of('PaidLookup')}")))["data"]["paidLookups"]["nodes"]
    full["lookup"] = next(n for n in lookups if n["code"] == w.lookup)
    return full


@pytest.mark.parametrize("name", list(ROLES))
async def test_every_guarded_field_on_every_path(
    as_role: Callable[..., GQL], as_admin: GQL, seeded: Seeded, world: World, name: str
) -> None:
    w = world
    who = principal(w, name)
    gql = client(as_role, w, name)
    full = await _admin_view(as_admin, w)
    recs = records(w)

    async def walk(key: str, got: dict[str, Any] | None, path: str) -> None:
        type_name, rec = recs[key]
        if name not in SEES[key]:
            assert got is None, f"{name} must not see the {key} through {path}"
            return
        assert got is not None, f"{name} must see the {key} through {path}"
        await check_record(got, full[key], type_name, who, rec)

    d = fields_of("Dossier")
    for key, code, agency in (("ward_dossier", w.ward_dossier, w.ward_agency), ("city_dossier", w.city_dossier,
                                                                               FINANCE)):  # fmt: skip
        by_code = await gql(DOSSIER_BY_CODE.format(f=d), {"c": code})
        await walk(key, by_code["data"]["dossier"], "dossier(code)")
        node = await gql(NODE.format(t="Dossier", f=d), {"id": full[key]["id"]})
        await walk(key, node["data"]["node"], "node(id)")
        listed = (await gql(DOSSIERS.format(f=d), {"a": agency}))["data"]["dossiers"]
        found = [n for n in listed["nodes"] if n["code"] == code]
        await walk(key, found[0] if found else None, "dossiers")
        assert listed["totalCount"] == len(listed["nodes"]) == (1 if name in SEES[key] else 0)

    a = fields_of("Appointment")
    await walk("booking", (await gql(BOOKING.format(f=a), {"c": w.booking}))["data"]["appointment"], "appointment")
    node = await gql(NODE.format(t="Appointment", f=a), {"id": full["booking"]["id"]})
    await walk("booking", node["data"]["node"], "node(id)")
    slots = (await gql(SLOT.format(f=a), {"a": w.ward_agency}))["data"]["appointmentSlots"]
    bookings = next(s for s in slots if s["startHour"] == 9)["appointments"]  # the slot itself is public
    await walk("booking", next((b for b in bookings if b["bookingCode"] == w.booking), None), "slot.appointments")
    assert len(bookings) == (1 if name in SEES["booking"] else 0)

    k = fields_of("PaidLookup")
    lookups = (await gql(LOOKUPS.format(f=k)))["data"]["paidLookups"]
    await walk("lookup", next((n for n in lookups["nodes"] if n["code"] == w.lookup), None), "paidLookups")
    node = await gql(NODE.format(t="PaidLookup", f=k), {"id": full["lookup"]["id"]})
    await walk("lookup", node["data"]["node"], "node(id)")
    await _check_lookup_count(seeded, w, name, lookups["totalCount"])

    # Aggregates count only what the caller may list.
    visible = sum(1 for key in ("ward_dossier", "city_dossier") if name in SEES[key])
    stats = await gql(f'{{ dossierStatistics(monthFrom: "{MONTH}", monthTo: "{MONTH}") {{ received }} }}')
    assert stats["data"]["dossierStatistics"] == [{"received": visible}]
    unit = await gql(
        f'query($u: String!) {{ administrativeUnit(code: $u) {{ dossierStatistics(monthFrom: "{MONTH}", '
        f'monthTo: "{MONTH}") {{ received }} }} }}',
        {"u": PILOT_WARD},
    )
    ward_seen = 1 if name in SEES["ward_dossier"] else 0
    assert unit["data"]["administrativeUnit"]["dossierStatistics"]["received"] == ward_seen


async def _check_lookup_count(seeded: Seeded, w: World, name: str, total: int) -> None:
    c = ds.paid_lookups.c
    store = seeded.stores["services"]
    if name == "owner":
        expected = await store.scalar(select(func.count()).where(c.requester_pid == w.owner))
    elif name == "police officer":
        expected = await store.scalar(select(func.count()).where(c.procedure_code == "KT-02"))
    elif name in CITY_WIDE:
        expected = await store.scalar(select(func.count()).select_from(ds.paid_lookups))
    elif name in ("parent", "stranger"):
        pid = w.parent if name == "parent" else w.stranger
        expected = await store.scalar(select(func.count()).where(c.requester_pid == pid))
    else:
        expected = 0
    assert total == expected, name


async def test_citizen_dossiers_link_respects_the_row_scope(
    as_role: Callable[..., GQL], as_admin: GQL, world: World
) -> None:
    """`Citizen.dossiers`: the person, a desk officer who also reads the register (their ward's dossiers only),
    admins; a parent reaches the child but not the child's dossiers; an operator gets null."""
    w = world
    d = fields_of("Dossier")
    query = f"query($p: String!) {{ citizen(personalId: $p) {{ dossiers {{ {d} }} }} }}"
    mine = await client(as_role, w, "owner")(f"{{ me {{ dossiers {{ {d} }} }} }}")
    codes = {x["code"] for x in mine["data"]["me"]["dossiers"]}
    assert {w.ward_dossier, w.city_dossier} <= codes
    both = await client(as_role, w, "ward officer, services and population")(query, {"p": w.owner})
    seen = {x["code"] for x in both["data"]["citizen"]["dossiers"]}
    assert w.ward_dossier in seen and w.city_dossier not in seen
    ward_only = next(x for x in both["data"]["citizen"]["dossiers"] if x["code"] == w.ward_dossier)
    assert ward_only["applicant"] == {"__typename": "Citizen"} and ward_only["statusReason"]
    parent = await client(as_role, w, "parent")(query, {"p": w.owner})
    assert parent["data"]["citizen"] is not None
    assert parent["data"]["citizen"]["dossiers"] is None  # the policy: a parent does not read a child's dossiers
    operator = await client(as_role, w, "operator")(query, {"p": w.owner})
    assert operator["data"]["citizen"]["dossiers"] is None
    admin = await as_admin(query, {"p": w.owner})
    assert {w.ward_dossier, w.city_dossier} <= {x["code"] for x in admin["data"]["citizen"]["dossiers"]}


async def test_staff_reads_need_a_purpose_and_are_audited(
    as_role: Callable[..., GQL], as_admin: GQL, world: World
) -> None:
    w = world
    refused = client(as_role, w, "ward officer", purpose=None)
    body = await refused(DOSSIER_BY_CODE.format(f=fields_of("Dossier")), {"c": w.ward_dossier}, expect_errors=True)
    assert {e["extensions"]["code"] for e in body["errors"]} == {"PURPOSE_REQUIRED"}
    plain = await refused(DOSSIER_BY_CODE.format(f="code status dueAt procedure { code }"), {"c": w.ward_dossier})
    assert plain["data"]["dossier"]["code"] == w.ward_dossier  # the workflow is not personal: no purpose needed
    for key, query, variables in (
        ("Appointment.citizen", BOOKING.format(f="citizen { __typename }"), {"c": w.booking}),
        ("PaidLookup.subject", LOOKUPS.format(f="subject"), None),
    ):
        officer = "police officer" if key.startswith("PaidLookup") else "ward officer"
        body = await client(as_role, w, officer, purpose=None)(query, variables, expect_errors=True)
        assert {e["extensions"]["code"] for e in body["errors"]} == {"PURPOSE_REQUIRED"}, key

    reader = client(as_role, w, "ward officer", purpose="Giải quyết hồ sơ tạm trú")
    await reader(DOSSIER_BY_CODE.format(f=fields_of("Dossier")), {"c": w.ward_dossier})
    await reader(BOOKING.format(f=fields_of("Appointment")), {"c": w.booking})
    log = await client(as_role, w, "owner")(
        "{ me { accessLog(first: 50) { nodes { reader purpose record fields } } } }"
    )
    entries = [e for e in log["data"]["me"]["accessLog"]["nodes"] if e["reader"] == "canbo-motcua-82"]
    by_record = {e["record"]: set(e["fields"]) for e in entries if e["purpose"] == "Giải quyết hồ sơ tạm trú"}
    assert {f"Dossier.{f}" for f in guarded("Dossier")} | {"DossierPause.note"} <= by_record[
        f"Dossier:{w.ward_dossier}"
    ]
    assert by_record[f"Appointment:{w.booking}"] == {f"Appointment.{f}" for f in guarded("Appointment")}
    # The owner's own reads are not audited; nor are the operator's (they get nulls).
    await client(as_role, w, "owner")(DOSSIER_BY_CODE.format(f=fields_of("Dossier")), {"c": w.ward_dossier})
    await client(as_role, w, "operator")(DOSSIER_BY_CODE.format(f=fields_of("Dossier")), {"c": w.ward_dossier})
    trail = await as_admin(
        "query($p: String!) { auditLog(first: 100, filter: {subjectPersonalId: $p}) { nodes { reader } } }",
        {"p": w.owner},
    )
    readers = {e["reader"] for e in trail["data"]["auditLog"]["nodes"]}
    assert w.owner not in readers and "operator-dev" not in readers


async def test_node_ids_carry_no_personal_id(as_admin: GQL, world: World) -> None:
    full = await _admin_view(as_admin, world)
    for key in ("ward_dossier", "booking", "lookup"):
        decoded = base64.b64decode(full[key]["id"] + "==").decode()
        assert world.owner not in decoded and world.parent not in decoded, decoded


async def _collect(stream: Any, expected: int) -> list[dict[str, Any]]:
    """The dossiers the subscription yields: ``expected`` of them, then nothing more for half a second. Every step
    of the subscription runs in this one task (its context variables are set and reset in one context)."""
    got: list[dict[str, Any]] = []
    try:
        while True:
            async with asyncio.timeout(5 if len(got) < expected else 0.5):
                result = await anext(stream)
            assert result.errors is None, result.errors
            got.append(result.data["dossierStatusChanged"])
    except TimeoutError:
        return got
    finally:
        await stream.aclose()


@pytest.mark.parametrize(
    "name",
    ["owner", "stranger", "ward officer", "officer of another ward", "finance department officer", "operator",
     "admin"],
)  # fmt: skip
async def test_the_subscription_delivers_only_what_the_subscriber_may_see(
    seeded: Seeded, as_admin: GQL, world: World, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each event is checked against the subscriber, and the dossier is reloaded through the row scope: an
    event that names the subscriber's unit (or person) but a dossier outside their scope delivers nothing. What
    is delivered carries the guarded fields as a query would."""
    w = world
    full = await _admin_view(as_admin, w)
    who = principal(w, name)
    store = seeded.stores["services"]
    monkeypatch.setitem(resolvers._overdue_checked, store.url, dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
    bus = InProcessBus()
    schema = build_schema()
    fields = fields_of("Dossier")
    stream = await schema.subscribe(
        f"subscription {{ dossierStatusChanged {{ {fields} }} }}",
        context_value=Context(stores=seeded.stores, principal=who, bus=bus),
    )
    assert not isinstance(stream, strawberry.types.ExecutionResult)

    def event(code: str, agency: str, unit: str | None, pid: str) -> Event:
        payload = {"code": code, "applicant_pid": pid, "agency_code": agency, "unit_code": unit,
                   "old_status": "ACCEPTED", "new_status": "PROCESSING"}  # fmt: skip
        return Event("services.dossier.processed", payload)

    ward = event(w.ward_dossier, w.ward_agency, PILOT_WARD, w.owner)
    city = event(w.city_dossier, FINANCE, None, w.owner)
    # A misleading event: the city dossier, labelled as if it belonged to the subscriber's unit (and person).
    forged = event(w.city_dossier, w.ward_agency, who.unit or PILOT_WARD, who.subject)
    expected = [k for k, e in (("city_dossier", forged), ("ward_dossier", ward), ("city_dossier", city))
                if name in SEES[k]]  # fmt: skip
    consumer = asyncio.create_task(_collect(stream, len(expected)))
    await asyncio.sleep(0.1)  # the subscription has joined the bus
    await bus.publish([forged, ward, city])
    got = await consumer
    codes = {"ward_dossier": w.ward_dossier, "city_dossier": w.city_dossier}
    assert [d["code"] for d in got] == [codes[k] for k in expected], name
    for key, dossier in zip(expected, got, strict=True):
        await check_record(dossier, full[key], "Dossier", who, records(w)[key][1])
