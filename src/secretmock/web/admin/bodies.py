"""What every admin route shares: reading a JSON body or a number parameter, and the
JSON error answer. A handler raises :class:`AdminError` (or :class:`BadRequest`,
:class:`NotFound`); the route table turns it into :func:`error`'s answer, the same way
on every route."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from secretmock.engine import json_values
from secretmock.engine.emulator import Emulator

WHOLE_NUMBER = re.compile(r"[0-9]{1,18}")


@dataclass(frozen=True)
class Admin:
    """What a handler serves: the emulator, and the path each vendor is mounted at
    ("" when served alone at the root)."""

    emulator: Emulator
    mounted_at: Mapping[str, str]


Handler = Callable[[Admin, Request], Awaitable[Response]]
"""An admin route's handler: ``async def name(admin, request) -> Response``."""


class AdminError(Exception):
    """An admin request the API refuses; ``status``, ``code`` and the message say why."""

    status = 400

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class BadRequest(AdminError):
    """Refused with 400: the request itself is wrong."""

    status = 400


class NotFound(AdminError):
    """Refused with 404: what the path names does not exist."""

    status = 404


async def json_body(request: Request, empty: Any = None) -> Any:
    """The request's JSON body (``empty`` when there is none); :class:`BadRequest` when
    it does not parse, or holds a value no JSON client reads back (NaN, Infinity, a lone
    surrogate: :mod:`secretmock.engine.json_values`)."""
    data = await request.body()
    if not data:
        return empty
    try:
        return json_values.loads(data, json_values.DOCUMENT_DEPTH)
    except ValueError as exc:
        raise BadRequest("malformed_json", f"the body is not valid JSON: {exc}") from exc


def whole_number(request: Request, name: str) -> int:
    """The query parameter as a whole number of ASCII digits (``str.isdigit`` would take
    "²"), ``0`` when absent; :class:`BadRequest` when it is anything else."""
    raw = request.query_params.get(name, "0")
    if not WHOLE_NUMBER.fullmatch(raw):
        raise BadRequest("invalid_parameter", f"{name!r} must be a whole number")
    return int(raw)


def error(status: int, code: str, message: str) -> JSONResponse:
    """The admin API's error answer: ``{"error": code, "message": message}``."""
    return JSONResponse({"error": code, "message": message}, status_code=status)
