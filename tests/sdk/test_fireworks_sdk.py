"""The official Fireworks client (fireworks-ai 1.2.28) against a running emulator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fireworks import Fireworks, NotFoundError, PermissionDeniedError

from secretmock.engine.emulator import Emulator
from secretmock.serve.background import BackgroundServer


@pytest.fixture
def client(server: BackgroundServer) -> Iterator[Fireworks]:
    with Fireworks(
        api_key="fw-test-acme",
        account_id="acme",
        base_url=f"{server.url}/fireworks",
        max_retries=0,
        _strict_response_validation=True,
    ) as fireworks:
        yield fireworks


def stored(emulator: Emulator) -> dict[str, dict[str, str]]:
    snapshot = emulator.tenant_snapshot("fireworks", "acme")
    assert snapshot is not None
    return {s["name"]: s for s in snapshot["secrets"]}


def test_round_trip(client: Fireworks, emulator: Emulator) -> None:
    created = client.secrets.create(name="my-secret", key_name="MY_SECRET", value="v1")
    assert (created.name, created.key_name, created.value) == (
        "accounts/acme/secrets/my-secret",
        "MY_SECRET",
        None,
    )
    assert stored(emulator)["my-secret"]["value"] == "v1"

    listed = [secret.name for secret in client.secrets.list()]
    assert listed == [
        "accounts/acme/secrets/my-secret",
        "accounts/acme/secrets/openai-key",
        "accounts/acme/secrets/s1",
    ]

    updated = client.secrets.update("my-secret", key_name="MY_SECRET", value="v2")
    assert updated.key_name == "MY_SECRET" and updated.value is None
    assert stored(emulator)["my-secret"]["value"] == "v2"

    fetched = client.secrets.get("my-secret")
    assert fetched.name == "accounts/acme/secrets/my-secret" and fetched.value is None

    client.secrets.delete("my-secret")
    assert "my-secret" not in stored(emulator)
    with pytest.raises(NotFoundError):
        client.secrets.get("my-secret")


def test_create_with_full_resource_name(client: Fireworks, emulator: Emulator) -> None:
    created = client.secrets.create(name="accounts/acme/secrets/full", key_name="FULL")
    assert created.name == "accounts/acme/secrets/full"
    assert stored(emulator)["full"]["keyName"] == "FULL"


def test_list_follows_pages(client: Fireworks, emulator: Emulator) -> None:
    secrets = [{"name": f"k{i}", "keyName": f"K{i}"} for i in range(7)]
    emulator.put_tenant(
        "fireworks", "acme", {"credentials": [{"token": "fw-test-acme"}], "secrets": secrets}
    )
    names = [secret.key_name for secret in client.secrets.list(page_size=3)]
    assert names == [f"K{i}" for i in range(7)]


def test_other_account_is_refused(server: BackgroundServer) -> None:
    with (
        Fireworks(
            api_key="fw-test-acme",
            account_id="other",
            base_url=f"{server.url}/fireworks",
            max_retries=0,
        ) as other,
        pytest.raises(PermissionDeniedError),
    ):
        other.secrets.list().secrets  # noqa: B018
