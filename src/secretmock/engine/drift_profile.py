"""What a vendor declares for the drift check (``secretmock.drift``), as plain data.

The drift check compares the real vendor's answer with the emulator's. Most of it is
generic (statuses, JSON type paths, headers); what only the vendor knows is declared
here, one :class:`DriftProfile` per vendor (``vendors/<name>/drift.py``, the
``drift`` field of its :class:`~secretmock.engine.vendor_api.Vendor`), derived from
its models, its error envelope and its spec. The engine and the drift check stay free
of any vendor's name.

Field names match object keys at any depth of a body (``"message"`` is every
``message`` key); echo locations are schema paths, JSON pointers whose ``*`` stands for
any array index or any key of a map the spec declares with ``additionalProperties``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

RESYNC_VALUE = "secretmock-resync"
"""The value a shadow emulator gives a record it adopts from the real vendor's list: the
real value is never answered there (and a shadow compares only the values it was given)."""

Headers = Mapping[str, str]
"""Request headers, names lower-cased."""
PathParams = Mapping[str, str]
"""The raw path parameters routing found."""


def _none(headers: Headers, path_params: PathParams) -> str | None:
    return None


@dataclass(frozen=True)
class DriftProfile:
    """A vendor's declarations for comparing its real answers with the emulator's."""

    code_fields: frozenset[str]
    """Error-envelope keys whose values a client branches on (``error``, ``code``,
    ``statusCode``): compared exactly, a difference is breaking."""
    message_fields: frozenset[str]
    """Keys holding text for people (``message``, ``detail``): a difference is info.
    When ``code_fields`` is empty the envelope has only a message (Instabase): then the
    message is compared with digits and ids masked, and a difference is a warning."""
    credential: Callable[[Headers], str | None]
    """The token the vendor's authentication reads from the headers (its own order of
    header forms), or ``None``: a shadow emulator makes a tenant on first contact with it."""
    credential_headers: frozenset[str]
    """Headers that carry credentials: replaced by keyed digests in a recording."""
    secret_fields: frozenset[str] = frozenset({"value"})
    """Body keys (requests and answers) whose values are secrets: never written in
    clear, compared only when the value is one a request gave the emulator."""
    echo_fields: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """operationId -> schema paths of the answer that repeat what the request supplied
    (``/keyName``): they must come back equal, else the finding is breaking."""
    record_keys: tuple[str, ...] = ()
    """Keys that identify a record in an array of records (``name``, ``alias``): lists
    are aligned by them rather than by index, and their order compared apart."""
    id_fields: frozenset[str] = frozenset()
    """Keys whose values the vendor generates or assigns (record ids, user ids, new
    keys): mapped between the real vendor and the emulator as they are first seen, so
    that later requests and answers stay comparable."""
    credential_prefixes: tuple[str, ...] = ()
    """Public prefixes of the vendor's tokens (``ik_``): kept by a recording's digests,
    because the vendor reads a token by its prefix."""
    context_headers: frozenset[str] = frozenset()
    """Request headers besides credentials that the vendor reads (``ib-context``): kept
    in a recording as they are."""
    vendor_headers: frozenset[str] = frozenset()
    """Response headers the vendor always sends (``x-correlation-id``): compared by
    presence."""
    tenant: Callable[[Headers, PathParams], str | None] = _none
    """The tenant a request addresses, where the request names it (a path segment, a
    header); ``None``: the credential's own tenant."""
    default_role: str = "admin"
    """The role of a credential a shadow emulator meets first."""
    seed_entry: Callable[[str, Mapping[str, Any]], Mapping[str, Any] | None] | None = None
    """A fixtures entry (the vendor's create-request fields, value :data:`RESYNC_VALUE`
    unless the listing shows it) for a record the real vendor lists under ``key`` and
    the shadow lacks, or ``None`` when such a record cannot be made so (InsForge's
    soft-deleted rows): the shadow adopts it and is back in step."""
