"""The proxy's HTTP/1.1 client to the upstreams: asyncio streams and httptools' parser.

What ``secretmock proxy`` needs and no more: one request at a time per connection, kept
alive per origin (scheme, host, port) for the next; TLS verified against the system's
certificates (``ssl.create_default_context``: ``SSL_CERT_FILE`` applies); no redirect
followed, no header added but ``Host`` and ``Content-Length``; the answer's body read
whole, as it came (chunked framing undone, a content encoding left as it is). Every
phase (connecting, sending, each read) has the timeout. Environment proxy variables
are not read: the upstream URL may name a gateway itself.

Why not httpx: measured here, httpx (httpcore on anyio and h11) spent 1.25 ms of CPU on
each forwarded request, against 0.1 ms for asyncio and httptools, the parser uvicorn
already runs; on a shared 2-core machine that was 4 to 5 ms of the proxy's latency.

A kept-alive connection the upstream closed while idle is seen closed before it is
used; should it close as a request goes out, before any byte of the answer came, a
read (``GET``, ``HEAD``, ``OPTIONS``) is sent once again on a new connection; any other
request is not (the upstream may have carried it out): that is a ``dropped`` answer.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httptools

MAX_IDLE_PER_ORIGIN = 16
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""Requests sent again on a new connection when a kept-alive one turns out closed before
the answer came (any other might have been carried out before the upstream closed)."""
READ_CHUNK = 65536

Headers = list[tuple[str, str]]
Origin = tuple[str, str, int]


class UpstreamError(Exception):
    """No answer from the upstream; ``failure`` says why: ``unreachable``, ``tls`` (no
    secure connection: an untrusted certificate, say), ``timeout``, ``dropped`` (the
    connection ended before the answer did) or ``malformed``."""

    def __init__(self, failure: str) -> None:
        super().__init__(failure)
        self.failure = failure


@dataclass(frozen=True, slots=True)
class UpstreamAnswer:
    status: int
    headers: Headers
    data: bytes
    """The body as sent (still compressed if it was), chunked framing undone."""


@dataclass
class _Reading:
    """What the parser read of one answer (httptools' callbacks)."""

    head: bool
    headers: Headers = field(default_factory=list)
    chunks: list[bytes] = field(default_factory=list)
    status: int = 0
    headers_done: bool = False
    done: bool = False
    keep_alive: bool = False
    parser: httptools.HttpResponseParser | None = None

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        assert self.parser is not None
        self.status = self.parser.get_status_code()
        self.keep_alive = self.parser.should_keep_alive() and not self.head
        self.headers_done = True
        if self.head:  # no body follows, whatever Content-Length says
            self.done = True

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)

    def on_message_complete(self) -> None:
        if 100 <= self.status < 200:  # an interim answer: the real one follows
            self.headers, self.chunks, self.headers_done = [], [], False
            return
        self.done = True

    def ends_at_close(self) -> bool:
        """The body is delimited by the end of the connection (no length, not chunked)."""
        names = {name.lower() for name, _ in self.headers}
        return self.headers_done and not names & {"content-length", "transfer-encoding"}


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    def close(self) -> None:
        self.writer.close()


class UpstreamClient:
    """Requests to the upstreams (see the module); ``timeout`` seconds per phase."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._idle: dict[Origin, list[_Connection]] = {}
        self._tls = ssl.create_default_context()

    async def request(
        self, method: str, url: str, headers: Iterable[tuple[str, str]], body: bytes, length: bool
    ) -> UpstreamAnswer:
        """``method`` on ``url`` (its path and query as they go on the wire) with
        ``headers`` and ``body`` (``length``: send ``Content-Length`` even for an empty
        body); raises :class:`UpstreamError`."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        host = parts.hostname or ""
        port = parts.port or (443 if scheme == "https" else 80)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        head = [f"{method} {target} HTTP/1.1", f"Host: {parts.netloc.rpartition('@')[2]}"]
        head += [f"{name}: {value}" for name, value in headers]
        if body or length:
            head.append(f"Content-Length: {len(body)}")
        message = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
        origin = (scheme, host, port)
        pooled = self._take(origin)
        if pooled is not None:
            try:
                return await self._exchange(origin, pooled, message, method == "HEAD")
            except _Stale as stale:
                if method not in SAFE_METHODS:  # it may have been carried out: never twice
                    raise UpstreamError("dropped") from stale
            # closed while idle, before the upstream answered a read: once more, anew
        connection = await self._connect(origin)
        try:
            return await self._exchange(origin, connection, message, method == "HEAD")
        except _Stale as stale:
            raise UpstreamError("dropped") from stale

    async def aclose(self) -> None:
        """Closes every idle connection."""
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()

    def _take(self, origin: Origin) -> _Connection | None:
        connections = self._idle.get(origin)
        while connections:
            connection = connections.pop()
            if not connection.reader.at_eof():
                return connection
            connection.close()
        return None

    async def _connect(self, origin: Origin) -> _Connection:
        scheme, host, port = origin
        tls = self._tls if scheme == "https" else None
        try:
            async with asyncio.timeout(self.timeout):
                reader, writer = await asyncio.open_connection(
                    host, port, ssl=tls, server_hostname=host if tls else None
                )
        except TimeoutError as exc:
            raise UpstreamError("timeout") from exc
        except ssl.SSLError as exc:  # its certificate is not one the system trusts, or so
            raise UpstreamError("tls") from exc
        except (OSError, ValueError) as exc:
            raise UpstreamError("unreachable") from exc
        return _Connection(reader, writer)

    async def _exchange(
        self, origin: Origin, connection: _Connection, message: bytes, head: bool
    ) -> UpstreamAnswer:
        """Sends ``message`` and reads the answer; :class:`_Stale` when the connection
        was closed before any byte of the answer came."""
        reading = _Reading(head)
        parser = httptools.HttpResponseParser(reading)
        reading.parser = parser
        received = False
        try:
            async with asyncio.timeout(self.timeout):
                connection.writer.write(message)
                await connection.writer.drain()
            while not reading.done:
                async with asyncio.timeout(self.timeout):
                    chunk = await connection.reader.read(READ_CHUNK)
                if not chunk:
                    if reading.ends_at_close():
                        break
                    raise _Stale() if not received else UpstreamError("dropped")
                received = True
                parser.feed_data(chunk)
        except TimeoutError as exc:
            connection.close()
            raise UpstreamError("timeout") from exc
        except (ConnectionError, OSError) as exc:
            connection.close()
            raise (_Stale() if not received else UpstreamError("dropped")) from exc
        except httptools.HttpParserError as exc:
            connection.close()
            raise UpstreamError("malformed") from exc
        except (_Stale, UpstreamError):
            connection.close()
            raise
        answer = UpstreamAnswer(reading.status, reading.headers, b"".join(reading.chunks))
        if reading.keep_alive and reading.done:
            self._give_back(origin, connection)
        else:
            connection.close()
        return answer

    def _give_back(self, origin: Origin, connection: _Connection) -> None:
        idle = self._idle.setdefault(origin, [])
        if len(idle) < MAX_IDLE_PER_ORIGIN:
            idle.append(connection)
        else:
            connection.close()


class _Stale(Exception):
    """The connection ended before the answer began."""
