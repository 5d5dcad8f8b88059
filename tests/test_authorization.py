"""Field policy, row scoping, purpose and audit — the population register (DESIGN.md §6, auth/policy.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest

from govgraph.auth import masking
from govgraph.auth.identity import Role
from govgraph.auth.policy import NOT_PERSONAL, POLICY, SUBJECTS
from govgraph.auth.rules import GUARDIAN, SELF, Officer
from govgraph.schema import build_schema
from govgraph.seed import PILOT_WARD
from tests.conftest import GQL, Seeded

PERSON = """query($p: String!) { citizen(personalId: $p) {
  personalId fullName phone dateOfBirth permanentAddress { text unit { code } } identityDocuments { number }
  parents { citizen { fullName } } } }"""


def family(seeded: Seeded) -> tuple[Any, Any]:
    """A resident of the pilot ward with a parent there too."""
    child = next(p for p in seeded.ctx.by_unit[PILOT_WARD] if p.father and p.phone)
    return child, seeded.ctx.by_pid[child.father]


def test_every_field_of_a_personal_type_has_a_policy_entry() -> None:
    """Default deny: a new field on a type holding personal data must be classified before it ships."""
    schema = build_schema()._schema
    unclassified = []
    for type_name in SUBJECTS:
        gql_type = schema.type_map[type_name]
        for fname in gql_type.fields:  # type: ignore[attr-defined]
            key = f"{type_name}.{fname}"
            if key not in POLICY and key not in NOT_PERSONAL:
                unclassified.append(key)
    assert not unclassified, f"classify these in govgraph/auth/policy.py: {unclassified}"
    stale = [k for k in NOT_PERSONAL if k.split(".")[1] not in schema.type_map[k.split(".")[0]].fields]  # type: ignore[attr-defined]
    assert not stale, stale


def test_guarded_fields_say_who_may_read_them_in_the_sdl() -> None:
    sdl = build_schema().as_str()
    assert "Access: the person themselves, their parent, officers of the population store" in sdl
    assert sdl.count("Access:") >= len(POLICY)


async def test_operator_sees_the_city_with_personal_data_masked(as_role: Callable[..., GQL], seeded: Seeded) -> None:
    child, _ = family(seeded)
    body = await as_role(Role.OPERATOR)(PERSON, {"p": child.pid})
    c = body["data"]["citizen"]
    assert c["personalId"] == masking.personal_id(child.pid) != child.pid
    assert c["phone"] == masking.phone(child.phone)
    assert c["fullName"] == masking.name(child.name.full)
    assert c["dateOfBirth"] is None and c["permanentAddress"] is None
    assert c["identityDocuments"] is None and c["parents"] is None


async def test_officer_of_the_unit_reads_with_a_purpose_and_is_audited(
    as_role: Callable[..., GQL], seeded: Seeded
) -> None:
    child, _ = family(seeded)
    officer = as_role(Role.OFFICER, subject="canbo-cuanam-01", unit=PILOT_WARD, domains=("population",),
                      purpose="Xác minh hồ sơ cư trú")  # fmt: skip
    body = await officer(PERSON, {"p": child.pid})
    assert body["data"]["citizen"]["personalId"] == child.pid
    assert body["data"]["citizen"]["phone"] == child.phone
    me = as_role(Role.CITIZEN, subject=child.pid)
    log = await me("{ me { accessLog(first: 20) { nodes { reader readerRole purpose fields } } } }")
    entries = log["data"]["me"]["accessLog"]["nodes"]
    mine = [e for e in entries if e["reader"] == "canbo-cuanam-01"]
    assert mine and mine[0]["purpose"] == "Xác minh hồ sơ cư trú" and mine[0]["readerRole"] == "officer"
    assert {"Citizen.personalId", "Citizen.phone"} <= set(mine[0]["fields"])


async def test_staff_read_without_a_purpose_is_refused(as_role: Callable[..., GQL], seeded: Seeded) -> None:
    child, _ = family(seeded)
    officer = as_role(Role.OFFICER, unit=PILOT_WARD, domains=("population",), purpose=None)
    body = await officer(PERSON, {"p": child.pid}, expect_errors=True)
    assert {e["extensions"]["code"] for e in body["errors"]} == {"PURPOSE_REQUIRED"}
    purpose = quote("Giải quyết hồ sơ 123")  # headers are ASCII: UTF-8 purposes are percent-encoded
    with_header = await officer(PERSON, {"p": child.pid}, headers={"X-Purpose": purpose})
    assert with_header["data"]["citizen"]["personalId"] == child.pid


async def test_officer_of_another_unit_sees_no_rows(as_role: Callable[..., GQL], seeded: Seeded) -> None:
    child, _ = family(seeded)
    other = as_role(Role.OFFICER, unit="00004", domains=("population",))
    assert (await other(PERSON, {"p": child.pid}))["data"]["citizen"] is None
    listed = await other(
        "query($u: String!) { citizens(filter: {unitCode: $u}) { totalCount } "
        "administrativeUnit(code: $u) { residents { totalCount } } }",
        {"u": PILOT_WARD},
    )
    assert listed["data"]["citizens"]["totalCount"] == 0  # the count respects the scope too
    assert listed["data"]["administrativeUnit"]["residents"]["totalCount"] == 0
    own = await other("{ citizens { totalCount } }")
    assert own["data"]["citizens"]["totalCount"] == len(seeded.ctx.by_unit["00004"])


async def test_citizen_sees_themselves_and_their_children_only(as_role: Callable[..., GQL], seeded: Seeded) -> None:
    child, parent = family(seeded)
    me = as_role(Role.CITIZEN, subject=parent.pid)
    listed = await me("{ citizens(first: 100) { totalCount nodes { personalId } } }")
    seen = {n["personalId"] for n in listed["data"]["citizens"]["nodes"]}
    assert seen == {parent.pid, *seeded.ctx.children_of[parent.pid]}
    assert (await me(PERSON, {"p": child.pid}))["data"]["citizen"]["phone"] == child.phone  # a parent
    stranger = next(p for p in seeded.ctx.people if p.pid not in seen)
    assert (await me(PERSON, {"p": stranger.pid}))["data"]["citizen"] is None


async def test_node_ids_are_opaque_and_scoped(as_role: Callable[..., GQL], as_admin: GQL, seeded: Seeded) -> None:
    import base64

    child, _ = family(seeded)
    nid = (await as_admin("query($p: String!) { citizen(personalId: $p) { id } }", {"p": child.pid}))["data"][
        "citizen"
    ]["id"]
    assert child.pid not in base64.b64decode(nid + "==").decode()
    query = "query($id: ID!) { node(id: $id) { ... on Citizen { fullName } } }"
    assert (await as_admin(query, {"id": nid}))["data"]["node"] == {"fullName": child.name.full}
    other = as_role(Role.OFFICER, unit="00004", domains=("population",))
    assert (await other(query, {"id": nid}))["data"]["node"] is None


@pytest.mark.parametrize("role", [Role.TEACHER, Role.INSPECTOR, Role.DEVICE])
async def test_roles_without_population_access_see_nothing(
    as_role: Callable[..., GQL], seeded: Seeded, role: Role
) -> None:
    child, _ = family(seeded)
    body = await as_role(role)(PERSON, {"p": child.pid})
    assert body["data"]["citizen"] is None


async def test_only_admins_search_the_audit_trail(as_role: Callable[..., GQL], as_admin: GQL) -> None:
    body = await as_admin("{ auditLog(first: 5) { totalCount } }")
    assert body["data"]["auditLog"]["totalCount"] >= 0
    refused = await as_role(Role.OPERATOR)("{ auditLog(first: 5) { totalCount } }", expect_errors=True)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_readers_describe_themselves() -> None:
    assert SELF.label and GUARDIAN.label and Officer("population").label.startswith("officers of the population")
