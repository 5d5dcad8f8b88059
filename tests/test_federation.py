"""Apollo Federation 2 subgraph (GOVGRAPH_FEDERATION=1): `_service`, `_entities` with row scope and field policy,
and a real composition + @apollo/gateway run with a second (national-ID) subgraph extending Citizen.

The federation schema is chosen once per process, so these tests run a separate govgraph process with
GOVGRAPH_FEDERATION=1 on the seeded stores; this process keeps the plain schema.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from govgraph.auth import masking
from govgraph.auth.identity import Role
from govgraph.config import Settings
from govgraph.seed import Person
from tests.conftest import (
    GQL,
    REQUIRE_SERVICES,
    LiveServer,
    Seeded,
    free_port,
    server_env,
    start_server,
    stop_server,
    token_for,
)

FEDERATION_DIR = Path(__file__).resolve().parent / "federation"

ENTITIES = """query ($r: [_Any!]!) {
  _entities(representations: $r) {
    __typename
    ... on Citizen { personalId fullName }
    ... on AdministrativeUnit { code structure name }
    ... on School { code name }
    ... on Station { code name }
  }
}"""


@pytest.fixture(scope="module")
def federated(seeded: Seeded) -> Iterator[LiveServer]:
    """A govgraph process serving the federation subgraph on the seeded stores."""
    port = free_port()
    proc = start_server(server_env(seeded.settings, GOVGRAPH_FEDERATION="1"), port)
    yield LiveServer(f"http://127.0.0.1:{port}", seeded.settings)
    stop_server(proc)


async def post(server: LiveServer, token: str, query: str, variables: dict[str, Any] | None = None) -> Any:
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        resp = await http.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert resp.status_code == 200, resp.text
    return resp.json()


def citizen_rep(pid: str) -> dict[str, str]:
    return {"__typename": "Citizen", "personalId": pid}


def two_strangers(seeded: Seeded) -> tuple[Person, Person]:
    """Two citizens in different units, neither a parent of the other (a citizen's row scope: self and children)."""
    kids = seeded.ctx.children_of
    a = seeded.ctx.people[0]
    b = next(
        p
        for p in seeded.ctx.people
        if p.unit != a.unit and p.pid not in kids.get(a.pid, []) and a.pid not in kids.get(p.pid, [])
    )
    return a, b


def test_the_setting_reads_govgraph_federation() -> None:
    assert Settings.from_env({"GOVGRAPH_FEDERATION": "1"}).federation is True
    assert Settings.from_env({}).federation is False


async def test_without_the_switch_there_is_no_federation(as_admin: GQL) -> None:
    body = await as_admin("{ _service { sdl } }", expect_errors=True)
    assert "_service" in body["errors"][0]["message"]


async def test_service_sdl_has_the_keys_and_matches_the_cli(federated: LiveServer) -> None:
    body = await post(federated, token_for(federated.settings, Role.OPERATOR), "{ _service { sdl } }")
    sdl = body["data"]["_service"]["sdl"]
    assert '@link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])' in sdl
    for type_line in (
        'type Citizen implements Node @key(fields: "personalId"',
        'type AdministrativeUnit implements Node @key(fields: "code structure"',
        'type School implements Node @key(fields: "code"',
        'type Station implements Node @key(fields: "code"',
    ):
        assert type_line in sdl
    assert "union _Entity = AdministrativeUnit | Citizen | School | Station" in sdl
    printed = await asyncio.to_thread(cli_sdl, "--federation")
    assert printed.strip() == sdl.strip()
    plain = await asyncio.to_thread(cli_sdl)
    assert "@key" not in plain
    assert "_entities" not in plain


def cli_sdl(*options: str) -> str:
    """`govgraph schema [options]` in a fresh process (without this environment's GOVGRAPH_ variables)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVGRAPH_")}
    cmd = [sys.executable, "-m", "govgraph.cli", "schema", *options]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, check=True).stdout  # noqa: S603


async def test_entities_apply_row_scope_and_field_policy(federated: LiveServer, seeded: Seeded) -> None:
    s = federated.settings
    a, b = two_strangers(seeded)
    reps = {"r": [citizen_rep(a.pid), citizen_rep(b.pid)]}

    admin = await post(federated, token_for(s, Role.ADMIN), ENTITIES, reps)
    assert "errors" not in admin, admin
    names = [e["fullName"] for e in admin["data"]["_entities"]]
    assert [e["personalId"] for e in admin["data"]["_entities"]] == [a.pid, b.pid]
    assert all(names)

    # A citizen: themselves, never a stranger.
    own = await post(federated, token_for(s, Role.CITIZEN, subject=a.pid), ENTITIES, reps)
    assert own["data"]["_entities"] == [
        {"__typename": "Citizen", "personalId": a.pid, "fullName": names[0]},
        None,
    ]
    # A population officer: residents of their own unit only.
    officer = await post(federated, token_for(s, Role.OFFICER, unit=b.unit, domains=("population",)), ENTITIES, reps)
    assert officer["data"]["_entities"] == [
        None,
        {"__typename": "Citizen", "personalId": b.pid, "fullName": names[1]},
    ]
    # An operator sees every row, but the guarded fields masked, the key included.
    operator = await post(federated, token_for(s, Role.OPERATOR), ENTITIES, reps)
    first = operator["data"]["_entities"][0]
    assert first["personalId"] == masking.personal_id(a.pid) != a.pid
    assert first["fullName"] != names[0]
    # No row for a well-formed ID that is not registered; an error for a malformed one.
    unknown = await post(federated, token_for(s, Role.ADMIN), ENTITIES, {"r": [citizen_rep("001099999999")]})
    assert unknown["data"]["_entities"] == [None]
    bad = await post(federated, token_for(s, Role.ADMIN), ENTITIES, {"r": [citizen_rep("12")]})
    assert bad["data"]["_entities"] == [None]
    assert "not valid" in bad["errors"][0]["message"]


async def test_entities_of_places_schools_and_stations(federated: LiveServer) -> None:
    token = token_for(federated.settings, Role.OPERATOR)
    codes = await post(
        federated,
        token,
        "{ schools(first: 1) { edges { node { code name } } } stations(first: 1) { edges { node { code name } } } }",
    )
    school = codes["data"]["schools"]["edges"][0]["node"]
    station = codes["data"]["stations"]["edges"][0]["node"]
    reps = [
        {"__typename": "AdministrativeUnit", "code": "00004", "structure": "Y2025_07"},
        {"__typename": "School", "code": school["code"]},
        {"__typename": "Station", "code": station["code"]},
        {"__typename": "School", "code": "NO-SUCH-SCHOOL"},
    ]
    body = await post(federated, token, ENTITIES, {"r": reps})
    assert "errors" not in body, body
    assert body["data"]["_entities"] == [
        {"__typename": "AdministrativeUnit", "code": "00004", "structure": "Y2025_07", "name": "Phường Ba Đình"},
        {"__typename": "School", **school},
        {"__typename": "Station", **station},
        None,
    ]


# --- composition and the gateway (Node.js) ---


@pytest.fixture(scope="module")
def node_packages() -> Path:
    """`npm ci` of the committed lock file in tests/federation (node_modules is not committed)."""
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        reason = f"{' and '.join(missing)} not found: the composition and gateway test needs Node.js 20 and npm"
        if REQUIRE_SERVICES:
            pytest.fail(f"{reason} (GOVGRAPH_REQUIRE_SERVICES=1)")
        pytest.skip(reason)
    npm = shutil.which("npm") or "npm"
    done = subprocess.run(  # noqa: S603 - npm from PATH, on our own lock file
        [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
        cwd=FEDERATION_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"npm ci failed:\n{done.stdout}\n{done.stderr}"
    return FEDERATION_DIR


def run_gateway(server: LiveServer, job: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "job.json"
    path.write_text(json.dumps({"govgraphUrl": f"{server.url}/graphql", **job}), encoding="utf-8")
    node = shutil.which("node") or "node"
    done = subprocess.run(  # noqa: S603 - node from PATH, on our own script
        [node, "gateway-check.mjs", str(path)],
        cwd=FEDERATION_DIR,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, f"gateway check failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])  # the script's one JSON line
    return result


CITIZEN_WITH_CARD = """query ($pid: String!) {
  citizen(personalId: $pid) { personalId fullName nationalIdStatus }
}"""
CARD_WITH_HOLDER = """query ($number: String!) {
  idCard(number: $number) { number status holder { personalId fullName dateOfBirth } }
}"""


async def test_composed_gateway_crosses_both_subgraphs_and_keeps_authorization(
    node_packages: Path, federated: LiveServer, seeded: Seeded, tmp_path: Path
) -> None:
    s = federated.settings
    a, b = two_strangers(seeded)
    admin = f"Bearer {token_for(s, Role.ADMIN)}"
    as_a = f"Bearer {token_for(s, Role.CITIZEN, subject=a.pid)}"
    operator = f"Bearer {token_for(s, Role.OPERATOR)}"
    direct = await post(federated, token_for(s, Role.ADMIN), ENTITIES, {"r": [citizen_rep(a.pid), citizen_rep(b.pid)]})
    name_a, name_b = (e["fullName"] for e in direct["data"]["_entities"])

    def op(name: str, query: str, authorization: str, **variables: str) -> dict[str, Any]:
        return {"name": name, "query": query, "variables": variables, "authorization": authorization}

    out = run_gateway(
        federated,
        {
            "sdlToken": token_for(s, Role.ADMIN),
            "cards": {a.pid: {"number": "C-0001", "status": "VALID"}, b.pid: {"number": "C-0002", "status": "EXPIRED"}},
            "operations": [
                op("admin_citizen", CITIZEN_WITH_CARD, admin, pid=a.pid),
                op("admin_card", CARD_WITH_HOLDER, admin, number="C-0002"),
                op("self_citizen", CITIZEN_WITH_CARD, as_a, pid=a.pid),
                op("self_card", CARD_WITH_HOLDER, as_a, number="C-0001"),
                op("stranger_citizen", CITIZEN_WITH_CARD, as_a, pid=b.pid),
                op("stranger_card", CARD_WITH_HOLDER, as_a, number="C-0002"),
                op("operator_citizen", CITIZEN_WITH_CARD, operator, pid=a.pid),
                op("no_token", CITIZEN_WITH_CARD, "", pid=a.pid),
            ],
        },
        tmp_path,
    )
    assert out["composed"] is True, out
    supergraph = out["supergraphSdl"]
    assert '@join__type(graph: GOVGRAPH, key: "personalId"' in supergraph
    assert '@join__type(graph: NATIONALID, key: "personalId")' in supergraph
    r = out["results"]

    # govgraph -> national ID: the citizen from govgraph, the card status from the other subgraph.
    assert r["admin_citizen"] == {
        "data": {"citizen": {"personalId": a.pid, "fullName": name_a, "nationalIdStatus": "VALID"}},
        "errors": [],
        "nationalIdAskedAbout": [a.pid],
    }
    # national ID -> govgraph: the card from the other subgraph, its holder's record from govgraph.
    assert r["admin_card"]["data"] == {
        "idCard": {
            "number": "C-0002",
            "status": "EXPIRED",
            "holder": {"personalId": b.pid, "fullName": name_b, "dateOfBirth": b.dob.isoformat()},
        }
    }
    # A citizen reaches their own record both ways ...
    assert r["self_citizen"]["data"]["citizen"] == {
        "personalId": a.pid,
        "fullName": name_a,
        "nationalIdStatus": "VALID",
    }
    assert r["self_card"]["data"]["idCard"]["holder"]["fullName"] == name_a
    # ... but not another citizen's: no row from govgraph's root field, so nothing is asked of the other subgraph,
    assert r["stranger_citizen"]["data"] == {"citizen": None}
    assert r["stranger_citizen"]["nationalIdAskedAbout"] == []
    # and govgraph's _entities refuses the holder entity the other subgraph points to.
    stranger_holder = r["stranger_card"]["data"]["idCard"]["holder"]
    assert stranger_holder["fullName"] is None
    assert stranger_holder["dateOfBirth"] is None
    # An operator gets the masked personal ID, and so does the other subgraph: the join key never leaves unmasked.
    masked = masking.personal_id(a.pid)
    operator_citizen = r["operator_citizen"]["data"]["citizen"]
    assert operator_citizen["personalId"] == masked
    assert operator_citizen["fullName"] != name_a
    assert operator_citizen["nationalIdStatus"] is None
    assert r["operator_citizen"]["nationalIdAskedAbout"] == [masked]
    # Without a token govgraph answers nothing.
    assert r["no_token"]["data"] is None or r["no_token"]["data"]["citizen"] is None
    assert r["no_token"]["errors"]
