"""The drift check's proxy (``secretmock proxy``): the vendors with an upstream forwarded
to it, each exchange handed to the drift check; every other request served as ``serve``
would.

:class:`DriftProxy` stands in front of the app ``serve`` builds. A request under a
proxied vendor's mount goes to :class:`ProxiedVendor`, which

1. reads the request as the emulator would (within the vendor's body limit);
2. forwards it to the upstream (:mod:`secretmock.web.upstream_client`: no redirects
   followed, the client's headers less the hop-by-hop ones and ``Host``, nothing added)
   and reads the whole answer;
3. hands the request and the answer to the :class:`~secretmock.drift.DriftChecker`
   (the shadow and its twin answer it; the comparison makes the findings);
4. sends the client the upstream's answer unchanged: its status, its body as it came
   (still compressed if it was) and its headers less the hop-by-hop ones (and ``Date``
   and ``Server``, which the proxy's own server sends).

An upstream that cannot be reached, times out or drops the connection gives the client
the vendor's own 502 in its envelope (the vendor's ``status_error``, through its
server version's ``finish`` hook) and the exchange a ``could_not_check`` finding. A
body over the vendor's limit is not forwarded: the vendor's own 413, and
``could_not_check`` too. The drift check never costs the client its answer: should it
fail, that is logged (its error's type, no value) and the answer goes out.

Every other request (the admin API, the vendors without an upstream) goes to the inner
app; the admin API finds the live drift report in the request's scope
(:data:`~secretmock.drift.report.SCOPE_KEY`), as Starlette's middleware hands
``scope["user"]`` to a route.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from secretmock.drift import Answer, DriftChecker
from secretmock.drift.report import SCOPE_KEY
from secretmock.engine.incoming import IncomingRequest, incoming_request
from secretmock.engine.pipeline import VendorPipeline, encode
from secretmock.web.upstream_client import UpstreamAnswer, UpstreamClient, UpstreamError
from secretmock.web.vendor_app import _read_body, declared_length, route_path

log = logging.getLogger("secretmock")

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)
"""Headers of one connection, never forwarded either way (RFC 9110, 7.6.1), with those
the ``Connection`` header names."""
NOT_FORWARDED = HOP_BY_HOP | {"host", "content-length", "expect"}
"""Request headers the proxy does not pass on: the client's to its connection with the
proxy (the forwarded request gets its own ``Host`` and ``Content-Length``; the proxy
has the whole body before it forwards, so ``Expect: 100-continue`` was answered)."""
SERVER_SUPPLIED = frozenset({"date", "server"})
"""Answer headers the proxy's own server sends on every answer (uvicorn): the upstream's
are left out rather than sent twice (a second ``Date`` is not allowed)."""
READABLE_ENCODINGS = frozenset({"", "identity", "gzip", "deflate"})
"""Content encodings the proxy decodes to compare a body (the client gets it as sent)."""
DEFAULT_TIMEOUT_S = 30.0
"""Seconds each phase of a forwarded request may take (``--upstream-timeout``)."""

Headers = list[tuple[str, str]]


@dataclass(frozen=True)
class Upstream:
    """Where a vendor's requests are forwarded: ``url`` as a client is given it (the
    vendor's base URL: ``https://aihub.instabase.com/api``)."""

    vendor: str
    url: str

    def target(self, spec_base_path: str, path: str) -> str:
        """The URL for ``path`` (below the vendor's mount, the spec's base path
        included: ``/api/v2/aihub/secrets``): the upstream's URL, less the spec's base
        path it ends with (if it does), then ``path``."""
        root = self.url.rstrip("/")
        if spec_base_path and root.endswith(spec_base_path):
            root = root.removesuffix(spec_base_path)
        return root + path


@dataclass(frozen=True, slots=True)
class Forwarded:
    """What the client gets (the upstream's answer as it came, or the vendor's own when
    the upstream gave none) and what the drift check reads (``real``: then unanswered)."""

    status: int
    headers: Headers
    data: bytes
    real: Answer


class ProxiedVendor:
    """One vendor's mount, forwarded to its upstream and checked (see the module)."""

    def __init__(
        self,
        pipeline: VendorPipeline,
        upstream: Upstream,
        checker: DriftChecker,
        client: UpstreamClient,
    ) -> None:
        self.pipeline = pipeline
        self.upstream = upstream
        self.checker = checker
        self.client = client
        self.vendor = pipeline.vendor.name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        limit = self.pipeline.max_body_bytes
        if declared_length(headers) > limit:
            body, too_large = b"", True
        else:
            read = await _read_body(receive, limit)
            if read is None:
                return  # the client left mid-body: nothing to forward, no one to answer
            body, too_large = read
        query = scope.get("query_string", b"").decode("latin-1")
        request = incoming_request(
            scope["method"], route_path(scope), query, headers, body, too_large
        )
        if too_large:
            forwarded = self._vendor_answer(request, 413, "not forwarded")
        else:
            forwarded = await self._forward(request, _raw_route_path(scope), headers)
        self._check(request, forwarded.real)
        await _send(send, forwarded.status, forwarded.data, forwarded.headers)

    async def _forward(self, request: IncomingRequest, path: str, headers: Headers) -> Forwarded:
        """The upstream's answer to ``request`` (``path``: its path as the client wrote
        it, percent-escapes kept), or the vendor's 502 when there is none."""
        url = self.upstream.target(self.pipeline.spec.base_path, path)
        if request.query_string:
            url += "?" + request.query_string
        length = any(name.lower() == "content-length" for name, _ in headers)
        try:
            answer = await self.client.request(
                request.method, url, forwardable(headers), request.body, length
            )
        except UpstreamError as failed:
            return self._vendor_answer(request, 502, failed.failure)
        returned = without_hop_by_hop(answer.headers)
        return Forwarded(answer.status, returned, answer.data, _readable(answer, returned))

    def _vendor_answer(self, request: IncomingRequest, status: int, failure: str) -> Forwarded:
        """The vendor's own answer with ``status`` (its envelope and its server
        version's headers), for an exchange the upstream did not answer."""
        vendor = self.pipeline.vendor
        reply = vendor.errors.status_error(request, status, None)
        if vendor.finish is not None:
            reply = vendor.finish(reply, request)
        headers = [("content-type", "application/json"), *reply.headers.items()]
        return Forwarded(reply.status, headers, encode(reply.body), Answer.unanswered(failure))

    def _check(self, request: IncomingRequest, real: Answer) -> None:
        """The drift check of the exchange; a failure of its own is logged, by type
        alone (its message could hold a value), and never reaches the client."""
        try:
            self.checker.exchange(self.vendor, request, real)
        except Exception as exc:  # the client's answer must go out whatever happens here
            log.error("drift check of a %s request failed: %s", self.vendor, type(exc).__name__)


class DriftProxy:
    """The proxied vendors' mounts in front of ``inner`` (see the module). ``prefixes``
    maps each proxied vendor to its mount (``""``: served alone at the root)."""

    def __init__(
        self,
        inner: ASGIApp,
        proxied: Mapping[str, ProxiedVendor],
        prefixes: Mapping[str, str],
        checker: DriftChecker,
        client: UpstreamClient,
    ) -> None:
        self._inner = inner
        self._mounts = {prefixes[name]: app for name, app in proxied.items()}
        self._checker = checker
        self._client = client
        self.started = False
        """Whether the server started serving (its lifespan began)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(scope, receive, send)
            return
        path: str = scope.get("path", "")
        prefix = "/" + path.split("/", 2)[1] if path.startswith("/") else ""
        mounted = self._mounts.get(prefix)
        if mounted is None and "" in self._mounts and prefix != "/__admin__":
            mounted, prefix = self._mounts[""], ""
        if mounted is not None:
            await mounted(
                {**scope, "root_path": scope.get("root_path", "") + prefix}, receive, send
            )
            return
        await self._inner({**scope, SCOPE_KEY: self._checker.report}, receive, send)

    async def _lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Marks the start; at shutdown closes the upstream connections."""
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.started = True
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self._client.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return


def forwardable(headers: Iterable[tuple[str, str]]) -> Headers:
    """The client's request headers the upstream gets (see :data:`NOT_FORWARDED`)."""
    named = _connection_named(headers)
    return [(k, v) for k, v in headers if k.lower() not in NOT_FORWARDED and k.lower() not in named]


def without_hop_by_hop(headers: Iterable[tuple[str, str]]) -> Headers:
    """The upstream's answer headers the client gets: all but the hop-by-hop ones,
    ``Content-Length`` (sent again for the body as it is passed on) and those the
    proxy's server sends itself (:data:`SERVER_SUPPLIED`)."""
    named = _connection_named(headers)
    dropped = HOP_BY_HOP | named | SERVER_SUPPLIED | {"content-length"}
    return [(k, v) for k, v in headers if k.lower() not in dropped]


def _connection_named(headers: Iterable[tuple[str, str]]) -> frozenset[str]:
    """The headers a ``Connection`` header names: hop-by-hop too."""
    return frozenset(
        token.strip().lower()
        for name, value in headers
        if name.lower() == "connection"
        for token in value.split(",")
    )


def _raw_route_path(scope: Scope) -> str:
    """The path below the mount as the client sent it (``raw_path``: percent-escapes
    kept, so ``a%2Fb`` stays one segment upstream); the decoded path where the server
    gives no raw one."""
    raw: bytes | None = scope.get("raw_path")
    if raw is None:
        return route_path(scope)
    path = raw.decode("latin-1").partition("?")[0]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def _readable(answer: UpstreamAnswer, headers: Headers) -> Answer:
    """The upstream's answer as the drift check reads it: the body decoded (gzip,
    deflate); one in another encoding cannot be read, so nothing is compared."""
    encodings = [v.strip().lower() for k, v in answer.headers if k.lower() == "content-encoding"]
    encoding = ",".join(encodings)
    if encoding not in READABLE_ENCODINGS:
        return Answer.unanswered(f"content-encoding {encoding}")
    data = answer.data
    if encoding in ("gzip", "deflate") and data:
        try:
            # 47: a gzip or a zlib header; deflate sent raw (no header) is read too.
            data = zlib.decompress(data, 47) if encoding == "gzip" else _inflate(data)
        except zlib.error:
            return Answer.unanswered("undecodable body")
    return Answer.parse(answer.status, headers, data)


def _inflate(data: bytes) -> bytes:
    try:
        return zlib.decompress(data)
    except zlib.error:
        return zlib.decompress(data, -zlib.MAX_WBITS)


async def _send(send: Send, status: int, data: bytes, headers: Headers) -> None:
    sent = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]
    sent.append((b"content-length", str(len(data)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": sent})
    await send({"type": "http.response.body", "body": data})
