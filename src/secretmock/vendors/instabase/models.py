"""Instabase AI Hub organization secrets: records and rules, free of HTTP.

A secret is addressed by its ``alias``, unique within the organization (INFERRED: the
alias is the only handle update and delete take). Its ``value`` is stored and never
shown: :func:`resource` builds the API's ``Secret`` without it.

Workspace access: ``ALL`` (every workspace), ``SOME`` (those in ``allowed_workspaces``,
which must then be non-empty) or ``NONE``. For ``ALL`` and ``NONE`` the list is
ignored and stored as ``[]`` (chosen), so the API shows ``[]`` for them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from secretmock.engine.sources import Sources
from secretmock.engine.store import StoredRecord, TenantState
from secretmock.vendors.common import unix_millis
from secretmock.vendors.instabase.errors import BadRequest, Conflict, NotFound, Unauthorized

ADMIN, MEMBER = "admin", "member"
ROLES = frozenset({ADMIN, MEMBER})
"""``admin``: an organization admin, full rights. ``member``: an organization member who
may only list the secrets available to a workspace (membership of every workspace is
assumed: the emulator does not model workspaces)."""
WORKSPACE_TYPES = ("ALL", "SOME", "NONE")
CREATE_FIELDS = frozenset(
    {"alias", "description", "value", "allowed_workspaces_type", "allowed_workspaces"}
)


@dataclass(slots=True)  # no __dict__ per record: see StoredRecord
class Secret(StoredRecord):
    alias: str
    value: str
    description: str
    allowed_workspaces_type: str
    allowed_workspaces: list[str]
    created_at: int
    created_by: str
    updated_at: int
    last_updated_by: str

    def check_record(self) -> None:
        """The alias and workspace rules of create and update."""
        if not self.alias:
            raise ValueError("alias: must not be empty")
        if self.allowed_workspaces_type not in WORKSPACE_TYPES:
            raise ValueError(f"allowed_workspaces_type: must be one of {list(WORKSPACE_TYPES)}")
        try:
            stored = _workspaces(self.allowed_workspaces_type, self.allowed_workspaces)
        except BadRequest as exc:
            raise ValueError(f"allowed_workspaces: {exc.message}") from exc
        if stored != self.allowed_workspaces:
            raise ValueError("allowed_workspaces: must be [] unless the type is SOME")


Tenant = TenantState[Secret]
"""A tenant of this vendor: its records are :class:`Secret`."""


@dataclass(frozen=True)
class Actor:
    """Who makes a change, and when (Unix milliseconds)."""

    user: str
    at: int

    @classmethod
    def now(cls, user: str, sources: Sources) -> Actor:
        return cls(user, unix_millis(sources.now()))


def resource(org: str, secret: Secret) -> dict[str, Any]:
    """The API's ``Secret``: every field but the value."""
    return {
        "alias": secret.alias,
        "description": secret.description,
        "allowed_workspaces_type": secret.allowed_workspaces_type,
        "allowed_workspaces": list(secret.allowed_workspaces),
        "org": org,
        "created_at": secret.created_at,
        "created_by": secret.created_by,
        "updated_at": secret.updated_at,
        "last_updated_by": secret.last_updated_by,
    }


def require_admin(role: str | None, action: str) -> None:
    """Only organization admins may ``action`` (docs); others get 401 (INFERRED)."""
    if role != ADMIN:
        raise Unauthorized(f"missing permissions: only organization admins can {action}")


def create(tenant: Tenant, body: Mapping[str, Any], actor: Actor) -> Secret:
    alias = body["alias"]
    if not alias:
        raise BadRequest("invalid body field 'alias': must not be empty")
    kind = body["allowed_workspaces_type"]
    workspaces = _workspaces(kind, body.get("allowed_workspaces"))
    if alias in tenant.secrets:
        raise Conflict(f"a secret with alias {alias!r} already exists in this organization")
    secret = Secret(
        alias=alias,
        value=body["value"],
        description=body.get("description", ""),
        allowed_workspaces_type=kind,
        allowed_workspaces=workspaces,
        created_at=actor.at,
        created_by=actor.user,
        updated_at=actor.at,
        last_updated_by=actor.user,
    )
    tenant.secrets[alias] = secret
    return secret


def get(tenant: Tenant, alias: str) -> Secret:
    secret = tenant.secrets.get(alias)
    if secret is None:
        raise NotFound(f"secret with alias {alias!r} not found")
    return secret


def update(tenant: Tenant, body: Mapping[str, Any], actor: Actor) -> Secret:
    """Changes the fields ``body`` gives; every other field stays. Checks all first."""
    secret = get(tenant, body["alias"])
    kind = body.get("allowed_workspaces_type", secret.allowed_workspaces_type)
    workspaces = _workspaces(kind, body.get("allowed_workspaces", secret.allowed_workspaces))
    secret.description = body.get("description", secret.description)
    secret.value = body.get("value", secret.value)
    secret.allowed_workspaces_type = kind
    secret.allowed_workspaces = workspaces
    secret.updated_at = actor.at
    secret.last_updated_by = actor.user
    return secret


def delete(tenant: Tenant, alias: str) -> None:
    get(tenant, alias)
    del tenant.secrets[alias]


def visible(tenant: Tenant, workspace: str | None, alias: str | None) -> list[Secret]:
    """The secrets, in creation order, narrowed to those usable in ``workspace`` (type
    ``ALL``, or ``SOME`` listing it) and to the one named ``alias``."""
    found = list(tenant.secrets.values())
    if workspace is not None:
        found = [s for s in found if _usable_in(s, workspace)]
    if alias is not None:
        found = [s for s in found if s.alias == alias]
    return found


def seed_secret(tenant: Tenant, entry: Mapping[str, Any], sources: Sources) -> None:
    """Adds a fixtures entry given in create-request fields; the tenant's first admin
    (credentials are loaded first) is its creator."""
    unknown = set(entry) - CREATE_FIELDS
    if unknown:
        raise ValueError(f"unknown fields {sorted(unknown)}; expected {sorted(CREATE_FIELDS)}")
    for name in ("alias", "value"):
        if not isinstance(entry.get(name), str):
            raise ValueError(f"'{name}' must be a string")
    if not isinstance(entry.get("description", ""), str):
        raise ValueError("'description' must be a string")
    if entry.get("allowed_workspaces_type") not in WORKSPACE_TYPES:
        raise ValueError(f"'allowed_workspaces_type' must be one of {list(WORKSPACE_TYPES)}")
    workspaces = entry.get("allowed_workspaces", [])
    if not isinstance(workspaces, list) or not all(isinstance(w, str) for w in workspaces):
        raise ValueError("'allowed_workspaces' must be a list of strings")
    try:
        create(tenant, entry, Actor.now(_seeding_user(tenant), sources))
    except (BadRequest, Conflict) as exc:
        raise ValueError(exc.message) from exc


def export(secret: Secret) -> dict[str, Any]:
    """The admin API's view of a record: every field, value included."""
    return {
        "alias": secret.alias,
        "description": secret.description,
        "value": secret.value,
        "allowed_workspaces_type": secret.allowed_workspaces_type,
        "allowed_workspaces": list(secret.allowed_workspaces),
        "created_at": secret.created_at,
        "created_by": secret.created_by,
        "updated_at": secret.updated_at,
        "last_updated_by": secret.last_updated_by,
    }


def _workspaces(kind: str, workspaces: list[str] | None) -> list[str]:
    """The list to store for ``kind``: required and non-empty for ``SOME``, else ``[]``."""
    if kind != "SOME":
        return []
    if not workspaces:
        raise BadRequest(
            "invalid body field 'allowed_workspaces': required (non-empty) when "
            "allowed_workspaces_type is SOME"
        )
    return list(workspaces)


def _usable_in(secret: Secret, workspace: str) -> bool:
    kind = secret.allowed_workspaces_type
    return kind == "ALL" or (kind == "SOME" and workspace in secret.allowed_workspaces)


def _seeding_user(tenant: Tenant) -> str:
    admins = [c.user for c in tenant.credentials.values() if c.role == ADMIN]
    return admins[0] if admins else tenant.tenant_id
