"""One side's answer to a request, as the comparison reads it."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from secretmock.engine.incoming import is_json

NO_BODY = "none"
"""The JSON type :func:`json_type` gives an empty body."""
NOT_JSON = "text"
"""The JSON type :func:`json_type` gives a body that is not JSON."""


class _Absent:
    """The body of an answer that has none, or one that is not JSON."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"


EMPTY = _Absent(NO_BODY)
UNREADABLE = _Absent(NOT_JSON)


@dataclass(frozen=True, slots=True)
class Answer:
    """A status, lower-cased headers and the body parsed as JSON.

    ``status`` 0 is no answer at all: ``failure`` then says why (``unreachable``,
    ``timeout``, ``dropped``). ``body`` is :data:`EMPTY` or :data:`UNREADABLE` when
    there is no JSON to read; ``data`` keeps the bytes for the spec's validator.
    """

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Any = EMPTY
    data: bytes = b""
    failure: str | None = None

    @property
    def answered(self) -> bool:
        return self.status > 0

    @classmethod
    def parse(cls, status: int, headers: Iterable[tuple[str, str]], data: bytes) -> Answer:
        """An answer from the wire: the body read as JSON when it is declared so (or
        undeclared) and parses."""
        lowered = {name.lower(): value for name, value in headers}
        return cls(status, lowered, read_body(data, lowered.get("content-type", "")), data)

    @classmethod
    def unanswered(cls, failure: str) -> Answer:
        """No answer: the upstream could not be reached, timed out or dropped."""
        return cls(0, {}, EMPTY, b"", failure)


def read_body(data: bytes, content_type: str) -> Any:
    """``data`` as JSON, or :data:`EMPTY` / :data:`UNREADABLE`."""
    if not data:
        return EMPTY
    if content_type and not is_json(content_type):
        return UNREADABLE
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return UNREADABLE


def json_type(value: Any) -> str:
    """The JSON type name of a parsed value (``null``, ``boolean``, ``number``,
    ``string``, ``array``, ``object``), or ``none`` / ``text`` for a missing body."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, _Absent):
        return value.name
    raise TypeError(f"not a parsed JSON value: {type(value).__name__}")
