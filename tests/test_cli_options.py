"""The table of ``serve`` options: flags, their environment variables and defaults."""

from __future__ import annotations

import argparse
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from secretmock.cli_options import add_options, apply_environment, serve_options

OPTIONS = serve_options(["fireworks", "langwatch"])


def parse(argv: list[str], environ: dict[str, str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="serve")
    add_options(parser, OPTIONS)
    args = parser.parse_args(argv)
    apply_environment(parser, args, OPTIONS, environ)
    return args


@pytest.mark.parametrize(
    "argv, environ, dest, expected",
    [
        pytest.param([], {}, "port", 8080, id="default-port"),
        pytest.param([], {"SECRETMOCK_PORT": "0"}, "port", 0, id="env-port"),
        pytest.param(["--port", "9"], {"SECRETMOCK_PORT": "0"}, "port", 9, id="flag-beats-env"),
        pytest.param([], {}, "host", "127.0.0.1", id="default-host"),
        pytest.param([], {"SECRETMOCK_HOST": "::1"}, "host", "::1", id="env-host"),
        pytest.param(
            [],
            {"SECRETMOCK_FIXTURES": os.pathsep.join(["a.yaml", "b.yaml"])},
            "fixtures",
            [Path("a.yaml"), Path("b.yaml")],
            id="env-fixtures-list",
        ),
        pytest.param(
            ["--fixtures", "c.yaml"],
            {"SECRETMOCK_FIXTURES": "a.yaml"},
            "fixtures",
            [Path("c.yaml")],
            id="flag-fixtures-beat-env",
        ),
        pytest.param([], {}, "fixtures", None, id="no-fixtures"),
        pytest.param(
            [], {"SECRETMOCK_VENDOR": "langwatch"}, "vendor", "langwatch", id="env-vendor"
        ),
        pytest.param([], {"SECRETMOCK_SEED": "42"}, "seed", 42, id="env-seed"),
        pytest.param(
            [], {"SECRETMOCK_REPORT": "r.json"}, "report", Path("r.json"), id="env-report"
        ),
        pytest.param(
            [],
            {"SECRETMOCK_READY_FILE": "up.json"},
            "ready_file",
            Path("up.json"),
            id="env-ready-file",
        ),
        pytest.param([], {}, "access_log", False, id="access-log-off"),
        pytest.param(
            [], {"SECRETMOCK_ACCESS_LOG": "yes"}, "access_log", True, id="access-log-env-on"
        ),
        pytest.param(
            [], {"SECRETMOCK_ACCESS_LOG": "0"}, "access_log", False, id="access-log-env-off"
        ),
        pytest.param(
            ["--access-log"],
            {"SECRETMOCK_ACCESS_LOG": "0"},
            "access_log",
            True,
            id="access-log-flag",
        ),
        pytest.param([], {}, "log_level", "warning", id="log-level-default"),
        pytest.param([], {"SECRETMOCK_LOG_LEVEL": "info"}, "log_level", "info", id="log-level-env"),
        pytest.param(
            [], {"SECRETMOCK_FAULTS": "f.yaml"}, "faults", Path("f.yaml"), id="env-faults"
        ),
        pytest.param([], {"SECRETMOCK_STATE": "s.json"}, "state", Path("s.json"), id="env-state"),
        pytest.param(
            ["--clock", "2031-05-06T09:08:09+02:00"],
            {},
            "clock",
            datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC),
            id="clock-flag-in-utc",
        ),
        pytest.param(
            [],
            {"SECRETMOCK_CLOCK": "2031-05-06T07:08:09Z"},
            "clock",
            datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC),
            id="env-clock",
        ),
        pytest.param([], {}, "clock", None, id="clock-runs-by-default"),
    ],
)
def test_flag_then_variable_then_default(
    argv: list[str], environ: dict[str, str], dest: str, expected: Any
) -> None:
    assert getattr(parse(argv, environ), dest) == expected


def test_a_bad_variable_exits_2_naming_it(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        parse([], {"SECRETMOCK_PORT": "-1"})
    assert stopped.value.code == 2
    assert "SECRETMOCK_PORT='-1': -1 is not a port number" in capsys.readouterr().err


def test_a_clock_without_offset_exits_2_naming_it(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        parse(["--clock", "2031-05-06T07:08:09"], {})
    assert stopped.value.code == 2
    assert "needs a UTC offset" in capsys.readouterr().err


def test_every_variable_is_named_after_its_flag() -> None:
    for option in OPTIONS:
        assert option.env == "SECRETMOCK_" + option.flag[2:].upper().replace("-", "_")
