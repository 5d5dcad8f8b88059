"""The foundation's acceptance: one request from a ward through its residents into every store, batched.

"A query from a ward through 100 residents to their registrations, dossiers, children's grades and complaints
returns in one request, and queryStats shows the same statement count for 10 residents as for 100", and with the
complaints store stopped the rest still arrives, with an error naming the complaints store.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from govgraph.config import STORES
from govgraph.seed import PILOT_WARD
from tests.conftest import GQL, Seeded, statements, token_for

WARD = """
query Ward($u: String!, $n: Int!) {
  administrativeUnit(code: $u) {
    name
    residents(first: $n, filter: {bornFrom: "2009-01-01", bornTo: "2014-12-31"}) {
      nodes {
        personalId fullName
        civilRegistrations { type registrationDate book { printedNumber } }
        dossiers { code status procedure { name } agency { name } }
        complaints { code status }
        parkingSessions(last: 5) { plate facility { name } }
        schoolRecords { schoolYear grades { score } }
        parents { relation citizen { fullName dossiers { code status } complaints { code } } }
        children {
          fullName
          schoolRecords { schoolYear school { name } grades { score } subjectResults { yearAverage } }
        }
      }
    }
    agencies { name }
    schools { name }
    stations { name latestAqi { value } }
    parkingFacilities { name availability { free } }
    dossierStatistics { received }
  }
}"""


async def ward(run: GQL, n: int) -> dict[str, Any]:
    return await run(WARD, {"u": PILOT_WARD, "n": n})


async def test_one_request_reaches_every_store(as_admin: GQL, seeded: Seeded) -> None:
    body = await ward(as_admin, 100)
    unit = body["data"]["administrativeUnit"]
    residents = unit["residents"]["nodes"]
    assert len(residents) == 100
    # each cross-link brings data from its store for someone in the ward
    assert any(r["civilRegistrations"] for r in residents)
    assert any(p["citizen"]["dossiers"] for r in residents for p in r["parents"])
    assert any(rec["grades"] for r in residents for rec in r["schoolRecords"])  # secondary pupils have grades
    assert all(r["schoolRecords"] is not None and r["parkingSessions"] is not None for r in residents)
    assert unit["agencies"] and unit["schools"] and unit["parkingFacilities"] and unit["stations"] is not None
    touched = {s for s, v in body["extensions"]["queryStats"]["stores"].items() if v["statements"]}
    assert touched == {*STORES, "audit"}  # admin reads of personal data are audited


async def test_same_statement_count_for_10_and_100_residents(as_admin: GQL) -> None:
    ten = await ward(as_admin, 10)
    hundred = await ward(as_admin, 100)
    per_store_10 = {s: statements(ten, s) for s in STORES}
    per_store_100 = {s: statements(hundred, s) for s in STORES}
    assert per_store_10 == per_store_100
    assert statements(hundred) == statements(ten) <= 45


async def test_complaints_store_down_nulls_only_complaints(
    client_with_store_down: Callable[[str], Awaitable[httpx.AsyncClient]], seeded: Seeded
) -> None:
    client = await client_with_store_down("complaints")
    headers = {"Authorization": f"Bearer {token_for(seeded.settings)}"}
    resp = await client.post("/graphql", json={"query": WARD, "variables": {"u": PILOT_WARD, "n": 20}}, headers=headers)
    body = resp.json()
    residents = body["data"]["administrativeUnit"]["residents"]["nodes"]
    assert len(residents) == 20
    assert all(r["complaints"] is None for r in residents)
    assert all(p["citizen"]["complaints"] is None for r in residents for p in r["parents"])
    assert all(r["fullName"] and r["civilRegistrations"] is not None and r["dossiers"] is not None for r in residents)
    errors = body["errors"]
    assert errors and {e["extensions"]["code"] for e in errors} == {"STORE_UNAVAILABLE"}
    assert {e["extensions"]["store"] for e in errors} == {"complaints"}
    assert {e["path"][-1] for e in errors} == {"complaints"}  # only the complaints fields failed
    ready = await client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["stores"]["complaints"] != "ok"
