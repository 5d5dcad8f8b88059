"""Field policy, row scoping, purpose and audit — the civil registry (DESIGN.md §6, auth/policy.py registry block).

The matrix is generated from the registry's POLICY entries: one query selects every guarded field of an entry
(and of its details, parents, spouses, people and notes); every role reads it through every path that reaches
an entry (root list, ``node``, a book's and a unit's connections, a citizen's list) and gets the value, its mask,
or no row at all — never more.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from govgraph.auth import masking
from govgraph.auth.identity import Principal, Role
from govgraph.auth.policy import NOT_PERSONAL, POLICY, REGISTRY_PARTY, REGISTRY_SUBJECTS
from govgraph.auth.scope import registry_scope
from govgraph.context import Context
from govgraph.datasources.registry import RegistryScope
from govgraph.events import Event, InProcessBus
from govgraph.resolvers.registry import CREATED
from govgraph.schema import build_schema
from govgraph.seed import PILOT_WARD, PILOT_WARD_LEGACY
from tests.conftest import GQL, Seeded

PILOT = {"unitCode": PILOT_WARD_LEGACY, "structure": "Y2025_01"}
OTHER_UNIT = "00004"

# Where each guarded type sits below a CivilRegistration.
PATHS: dict[str, list[tuple[str, ...]]] = {
    "CivilRegistration": [()],
    "BirthRegistration": [("birth",)],
    "RecordedParent": [("birth", "father"), ("birth", "mother")],
    "MarriageRegistration": [("marriage",)],
    "RecordedSpouse": [("marriage", "husband"), ("marriage", "wife")],
    "DeathRegistration": [("death",)],
    "RegistrationPerson": [("people",)],
    "MarginalNote": [("marginalNotes",)],
}
SUBSELECTION = {"RegistrationPerson.citizen": "{ id }"}
GUARDED = sorted(k for k in POLICY if k.split(".")[0] in REGISTRY_SUBJECTS)


def _selection() -> str:
    """Every guarded registry field, nested as in the schema: ``id type scanUri birth { fullName ... } ...``."""
    tree: dict[str, Any] = {"id": {}, "type": {}, "registrationDate": {}}
    for key in GUARDED:
        type_name, fname = key.split(".")
        for path in PATHS[type_name]:
            node = tree
            for step in path:
                node = node.setdefault(step, {})
            node[fname] = SUBSELECTION.get(key, {})

    def render(node: dict[str, Any]) -> str:
        parts = []
        for name, sub in node.items():
            if isinstance(sub, str):
                parts.append(f"{name} {sub}")
            elif sub:
                parts.append(f"{name} {{ {render(sub)} }}")
            else:
                parts.append(name)
        return " ".join(parts)

    return render(tree)


ENTRY = _selection()
BY_ID = f"query($id: ID!) {{ node(id: $id) {{ ... on CivilRegistration {{ {ENTRY} }} }} }}"


def guarded_values(entry: dict[str, Any] | None) -> dict[str, list[Any]]:
    """The value of every guarded field reached in one entry, by policy key (lists: a type may occur twice)."""
    out: dict[str, list[Any]] = {}
    if entry is None:
        return out
    for key in GUARDED:
        type_name, fname = key.split(".")
        for path in PATHS[type_name]:
            objs: list[Any] = [entry]
            for step in path:
                nxt: list[Any] = []
                for o in objs:
                    v = o.get(step) if isinstance(o, dict) else None
                    nxt.extend(v if isinstance(v, list) else [v])
                objs = nxt
            out.setdefault(key, []).extend(o[fname] for o in objs if isinstance(o, dict))
    return out


STAFF_ONLY = {k for k, p in POLICY.items() if k in GUARDED and REGISTRY_PARTY not in p.readers}
"""Fields the people named do not read either (who keyed the entry in)."""


def assert_full(seen: dict[str, Any] | None, full: dict[str, Any], citizen: bool = False) -> None:
    assert seen is not None
    got, real = guarded_values(seen), guarded_values(full)
    if citizen:
        for key in STAFF_ONLY:
            assert all(v is None for v in got.pop(key, [])), key
            real.pop(key, None)
    assert got == real


def assert_masked(seen: dict[str, Any] | None, full: dict[str, Any]) -> None:
    """Each guarded value is the field's mask of the real one (null for null masks), and differs from it."""
    assert seen is not None
    real, got = guarded_values(full), guarded_values(seen)
    for key, values in real.items():
        policy = POLICY[key]
        expected = [None if v is None else policy.otherwise(v) for v in values]
        if key == "RegistrationPerson.citizen":
            expected = [None for _ in values]
        assert got[key] == expected, key
        leaked = [v for v, g in zip(values, got[key], strict=True) if v is not None and g == v]
        assert not leaked, (key, leaked)


# ---------------------------------------------------------------------------------------------------------
# The entries and people the matrix reads
# ---------------------------------------------------------------------------------------------------------


@dataclass
class Cast:
    birth: dict[str, Any]
    """A 2016+ birth in the pilot's legacy ward, the child still in the population register."""
    child: str
    father: str
    marriage: dict[str, Any]
    """A marriage in the pilot's legacy ward."""
    death: dict[str, Any]
    stranger: str
    book_id: str


_CAST: dict[str, Cast] = {}


async def cast(as_admin: GQL, seeded: Seeded) -> Cast:
    if seeded.backend in _CAST:
        return _CAST[seeded.backend]
    query = (
        "query($f: CivilRegistrationFilter, $o: CivilRegistrationOrder) { "
        "civilRegistrations(filter: $f, orderBy: $o, first: 100) { nodes { "
        f"{ENTRY} people {{ role personalId }} book {{ id }} }} }} }}"
    )
    births = (await as_admin(query, {"f": {**PILOT, "type": "BIRTH", "registeredFrom": "2016-01-01"}}))["data"]
    birth = next(
        n
        for n in births["civilRegistrations"]["nodes"]
        if any(p["role"] == "CHILD" and p["citizen"] for p in n["people"])
        and any(p["role"] == "FATHER" and p["personalId"] in seeded.ctx.by_pid for p in n["people"])
    )
    child = next(p["personalId"] for p in birth["people"] if p["role"] == "CHILD")
    father = next(p["personalId"] for p in birth["people"] if p["role"] == "FATHER")
    marriages = (await as_admin(query, {"f": {**PILOT, "type": "MARRIAGE"}, "o": NEWEST}))["data"][
        "civilRegistrations"
    ]["nodes"]
    deaths = (await as_admin(query, {"f": {**PILOT, "type": "DEATH"}}))["data"]["civilRegistrations"]["nodes"]
    everyone = {p["personalId"] for n in [*births["civilRegistrations"]["nodes"], *marriages, *deaths]
                for p in n["people"]}  # fmt: skip
    stranger = next(
        p.pid
        for p in seeded.ctx.people
        if p.pid not in everyone and not set(seeded.ctx.children_of.get(p.pid, [])) & everyone
    )
    _CAST[seeded.backend] = Cast(
        birth=birth,
        child=child,
        father=father,
        marriage=marriages[0],
        death=deaths[0],
        stranger=stranger,
        book_id=birth["book"]["id"],
    )
    return _CAST[seeded.backend]


NEWEST = {"field": "REGISTRATION_DATE", "descending": True}


def officer(as_role: Callable[..., GQL], unit: str = PILOT_WARD, **claims: Any) -> GQL:
    claims.setdefault("domains", ("registry",))
    return as_role(Role.OFFICER, subject=f"hotich-{unit}", unit=unit, **claims)


# ---------------------------------------------------------------------------------------------------------
# Classification
# ---------------------------------------------------------------------------------------------------------


def test_every_registry_type_with_personal_data_is_classified() -> None:
    schema = build_schema()._schema
    for type_name in REGISTRY_SUBJECTS:
        for fname in schema.type_map[type_name].fields:  # type: ignore[attr-defined]
            key = f"{type_name}.{fname}"
            assert key in POLICY or key in NOT_PERSONAL, key
    # Register books are not personal; the entries' own bookkeeping is not either.
    assert "RegisterBook" not in REGISTRY_SUBJECTS
    assert "CivilRegistration.registrationDate" in NOT_PERSONAL
    assert len(GUARDED) >= 39


def test_the_sdl_says_who_reads_an_entry() -> None:
    sdl = build_schema().as_str()
    assert "Access: the people the registration names and their parents, registry officers of the unit" in sdl


# ---------------------------------------------------------------------------------------------------------
# The matrix: every role, every path
# ---------------------------------------------------------------------------------------------------------

PATH_QUERIES = {
    "root": (
        "query($f: CivilRegistrationFilter) { civilRegistrations(filter: $f, first: 100) { totalCount nodes { "
        f"{ENTRY} }} }} }}"
    ),
    "book": f"query($b: ID!) {{ node(id: $b) {{ ... on RegisterBook {{ entryCount registrations(first: 100) {{ "
    f"totalCount nodes {{ {ENTRY} }} }} }} }} }}",
    "unit": "query($u: String!, $t: RegisterType) { administrativeUnit(code: $u) { "
    f"civilRegistrations(type: $t, first: 100) {{ totalCount nodes {{ {ENTRY} }} }} }} }}",
}


async def reach(gql: GQL, entry: dict[str, Any], book_id: str) -> dict[str, Any]:
    """What each path returns: ``node``; the root list filtered to the entry's day (``root``, a list); the
    pilot's first page of that type (``unit``) and the first page of the entry's book (``book``, births), with
    their ``totalCount``s."""
    kind = entry["type"]
    seen: dict[str, Any] = {}
    seen["node"] = (await gql(BY_ID, {"id": entry["id"]}))["data"]["node"]
    day = {"registeredFrom": entry["registrationDate"], "registeredTo": entry["registrationDate"]}
    root = (await gql(PATH_QUERIES["root"], {"f": {**PILOT, "type": kind, **day}}))["data"]["civilRegistrations"]
    seen["root"], seen["root_count"] = root["nodes"], root["totalCount"]
    everything = (await gql("query($f: CivilRegistrationFilter) { civilRegistrations(filter: $f) { totalCount } }",
                            {"f": {**PILOT, "type": kind}}))  # fmt: skip
    seen["all_count"] = everything["data"]["civilRegistrations"]["totalCount"]
    unit = (await gql(PATH_QUERIES["unit"], {"u": PILOT_WARD, "t": kind}))["data"]["administrativeUnit"]
    conn = unit["civilRegistrations"] or {"nodes": [], "totalCount": 0}
    seen["unit"], seen["unit_count"] = conn["nodes"], conn["totalCount"]
    if kind == "BIRTH":
        book = (await gql(PATH_QUERIES["book"], {"b": book_id}))["data"]["node"]
        seen["book_entry_count"] = book["entryCount"]
        seen["book"], seen["book_count"] = book["registrations"]["nodes"], book["registrations"]["totalCount"]
    return seen


async def reach_all(gql: GQL, c: Cast) -> dict[str, dict[str, Any]]:
    return {e["type"]: await reach(gql, e, c.book_id) for e in (c.birth, c.marriage, c.death)}


def entries(c: Cast) -> dict[str, dict[str, Any]]:
    return {"BIRTH": c.birth, "MARRIAGE": c.marriage, "DEATH": c.death}


LISTS = ("root", "unit", "book")


def compare(seen: dict[str, Any], admin: dict[str, Any], check: Callable[[Any, dict[str, Any]], None]) -> None:
    """Every path returns the rows the admin gets, each passing ``check`` against the admin's version."""
    check(seen["node"], admin["node"])
    for path in LISTS:
        if path not in admin:
            continue
        assert [n["id"] for n in seen[path]] == [n["id"] for n in admin[path]], path
        assert seen[f"{path}_count"] == admin[f"{path}_count"], path
        assert admin[path], path
        for mine, theirs in zip(seen[path], admin[path], strict=True):
            check(mine, theirs)
    assert seen["all_count"] == admin["all_count"] > 0


async def test_admin_sees_everything_everywhere(as_admin: GQL, seeded: Seeded) -> None:
    c = await cast(as_admin, seeded)
    for kind, seen in (await reach_all(as_admin, c)).items():
        assert_full(seen["node"], entries(c)[kind])
        assert entries(c)[kind]["id"] in {n["id"] for n in seen["root"]}
        assert seen["unit_count"] >= seen["all_count"]  # the current ward keeps its legacy predecessor's books
        if kind == "BIRTH":
            assert seen["book_count"] == seen["book_entry_count"]


async def test_operator_sees_every_row_with_personal_fields_masked(
    as_role: Callable[..., GQL], as_admin: GQL, seeded: Seeded
) -> None:
    c = await cast(as_admin, seeded)
    admin = await reach_all(as_admin, c)
    for kind, seen in (await reach_all(as_role(Role.OPERATOR), c)).items():
        compare(seen, admin[kind], assert_masked)
    birth = (await reach(as_role(Role.OPERATOR), c.birth, c.book_id))["node"]
    assert birth["birth"]["fullName"] == masking.name(c.birth["birth"]["fullName"])
    assert birth["birth"]["personalId"] == masking.personal_id(c.child) != c.child


async def test_registry_officer_of_the_unit_reads_legacy_entries_with_a_purpose_and_is_audited(
    as_role: Callable[..., GQL], as_admin: GQL, seeded: Seeded
) -> None:
    """The pilot's current ward keeps the books of the legacy ward it was formed from."""
    c = await cast(as_admin, seeded)
    me = officer(as_role, purpose="Cấp bản sao trích lục khai sinh")
    admin = await reach_all(as_admin, c)
    for kind, seen in (await reach_all(me, c)).items():
        compare(seen, admin[kind], assert_full)  # every entry of the legacy ward, in full
    child = as_role(Role.CITIZEN, subject=c.child)
    log = await child("{ me { accessLog(first: 50) { nodes { reader purpose fields } } } }")
    mine = [e for e in log["data"]["me"]["accessLog"]["nodes"] if e["reader"] == f"hotich-{PILOT_WARD}"]
    assert mine and mine[0]["purpose"] == "Cấp bản sao trích lục khai sinh"
    assert "BirthRegistration.fullName" in {f for e in mine for f in e["fields"]}


async def test_registry_officer_without_a_purpose_is_refused(
    as_role: Callable[..., GQL], as_admin: GQL, seeded: Seeded
) -> None:
    c = await cast(as_admin, seeded)
    body = await officer(as_role, purpose=None)(BY_ID, {"id": c.birth["id"]}, expect_errors=True)
    assert {e["extensions"]["code"] for e in body["errors"]} == {"PURPOSE_REQUIRED"}
    # Bookkeeping alone needs no purpose.
    plain = await officer(as_role, purpose=None)(
        "query($id: ID!) { node(id: $id) { ... on CivilRegistration { type entryNumber registrationDate } } }",
        {"id": c.birth["id"]},
    )
    assert plain["data"]["node"]["type"] == "BIRTH"


def assert_nothing(seen: dict[str, Any], kind: str) -> None:
    assert seen["node"] is None, kind
    assert seen["root"] == seen["unit"] == [] and seen["root_count"] == seen["unit_count"] == seen["all_count"] == 0
    if kind == "BIRTH":
        assert seen["book"] == [] and seen["book_count"] == 0
        assert seen["book_entry_count"] > 0  # books and their tallies are not personal


@pytest.mark.parametrize(
    ("role", "claims"),
    [
        (Role.OFFICER, {"unit": OTHER_UNIT, "domains": ("registry",)}),  # registry officer of another unit
        (Role.OFFICER, {"unit": PILOT_WARD, "domains": ("population", "services")}),  # another domain, same unit
        (Role.TEACHER, {"school": "THCS-001"}),
        (Role.INSPECTOR, {}),
        (Role.DEVICE, {}),
    ],
)
async def test_other_staff_see_no_entries_and_count_zero(
    as_role: Callable[..., GQL], as_admin: GQL, seeded: Seeded, role: Role, claims: dict[str, Any]
) -> None:
    c = await cast(as_admin, seeded)
    gql = as_role(role, **claims)
    for kind, seen in (await reach_all(gql, c)).items():
        assert_nothing(seen, kind)
    books = await gql("{ registerBooks(first: 5) { totalCount nodes { printedNumber } } }")
    assert books["data"]["registerBooks"]["totalCount"] > 0


async def test_a_citizen_sees_the_entries_naming_them_and_those_of_their_children(
    as_role: Callable[..., GQL], as_admin: GQL, seeded: Seeded
) -> None:
    c = await cast(as_admin, seeded)
    # The child: their own birth entry, in full, on every path; nobody else's.
    child = as_role(Role.CITIZEN, subject=c.child)
    seen = await reach(child, c.birth, c.book_id)
    assert_full(seen["node"], c.birth, citizen=True)
    for path in ("root", "unit", "book"):
        assert_full(next(n for n in seen[path] if n["id"] == c.birth["id"]), c.birth, citizen=True)
        assert seen[f"{path}_count"] == len(seen[path])
    assert seen["book_count"] < seen["book_entry_count"]  # the count follows the scope, not the tally
    listed = await child("{ civilRegistrations(first: 100) { totalCount nodes { people { personalId } } } }")
    nodes = listed["data"]["civilRegistrations"]["nodes"]
    assert listed["data"]["civilRegistrations"]["totalCount"] == len(nodes) > 0
    children = set(seeded.ctx.children_of.get(c.child, []))
    for n in nodes:
        assert {p["personalId"] for p in n["people"]} & {c.child, *children}
    # The father is named in it too.
    father = as_role(Role.CITIZEN, subject=c.father)
    assert_full((await father(BY_ID, {"id": c.birth["id"]}))["data"]["node"], c.birth, citizen=True)
    # Through the population register: Citizen.civilRegistrations, for the person and for their parent.
    query = "query($p: String!) { citizen(personalId: $p) { civilRegistrations { id } } }"
    for reader in (child, as_role(Role.CITIZEN, subject=c.father)):
        via = await reader(query, {"p": c.child})
        assert c.birth["id"] in {r["id"] for r in via["data"]["citizen"]["civilRegistrations"]}


def test_a_citizens_scope_covers_their_children_by_personal_id() -> None:
    """Their children's entries need not name the parent (a child's marriage): the scope names the children."""
    parent = Principal(subject="001080000001", role=Role.CITIZEN)
    found = registry_scope(parent, ("001210000002", "001190000003"))
    assert found == RegistryScope(people=("001080000001", "001190000003", "001210000002"))
    sql = str(found.condition().compile(compile_kwargs={"literal_binds": True}))
    assert "registration_people" in sql and "001210000002" in sql
    assert registry_scope(Principal(subject="x", role=Role.TEACHER)) == RegistryScope()
    assert registry_scope(Principal.anonymous()) == RegistryScope()
    officer_scope = registry_scope(Principal(subject="o", role=Role.OFFICER, unit=PILOT_WARD, domains=("registry",)))
    assert (PILOT_WARD_LEGACY, "Y2025_01") in officer_scope.places and (PILOT_WARD, "Y2025_07") in officer_scope.places


async def test_another_citizen_sees_nothing(as_role: Callable[..., GQL], as_admin: GQL, seeded: Seeded) -> None:
    c = await cast(as_admin, seeded)
    stranger = as_role(Role.CITIZEN, subject=c.stranger)
    for kind, seen in (await reach_all(stranger, c)).items():
        assert_nothing(seen, kind)


async def test_citizen_registrations_of_a_person_follow_the_scope(
    as_role: Callable[..., GQL], as_admin: GQL, seeded: Seeded
) -> None:
    """Citizen.civilRegistrations: a registry officer of the citizen's unit sees only the entries kept there."""
    c = await cast(as_admin, seeded)
    query = "query($p: String!) { citizen(personalId: $p) { civilRegistrations { id registrationPlace { code } } } }"
    everything = (await as_admin(query, {"p": c.child}))["data"]["citizen"]["civilRegistrations"]
    both = officer(as_role, domains=("registry", "population"))
    seen = (await both(query, {"p": c.child}))["data"]["citizen"]["civilRegistrations"]
    assert c.birth["id"] in {r["id"] for r in seen}
    assert {r["id"] for r in seen} <= {r["id"] for r in everything}
    other = officer(as_role, OTHER_UNIT, domains=("registry", "population"))
    assert (await other(query, {"p": c.child}))["data"]["citizen"] is None


async def test_node_ids_are_opaque(as_admin: GQL, seeded: Seeded) -> None:
    c = await cast(as_admin, seeded)
    for e in entries(c).values():
        decoded = base64.b64decode(e["id"]).decode()
        type_name, _, key = decoded.partition(":")
        assert type_name == "CivilRegistration" and key.isdigit() and len(key) < 12
    assert base64.b64decode(c.book_id).decode().split(":")[1].isdigit()


# ---------------------------------------------------------------------------------------------------------
# civilRegistrationAdded: the reload after each event carries the subscriber's scope and the field policy
# ---------------------------------------------------------------------------------------------------------

SUBSCRIPTION = """subscription { civilRegistrationAdded { id birth { fullName personalId } } }"""


async def received(seeded: Seeded, principal: Principal, events: list[Event], wait: float = 1.0) -> list[Any]:
    """What a subscriber with ``principal`` receives while ``events`` are published (in-process bus). The
    subscription runs in one task from start to end (its context variables stay in one context)."""
    bus = InProcessBus()
    ctx = Context(stores=seeded.stores, principal=principal, bus=bus)
    out: list[Any] = []

    async def consume() -> None:
        gen = await build_schema().subscribe(SUBSCRIPTION, context_value=ctx)
        async for result in gen:
            out.append(result)

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.1)
    await bus.publish(events)
    for _ in range(int(wait / 0.05)):
        if out or task.done():
            break
        await asyncio.sleep(0.05)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return out


def _event(registration_id: str, unit: str) -> Event:
    rid = int(base64.b64decode(registration_id).decode().split(":")[1])
    return Event(CREATED, {"registration_id": rid, "type": "BIRTH", "unit_code": unit, "unit_structure": "Y2025_07"})


async def test_subscribers_get_only_entries_they_may_see(as_admin: GQL, seeded: Seeded) -> None:
    c = await cast(as_admin, seeded)
    purpose = "theo dõi đăng ký mới"
    # An officer of another unit: an event naming their unit but an entry they may not see is not delivered.
    other = Principal(subject="o", role=Role.OFFICER, unit=OTHER_UNIT, domains=("registry",), purpose=purpose)
    assert await received(seeded, other, [_event(c.birth["id"], OTHER_UNIT)]) == []
    # The officer of the unit that keeps it gets it, in full.
    mine = Principal(subject="m", role=Role.OFFICER, unit=PILOT_WARD, domains=("registry",), purpose=purpose)
    [result] = await received(seeded, mine, [_event(c.birth["id"], PILOT_WARD)], wait=5)
    assert result.errors is None
    assert result.data["civilRegistrationAdded"]["birth"]["personalId"] == c.child
    # Operators and citizens may not subscribe at all.
    for p in (
        Principal(subject="op", role=Role.OPERATOR, purpose=purpose),
        Principal(subject=c.child, role=Role.CITIZEN),
    ):
        [refused] = await received(seeded, p, [_event(c.birth["id"], PILOT_WARD)], wait=5)
        assert refused.errors and refused.data is None
