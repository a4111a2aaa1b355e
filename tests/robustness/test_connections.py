"""Connection limits over a real socket (issue 8, bugs 7 and 10): request headers over
64 KiB are refused with 431 (or the connection closed) without being buffered, and a
connection the server waits on that sends nothing for ``--idle-timeout`` is closed.

The read-timeout tests run a background server with a short timeout (0.5 s); the read
that sees the close has a long guard, so nothing here asserts a duration.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any, NamedTuple

import pytest

from secretmock.engine.emulator import Emulator
from secretmock.serve.background import BackgroundServer
from secretmock.serve.protocol import MAX_HEADER_BYTES, ConnectionLimits
from secretmock.web.app import build_app
from tests.helpers import table
from tests.robustness.serve import read_answer

GUARD_S = 20.0
ENDLESS_BYTES = 16 * 1024 * 1024
"""More than the socket buffers between client and server hold (a few MiB on loopback):
a client that sends this much unrefused was being read, not refused."""


def connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    client = socket.create_connection((host, int(port)))
    client.settimeout(GUARD_S)
    return client


def headers_of(total: int) -> bytes:
    """A GET whose request line and headers come to about ``total`` bytes."""
    line = b"GET /__admin__/health HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    filler = b"".join(b"X-Filler-%04d: %s\r\n" % (i, b"a" * 980) for i in range(total // 1000))
    return line + filler + b"\r\n"


class HeaderCase(NamedTuple):
    id: str
    sent: bytes
    status: bytes


HEADER_CASES = [
    HeaderCase("just-under-the-limit", headers_of(MAX_HEADER_BYTES - 2000), b"200"),
    HeaderCase("just-over-the-limit", headers_of(MAX_HEADER_BYTES + 2000), b"431"),
    HeaderCase(
        "one-long-header",
        b"GET /__admin__/health HTTP/1.1\r\nX-Long: " + b"a" * (2 * MAX_HEADER_BYTES) + b"\r\n\r\n",
        b"431",
    ),
    HeaderCase("long-url", b"GET /" + b"a" * (2 * MAX_HEADER_BYTES) + b" HTTP/1.1\r\n\r\n", b"431"),
]


@table(HEADER_CASES)
def test_request_headers_over_64_kib_are_refused(
    server: BackgroundServer, sent: bytes, status: bytes
) -> None:
    with connect(server.url) as client:
        client.sendall(sent)
        answer = read_answer(client)
    assert answer.startswith(b"HTTP/1.1 " + status), answer[:200]
    if status == b"431":
        body = json.loads(answer.partition(b"\r\n\r\n")[2])
        assert body["error"] == "request_header_fields_too_large"


def test_a_header_that_never_ends_is_cut_off_not_buffered(server: BackgroundServer) -> None:
    """A client streaming one endless header is refused once it has sent more than the
    limit; the server answers the next connection as usual."""
    sent = 0
    with connect(server.url) as client:
        client.sendall(b"GET /__admin__/health HTTP/1.1\r\nX-Endless: ")
        try:
            while sent < ENDLESS_BYTES:
                client.sendall(b"a" * 65536)
                sent += 65536
        except OSError:
            pass  # refused: 431 sent and the connection closed (or reset) under us
    assert sent < ENDLESS_BYTES, "16 MiB of one header were taken in"
    with connect(server.url) as client:
        client.sendall(b"GET /__admin__/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert read_answer(client).startswith(b"HTTP/1.1 200")


def test_unparseable_http_gets_a_json_400(server: BackgroundServer) -> None:
    with connect(server.url) as client:
        client.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        answer = read_answer(client)
    assert answer.startswith(b"HTTP/1.1 400")
    assert b"content-type: application/json" in answer
    assert json.loads(answer.partition(b"\r\n\r\n")[2])["error"] == "bad_request"


@pytest.fixture(scope="module")
def impatient_server(emulator: Emulator) -> Iterator[BackgroundServer]:
    """A background server whose read timeout is half a second."""
    limits = ConnectionLimits(idle_timeout=0.5)
    with BackgroundServer(build_app(emulator), limits=limits) as running:
        yield running


class Silence(NamedTuple):
    id: str
    sent: bytes
    """What the client sends before it goes silent."""


SILENCES = [
    Silence("nothing-at-all", b""),
    Silence("half-sent-headers", b"GET /__admin__/health HTTP/1.1\r\nHo"),
    Silence(
        "stalled-body",
        b"PUT /insforge/api/secrets/STRIPE_API_KEY HTTP/1.1\r\nHost: x\r\n"
        b'Content-Length: 100\r\nContent-Type: application/json\r\n\r\n{"va',
    ),
]


@table(SILENCES)
def test_a_silent_client_is_disconnected(impatient_server: BackgroundServer, sent: bytes) -> None:
    with connect(impatient_server.url) as client:
        if sent:
            client.sendall(sent)
        assert client.recv(65536) == b"", "the server answered instead of closing"


def test_a_slow_but_steady_client_is_not_disconnected(impatient_server: BackgroundServer) -> None:
    """The timeout counts silence, not the request's total time: a body sent a byte at a
    time, each within the timeout, is read and answered."""
    body = b'{"value":"sk_test_stripe_2"}'
    with connect(impatient_server.url) as client:
        client.sendall(
            b"PUT /insforge/api/secrets/STRIPE_API_KEY HTTP/1.1\r\nHost: x\r\n"
            b"Authorization: Bearer ik_test_demo_admin\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body)
        )
        for index in range(0, len(body), 4):
            time.sleep(0.1)
            client.sendall(body[index : index + 4])
        assert read_answer(client).startswith(b"HTTP/1.1 200")


# -- the request deadline and the connection cap (issue 18, C2) ------------------------------


@pytest.fixture(scope="module")
def hurried_server(emulator: Emulator) -> Iterator[BackgroundServer]:
    """A background server whose requests must be all in within half a second (its
    read timeout stays long: only the deadline can cut these clients)."""
    limits = ConnectionLimits(idle_timeout=30, request_timeout=0.5)
    with BackgroundServer(build_app(emulator), limits=limits) as running:
        yield running


TRICKLES = [
    Silence("headers", b"GET /__admin__/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "),
    Silence(
        "body",
        b"PUT /insforge/api/secrets/STRIPE_API_KEY HTTP/1.1\r\nHost: x\r\n"
        b"Authorization: Bearer ik_test_demo_admin\r\nContent-Type: application/json\r\n"
        b'Content-Length: 1000\r\n\r\n{"value": "',
    ),
]


@table(TRICKLES)
def test_a_request_trickled_past_its_deadline_gets_408(
    hurried_server: BackgroundServer, emulator: Emulator, sent: bytes
) -> None:
    """A byte every 50 ms never looks silent, yet the request is cut at its deadline:
    408 JSON, the connection closed, nothing acted on."""
    before = emulator.tenant_snapshot("insforge", "demo-project")
    with connect(hurried_server.url) as client:
        client.sendall(sent)
        client.settimeout(0.05)
        answer = b""
        deadline = time.monotonic() + GUARD_S
        while not answer.endswith(b"}") and time.monotonic() < deadline:
            try:
                client.sendall(b"a")
                answer += client.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert json.loads(answer.partition(b"\r\n\r\n")[2])["error"] == "request_timeout"
    assert emulator.tenant_snapshot("insforge", "demo-project") == before


def test_requests_within_the_deadline_keep_their_connection(
    hurried_server: BackgroundServer,
) -> None:
    """The deadline runs from a request's first byte to its last, not for the connection:
    requests spaced wider than it on one keep-alive connection are all answered."""
    with connect(hurried_server.url) as client:
        for _ in range(3):
            client.sendall(b"GET /__admin__/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert read_answer(client).startswith(b"HTTP/1.1 200")
            time.sleep(0.7)


def test_a_connection_past_the_cap_gets_503_and_is_closed(emulator: Emulator) -> None:
    limits = ConnectionLimits(max_connections=4)
    with BackgroundServer(build_app(emulator), limits=limits) as running:
        held = [connect(running.url) for _ in range(4)]
        try:
            for client in held:  # each accepted and served
                client.sendall(b"GET /__admin__/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                assert read_answer(client).startswith(b"HTTP/1.1 200")
            with connect(running.url) as extra:
                answer = read_answer(extra)
                assert answer.startswith(b"HTTP/1.1 503"), answer
                assert json.loads(answer.partition(b"\r\n\r\n")[2])["error"] == (
                    "service_unavailable"
                )
                assert extra.recv(65536) == b"", "closed after its answer"
        finally:
            held.pop().close()
        try:
            assert _served_once_room_is_made(running.url)
        finally:
            for client in held:
                client.close()


def _served_once_room_is_made(url: str) -> bool:
    """Whether a new connection is served once one of the held ones has closed (the
    server sees that close a moment later: a few tries, under the guard)."""
    deadline = time.monotonic() + GUARD_S
    while time.monotonic() < deadline:
        with connect(url) as client:
            client.sendall(b"GET /__admin__/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            if read_answer(client).startswith(b"HTTP/1.1 200"):
                return True
        time.sleep(0.05)
    return False


def create(name: str) -> bytes:
    """A pipelinable Fireworks create of secret ``name`` on the default fixtures."""
    key = name.upper().replace("-", "_")
    body = json.dumps({"name": f"accounts/acme/secrets/{name}", "keyName": key, "value": "v"})
    return (
        b"POST /fireworks/v1/accounts/acme/secrets HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Authorization: Bearer fw-test-acme\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body.encode())
    )


def answers_until_closed(client: socket.socket) -> list[tuple[bytes, Any]]:
    """Every answer the server sends before it closes, as (status, JSON body)."""
    data = b""
    while chunk := client.recv(65536):
        data += chunk
    answers = []
    while data:
        head, _, rest = data.partition(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        answers.append((head.split(b" ", 2)[1], json.loads(rest[:length])))
        data = rest[length:]
    return answers


def test_pipelined_requests_before_garbage_are_answered_in_order_then_the_400(
    server: BackgroundServer,
) -> None:
    """W7: two pipelined creates, then bytes that are not HTTP. Each create gets its own
    answer, in order, and only then the 400 and the close: a pipelining client never
    reads the refusal as the answer to its first request."""
    with connect(server.url) as client:
        client.sendall(create("pipe-a") + create("pipe-b") + b"GARBAGE\r\n\r\n")
        answers = answers_until_closed(client)
    assert [status for status, _ in answers] == [b"200", b"200", b"400"], answers
    assert [body.get("keyName") for _, body in answers[:2]] == ["PIPE_A", "PIPE_B"]
    assert answers[2][1]["error"] == "bad_request"
