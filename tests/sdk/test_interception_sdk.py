"""The official SDKs that use httpx, unchanged and pointed at the real hosts, answered
in-process by the emulator through the plugin's ``secretmock_intercept`` fixture (the
Instabase SDK, on urllib3, is in test_instabase_sdk.py). No socket is opened: any
connection beyond the loopback fails the test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import langwatch
import pytest
from fireworks import Fireworks, NotFoundError

from secretmock.testing import SecretMock
from tests.helpers import forbid_network
from tests.sdk.test_langwatch_sdk import _forget_sdk_state


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    forbid_network(monkeypatch)


def test_fireworks_sdk_on_its_default_host(offline: None, secretmock_intercept: SecretMock) -> None:
    with Fireworks(api_key="fw-test-acme", account_id="acme", max_retries=0) as client:
        created = client.secrets.create(name="db", key_name="DB_PASSWORD", value="pw")
        assert created.name == "accounts/acme/secrets/db"
        assert [s.key_name for s in client.secrets.list()] == [
            "DB_PASSWORD",
            "OPENAI_API_KEY",
            "WOLFRAM_ALPHA_API_KEY",
        ]
        client.secrets.update("db", key_name="DB_PASSWORD", value="pw2")
        client.secrets.delete("db")
        with pytest.raises(NotFoundError):
            client.secrets.get("db")
    secretmock_intercept.assert_called("fireworks", "Gateway_UpdateSecret", tenant="acme")
    assert "db" not in [s["name"] for s in secretmock_intercept.secrets("fireworks", "acme")]


@pytest.fixture
def langwatch_on_its_default_host(
    offline: None, monkeypatch: pytest.MonkeyPatch, secretmock_intercept: SecretMock
) -> Iterator[Any]:
    monkeypatch.setenv("LANGWATCH_SKIP_OTEL_SETUP", "true")
    for name in ("LANGWATCH_API_KEY", "LANGWATCH_ENDPOINT", "LANGWATCH_PROJECT_ID"):
        monkeypatch.delenv(name, raising=False)
    _forget_sdk_state()
    langwatch.setup(api_key="sk-lw-test-demo", endpoint_url="https://app.langwatch.ai")
    yield langwatch
    _forget_sdk_state()


def test_langwatch_sdk_on_its_default_host(
    langwatch_on_its_default_host: Any, secretmock_intercept: SecretMock
) -> None:
    secrets = langwatch_on_its_default_host.secrets
    created = secrets.create(name="DB_PASSWORD", value="pw")
    assert [s["name"] for s in secrets.list()] == ["DB_PASSWORD", "OPENAI_API_KEY"]
    secrets.set("DB_PASSWORD", "pw2")
    stored = {
        s["name"]: s["value"] for s in secretmock_intercept.secrets("langwatch", "project-demo")
    }
    assert stored["DB_PASSWORD"] == "pw2"
    secrets.delete(created["id"])
    secretmock_intercept.assert_called("langwatch", "deleteApiSecretsById", status=200)
