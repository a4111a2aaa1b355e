"""urllib3 connections to the vendors' hosts that talk to an in-memory socket.

A pool manager asked for a vendor's host (``connection_from_host``) hands out an
:class:`InProcessPool`: a real ``HTTPConnectionPool`` whose connections are real
urllib3 ``HTTPConnection`` objects, except that ``connect()`` gives them a
:class:`Loopback` instead of a TCP socket. The request bytes the connection writes are
parsed by httptools, the parser uvicorn serves the emulator with, and handed to the
vendor's pipeline; the answer is written back as the bytes uvicorn would send, and
``http.client`` reads it. So everything a client stacks on urllib3 runs as over a
socket: ``Retry`` (status, read and redirect retries, ``Retry-After``), timeouts, chunked
and file bodies, streamed answers, and ``requests`` with its adapters and hooks.

A fault rule's latency is waited out when the client first reads the answer, cut short
at the socket timeout the connection set (then ``TimeoutError``, which urllib3 turns into
its ``ReadTimeoutError``); a dropped connection reads as the end of the stream, which
``http.client`` reports as ``RemoteDisconnected``.
"""

from __future__ import annotations

import http.client
import io
import threading
import weakref
from collections.abc import Callable
from functools import partial
from typing import Any

import httptools
from urllib3 import HTTPHeaderDict, HTTPResponse, PoolManager
from urllib3.connection import HTTPConnection
from urllib3.connectionpool import HTTPConnectionPool
from urllib3.response import BaseHTTPResponse

from secretmock.engine.pipeline import Outcome
from secretmock.testing.intercept import (
    DEFAULT_PORTS,
    Hosts,
    Routed,
    answer_headers,
    latency,
    pause,
    reason_phrase,
)
from secretmock.web.vendor_app import declared_length

POOL_SETTINGS = ("timeout", "maxsize", "block", "headers", "retries")
"""The pool manager's pool settings an in-process pool keeps (the TLS and socket ones
have nothing to act on)."""

ConnectionFromHost = Callable[..., HTTPConnectionPool]
OutsidePool = Callable[[], Any]
"""Gives the pool a request goes to when no vendor owns its URL (the manager's own)."""


class _Exchange:
    """One request as the connection writes it, parsed as the server parses it; then
    the pipeline's answer as the bytes the server would send."""

    def __init__(self, hosts: Hosts, origin: str) -> None:
        self._hosts = hosts
        self._origin = origin
        self._parser = httptools.HttpRequestParser(self)
        self._target = b""
        self._headers: list[tuple[str, str]] = []
        self._chunks: list[bytes] = []
        self._size = 0
        self._limit = 0
        self._too_large = False
        self._routed: Routed | None = None
        self.method = ""
        self.complete = False

    def feed(self, data: bytes) -> None:
        self._parser.feed_data(data)

    # httptools' callbacks
    def on_url(self, url: bytes) -> None:
        self._target += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        self.method = self._parser.get_method().decode("ascii")
        target = self._target.decode("latin-1")
        url = target if "://" in target else self._origin + target
        self._routed = self._hosts.route(url)
        if self._routed is None:  # the pool sends only what a vendor owns
            raise ConnectionRefusedError(f"secretmock: no vendor answers {url}")
        self._limit = self._routed.pipeline.max_body_bytes
        self._too_large = declared_length(self._headers) > self._limit  # refused unread

    def on_body(self, body: bytes) -> None:
        if self._too_large:
            return
        self._size += len(body)
        if self._size > self._limit:  # no more than the limit is ever held, as a server
            self._too_large, self._chunks = True, []
        else:
            self._chunks.append(body)

    def on_message_complete(self) -> None:
        self.complete = True

    def outcome(self) -> Outcome:
        """The pipeline's outcome for the request, once it has been written whole."""
        if self._routed is None or not self.complete:
            raise ConnectionAbortedError("secretmock: the request was not written whole")
        return self._hosts.answer(
            self._routed, self.method, self._headers, b"".join(self._chunks), self._too_large
        )


def answer_bytes(outcome: Outcome, method: str) -> bytes:
    """The answer as uvicorn writes it: status line, the app's headers, the body (none
    for HEAD). The server's own ``date`` and ``server`` headers are left out."""
    status = outcome.reply.status
    head = [b"HTTP/1.1 %d %s" % (status, reason_phrase(status))]
    head += [f"{name}: {value}".encode() for name, value in answer_headers(outcome)]
    body = b"" if method == "HEAD" else outcome.data
    return b"\r\n".join(head) + b"\r\n\r\n" + body


class _Answer(io.RawIOBase):
    """The answer's bytes as the socket delivers them: nothing until the fault rule's
    latency is over (``TimeoutError`` at the socket timeout, if that comes first), then
    the answer, or the end of the stream for a dropped connection."""

    def __init__(self, exchange: _Exchange, timeout: float | None) -> None:
        super().__init__()
        self._exchange = exchange
        self._timeout = timeout
        self._data: io.BytesIO | None = None
        self._dropped = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._data is None and not self._dropped:
            self._arrive()
        if self._data is None:
            return 0
        return self._data.readinto(buffer)

    def _arrive(self) -> None:
        outcome = self._exchange.outcome()
        wait, timed_out = latency(outcome, self._timeout)
        pause(wait)
        if timed_out:
            self._dropped = True  # a later read of a timed-out answer finds nothing
            raise TimeoutError("timed out")
        if outcome.disconnect:
            self._dropped = True
        else:
            self._data = io.BytesIO(answer_bytes(outcome, self._exchange.method))


class Loopback:
    """The socket of an in-process connection: what the connection sends is one request
    (:class:`_Exchange`), what it reads (``makefile``) that request's answer."""

    def __init__(self, hosts: Hosts, origin: str) -> None:
        self._hosts = hosts
        self._origin = origin
        self._exchange: _Exchange | None = None
        self.timeout: float | None = None
        self.closed = False

    def settimeout(self, timeout: float | None) -> None:
        self.timeout = timeout

    def gettimeout(self) -> float | None:
        return self.timeout

    def setsockopt(self, *args: Any) -> None:
        """Socket options have nothing to act on."""

    def sendall(self, data: bytes) -> None:
        if self.closed:
            raise BrokenPipeError("secretmock: the in-process connection is closed")
        if self._exchange is None:
            self._exchange = _Exchange(self._hosts, self._origin)
        self._exchange.feed(bytes(data))

    def makefile(self, mode: str = "rb", *args: Any, **kwargs: Any) -> io.BufferedReader:
        """The answer to the request sent since the last answer (``http.client`` asks
        once per response)."""
        return io.BufferedReader(_Answer(self.take(), self.timeout))

    def take(self) -> _Exchange:
        """The request sent since the last answer, to answer it."""
        exchange, self._exchange = self._exchange, None
        if exchange is None:
            raise ConnectionAbortedError("secretmock: an answer was read before any request")
        return exchange

    def shutdown(self, how: int) -> None:
        self.closed = True

    def close(self) -> None:
        self.closed = True


class _Received:
    """What stands for ``http.client.HTTPResponse`` behind an answer read without it
    (``HTTPResponse.original_response``): its headers as ``msg`` (``requests`` reads its
    cookies there), the request method (urllib3 asks it for HEAD) and whether it is
    closed."""

    __slots__ = ("_closed", "_method", "msg")

    def __init__(self, headers: list[tuple[str, str]], method: str) -> None:
        self.msg = http.client.HTTPMessage()
        for name, value in headers:
            self.msg[name] = value
        self._method = method
        self._closed = False

    def close(self) -> None:
        self._closed = True

    def isclosed(self) -> bool:
        return self._closed


class InProcessConnection(HTTPConnection):
    """A urllib3 connection whose socket is a :class:`Loopback`.

    The request goes down as over a socket (http.client writes it, httptools parses it,
    as uvicorn does); the answer comes back as the urllib3 ``HTTPResponse`` that
    ``getresponse`` would make of the bytes uvicorn sends, made directly: http.client's
    reading of a status line and headers (the email parser) was a fifth of an
    intercepted call, for bytes the emulator itself just wrote. Everything urllib3 and
    ``requests`` do with the response (retries, redirects, timeouts, streaming,
    decoding, cookies, releasing the connection) is unchanged."""

    def __init__(self, *args: Any, loopback: Callable[[], Loopback], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._loopback = loopback

    def connect(self) -> None:
        self.sock = self._loopback()

    def getresponse(self) -> BaseHTTPResponse:  # type: ignore[override]
        """The answer to the request sent, as ``HTTPConnection.getresponse`` gives it:
        after a fault rule's latency (``TimeoutError`` at the read timeout, if that
        comes first); ``RemoteDisconnected`` for a dropped connection."""
        options, self._response_options = self._response_options, None
        sock = self.sock
        if options is None or not isinstance(sock, Loopback):
            raise http.client.ResponseNotReady()
        sock.settimeout(self.timeout)
        exchange = sock.take()
        outcome = exchange.outcome()
        wait, timed_out = latency(outcome, sock.timeout)
        pause(wait)
        if timed_out:
            raise TimeoutError("timed out")
        if outcome.disconnect:
            self.close()
            raise http.client.RemoteDisconnected("Remote end closed connection without response")
        self._HTTPConnection__state = http.client._CS_IDLE  # type: ignore[attr-defined]
        status, method = outcome.reply.status, exchange.method
        headers = answer_headers(outcome)
        return HTTPResponse(
            body=io.BytesIO(b"" if method == "HEAD" else outcome.data),
            headers=HTTPHeaderDict(headers),
            status=status,
            version=11,
            version_string="HTTP/1.1",
            reason=reason_phrase(status).decode(),
            preload_content=options.preload_content,
            decode_content=options.decode_content,
            original_response=_Received(headers, method),  # type: ignore[arg-type]
            enforce_content_length=options.enforce_content_length,
            request_method=options.request_method,
            request_url=options.request_url,
            sock_shutdown=sock.shutdown,
        )

    @property
    def is_connected(self) -> bool:
        return isinstance(self.sock, Loopback) and not self.sock.closed


class InProcessPool(HTTPConnectionPool):
    """A connection pool for one vendor origin whose connections are in-process. A URL
    on that origin that no base URL covers (a named base URL with a path prefix) goes
    to the pool the manager would have given (``outside``)."""

    def __init__(
        self,
        hosts: Hosts,
        scheme: str,
        host: str,
        port: int,
        outside: OutsidePool,
        **settings: Any,
    ) -> None:
        super().__init__(host, port, **settings)
        self.scheme = scheme
        self._hosts = hosts
        self._outside = outside
        default = DEFAULT_PORTS.get(scheme)
        self._origin = f"{scheme}://{host}" + ("" if port == default else f":{port}")

    def __str__(self) -> str:
        """As urllib3 names its own pool for the scheme, in the errors it raises."""
        kind = "HTTPSConnectionPool" if self.scheme == "https" else "HTTPConnectionPool"
        return f"{kind}(host={self.host!r}, port={self.port!r})"

    def _new_conn(self) -> HTTPConnection:
        self.num_connections += 1
        return InProcessConnection(
            host=self.host,
            port=self.port,
            timeout=self.timeout.connect_timeout,
            loopback=partial(Loopback, self._hosts, self._origin),
        )

    def urlopen(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        absolute = url if "://" in url else self._origin + url
        if self._hosts.route(absolute) is None:
            return self._outside().urlopen(method, url, *args, **kwargs)
        return super().urlopen(method, url, *args, **kwargs)


class InProcessPools:
    """The in-process pools of one :class:`Hosts`, one per pool manager and origin (so
    each keeps its manager's ``retries``, ``timeout`` and ``headers``)."""

    def __init__(self, hosts: Hosts) -> None:
        self._hosts = hosts
        self._pools: weakref.WeakKeyDictionary[Any, dict[str, InProcessPool]] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()

    def pool(
        self,
        manager: PoolManager,
        host: str | None,
        port: int | None,
        scheme: str | None,
        pool_kwargs: dict[str, Any] | None,
        outside: OutsidePool,
    ) -> InProcessPool | None:
        """The manager's in-process pool for this origin; ``None`` when no vendor's base
        URL is on it."""
        scheme = (scheme or "http").lower()
        port = port or DEFAULT_PORTS.get(scheme, 80)
        if not host:
            return None
        origin = f"{scheme}://{host}:{port}".lower()
        if not self._hosts.owns_origin(origin):
            return None
        with self._lock:
            pools = self._pools.setdefault(manager, {})
            if origin not in pools:
                context = {**manager.connection_pool_kw, **(pool_kwargs or {})}
                settings = {k: v for k, v in context.items() if k in POOL_SETTINGS}
                pools[origin] = InProcessPool(
                    self._hosts, scheme, host.lower(), port, outside, **settings
                )
            return pools[origin]

    def patched(self, original: ConnectionFromHost) -> ConnectionFromHost:
        """``original`` (a manager class's ``connection_from_host``), answering a vendor's
        origin with its in-process pool."""

        def connection_from_host(
            manager: PoolManager,
            host: str | None,
            port: int | None = None,
            scheme: str | None = "http",
            pool_kwargs: dict[str, Any] | None = None,
        ) -> HTTPConnectionPool:
            outside = partial(original, manager, host, port, scheme, pool_kwargs)
            pool = self.pool(manager, host, port, scheme, pool_kwargs, outside)
            return pool if pool is not None else outside()

        return connection_from_host
