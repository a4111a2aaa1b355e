"""The options of ``secretmock serve``: one table, from which argparse is built.

Each row is one flag and the environment variable that stands in for it when the flag
is not given (the flag wins). Adding an option is adding a row: its parser, default
and help text serve both the flag and the variable, and ``serve --help`` lists both.

A variable's value goes through the same parser as the flag's; a bad one stops the
command with argparse's usage message and exit status 2, naming the variable.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from secretmock.engine.clock import parse_time
from secretmock.serve.protocol import IDLE_TIMEOUT_S

ENV_PREFIX = "SECRETMOCK_"
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


@dataclass(frozen=True)
class Option:
    """One ``serve`` option.

    ``kind`` is ``"value"`` (one value), ``"list"`` (the flag repeatable; the variable
    an ``os.pathsep``-separated list) or ``"switch"`` (a flag without value; the
    variable one of 1/true/yes/on or 0/false/no/off). ``parse`` turns one string into
    the value (raising ``ValueError`` or ``argparse.ArgumentTypeError`` when it cannot).
    """

    flag: str
    help: str
    parse: Callable[[str], Any] = str
    default: Any = None
    kind: str = "value"
    metavar: str | None = None
    choices: Sequence[str] | None = None

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.dest.upper()


def port(text: str) -> int:
    """A TCP port number; 0 asks the system for a free one."""
    number = int(text)
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"{text} is not a port number (0 to 65535)")
    return number


def seconds(text: str) -> float:
    """A positive number of seconds."""
    number = float(text)
    if not number > 0 or number == float("inf"):
        raise argparse.ArgumentTypeError(f"{text} is not a positive number of seconds")
    return number


def byte_count(text: str) -> int:
    """A positive whole number of bytes."""
    number = int(text)
    if number <= 0:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number of bytes")
    return number


def moment(text: str) -> datetime:
    """An ISO-8601 time with its UTC offset (``2031-05-06T07:08:09Z``)."""
    try:
        return parse_time(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def switch(text: str) -> bool:
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise argparse.ArgumentTypeError(f"{text!r} is not one of 1/true/yes/on or 0/false/no/off")


def vendor_version(text: str) -> tuple[str, str]:
    """``NAME=VERSION``: serve vendor NAME as that version of its server."""
    name, equals, version = text.partition("=")
    if not equals or not name.strip() or not version.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=VERSION (e.g. langwatch=current)")
    return name.strip(), version.strip()


def serve_options(vendor_names: Sequence[str]) -> list[Option]:
    """Every option of ``secretmock serve``, in the order ``--help`` lists them."""
    return [
        Option("--host", "address to bind", default="127.0.0.1"),
        Option("--port", "port; 0 picks a free one (see --ready-file)", port, 8080),
        Option(
            "--fixtures",
            "fixtures file (repeatable); default: the embedded default fixtures",
            Path,
            kind="list",
            metavar="FILE",
        ),
        Option(
            "--vendor",
            "serve this vendor alone, at the root, for clients that cannot take a prefix",
            choices=vendor_names,
        ),
        Option("--seed", "seed for ids, for repeatable runs", int, metavar="N"),
        Option(
            "--vendor-version",
            "serve vendor NAME as an older server version (repeatable; default: each "
            "vendor's current server; versions in docs/vendors/NAME.md)",
            vendor_version,
            kind="list",
            metavar="NAME=VERSION",
        ),
        Option("--report", "write the JSON contract report at shutdown", Path, metavar="FILE"),
        Option(
            "--faults",
            "fault rules (a YAML list) loaded at start and after each reset; see docs/scenarios.md",
            Path,
            metavar="FILE",
        ),
        Option(
            "--clock",
            "start with the emulated clock frozen at this ISO-8601 time (e.g. "
            "2031-05-06T07:08:09Z)",
            moment,
            metavar="TIME",
        ),
        Option(
            "--state",
            "keep the whole state in FILE: loaded at start if it exists, written within a "
            "second of each change and at shutdown",
            Path,
            metavar="FILE",
        ),
        Option(
            "--ready-file",
            'once the server answers, write {"url": ..., "pid": ...} to FILE (atomically)',
            Path,
            metavar="FILE",
        ),
        Option(
            "--max-body",
            "largest request body, for every vendor and the admin API (a larger one gets "
            "413); default: each vendor's real limit where known, else 1 MiB",
            byte_count,
            metavar="BYTES",
        ),
        Option(
            "--idle-timeout",
            "close a connection whose client sends nothing for this many seconds while "
            "the server waits on it (before its request, or amid its headers or body)",
            seconds,
            IDLE_TIMEOUT_S,
            metavar="SECONDS",
        ),
        Option(
            "--admin-token",
            "make every admin call but health need 'Authorization: Bearer TOKEN'",
            metavar="TOKEN",
        ),
        Option(
            "--admin-open",
            "serve the admin API without a token on an address other than loopback "
            "(refused otherwise: anyone who reaches the address could read every secret)",
            switch,
            False,
            kind="switch",
        ),
        Option(
            "--access-log",
            "log each request (method, path, status, duration; never headers, bodies "
            "or query values) to stderr",
            switch,
            False,
            kind="switch",
        ),
        Option(
            "--log-level",
            "level of the server's own messages on stderr",
            default="warning",
            choices=LOG_LEVELS,
        ),
    ]


def add_options(parser: argparse.ArgumentParser, options: Sequence[Option]) -> None:
    """Adds each option to ``parser``; every default is ``None`` so that
    :func:`apply_environment` can tell a flag given from a flag left out."""
    for option in options:
        details = _help_text(option)
        if option.kind == "switch":
            parser.add_argument(option.flag, action="store_true", default=None, help=details)
            continue
        parser.add_argument(
            option.flag,
            type=option.parse,
            choices=option.choices,
            action="append" if option.kind == "list" else "store",
            metavar=option.metavar,
            default=None,
            help=details,
        )


def apply_environment(
    parser: argparse.ArgumentParser,
    args: argparse.Namespace,
    options: Sequence[Option],
    environ: Mapping[str, str] | None = None,
) -> None:
    """Fills each option left out on the command line from its variable, else from its
    default. A bad variable ends the command through ``parser.error`` (exit status 2)."""
    environ = os.environ if environ is None else environ
    for option in options:
        if getattr(args, option.dest) is not None:
            continue
        raw = environ.get(option.env)
        value = option.default if raw is None else _from_environment(parser, option, raw)
        setattr(args, option.dest, value)


def _from_environment(parser: argparse.ArgumentParser, option: Option, raw: str) -> Any:
    items = [p for p in raw.split(os.pathsep) if p] if option.kind == "list" else [raw]
    values = []
    for item in items:
        try:
            value = option.parse(item)
        except (ValueError, argparse.ArgumentTypeError) as exc:
            parser.error(f"{option.env}={raw!r}: {exc}")
        if option.choices is not None and value not in option.choices:
            parser.error(f"{option.env}={raw!r}: choose from {', '.join(option.choices)}")
        values.append(value)
    return values if option.kind == "list" else values[0]


def _help_text(option: Option) -> str:
    text = f"{option.help} [env {option.env}"
    if option.kind == "list":
        text += f", {os.pathsep!r}-separated"
    if option.kind == "switch":
        text += "=1 or 0"
    if option.default not in (None, False):
        text += f"; default {option.default}"
    return text + "]"
