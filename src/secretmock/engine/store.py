"""State: one :class:`TenantState` per (vendor, tenant), behind one lock per vendor.

The engine owns the containers; what a secret record looks like is the vendor's
business. ``secrets`` is an insertion-ordered dict keyed by whatever the vendor uses
as the secret's identity (a name, an id, an alias).

Every transaction is all or nothing: what a block inside :meth:`VendorStore.transaction`
changes is put back as it was when the block raises (a handler's bug midway through a
write, a ``RecursionError``), so a request answered with an error never leaves part of
its change behind. The transaction keeps an undo log rather than a copy: a change costs
a line in it, and a tenant of 100,000 secrets costs no more than one of ten. What it
logs: the keys a tenant's ``credentials`` and ``secrets`` gain or change (and either
dict whole, before its first removal, which could not be undone in place without moving
a key to the end), the tenant attributes replaced, and the fields of every
:class:`StoredRecord` before its first change. A vendor's records derive from
:class:`StoredRecord` and are changed by assigning their fields (never by changing a
list or a dict a field holds in place); its ``indexes`` are dropped after an undo, for
the vendor to rebuild.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any, ClassVar, Generic, TypeVar

Record = TypeVar("Record")
"""A vendor's secret record: the engine stores it and never looks inside."""
K = TypeVar("K")
V = TypeVar("V")


class UndoLog:
    """What one transaction changed, as the steps that put it back (in reverse order).
    A step is a module function and its three arguments: cheaper to log than a closure."""

    __slots__ = ("_steps", "seen")

    def __init__(self) -> None:
        self._steps: list[tuple[Callable[[Any, Any, Any], None], Any, Any, Any]] = []
        self.seen: set[int] = set()
        """The ids of the records whose fields, and of the dicts that, are saved whole."""

    def __bool__(self) -> bool:
        return bool(self._steps)

    def fields(self, record: object) -> None:
        """Saves ``record``'s fields, before its first change in the transaction."""
        if id(record) not in self.seen:
            self.seen.add(id(record))
            self._steps.append((_put_fields, record, dict(vars(record)), None))

    def item(self, mapping: dict[Any, Any], key: Any) -> None:
        """Saves ``mapping[key]`` (or that there is none) before it is set."""
        if id(mapping) in self.seen:
            return
        if key in mapping:
            self._steps.append((dict.__setitem__, mapping, key, dict.__getitem__(mapping, key)))
        else:  # a new key goes last: removing it leaves the others' order as it was
            self._steps.append((dict.pop, mapping, key, None))

    def whole(self, mapping: dict[Any, Any]) -> None:
        """Saves ``mapping`` whole, before the first change that moves or removes keys."""
        if id(mapping) not in self.seen:
            self.seen.add(id(mapping))
            self._steps.append((_put_whole, mapping, dict(mapping), None))

    def attribute(self, owner: object, name: str) -> None:
        """Saves the attribute ``name`` of ``owner`` before it is replaced."""
        self._steps.append((object.__setattr__, owner, name, vars(owner)[name]))

    def undo(self) -> None:
        """Puts back everything logged, last change first."""
        for put_back, first, second, third in reversed(self._steps):
            put_back(first, second, third)

    def forget(self) -> None:
        self._steps.clear()
        self.seen.clear()


def _put_fields(record: object, saved: dict[str, Any], _: None) -> None:
    vars(record).clear()
    vars(record).update(saved)


def _put_whole(mapping: dict[Any, Any], saved: dict[Any, Any], _: None) -> None:
    dict.clear(mapping)
    dict.update(mapping, saved)


class _Current(threading.local):
    """The undo log of the transaction this thread is in (``None``: in none)."""

    log: UndoLog | None = None


_CURRENT = _Current()


@contextlib.contextmanager
def untracked() -> Iterator[None]:
    """What the block changes is not logged by the transaction this thread is in: for
    a tenant being built (read from the shared store) before it is put, whose making
    a failure has nothing to undo in, and which no request changed."""
    saved, _CURRENT.log = _CURRENT.log, None
    try:
        yield
    finally:
        _CURRENT.log = saved


class StoredRecord:
    """The base of a vendor's record dataclass: each field it assigns inside a
    transaction is put back if the transaction fails. Outside one, an assignment costs
    one look-up more than a plain attribute's.

    It also says which records the vendor could hold, for a state document: a record
    that breaks :meth:`check_record` or shares a :attr:`unique_fields` value with another
    of its tenant is refused, as the vendor's create would refuse it."""

    unique_fields: ClassVar[tuple[str, ...]] = ()
    """Fields no two records of one tenant share (the vendor refuses a second one)."""

    def check_record(self) -> None:
        """Raises ``ValueError`` naming the field and the problem when the vendor could
        never hold this record (an id, a key or a name its create refuses); every field
        already has its declared type. By default any record passes."""

    def __setattr__(self, name: str, value: Any) -> None:
        log = _CURRENT.log
        if log is not None and id(self) not in log.seen:
            log.fields(self)
        object.__setattr__(self, name, value)


class TrackedDict(dict[K, V]):
    """A dict whose changes inside a transaction are logged to be undone. Reads are a
    plain dict's; every method that changes it is covered."""

    __slots__ = ()

    def __setitem__(self, key: K, value: V) -> None:
        log = _CURRENT.log
        if log is not None:
            log.item(self, key)
        dict.__setitem__(self, key, value)

    def __delitem__(self, key: K) -> None:
        self._moving()
        dict.__delitem__(self, key)

    def pop(self, key: K, *default: Any) -> Any:
        self._moving()
        return dict.pop(self, key, *default)

    def popitem(self) -> tuple[K, V]:
        self._moving()
        return dict.popitem(self)

    def clear(self) -> None:
        self._moving()
        dict.clear(self)

    def setdefault(self, key: K, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return dict.__getitem__(self, key)

    def update(self, *others: Any, **more: Any) -> None:
        log = _CURRENT.log
        if log is not None:
            log.whole(self)
        dict.update(self, *others, **more)

    def __ior__(self, other: Any) -> TrackedDict[K, V]:  # type: ignore[override,misc]
        self.update(other)
        return self

    def _moving(self) -> None:
        log = _CURRENT.log
        if log is not None:
            log.whole(self)


_TRACKED = frozenset({"credentials", "secrets"})


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
    credentials: dict[str, Credential] = field(default_factory=TrackedDict)
    secrets: dict[str, Record] = field(default_factory=TrackedDict)
    """Both are :class:`TrackedDict`: a dict put here (``tenant.secrets = {...}``) is
    made one, so that a transaction can undo its changes."""
    indexes: dict[str, Any] = field(default_factory=dict)
    """Lookups a vendor derives from ``secrets`` to stay fast with many of them (a
    sorted key list, a reverse map); the vendor's models keep them in step. Dropped
    when a transaction is undone: the vendor rebuilds them from ``secrets``."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _TRACKED and type(value) is not TrackedDict:
            value = TrackedDict(value)
        log = _CURRENT.log
        if log is not None and name in vars(self):
            log.attribute(self, name)
        object.__setattr__(self, name, value)


class _Transaction:
    """The store's lock held for a block, with an undo log: the block's changes are put
    back if it raises. Re-entrant: an inner block joins the outer one's log. One per
    store, and so is its log (emptied after each outermost block): only the thread
    holding the lock uses them."""

    __slots__ = ("_depth", "_lock", "_log", "_outer", "_store")

    def __init__(self, store: VendorStore) -> None:
        self._store = store
        self._lock = store._lock
        self._depth = 0
        self._log = UndoLog()
        self._outer: UndoLog | None = None

    def __enter__(self) -> None:
        self._lock.acquire()
        self._depth += 1
        if self._depth == 1:
            self._outer = _CURRENT.log  # another store's transaction, in this thread
            _CURRENT.log = self._log

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if self._depth == 1:
                _CURRENT.log, self._outer = self._outer, None
                log = self._log
                if log:
                    if exc_type is not None:
                        log.undo()
                        _drop_indexes(self._store.tenants())
                    log.forget()
        finally:
            self._depth -= 1
            self._lock.release()

    @property
    def changed(self) -> bool:
        """Inside a block: whether it has changed a tenant so far (its undo log holds a
        step). The shared store's request path commits a tenant only then."""
        return bool(self._log)

    def rollback(self) -> None:
        """Inside a block: undoes what it changed so far and goes on with the block (for
        a caller holding one block over several steps that must drop one step's change,
        as an inner block that raises is not undone before the outermost ends)."""
        log = self._log
        if log:
            log.undo()
            _drop_indexes(self._store.tenants())
            log.forget()


def _drop_indexes(tenants: Iterable[TenantState[Any]]) -> None:
    for tenant in tenants:
        tenant.indexes.clear()


class VendorStore:
    """The tenants of one vendor. Whatever reads or changes them runs inside
    :meth:`transaction`, one at a time (handlers, resets, the admin API)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._transaction = _Transaction(self)
        self._tenants: dict[str, TenantState[Any]] = {}
        self._tokens: dict[str, Credential] = {}
        self.version = 0
        """Bumped by every change (and every handler run, which may change a record):
        the state file's writer compares it, and the request path pays one addition."""

    def transaction(self) -> _Transaction:
        """``with store.transaction():`` holds the store's lock for the block (re-entrant):
        nothing else reads or writes this vendor's tenants meanwhile, and if the block
        raises, every change it made to them is undone (see the module). One object per
        store, reused: the request path builds nothing but the undo log."""
        return self._transaction

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

    def remove(self, tenant_id: str) -> None:
        """Removes a tenant and its credentials (none: nothing happens)."""
        old = self._tenants.pop(tenant_id, None)
        if old is not None:
            for token in old.credentials:
                self._tokens.pop(token, None)
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
