"""The table of ``serve`` options: flags, their environment variables and defaults."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

import pytest

from secretmock.cli_options import add_options, apply_environment, serve_options
from tests.helpers import table

OPTIONS = serve_options(["fireworks", "langwatch"])


def parse(argv: list[str], environ: dict[str, str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="serve")
    add_options(parser, OPTIONS)
    args = parser.parse_args(argv)
    apply_environment(parser, args, OPTIONS, environ)
    return args


@table(
    "argv, environ, dest, expected",
    [
        ("default-port", [], {}, "port", 8080),
        ("env-port", [], {"SECRETMOCK_PORT": "0"}, "port", 0),
        ("flag-beats-env", ["--port", "9"], {"SECRETMOCK_PORT": "0"}, "port", 9),
        ("default-host", [], {}, "host", "127.0.0.1"),
        ("env-host", [], {"SECRETMOCK_HOST": "::1"}, "host", "::1"),
        (
            "env-fixtures-list",
            [],
            {"SECRETMOCK_FIXTURES": os.pathsep.join(["a.yaml", "b.yaml"])},
            "fixtures",
            [Path("a.yaml"), Path("b.yaml")],
        ),
        (
            "flag-fixtures-beat-env",
            ["--fixtures", "c.yaml"],
            {"SECRETMOCK_FIXTURES": "a.yaml"},
            "fixtures",
            [Path("c.yaml")],
        ),
        ("no-fixtures", [], {}, "fixtures", None),
        ("env-vendor", [], {"SECRETMOCK_VENDOR": "langwatch"}, "vendor", "langwatch"),
        ("env-seed", [], {"SECRETMOCK_SEED": "42"}, "seed", 42),
        ("env-report", [], {"SECRETMOCK_REPORT": "r.json"}, "report", Path("r.json")),
        ("env-ready-file", [], {"SECRETMOCK_READY_FILE": "up.json"}, "ready_file", Path("up.json")),
        ("access-log-off", [], {}, "access_log", False),
        ("access-log-env-on", [], {"SECRETMOCK_ACCESS_LOG": "yes"}, "access_log", True),
        ("access-log-env-off", [], {"SECRETMOCK_ACCESS_LOG": "0"}, "access_log", False),
        ("access-log-flag", ["--access-log"], {"SECRETMOCK_ACCESS_LOG": "0"}, "access_log", True),
        ("log-level-default", [], {}, "log_level", "warning"),
        ("log-level-env", [], {"SECRETMOCK_LOG_LEVEL": "info"}, "log_level", "info"),
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


def test_every_variable_is_named_after_its_flag() -> None:
    for option in OPTIONS:
        assert option.env == "SECRETMOCK_" + option.flag[2:].upper().replace("-", "_")
