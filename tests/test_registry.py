"""Registry store: register books, numbering, legacy units, links to citizens, batching, paging."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Awaitable, Callable

import httpx
import pytest
from sqlalchemy import func, select

from govgraph.datasources.registry import register_books, registrations
from govgraph.domain.registry import (
    RegisterType,
    age_on,
    is_late,
    is_office_day,
    may_marry,
    next_office_day,
    parse_printed_book_number,
    printed_book_number,
)
from govgraph.domain.text import fold
from govgraph.seed import PILOT_WARD, PILOT_WARD_LEGACY
from tests.conftest import GQL, Seeded, statements

SUFFIX = {"BIRTH": "KS", "MARRIAGE": "KH", "DEATH": "KT"}
PILOT = {"unitCode": PILOT_WARD_LEGACY, "structure": "Y2025_01"}

# ---------------------------------------------------------------------------------------------------------
# Domain rules
# ---------------------------------------------------------------------------------------------------------


def test_printed_book_numbers_round_trip() -> None:
    assert printed_book_number(1, 2015, "BIRTH") == "01-TP/HT-2015-KS"
    assert printed_book_number(12, 2016, RegisterType.MARRIAGE) == "12-TP/HT-2016-KH"
    assert printed_book_number(3, 2017, "DEATH") == "03-TP/HT-2017-KT"
    assert parse_printed_book_number("02-TP/HT-2010-KT") == (2, 2010, RegisterType.DEATH)
    with pytest.raises(ValueError, match="01-TP/HT-2015-KS"):
        parse_printed_book_number("01/2015")
    with pytest.raises(ValueError):
        printed_book_number(0, 2015, "BIRTH")


def test_deadlines_make_a_registration_late() -> None:
    born = dt.date(2012, 3, 1)
    assert not is_late("BIRTH", born, born + dt.timedelta(days=60))
    assert is_late("BIRTH", born, born + dt.timedelta(days=61))
    assert not is_late("DEATH", born, born + dt.timedelta(days=15))
    assert is_late("DEATH", born, born + dt.timedelta(days=16))
    assert not is_late("MARRIAGE", born, born + dt.timedelta(days=4000))  # no deadline for marriage
    with pytest.raises(ValueError):
        is_late("BIRTH", born, born - dt.timedelta(days=1))


def test_marriage_age_is_20_for_men_and_18_for_women() -> None:
    dob = dt.date(2000, 6, 15)
    assert age_on(dob, dt.date(2018, 6, 14)) == 17
    assert may_marry("FEMALE", dob, dt.date(2018, 6, 15))
    assert not may_marry("FEMALE", dob, dt.date(2018, 6, 14))
    assert not may_marry("MALE", dob, dt.date(2019, 6, 15))
    assert may_marry("MALE", dob, dt.date(2020, 6, 15))


def test_office_days_skip_weekends_and_holidays_also_before_the_calendar_data() -> None:
    assert not is_office_day(dt.date(2010, 9, 2))  # National Day, before the calendar's recorded years
    assert not is_office_day(dt.date(2010, 9, 4))  # Saturday
    assert is_office_day(dt.date(2010, 9, 3))
    assert next_office_day(dt.date(2010, 9, 4)) == dt.date(2010, 9, 6)
    assert not is_office_day(dt.date(2017, 1, 30))  # Tết 2017, from the working-day calendar


# ---------------------------------------------------------------------------------------------------------
# The pilot's books: 64 books, 8,355 entries, numbered without gaps
# ---------------------------------------------------------------------------------------------------------


async def test_pilot_ward_has_64_books_with_8355_entries(as_admin: GQL) -> None:
    body = await as_admin(
        "query($f: RegisterBookFilter) { registerBooks(filter: $f, first: 100) { totalCount nodes { "
        "printedNumber type year bookNumber entryCount openedOn closedOn registryOffice { name structure } } } }",
        {"f": PILOT},
    )
    conn = body["data"]["registerBooks"]
    books = conn["nodes"]
    assert conn["totalCount"] == len(books) == 64
    assert sum(b["entryCount"] for b in books) == 8355
    by_type: dict[str, int] = defaultdict(int)
    numbers: dict[tuple[str, int], list[int]] = defaultdict(list)
    for b in books:
        by_type[b["type"]] += b["entryCount"]
        numbers[(b["type"], b["year"])].append(b["bookNumber"])
        assert b["printedNumber"] == f"{b['bookNumber']:02d}-TP/HT-{b['year']}-{SUFFIX[b['type']]}"
        assert 100 <= b["entryCount"] <= 200
        assert 2006 <= b["year"] <= 2017
        assert b["openedOn"] <= b["closedOn"] <= f"{b['year']}-12-31"
        assert b["registryOffice"] == {"name": "Phường Trần Hưng Đạo", "structure": "Y2025_01"}
    assert by_type["BIRTH"] > by_type["MARRIAGE"] > by_type["DEATH"] > 0
    for nos in numbers.values():  # book numbers restart at 01 per type and year
        assert sorted(nos) == list(range(1, len(nos) + 1))


async def test_entry_numbers_run_from_1_without_gaps_or_duplicates_in_every_book(seeded: Seeded) -> None:
    r = registrations.c
    stmt = (
        select(
            register_books.c.id,
            register_books.c.entry_count,
            func.count(r.id),
            func.count(func.distinct(r.entry_no)),
            func.min(r.entry_no),
            func.max(r.entry_no),
        )
        .join(registrations, r.book_id == register_books.c.id)
        .group_by(register_books.c.id, register_books.c.entry_count)
    )
    rows = await seeded.stores["registry"].all(stmt)
    total_books = await seeded.stores["registry"].scalar(select(func.count()).select_from(register_books))
    assert len(rows) == total_books > 64
    for _id, tally, n, distinct, low, high in rows:
        assert (n, distinct, low, high) == (tally, tally, 1, tally)


async def test_a_book_lists_its_entries_in_order_across_pages(as_admin: GQL) -> None:
    body = await as_admin(
        "query($f: RegisterBookFilter) { registerBooks(filter: $f, first: 1, orderBy: {field: OPENED_ON}) { nodes { "
        "id printedNumber entryCount openedOn closedOn } } }",
        {"f": {**PILOT, "type": "MARRIAGE", "year": 2015}},
    )
    book = body["data"]["registerBooks"]["nodes"][0]
    assert book["printedNumber"] == "01-TP/HT-2015-KH"
    seen: list[tuple[int, str]] = []
    after = None
    while True:
        page = await as_admin(
            "query($id: ID!, $a: String) { node(id: $id) { ... on RegisterBook { registrations(first: 40, after: $a) "
            "{ totalCount nodes { entryNumber registrationDate type book { printedNumber } marriage { "
            "husband { fullName dateOfBirth } wife { fullName dateOfBirth } } } "
            "pageInfo { hasNextPage endCursor } } } } }",
            {"id": book["id"], "a": after},
        )
        conn = page["data"]["node"]["registrations"]
        assert conn["totalCount"] == book["entryCount"]
        for n in conn["nodes"]:
            assert n["type"] == "MARRIAGE" and n["book"]["printedNumber"] == book["printedNumber"]
            reg = dt.date.fromisoformat(n["registrationDate"])
            husband, wife = n["marriage"]["husband"], n["marriage"]["wife"]
            assert may_marry("MALE", dt.date.fromisoformat(husband["dateOfBirth"]), reg)
            assert may_marry("FEMALE", dt.date.fromisoformat(wife["dateOfBirth"]), reg)
            seen.append((n["entryNumber"], n["registrationDate"]))
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert [n for n, _ in seen] == list(range(1, book["entryCount"] + 1))
    dates = [d for _, d in seen]
    assert dates == sorted(dates)
    assert dates[0] == book["openedOn"]
    assert dates[-1] <= book["closedOn"]


# ---------------------------------------------------------------------------------------------------------
# Legacy units: records kept under an old ward are found from the new one
# ---------------------------------------------------------------------------------------------------------

REG_BY_FILTER = (
    "query($f: CivilRegistrationFilter, $n: Int) { civilRegistrations(filter: $f, first: $n) { totalCount nodes { "
    "id registrationDate registrationPlace { code name structure } } } }"
)


async def test_a_2015_birth_in_old_tran_hung_dao_is_found_from_new_cua_nam(as_admin: GQL) -> None:
    year_2015 = {"type": "BIRTH", "registeredFrom": "2015-01-01", "registeredTo": "2015-12-31"}
    old = await as_admin(REG_BY_FILTER, {"f": {**PILOT, **year_2015}, "n": 100})
    old_conn = old["data"]["civilRegistrations"]
    assert old_conn["totalCount"] > 100
    one = old_conn["nodes"][0]
    assert one["registrationPlace"] == {"code": "00082", "name": "Phường Trần Hưng Đạo", "structure": "Y2025_01"}
    # The same code in the current structure is Phường Cửa Nam, formed from Trần Hưng Đạo and eight other wards.
    new = await as_admin(REG_BY_FILTER, {"f": {"unitCode": PILOT_WARD, **year_2015}, "n": 100})
    new_conn = new["data"]["civilRegistrations"]
    assert new_conn["totalCount"] >= old_conn["totalCount"]
    assert one["id"] in {n["id"] for n in new_conn["nodes"]} or new_conn["totalCount"] > 100
    found = await as_admin(
        REG_BY_FILTER,
        {"f": {"unitCode": PILOT_WARD, "type": "BIRTH", "registeredFrom": one["registrationDate"],
               "registeredTo": one["registrationDate"]}, "n": 100},
    )  # fmt: skip
    assert one["id"] in {n["id"] for n in found["data"]["civilRegistrations"]["nodes"]}
    # Phường Hoàn Kiếm (00070) was not formed from Trần Hưng Đạo: the entry is not kept there.
    other = await as_admin(REG_BY_FILTER, {"f": {"unitCode": "00070", **year_2015}, "n": 100})
    assert one["id"] not in {n["id"] for n in other["data"]["civilRegistrations"]["nodes"]}
    assert all(n["registrationPlace"]["code"] != "00082" for n in other["data"]["civilRegistrations"]["nodes"])


async def test_a_current_unit_keeps_its_own_and_its_predecessors_registrations(as_admin: GQL) -> None:
    legacy = await as_admin(REG_BY_FILTER, {"f": PILOT, "n": 100})
    current_only = await as_admin(
        REG_BY_FILTER, {"f": {"unitCode": PILOT_WARD, "registeredFrom": "2025-07-01"}, "n": 100}
    )
    everything = await as_admin(REG_BY_FILTER, {"f": {"unitCode": PILOT_WARD, "structure": "Y2025_07"}, "n": 1})
    legacy_total = legacy["data"]["civilRegistrations"]["totalCount"]
    current_total = current_only["data"]["civilRegistrations"]["totalCount"]
    assert legacy_total == 8355  # the legacy ward alone: only its own books, none of Cửa Nam's since 2025
    assert all(n["registrationPlace"]["structure"] == "Y2025_01" for n in legacy["data"]["civilRegistrations"]["nodes"])
    assert current_total > 0
    for n in current_only["data"]["civilRegistrations"]["nodes"]:
        assert n["registrationPlace"] == {"code": "00082", "name": "Phường Cửa Nam", "structure": "Y2025_07"}
    assert everything["data"]["civilRegistrations"]["totalCount"] == legacy_total + current_total
    unit = await as_admin(
        '{ administrativeUnit(code: "00082") { civilRegistrations(first: 5) { totalCount nodes { registrationDate } } }'
        '  old: administrativeUnit(code: "00082", structure: Y2025_01) { '
        "    civilRegistrations(type: DEATH) { totalCount } } }"
    )
    conn = unit["data"]["administrativeUnit"]["civilRegistrations"]
    assert conn["totalCount"] == legacy_total + current_total
    dates = [n["registrationDate"] for n in conn["nodes"]]
    assert dates == sorted(dates, reverse=True) and dates[0] >= "2025-07-01"  # newest first
    deaths = await as_admin(REG_BY_FILTER, {"f": {**PILOT, "type": "DEATH"}, "n": 1})
    assert unit["data"]["old"]["civilRegistrations"]["totalCount"] == deaths["data"]["civilRegistrations"]["totalCount"]


async def test_unit_registrations_page_on_without_overlap(as_admin: GQL) -> None:
    query = (
        'query($a: String) { administrativeUnit(code: "00082") { civilRegistrations(type: MARRIAGE, first: 100, '
        "after: $a) { totalCount nodes { id registrationDate type } pageInfo { hasNextPage endCursor } } } }"
    )
    seen: list[str] = []
    after = None
    for _ in range(3):
        body = await as_admin(query, {"a": after})
        conn = body["data"]["administrativeUnit"]["civilRegistrations"]
        assert all(n["type"] == "MARRIAGE" for n in conn["nodes"])
        seen += [n["id"] for n in conn["nodes"]]
        after = conn["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == 300


# ---------------------------------------------------------------------------------------------------------
# People and citizens
# ---------------------------------------------------------------------------------------------------------

PEOPLE = "people { role fullName personalId citizen { personalId fullName dateOfBirth } }"


async def test_citizen_lists_the_registrations_they_appear_in(as_admin: GQL, seeded: Seeded) -> None:
    body = await as_admin(
        f"query($f: CivilRegistrationFilter) {{ civilRegistrations(filter: $f, first: 100) {{ nodes {{ id "
        f"registrationDate birth {{ fullName dateOfBirth personalId father {{ fullName }} }} {PEOPLE} }} }} }}",
        {"f": {**PILOT, "type": "BIRTH", "registeredFrom": "2016-01-01"}},
    )
    nodes = body["data"]["civilRegistrations"]["nodes"]
    linked = [n for n in nodes if any(p["role"] == "CHILD" and p["citizen"] for p in n["people"])]
    assert linked, "some pilot births are of children still in the population register"
    entry = linked[0]
    child = next(p for p in entry["people"] if p["role"] == "CHILD")
    assert child["citizen"]["fullName"] == entry["birth"]["fullName"] == child["fullName"]
    assert child["citizen"]["dateOfBirth"] == entry["birth"]["dateOfBirth"]
    assert entry["birth"]["personalId"] == child["personalId"]  # written on entries from 2016 on
    person = seeded.ctx.by_pid[child["personalId"]]
    assert person.unit == PILOT_WARD
    father = next(p for p in entry["people"] if p["role"] == "FATHER")
    assert (
        father["personalId"] == person.father and father["citizen"]["fullName"] == entry["birth"]["father"]["fullName"]
    )
    mine = await as_admin(
        "query($p: String!) { citizen(personalId: $p) { civilRegistrations { id type people { role personalId } } } }",
        {"p": child["personalId"]},
    )
    regs = mine["data"]["citizen"]["civilRegistrations"]
    assert entry["id"] in {r["id"] for r in regs}
    dad = await as_admin(
        "query($p: String!) { citizen(personalId: $p) { civilRegistrations { id type people { role personalId } } } }",
        {"p": person.father},
    )
    dad_regs = dad["data"]["citizen"]["civilRegistrations"]
    assert entry["id"] in {r["id"] for r in dad_regs}
    for r in dad_regs:  # every one names him, in some role
        assert person.father in {p["personalId"] for p in r["people"]}


async def test_unknown_people_keep_their_names_and_have_no_citizen(as_admin: GQL) -> None:
    body = await as_admin(
        f"query($f: CivilRegistrationFilter) {{ civilRegistrations(filter: $f, first: 30) {{ nodes {{ "
        f"death {{ fullName birthYear diedAt causeOfDeath placeOfDeath }} {PEOPLE} }} }} }}",
        {"f": {**PILOT, "type": "DEATH"}},
    )
    for n in body["data"]["civilRegistrations"]["nodes"]:
        deceased = next(p for p in n["people"] if p["role"] == "DECEASED")
        assert deceased["citizen"] is None and deceased["fullName"] == n["death"]["fullName"]
        assert len(n["death"]["fullName"].split()) >= 2
        assert n["death"]["diedAt"].endswith("+07:00")
        assert 1900 < n["death"]["birthYear"] < int(n["death"]["diedAt"][:4])


async def test_births_since_the_reform_are_in_current_units(as_admin: GQL, seeded: Seeded) -> None:
    body = await as_admin(
        f"query($f: CivilRegistrationFilter) {{ civilRegistrations(filter: $f, first: 100) {{ totalCount nodes {{ "
        f"registrationPlace {{ code structure }} book {{ year printedNumber }} birth {{ dateOfBirth personalId }} "
        f"{PEOPLE} }} }} }}",
        {"f": {"type": "BIRTH", "registeredFrom": "2025-07-01"}},
    )
    conn = body["data"]["civilRegistrations"]
    assert conn["totalCount"] > 0
    for n in conn["nodes"]:
        assert n["registrationPlace"]["structure"] == "Y2025_07"
        child = next(p for p in n["people"] if p["role"] == "CHILD")
        assert child["citizen"] is not None and child["personalId"] == n["birth"]["personalId"]
        assert seeded.ctx.by_pid[child["personalId"]].unit == n["registrationPlace"]["code"]
        assert n["book"]["year"] >= 2025 and n["book"]["printedNumber"].endswith("-KS")


async def test_registry_down_nulls_only_registry_fields(
    client_with_store_down: Callable[[str], Awaitable[httpx.AsyncClient]], seeded: Seeded
) -> None:
    from tests.conftest import make_gql, token_for

    client = await client_with_store_down("registry")
    gql = make_gql(client, token_for(seeded.settings))
    person = seeded.ctx.people[0]
    body = await gql(
        "query($p: String!) { citizen(personalId: $p) { fullName civilRegistrations { id } } }",
        {"p": person.pid},
        expect_errors=True,
    )
    assert body["data"]["citizen"]["fullName"] == person.name.full
    assert body["data"]["citizen"]["civilRegistrations"] is None
    assert body["errors"][0]["extensions"]["code"] == "STORE_UNAVAILABLE"


# ---------------------------------------------------------------------------------------------------------
# Batching: the same number of statements for 10 parents as for 100
# ---------------------------------------------------------------------------------------------------------


async def _citizen_registration_statements(as_admin: GQL, n: int) -> dict[str, int]:
    body = await as_admin(
        'query($u: String!, $n: Int!) { citizens(filter: {unitCode: $u, bornFrom: "2006-01-01"}, first: $n) { '
        "nodes { civilRegistrations { entryNumber book { printedNumber } registrationPlace { name } "
        "marginalNotes { kind } people { role citizen { fullName } } } } } }",
        {"u": PILOT_WARD, "n": n},
    )
    nodes = body["data"]["citizens"]["nodes"]
    assert len(nodes) == n
    assert sum(len(c["civilRegistrations"]) for c in nodes) >= n // 2
    return {"registry": statements(body, "registry"), "population": statements(body, "population")}


async def test_citizens_registrations_same_statement_count_for_10_and_100(as_admin: GQL) -> None:
    ten = await _citizen_registration_statements(as_admin, 10)
    hundred = await _citizen_registration_statements(as_admin, 100)
    assert ten == hundred
    # registrations by personal ID, books, notes, people: one statement each
    assert hundred["registry"] == 4


async def _people_statements(as_admin: GQL, n: int) -> dict[str, int]:
    body = await as_admin(
        "query($f: CivilRegistrationFilter, $n: Int) { civilRegistrations(filter: $f, first: $n) { nodes { "
        "book { year } people { role citizen { fullName parents { relation } } } } } }",
        {"f": {**PILOT, "type": "BIRTH", "registeredFrom": "2012-01-01"}, "n": n},
    )
    assert len(body["data"]["civilRegistrations"]["nodes"]) == n
    return {"registry": statements(body, "registry"), "population": statements(body, "population")}


async def test_people_to_citizen_links_same_statement_count_for_10_and_100(as_admin: GQL) -> None:
    ten = await _people_statements(as_admin, 10)
    hundred = await _people_statements(as_admin, 100)
    assert ten == hundred
    assert hundred == {"registry": 3, "population": 2}  # page, books, people | citizens, parents


async def _unit_statements(as_admin: GQL, n: int) -> dict[str, int]:
    body = await as_admin(
        "query($n: Int) { administrativeUnits(structure: Y2025_07, first: $n) { nodes { "
        "civilRegistrations(first: 3) { totalCount nodes { entryNumber people { citizen { fullName } } } } } } }",
        {"n": n},
    )
    nodes = body["data"]["administrativeUnits"]["nodes"]
    assert len(nodes) == n
    return {"registry": statements(body, "registry"), "population": statements(body, "population")}


async def test_unit_registrations_same_statement_count_for_10_and_100_units(as_admin: GQL) -> None:
    ten = await _unit_statements(as_admin, 10)
    hundred = await _unit_statements(as_admin, 100)
    assert ten == hundred
    assert hundred["registry"] == 3  # tops per place, counts per place, people


# ---------------------------------------------------------------------------------------------------------
# Filters, search, ordering, nodes
# ---------------------------------------------------------------------------------------------------------


async def test_search_ignores_diacritics_and_case(as_admin: GQL) -> None:
    body = await as_admin(
        "query($f: CivilRegistrationFilter) { civilRegistrations(filter: $f, first: 50) { nodes { id "
        "death { fullName } } } }",
        {"f": {**PILOT, "type": "DEATH"}},
    )
    target = next(
        n
        for n in body["data"]["civilRegistrations"]["nodes"]
        if fold(n["death"]["fullName"]) != n["death"]["fullName"].lower()
    )
    plain = fold(target["death"]["fullName"]).upper()
    found = await as_admin(
        "query($f: CivilRegistrationFilter) { civilRegistrations(filter: $f, first: 100) { totalCount nodes { id "
        "people { role fullName } } } }",
        {"f": {"search": plain}},
    )
    conn = found["data"]["civilRegistrations"]
    assert target["id"] in {n["id"] for n in conn["nodes"]}
    for n in conn["nodes"]:
        principal = [p["fullName"] for p in n["people"] if p["role"] in ("CHILD", "HUSBAND", "WIFE", "DECEASED")]
        assert any(all(w in fold(name) for w in plain.lower().split()) for name in principal)


async def test_filters_combine_and_order_descending(as_admin: GQL) -> None:
    body = await as_admin(
        "query($f: CivilRegistrationFilter) { civilRegistrations(filter: $f, first: 100, "
        "orderBy: {field: REGISTRATION_DATE, descending: true}) { totalCount nodes { type registrationDate "
        "lateRegistration birth { dateOfBirth } } } }",
        {"f": {**PILOT, "type": "BIRTH", "lateRegistration": True}},
    )
    conn = body["data"]["civilRegistrations"]
    assert 0 < conn["totalCount"] < 4700 * 0.1
    dates = [n["registrationDate"] for n in conn["nodes"]]
    assert dates == sorted(dates, reverse=True)
    for n in conn["nodes"]:
        assert n["type"] == "BIRTH" and n["lateRegistration"] is True
        born, registered = (
            dt.date.fromisoformat(n["birth"]["dateOfBirth"]),
            dt.date.fromisoformat(n["registrationDate"]),
        )
        assert (registered - born).days > 60


async def test_registration_filters_are_validated(as_admin: GQL) -> None:
    body = await as_admin(
        '{ civilRegistrations(filter: {registeredFrom: "2016-01-01", registeredTo: "2015-01-01"}) { totalCount } }',
        expect_errors=True,
    )
    assert body["data"]["civilRegistrations"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    capped = await as_admin("{ registerBooks(first: 101) { totalCount } }", expect_errors=True)
    assert capped["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_books_filter_by_type_and_year_and_page(as_admin: GQL) -> None:
    body = await as_admin(
        'query($a: String) { registerBooks(filter: {unitCode: "00082", structure: Y2025_01, type: BIRTH}, first: 20, '
        "after: $a) { totalCount nodes { type year bookNumber } pageInfo { hasNextPage endCursor } } }"
    )
    conn = body["data"]["registerBooks"]
    assert conn["totalCount"] == 34 and conn["pageInfo"]["hasNextPage"]
    rest = await as_admin(
        'query($a: String) { registerBooks(filter: {unitCode: "00082", structure: Y2025_01, type: BIRTH}, first: 20, '
        "after: $a) { nodes { type year bookNumber } pageInfo { hasNextPage } } }",
        {"a": conn["pageInfo"]["endCursor"]},
    )
    allbooks = conn["nodes"] + rest["data"]["registerBooks"]["nodes"]
    assert len(allbooks) == 34 and not rest["data"]["registerBooks"]["pageInfo"]["hasNextPage"]
    keys = [(b["year"], b["bookNumber"]) for b in allbooks]
    assert keys == sorted(keys) and len(set(keys)) == 34
    assert {b["type"] for b in allbooks} == {"BIRTH"}
    year = await as_admin('{ registerBooks(filter: {year: 2012, type: DEATH, unitCode: "00082"}) { totalCount } }')
    assert year["data"]["registerBooks"]["totalCount"] == 1


async def test_node_round_trips(as_admin: GQL) -> None:
    body = await as_admin(
        '{ civilRegistrations(first: 1, filter: {unitCode: "00082", structure: Y2025_01}) { nodes { id entryNumber '
        "book { id printedNumber } } } }"
    )
    reg = body["data"]["civilRegistrations"]["nodes"][0]
    back = await as_admin(
        "query($a: ID!, $b: ID!) { a: node(id: $a) { ... on CivilRegistration { entryNumber } } "
        "b: node(id: $b) { ... on RegisterBook { printedNumber } } }",
        {"a": reg["id"], "b": reg["book"]["id"]},
    )
    assert back["data"]["a"] == {"entryNumber": reg["entryNumber"]}
    assert back["data"]["b"] == {"printedNumber": reg["book"]["printedNumber"]}
    assert re.match(r"^\d{2}-TP/HT-\d{4}-(KS|KH|KT)$", reg["book"]["printedNumber"])
