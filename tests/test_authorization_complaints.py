"""Who may see what in the complaints store: row scopes, the field policy on cases, history and complainants,
and the denouncer's confidentiality (Law on Denunciations Art. 56, DOMAIN.md §6.3), on both backends.

Every test files its own cases in a ward without seeded cases (``UNIT``), so the seeded data stays as it was.
The role matrix is generated from the complaints entries of ``POLICY``: for each guarded field, each role and
each path to the case (``case``, ``node``, the ``cases`` list, ``AdministrativeUnit.cases``), the value is either
the true one (allowed readers) or null / the policy's mask (everyone else), and the rows and counts a role gets
follow the row scope.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio
import websockets
from sqlalchemy import delete, select
from starlette.applications import Starlette
from websockets.typing import Subprotocol

from govgraph.auth import masking
from govgraph.auth.identity import Role
from govgraph.auth.policy import NOT_PERSONAL, POLICY, SUBJECTS
from govgraph.auth.rules import ADMIN, OPERATOR
from govgraph.datasources import complaints as ds
from govgraph.datasources.places import LEGACY, gazetteer
from govgraph.seed import PILOT_WARD
from tests.conftest import GQL, Seeded, token_for
from tests.test_complaints_mutations import people

UNIT = "00103"  # a ward with no seeded cases (and not the one the mutation tests use)
OTHER_UNIT = "00118"
RESOLVER = "TTr-AZ-01"
DESIGNATED_STAFF = "TCD-AZ-09"
TYPES = ("Case", "CaseEvent", "Complainant", "DenouncerIdentity")
ENTRIES = {k: v for k, v in POLICY.items() if k.split(".")[0] in TYPES}

# How each guarded field is selected on a case, and how its value is read back from the case node.
SELECT = {
    "Case.subject": "subject",
    "Case.contestedAct": "contestedAct",
    "Case.contestedOn": "contestedOn",
    "Case.outcome": "outcome",
    "Case.complainant": "complainant { id }",
    "Case.denouncer": "denouncer { fullName }",
    "CaseEvent.actor": "history { actor { staffId name } }",
    "CaseEvent.note": "history { note }",
    "Complainant.fullName": "complainants { fullName }",
    "Complainant.address": "complainants { address }",
    "Complainant.phone": "complainants { phone }",
    "Complainant.citizen": "complainants { citizen { id } }",
    "DenouncerIdentity.fullName": "denouncer { fullName }",
    "DenouncerIdentity.personalId": "denouncer { personalId }",
    "DenouncerIdentity.address": "denouncer { address }",
    "DenouncerIdentity.phone": "denouncer { phone }",
}


@pytest_asyncio.fixture(autouse=True)
async def _remove_filed_cases(seeded: Seeded) -> AsyncIterator[None]:
    """The seeded data is shared by the session: remove what these tests filed in ``UNIT`` afterwards."""
    yield
    c = ds.cases.c
    mine = select(c.code).where(c.unit_code == UNIT).scalar_subquery()
    tokens = select(c.denouncer_token).where(c.unit_code == UNIT, c.denouncer_token.is_not(None)).scalar_subquery()
    async with seeded.stores["complaints"].begin() as conn:
        await conn.execute(delete(ds.denouncer_readers).where(ds.denouncer_readers.c.case_code.in_(mine)))
        await conn.execute(delete(ds.case_events).where(ds.case_events.c.case_code.in_(mine)))
        await conn.execute(delete(ds.complainants).where(ds.complainants.c.case_code.in_(mine)))
        await conn.execute(delete(ds.denouncer_identities).where(ds.denouncer_identities.c.token.in_(tokens)))
        await conn.execute(delete(ds.cases).where(c.unit_code == UNIT))


def read(node: dict[str, Any], key: str) -> Any:
    """The values of ``key`` on a case node (a list for fields of history entries and complainants)."""
    type_name, field = key.split(".")
    if key == "Case.denouncer":
        return None if node["denouncer"] is None else node["denouncer"]["fullName"]
    if type_name == "Case":
        return node[field]
    if type_name == "CaseEvent":
        return [e[field] for e in node["history"]]
    if type_name == "Complainant":
        return [c[field] for c in node["complainants"]]
    return None if node["denouncer"] is None else node["denouncer"][field]


CASE_SELECTION = "id code kind " + " ".join(sorted(set(SELECT.values())))


@dataclass
class Filed:
    complaint: str
    denunciation: str
    complainant: str
    denouncer: str
    denouncer_name: str
    denouncer_phone: str
    denouncer_address: str


FILE = """mutation($in: CaseFileInput!) { caseFile(input: $in) { case { code } userErrors { code message } } }"""


async def step(gql: GQL, name: str, input_type: str, data: dict[str, Any]) -> dict[str, Any]:
    body = await gql(
        f"mutation($in: {input_type}!) {{ {name}(input: $in) {{ case {{ code status }} userErrors {{ code }} }} }}",
        {"in": data},
    )
    payload: dict[str, Any] = body["data"][name]
    assert payload["userErrors"] == [], payload
    return payload


async def file_cases(as_role: Callable[..., GQL], seeded: Seeded, skip: int) -> Filed:
    """A complaint and a denunciation in ``UNIT``, both accepted and assigned to ``RESOLVER``; the resolver
    designates ``DESIGNATED_STAFF`` (an officer of another unit) to read the denouncer's identity."""
    complainant, denouncer = people(seeded, 2, skip=skip)
    staff = as_role(Role.OFFICER, subject="TCD-AZ-01", unit=UNIT, domains=("complaints",))
    comp = await as_role(Role.CITIZEN, subject=complainant)(
        FILE,
        {
            "in": {
                "kind": "COMPLAINT",
                "unitCode": UNIT,
                "subject": "Khiếu nại quyết định thu hồi đất của gia đình tôi",
                "petitioner": {"personalId": complainant, "phone": "0912345678", "address": "12 Ngõ Huế"},
                "contestedAct": "Quyết định số 45/QĐ-UBND",
                "contestedOn": (ds.hanoi_today().replace(day=1)).isoformat(),
            }
        },
    )
    name, phone, address = "Nguyễn Thị Tố Cáo", "0987654321", "99 Phố Bí Mật"
    den = await as_role(Role.CITIZEN, subject=denouncer)(
        FILE,
        {
            "in": {
                "kind": "DENUNCIATION",
                "unitCode": UNIT,
                "subject": f"Tôi là {name}, số điện thoại {phone}, tố cáo cán bộ thu tiền sai quy định",
                "petitioner": {"personalId": denouncer, "fullName": name, "phone": phone, "address": address},
            }
        },
    )
    codes = []
    for body in (comp, den):
        payload = body["data"]["caseFile"]
        assert payload["userErrors"] == [], payload
        code = payload["case"]["code"]
        codes.append(code)
        await step(staff, "caseClassify", "CaseClassifyInput", {"code": code})
        await step(staff, "caseAccept", "CaseAcceptInput", {"code": code, "note": "Thụ lý"})
        await step(
            staff,
            "caseAssign",
            "CaseAssignInput",
            {"code": code, "inspectorId": RESOLVER, "inspectorName": "Thanh Tra Giải Quyết"},
        )
    resolver = as_role(Role.INSPECTOR, subject=RESOLVER)
    await step(
        resolver,
        "caseDesignateReader",
        "CaseDesignateReaderInput",
        {"code": codes[1], "staffId": DESIGNATED_STAFF, "reason": "Cán bộ tiếp nhận, xử lý đơn"},
    )
    return Filed(codes[0], codes[1], complainant, denouncer, name, phone, address)


# The roles of the matrix: (name, token role, claims). ``owner`` is the petitioner of the case at hand.
ROLES: list[tuple[str, Role, dict[str, Any]]] = [
    ("owner", Role.CITIZEN, {}),
    ("other_citizen", Role.CITIZEN, {"subject": "001087123456"}),
    ("officer_unit", Role.OFFICER, {"subject": "TCD-AZ-02", "unit": UNIT, "domains": ("complaints",)}),
    ("officer_other_unit", Role.OFFICER, {"subject": "TCD-AZ-03", "unit": OTHER_UNIT, "domains": ("complaints",)}),
    ("officer_other_domain", Role.OFFICER, {"subject": "TCD-AZ-04", "unit": UNIT, "domains": ("population",)}),
    ("designated", Role.OFFICER, {"subject": DESIGNATED_STAFF, "unit": OTHER_UNIT, "domains": ("complaints",)}),
    ("inspector_assigned", Role.INSPECTOR, {"subject": RESOLVER}),
    ("inspector_other", Role.INSPECTOR, {"subject": "TTr-AZ-77"}),
    ("teacher", Role.TEACHER, {"school": "THCS-1"}),
    ("device", Role.DEVICE, {}),
    ("operator", Role.OPERATOR, {}),
    ("admin", Role.ADMIN, {}),
]

ROWS = {
    "COMPLAINT": {"owner", "officer_unit", "inspector_assigned", "operator", "admin"},
    "DENUNCIATION": {"owner", "officer_unit", "designated", "inspector_assigned", "operator", "admin"},
}
"""Who gets the case row at all (row scope)."""


def allowed(key: str, kind: str, role: str) -> bool:
    """Who reads the true value of a guarded field (the policy's readers, spelled out per role)."""
    policy = POLICY[key]
    if ADMIN in policy.readers:  # the case file
        readers = {"owner", "officer_unit", "inspector_assigned", "admin"}
        if kind == "DENUNCIATION":
            readers.add("designated")
        return role in readers
    # The denouncer's identity: the resolver, the designated officer, the denouncer; never admins/operators.
    return kind == "DENUNCIATION" and role in {"owner", "inspector_assigned", "designated"}


def gql_for(as_role: Callable[..., GQL], role: str, owner: str) -> GQL:
    _, token_role, claims = next(r for r in ROLES if r[0] == role)
    if role == "owner":
        claims = {"subject": owner}
    return as_role(token_role, **claims)


PATHS = f"""query($code: String!, $id: ID!, $u: String!) {{
  case(code: $code) {{ {CASE_SELECTION} }}
  node(id: $id) {{ ... on Case {{ {CASE_SELECTION} }} }}
  cases(filter: {{unitCode: $u}}, first: 100) {{ totalCount nodes {{ {CASE_SELECTION} }} }}
  administrativeUnit(code: $u) {{ cases(first: 100) {{ totalCount nodes {{ {CASE_SELECTION} }} }} }}
  caseStatistics(unitCode: $u) {{ total byKind {{ kind count }} }}
}}"""


def test_every_complaints_type_holding_personal_data_is_classified() -> None:
    assert set(TYPES) <= set(SUBJECTS)
    assert set(SELECT) == set(ENTRIES), "add a selection for each new complaints POLICY entry"
    for key in ("Case.code", "Case.status", "CaseEvent.status", "Complainant.lead"):
        assert key in NOT_PERSONAL
    # Law on Denunciations Art. 56: neither admins nor operators read the identity.
    for key, policy in ENTRIES.items():
        if key == "Case.denouncer" or key.startswith("DenouncerIdentity."):
            assert ADMIN not in policy.readers and OPERATOR not in policy.readers, key


async def test_role_matrix_over_every_path(as_role: Callable[..., GQL], as_admin: GQL, seeded: Seeded) -> None:
    filed = await file_cases(as_role, seeded, skip=300)
    truth: dict[str, dict[str, Any]] = {}
    for kind, code in (("COMPLAINT", filed.complaint), ("DENUNCIATION", filed.denunciation)):
        body = await as_admin(f"query($c: String!) {{ case(code: $c) {{ {CASE_SELECTION} }} }}", {"c": code})
        truth[kind] = body["data"]["case"]
    # The denouncer as sealed (admins get null: the truth comes from the store).
    sealed = {"fullName": filed.denouncer_name, "personalId": filed.denouncer, "phone": filed.denouncer_phone,
              "address": filed.denouncer_address}  # fmt: skip
    assert truth["DENUNCIATION"]["denouncer"] is None
    assert truth["COMPLAINT"]["complainants"][0]["phone"] == "0912345678"
    for role, _, _ in ROLES:
        for kind, code in (("COMPLAINT", filed.complaint), ("DENUNCIATION", filed.denunciation)):
            owner = filed.complainant if kind == "COMPLAINT" else filed.denouncer
            gql = gql_for(as_role, role, owner)
            body = await gql(PATHS, {"code": code, "id": truth[kind]["id"], "u": UNIT})
            d = body["data"]
            found = [
                d["case"],
                d["node"] or None,
                next((n for n in d["cases"]["nodes"] if n["code"] == code), None),
                next((n for n in d["administrativeUnit"]["cases"]["nodes"] if n["code"] == code), None),
            ]
            visible = role in ROWS[kind]
            assert all((n is not None) == visible for n in found), (role, kind, found)
            # Counts respect the scope: totals equal what the lists show.
            assert d["cases"]["totalCount"] == len(d["cases"]["nodes"])
            assert d["administrativeUnit"]["cases"]["totalCount"] == len(d["administrativeUnit"]["cases"]["nodes"])
            assert d["caseStatistics"]["total"] == d["cases"]["totalCount"]
            if not visible:
                continue
            for node in found:
                assert node is not None
                for key in ENTRIES:
                    got = read(node, key)
                    if key.startswith("DenouncerIdentity.") or key == "Case.denouncer":
                        field = key.split(".")[1] if key != "Case.denouncer" else "fullName"
                        want = sealed[field] if kind == "DENUNCIATION" else None
                    else:
                        want = read(truth[kind], key)
                    if allowed(key, kind, role):
                        assert got == want, (role, kind, key, got, want)
                        continue
                    mask = POLICY[key].otherwise
                    masked = [mask(v) for v in want] if isinstance(want, list) else mask(want)
                    if mask is masking.null and isinstance(want, list):
                        masked = [None] * len(want)
                    assert got == masked, (role, kind, key, got)


async def test_officer_without_a_purpose_is_refused(as_role: Callable[..., GQL], seeded: Seeded) -> None:
    filed = await file_cases(as_role, seeded, skip=310)
    q = "query($c: String!) { case(code: $c) { code subject complainants { fullName } } }"
    officer = as_role(Role.OFFICER, subject="TCD-AZ-05", unit=UNIT, domains=("complaints",), purpose=None)
    body = await officer(q, {"c": filed.complaint}, expect_errors=True)
    assert {e["extensions"]["code"] for e in body["errors"]} == {"PURPOSE_REQUIRED"}
    resolver = as_role(Role.INSPECTOR, subject=RESOLVER, purpose=None)
    body = await resolver("query($c: String!) { case(code: $c) { denouncer { fullName } } }",
                          {"c": filed.denunciation}, expect_errors=True)  # fmt: skip
    assert {e["extensions"]["code"] for e in body["errors"]} == {"PURPOSE_REQUIRED"}
    assert body["data"]["case"]["denouncer"] is None
    # The denouncer reading their own identity needs no purpose (it is not a staff read).
    me = as_role(Role.CITIZEN, subject=filed.denouncer)
    own = await me("query($c: String!) { case(code: $c) { denouncer { fullName personalId } } }",
                   {"c": filed.denunciation})  # fmt: skip
    assert own["data"]["case"]["denouncer"] == {"fullName": filed.denouncer_name, "personalId": filed.denouncer}


async def test_unsealing_is_audited_without_linking_the_denouncer(
    as_role: Callable[..., GQL], as_admin: GQL, seeded: Seeded
) -> None:
    filed = await file_cases(as_role, seeded, skip=320)
    q = "query($c: String!) { case(code: $c) { denouncer { fullName personalId phone address } } }"
    purpose = "Giai quyet to cao"
    for subject, role, claims in (
        (RESOLVER, Role.INSPECTOR, {}),
        (DESIGNATED_STAFF, Role.OFFICER, {"unit": OTHER_UNIT, "domains": ("complaints",)}),
    ):
        gql = as_role(role, subject=subject, purpose=f"{purpose} {subject}", **claims)
        got = (await gql(q, {"c": filed.denunciation}))["data"]["case"]["denouncer"]
        assert got == {"fullName": filed.denouncer_name, "personalId": filed.denouncer,
                       "phone": filed.denouncer_phone, "address": filed.denouncer_address}  # fmt: skip
        log = await as_admin(
            "query($r: String!) { auditLog(filter: {reader: $r}, first: 50) { nodes { record fields purpose } } }",
            {"r": subject},
        )
        entries = [e for e in log["data"]["auditLog"]["nodes"] if e["record"] == f"Case:{filed.denunciation}"]
        assert entries and "Case.denouncer" in entries[0]["fields"]
        assert entries[0]["purpose"] == f"{purpose} {subject}"
    # Nothing in the audit trail ties the denouncer's personal ID to the case (admins could search it).
    linked = await as_admin(
        "query($p: String!) { auditLog(filter: {subjectPersonalId: $p}, first: 100) { nodes { record fields } } }",
        {"p": filed.denouncer},
    )
    assert all(e["record"] != f"Case:{filed.denunciation}" for e in linked["data"]["auditLog"]["nodes"])
    # A complaint's complainant is not anonymous: an officer's read shows in their own accessLog.
    officer = as_role(Role.OFFICER, subject="TCD-AZ-06", unit=UNIT, domains=("complaints",), purpose="Xu ly don")
    await officer("query($c: String!) { case(code: $c) { subject complainants { phone } } }", {"c": filed.complaint})
    me = as_role(Role.CITIZEN, subject=filed.complainant)
    log = await me("{ me { accessLog(first: 20) { nodes { reader purpose record fields } } } }")
    mine = [e for e in log["data"]["me"]["accessLog"]["nodes"] if e["reader"] == "TCD-AZ-06"]
    assert mine and mine[0]["record"] == f"Case:{filed.complaint}" and mine[0]["purpose"] == "Xu ly don"
    assert {"Case.subject", "Complainant.phone"} <= set(mine[0]["fields"])


async def test_the_identity_appears_nowhere_else(
    as_role: Callable[..., GQL], as_admin: GQL, seeded: Seeded, app: Starlette
) -> None:
    sub = app.state.bus.subscribe(["complaints."])
    filed = await file_cases(as_role, seeded, skip=330)
    secrets = [filed.denouncer_name, filed.denouncer, filed.denouncer_phone, filed.denouncer_address]
    events = []
    while not sub.queue.empty():
        events.append(sub.queue.get_nowait())
    sub.close()
    assert events and all(s not in json.dumps(e.payload, default=str) for e in events for s in secrets)
    everything = (
        "code subject outcome contestedAct history { note actor { staffId name } } "
        "complainant { id } complainants { fullName }"
    )
    resolver = as_role(Role.INSPECTOR, subject=RESOLVER)
    for gql in (resolver, as_admin, as_role(Role.OPERATOR)):
        body = await gql(
            f"query($c: String!, $u: String!) {{ case(code: $c) {{ {everything} }} "
            f"cases(filter: {{unitCode: $u}}) {{ nodes {{ {everything} }} }} }}",
            {"c": filed.denunciation, "u": UNIT},
        )
        text = json.dumps(body["data"], ensure_ascii=False)
        assert all(s not in text for s in secrets)
    # The filing citizen's history entry names them only as "the denouncer".
    history = (await as_admin("query($c: String!) { case(code: $c) { history { actor { staffId } } } }",
                              {"c": filed.denunciation}))["data"]["case"]["history"]  # fmt: skip
    assert history[0]["actor"]["staffId"] == "NGUOI-TO-CAO"
    # The denouncer does not find the denunciation among their complaints.
    me = as_role(Role.CITIZEN, subject=filed.denouncer)
    mine = await me("query($p: String!) { citizen(personalId: $p) { complaints { code } } }", {"p": filed.denouncer})
    assert mine["data"]["citizen"]["complaints"] == []


async def test_designation_is_the_resolvers_alone(as_role: Callable[..., GQL], seeded: Seeded) -> None:
    filed = await file_cases(as_role, seeded, skip=340)
    q = """mutation($in: CaseDesignateReaderInput!) { caseDesignateReader(input: $in) {
      case { code } userErrors { field code } } }"""
    data = {"code": filed.denunciation, "staffId": "TCD-AZ-99", "reason": "Xử lý đơn"}
    for gql in (
        as_role(Role.ADMIN),
        as_role(Role.OPERATOR),
        as_role(Role.OFFICER, subject="TCD-AZ-02", unit=UNIT, domains=("complaints",)),
        as_role(Role.INSPECTOR, subject="TTr-AZ-77"),
        as_role(Role.CITIZEN, subject=filed.denouncer),
    ):
        body = await gql(q, {"in": data}, expect_errors=True)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    resolver = as_role(Role.INSPECTOR, subject=RESOLVER)
    refused = (await resolver(q, {"in": {**data, "code": filed.complaint}}))["data"]["caseDesignateReader"]
    assert refused["userErrors"][0]["code"] == "NOT_DENUNCIATION"
    blank = (await resolver(q, {"in": {**data, "reason": " "}}))["data"]["caseDesignateReader"]
    assert blank["userErrors"][0]["code"] == "REQUIRED"
    # Revoked: the designated officer loses the case and the identity.
    designated = as_role(Role.OFFICER, subject=DESIGNATED_STAFF, unit=OTHER_UNIT, domains=("complaints",))
    read = "query($c: String!) { case(code: $c) { denouncer { fullName } } }"
    assert (await designated(read, {"c": filed.denunciation}))["data"]["case"]["denouncer"] is not None
    revoke = {"code": filed.denunciation, "staffId": DESIGNATED_STAFF, "reason": "Hết nhiệm vụ", "revoke": True}
    assert (await resolver(q, {"in": revoke}))["data"]["caseDesignateReader"]["userErrors"] == []
    assert (await designated(read, {"c": filed.denunciation}))["data"]["case"] is None
    # Reassigning the case voids the old resolver's designations and its access.
    again = {"code": filed.denunciation, "staffId": DESIGNATED_STAFF, "reason": "Giao lại"}
    assert (await resolver(q, {"in": again}))["data"]["caseDesignateReader"]["userErrors"] == []
    staff = as_role(Role.OFFICER, subject="TCD-AZ-01", unit=UNIT, domains=("complaints",))
    await step(staff, "caseAssign", "CaseAssignInput",
               {"code": filed.denunciation, "inspectorId": "TTr-AZ-02", "inspectorName": "Người Mới"})  # fmt: skip
    assert (await designated(read, {"c": filed.denunciation}))["data"]["case"] is None
    assert (await resolver(read, {"c": filed.denunciation}))["data"]["case"] is None
    new = as_role(Role.INSPECTOR, subject="TTr-AZ-02")
    assert (await new(read, {"c": filed.denunciation}))["data"]["case"]["denouncer"]["fullName"] == filed.denouncer_name


async def test_citizen_complaints_are_row_scoped(as_role: Callable[..., GQL], seeded: Seeded) -> None:
    filed = await file_cases(as_role, seeded, skip=350)
    q = "query($p: String!) { citizen(personalId: $p) { complaints { code } } }"
    me = as_role(Role.CITIZEN, subject=filed.complainant)
    assert (await me(q, {"p": filed.complainant}))["data"]["citizen"]["complaints"] == [{"code": filed.complaint}]
    listed = await me("{ cases(first: 100) { totalCount nodes { code } } caseStatistics { total } }")
    codes = {n["code"] for n in listed["data"]["cases"]["nodes"]}
    assert filed.complaint in codes and filed.denunciation not in codes
    assert listed["data"]["caseStatistics"]["total"] == listed["data"]["cases"]["totalCount"] == len(codes)
    den = as_role(Role.CITIZEN, subject=filed.denouncer)
    theirs = await den("{ cases(first: 100) { nodes { code kind } } }")
    assert {"code": filed.denunciation, "kind": "DENUNCIATION"} in theirs["data"]["cases"]["nodes"]


async def test_officers_see_legacy_ward_cases_of_their_unit(as_role: Callable[..., GQL], as_admin: GQL) -> None:
    legacy = set(gazetteer().legacy_codes_of(PILOT_WARD))
    officer = as_role(Role.OFFICER, subject="TCD-AZ-07", unit=PILOT_WARD, domains=("complaints",))
    q = (
        "query($s: String) { cases(filter: {unitStructure: $s}, first: 100) "
        "{ totalCount nodes { code handlingUnit { code } } } }"
    )
    old = (await officer(q, {"s": LEGACY.value}))["data"]["cases"]
    assert old["totalCount"] > 0 and all(n["handlingUnit"]["code"] in legacy for n in old["nodes"])
    everyone = (await as_admin(q, {"s": LEGACY.value}))["data"]["cases"]["totalCount"]
    assert old["totalCount"] < everyone  # other legacy wards are not theirs
    stats = await officer("{ caseStatistics { total } cases { totalCount } }")
    assert stats["data"]["caseStatistics"]["total"] == stats["data"]["cases"]["totalCount"]
    far = as_role(Role.OFFICER, subject="TCD-AZ-08", unit=OTHER_UNIT, domains=("complaints",))
    assert (await far(q, {"s": LEGACY.value}))["data"]["cases"]["totalCount"] == 0


async def test_node_ids_carry_no_personal_id(as_role: Callable[..., GQL], as_admin: GQL, seeded: Seeded) -> None:
    import base64

    store = seeded.stores["complaints"]
    rows = await store.all(select(ds.complainants.c.case_code, ds.complainants.c.pid).limit(5))
    for row in rows:
        code, pid = row.case_code, row.pid
        nid = (await as_admin("query($c: String!) { case(code: $c) { id } }", {"c": code}))["data"]["case"]["id"]
        decoded = base64.b64decode(nid + "==").decode()
        assert decoded == f"Case:{code}" and (pid is None or pid not in decoded)


# ---------------------------------------------------------------------------------------------------------
# caseUpdated: each subscriber gets what they may see
# ---------------------------------------------------------------------------------------------------------

PROTOCOL = Subprotocol("graphql-transport-ws")
SUBSCRIBE = "subscription($c: String) { caseUpdated(code: $c) { code status subject denouncer { fullName } } }"


async def open_subscription(live_server: Any, code: str, role: Role, **claims: Any) -> Any:
    token = token_for(live_server.settings, role, **claims)
    ws = await websockets.connect(live_server.url.replace("http://", "ws://") + "/graphql", subprotocols=[PROTOCOL])
    await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}))
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    payload = {"query": SUBSCRIBE, "variables": {"c": code}}
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
    return ws


async def next_update(ws: Any) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
    assert message["type"] == "next", message
    data: dict[str, Any] = message["payload"]["data"]["caseUpdated"]
    return data


@pytest.mark.slow
async def test_case_updates_deliver_only_what_the_subscriber_may_see(
    live_server: Any, as_role: Callable[..., GQL], seeded: Seeded
) -> None:
    filed = await file_cases(as_role, seeded, skip=360)
    code = filed.denunciation
    resolver = await open_subscription(live_server, code, Role.INSPECTOR, subject=RESOLVER)
    admin = await open_subscription(live_server, code, Role.ADMIN)
    officer = await open_subscription(live_server, code, Role.OFFICER, subject="TCD-AZ-02", unit=UNIT,
                                      domains=("complaints",))  # fmt: skip
    far = await open_subscription(live_server, code, Role.OFFICER, subject="TCD-AZ-03", unit=OTHER_UNIT,
                                  domains=("complaints",))  # fmt: skip
    try:
        await asyncio.sleep(0.3)
        async with live_server.client(Role.INSPECTOR, subject=RESOLVER) as http:
            body = (
                await http.post(
                    "/graphql",
                    json={
                        "query": "mutation($in: CaseStartVerificationInput!) { caseStartVerification(input: $in) "
                        "{ userErrors { code } } }",
                        "variables": {"in": {"code": code}},
                    },
                )
            ).json()
            assert body["data"]["caseStartVerification"]["userErrors"] == []
        got = await next_update(resolver)
        assert got["status"] == "VERIFYING" and got["denouncer"] == {"fullName": filed.denouncer_name}
        for ws in (admin, officer):
            seen = await next_update(ws)
            assert seen["status"] == "VERIFYING" and seen["denouncer"] is None
            assert filed.denouncer_name not in json.dumps(seen, ensure_ascii=False)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(far.recv(), timeout=1.0)
    finally:
        for ws in (resolver, admin, officer, far):
            await ws.close()
