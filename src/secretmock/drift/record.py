"""Recordings (``--record FILE``): one JSON line per exchange, no secret in clear.

Each line holds the vendor, the operation, the request and the real answer::

    {"format": 1, "seq": 1, "vendor": "fireworks", "operation": "Gateway_CreateSecret",
     "request": {"method", "path", "query", "headers": {...}, "body": ...},
     "tenant": {"id", "role", "user"},
     "answer": {"status", "headers": {...}, "body": ...}}

Every secret field (the vendor's ``secret_fields``, at any depth, in requests and
answers) and every credential is replaced by a **keyed digest** (:class:`Sealer`):
HMAC-SHA256 under a key made for the run and never written. Equal values give equal
digests, so a value stored by one request and answered by another still compares
equal; another run gives other digests. A digest keeps the value's JSON type, its
length, the separators ``-``, ``_`` and ``.`` and the vendor's public token prefixes
(``ik_``), each other character replaced by one of its class (lower, upper, digit): so
it is still a value the vendor's rules read alike (a length limit, a prefix, a JWT's
dots), which a fresh emulator can be given on replay. Only the headers the vendor
reads are kept (credentials digested, ``IB-Context`` as it is), and of the answer only
the headers the comparison reads.

**Replay** (:func:`read_recording`): the requests go to a fresh emulator with their
digests as values (a digest is a valid value), and the digested credential joins the
tenant it had when recorded (``tenant``) on first contact, as any unknown credential
does in the shadow (:mod:`secretmock.drift.shadow`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import threading
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TextIO

from secretmock.drift.answer import EMPTY, UNREADABLE, Answer
from secretmock.drift.shadow import Tenancy
from secretmock.engine.drift_profile import DriftProfile
from secretmock.engine.incoming import IncomingRequest, is_json

FORMAT = 1
ANSWER_HEADERS = frozenset(
    {"content-type", "retry-after", "location", "www-authenticate", "deprecation", "sunset"}
    | {"warning"}
)
"""The answer headers a recording keeps: those the comparison reads (and the vendor's own)."""
SEPARATORS = frozenset("-_.")
"""Characters a digest keeps in place: they shape a token (a JWT's dots, ``sk-lw-..._...``)."""
RAW_KEPT = frozenset('{}[]:,"\\ \t\r\n')
"""What a digest of a raw (non-JSON or malformed) body keeps: its JSON structure."""
_LOWER, _UPPER, _DIGITS = "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789"


class RecordingError(ValueError):
    """A recording's line cannot be read; the message names the line."""


class Sealer:
    """Keyed digests that keep a value's shape (see the module). The key is made here
    and kept in memory only."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key or secrets.token_bytes(32)

    def text(
        self, value: str, prefixes: Iterable[str] = (), kept: frozenset[str] = SEPARATORS
    ) -> str:
        """The digest of a string: the longest of ``prefixes`` it starts with kept, each
        character of ``kept`` kept, every other one replaced within its class."""
        prefix = max((p for p in prefixes if value.startswith(p)), key=len, default="")
        rest = value[len(prefix) :]
        stream = self._stream(value, len(rest))
        return prefix + "".join(
            _replaced(ch, byte, kept) for ch, byte in zip(rest, stream, strict=True)
        )

    def json(self, value: Any, prefixes: Iterable[str] = ()) -> Any:
        """The digest of a JSON value, of the same type and shape: strings and numbers
        digested, booleans and null kept, object keys kept."""
        if isinstance(value, str):
            return self.text(value, tuple(prefixes))
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, int):
            return self._integer(value)
        if isinstance(value, float):
            return self._float(value)
        if isinstance(value, list):
            return [self.json(item, prefixes) for item in value]
        if isinstance(value, dict):
            return {key: self.json(item, prefixes) for key, item in value.items()}
        raise TypeError(f"not a JSON value: {type(value).__name__}")

    def document(self, node: Any, secret_fields: frozenset[str], prefixes: Iterable[str]) -> Any:
        """``node`` with the value of every key of ``secret_fields`` digested, at any depth."""
        if isinstance(node, dict):
            return {
                key: self.json(value, prefixes)
                if key in secret_fields
                else self.document(value, secret_fields, prefixes)
                for key, value in node.items()
            }
        if isinstance(node, list):
            return [self.document(item, secret_fields, prefixes) for item in node]
        return node

    def credential(self, header: str, prefixes: Iterable[str] = ()) -> str:
        """A credential header's value digested: its scheme kept (``Bearer``); of
        ``Basic``, the user kept and the password digested, still base64."""
        scheme, space, token = header.partition(" ")
        if not space:
            return self.text(header, prefixes)
        if scheme.lower() == "basic":
            return f"{scheme} {self._basic(token.strip(), prefixes)}"
        return f"{scheme} {self.text(token, prefixes)}"

    def raw(self, data: bytes) -> str:
        """A body that is not JSON (or does not parse), digested, its JSON punctuation kept."""
        return self.text(data.decode("utf-8", errors="replace"), kept=RAW_KEPT)

    def _basic(self, encoded: str, prefixes: Iterable[str]) -> str:
        try:
            user, colon, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return self.text(encoded)
        if not colon:
            return self.text(encoded)
        sealed = f"{user}:{self.text(password, prefixes)}"
        return base64.b64encode(sealed.encode()).decode()

    def _stream(self, value: str, length: int) -> bytes:
        seed = hmac.new(
            self._key, b"secretmock-seal\0" + value.encode("utf-8", "surrogatepass"), hashlib.sha256
        ).digest()
        blocks, counter = [seed], 0
        while len(blocks) * 32 < length:
            counter += 1
            blocks.append(
                hmac.new(self._key, seed + counter.to_bytes(4, "big"), hashlib.sha256).digest()
            )
        return b"".join(blocks)[:length]

    def _integer(self, number: int) -> int:
        digits = str(abs(number))
        sealed = self.text(digits)
        if len(sealed) > 1 and sealed[0] == "0":
            sealed = "1" + sealed[1:]
        return -int(sealed) if number < 0 else int(sealed)

    def _float(self, number: float) -> float:
        text = repr(abs(number))
        sealed = self.text(text)
        try:
            result = float(sealed)
        except ValueError:  # "inf", "nan": no digits to keep
            return 0.0
        return -result if number < 0 else result


def _replaced(ch: str, byte: int, kept: frozenset[str]) -> str:
    if ch in kept:
        return ch
    if "a" <= ch <= "z":
        return _LOWER[byte % 26]
    if "A" <= ch <= "Z":
        return _UPPER[byte % 26]
    if "0" <= ch <= "9":
        return _DIGITS[byte % 10]
    return _LOWER[byte % 26]


# -- writing ------------------------------------------------------------------------------


class Recorder:
    """Writes one line per exchange to ``stream`` (flushed each line; thread-safe)."""

    def __init__(
        self, stream: TextIO, profiles: Mapping[str, DriftProfile], sealer: Sealer | None = None
    ) -> None:
        self._stream = stream
        self._profiles = profiles
        self._sealer = sealer or Sealer()
        self._lock = threading.Lock()
        self._seq = 0

    def write(
        self,
        vendor: str,
        operation: str | None,
        request: IncomingRequest,
        answer: Answer,
        tenancy: Tenancy | None,
    ) -> None:
        with self._lock:
            self._seq += 1
            line = self.line(self._seq, vendor, operation, request, answer, tenancy)
            self._stream.write(json.dumps(line, separators=(",", ":"), ensure_ascii=True) + "\n")
            self._stream.flush()

    def line(
        self,
        seq: int,
        vendor: str,
        operation: str | None,
        request: IncomingRequest,
        answer: Answer,
        tenancy: Tenancy | None,
    ) -> dict[str, Any]:
        """The record of one exchange (see the module)."""
        profile = self._profiles[vendor]
        return {
            "format": FORMAT,
            "seq": seq,
            "vendor": vendor,
            "operation": operation,
            "request": self._request(request, profile),
            "tenant": (
                None
                if tenancy is None
                else {"id": tenancy.tenant, "role": tenancy.role, "user": tenancy.user}
            ),
            "answer": self._answer(answer, profile),
        }

    def _request(self, request: IncomingRequest, profile: DriftProfile) -> dict[str, Any]:
        prefixes = profile.credential_prefixes
        headers = {}
        for name, value in request.headers.items():
            if name in profile.credential_headers:
                headers[name] = self._sealer.credential(value, prefixes)
            elif name == "content-type" or name in profile.context_headers:
                headers[name] = value
        recorded: dict[str, Any] = {
            "method": request.method,
            "path": request.path,
            "query": request.query_string,
            "headers": headers,
        }
        if request.body_too_large:
            recorded["too_large"] = True
        elif request.body:
            recorded.update(self._body(request.body, request.content_type, profile))
        return recorded

    def _answer(self, answer: Answer, profile: DriftProfile) -> dict[str, Any]:
        if not answer.answered:
            return {"status": 0, "failure": answer.failure}
        kept = ANSWER_HEADERS | profile.vendor_headers
        headers = {name: value for name, value in answer.headers.items() if name in kept}
        recorded: dict[str, Any] = {"status": answer.status, "headers": headers}
        if answer.body is UNREADABLE:
            recorded["text"] = self._sealer.raw(answer.data)
        elif answer.body is not EMPTY:
            recorded["body"] = self._sealer.document(
                answer.body, profile.secret_fields, profile.credential_prefixes
            )
        return recorded

    def _body(self, data: bytes, content_type: str, profile: DriftProfile) -> dict[str, Any]:
        if is_json(content_type) or not content_type:
            try:
                document = json.loads(data)
            except (ValueError, RecursionError):
                pass
            else:
                sealed = self._sealer.document(
                    document, profile.secret_fields, profile.credential_prefixes
                )
                return {"body": sealed}
        if is_form(content_type):
            fields = form_fields(data)
            if fields is not None:
                # Each value digested as a JSON body's would be: a form is the JSON body
                # it stands for (InsForge parses both), and replays as the same form.
                sealed = [
                    [
                        name,
                        self._sealer.document(
                            {name: value}, profile.secret_fields, profile.credential_prefixes
                        )[name],
                    ]
                    for name, value in fields
                ]
                return {"form": sealed}
        return {"text": self._sealer.raw(data)}


FORM = "application/x-www-form-urlencoded"


def is_form(content_type: str) -> bool:
    """Whether ``content_type`` names a form-encoded body (parameters ignored)."""
    return content_type.split(";", 1)[0].strip().lower() == FORM


def form_fields(data: bytes) -> list[tuple[str, str]] | None:
    """A form body's fields (name, value), in order; ``None`` when it is not UTF-8
    (then it is kept as raw text, as any other body)."""
    try:
        return urllib.parse.parse_qsl(data.decode("utf-8"), keep_blank_values=True)
    except (UnicodeDecodeError, ValueError):
        return None


# -- reading ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Recorded:
    """One exchange of a recording, ready to replay."""

    seq: int
    vendor: str
    operation: str | None
    request: IncomingRequest
    answer: Answer
    tenancy: Tenancy | None


def read_recording(lines: Iterable[str]) -> Iterator[Recorded]:
    """The exchanges of a recording, in order; raises :class:`RecordingError` naming
    the first line that is not one (blank lines are skipped)."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            yield _recorded(json.loads(line))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise RecordingError(f"line {number}: not a recorded exchange: {exc}") from exc


def _recorded(line: dict[str, Any]) -> Recorded:
    if line.get("format") != FORMAT:
        raise ValueError(f"format {line.get('format')!r}, expected {FORMAT}")
    tenant = line.get("tenant")
    tenancy = (
        None
        if tenant is None
        else Tenancy(str(tenant["id"]), str(tenant["role"]), str(tenant["user"]))
    )
    return Recorded(
        int(line["seq"]),
        str(line["vendor"]),
        line.get("operation"),
        _request(line["request"]),
        _answer(line["answer"]),
        tenancy,
    )


def _request(recorded: dict[str, Any]) -> IncomingRequest:
    headers = {str(k): str(v) for k, v in recorded.get("headers", {}).items()}
    return IncomingRequest(
        str(recorded["method"]),
        str(recorded["path"]),
        str(recorded.get("query", "")),
        headers,
        _bytes(recorded),
        bool(recorded.get("too_large", False)),
    )


def _answer(recorded: dict[str, Any]) -> Answer:
    status = int(recorded["status"])
    if status == 0:
        return Answer.unanswered(str(recorded.get("failure") or "no answer"))
    headers = {str(k): str(v) for k, v in recorded.get("headers", {}).items()}
    if "body" in recorded:
        data = json.dumps(recorded["body"], separators=(",", ":"), ensure_ascii=False).encode()
        return Answer(status, headers, recorded["body"], data)
    if "text" in recorded:
        return Answer(status, headers, UNREADABLE, str(recorded["text"]).encode())
    return Answer(status, headers, EMPTY, b"")


def _bytes(recorded: dict[str, Any]) -> bytes:
    if "form" in recorded:
        return urllib.parse.urlencode([(str(k), str(v)) for k, v in recorded["form"]]).encode()
    if "body" in recorded:
        return json.dumps(recorded["body"], separators=(",", ":"), ensure_ascii=False).encode()
    return str(recorded.get("text", "")).encode()
