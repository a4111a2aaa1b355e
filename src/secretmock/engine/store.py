"""State: one :class:`TenantState` per (vendor, tenant), behind one lock per vendor.

The engine owns the containers; what a secret record looks like is the vendor's
business. ``secrets`` is an insertion-ordered dict keyed by whatever the vendor uses
as the secret's identity (a name, an id, an alias).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

Record = TypeVar("Record")
"""A vendor's secret record: the engine stores it and never looks inside."""


@dataclass(frozen=True)
class Credential:
    """A token bound to one tenant, with a role on it and the user it acts as."""

    token: str
    tenant_id: str
    role: str
    user: str
    expires_at: datetime | None = None
    """When the credential stops being accepted (emulated clock), e.g. a rotated key's
    grace period; ``None``: never. The vendor's ``authenticate`` checks it."""

    def live(self, now: Callable[[], datetime]) -> bool:
        """Whether it is still accepted; ``now`` is read only for one that expires (the
        emulated clock is not free to read, and nearly no credential expires)."""
        return self.expires_at is None or self.expires_at > now()


@dataclass
class TenantState(Generic[Record]):
    """Everything one tenant of one vendor has. A vendor's models name it with their own
    record type (``TenantState[Secret]``); the engine, which knows no record, with Any."""

    tenant_id: str
    credentials: dict[str, Credential] = field(default_factory=dict)
    secrets: dict[str, Record] = field(default_factory=dict)
    indexes: dict[str, Any] = field(default_factory=dict)
    """Lookups a vendor derives from ``secrets`` to stay fast with many of them (a
    sorted key list, a reverse map); the vendor's models keep them in step."""


class VendorStore:
    """The tenants of one vendor. Whatever reads or changes them runs inside
    :meth:`transaction`, one at a time (handlers, resets, the admin API)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._tenants: dict[str, TenantState[Any]] = {}
        self._tokens: dict[str, Credential] = {}
        self.version = 0
        """Bumped by every change (and every handler run, which may change a record):
        the state file's writer compares it, and the request path pays one addition."""

    def transaction(self) -> AbstractContextManager[bool]:
        """``with store.transaction():`` holds the store's lock for the block (re-entrant):
        nothing else reads or writes this vendor's tenants meanwhile. The lock itself is
        the context manager: no wrapper on the request path."""
        return self._lock

    def get(self, tenant_id: str) -> TenantState[Any] | None:
        return self._tenants.get(tenant_id)

    def get_or_empty(self, tenant_id: str) -> TenantState[Any]:
        """The tenant, or a detached empty one: a request on an unknown tenant sees nothing
        and its writes go nowhere the rest of the store can see."""
        return self._tenants.get(tenant_id) or TenantState(tenant_id)

    def put(self, tenant: TenantState[Any]) -> None:
        """Adds ``tenant``, replacing any tenant with the same id and its credentials."""
        old = self._tenants.get(tenant.tenant_id)
        if old is not None:
            for token in old.credentials:
                self._tokens.pop(token, None)
        self._tenants[tenant.tenant_id] = tenant
        self._tokens.update(tenant.credentials)
        self.version += 1

    def tenants(self) -> list[TenantState[Any]]:
        """Every tenant, in the order they were first put."""
        return list(self._tenants.values())

    def clear(self) -> None:
        self._tenants.clear()
        self._tokens.clear()
        self.version += 1

    def credential(self, token: str) -> Credential | None:
        """The credential ``token`` names in any tenant. A vendor's models may add,
        replace or remove a tenant's credentials (InsForge's key rotation): the index
        follows, checking a hit against its tenant and looking a miss up anew."""
        found = self._tokens.get(token)
        if found is not None:
            tenant = self._tenants.get(found.tenant_id)
            if tenant is not None and tenant.credentials.get(token) is found:
                return found
        with self._lock:
            self._tokens.pop(token, None)
            for tenant in self._tenants.values():
                found = tenant.credentials.get(token)
                if found is not None:
                    self._tokens[token] = found
                    return found
        return None
