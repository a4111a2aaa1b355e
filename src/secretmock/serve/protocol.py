"""uvicorn's HTTP protocol with the limits a server on a shared machine needs.

uvicorn's httptools protocol has no limit on request headers (llhttp buffers a header
value until it ends: a 200 MB header is 200 MB of memory), no timeout on a client that
stops sending (a silent connection, half-sent headers or a stalled body stay open
forever), and at shutdown it waits without end for a body that never comes. This
subclass adds, per connection:

* a **header limit**: a request line and headers over ``max_header_bytes`` in total are
  answered ``431`` (JSON) and the connection closed, with at most one read more than
  the limit ever held;
* a **read timeout**: a connection waiting on its client (no request yet, headers or
  body incomplete, idle between requests) that sends nothing for ``idle_timeout``
  seconds is closed; one whose answer is being made is left alone;
* a **request deadline**: a request whose head and body are not all in within
  ``request_timeout`` seconds of its first byte is answered ``408`` (JSON) and its
  connection closed, so a client that trickles a byte now and then (which the read
  timeout never sees silent) holds what it sent for that long at most;
* a **connection cap**: a connection beyond ``max_connections`` open at once is
  answered ``503`` (JSON) and closed as soon as it is accepted;
* a **shutdown** that closes at once a connection whose request is still waiting for
  its body (it can never be answered), gives an answer being made (a fault's delay)
  until just before uvicorn's ``timeout_graceful_shutdown`` and then closes its
  connection with no answer (as a stopped server does: never uvicorn's plain-text 500);
* JSON instead of ``text/plain`` for uvicorn's own 400 on unparseable HTTP, sent
  after the answers to the requests pipelined before the bytes it could not parse (in
  their order, as HTTP/1.1 requires): uvicorn sends it at once, which a pipelining
  client reads as the answer to its first request, and cuts the others mid-way;
* **one write per answer**: uvicorn writes an answer's head and its body to the socket
  separately, two system calls where one does (:class:`_CoalescedWrites`);
* and a way to drop a connection with no answer, for the ``disconnect`` fault rule.
  ASGI has no message for "close the connection and answer nothing": an app that
  returns without a response gets uvicorn's own 500. So each request's scope carries
  the ASGI extension ``secretmock.drop``, whose ``abort`` closes the connection at once.
  The vendor app calls it, then waits for uvicorn to see the connection gone, so that
  uvicorn neither answers nor logs an error: the client sees what a crashed server
  leaves it, a connection closed with no answer (``requests``' ``ConnectionError``,
  httpx's ``RemoteProtocolError``).

It is passed to ``uvicorn.Config(http=...)`` by :func:`guarded_protocol`, for
``secretmock serve`` and for the background server of the tests and the pytest plugin.

**The pin.** The class extends uvicorn's ``HttpToolsProtocol`` and reads its internals
(:data:`UVICORN_INTERNALS`): pyproject.toml pins uvicorn to the minor release they were
checked on, and ``tests/robustness/test_uvicorn_internals.py`` fails, pointing at that
pin, when a release no longer has one of them.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httptools
import uvicorn
from starlette.types import ASGIApp
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from secretmock.web.vendor_app import DROP_EXTENSION

MAX_HEADER_BYTES = 64 * 1024
IDLE_TIMEOUT_S = 30.0
REQUEST_TIMEOUT_S = 60.0
MAX_CONNECTIONS = 1000
"""Below the usual limit of 1024 open files per process, which uvicorn would otherwise
reach first and answer by refusing every new connection, silently."""
GRACEFUL_SHUTDOWN_S = 3
"""How long shutdown waits for answers being made before it cuts them (under the 5 s the
contract allows, leaving time to write the report and state files)."""
CUT_AFTER_S = GRACEFUL_SHUTDOWN_S - 0.5
"""When a connection whose answer is still being made is closed, with no answer, just
before uvicorn cancels that answer."""


@dataclass(frozen=True)
class ConnectionLimits:
    """The limits of :class:`GuardedHttpToolsProtocol`, one set per server."""

    max_header_bytes: int = MAX_HEADER_BYTES
    idle_timeout: float = IDLE_TIMEOUT_S
    request_timeout: float = REQUEST_TIMEOUT_S
    max_connections: int = MAX_CONNECTIONS


class _HeadersTooLarge(Exception):
    """Raised from a parser callback to stop parsing a request whose head is too large."""


def guarded_protocol(limits: ConnectionLimits) -> type[GuardedHttpToolsProtocol]:
    """The protocol class to give ``uvicorn.Config(http=...)`` for these limits."""
    return type("GuardedHttpToolsProtocol", (GuardedHttpToolsProtocol,), {"limits": limits})


UVICORN_INTERNALS = {
    "HttpToolsProtocol": (
        "loop",
        "transport",
        "parser",
        "scope",
        "cycle",
        "flow",
        "connections",
        "logger",
        "connection_made",
        "connection_lost",
        "data_received",
        "shutdown",
        "on_message_begin",
        "url",
        "headers",
        "on_headers_complete",
        "on_message_complete",
        "send_400_response",
        "on_response_complete",
        "pipeline",
        "_unset_keepalive_if_required",
        "_should_upgrade",
        "handle_websocket_upgrade",
        "_unsupported_upgrade_warning",
    ),
    "RequestResponseCycle": ("more_body", "response_started", "response_complete"),
    "FlowControl": ("read_paused", "pause_reading"),
}
"""What :class:`GuardedHttpToolsProtocol` reads or overrides of uvicorn's classes in
``uvicorn.protocols.http`` (attributes set in ``__init__`` and methods): none of it is
uvicorn's public API."""


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """See the module: uvicorn's httptools protocol with limits, JSON refusals and the
    ``secretmock.drop`` extension (``{"abort": <callable>}``) in each request's scope.
    Relies on :data:`UVICORN_INTERNALS` (see the pin in pyproject.toml)."""

    limits = ConnectionLimits()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = True
        """Between the start of a request (or of the connection) and its last header."""
        self._unparsed_head = 0
        """Bytes received while the head is incomplete (what httptools may be holding),
        counted from the first read that starts with the head already begun."""
        self._head_restarted = False
        """A head began in the read being parsed: its bytes are not counted (the part of
        that read before the head belongs to the previous request), which leaves at most
        one read uncounted."""
        self._drop: dict[object, object] = {}
        """The ``secretmock.drop`` extension of every request of the connection."""
        self._last_read = 0.0
        self._request_started: float | None = None
        """When the read that began the request being received came (``None`` between
        requests): its deadline runs from there."""
        self._timer: asyncio.TimerHandle | None = None
        """The one timer of the connection, for both the read timeout and the request
        deadline: no timer is made or cancelled per request or per read."""
        self._refusal: Callable[[], None] | None = None
        """The refusal of bytes that could not be parsed, held until the requests
        pipelined before them are answered; nothing more is read meanwhile."""

    # Connection

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)  # counted in self.connections from here
        # Every write from here (the cycles', the protocol's own) goes through one
        # buffer, so their order on the wire stays the order they were made in.
        self.transport = _CoalescedWrites(transport, self.loop)  # type: ignore[assignment]
        self._drop = {"abort": self.transport.abort}
        if len(self.connections) > self.limits.max_connections:
            self._refuse_connection()
            return
        self._last_read = self.loop.time()
        self._arm_timer(self._last_read + self.limits.idle_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.transport.is_closing() or self._refusal is not None:
            return  # refused or cut: whatever else it sends is not read
        # Only a time stamp per read: the timer re-arms itself (see _on_timer).
        self._last_read = self.loop.time()
        self._unset_keepalive_if_required()
        self._head_restarted = False
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        except httptools.HttpParserError as exc:
            if isinstance(exc.__context__, _HeadersTooLarge):
                self._refuse_after_answers(self._refuse_headers)
            else:
                self.logger.warning("Invalid HTTP request received.")
                self._refuse_after_answers(self._refuse_unparseable)
            return
        if self._in_head and not self._head_restarted and not self.transport.is_closing():
            self._unparsed_head += len(data)
            if self._unparsed_head > self.limits.max_header_bytes:
                self._refuse_headers()

    def shutdown(self) -> None:
        if self._waiting_for_body():
            self.transport.close()
            return
        super().shutdown()
        if self.cycle is not None and not self.cycle.response_complete:
            self.loop.call_later(CUT_AFTER_S, self._cut_if_unanswered)

    def _cut_if_unanswered(self) -> None:
        """Closes, with no answer, a connection whose answer is still being made just
        before shutdown cancels it: otherwise uvicorn would answer the cancelled request
        with its own plain-text 500."""
        cycle = self.cycle
        if cycle is not None and not cycle.response_started and not self.transport.is_closing():
            self.transport.abort()

    # Parser callbacks

    def on_message_begin(self) -> None:
        super().on_message_begin()
        extensions = self.scope.get("extensions")
        if extensions:
            self.scope["extensions"] = {**extensions, DROP_EXTENSION: self._drop}
        else:
            self.scope["extensions"] = {DROP_EXTENSION: self._drop}
        self._in_head, self._head_restarted = True, True
        self._unparsed_head = 0
        self._request_started = self._last_read
        deadline = self._last_read + self.limits.request_timeout
        if self._timer is not None and self._timer.when() > deadline:
            # Only when the deadline is shorter than the read timeout: the timer would
            # come too late for it.
            self._timer.cancel()
            self._arm_timer(deadline)

    def on_headers_complete(self) -> None:
        self._in_head = False
        # The request line and headers as parsed (uvicorn keeps both): counted here
        # once rather than in a callback per header.
        parsed = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if parsed > self.limits.max_header_bytes:  # the 4: ": " and CRLF
            raise _HeadersTooLarge
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._request_started = None
        super().on_message_complete()
        self._in_head, self._head_restarted, self._unparsed_head = True, True, 0

    def on_response_complete(self) -> None:
        super().on_response_complete()  # starts the next pipelined request, if any
        if self._refusal is not None and not self._answers_pending():
            refuse, self._refusal = self._refusal, None
            refuse()

    # Answers of the protocol itself

    def send_400_response(self, msg: str) -> None:
        self._answer_and_close(400, b"Bad Request", "bad_request", msg)

    def _refuse_unparseable(self) -> None:
        self.send_400_response("Invalid HTTP request received.")

    def _refuse_after_answers(self, refuse: Callable[[], None]) -> None:
        """Refuses now, or once the requests parsed before the bad bytes are answered."""
        if self._answers_pending():
            self._refusal = refuse
            self.flow.pause_reading()
        else:
            refuse()

    def _answers_pending(self) -> bool:
        """A request parsed on this connection is still being answered or waits its turn."""
        cycle = self.cycle
        return bool(self.pipeline) or (cycle is not None and not cycle.response_complete)

    def _refuse_headers(self) -> None:
        limit = self.limits.max_header_bytes
        message = f"the request line and headers exceed {limit} bytes"
        self._answer_and_close(
            431, b"Request Header Fields Too Large", "request_header_fields_too_large", message
        )

    def _refuse_connection(self) -> None:
        limit = self.limits.max_connections
        message = f"the server has {limit} connections open, its limit; try again later"
        self._answer_and_close(503, b"Service Unavailable", "service_unavailable", message)

    def _answer_and_close(self, status: int, reason: bytes, error: str, message: str) -> None:
        body = json.dumps({"error": error, "message": message}).encode()
        self.transport.write(
            b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
            b"connection: close\r\n\r\n%s" % (status, reason, len(body), body)
        )
        self.transport.close()

    # The timer: read timeout and request deadline

    def _waiting_for_body(self) -> bool:
        cycle = self.cycle
        return cycle is not None and cycle.more_body and not cycle.response_started

    def _waiting_for_client(self) -> bool:
        cycle = self.cycle
        return self._in_head or cycle is None or cycle.response_complete or self._waiting_for_body()

    def _arm_timer(self, at: float) -> None:
        self._timer = self.loop.call_at(at, self._on_timer)

    def _on_timer(self) -> None:
        """Cuts a request past its deadline, closes a connection silent for the read
        timeout while the server waits on its client, and otherwise comes back when
        the first of the two could next fall due."""
        self._timer = None
        if self.transport.is_closing():
            return
        now, limits = self.loop.time(), self.limits
        started = self._request_started
        if started is not None and now >= started + limits.request_timeout:
            if not self.flow.read_paused:
                self._cut_overdue_request()
                return
            # uvicorn stopped reading (a pipelined request waiting for the one before
            # it, or a body the app has not taken yet): the wait is the server's, and
            # the client gets its full time again.
            self._request_started = started = now
        if now - self._last_read < limits.idle_timeout:
            due = self._last_read + limits.idle_timeout
        elif self._waiting_for_client():
            self.transport.close()
            return
        else:  # the answer is being made: the client is waiting on us, not we on it
            due = now + limits.idle_timeout
        if started is not None:
            due = min(due, started + limits.request_timeout)
        self._arm_timer(due)

    def _cut_overdue_request(self) -> None:
        if not self._in_head and self.cycle is not None and self.cycle.response_started:
            self.transport.close()  # answered already (a body refused unread): no 408
            return
        timeout = self.limits.request_timeout
        message = f"the request was not all sent within {timeout:g} seconds"
        self._answer_and_close(408, b"Request Timeout", "request_timeout", message)


class _CoalescedWrites:
    """A connection's transport whose writes made in one turn of the event loop reach
    the socket as one write, at the end of that turn (``call_soon``).

    uvicorn writes an answer's head when the app sends ``http.response.start`` and its
    body on ``http.response.body``: two ``send`` system calls, and two TCP segments, for
    every answer. The vendor app sends both in the same turn, so they go out as one,
    which is a tenth of what a small answer costs the server. Nothing waits longer than
    the turn it was written in; closing or aborting the connection sends what is
    pending first, as the writes it stands for would have been sent by then.
    Everything else is the transport's own."""

    __slots__ = ("_loop", "_pending", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] | None = None

    def write(self, data: bytes) -> None:
        pending = self._pending
        if pending is None:
            self._pending = [data]
            self._loop.call_soon(self.flush)
        else:
            pending.append(data)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        """Writes what is pending, in one write (nothing once the transport closes)."""
        pending, self._pending = self._pending, None
        if pending and not self._transport.is_closing():
            self._transport.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self.flush()
        self._transport.abort()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def uvicorn_config(app: ASGIApp, limits: ConnectionLimits, **options: Any) -> uvicorn.Config:
    """A uvicorn configuration serving ``app`` with :class:`GuardedHttpToolsProtocol`
    under ``limits`` and a bounded graceful shutdown; ``options`` go to uvicorn."""
    config = uvicorn.Config(
        app,
        http=guarded_protocol(limits),
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        **options,
    )
    _quiet_cut_requests(logging.getLogger("uvicorn.error"))
    return config


def _quiet_cut_requests(logger: logging.Logger) -> None:
    """One line instead of a traceback for each answer shutdown had to cut (uvicorn logs
    the ``CancelledError`` as an application error)."""
    if not any(isinstance(f, _CutRequestFilter) for f in logger.filters):
        logger.addFilter(_CutRequestFilter())


class _CutRequestFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], asyncio.CancelledError):
            record.msg, record.args, record.exc_info = (
                "an answer still being made was cut at shutdown",
                (),
                None,
            )
        return True
