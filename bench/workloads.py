"""The five workloads of issue #6 as requests for each kind of server, and what every answer must contain.

    W1 portal      one citizen (token: citizen, subject = them) with everything linked to them, across stores
    W2 operations  every air station with its latest AQI, every parking facility with availability, dossier
                   counts per ward this month (token: operator, X-Purpose)
    W3 list        the 100 newest dossiers with applicant, procedure and agency (token: admin, X-Purpose)
    W4 public      /public/graphql, no token: city AQI, parking availability, dossier and case totals
    W5 stations    50 stations with their latest 10 readings

PostGraphile answers W3 and W5 (each from one database); the floor (bench/floor.py) answers all five.
``prepare`` reads the databases once (which citizen for W1, the parking pages' cursors for W2) and builds
every request; ``summary`` reduces an answer to what must be equal across servers (codes and counts).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import asyncpg

from govgraph.auth.identity import Role, mint_token
from govgraph.config import Settings

WORKLOADS = ("W1", "W2", "W3", "W4", "W5")
PURPOSE = quote("Đo hiệu năng (bench/perf.py)")
"""X-Purpose of the staff workloads (percent-encoded UTF-8, as the README says)."""
TOKEN_TTL = 48 * 3600
"""Long enough for a leak check of 100,000 requests."""

W1 = """query Portal {
  me {
    personalId fullName dateOfBirth phone permanentAddress { text }
    civilRegistrations { type registrationDate entryNumber }
    dossiers { code status receivedAt dueAt procedure { name } agency { name } }
    children {
      personalId fullName dateOfBirth
      schoolRecords { schoolYear grade school { name } grades { subject { code } semester kind score } }
    }
    complaints { code kind status receivedAt }
    parkingSessions(last: 10) { plate startedAt endedAt amountVnd facility { name } }
  }
}"""

W2_HEAD = """query Operations($month: String!) {
  airQualityNow {
    latestHour reportingStations
    stations { station { code name } aqi { hour value category dominantPollutant } }
  }
%s
  dossierStatistics(monthFrom: $month, monthTo: $month, groupBy: [UNIT]) {
    unit { code name } received onTime overdue resolved
  }
}"""
W2_PAGE = "  p%d: parkingFacilities(first: 100%s) { nodes { code name capacity availability { occupied free } } }"

W3 = """query Dossiers {
  dossiers(first: 100) {
    nodes {
      code status receivedAt dueAt
      applicant { personalId }
      procedure { code name }
      agency { code name }
    }
  }
}"""

W3_POSTGRAPHILE = """query Dossiers {
  allDossiers(first: 100, orderBy: [RECEIVED_AT_DESC, CODE_DESC]) {
    nodes {
      code status receivedAt dueAt
      applicantPid
      procedureByProcedureCode { code name }
      agencyByAgencyCode { code name }
    }
  }
}"""

W4 = """query City($month: String!) {
  airQualityNow {
    latestHour
    worst { station { code name } aqi { value category } }
    stations { station { code name } aqi { value category dominantPollutant } }
  }
  parkingAvailability { kind facilities capacity occupied free }
  dossierStatistics(filter: {monthFrom: $month, monthTo: $month}) {
    total { received { value } onTime { value } overdue { value } resolved { value } }
  }
  caseStatistics { total { cases { value } overdue { value } } }
}"""

W5 = """query Stations {
  stations(first: 50) {
    nodes { code name readings(last: 10) { measuredAt parameter value } }
  }
}"""

W5_POSTGRAPHILE = """query Stations {
  allStations(first: 50, orderBy: CODE_ASC) {
    nodes {
      code name
      readingsByStationCode(first: 10, orderBy: MEASURED_AT_DESC) { nodes { measuredAt parameter value } }
    }
  }
}"""

POSTGRAPHILE_DATABASE = {"W3": "services", "W5": "environment"}
"""The one database PostGraphile serves for each workload it answers."""


@dataclass(frozen=True)
class Request:
    """One HTTP POST: what wrk sends again and again."""

    path: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Prepared:
    requests: dict[tuple[str, str], Request]
    """(workload, server kind: govgraph | postgraphile | floor) → request."""
    notes: list[str]
    """What was chosen (the W1 citizen and their linked rows), for the report."""


def graphql(query: str, variables: dict[str, Any] | None = None) -> bytes:
    return json.dumps({"query": query, "variables": variables or {}}).encode()


def this_month() -> str:
    return dt.datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%Y-%m")


async def pick_citizen(pg: str, prefix: str) -> tuple[str, dict[str, int]]:
    """A parent with the most linked data: complaints, dossiers, parking sessions, civil registrations and a
    child at school. Candidates are complainants (the smallest set), scored in every store."""

    async def fetch(store: str, sql: str, *args: Any) -> dict[str, int]:
        conn = await asyncpg.connect(pg + prefix + store)
        try:
            return {r[0]: int(r[1]) for r in await conn.fetch(sql, *args)}
        finally:
            await conn.close()

    complaints = await fetch("complaints", "SELECT pid, count(*) FROM complainants WHERE pid IS NOT NULL GROUP BY pid")
    pids = sorted(complaints)
    dossiers = await fetch(
        "services",
        "SELECT applicant_pid, count(*) FROM dossiers WHERE applicant_pid = ANY($1::text[]) GROUP BY 1",
        pids,
    )
    parking = await fetch(
        "parking", "SELECT payer_pid, count(*) FROM sessions WHERE payer_pid = ANY($1::text[]) GROUP BY 1", pids
    )
    registry = await fetch(
        "registry", "SELECT pid, count(*) FROM registration_people WHERE pid = ANY($1::text[]) GROUP BY 1", pids
    )
    conn = await asyncpg.connect(pg + prefix + "population")
    try:
        links = await conn.fetch(
            "SELECT parent_pid, child_pid FROM parent_links WHERE parent_pid = ANY($1::text[])", pids
        )
    finally:
        await conn.close()
    children = sorted({r["child_pid"] for r in links})
    pupils = await fetch(
        "education", "SELECT pid, count(*) FROM students WHERE pid = ANY($1::text[]) GROUP BY 1", children
    )
    at_school: dict[str, int] = {}
    for r in links:
        if r["child_pid"] in pupils:
            at_school[r["parent_pid"]] = at_school.get(r["parent_pid"], 0) + 1
    stores = {"complaints": complaints, "dossiers": dossiers, "parking sessions": parking,
              "civil registrations": registry, "children at school": at_school}  # fmt: skip
    complete = [p for p in pids if all(p in s for s in stores.values())]
    if not complete:  # small seeds: settle for whoever has the most kinds of linked data
        complete = pids
    best = max(
        complete, key=lambda p: (sum(p in s for s in stores.values()), sum(s.get(p, 0) for s in stores.values()), p)
    )
    return best, {name: s.get(best, 0) for name, s in stores.items()}


async def parking_cursors(pg: str, prefix: str) -> list[str | None]:
    """The `after` cursor of each page of 100 parking facilities (govgraph orders them by code): W2 asks for
    every facility, in pages, in one document."""
    from govgraph.datasources.base import encode_cursor

    conn = await asyncpg.connect(pg + prefix + "parking")
    try:
        codes = [r[0] for r in await conn.fetch("SELECT code FROM facilities ORDER BY code")]
    finally:
        await conn.close()
    return [None] + [encode_cursor([codes[i - 1]]) for i in range(100, len(codes), 100)]


async def prepare(pg: str, prefix: str, jwt_secret: str, workloads: list[str]) -> Prepared:
    """Every request of the chosen workloads, for every kind of server that answers it."""
    settings = Settings(jwt_secret=jwt_secret)

    def bearer(role: Role, **claims: Any) -> dict[str, str]:
        token = mint_token(settings, role, ttl=TOKEN_TTL, **claims)
        headers = {"Authorization": f"Bearer {token}"}
        if role != Role.CITIZEN:
            headers["X-Purpose"] = PURPOSE
        return headers

    month = this_month()
    requests: dict[tuple[str, str], Request] = {}
    notes: list[str] = []
    if "W1" in workloads:
        pid, linked = await pick_citizen(pg, prefix)
        notes.append(f"W1 citizen {pid[:3]}*******{pid[-2:]}: " + ", ".join(f"{n} {k}" for k, n in linked.items()))
        requests["W1", "govgraph"] = Request("/graphql", graphql(W1), bearer(Role.CITIZEN, subject=pid))
        requests["W1", "floor"] = Request("/w1", json.dumps({"pid": pid}).encode())
    if "W2" in workloads:
        cursors = await parking_cursors(pg, prefix)
        pages = "\n".join(W2_PAGE % (i, f', after: "{c}"' if c else "") for i, c in enumerate(cursors))
        notes.append(f"W2 parking facilities in {len(cursors)} pages of 100; dossier statistics of {month}")
        requests["W2", "govgraph"] = Request(
            "/graphql", graphql(W2_HEAD % pages, {"month": month}), bearer(Role.OPERATOR)
        )
        requests["W2", "floor"] = Request("/w2", json.dumps({"month": month}).encode())
    if "W3" in workloads:
        requests["W3", "govgraph"] = Request("/graphql", graphql(W3), bearer(Role.ADMIN))
        requests["W3", "postgraphile"] = Request("/graphql", graphql(W3_POSTGRAPHILE))
        requests["W3", "floor"] = Request("/w3", b"{}")
    if "W4" in workloads:
        requests["W4", "govgraph"] = Request("/public/graphql", graphql(W4, {"month": month}))
        requests["W4", "floor"] = Request("/w4", json.dumps({"month": month}).encode())
    if "W5" in workloads:
        requests["W5", "govgraph"] = Request("/graphql", graphql(W5), bearer(Role.OPERATOR))
        requests["W5", "postgraphile"] = Request("/graphql", graphql(W5_POSTGRAPHILE))
        requests["W5", "floor"] = Request("/w5", b"{}")
    return Prepared(requests, notes)


class BadAnswer(Exception):
    """A server answered with errors or without the data: its numbers would mean nothing."""


def _nodes(value: Any) -> list[Any]:
    if isinstance(value, dict) and "nodes" in value:
        value = value["nodes"]
    return value if isinstance(value, list) else []


def summary(workload: str, body: Any) -> dict[str, Any]:
    """What must be equal in every server's answer to one workload (codes and counts, not formats)."""
    if not isinstance(body, dict) or body.get("errors") or not isinstance(body.get("data"), dict):
        errors = body.get("errors") if isinstance(body, dict) else body
        raise BadAnswer(f"{workload}: errors or no data: {json.dumps(errors, ensure_ascii=False)[:500]}")
    data = body["data"]
    if workload == "W1":
        me = data.get("me")
        if not me:
            raise BadAnswer("W1: no citizen")
        children = me.get("children") or []
        return {
            "civil registrations": len(me.get("civilRegistrations") or []),
            "dossiers": sorted(d["code"] for d in me.get("dossiers") or []),
            "children": len(children),
            "school records": sum(len(c.get("schoolRecords") or []) for c in children),
            "grades": sum(len(r.get("grades") or []) for c in children for r in c.get("schoolRecords") or []),
            "complaints": sorted(c["code"] for c in me.get("complaints") or []),
            "parking sessions": len(me.get("parkingSessions") or []),
        }
    if workload == "W2":
        facilities = data["parkingFacilities"] if "parkingFacilities" in data else [
            f for key, page in sorted(data.items()) if key.startswith("p") and key[1:].isdigit() for f in _nodes(page)
        ]  # fmt: skip
        return {
            "air stations": sorted(s["station"]["code"] for s in data["airQualityNow"]["stations"]),
            "parking facilities": sorted(f["code"] for f in facilities),
            "wards": len(data["dossierStatistics"]),
            "dossiers received": sum(w["received"] for w in data["dossierStatistics"]),
        }
    if workload == "W3":
        dossiers = _nodes(data.get("dossiers") or data.get("allDossiers"))
        return {"dossiers": [d["code"] for d in dossiers]}
    if workload == "W4":
        total = data["dossierStatistics"]["total"]
        received = total["received"]["value"] if isinstance(total["received"], dict) else total["received"]
        return {
            "air stations": sorted(s["station"]["code"] for s in data["airQualityNow"]["stations"]),
            "parking kinds": sorted(k["kind"] for k in data["parkingAvailability"]),
            "dossiers received this month": received,
        }
    if workload == "W5":
        stations = _nodes(data.get("stations") or data.get("allStations"))
        return {
            "stations": [s["code"] for s in stations],
            "readings": [len(_nodes(s.get("readings") or s.get("readingsByStationCode"))) for s in stations],
        }
    raise ValueError(f"unknown workload {workload}")


def objects(body: Any) -> int:
    """JSON objects in an answer (a rough size of the work done per request, for the report)."""
    if isinstance(body, dict):
        return 1 + sum(objects(v) for v in body.values())
    if isinstance(body, list):
        return sum(objects(v) for v in body)
    return 0
