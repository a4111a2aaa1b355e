"""One conformance suite for in-process interception: every client behaviour below runs
for requests, urllib3, httpx and httpx's AsyncClient, both in-process (the vendor's real
host, intercepted) and over a real socket (the background server), and must come out the
same: timeouts, retries, streamed bodies both ways, redirects, dropped connections,
cookies, the status line and the headers the app sends.

Each test asserts one outcome for all eight (transport x client) runs, so a difference
between the transports fails the run that differs.
"""

from __future__ import annotations

import asyncio
import io
import json
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx
import pytest
import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from secretmock.engine.emulator import Emulator
from secretmock.serve.background import BackgroundServer
from secretmock.testing.intercept import Interceptor
from tests.helpers import forbid_network

AUTH = {"Authorization": "Bearer fw-test-acme"}
JSON = {"Content-Type": "application/json"}
SECRETS = "/v1/accounts/acme/secrets"
CREATED = b'{"name": "streamed", "keyName": "STREAMED_KEY", "value": "v"}'
SERVER_HEADERS = {"date", "server"}
"""What uvicorn adds to every answer, as a server does; not the emulated vendor's."""


@dataclass(frozen=True)
class Answer:
    """What a client made of an answer, in one form for every client library."""

    status: int
    reason: str
    headers: dict[str, str]
    """Lower-cased names, without the server's own (``date``, ``server``)."""
    body: bytes
    redirects: int
    """How many redirects the client followed."""
    cookies: int
    """How many cookies the client kept."""

    def json(self) -> Any:
        return json.loads(self.body)


def _app_headers(headers: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items() if k.lower() not in SERVER_HEADERS}


def _pieces(data: bytes) -> list[bytes]:
    return [data[:10], data[10:25], data[25:]]


class Client(ABC):
    """One client library, driven the same way by every test."""

    name: ClassVar[str]
    timeout_error: ClassVar[type[Exception]]
    dropped_error: ClassVar[type[Exception]]
    retries_statuses: ClassVar[bool] = True
    """Whether the library retries a 503 when told to (httpx does not, ever)."""

    @abstractmethod
    def send(self, method: str, url: str, **options: Any) -> Answer:
        """One request; ``options``: ``headers``, ``body``, ``timeout`` (the read
        timeout, 10 s unless given), ``stream`` (read the answer in 7-byte pieces)."""

    @abstractmethod
    def with_retries(self, retry: Retry) -> None:
        """From now on, retry as ``retry`` says (as far as the library can)."""

    def generator_body(self, data: bytes) -> Any:
        return iter(_pieces(data))

    def file_body(self, data: bytes) -> Any:
        return io.BytesIO(data)


class RequestsClient(Client):
    name = "requests"
    timeout_error = requests.exceptions.ReadTimeout
    dropped_error = requests.exceptions.ConnectionError

    def __init__(self) -> None:
        self.session = requests.Session()

    def with_retries(self, retry: Retry) -> None:
        for scheme in ("http://", "https://"):
            self.session.mount(scheme, HTTPAdapter(max_retries=retry))

    def send(self, method: str, url: str, **options: Any) -> Answer:
        stream = options.pop("stream", False)
        response = self.session.request(
            method,
            url,
            headers=options.get("headers"),
            data=options.get("body"),
            timeout=options.get("timeout", 10.0),
            stream=stream,
        )
        body = b"".join(response.iter_content(7)) if stream else response.content
        return Answer(
            response.status_code,
            response.reason,
            _app_headers(response.headers),
            body,
            len(response.history),
            len(self.session.cookies),
        )


class Urllib3Client(Client):
    name = "urllib3"
    timeout_error = urllib3.exceptions.ReadTimeoutError
    dropped_error = urllib3.exceptions.ProtocolError

    def __init__(self) -> None:
        self.manager = urllib3.PoolManager(retries=False)  # errors as raised, no retry

    def with_retries(self, retry: Retry) -> None:
        self.manager = urllib3.PoolManager(retries=retry)

    def send(self, method: str, url: str, **options: Any) -> Answer:
        stream = options.pop("stream", False)
        response = self.manager.request(
            method,
            url,
            headers=options.get("headers"),
            body=options.get("body"),
            timeout=options.get("timeout", 10.0),
            preload_content=not stream,
        )
        body = b"".join(response.stream(7)) if stream else response.data
        history = response.retries.history if response.retries else ()
        return Answer(
            response.status,
            response.reason or "",
            _app_headers(response.headers),
            body,
            sum(1 for step in history if step.redirect_location),
            0,  # urllib3 keeps no cookies
        )


class HttpxClient(Client):
    name = "httpx"
    timeout_error = httpx.ReadTimeout
    dropped_error = httpx.RemoteProtocolError
    retries_statuses = False

    def __init__(self) -> None:
        self.transport: httpx.HTTPTransport | None = None

    def with_retries(self, retry: Retry) -> None:
        # httpx's transport retries failed connections only, never a status
        self.transport = httpx.HTTPTransport(retries=retry.total or 0)

    def send(self, method: str, url: str, **options: Any) -> Answer:
        stream = options.pop("stream", False)
        timeout = options.get("timeout", 10.0)
        with httpx.Client(transport=self.transport, follow_redirects=True) as client:
            request = client.build_request(
                method,
                url,
                headers=options.get("headers"),
                content=options.get("body"),
                timeout=timeout,
            )
            response = client.send(request, stream=stream)
            body = b"".join(response.iter_bytes(7)) if stream else response.content
            response.close()
            return _httpx_answer(response, body, len(client.cookies))


class AsyncHttpxClient(HttpxClient):
    name = "httpx-async"

    def generator_body(self, data: bytes) -> Any:
        async def pieces() -> AsyncIterator[bytes]:
            for piece in _pieces(data):
                yield piece

        return pieces()

    def file_body(self, data: bytes) -> Any:
        async def chunks() -> AsyncIterator[bytes]:
            source = io.BytesIO(data)
            while chunk := source.read(16):
                yield chunk

        return chunks()

    def with_retries(self, retry: Retry) -> None:
        self.retries = retry.total or 0

    def send(self, method: str, url: str, **options: Any) -> Answer:
        return asyncio.run(self._send(method, url, **options))

    async def _send(self, method: str, url: str, **options: Any) -> Answer:
        stream = options.pop("stream", False)
        transport = httpx.AsyncHTTPTransport(retries=getattr(self, "retries", 0))
        async with httpx.AsyncClient(transport=transport, follow_redirects=True) as client:
            request = client.build_request(
                method,
                url,
                headers=options.get("headers"),
                content=options.get("body"),
                timeout=options.get("timeout", 10.0),
            )
            response = await client.send(request, stream=stream)
            if stream:
                body = b"".join([piece async for piece in response.aiter_bytes(7)])
            else:
                body = response.content
            await response.aclose()
            return _httpx_answer(response, body, len(client.cookies))


def _httpx_answer(response: httpx.Response, body: bytes, cookies: int) -> Answer:
    return Answer(
        response.status_code,
        response.reason_phrase,
        _app_headers(response.headers),
        body,
        len(response.history),
        cookies,
    )


CLIENTS: dict[str, type[Client]] = {
    cls.name: cls for cls in (RequestsClient, Urllib3Client, HttpxClient, AsyncHttpxClient)
}


@dataclass
class Setup:
    """One (transport, client) run: the Fireworks base URL to call and the client."""

    base: str
    client: Client
    emulator: Emulator

    def statuses(self, since: int) -> list[int]:
        """The status of each request journaled since ``since`` (0: dropped)."""
        return [entry.status for entry in self.emulator.journal.entries(since)]


@pytest.fixture(params=["in-process", "socket"])
def transport(
    request: pytest.FixtureRequest, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """Fireworks' base URL: its real host, intercepted, or the background server."""
    forbid_network(monkeypatch)
    if request.param == "in-process":
        with Interceptor(emulator):
            yield "https://api.fireworks.ai"
    else:
        server: BackgroundServer = request.getfixturevalue("server")
        yield f"{server.url}/fireworks"


@pytest.fixture(params=list(CLIENTS))
def run(request: pytest.FixtureRequest, transport: str, emulator: Emulator) -> Setup:
    return Setup(transport, CLIENTS[request.param](), emulator)


def add_rule(emulator: Emulator, **rule: Any) -> None:
    emulator.faults.add({"vendor": "fireworks", **rule})


# -- the answer itself ----------------------------------------------------------------------


def test_status_line_headers_and_body_are_the_apps(run: Setup) -> None:
    found = run.client.send("GET", run.base + SECRETS + "/s1", headers=AUTH)
    body = b'{"name":"accounts/acme/secrets/s1","keyName":"WOLFRAM_ALPHA_API_KEY"}'
    assert (found.status, found.reason, found.body) == (200, "OK", body)
    assert found.headers == {"content-type": "application/json", "content-length": str(len(body))}
    missing = run.client.send("GET", run.base + SECRETS + "/nope", headers=AUTH)
    assert (missing.status, missing.reason) == (404, "Not Found")
    assert missing.json()["message"] == "secret accounts/acme/secrets/nope not found"


def test_a_percent_escape_in_the_path_is_decoded_as_a_server_does(run: Setup) -> None:
    found = run.client.send("GET", run.base + SECRETS + "/s%31", headers=AUTH)
    assert (found.status, found.json()["name"]) == (200, "accounts/acme/secrets/s1")


# -- timeouts -------------------------------------------------------------------------------


def test_a_latency_past_the_read_timeout_raises_the_clients_own_error(run: Setup) -> None:
    add_rule(run.emulator, operation="Gateway_GetSecret", delay_ms=1000, times=1)
    with pytest.raises(run.client.timeout_error):
        run.client.send("GET", run.base + SECRETS + "/s1", headers=AUTH, timeout=0.2)
    assert run.client.send("GET", run.base + SECRETS + "/s1", headers=AUTH).status == 200


def test_a_latency_within_the_read_timeout_is_waited_out(run: Setup) -> None:
    add_rule(run.emulator, operation="Gateway_GetSecret", delay_ms=50, times=1)
    found = run.client.send("GET", run.base + SECRETS + "/s1", headers=AUTH, timeout=5)
    assert found.status == 200


# -- retries --------------------------------------------------------------------------------


def test_retry_on_a_status_runs_as_over_a_socket(run: Setup) -> None:
    start = run.emulator.journal.last_seq()
    add_rule(run.emulator, operation="Gateway_ListSecrets", status=503, retry_after=0, times=2)
    run.client.with_retries(Retry(total=3, status_forcelist=[503], backoff_factor=0))
    found = run.client.send("GET", run.base + SECRETS, headers=AUTH)
    if run.client.retries_statuses:
        assert (found.status, run.statuses(start)) == (200, [503, 503, 200])
    else:
        assert (found.status, run.statuses(start)) == (503, [503])


def test_retry_after_a_read_timeout_runs_as_over_a_socket(run: Setup) -> None:
    start = run.emulator.journal.last_seq()
    add_rule(run.emulator, operation="Gateway_GetSecret", delay_ms=1000, times=1)
    run.client.with_retries(Retry(total=2, backoff_factor=0))
    if run.client.name.startswith("httpx"):  # httpx retries failed connections only
        with pytest.raises(run.client.timeout_error):
            run.client.send("GET", run.base + SECRETS + "/s1", headers=AUTH, timeout=0.2)
        assert run.statuses(start) == [200]  # answered by the app, after the client left
    else:
        found = run.client.send("GET", run.base + SECRETS + "/s1", headers=AUTH, timeout=0.2)
        assert (found.status, run.statuses(start)) == (200, [200, 200])


# -- streamed bodies, both ways -------------------------------------------------------------


@pytest.mark.parametrize("kind", ["generator", "file"])
def test_a_streamed_request_body_is_read_whole(run: Setup, kind: str) -> None:
    make = run.client.generator_body if kind == "generator" else run.client.file_body
    created = run.client.send("POST", run.base + SECRETS, headers=AUTH | JSON, body=make(CREATED))
    assert created.status == 200
    assert created.json() == {"name": "accounts/acme/secrets/streamed", "keyName": "STREAMED_KEY"}
    snapshot = run.emulator.tenant_snapshot("fireworks", "acme")
    assert snapshot is not None
    [stored] = [s for s in snapshot["secrets"] if s["name"] == "streamed"]
    assert stored["value"] == "v"


def test_a_streamed_answer_reads_as_a_whole_one(run: Setup) -> None:
    whole = run.client.send("GET", run.base + SECRETS, headers=AUTH)
    streamed = run.client.send("GET", run.base + SECRETS, headers=AUTH, stream=True)
    assert (streamed.status, streamed.body) == (200, whole.body)
    assert len(streamed.json()["secrets"]) == 2


# -- redirects, dropped connections, cookies ------------------------------------------------


def test_no_redirect_is_ever_answered_even_to_a_trailing_slash(run: Setup) -> None:
    start = run.emulator.journal.last_seq()
    found = run.client.send("GET", run.base + SECRETS + "/", headers=AUTH)
    assert (found.status, found.redirects, "location" in found.headers) == (404, 0, False)
    assert run.statuses(start) == [404]


def test_a_dropped_connection_raises_the_clients_own_error(run: Setup) -> None:
    start = run.emulator.journal.last_seq()
    add_rule(run.emulator, operation="Gateway_GetSecret", disconnect=True, times=1)
    with pytest.raises(run.client.dropped_error) as raised:
        run.client.send("GET", run.base + SECRETS + "/s1", headers=AUTH)
    shown = str(raised.value)
    assert "Remote end closed" in shown or "Server disconnected" in shown
    assert run.statuses(start) == [0]
    assert run.client.send("GET", run.base + SECRETS + "/s1", headers=AUTH).status == 200


def test_cookies_change_nothing_and_none_are_set(run: Setup) -> None:
    plain = run.client.send("GET", run.base + SECRETS, headers=AUTH)
    with_cookie = run.client.send("GET", run.base + SECRETS, headers=AUTH | {"Cookie": "sid=1"})
    assert (with_cookie.status, with_cookie.body) == (plain.status, plain.body)
    assert "set-cookie" not in with_cookie.headers and with_cookie.cookies == 0
