"""Environment store: VN_AQI and VN_WQI rules, stations, readings, derived AQI, batching."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from govgraph.datasources import environment as ds
from govgraph.datasources.base import Store
from govgraph.domain import aqi as vn_aqi
from govgraph.domain import wqi as vn_wqi
from tests.conftest import GQL, Seeded, statements

HOUR = dt.timedelta(hours=1)

# ---------------------------------------------------------------------------------------------------------
# VN_AQI (Decision 1459/QĐ-TCMT)
# ---------------------------------------------------------------------------------------------------------


def test_worked_examples_of_the_decision() -> None:
    pm25 = vn_aqi.daily_aqi({"PM2_5": [60.0] * 24})
    assert pm25 is not None
    assert vn_aqi.sub_index("PM2_5", 60) == pytest.approx(116.667, abs=1e-3)
    assert (pm25.value, pm25.dominant, pm25.category.rating, pm25.category.code) == (117, "PM2_5", "Kém", "POOR")
    pm10 = vn_aqi.daily_aqi({"PM10": [120.0] * 24})
    assert pm10 is not None
    assert (pm10.value, pm10.category.rating, pm10.category.hex) == (85, "Trung bình", "#FFFF00")


def test_rounding_is_half_up_not_bankers() -> None:
    # PM2.5 25.25 µg/m³: 50 + (100-50)/(50-25) × 0.25 = 50.5 → 51 (Python's round() would give 50)
    assert vn_aqi.sub_index("PM2_5", 25.25) == pytest.approx(50.5)
    result = vn_aqi.daily_aqi({"PM2_5": [25.25] * 24})
    assert result is not None and result.value == 51 and result.category.code == "MODERATE"
    assert vn_aqi.round_half_up(116.5) == 117 and vn_aqi.round_half_up(116.49) == 116


def test_sub_index_is_capped_at_500() -> None:
    assert vn_aqi.sub_index("PM2_5", 500) == 500
    assert vn_aqi.sub_index("PM2_5", 900) == 500
    assert vn_aqi.sub_index("CO", 250_000) == 500
    assert vn_aqi.sub_index("PM10", 599) == pytest.approx(499, abs=0.01)
    extreme = vn_aqi.hourly_aqi({"PM2_5": [2000.0] * 12, "CO": [400_000.0]})
    assert extreme is not None and extreme.value == 500 and {s.value for s in extreme.sub_indices} == {500}


@pytest.mark.parametrize(
    ("aqi", "code", "rating", "hex_"),
    [
        (0, "GOOD", "Tốt", "#00E400"),
        (50, "GOOD", "Tốt", "#00E400"),
        (51, "MODERATE", "Trung bình", "#FFFF00"),
        (100, "MODERATE", "Trung bình", "#FFFF00"),
        (101, "POOR", "Kém", "#FF7E00"),
        (151, "BAD", "Xấu", "#FF0000"),
        (200, "BAD", "Xấu", "#FF0000"),
        (201, "VERY_BAD", "Rất xấu", "#8F3F97"),
        (300, "VERY_BAD", "Rất xấu", "#8F3F97"),
        (301, "HAZARDOUS", "Nguy hại", "#7E0023"),
        (500, "HAZARDOUS", "Nguy hại", "#7E0023"),
    ],
)
def test_categories_and_colours(aqi: int, code: str, rating: str, hex_: str) -> None:
    cat = vn_aqi.category(aqi)
    assert (cat.code, cat.rating, cat.hex) == (code, rating, hex_)


def test_nowcast_with_steady_concentrations_is_the_concentration() -> None:
    assert vn_aqi.nowcast([50.0] * 12) == pytest.approx(50.0)


def test_nowcast_weight_above_one_half() -> None:
    # w* = 40/60 = 2/3 > 1/2: weighted mean with weights w^(i-1)
    w = 40 / 60
    expected = (60 + w * 50 + w**2 * 40) / (1 + w + w**2)
    assert vn_aqi.nowcast([60.0, 50.0, 40.0]) == pytest.approx(expected)


def test_nowcast_weight_at_most_one_half_uses_powers_of_one_half() -> None:
    # w* = 20/100 ≤ 1/2: NowCast = Σ (1/2)^i c_i, i from 1
    values = [100.0, 80.0, 60.0, 20.0]
    expected = 0.5 * 100 + 0.25 * 80 + 0.125 * 60 + 0.0625 * 20
    assert vn_aqi.nowcast(values) == pytest.approx(expected)
    # exactly 1/2 is in this branch too
    assert vn_aqi.nowcast([100.0, 50.0]) == pytest.approx(0.5 * 100 + 0.25 * 50)


def test_nowcast_missing_hours_get_weight_zero() -> None:
    w = 45 / 60
    expected = (60 + w**2 * 45) / (1 + w**2)  # c2 missing: its term and weight drop out
    assert vn_aqi.nowcast([60.0, None, 45.0]) == pytest.approx(expected)


def test_nowcast_needs_two_of_the_last_three_hours() -> None:
    assert vn_aqi.nowcast([50.0, None, None, 40.0, 40.0, 40.0]) is None
    assert vn_aqi.nowcast([None, None, 50.0, 40.0]) is None
    assert vn_aqi.nowcast([None, 50.0, 45.0]) is not None


def test_no_aqi_without_pm10_or_pm25() -> None:
    assert vn_aqi.hourly_aqi({"O3": [350.0], "CO": [40_000.0], "NO2": [500.0]}) is None
    assert vn_aqi.daily_aqi({"O3": [300.0] * 24, "SO2": [900.0] * 24}) is None
    # PM10 alone is enough, and then a gas can dominate
    result = vn_aqi.hourly_aqi({"PM10": [40.0] * 12, "O3": [350.0]})
    assert result is not None and result.dominant == "O3"
    assert result.value == vn_aqi.round_half_up(150 + 50 / 100 * 50)
    assert {s.pollutant: s.averaging for s in result.sub_indices} == {"PM10": "NOWCAST", "O3": "H1"}


def test_hourly_pm_without_two_of_three_recent_hours_gives_no_aqi() -> None:
    assert vn_aqi.hourly_aqi({"PM2_5": [None, None, 50.0, *[50.0] * 9], "O3": [100.0]}) is None


def test_o3_daily_takes_the_larger_of_1h_and_8h_sub_indices() -> None:
    # 8 hours at 180 (8h table: 150 + 50/40 × 10 = 162.5) beat the 1h maximum 180 (1h table: 50 + 50/40 × 20 = 75)
    day = {"PM2_5": [10.0] * 24, "O3": [20.0] * 10 + [180.0] * 8 + [20.0] * 6}
    result = vn_aqi.daily_aqi(day)
    assert result is not None
    o3 = result.sub("O3")
    assert o3 is not None and o3.averaging == "H8" and o3.value == 163 and result.dominant == "O3"


def test_o3_8h_sub_index_is_not_computed_above_400() -> None:
    assert vn_aqi.sub_index("O3_8H", 400) == 300
    assert vn_aqi.sub_index("O3_8H", 401) is None
    day = {"PM2_5": [10.0] * 24, "O3": [450.0] * 24}
    result = vn_aqi.daily_aqi(day)
    assert result is not None
    o3 = result.sub("O3")
    assert o3 is not None and o3.averaging == "H1"
    assert o3.value == 213  # 1h table: 200 + (300 - 200) / (800 - 400) × (450 - 400) = 212.5


def test_daily_gases_use_the_maximum_hourly_average() -> None:
    day = {"PM10": [40.0] * 24, "NO2": [50.0] * 23 + [450.0]}
    result = vn_aqi.daily_aqi(day)
    assert result is not None
    no2 = result.sub("NO2")
    assert no2 is not None and no2.concentration == 450 and no2.value == 125


# ---------------------------------------------------------------------------------------------------------
# VN_WQI (Decision 1460/QĐ-TCMT)
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ph", "q"),
    [(5.4, 10), (5.5, 50), (5.75, 75), (6.0, 100), (7.2, 100), (8.5, 100), (8.75, 75), (9.0, 50), (9.1, 10)],
)
def test_ph_branches(ph: float, q: float) -> None:
    assert vn_wqi.sub_index("PH", ph) == pytest.approx(q)


def test_do_is_scored_on_percent_saturation() -> None:
    assert vn_wqi.do_saturation(0) == pytest.approx(14.652) and vn_wqi.do_saturation(25) == pytest.approx(
        8.176, abs=1e-3
    )
    assert vn_wqi.do_sub_index(10) == 10 and vn_wqi.do_sub_index(210) == 10
    assert vn_wqi.do_sub_index(20) == 25 and vn_wqi.do_sub_index(62.5) == pytest.approx(62.5)
    assert vn_wqi.do_sub_index(88) == 100 and vn_wqi.do_sub_index(100) == 100 and vn_wqi.do_sub_index(112) == 100
    assert vn_wqi.do_sub_index(137.5) == pytest.approx(62.5) and vn_wqi.do_sub_index(200) == 25
    # DO without a temperature cannot be converted, so it is left out
    assert "DO" not in vn_wqi.sub_indices({"DO": 6.0}) and "DO" in vn_wqi.sub_indices({"DO": 6.0, "TEMPERATURE": 25})


def test_higher_is_worse_parameters() -> None:
    assert vn_wqi.sub_index("BOD5", 3) == 100
    assert vn_wqi.sub_index("BOD5", 10.5) == pytest.approx(62.5)
    assert vn_wqi.sub_index("BOD5", 60) == 1
    assert vn_wqi.sub_index("NH4", 6) == 10
    assert vn_wqi.sub_index("COLIFORM", 5000) == 75
    assert vn_wqi.sub_index("N_NO2", 0.05) == 100 and vn_wqi.sub_index("N_NO2", 0.06) == 10
    assert vn_wqi.sub_index("DDTS", 1.0) == 100 and vn_wqi.sub_index("DDTS", 1.1) == 10


def test_wqi_aggregation_with_and_without_group_v() -> None:
    base = {"PH": 7.0, "BOD5": 4.0, "COD": 10.0, "NH4": 0.9}  # groups I = 100, IV = (100 + 100 + 50) / 3
    with_v = vn_wqi.wqi({**base, "COLIFORM": 5000.0})
    iv = 250 / 3
    assert with_v.valid and with_v.exact == pytest.approx((iv**2 * 75) ** (1 / 3))
    assert with_v.value == 80 and with_v.category is not None and with_v.category.rating == "Tốt"
    without_v = vn_wqi.wqi({**base, "AS": 0.005})  # groups I, III, IV
    assert without_v.valid and without_v.value == 83
    metals = vn_wqi.wqi({**base, "COLIFORM": 5000.0, "AS": 0.05, "PB": 0.01})  # III = √(50 × 100)
    assert metals.exact == pytest.approx((50 * 100) ** 0.5 / 100 * (iv**2 * 75) ** (1 / 3))


def test_wqi_validity_rules() -> None:
    two_groups = vn_wqi.wqi({"PH": 7.0, "BOD5": 4.0, "COD": 10.0, "NH4": 0.2})
    assert not two_groups.valid and two_groups.value is None and "3 of the 5 groups" in (two_groups.reason or "")
    thin_iv = vn_wqi.wqi({"PH": 7.0, "BOD5": 4.0, "COD": 10.0, "COLIFORM": 100.0, "AS": 0.001})
    assert not thin_iv.valid and "group IV" in (thin_iv.reason or "")
    assert vn_wqi.wqi({"PH": 7.0, "BOD5": 4.0, "COD": 10.0, "NH4": 0.2, "COLIFORM": 100.0}).value == 100


@pytest.mark.parametrize(
    ("value", "code"),
    [(100, "VERY_GOOD"), (91, "VERY_GOOD"), (90, "GOOD"), (76, "GOOD"), (75, "MODERATE"), (51, "MODERATE"),
     (50, "BAD"), (26, "BAD"), (25, "POOR"), (10, "POOR"), (9, "VERY_POLLUTED"), (1, "VERY_POLLUTED")],
)  # fmt: skip
def test_wqi_categories(value: int, code: str) -> None:
    assert vn_wqi.wqi_category(value).code == code


# ---------------------------------------------------------------------------------------------------------
# Through GraphQL, on the seeded demo data
# ---------------------------------------------------------------------------------------------------------

AQI_FIELDS = "hour value category rating colour { hex } dominantPollutant method " \
    "subIndices { pollutant value concentration averaging }"  # fmt: skip


async def _history(store: Store, code: str, hour: dt.datetime) -> dict[str, list[float | None]]:
    """The station's valid hourly readings for the 12 hours ending at ``hour``, newest first, from the store."""
    r = ds.readings.c
    rows = await store.all(
        select(r.parameter, r.measured_at, r.value).where(
            r.station_code == code,
            r.quality == "OK",
            r.measured_at > hour - 12 * HOUR,
            r.measured_at <= hour,
            r.parameter.in_(vn_aqi.POLLUTANTS),
        )
    )
    by = {(row.parameter, ds.utc(row.measured_at)): row.value for row in rows}
    return {p: [by.get((p, hour - i * HOUR)) for i in range(12)] for p in vn_aqi.POLLUTANTS}


async def test_latest_aqi_equals_the_formula_applied_to_the_seeded_readings(as_admin: GQL, seeded: Seeded) -> None:
    body = await as_admin(
        f"{{ stations(filter: {{kind: AIR}}, first: 100) {{ nodes {{ code latestAqi {{ {AQI_FIELDS} }} }} }} }}"
    )
    nodes = body["data"]["stations"]["nodes"]
    assert len(nodes) == 10
    store = seeded.stores["environment"]
    for node in nodes:
        latest = node["latestAqi"]
        hour = dt.datetime.fromisoformat(latest["hour"]).astimezone(dt.UTC)
        assert latest["hour"].endswith("+07:00")
        newest = await store.scalar(
            select(func.max(ds.readings.c.measured_at)).where(
                ds.readings.c.station_code == node["code"],
                ds.readings.c.parameter.in_(vn_aqi.POLLUTANTS),
                ds.readings.c.quality == "OK",
            )
        )
        assert hour == ds.utc(newest)  # the latest AQI is for the station's newest hour
        expected = vn_aqi.hourly_aqi(await _history(store, node["code"], hour))
        assert expected is not None
        assert latest["value"] == expected.value
        assert latest["dominantPollutant"] == expected.dominant
        assert latest["category"] == expected.category.code and latest["rating"] == expected.category.rating
        assert latest["colour"]["hex"] == expected.category.hex
        assert latest["method"] == "VN_AQI_1459_2019"
        got = {s["pollutant"]: (s["value"], s["averaging"]) for s in latest["subIndices"]}
        assert got == {s.pollutant: (s.value, s.averaging) for s in expected.sub_indices}


async def test_daily_aqi_equals_the_formula_on_the_days_readings(as_admin: GQL, seeded: Seeded) -> None:
    body = await as_admin(
        '{ station(code: "KK003") { dailyAqi { date value dominantPollutant hoursCovered '
        "subIndices { pollutant value averaging } } } }"
    )
    days = body["data"]["station"]["dailyAqi"]
    assert len(days) == 7
    yesterday = dt.datetime.now(ds.HANOI_TZ).date() - dt.timedelta(days=1)
    assert days[-1]["date"] == yesterday.isoformat()
    store = seeded.stores["environment"]
    for d in days[-2:]:
        start = dt.datetime.combine(dt.date.fromisoformat(d["date"]), dt.time(), ds.HANOI_TZ).astimezone(dt.UTC)
        r = ds.readings.c
        rows = await store.all(
            select(r.parameter, r.measured_at, r.value).where(
                r.station_code == "KK003", r.quality == "OK", r.measured_at >= start, r.measured_at < start + 24 * HOUR
            )
        )
        by = {(row.parameter, ds.utc(row.measured_at)): row.value for row in rows}
        day = {p: [by.get((p, start + i * HOUR)) for i in range(24)] for p in vn_aqi.POLLUTANTS}
        expected = vn_aqi.daily_aqi(day)
        assert expected is not None
        assert (d["value"], d["dominantPollutant"]) == (expected.value, expected.dominant)
        assert {s["pollutant"]: s["averaging"] for s in d["subIndices"]}["PM2_5"] == "H24"


async def test_readings_in_a_time_range_with_last(as_admin: GQL, seeded: Seeded) -> None:
    end: dt.datetime = seeded.ctx.shared["environment"]["end"]
    frm, to = end - 48 * HOUR, end - 24 * HOUR
    query = (
        'query($f: DateTime, $t: DateTime, $n: Int!) { station(code: "KK001") { '
        "readings(parameter: PM10, from: $f, to: $t, last: $n) { measuredAt parameter value unit averaging quality } "
        "} }"
    )
    body = await as_admin(query, {"f": frm.isoformat(), "t": to.isoformat(), "n": 5})
    got = body["data"]["station"]["readings"]
    r = ds.readings.c
    rows = await seeded.stores["environment"].all(
        select(r.measured_at, r.value)
        .where(r.station_code == "KK001", r.parameter == "PM10", r.measured_at >= frm, r.measured_at < to)
        .order_by(r.measured_at.desc())
        .limit(5)
    )
    assert [(dt.datetime.fromisoformat(x["measuredAt"]), x["value"]) for x in got] == [
        (ds.utc(row.measured_at), row.value) for row in rows
    ]
    assert len(got) == 5 and {x["parameter"] for x in got} == {"PM10"} and got[0]["unit"] == "µg/m³"
    times = [dt.datetime.fromisoformat(x["measuredAt"]) for x in got]
    assert times == sorted(times, reverse=True) and all(frm <= t < to for t in times)
    # a 3-hour window holds at most 3 hourly values however many are asked for
    short = await as_admin(query, {"f": (to - 3 * HOUR).isoformat(), "t": to.isoformat(), "n": 100})
    assert 1 <= len(short["data"]["station"]["readings"]) <= 3
    bad = await as_admin('{ station(code: "KK001") { readings(last: 0) { value } } }', expect_errors=True)
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_air_quality_now_summarises_every_air_station(as_admin: GQL) -> None:
    body = await as_admin(
        "{ airQualityNow { latestHour reportingStations worst { station { code } aqi { value } } "
        "stations { station { code name } aqi { value hour category } } } "
        "stations(filter: {kind: AIR}, first: 100) { nodes { code latestAqi { value hour } } } }"
    )
    now = body["data"]["airQualityNow"]
    expected = {n["code"]: n["latestAqi"] for n in body["data"]["stations"]["nodes"]}
    assert {s["station"]["code"]: {"value": s["aqi"]["value"], "hour": s["aqi"]["hour"]} for s in now["stations"]} == (
        expected
    )
    assert now["worst"]["aqi"]["value"] == max(v["value"] for v in expected.values())
    assert now["latestHour"] == max(v["hour"] for v in expected.values())
    # KK009's logger stopped 5 hours ago: it is listed, with its last AQI, but not as reporting
    assert now["reportingStations"] == 9
    assert expected["KK009"]["hour"] < now["latestHour"]
    # the summary is one statement; the station page and its latest-AQI batch are one each
    assert statements(body, "environment") == 3


async def test_flood_points_active_now(as_admin: GQL) -> None:
    body = await as_admin(
        "{ wet: floodPoints(active: true) { code name drainageBasin floodDepth { depthCm flooded } } "
        "dry: floodPoints(active: false) { code floodDepth { depthCm flooded } } "
        "all: floodPoints { code } }"
    )
    wet, dry, every = body["data"]["wet"], body["data"]["dry"], body["data"]["all"]
    assert len(every) == 20
    assert wet, "the storm going on now floods some streets"
    assert all(p["floodDepth"]["flooded"] and p["floodDepth"]["depthCm"] > 0 for p in wet)
    assert all(not p["floodDepth"]["flooded"] and p["floodDepth"]["depthCm"] == 0 for p in dry)
    assert sorted(p["code"] for p in wet + dry) == [p["code"] for p in every]
    assert {p["drainageBasin"] for p in wet} <= {"TO_LICH", "NHUE", "TA_HONG"}


async def test_lake_wqi_is_the_formula_on_the_latest_sample(as_admin: GQL, seeded: Seeded) -> None:
    body = await as_admin(
        '{ station(code: "NM002") { waterBody wqi { sampledAt valid value category rating method '
        "groups { group value } subIndices { parameter value concentration } } latestAqi { value } } }"
    )
    st = body["data"]["station"]
    assert st["waterBody"] == "Hồ Tây" and st["latestAqi"] is None
    w = st["wqi"]
    r = ds.readings.c
    store = seeded.stores["environment"]
    newest = await store.scalar(select(func.max(r.measured_at)).where(r.station_code == "NM002"))
    rows = await store.all(select(r.parameter, r.value).where(r.station_code == "NM002", r.measured_at == newest))
    expected = vn_wqi.wqi({row.parameter: row.value for row in rows})
    assert dt.datetime.fromisoformat(w["sampledAt"]) == ds.utc(newest)
    assert w["valid"] and w["value"] == expected.value and w["method"] == "VN_WQI_1460_2019"
    assert expected.category is not None and w["category"] == expected.category.code
    assert {g["group"] for g in w["groups"]} >= {"I", "IV", "V"}
    assert {s["parameter"] for s in w["subIndices"]} >= {"PH", "DO", "BOD5", "COD", "NH4", "COLIFORM"}


async def test_rainfall_total_over_the_current_storm(as_admin: GQL, seeded: Seeded) -> None:
    end: dt.datetime = seeded.ctx.shared["environment"]["end"]
    body = await as_admin(
        'query($f: DateTime) { station(code: "MUA001") { name rainfall(from: $f) { totalMm hoursReported maxHourlyMm } '
        "floodDepth { depthCm } } }",
        {"f": (end - 6 * HOUR).isoformat()},
    )
    st = body["data"]["station"]
    assert st["name"] == "Điểm đo mưa phường Hai Bà Trưng" and st["floodDepth"] is None
    r = ds.readings.c
    total = await seeded.stores["environment"].scalar(
        select(func.sum(r.value)).where(r.station_code == "MUA001", r.measured_at >= end - 6 * HOUR)
    )
    assert st["rainfall"]["totalMm"] == pytest.approx(total, abs=0.05)
    assert st["rainfall"]["hoursReported"] == 6 and st["rainfall"]["totalMm"] > 100


async def test_history_range_is_capped(as_admin: GQL) -> None:
    body = await as_admin(
        '{ station(code: "KK001") { aqiHistory(from: "2025-01-01T00:00:00+07:00", to: "2025-03-01T00:00:00+07:00") '
        "{ value } } }",
        expect_errors=True,
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    ok = await as_admin('{ station(code: "KK001") { aqiHistory { hour value } } }')
    hours = [h["hour"] for h in ok["data"]["station"]["aqiHistory"]]
    assert 20 <= len(hours) <= 24 and hours == sorted(hours)


async def test_station_search_and_node_round_trip(as_admin: GQL) -> None:
    body = await as_admin('{ stations(filter: {search: "HO TAY"}, orderBy: {field: NAME}) { nodes { id code name } } }')
    nodes = body["data"]["stations"]["nodes"]
    assert {n["code"] for n in nodes} == {"NM001", "NM002", "NM003", "NM004", "MN001"}
    back = await as_admin(
        "query($id: ID!) { node(id: $id) { ... on Station { code kind unit { name } } } }", {"id": nodes[0]["id"]}
    )
    assert back["data"]["node"]["code"] == nodes[0]["code"]


STATION_TREE = """
  code unit { name } readings(last: 3) { value } latestAqi { value } aqiHistory { value } dailyAqi { value }
  wqi { value } rainfall { totalMm } floodDepth { depthCm }
"""


async def _tree_statements(as_admin: GQL, ids: list[str]) -> int:
    body = await as_admin(f"query($ids: [ID!]!) {{ nodes(ids: $ids) {{ ... on Station {{ {STATION_TREE} }} }} }}",
                          {"ids": ids})  # fmt: skip
    assert len(body["data"]["nodes"]) == len(ids) and all(body["data"]["nodes"])
    return statements(body, "environment")


async def test_batching_same_statement_count_for_10_and_all_stations(as_admin: GQL) -> None:
    body = await as_admin("{ stations(first: 100) { nodes { id kind } } }")
    nodes = body["data"]["stations"]["nodes"]
    assert len(nodes) == 55
    ten = [n["id"] for k in ("AIR", "LAKE_WATER", "RAIN_GAUGE", "FLOOD_POINT", "WATER_LEVEL")
           for n in [x for x in nodes if x["kind"] == k][:2]]  # fmt: skip
    few = await _tree_statements(as_admin, ten)
    every = await _tree_statements(as_admin, [n["id"] for n in nodes])
    # stations by id, readings, flood depth (latest reading), latest AQI, history, daily, WQI sample, rainfall
    assert few == every == 8


async def test_units_list_their_stations(as_admin: GQL, seeded: Seeded) -> None:
    body = await as_admin('{ administrativeUnit(code: "00070") { name stations { code kind } } }')
    got = [s["code"] for s in body["data"]["administrativeUnit"]["stations"]]
    s = ds.stations.c
    rows = await seeded.stores["environment"].all(select(s.code).where(s.unit_code == "00070").order_by(s.code))
    assert got == [row.code for row in rows] and {"KK001", "KK004", "MN002", "NM005"} <= set(got)


async def _unit_statements(as_admin: GQL, n: int) -> tuple[int, int]:
    body = await as_admin(
        "query($n: Int!) { administrativeUnits(structure: Y2025_07, first: $n) { nodes { stations { code } } } }",
        {"n": n},
    )
    nodes = body["data"]["administrativeUnits"]["nodes"]
    return statements(body, "environment"), sum(len(u["stations"]) for u in nodes)


async def test_units_to_stations_is_batched(as_admin: GQL) -> None:
    ten, ten_count = await _unit_statements(as_admin, 10)
    hundred, hundred_count = await _unit_statements(as_admin, 100)
    assert ten == hundred == 1 and hundred_count > ten_count > 0


async def test_recompute_reproduces_the_derived_hourly_aqi(tmp_path: Path) -> None:
    store = Store("environment", f"sqlite+aiosqlite:///{tmp_path / 'env.db'}", ds.metadata, 10)
    await store.create_all()
    try:
        start = dt.datetime(2025, 11, 20, 0, tzinfo=dt.UTC)
        rows: list[dict[str, Any]] = []
        for i in range(30):
            h = start + i * HOUR
            for p, v in {"PM2_5": 40 + 5 * (i % 7), "PM10": 70 + 3 * i, "O3": 60.0 + i}.items():
                quality = "SUSPECT" if (p == "PM2_5" and i == 20) else "OK"
                rows.append({"station_code": "KK001", "measured_at": h, "parameter": p, "value": float(v),
                             "unit": "µg/m³", "averaging": "H1", "quality": quality})  # fmt: skip
        await store.bulk_insert(ds.readings, rows)
        written = await store.all(select(ds.aqi_hourly).order_by(ds.aqi_hourly.c.hour))
        assert not written
        written_hours = await ds.recompute_aqi(store, "KK001", start, start + 30 * HOUR)
        stored = await store.all(select(ds.aqi_hourly).order_by(ds.aqi_hourly.c.hour))
        ok = [r for r in rows if r["quality"] == "OK"]
        series = {p: {r["measured_at"]: r["value"] for r in ok if r["parameter"] == p} for p in ("PM2_5", "PM10", "O3")}
        expected = dict(vn_aqi.hourly_series(series, [start + i * HOUR for i in range(30)]))
        # the first hour has no NowCast (2 of the last 3 hours needed): 29 hours
        assert written_hours == len(expected) == 29 and start not in expected
        assert [(ds.utc(r.hour), r.aqi, r.dominant) for r in stored] == [
            (h, e.value, e.dominant) for h, e in expected.items()
        ]
        # hour 20's PM2.5 reading is SUSPECT: its NowCast skips it (weight 0) and still has 2 of the last 3 hours
        at20 = next(r for r in stored if ds.utc(r.hour) == start + 20 * HOUR)
        c = [series["PM2_5"].get(start + (20 - k) * HOUR) for k in range(12)]
        assert c[0] is None and at20.c_pm2_5 == pytest.approx(round(vn_aqi.nowcast(c) or 0, 2))
    finally:
        await store.dispose()
