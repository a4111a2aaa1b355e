"""The server's memory under oversize requests and many connections (issue 8, bug 7),
and under large bodies the journal keeps (newcomer review C1): ``secretmock serve`` in a
subprocess, its resident set size (VmRSS) read before and after. Oversize headers and
bodies are refused without being held, and a journaled body is cut to its shape past
64 KiB, so the server grows by far less than what was sent; the figures are printed
(``-s``) for the notes.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import requests

from tests.robustness.serve import Served
from tests.robustness.test_shutdown import read_answer

MIB = 1024 * 1024
SENT_MIB = 64
"""What each test sends in all; the server may grow by a fraction of it at most."""
GROWTH_LIMIT_MIB = 24
FIREWORKS = "/fireworks/v1/accounts/acme/secrets/s1"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with Served(tmp_path_factory.mktemp("memory")) as running:
        for _ in range(20):  # warm: the first answers build what every later one reuses
            requests.get(f"{running.url}/__admin__/health", timeout=10)
        yield running


def grown_mib(served: Served, before_kib: int, what: str) -> float:
    after = served.rss_kib()
    print(f"\n{what}: RSS {before_kib / 1024:.1f} -> {after / 1024:.1f} MiB")
    return (after - before_kib) / 1024


def test_oversize_headers_are_not_held(served: Served) -> None:
    before = served.rss_kib()
    for _ in range(SENT_MIB // 16):
        with socket.create_connection(served.address) as client:
            client.sendall(b"GET /__admin__/health HTTP/1.1\r\nX-Big: ")
            try:
                for _ in range(16 * MIB // 65536):
                    client.sendall(b"a" * 65536)
            except OSError:
                pass  # refused under us, as it should be
    assert grown_mib(served, before, f"{SENT_MIB} MiB of headers") < GROWTH_LIMIT_MIB


def test_oversize_bodies_are_not_held(served: Served) -> None:
    """Bodies announced too large are refused unread; streamed ones at the limit."""
    before = served.rss_kib()
    headers = {"Authorization": "Bearer fw-test-acme", "Content-Type": "application/json"}

    def stream(size: int) -> Iterator[bytes]:
        yield b'{"value": "'
        for _ in range(size // 65536):
            yield b"a" * 65536
        yield b'"}'

    for _ in range(SENT_MIB // 8):
        answer = requests.patch(
            served.url + FIREWORKS, data=stream(8 * MIB), headers=headers, timeout=60
        )
        assert answer.status_code == 413
    with socket.create_connection(served.address) as client:
        client.sendall(
            b"PATCH " + FIREWORKS.encode() + b" HTTP/1.1\r\nHost: x\r\n"
            b"Authorization: Bearer fw-test-acme\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % (SENT_MIB * MIB)
        )
        assert read_answer(client).startswith(b"HTTP/1.1 413")
    assert grown_mib(served, before, f"{SENT_MIB} MiB of bodies") < GROWTH_LIMIT_MIB


def test_many_connections(served: Served) -> None:
    """300 connections at once, each with a request answered and then left open."""
    before = served.rss_kib()
    with ExitStack() as stack:
        for _ in range(300):
            client = stack.enter_context(socket.create_connection(served.address))
            client.sendall(b"GET /__admin__/health HTTP/1.1\r\nHost: x\r\n\r\n")
            assert read_answer(client).startswith(b"HTTP/1.1 200")
        grown = grown_mib(served, before, "300 open connections")
    assert requests.get(f"{served.url}/__admin__/health", timeout=10).status_code == 200
    assert grown < GROWTH_LIMIT_MIB


JOURNALED_LIMIT_MB = 100
"""What 600 bodies of about 1 MB each (540 MB in all) may leave in the server."""


def test_large_bodies_are_journaled_as_their_shapes(served: Served) -> None:
    """300 valid Prisme.ai writes with a 900 KiB description, then 300 invalid InsForge
    creates of 60,000 keys each: the journal keeps a body past 64 KiB as its shape, and
    a shape stops listing keys past its budget."""
    before = served.rss_kib()
    prisme = {"x-prismeai-api-key": "prisme-test-ws1", "Content-Type": "application/json"}
    insforge = {"Authorization": "Bearer ik_test_demo_admin", "Content-Type": "application/json"}
    valid = json.dumps({"openaiApiKey": {"value": "sk", "description": "d" * (900 * 1024)}})
    invalid = json.dumps({"key": "NEW_KEY", **{f"k{index:05d}": index for index in range(60_000)}})
    with requests.Session() as session:
        for _ in range(300):
            answer = session.put(
                served.url + "/prismeai/v2/workspaces/ws1/security/secrets",
                data=valid,
                headers=prisme,
                timeout=60,
            )
            assert answer.status_code == 200
        for _ in range(300):
            answer = session.post(
                served.url + "/insforge/api/secrets", data=invalid, headers=insforge, timeout=60
            )
            assert answer.status_code == 400
        entries = session.get(served.url + "/__admin__/journal?since=0", timeout=60).json()
    grown = grown_mib(served, before, "300 bodies of 900 KiB and 300 of 60,000 keys") * MIB
    print(f"grew {grown / 1e6:.1f} MB")
    kept = [e["body"] for e in entries["entries"][-600:]]
    assert kept[0] == {
        "openaiApiKey": {"value": "<string: 10 chars>", "description": "<string: 921600 chars>"}
    }
    assert kept[-1]["<more>"].endswith(" more keys>")
    assert grown < JOURNALED_LIMIT_MB * 1e6


def test_the_server_still_answers_and_stops_cleanly(served: Served, tmp_path: Path) -> None:
    answer = requests.get(
        served.url + FIREWORKS, headers={"Authorization": "Bearer fw-test-acme"}, timeout=10
    )
    assert answer.status_code == 200
    assert served.stop() == 0
    assert "Traceback" not in served.stderr()
