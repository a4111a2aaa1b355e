"""Prisme.ai workspace secrets: records and rules, free of HTTP.

A workspace's secrets are one map keyed by secret name (docs/vendors/prismeai.md). PUT
replaces the map, PATCH merges into it; both compare the body with the map the
caller can see and change only what differs (1.6). Permissions follow the
workspaces service: the owner (``admin``) reads and writes every secret whose name
does not start with ``prismeai_``; an ``editor`` reads them; a credential of another
workspace (role ``None``) sees nothing. Reads are filtered, never refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from secretmock.engine.json_values import copy_json
from secretmock.engine.sources import Sources
from secretmock.engine.store import StoredRecord, TenantState
from secretmock.vendors.common import iso_timestamp
from secretmock.vendors.prismeai.errors import (
    ObjectNotFoundError,
    forbidden,
    validation_error,
)

SYSTEM_PREFIX = "prismeai_"
"""System secrets (rate limits and the like): no workspace role may read or write them."""
READERS = frozenset({"admin", "editor"})
WRITERS = frozenset({"admin"})


@dataclass(slots=True)  # no __dict__ per record: see StoredRecord
class Secret(StoredRecord):
    name: str
    id: str
    value: Any
    description: str
    created_at: str
    created_by: str
    updated_at: str
    updated_by: str

    unique_fields: ClassVar[tuple[str, ...]] = ("id",)

    def check_record(self) -> None:
        """A name and an id, as every write gives a secret (``_check_names``, ``_new_id``)."""
        for part in ("name", "id"):
            if not getattr(self, part):
                raise ValueError(f"{part}: must not be empty")


Tenant = TenantState[Secret]
"""A tenant of this vendor: its records are :class:`Secret`."""


@dataclass
class Plan:
    """What a write changes, by name: each list in the order the server would act."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    def actions(self) -> Iterable[tuple[str, str]]:
        """``(permission action, name)`` for every change."""
        yield from (("update", name) for name in self.updated)
        yield from (("delete", name) for name in self.deleted)
        yield from (("create", name) for name in self.created)

    def __bool__(self) -> bool:
        return bool(self.created or self.updated or self.deleted)


def can_read(role: str | None, name: str) -> bool:
    return role in READERS and not name.startswith(SYSTEM_PREFIX)


def can_write(role: str | None, name: str) -> bool:
    return role in WRITERS and not name.startswith(SYSTEM_PREFIX)


def json_type(value: Any) -> str:
    """JavaScript's ``typeof`` of a JSON value, which the service stores as ``type``."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, _NUMBERS):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object"  # objects, arrays and null


_NUMBERS = (int, float)
_ATOMS = (str, int, float, bool, type(None))


def same_json(left: Any, right: Any) -> bool:
    """Deep equality as JavaScript sees JSON: ``true`` is not ``1``, ``1`` is ``1.0``.
    (Runs on every write: it compares exact types, which JSON values allow.)"""
    left_type, right_type = type(left), type(right)
    if left_type is bool or right_type is bool:
        return left_type is right_type and left == right
    if left_type in _NUMBERS and right_type in _NUMBERS:
        return bool(left == right)
    if left_type is not right_type:
        return False
    if left_type is dict:
        return left.keys() == right.keys() and all(same_json(left[k], right[k]) for k in left)
    if left_type is list:
        return len(left) == len(right) and all(map(same_json, left, right))
    return bool(left == right)


def entry(secret: Secret) -> dict[str, Any]:
    """A secret as GET shows it: an empty description is left out. (One dict literal
    per case: the keys in the service's order, built in one step on every read.)"""
    stored = secret.value
    value = stored if isinstance(stored, _ATOMS) else copy_json(stored)
    if secret.description:
        return {
            "id": secret.id,
            "value": value,
            "type": json_type(stored),
            "description": secret.description,
            "createdBy": secret.created_by,
            "updatedBy": secret.updated_by,
            "createdAt": secret.created_at,
            "updatedAt": secret.updated_at,
            "permissions": {},
        }
    return {
        "id": secret.id,
        "value": value,
        "type": json_type(stored),
        "createdBy": secret.created_by,
        "updatedBy": secret.updated_by,
        "createdAt": secret.created_at,
        "updatedAt": secret.updated_at,
        "permissions": {},
    }


def visible(tenant: Tenant, role: str | None) -> dict[str, Secret]:
    """The secrets ``role`` may read, in storage order."""
    if role not in READERS:
        return {}
    return {name: s for name, s in tenant.secrets.items() if not name.startswith(SYSTEM_PREFIX)}


def read_map(tenant: Tenant, role: str | None) -> dict[str, dict[str, Any]]:
    """The ``WorkspaceSecrets`` map ``role`` sees."""
    return {name: entry(secret) for name, secret in visible(tenant, role).items()}


def plan(current: Mapping[str, Secret], body: Mapping[str, Any], replace: bool) -> Plan:
    """What differs between the map the caller sees and ``body``; only PUT (``replace``)
    deletes the names the body leaves out."""
    changes = Plan()
    for name, secret in current.items():
        if name not in body:
            if replace:
                changes.deleted.append(name)
        elif not _same_entry(secret, body[name]):
            changes.updated.append(name)
    changes.created = [name for name in body if name not in current]
    return changes


def write(
    tenant: Tenant,
    role: str | None,
    user: str,
    body: Mapping[str, Any],
    replace: bool,
    sources: Sources,
) -> dict[str, dict[str, Any]]:
    """Applies a PUT (``replace``) or PATCH body and answers the map after it.

    Everything is checked first: a refused request changes nothing. When nothing
    differs the map is answered as it is, timestamps unmoved.
    """
    _check_names(body)
    current = visible(tenant, role)
    changes = plan(current, body, replace)
    for action, name in changes.actions():
        if not can_write(role, name):
            raise forbidden(action, name)
    if not changes:  # the map the caller sees is the one just read
        return {name: entry(secret) for name, secret in current.items()}
    _apply(tenant, changes, body, user, iso_timestamp(sources.now()), sources)
    return read_map(tenant, role)


def delete(tenant: Tenant, role: str | None, name: str) -> None:
    """Deletes one secret. A name the caller cannot see or may not delete is not found,
    because the service deletes only among the rows the caller may delete."""
    if name not in visible(tenant, role) or not can_write(role, name):
        raise ObjectNotFoundError(f"Secret '{name}' not found")
    del tenant.secrets[name]


def seed_secret(tenant: Tenant, fixture: Mapping[str, Any], sources: Sources) -> None:
    """Adds a fixtures entry ``{name, value, description?}``. Names starting with
    ``prismeai_`` are accepted here: they seed system secrets no workspace role sees."""
    unknown = set(fixture) - {"name", "value", "description"}
    if unknown:
        raise ValueError(f"unknown fields {sorted(unknown)}; expected name, value, description")
    name = fixture.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError("'name' must be a non-empty string")
    if "value" not in fixture:
        raise ValueError(f"secret {name!r}: 'value' is required")
    if not isinstance(fixture.get("description", ""), str):
        raise ValueError(f"secret {name!r}: 'description' must be a string")
    if name in tenant.secrets:
        raise ValueError(f"secret {name!r} appears twice")
    owner = next((c.user for c in tenant.credentials.values() if c.role == "admin"), "system")
    now = iso_timestamp(sources.now())
    tenant.secrets[name] = _new_secret(name, fixture, tenant, owner, now, sources)


def export(secret: Secret) -> dict[str, Any]:
    """The admin API's view of a record: every stored field, value included."""
    return {
        "name": secret.name,
        "value": copy_json(secret.value),
        "description": secret.description,
        "id": secret.id,
        "type": json_type(secret.value),
        "createdAt": secret.created_at,
        "createdBy": secret.created_by,
        "updatedAt": secret.updated_at,
        "updatedBy": secret.updated_by,
    }


def _same_entry(secret: Secret, given: Mapping[str, Any]) -> bool:
    # Only value and description count: server-managed fields a client sends back (id,
    # createdAt, createdBy, updatedAt, updatedBy, permissions, type) and unknown fields
    # are ignored. An absent description clears a stored one; "" and absent are the
    # same (the service stores "" and omits it on read).
    return same_json(secret.value, given["value"]) and secret.description == given.get(
        "description", ""
    )


def _check_names(body: Mapping[str, Any]) -> None:
    if "" in body:
        problem = {"path": "/body/", "message": "must not have an empty secret name"}
        raise validation_error([problem])


def _apply(
    tenant: Tenant,
    changes: Plan,
    body: Mapping[str, Any],
    user: str,
    now: str,
    sources: Sources,
) -> None:
    for name in changes.deleted:
        del tenant.secrets[name]
    for name in changes.updated:
        secret = tenant.secrets[name]
        secret.value = copy_json(body[name]["value"])
        secret.description = body[name].get("description", "")
        secret.updated_at, secret.updated_by = now, user
    for name in changes.created:
        tenant.secrets[name] = _new_secret(name, body[name], tenant, user, now, sources)


def _new_secret(
    name: str,
    given: Mapping[str, Any],
    tenant: Tenant,
    user: str,
    now: str,
    sources: Sources,
) -> Secret:
    return Secret(
        name=name,
        id=_new_id(given.get("id"), tenant, sources),
        value=copy_json(given["value"]),
        description=given.get("description", ""),
        created_at=now,
        created_by=user,
        updated_at=now,
        updated_by=user,
    )


def _new_id(given: Any, tenant: Tenant, sources: Sources) -> str:
    """The id a client gave a new secret (the service keeps it) when it is a non-empty
    string no other secret of the workspace has; else a new MongoDB-style id."""
    taken = {secret.id for secret in tenant.secrets.values()}
    if isinstance(given, str) and given and given not in taken:
        return given
    return sources.hex(24)
