"""Subscription fan-out: public rows an event needs are loaded once per event for all of a process's subscribers
(govgraph.resolvers.live.load_shared), while filters, row scopes and field rules still run per subscriber.

The subscribers here are in-process streams (``schema.subscribe``) on a bus of the test's own; the event they get
is one the real mutation published (captured on the app's bus, then handed to them), so that the statements
counted are those of the delivery alone: every statement any store runs while the event is delivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import random
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
import pytest_asyncio
import strawberry
from sqlalchemy import event as sa_event
from sqlalchemy import update
from starlette.applications import Starlette

from govgraph.auth.identity import Principal, Role
from govgraph.context import Context
from govgraph.datasources import environment as env_ds
from govgraph.datasources.parking import facilities, spots
from govgraph.domain.parking import mask_plate
from govgraph.events import Event, InProcessBus
from govgraph.resolvers.live import share
from govgraph.schema import build_schema
from tests.conftest import GQL, STAFF_PURPOSE, Seeded

UNIT, OTHER_UNIT = "00004", "00008"

INGEST = """mutation($in: ReadingsIngestInput!) {
  readingsIngest(input: $in) { batch { inserted } userErrors { field message code } } }"""
START = """mutation($in: ParkingSessionStartInput!) {
  parkingSessionStart(input: $in) { session { id } userErrors { field message code } } }"""
END = """mutation($in: ParkingSessionEndInput!) {
  parkingSessionEnd(input: $in) { session { id amountVnd } userErrors { field message code } } }"""

READINGS = """subscription($c: String) { readingAdded(stationCode: $c) {
  station { code name } inserted lastMeasuredAt readings { value measuredAt } } }"""
READINGS_BY_FRAGMENT = """subscription($c: String) { readingAdded(stationCode: $c) { ...Added } }
fragment Added on ReadingsAdded { station { code name } inserted lastMeasuredAt readings { value measuredAt } }"""
AVAILABILITY = """subscription($c: String) { parkingAvailabilityChanged(facilityCode: $c) {
  code availability { capacity occupied free } spots { number occupied } } }"""
AVAILABILITY_AND_SESSIONS = """subscription($c: String) { parkingAvailabilityChanged(facilityCode: $c) {
  code availability { occupied } spots { number occupied currentSession { plate } }
  sessions(open: true) { totalCount nodes { plate } } } }"""


# ---------------------------------------------------------------------------------------------------------
# Helpers: statements counted on every store, subscribers driven in-process
# ---------------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def counting(seeded: Seeded) -> Iterator[list[str]]:
    """Every SQL statement any store's engine runs inside the block (the process's, whoever runs it)."""
    ran: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        ran.append(statement)

    engines = {id(e): e for s in seeded.stores.all_stores() for e in (s.engine, getattr(s, "writer", s.engine))}
    for engine in engines.values():
        sa_event.listen(engine.sync_engine, "after_cursor_execute", count)
    try:
        yield ran
    finally:
        for engine in engines.values():
            sa_event.remove(engine.sync_engine, "after_cursor_execute", count)


class Subscribers:
    """``n`` subscribers of one subscription on a bus of their own, each with its own principal and context."""

    def __init__(self, seeded: Seeded) -> None:
        self.seeded = seeded
        self.bus = InProcessBus()
        self.schema = build_schema()
        self.got: dict[int, list[dict[str, Any]]] = {}
        self.tasks: list[asyncio.Task[None]] = []

    async def add(self, principal: Principal, query: str, variables: dict[str, Any]) -> int:
        k = len(self.tasks)
        self.got[k] = []
        context = Context(stores=self.seeded.stores, principal=principal, bus=self.bus, settings=self.seeded.settings)
        stream = await self.schema.subscribe(query, variable_values=variables, context_value=context)
        assert not isinstance(stream, strawberry.types.ExecutionResult), stream

        async def consume() -> None:
            async for result in stream:
                assert result.errors is None, result.errors
                self.got[k].append(result.data or {})

        self.tasks.append(asyncio.create_task(consume()))
        return k

    async def joined(self) -> None:
        """Until every subscription is waiting on the bus."""
        async with asyncio.timeout(10):
            while self.bus.subscribers < len(self.tasks):  # noqa: ASYNC110 - the bus signals no joins
                await asyncio.sleep(0.01)

    async def deliver(self, event: Event) -> list[str]:
        """Publish ``event`` and wait until every subscriber has its message; the statements that took."""
        before = {k: len(v) for k, v in self.got.items()}
        with counting(self.seeded) as ran:
            await self.bus.publish([event])
            async with asyncio.timeout(20):
                while any(len(self.got[k]) == before[k] for k in self.got):
                    for t in self.tasks:
                        if t.done():
                            t.result()  # a failed subscriber fails the test with its own error
                    await asyncio.sleep(0.01)
            await asyncio.sleep(0.05)  # anything a subscriber still runs after its message (e.g. audit) is counted
        return ran

    def last(self, k: int) -> dict[str, Any]:
        return self.got[k][-1]

    async def close(self) -> None:
        for t in self.tasks:
            t.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


@pytest_asyncio.fixture
async def subscribers(seeded: Seeded) -> AsyncIterator[Callable[[], Subscribers]]:
    made: list[Subscribers] = []

    def make() -> Subscribers:
        made.append(Subscribers(seeded))
        return made[-1]

    yield make
    for s in made:
        await s.close()


def captured(app: Starlette, prefix: str) -> Any:
    """A raw subscription on the app's bus: what the mutations publish."""
    return app.state.bus.subscribe([prefix])


def drain(sub: Any) -> list[Event]:
    out = []
    while not sub.queue.empty():
        item = sub.queue.get_nowait()
        if isinstance(item, Event):
            out.append(item)
    sub.close()
    return out


def again(event: Event) -> Event:
    """The same committed change as a new event object (as a second publication of it would arrive)."""
    return Event(event.topic, dict(event.payload), event.at)


def readers(seeded: Seeded, n: int) -> list[Principal]:
    """``n`` different signed-in principals of several roles (environmental data is public to all of them)."""
    out = []
    for k in range(n):
        match k % 4:
            case 0:
                out.append(Principal(subject=seeded.ctx.people[k].pid, role=Role.CITIZEN))
            case 1:
                out.append(Principal(subject=f"ops-{k}", role=Role.OPERATOR, purpose=STAFF_PURPOSE))
            case 2:
                out.append(Principal(subject=f"officer-{k}", role=Role.OFFICER, unit=UNIT, domains=("environment",),
                                     purpose=STAFF_PURPOSE))  # fmt: skip
            case _:
                out.append(Principal(subject=f"gateway-{k}", role=Role.DEVICE))
    return out


# ---------------------------------------------------------------------------------------------------------
# readingAdded: one station, many subscribers
# ---------------------------------------------------------------------------------------------------------


@pytest_asyncio.fixture
async def station(seeded: Seeded) -> AsyncIterator[str]:
    """A water-level station of this test only; it and its readings are deleted afterwards."""
    store = seeded.stores["environment"]
    code = f"TFS{uuid.uuid4().hex[:10].upper()}"
    async with store.begin() as conn:
        await conn.execute(
            env_ds.stations.insert().values(
                code=code, name=f"Test {code}", name_folded=f"test {code.lower()}", kind="WATER_LEVEL",
                latitude=21.0, longitude=105.8, unit_code="00070", unit_structure="Y2025_07", operator="test",
            )
        )  # fmt: skip
    yield code
    async with store.begin() as conn:
        await conn.execute(env_ds.readings.delete().where(env_ds.readings.c.station_code == code))
        await conn.execute(env_ds.stations.delete().where(env_ds.stations.c.code == code))


async def ingest_event(app: Starlette, as_role: Callable[..., GQL], code: str) -> Event:
    """Three water-level readings for ``code`` through readingsIngest; the event it published."""
    sub = captured(app, "environment.reading.ingested")
    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    items = [
        {"stationCode": code, "measuredAt": (now - dt.timedelta(minutes=m)).isoformat(), "parameter": "LEVEL_M",
         "value": 1.0 + m / 10}
        for m in (3, 2, 1)
    ]  # fmt: skip
    body = await as_role(Role.DEVICE, subject="gateway-fanout")(INGEST, {"in": {"readings": items}})
    assert body["data"]["readingsIngest"]["userErrors"] == []
    [event] = [e for e in drain(sub) if e.payload["station_code"] == code]
    return event


async def test_readers_of_one_station_cost_the_same_statements_for_3_and_40_subscribers(
    seeded: Seeded, app: Starlette, as_role: Callable[..., GQL], station: str, subscribers: Callable[[], Subscribers]
) -> None:
    event = await ingest_event(app, as_role, station)
    ran: dict[int, list[str]] = {}
    for n in (3, 40):
        subs = subscribers()
        for k, who in enumerate(readers(seeded, n)):  # half of them ask for the readings through a fragment
            await subs.add(who, READINGS if k % 2 else READINGS_BY_FRAGMENT, {"c": station})
        await subs.joined()
        ran[n] = await subs.deliver(again(event))
        for k in range(n):
            added = subs.last(k)["readingAdded"]
            assert added["station"] == {"code": station, "name": f"Test {station}"}, k
            assert added["inserted"] == 3 and [r["value"] for r in added["readings"]] == [1.1, 1.2, 1.3], k
        await subs.close()
    # One statement for the station and one for the readings, whatever the number of subscribers.
    assert len(ran[3]) == len(ran[40]) == 2, ran


async def test_nothing_is_shared_across_events_each_event_reads_the_store_anew(
    seeded: Seeded, app: Starlette, as_role: Callable[..., GQL], station: str, subscribers: Callable[[], Subscribers]
) -> None:
    event = await ingest_event(app, as_role, station)
    subs = subscribers()
    for who in readers(seeded, 12):
        await subs.add(who, READINGS, {"c": station})
    await subs.joined()
    first = await subs.deliver(again(event))
    async with seeded.stores["environment"].begin() as conn:
        await conn.execute(
            update(env_ds.stations).where(env_ds.stations.c.code == station).values(name=f"Renamed {station}")
        )
    second = await subs.deliver(again(event))
    assert len(first) == len(second) == 2, (first, second)
    assert all(subs.got[k][0]["readingAdded"]["station"]["name"] == f"Test {station}" for k in subs.got)
    assert all(subs.got[k][1]["readingAdded"]["station"]["name"] == f"Renamed {station}" for k in subs.got)


async def test_a_subscriber_that_does_not_ask_for_the_readings_does_not_load_them(
    seeded: Seeded, app: Starlette, as_role: Callable[..., GQL], station: str, subscribers: Callable[[], Subscribers]
) -> None:
    event = await ingest_event(app, as_role, station)
    subs = subscribers()
    for who in readers(seeded, 8):
        await subs.add(who, "subscription($c: String) { readingAdded(stationCode: $c) { inserted } }", {"c": station})
    await subs.joined()
    ran = await subs.deliver(again(event))
    assert len(ran) == 1, ran  # the station (the event is delivered only while it exists)
    assert all(subs.last(k) == {"readingAdded": {"inserted": 3}} for k in subs.got)


# ---------------------------------------------------------------------------------------------------------
# parkingAvailabilityChanged: the facility is shared, the sessions under it are scoped per subscriber
# ---------------------------------------------------------------------------------------------------------


@pytest_asyncio.fixture
async def street_point(seeded: Seeded) -> AsyncIterator[str]:
    """A street point of this test only, with spaces 1-3."""
    code = f"TFS-{uuid.uuid4().hex[:8].upper()}"
    async with seeded.stores["parking"].begin() as conn:
        await conn.execute(
            facilities.insert().values(
                code=code, name=f"Điểm thử {code}", name_folded=f"diem thu {code.lower()}", kind="STREET_IPARKING",
                street="Hàng Bông", side="EVEN", segment=None, address=f"{code}, Hàng Bông", unit_code=UNIT,
                unit_structure="Y2025_07", capacity=3, operator="Thử nghiệm", latitude=None, longitude=None,
                tariff_code="IPK-CAR-2018", opened_on=dt.date(2025, 7, 1),
            )
        )  # fmt: skip
        await conn.execute(spots.insert(), [{"facility_code": code, "number": n} for n in (1, 2, 3)])
    return code


def new_plate() -> str:
    n = random.randrange(100_000)  # noqa: S311 - a test plate, not a secret
    return f"34Z-{n // 100:03d}.{n % 100:02d}"  # a series neither the seed nor other tests issue


async def start_event(app: Starlette, as_role: Callable[..., GQL], code: str, plate: str, payer: str) -> Event:
    sub = captured(app, "parking.availability.changed")
    body = await as_role(Role.DEVICE, subject="meter-fanout")(
        START, {"in": {"facilityCode": code, "plate": plate, "vehicleClass": "CAR", "channel": "SMS",
                       "spotNumber": 2, "payerPersonalId": payer}}
    )  # fmt: skip
    assert body["data"]["parkingSessionStart"]["userErrors"] == []
    [event] = [e for e in drain(sub) if e.payload["facility_code"] == code]
    return event


async def test_availability_subscribers_share_the_facility_and_each_sees_sessions_in_its_own_scope(
    seeded: Seeded,
    app: Starlette,
    as_role: Callable[..., GQL],
    street_point: str,
    subscribers: Callable[[], Subscribers],
) -> None:
    plate, payer = new_plate(), seeded.ctx.people[12].pid
    event = await start_event(app, as_role, street_point, plate, payer)
    ran: dict[int, list[str]] = {}
    for n in (3, 30):
        subs = subscribers()
        for who in readers(seeded, n):
            await subs.add(who, AVAILABILITY, {"c": street_point})
        await subs.joined()
        ran[n] = await subs.deliver(again(event))
        for k in range(n):
            facility = subs.last(k)["parkingAvailabilityChanged"]
            assert facility["availability"] == {"capacity": 3, "occupied": 1, "free": 2}, k
            assert [s["occupied"] for s in facility["spots"]] == [False, True, False], k
        await subs.close()
    assert len(ran[3]) == len(ran[30]) == 3, ran  # the facility, its availability, its spaces

    # The same shared facility, with the movement data under it: each subscriber's own row scope and field rules.
    who = {
        "officer": Principal(subject="pk-officer", role=Role.OFFICER, unit=UNIT, domains=("parking",),
                             purpose=STAFF_PURPOSE),
        "other unit": Principal(subject="pk-other", role=Role.OFFICER, unit=OTHER_UNIT, domains=("parking",),
                                purpose=STAFF_PURPOSE),
        "operator": Principal(subject="pk-ops", role=Role.OPERATOR, purpose=STAFF_PURPOSE),
        "payer": Principal(subject=payer, role=Role.CITIZEN),
        "stranger": Principal(subject=seeded.ctx.people[13].pid, role=Role.CITIZEN),
        "device": Principal(subject="meter-sub", role=Role.DEVICE),
    }  # fmt: skip
    subs = subscribers()
    index = {name: await subs.add(p, AVAILABILITY_AND_SESSIONS, {"c": street_point}) for name, p in who.items()}
    await subs.joined()
    await subs.deliver(again(event))
    got = {name: subs.last(k)["parkingAvailabilityChanged"] for name, k in index.items()}
    for name, facility in got.items():
        assert facility["availability"] == {"occupied": 1}, name
        assert [s["occupied"] for s in facility["spots"]] == [False, True, False], name
    sees = {"officer": plate, "payer": plate, "operator": mask_plate(plate)}
    for name, facility in got.items():
        if name in sees:
            assert facility["sessions"] == {"totalCount": 1, "nodes": [{"plate": sees[name]}]}, name
            assert facility["spots"][1]["currentSession"] == {"plate": sees[name]}, name
        else:
            assert facility["sessions"] == {"totalCount": 0, "nodes": []}, name
            assert facility["spots"][1]["currentSession"] is None, name
    await as_role(Role.DEVICE, subject="meter-fanout")(END, {"in": {"plate": plate, "facilityCode": street_point}})


async def test_parking_events_on_the_bus_carry_no_plate_and_no_payer(
    seeded: Seeded, app: Starlette, as_role: Callable[..., GQL], street_point: str
) -> None:
    plate, payer = new_plate(), seeded.ctx.people[14].pid
    sub = captured(app, "parking.")
    meter = as_role(Role.DEVICE, subject="meter-fanout")
    started = await meter(START, {"in": {"facilityCode": street_point, "plate": plate, "vehicleClass": "CAR",
                                         "channel": "SMS", "spotNumber": 1, "payerPersonalId": payer}})  # fmt: skip
    session = started["data"]["parkingSessionStart"]["session"]
    ended = await meter(END, {"in": {"sessionId": session["id"]}})
    assert ended["data"]["parkingSessionEnd"]["userErrors"] == []
    events = drain(sub)
    assert [e.topic for e in events] == [
        "parking.session.started", "parking.availability.changed", "parking.session.ended",
        "parking.availability.changed",
    ]  # fmt: skip
    for e in events:
        text = json.dumps(e.payload)
        assert plate not in text and plate.replace("-", "").replace(".", "") not in text, e
        assert payer not in text and "plate" not in e.payload and "payer_pid" not in e.payload, e
        assert e.payload["facility_code"] == street_point
    assert events[0].payload["session_id"] == events[2].payload["session_id"]  # what a reader loads, in its scope


# ---------------------------------------------------------------------------------------------------------
# share(): once per event, whoever asks first; a caller that goes away does not take the load with it
# ---------------------------------------------------------------------------------------------------------


async def test_share_loads_once_per_event_and_survives_the_first_caller_going_away() -> None:
    calls: list[str] = []
    release = asyncio.Event()

    async def load() -> str:
        calls.append("load")
        await release.wait()
        return "row"

    event = Event("environment.reading.ingested", {"station_code": "X"})
    first = asyncio.create_task(share(event, "k", load))
    others = [asyncio.create_task(share(event, "k", load)) for _ in range(5)]
    await asyncio.sleep(0.01)
    first.cancel()  # its client went away mid-load
    await asyncio.sleep(0.01)
    release.set()
    assert await asyncio.gather(*others) == ["row"] * 5
    assert first.cancelled() and calls == ["load"]
    assert await share(event, "k", load) == "row" and calls == ["load"]  # later subscribers of the event too
    assert await share(again(event), "k", load) == "row" and calls == ["load", "load"]  # a new event loads anew
    assert await share(event, "other key", load) == "row" and len(calls) == 3


async def test_a_failed_shared_load_fails_every_subscriber_of_that_event_alike() -> None:
    calls = 0

    async def load() -> str:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        raise TimeoutError("environment store is unavailable: timed out")

    event = Event("environment.reading.ingested", {"station_code": "X"})
    results = await asyncio.gather(*(share(event, "k", load) for _ in range(4)), return_exceptions=True)
    assert calls == 1 and all(isinstance(r, TimeoutError) for r in results), results
    with pytest.raises(TimeoutError):
        await share(event, "k", load)
