"""A request as the engine sees it, and its body parsed as JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

JSON_TYPES = ("application/json",)


class MalformedBody(Exception):
    """The body claims to be JSON and is not; ``detail`` is the parser's message."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True, slots=True)
class IncomingRequest:
    """A request as the engine received it, after the vendor's mount prefix."""

    method: str
    path: str
    query_string: str
    headers: Mapping[str, str]  # names lower-cased
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").lower()


def is_json(content_type: str) -> bool:
    """Whether a Content-Type names JSON (``application/json`` or ``*/*+json``)."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type in JSON_TYPES or media_type.endswith("+json")


def parse_json_body(request: IncomingRequest) -> Any:
    """The parsed JSON body; ``None`` if there is none or it is not declared as JSON.
    Raises :class:`MalformedBody` when it is declared as JSON and does not parse."""
    if not request.body or not is_json(request.content_type):
        return None
    try:
        return json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedBody(str(exc)) from exc
    except RecursionError as exc:
        raise MalformedBody("the JSON is nested too deeply") from exc
