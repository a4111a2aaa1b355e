"""One write and one read per vendor against the default fixtures: what the scenario tests
(faults, clock, state) drive every vendor with."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import pytest

from tests.conftest import Api, Response


class Call(NamedTuple):
    """A request on the default fixtures, the operation it reaches and its success status."""

    vendor: str
    operation: str
    tenant: str
    method: str
    path: str
    headers: Mapping[str, str]
    json: Any
    status: int

    def send(self, api: Api, **extra_headers: str) -> Response:
        headers = {**self.headers, **extra_headers}
        return api.request(self.method, self.path, headers=headers, json=self.json)


PRISMEAI = {"x-prismeai-api-key": "prisme-test-ws1"}
LANGWATCH = {"X-Auth-Token": "sk-lw-test-demo"}
INSTABASE = {"Authorization": "Bearer ib-test-admin", "IB-Context": "acme-org"}
INSFORGE = {"Authorization": "Bearer ik_test_demo_admin"}
FIREWORKS = {"Authorization": "Bearer fw-test-acme"}

CREATES = {
    "prismeai": Call(
        "prismeai",
        "patchWorkspaceSecrets",
        "ws1",
        "PATCH",
        "/prismeai/v2/workspaces/ws1/security/secrets",
        PRISMEAI,
        {"scenarioKey": {"value": "v1"}},
        200,
    ),
    "langwatch": Call(
        "langwatch",
        "postApiSecrets",
        "project-demo",
        "POST",
        "/langwatch/api/secrets",
        LANGWATCH,
        {"name": "SCENARIO_KEY", "value": "v1"},
        201,
    ),
    "instabase": Call(
        "instabase",
        "create_secret",
        "acme-org",
        "POST",
        "/instabase/api/v2/aihub/secrets",
        INSTABASE,
        {"alias": "scenario_key", "value": "v1", "allowed_workspaces_type": "ALL"},
        200,
    ),
    "insforge": Call(
        "insforge",
        "createSecret",
        "demo-project",
        "POST",
        "/insforge/api/secrets",
        INSFORGE,
        {"key": "SCENARIO_KEY", "value": "v1"},
        201,
    ),
    "fireworks": Call(
        "fireworks",
        "Gateway_CreateSecret",
        "acme",
        "POST",
        "/fireworks/v1/accounts/acme/secrets",
        FIREWORKS,
        {"name": "scenario-key", "keyName": "SCENARIO_KEY", "value": "v1"},
        200,
    ),
}
"""A create of a new secret per vendor (the name appears in the tenant's state after)."""

LISTS = {
    "prismeai": Call(
        "prismeai",
        "getWorkspaceSecrets",
        "ws1",
        "GET",
        "/prismeai/v2/workspaces/ws1/security/secrets",
        PRISMEAI,
        None,
        200,
    ),
    "langwatch": Call(
        "langwatch",
        "getApiSecrets",
        "project-demo",
        "GET",
        "/langwatch/api/secrets",
        LANGWATCH,
        None,
        200,
    ),
    "instabase": Call(
        "instabase",
        "list_secrets",
        "acme-org",
        "GET",
        "/instabase/api/v2/aihub/secrets",
        INSTABASE,
        None,
        200,
    ),
    "insforge": Call(
        "insforge",
        "listSecrets",
        "demo-project",
        "GET",
        "/insforge/api/secrets",
        INSFORGE,
        None,
        200,
    ),
    "fireworks": Call(
        "fireworks",
        "Gateway_ListSecrets",
        "acme",
        "GET",
        "/fireworks/v1/accounts/acme/secrets",
        FIREWORKS,
        None,
        200,
    ),
}
"""A read of the tenant's whole list per vendor."""

CREATED_NAME = {
    "prismeai": "scenarioKey",
    "langwatch": "SCENARIO_KEY",
    "instabase": "scenario_key",
    "insforge": "SCENARIO_KEY",
    "fireworks": "SCENARIO_KEY",
}
"""The name each create above gives, as the tenant's exported secrets show it."""


def stored_names(secrets: list[dict[str, Any]]) -> set[str]:
    """The names of a tenant's exported secrets, whatever field each vendor calls it."""
    fields = ("keyName", "key", "alias", "name")
    return {next(str(s[f]) for f in fields if f in s) for s in secrets}


def each_vendor(table: Mapping[str, Call]) -> pytest.MarkDecorator:
    """``parametrize`` a test's ``call`` over one vendor's row each, named by the vendor."""
    return pytest.mark.parametrize("call", list(table.values()), ids=list(table))
