"""The ``secretmock`` command: ``serve``, ``proxy``, ``drift replay``, ``report``,
``specs`` and ``--version``.

Built on click. Every option of ``serve`` can also be set by its ``SECRETMOCK_*``
variable (``envvar=``; the flag wins), and ``serve --help`` shows each variable and
default. A bad flag or variable is a usage error naming it (exit status 2); a file
that cannot be used (fixtures, faults, state, spec) stops the command with
``secretmock: <file>: <problem>`` (exit status 1).
"""

from __future__ import annotations

import ipaddress
import json
import math
import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from secretmock import __version__
from secretmock.drift.record import RecordingError
from secretmock.engine.clock import parse_time
from secretmock.engine.faults import FaultRuleError
from secretmock.engine.fixtures import FixtureError
from secretmock.engine.shared.backend import StoreURL, StoreURLError, store_url
from secretmock.engine.specs import SpecError
from secretmock.serve.settings import LOG_LEVELS, ServeSettings
from secretmock.serve.state_file import StateFileError
from secretmock.vendors import all_vendors
from secretmock.web.admin.guard import host_name

ENV_PREFIX = "SECRETMOCK_"
FILE_ERRORS = (SpecError, FixtureError, FaultRuleError, StateFileError, RecordingError)
"""A file the command was given (or a spec) cannot be used: exit status 1, no trace."""

Decorated = TypeVar("Decorated", bound=Callable[..., Any])


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command on ``argv`` (default: the process's arguments); its exit status."""
    try:
        status = command.main(
            args=list(argv) if argv is not None else None,
            prog_name="secretmock",
            standalone_mode=False,
        )
        sys.stdout.flush()  # a closed pipe shows here, not in Python's flush at exit
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.Abort:
        print("secretmock: aborted", file=sys.stderr)
        return 1
    except FILE_ERRORS as exc:
        print(f"secretmock: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader of stdout stopped early (``secretmock specs | head``): nothing left
        # to say, and Python's own flush at exit must not fail again on the closed pipe.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return int(status or 0)


@click.group(
    help="An offline emulator of the secrets-management APIs of Prisme.ai, LangWatch, "
    "Instabase AI Hub, InsForge and Fireworks AI, checked against each vendor's OpenAPI "
    "spec.",
    epilog="'secretmock COMMAND --help' tells more about each command; the README has "
    "examples of every way to use it.",
)
@click.version_option(__version__, prog_name="secretmock", message="%(prog)s %(version)s")
def command() -> None:
    pass


# -- value types --------------------------------------------------------------------------


class Port(click.IntRange):
    """A TCP port number; 0 asks the system for a free one."""

    name = "port number"

    def __init__(self) -> None:
        super().__init__(0, 65535)


class ByteCount(click.IntRange):
    """A positive whole number of bytes."""

    name = "number of bytes"

    def __init__(self) -> None:
        super().__init__(min=1)


class StoreParam(click.ParamType):  # type: ignore[type-arg]
    """A ``--store`` URL: ``memory:``, ``sqlite:///PATH`` or ``redis://HOST:PORT/DB``."""

    name = "store URL"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, StoreURL):
            return value
        try:
            return store_url(str(value))
        except StoreURLError as exc:
            self.fail(str(exc).removeprefix("--store "), param, ctx)


class Seconds(click.FloatRange):
    """A positive, finite number of seconds."""

    name = "number of seconds"

    def __init__(self) -> None:
        super().__init__(min=0, min_open=True)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number of seconds", param, ctx)
        return number


# click 8.5 makes ParamType generic over (value, input); earlier releases cannot be
# subscripted at run time, hence the bare base and the ignore.
class Moment(click.ParamType):  # type: ignore[type-arg]
    """An ISO-8601 time with its UTC offset (``2031-05-06T07:08:09Z``), in UTC."""

    name = "time"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, datetime):
            return value
        try:
            return parse_time(value)
        except ValueError as exc:
            self.fail(f"{value!r}: {exc}", param, ctx)


class VendorVersion(click.ParamType):  # type: ignore[type-arg]
    """``NAME=VERSION``: serve vendor NAME as that version of its server. The variable
    holds a list separated by ``os.pathsep``, as the fixtures' does."""

    name = "name=version"
    envvar_list_splitter = os.pathsep

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, tuple):
            return value
        name, equals, version = value.partition("=")
        if not equals or not name.strip() or not version.strip():
            self.fail(f"{value!r} is not NAME=VERSION (e.g. langwatch=current)", param, ctx)
        return name.strip(), version.strip()

    def split_envvar_value(self, rv: str) -> Sequence[str]:
        return [item for item in rv.split(os.pathsep) if item]


class PathList(click.Path):
    """A file path; the variable holds a list separated by ``os.pathsep`` (``:``, or
    ``;`` on Windows), empty items skipped."""

    def __init__(self) -> None:
        super().__init__(path_type=Path, dir_okay=False)

    def split_envvar_value(self, rv: str) -> Sequence[str]:
        return [item for item in rv.split(os.pathsep) if item]


class HostName(click.ParamType):  # type: ignore[type-arg]
    """A host name or IP address as a ``Host`` header names it (no port; an IPv6
    address with or without its brackets); the variable: names separated by commas or
    spaces."""

    name = "name"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        text = value.strip()
        inner = text[1:-1] if text.startswith("[") and text.endswith("]") else text
        name = host_name(f"[{inner}]" if _is_ipv6(inner) else inner)
        if name is None or (":" in text and not _is_ipv6(inner)):
            self.fail(f"{value!r} is not a host name (give it without a port)", param, ctx)
        return name

    def split_envvar_value(self, rv: str) -> Sequence[str]:
        return rv.replace(",", " ").split()


def _is_ipv6(text: str) -> bool:
    try:
        return isinstance(ipaddress.ip_address(text), ipaddress.IPv6Address)
    except ValueError:
        return False


FILE = click.Path(path_type=Path, dir_okay=False)


# -- serve ---------------------------------------------------------------------------------


def option(flag: str, **details: Any) -> Callable[[Decorated], Decorated]:
    """A ``serve`` option with its variable: ``--ready-file`` is ``SECRETMOCK_READY_FILE``
    (unless ``envvar`` names another: the plural of a repeatable option's flag)."""
    details.setdefault("envvar", ENV_PREFIX + flag.removeprefix("--").replace("-", "_").upper())
    return click.option(flag, show_envvar=True, **details)


DEFAULTS = ServeSettings()


@command.command(
    help="Serve the emulator over HTTP. Every option can also be set by the environment "
    "variable shown with it; the option wins over the variable.",
    short_help="serve the emulator over HTTP",
)
@option("--host", default=DEFAULTS.host, show_default=True, metavar="ADDR", help="address to bind")
@option(
    "--port",
    type=Port(),
    default=DEFAULTS.port,
    show_default=True,
    metavar="N",
    help="port; 0 picks a free one (see --ready-file)",
)
@option(
    "--fixtures",
    type=PathList(),
    multiple=True,
    metavar="FILE",
    help="fixtures file (repeatable; the variable: a list separated by "
    f"{os.pathsep!r}); default: the embedded default fixtures",
)
@option(
    "--vendor",
    type=click.Choice([v.name for v in all_vendors()]),
    help="serve this vendor alone, at the root, for clients that cannot take a prefix",
)
@option("--seed", type=int, metavar="N", help="seed for ids, for repeatable runs")
@option(
    "--vendor-version",
    type=VendorVersion(),
    multiple=True,
    metavar="NAME=VERSION",
    help="serve vendor NAME as an older server version (repeatable; the variable: a list "
    f"separated by {os.pathsep!r}; default: each vendor's current server; versions in "
    "docs/vendors/NAME.md)",
)
@option("--report", type=FILE, metavar="FILE", help="write the JSON contract report at shutdown")
@option(
    "--faults",
    type=FILE,
    metavar="FILE",
    help="fault rules (a YAML list) loaded at start and after each reset; see docs/scenarios.md",
)
@option(
    "--clock",
    type=Moment(),
    metavar="TIME",
    help="start with the emulated clock frozen at this ISO-8601 time (e.g. 2031-05-06T07:08:09Z)",
)
@option(
    "--state",
    type=FILE,
    metavar="FILE",
    help="keep the whole state in FILE: loaded at start if it exists, written within a "
    "second of each change and at shutdown",
)
@option(
    "--ready-file",
    type=FILE,
    metavar="FILE",
    help='once the server answers, write {"url": ..., "pid": ...} to FILE (atomically)',
)
@option(
    "--max-body",
    type=ByteCount(),
    metavar="BYTES",
    help="largest request body for every vendor (a larger one gets the vendor's 413); "
    "default: each vendor's real limit where known, else 1 MiB",
)
@option(
    "--admin-max-body",
    type=ByteCount(),
    default=DEFAULTS.admin_max_body,
    show_default=True,
    metavar="BYTES",
    help="largest admin API request body (a larger one gets 413), room for the state "
    "documents PUT /__admin__/state restores",
)
@option(
    "--journal-max-bytes",
    type=ByteCount(),
    default=DEFAULTS.journal_max_bytes,
    show_default=True,
    metavar="BYTES",
    help="the memory the journal of requests may take",
)
@option(
    "--idle-timeout",
    type=Seconds(),
    default=DEFAULTS.idle_timeout,
    show_default=True,
    metavar="SECONDS",
    help="close a connection whose client sends nothing for this many seconds while the "
    "server waits on it (before its request, or amid its headers or body)",
)
@option(
    "--request-timeout",
    type=Seconds(),
    default=DEFAULTS.request_timeout,
    show_default=True,
    metavar="SECONDS",
    help="answer 408 and close the connection of a request whose headers and body are not "
    "all in this many seconds after its first byte",
)
@option(
    "--max-connections",
    type=click.IntRange(min=1),
    default=DEFAULTS.max_connections,
    show_default=True,
    metavar="N",
    help="connections open at once; one more is answered 503 and closed",
)
@option(
    "--admin-token",
    metavar="TOKEN",
    help="make every admin call but health need 'Authorization: Bearer TOKEN'",
)
@option(
    "--admin-open",
    is_flag=True,
    help="serve the admin API without a token on an address other than loopback (refused "
    "otherwise: anyone who reaches the address could read every secret)",
)
@option(
    "--allowed-host",
    type=HostName(),
    multiple=True,
    envvar="SECRETMOCK_ALLOWED_HOSTS",
    metavar="NAME",
    help="without an admin token, the admin API answers requests to loopback names only "
    "(127.0.0.1, [::1], localhost; against DNS rebinding): also answer those to NAME, any "
    "port (repeatable; the variable: names separated by commas or spaces)",
)
@option(
    "--access-log",
    is_flag=True,
    help="log each request (method, path, status, duration; never headers, bodies or query "
    "values) to stderr",
)
@option(
    "--log-level",
    type=click.Choice(LOG_LEVELS),
    default=DEFAULTS.log_level,
    show_default=True,
    help="level of the server's own messages on stderr",
)
@option(
    "--store",
    type=StoreParam(),
    default=DEFAULTS.store.text,
    show_default=True,
    metavar="URL",
    help="where the state lives: memory: (this process), sqlite:///PATH (a database the "
    "workers of one host share, durable; replaces --state) or redis://HOST:PORT/DB; a "
    "store that holds state is served as it is",
)
@option(
    "--workers",
    type=click.IntRange(min=1),
    default=DEFAULTS.workers,
    show_default=True,
    metavar="N",
    help="serve with N worker processes on the one port (more than 1 needs a shared "
    "--store; see docs/scaling.md)",
)
# -- sandboxes (issue 16) --
@option(
    "--max-sandboxes",
    type=click.IntRange(min=0),
    default=DEFAULTS.max_sandboxes,
    show_default=True,
    metavar="N",
    help="most sandboxes at once (POST /__admin__/sandboxes answers 429 beyond); 0: none",
)
@option(
    "--sandbox-max-ttl",
    type=click.IntRange(min=1),
    default=DEFAULTS.sandbox_max_ttl,
    show_default=True,
    metavar="SECONDS",
    help="longest idle expiry a sandbox may ask for (its ttl_seconds; default 3600)",
)
def serve(**options: Any) -> int:
    from secretmock.serve.standalone import serve as run

    return run(ServeSettings(**options))  # journal_max_bytes among them: see standalone


# -- proxy and drift replay -----------------------------------------------------------------


class UpstreamUrl(click.ParamType):  # type: ignore[type-arg]
    """``VENDOR=URL``: forward vendor VENDOR's requests to URL, its base URL as a client
    is given it (http or https). The variable holds a list separated by spaces."""

    name = "vendor=url"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, tuple):
            return value
        vendor, equals, url = value.partition("=")
        vendor, url = vendor.strip(), url.strip()
        known = [v.name for v in all_vendors()]
        if not equals or vendor not in known:
            self.fail(
                f"{value!r} is not VENDOR=URL with VENDOR one of {', '.join(known)}", param, ctx
            )
        scheme, _, rest = url.partition("://")
        if scheme.lower() not in ("http", "https") or not rest.split("/")[0]:
            self.fail(f"{url!r} is not an http or https URL", param, ctx)
        return vendor, url


def drift_outputs(function: Decorated) -> Decorated:
    """The drift reports' options, shared by ``proxy`` and ``drift replay``."""
    for flag, what in reversed(
        [
            ("--drift-report", "the drift report (JSON)"),
            ("--drift-junit", "the drift report as JUnit XML (breaking findings fail)"),
            ("--drift-html", "the drift report as one static HTML page"),
        ]
    ):
        function = option(flag, type=FILE, metavar="FILE", help=f"write {what} here")(function)
    return function


@command.command(
    help="Serve as 'serve' does, each vendor with an --upstream forwarded to it: the client "
    "gets the upstream's answer, and a shadow emulator answers the same request to find "
    "where the two differ (docs/drift.md). Every option of 'serve' applies; the drift "
    "reports are written at shutdown (SIGINT or SIGTERM).",
    short_help="forward to the real vendors and compare their answers with the emulator's",
)
@option(
    "--upstream",
    type=UpstreamUrl(),
    multiple=True,
    required=True,
    metavar="VENDOR=URL",
    help="forward VENDOR to URL, its base URL (e.g. fireworks=https://api.fireworks.ai); "
    "repeatable, one per vendor",
)
@option(
    "--upstream-timeout",
    type=Seconds(),
    default=30.0,
    show_default=True,
    metavar="SECONDS",
    help="give up on an upstream after this many seconds (the client gets the vendor's 502)",
)
@option(
    "--record",
    type=FILE,
    metavar="FILE",
    help="write one JSON line per exchange, secrets and credentials digested, for "
    "'secretmock drift replay'",
)
@drift_outputs
def proxy(
    upstream: tuple[tuple[str, str], ...],
    upstream_timeout: float,
    record: Path | None,
    drift_report: Path | None,
    drift_junit: Path | None,
    drift_html: Path | None,
    **options: Any,
) -> int:
    from secretmock.serve.proxy import DriftOutputs, ProxySettings
    from secretmock.serve.proxy import proxy as run

    outputs = DriftOutputs(drift_report, drift_junit, drift_html)
    proxied = ProxySettings(upstream, upstream_timeout, record, outputs)
    return run(ServeSettings(**options), proxied)


proxy.params += serve.params  # every option of serve, with its variable


@command.group(help="Work with drift-check recordings (docs/drift.md).")
def drift() -> None:
    pass


@drift.command(
    help="Compare a recording made by 'secretmock proxy --record' with a fresh emulator, "
    "offline (no credentials, no network); exit 1 when a finding is breaking.",
    short_help="compare a recording with a fresh emulator; exit 1 on a breaking finding",
)
@click.argument("recording", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@drift_outputs
@click.option(
    "--fixtures",
    type=PathList(),
    multiple=True,
    metavar="FILE",
    help="the fixtures the proxy had (repeatable); default: the embedded default fixtures",
)
@click.option(
    "--vendor-version",
    type=VendorVersion(),
    multiple=True,
    metavar="NAME=VERSION",
    help="the server versions the proxy had (repeatable)",
)
def replay(
    recording: Path,
    drift_report: Path | None,
    drift_junit: Path | None,
    drift_html: Path | None,
    fixtures: tuple[Path, ...],
    vendor_version: tuple[tuple[str, str], ...],
) -> int:
    from secretmock.serve.proxy import DriftOutputs
    from secretmock.serve.proxy import replay as run

    settings = ServeSettings(fixtures=fixtures, vendor_version=vendor_version)
    return run(recording, settings, DriftOutputs(drift_report, drift_junit, drift_html))


# -- report --------------------------------------------------------------------------------


@command.command(
    help="Fetch a running server's contract report; exit 1 on any violation.",
    short_help="fetch a running server's contract report; exit 1 on any violation",
)
@click.option("--url", required=True, help="the server's root URL")
@click.option("--junit", type=FILE, metavar="FILE", help="write JUnit XML here")
@click.option("--json", "json_file", type=FILE, metavar="FILE", help="write the JSON report here")
@click.option(
    "--html", type=FILE, metavar="FILE", help="write the report as one static HTML page here"
)
@click.option(
    "--admin-token",
    envvar="SECRETMOCK_ADMIN_TOKEN",
    show_envvar=True,
    metavar="TOKEN",
    help="the server's admin token, if it has one",
)
def report(
    url: str, junit: Path | None, json_file: Path | None, html: Path | None, admin_token: str | None
) -> int:
    """Exit status 0 without violations, 1 with, 2 when the report cannot be had or a
    file asked for could not be written there (checked before anything is fetched)."""
    from secretmock.report import junit_xml
    from secretmock.report.fetch import ReportUnavailable, fetch_report, summary_lines
    from secretmock.report.html import report_html
    from secretmock.serve.files import unwritable_reason, write_atomically

    asked: list[tuple[str, Path | None, Callable[[Any], str]]] = [
        ("--json", json_file, lambda found: json.dumps(found, indent=2)),
        ("--junit", junit, junit_xml),
        ("--html", html, report_html),
    ]
    outputs = [(flag, path, render) for flag, path, render in asked if path is not None]
    for flag, path, _ in outputs:
        reason = unwritable_reason(path)
        if reason is not None:
            print(
                f"secretmock: {path}: cannot write the {flag} file there: {reason}", file=sys.stderr
            )
            return 2
    try:
        found = fetch_report(url, admin_token)
    except ReportUnavailable as exc:
        print(f"secretmock: {exc}", file=sys.stderr)
        return 2
    for flag, path, render in outputs:
        try:
            write_atomically(path, render(found))
        except OSError as exc:
            print(f"secretmock: {path}: cannot write the {flag} file: {exc}", file=sys.stderr)
            return 2
    print(*summary_lines(found), sep="\n")
    return 1 if found["violations"] else 0


# -- specs ---------------------------------------------------------------------------------


@command.command(
    help="Validate the specs and list their operations (exit 1 if one is not implemented).",
    short_help="validate the specs and list their operations",
)
def specs() -> int:
    from secretmock.engine.specs import check_spec_file, load_spec
    from secretmock.engine.validation import SpecValidator
    from secretmock.resources import spec_path

    status = 0
    for vendor in all_vendors():
        try:
            check_spec_file(spec_path(vendor.spec_file))
            spec = load_spec(spec_path(vendor.spec_file))
            SpecValidator(spec, vendor.name)  # every operation compiles, or SpecError
        except SpecError as exc:
            print(f"{vendor.name}: INVALID: {exc}")
            status = 1
            continue
        print(f"{vendor.name}: {spec.path.name} valid ({spec.document.get('openapi')})")
        for op in spec.operations:
            state = "implemented" if op.operation_id in vendor.handlers else "NOT IMPLEMENTED"
            print(f"  {op.method.upper():<7} {op.path_template:<60} {op.operation_id:<30} {state}")
            if state != "implemented":
                status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
