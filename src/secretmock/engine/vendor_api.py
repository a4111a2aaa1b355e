"""The contract between the engine and a vendor package.

The engine knows no vendor and a vendor knows no HTTP. Everything that crosses the
line between them is defined here, as plain data:

* the engine hands a vendor's ``authenticate`` the routed request context, an
  :class:`~secretmock.engine.incoming.IncomingRequest` (method, path, lower-cased
  headers, raw path parameters, operationId), and a way to look credentials up; the
  vendor answers a :class:`Principal` or raises :class:`VendorError` with its own 401;
* the engine hands a handler a :class:`Call` (validated parameters, parsed body, the
  tenant's state) and the handler answers a :class:`Reply` or raises
  :class:`VendorError`;
* when the engine itself finds a problem (no such route, malformed body, a request
  that breaks the spec, an emulator bug) it asks the vendor's :class:`ErrorEnvelope`
  for the body and status the real service would give, telling it what is known of
  the request (the same ``IncomingRequest``);
* every answer, whoever wrote it (a handler, a refusal, a fault rule, the envelope),
  goes through the vendor's :attr:`Vendor.finish` hook, if it has one, before the
  engine checks it against the spec: what a server does to all its answers (a header
  on each, an older version's codes) is written once there.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from secretmock.engine.drift_profile import DriftProfile
from secretmock.engine.incoming import BodyParser, IncomingRequest
from secretmock.engine.sources import Sources
from secretmock.engine.store import Credential, TenantState
from secretmock.engine.violations import Violation

Json = Any

CURRENT_VERSION = "current"
"""The name of the default server version of every vendor: the newest code read."""


@dataclass(frozen=True, slots=True)
class Reply:
    """What a handler answers: a status, a JSON-serialisable body and extra headers."""

    status: int
    body: Json
    headers: Mapping[str, str] = field(default_factory=dict)
    beyond_spec: bool = False
    """The real server gives this answer outside its own published spec (a CONFIRMED
    fact, e.g. an older server's raw validator output): the engine sends it unchecked
    instead of treating it as an emulator bug. Rare, and documented per vendor."""

    def with_headers(self, headers: Mapping[str, str]) -> Reply:
        """This reply with ``headers`` added (a copy: replies are shared values). Built
        directly: ``dataclasses.replace`` costs several times more, on every answer."""
        return Reply(self.status, self.body, {**self.headers, **headers}, self.beyond_spec)


class VendorError(Exception):
    """Raised to answer at once with ``reply`` (already in the vendor's envelope): by a
    vendor, or by the engine for a request it refuses before the handler, with the
    ``violations`` that made it refuse (a malformed body, a request breaking the spec)."""

    def __init__(self, reply: Reply, violations: tuple[Violation, ...] = ()) -> None:
        super().__init__(f"{reply.status}")
        self.reply = reply
        self.violations = violations


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, and on which tenant.

    ``tenant_id`` is the tenant the request addresses (a path segment, a header, or
    the credential's own tenant). ``role`` is the caller's role on that tenant, or
    ``None`` when the credential belongs to another tenant: the vendor's handlers
    decide what such a caller sees (usually nothing).
    """

    tenant_id: str
    role: str | None
    user: str


CredentialLookup = Callable[[str], Credential | None]
"""Finds the credential a token belongs to, in any tenant of this vendor."""


@dataclass(slots=True)
class Call:
    """One validated request, as a vendor handler sees it."""

    operation_id: str
    principal: Principal
    tenant: TenantState[Any]
    path: Mapping[str, Any]
    query: Mapping[str, Any]
    headers: Mapping[str, str]
    body: Json
    sources: Sources


Handler = Callable[[Call], Reply]

Finish = Callable[[Reply, IncomingRequest], Reply]
"""A server version's reply hook: every answer as that server sends it (see
:attr:`Vendor.finish`)."""


class ErrorEnvelope(Protocol):
    """The vendor's answers to problems the engine detects before or after a handler."""

    def no_route(self, request: IncomingRequest, allowed: tuple[str, ...]) -> Reply:
        """No operation of the spec has this path, or this method on it: ``allowed``
        then names the methods the path has (upper case; empty for an unknown path)."""
        ...

    def malformed_body(self, request: IncomingRequest, detail: str) -> Reply:
        """The body is not parseable as the declared media type."""
        ...

    def invalid_request(self, request: IncomingRequest, violations: Sequence[Violation]) -> Reply:
        """The request breaks the spec; ``violations`` says where and how."""
        ...

    def internal(self, request: IncomingRequest) -> Reply:
        """The emulator failed (a bug); the real service's 500 answer."""
        ...

    def status_error(self, request: IncomingRequest, status: int, retry_after: int | None) -> Reply:
        """The real service's answer with ``status`` (>= 400, never 500: the engine
        answers that with :meth:`internal`) when it fails on its own: a rate limit
        (429), an outage (502, 503, 504), a body too large (413, also asked for a body
        over the limit: then ``request.body_too_large``). A fault rule asks for it;
        ``retry_after`` is the seconds the engine also sends as ``Retry-After``
        (``None``: no header). The body must pass the spec's response for ``status``;
        the engine adds the ``Retry-After`` header itself."""
        ...


@dataclass(frozen=True)
class Vendor:
    """A vendor's declaration: everything the engine needs to serve it."""

    name: str
    spec_file: str
    roles: frozenset[str]
    authenticate: Callable[[IncomingRequest, CredentialLookup], Principal]
    handlers: Mapping[str, Handler]
    errors: ErrorEnvelope
    seed_secret: Callable[[TenantState[Any], Mapping[str, Any], Sources], None]
    """Adds one fixtures entry (the vendor's create-request fields) to a tenant;
    raises ``ValueError`` naming the problem when the entry is not acceptable."""
    export_secret: Callable[[Any], Mapping[str, Any]]
    """A stored record as the admin API shows it, value included."""
    init_tenant: Callable[[TenantState[Any], Sources], None] = lambda tenant, sources: None
    """Puts what every tenant of this vendor has (built-in secrets) into a new tenant."""
    secret_fields: frozenset[str] = frozenset({"value"})
    """Request-body keys whose values are secrets: redacted in the journal and reports."""
    max_body_bytes: int | None = None
    """The real service's request-body limit, where known (its fidelity notes give the
    source); ``None``: the emulator's default (``incoming.MAX_BODY_BYTES``)."""
    record_type: type | None = None
    """The dataclass of the vendor's stored records, which the whole-state document
    (``/__admin__/state``) writes and reads field by field; ``None``: records are plain
    JSON values."""
    record_key: str | None = None
    """The record field the tenant's ``secrets`` are keyed by (checked when a state
    document is loaded)."""
    parses_body_first: bool = False
    """The real server reads the JSON body before it authenticates (Express's
    ``express.json()`` runs before the routes' auth): a malformed body is refused even
    without credentials."""
    body_parsers: Mapping[str, BodyParser] = field(default_factory=dict)
    """Media type (lower case, no parameters) -> the server's own parser for bodies of
    that type, where it reads more than the engine's JSON (a form) or reads JSON by
    rules of its own (a charset it refuses). A body of another media type is parsed as
    the spec says (JSON) or not at all. A body parsed from a media type the spec does
    not declare is validated as the JSON body it stands for."""
    finish: Finish | None = None
    """The reply hook of this server version: the pipeline hands it every answer (a
    handler's, a refusal's, a fault rule's, the envelope's) with the request, before
    it checks the answer against the spec; what it returns is sent. ``None``: answers
    go as written."""
    absent_operations: frozenset[str] = frozenset()
    """Operations of the spec this server version does not have: their paths and
    methods are routed as the spec's other unknown ones (``errors.no_route``)."""
    drift: DriftProfile | None = None
    """What the drift check needs to compare the real vendor's answers with this
    emulator's (``vendors/<name>/drift.py``); ``None``: the vendor cannot be proxied."""
    version: str = CURRENT_VERSION
    """The server version this declaration emulates."""
    older_versions: Mapping[str, Vendor] = field(default_factory=dict)
    """Other server versions a user may select (``--vendor-version NAME=VERSION``), each
    a whole declaration of the same vendor and spec (:meth:`with_older`);
    docs/vendors/<name>.md lists what differs."""
    version_aliases: Mapping[str, str] = field(default_factory=dict)
    """Other names a version answers to (a version's former name) -> the version."""

    def with_older(self, *versions: Vendor, aliases: Mapping[str, str] | None = None) -> Vendor:
        """This (current) declaration with ``versions`` as the older servers a user may
        select, each usually ``dataclasses.replace(current, version=..., finish=...)``,
        and ``aliases`` (old name -> version) that select them too."""
        older = {v.version: v for v in versions}
        unknown = sorted(set((aliases or {}).values()) - set(older))
        if unknown:
            raise ValueError(f"vendor {self.name!r}: aliases of unknown versions {unknown}")
        return dataclasses.replace(self, older_versions=older, version_aliases=dict(aliases or {}))

    @property
    def versions(self) -> tuple[str, ...]:
        """Every selectable version, the current server's first (aliases aside)."""
        return (self.version, *self.older_versions)

    def at_version(self, version: str) -> Vendor:
        """This vendor as ``version`` (or an alias of it) of its server emulates it;
        ``ValueError`` names the known versions when there is no such version."""
        version = self.version_aliases.get(version, version)
        if version == self.version:
            return self
        found = self.older_versions.get(version)
        if found is None:
            known = ", ".join(self.versions)
            if self.version_aliases:
                aliases = ", ".join(f"{a} = {v}" for a, v in self.version_aliases.items())
                known += f"; aliases: {aliases}"
            raise ValueError(f"vendor {self.name!r} has no version {version!r} (known: {known})")
        return found

    @property
    def prefix(self) -> str:
        return f"/{self.name}"
