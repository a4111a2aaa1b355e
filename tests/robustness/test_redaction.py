"""What the journal keeps of a request (issue 8, bug 8; README "Admin API"): a body that
validated, with its secret fields redacted; of any other body, its shape alone; and no
header at all, so no credential. Over both transports."""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from tests.conftest import Api
from tests.helpers import table

SENTINEL = "SENTINEL-9f2c"
TEXT = f"<string: {len(SENTINEL)} chars>"

PRISME = {"x-prismeai-api-key": "prisme-test-ws1"}
INSFORGE = {"Authorization": "Bearer ik_test_demo_admin"}
LANGWATCH = {"Authorization": "Bearer sk-lw-test-demo"}
INSTABASE = {"Authorization": "Bearer ib-test-admin", "IB-Context": "acme-org"}
FIREWORKS = {"Authorization": "Bearer fw-test-acme"}


def last_entry(api: Api) -> dict[str, Any]:
    entries: list[dict[str, Any]] = api.request("GET", "/__admin__/journal").json()["entries"]
    return entries[-1]


def assert_nowhere(api: Api, text: str) -> None:
    for endpoint in ("journal", "violations", "report"):
        recorded = json.dumps(api.request("GET", f"/__admin__/{endpoint}").json())
        assert text not in recorded, endpoint


class Refused(NamedTuple):
    id: str
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    status: int
    recorded: Any


REFUSED = [
    Refused(
        "prismeai-value-not-wrapped",
        "PUT",
        "/prismeai/v2/workspaces/ws1/security/secrets",
        PRISME,
        {"openaiApiKey": SENTINEL},
        400,
        {"openaiApiKey": TEXT},
    ),
    Refused(
        "prismeai-secret-in-a-list",
        "PATCH",
        "/prismeai/v2/workspaces/ws1/security/secrets",
        PRISME,
        {"k": [{"value": SENTINEL}]},
        400,
        {"k": [{"value": TEXT}]},
    ),
    Refused(
        "insforge-value-of-the-wrong-type",
        "PUT",
        "/insforge/api/secrets/STRIPE_API_KEY",
        INSFORGE,
        {"value": [SENTINEL, 12345]},
        400,
        {"value": [TEXT, "<number>"]},
    ),
    Refused(
        "langwatch-secret-as-the-name",
        "POST",
        "/langwatch/api/secrets",
        LANGWATCH,
        {"name": SENTINEL, "value": True},
        422,
        {"name": TEXT, "value": "<boolean>"},
    ),
    Refused(
        "instabase-missing-alias",
        "PATCH",
        "/instabase/api/v2/aihub/secrets",
        INSTABASE,
        {"value": SENTINEL, "description": SENTINEL},
        400,
        {"value": TEXT, "description": TEXT},
    ),
    Refused(
        "fireworks-body-an-array",
        "POST",
        "/fireworks/v1/accounts/acme/secrets",
        FIREWORKS,
        [SENTINEL] * 11,
        400,
        ["<array: 11 items>"],
    ),
]


@table(REFUSED)
def test_a_refused_body_is_recorded_as_its_shape(
    api: Api,
    method: str,
    path: str,
    headers: dict[str, str],
    body: Any,
    status: int,
    recorded: Any,
) -> None:
    response = api.request(method, path, headers=headers, json=body)
    assert response.status_code == status, response.json()
    entry = last_entry(api)
    assert entry["status"] == status
    assert entry["body"] == recorded
    assert_nowhere(api, SENTINEL)


def test_an_unparsed_body_is_recorded_by_its_size(api: Api) -> None:
    data = b'{"value": "' + SENTINEL.encode() + b'"'
    response = api.request(
        "PUT",
        "/insforge/api/secrets/STRIPE_API_KEY",
        headers={**INSFORGE, "Content-Type": "application/json"},
        data=data,
    )
    assert response.status_code == 400
    assert last_entry(api)["body"] == f"<not parsed: {len(data)} bytes>"
    assert_nowhere(api, SENTINEL)


def test_a_body_sent_to_an_operation_that_takes_none_is_recorded_as_its_shape(
    api: Api,
) -> None:
    response = api.request(
        "GET", "/insforge/api/secrets", headers=INSFORGE, json={"note": SENTINEL}
    )
    assert response.status_code == 200
    assert last_entry(api)["body"] == {"note": TEXT}
    assert_nowhere(api, SENTINEL)


def test_a_valid_body_is_recorded_with_its_secret_redacted(api: Api) -> None:
    response = api.request(
        "POST",
        "/insforge/api/secrets",
        headers=INSFORGE,
        json={"key": "NEW_KEY", "value": SENTINEL},
    )
    assert response.status_code == 201
    assert last_entry(api)["body"] == {"key": "NEW_KEY", "value": "<redacted>"}
    assert_nowhere(api, SENTINEL)


class Credential(NamedTuple):
    id: str
    path: str
    headers: dict[str, str]


CREDENTIALS = [
    Credential(
        "bearer", "/fireworks/v1/accounts/acme/secrets", {"Authorization": f"Bearer {SENTINEL}"}
    ),
    Credential("basic", "/langwatch/api/secrets", {"Authorization": f"Basic {SENTINEL}"}),
    Credential("x-api-key", "/insforge/api/secrets", {"x-api-key": SENTINEL}),
    Credential("x-auth-token", "/langwatch/api/secrets", {"X-Auth-Token": SENTINEL}),
    Credential(
        "prismeai-api-key",
        "/prismeai/v2/workspaces/ws1/security/secrets",
        {"x-prismeai-api-key": SENTINEL},
    ),
    Credential("ib-context", "/instabase/api/v2/aihub/secrets", {"IB-Context": SENTINEL}),
]


@table(CREDENTIALS)
def test_credential_headers_are_never_recorded(
    api: Api, path: str, headers: dict[str, str]
) -> None:
    response = api.request("GET", path, headers=headers)
    assert response.status_code in {400, 401, 403}
    assert_nowhere(api, SENTINEL)
