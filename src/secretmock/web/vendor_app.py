"""The ASGI face of a vendor pipeline: bytes in, bytes out, and what a fault rule asks
of the transport (wait before answering, or drop the connection)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from starlette.types import Receive, Scope, Send

from secretmock.engine.incoming import incoming_request
from secretmock.engine.pipeline import Outcome, VendorPipeline

DROP_EXTENSION = "secretmock.drop"
"""The ASGI extension through which a server lets the app close a connection with no
answer (``secretmock.serve.protocol.GuardedHttpToolsProtocol`` offers it)."""


class ConnectionDropped(ConnectionResetError):
    """Raised when a fault rule drops the connection and the server offers no way to:
    the server (or Starlette's TestClient) sees the app fail without an answer."""


class VendorApp:
    """Serves one vendor's paths (what follows its mount prefix)."""

    def __init__(self, pipeline: VendorPipeline) -> None:
        self.pipeline = pipeline

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        limit = self.pipeline.max_body_bytes
        if declared_length(headers) > limit:
            body, too_large = b"", True  # refused unread
        else:
            read = await _read_body(receive, limit)
            if read is None:
                return  # the client left mid-body: nothing to run, no one to answer
            body, too_large = read
        request = incoming_request(
            scope["method"],
            route_path(scope),
            scope.get("query_string", b"").decode("latin-1"),
            headers,
            body,
            too_large,
        )
        outcome = self.pipeline.handle(request)
        if outcome.fault_id is not None:
            await self._carry_out_fault(outcome, scope, receive, send)
            return
        await _send(send, outcome.reply.status, outcome.data, outcome.reply.headers)

    async def _carry_out_fault(
        self, outcome: Outcome, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """A fault rule's part that is the transport's: the latency (an asyncio sleep,
        so no lock is held and other requests go on), then the answer or a dropped
        connection. A latency cancelled (the server's shutdown cuts it) delivered
        nothing: the journal is told, so coverage does not count it."""
        if outcome.delay:
            try:
                await asyncio.sleep(outcome.delay)
            except asyncio.CancelledError:
                if outcome.entry is not None:
                    self.pipeline.journal.undelivered(outcome.entry)
                raise
        await _answer_or_drop(outcome, scope, receive, send)


def declared_length(headers: Iterable[tuple[str, str]]) -> int:
    """The ``Content-Length`` the client announced, or -1 (none, or not a number)."""
    for name, value in headers:
        if name.lower() == "content-length":
            return int(value) if value.strip().isascii() and value.strip().isdigit() else -1
    return -1


async def _answer_or_drop(outcome: Outcome, scope: Scope, receive: Receive, send: Send) -> None:
    """Sends the fault's answer, or drops the connection when the rule says so."""
    if not outcome.disconnect:
        await _send(send, outcome.reply.status, outcome.data, outcome.reply.headers)
        return
    drop = (scope.get("extensions") or {}).get(DROP_EXTENSION)
    if drop is None:
        raise ConnectionDropped(f"fault rule {outcome.fault_id} dropped the connection")
    drop["abort"]()
    # Returns once the server has seen the connection gone ("http.disconnect"): it then
    # neither answers for the app nor logs that the app did not.
    while (await receive())["type"] != "http.disconnect":
        pass


async def _read_body(receive: Receive, limit: int) -> tuple[bytes, bool] | None:
    """The body, and whether it is larger than ``limit``: then reading stops as soon as
    the limit is passed, so no more than the limit and one chunk is ever held (the
    server drops the rest as it arrives). ``None`` when the client went away before the
    body ended: a request with part of its body is never acted on."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return b"", True
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), False


def route_path(scope: Scope) -> str:
    """The path below the mount: ``scope['path']`` less the ``root_path`` Starlette set."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


async def _send(send: Send, status: int, data: bytes, extra: object) -> None:
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(data)).encode()),
    ]
    headers += [(k.encode(), v.encode()) for k, v in dict(extra).items()]  # type: ignore[call-overload]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})
