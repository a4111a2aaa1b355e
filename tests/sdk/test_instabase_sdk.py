"""The official Instabase AI Hub SDK (``instabase-aihub`` 0.14.0, ``import aihub``) against
the emulator on a real socket: create, list (with filters), update and delete, and the
errors it raises. Each result is checked as the SDK returns it and in the emulator's state.
At the end, the same SDK on its default host, answered in-process (it sends through
urllib3, which the ``secretmock_intercept`` fixture intercepts), with no socket opened.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from aihub.aihub import AIHub
from aihub.exceptions import (
    ApiException,
    BadRequestException,
    ConflictException,
    NotFoundException,
    ServiceException,
    UnauthorizedException,
)
from aihub.models.list_secrets200_response import ListSecrets200Response
from aihub.models.secret import Secret

from secretmock.engine.emulator import Emulator
from secretmock.serve.background import BackgroundServer
from secretmock.testing import SecretMock
from tests.helpers import forbid_network

ORG = "acme-org"


def client(server: BackgroundServer, token: str = "ib-test-admin", context: str = ORG) -> AIHub:
    return AIHub(api_key=token, ib_context=context, api_root=server.url + "/instabase/api")


def stored(emulator: Emulator, alias: str) -> dict[str, Any] | None:
    snapshot = emulator.tenant_snapshot("instabase", ORG)
    assert snapshot is not None
    return next((s for s in snapshot["secrets"] if s["alias"] == alias), None)


def message(error: ApiException) -> str:
    body = json.loads(error.body or "{}")
    assert set(body) == {"message"}
    return str(body["message"])


def test_list_parses_into_sdk_models(server: BackgroundServer) -> None:
    listed = client(server).secrets.list()
    assert isinstance(listed, ListSecrets200Response)
    assert listed.secrets is not None
    assert all(isinstance(s, Secret) for s in listed.secrets)
    assert [s.alias for s in listed.secrets] == ["my_secret", "billing_key"]
    first = listed.secrets[0]
    assert (first.description, first.allowed_workspaces_type, first.org) == (
        "Demo secret",
        "ALL",
        ORG,
    )
    assert isinstance(first.created_at, int) and isinstance(first.updated_at, int)
    assert (first.created_by, first.last_updated_by) == ("acme-org-admin", "acme-org-admin")
    assert "value" not in first.to_dict()


def test_list_filters(server: BackgroundServer) -> None:
    hub = client(server)
    by_alias = hub.secrets.list(alias="billing_key").secrets
    assert [(s.alias, s.allowed_workspaces) for s in by_alias] == [("billing_key", ["billing"])]
    assert hub.secrets.list(alias="nope").secrets == []
    assert [s.alias for s in hub.secrets.list(workspace="sales").secrets] == ["my_secret"]
    member = client(server, token="ib-test-member")
    assert [s.alias for s in member.secrets.list(workspace="billing").secrets] == [
        "my_secret",
        "billing_key",
    ]


def test_create_update_delete(server: BackgroundServer, emulator: Emulator) -> None:
    hub = client(server)
    created = hub.secrets.create(
        alias="sdk_secret",
        value="from-sdk",
        allowed_workspaces_type="SOME",
        description="made by the SDK",
        allowed_workspaces=["ws1", "ws2"],
    )
    assert created is None
    record = stored(emulator, "sdk_secret")
    assert record is not None
    assert (record["value"], record["allowed_workspaces"]) == ("from-sdk", ["ws1", "ws2"])

    (listed,) = hub.secrets.list(alias="sdk_secret").secrets
    assert listed.to_dict() == {
        "alias": "sdk_secret",
        "description": "made by the SDK",
        "allowed_workspaces_type": "SOME",
        "allowed_workspaces": ["ws1", "ws2"],
        "org": ORG,
        "created_at": record["created_at"],
        "created_by": "acme-org-admin",
        "updated_at": record["updated_at"],
        "last_updated_by": "acme-org-admin",
    }

    assert hub.secrets.update(alias="sdk_secret", value="rotated") is None
    record = stored(emulator, "sdk_secret")
    assert record is not None
    assert (record["value"], record["description"]) == ("rotated", "made by the SDK")
    assert record["allowed_workspaces_type"] == "SOME"

    assert hub.secrets.update(alias="sdk_secret", allowed_workspaces_type="ALL") is None
    assert hub.secrets.list(alias="sdk_secret").secrets[0].allowed_workspaces == []

    assert hub.secrets.delete(alias="sdk_secret") is None
    assert stored(emulator, "sdk_secret") is None
    assert hub.secrets.list(alias="sdk_secret").secrets == []


def test_create_without_description_lists_an_empty_one(
    server: BackgroundServer, emulator: Emulator
) -> None:
    hub = client(server)
    hub.secrets.create(alias="bare", value="v", allowed_workspaces_type="NONE")
    (listed,) = hub.secrets.list(alias="bare").secrets
    assert (listed.description, listed.allowed_workspaces) == ("", [])
    assert stored(emulator, "bare") is not None


@pytest.mark.parametrize(
    ("token", "context", "call", "error", "text"),
    [
        ("ib-nope", ORG, lambda h: h.secrets.list(), UnauthorizedException, "invalid API token"),
        (
            "ib-test-admin",
            "globex",
            lambda h: h.secrets.list(),
            UnauthorizedException,
            "invalid IB-Context",
        ),
        (
            "ib-test-member",
            ORG,
            lambda h: h.secrets.create("x", "v", "ALL"),
            UnauthorizedException,
            "only organization admins",
        ),
        (
            "ib-test-member",
            ORG,
            lambda h: h.secrets.list(),
            UnauthorizedException,
            "specify a workspace",
        ),
        (
            "ib-test-admin",
            ORG,
            lambda h: h.secrets.create("my_secret", "v", "ALL"),
            ConflictException,
            "already exists",
        ),
        (
            "ib-test-admin",
            ORG,
            lambda h: h.secrets.create("x", "v", "SOME"),
            BadRequestException,
            "allowed_workspaces",
        ),
        (
            "ib-test-admin",
            ORG,
            lambda h: h.secrets.update("nope", value="v"),
            NotFoundException,
            "not found",
        ),
        (
            "ib-test-admin",
            ORG,
            lambda h: h.secrets.delete("nope"),
            NotFoundException,
            "not found",
        ),
    ],
    ids=[
        "bad-token",
        "foreign-context",
        "member-create",
        "member-list-all",
        "duplicate",
        "some-without-list",
        "update-unknown",
        "delete-unknown",
    ],
)
def test_errors_reach_the_sdk(
    server: BackgroundServer,
    emulator: Emulator,
    token: str,
    context: str,
    call: Any,
    error: type[ApiException],
    text: str,
) -> None:
    before = emulator.tenant_snapshot("instabase", ORG)
    with pytest.raises(error) as raised:
        call(client(server, token=token, context=context))
    assert text in message(raised.value)
    assert emulator.tenant_snapshot("instabase", ORG) == before


@pytest.mark.parametrize(
    "context",
    [
        pytest.param(None, id="71ade2a-no-ib_context"),
        pytest.param("acme-org-admin", id="71ade2a-user-id-as-ib_context"),
    ],
)
def test_without_the_organization_context_the_sdk_gets_401(
    server: BackgroundServer, emulator: Emulator, context: str | None
) -> None:
    """``AIHub(api_key, api_root)`` without ``ib_context`` sends no IB-Context header; with
    the caller's user id it names the personal account. Either way no organization is
    selected (instabase/aihub-openapi @ 71ade2a: IB-Context is "typically your
    organization ID"), so the SDK raises its 401 exception and nothing changes."""
    hub = AIHub(api_key="ib-test-admin", ib_context=context, api_root=server.url + "/instabase/api")
    before = emulator.tenant_snapshot("instabase", ORG)
    for call in (
        lambda: hub.secrets.list(),
        lambda: hub.secrets.create("no_org", "v", "ALL"),
        lambda: hub.secrets.update("my_secret", value="changed"),
        lambda: hub.secrets.delete("my_secret"),
    ):
        with pytest.raises(UnauthorizedException) as raised:
            call()
        assert message(raised.value).startswith("secrets belong to an organization")
    assert emulator.tenant_snapshot("instabase", ORG) == before


# -- in-process, on the SDK's default host ---------------------------------------------------


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    forbid_network(monkeypatch)


def test_instabase_sdk_on_its_default_host(offline: None, secretmock_intercept: SecretMock) -> None:
    hub = AIHub(api_key="ib-test-admin", ib_context="acme-org")  # api_root: the real host
    hub.secrets.create(alias="sdk_secret", value="from-sdk", allowed_workspaces_type="ALL")
    (listed,) = hub.secrets.list(alias="sdk_secret").secrets
    assert (listed.alias, listed.org, listed.allowed_workspaces_type) == (
        "sdk_secret",
        "acme-org",
        "ALL",
    )
    hub.secrets.update(alias="sdk_secret", value="rotated")
    stored = {s["alias"]: s["value"] for s in secretmock_intercept.secrets("instabase", "acme-org")}
    assert stored["sdk_secret"] == "rotated"
    with pytest.raises(ConflictException, match="already exists"):
        hub.secrets.create(alias="sdk_secret", value="again", allowed_workspaces_type="ALL")
    hub.secrets.delete(alias="sdk_secret")
    with pytest.raises(NotFoundException):
        hub.secrets.delete(alias="sdk_secret")
    secretmock_intercept.assert_called("instabase", "delete_secret", status=404)


def test_instabase_sdk_meets_a_fault_in_process(
    offline: None, secretmock_intercept: SecretMock
) -> None:
    """urllib3's own retry of a 503 with Retry-After runs in-process as over a socket:
    the SDK's pool retries twice (its default Retry), then raises on the third 503."""
    secretmock_intercept.fault("instabase", status=503, retry_after=0)
    hub = AIHub(api_key="ib-test-admin", ib_context="acme-org")
    with pytest.raises(ServiceException):
        hub.secrets.list()
    assert [e.status for e in secretmock_intercept.journal] == [503] * 4
