"""Resolvers for the registry store (civil registration)."""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row, select

from govgraph.auth import scope
from govgraph.auth.identity import Role
from govgraph.auth.roles import require, require_unit
from govgraph.context import Info
from govgraph.datasources import registry as ds
from govgraph.datasources.base import Page, StoreUnavailable
from govgraph.datasources.places import CURRENT, gazetteer
from govgraph.domain import registry as rules
from govgraph.domain.identity import InvalidPersonalId, Sex, make_personal_id, parse_personal_id
from govgraph.domain.text import fold, nfc
from govgraph.events import Event
from govgraph.resolvers.live import follow
from govgraph.resolvers.mutation import Outcome, Tx, UserInputError, idempotency_key, run_mutation
from govgraph.schema import common
from govgraph.schema import places as places_types
from govgraph.schema import population as population_types
from govgraph.schema import registry as types

if TYPE_CHECKING:
    from govgraph.schema.common import Connection


def unit(code: str, structure: str) -> places_types.AdministrativeUnit | None:
    found = gazetteer().get(code, structure)
    return places_types.AdministrativeUnit.from_unit(found) if found else None


def _int_ids(node_ids: list[str]) -> list[int | None]:
    return [int(n) if n.isdigit() else None for n in node_ids]


async def books_by_id(info: Info, node_ids: list[str], required: bool) -> list[types.RegisterBook | None]:
    ids = _int_ids(node_ids)
    rows = await info.context.loaders.registry.book_by_id.load_many([i for i in ids if i is not None])
    found = {r.id: r for r in rows if r is not None}
    return common.ordered([types.RegisterBook.from_row(found[i]) if i in found else None for i in ids], required)


async def row_scope(info: Info) -> ds.RegistryScope:
    """Which registrations the caller may see (auth/scope.py). A citizen's children come from the population
    store (another database); when it does not answer, a citizen sees only the entries naming them."""
    p = info.context.principal
    children: tuple[str, ...] = ()
    if p.authenticated and p.role == Role.CITIZEN and p.subject:
        try:
            rows = await info.context.loaders.population.children_by_pid.load(p.subject)
        except StoreUnavailable:
            rows = []
        children = tuple(r.pid for r in rows)
    found: ds.RegistryScope = scope.registry_scope(p, children)
    return found


async def _people_of(info: Info, rows: list[Row[Any]]) -> dict[int, list[Row[Any]]]:
    """The people each entry names (one batched, cached load; ``people`` then reads the same cache)."""
    ids = [int(r.id) for r in rows]
    found = await info.context.loaders.registry.people_by_registration.load_many(ids)
    return dict(zip(ids, found, strict=True))


async def _made(info: Info, rows: list[Row[Any]]) -> list[types.CivilRegistration]:
    people = await _people_of(info, rows)
    return [types.CivilRegistration.from_row(r, people[int(r.id)]) for r in rows]


async def _connection(info: Info, page: Page) -> Connection[types.CivilRegistration]:
    people = await _people_of(info, list(page.rows))
    return common.connection(page, lambda r: types.CivilRegistration.from_row(r, people[int(r.id)]))


async def registrations_by_id(info: Info, node_ids: list[str], required: bool) -> list[types.CivilRegistration | None]:
    """``node``/``nodes`` and reloads after a write or an event: only registrations the caller may see."""
    ids = _int_ids(node_ids)
    loader = info.context.loaders.registry.registration_by_id(await row_scope(info))
    rows = await loader.load_many([i for i in ids if i is not None])
    found = {r.id: r for r in rows if r is not None}
    made = {r.registration_id: r for r in await _made(info, list(found.values()))}
    return common.ordered([made.get(i) if i is not None else None for i in ids], required)


async def book(info: Info, book_id: int) -> types.RegisterBook:
    row = await info.context.loaders.registry.book_by_id.load(book_id)
    if row is None:
        raise LookupError(f"register book {book_id} is missing")
    return types.RegisterBook.from_row(row)


async def people(info: Info, entry: types.Entry, registration_id: int) -> list[types.RegistrationPerson]:
    rows = await info.context.loaders.registry.people_by_registration.load(registration_id)
    order = list(types.RegistrationRole.__members__)
    return [
        types.RegistrationPerson(
            role=types.RegistrationRole(r.role), full_name=r.full_name, personal_id=r.pid, entry=entry
        )
        for r in sorted(rows, key=lambda r: order.index(r.role))
    ]


async def marginal_notes(info: Info, entry: types.Entry, registration_id: int) -> list[types.MarginalNote]:
    rows = await info.context.loaders.registry.notes_by_registration.load(registration_id)
    return [
        types.MarginalNote(noted_on=r.noted_on, kind=types.MarginalNoteKind(r.kind), content=r.content, entry=entry)
        for r in rows
    ]


async def citizen(info: Info, pid: str | None) -> population_types.Citizen | None:
    if not pid:
        return None
    row = await info.context.loaders.population.citizen_by_pid.load(pid)
    return population_types.Citizen.from_row(row) if row else None


async def register_books(
    info: Info,
    f: types.RegisterBookFilter | None,
    order: types.RegisterBookOrder | None,
    first: int | None,
    after: str | None,
) -> Connection[types.RegisterBook]:
    flt = ds.BookFilter()
    if f is not None:
        flt = ds.BookFilter(
            unit_code=f.unit_code,
            unit_structure=f.structure.name if f.structure else None,
            register_type=f.type.name if f.type else None,
            year=f.year,
        )
    field = order.field.name if order else "YEAR"
    descending = order.descending if order else False
    page = await ds.books_page(info.context.stores["registry"], flt, field, descending, first, after)
    return common.connection(page, types.RegisterBook.from_row)


async def civil_registrations(
    info: Info,
    f: types.CivilRegistrationFilter | None,
    order: types.CivilRegistrationOrder | None,
    first: int | None,
    after: str | None,
) -> Connection[types.CivilRegistration]:
    flt = ds.RegistrationFilter()
    if f is not None:
        if f.registered_from and f.registered_to and f.registered_from > f.registered_to:
            raise ValueError("registeredFrom is after registeredTo")
        flt = ds.RegistrationFilter(
            register_type=f.type.name if f.type else None,
            unit_code=f.unit_code,
            unit_structure=f.structure.name if f.structure else None,
            registered_from=f.registered_from,
            registered_to=f.registered_to,
            search=f.search,
            late=f.late_registration,
        )
    field = order.field.name if order else "REGISTRATION_DATE"
    descending = order.descending if order else False
    store = info.context.stores["registry"]
    page = await ds.registrations_page(store, flt, field, descending, first, after, await row_scope(info))
    return await _connection(info, page)


async def book_registrations(
    info: Info, book_id: int, entry_count: int, first: int | None, after: str | None
) -> Connection[types.CivilRegistration]:
    """A book's entries the caller may see; ``totalCount`` counts only those (the book's own ``entryCount`` is
    its tally, not personal)."""
    page = await info.context.loaders.registry.book_page(await row_scope(info), book_id, entry_count, first, after)
    return await _connection(info, page)


async def citizen_registrations(info: Info, pid: str) -> list[types.CivilRegistration]:
    """Every registration a citizen appears in (any role) that the caller may see, oldest first: for
    ``Citizen.civilRegistrations``."""
    rows = await info.context.loaders.registry.registrations_by_pid(await row_scope(info)).load(pid)
    return await _made(info, rows)


async def unit_registrations(
    info: Info,
    code: str,
    structure: str,
    register_type: types.RegisterType | None,
    first: int | None,
    after: str | None,
) -> Connection[types.CivilRegistration]:
    """Registrations kept in a unit, newest first (legacy predecessors included for a current unit)."""
    pages = info.context.loaders.registry.unit_page(
        await row_scope(info), register_type.name if register_type else None, first, after
    )
    page = await pages.load(ds.places_of(code, structure))
    return await _connection(info, page)


# ---------------------------------------------------------------------------------------------------------
# Mutations: birthRegister, marriageRegister, deathRegister
# ---------------------------------------------------------------------------------------------------------

STORE = "registry"
CREATED = "registry.registration.created"
PID_ATTEMPTS = 50
"""Serials tried for a new-born's personal ID before giving up (each one taken is skipped)."""


class Errors:
    """Collects userErrors so that one reply lists every bad field."""

    def __init__(self) -> None:
        self.items: list[common.UserError] = []

    def add(self, message: str, path: list[str], code: str = "INVALID") -> None:
        self.items.append(common.UserError(field=["input", *path], message=message, code=code))

    def text(self, path: list[str], value: str | None, limit: int, required: bool = True) -> str:
        """NFC-normalised text of at most ``limit`` characters; records an error (and returns "") otherwise."""
        cleaned = nfc(value or "")
        if not cleaned and required:
            self.add("Required", path, "REQUIRED")
        elif len(cleaned) > limit:
            self.add(f"At most {limit} characters", path, "TOO_LONG")
        return cleaned

    def check(self) -> None:
        if self.items:
            raise UserInputError.many(self.items)


def _office(info: Info, code: str | None) -> ds.Place:
    """The registry office a registration is written in: the officer's own unit (a current commune-level unit)."""
    p = info.context.principal
    require(p, Role.OFFICER, domain=STORE)
    if code is None and p.role == Role.OFFICER:
        code = p.unit
    require_unit(p, code)
    if not code:
        raise UserInputError("Give the registry office's unit code", ["input", "registryOfficeCode"], "REQUIRED")
    unit_ = gazetteer().get(code, CURRENT)
    if unit_ is None or unit_.is_district:
        raise UserInputError(
            f"{code} is not a current ward or commune (the registry offices since 1 Jul 2025)",
            ["input", "registryOfficeCode"],
            "NOT_FOUND",
        )
    return (code, CURRENT.value)


def _pid(errors: Errors, path: list[str], pid: str | None) -> str | None:
    if pid is None:
        return None
    try:
        parse_personal_id(pid)
    except InvalidPersonalId as exc:
        errors.add(f"Not a personal ID: {exc}", path)
        return None
    return pid


async def _citizen(info: Info, errors: Errors, path: list[str], pid: str | None) -> Row[Any] | None:
    """The citizen with a (well-formed) personal ID, read from the population store; NOT_FOUND otherwise."""
    pid = _pid(errors, path, pid)
    if pid is None:
        return None
    row = await ds.citizen_row(info.context.stores["population"], pid)
    if row is None:
        errors.add(f"No citizen has the personal ID {pid}", path, "NOT_FOUND")
    return row


async def _already_recorded(info: Info, data: Any) -> bool:
    """Whether the idempotency key of this request already has a result (a retry: nothing new is written,
    in particular no second citizen). Raises UserInputError for a malformed key."""
    key = idempotency_key(info, data)
    if key is None:
        return False
    s = info.context.stores[STORE]
    t = s.idempotency
    found = await s.scalar(select(t.c.key).where(t.c.subject == info.context.principal.subject, t.c.key == key))
    return found is not None


def _signature(info: Info, errors: Errors, data: Any) -> tuple[str, str, str]:
    signer = errors.text(["signerName"], data.signer_name, 140)
    title = errors.text(["signerTitle"], data.signer_title, 120)
    officer = errors.text(["civilStatusOfficer"], data.civil_status_officer or info.context.principal.subject, 140)
    return signer, title, officer


def _emit(tx: Tx, rid: int, new: ds.NewRegistration, slot: ds.EntrySlot) -> None:
    tx.emit(
        CREATED,
        registration_id=rid,
        type=new.register_type,
        book_id=slot.book_id,
        book=slot.printed_number,
        entry_number=slot.entry_no,
        unit_code=new.place[0],
        unit_structure=new.place[1],
        personal_ids=sorted({pid for _, pid, _ in new.people if pid}),
        late_registration=new.late,
    )


async def _write(tx: Tx, info: Info, new: ds.NewRegistration) -> str:
    store = info.context.stores[STORE]
    slot = await ds.allocate_entry(tx.conn, store.is_sqlite, new.place, new.register_type, new.registration_date)
    rid = await ds.insert_registration(tx.conn, new, slot)
    _emit(tx, rid, new, slot)
    return str(rid)


async def _registration(info: Info, key: str | None) -> types.CivilRegistration | None:
    if key is None:
        return None
    info.context.reset_loaders()  # the population side changed too: nothing cached from before the write
    return (await registrations_by_id(info, [key], False))[0]


async def _with_compensation(
    run: Callable[[], Awaitable[Outcome]], undo: Callable[[], Awaitable[None]] | None
) -> Outcome:
    """Run the registry transaction; on any exception, undo the population step first (shielded from
    cancellation, so a client that hangs up does not leave it half done) and re-raise."""
    try:
        return await run()
    except BaseException:
        if undo is not None:
            await asyncio.shield(undo())
        raise


# -- births -----------------------------------------------------------------------------------------------


@dataclass
class _Parent:
    relation: str
    pid: str | None
    full_name: str
    birth_year: int | None
    ethnicity: str
    nationality: str
    residence: str | None
    unit: tuple[str | None, str | None] = (None, None)


async def _parent(info: Info, errors: Errors, relation: str, given: types.BirthParentInput, dob: dt.date) -> _Parent:
    path = [relation.lower()]
    row = await _citizen(info, errors, [*path, "personalId"], given.personal_id)
    name = errors.text([*path, "fullName"], given.full_name, 140, required=row is None and given.personal_id is None)
    year = given.birth_year
    residence = errors.text([*path, "residence"], given.residence, 500, required=False) or None
    parent = _Parent(
        relation=relation,
        pid=None,
        full_name=name,
        birth_year=year,
        ethnicity=errors.text([*path, "ethnicity"], given.ethnicity, 30),
        nationality=errors.text([*path, "nationality"], given.nationality, 30),
        residence=residence,
    )
    word = relation.lower()
    if row is not None:
        parent.pid = row.pid
        if row.sex != rules.PARENT_SEX[relation]:
            errors.add(
                f"The citizen {row.pid} is not a {'man' if relation == 'FATHER' else 'woman'}", [*path, "personalId"]
            )
        if name and fold(name) != fold(row.full_name):
            errors.add(f"The register names {row.pid} '{row.full_name}'", [*path, "fullName"], "MISMATCH")
        if year is not None and year != row.date_of_birth.year:
            errors.add(
                f"The register gives {row.date_of_birth.year} as the year of birth", [*path, "birthYear"], "MISMATCH"
            )
        parent.full_name, parent.birth_year = row.full_name, row.date_of_birth.year
        if row.date_of_birth >= dob:
            errors.add(
                f"The {word} was born on {row.date_of_birth.isoformat()}, not before the child",
                [*path, "personalId"],
                "INVALID_DATE",
            )
        # A mother is alive at the birth; a father may have died up to ~300 days before it (posthumous child).
        earliest = dob if relation == "MOTHER" else dob - dt.timedelta(days=300)
        if row.date_of_death is not None and row.date_of_death < earliest:
            errors.add(
                f"The {word} died on {row.date_of_death.isoformat()}, before the birth",
                [*path, "personalId"],
                "INVALID_DATE",
            )
        parent.residence = residence or row.permanent_address or row.temporary_address
        parent.unit = (row.permanent_unit_code, row.permanent_unit_structure)
    elif given.personal_id is None:
        if year is None:
            errors.add("Required without a personal ID", [*path, "birthYear"], "REQUIRED")
        elif not 1900 <= year <= dob.year:
            errors.add("Not a year of birth before the child's", [*path, "birthYear"], "INVALID_DATE")
    if parent.residence is None:
        errors.add("Required: no address is recorded for this parent", [*path, "residence"], "REQUIRED")
    return parent


@dataclass
class _Birth:
    office: ds.Place
    today: dt.date
    child: dict[str, Any]
    mother: _Parent
    father: _Parent | None
    details: dict[str, Any] = field(default_factory=dict)
    signature: tuple[str, str, str] = ("", "", "")


async def _plan_birth(info: Info, data: types.BirthRegisterInput, office: ds.Place, today: dt.date) -> _Birth:
    errors = Errors()
    family = errors.text(["familyName"], data.family_name, 40)
    middle = errors.text(["middleName"], data.middle_name, 60, required=False)
    given = errors.text(["givenName"], data.given_name, 40)
    name = rules.full_name(family, middle, given)
    dob = data.date_of_birth
    problem = rules.event_date_problem("BIRTH", dob, today)
    if problem:
        errors.add(problem, ["dateOfBirth"], "INVALID_DATE")
        errors.check()
    mother = await _parent(info, errors, "MOTHER", data.mother, dob)
    father = await _parent(info, errors, "FATHER", data.father, dob) if data.father is not None else None
    if father is not None and mother.pid is not None and father.pid == mother.pid:
        errors.add("The father and the mother are the same person", ["father", "personalId"])
    ethnicity = errors.text(["ethnicity"], data.ethnicity, 30)
    nationality = errors.text(["nationality"], data.nationality, 30)
    details = {
        "child_family_name": family,
        "child_middle_name": middle,
        "child_given_name": given,
        "child_full_name": name,
        "child_sex": data.sex.name,
        "child_date_of_birth": dob,
        "birth_place": errors.text(["placeOfBirth"], data.place_of_birth, 500),
        "native_place": errors.text(["nativePlace"], data.native_place, 120),
        "child_ethnicity": ethnicity,
        "child_nationality": nationality,
        "declarant_name": errors.text(["declarantName"], data.declarant_name, 140),
        "declarant_relationship": errors.text(["declarantRelationship"], data.declarant_relationship, 40),
        "evidence": errors.text(["evidence"], data.evidence, 120),
    }
    signature = _signature(info, errors, data)
    errors.check()
    home = mother.residence if mother.residence else (father.residence if father else None)
    child = {
        "family_name": family,
        "middle_name": middle,
        "given_name": given,
        "full_name": name,
        "name_folded": fold(name),
        "date_of_birth": dob,
        "sex": data.sex.name,
        "ethnicity": ethnicity,
        "nationality": nationality,
        # Birth is registered where a parent lives (Law on Civil Status Art. 13): the child's permanent
        # residence is that unit, at the mother's address as declared.
        "permanent_unit_code": office[0],
        "permanent_unit_structure": office[1],
        "permanent_address": home,
    }
    return _Birth(office, today, child, mother, father, details, signature)


async def _create_child(info: Info, plan: _Birth) -> str:
    """Insert the new-born in the population store with a fresh personal ID; returns it.

    The ID is PPP=001 (registered in Hà Nội), G from century and sex, YY from the year of birth, and a random
    6-digit serial. The population primary key decides uniqueness: a serial already taken there (or named
    by a registry entry) is skipped and another tried."""
    pop = info.context.stores["population"]
    registry = info.context.stores[STORE]
    sex: Sex = "FEMALE" if plan.child["sex"] == "FEMALE" else "MALE"
    parents = [(p.pid, p.relation) for p in (plan.mother, plan.father) if p is not None and p.pid]
    for _ in range(PID_ATTEMPTS):
        pid = make_personal_id(rules.HANOI_PROVINCE, plan.child["date_of_birth"], sex, secrets.randbelow(1_000_000))
        if await ds.pid_in_registry(registry, pid):
            continue
        row = {**plan.child, "pid": pid, "created_at": dt.datetime.now(dt.UTC)}
        if await ds.insert_citizen(pop, row, parents):
            return pid
    raise RuntimeError(f"no free personal ID serial found after {PID_ATTEMPTS} tries")


def _birth_entry(plan: _Birth, child_pid: str) -> ds.NewRegistration:
    signer, title, officer = plan.signature
    m, f = plan.mother, plan.father
    details = {
        **plan.details,
        "child_pid": child_pid,
        "father_full_name": f.full_name if f else None,
        "father_birth_year": f.birth_year if f else None,
        "father_ethnicity": f.ethnicity if f else None,
        "father_nationality": f.nationality if f else None,
        "father_residence": f.residence if f else None,
        "mother_full_name": m.full_name,
        "mother_birth_year": m.birth_year,
        "mother_ethnicity": m.ethnicity,
        "mother_nationality": m.nationality,
        "mother_residence": m.residence,
    }
    people: list[tuple[str, str | None, str]] = [("CHILD", child_pid, plan.child["full_name"])]
    if f is not None:
        people.append(("FATHER", f.pid, f.full_name))
    people += [("MOTHER", m.pid, m.full_name), ("DECLARANT", None, plan.details["declarant_name"])]
    return ds.NewRegistration(
        register_type="BIRTH",
        registration_date=plan.today,
        place=plan.office,
        late=rules.is_late("BIRTH", plan.child["date_of_birth"], plan.today),
        signer_name=signer,
        signer_title=title,
        civil_status_officer=officer,
        details=details,
        people=people,
    )


async def register_birth(info: Info, data: types.BirthRegisterInput) -> types.BirthRegisterPayload:
    """birthRegister: two stores, no shared transaction. How it stays consistent:

    1. Everything is validated first (input, parents in the population store); nothing is written on a
       userError. A retry whose idempotency key already has a result skips straight to step 3, which replays
       the first result: no second citizen.
    2. The child is inserted in the population store (with the parent links), which allocates the personal
       ID: its primary key guarantees uniqueness, a taken serial is retried with another.
    3. The registration is written in one registry transaction (``run_mutation``: idempotency claim, entry
       number, entry, event after commit). It re-checks, under a lock on the child's name and date of birth,
       that this birth is not registered already.
    4. Compensation: if step 3 fails (userError, exception, cancellation), or returns a replay of a
       concurrent request with the same key (whose registration names another child), the citizen of step 2
       is deleted again. A crash of the whole process between steps 2 and 3 is the one window left: such a
       citizen has no birth entry naming its personal ID (``birth_details.child_pid``), which is how a
       reconciliation finds it.
    """
    try:
        office = _office(info, data.registry_office_code)
        replay = await _already_recorded(info, data)
        today = rules.hanoi_today()
        plan = None if replay else await _plan_birth(info, data, office, today)
    except UserInputError as exc:
        return types.BirthRegisterPayload(registration=None, citizen=None, user_errors=exc.errors)
    child_pid = await _create_child(info, plan) if plan is not None else None
    pop = info.context.stores["population"]

    async def work(tx: Tx) -> str:
        if plan is None or child_pid is None:
            raise UserInputError(
                "The first request with this idempotency key did not finish: retry", ["idempotencyKey"], "RETRY"
            )
        store = info.context.stores[STORE]
        await ds.lock(
            tx.conn, store.is_sqlite, [("birth", plan.child["name_folded"], plan.child["date_of_birth"].isoformat())]
        )
        earlier = await ds.birth_registered(
            tx.conn, plan.child["name_folded"], plan.child["date_of_birth"], fold(plan.mother.full_name)
        )
        if earlier is not None:
            raise UserInputError(
                f"This birth is already registered (registration {earlier}); a lost entry is re-registered "
                "(đăng ký lại khai sinh), not registered again",
                ["input", "givenName"],
                "ALREADY_REGISTERED",
            )
        return await _write(tx, info, _birth_entry(plan, child_pid))

    async def undo() -> None:
        if child_pid is not None:
            await ds.delete_citizen(pop, child_pid)

    outcome = await _with_compensation(
        lambda: run_mutation(info, store=STORE, operation="birthRegister", input=data, work=work), undo
    )
    if child_pid is not None:
        written = await ds.child_pid_of(info.context.stores[STORE], int(outcome.key)) if outcome.key else None
        if written != child_pid:
            await undo()
    registration = await _registration(info, outcome.key)
    baby = None
    if registration is not None and registration.birth is not None:
        baby = await citizen(info, registration.birth.personal_id)
    return types.BirthRegisterPayload(registration=registration, citizen=baby, user_errors=outcome.errors)


# -- marriages --------------------------------------------------------------------------------------------


@dataclass
class _Spouse:
    role: str
    pid: str | None
    family: str
    middle: str
    given: str
    dob: dt.date | None
    ethnicity: str
    nationality: str
    residence: str
    id_number: str | None


async def _spouse(info: Info, errors: Errors, role: str, given: types.SpouseInput, today: dt.date) -> _Spouse:
    side = role.lower()
    row = await _citizen(info, errors, [side, "personalId"], given.personal_id)
    need = given.personal_id is None
    family = errors.text([side, "familyName"], given.family_name, 40, required=need)
    middle = errors.text([side, "middleName"], given.middle_name, 60, required=False)
    given_name = errors.text([side, "givenName"], given.given_name, 40, required=need)
    dob = given.date_of_birth
    residence = errors.text([side, "residence"], given.residence, 500, required=False)
    id_number = errors.text([side, "idNumber"], given.id_number, 12, required=False) or given.personal_id
    if row is not None:
        if row.sex != rules.SPOUSE_SEX[role]:
            errors.add(
                f"The citizen {row.pid} is not a {'man' if role == 'HUSBAND' else 'woman'}", [side, "personalId"]
            )
        if row.date_of_death is not None:
            errors.add(
                f"The citizen {row.pid} died on {row.date_of_death.isoformat()}", [side, "personalId"], "DECEASED"
            )
        if dob is not None and dob != row.date_of_birth:
            errors.add(f"The register gives {row.date_of_birth.isoformat()}", [side, "dateOfBirth"], "MISMATCH")
        if (family or given_name) and fold(rules.full_name(family, middle, given_name)) != fold(row.full_name):
            errors.add(f"The register names {row.pid} '{row.full_name}'", [side, "givenName"], "MISMATCH")
        family, middle, given_name, dob = row.family_name, row.middle_name, row.given_name, row.date_of_birth
        residence = residence or row.permanent_address or row.temporary_address or ""
    elif need and dob is None:
        errors.add("Required without a personal ID", [side, "dateOfBirth"], "REQUIRED")
    if not residence and (row is not None or need):
        errors.add("Required: no address is recorded for this person", [side, "residence"], "REQUIRED")
    where = [side, "dateOfBirth" if given.date_of_birth is not None else "personalId"]
    if dob is not None:
        problem = rules.event_date_problem("BIRTH", dob, today)
        if problem:
            errors.add(problem, where, "INVALID_DATE")
        else:
            too_young = rules.marriage_age_problem(role, dob, today)
            if too_young:
                errors.add(too_young, where, "UNDER_AGE")
    return _Spouse(
        role=role,
        pid=row.pid if row is not None else None,
        family=family,
        middle=middle,
        given=given_name,
        dob=dob,
        ethnicity=errors.text([side, "ethnicity"], given.ethnicity, 30),
        nationality=errors.text([side, "nationality"], given.nationality, 30),
        residence=residence,
        id_number=id_number,
    )


async def register_marriage(info: Info, data: types.MarriageRegisterInput) -> types.MarriageRegisterPayload:
    """marriageRegister: one registry transaction. Under a lock on each spouse's personal ID (so two offices
    cannot marry the same person at once), neither may have a marriage the registry shows as current, nor a
    death entry."""
    pop = info.context.stores["population"]
    try:
        office = _office(info, data.registry_office_code)
        today = rules.hanoi_today()
        errors = Errors()
        husband = await _spouse(info, errors, "HUSBAND", data.husband, today)
        wife = await _spouse(info, errors, "WIFE", data.wife, today)
        if husband.pid and husband.pid == wife.pid:
            errors.add("Both parties are the same person", ["wife", "personalId"])
        signer, title, officer = _signature(info, errors, data)
        errors.check()
    except UserInputError as exc:
        return types.MarriageRegisterPayload(registration=None, user_errors=exc.errors)
    spouses = (husband, wife)
    details: dict[str, Any] = {}
    for s in spouses:
        p = s.role.lower() + "_"
        details.update({
            p + "family_name": s.family, p + "middle_name": s.middle, p + "given_name": s.given,
            p + "full_name": rules.full_name(s.family, s.middle, s.given), p + "date_of_birth": s.dob,
            p + "ethnicity": s.ethnicity, p + "nationality": s.nationality, p + "residence": s.residence,
            p + "id_number": s.id_number,
        })  # fmt: skip
    new = ds.NewRegistration(
        register_type="MARRIAGE",
        registration_date=today,
        place=office,
        late=False,
        signer_name=signer,
        signer_title=title,
        civil_status_officer=officer,
        details=details,
        people=[(s.role, s.pid, rules.full_name(s.family, s.middle, s.given)) for s in spouses],
    )
    pids = [s.pid for s in spouses if s.pid]

    async def work(tx: Tx) -> str:
        store = info.context.stores[STORE]
        await ds.lock(tx.conn, store.is_sqlite, [("person", pid) for pid in pids])
        problems = Errors()
        for s in spouses:
            if s.pid and await ds.death_registration_of(tx.conn, s.pid) is not None:
                problems.add(f"{s.pid} has a death entry in the registry", [s.role.lower(), "personalId"], "DECEASED")
        current = await ds.current_marriages(tx.conn, pids)
        spouse_pids = sorted({m.spouse_pid for m in current if m.spouse_pid})
        dead = set()
        if spouse_pids:
            dead = {pid for pid in spouse_pids if (row := await ds.citizen_row(pop, pid)) and row.date_of_death}
        for m in current:
            if m.spouse_pid in dead:
                continue
            side = "husband" if m.pid == husband.pid else "wife"
            problems.add(
                f"{m.pid} is married already (registration {m.registration_id}, not ended by a death or divorce)",
                [side, "personalId"],
                "ALREADY_MARRIED",
            )
        problems.check()
        return await _write(tx, info, new)

    outcome = await run_mutation(info, store=STORE, operation="marriageRegister", input=data, work=work)
    return types.MarriageRegisterPayload(
        registration=await _registration(info, outcome.key), user_errors=outcome.errors
    )


# -- deaths -----------------------------------------------------------------------------------------------


async def register_death(info: Info, data: types.DeathRegisterInput) -> types.DeathRegisterPayload:
    """deathRegister: two stores, no shared transaction. Population first, then the registry:

    1. Validate everything (nothing written on a userError). A retry whose idempotency key already has a
       result goes straight to the registry step, which replays it.
    2. Close the personal ID: set the citizen's date of death if none is recorded (a conditional UPDATE, so
       two registrations of one death cannot both set it). The same date already recorded is a retry or an
       earlier notice and is accepted; another date is a userError.
    3. Write the entry in one registry transaction (``run_mutation``), re-checking under a lock on the personal
       ID that no death entry names this person yet.
    4. Compensation: if step 3 fails, the date of death set in step 2 (and only one this request set) is
       cleared again. This order keeps the register books free of gaps: an entry once numbered is never
       deleted to undo the other store.
    """
    pop = info.context.stores["population"]
    try:
        office = _office(info, data.registry_office_code)
        replay = await _already_recorded(info, data)
        today = rules.hanoi_today()
        errors = Errors()
        died_at = data.died_at if data.died_at.tzinfo else data.died_at.replace(tzinfo=rules.HANOI_TZ)
        day = rules.hanoi_day(died_at)
        problem = rules.event_date_problem("DEATH", day, today)
        if problem is None and died_at > dt.datetime.now(dt.UTC):
            problem = f"The time of death {died_at.isoformat()} is in the future"
        if problem:
            errors.add(problem, ["diedAt"], "INVALID_DATE")
        row = await _citizen(info, errors, ["personalId"], data.personal_id)
        need = data.personal_id is None
        family = errors.text(["familyName"], data.family_name, 40, required=need)
        middle = errors.text(["middleName"], data.middle_name, 60, required=False)
        given = errors.text(["givenName"], data.given_name, 40, required=need)
        sex = data.sex.name if data.sex else None
        birth_year = data.birth_year
        if row is not None:
            if (family or given) and fold(rules.full_name(family, middle, given)) != fold(row.full_name):
                errors.add(f"The register names {row.pid} '{row.full_name}'", ["givenName"], "MISMATCH")
            if sex is not None and sex != row.sex:
                errors.add(f"The register gives {row.sex}", ["sex"], "MISMATCH")
            if birth_year is not None and birth_year != row.date_of_birth.year:
                errors.add(f"The register gives {row.date_of_birth.year}", ["birthYear"], "MISMATCH")
            family, middle, given = row.family_name, row.middle_name, row.given_name
            sex, birth_year = row.sex, row.date_of_birth.year
            if day < row.date_of_birth:
                errors.add(
                    f"{row.pid} was born on {row.date_of_birth.isoformat()}, after this death",
                    ["diedAt"],
                    "INVALID_DATE",
                )
            if row.date_of_death is not None and row.date_of_death != day:
                errors.add(
                    f"{row.pid} is recorded dead since {row.date_of_death.isoformat()}",
                    ["personalId"],
                    "ALREADY_DECEASED",
                )
        elif need:
            if sex is None:
                errors.add("Required without a personal ID", ["sex"], "REQUIRED")
            if birth_year is None:
                errors.add("Required without a personal ID", ["birthYear"], "REQUIRED")
            elif not 1900 <= birth_year <= today.year:
                errors.add("Not a year of birth", ["birthYear"], "INVALID_DATE")
            elif birth_year > day.year:
                errors.add("The death is before the year of birth", ["diedAt"], "INVALID_DATE")
        details: dict[str, Any] = {
            "deceased_family_name": family,
            "deceased_middle_name": middle,
            "deceased_given_name": given,
            "deceased_full_name": rules.full_name(family, middle, given),
            "deceased_sex": sex,
            "deceased_birth_year": birth_year,
            "deceased_pid": row.pid if row is not None else None,
            "deceased_nationality": errors.text(["nationality"], data.nationality, 30),
            "died_at": died_at.astimezone(dt.UTC),
            "death_place": errors.text(["placeOfDeath"], data.place_of_death, 500),
            "death_cause": errors.text(["causeOfDeath"], data.cause_of_death, 120),
            "declarant_name": errors.text(["declarantName"], data.declarant_name, 140),
            "declarant_relationship": errors.text(["declarantRelationship"], data.declarant_relationship, 40),
            "evidence": errors.text(["evidence"], data.evidence, 120),
        }
        signer, title, officer = _signature(info, errors, data)
        errors.check()
    except UserInputError as exc:
        return types.DeathRegisterPayload(registration=None, user_errors=exc.errors)
    pid = row.pid if row is not None else None
    new = ds.NewRegistration(
        register_type="DEATH",
        registration_date=today,
        place=office,
        late=rules.is_late("DEATH", day, today),
        signer_name=signer,
        signer_title=title,
        civil_status_officer=officer,
        details=details,
        people=[
            ("DECEASED", pid, str(details["deceased_full_name"])),
            ("DECLARANT", None, str(details["declarant_name"])),
        ],
    )
    closed = False
    if pid is not None and not replay:
        closed, recorded = await ds.close_personal_id(pop, pid, day)
        if not closed and recorded != day:
            msg = "No citizen has this personal ID" if recorded is None else f"{pid} is recorded dead since {recorded}"
            code = "NOT_FOUND" if recorded is None else "ALREADY_DECEASED"
            return types.DeathRegisterPayload(
                registration=None, user_errors=[common.UserError(field=["input", "personalId"], message=msg, code=code)]
            )

    async def work(tx: Tx) -> str:
        store = info.context.stores[STORE]
        if pid is not None:
            await ds.lock(tx.conn, store.is_sqlite, [("person", pid)])
            earlier = await ds.death_registration_of(tx.conn, pid)
            if earlier is not None:
                raise UserInputError(
                    f"The death of {pid} is already registered (registration {earlier})",
                    ["input", "personalId"],
                    "ALREADY_REGISTERED",
                )
        return await _write(tx, info, new)

    async def undo() -> None:
        if not closed or pid is None:
            return
        try:
            if await ds.death_registered(info.context.stores[STORE], pid):
                return  # another registration of this death was written: the date of death stays
        except StoreUnavailable:
            pass  # the registry is down: this request wrote nothing there
        await ds.reopen_personal_id(pop, pid, day)

    outcome = await _with_compensation(
        lambda: run_mutation(info, store=STORE, operation="deathRegister", input=data, work=work), undo
    )
    if outcome.key is None:
        await undo()  # nothing written: restore what this request changed
    return types.DeathRegisterPayload(registration=await _registration(info, outcome.key), user_errors=outcome.errors)


# -- subscription -----------------------------------------------------------------------------------------


async def registrations_added(
    info: Info, register_type: types.RegisterType | None
) -> AsyncIterator[types.CivilRegistration]:
    """civilRegistrationAdded: each new registration a registry officer's unit wrote (an admin: all), reloaded
    through fresh loaders after the commit, so the row scope and the field policy of a query apply to every
    event (an entry the subscriber may not see is not delivered)."""
    p = info.context.principal
    require(p, Role.OFFICER, domain=STORE)

    def match(event: Event) -> bool:
        data = event.payload
        if event.topic != CREATED:
            return False
        if register_type is not None and data.get("type") != register_type.name:
            return False
        return p.role == Role.ADMIN or (p.unit is not None and data.get("unit_code") == p.unit)

    async for event in follow(info, [CREATED], match):
        found = (await registrations_by_id(info, [str(event.payload["registration_id"])], False))[0]
        if found is not None:
            yield found
