"""The access log: what a line shows of a request, and what it never shows."""

from __future__ import annotations

import logging

import pytest
from starlette.testclient import TestClient

from secretmock.engine.emulator import Emulator
from secretmock.serve.access_log import AccessLog, loggable_target
from secretmock.web.app import build_app


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
