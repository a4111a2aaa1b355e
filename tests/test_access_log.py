"""The access log: what a line shows of a request, and what it never shows."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from secretmock.engine.emulator import Emulator
from secretmock.serve.access_log import AccessLog, loggable_target
from secretmock.web.app import build_app
from tests.robustness.serve import Served, read_answer


@pytest.mark.parametrize(
    "path, query, expected",
    [
        pytest.param("/a/b", b"", "/a/b", id="no-query"),
        pytest.param(
            "/s",
            b"alias=my_secret&workspace=w1",
            "/s?alias=*&workspace=*",
            id="names-kept-values-dropped",
        ),
        pytest.param("/s", b"pageToken=", "/s?pageToken=*", id="blank-value"),
        pytest.param("/s", b"alias=a%20b", "/s?alias=*", id="encoded-value"),
    ],
)
def test_loggable_target(path: str, query: bytes, expected: str) -> None:
    assert loggable_target({"path": path, "query_string": query}) == expected


def test_a_logged_request_shows_no_credential_or_value(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    logger = logging.getLogger("tests.access")
    client = TestClient(AccessLog(build_app(emulator), logger))
    with caplog.at_level(logging.INFO, logger="tests.access"):
        client.patch(
            "/fireworks/v1/accounts/acme/secrets/s1",
            headers={"Authorization": "Bearer fw-test-acme"},
            json={"keyName": "WOLFRAM_ALPHA_API_KEY", "value": "a-secret-value"},
        )
    [line] = caplog.messages
    assert line.startswith("PATCH /fireworks/v1/accounts/acme/secrets/s1 200 ")
    assert "fw-test-acme" not in line and "a-secret-value" not in line


@pytest.mark.parametrize(
    "path, expected",
    [
        pytest.param("/a/b", "/a/b", id="plain"),
        pytest.param("/é/ü", "/é/ü", id="printable-unicode-kept"),
        pytest.param("/a\n2026 POST /x 200 0.1ms", "/a%0A2026%20POST%20/x%20200%200.1ms", id="lf"),
        pytest.param("/a\r\nb", "/a%0D%0Ab", id="crlf"),
        pytest.param("/\x1b[31mRED\x1b[0m", "/%1B[31mRED%1B[0m", id="terminal-escape"),
        pytest.param("/\x00\x7f\x85", "/%00%7F%C2%85", id="nul-del-c1"),
        pytest.param("/a\u2028b\u202eb", "/a%E2%80%A8b%E2%80%AEb", id="line-separator-bidi"),
    ],
)
def test_a_logged_path_is_one_printable_line(path: str, expected: str) -> None:
    assert loggable_target({"path": path, "query_string": b""}) == expected


def test_query_names_are_escaped_too() -> None:
    target = loggable_target({"path": "/s", "query_string": b"%0Aforged%1B=1&ok=2"})
    assert target == "/s?%0Aforged%1B=*&ok=*"


def test_a_forged_line_stays_in_its_request_over_a_real_server(tmp_path: Path) -> None:
    """``serve --access-log``: a path holding an encoded line break and a terminal
    escape is logged on one line, escaped (issue 18, S2)."""
    forged = (
        "/fireworks/v1/accounts/acme%0A2026-12-03%2013:00:00,000%20POST%20/__admin__/reset"
        "%20200%200.1ms/secrets"
    )
    with Served(tmp_path, "--access-log") as served:
        for target in (forged, "/fireworks/%1b%5b31mRED%1b%5b0m"):
            with socket.create_connection(served.address) as client:
                client.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                assert read_answer(client).startswith(b"HTTP/1.1 ")
        assert served.stop() == 0
    lines = [line for line in served.stderr().splitlines() if " GET /fireworks/" in line]
    assert len(lines) == 2, served.stderr()
    assert "/fireworks/v1/accounts/acme%0A2026-12-03%2013:00:00,000%20POST" in lines[0]
    assert "/fireworks/%1B[31mRED%1B[0m 404 " in lines[1]
    assert "\x1b" not in served.stderr()
    assert not any(
        line.startswith("2026-12-03 13:00:00,000") for line in served.stderr().splitlines()
    )
