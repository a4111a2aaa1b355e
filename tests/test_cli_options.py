"""The options of ``serve``: flags, their environment variables and defaults, as the
click command parses them into :class:`~secretmock.serve.settings.ServeSettings`."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import pytest

from secretmock.cli import ENV_PREFIX, main, serve
from secretmock.serve.settings import ServeSettings


def parse(argv: list[str], environ: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """The settings ``serve ARGV`` runs with, under exactly ``environ``'s variables."""
    for name in os.environ:
        if name.startswith(ENV_PREFIX):
            monkeypatch.delenv(name)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return ServeSettings(**serve.make_context("serve", argv).params)


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
            (Path("a.yaml"), Path("b.yaml")),
            id="env-fixtures-list",
        ),
        pytest.param(
            ["--fixtures", "c.yaml"],
            {"SECRETMOCK_FIXTURES": "a.yaml"},
            "fixtures",
            (Path("c.yaml"),),
            id="flag-fixtures-beat-env",
        ),
        pytest.param([], {}, "fixtures", (), id="no-fixtures"),
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
    argv: list[str],
    environ: dict[str, str],
    dest: str,
    expected: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert getattr(parse(argv, environ, monkeypatch), dest) == expected


def test_a_bad_variable_exits_2_naming_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECRETMOCK_PORT", "-1")
    assert main(["serve"]) == 2
    error = capsys.readouterr().err
    assert "(env var: 'SECRETMOCK_PORT'): -1 is not in the range 0<=x<=65535" in error


def test_a_clock_without_offset_exits_2_naming_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--clock", "2031-05-06T07:08:09"]) == 2
    error = capsys.readouterr().err
    assert "Invalid value for '--clock'" in error and "needs a UTC offset" in error


def test_every_variable_is_named_after_its_flag() -> None:
    for option in serve.params:
        assert isinstance(option, click.Option) and option.show_envvar
        [flag] = option.opts
        assert option.envvar == "SECRETMOCK_" + flag[2:].upper().replace("-", "_")


def test_every_option_is_a_setting_with_the_same_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command's defaults are the settings' own (one source: ServeSettings)."""
    assert parse([], {}, monkeypatch) == ServeSettings()
