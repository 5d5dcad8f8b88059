"""The HTTP front of compiled execution: a POSTed JSON query whose plan is learned is answered here, without
strawberry's HTTP view.

For a small answer, strawberry's view costs more than the query: it builds a request adapter, parses and checks
the body in several steps, builds an ``ExecutionResult`` and a response through three layers (measured with
``bench/cpuprofile.py``: about 1 ms of CPU per request before anything is executed). A query already learned by
the normal path has been parsed and validated; what is left to do for it is small, and this front does only
that:

1. read the body; anything but ``{"query": …, "variables": …, "operationName": …}`` as JSON whose query has a
   compiled plan goes to the view unchanged (the body is replayed), so every error, every limit and every other
   kind of request (GET, multipart, a new document, a syntax error) is answered by the one normal path;
2. build the same context as the view (``view.get_context``: the principal RequireToken verified, fresh
   loaders);
3. answer from the response cache or run the plan (:func:`govgraph.schema.executor.answer`, the same function
   the view uses for a learned GET query), with the same execution timeout;
4. encode ``{"data": …}`` with orjson and send it, with ``X-GovGraph-Execution: compiled`` or ``cached``.

A run that cannot give the normal path's answer (:class:`~govgraph.schema.compiled.Fallback`) is handed to the
view with the body replayed, and the view answers it from the start with a fresh context.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.types import ExecutionResult

from govgraph import observability
from govgraph.schema.cache import ResponseCache
from govgraph.schema.executor import CompiledExecutor, answer

MAX_BODY = 1 << 20
"""A larger body goes to the view (learned documents are small; this only bounds what is buffered here)."""
_KEYS = frozenset({"query", "variables", "operationName", "extensions"})


class SubResponse:
    """What a resolver may set on ``info.context.response`` (headers), as strawberry's sub-response offers."""

    __slots__ = ("headers", "status_code")

    def __init__(self) -> None:
        self.headers: dict[str, str] = {}
        self.status_code: int | None = None


class CompiledFront:
    """ASGI app in front of a strawberry view (``view``) whose ``compiled`` executor is set."""

    def __init__(
        self,
        view: Any,
        timeout: float | None = None,
        on_timeout: Callable[[], ExecutionResult] | None = None,
    ) -> None:
        self.view: ASGIApp = view
        self.timeout = timeout
        self.on_timeout = on_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        compiled: CompiledExecutor | None = getattr(self.view, "compiled", None)
        if compiled is None or scope["type"] != "http" or scope["method"] != "POST" or not _json(scope):
            await self.view(scope, receive, send)
            return
        body, complete = await _read(receive)
        replay = _replay(body, complete, receive)
        parsed = _request(body) if complete else None
        entry = compiled.lookup(parsed[0], parsed[2]) if parsed is not None else None
        if parsed is None or entry is None:
            await self.view(scope, replay, send)
            return
        query, variables, operation_name = parsed
        view: Any = self.view
        sub_response = SubResponse()
        context = await view.get_context(Request(scope, replay), sub_response)
        observability.note_operation(scope, query, operation_name)
        cache: ResponseCache | None = getattr(view, "response_cache", None)
        try:
            if self.timeout is None:
                found = await answer(compiled, cache, entry, query, operation_name, variables, context)
            else:
                async with asyncio.timeout(self.timeout):
                    found = await answer(compiled, cache, entry, query, operation_name, variables, context)
        except TimeoutError:
            if self.on_timeout is None:
                raise
            result = self.on_timeout()
            observability.note_result(scope, True)
            await _send(send, {"data": None, "errors": [e.formatted for e in result.errors or []]}, sub_response)
            return
        if found is None:
            # The plan could not give the normal path's answer: the view answers from the start.
            await self.view(scope, replay, send)
            return
        result, how = found
        observability.note_result(scope, False)
        sub_response.headers["x-govgraph-execution"] = how
        payload: dict[str, Any] = {"data": result.data}
        if result.extensions:
            payload["extensions"] = result.extensions
        await _send(send, payload, sub_response)


def _json(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-type":
            return bool(value.split(b";", 1)[0].strip().lower() == b"application/json")
    return False


async def _read(receive: Receive) -> tuple[bytes, bool]:
    """The request body, and whether all of it was read (False: too large, or the client went away)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), True
        if size > MAX_BODY:
            return b"".join(chunks), False


def _replay(body: bytes, complete: bool, receive: Receive) -> Receive:
    """``receive`` as if nothing had been read: the body first (the rest, if any, from the client)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": not complete}
        return await receive()

    return replay


def _request(body: bytes) -> tuple[str, dict[str, Any] | None, str | None] | None:
    """(query, variables, operationName) of a plain JSON request, else None (the view decides what it is)."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict) or not data.keys() <= _KEYS or data.get("extensions"):
        return None
    query, variables, name = data.get("query"), data.get("variables"), data.get("operationName")
    if not isinstance(query, str) or not (variables is None or isinstance(variables, dict)):
        return None
    if not (name is None or isinstance(name, str)):
        return None
    return query, variables, name


async def _send(send: Send, payload: dict[str, Any], sub_response: SubResponse) -> None:
    content = orjson.dumps(payload)
    headers = [(b"content-length", str(len(content)).encode()), (b"content-type", b"application/json")]
    headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in sub_response.headers.items()]
    await send({"type": "http.response.start", "status": sub_response.status_code or 200, "headers": headers})
    await send({"type": "http.response.body", "body": content})
