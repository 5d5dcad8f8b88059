"""Who may see which parking sessions (movement data), through every path that reaches one (DESIGN.md §6).

A session's plate and payer are personal; its rows are scoped in SQL (govgraph.auth.scope.parking_sessions): the
citizen who paid, parking officers of the facility's unit, operators (plate masked, no payer) and admins; no one
else. The matrix below walks every caller over every path to a seeded session, and the expected value of each
guarded field is derived from the POLICY entries of the parking block, so a new entry is walked too.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import itertools
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from govgraph.auth.identity import Principal, Role
from govgraph.auth.policy import NOT_PERSONAL, POLICY, SUBJECTS, FieldPolicy
from govgraph.auth.rules import Subject
from govgraph.datasources.parking import facilities, sessions, spots
from govgraph.datasources.places import CURRENT
from govgraph.domain.parking import mask_plate
from tests.conftest import GQL, Seeded, token_for

GUARDED = {k.split(".", 1)[1]: p for k, p in POLICY.items() if k.startswith("ParkingSession.")}
"""The parking block's guarded fields: the matrix covers each of them."""

SELECTIONS: dict[str, str] = {"plate": "plate", "payer": "payer { id }"}
"""How each guarded field is selected (payer: its opaque id, itself not personal)."""

FIELDS = f"id startedAt facility {{ code }} {' '.join(SELECTIONS.values())}"


# ---------------------------------------------------------------------------------------------------------
# The seeded session under test, and the callers
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    id: int
    node_id: str
    plate: str
    payer: str
    payer_node_id: str
    facility: str
    unit: str
    started_at: dt.datetime
    spot: int | None
    open: bool

    def truth(self, name: str) -> Any:
        return {"plate": self.plate, "payer": {"id": self.payer_node_id}}[name]


@dataclass(frozen=True)
class Caller:
    name: str
    role: Role
    claims: dict[str, Any] = field(default_factory=dict)
    sees: bool = False
    """Whether the session's row is in this caller's scope."""

    def principal(self) -> Principal:
        c = self.claims
        return Principal(subject=c.get("subject", f"{self.role.value}-dev"), role=self.role, unit=c.get("unit"),
                         school=c.get("school"), domains=tuple(c.get("domains", ())))  # fmt: skip


async def readable(policy: FieldPolicy, principal: Principal, subject: Subject) -> bool:
    ctx = SimpleNamespace(principal=principal)
    return any([await r.allows(ctx, subject) for r in policy.readers])  # type: ignore[arg-type]


async def expected(caller: Caller, target: Target) -> dict[str, Any]:
    """What this caller must get in each guarded field of the target (when the row reaches them at all)."""
    subject = SUBJECTS["ParkingSession"](
        SimpleNamespace(key=str(target.id), payer_pid=target.payer, unit_code=target.unit)
    )
    out = {}
    for name, policy in GUARDED.items():
        value = target.truth(name)
        out[name] = value if await readable(policy, caller.principal(), subject) else policy.otherwise(value)
    return out


async def pick_target(seeded: Seeded, as_admin: GQL) -> Target:
    """An open session on a numbered street space, paid by a citizen (so every path reaches it)."""
    s, f = sessions.c, facilities.c
    row = (
        await seeded.stores["parking"].all(
            select(s.id, s.plate, s.payer_pid, s.facility_code, s.started_at, s.spot_number, s.ended_at, f.unit_code)
            .select_from(sessions.join(facilities, f.code == s.facility_code))
            .where(s.payer_pid.is_not(None), s.spot_number.is_not(None), s.ended_at.is_(None))
            .where(f.unit_structure == CURRENT.value)
            .order_by(s.id)
            .limit(1)
        )
    )[0]
    body = await as_admin(
        "query($id: ID!) { node(id: $id) { ... on ParkingSession { id startedAt payer { id } } } }",
        {"id": base64.b64encode(f"ParkingSession:{row.id}".encode()).decode()},
    )
    node = body["data"]["node"]
    return Target(
        id=row.id, node_id=node["id"], plate=row.plate, payer=row.payer_pid, payer_node_id=node["payer"]["id"],
        facility=row.facility_code, unit=row.unit_code, started_at=dt.datetime.fromisoformat(node["startedAt"]),
        spot=row.spot_number, open=row.ended_at is None,
    )  # fmt: skip


def callers(seeded: Seeded, target: Target, other_unit: str) -> list[Caller]:
    stranger = next(p.pid for p in seeded.ctx.people if p.pid != target.payer)
    parents = [p for p in (seeded.ctx.by_pid[target.payer].father, seeded.ctx.by_pid[target.payer].mother) if p]
    out = [
        Caller("citizen who paid", Role.CITIZEN, {"subject": target.payer}, sees=True),
        Caller("another citizen", Role.CITIZEN, {"subject": stranger}),
        Caller(
            "parking officer of the unit",
            Role.OFFICER,
            {"subject": "pk-unit", "unit": target.unit, "domains": ("parking",)},
            sees=True,
        ),
        Caller(
            "parking officer of another unit",
            Role.OFFICER,
            {"subject": "pk-other", "unit": other_unit, "domains": ("parking",)},
        ),
        Caller(
            "officer of another domain",
            Role.OFFICER,
            {"subject": "pop-unit", "unit": target.unit, "domains": ("population", "services")},
        ),
        Caller("teacher", Role.TEACHER, {"subject": "gv-1", "school": "THCS-001"}),
        Caller("inspector", Role.INSPECTOR, {"subject": "insp-1"}),
        Caller("device", Role.DEVICE, {"subject": "meter-1"}),
        Caller("operator", Role.OPERATOR, {"subject": "ops-1"}, sees=True),
        Caller("admin", Role.ADMIN, {"subject": "admin-1"}, sees=True),
    ]
    out += [Caller("parent of the payer", Role.CITIZEN, {"subject": pid}) for pid in parents[:1]]
    return out


async def other_unit(seeded: Seeded, unit: str) -> str:
    """Another ward with parking facilities."""
    f = facilities.c
    found = await seeded.stores["parking"].scalar(
        select(f.unit_code).where(f.unit_code != unit, f.unit_structure == CURRENT.value).order_by(f.unit_code).limit(1)
    )
    return str(found)


# ---------------------------------------------------------------------------------------------------------
# Paths to a session
# ---------------------------------------------------------------------------------------------------------

Path = Callable[[GQL, Target], Awaitable[dict[str, Any] | None]]


def _window(t: Target) -> dict[str, str]:
    return {"from": t.started_at.isoformat(), "to": (t.started_at + dt.timedelta(seconds=1)).isoformat()}


def _find(nodes: list[dict[str, Any]] | None, t: Target) -> dict[str, Any] | None:
    return next((n for n in nodes or [] if n and n["id"] == t.node_id), None)


async def root_list(gql: GQL, t: Target) -> dict[str, Any] | None:
    body = await gql(
        f"query($f: String!, $from: DateTime!, $to: DateTime!) {{ parkingSessions(filter: {{facilityCode: $f, "
        f"startedFrom: $from, startedTo: $to}}, first: 100) {{ totalCount nodes {{ {FIELDS} }} }} }}",
        {"f": t.facility, **_window(t)},
    )
    conn = body["data"]["parkingSessions"]
    found = _find(conn["nodes"], t)
    assert conn["totalCount"] == len(conn["nodes"])  # the count respects the scope
    return found


async def node(gql: GQL, t: Target) -> dict[str, Any] | None:
    body = await gql(
        f"query($id: ID!) {{ node(id: $id) {{ ... on ParkingSession {{ {FIELDS} }} }} }}", {"id": t.node_id}
    )
    found: dict[str, Any] | None = body["data"]["node"] or None
    return found


async def nodes(gql: GQL, t: Target) -> dict[str, Any] | None:
    body = await gql(f"query($ids: [ID!]!) {{ nodes(ids: $ids) {{ ... on ParkingSession {{ {FIELDS} }} }} }}",
                     {"ids": [t.node_id]})  # fmt: skip
    return _find(body["data"]["nodes"], t)


async def facility_sessions(gql: GQL, t: Target) -> dict[str, Any] | None:
    body = await gql(
        f"query($f: String!, $from: DateTime!, $to: DateTime!) {{ parkingFacility(code: $f) {{ "
        f"sessions(from: $from, to: $to, first: 100) {{ totalCount nodes {{ {FIELDS} }} }} }} }}",
        {"f": t.facility, **_window(t)},
    )
    conn = body["data"]["parkingFacility"]["sessions"]
    assert conn["totalCount"] == len(conn["nodes"])
    return _find(conn["nodes"], t)


async def spot_session(gql: GQL, t: Target) -> dict[str, Any] | None:
    body = await gql(
        f"query($f: String!) {{ parkingFacility(code: $f) {{ spots {{ number occupied currentSession {{ {FIELDS} }} "
        f"}} }} }}",
        {"f": t.facility},
    )
    spot = next(s for s in body["data"]["parkingFacility"]["spots"] if s["number"] == t.spot)
    assert spot["occupied"] is True  # availability is for everyone
    found: dict[str, Any] | None = spot["currentSession"]
    return found


async def unit_facilities(gql: GQL, t: Target) -> dict[str, Any] | None:
    body = await gql(
        f"query($u: String!, $from: DateTime!, $to: DateTime!) {{ administrativeUnit(code: $u) {{ parkingFacilities "
        f"{{ code sessions(from: $from, to: $to, first: 100) {{ nodes {{ {FIELDS} }} }} }} }} }}",
        {"u": t.unit, **_window(t)},
    )
    facs = body["data"]["administrativeUnit"]["parkingFacilities"]
    return _find(next(f for f in facs if f["code"] == t.facility)["sessions"]["nodes"], t)


async def citizen_sessions(gql: GQL, t: Target) -> dict[str, Any] | None:
    """`Citizen.parkingSessions`, reached by personal ID (population row scope, then the Citizen policy)."""
    query = f"query($p: String!) {{ citizen(personalId: $p) {{ parkingSessions(last: 100) {{ {FIELDS} }} }} }}"
    body = await gql(query, {"p": t.payer})
    c = body["data"]["citizen"]
    return _find(c["parkingSessions"] if c else None, t)


async def payer_sessions(gql: GQL, t: Target) -> dict[str, Any] | None:
    """`Citizen.parkingSessions` reached from another session's payer (the link is not row-scoped)."""
    body = await gql(
        f"query($id: ID!) {{ node(id: $id) {{ ... on ParkingSession {{ payer {{ parkingSessions(last: 100) {{ "
        f"{FIELDS} }} }} }} }} }}",
        {"id": t.node_id},
    )
    n = body["data"]["node"]
    return _find(n["payer"]["parkingSessions"] if n and n["payer"] else None, t)


PRIMARY: list[Path] = [root_list, node, nodes, facility_sessions, spot_session, unit_facilities]
"""Paths that row-scope sessions by themselves: the target is there exactly when the caller's scope has it."""
LINKED: list[Path] = [citizen_sessions, payer_sessions]
"""Paths through a Citizen (its own policy decides whether the list is there; if it is, the same rules hold)."""


# ---------------------------------------------------------------------------------------------------------
# The matrix
# ---------------------------------------------------------------------------------------------------------


def test_the_matrix_covers_every_guarded_session_field() -> None:
    assert set(GUARDED) == set(SELECTIONS), "add a selection (and a truth) for each new ParkingSession entry"
    assert "ParkingSession" in SUBJECTS
    assert {"ParkingSession.startedAt", "ParkingSession.facility"} <= NOT_PERSONAL


def test_plate_mask_keeps_the_province_series_and_two_digits() -> None:
    assert mask_plate("29A-123.45") == "29A-***.45"
    assert mask_plate("30LD-123.45") == "30LD-***.45"
    assert mask_plate("29-B1 123.45") == "29-B1 ***.45"
    assert mask_plate("29A-1234") == "29A-**34"
    assert mask_plate("not a plate") is None and mask_plate(None) is None


async def test_every_caller_on_every_path(as_role: Callable[..., GQL], as_admin: GQL, seeded: Seeded) -> None:
    t = await pick_target(seeded, as_admin)
    assert t.open and t.spot is not None
    elsewhere = await other_unit(seeded, t.unit)
    for caller in callers(seeded, t, elsewhere):
        gql = as_role(caller.role, **caller.claims)
        want = await expected(caller, t)
        for path in [*PRIMARY, *LINKED]:
            got = await path(gql, t)
            where = f"{caller.name} via {path.__name__}"
            if path in PRIMARY:
                assert (got is not None) == caller.sees, where
            elif got is not None:
                assert caller.sees, f"{where}: a session outside the caller's scope"
            if got is not None:
                assert {k: got[k] for k in SELECTIONS} == want, where
                assert got["facility"] == {"code": t.facility}
        if caller.role == Role.OPERATOR:
            assert want == {"plate": mask_plate(t.plate), "payer": None} and want["plate"] != t.plate
        if caller.role in (Role.ADMIN, Role.CITIZEN) and caller.sees:
            assert want == {"plate": t.plate, "payer": {"id": t.payer_node_id}}
            assert await citizen_sessions(gql, t) is not None  # the payer's own list, and the admin's


async def test_counts_follow_the_row_scope(as_role: Callable[..., GQL], as_admin: GQL, seeded: Seeded) -> None:
    t = await pick_target(seeded, as_admin)
    elsewhere = await other_unit(seeded, t.unit)
    s, f = sessions.c, facilities.c
    store = seeded.stores["parking"]

    async def count(*where: Any) -> int:
        return int(await store.scalar(select(func.count()).select_from(sessions).where(*where)))

    def at_unit(unit: str) -> Any:
        return s.facility_code.in_(select(f.code).where(f.unit_code == unit, f.unit_structure == CURRENT.value))

    everything = await count()
    at_facility = await count(s.facility_code == t.facility)
    for caller in callers(seeded, t, elsewhere):
        c = caller.claims
        if caller.role in (Role.ADMIN, Role.OPERATOR):
            total, here = everything, at_facility
        elif caller.role == Role.CITIZEN:
            total = await count(s.payer_pid == c["subject"])
            here = await count(s.payer_pid == c["subject"], s.facility_code == t.facility)
        elif caller.role == Role.OFFICER and "parking" in c["domains"]:
            total = await count(at_unit(c["unit"]))
            here = at_facility if c["unit"] == t.unit else 0
        else:
            total = here = 0
        body = await as_role(caller.role, **caller.claims)(
            "query($f: String!) { parkingSessions { totalCount } parkingFacility(code: $f) { sessions { totalCount } "
            "availability { occupied } } }",
            {"f": t.facility},
        )
        d = body["data"]
        assert (d["parkingSessions"]["totalCount"], d["parkingFacility"]["sessions"]["totalCount"]) == (total, here), (
            caller.name
        )
        assert d["parkingFacility"]["availability"]["occupied"] >= 1  # availability is not personal: everyone
    assert everything > 0 and at_facility > 0


async def test_session_ids_are_opaque(as_admin: GQL, seeded: Seeded) -> None:
    t = await pick_target(seeded, as_admin)
    decoded = base64.b64decode(t.node_id + "==").decode()
    assert decoded == f"ParkingSession:{t.id}"
    assert t.plate not in decoded and t.payer not in decoded


# ---------------------------------------------------------------------------------------------------------
# Purpose and audit
# ---------------------------------------------------------------------------------------------------------


async def test_officer_reads_plates_with_a_purpose_and_is_audited(
    as_role: Callable[..., GQL], as_admin: GQL, seeded: Seeded
) -> None:
    t = await pick_target(seeded, as_admin)
    query = "query($id: ID!) { node(id: $id) { ... on ParkingSession { plate startedAt } } }"
    bare = as_role(Role.OFFICER, subject="pk-nopurpose", unit=t.unit, domains=("parking",), purpose=None)
    refused = await bare(query, {"id": t.node_id}, expect_errors=True)
    assert {e["extensions"]["code"] for e in refused["errors"]} == {"PURPOSE_REQUIRED"}
    unguarded = await bare("query($id: ID!) { node(id: $id) { ... on ParkingSession { startedAt open } } }",
                           {"id": t.node_id})  # fmt: skip
    assert unguarded["data"]["node"]["open"] is True  # the row is in scope; only the plate needs a purpose

    officer = as_role(Role.OFFICER, subject="pk-audited", unit=t.unit, domains=("parking",),
                      purpose="Xử lý vi phạm đỗ xe")  # fmt: skip
    assert (await officer(query, {"id": t.node_id}))["data"]["node"]["plate"] == t.plate
    me = as_role(Role.CITIZEN, subject=t.payer)
    log = await me("{ me { accessLog(first: 50) { nodes { reader readerRole purpose record fields } } } }")
    mine = [e for e in log["data"]["me"]["accessLog"]["nodes"] if e["reader"] == "pk-audited"]
    assert mine and mine[0]["purpose"] == "Xử lý vi phạm đỗ xe" and mine[0]["readerRole"] == "officer"
    assert mine[0]["record"] == f"ParkingSession:{t.id}" and "ParkingSession.plate" in mine[0]["fields"]
    own = await me(query, {"id": t.node_id})  # the payer's own reads are neither refused nor audited
    assert own["data"]["node"]["plate"] == t.plate


# ---------------------------------------------------------------------------------------------------------
# Looking up a plate
# ---------------------------------------------------------------------------------------------------------

BY_PLATE = "query($p: String!) { parkingSessions(filter: {plate: $p}, first: 100) { totalCount nodes { startedAt } } }"


async def test_the_plate_filter_is_for_those_who_may_read_plates(
    as_role: Callable[..., GQL], as_admin: GQL, seeded: Seeded
) -> None:
    t = await pick_target(seeded, as_admin)
    elsewhere = await other_unit(seeded, t.unit)
    s, f = sessions.c, facilities.c
    store = seeded.stores["parking"]

    async def count(*where: Any) -> int:
        return int(await store.scalar(select(func.count()).select_from(sessions).where(s.plate == t.plate, *where)))

    def at_unit(unit: str) -> Any:
        return s.facility_code.in_(select(f.code).where(f.unit_code == unit, f.unit_structure == CURRENT.value))

    sloppy = t.plate.replace("-", "").replace(".", "").replace(" ", "").lower()
    for caller in callers(seeded, t, elsewhere):
        c = caller.claims
        body = await as_role(caller.role, **c)(BY_PLATE, {"p": sloppy}, expect_errors=True)
        if caller.role == Role.ADMIN:
            want: int | None = await count()
        elif caller.role == Role.CITIZEN:
            want = await count(s.payer_pid == c["subject"])
        elif caller.role == Role.OFFICER and "parking" in c["domains"]:
            want = await count(at_unit(c["unit"]))
        else:
            want = None  # operators (plates are masked for them), devices, teachers, inspectors, other officers
        if want is None:
            assert body["data"] is None or body["data"]["parkingSessions"] is None, caller.name
            assert {e["extensions"]["code"] for e in body["errors"]} == {"FORBIDDEN"}, caller.name
        else:
            assert "errors" not in body, (caller.name, body.get("errors"))
            assert body["data"]["parkingSessions"]["totalCount"] == want, caller.name
    bare = as_role(Role.OFFICER, subject="pk-nopurpose", unit=t.unit, domains=("parking",), purpose=None)
    refused = await bare(BY_PLATE, {"p": t.plate}, expect_errors=True)
    assert {e["extensions"]["code"] for e in refused["errors"]} == {"PURPOSE_REQUIRED"}


async def test_a_plate_lookup_is_audited_even_without_reading_the_plate(
    as_role: Callable[..., GQL], as_admin: GQL, seeded: Seeded
) -> None:
    t = await pick_target(seeded, as_admin)
    officer = as_role(Role.OFFICER, subject="pk-lookup", unit=t.unit, domains=("parking",), purpose="Tra cứu xe")
    assert (await officer(BY_PLATE, {"p": t.plate}))["data"]["parkingSessions"]["totalCount"] >= 1
    log = await as_admin('{ auditLog(filter: {reader: "pk-lookup"}, first: 20) { nodes { record fields purpose } } }')
    entries = log["data"]["auditLog"]["nodes"]
    assert {"record": f"ParkingSessionFilter:plate={t.plate}", "fields": ["ParkingSessionFilter.plate"],
            "purpose": "Tra cứu xe"} in entries  # fmt: skip


# ---------------------------------------------------------------------------------------------------------
# Writes do not leak where a plate is
# ---------------------------------------------------------------------------------------------------------

_codes = itertools.count(1)
_plates = itertools.count(1)
UNIT, OTHER_UNIT = "00004", "00008"

START = """mutation($in: ParkingSessionStartInput!) { parkingSessionStart(input: $in) {
  session { id plate payer { id } amountVnd } userErrors { field message code } } }"""
END = """mutation($in: ParkingSessionEndInput!) { parkingSessionEnd(input: $in) {
  session { id plate amountVnd } userErrors { field message code } } }"""


def new_plate() -> str:
    n = next(_plates)
    return f"33Z-{n // 100:03d}.{n % 100:02d}"  # a series the seed never issues (the mutation tests use 30Z-32Z)


async def new_facility(seeded: Seeded, unit: str = UNIT, capacity: int = 5, kind: str = "CAR_PARK") -> str:
    code = f"TAP-{next(_codes):05d}"
    async with seeded.stores["parking"].begin() as conn:
        await conn.execute(
            facilities.insert().values(
                code=code, name=f"Điểm thử {code}", name_folded=f"diem thu {code.lower()}", kind=kind,
                street="Hàng Bông", side="EVEN" if kind == "STREET_IPARKING" else None, segment=None,
                address=f"{code}, Hàng Bông", unit_code=unit, unit_structure=CURRENT.value, capacity=capacity,
                operator="Thử nghiệm", latitude=None, longitude=None, tariff_code="IPK-CAR-2018",
                opened_on=dt.date(2025, 7, 1),
            )
        )  # fmt: skip
        if kind == "STREET_IPARKING":
            await conn.execute(spots.insert(), [{"facility_code": code, "number": n} for n in range(1, capacity + 1)])
    return code


def start_input(code: str, plate: str, **extra: Any) -> dict[str, Any]:
    return {"in": {"facilityCode": code, "plate": plate, "vehicleClass": "CAR", "channel": "SMS", **extra}}


async def test_a_meter_gets_its_fee_but_not_the_plate(as_role: Callable[..., GQL], seeded: Seeded) -> None:
    code = await new_facility(seeded)
    plate = new_plate()
    meter = as_role(Role.DEVICE, subject="meter-auth")
    started = (await meter(START, start_input(code, plate, payerPersonalId=seeded.ctx.people[5].pid)))["data"]
    session = started["parkingSessionStart"]["session"]
    assert session["plate"] == mask_plate(plate) and session["payer"] is None
    ended = (await meter(END, {"in": {"sessionId": session["id"]}}))["data"]["parkingSessionEnd"]["session"]
    assert ended["amountVnd"] > 0 and ended["plate"] == mask_plate(plate)
    again = (await meter(END, {"in": {"sessionId": session["id"]}}))["data"]["parkingSessionEnd"]["userErrors"][0]
    assert again["code"] == "INVALID_TRANSITION" and " at " not in again["message"]


async def test_a_refused_start_does_not_say_where_the_plate_is(
    as_role: Callable[..., GQL], as_admin: GQL, seeded: Seeded
) -> None:
    here, there = await new_facility(seeded), await new_facility(seeded, unit=OTHER_UNIT)
    plate = new_plate()
    assert (await as_admin(START, start_input(here, plate)))["data"]["parkingSessionStart"]["userErrors"] == []
    for caller in (as_role(Role.DEVICE, subject="meter-x"),
                   as_role(Role.OFFICER, subject="pk-x", unit=OTHER_UNIT, domains=("parking",)),
                   as_role(Role.CITIZEN, subject=seeded.ctx.people[7].pid)):  # fmt: skip
        body = await caller(START, start_input(there, plate, channel="APP"))
        [error] = body["data"]["parkingSessionStart"]["userErrors"]
        assert error["code"] == "PLATE_ALREADY_PARKED" and here not in error["message"], error
    detailed = await as_admin(START, start_input(there, plate))
    assert here in detailed["data"]["parkingSessionStart"]["userErrors"][0]["message"]


async def test_ending_by_plate_is_no_oracle_for_strangers(
    as_role: Callable[..., GQL], as_admin: GQL, seeded: Seeded
) -> None:
    code = await new_facility(seeded)
    plate = new_plate()
    owner, stranger = seeded.ctx.people[8].pid, seeded.ctx.people[9].pid
    mine = await as_role(Role.CITIZEN, subject=owner)(START, start_input(code, plate, channel="APP"))
    assert mine["data"]["parkingSessionStart"]["userErrors"] == []
    body = await as_role(Role.CITIZEN, subject=stranger)(END, {"in": {"plate": plate, "facilityCode": code}})
    [error] = body["data"]["parkingSessionEnd"]["userErrors"]
    assert error["code"] == "NOT_FOUND"  # the same answer as for a plate that is not there
    other = as_role(Role.OFFICER, subject="pk-y", unit=OTHER_UNIT, domains=("parking",))
    refused = await other(END, {"in": {"plate": new_plate(), "facilityCode": code}}, expect_errors=True)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"  # refused before looking, plate there or not
    done = await as_role(Role.CITIZEN, subject=owner)(END, {"in": {"plate": plate, "facilityCode": code}})
    assert done["data"]["parkingSessionEnd"]["userErrors"] == []


# ---------------------------------------------------------------------------------------------------------
# The availability subscription: no personal data, and nested sessions follow the same rules per event
# ---------------------------------------------------------------------------------------------------------

SUBSCRIBE = """subscription($c: String) { parkingAvailabilityChanged(facilityCode: $c) {
  code availability { occupied } spots { number occupied currentSession { plate payer { id } } }
  sessions(open: true) { totalCount nodes { plate payer { id } } } } }"""


async def _ws(live_server: Any, role: Role, **claims: Any) -> ClientConnection:
    token = token_for(live_server.settings, role, **claims)
    url = live_server.url.replace("http://", "ws://") + "/graphql"
    ws = await connect(url, subprotocols=[Subprotocol("graphql-transport-ws")])
    await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}))
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    return ws


async def test_availability_events_carry_no_personal_data(live_server: Any, seeded: Seeded) -> None:
    code = await new_facility(seeded, kind="STREET_IPARKING", capacity=3)
    plate = new_plate()
    payer = seeded.ctx.people[10].pid
    subscribers = {
        "device": await _ws(live_server, Role.DEVICE, subject="meter-sub"),
        "operator": await _ws(live_server, Role.OPERATOR, subject="ops-sub"),
        "other unit": await _ws(live_server, Role.OFFICER, subject="pk-sub-o", unit=OTHER_UNIT, domains=("parking",)),
        "officer": await _ws(live_server, Role.OFFICER, subject="pk-sub", unit=UNIT, domains=("parking",)),
        "stranger": await _ws(live_server, Role.CITIZEN, subject=seeded.ctx.people[11].pid),
    }
    try:
        for ws in subscribers.values():
            payload = {"query": SUBSCRIBE, "variables": {"c": code}}
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        await asyncio.sleep(0.3)
        async with live_server.client(Role.DEVICE, subject="meter-sub-writer") as http:
            resp = await http.post("/graphql", json={"query": START, "variables": start_input(
                code, plate, spotNumber=2, payerPersonalId=payer)})  # fmt: skip
            assert resp.json()["data"]["parkingSessionStart"]["userErrors"] == []
        got: dict[str, Any] = {}
        deadline = time.monotonic() + 5
        for name, ws in subscribers.items():
            message = json.loads(await asyncio.wait_for(ws.recv(), timeout=max(0.1, deadline - time.monotonic())))
            assert message["type"] == "next", (name, message)
            got[name] = message["payload"]["data"]["parkingAvailabilityChanged"]
    finally:
        for ws in subscribers.values():
            await ws.close()
    for name, facility in got.items():
        assert facility["code"] == code and facility["availability"] == {"occupied": 1}, name
        assert [s["occupied"] for s in facility["spots"]] == [False, True, False], name
    hidden = {"currentSession": None}
    for name in ("device", "other unit", "stranger"):
        assert got[name]["sessions"] == {"totalCount": 0, "nodes": []}, name
        assert all({"currentSession": s["currentSession"]} == hidden for s in got[name]["spots"]), name
    masked = {"plate": mask_plate(plate), "payer": None}
    assert got["operator"]["sessions"] == {"totalCount": 1, "nodes": [masked]}
    assert got["operator"]["spots"][1]["currentSession"] == masked
    officer = got["officer"]["sessions"]["nodes"][0]
    assert officer["plate"] == plate and officer["payer"] is not None
    assert got["officer"]["spots"][1]["currentSession"]["plate"] == plate


@pytest.mark.parametrize("role", [Role.DEVICE, Role.TEACHER, Role.INSPECTOR])
async def test_roles_without_parking_access_see_no_sessions(
    as_role: Callable[..., GQL], seeded: Seeded, role: Role
) -> None:
    body = await as_role(role)("{ parkingSessions(first: 100) { totalCount nodes { plate } } }")
    assert body["data"]["parkingSessions"] == {"totalCount": 0, "nodes": []}
