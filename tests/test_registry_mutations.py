"""birthRegister, marriageRegister, deathRegister and civilRegistrationAdded: entry numbers without gaps under
real concurrency, new citizens with valid personal IDs, late registrations, impossible dates, marriage ages,
roles, idempotency, compensation across the two stores, and WebSocket subscribers of a unit."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import itertools
import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import websockets
from sqlalchemy import delete, func, select
from starlette.applications import Starlette
from websockets.typing import Subprotocol

from govgraph.auth.identity import Role
from govgraph.datasources import registry as ds
from govgraph.datasources.places import CURRENT, gazetteer
from govgraph.datasources.population import citizens
from govgraph.domain import registry as rules
from govgraph.domain.identity import validate_personal_id
from govgraph.events import Event
from govgraph.resolvers import mutation
from govgraph.seed import PILOT_WARD, Person
from tests.conftest import GQL, Seeded, token_for

REGISTRATION = """registration { id type entryNumber registrationDate lateRegistration
  book { printedNumber bookNumber year entryCount closedOn } registrationPlace { code structure }
  people { role personalId fullName citizen { personalId } } }"""
BIRTH = f"""mutation($in: BirthRegisterInput!) {{ birthRegister(input: $in) {{ {REGISTRATION}
  citizen {{ personalId fullName dateOfBirth sex parents {{ relation citizen {{ personalId }} }} }}
  userErrors {{ field message code }} }} }}"""
MARRIAGE = f"""mutation($in: MarriageRegisterInput!) {{ marriageRegister(input: $in) {{ {REGISTRATION}
  userErrors {{ field message code }} }} }}"""
DEATH = f"""mutation($in: DeathRegisterInput!) {{ deathRegister(input: $in) {{ {REGISTRATION}
  userErrors {{ field message code }} }} }}"""
CITIZEN = """query($p: String!) { citizen(personalId: $p) { personalId fullName dateOfBirth sex dateOfDeath
  parents { relation citizen { personalId } } } }"""

SIGNED = {"signerName": "Nguyễn Văn Ký", "signerTitle": "Phó Chủ tịch UBND phường"}
TODAY = rules.hanoi_today()
_names = itertools.count(1)
_used_units: dict[str, set[str]] = {}
_used_people: dict[str, set[str]] = {}


def fresh_name() -> str:
    """A given name no seeded person has (so a citizen search finds only what a test created)."""
    return f"Testbé{uuid.uuid4().hex[:8]}{next(_names)}"


def years_ago(years: int, days: int = 0) -> dt.date:
    try:
        day = TODAY.replace(year=TODAY.year - years)
    except ValueError:  # 29 February
        day = TODAY.replace(year=TODAY.year - years, day=28)
    return day - dt.timedelta(days=days)


async def fresh_unit(seeded: Seeded, *types: str) -> str:
    """A current ward or commune with no register book of these types this year (so the test opens book 01),
    not used by another test on this backend."""
    b = ds.register_books.c
    stmt = select(b.office_unit_code).where(
        b.year == TODAY.year, b.office_unit_structure == CURRENT.value, b.register_type.in_(types or ("BIRTH",))
    )
    busy = {r[0] for r in await seeded.stores["registry"].all(stmt)}
    used = _used_units.setdefault(seeded.backend, {PILOT_WARD})
    for unit in gazetteer().current():
        if not unit.is_district and unit.code not in busy and unit.code not in used:
            used.add(unit.code)
            return unit.code
    raise AssertionError("no unit left without books this year")


async def married_or_dead(seeded: Seeded) -> set[str]:
    p = ds.registration_people.c
    rows = await seeded.stores["registry"].all(
        select(p.pid).where(p.role.in_(("HUSBAND", "WIFE", "DECEASED")), p.pid.is_not(None))
    )
    return {r[0] for r in rows}


async def person(seeded: Seeded, sex: str, min_age: int = 25, max_age: int = 60) -> Person:
    """A seeded adult of this sex, alive, never married or dead per the registry, not used by another test."""
    taken = await married_or_dead(seeded)
    used = _used_people.setdefault(seeded.backend, set())
    for p in reversed(seeded.ctx.people):
        if p.sex != sex or p.pid in used or p.pid in taken:
            continue
        if min_age <= rules.age_on(p.dob, TODAY) <= max_age:
            row = await ds.citizen_row(seeded.stores["population"], p.pid)
            if row is not None and row.date_of_death is None:
                used.add(p.pid)
                return p
    raise AssertionError("no seeded person left")


def birth_input(unit: str | None, given: str, dob: dt.date, mother: dict[str, Any], **extra: Any) -> dict[str, Any]:
    data = {
        "familyName": "Trần",
        "middleName": "Minh",
        "givenName": given,
        "sex": "FEMALE",
        "dateOfBirth": dob.isoformat(),
        "placeOfBirth": "Bệnh viện Phụ sản Hà Nội, thành phố Hà Nội",
        "nativePlace": "Hà Nội",
        "mother": mother,
        "declarantName": "Trần Văn Bố",
        "declarantRelationship": "Cha",
        "evidence": "Giấy chứng sinh số 1234",
        **SIGNED,
        **extra,
    }
    if unit is not None:
        data["registryOfficeCode"] = unit
    return data


UNKNOWN_MOTHER = {"fullName": "Lê Thị Mẹ", "birthYear": 1995, "residence": "Số 5 phố Huế, Hà Nội"}


def death_input(unit: str, died_at: dt.datetime, **extra: Any) -> dict[str, Any]:
    return {
        "registryOfficeCode": unit,
        "diedAt": died_at.isoformat(),
        "placeOfDeath": "Bệnh viện Bạch Mai, thành phố Hà Nội",
        "causeOfDeath": "Già yếu",
        "declarantName": "Phạm Văn Con",
        "declarantRelationship": "Con",
        "evidence": "Giấy báo tử số 12",
        **SIGNED,
        **extra,
    }


def unknown_deceased() -> dict[str, Any]:
    return {"familyName": "Đỗ", "middleName": "Văn", "givenName": fresh_name(), "sex": "MALE", "birthYear": 1940}


def at_noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), rules.HANOI_TZ)


async def citizens_named(seeded: Seeded, given: str) -> list[str]:
    rows = await seeded.stores["population"].all(select(citizens.c.pid).where(citizens.c.given_name == given))
    return [r[0] for r in rows]


async def registrations_in(seeded: Seeded, unit: str, register_type: str = "BIRTH") -> int:
    """Registrations of this type written this year in a unit (which had none when the test took it)."""
    r = ds.registrations.c
    stmt = select(func.count()).where(
        r.place_unit_code == unit,
        r.place_unit_structure == CURRENT.value,
        r.register_type == register_type,
        r.registration_date >= dt.date(TODAY.year, 1, 1),
    )
    return int(await seeded.stores["registry"].scalar(stmt))


def officer(as_role: Callable[..., GQL], unit: str, domains: tuple[str, ...] = ("registry",)) -> GQL:
    return as_role(Role.OFFICER, subject=f"officer-{unit}", unit=unit, domains=domains)


# ---------------------------------------------------------------------------------------------------------
# Births
# ---------------------------------------------------------------------------------------------------------


async def test_birth_creates_a_citizen_with_a_valid_personal_id_linked_to_the_parents(
    as_role: Callable[..., GQL], as_admin: GQL, seeded: Seeded, app: Starlette
) -> None:
    unit = await fresh_unit(seeded)
    mother, father = await person(seeded, "FEMALE"), await person(seeded, "MALE")
    sub = app.state.bus.subscribe(["registry."])
    given = fresh_name()
    dob = TODAY - dt.timedelta(days=10)
    data = birth_input(None, given, dob, {"personalId": mother.pid}, father={"personalId": father.pid})
    # The payload reads the new-born in the population register too: an officer working in both stores.
    both = officer(as_role, unit, ("registry", "population"))
    body = await both(BIRTH, {"in": data})
    payload = body["data"]["birthRegister"]
    assert payload["userErrors"] == []
    reg = payload["registration"]
    assert (reg["type"], reg["entryNumber"], reg["lateRegistration"]) == ("BIRTH", 1, False)
    assert reg["registrationDate"] == TODAY.isoformat()
    assert reg["book"] == {"printedNumber": f"01-TP/HT-{TODAY.year}-KS", "bookNumber": 1, "year": TODAY.year,
                           "entryCount": 1, "closedOn": None}  # fmt: skip
    assert reg["registrationPlace"] == {"code": unit, "structure": "Y2025_07"}
    child = payload["citizen"]
    pid = child["personalId"]
    assert pid.startswith("001") and child["fullName"] == f"Trần Minh {given}"
    assert validate_personal_id(pid, dob, "FEMALE").birth_year == dob.year
    roles = {p["role"]: p for p in reg["people"]}
    assert roles["CHILD"]["personalId"] == pid and roles["CHILD"]["citizen"] == {"personalId": pid}
    assert roles["MOTHER"]["personalId"] == mother.pid and roles["MOTHER"]["fullName"] == mother.name.full
    assert roles["FATHER"]["personalId"] == father.pid
    found = (await as_admin(CITIZEN, {"p": pid}))["data"]["citizen"]
    assert found["dateOfBirth"] == dob.isoformat() and found["sex"] == "FEMALE"
    assert {(p["relation"], p["citizen"]["personalId"]) for p in found["parents"]} == {
        ("MOTHER", mother.pid),
        ("FATHER", father.pid),
    }
    event: Event = sub.queue.get_nowait()  # type: ignore[assignment]
    assert event.topic == "registry.registration.created"
    assert event.payload["type"] == "BIRTH" and event.payload["entry_number"] == 1
    assert (event.payload["unit_code"], event.payload["unit_structure"]) == (unit, "Y2025_07")
    assert event.payload["book"] == f"01-TP/HT-{TODAY.year}-KS"
    assert set(event.payload["personal_ids"]) == {pid, mother.pid, father.pid}
    assert base64.b64decode(reg["id"]).decode() == f"CivilRegistration:{event.payload['registration_id']}"
    sub.close()
    second = await both(BIRTH, {"in": birth_input(None, fresh_name(), dob, UNKNOWN_MOTHER)})
    assert second["data"]["birthRegister"]["registration"]["entryNumber"] == 2
    assert second["data"]["birthRegister"]["citizen"]["parents"] == []


@pytest.mark.parametrize(("days", "late"), [(0, False), (60, False), (61, True), (400, True)])
async def test_a_birth_is_late_after_60_days(as_admin: GQL, seeded: Seeded, days: int, late: bool) -> None:
    unit = await fresh_unit(seeded)
    dob = TODAY - dt.timedelta(days=days)
    body = await as_admin(BIRTH, {"in": birth_input(unit, fresh_name(), dob, UNKNOWN_MOTHER)})
    payload = body["data"]["birthRegister"]
    assert payload["userErrors"] == []
    assert payload["registration"]["lateRegistration"] is late
    assert rules.is_late("BIRTH", dob, TODAY) is late


async def test_impossible_birth_dates_are_user_errors_and_write_nothing(as_admin: GQL, seeded: Seeded) -> None:
    unit = await fresh_unit(seeded)
    given = fresh_name()
    tomorrow = TODAY + dt.timedelta(days=1)
    body = await as_admin(BIRTH, {"in": birth_input(unit, given, tomorrow, UNKNOWN_MOTHER)})
    payload = body["data"]["birthRegister"]
    assert payload["registration"] is None and payload["citizen"] is None
    assert payload["userErrors"][0]["field"] == ["input", "dateOfBirth"]
    assert payload["userErrors"][0]["code"] == "INVALID_DATE"
    # A mother born after the child, or a mother recorded by personal ID who does not exist.
    young = {"fullName": "Lê Thị Mẹ", "birthYear": TODAY.year + 1, "residence": "Hà Nội"}
    body = await as_admin(BIRTH, {"in": birth_input(unit, given, TODAY, young)})
    assert body["data"]["birthRegister"]["userErrors"][0]["field"] == ["input", "mother", "birthYear"]
    ghost = {"personalId": "001199999999"}
    body = await as_admin(BIRTH, {"in": birth_input(unit, given, TODAY, ghost)})
    assert body["data"]["birthRegister"]["userErrors"][0]["code"] == "NOT_FOUND"
    father = await person(seeded, "MALE")
    body = await as_admin(BIRTH, {"in": birth_input(unit, given, TODAY, {"personalId": father.pid})})
    assert body["data"]["birthRegister"]["userErrors"][0]["field"] == ["input", "mother", "personalId"]
    body = await as_admin(BIRTH, {"in": birth_input(unit, "", TODAY, UNKNOWN_MOTHER, signerName=" ")})
    fields = {tuple(e["field"]) for e in body["data"]["birthRegister"]["userErrors"]}
    assert fields == {("input", "givenName"), ("input", "signerName")}
    assert await citizens_named(seeded, given) == []
    assert await registrations_in(seeded, unit) == 0


async def test_the_office_must_be_a_current_ward_or_commune(as_admin: GQL) -> None:
    for code in ("99999", None):
        data = birth_input(code, fresh_name(), TODAY, UNKNOWN_MOTHER)
        body = await as_admin(BIRTH, {"in": data})
        assert body["data"]["birthRegister"]["userErrors"][0]["field"] == ["input", "registryOfficeCode"]


@pytest.mark.parametrize(
    ("role", "claims"),
    [
        (Role.CITIZEN, {"subject": "001087123456"}),
        (Role.OFFICER, {"unit": "00004", "domains": ("population",)}),  # not a registry officer
        (Role.OFFICER, {"unit": "00008", "domains": ("registry",)}),  # a registry officer of another unit
        (Role.DEVICE, {}),
        (Role.OPERATOR, {}),
    ],
)
async def test_who_may_not_register_a_birth(
    as_role: Callable[..., GQL], seeded: Seeded, role: Role, claims: dict[str, Any]
) -> None:
    given = fresh_name()
    data = birth_input("00004", given, TODAY, UNKNOWN_MOTHER)
    body = await as_role(role, **claims)(BIRTH, {"in": data}, expect_errors=True)
    assert body["data"] is None or body["data"]["birthRegister"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await citizens_named(seeded, given) == []


async def test_retries_with_the_same_key_create_one_registration_and_one_citizen(
    as_admin: GQL, seeded: Seeded, app: Starlette
) -> None:
    unit = await fresh_unit(seeded)
    given = fresh_name()
    sub = app.state.bus.subscribe(["registry."])
    data = birth_input(unit, given, TODAY, UNKNOWN_MOTHER, idempotencyKey=f"birth-{given}")
    first = await as_admin(BIRTH, {"in": data})
    again = await as_admin(BIRTH, {"in": data})
    assert first["data"] == again["data"]
    assert first["data"]["birthRegister"]["userErrors"] == []
    # Ten concurrent retries of another birth with one key: one entry, one citizen.
    other = fresh_name()
    twin = birth_input(unit, other, TODAY, UNKNOWN_MOTHER, idempotencyKey=f"birth-{other}")
    results = await asyncio.gather(*(as_admin(BIRTH, {"in": twin}) for _ in range(10)))
    assert all(r["data"] == results[0]["data"] for r in results)
    assert results[0]["data"]["birthRegister"]["userErrors"] == []
    assert len(await citizens_named(seeded, given)) == 1
    assert len(await citizens_named(seeded, other)) == 1
    assert await registrations_in(seeded, unit) == 2
    assert sub.queue.qsize() == 2
    sub.close()
    reused = await as_admin(BIRTH, {"in": {**data, "givenName": fresh_name()}})
    assert reused["data"]["birthRegister"]["userErrors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert await registrations_in(seeded, unit) == 2


async def test_a_failure_in_the_registry_step_leaves_no_orphan_citizen(
    as_admin: GQL, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    unit = await fresh_unit(seeded)
    given = fresh_name()

    async def crash(*args: Any, **kwargs: Any) -> int:
        raise RuntimeError("the registry write fails after the citizen was created")

    monkeypatch.setattr(ds, "insert_registration", crash)
    body = await as_admin(BIRTH, {"in": birth_input(unit, given, TODAY, UNKNOWN_MOTHER)}, expect_errors=True)
    assert body["errors"]
    monkeypatch.undo()
    assert await citizens_named(seeded, given) == []
    assert await registrations_in(seeded, unit) == 0
    b = ds.register_books.c
    books = select(func.count()).where(b.office_unit_code == unit, b.register_type == "BIRTH", b.year == TODAY.year)
    assert await seeded.stores["registry"].scalar(books) == 0  # the book opened in the failed call is gone too

    def explode(self: mutation.Tx, topic: str, **payload: Any) -> None:
        raise RuntimeError("crash after the INSERTs, before commit")

    monkeypatch.setattr(mutation.Tx, "emit", explode)
    body = await as_admin(BIRTH, {"in": birth_input(unit, given, TODAY, UNKNOWN_MOTHER)}, expect_errors=True)
    assert body["errors"]
    monkeypatch.undo()
    assert await citizens_named(seeded, given) == []
    assert await registrations_in(seeded, unit) == 0
    # A userError in the registry step (the same birth registered twice) also removes the new citizen.
    ok = await as_admin(BIRTH, {"in": birth_input(unit, given, TODAY, UNKNOWN_MOTHER)})
    assert ok["data"]["birthRegister"]["registration"]["entryNumber"] == 1
    dup = await as_admin(BIRTH, {"in": birth_input(unit, given, TODAY, UNKNOWN_MOTHER)})
    assert dup["data"]["birthRegister"]["userErrors"][0]["code"] == "ALREADY_REGISTERED"
    assert await citizens_named(seeded, given) == [ok["data"]["birthRegister"]["citizen"]["personalId"]]
    assert await registrations_in(seeded, unit) == 1


async def test_twenty_parallel_births_number_one_book_1_to_20(live_server: Any, seeded: Seeded) -> None:
    """Real HTTP requests in parallel to a separate server process, all for one new book of one office."""
    unit = await fresh_unit(seeded)
    names = [fresh_name() for _ in range(20)]
    dob = TODAY - dt.timedelta(days=3)
    # The payloads read the new-borns in the population register too: an officer working in both stores.
    domains = ("registry", "population")
    async with live_server.client(Role.OFFICER, subject=f"officer-{unit}", unit=unit, domains=domains) as http:
        bodies = [
            {"in": birth_input(None, n, dob, UNKNOWN_MOTHER, sex="MALE" if i % 2 else "FEMALE")}
            for i, n in enumerate(names)
        ]
        responses = await asyncio.gather(
            *(http.post("/graphql", json={"query": BIRTH, "variables": v}) for v in bodies)
        )
    assert {r.status_code for r in responses} == {200}
    payloads = [r.json()["data"]["birthRegister"] for r in responses]
    assert all(p["userErrors"] == [] for p in payloads)
    numbers = sorted(p["registration"]["entryNumber"] for p in payloads)
    assert numbers == list(range(1, 21))
    assert {p["registration"]["book"]["printedNumber"] for p in payloads} == {f"01-TP/HT-{TODAY.year}-KS"}
    pids = {p["citizen"]["personalId"] for p in payloads}
    assert len(pids) == 20
    for i, (name, p) in enumerate(zip(names, payloads, strict=True)):
        sex = "MALE" if i % 2 else "FEMALE"
        assert p["citizen"]["fullName"].endswith(name) and p["citizen"]["sex"] == sex
        validate_personal_id(p["citizen"]["personalId"], dob, sex)
        assert await citizens_named(seeded, name) == [p["citizen"]["personalId"]]
    b = ds.register_books.c
    books = await seeded.stores["registry"].all(
        select(ds.register_books).where(b.office_unit_code == unit, b.register_type == "BIRTH", b.year == TODAY.year)
    )
    assert [(r.book_no, r.entry_count, r.closed_on) for r in books] == [(1, 20, None)]


async def test_a_full_book_is_closed_and_the_next_opened_under_concurrency(seeded: Seeded) -> None:
    """Seven concurrent allocations in books of three: books 01, 02, 03 with 3, 3 and 1 entries."""
    store = seeded.stores["registry"]
    office = ("99998", "TEST")
    try:

        async def one() -> ds.EntrySlot:
            async with store.begin() as conn:
                return await ds.allocate_entry(conn, store.is_sqlite, office, "DEATH", TODAY, capacity=3)

        slots = await asyncio.gather(*(one() for _ in range(7)))
        assert sorted((s.book_no, s.entry_no) for s in slots) == [
            (1, 1),
            (1, 2),
            (1, 3),
            (2, 1),
            (2, 2),
            (2, 3),
            (3, 1),
        ]
        b = ds.register_books.c
        books = await store.all(select(ds.register_books).where(b.office_unit_code == office[0]).order_by(b.book_no))
        assert [(r.book_no, r.entry_count, r.closed_on) for r in books] == [
            (1, 3, TODAY),
            (2, 3, TODAY),
            (3, 1, None),
        ]
        assert [r.printed_number for r in books] == [f"0{n}-TP/HT-{TODAY.year}-KT" for n in (1, 2, 3)]
    finally:
        async with store.begin() as conn:
            await conn.execute(delete(ds.register_books).where(ds.register_books.c.office_unit_code == office[0]))


# ---------------------------------------------------------------------------------------------------------
# Deaths
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("days", "late"), [(0, False), (15, False), (16, True)])
async def test_a_death_is_late_after_15_days(as_admin: GQL, seeded: Seeded, days: int, late: bool) -> None:
    unit = await fresh_unit(seeded, "DEATH")
    died = at_noon(TODAY - dt.timedelta(days=days)) if days else dt.datetime.now(rules.HANOI_TZ)
    body = await as_admin(DEATH, {"in": death_input(unit, died, **unknown_deceased())})
    payload = body["data"]["deathRegister"]
    assert payload["userErrors"] == []
    assert payload["registration"]["lateRegistration"] is late
    assert payload["registration"]["book"]["printedNumber"] == f"01-TP/HT-{TODAY.year}-KT"


async def test_a_death_closes_the_personal_id_once(as_role: Callable[..., GQL], as_admin: GQL, seeded: Seeded) -> None:
    unit = await fresh_unit(seeded, "DEATH")
    dead = await person(seeded, "MALE", 60, 120)
    died = at_noon(TODAY - dt.timedelta(days=2))
    me = officer(as_role, unit)
    body = await me(DEATH, {"in": death_input(unit, died, personalId=dead.pid)})
    payload = body["data"]["deathRegister"]
    assert payload["userErrors"] == []
    people = {p["role"]: p for p in payload["registration"]["people"]}
    assert people["DECEASED"]["personalId"] == dead.pid and people["DECEASED"]["fullName"] == dead.name.full
    found = (await as_admin(CITIZEN, {"p": dead.pid}))["data"]["citizen"]
    assert found["dateOfDeath"] == died.date().isoformat()
    again = await me(DEATH, {"in": death_input(unit, died, personalId=dead.pid)})
    assert again["data"]["deathRegister"]["userErrors"][0]["code"] == "ALREADY_REGISTERED"
    other_day = await me(DEATH, {"in": death_input(unit, died - dt.timedelta(days=1), personalId=dead.pid)})
    assert other_day["data"]["deathRegister"]["userErrors"][0]["code"] == "ALREADY_DECEASED"
    assert await registrations_in(seeded, unit, "DEATH") == 1
    found = (await as_admin(CITIZEN, {"p": dead.pid}))["data"]["citizen"]
    assert found["dateOfDeath"] == died.date().isoformat()


async def test_impossible_death_dates_are_user_errors(as_admin: GQL, seeded: Seeded) -> None:
    unit = await fresh_unit(seeded, "DEATH")
    someone = await person(seeded, "FEMALE", 30, 80)
    future = dt.datetime.now(rules.HANOI_TZ) + dt.timedelta(hours=2)
    body = await as_admin(DEATH, {"in": death_input(unit, future, **unknown_deceased())})
    assert body["data"]["deathRegister"]["userErrors"][0]["field"] == ["input", "diedAt"]
    before_birth = at_noon(someone.dob - dt.timedelta(days=1))
    body = await as_admin(DEATH, {"in": death_input(unit, before_birth, personalId=someone.pid)})
    err = body["data"]["deathRegister"]["userErrors"][0]
    assert (err["field"], err["code"]) == (["input", "diedAt"], "INVALID_DATE")
    body = await as_admin(
        DEATH, {"in": death_input(unit, at_noon(TODAY), **{**unknown_deceased(), "birthYear": TODAY.year + 1})}
    )
    assert body["data"]["deathRegister"]["userErrors"][0]["field"] == ["input", "birthYear"]
    found = (await as_admin(CITIZEN, {"p": someone.pid}))["data"]["citizen"]
    assert found["dateOfDeath"] is None
    assert await registrations_in(seeded, unit, "DEATH") == 0


async def test_a_failed_death_registration_reopens_the_personal_id(
    as_admin: GQL, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    unit = await fresh_unit(seeded, "DEATH")
    someone = await person(seeded, "MALE", 60, 120)

    async def crash(*args: Any, **kwargs: Any) -> int:
        raise RuntimeError("the registry write fails after the population update")

    monkeypatch.setattr(ds, "insert_registration", crash)
    body = await as_admin(DEATH, {"in": death_input(unit, at_noon(TODAY), personalId=someone.pid)}, expect_errors=True)
    assert body["errors"]
    monkeypatch.undo()
    found = (await as_admin(CITIZEN, {"p": someone.pid}))["data"]["citizen"]
    assert found["dateOfDeath"] is None
    assert await registrations_in(seeded, unit, "DEATH") == 0


# ---------------------------------------------------------------------------------------------------------
# Marriages
# ---------------------------------------------------------------------------------------------------------


def spouse(dob: dt.date, **extra: Any) -> dict[str, Any]:
    return {"familyName": "Vũ", "middleName": "", "givenName": fresh_name(), "dateOfBirth": dob.isoformat(),
            "residence": "Số 1 Tràng Tiền, Hà Nội", **extra}  # fmt: skip


@pytest.mark.parametrize(
    ("husband_age_days", "wife_age_days", "field"),
    [
        ((20, 0), (18, 0), None),  # both on the birthday that gives them the age
        ((20, -1), (18, 0), "husband"),  # the man one day short of 20
        ((20, 0), (18, -1), "wife"),  # the woman one day short of 18
    ],
)
async def test_marriage_ages_20_and_18(
    as_admin: GQL, seeded: Seeded, husband_age_days: tuple[int, int], wife_age_days: tuple[int, int], field: str | None
) -> None:
    unit = await fresh_unit(seeded, "MARRIAGE")
    data = {
        "registryOfficeCode": unit,
        "husband": spouse(years_ago(husband_age_days[0], husband_age_days[1])),
        "wife": spouse(years_ago(wife_age_days[0], wife_age_days[1])),
        **SIGNED,
    }
    payload = (await as_admin(MARRIAGE, {"in": data}))["data"]["marriageRegister"]
    if field is None:
        assert payload["userErrors"] == []
        assert payload["registration"]["lateRegistration"] is False
        assert payload["registration"]["book"]["printedNumber"] == f"01-TP/HT-{TODAY.year}-KH"
    else:
        assert payload["registration"] is None
        assert payload["userErrors"][0]["field"] == ["input", field, "dateOfBirth"]
        assert payload["userErrors"][0]["code"] == "UNDER_AGE"
        assert await registrations_in(seeded, unit, "MARRIAGE") == 0


async def test_no_one_marries_twice_until_the_marriage_ends_by_death(
    as_role: Callable[..., GQL], seeded: Seeded
) -> None:
    unit = await fresh_unit(seeded, "MARRIAGE", "DEATH")
    me = officer(as_role, unit)
    husband, wife, other = await person(seeded, "MALE"), await person(seeded, "FEMALE"), await person(seeded, "FEMALE")
    first = await me(
        MARRIAGE, {"in": {"husband": {"personalId": husband.pid}, "wife": {"personalId": wife.pid}, **SIGNED}}
    )
    payload = first["data"]["marriageRegister"]
    assert payload["userErrors"] == []
    people = {p["role"]: p["personalId"] for p in payload["registration"]["people"]}
    assert people == {"HUSBAND": husband.pid, "WIFE": wife.pid}
    second = await me(
        MARRIAGE, {"in": {"husband": {"personalId": husband.pid}, "wife": {"personalId": other.pid}, **SIGNED}}
    )
    err = second["data"]["marriageRegister"]["userErrors"][0]
    assert (err["field"], err["code"]) == (["input", "husband", "personalId"], "ALREADY_MARRIED")
    died = await me(DEATH, {"in": death_input(unit, at_noon(TODAY), personalId=wife.pid)})
    assert died["data"]["deathRegister"]["userErrors"] == []
    third = await me(
        MARRIAGE, {"in": {"husband": {"personalId": husband.pid}, "wife": {"personalId": other.pid}, **SIGNED}}
    )
    assert third["data"]["marriageRegister"]["userErrors"] == []
    assert third["data"]["marriageRegister"]["registration"]["entryNumber"] == 2
    dead = await me(MARRIAGE, {"in": {"husband": spouse(years_ago(30)), "wife": {"personalId": wife.pid}, **SIGNED}})
    assert dead["data"]["marriageRegister"]["userErrors"][0]["code"] == "DECEASED"


async def test_marriage_parties_must_exist_and_fit_their_side(as_admin: GQL, seeded: Seeded) -> None:
    unit = await fresh_unit(seeded, "MARRIAGE")
    woman = await person(seeded, "FEMALE")
    data = {
        "registryOfficeCode": unit,
        "husband": {"personalId": "001099999998"},
        "wife": {"personalId": woman.pid},
        **SIGNED,
    }
    errors = (await as_admin(MARRIAGE, {"in": data}))["data"]["marriageRegister"]["userErrors"]
    assert errors[0]["code"] == "NOT_FOUND" and errors[0]["field"] == ["input", "husband", "personalId"]
    data = {"registryOfficeCode": unit, "husband": {"personalId": woman.pid}, "wife": spouse(years_ago(25)), **SIGNED}
    errors = (await as_admin(MARRIAGE, {"in": data}))["data"]["marriageRegister"]["userErrors"]
    assert errors[0]["field"] == ["input", "husband", "personalId"]
    data = {
        "registryOfficeCode": unit,
        "husband": {"familyName": "Vũ", "givenName": "An"},
        "wife": spouse(years_ago(25)),
        **SIGNED,
    }
    errors = (await as_admin(MARRIAGE, {"in": data}))["data"]["marriageRegister"]["userErrors"]
    assert {tuple(e["field"]) for e in errors} >= {("input", "husband", "dateOfBirth")}
    assert await registrations_in(seeded, unit, "MARRIAGE") == 0


# ---------------------------------------------------------------------------------------------------------
# Subscription over a real WebSocket
# ---------------------------------------------------------------------------------------------------------

SUBSCRIPTION = """subscription($t: RegisterType) { civilRegistrationAdded(type: $t) {
  id type entryNumber registrationPlace { code } birth { givenName } } }"""


async def open_ws(live_server: Any, **claims: Any) -> Any:
    url = live_server.url.replace("http://", "ws://") + "/graphql"
    ws = await websockets.connect(url, subprotocols=[Subprotocol("graphql-transport-ws")])
    token = token_for(live_server.settings, Role.OFFICER, **claims)
    await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}))
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    await ws.send(
        json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION, "variables": {"t": "BIRTH"}}})
    )
    return ws


async def test_officers_of_the_unit_receive_its_new_registrations(live_server: Any, seeded: Seeded) -> None:
    unit, other = await fresh_unit(seeded), await fresh_unit(seeded)
    mine = await open_ws(live_server, subject="ws-mine", unit=unit, domains=("registry",))
    theirs = await open_ws(live_server, subject="ws-theirs", unit=other, domains=("registry",))
    try:
        await asyncio.sleep(0.3)  # let the server register the subscriptions
        given = fresh_name()
        async with live_server.client() as http:
            resp = await http.post(
                "/graphql", json={"query": BIRTH, "variables": {"in": birth_input(unit, given, TODAY, UNKNOWN_MOTHER)}}
            )
        assert resp.json()["data"]["birthRegister"]["userErrors"] == []
        message = json.loads(await asyncio.wait_for(mine.recv(), timeout=2))
        assert message["type"] == "next", message
        added = message["payload"]["data"]["civilRegistrationAdded"]
        assert added["type"] == "BIRTH" and added["entryNumber"] == 1
        assert added["registrationPlace"] == {"code": unit} and added["birth"] == {"givenName": given}
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(theirs.recv(), timeout=1)
    finally:
        await mine.close()
        await theirs.close()


async def test_a_citizen_may_not_subscribe(live_server: Any) -> None:
    url = live_server.url.replace("http://", "ws://") + "/graphql"
    token = token_for(live_server.settings, Role.CITIZEN, subject="001087123456")
    async with websockets.connect(url, subprotocols=[Subprotocol("graphql-transport-ws")]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}}))
        message = json.loads(await asyncio.wait_for(ws.recv(), timeout=2))
        assert message["type"] in ("error", "next")
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert errors and "citizen" in json.dumps(errors)
