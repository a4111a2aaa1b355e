"""Fixtures: the tenants, credentials and secrets the emulator starts with.

A fixtures file is YAML (see ``fixtures/default.yaml`` and docs/fixtures.md)::

    tenants:
      - vendor: fireworks
        id: acme
        credentials: [{token: fw-test-acme, role: admin}]
        secrets: [{name: openai-key, keyName: OPENAI_API_KEY, value: sk-test-1}]
    vendor_versions: {langwatch: before-2026-07-22}   # optional: older servers

Every problem is reported as a :class:`FixtureError` naming the file, the entry and
what is wrong, before anything is served.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from secretmock.engine.json_values import TOO_DEEP, unreadable_value
from secretmock.engine.sources import Sources
from secretmock.engine.store import Credential, TenantState
from secretmock.engine.vendor_api import Vendor
from secretmock.engine.yaml_files import YAMLError, read_yaml

DEFAULT_ROLE = "admin"
PAUSE_EVERY = 256
"""Secrets :func:`build_tenant` seeds between two calls of its ``pause``."""


class FixtureError(ValueError):
    """A fixtures file or tenant entry is not usable; the message says where and why."""


@dataclass(frozen=True)
class TenantFixture:
    """One tenant entry, structurally checked; ``where`` names it in messages.
    ``templates``: the tenant built once per vendor version, which resets copy
    (:mod:`secretmock.engine.templates`); it lives as long as the fixture does (the
    server's, or one sandbox's own)."""

    vendor: str
    tenant_id: str
    entry: Mapping[str, Any]
    where: str
    templates: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


def load_fixture_files(paths: Sequence[Path], vendors: Mapping[str, Vendor]) -> list[TenantFixture]:
    """All tenant entries of ``paths``, in order; a later entry for the same
    (vendor, tenant) replaces an earlier one."""
    found: dict[tuple[str, str], TenantFixture] = {}
    for path in paths:
        for fixture in _load_file(path, vendors):
            found[(fixture.vendor, fixture.tenant_id)] = fixture
    return list(found.values())


def _load_file(path: Path, vendors: Mapping[str, Vendor]) -> list[TenantFixture]:
    document = _read(path)
    if not isinstance(document, dict) or not isinstance(document.get("tenants"), list):
        raise FixtureError(f"{path}: expected a mapping with a 'tenants' list at the top")
    return tenant_fixtures(document["tenants"], vendors, f"{path}: tenants")


def tenant_fixtures(
    entries: Sequence[Any], vendors: Mapping[str, Vendor], where: str
) -> list[TenantFixture]:
    """The tenant entries of a fixtures file's ``tenants`` list (or a sandbox's
    ``fixtures``), structurally checked; ``where`` names the list in messages."""
    fixtures = []
    for index, entry in enumerate(entries):
        at = f"{where}[{index}]"
        if not isinstance(entry, dict):
            raise FixtureError(f"{at}: expected a mapping, got {type(entry).__name__}")
        vendor, tenant_id = str(entry.get("vendor")), entry.get("id")
        if vendor not in vendors:
            raise FixtureError(
                f"{at}: unknown vendor {entry.get('vendor')!r}; known: {sorted(vendors)}"
            )
        if not isinstance(tenant_id, str) or not tenant_id:
            raise FixtureError(f"{at}: 'id' must be a non-empty string")
        at = f"{at} ({vendor}/{tenant_id})"
        check_readable(entry, at)
        fixtures.append(TenantFixture(vendor, tenant_id, entry, at))
    return fixtures


def _read(path: Path) -> Any:
    try:
        return read_yaml(path)
    except RecursionError as exc:  # PyYAML's pure-Python parser recurses (libyaml stops)
        raise FixtureError(f"{path}: cannot read the fixtures file: nested too deeply") from exc
    except (OSError, YAMLError) as exc:
        raise FixtureError(f"{path}: cannot read the fixtures file: {exc}") from exc


def check_readable(entry: Mapping[str, Any], where: str) -> None:
    """Refuses an entry holding a value no JSON client could read back (YAML's .nan and
    .inf, "\\ud800" escapes), or nested deeper than a vendor's body may be
    (:data:`~secretmock.engine.json_values.MAX_DEPTH`): stored, it would break every
    answer that includes it."""
    problem = unreadable_value(dict(entry))
    if problem is not None:
        why = "" if problem.startswith(TOO_DEEP) else ": no JSON client could read it back"
        raise FixtureError(f"{where}: {problem}{why}")


def load_vendor_versions(paths: Sequence[Path]) -> dict[str, str]:
    """The server version each file selects per vendor (top-level ``vendor_versions``, a
    mapping of vendor name to version); a later file wins. Names are checked by the
    emulator, which knows the vendors' versions."""
    versions: dict[str, str] = {}
    for path in paths:
        document = _read(path)
        found = document.get("vendor_versions") if isinstance(document, dict) else None
        if found is None:
            continue
        if not isinstance(found, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in found.items()
        ):
            raise FixtureError(f"{path}: 'vendor_versions' must map vendor names to version names")
        versions.update(found)
    return versions


def tenant_id_problem(tenant_id: str) -> str | None:
    """Why no request could reach a tenant of this id, or ``None``: every vendor and the
    admin API carry it as one path segment (or in a header), which holds no ``/``."""
    if not tenant_id:
        return "a tenant id must not be empty"
    if "/" in tenant_id:
        return f"the tenant id {tenant_id!r} holds a '/': no route or admin URL reaches it"
    return None


def build_tenant(
    vendor: Vendor,
    tenant_id: str,
    entry: Mapping[str, Any],
    sources: Sources,
    where: str,
    checked: bool = False,
    pause: Callable[[], None] | None = None,
) -> TenantState[Any]:
    """A new tenant with the entry's credentials, the vendor's built-ins, then the
    entry's secrets. ``checked``: the entry already passed :func:`check_readable` (a
    fixtures file's entries do when loaded, so a reset does not walk them again);
    ``pause`` is called after every :data:`PAUSE_EVERY` secrets (to let other threads
    run meanwhile)."""
    unknown = set(entry) - {"vendor", "id", "credentials", "secrets"}
    if unknown:
        raise FixtureError(f"{where}: unknown keys {sorted(unknown)}")
    problem = tenant_id_problem(tenant_id)
    if problem is not None:
        raise FixtureError(f"{where}: {problem}")
    if not checked:
        check_readable({"id": tenant_id, **entry}, where)
    tenant: TenantState[Any] = TenantState(tenant_id)
    for index, raw in enumerate(_list(entry, "credentials", where)):
        credential = _credential(vendor, tenant_id, raw, f"{where}: credentials[{index}]")
        if credential.token in tenant.credentials:
            raise FixtureError(f"{where}: credentials[{index}]: the token appears twice")
        tenant.credentials[credential.token] = credential
    try:
        # After the credentials: a vendor's built-ins may derive from them (InsForge
        # stores the project's admin API key as its API_KEY secret).
        vendor.init_tenant(tenant, sources)
    except ValueError as exc:
        raise FixtureError(f"{where}: {exc}") from exc
    for index, raw in enumerate(_list(entry, "secrets", where)):
        if not isinstance(raw, dict):
            raise FixtureError(f"{where}: secrets[{index}]: expected a mapping")
        try:
            vendor.seed_secret(tenant, raw, sources)
        except ValueError as exc:
            raise FixtureError(f"{where}: secrets[{index}]: {exc}") from exc
        if pause is not None and index % PAUSE_EVERY == PAUSE_EVERY - 1:
            pause()
    return tenant


def _list(entry: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = entry.get(key) or []
    if not isinstance(value, list):
        raise FixtureError(f"{where}: '{key}' must be a list")
    return value


def _credential(vendor: Vendor, tenant_id: str, raw: Any, where: str) -> Credential:
    if not isinstance(raw, dict) or not isinstance(raw.get("token"), str) or not raw["token"]:
        raise FixtureError(f"{where}: expected a mapping with a non-empty string 'token'")
    role = raw.get("role", DEFAULT_ROLE)
    if role not in vendor.roles:
        raise FixtureError(f"{where}: role {role!r} is not one of {sorted(vendor.roles)}")
    user = raw.get("user") or f"{tenant_id}-{role}"
    return Credential(raw["token"], tenant_id, role, str(user))
