"""The emulated clock: ``GET/PUT /__admin__/clock``, reset, and the vendors' times and
InsForge's expiry following it, in-process and over a real socket."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from secretmock.engine.clock import (
    ClockSetting,
    EmulatedClock,
    FixedClock,
    format_time,
    parse_time,
)
from secretmock.engine.emulator import Emulator
from secretmock.vendors.common import unix_millis
from tests.conftest import Api
from tests.helpers import table
from tests.scenario_calls import CREATES, INSFORGE, LISTS

FROZEN = "2031-05-06T07:08:09.123456Z"


def clock(api: Api, change: Any = None) -> Any:
    """GET (or, with ``change``, PUT) the clock; returns the answer's JSON."""
    if change is None:
        answer = api.request("GET", "/__admin__/clock")
    else:
        answer = api.request("PUT", "/__admin__/clock", json=change)
    assert answer.status_code == 200, answer.json()
    return answer.json()


def test_the_clock_runs_on_the_real_time_at_first(api: Api) -> None:
    shown = clock(api)
    assert shown["frozen"] is False
    parse_time(shown["now"])  # an ISO-8601 UTC time


def test_now_freezes_the_clock_there(api: Api) -> None:
    assert clock(api, {"now": FROZEN}) == {"now": FROZEN, "frozen": True}
    assert clock(api) == {"now": FROZEN, "frozen": True}


def test_now_takes_any_offset_and_answers_in_utc(api: Api) -> None:
    shown = clock(api, {"now": "2031-05-06T09:08:09+02:00"})
    assert shown == {"now": "2031-05-06T07:08:09.000000Z", "frozen": True}


def test_now_may_go_back_in_time(api: Api) -> None:
    clock(api, {"now": FROZEN})
    assert clock(api, {"now": "2001-01-01T00:00:00Z"})["now"] == "2001-01-01T00:00:00.000000Z"


def test_advance_moves_a_frozen_clock_and_it_stays_frozen(api: Api) -> None:
    clock(api, {"now": FROZEN})
    assert clock(api, {"advance": 90.5}) == {"now": "2031-05-06T07:09:39.623456Z", "frozen": True}


def test_advance_moves_a_running_clock(api: Api, emulator: Emulator) -> None:
    clock(api, {"now": FROZEN})
    running = clock(api, {"frozen": False})
    assert running["frozen"] is False and parse_time(running["now"]) >= parse_time(FROZEN)
    clock(api, {"advance": 86400})
    assert emulator.clock.now() >= parse_time(FROZEN) + timedelta(days=1)


def test_frozen_false_runs_on_from_the_emulated_time() -> None:
    # A real time that only moves when told, so that "runs on from" is exact.
    real = datetime(2026, 1, 1, tzinfo=UTC)
    moments = iter([real, real + timedelta(seconds=5)])
    emulated = EmulatedClock(lambda: next(moments))
    emulated.freeze_at(parse_time(FROZEN))
    emulated.run()  # reads the real time once: 2026-01-01
    assert emulated.now() == parse_time(FROZEN) + timedelta(seconds=5)


def test_frozen_true_freezes_the_clock_where_it_is(api: Api) -> None:
    clock(api, {"now": FROZEN})
    clock(api, {"frozen": False})
    shown = clock(api, {"frozen": True})
    assert shown["frozen"] is True and clock(api) == shown


def test_reset_returns_to_the_real_time(api: Api) -> None:
    clock(api, {"now": FROZEN})
    assert api.request("POST", "/__admin__/reset").status_code == 200
    assert clock(api)["frozen"] is False
    assert clock(api)["now"] != FROZEN


class Refusal(NamedTuple):
    id: str
    change: Any
    mentions: str


REFUSALS = [
    Refusal("empty-object", {}, "exactly one of"),
    Refusal("two-forms", {"now": FROZEN, "advance": 1}, "exactly one of"),
    Refusal("not-an-object", [FROZEN], "exactly one of"),
    Refusal("unknown-form", {"rewind": 5}, "exactly one of"),
    Refusal("now-not-a-string", {"now": 1700000000}, "'now' must be an ISO-8601"),
    Refusal("now-not-a-time", {"now": "next tuesday"}, "not an ISO-8601 time"),
    Refusal("now-without-offset", {"now": "2031-05-06T07:08:09"}, "needs a UTC offset"),
    Refusal("advance-negative", {"advance": -1}, "'advance' must be a number of seconds >= 0"),
    Refusal("advance-a-string", {"advance": "10"}, "'advance' must be a number"),
    Refusal("advance-a-boolean", {"advance": True}, "'advance' must be a number"),
    Refusal("advance-past-9999", {"advance": 1e12}, "past the year 9999"),
    Refusal(
        "now-year-1-at-plus-one-hour",
        {"now": "0001-01-01T00:00:00+01:00"},
        "leaves the years 1 to 9999",
    ),
    Refusal(
        "now-year-9999-at-minus-one-hour",
        {"now": "9999-12-31T23:59:59-01:00"},
        "leaves the years 1 to 9999",
    ),
    Refusal("advance-past-the-range", {"advance": 1e20}, "past the year 9999"),
    Refusal("frozen-not-a-boolean", {"frozen": "no"}, "exactly one of"),
]


@table(REFUSALS)
def test_a_bad_change_is_refused_and_changes_nothing(api: Api, change: Any, mentions: str) -> None:
    before = clock(api, {"now": FROZEN})
    answer = api.request("PUT", "/__admin__/clock", json=change)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_clock" and mentions in answer.json()["message"]
    assert clock(api) == before


def test_a_body_that_is_not_json_is_refused(api: Api) -> None:
    answer = api.request(
        "PUT", "/__admin__/clock", data=b"{now", headers={"content-type": "application/json"}
    )
    assert answer.status_code == 400 and answer.json()["error"] == "malformed_json"


# -- the vendors follow the clock --------------------------------------------------------

MILLIS = "2031-05-06T07:08:09.123Z"
"""FROZEN as the vendors write it (JavaScript's ``Date.toISOString()``)."""


def created_time(vendor: str, listed: Any) -> Any:
    """The creation time the vendor's own list shows for the secret ``CREATES`` made."""
    if vendor == "prismeai":
        return listed["scenarioKey"]["createdAt"]
    if vendor == "langwatch":
        return next(s["createdAt"] for s in listed if s["name"] == "SCENARIO_KEY")
    if vendor == "instabase":
        return next(s["created_at"] for s in listed["secrets"] if s["alias"] == "scenario_key")
    return next(s["createdAt"] for s in listed["secrets"] if s["key"] == "SCENARIO_KEY")


class Stamp(NamedTuple):
    id: str
    vendor: str
    expected: Any


STAMPS = [
    Stamp("prismeai", "prismeai", MILLIS),
    Stamp("langwatch", "langwatch", MILLIS),
    Stamp("instabase", "instabase", unix_millis(parse_time(FROZEN))),
    Stamp("insforge", "insforge", MILLIS),
    # Fireworks' secrets carry no time.
]


@table(STAMPS)
def test_every_time_a_vendor_makes_comes_from_the_clock(
    api: Api, vendor: str, expected: Any
) -> None:
    clock(api, {"now": FROZEN})
    created = CREATES[vendor].send(api)
    assert created.status_code == CREATES[vendor].status, created.json()
    listed = LISTS[vendor].send(api)
    assert created_time(vendor, listed.json()) == expected


# -- InsForge expiry ---------------------------------------------------------------------


def test_insforge_expiry_follows_the_clock(api: Api) -> None:
    clock(api, {"now": "2031-05-06T07:00:00Z"})
    created = api.request(
        "POST",
        "/insforge/api/secrets",
        headers=INSFORGE,
        json={"key": "SHORT_LIVED", "value": "v", "expiresAt": "2031-05-06T08:00:00Z"},
    )
    assert created.status_code == 201, created.json()
    read = api.request("GET", "/insforge/api/secrets/SHORT_LIVED", headers=INSFORGE)
    assert read.status_code == 200 and read.json()["value"] == "v"
    clock(api, {"advance": 3599})
    assert (
        api.request("GET", "/insforge/api/secrets/SHORT_LIVED", headers=INSFORGE).status_code == 200
    )
    clock(api, {"advance": 1})  # now == expiresAt: expired
    gone = api.request("GET", "/insforge/api/secrets/SHORT_LIVED", headers=INSFORGE)
    assert gone.status_code == 404
    assert gone.json()["error"] == "SECRET_NOT_FOUND"
    listed = api.request("GET", "/insforge/api/secrets", headers=INSFORGE).json()
    assert "SHORT_LIVED" in [s["key"] for s in listed["secrets"]]
    clock(api, {"now": "2031-05-06T07:30:00Z"})  # back before the expiry: readable again
    assert (
        api.request("GET", "/insforge/api/secrets/SHORT_LIVED", headers=INSFORGE).status_code == 200
    )


# -- the clock object --------------------------------------------------------------------


def test_format_time_keeps_every_digit_and_pads_the_year() -> None:
    assert format_time(datetime(33, 1, 2, 3, 4, 5, 6, tzinfo=UTC)) == "0033-01-02T03:04:05.000006Z"


@pytest.mark.parametrize(
    "text", ["2031-05-06T07:08:09Z", "2031-05-06T07:08:09.5+00:00", "2031-05-06T09:08:09+02:00"]
)
def test_parse_time_gives_an_aware_utc_time(text: str) -> None:
    moment = parse_time(text)
    assert moment.tzinfo is UTC


def test_a_clock_reading_is_the_real_time_moved_by_its_setting() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    emulated = EmulatedClock(FixedClock(start, step=0))
    assert emulated.now() == start
    emulated.advance(timedelta(hours=1))
    assert emulated.now() == start + timedelta(hours=1) and not emulated.frozen
    with pytest.raises(ValueError, match="only moves forward"):
        emulated.advance(timedelta(seconds=-1))


# -- the years 1 to 9999 (newcomer review C3) ------------------------------------------

END = "9999-12-31T23:59:59.999999Z"


@pytest.mark.parametrize("now", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z"])
def test_the_clock_takes_both_ends_of_the_range(api: Api, now: str) -> None:
    assert clock(api, {"now": now})["now"] == now.replace("00Z", "00.000000Z")
    assert CREATES["insforge"].send(api).status_code == 201
    assert LISTS["insforge"].send(api).status_code == 200


def test_a_running_clock_that_reaches_the_end_stops_there(api: Api) -> None:
    """The tests' real time moves a second at every reading: two readings past
    23:59:58 the running clock has reached the end, where it stays."""
    clock(api, {"now": "9999-12-31T23:59:58Z"})
    clock(api, {"frozen": False})
    for _ in range(3):
        shown = clock(api)
    assert shown == {"now": END, "frozen": False}
    assert CREATES["insforge"].send(api).status_code == 201
    assert LISTS["insforge"].send(api).status_code == 200
    assert CREATES["prismeai"].send(api).status_code == CREATES["prismeai"].status
    refused = api.request("PUT", "/__admin__/clock", json={"advance": 1})
    assert refused.status_code == 400 and "past the year 9999" in refused.json()["message"]
    assert clock(api, {"frozen": True}) == {"now": END, "frozen": True}


def test_a_rotation_whose_grace_period_ends_past_9999_is_refused(api: Api) -> None:
    clock(api, {"now": "9999-12-31T22:00:00Z"})
    before = api.request("GET", "/__admin__/tenants/insforge/demo-project").json()
    answer = api.request(
        "POST",
        "/insforge/api/secrets/api-key/rotate",
        headers=INSFORGE,
        json={"gracePeriodHours": 168},
    )
    assert answer.status_code == 400, answer.json()
    assert answer.json()["error"] == "INVALID_INPUT"
    assert "after the year 9999" in answer.json()["message"]
    assert api.request("GET", "/__admin__/tenants/insforge/demo-project").json() == before
    assert LISTS["insforge"].send(api).status_code == 200
    short = api.request(
        "POST",
        "/insforge/api/secrets/api-key/rotate",
        headers=INSFORGE,
        json={"gracePeriodHours": 1},
    )
    assert (
        short.status_code == 200 and short.json()["oldKeyExpiresAt"] == "9999-12-31T23:00:00.000Z"
    )


class OutOfRange(NamedTuple):
    id: str
    clock: Any
    mentions: str


OUT_OF_RANGE = [
    OutOfRange("offset-past-9999", {"frozen": False, "offset_seconds": 3e11}, "an offset of 3e+11"),
    OutOfRange("offset-before-year-1", {"frozen": False, "offset_seconds": -1e11}, "an offset of"),
    OutOfRange(
        "frozen-year-1-at-plus-one-hour",
        {"frozen": True, "now": "0001-01-01T00:00:00+01:00"},
        "clock.now: 0001-01-01T00:00:00+01:00 leaves the years 1 to 9999",
    ),
]


@table(OUT_OF_RANGE)
def test_a_state_whose_clock_leaves_the_range_is_refused(
    api: Api, clock: Any, mentions: str
) -> None:
    before = api.request("GET", "/__admin__/state").json()
    answer = api.request("PUT", "/__admin__/state", json={**before, "clock": clock})
    assert answer.status_code == 400, answer.json()
    assert answer.json()["error"] == "invalid_state" and mentions in answer.json()["message"]
    assert api.request("GET", "/__admin__/state").json() == before
    assert api.request("GET", "/__admin__/clock").status_code == 200


def test_a_state_near_the_end_reads_back_and_its_clock_stops_there(api: Api) -> None:
    """A running clock ten seconds (ten readings, in the tests) before the end: its state
    reads back; once it has stopped at the end, the state holds it frozen there."""
    clock(api, {"now": "9999-12-31T23:59:50Z"})
    clock(api, {"frozen": False})
    near = api.request("GET", "/__admin__/state").json()
    assert near["clock"]["frozen"] is False
    assert api.request("PUT", "/__admin__/state", json=near).status_code == 200
    for _ in range(15):
        shown = clock(api)
    assert shown == {"now": END, "frozen": False}
    stopped = api.request("GET", "/__admin__/state").json()
    assert stopped["clock"] == {"frozen": True, "now": END}
    assert api.request("PUT", "/__admin__/state", json=stopped).status_code == 200
    assert CREATES["insforge"].send(api).status_code == 201


@pytest.mark.parametrize(
    "text", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "0001-01-01T00:59:59+01:00"]
)
def test_parse_time_refuses_a_time_outside_the_years_1_to_9999_in_utc(text: str) -> None:
    with pytest.raises(ValueError, match="leaves the years 1 to 9999"):
        parse_time(text)


def test_the_clock_object_keeps_to_the_range() -> None:
    real = FixedClock(datetime(2026, 1, 1, tzinfo=UTC), step=0)
    emulated = EmulatedClock(real)
    with pytest.raises(ValueError, match="leaves the years 1 to 9999"):
        emulated.restore(ClockSetting(offset=timedelta(days=3_000_000)))
    with pytest.raises(ValueError, match="leaves the years 1 to 9999"):
        emulated.freeze_at(datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))))
    assert emulated.setting == ClockSetting(), "nothing changed"
    emulated.freeze_at(datetime(1, 1, 1, tzinfo=UTC))
    emulated.run()
    assert emulated.now() == datetime(1, 1, 1, tzinfo=UTC)
    emulated.freeze_at(datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC))
    with pytest.raises(OverflowError):
        emulated.advance(timedelta(seconds=1))
    assert emulated.now() == datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)


def test_a_running_clock_behind_the_real_time_stops_at_year_1() -> None:
    moving = FixedClock(datetime(2026, 1, 1, tzinfo=UTC), step=-86_400 * 365 * 100)
    emulated = EmulatedClock(moving)
    emulated.restore(
        ClockSetting(offset=datetime(1, 1, 2, tzinfo=UTC) - datetime(2026, 1, 1, tzinfo=UTC))
    )
    readings = [emulated.now() for _ in range(3)]
    assert readings[-1] == datetime(1, 1, 1, tzinfo=UTC)


class StartUp(NamedTuple):
    id: str
    args: tuple[str, ...]
    env: dict[str, str]
    state: str | None
    mentions: str
    status: int
    """2, a usage error, for a flag or a variable; 1 for a state file, as for any file
    the server cannot use (docs/scenarios.md)."""


START_UPS = [
    StartUp(
        "clock-flag",
        ("--clock", "0001-01-01T00:00:00+01:00"),
        {},
        None,
        "leaves the years 1 to 9999",
        2,
    ),
    StartUp(
        "clock-variable",
        (),
        {"SECRETMOCK_CLOCK": "9999-12-31T23:59:59-01:00"},
        None,
        "leaves the years 1 to 9999",
        2,
    ),
    StartUp(
        "state-file-offset",
        (),
        {},
        '{"format": 1, "vendors": {}, "clock": {"frozen": false, "offset_seconds": 3e11}}',
        "clock: an offset of 3e+11 seconds leaves the years 1 to 9999",
        1,
    ),
    StartUp(
        "state-file-time",
        (),
        {},
        '{"format": 1, "vendors": {}, "clock": '
        '{"frozen": true, "now": "0001-01-01T00:00:00+01:00"}}',
        "clock.now: 0001-01-01T00:00:00+01:00 leaves the years 1 to 9999",
        1,
    ),
]


@table(START_UPS)
def test_a_start_up_clock_outside_the_range_is_refused(
    tmp_path: Path,
    args: tuple[str, ...],
    env: dict[str, str],
    state: str | None,
    mentions: str,
    status: int,
) -> None:
    if state is not None:
        (tmp_path / "state.json").write_text(state)
        args = (*args, "--state", str(tmp_path / "state.json"))
    result = subprocess.run(
        [sys.executable, "-m", "secretmock", "serve", "--port", "0", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
    )
    assert result.returncode == status, result.stderr
    assert mentions in result.stderr and "Traceback" not in result.stderr
    if state is not None:
        assert result.stderr.startswith(f"secretmock: {tmp_path / 'state.json'}: ")
