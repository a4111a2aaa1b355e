"""``GET``/``PUT /__admin__/versions`` (docs/server.md, "The admin API"): the server
version each vendor emulates, switched at run time (a remote pytest session's per-test
``vendor_versions`` use it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import Api

LW = {"X-Auth-Token": "sk-lw-test-demo"}


@pytest.fixture
def versions(api: Api) -> Iterator[Api]:
    yield api
    assert api.request("PUT", "/__admin__/versions", json={}).status_code == 200


def test_put_serves_an_older_version_and_empty_puts_the_start_up_ones_back(
    versions: Api,
) -> None:
    before = versions.request("GET", "/__admin__/versions").json()
    assert before["versions"] == before["defaults"]
    assert before["versions"]["langwatch"] == "current"
    chosen = versions.request("PUT", "/__admin__/versions", json={"langwatch": "before-2026-07-22"})
    assert chosen.status_code == 200
    assert chosen.json() == {
        "versions": {**before["versions"], "langwatch": "before-2026-07-22"},
        "defaults": before["defaults"],
    }
    assert versions.request("GET", "/__admin__/versions").json() == chosen.json()
    listed = versions.request("GET", "/__admin__/vendors").json()["vendors"]
    assert {v["name"]: v["version"] for v in listed}["langwatch"] == "before-2026-07-22"
    older = versions.request("POST", "/langwatch/api/secrets", headers=LW, json={"value": "v"})
    assert older.status_code == 400 and older.json()["error"]["name"] == "ZodError"
    versions.request("POST", "/__admin__/reset")  # a reset keeps the versions served
    assert versions.request("GET", "/__admin__/versions").json() == chosen.json()
    back = versions.request("PUT", "/__admin__/versions", json={}).json()
    assert back == before
    current = versions.request("POST", "/langwatch/api/secrets", headers=LW, json={"value": "v"})
    assert current.status_code == 422


def test_an_alias_is_shown_as_the_version_it_names(versions: Api) -> None:
    chosen = versions.request("PUT", "/__admin__/versions", json={"insforge": "before-2026-05-16"})
    assert chosen.json()["versions"]["insforge"] == "before-2026-05-22"


@pytest.mark.parametrize(
    "body, message",
    [
        ({"langwatch": "nope"}, "vendor 'langwatch' has no version 'nope' (known: current, "),
        ({"nobody": "x"}, "unknown vendor(s) ['nobody'] in the vendor versions"),
        ({"langwatch": 1}, "the body must map vendor names to version names"),
        (["langwatch"], "the body must map vendor names to version names"),
    ],
)
def test_a_bad_body_is_400_naming_the_problem_and_changes_nothing(
    versions: Api, body: object, message: str
) -> None:
    versions.request("PUT", "/__admin__/versions", json={"langwatch": "before-2026-07-22"})
    served = versions.request("GET", "/__admin__/versions").json()
    refused = versions.request("PUT", "/__admin__/versions", json=body)
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_versions"
    assert message in refused.json()["message"]
    assert versions.request("GET", "/__admin__/versions").json() == served
