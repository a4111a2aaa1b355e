"""httpx requests answered in-process, as httpx's own transports would have received the
answer over a socket: the fault latency waited out up to the read timeout (then
``httpx.ReadTimeout``), a dropped connection as ``httpx.RemoteProtocolError``, and the
answer with the status line's reason phrase and HTTP version.

Used by the patching adapter (:class:`~secretmock.testing.intercept.HttpxAdapter`) and by
the transport a test hands to a client (:class:`InProcessTransport`).
"""

from __future__ import annotations

import asyncio

import httpx

from secretmock.engine.pipeline import Outcome
from secretmock.testing.intercept import (
    Hosts,
    Routed,
    answer_headers,
    latency,
    pause,
    reason_phrase,
)

DROPPED_BY_HTTPX = "Server disconnected without sending a response."
"""httpx's (httpcore's) message for a connection closed before any answer."""
TIMED_OUT = "timed out"
"""httpcore's message for a read that timed out (the socket's own)."""


def answer(hosts: Hosts, request: httpx.Request) -> httpx.Response | None:
    """The emulator's answer to ``request``, or ``None`` when no vendor owns its URL."""
    routed = hosts.route(str(request.url))
    if routed is None:
        return None
    outcome = _outcome(hosts, routed, request, request.read())
    wait, timed_out = latency(outcome, _read_timeout(request))
    pause(wait)
    return _finish(request, outcome, timed_out)


async def answer_async(hosts: Hosts, request: httpx.Request) -> httpx.Response | None:
    """:func:`answer` for ``AsyncClient``: the latency is an ``asyncio.sleep``."""
    routed = hosts.route(str(request.url))
    if routed is None:
        return None
    outcome = _outcome(hosts, routed, request, await request.aread())
    wait, timed_out = latency(outcome, _read_timeout(request))
    if wait:
        await asyncio.sleep(wait)
    return _finish(request, outcome, timed_out)


def _outcome(hosts: Hosts, routed: Routed, request: httpx.Request, body: bytes) -> Outcome:
    return hosts.answer(routed, request.method, request.headers.multi_items(), body)


def _read_timeout(request: httpx.Request) -> float | None:
    timeouts = request.extensions.get("timeout") or {}
    read = timeouts.get("read")
    return float(read) if read is not None else None


def _finish(request: httpx.Request, outcome: Outcome, timed_out: bool) -> httpx.Response:
    if timed_out:
        raise httpx.ReadTimeout(TIMED_OUT, request=request)
    if outcome.disconnect:
        raise httpx.RemoteProtocolError(DROPPED_BY_HTTPX, request=request)
    status = outcome.reply.status
    return httpx.Response(
        status,
        headers=answer_headers(outcome),
        content=b"" if request.method == "HEAD" else outcome.data,
        request=request,
        extensions={"http_version": b"HTTP/1.1", "reason_phrase": reason_phrase(status)},
    )


class InProcessTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """An httpx transport, sync and async: the vendors' hosts answered in-process, every
    other request sent out through httpx's own transport (made when first needed)."""

    def __init__(self, hosts: Hosts) -> None:
        self._hosts = hosts
        self._outside: httpx.HTTPTransport | None = None
        self._async_outside: httpx.AsyncHTTPTransport | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        answered = answer(self._hosts, request)
        if answered is not None:
            return answered
        if self._outside is None:
            self._outside = httpx.HTTPTransport()
        return self._outside.handle_request(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        answered = await answer_async(self._hosts, request)
        if answered is not None:
            return answered
        if self._async_outside is None:
            self._async_outside = httpx.AsyncHTTPTransport()
        return await self._async_outside.handle_async_request(request)

    def close(self) -> None:
        if self._outside is not None:
            self._outside.close()

    async def aclose(self) -> None:
        if self._async_outside is not None:
            await self._async_outside.aclose()
