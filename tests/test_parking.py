"""Parking store: plates, fees from the tariff, availability from open sessions, the 2017 pilot, batching."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from sqlalchemy import func, select
from strawberry.relay import to_base64

from govgraph.datasources.parking import facilities, sessions, tariff_rule, tariffs
from govgraph.domain.parking import HANOI_TZ, InvalidPlate, TariffRule, normalize_plate, parking_fee, parse_plate
from govgraph.seed import PILOT_WARD
from tests.conftest import GQL, Seeded, statements

# ---------------------------------------------------------------------------------------------------------
# Plates
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "canonical", "vehicle_class"),
    [
        ("29A-123.45", "29A-123.45", "CAR"),
        ("30E-12345", "30E-123.45", "CAR"),
        ("30e12345", "30E-123.45", "CAR"),
        (" 30E 123.45 ", "30E-123.45", "CAR"),
        ("29A-1234", "29A-1234", "CAR"),
        ("29LD-012.34", "29LD-012.34", "CAR"),
        ("29-B1 123.45", "29-B1 123.45", "MOTORBIKE"),
        ("29-b1 12345", "29-B1 123.45", "MOTORBIKE"),
        ("29B112345", "29-B1 123.45", "MOTORBIKE"),
        ("51G-678.90", "51G-678.90", "CAR"),
    ],
)
def test_plates_in_common_spellings_parse_to_the_canonical_text(text: str, canonical: str, vehicle_class: str) -> None:
    plate = parse_plate(text)
    assert plate.text == canonical
    assert plate.vehicle_class == vehicle_class
    assert parse_plate(plate.text) == plate  # canonical text round-trips


@pytest.mark.parametrize(
    "text",
    ["", "29A", "ABC-123.45", "09A-123.45", "29I-123.45", "29O-123.45", "29A-123.456", "29A-000.00", "29-B1",
     "2A-123.45", "29ABC-123.45", "29A-12.345"],
)  # fmt: skip
def test_invalid_plates_are_rejected(text: str) -> None:
    with pytest.raises(InvalidPlate):
        parse_plate(text)


def test_hanoi_series() -> None:
    assert all(parse_plate(f"{s}A-123.45").is_hanoi for s in ("29", "30", "31", "32", "33", "40"))
    assert not parse_plate("88A-123.45").is_hanoi
    assert not parse_plate("51G-123.45").is_hanoi


# ---------------------------------------------------------------------------------------------------------
# Fees
# ---------------------------------------------------------------------------------------------------------

IPARKING = TariffRule(
    first_block_minutes=120, first_block_price=25_000, step_minutes=60, step_price=15_000, step_increment=5_000,
    overnight_from=dt.time(18), overnight_to=dt.time(6), overnight_turns=6,
)  # fmt: skip
MOTORBIKE = TariffRule(
    first_block_minutes=720, first_block_price=5_000, step_minutes=720, step_price=5_000,
    overnight_from=dt.time(18), overnight_to=dt.time(6), overnight_price=8_000, daily_cap=12_000,
)  # fmt: skip


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2025, 3, day, hour, minute, tzinfo=HANOI_TZ)


@pytest.mark.parametrize(
    ("start", "end", "fee"),
    [
        (at(3, 8), at(3, 8), 25_000),  # a turn is a turn
        (at(3, 8), at(3, 9, 45), 25_000),  # under 2 hours
        (at(3, 8), at(3, 10), 25_000),  # exactly 2 hours
        (at(3, 8), at(3, 10, 1), 40_000),  # the 3rd hour has started: 25,000 + 15,000
        (at(3, 8), at(3, 11), 40_000),
        (at(3, 8), at(3, 11, 30), 60_000),  # 4th hour: + 20,000 (progressive)
        (at(3, 8), at(3, 13), 85_000),  # 25 + 15 + 20 + 25
        (at(3, 20), at(3, 23), 40_000),  # evening without staying past midnight: by the hour
    ],
)
def test_iparking_fee_by_the_hour(start: dt.datetime, end: dt.datetime, fee: int) -> None:
    assert parking_fee(IPARKING, start, end) == fee


def test_overnight_counts_as_six_turns() -> None:
    assert IPARKING.overnight_flat == 150_000
    assert parking_fee(IPARKING, at(3, 18), at(4, 6)) == 150_000
    assert parking_fee(IPARKING, at(3, 19), at(4, 5)) == 150_000
    # an hour before the night, the night, two hours in the morning (a new day, a new first turn)
    assert parking_fee(IPARKING, at(3, 17), at(4, 8)) == 25_000 + 150_000 + 25_000
    # two nights and the whole day between them: 12 hours = 25 + 15 + 20 + ... + 60 (10 steps)
    day = 25_000 + sum(15_000 + 5_000 * k for k in range(10))
    assert parking_fee(IPARKING, at(3, 18), at(5, 6)) == 2 * 150_000 + day


def test_fee_uses_local_time_whatever_the_offset_of_the_input() -> None:
    utc_start = at(3, 19).astimezone(dt.UTC)
    naive_utc_end = at(4, 6).astimezone(dt.UTC).replace(tzinfo=None)
    assert parking_fee(IPARKING, utc_start, naive_utc_end) == 150_000
    with pytest.raises(ValueError, match="before it starts"):
        parking_fee(IPARKING, at(4, 6), at(3, 19))


def test_motorbike_day_night_and_day_and_night_prices() -> None:
    assert parking_fee(MOTORBIKE, at(3, 7), at(3, 17)) == 5_000
    assert parking_fee(MOTORBIKE, at(3, 18), at(4, 6)) == 8_000
    assert parking_fee(MOTORBIKE, at(3, 10), at(4, 10)) == 12_000  # capped at the day-and-night price


def test_normalize_plate_for_filters() -> None:
    assert normalize_plate("30k 999.99") == "30K-999.99"


# ---------------------------------------------------------------------------------------------------------
# Through GraphQL, on the seeded demo
# ---------------------------------------------------------------------------------------------------------


async def test_pilot_has_17_points_and_248_spaces_on_two_streets(as_admin: GQL) -> None:
    body = await as_admin(
        "query($u: String!) { parkingFacilities(filter: {unitCode: $u, kind: STREET_IPARKING}, first: 100) "
        "{ totalCount nodes { code street side capacity openedOn unit { code name } tariff { code firstBlockPrice "
        "overnightPrice } spots { number } } } "
        "parkingAvailability(unitCode: $u) { unit { name } byKind { kind facilities capacity occupied free } } }",
        {"u": PILOT_WARD},
    )
    conn = body["data"]["parkingFacilities"]
    points = conn["nodes"]
    assert conn["totalCount"] == len(points) == 17
    assert sum(p["capacity"] for p in points) == 248
    assert {p["street"] for p in points} == {"Trần Hưng Đạo", "Lý Thường Kiệt"}
    for p in points:
        assert p["unit"] == {"code": PILOT_WARD, "name": "Phường Cửa Nam"}
        assert p["openedOn"] == "2017-05-01"
        assert p["side"] in ("EVEN", "ODD")
        assert [s["number"] for s in p["spots"]] == list(range(1, p["capacity"] + 1))
        assert p["tariff"] == {"code": "IPK-CAR-2018", "firstBlockPrice": 25_000, "overnightPrice": 150_000}
    summary = body["data"]["parkingAvailability"]
    assert summary["unit"]["name"] == "Phường Cửa Nam"
    street = next(k for k in summary["byKind"] if k["kind"] == "STREET_IPARKING")
    assert street["facilities"] == 17 and street["capacity"] == 248
    assert street["free"] == street["capacity"] - street["occupied"]


async def _open_counts(seeded: Seeded) -> dict[str, int]:
    s = sessions.c
    rows = await seeded.stores["parking"].all(
        select(s.facility_code, func.count().label("n")).where(s.ended_at.is_(None)).group_by(s.facility_code)
    )
    return {r.facility_code: int(r.n) for r in rows}


async def test_availability_is_capacity_minus_open_sessions(as_admin: GQL, seeded: Seeded) -> None:
    open_now = await _open_counts(seeded)
    caps = {
        r.code: r.capacity for r in await seeded.stores["parking"].all(select(facilities.c.code, facilities.c.capacity))
    }
    assert len(caps) >= 200, "a city-wide inventory of a few hundred facilities"
    assert all(open_now.get(code, 0) <= cap for code, cap in caps.items()), "never more vehicles than spaces"
    assert sum(open_now.values()) > 0, "some sessions are open now"
    seen = 0
    after = None
    while True:
        body = await as_admin(
            "query($a: String) { parkingFacilities(first: 100, after: $a) { nodes { code capacity "
            "availability { capacity occupied free updatedAt } } pageInfo { hasNextPage endCursor } } }",
            {"a": after},
        )
        conn = body["data"]["parkingFacilities"]
        for n in conn["nodes"]:
            a = n["availability"]
            assert a["capacity"] == n["capacity"] == caps[n["code"]]
            assert a["occupied"] == open_now.get(n["code"], 0)
            assert a["free"] == max(0, a["capacity"] - a["occupied"])
            assert a["updatedAt"].endswith("+07:00")
            seen += 1
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert seen == len(caps)
    city = (await as_admin("{ parkingAvailability { capacity occupied free facilities } }"))["data"]
    total = city["parkingAvailability"]
    assert total["facilities"] == len(caps)
    assert total["capacity"] == sum(caps.values())
    assert total["occupied"] == sum(open_now.values())
    assert total["free"] == total["capacity"] - total["occupied"]


async def test_free_space_filter_and_ordering(as_admin: GQL) -> None:
    body = await as_admin(
        "{ full: parkingFacilities(filter: {hasFreeSpace: false}, first: 100) { nodes { availability { free } } } "
        "free: parkingFacilities(filter: {hasFreeSpace: true}, orderBy: {field: FREE_SPACES, descending: true}, "
        "first: 30) { totalCount nodes { availability { free } } pageInfo { endCursor } } "
        "all: parkingFacilities { totalCount } }"
    )
    data = body["data"]
    assert all(n["availability"]["free"] == 0 for n in data["full"]["nodes"])
    frees = [n["availability"]["free"] for n in data["free"]["nodes"]]
    assert frees == sorted(frees, reverse=True) and all(f > 0 for f in frees)
    assert data["free"]["totalCount"] + len(data["full"]["nodes"]) == data["all"]["totalCount"]
    more = await as_admin(
        "query($a: String) { parkingFacilities(filter: {hasFreeSpace: true}, orderBy: {field: FREE_SPACES, "
        "descending: true}, first: 30, after: $a) { nodes { availability { free } } } }",
        {"a": data["free"]["pageInfo"]["endCursor"]},
    )
    next_frees = [n["availability"]["free"] for n in more["data"]["parkingFacilities"]["nodes"]]
    assert next_frees and max(next_frees) <= min(frees)


async def test_search_is_diacritic_insensitive(as_admin: GQL) -> None:
    body = await as_admin(
        '{ parkingFacilities(filter: {search: "cong vien thong nhat"}) { nodes { name kind unit { name } } } }'
    )
    nodes = body["data"]["parkingFacilities"]["nodes"]
    assert {"name": "Bãi đỗ xe ngầm Công viên Thống Nhất", "kind": "CAR_PARK",
            "unit": {"name": "Phường Hai Bà Trưng"}} in nodes  # fmt: skip


async def test_closed_sessions_are_charged_from_the_tariff(as_admin: GQL, seeded: Seeded) -> None:
    rows = await seeded.stores["parking"].all(select(tariffs))
    rules = {r.code: tariff_rule(r) for r in rows}
    body = await as_admin(
        '{ parkingFacility(code: "IPK-THD-04") { tariff { code } sessions(open: false, first: 100) { nodes { '
        "startedAt endedAt amountVnd open durationMinutes channel payer { personalId } } } } }"
    )
    fac = body["data"]["parkingFacility"]
    nodes = fac["sessions"]["nodes"]
    assert len(nodes) == 100
    starts = [n["startedAt"] for n in nodes]
    assert starts == sorted(starts, reverse=True)
    for n in nodes:
        start, end = dt.datetime.fromisoformat(n["startedAt"]), dt.datetime.fromisoformat(n["endedAt"])
        assert n["startedAt"].endswith("+07:00") and not n["open"]
        assert n["amountVnd"] == parking_fee(rules[fac["tariff"]["code"]], start, end)
        assert n["amountVnd"] >= 25_000
        if n["channel"] in ("APP", "CARD"):
            assert n["payer"] is not None
        if n["channel"] == "STAFF":
            assert n["payer"] is None


async def test_open_sessions_have_no_fee_and_occupy_distinct_spots(as_admin: GQL) -> None:
    body = await as_admin(
        '{ parkingFacility(code: "IPK-LTK-04") { capacity spots { number occupied currentSession { spotNumber open '
        "amountVnd } } sessions(open: true, first: 100) { totalCount nodes { spotNumber amountVnd endedAt } } } }"
    )
    fac = body["data"]["parkingFacility"]
    open_sessions = fac["sessions"]["nodes"]
    assert fac["sessions"]["totalCount"] == len(open_sessions) <= fac["capacity"]
    assert all(n["amountVnd"] is None and n["endedAt"] is None for n in open_sessions)
    spots_taken = [n["spotNumber"] for n in open_sessions]
    assert len(spots_taken) == len(set(spots_taken))
    occupied = [s for s in fac["spots"] if s["occupied"]]
    assert sorted(s["number"] for s in occupied) == sorted(spots_taken)
    assert all(s["currentSession"]["spotNumber"] == s["number"] and s["currentSession"]["open"] for s in occupied)


async def test_sessions_by_plate_in_any_spelling(as_admin: GQL, seeded: Seeded) -> None:
    s = sessions.c
    plate = await seeded.stores["parking"].scalar(
        select(s.plate).where(s.plate.like("30_-___.__")).group_by(s.plate).order_by(func.count().desc()).limit(1)
    )
    sloppy = plate.replace("-", "").replace(".", "").lower()  # '30e12345'
    body = await as_admin(
        "query($p: String!) { parkingSessions(filter: {plate: $p}, first: 100) { totalCount nodes { plate "
        "startedAt endedAt facility { code } } } }",
        {"p": sloppy},
    )
    conn = body["data"]["parkingSessions"]
    assert conn["totalCount"] >= 2
    assert {n["plate"] for n in conn["nodes"]} == {plate}
    # one car is never in two places at once
    spans = sorted((n["startedAt"], n["endedAt"] or "9999") for n in conn["nodes"])
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))
    bad = await as_admin('{ parkingSessions(filter: {plate: "ABC"}) { totalCount } }', expect_errors=True)
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_citizen_parking_sessions_newest_first(as_admin: GQL, seeded: Seeded) -> None:
    s = sessions.c
    pid = await seeded.stores["parking"].scalar(
        select(s.payer_pid).where(s.payer_pid.is_not(None)).group_by(s.payer_pid).order_by(func.count().desc(),
                                                                                             s.payer_pid).limit(1)
    )  # fmt: skip
    total = await seeded.stores["parking"].scalar(select(func.count()).where(s.payer_pid == pid))
    assert pid in seeded.ctx.by_pid and total > 3
    body = await as_admin(
        "query($p: String!) { citizen(personalId: $p) { few: parkingSessions(last: 3) { startedAt payer "
        "{ personalId } } all: parkingSessions(last: 100) { startedAt } } }",
        {"p": pid},
    )
    c = body["data"]["citizen"]
    assert len(c["few"]) == 3
    assert all(x["payer"]["personalId"] == pid for x in c["few"])
    starts = [x["startedAt"] for x in c["all"]]
    assert len(starts) == min(total, 100)
    assert starts == sorted(starts, reverse=True)
    assert [x["startedAt"] for x in c["few"]] == starts[:3]
    bad = await as_admin(
        "query($p: String!) { citizen(personalId: $p) { parkingSessions(last: 101) { startedAt } } }",
        {"p": pid},
        expect_errors=True,
    )
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_node_ids_round_trip(as_admin: GQL) -> None:
    body = await as_admin(
        '{ parkingFacility(code: "IPK-THD-01") { id tariff { id } sessions(first: 1) { nodes { id plate } } } }'
    )
    fac = body["data"]["parkingFacility"]
    session = fac["sessions"]["nodes"][0]
    nodes = await as_admin(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on ParkingFacility { code } ... on Tariff { code } "
        "... on ParkingSession { plate } } }",
        {"ids": [fac["id"], fac["tariff"]["id"], session["id"]]},
    )
    got = nodes["data"]["nodes"]
    assert got[0]["code"] == "IPK-THD-01" and got[1]["code"] == "IPK-CAR-2018" and got[2]["plate"] == session["plate"]


async def test_tariffs_are_data_with_legal_basis(as_admin: GQL) -> None:
    body = await as_admin(
        "{ parkingTariffs { code vehicleClass legalBasis monthlyPrice overnightFrom overnightTo "
        'quote: fee(startedAt: "2025-03-03T17:00:00+07:00", endedAt: "2025-03-04T08:00:00+07:00") } }'
    )
    by_code = {t["code"]: t for t in body["data"]["parkingTariffs"]}
    assert {t["vehicleClass"] for t in by_code.values()} == {"CAR", "MOTORBIKE", "BICYCLE"}
    assert all("44/2017/QĐ-UBND" in t["legalBasis"] for t in by_code.values())
    assert by_code["XM-2018"]["monthlyPrice"] == 120_000 and by_code["XD-2018"]["monthlyPrice"] == 70_000
    assert by_code["IPK-CAR-2018"]["overnightFrom"] == "18:00:00"
    assert by_code["IPK-CAR-2018"]["quote"] == 200_000


async def test_unit_parking_facilities(as_admin: GQL) -> None:
    body = await as_admin(
        f'{{ current: administrativeUnit(code: "{PILOT_WARD}") {{ parkingFacilities {{ code kind }} }} '
        f'legacy: administrativeUnit(code: "{PILOT_WARD}", structure: Y2025_01) {{ parkingFacilities {{ code }} }} }}'
    )
    current = body["data"]["current"]["parkingFacilities"]
    assert sum(1 for f in current if f["kind"] == "STREET_IPARKING") == 17
    assert any(f["kind"] == "BASEMENT" for f in current)  # Pacific Place, Hanoi Tower...
    assert body["data"]["legacy"]["parkingFacilities"] == []  # facilities are filed under current units


async def test_store_down_nulls_only_parking_fields(client_with_store_down: Any, seeded: Seeded) -> None:
    from govgraph.auth.identity import Role
    from tests.conftest import make_gql, token_for

    client = await client_with_store_down("parking")
    run = make_gql(client, token_for(seeded.settings, Role.ADMIN))
    pid = seeded.ctx.people[0].pid
    body = await run(
        "query($p: String!) { citizen(personalId: $p) { fullName parkingSessions { plate } } }",
        {"p": pid},
        expect_errors=True,
    )
    assert body["data"]["citizen"]["fullName"]
    assert body["data"]["citizen"]["parkingSessions"] is None
    assert body["errors"][0]["extensions"] == {"code": "STORE_UNAVAILABLE", "store": "parking"}


# ---------------------------------------------------------------------------------------------------------
# Batching: the same number of statements for 10 parents as for 100
# ---------------------------------------------------------------------------------------------------------


async def _facility_statements(as_admin: GQL, n: int) -> dict[str, int]:
    body = await as_admin(
        "query($n: Int!) { parkingFacilities(first: $n) { nodes { code unit { name } tariff { code } "
        "availability { free } spots { number occupied } } } }",
        {"n": n},
    )
    assert len(body["data"]["parkingFacilities"]["nodes"]) == n
    return {"parking": statements(body, "parking"), "total": statements(body)}


async def test_availability_batched_same_count_for_10_and_100_facilities(as_admin: GQL) -> None:
    ten = await _facility_statements(as_admin, 10)
    hundred = await _facility_statements(as_admin, 100)
    assert ten == hundred
    assert hundred["parking"] <= 4  # page, tariffs, availability, spots


async def _session_statements(as_admin: GQL, ids: list[str]) -> dict[str, int]:
    body = await as_admin(
        "query($ids: [ID!]!) { nodes(ids: $ids) { ... on ParkingSession { plate facility { code availability "
        "{ free } } payer { fullName parkingSessions(last: 3) { plate facility { name } payer { personalId } } } } } }",
        {"ids": ids},
    )
    nodes = body["data"]["nodes"]
    assert len(nodes) == len(ids) and all(n["payer"]["parkingSessions"] for n in nodes)
    return {"parking": statements(body, "parking"), "population": statements(body, "population")}


async def test_sessions_payer_and_citizen_sessions_same_count_for_10_and_100(as_admin: GQL, seeded: Seeded) -> None:
    s = sessions.c
    rows = await seeded.stores["parking"].all(
        select(func.min(s.id)).where(s.payer_pid.is_not(None)).group_by(s.payer_pid).order_by(s.payer_pid).limit(100)
    )
    ids = [to_base64("ParkingSession", r[0]) for r in rows]
    assert len(ids) == 100
    ten = await _session_statements(as_admin, ids[:10])
    hundred = await _session_statements(as_admin, ids)
    assert ten == hundred
    # sessions, facilities, availability, payers' newest sessions, their facilities; one citizens batch per level
    assert hundred["parking"] <= 5
    assert hundred["population"] <= 2


async def _unit_statements(as_admin: GQL, n: int) -> int:
    body = await as_admin(
        "query($n: Int!) { administrativeUnits(structure: Y2025_07, first: $n) { nodes { code parkingFacilities "
        "{ code availability { occupied } } } } }",
        {"n": n},
    )
    assert len(body["data"]["administrativeUnits"]["nodes"]) == n
    return statements(body, "parking")


async def test_unit_facilities_same_count_for_10_and_100_units(as_admin: GQL) -> None:
    assert await _unit_statements(as_admin, 10) == await _unit_statements(as_admin, 100) <= 2
