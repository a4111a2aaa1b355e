"""The official LangWatch SDK (langwatch 1.4.0, ``langwatch.secrets`` and the REST
client generated from LangWatch's OpenAPI file) against a running emulator.

The SDK sends ``Authorization: Bearer <key>`` and ``X-Auth-Token: <key>``; its REST
client raises on any status the vendor's spec does not document. Nothing may leave
127.0.0.1: every socket connection elsewhere fails the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import langwatch
import pytest
from langwatch.generated.langwatch_rest_api_client.api.default import (
    delete_api_secrets_by_id,
    get_api_secrets,
    get_api_secrets_by_id,
    post_api_secrets,
    put_api_secrets_by_id,
)
from langwatch.generated.langwatch_rest_api_client.errors import UnexpectedStatus
from langwatch.generated.langwatch_rest_api_client.models import (
    GetApiSecretsByIdResponse404,
    PostApiSecretsBody,
    PostApiSecretsResponse201,
    PostApiSecretsResponse409,
    PostApiSecretsResponse422,
    PutApiSecretsByIdBody,
    PutApiSecretsByIdResponse200,
)
from langwatch.secrets import SecretsFacade
from langwatch.state import get_instance

from secretmock.engine.emulator import Emulator
from secretmock.serve.background import BackgroundServer
from tests.helpers import forbid_network
from tests.sdk.clients import forget_langwatch_state

PROJECT = "project-demo"
ADMIN_KEY = "sk-lw-test-demo"
VIEWER_KEY = "sk-lw-test-viewer"
SEEDED_ID = "demo_openai_key_00001"


@pytest.fixture
def connect(
    server: BackgroundServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[str], Any]]:
    """``connect(api_key)`` sets the SDK up against the emulator and returns ``langwatch``."""
    monkeypatch.setenv("LANGWATCH_SKIP_OTEL_SETUP", "true")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    for name in ("LANGWATCH_API_KEY", "LANGWATCH_ENDPOINT", "LANGWATCH_PROJECT_ID"):
        monkeypatch.delenv(name, raising=False)
    forbid_network(monkeypatch)

    def setup(api_key: str) -> Any:
        forget_langwatch_state()
        langwatch.setup(api_key=api_key, endpoint_url=f"{server.url}/langwatch")
        return langwatch

    yield setup
    forget_langwatch_state()


@pytest.fixture
def secrets(connect: Callable[[str], Any]) -> SecretsFacade:
    facade: SecretsFacade = connect(ADMIN_KEY).secrets
    return facade


def rest_client(connect: Callable[[str], Any], api_key: str) -> Any:
    """The SDK's generated REST client, set up for ``api_key``."""
    connect(api_key)
    instance = get_instance()
    assert instance is not None
    return instance.rest_api_client


def stored(emulator: Emulator) -> dict[str, dict[str, Any]]:
    """The project's stored secrets by name, values included."""
    snapshot = emulator.tenant_snapshot("langwatch", PROJECT)
    assert snapshot is not None
    return {s["name"]: s for s in snapshot["secrets"]}


def test_round_trip(secrets: SecretsFacade, emulator: Emulator) -> None:
    created = secrets.create(name="SDK_KEY", value="v1")
    assert set(created) == {"id", "projectId", "name", "createdAt", "updatedAt"}
    assert (created["name"], created["projectId"]) == ("SDK_KEY", PROJECT)
    assert stored(emulator)["SDK_KEY"] == {"id": created["id"], "name": "SDK_KEY", "value": "v1"}

    listed = secrets.list()
    assert [s["name"] for s in listed] == ["OPENAI_API_KEY", "SDK_KEY"]
    assert all("value" not in s for s in listed)

    updated = secrets.set("SDK_KEY", "v2")  # lists, finds the id, then PUTs
    assert updated["id"] == created["id"]
    assert updated["createdAt"] == created["createdAt"]
    assert updated["updatedAt"] > created["updatedAt"]
    assert stored(emulator)["SDK_KEY"]["value"] == "v2"

    fetched = secrets.get(created["id"])
    assert fetched == updated

    assert secrets.delete(created["id"]) == {"id": created["id"], "deleted": True}
    assert "SDK_KEY" not in stored(emulator)
    with pytest.raises(ValueError, match="Secret not found"):
        secrets.get(created["id"])


def test_set_creates_a_missing_secret(secrets: SecretsFacade, emulator: Emulator) -> None:
    made = secrets.set("BRAND_NEW", "first")  # not listed: the SDK POSTs and expects 201
    assert made["name"] == "BRAND_NEW"
    assert stored(emulator)["BRAND_NEW"]["value"] == "first"


def test_set_recovers_from_a_lost_create_race(
    secrets: SecretsFacade, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another writer created the name between the SDK's list and its POST: the
    emulator's 409 sends the SDK to list again and PUT."""
    real_lookup = SecretsFacade._find_id_by_name
    calls = []

    def stale_first_lookup(self: SecretsFacade, name: str) -> str | None:
        calls.append(name)
        return None if len(calls) == 1 else real_lookup(self, name)

    monkeypatch.setattr(SecretsFacade, "_find_id_by_name", stale_first_lookup)
    updated = secrets.set("OPENAI_API_KEY", "sk-after-race")
    assert updated["id"] == SEEDED_ID and len(calls) == 2
    assert stored(emulator)["OPENAI_API_KEY"]["value"] == "sk-after-race"


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda s: s.get("nope"), ValueError, "Secret not found"),
        (lambda s: s.update("nope", value="v"), ValueError, "Secret not found"),
        (lambda s: s.delete("nope"), ValueError, "Secret not found"),
        (
            lambda s: s.create(name="OPENAI_API_KEY", value="v"),
            RuntimeError,
            'Unexpected status 409: A secret with the name "OPENAI_API_KEY" already exists',
        ),
        (
            lambda s: s.create(name="lower_case", value="v"),
            RuntimeError,
            "Unexpected status 422: The request body didn't match the expected shape.",
        ),
    ],
    ids=["get-unknown", "update-unknown", "delete-unknown", "create-duplicate", "create-bad-name"],
)
def test_errors_reach_the_caller(
    secrets: SecretsFacade,
    emulator: Emulator,
    call: Callable[[SecretsFacade], Any],
    error: type[Exception],
    message: str,
) -> None:
    before = stored(emulator)
    with pytest.raises(error) as raised:
        call(secrets)
    assert str(raised.value).startswith(message), str(raised.value)
    assert stored(emulator) == before


def test_viewer_key_reads_but_cannot_write(
    connect: Callable[[str], Any], emulator: Emulator
) -> None:
    secrets = connect(VIEWER_KEY).secrets
    assert [s["id"] for s in secrets.list()] == [SEEDED_ID]
    assert secrets.get(SEEDED_ID)["name"] == "OPENAI_API_KEY"
    with pytest.raises(RuntimeError, match="Unexpected status 403: API Key does not grant"):
        secrets.set("OPENAI_API_KEY", "nope")
    assert stored(emulator)["OPENAI_API_KEY"]["value"] == "sk-test-lw-1"


def test_unknown_key_is_refused(connect: Callable[[str], Any]) -> None:
    secrets = connect("sk-lw-unknown").secrets
    with pytest.raises(RuntimeError, match="Authentication failed: Invalid credentials"):
        secrets.list()


def test_generated_rest_client_parses_every_answer(
    connect: Callable[[str], Any], emulator: Emulator
) -> None:
    """The REST client generated from LangWatch's spec, with
    ``raise_on_unexpected_status=True``: each answer has a documented status and
    parses into the generated model."""
    client = rest_client(connect, ADMIN_KEY)
    created = post_api_secrets.sync(client=client, body=PostApiSecretsBody("GEN_KEY", "g1"))
    assert isinstance(created, PostApiSecretsResponse201) and created.name == "GEN_KEY"
    duplicate = post_api_secrets.sync(client=client, body=PostApiSecretsBody("GEN_KEY", "g"))
    assert isinstance(duplicate, PostApiSecretsResponse409)
    assert duplicate.error == 'A secret with the name "GEN_KEY" already exists'
    invalid = post_api_secrets.sync(client=client, body=PostApiSecretsBody("GEN_KEY", ""))
    assert isinstance(invalid, PostApiSecretsResponse422)
    assert invalid.error == "validation_error" and invalid["fields"] == ["value"]

    listed = get_api_secrets.sync(client=client)
    assert isinstance(listed, list)
    assert [item.name for item in listed] == ["GEN_KEY", "OPENAI_API_KEY"]

    updated = put_api_secrets_by_id.sync(
        created.id, client=client, body=PutApiSecretsByIdBody("g2")
    )
    assert isinstance(updated, PutApiSecretsByIdResponse200) and updated.id == created.id
    assert stored(emulator)["GEN_KEY"]["value"] == "g2"

    deleted = delete_api_secrets_by_id.sync(created.id, client=client)
    assert deleted is not None and deleted.to_dict() == {"id": created.id, "deleted": True}
    missing = get_api_secrets_by_id.sync(created.id, client=client)
    assert isinstance(missing, GetApiSecretsByIdResponse404)
    assert missing.error == "Secret not found"
    assert "GEN_KEY" not in stored(emulator)


def test_generated_rest_client_has_no_403_in_its_spec(connect: Callable[[str], Any]) -> None:
    """A scoped key's 403 is real-server behaviour the published spec leaves out, so
    the generated client reports it as an undocumented status."""
    client = rest_client(connect, VIEWER_KEY)
    with pytest.raises(UnexpectedStatus) as raised:
        post_api_secrets.sync(client=client, body=PostApiSecretsBody("VIEW_KEY", "v"))
    assert raised.value.status_code == 403
