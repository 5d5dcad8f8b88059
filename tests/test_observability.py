"""Observability: /metrics, request ids, structured logs without personal data, traces, multiprocess metrics."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import websockets
from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner

from govgraph.auth.identity import Role
from govgraph.config import STORES, Settings
from govgraph.events import Event, InProcessBus
from govgraph.observability import logging_config, metrics, tracing
from govgraph.observability.logs import make_handler, new_request_id
from govgraph.resolvers.live import follow
from tests.conftest import Seeded, token_for

FAMILIES = (
    "govgraph_graphql_requests",
    "govgraph_graphql_request_duration_seconds",
    "govgraph_http_requests",
    "govgraph_http_request_duration_seconds",
    "govgraph_store_statements",
    "govgraph_store_statement_duration_seconds",
    "govgraph_dataloader_batch_size",
    "govgraph_websocket_connections",
    "govgraph_subscriptions_active",
    "govgraph_event_bus_lag_seconds",
    "govgraph_events_published",
)
DOCUMENTS_LOADER = "PopulationLoaders._documents"
PAGE_WITH_DOCUMENTS = "query ObsDocuments { citizens(first: 5) { nodes { identityDocuments { number } } } }"


def scrape_text(text: str) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """{sample name: {sorted labels: value}} from an exposition."""
    out: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return out


async def scrape(client: httpx.AsyncClient) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    resp = await client.get("/metrics")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/plain")
    return scrape_text(resp.text)


def value(samples: dict[str, dict[tuple[tuple[str, str], ...], float]], name: str, **labels: str) -> float:
    return samples.get(name, {}).get(tuple(sorted(labels.items())), 0.0)


def auth(seeded: Seeded, role: Role = Role.ADMIN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(seeded.settings, role)}"}


# ---------------------------------------------------------------------------------------------------------
# /metrics
# ---------------------------------------------------------------------------------------------------------


async def test_metrics_expose_every_family_after_a_query(client: httpx.AsyncClient, seeded: Seeded) -> None:
    resp = await client.post("/graphql", json={"query": PAGE_WITH_DOCUMENTS}, headers=auth(seeded))
    assert resp.status_code == 200 and "errors" not in resp.json()
    text = (await client.get("/metrics")).text
    names = {family.name for family in text_string_to_metric_families(text)}
    assert set(FAMILIES) <= names, set(FAMILIES) - names
    samples = scrape_text(text)
    assert value(samples, "govgraph_dataloader_batch_size_count", loader=DOCUMENTS_LOADER) >= 1
    assert value(samples, "govgraph_store_statement_duration_seconds_count", store="population") >= 1
    assert value(samples, "govgraph_graphql_request_duration_seconds_count", route="/graphql", operation="ObsDocuments")
    assert value(samples, "govgraph_http_requests_total", route="/graphql", method="POST", status="200") >= 1


async def test_request_counter_by_operation_and_outcome(client: httpx.AsyncClient, seeded: Seeded) -> None:
    ok = {"route": "/graphql", "operation": "ObsUnit", "outcome": "ok"}
    failed = {"route": "/graphql", "operation": "ObsBadCitizen", "outcome": "graphql_error"}
    refused = {"route": "/graphql", "operation": "anonymous", "outcome": "http_error"}
    anonymous = {"route": "/graphql", "operation": "anonymous", "outcome": "ok"}
    before = await scrape(client)

    unit = 'query ObsUnit { administrativeUnit(code: "00004") { name } }'
    assert (await client.post("/graphql", json={"query": unit}, headers=auth(seeded))).json()["data"]
    get = await client.get("/graphql", params={"query": unit}, headers=auth(seeded))
    assert get.json()["data"]
    bad = 'query ObsBadCitizen { citizen(personalId: "12345") { fullName } }'
    assert (await client.post("/graphql", json={"query": bad}, headers=auth(seeded))).json()["errors"]
    assert (await client.post("/graphql", json={"query": unit})).status_code == 401
    anon = '{ administrativeUnit(code: "00004") { name } }'
    assert (await client.post("/graphql", json={"query": anon}, headers=auth(seeded))).json()["data"]

    after = await scrape(client)
    counter = "govgraph_graphql_requests_total"
    assert value(after, counter, **ok) - value(before, counter, **ok) == 2
    assert value(after, counter, **failed) - value(before, counter, **failed) == 1
    assert value(after, counter, **refused) - value(before, counter, **refused) == 1
    assert value(after, counter, **anonymous) - value(before, counter, **anonymous) == 1
    assert value(after, counter, **{**ok, "outcome": "graphql_error"}) == value(
        before, counter, **{**ok, "outcome": "graphql_error"}
    )


async def test_statement_counter_grows_for_the_store_the_query_touched(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    before = await scrape(client)
    resp = await client.post("/graphql", json={"query": PAGE_WITH_DOCUMENTS}, headers=auth(seeded))
    assert "errors" not in resp.json()
    after = await scrape(client)
    total = "govgraph_store_statements_total"
    grew = {s: value(after, total, store=s) - value(before, total, store=s) for s in STORES}
    assert grew["population"] >= 2  # the page, then one batch for every citizen's documents
    assert all(grew[s] == 0 for s in STORES if s != "population"), grew
    count = "govgraph_store_statement_duration_seconds_count"
    assert value(after, count, store="population") - value(before, count, store="population") == grew["population"]
    # one batch of five keys, not five batches
    batch_count = "govgraph_dataloader_batch_size_count"
    batch_sum = "govgraph_dataloader_batch_size_sum"
    assert value(after, batch_count, loader=DOCUMENTS_LOADER) - value(before, batch_count, loader=DOCUMENTS_LOADER) == 1
    assert value(after, batch_sum, loader=DOCUMENTS_LOADER) - value(before, batch_sum, loader=DOCUMENTS_LOADER) == 5


def test_operation_labels_are_bounded() -> None:
    label = metrics.operation_label
    assert label("query Citizen($p: String!) { citizen(personalId: $p) { fullName } }", None) == "Citizen"
    assert label("{ a }", None) == "anonymous"
    assert label("query { a }", None) == "anonymous"
    assert label("query A { a } query B { b }", "B") == "B"
    assert label("query A { a }", "NotInTheDocument") == "anonymous"
    # a name inside a string literal never becomes a label
    assert label('query A($x: String = "query Nguyen") { a(x: $x) }', "Nguyen") == "anonymous"
    assert label("# query Commented\n{ a }", None) == "anonymous"
    assert label("query " + "x" * 65 + " { a }", None) == "anonymous"
    assert label("query { a", None) == "anonymous"  # unfinished document
    assert label("query Ünïcode { a }", None) == "anonymous"  # not a GraphQL name: syntax error
    assert label(None, None) == "anonymous"
    assert metrics.topic_label("population.citizen.updated") == "population.citizen.updated"
    assert metrics.topic_label("population.citizen.001099000123") == "other"


# ---------------------------------------------------------------------------------------------------------
# WebSocket and subscription gauges, event bus
# ---------------------------------------------------------------------------------------------------------


async def _gauge(live: Any, name: str) -> float:
    async with httpx.AsyncClient(base_url=live.url, timeout=10) as c:
        return value(await scrape(c), name)


async def _wait_for_gauge(live: Any, name: str, expected: float) -> float:
    current = await _gauge(live, name)
    for _ in range(50):
        if current == expected:
            break
        await asyncio.sleep(0.1)
        current = await _gauge(live, name)
    return current


async def test_websocket_connection_shows_in_the_gauge(live_server: Any) -> None:
    gauge = "govgraph_websocket_connections"
    before = await _wait_for_gauge(live_server, gauge, 0)
    token = token_for(live_server.settings, Role.OPERATOR, subject="obs-ws")
    url = live_server.url.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        assert ws.response is not None and re.fullmatch(r"[0-9a-f]{32}", ws.response.headers["X-Request-Id"])
        assert await _wait_for_gauge(live_server, gauge, before + 1) == before + 1
    assert await _wait_for_gauge(live_server, gauge, before) == before


async def test_subscriptions_gauge_event_lag_and_published_counter() -> None:
    bus = InProcessBus()
    ctx = SimpleNamespace(
        bus=bus,
        settings=Settings(),
        request=None,
        principal=SimpleNamespace(expires_at=None),
        reset_loaders=lambda: None,
    )
    active = metrics.SUBSCRIPTIONS._value.get()
    lag_sum = metrics.EVENT_LAG._sum.get()
    published = metrics.EVENTS_PUBLISHED.labels("population.citizen.updated")._value.get()
    stream = follow(SimpleNamespace(context=ctx), ["population."])  # type: ignore[arg-type]
    first = asyncio.ensure_future(anext(stream))
    for _ in range(100):
        if bus.subscribers:
            break
        await asyncio.sleep(0.01)
    assert metrics.SUBSCRIPTIONS._value.get() == active + 1
    old = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=3)
    await bus.publish([Event("population.citizen.updated", {"fields": ["phone"]}, old)])
    assert (await first).topic == "population.citizen.updated"
    assert metrics.EVENT_LAG._sum.get() - lag_sum >= 3
    assert metrics.EVENTS_PUBLISHED.labels("population.citizen.updated")._value.get() == published + 1
    await stream.aclose()
    assert metrics.SUBSCRIPTIONS._value.get() == active


# ---------------------------------------------------------------------------------------------------------
# Request ids and logs
# ---------------------------------------------------------------------------------------------------------


async def test_request_id_round_trips_given_and_generated(client: httpx.AsyncClient, seeded: Seeded) -> None:
    given = await client.get("/healthz", headers={"X-Request-Id": "trace-42.a_B"})
    assert given.headers["x-request-id"] == "trace-42.a_B"
    generated = [await client.get(path) for path in ("/healthz", "/readyz", "/metrics", "/no-such-page")]
    ids = [r.headers["x-request-id"] for r in generated]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids) and len(set(ids)) == len(ids)
    refused = await client.post("/graphql", json={"query": "{ __typename }"}, headers={"X-Request-Id": "r-1"})
    assert (refused.status_code, refused.headers["x-request-id"]) == (401, "r-1")
    headers = {**auth(seeded), "X-Request-Id": "r-2"}
    served = await client.post("/graphql", json={"query": "{ __typename }"}, headers=headers)
    assert (served.status_code, served.headers["x-request-id"]) == (200, "r-2")
    for insane in ("has space", "x" * 65, "a/b", "001099000123;drop"):
        resp = await client.get("/healthz", headers={"X-Request-Id": insane})
        assert re.fullmatch(r"[0-9a-f]{32}", resp.headers["x-request-id"]), insane
    assert new_request_id("ok.ID-1_2") == "ok.ID-1_2"


@pytest.fixture
def json_logs() -> Iterator[Any]:
    """The production logging set-up (JSON, level debug) for one test; yields a reader of its lines.

    It applies what ``logging_config`` tells uvicorn to apply (logger levels, the one handler on the root),
    without ``dictConfig``, which would close pytest's own handlers.
    """
    config = logging_config("json", "debug")
    stream = io.StringIO()
    handler = make_handler("json", stream)
    root = logging.getLogger()
    saved = {n: (logging.getLogger(n).level, logging.getLogger(n).propagate) for n in config["loggers"]}
    saved_root = root.level
    root.addHandler(handler)
    root.setLevel(config["root"]["level"])
    for name, cfg in config["loggers"].items():
        logging.getLogger(name).setLevel(cfg["level"])
        logging.getLogger(name).propagate = cfg["propagate"]

    def lines() -> list[dict[str, Any]]:
        return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]

    try:
        yield lines
    finally:
        root.removeHandler(handler)
        root.setLevel(saved_root)
        for name, (level, propagate) in saved.items():
            logging.getLogger(name).setLevel(level)
            logging.getLogger(name).propagate = propagate


async def test_json_log_lines_carry_the_request_id(client: httpx.AsyncClient, seeded: Seeded, json_logs: Any) -> None:
    bad = 'query ObsLogged { citizen(personalId: "12345") { fullName } }'
    resp = await client.post("/graphql", json={"query": bad}, headers={**auth(seeded), "X-Request-Id": "log-test-1"})
    assert resp.json()["errors"]
    await client.get("/healthz")
    lines = json_logs()
    access = [line for line in lines if line["logger"] == "govgraph.access"]
    assert len(access) == 2
    first, second = access
    assert first["request_id"] == "log-test-1"
    assert (first["method"], first["path"], first["status"]) == ("POST", "/graphql", 200)
    assert first["operation"] == "ObsLogged"
    assert first["outcome"] == "graphql_error" and isinstance(first["duration_ms"], float)
    assert re.fullmatch(r"[0-9a-f]{32}", second["request_id"]) and second["path"] == "/healthz"
    errors = [line for line in lines if line["logger"] == "strawberry.execution"]
    assert errors, lines
    assert errors[0]["request_id"] == "log-test-1"
    assert errors[0]["graphql_path"] == "citizen" and errors[0]["error_type"] == "ValueError"
    assert all({"ts", "level", "logger", "message"} <= set(line) for line in lines)


async def test_nothing_personal_in_logs_or_metric_labels(
    client: httpx.AsyncClient, seeded: Seeded, json_logs: Any
) -> None:
    person = next(p for p in seeded.ctx.people if p.phone)
    token = token_for(seeded.settings, Role.ADMIN)
    invalid_pid = "999" + person.pid[3:]  # not a province code: its error message quotes it
    secrets = {person.pid, invalid_pid, person.name.full, person.name.given, str(person.phone), token}
    headers = {"Authorization": f"Bearer {token}"}
    query = (
        "query ObsPrivacy($p: String!, $q: String!, $phone: String!) {"
        " citizen(personalId: $p) { fullName phone }"
        " citizens(filter: {search: $q}, first: 3) { nodes { personalId } }"
        " byPhone: citizens(filter: {search: $phone}, first: 1) { totalCount } }"
    )
    variables = {"p": person.pid, "q": person.name.full, "phone": person.phone}
    ok = await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    assert ok.json()["data"]["citizen"]["fullName"] == person.name.full
    bad_vars = {**variables, "p": invalid_pid}
    failed = await client.post("/graphql", json={"query": query, "variables": bad_vars}, headers=headers)
    assert invalid_pid in failed.json()["errors"][0]["message"]  # the client is told; the logs are not
    get = await client.get("/graphql", params={"query": query, "variables": json.dumps(variables)}, headers=headers)
    assert get.json()["data"]["citizen"]
    pid_as_token = {"Authorization": "Bearer " + person.pid}
    refused = await client.post("/graphql", json={"query": query, "variables": variables}, headers=pid_as_token)
    assert refused.status_code == 401

    lines = json_logs()
    assert any(line.get("operation") == "ObsPrivacy" for line in lines)
    assert any(line["logger"] == "strawberry.execution" for line in lines)  # the failure was logged, redacted
    text = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)
    exposition = (await client.get("/metrics")).text
    label_values = " ".join(
        v for family in text_string_to_metric_families(exposition) for s in family.samples for v in s.labels.values()
    )
    for secret in secrets:
        assert secret not in text, f"a log line contains {secret[:4]}…"
        assert secret not in label_values, f"a metric label contains {secret[:4]}…"
    assert not re.search(r"\b\d{12}\b", text + label_values)


# ---------------------------------------------------------------------------------------------------------
# Traces
# ---------------------------------------------------------------------------------------------------------


async def test_a_query_makes_a_request_span_with_batch_and_statement_children(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import SpanKind

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.use_provider(provider)
    try:
        resp = await client.post("/graphql", json={"query": PAGE_WITH_DOCUMENTS}, headers=auth(seeded))
        assert "errors" not in resp.json()
    finally:
        tracing.use_provider(None)
        provider.shutdown()
    spans = exporter.get_finished_spans()
    by_id = {s.context.span_id: s for s in spans}

    def ancestors(span: Any) -> list[str]:
        names = []
        while span.parent is not None and span.parent.span_id in by_id:
            span = by_id[span.parent.span_id]
            names.append(span.name)
        return names

    (request,) = [s for s in spans if s.kind == SpanKind.SERVER]
    assert request.name == "POST /graphql"
    assert request.attributes["graphql.operation.name"] == "ObsDocuments"
    assert request.attributes["http.response.status_code"] == 200
    batch = [s for s in spans if s.name == f"dataloader {DOCUMENTS_LOADER}"]
    assert len(batch) == 1 and batch[0].attributes["govgraph.batch_size"] == 5
    assert ancestors(batch[0])[-1] == "POST /graphql"
    statements = [s for s in spans if s.name == "SELECT population"]
    assert len(statements) >= 2
    assert {s.attributes["db.namespace"] for s in statements} == {"population"}
    assert any(ancestors(s)[:1] == [f"dataloader {DOCUMENTS_LOADER}"] for s in statements)
    assert all(ancestors(s)[-1] == "POST /graphql" for s in statements)
    assert all(s.context.trace_id == request.context.trace_id for s in spans)


def test_tracing_stays_off_without_an_endpoint() -> None:
    assert tracing.configure_from_env({}) is False
    assert not tracing.enabled()


# ---------------------------------------------------------------------------------------------------------
# Several workers: prometheus-client's multiprocess mode
# ---------------------------------------------------------------------------------------------------------

WORKER = """
from govgraph.observability import metrics
metrics.WEBSOCKETS.inc()
metrics.statement_done("population", 0.01)
"""


def test_multiprocess_mode_sums_workers_and_forgets_dead_ones_gauges(tmp_path: Path) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for _ in range(2):  # two workers that each ran a statement and held a socket, then exited
        subprocess.run([sys.executable, "-c", WORKER], env=env, check=True)  # noqa: S603 - our interpreter
    render = "import sys; from govgraph.observability import metrics; sys.stdout.write(metrics.render().decode())"
    out = subprocess.run([sys.executable, "-c", render], env=env, check=True, capture_output=True, text=True)  # noqa: S603
    samples = scrape_text(out.stdout)
    assert value(samples, "govgraph_store_statements_total", store="population") == 2
    assert value(samples, "govgraph_websocket_connections") == 0  # both workers are gone


def test_serve_with_workers_sets_up_a_fresh_metrics_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    from govgraph.cli import app

    for store in (*STORES, "audit"):  # every store elsewhere (unreachable here: serve's schema check skips them)
        monkeypatch.setenv(f"GOVGRAPH_{store.upper()}_URL", f"postgresql+asyncpg://u@127.0.0.1:9/{store}")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "placeholder")
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")
    monkeypatch.setenv("GOVGRAPH_LOG_FORMAT", "json")
    seen: dict[str, Any] = {}

    def fake_run(target: str, **kwargs: Any) -> None:
        directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
        seen.update(kwargs, directory=directory, existed=os.path.isdir(directory), empty=not os.listdir(directory))

    monkeypatch.setattr(uvicorn, "run", fake_run)
    result = CliRunner().invoke(app, ["serve", "--workers", "3"])
    assert result.exit_code == 0, result.output
    assert seen["workers"] == 3 and seen["existed"] and seen["empty"]
    assert seen["access_log"] is False
    assert seen["log_config"]["handlers"]["default"]["fmt"] == "json"
    assert not os.path.exists(seen["directory"])  # removed when the server stops
