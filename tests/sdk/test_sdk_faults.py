"""The official SDKs meeting fault rules over a real socket: Fireworks' client retries a
429 (after its Retry-After) and a dropped connection; LangWatch's and Instabase's raise
their own errors for a 503. Nothing may leave 127.0.0.1. The SDKs' waits before a retry
are recorded instead of slept (``slept``): a test asserts the wait the SDK chose from the
emulator's ``Retry-After`` without spending it."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import langwatch
import pytest
import urllib3.util.retry
from aihub.exceptions import ServiceException
from fireworks import ConflictError, Fireworks, RateLimitError
from fireworks import _base_client as fireworks_base_client

from secretmock.engine.emulator import Emulator
from secretmock.serve.background import BackgroundServer
from tests.helpers import forbid_network
from tests.sdk.clients import forget_langwatch_state
from tests.sdk.clients import instabase_client as instabase


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    forbid_network(monkeypatch)


@pytest.fixture
def slept(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits the Fireworks SDK (``time.sleep`` in its base client) and urllib3's
    ``Retry`` (the Instabase SDK's pool) asked for, recorded instead of slept."""
    waits: list[float] = []
    recording = SimpleNamespace(**vars(time))
    recording.sleep = waits.append
    monkeypatch.setattr(fireworks_base_client, "time", recording)
    monkeypatch.setattr(urllib3.util.retry, "time", recording)
    return waits


def fireworks(server: BackgroundServer, max_retries: int) -> Fireworks:
    return Fireworks(
        api_key="fw-test-acme",
        account_id="acme",
        base_url=f"{server.url}/fireworks",
        max_retries=max_retries,
        _strict_response_validation=True,
    )


def answered(emulator: Emulator, since: int, operation: str) -> list[tuple[int, str | None]]:
    """(status, fault rule id) of each request to ``operation`` since ``since``."""
    return [
        (entry.status, entry.fault)
        for entry in emulator.journal.entries(since)
        if entry.operation_id == operation
    ]


def test_fireworks_retries_a_429_after_its_retry_after(
    server: BackgroundServer, emulator: Emulator, slept: list[float]
) -> None:
    since = emulator.journal.last_seq()
    rule = emulator.faults.add(
        {
            "vendor": "fireworks",
            "operation": "Gateway_GetSecret",
            "status": 429,
            "retry_after": 1,
            "times": 1,
        }
    )
    with fireworks(server, max_retries=2) as client:
        fetched = client.secrets.get("s1")
    assert fetched.key_name == "WOLFRAM_ALPHA_API_KEY"
    assert answered(emulator, since, "Gateway_GetSecret") == [(429, rule.id), (200, None)]
    assert slept == [1.0]  # the Retry-After it was given


def test_fireworks_without_retries_raises_its_rate_limit_error(
    server: BackgroundServer, emulator: Emulator
) -> None:
    emulator.faults.add({"vendor": "fireworks", "status": 429, "retry_after": 1})
    with fireworks(server, max_retries=0) as client, pytest.raises(RateLimitError) as raised:
        client.secrets.get("s1")
    assert raised.value.status_code == 429
    assert raised.value.response.headers["retry-after"] == "1"
    assert raised.value.body == {"code": 8, "message": "Too Many Requests", "details": []}


def test_fireworks_retries_a_dropped_connection(
    server: BackgroundServer, emulator: Emulator, slept: list[float]
) -> None:
    since = emulator.journal.last_seq()
    rule = emulator.faults.add({"vendor": "fireworks", "disconnect": True, "times": 1})
    with fireworks(server, max_retries=2) as client:
        listed = [secret.name for secret in client.secrets.list()]
    assert listed == ["accounts/acme/secrets/openai-key", "accounts/acme/secrets/s1"]
    assert answered(emulator, since, "Gateway_ListSecrets") == [(0, rule.id), (200, None)]
    assert len(slept) == 1  # its own backoff: no Retry-After on a dropped connection


def test_fireworks_retry_of_a_lost_create_meets_its_own_write(
    server: BackgroundServer, emulator: Emulator, slept: list[float]
) -> None:
    """The create succeeds but its answer is lost (503, commit): the SDK's retry then
    finds the secret already there."""
    since = emulator.journal.last_seq()
    rule = emulator.faults.add(
        {
            "vendor": "fireworks",
            "operation": "Gateway_CreateSecret",
            "status": 503,
            "retry_after": 1,
            "commit": True,
            "times": 1,
        }
    )
    with fireworks(server, max_retries=1) as client, pytest.raises(ConflictError):
        client.secrets.create(name="lost", key_name="LOST_KEY", value="v")
    assert answered(emulator, since, "Gateway_CreateSecret") == [(503, rule.id), (409, None)]
    assert slept == [1.0]
    snapshot = emulator.tenant_snapshot("fireworks", "acme")
    assert snapshot is not None and "lost" in [s["name"] for s in snapshot["secrets"]]


@pytest.fixture
def langwatch_secrets(server: BackgroundServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("LANGWATCH_SKIP_OTEL_SETUP", "true")
    for name in ("LANGWATCH_API_KEY", "LANGWATCH_ENDPOINT", "LANGWATCH_PROJECT_ID"):
        monkeypatch.delenv(name, raising=False)
    forget_langwatch_state()
    langwatch.setup(api_key="sk-lw-test-demo", endpoint_url=f"{server.url}/langwatch")
    yield langwatch.secrets
    forget_langwatch_state()


def test_langwatch_raises_a_server_error_for_a_503(
    langwatch_secrets: Any, emulator: Emulator
) -> None:
    emulator.faults.add({"vendor": "langwatch", "operation": "getApiSecrets", "status": 503})
    with pytest.raises(RuntimeError, match=r"^Server error \(503\)"):
        langwatch_secrets.list()
    emulator.faults.clear()
    assert [s["name"] for s in langwatch_secrets.list()] == ["OPENAI_API_KEY"]


def test_instabase_raises_a_service_exception_for_a_503(
    server: BackgroundServer, emulator: Emulator
) -> None:
    since = emulator.journal.last_seq()
    rule = emulator.faults.add({"vendor": "instabase", "status": 503})
    with pytest.raises(ServiceException) as raised:
        instabase(server).secrets.list()
    assert raised.value.status == 503
    assert json.loads(raised.value.body or "{}") == {"message": "Service Unavailable"}
    assert answered(emulator, since, "list_secrets") == [(503, rule.id)]  # not retried


def test_instabase_retries_a_503_that_names_a_retry_after(
    server: BackgroundServer, emulator: Emulator, slept: list[float]
) -> None:
    """The SDK's urllib3 pool retries a 503 (or 429) that carries Retry-After, up to three
    times, waiting as told: a fact of the SDK worth knowing when testing against it."""
    since = emulator.journal.last_seq()
    rule = emulator.faults.add({"vendor": "instabase", "status": 503, "retry_after": 1, "times": 1})
    listed = instabase(server).secrets.list()
    assert [s.alias for s in listed.secrets] == ["my_secret", "billing_key"]
    assert answered(emulator, since, "list_secrets") == [(503, rule.id), (200, None)]
    assert slept == [1]  # urllib3 waits the Retry-After it was given
