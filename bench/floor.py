"""The raw-SQL floor of bench/perf.py (issue #6): what answering each workload costs with no GraphQL at all.

One Starlette app on asyncpg. Each endpoint runs the SQL statements the workload needs, each returning JSON
built by PostgreSQL (json_build_object / json_agg), and sends the bytes on; only W1 and W2, whose data lives in
several databases, join a few JSON texts in Python. No authorization, no audit, no validation: a lower bound.

    FLOOR_PG=postgresql://postgres@127.0.0.1:5432/ FLOOR_DB_PREFIX=govgraph_bench_ FLOOR_POOL=5 \\
        uvicorn --app-dir bench floor:app --workers 2 --port 5702

POST /w1 {"pid": "..."}  the portal of one citizen (population, registry, services, education, complaints, parking)
POST /w2 {"month": "YYYY-MM"}  air stations with latest AQI, parking facilities with availability, dossiers per ward
POST /w3                 100 newest dossiers with applicant (personal ID), procedure and agency (services)
POST /w4 {"month": "YYYY-MM"}  city AQI, parking availability per kind, dossier and case totals
POST /w5                 50 stations with their latest 10 readings (environment)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
STORES = ("population", "registry", "services", "education", "parking", "environment", "complaints")
POOLS: dict[str, asyncpg.Pool] = {}

W5 = """
WITH s AS (SELECT code, name FROM stations ORDER BY code LIMIT 50)
SELECT json_build_object('data', json_build_object('stations', json_build_object('nodes', coalesce(json_agg(
         json_build_object('code', s.code, 'name', s.name, 'readings', coalesce(r.readings, '[]'::json))
         ORDER BY s.code), '[]'::json))))::text
FROM s LEFT JOIN LATERAL (
  SELECT json_agg(json_build_object('measuredAt', x.measured_at, 'parameter', x.parameter, 'value', x.value)
                  ORDER BY x.measured_at DESC, x.parameter DESC) AS readings
  FROM (SELECT measured_at, parameter, value FROM readings
        WHERE station_code = s.code ORDER BY measured_at DESC LIMIT 10) x
) r ON true
"""

W3 = """
SELECT json_build_object('data', json_build_object('dossiers', json_build_object('nodes', coalesce(json_agg(
         json_build_object(
           'code', d.code, 'status', d.status, 'receivedAt', d.received_at, 'dueAt', d.due_at,
           'applicant', json_build_object('personalId', d.applicant_pid),
           'procedure', json_build_object('code', p.code, 'name', p.name),
           'agency', json_build_object('code', a.code, 'name', a.name))
         ORDER BY d.received_at DESC, d.code DESC), '[]'::json))))::text
FROM (SELECT * FROM dossiers ORDER BY received_at DESC, code DESC LIMIT 100) d
JOIN procedures p ON p.code = d.procedure_code
JOIN agencies a ON a.code = d.agency_code
"""

W1_POPULATION = """
SELECT json_build_object(
  'personalId', c.pid, 'fullName', c.full_name, 'dateOfBirth', c.date_of_birth, 'phone', c.phone,
  'permanentAddress', json_build_object('text', c.permanent_address),
  'children', coalesce((
    SELECT json_agg(json_build_object('personalId', k.pid, 'fullName', k.full_name, 'dateOfBirth', k.date_of_birth)
                    ORDER BY k.date_of_birth, k.pid)
    FROM parent_links l JOIN citizens k ON k.pid = l.child_pid WHERE l.parent_pid = c.pid), '[]'::json))::text
FROM citizens c WHERE c.pid = $1
"""

W1_REGISTRY = """
SELECT coalesce(json_agg(json_build_object(
  'type', r.register_type, 'registrationDate', r.registration_date, 'entryNumber', r.entry_no)
  ORDER BY r.registration_date, r.id), '[]'::json)::text
FROM registrations r WHERE r.id IN (SELECT registration_id FROM registration_people WHERE pid = $1)
"""

W1_SERVICES = """
SELECT coalesce(json_agg(json_build_object(
  'code', d.code, 'status', d.status, 'receivedAt', d.received_at, 'dueAt', d.due_at,
  'procedure', json_build_object('name', p.name), 'agency', json_build_object('name', a.name))
  ORDER BY d.received_at DESC, d.code DESC), '[]'::json)::text
FROM dossiers d JOIN procedures p ON p.code = d.procedure_code JOIN agencies a ON a.code = d.agency_code
WHERE d.applicant_pid = $1
"""

W1_COMPLAINTS = """
SELECT coalesce(json_agg(json_build_object(
  'code', k.code, 'kind', k.kind, 'status', k.status, 'receivedAt', k.received_at)
  ORDER BY k.received_at DESC, k.code), '[]'::json)::text
FROM cases k WHERE k.code IN (SELECT case_code FROM complainants WHERE pid = $1)
"""

W1_PARKING = """
SELECT coalesce(json_agg(json_build_object(
  'plate', s.plate, 'startedAt', s.started_at, 'endedAt', s.ended_at, 'amountVnd', s.amount_vnd,
  'facility', json_build_object('name', f.name)) ORDER BY s.started_at DESC, s.id DESC), '[]'::json)::text
FROM (SELECT * FROM sessions WHERE payer_pid = $1 ORDER BY started_at DESC, id DESC LIMIT 10) s
JOIN facilities f ON f.code = s.facility_code
"""

W1_EDUCATION = """
SELECT coalesce(json_object_agg(x.pid, x.records), '{}'::json)::text FROM (
  SELECT st.pid, json_agg(json_build_object(
    'schoolYear', st.school_year, 'grade', st.grade, 'school', json_build_object('name', sc.name),
    'grades', coalesce((
      SELECT json_agg(json_build_object('subject', g.subject_code, 'semester', g.semester, 'kind', g.kind,
                                        'score', g.score_tenths / 10.0)
                      ORDER BY g.semester, g.subject_code, g.kind, g.seq)
      FROM grade_entries g WHERE g.student_pid = st.pid AND g.school_year = st.school_year), '[]'::json))
    ORDER BY st.school_year) AS records
  FROM students st JOIN schools sc ON sc.code = st.school_code
  WHERE st.pid = ANY($1::text[]) GROUP BY st.pid) x
"""

AIR_NOW = """
SELECT coalesce(json_agg(json_build_object(
  'station', json_build_object('code', s.code, 'name', s.name),
  'aqi', CASE WHEN a.hour IS NULL THEN NULL ELSE
         json_build_object('hour', a.hour, 'value', a.aqi, 'dominantPollutant', a.dominant) END)
  ORDER BY s.code), '[]'::json)::text
FROM stations s LEFT JOIN LATERAL (
  SELECT hour, aqi, dominant FROM aqi_hourly WHERE station_code = s.code ORDER BY hour DESC LIMIT 1) a ON true
WHERE s.kind = 'AIR'
"""

W2_PARKING = """
SELECT coalesce(json_agg(json_build_object(
  'code', f.code, 'name', f.name, 'capacity', f.capacity,
  'availability', json_build_object('occupied', coalesce(o.n, 0), 'free', greatest(f.capacity - coalesce(o.n, 0), 0)))
  ORDER BY f.code), '[]'::json)::text
FROM facilities f
LEFT JOIN (SELECT facility_code, count(*) AS n FROM sessions WHERE ended_at IS NULL GROUP BY facility_code) o
  ON o.facility_code = f.code
"""

DOSSIER_COUNTS = """
  count(*) AS received,
  count(*) FILTER (WHERE d.completed_at IS NOT NULL AND d.due_at IS NOT NULL AND d.completed_at <= d.due_at) AS on_time,
  count(*) FILTER (WHERE (d.status IN ('ACCEPTED', 'PROCESSING') AND d.due_at IS NOT NULL AND d.due_at < now())
                      OR (d.completed_at IS NOT NULL AND d.due_at IS NOT NULL AND d.completed_at > d.due_at))
    AS overdue,
  count(*) FILTER (WHERE d.status IN ('RESOLVED', 'RESULT_RETURNED')) AS resolved
"""

W2_SERVICES = """
SELECT coalesce(json_agg(json_build_object(
  'unit', json_build_object('code', x.unit_code), 'received', x.received, 'onTime', x.on_time,
  'overdue', x.overdue, 'resolved', x.resolved) ORDER BY x.unit_code), '[]'::json)::text
FROM (SELECT a.unit_code, @COUNTS@
      FROM dossiers d JOIN agencies a ON a.code = d.agency_code
      WHERE d.received_at >= $1 AND d.received_at < $2 GROUP BY a.unit_code) x
"""

W4_SERVICES = """
SELECT json_build_object('received', x.received, 'onTime', x.on_time, 'overdue', x.overdue,
                         'resolved', x.resolved)::text
FROM (SELECT @COUNTS@ FROM dossiers d WHERE d.received_at >= $1 AND d.received_at < $2) x
"""

W2_SERVICES = W2_SERVICES.replace("@COUNTS@", DOSSIER_COUNTS)
W4_SERVICES = W4_SERVICES.replace("@COUNTS@", DOSSIER_COUNTS)

W4_PARKING = """
SELECT coalesce(json_agg(json_build_object('kind', k.kind, 'facilities', k.facilities, 'capacity', k.capacity,
                                           'occupied', k.occupied, 'free', k.free) ORDER BY k.kind), '[]'::json)::text
FROM (SELECT f.kind, count(*) AS facilities, sum(f.capacity) AS capacity, sum(coalesce(o.n, 0)) AS occupied,
             sum(greatest(f.capacity - coalesce(o.n, 0), 0)) AS free
      FROM facilities f
      LEFT JOIN (SELECT facility_code, count(*) AS n FROM sessions WHERE ended_at IS NULL GROUP BY facility_code) o
        ON o.facility_code = f.code
      GROUP BY f.kind) k
"""

W4_COMPLAINTS = """
SELECT json_build_object('cases', count(*),
                         'open', count(*) FILTER (WHERE concluded_at IS NULL))::text FROM cases
"""


async def one(store: str, sql: str, *args: Any) -> str:
    text: str | None = await POOLS[store].fetchval(sql, *args)
    return text if text is not None else "null"


def month_range(month: str | None) -> tuple[dt.datetime, dt.datetime]:
    """[first instant, first instant of the next month) of a local month 'YYYY-MM' (default: this month)."""
    today = dt.datetime.now(HANOI)
    year, mon = (int(p) for p in month.split("-")) if month else (today.year, today.month)
    start = dt.datetime(year, mon, 1, tzinfo=HANOI)
    end = dt.datetime(year + mon // 12, mon % 12 + 1, 1, tzinfo=HANOI)
    return start, end


def json_response(text: str) -> Response:
    return Response(text, media_type="application/json")


async def params(request: Request) -> dict[str, Any]:
    raw = await request.body()
    loaded = json.loads(raw) if raw else {}
    return loaded if isinstance(loaded, dict) else {}


async def w1(request: Request) -> Response:
    pid = str((await params(request))["pid"])
    me, registrations, dossiers, complaints, parking = await asyncio.gather(
        one("population", W1_POPULATION, pid),
        one("registry", W1_REGISTRY, pid),
        one("services", W1_SERVICES, pid),
        one("complaints", W1_COMPLAINTS, pid),
        one("parking", W1_PARKING, pid),
    )
    if me == "null":
        return json_response('{"data":{"me":null}}')
    citizen = json.loads(me)
    children = [c["personalId"] for c in citizen["children"]]
    records = json.loads(await one("education", W1_EDUCATION, children)) if children else {}
    for child in citizen["children"]:
        child["schoolRecords"] = records.get(child["personalId"], [])
    citizen["civilRegistrations"] = json.loads(registrations)
    citizen["dossiers"] = json.loads(dossiers)
    citizen["complaints"] = json.loads(complaints)
    citizen["parkingSessions"] = json.loads(parking)
    return json_response(json.dumps({"data": {"me": citizen}}, ensure_ascii=False, separators=(",", ":")))


async def w2(request: Request) -> Response:
    start, end = month_range((await params(request)).get("month"))
    air, parking, wards = await asyncio.gather(
        one("environment", AIR_NOW), one("parking", W2_PARKING), one("services", W2_SERVICES, start, end)
    )
    body = (
        f'{{"data":{{"airQualityNow":{{"stations":{air}}},"parkingFacilities":{parking},"dossierStatistics":{wards}}}}}'
    )
    return json_response(body)


async def w3(request: Request) -> Response:
    return json_response(await one("services", W3))


async def w4(request: Request) -> Response:
    start, end = month_range((await params(request)).get("month"))
    air, parking, dossiers, cases = await asyncio.gather(
        one("environment", AIR_NOW),
        one("parking", W4_PARKING),
        one("services", W4_SERVICES, start, end),
        one("complaints", W4_COMPLAINTS),
    )
    body = (
        f'{{"data":{{"airQualityNow":{{"stations":{air}}},"parkingAvailability":{parking},'
        f'"dossierStatistics":{{"total":{dossiers}}},"caseStatistics":{{"total":{cases}}}}}}}'
    )
    return json_response(body)


async def w5(request: Request) -> Response:
    return json_response(await one("environment", W5))


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    base = os.environ.get("FLOOR_PG", "postgresql://postgres@127.0.0.1:5432/")
    prefix = os.environ.get("FLOOR_DB_PREFIX", "govgraph_bench_")
    size = int(os.environ.get("FLOOR_POOL", "5"))
    for store in STORES:
        # Connections open on first use, up to `size` per database and process (govgraph's pool size).
        POOLS[store] = await asyncpg.create_pool(base + prefix + store, min_size=0, max_size=size)
    try:
        yield
    finally:
        await asyncio.gather(*(pool.close() for pool in POOLS.values()))
        POOLS.clear()


app = Starlette(
    routes=[Route(f"/{name}", handler, methods=["POST"]) for name, handler in
            (("w1", w1), ("w2", w2), ("w3", w3), ("w4", w4), ("w5", w5))],
    lifespan=lifespan,
)  # fmt: skip
