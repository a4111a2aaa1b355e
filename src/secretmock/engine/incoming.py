"""The request context: one request as the engine received it and as routing left it,
and its body parsed as JSON.

A transport (the ASGI app, the in-process interceptor) makes one with
:func:`incoming_request`; the pipeline routes it (:meth:`IncomingRequest.routed`), and
from then on the same object travels to the validator, the vendor's ``authenticate``
and the vendor's error envelope.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from secretmock.engine import json_values
from secretmock.engine.sources import Sources

JSON_TYPES = ("application/json",)

MAX_BODY_BYTES = 1024 * 1024
"""The largest body a vendor pipeline reads when neither the vendor's declaration
(``Vendor.max_body_bytes``, the real service's limit where known) nor ``--max-body``
says otherwise; a larger one is refused with 413 (see ``VendorPipeline.max_body_bytes``,
which a transport reads it from)."""

_NOT_ROUTED = Sources(seed=0)
"""Stands in for the pipeline's sources until the pipeline routes the request."""


class MalformedBody(Exception):
    """The body claims to be JSON and is not; ``detail`` is the parser's message."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(slots=True)
class IncomingRequest:
    """A request after the vendor's mount prefix: what the transport received, then
    what the pipeline learnt by routing it.

    Never changed once made: routing makes a new one (:meth:`routed`), so a request a
    caller keeps (or hands to the pipeline twice) stays as it was. Not ``frozen=True``
    only for speed: on CPython 3.11 a frozen dataclass of these nine fields costs about
    1 µs to build instead of 0.25 µs, and the pipeline builds two per request.
    """

    method: str
    path: str
    query_string: str
    headers: Mapping[str, str]
    """Lower-cased names."""
    body: bytes
    """Empty when ``body_too_large``: the rest was never read into memory."""
    body_too_large: bool = False
    """The client sent more than the pipeline's body limit."""
    sources: Sources = _NOT_ROUTED
    """The pipeline's ids and clock (for answers that carry a new id); set by routing."""
    path_params: Mapping[str, str] = field(default_factory=dict)
    """Raw (unvalidated, percent-decoded) path parameters; empty when no route matched."""
    operation_id: str | None = None
    """The matched operation; ``None`` before routing or when no route matched."""

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").lower()

    def as_json(self) -> IncomingRequest:
        """This request as its JSON equivalent: ``Content-Type: application/json``,
        the rest unchanged. A body a vendor's parser read from another media type
        (:data:`BodyParser`) is validated so, as the JSON body it stands for."""
        headers = {**self.headers, "content-type": "application/json"}
        return IncomingRequest(
            self.method,
            self.path,
            self.query_string,
            headers,
            self.body,
            self.body_too_large,
            self.sources,
            self.path_params,
            self.operation_id,
        )

    def routed(
        self, sources: Sources, path_params: Mapping[str, str], operation_id: str | None
    ) -> IncomingRequest:
        """This request as the pipeline routed it (``operation_id`` ``None``: no route)."""
        return IncomingRequest(
            self.method,
            self.path,
            self.query_string,
            self.headers,
            self.body,
            self.body_too_large,
            sources,
            path_params,
            operation_id,
        )


def incoming_request(
    method: str,
    path: str,
    query_string: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    body_too_large: bool = False,
) -> IncomingRequest:
    """The request a transport received, below the vendor's mount: the one constructor
    every transport uses, so that names are lower-cased and the method upper-cased alike."""
    return IncomingRequest(
        method.upper(),
        path,
        query_string,
        {name.lower(): value for name, value in headers},
        b"" if body_too_large else body,
        body_too_large,
    )


BodyParser = Callable[[IncomingRequest], Any]
"""A vendor's parser for a media type its server reads (``Vendor.body_parsers``): the
request in (its ``body`` not empty), the parsed value out, as the JSON body it stands
for (a form's fields as an object of strings). Raises :class:`MalformedBody` for a body
that does not parse, or a ``VendorError`` with the server's own refusal."""


def media_type(content_type: str) -> str:
    """The media type of a Content-Type, lower case, without parameters."""
    return content_type.split(";", 1)[0].strip().lower()


def is_json(content_type: str) -> bool:
    """Whether a Content-Type names JSON (``application/json`` or ``*/*+json``)."""
    media = media_type(content_type)
    return media in JSON_TYPES or media.endswith("+json")


def parse_json_body(request: IncomingRequest) -> Any:
    """The parsed JSON body; ``None`` if there is none or it is not declared as JSON.
    Raises :class:`MalformedBody` as :func:`parse_json` does."""
    if not request.body or not is_json(request.content_type):
        return None
    try:  # parse_json's body, inline: this runs on every request
        return json_values.loads(request.body)
    except ValueError as exc:
        raise MalformedBody(str(exc)) from exc


def parse_json(data: bytes) -> Any:
    """``data`` parsed as JSON. Raises :class:`MalformedBody` when it does not parse, or
    holds a value no client could read back (NaN, Infinity, a lone surrogate: see
    :mod:`secretmock.engine.json_values`): the vendors' JSON parsers refuse the first
    two, and the emulator could not answer the third as JSON."""
    try:
        return json_values.loads(data)
    except ValueError as exc:  # UnreadableJson, json's own errors, UnicodeDecodeError
        raise MalformedBody(str(exc)) from exc
