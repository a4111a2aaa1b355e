"""Fixtures files: loaded as `secretmock.engine.fixtures` and `fixtures/default.yaml` describe,
and a broken one stops start-up with a message that names the file, the entry and the
problem."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from secretmock.engine.emulator import Emulator
from secretmock.engine.fixtures import FixtureError
from secretmock.resources import default_fixtures_path
from secretmock.vendors import all_vendors

GOOD_TENANT = """
  - vendor: fireworks
    id: acme
    credentials: [{token: fw-1, role: admin}]
    secrets: [{name: a, keyName: A, value: v}]
"""

BROKEN = [
    ("not-yaml", "tenants: [", "cannot read the fixtures file"),
    ("no-tenants", "hello: 1", "expected a mapping with a 'tenants' list"),
    ("tenant-not-mapping", "tenants: [3]", "tenants[0]: expected a mapping"),
    ("unknown-vendor", "tenants: [{vendor: acme-cloud, id: x}]", "unknown vendor 'acme-cloud'"),
    ("no-id", "tenants: [{vendor: fireworks}]", "'id' must be a non-empty string"),
    ("unknown-key", "tenants: [{vendor: fireworks, id: a, secret: []}]", "unknown keys ['secret']"),
    (
        "id-with-a-slash",
        "tenants: [{vendor: fireworks, id: a/b}]",
        "the tenant id 'a/b' holds a '/'",
    ),
    (
        "credential-no-token",
        "tenants: [{vendor: fireworks, id: a, credentials: [{role: admin}]}]",
        "credentials[0]: expected a mapping with a non-empty string 'token'",
    ),
    (
        "unknown-role",
        "tenants: [{vendor: fireworks, id: a, credentials: [{token: t, role: root}]}]",
        "credentials[0]: role 'root' is not one of ['admin']",
    ),
    (
        "token-twice",
        "tenants: [{vendor: fireworks, id: a, credentials: [{token: t}, {token: t}]}]",
        "credentials[1]: the token appears twice",
    ),
    (
        "token-in-two-tenants",
        "tenants: [{vendor: fireworks, id: a, credentials: [{token: t}]},"
        " {vendor: fireworks, id: b, credentials: [{token: t}]}]",
        "a token is already bound to tenant 'a'",
    ),
    (
        "secret-missing-field",
        "tenants: [{vendor: fireworks, id: a, secrets: [{name: x}]}]",
        "secrets[0]: 'keyName' must be a string",
    ),
    (
        "secret-duplicate",
        "tenants: [{vendor: fireworks, id: a,"
        " secrets: [{name: x, keyName: X}, {name: x, keyName: Y}]}]",
        "secrets[1]: secret accounts/a/secrets/x already exists",
    ),
    (
        "secrets-not-list",
        "tenants: [{vendor: fireworks, id: a, secrets: {name: x}}]",
        "'secrets' must be a list",
    ),
]


@pytest.mark.parametrize(("text", "message"), [c[1:] for c in BROKEN], ids=[c[0] for c in BROKEN])
def test_broken_fixtures_name_file_entry_and_problem(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    with pytest.raises(FixtureError) as error:
        Emulator(all_vendors(), [path])
    assert str(path) in str(error.value)
    assert message in str(error.value)


def test_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(FixtureError, match=r"nothing\.yaml: cannot read"):
        Emulator(all_vendors(), [tmp_path / "nothing.yaml"])


def test_a_later_file_replaces_a_tenant_of_an_earlier_one(tmp_path: Path) -> None:
    override = tmp_path / "override.yaml"
    override.write_text("tenants:" + GOOD_TENANT)
    emulator = Emulator(all_vendors(), [default_fixtures_path(), override])
    snapshot = emulator.tenant_snapshot("fireworks", "acme")
    assert snapshot is not None
    assert [s["name"] for s in snapshot["secrets"]] == ["a"]
    assert [c["token"] for c in snapshot["credentials"]] == ["fw-1"]


def test_default_role_is_admin_and_user_defaults_from_tenant(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text("tenants: [{vendor: fireworks, id: acme, credentials: [{token: t}]}]")
    snapshot = Emulator(all_vendors(), [path]).tenant_snapshot("fireworks", "acme")
    assert snapshot is not None
    assert snapshot["credentials"] == [{"token": "t", "role": "admin", "user": "acme-admin"}]


def without_timestamps(snapshot: object) -> object:
    """The snapshot less its timestamps (createdAt, updated_at...), which follow the clock."""
    if isinstance(snapshot, dict):
        return {
            k: without_timestamps(v) for k, v in snapshot.items() if not re.search(r"(At|_at)$", k)
        }
    if isinstance(snapshot, list):
        return [without_timestamps(v) for v in snapshot]
    return snapshot


def test_reset_restores_fixtures_with_the_same_ids(tmp_path: Path) -> None:
    emulator = Emulator(all_vendors(), [default_fixtures_path()])

    def state() -> list[object]:
        return [
            without_timestamps(emulator.tenant_snapshot(f.vendor, f.tenant_id))
            for f in emulator.fixtures
        ]

    before = state()
    emulator.put_tenant("fireworks", "acme", {"credentials": [{"token": "x"}]})
    emulator.put_tenant("fireworks", "extra", {"credentials": [{"token": "y"}]})
    emulator.reset()
    assert state() == before
    assert emulator.tenant_snapshot("fireworks", "extra") is None


def test_one_vendor_alone_skips_the_other_vendors_tenants() -> None:
    emulator = Emulator(all_vendors(), [default_fixtures_path()], only_vendor="insforge")
    assert list(emulator.vendors) == list(emulator.pipelines) == ["insforge"]
    assert {f.vendor for f in emulator.fixtures} == {"insforge"}
    assert [t["vendor"] for t in emulator.tenants()] == ["insforge"]


def test_one_vendor_alone_still_refuses_an_unknown_vendor(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text("tenants: [{vendor: acme-cloud, id: x}]")
    with pytest.raises(FixtureError, match="unknown vendor 'acme-cloud'"):
        Emulator(all_vendors(), [path], only_vendor="insforge")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        pytest.param(
            "tenants: []\nvendor_versions: [langwatch]\n",
            "'vendor_versions' must map vendor names to version names",
            id="not-a-mapping",
        ),
        pytest.param(
            "tenants: []\nvendor_versions: {langwatch: '2020'}\n",
            "vendor versions: vendor 'langwatch' has no version '2020' "
            "(known: current, before-2026-07-22)",
            id="unknown-version",
        ),
        pytest.param(
            "tenants: []\nvendor_versions: {nope: current}\n",
            "vendor versions: unknown vendor(s) ['nope']",
            id="unknown-vendor",
        ),
    ],
)
def test_vendor_versions_in_a_fixtures_file_are_checked(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = tmp_path / "versions.yaml"
    path.write_text(text)
    with pytest.raises(FixtureError, match=re.escape(problem)):
        Emulator(all_vendors(), [path])


def test_a_later_file_and_the_caller_choose_the_version(tmp_path: Path) -> None:
    first, second = tmp_path / "first.yaml", tmp_path / "second.yaml"
    first.write_text("tenants: []\nvendor_versions: {insforge: before-2026-05-16}\n")
    second.write_text("tenants: []\nvendor_versions: {insforge: current}\n")
    # before-2026-05-16 is the former name of before-2026-05-22, kept as an alias.
    assert Emulator(all_vendors(), [first]).versions()["insforge"] == "before-2026-05-22"
    assert Emulator(all_vendors(), [first, second]).versions()["insforge"] == "current"
    chosen = Emulator(all_vendors(), [second], vendor_versions={"insforge": "before-2026-05-22"})
    assert chosen.versions()["insforge"] == "before-2026-05-22"
