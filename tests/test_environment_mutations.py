"""readingsIngest and the environment subscriptions: flags, duplicates and conflicts, per-entry errors, AQI
recomputed in the same transaction, alerts, roles, atomicity, idempotency, real parallel ingests and real
WebSocket subscribers.

Every test ingests into stations of its own (inserted here, removed afterwards), so the read tests' counts of the
seeded stations and their latest AQI never change.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import pytest_asyncio
import websockets
from sqlalchemy import delete, func, select
from starlette.applications import Starlette
from websockets.typing import Subprotocol

from govgraph.auth.identity import Role
from govgraph.datasources import environment as ds
from govgraph.domain import aqi as vn_aqi
from govgraph.domain import environment as rules
from govgraph.events import Event
from tests.conftest import GQL, Seeded, statements, token_for

HOUR = dt.timedelta(hours=1)
ICT = dt.timezone(dt.timedelta(hours=7))

INGEST = """
mutation($in: ReadingsIngestInput!) {
  readingsIngest(input: $in) {
    batch { id received inserted duplicates conflicts flagged rejected
            stations { code inserted duplicates conflicts flagged firstMeasuredAt lastMeasuredAt
                       station { code kind wqi { value valid } }
                       latestAqi { hour value category dominantPollutant } } }
    userErrors { field message code }
  }
}"""

Make = Callable[..., Awaitable[str]]


@pytest_asyncio.fixture
async def new_station(seeded: Seeded) -> AsyncIterator[Make]:
    """``await new_station("AIR")``: a station of this test only; it and its data are deleted afterwards."""
    store = seeded.stores["environment"]
    made: list[str] = []

    async def make(kind: str = "AIR", unit: str = "00070") -> str:
        code = f"T{kind[:2]}{uuid.uuid4().hex[:10].upper()}"
        async with store.begin() as conn:
            await conn.execute(
                ds.stations.insert().values(
                    code=code,
                    name=f"Test {code}",
                    name_folded=f"test {code.lower()}",
                    kind=kind,
                    latitude=21.0,
                    longitude=105.8,
                    unit_code=unit,
                    unit_structure="Y2025_07",
                    operator="test",
                )
            )
        made.append(code)
        return code

    yield make
    async with store.begin() as conn:
        for table in (ds.readings, ds.aqi_hourly, ds.aqi_daily, ds.alerts):
            await conn.execute(delete(table).where(table.c.station_code.in_(made)))
        await conn.execute(delete(ds.stations).where(ds.stations.c.code.in_(made)))


def top_of_hour(hours_ago: int = 0) -> dt.datetime:
    now = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    return now - hours_ago * HOUR


def reading(code: str, at: dt.datetime, parameter: str, value: float, unit: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"stationCode": code, "measuredAt": at.astimezone(ICT).isoformat(),
                           "parameter": parameter, "value": value}  # fmt: skip
    if unit is not None:
        out["unit"] = unit
    return out


def air_hours(code: str, start: dt.datetime, hours: int, pm25: float = 20.0) -> list[dict[str, Any]]:
    out = []
    for i in range(hours):
        at = start + i * HOUR
        out += [reading(code, at, "PM2_5", pm25 + i % 3), reading(code, at, "PM10", 1.6 * pm25 + i % 5),
                reading(code, at, "O3", 40.0 + i)]  # fmt: skip
    return out


async def ingest(gql: GQL, items: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    body = await gql(INGEST, {"in": {"readings": items, **extra}})
    payload: dict[str, Any] = body["data"]["readingsIngest"]
    return payload


async def stored(seeded: Seeded, code: str) -> dict[tuple[str, dt.datetime], tuple[float, str]]:
    r = ds.readings.c
    rows = await seeded.stores["environment"].all(
        select(r.parameter, r.measured_at, r.value, r.quality).where(r.station_code == code)
    )
    return {(row.parameter, ds.utc(row.measured_at)): (row.value, row.quality) for row in rows}


async def hourly_aqi(seeded: Seeded, code: str) -> dict[dt.datetime, tuple[int, str]]:
    a = ds.aqi_hourly.c
    rows = await seeded.stores["environment"].all(select(a.hour, a.aqi, a.dominant).where(a.station_code == code))
    return {ds.utc(row.hour): (row.aqi, row.dominant) for row in rows}


def drain(sub: Any) -> list[Event]:
    out = []
    while not sub.queue.empty():
        out.append(sub.queue.get_nowait())
    return out


# ---------------------------------------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------------------------------------


def test_quality_flags() -> None:
    now = dt.datetime(2025, 10, 1, 3, tzinfo=dt.UTC)
    assert rules.check("PM2_5", 35.0, now, now).quality == "OK"
    assert rules.check("PM2_5", -1.0, now, now).quality == "OUT_OF_RANGE"
    assert rules.check("PM10", 2500.0, now, now).quality == "OUT_OF_RANGE"
    assert rules.check("PH", 14.5, now, now).quality == "OUT_OF_RANGE"
    assert rules.check("PH", 0.0, now, now).quality == "OK"
    assert rules.check("TEMPERATURE", -3.0, now, now).quality == "OK"
    assert rules.check("DEPTH_CM", 10.0, now + 4 * dt.timedelta(minutes=1), now).quality == "OK"  # clock skew
    assert rules.check("DEPTH_CM", 10.0, now + HOUR, now).quality == "SUSPECT"
    assert rules.pm_pair_suspect(80.0, 60.0) and not rules.pm_pair_suspect(60.0, 60.0)


def test_units_convert_exactly_or_not_at_all() -> None:
    assert rules.convert("CO", 1.2, "mg/m3") == pytest.approx(1200.0)
    assert rules.convert("PM2_5", 30.0, "ug/m3") == 30.0 and rules.convert("PM2_5", 30.0, "μg/m³") == 30.0
    assert rules.convert("DEPTH_CM", 0.35, "m") == pytest.approx(35.0)
    assert rules.convert("NO2", 40.0, "ppb") is None  # depends on temperature and pressure
    assert rules.convert("COD", 12.0, None) == 12.0


def test_alert_rules() -> None:
    assert rules.aqi_crossing(45, 160) == "AQI_WORSENED"  # Tốt → Xấu: one crossing, however many bands
    assert rules.aqi_crossing(160, 99) == "AQI_IMPROVED"
    assert rules.aqi_crossing(101, 150) is None and rules.aqi_crossing(None, 300) is None
    assert rules.flood_crossing(5, 35) == ("FLOOD_RISING", 30)
    assert rules.flood_crossing(None, 12) == ("FLOOD_RISING", 10)
    assert rules.flood_crossing(55, 20) == ("FLOOD_RECEDING", 30)
    assert rules.flood_crossing(12, 0) == ("FLOOD_RECEDING", 10)
    assert rules.flood_crossing(12, 25) is None


# ---------------------------------------------------------------------------------------------------------
# The mutation
# ---------------------------------------------------------------------------------------------------------


async def test_a_mixed_batch_stores_flags_and_refuses_entry_by_entry(
    as_admin: GQL, seeded: Seeded, new_station: Make
) -> None:
    air, lake = await new_station("AIR"), await new_station("LAKE_WATER")
    t0 = top_of_hour(30)
    items = air_hours(air, t0, 4)  # 0-11: 12 good readings
    items += [
        reading(air, t0, "PM2_5", 20.0),  # 12 duplicate of entry 0 (same value)
        reading(air, t0, "PM10", 99.0),  # 13 conflict with entry 1 (another value)
        reading("NO-SUCH-ST", t0, "PM2_5", 20.0),  # 14 unknown station
        reading(air, t0 + 4 * HOUR, "PM10", -3.0),  # 15 negative: OUT_OF_RANGE
        reading(air, t0 + 5 * HOUR, "PM2_5", 90.0),  # 16 PM2.5 > PM10 at the same hour: both SUSPECT
        reading(air, t0 + 5 * HOUR, "PM10", 60.0),  # 17
        reading(air, top_of_hour(-3), "PM2_5", 25.0),  # 18 three hours in the future: SUSPECT
        reading(air, t0 + 6 * HOUR, "PH", 7.0),  # 19 an air station does not measure pH
        reading(air, t0 + 6 * HOUR + dt.timedelta(minutes=7), "O3", 40.0),  # 20 off the hour
        reading(lake, t0, "PH", 15.2),  # 21 pH beyond 14: OUT_OF_RANGE
        reading(lake, t0, "COD", 12.0, "mg/l"),  # 22
        reading(air, t0 + 6 * HOUR, "CO", 1.5, "mg/m³"),  # 23 converted to 1500 µg/m³
        reading(air, t0 + 7 * HOUR, "NO2", 40.0, "ppb"),  # 24 not convertible
        {**reading(air, t0, "SO2", 5.0), "measuredAt": "2025-10-01T10:00:00"},  # 25 no offset
    ]
    payload = await ingest(as_admin, items)
    batch = payload["batch"]
    assert (batch["received"], batch["inserted"], batch["duplicates"], batch["conflicts"], batch["rejected"]) == (
        26,
        19,
        1,
        1,
        5,
    )
    assert batch["flagged"] == 5  # 15, 16, 17, 18, 21
    errors = {tuple(e["field"]): e["code"] for e in payload["userErrors"]}
    assert errors == {
        ("input", "readings", "13", "value"): "CONFLICT",
        ("input", "readings", "14", "stationCode"): "NOT_FOUND",
        ("input", "readings", "19", "parameter"): "PARAMETER_NOT_MEASURED",
        ("input", "readings", "20", "measuredAt"): "NOT_ON_THE_HOUR",
        ("input", "readings", "24", "unit"): "UNIT_NOT_CONVERTIBLE",
        ("input", "readings", "25", "measuredAt"): "INVALID",
    }
    got = await stored(seeded, air)
    assert got[("PM10", t0)][0] == items[1]["value"]  # the first value stays
    assert got[("PM10", t0 + 4 * HOUR)] == (-3.0, "OUT_OF_RANGE")
    assert got[("PM2_5", t0 + 5 * HOUR)] == (90.0, "SUSPECT") and got[("PM10", t0 + 5 * HOUR)] == (60.0, "SUSPECT")
    assert got[("PM2_5", top_of_hour(-3))] == (25.0, "SUSPECT")
    assert got[("CO", t0 + 6 * HOUR)] == (1500.0, "OK")
    assert ("O3", t0 + 6 * HOUR + dt.timedelta(minutes=7)) not in got
    lake_rows = await stored(seeded, lake)
    assert lake_rows[("PH", t0)] == (15.2, "OUT_OF_RANGE") and lake_rows[("COD", t0)] == (12.0, "OK")
    by_code = {s["code"]: s for s in batch["stations"]}
    assert by_code[air]["inserted"] == 17 and by_code[air]["flagged"] == 4 and by_code[air]["duplicates"] == 1
    assert by_code[lake]["station"]["wqi"]["valid"] is False  # the flagged pH does not count; COD alone is not enough
    # flagged values never reach the AQI: the hour with only a SUSPECT pair and a negative PM10 has none
    aqi = await hourly_aqi(seeded, air)
    assert t0 + 5 * HOUR not in aqi


async def test_recomputed_aqi_equals_the_domain_function_on_the_stored_readings(
    as_admin: GQL, seeded: Seeded, new_station: Make
) -> None:
    code = await new_station("AIR")
    t0 = top_of_hour(60)
    items = air_hours(code, t0, 40, pm25=30.0)
    items += [reading(code, t0 + 17 * HOUR, "PM2_5", -5.0)]  # a conflict (already in the batch): ignored
    items = [i for i in items if not (i["parameter"] == "PM2_5" and i["measuredAt"] == (t0 + 20 * HOUR)
                                       .astimezone(ICT).isoformat())]  # fmt: skip
    payload = await ingest(as_admin, items)
    assert payload["batch"]["inserted"] == 119
    r = ds.readings.c
    rows = await seeded.stores["environment"].all(
        select(r.parameter, r.measured_at, r.value).where(r.station_code == code, r.quality == "OK")
    )
    series: dict[str, dict[dt.datetime, float]] = {}
    for row in rows:
        series.setdefault(row.parameter, {})[ds.utc(row.measured_at)] = row.value
    expected = {h: (a.value, a.dominant) for h, a in vn_aqi.hourly_series(series, [t0 + i * HOUR for i in range(40)])}
    assert await hourly_aqi(seeded, code) == expected and len(expected) == 39
    latest = payload["batch"]["stations"][0]["latestAqi"]
    last = max(expected)
    assert (latest["value"], dt.datetime.fromisoformat(latest["hour"])) == (expected[last][0], last)
    assert latest["category"] == vn_aqi.category(expected[last][0]).code
    # the daily AQI of complete local days is there too, computed from the same readings
    d = ds.aqi_daily.c
    days = await seeded.stores["environment"].all(select(d.day, d.aqi).where(d.station_code == code))
    for day in days:
        want = next(x for x in vn_aqi.daily_series(series, [day.day], ds.HANOI_TZ))
        assert day.aqi == want[1].value


async def test_resending_a_batch_changes_nothing(
    as_admin: GQL, seeded: Seeded, new_station: Make, app: Starlette
) -> None:
    code = await new_station("AIR")
    items = air_hours(code, top_of_hour(10), 6)
    first = await ingest(as_admin, items)
    assert first["batch"]["inserted"] == 18
    before_readings, before_aqi = await stored(seeded, code), await hourly_aqi(seeded, code)
    sub = app.state.bus.subscribe(["environment."])
    again = await as_admin(INGEST, {"in": {"readings": items}})
    payload = again["data"]["readingsIngest"]
    assert (payload["batch"]["inserted"], payload["batch"]["duplicates"], payload["userErrors"]) == (0, 18, [])
    assert await stored(seeded, code) == before_readings and await hourly_aqi(seeded, code) == before_aqi
    assert drain(sub) == []  # nothing changed, nothing announced
    sub.close()
    # an Idempotency-Key retry returns the first receipt itself
    keyed = air_hours(code, top_of_hour(4), 1)
    one = await ingest(as_admin, keyed, idempotencyKey="ingest-retry-1")
    two = await ingest(as_admin, keyed, idempotencyKey="ingest-retry-1")
    assert one["batch"]["id"] == two["batch"]["id"] and two["batch"]["inserted"] == 3


async def test_a_crossing_into_a_worse_category_raises_exactly_one_alert(
    as_admin: GQL, seeded: Seeded, new_station: Make, app: Starlette
) -> None:
    code = await new_station("AIR", unit="00103")
    t0 = top_of_hour(20)
    await ingest(as_admin, air_hours(code, t0, 12, pm25=12.0))
    before = await hourly_aqi(seeded, code)
    assert vn_aqi.category(before[max(before)][0]).code == "GOOD"
    sub = app.state.bus.subscribe(["environment."])
    spike = t0 + 12 * HOUR
    payload = await ingest(as_admin, [reading(code, spike, "PM2_5", 300.0), reading(code, spike, "PM10", 420.0)])
    new = payload["batch"]["stations"][0]["latestAqi"]
    assert new["category"] == "VERY_BAD" and dt.datetime.fromisoformat(new["hour"]) == spike
    events = drain(sub)
    alerts = [e for e in events if e.topic == "environment.alert.raised"]
    assert len(alerts) == 1
    a = alerts[0].payload
    assert (a["kind"], a["station_code"], a["unit_code"], a["previous_category"], a["new_category"]) == (
        "AQI_WORSENED",
        code,
        "00103",
        "GOOD",
        "VERY_BAD",
    )
    assert [e.topic for e in events].count("environment.aqi.updated") == 1
    ingested = next(e for e in events if e.topic == "environment.reading.ingested").payload
    assert (ingested["station_code"], ingested["kind"], ingested["hours"]) == (code, "AIR", 1)
    # a later hour in the same category raises nothing
    await ingest(as_admin, [reading(code, spike + HOUR, "PM2_5", 280.0), reading(code, spike + HOUR, "PM10", 400.0)])
    assert not [e for e in drain(sub) if e.topic == "environment.alert.raised"]
    sub.close()
    count = await seeded.stores["environment"].scalar(
        select(func.count()).select_from(ds.alerts).where(ds.alerts.c.station_code == code)
    )
    assert count == 1


async def test_flood_depth_thresholds_raise_alerts(
    as_admin: GQL, seeded: Seeded, new_station: Make, app: Starlette
) -> None:
    code = await new_station("FLOOD_POINT")
    t0 = top_of_hour(3)
    await ingest(as_admin, [reading(code, t0, "DEPTH_CM", 5.0)])
    sub = app.state.bus.subscribe(["environment.alert."])
    await ingest(as_admin, [reading(code, t0 + dt.timedelta(minutes=20), "DEPTH_CM", 0.36, "m")])
    await ingest(as_admin, [reading(code, t0 + dt.timedelta(minutes=40), "DEPTH_CM", 400.0)])  # broken: flagged
    await ingest(as_admin, [reading(code, t0 + HOUR, "DEPTH_CM", 0.0)])
    got = [(e.payload["kind"], e.payload["threshold_cm"], e.payload["previous_depth_cm"], e.payload["new_depth_cm"])
           for e in drain(sub)]  # fmt: skip
    assert got == [("FLOOD_RISING", 30, 5.0, 36.0), ("FLOOD_RECEDING", 10, 36.0, 0.0)]
    sub.close()


async def test_more_than_10000_readings_are_refused_whole(as_admin: GQL, seeded: Seeded, new_station: Make) -> None:
    code = await new_station("AIR")
    start = top_of_hour(4000)
    items = [reading(code, start + i * HOUR, "PM2_5", 20.0) for i in range(rules.MAX_BATCH + 1)]
    payload = await ingest(as_admin, items)
    assert payload["batch"] is None
    assert payload["userErrors"][0]["field"] == ["input", "readings"] and payload["userErrors"][0]["code"] == "TOO_MANY"
    assert await stored(seeded, code) == {}


async def test_a_batch_without_any_acceptable_entry_writes_nothing(as_admin: GQL, seeded: Seeded) -> None:
    r = ds.readings.c
    store = seeded.stores["environment"]
    before = await store.scalar(select(func.count()).select_from(ds.ingest_batches))
    payload = await ingest(as_admin, [reading("NOPE1", top_of_hour(2), "PM2_5", 1.0),
                                      reading("NOPE2", top_of_hour(2), "PM2_5", 1.0)])  # fmt: skip
    assert payload["batch"] is None
    assert [e["field"] for e in payload["userErrors"]] == [["input", "readings", "0", "stationCode"],
                                                          ["input", "readings", "1", "stationCode"]]  # fmt: skip
    assert await store.scalar(select(func.count()).select_from(ds.ingest_batches)) == before
    assert await store.scalar(select(func.count()).select_from(ds.readings).where(r.station_code.like("NOPE%"))) == 0


async def test_ten_thousand_readings_take_a_bounded_number_of_statements(
    as_admin: GQL, seeded: Seeded, new_station: Make
) -> None:
    codes = [await new_station("AIR") for _ in range(3)]
    start = top_of_hour(700)
    items = [reading(codes[i % 3], start + (i // 15) * HOUR, ("PM2_5", "PM10", "O3", "CO", "NO2")[(i // 3) % 5],
                     20.0 + i % 7 if (i // 3) % 5 else 10.0) for i in range(rules.MAX_BATCH)]  # fmt: skip
    started = time.perf_counter()
    body = await as_admin(INGEST, {"in": {"readings": items}})
    elapsed = time.perf_counter() - started
    assert body["data"]["readingsIngest"]["batch"]["inserted"] == rules.MAX_BATCH
    # 10 inserts of 1,000 rows, 20 look-ups, a recompute per station: not one statement per reading
    assert statements(body, "environment") < 80
    assert elapsed < 30


@pytest.mark.parametrize(
    ("role", "claims"),
    [
        (Role.CITIZEN, {"subject": "001087123456"}),
        (Role.OFFICER, {"unit": "00070", "domains": ("environment",)}),
        (Role.OPERATOR, {}),
        (Role.TEACHER, {"school": "01"}),
        (Role.INSPECTOR, {}),
    ],
)
async def test_only_devices_and_admins_ingest(
    as_role: Callable[..., GQL], seeded: Seeded, new_station: Make, role: Role, claims: dict[str, Any]
) -> None:
    code = await new_station("AIR")
    body = await as_role(role, **claims)(
        INGEST, {"in": {"readings": [reading(code, top_of_hour(2), "PM2_5", 20.0)]}}, expect_errors=True
    )
    assert body["data"] is None or body["data"]["readingsIngest"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await stored(seeded, code) == {}


async def test_a_device_ingests(as_role: Callable[..., GQL], seeded: Seeded, new_station: Make) -> None:
    code = await new_station("RAIN_GAUGE")
    gateway = as_role(Role.DEVICE, subject="gateway-mua-01")
    payload = await ingest(gateway, [reading(code, top_of_hour(2), "RAINFALL_MM", 12.5)])
    assert payload["batch"]["inserted"] == 1 and payload["userErrors"] == []
    store = seeded.stores["environment"]
    who = await store.scalar(
        select(ds.ingest_batches.c.submitted_by).where(ds.ingest_batches.c.id == payload["batch"]["id"])
    )
    assert who == "gateway-mua-01"


async def test_a_failure_in_the_middle_leaves_nothing_behind(
    as_admin: GQL, seeded: Seeded, new_station: Make, monkeypatch: pytest.MonkeyPatch, app: Starlette
) -> None:
    code = await new_station("AIR")
    sub = app.state.bus.subscribe(["environment."])

    async def explode(*args: Any) -> int:
        raise RuntimeError("crash after the readings were inserted, before the AQI was written")

    monkeypatch.setattr(ds, "recompute_aqi_in", explode)
    body = await as_admin(INGEST, {"in": {"readings": air_hours(code, top_of_hour(8), 3)}}, expect_errors=True)
    assert body["errors"]
    monkeypatch.undo()
    assert await stored(seeded, code) == {} and await hourly_aqi(seeded, code) == {}
    assert drain(sub) == []
    sub.close()


# ---------------------------------------------------------------------------------------------------------
# Against a running server: real parallel requests, real WebSockets
# ---------------------------------------------------------------------------------------------------------


async def test_parallel_overlapping_ingests_store_each_reading_once(
    live_server: Any, seeded: Seeded, new_station: Make
) -> None:
    code = await new_station("AIR")
    items = air_hours(code, top_of_hour(30), 24)
    async with live_server.client(Role.DEVICE, subject="gateway-parallel") as http:
        batches = [items[k : k + 40] for k in range(0, len(items), 8)]  # overlapping windows
        responses = await asyncio.gather(
            *(http.post("/graphql", json={"query": INGEST, "variables": {"in": {"readings": b}}}) for b in batches * 2)
        )
    payloads = [r.json()["data"]["readingsIngest"] for r in responses]
    assert all(p["batch"] is not None and p["userErrors"] == [] for p in payloads)
    assert sum(p["batch"]["inserted"] for p in payloads) == len(items)
    assert sum(p["batch"]["inserted"] + p["batch"]["duplicates"] for p in payloads) == sum(map(len, batches)) * 2
    assert len(await stored(seeded, code)) == len(items)
    series: dict[str, dict[dt.datetime, float]] = {}
    for (p, t), (v, _q) in (await stored(seeded, code)).items():
        series.setdefault(p, {})[t] = v
    start = top_of_hour(30)
    expected = {
        h: (a.value, a.dominant) for h, a in vn_aqi.hourly_series(series, [start + i * HOUR for i in range(24)])
    }
    assert await hourly_aqi(seeded, code) == expected


def ws_url(live_server: Any) -> str:
    return str(live_server.url).replace("http://", "ws://") + "/graphql"


async def open_ws(live_server: Any, subject: str) -> Any:
    token = token_for(live_server.settings, Role.OPERATOR, subject=subject)
    ws = await websockets.connect(ws_url(live_server), subprotocols=[Subprotocol("graphql-transport-ws")])
    await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}))
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    return ws


async def subscribe(ws: Any, sid: str, query: str, variables: dict[str, Any]) -> None:
    await ws.send(json.dumps({"id": sid, "type": "subscribe", "payload": {"query": query, "variables": variables}}))


AQI_SUB = (
    """subscription($c: String) { aqiUpdated(stationCode: $c) { station { code } aqi { hour value category } } }"""
)
ALERT_SUB = """subscription($u: String) { environmentAlert(unitCode: $u, kind: AQI_WORSENED) {
  kind station { code } previousCategory newCategory previousAqi newAqi at } }"""
READING_SUB = """subscription($c: String) { readingAdded(stationCode: $c, kind: AIR) {
  station { code } inserted readings { parameter value quality } } }"""


async def test_websocket_subscribers_get_their_station_within_a_second(
    live_server: Any, seeded: Seeded, new_station: Make
) -> None:
    mine, other = await new_station("AIR", unit="00004"), await new_station("AIR", unit="00004")
    t0 = top_of_hour(14)
    async with live_server.client(Role.DEVICE, subject="gateway-ws") as http:
        history = {"in": {"readings": air_hours(mine, t0, 12, 10.0)}}
        first = await http.post("/graphql", json={"query": INGEST, "variables": history})
        assert first.json()["data"]["readingsIngest"]["batch"]["inserted"] == 36
        ws, ws_other = await open_ws(live_server, "ws-env-1"), await open_ws(live_server, "ws-env-2")
        try:
            await subscribe(ws, "aqi", AQI_SUB, {"c": mine})
            await subscribe(ws, "alert", ALERT_SUB, {"u": "00004"})
            await subscribe(ws, "readings", READING_SUB, {"c": mine})
            await subscribe(ws_other, "aqi", AQI_SUB, {"c": other})
            await asyncio.sleep(0.3)  # let the server register the subscriptions
            spike = t0 + 12 * HOUR
            items = [reading(mine, spike, "PM2_5", 260.0), reading(mine, spike, "PM10", 380.0)]
            sent = time.monotonic()
            resp = await http.post("/graphql", json={"query": INGEST, "variables": {"in": {"readings": items}}})
            latest = resp.json()["data"]["readingsIngest"]["batch"]["stations"][0]["latestAqi"]
            got: dict[str, dict[str, Any]] = {}
            while len(got) < 3:
                message = json.loads(
                    await asyncio.wait_for(ws.recv(), timeout=max(0.01, sent + 1.0 - time.monotonic()))
                )
                assert message["type"] == "next", message
                got[message["id"]] = message["payload"]["data"]
            assert time.monotonic() - sent < 1.0
            aqi = got["aqi"]["aqiUpdated"]
            assert aqi["station"]["code"] == mine and aqi["aqi"]["value"] == latest["value"]
            assert aqi["aqi"]["hour"] == latest["hour"] and latest["category"] == "BAD"  # Xấu
            alert = got["alert"]["environmentAlert"]
            assert (alert["kind"], alert["station"]["code"], alert["previousCategory"], alert["newCategory"]) == (
                "AQI_WORSENED",
                mine,
                "GOOD",
                "BAD",
            )
            added = got["readings"]["readingAdded"]
            assert added["inserted"] == 2 and {r["parameter"] for r in added["readings"]} == {"PM2_5", "PM10"}
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(ws_other.recv(), timeout=1.0)  # filtered to another station: nothing
        finally:
            await ws.close()
            await ws_other.close()
