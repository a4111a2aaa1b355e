"""The admin API's scenario control: the emulated clock, fault rules and the whole state
(docs/scenarios.md). JSON in and out, like the rest of ``/__admin__``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from secretmock.engine import json_values
from secretmock.engine.clock import EmulatedClock, format_time, parse_time
from secretmock.engine.emulator import Emulator
from secretmock.engine.faults import FaultRuleError
from secretmock.engine.state import StateError, restore_state, state_document

CLOCK_FORMS = (
    '{"now": "<ISO-8601 time>"}, {"advance": <seconds>}, {"frozen": false} or {"frozen": true}'
)


class BadRequest(Exception):
    """An admin request the API refuses with 400; ``code`` and the message say why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def scenario_routes(emulator: Emulator) -> list[Route]:
    """The routes of ``/__admin__/clock``, ``/__admin__/faults`` and ``/__admin__/state``."""

    async def get_clock(request: Request) -> Response:
        return JSONResponse(clock_document(emulator.clock))

    async def put_clock(request: Request) -> Response:
        try:
            set_clock(emulator.clock, await json_body(request))
        except BadRequest as refusal:
            return error(400, refusal.code, str(refusal))
        return JSONResponse(clock_document(emulator.clock))

    async def add_fault(request: Request) -> Response:
        try:
            rule = emulator.faults.add(await json_body(request))
        except BadRequest as refusal:
            return error(400, refusal.code, str(refusal))
        except FaultRuleError as exc:
            return error(400, "invalid_rule", str(exc))
        return JSONResponse(rule.as_dict(), status_code=201)

    async def list_faults(request: Request) -> Response:
        return JSONResponse({"faults": [rule.as_dict() for rule in emulator.faults.active]})

    async def remove_faults(request: Request) -> Response:
        emulator.faults.clear()
        return JSONResponse({"faults": []})

    async def remove_fault(request: Request) -> Response:
        rule_id = request.path_params["id"]
        rule = emulator.faults.get(rule_id)
        if rule is None or not emulator.faults.remove(rule_id):
            return error(404, "unknown_fault", f"no fault rule {rule_id!r}")
        return JSONResponse(rule.as_dict())

    async def get_state(request: Request) -> Response:
        return JSONResponse(state_document(emulator))

    async def put_state(request: Request) -> Response:
        try:
            restore_state(emulator, await json_body(request))
        except BadRequest as refusal:
            return error(400, refusal.code, str(refusal))
        except StateError as exc:
            return error(400, "invalid_state", str(exc))
        return JSONResponse(state_document(emulator))

    return [
        Route("/state", get_state, methods=["GET"]),
        Route("/state", put_state, methods=["PUT"]),
        Route("/clock", get_clock, methods=["GET"]),
        Route("/clock", put_clock, methods=["PUT"]),
        Route("/faults", add_fault, methods=["POST"]),
        Route("/faults", list_faults, methods=["GET"]),
        Route("/faults", remove_faults, methods=["DELETE"]),
        Route("/faults/{id}", remove_fault, methods=["DELETE"]),
    ]


def clock_document(clock: EmulatedClock) -> dict[str, Any]:
    """``{"now": ISO-8601 UTC, "frozen": bool}``: what GET and PUT /clock answer."""
    return {"now": format_time(clock.now()), "frozen": clock.frozen}


def set_clock(clock: EmulatedClock, change: Any) -> None:
    """Applies one of the three forms of ``PUT /__admin__/clock``; :class:`BadRequest`
    names the problem and leaves the clock as it was."""
    if not isinstance(change, dict) or len(change) != 1:
        raise BadRequest("invalid_clock", f"send exactly one of {CLOCK_FORMS}")
    ((name, value),) = change.items()
    if name == "now":
        if not isinstance(value, str):
            raise BadRequest("invalid_clock", "'now' must be an ISO-8601 time string")
        try:
            clock.freeze_at(parse_time(value))
        except ValueError as exc:
            raise BadRequest("invalid_clock", f"'now': {exc}") from exc
    elif name == "advance":
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise BadRequest(
                "invalid_clock",
                "'advance' must be a number of seconds >= 0 (set 'now' to go back in time)",
            )
        try:
            clock.advance(timedelta(seconds=value))
        except OverflowError as exc:
            raise BadRequest("invalid_clock", "'advance' goes past the year 9999") from exc
    elif name == "frozen" and value is False:
        clock.run()
    elif name == "frozen" and value is True:
        clock.freeze()
    else:
        raise BadRequest("invalid_clock", f"send exactly one of {CLOCK_FORMS}")


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


def error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=status)
