"""Sandboxes: many isolated emulators inside one server.

A :class:`Sandbox` is an :class:`~secretmock.engine.emulator.Emulator` like the
server's root, made from the same :class:`~secretmock.engine.blueprint.Blueprint` (so
it shares the loaded specs and compiled validators and owns its stores, fault rules,
clock, journal and ids), plus what a registry needs to serve it: an unguessable id, a
token for its admin API, and an idle expiry measured in real time (never the emulated
clock, which the sandbox's own user may freeze or move).

:class:`SandboxRegistry` is the small protocol the transport needs; :class:`Sandboxes`
keeps them in this process's memory. A registry kept in a shared store implements the
same protocol.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from secretmock.engine.blueprint import Blueprint
from secretmock.engine.clock import REAL_TIME, ClockSetting, parse_time
from secretmock.engine.emulator import Emulator
from secretmock.engine.fixtures import FixtureError, TenantFixture, tenant_fixtures
from secretmock.engine.json_values import unreadable_value
from secretmock.engine.sources import Sources
from secretmock.engine.vendor_api import Vendor

DEFAULT_TTL_SECONDS = 3600
DEFAULT_MAX_TTL_SECONDS = 86400
DEFAULT_MAX_SANDBOXES = 100
ID_BYTES = 24
"""192 random bits per id (``secrets.token_urlsafe``: 32 URL-safe characters)."""
TOKEN_BYTES = 32
OPTION_FIELDS = ("fixtures", "vendor_versions", "seed", "clock", "ttl_seconds")


class SandboxOptionError(ValueError):
    """A creation body the registry refuses; ``field`` names the culprit."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name!r}: {message}" if field_name else message)
        self.field = field_name


class SandboxLimitReached(Exception):
    """As many sandboxes as allowed exist; ``retry_after`` is when one expires at the
    latest (whole seconds)."""

    def __init__(self, limit: int, retry_after: int) -> None:
        super().__init__(
            f"this server holds its maximum of {limit} sandboxes (--max-sandboxes); "
            "remove one or retry later"
        )
        self.retry_after = retry_after


@dataclass(frozen=True)
class SandboxOptions:
    """What a sandbox starts from; ``None`` fields take the server's own."""

    fixtures: Sequence[TenantFixture] | None = None
    vendor_versions: Mapping[str, str] = field(default_factory=dict)
    seed: int | None = None
    clock: ClockSetting = REAL_TIME
    ttl_seconds: int = DEFAULT_TTL_SECONDS


@dataclass(eq=False)
class Sandbox:
    """One isolated emulator: ``id`` (its path segment), ``token`` (its admin API's
    bearer token: never listed), ``emulator``, and its idle expiry."""

    id: str
    token: str
    emulator: Emulator
    ttl_seconds: int
    created_at: float
    """Real time (seconds since the epoch)."""
    last_used: float
    """Real time of the last request below the sandbox."""
    served: Any = None
    """What the transport serves it with (its ASGI app), attached by the transport."""

    def opens_with(self, given: bytes) -> bool:
        """Whether ``given`` is this sandbox's token (compared in constant time)."""
        return hmac.compare_digest(given, self.token.encode())

    def expires_at(self) -> float:
        return self.last_used + self.ttl_seconds

    def summary(self) -> dict[str, Any]:
        """What a listing shows (never the token)."""
        return {
            "id": self.id,
            "created_at": _iso(self.created_at),
            "last_used_at": _iso(self.last_used),
            "expires_at": _iso(self.expires_at()),
            "ttl_seconds": self.ttl_seconds,
            "tenants": len(self.emulator.tenants()),
            "requests": self.emulator.journal.last_seq(),
            "vendor_versions": self.emulator.versions(),
        }


class SandboxRegistry(Protocol):
    """What the transport needs from where sandboxes live (memory, or a shared store)."""

    def create(
        self, options: SandboxOptions, attach: Callable[[Sandbox], None] | None = None
    ) -> Sandbox: ...

    def get(self, sandbox_id: str) -> Sandbox | None: ...

    def remove(self, sandbox_id: str) -> bool: ...

    def listed(self) -> list[Sandbox]: ...


class Sandboxes:
    """The sandboxes of one server, in memory: made over ``blueprint``, at most
    ``max_sandboxes`` at once, each removed after ``ttl_seconds`` unused (real time,
    ``clock``: seconds since the epoch)."""

    def __init__(
        self,
        blueprint: Blueprint,
        max_sandboxes: int = DEFAULT_MAX_SANDBOXES,
        max_ttl_seconds: int = DEFAULT_MAX_TTL_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.blueprint = blueprint
        self.max_sandboxes = max_sandboxes
        self.max_ttl_seconds = max_ttl_seconds
        self._clock = clock
        self._held: dict[str, Sandbox] = {}
        self._lock = threading.Lock()
        self._swept = 0.0

    def create(
        self, options: SandboxOptions, attach: Callable[[Sandbox], None] | None = None
    ) -> Sandbox:
        """A new sandbox started from ``options`` (``attach`` runs on it before anyone
        can reach it); :class:`SandboxLimitReached` when the registry is full,
        :class:`SandboxOptionError` when the options do not make an emulator."""
        if options.ttl_seconds > self.max_ttl_seconds:
            raise SandboxOptionError(
                "ttl_seconds", f"at most {self.max_ttl_seconds} (--sandbox-max-ttl)"
            )
        self.sweep(force=True)
        with self._lock:
            if len(self._held) >= self.max_sandboxes:
                soonest = min((box.expires_at() for box in self._held.values()), default=0.0)
                raise SandboxLimitReached(
                    self.max_sandboxes, max(1, int(soonest - self._clock()) + 1)
                )
        emulator = self._emulator(options)
        now = self._clock()
        sandbox = Sandbox(
            secrets.token_urlsafe(ID_BYTES),
            secrets.token_urlsafe(TOKEN_BYTES),
            emulator,
            options.ttl_seconds,
            now,
            now,
        )
        if attach is not None:
            attach(sandbox)
        with self._lock:
            if len(self._held) >= self.max_sandboxes:  # another creation won the race
                raise SandboxLimitReached(self.max_sandboxes, 1)
            self._held[sandbox.id] = sandbox
        return sandbox

    def _emulator(self, options: SandboxOptions) -> Emulator:
        try:
            emulator = Emulator.from_blueprint(
                self.blueprint,
                Sources(seed=options.seed),
                options.fixtures,
                options.vendor_versions,
                options.clock,
            )
            emulator.start_seed = options.seed
            return emulator
        except FixtureError as exc:
            name = "vendor_versions" if str(exc).startswith("vendor versions") else "fixtures"
            raise SandboxOptionError(name, str(exc)) from exc

    def get(self, sandbox_id: str) -> Sandbox | None:
        """The live sandbox of that id, marked as used now; ``None`` when unknown,
        removed or expired (then removed)."""
        self.sweep()
        now = self._clock()
        with self._lock:
            sandbox = self._held.get(sandbox_id)
            if sandbox is None:
                return None
            if sandbox.expires_at() <= now:
                del self._held[sandbox_id]
                return None
            sandbox.last_used = now
            return sandbox

    def remove(self, sandbox_id: str) -> bool:
        """Removes a sandbox at once; ``False`` when there was none of that id."""
        with self._lock:
            return self._held.pop(sandbox_id, None) is not None

    def listed(self) -> list[Sandbox]:
        """The live sandboxes, oldest first."""
        self.sweep(force=True)
        with self._lock:
            return sorted(self._held.values(), key=lambda box: box.created_at)

    def sweep(self, force: bool = False) -> None:
        """Removes every expired sandbox (at most once a second unless ``force``), so
        an idle one's memory is freed even when nobody asks for it again."""
        now = self._clock()
        if not force and now - self._swept < 1.0:
            return
        self._swept = now
        with self._lock:
            for gone in [key for key, box in self._held.items() if box.expires_at() <= now]:
                del self._held[gone]

    def __len__(self) -> int:
        return len(self._held)


def sandbox_options(
    body: Any, known_vendors: Mapping[str, Vendor], default_ttl: int
) -> SandboxOptions:
    """The options of a ``POST /__admin__/sandboxes`` body (``None``: all defaults);
    :class:`SandboxOptionError` names the first bad field."""
    if body is None:
        return SandboxOptions(ttl_seconds=default_ttl)
    if not isinstance(body, dict):
        raise SandboxOptionError("", "the body must be a JSON object")
    unknown = sorted(set(body) - set(OPTION_FIELDS))
    if unknown:
        raise SandboxOptionError(unknown[0], f"unknown field; known: {list(OPTION_FIELDS)}")
    return SandboxOptions(
        fixtures=_fixtures(body.get("fixtures"), known_vendors),
        vendor_versions=_versions(body.get("vendor_versions")),
        seed=_whole(body, "seed", None, minimum=0),
        clock=_clock(body.get("clock")),
        ttl_seconds=_whole(body, "ttl_seconds", default_ttl, minimum=1) or default_ttl,
    )


def _fixtures(raw: Any, vendors: Mapping[str, Vendor]) -> list[TenantFixture] | None:
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise SandboxOptionError("fixtures", "must be a list of tenant entries")
    problem = unreadable_value(raw)
    if problem is not None:
        raise SandboxOptionError("fixtures", problem)
    try:
        return tenant_fixtures(raw, vendors, "fixtures")
    except FixtureError as exc:
        raise SandboxOptionError("fixtures", str(exc)) from exc


def _versions(raw: Any) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        raise SandboxOptionError("vendor_versions", "must map vendor names to version names")
    return dict(raw)


def _whole(body: Mapping[str, Any], name: str, default: int | None, minimum: int) -> int | None:
    value = body.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise SandboxOptionError(name, f"must be a whole number >= {minimum}")
    return value


def _clock(raw: Any) -> ClockSetting:
    if raw is None:
        return REAL_TIME
    if not isinstance(raw, str):
        raise SandboxOptionError("clock", "must be an ISO-8601 time string")
    try:
        return ClockSetting(frozen_at=parse_time(raw))
    except ValueError as exc:
        raise SandboxOptionError("clock", str(exc)) from exc


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
