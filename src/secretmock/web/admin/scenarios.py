"""The admin API's scenario control: the emulated clock, fault rules and the whole state
(docs/scenarios.md). JSON in and out, like the rest of ``/__admin__``; the routes are
rows of :data:`secretmock.web.admin.ROUTES`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from secretmock.engine.clock import EmulatedClock, format_time, parse_time
from secretmock.engine.faults import FaultRuleError
from secretmock.engine.state import StateError, restore_state, state_document
from secretmock.web.admin.bodies import Admin, BadRequest, Handler, NotFound, json_body

CLOCK_FORMS = (
    '{"now": "<ISO-8601 time>"}, {"advance": <seconds>}, {"frozen": false} or {"frozen": true}'
)


async def get_clock(admin: Admin, request: Request) -> Response:
    return JSONResponse(clock_document(admin.emulator.clock))


async def put_clock(admin: Admin, request: Request) -> Response:
    change = await json_body(request)
    admin.emulator.change(lambda: set_clock(admin.emulator.clock, change))
    return JSONResponse(clock_document(admin.emulator.clock))


async def add_fault(admin: Admin, request: Request) -> Response:
    raw = await json_body(request)
    try:
        rule = admin.emulator.change(lambda: admin.emulator.faults.add(raw))
    except FaultRuleError as exc:
        raise BadRequest("invalid_rule", str(exc)) from exc
    return JSONResponse(rule.as_dict(), status_code=201)


async def list_faults(admin: Admin, request: Request) -> Response:
    return JSONResponse({"faults": [rule.as_dict() for rule in admin.emulator.faults.active]})


async def remove_faults(admin: Admin, request: Request) -> Response:
    admin.emulator.change(admin.emulator.faults.clear)
    return JSONResponse({"faults": []})


async def remove_fault(admin: Admin, request: Request) -> Response:
    rules = admin.emulator.faults
    rule_id = request.path_params["id"]
    rule = rules.get(rule_id)
    if rule is None or not admin.emulator.change(lambda: rules.remove(rule_id)):
        raise NotFound("unknown_fault", f"no fault rule {rule_id!r}")
    return JSONResponse(rule.as_dict())


async def get_state(admin: Admin, request: Request) -> Response:
    return JSONResponse(state_document(admin.emulator))


async def put_state(admin: Admin, request: Request) -> Response:
    document = await json_body(request)
    try:
        restore_state(admin.emulator, document)
    except StateError as exc:
        raise BadRequest("invalid_state", str(exc)) from exc
    admin.emulator.publish()  # with a shared store: for every worker, as one replace
    return JSONResponse(state_document(admin.emulator))


ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/state", get_state),
    ("PUT", "/state", put_state),
    ("GET", "/clock", get_clock),
    ("PUT", "/clock", put_clock),
    ("POST", "/faults", add_fault),
    ("GET", "/faults", list_faults),
    ("DELETE", "/faults", remove_faults),
    ("DELETE", "/faults/{id}", remove_fault),
]
"""``/__admin__/clock``, ``/__admin__/faults`` and ``/__admin__/state``."""


def clock_document(clock: EmulatedClock) -> dict[str, Any]:
    """``{"now": ISO-8601 UTC, "frozen": bool}``: what GET and PUT /clock answer."""
    return {"now": format_time(clock.now()), "frozen": clock.frozen}


def set_clock(clock: EmulatedClock, change: Any) -> None:
    """Applies one of the forms of ``PUT /__admin__/clock``; :class:`BadRequest` names
    the problem and leaves the clock as it was."""
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
