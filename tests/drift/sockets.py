"""The drift check over real sockets: an upstream emulator (optionally behind a stub
that mutates its answers from a table) and ``secretmock proxy``'s app in front of it,
each a :class:`BackgroundServer` in this process; requests go through the proxy with
``requests``.

:class:`SocketRig` runs the in-process corpus (tests/drift/corpus.py) the same way
:class:`~tests.drift.corpus.Rig` does, so the same expectations apply.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from secretmock.drift import Answer, DriftChecker, Finding
from secretmock.drift.answer import EMPTY, UNREADABLE
from secretmock.drift.record import Recorder
from secretmock.drift.shadow import Tenancy
from secretmock.engine.emulator import Emulator
from secretmock.engine.incoming import IncomingRequest
from secretmock.serve.background import BackgroundServer
from secretmock.serve.proxy import build_proxy
from secretmock.web.app import build_app
from secretmock.web.proxy_app import Upstream
from secretmock.web.vendor_app import DROP_EXTENSION
from tests.drift.corpus import Exchange, emulator

Mutate = Callable[[Answer], Answer]


class CapturingChecker(DriftChecker):
    """A checker that keeps each exchange's findings, for a test to read after the
    client got its answer (the proxy checks before it answers)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.last: list[Finding] = []

    def exchange(
        self,
        vendor: str,
        request: IncomingRequest,
        real: Answer,
        tenancy: Tenancy | None = None,
    ) -> list[Finding]:
        self.last = super().exchange(vendor, request, real, tenancy)
        return self.last


class MutatingUpstream:
    """An emulator's app whose answers a test changes: ``mutations`` maps (method, path
    below the server's root) to a function of the :class:`Answer`; an answer made
    unanswered drops the connection."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app
        self.mutations: dict[tuple[str, str], Mutate] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        mutate = self.mutations.get((scope.get("method", ""), scope.get("path", "")))
        if scope["type"] != "http" or mutate is None:
            await self._app(scope, receive, send)
            return
        sent: list[Message] = []

        async def keep(message: Message) -> None:
            sent.append(message)

        await self._app(scope, receive, keep)
        start, body = sent[0], b"".join(m.get("body", b"") for m in sent[1:])
        headers = [(k.decode(), v.decode()) for k, v in start["headers"]]
        changed = mutate(Answer.parse(start["status"], headers, body))
        if not changed.answered:
            scope["extensions"][DROP_EXTENSION]["abort"]()
            return
        if changed.body is EMPTY:
            data = b""
        elif changed.body is UNREADABLE:
            data = changed.data
        else:
            data = json.dumps(changed.body).encode()
        out = [
            (k.encode(), v.encode()) for k, v in changed.headers.items() if k != "content-length"
        ]
        out.append((b"content-length", str(len(data)).encode()))
        await send({"type": "http.response.start", "status": changed.status, "headers": out})
        await send({"type": "http.response.body", "body": data})


@dataclass
class SocketRig:
    """An upstream server and a proxy server in front of it (see the module)."""

    upstream: Emulator
    stub: MutatingUpstream
    upstream_server: BackgroundServer
    served: Emulator
    """The proxy's own emulator (what serves the vendors without an upstream)."""
    checker: CapturingChecker
    proxy_server: BackgroundServer
    reference: Emulator | None = None
    session: requests.Session = field(default_factory=requests.Session)

    def __post_init__(self) -> None:
        self.session.headers.clear()  # the corpus's headers, and nothing of requests' own

    def reset(self) -> None:
        """Every emulator back to its fixtures, no mutation (the shadow's ids and noise
        are kept, as the in-process rig keeps them)."""
        self.stub.mutations.clear()
        for each in (self.upstream, self.checker.shadow.emulator, self.reference):
            if each is not None:
                each.reset()
        if self.checker.twin is not None:
            self.checker.twin.emulator.reset()

    def url(self, vendor: str, request: IncomingRequest) -> str:
        query = f"?{request.query_string}" if request.query_string else ""
        return f"{self.proxy_server.url}/{vendor}{request.path}{query}"

    def call(self, vendor: str, request: IncomingRequest) -> requests.Response:
        """``request`` through the proxy, as a client would send it."""
        return self.session.request(
            request.method,
            self.url(vendor, request),
            headers=dict(request.headers),
            data=request.body or None,
            timeout=30,
            allow_redirects=False,
        )

    def send(self, vendor: str, request: IncomingRequest) -> Exchange:
        """The exchange as the client saw it, with the findings it made."""
        real = answer_from(self.call(vendor, request))
        current = None
        if self.reference is not None:
            from secretmock.drift.shadow import answer_of

            current = answer_of(self.reference.pipelines[vendor].handle(request))
        return Exchange(vendor, request, real, list(self.checker.last), current)

    def stop(self) -> None:
        self.session.close()
        self.proxy_server.stop()
        self.upstream_server.stop()


def answer_from(response: requests.Response) -> Answer:
    """The answer a client got, as the drift check reads one."""
    return Answer.parse(response.status_code, response.headers.items(), response.content)


def socket_rig(
    versions: Mapping[str, str] | None = None,
    timeout: float = 30.0,
    recorder: Recorder | None = None,
) -> SocketRig:
    """A started rig: the upstream on ``versions`` (the reference then on the current
    servers, same seed and clock), every vendor proxied to it at its client base URL."""
    upstream = emulator(1, 0, versions)
    stub = MutatingUpstream(build_app(upstream))
    upstream_server = BackgroundServer(stub).start()
    shadow, twin = emulator(2, 2.5), emulator(3, 5.25)
    checker = CapturingChecker(shadow, twin, recorder=recorder)
    served = emulator(4, 0)
    upstreams = {
        name: Upstream(name, upstream_server.url + pipeline.base_path)
        for name, pipeline in upstream.pipelines.items()
    }
    app = build_proxy(served, build_app(served), upstreams, checker, timeout)
    proxy_server = BackgroundServer(app).start()
    reference = emulator(1, 0) if versions else None
    return SocketRig(upstream, stub, upstream_server, served, checker, proxy_server, reference)
