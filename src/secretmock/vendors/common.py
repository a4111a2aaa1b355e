"""What several vendors share: their domain errors' base class, the credential header
forms (not the vendors' rules) and the timestamp formats."""

from __future__ import annotations

import base64
import binascii
from abc import ABCMeta, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, ClassVar

from secretmock.engine.incoming import IncomingRequest
from secretmock.engine.store import Credential
from secretmock.engine.vendor_api import CredentialLookup, Reply, VendorError
from secretmock.engine.violations import Violation


class DomainError(VendorError, metaclass=ABCMeta):
    """A vendor's own refusal, raised by its authentication or models and answered as is.

    Each vendor derives one base class that writes its envelope (:meth:`answer`), then
    one class per error it names, setting ``status`` (and, where the envelope has one,
    its code). ``message`` defaults to ``default_message``; ``details`` is whatever
    else the vendor's envelope carries (``None``: nothing).
    """

    status: ClassVar[int] = 500
    default_message: ClassVar[str] = "Internal error"

    def __init__(self, message: str | None = None, details: Any = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.answer(self.message, details))

    @abstractmethod
    def answer(self, message: str, details: Any) -> Reply:
        """The vendor's error reply with ``self.status``, ``message`` and ``details``
        (each vendor's base class writes its envelope here; mypy refuses to raise a
        class that does not)."""


@dataclass(frozen=True)
class MessageEnvelope:
    """The :class:`~secretmock.engine.vendor_api.ErrorEnvelope` of a vendor whose every
    error body carries one message (written by ``reply``): the answers differ only in
    the wording the vendor gives them."""

    reply: Callable[[int, str], Reply]
    describe: Callable[[Violation], str]
    """One sentence for the first violation of a request that breaks the spec."""
    malformed: str
    """What precedes the parser's message for a body that does not parse."""
    internal_error: str
    not_found: str = "Not Found"

    def no_route(self, request: IncomingRequest, allowed: tuple[str, ...]) -> Reply:
        return self.reply(404, self.not_found)

    def malformed_body(self, request: IncomingRequest, detail: str) -> Reply:
        return self.reply(400, f"{self.malformed}: {detail}")

    def invalid_request(self, request: IncomingRequest, violations: Sequence[Violation]) -> Reply:
        return self.reply(400, self.describe(violations[0]))

    def internal(self, request: IncomingRequest) -> Reply:
        return self.reply(500, self.internal_error)

    def status_error(self, request: IncomingRequest, status: int, retry_after: int | None) -> Reply:
        return self.reply(status, status_phrase(status))


class MessageError(DomainError):
    """A :class:`DomainError` of a vendor whose errors carry a message alone: its
    ``envelope`` writes the body, as for the problems the engine finds."""

    envelope: ClassVar[MessageEnvelope]

    def answer(self, message: str, details: Any) -> Reply:
        return self.envelope.reply(self.status, message)


def status_phrase(status: int) -> str:
    """HTTP's reason phrase for ``status`` (``Service Unavailable``), or ``Error <status>``.
    413 is RFC 7231's "Payload Too Large", the name Node's servers use (Python 3.11 still
    says RFC 2616's "Request Entity Too Large")."""
    if status == 413:
        return "Payload Too Large"
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"Error {status}"


def lenient_bearer_token(headers: Mapping[str, str]) -> str | None:
    """The token of ``Authorization: Bearer <token>``, or ``None`` (also for an empty one).

    Lenient, as the vendors that use it are documented or observed to be: the scheme in
    any case, blanks around the token ignored (``docs/vendors/instabase.md``: "scheme
    case-insensitive"). InsForge reads the header to the letter: see its ``auth.py``."""
    scheme, _, token = headers.get("authorization", "").strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def bearer_credential(
    headers: Mapping[str, str],
    lookup: CredentialLookup,
    refusal: Callable[[str], Exception],
    token_name: str,
    placeholder: str,
) -> Credential:
    """The credential of a required lenient Bearer token; raises ``refusal`` (the
    vendor's 401) naming ``token_name`` when it is missing or unknown."""
    token = lenient_bearer_token(headers)
    if token is None:
        raise refusal(f"missing {token_name}: send Authorization: Bearer <{placeholder}>")
    credential = lookup(token)
    if credential is None:
        raise refusal(f"invalid {token_name}")
    return credential


def basic_credentials(headers: Mapping[str, str]) -> tuple[str, str] | None:
    """``(user, password)`` of ``Authorization: Basic base64(user:password)``, or ``None``
    when the header is absent or malformed."""
    scheme, _, encoded = headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, colon, password = decoded.partition(":")
    return (user, password) if colon and user and password else None


def iso_timestamp(moment: datetime) -> str:
    """JavaScript's ``Date.toISOString()`` form: UTC, milliseconds, ``Z``, the year in
    four digits for every year (``0001-01-01T00:00:00.000Z``). Not ``strftime("%Y")``:
    the C library does not zero-pad years below 1000."""
    utc = moment.astimezone(UTC)
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T"
        f"{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}.{utc.microsecond // 1000:03d}Z"
    )


def unix_millis(moment: datetime) -> int:
    """Milliseconds since the Unix epoch."""
    return int(moment.timestamp() * 1000)
