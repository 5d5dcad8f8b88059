"""parkingSessionStart / parkingSessionEnd and the parkingAvailabilityChanged subscription: plates, one open
session per plate, free spaces under real parallel load, spots, reported times, fees from the tariff through the
mutation, roles, idempotency, atomicity, events, and a real WebSocket."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from starlette.applications import Starlette
from strawberry.relay import from_base64, to_base64
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from govgraph.auth.identity import Role
from govgraph.datasources import parking as ds
from govgraph.datasources.parking import facilities, sessions, spots, tariff_rule, tariffs
from govgraph.domain.parking import HANOI_TZ, TariffRule, mask_plate, parking_fee
from govgraph.events import Event
from govgraph.resolvers import mutation
from tests.conftest import GQL, Seeded, token_for

UNIT = "00004"  # Phường Ba Đình: not the pilot ward, whose 17 street points the read tests count
OTHER_UNIT = "00008"

START = """
mutation($in: ParkingSessionStartInput!) {
  parkingSessionStart(input: $in) {
    session { id plate vehicleClass spotNumber startedAt endedAt channel amountVnd open payer { personalId }
              facility { code availability { capacity occupied free } } }
    userErrors { field message code }
  }
}"""

END = """
mutation($in: ParkingSessionEndInput!) {
  parkingSessionEnd(input: $in) {
    session { id plate startedAt endedAt amountVnd open facility { code availability { capacity occupied free } } }
    userErrors { field message code }
  }
}"""

TARIFF_IPK = TariffRule(
    first_block_minutes=120, first_block_price=25_000, step_minutes=60, step_price=15_000, step_increment=5_000,
    overnight_from=dt.time(18), overnight_to=dt.time(6), overnight_turns=6,
)  # fmt: skip
"""The seeded IPK-CAR-2018 row (checked against the table in the fee test)."""

START_LEAN = """mutation($in: ParkingSessionStartInput!) {
  parkingSessionStart(input: $in) { session { id plate } userErrors { field message code } } }"""
END_LEAN = """mutation($in: ParkingSessionEndInput!) {
  parkingSessionEnd(input: $in) { session { id startedAt endedAt amountVnd } userErrors { field message code } } }"""
"""The same mutations selecting less, for the load test (the server's CPU goes to GraphQL, not SQL)."""

AVAILABILITY = "query($c: String!) { parkingFacility(code: $c) { availability { capacity occupied free } } }"

_codes = itertools.count(1)
_plates = itertools.count(1)


def new_plate(series: str = "30Z") -> str:
    """A plate no seeded car has (the seed never issues the Z series)."""
    n = next(_plates)
    return f"{series}-{n // 100:03d}.{n % 100:02d}"


Make = Callable[..., Awaitable[str]]


@pytest.fixture
def new_facility(seeded: Seeded) -> Make:
    """``await new_facility(capacity=3, kind="STREET_IPARKING")``: a facility of this test's own (street points
    get spaces 1..capacity)."""

    async def make(capacity: int = 5, kind: str = "CAR_PARK", unit: str = UNIT, tariff: str = "IPK-CAR-2018") -> str:
        code = f"TST-{next(_codes):05d}"
        store = seeded.stores["parking"]
        async with store.begin() as conn:
            await conn.execute(
                facilities.insert().values(
                    code=code, name=f"Điểm thử {code}", name_folded=f"diem thu {code.lower()}", kind=kind,
                    street="Phan Đình Phùng", side="EVEN" if kind == "STREET_IPARKING" else None, segment=None,
                    address=f"{code}, Phan Đình Phùng", unit_code=unit, unit_structure="Y2025_07",
                    capacity=capacity, operator="Thử nghiệm", latitude=None, longitude=None, tariff_code=tariff,
                    opened_on=dt.date(2025, 7, 1),
                )
            )  # fmt: skip
            if kind == "STREET_IPARKING":
                rows = [{"facility_code": code, "number": n} for n in range(1, capacity + 1)]
                await conn.execute(spots.insert(), rows)
        return code

    return make


def start_input(code: str, plate: str, **extra: Any) -> dict[str, Any]:
    return {"in": {"facilityCode": code, "plate": plate, "vehicleClass": "CAR", "channel": "SMS", **extra}}


async def start(gql: GQL, code: str, plate: str, **extra: Any) -> dict[str, Any]:
    body = await gql(START, start_input(code, plate, **extra))
    payload: dict[str, Any] = body["data"]["parkingSessionStart"]
    return payload


async def end(gql: GQL, **fields: Any) -> dict[str, Any]:
    body = await gql(END, {"in": fields})
    payload: dict[str, Any] = body["data"]["parkingSessionEnd"]
    return payload


async def open_sessions(seeded: Seeded, code: str) -> int:
    s = sessions.c
    stmt = select(func.count()).where(s.facility_code == code, s.ended_at.is_(None))
    return int(await seeded.stores["parking"].scalar(stmt))


async def sessions_of_plate(seeded: Seeded, plate: str) -> list[Any]:
    return list(await seeded.stores["parking"].all(select(sessions).where(sessions.c.plate == plate)))


async def backdate(seeded: Seeded, session_key: str, started_at: dt.datetime) -> None:
    """Simulate a car that arrived long ago (a start may only be reported 15 minutes late)."""
    store = seeded.stores["parking"]
    value = started_at.astimezone(dt.UTC)
    async with store.begin() as conn:
        await conn.execute(
            sessions.update()
            .where(sessions.c.id == int(session_key))
            .values(started_at=value.replace(tzinfo=None) if store.is_sqlite else value)
        )


def key_of(session: dict[str, Any]) -> str:
    return from_base64(session["id"])[1]


def drain(sub: Any) -> list[Event]:
    out = []
    while not sub.queue.empty():
        out.append(sub.queue.get_nowait())
    return out


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2025, 3, day, hour, minute, tzinfo=HANOI_TZ)


def iso(value: dt.datetime) -> str:
    return value.isoformat()


# ---------------------------------------------------------------------------------------------------------
# Starting
# ---------------------------------------------------------------------------------------------------------


async def test_start_normalises_the_plate_takes_a_space_and_emits_events(
    as_role: Callable[..., GQL], new_facility: Make, app: Starlette, seeded: Seeded
) -> None:
    code = await new_facility(capacity=3)
    plate = new_plate()
    sloppy = plate.replace("-", " ").replace(".", "").lower()  # '30z 00001'
    sub = app.state.bus.subscribe(["parking."])
    meter = as_role(Role.DEVICE, subject="meter-01")
    payload = await start(meter, code, sloppy)
    assert payload["userErrors"] == []
    s = payload["session"]
    # A meter writes sessions but reads no personal data: the plate comes back masked (the canonical text is in
    # the table; the events below carry neither plate nor payer).
    assert (s["plate"], s["vehicleClass"], s["channel"], s["open"], s["amountVnd"], s["endedAt"]) == (
        mask_plate(plate), "CAR", "SMS", True, None, None,
    )  # fmt: skip
    assert s["startedAt"].endswith("+07:00")
    assert s["facility"] == {"code": code, "availability": {"capacity": 3, "occupied": 1, "free": 2}}
    events = drain(sub)
    assert [e.topic for e in events] == ["parking.session.started", "parking.availability.changed"]
    started, changed = events
    assert "plate" not in started.payload and "payer_pid" not in started.payload  # the bus carries no personal data
    assert started.payload["facility_code"] == code
    assert started.payload["session_id"] == int(key_of(s)) and started.payload["unit_code"] == UNIT
    assert [r.id for r in await sessions_of_plate(seeded, plate)] == [int(key_of(s))]  # stored canonical
    assert changed.payload == {"facility_code": code, "unit_code": UNIT, "capacity": 3, "occupied": 1, "free": 2}
    sub.close()


@pytest.mark.parametrize("text", ["", "ABC-123.45", "09A-123.45", "29I-123.45", "29A-000.00", "29A-12.345", "29-B1"])
async def test_invalid_plates_are_user_errors_naming_the_formats(
    as_admin: GQL, new_facility: Make, seeded: Seeded, text: str
) -> None:
    code = await new_facility()
    payload = await start(as_admin, code, text)
    assert payload["session"] is None
    [error] = payload["userErrors"]
    assert error["field"] == ["input", "plate"] and error["code"] == "INVALID"
    assert "29A-123.45" in error["message"] and "29-B1 123.45" in error["message"]
    assert await open_sessions(seeded, code) == 0


async def test_several_bad_fields_are_reported_together(as_admin: GQL, new_facility: Make, seeded: Seeded) -> None:
    code = await new_facility()
    payload = await start(as_admin, code, "nope", payerPersonalId="12345", spotNumber=0,
                          startedAt=iso(dt.datetime.now(HANOI_TZ) + dt.timedelta(hours=1)))  # fmt: skip
    fields = {tuple(e["field"]) for e in payload["userErrors"]}
    assert fields == {("input", "plate"), ("input", "payerPersonalId"), ("input", "spotNumber"), ("input", "startedAt")}
    assert await open_sessions(seeded, code) == 0


async def test_vehicle_class_must_match_the_plate_and_the_facility(as_admin: GQL, new_facility: Make) -> None:
    code = await new_facility()
    wrong_plate = await start(as_admin, code, new_plate(), vehicleClass="MOTORBIKE")
    assert wrong_plate["userErrors"][0]["field"] == ["input", "vehicleClass"]
    assert wrong_plate["userErrors"][0]["code"] == "VEHICLE_CLASS_NOT_ACCEPTED"
    n = next(_plates)
    motorbike = f"29-B1 {n // 100:03d}.{n % 100:02d}"
    car_park = await start(as_admin, code, motorbike, vehicleClass="MOTORBIKE")
    assert car_park["userErrors"][0]["code"] == "VEHICLE_CLASS_NOT_ACCEPTED"
    assert "cars" in car_park["userErrors"][0]["message"]
    bicycle = await start(as_admin, code, new_plate(), vehicleClass="BICYCLE")
    assert bicycle["userErrors"][0]["code"] == "VEHICLE_CLASS_NOT_ACCEPTED"


async def test_unknown_facility_is_not_found(as_admin: GQL) -> None:
    payload = await start(as_admin, "NO-SUCH-POINT", new_plate())
    assert payload["userErrors"] == [
        {"field": ["input", "facilityCode"], "message": "No parking facility has this code", "code": "NOT_FOUND"}
    ]


async def test_a_plate_has_one_open_session_city_wide(as_admin: GQL, new_facility: Make, seeded: Seeded) -> None:
    here, there = await new_facility(), await new_facility(unit=OTHER_UNIT)
    plate = new_plate()
    assert (await start(as_admin, here, plate))["userErrors"] == []
    for code, spelling in ((here, plate), (there, plate.replace("-", "").lower())):
        payload = await start(as_admin, code, spelling)
        assert payload["session"] is None
        assert payload["userErrors"][0]["code"] == "PLATE_ALREADY_PARKED"
        assert payload["userErrors"][0]["field"] == ["input", "plate"]
        assert here in payload["userErrors"][0]["message"]
    assert len(await sessions_of_plate(seeded, plate)) == 1
    assert await open_sessions(seeded, there) == 0


async def test_a_full_facility_refuses_and_a_departure_frees_a_space(
    as_admin: GQL, new_facility: Make, seeded: Seeded
) -> None:
    code = await new_facility(capacity=2)
    first = await start(as_admin, code, new_plate())
    second = await start(as_admin, code, new_plate())
    assert second["session"]["facility"]["availability"] == {"capacity": 2, "occupied": 2, "free": 0}
    refused = await start(as_admin, code, new_plate())
    assert refused["session"] is None
    assert refused["userErrors"][0]["code"] == "FACILITY_FULL"
    assert refused["userErrors"][0]["field"] == ["input", "facilityCode"]
    assert await open_sessions(seeded, code) == 2
    ended = await end(as_admin, sessionId=first["session"]["id"])
    assert ended["session"]["facility"]["availability"] == {"capacity": 2, "occupied": 1, "free": 1}
    assert (await start(as_admin, code, new_plate()))["userErrors"] == []


async def test_street_point_spots(as_admin: GQL, new_facility: Make, seeded: Seeded) -> None:
    point = await new_facility(capacity=3, kind="STREET_IPARKING")
    car_park = await new_facility()
    taken = await start(as_admin, point, new_plate(), spotNumber=2)
    assert taken["session"]["spotNumber"] == 2
    again = await start(as_admin, point, new_plate(), spotNumber=2)
    assert (again["userErrors"][0]["field"], again["userErrors"][0]["code"]) == (["input", "spotNumber"], "SPOT_TAKEN")
    missing = await start(as_admin, point, new_plate(), spotNumber=4)
    assert missing["userErrors"][0]["code"] == "NOT_FOUND" and missing["userErrors"][0]["field"] == [
        "input",
        "spotNumber",
    ]
    not_here = await start(as_admin, car_park, new_plate(), spotNumber=1)
    assert not_here["userErrors"][0]["code"] == "SPOT_NOT_APPLICABLE"
    no_spot = await start(as_admin, point, new_plate())  # a spot is optional
    assert no_spot["userErrors"] == [] and no_spot["session"]["spotNumber"] is None
    assert await open_sessions(seeded, point) == 2 and await open_sessions(seeded, car_park) == 0
    body = await as_admin(
        "query($c: String!) { parkingFacility(code: $c) { spots { number occupied } } }", {"c": point}
    )
    assert [s["occupied"] for s in body["data"]["parkingFacility"]["spots"]] == [False, True, False]
    await end(as_admin, sessionId=taken["session"]["id"])
    assert (await start(as_admin, point, new_plate(), spotNumber=2))["userErrors"] == []


@pytest.mark.parametrize(
    ("offset", "naive", "ok"),
    [
        (dt.timedelta(minutes=-10), False, True),  # a meter reporting 10 minutes late
        (dt.timedelta(seconds=30), False, True),  # a clock a little fast
        (dt.timedelta(minutes=-20), False, False),  # too late to report
        (dt.timedelta(minutes=5), False, False),  # in the future
        (dt.timedelta(minutes=-5), True, False),  # no offset
    ],
)
async def test_reported_start_times(
    as_admin: GQL, new_facility: Make, seeded: Seeded, offset: dt.timedelta, naive: bool, ok: bool
) -> None:
    code = await new_facility()
    when = (dt.datetime.now(HANOI_TZ) + offset).replace(microsecond=0)
    payload = await start(as_admin, code, new_plate(), startedAt=iso(when.replace(tzinfo=None) if naive else when))
    if ok:
        assert payload["userErrors"] == []
        assert dt.datetime.fromisoformat(payload["session"]["startedAt"]) == when
    else:
        assert payload["userErrors"][0]["field"] == ["input", "startedAt"]
        assert await open_sessions(seeded, code) == 0


async def test_a_late_reported_start_may_not_overlap_the_previous_stay(as_admin: GQL, new_facility: Make) -> None:
    here, there = await new_facility(), await new_facility()
    plate = new_plate()
    first = await start(as_admin, here, plate, startedAt=iso(dt.datetime.now(HANOI_TZ) - dt.timedelta(minutes=12)))
    left = dt.datetime.now(HANOI_TZ) - dt.timedelta(minutes=5)
    assert (await end(as_admin, sessionId=first["session"]["id"], endedAt=iso(left)))["userErrors"] == []
    overlap = await start(as_admin, there, plate, startedAt=iso(left - dt.timedelta(minutes=2)))
    assert overlap["userErrors"][0]["code"] == "OVERLAPS_PREVIOUS_SESSION"
    assert (await start(as_admin, there, plate, startedAt=iso(left + dt.timedelta(minutes=1))))["userErrors"] == []


# ---------------------------------------------------------------------------------------------------------
# Ending: fees from the tariff, state machine
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arrived", "left", "fee"),
    [
        (at(3, 10), at(3, 11, 59), 25_000),  # under 2 hours: one turn
        (at(3, 10), at(3, 12), 25_000),  # exactly 2 hours
        (at(3, 10), at(3, 12, 30), 40_000),  # into the 3rd hour: + 15,000
        (at(3, 10), at(3, 13, 1), 60_000),  # into the 4th hour: + 20,000 (progressive)
        (at(3, 17), at(4, 8), 200_000),  # 17-18 one turn, the night 6 turns, 06-08 one turn
        (at(3, 20), at(4, 5), 150_000),  # inside the night: 6 turns
        (at(3, 19), at(3, 23), 25_000 + 15_000 + 20_000),  # evening, not past midnight: by the hour
    ],
)
async def test_fee_is_charged_from_the_tariff_when_the_session_ends(
    as_admin: GQL, new_facility: Make, seeded: Seeded, arrived: dt.datetime, left: dt.datetime, fee: int
) -> None:
    code = await new_facility(kind="STREET_IPARKING", capacity=2)
    started = await start(as_admin, code, new_plate(), spotNumber=1)
    key = key_of(started["session"])
    await backdate(seeded, key, arrived)
    payload = await end(as_admin, sessionId=started["session"]["id"], endedAt=iso(left))
    assert payload["userErrors"] == []
    s = payload["session"]
    assert s["amountVnd"] == fee and s["open"] is False
    assert dt.datetime.fromisoformat(s["endedAt"]) == left and dt.datetime.fromisoformat(s["startedAt"]) == arrived
    rule = tariff_rule((await seeded.stores["parking"].all(select(tariffs).where(tariffs.c.code == "IPK-CAR-2018")))[0])
    assert rule == TARIFF_IPK and fee == parking_fee(rule, arrived, left)
    assert s["facility"]["availability"] == {"capacity": 2, "occupied": 0, "free": 2}


async def test_end_by_plate_and_facility_and_events(
    as_role: Callable[..., GQL], new_facility: Make, app: Starlette
) -> None:
    code = await new_facility(capacity=4)
    plate = new_plate()
    gateway = as_role(Role.DEVICE, subject="iparking-gateway")
    started = await start(gateway, code, plate)
    sub = app.state.bus.subscribe(["parking."])
    payload = await end(gateway, plate=plate.replace("-", "").lower(), facilityCode=code)
    assert payload["userErrors"] == []
    s = payload["session"]
    assert s["id"] == started["session"]["id"] and s["open"] is False and s["amountVnd"] >= 25_000
    ended, changed = drain(sub)
    assert ended.topic == "parking.session.ended" and ended.payload["amount_vnd"] == s["amountVnd"]
    assert "plate" not in ended.payload and ended.payload["facility_code"] == code
    assert changed.topic == "parking.availability.changed"
    assert changed.payload == {"facility_code": code, "unit_code": UNIT, "capacity": 4, "occupied": 0, "free": 4}
    sub.close()


async def test_ending_twice_is_an_invalid_transition(as_admin: GQL, new_facility: Make, app: Starlette) -> None:
    code = await new_facility()
    plate = new_plate()
    started = await start(as_admin, code, plate)
    first = await end(as_admin, sessionId=started["session"]["id"])
    assert first["userErrors"] == []
    sub = app.state.bus.subscribe(["parking."])
    for again in ({"sessionId": started["session"]["id"]}, {"plate": plate, "facilityCode": code}):
        payload = await end(as_admin, **again)
        assert payload["session"] is None
        [error] = payload["userErrors"]
        assert error["code"] == "INVALID_TRANSITION" and "ENDED" in error["message"]
    assert drain(sub) == []
    after = await as_admin(AVAILABILITY, {"c": code})
    assert after["data"]["parkingFacility"]["availability"] == {"capacity": 5, "occupied": 0, "free": 5}
    sub.close()


async def test_ending_before_the_start_or_in_the_future_is_refused(
    as_admin: GQL, new_facility: Make, seeded: Seeded
) -> None:
    code = await new_facility()
    started = await start(as_admin, code, new_plate())
    arrived = dt.datetime.fromisoformat(started["session"]["startedAt"])
    before = await end(as_admin, sessionId=started["session"]["id"], endedAt=iso(arrived - dt.timedelta(minutes=1)))
    assert (before["userErrors"][0]["field"], before["userErrors"][0]["code"]) == (
        ["input", "endedAt"], "ENDS_BEFORE_START",
    )  # fmt: skip
    future = await end(
        as_admin, sessionId=started["session"]["id"], endedAt=iso(dt.datetime.now(HANOI_TZ) + dt.timedelta(hours=1))
    )
    assert future["userErrors"][0]["field"] == ["input", "endedAt"]
    assert await open_sessions(seeded, code) == 1


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({}, ["input", "sessionId"], "INVALID"),
        ({"sessionId": "1", "plate": "30A-123.45"}, ["input", "sessionId"], "INVALID"),
        ({"plate": "30A-123.45"}, ["input", "facilityCode"], "INVALID"),
        ({"facilityCode": "IPK-THD-01"}, ["input", "plate"], "INVALID"),
        ({"sessionId": "not-an-id"}, ["input", "sessionId"], "INVALID"),
        ({"sessionId": to_base64("Tariff", "IPK-CAR-2018")}, ["input", "sessionId"], "INVALID"),
        ({"sessionId": "999999999"}, ["input", "sessionId"], "NOT_FOUND"),
        ({"plate": "ABC", "facilityCode": "IPK-THD-01"}, ["input", "plate"], "INVALID"),
        ({"plate": "30Z-999.99", "facilityCode": "IPK-THD-01"}, ["input", "plate"], "NOT_FOUND"),
    ],
)
async def test_end_input_errors(as_admin: GQL, fields: dict[str, Any], field: list[str], code: str) -> None:
    payload = await end(as_admin, **fields)
    assert payload["session"] is None
    assert (payload["userErrors"][0]["field"], payload["userErrors"][0]["code"]) == (field, code)


# ---------------------------------------------------------------------------------------------------------
# Roles
# ---------------------------------------------------------------------------------------------------------


def citizen(seeded: Seeded, index: int) -> str:
    return seeded.ctx.people[index].pid


async def test_who_may_start_and_end(as_role: Callable[..., GQL], new_facility: Make, seeded: Seeded) -> None:
    code = await new_facility(capacity=10)
    me = citizen(seeded, -11)
    allowed = [
        as_role(Role.DEVICE, subject="meter-02"),
        as_role(Role.OFFICER, subject="attendant-1", unit=UNIT, domains=("parking",)),
        as_role(Role.ADMIN),
    ]
    for gql in allowed:
        started = await start(gql, code, new_plate(), channel="STAFF")
        assert started["userErrors"] == []
        assert (await end(gql, sessionId=started["session"]["id"]))["userErrors"] == []
    app_user = as_role(Role.CITIZEN, subject=me)
    mine = await start(app_user, code, new_plate(), channel="APP")  # the payer is the citizen
    assert mine["userErrors"] == [] and mine["session"]["payer"] == {"personalId": me}
    also_mine = await start(app_user, code, new_plate(), channel="CARD", payerPersonalId=me)
    assert also_mine["session"]["payer"] == {"personalId": me}
    assert (await end(app_user, sessionId=mine["session"]["id"]))["userErrors"] == []


@pytest.mark.parametrize(
    ("role", "claims", "extra"),
    [
        (Role.OPERATOR, {}, {}),
        (Role.TEACHER, {"school": "THCS-001"}, {}),
        (Role.INSPECTOR, {"subject": "insp-1"}, {}),
        (Role.OFFICER, {"unit": UNIT, "domains": ("services",)}, {}),  # not a parking officer
        (Role.OFFICER, {"unit": OTHER_UNIT, "domains": ("parking",)}, {}),  # another unit
        (Role.CITIZEN, {"subject": "001087123456"}, {"channel": "SMS"}),  # citizens use the app
        (Role.CITIZEN, {"subject": "001087123456"}, {"channel": "APP", "payerPersonalId": "001090000001"}),
    ],
)
async def test_who_may_not_start(
    as_role: Callable[..., GQL],
    new_facility: Make,
    seeded: Seeded,
    role: Role,
    claims: dict[str, Any],
    extra: dict[str, Any],
) -> None:
    code = await new_facility()
    body = await as_role(role, **claims)(START, start_input(code, new_plate(), **extra), expect_errors=True)
    assert body["data"] is None or body["data"]["parkingSessionStart"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await open_sessions(seeded, code) == 0


async def test_who_may_not_end(as_role: Callable[..., GQL], as_admin: GQL, new_facility: Make, seeded: Seeded) -> None:
    code = await new_facility()
    owner, stranger = citizen(seeded, -12), citizen(seeded, -13)
    started = await start(as_role(Role.CITIZEN, subject=owner), code, new_plate(), channel="APP")
    sid = started["session"]["id"]
    refused = [
        as_role(Role.CITIZEN, subject=stranger),
        as_role(Role.OPERATOR),
        as_role(Role.OFFICER, unit=OTHER_UNIT, domains=("parking",)),
        as_role(Role.OFFICER, unit=UNIT, domains=("population",)),
    ]
    for gql in refused:
        body = await gql(END, {"in": {"sessionId": sid}}, expect_errors=True)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await open_sessions(seeded, code) == 1
    assert (await end(as_role(Role.CITIZEN, subject=owner), sessionId=sid))["userErrors"] == []


# ---------------------------------------------------------------------------------------------------------
# Idempotency and atomicity
# ---------------------------------------------------------------------------------------------------------


async def test_retry_with_the_same_key_starts_once(
    as_role: Callable[..., GQL], new_facility: Make, seeded: Seeded, app: Starlette
) -> None:
    code = await new_facility()
    plate = new_plate()
    meter = as_role(Role.DEVICE, subject="meter-retry")
    sub = app.state.bus.subscribe(["parking."])
    variables = start_input(code, plate, idempotencyKey="start-1")
    first = await meter(START, variables)
    again = await meter(START, variables)
    assert first["data"] == again["data"] and first["data"]["parkingSessionStart"]["userErrors"] == []
    assert len(await sessions_of_plate(seeded, plate)) == 1
    assert [e.topic for e in drain(sub)] == ["parking.session.started", "parking.availability.changed"]
    other = await meter(START, start_input(code, new_plate(), idempotencyKey="start-1"))
    assert other["data"]["parkingSessionStart"]["userErrors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"
    sid = first["data"]["parkingSessionStart"]["session"]["id"]
    ends = await asyncio.gather(*(meter(END, {"in": {"sessionId": sid, "idempotencyKey": "end-1"}}) for _ in range(5)))
    assert all(e["data"] == ends[0]["data"] for e in ends)  # a retried end is not "ended twice"
    assert ends[0]["data"]["parkingSessionEnd"]["userErrors"] == []
    assert [e.topic for e in drain(sub)] == ["parking.session.ended", "parking.availability.changed"]
    assert await open_sessions(seeded, code) == 0
    sub.close()


async def test_a_failed_start_leaves_nothing_behind(
    as_admin: GQL, new_facility: Make, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = await new_facility()
    plate = new_plate()

    def explode(self: mutation.Tx, topic: str, **payload: Any) -> None:
        raise RuntimeError("crash after the INSERT, before commit")

    monkeypatch.setattr(mutation.Tx, "emit", explode)
    body = await as_admin(START, start_input(code, plate), expect_errors=True)
    assert body["errors"]
    monkeypatch.undo()
    assert await sessions_of_plate(seeded, plate) == []
    assert await open_sessions(seeded, code) == 0
    assert (await start(as_admin, code, plate))["userErrors"] == []  # nothing half-done blocks the plate


async def test_a_failed_end_leaves_the_session_open(
    as_admin: GQL, new_facility: Make, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = await new_facility()
    plate = new_plate()
    started = await start(as_admin, code, plate)

    def explode(self: mutation.Tx, topic: str, **payload: Any) -> None:
        if topic == "parking.session.ended":
            raise RuntimeError("crash after the UPDATE, before commit")

    monkeypatch.setattr(mutation.Tx, "emit", explode)
    body = await as_admin(END, {"in": {"sessionId": started["session"]["id"]}}, expect_errors=True)
    assert body["errors"]
    monkeypatch.undo()
    [row] = await sessions_of_plate(seeded, plate)
    assert row.ended_at is None and row.amount_vnd is None
    assert await open_sessions(seeded, code) == 1


# ---------------------------------------------------------------------------------------------------------
# Real parallel requests against a running server
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.slow
async def test_parallel_starts_and_ends_never_overbook(live_server: Any, new_facility: Make, seeded: Seeded) -> None:
    """400 cars park; then 600 more arrive while those 400 leave, all interleaved, 50 requests in flight at a
    time: every refused start is FACILITY_FULL, occupancy never exceeds capacity, and at the end availability is
    capacity minus the open sessions counted in the table."""
    capacity = 450
    code = await new_facility(capacity=capacity)
    gate = asyncio.Semaphore(50)
    async with live_server.client(Role.DEVICE, subject="iparking-gateway-load") as http:

        async def post(query: str, variables: dict[str, Any]) -> dict[str, Any]:
            async with gate:
                resp = await http.post("/graphql", json={"query": query, "variables": variables})
            assert resp.status_code == 200, resp.text
            body: dict[str, Any] = resp.json()
            assert "errors" not in body, body["errors"]
            return body

        early = [new_plate("31Z") for _ in range(400)]
        prefill = await asyncio.gather(*(post(START_LEAN, start_input(code, p)) for p in early))
        assert all(b["data"]["parkingSessionStart"]["userErrors"] == [] for b in prefill)
        assert await open_sessions(seeded, code) == 400
        started = [b["data"]["parkingSessionStart"]["session"] for b in prefill]

        late = [new_plate("32Z") for _ in range(600)]
        ops: list[tuple[str, dict[str, Any]]] = [("start", start_input(code, p)) for p in late]
        ops += [("end", {"in": {"sessionId": s["id"]}}) for s in started[:200]]
        ops += [("end", {"in": {"plate": p, "facilityCode": code}}) for p in early[200:]]  # (masked in payloads)
        random.Random(2017).shuffle(ops)  # noqa: S311 - a fixed interleaving, not a secret
        polls: list[dict[str, Any]] = []

        async def run(kind: str, variables: dict[str, Any]) -> tuple[str, dict[str, Any]]:
            return kind, await post(START_LEAN if kind == "start" else END_LEAN, variables)

        async def poll() -> None:
            for _ in range(20):
                polls.append((await post(AVAILABILITY, {"c": code}))["data"]["parkingFacility"]["availability"])
                await asyncio.sleep(0.02)

        began = time.monotonic()
        results, _ = await asyncio.gather(asyncio.gather(*(run(k, v) for k, v in ops)), poll())
        elapsed = time.monotonic() - began

    accepted = refused = 0
    for kind, body in results:
        if kind == "start":
            payload = body["data"]["parkingSessionStart"]
            if payload["session"] is not None:
                accepted += 1
                assert payload["userErrors"] == []
            else:
                refused += 1
                assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
                    (["input", "facilityCode"], "FACILITY_FULL")
                ]
        else:
            payload = body["data"]["parkingSessionEnd"]
            assert payload["userErrors"] == [], payload
            s = payload["session"]
            rule_fee = parking_fee(TARIFF_IPK, dt.datetime.fromisoformat(s["startedAt"]),
                                   dt.datetime.fromisoformat(s["endedAt"]))  # fmt: skip
            assert s["amountVnd"] == rule_fee
    assert accepted + refused == 600
    assert capacity - 400 <= accepted <= capacity  # at least the 50 free spaces; at most the whole facility
    assert refused > 0, "the facility filled up: the test exercised the limit"
    counted = await open_sessions(seeded, code)
    assert counted == accepted  # every early car left
    final = (await _admin_availability(live_server, code))["availability"]
    assert final == {"capacity": capacity, "occupied": counted, "free": capacity - counted}
    assert 0 <= final["free"] <= capacity
    assert polls and all(0 <= p["occupied"] <= capacity and p["free"] == capacity - p["occupied"] for p in polls)
    s = sessions.c
    dupes = await seeded.stores["parking"].all(
        select(s.plate).where(s.ended_at.is_(None)).group_by(s.plate).having(func.count() > 1)
    )
    assert dupes == []
    print(f"\n{seeded.backend}: 1000 parallel starts/ends in {elapsed:.1f} s: {accepted} started, {refused} FULL")


async def _admin_availability(live_server: Any, code: str) -> dict[str, Any]:
    async with live_server.client(Role.OPERATOR, subject="ops-centre") as http:
        resp = await http.post("/graphql", json={"query": AVAILABILITY, "variables": {"c": code}})
    facility: dict[str, Any] = resp.json()["data"]["parkingFacility"]
    return facility


@pytest.fixture
def wide_race_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """Widen the gap between reading the facility's state and inserting the session to 30 ms."""
    read = ds.start_state

    async def slow(*args: Any, **kwargs: Any) -> ds.StartState:
        state = await read(*args, **kwargs)
        await asyncio.sleep(0.03)
        return state

    monkeypatch.setattr(ds, "start_state", slow)


@pytest.mark.usefixtures("wide_race_window")
async def test_a_wide_race_window_still_never_overbooks(as_admin: GQL, new_facility: Make, seeded: Seeded) -> None:
    """40 concurrent starts on 5 spaces would all see a free space without the facility lock; exactly 5 start."""
    code = await new_facility(capacity=5)
    bodies = await asyncio.gather(*(as_admin(START_LEAN, start_input(code, new_plate())) for _ in range(40)))
    payloads = [b["data"]["parkingSessionStart"] for b in bodies]
    assert sum(p["session"] is not None for p in payloads) == 5
    assert {e["code"] for p in payloads for e in p["userErrors"]} == {"FACILITY_FULL"}
    assert await open_sessions(seeded, code) == 5


@pytest.mark.usefixtures("wide_race_window")
async def test_a_wide_race_window_still_parks_a_plate_once(as_admin: GQL, new_facility: Make, seeded: Seeded) -> None:
    """The same plate at 4 facilities at once: each facility's lock is different, the unique index decides."""
    codes = [await new_facility() for _ in range(4)]
    plate = new_plate()
    bodies = await asyncio.gather(*(as_admin(START_LEAN, start_input(c, plate)) for c in codes * 3))
    payloads = [b["data"]["parkingSessionStart"] for b in bodies]
    assert sum(p["session"] is not None for p in payloads) == 1
    assert {e["code"] for p in payloads for e in p["userErrors"]} == {"PLATE_ALREADY_PARKED"}
    assert len(await sessions_of_plate(seeded, plate)) == 1


async def test_parallel_starts_of_one_plate_at_many_facilities_open_one_session(
    live_server: Any, new_facility: Make, seeded: Seeded
) -> None:
    codes = [await new_facility(unit=unit) for unit in (UNIT, OTHER_UNIT, UNIT, OTHER_UNIT, UNIT)]
    plate = new_plate()
    async with live_server.client(Role.DEVICE, subject="meter-race") as http:
        responses = await asyncio.gather(
            *(http.post("/graphql", json={"query": START, "variables": start_input(c, plate)}) for c in codes * 4)
        )
    payloads = [r.json()["data"]["parkingSessionStart"] for r in responses]
    assert sum(p["session"] is not None for p in payloads) == 1
    assert {e["code"] for p in payloads for e in p["userErrors"]} == {"PLATE_ALREADY_PARKED"}
    assert len(await sessions_of_plate(seeded, plate)) == 1


# ---------------------------------------------------------------------------------------------------------
# Subscription over a real WebSocket
# ---------------------------------------------------------------------------------------------------------

SUBSCRIBE = """subscription($c: String, $u: String) {
  parkingAvailabilityChanged(facilityCode: $c, unitCode: $u) { code availability { capacity occupied free } } }"""


async def open_ws(live_server: Any, subject: str) -> ClientConnection:
    token = token_for(live_server.settings, Role.OPERATOR, subject=subject)
    url = live_server.url.replace("http://", "ws://") + "/graphql"
    ws = await connect(url, subprotocols=[Subprotocol("graphql-transport-ws")])
    await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}))
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    return ws


async def test_websocket_subscribers_see_their_facility_change(live_server: Any, new_facility: Make) -> None:
    mine, other = await new_facility(capacity=7), await new_facility(capacity=7, unit=OTHER_UNIT)
    ws, ws_other = await open_ws(live_server, "ws-parking-1"), await open_ws(live_server, "ws-parking-2")
    try:
        for sid, variables in (("facility", {"c": mine}), ("unit", {"u": UNIT})):
            payload = {"query": SUBSCRIBE, "variables": variables}
            await ws.send(json.dumps({"id": sid, "type": "subscribe", "payload": payload}))
        await ws_other.send(
            json.dumps({"id": "x", "type": "subscribe", "payload": {"query": SUBSCRIBE, "variables": {"c": other}}})
        )
        await asyncio.sleep(0.3)  # let the server register the subscriptions
        async with live_server.client(Role.DEVICE, subject="meter-ws") as http:
            sent = time.monotonic()
            resp = await http.post("/graphql", json={"query": START, "variables": start_input(mine, new_plate())})
            assert resp.json()["data"]["parkingSessionStart"]["userErrors"] == []
            got: dict[str, Any] = {}
            while len(got) < 2:
                message = json.loads(await asyncio.wait_for(ws.recv(), timeout=max(0.01, sent + 2 - time.monotonic())))
                assert message["type"] == "next", message
                got[message["id"]] = message["payload"]["data"]["parkingAvailabilityChanged"]
            assert time.monotonic() - sent < 2.0
        expected = {"code": mine, "availability": {"capacity": 7, "occupied": 1, "free": 6}}
        assert got == {"facility": expected, "unit": expected}
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(ws_other.recv(), timeout=1.0)  # another facility: nothing
    finally:
        await ws.close()
        await ws_other.close()
