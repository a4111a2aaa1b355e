"""The ``secretmock`` command: ``serve``, ``report``, ``specs`` and ``--version``."""

from __future__ import annotations

import argparse
import gc
import ipaddress
import json
import os
import socket
import sys
import threading
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from secretmock import __version__
from secretmock.cli_options import add_options, apply_environment, serve_options
from secretmock.engine.clock import format_time
from secretmock.engine.emulator import Emulator
from secretmock.engine.faults import FaultRuleError, load_fault_file
from secretmock.engine.fixtures import FixtureError
from secretmock.engine.specs import SpecError, check_spec_file, load_spec
from secretmock.engine.validation import SpecValidator
from secretmock.engine.vendor_api import CURRENT_VERSION
from secretmock.resources import default_fixtures_path, spec_path
from secretmock.serve.state_file import StateFileError, load_state_file, writer_for
from secretmock.vendors import all_vendors

if TYPE_CHECKING:
    from starlette.types import ASGIApp

WARM_UP_AFTER_S = 1.0


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    if args.command == "serve":
        apply_environment(parser, args, serve_options([v.name for v in all_vendors()]))
    try:
        status = int(args.run(args))
        sys.stdout.flush()  # a closed pipe shows here, not in Python's flush at exit
        return status
    except (SpecError, FixtureError, FaultRuleError, StateFileError) as exc:
        print(f"secretmock: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader of stdout stopped early (``secretmock specs | head``): nothing left
        # to say, and Python's own flush at exit must not fail again on the closed pipe.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="secretmock",
        description="An offline emulator of the secrets-management APIs of Prisme.ai, "
        "LangWatch, Instabase AI Hub, InsForge and Fireworks AI, checked against each "
        "vendor's OpenAPI spec.",
        epilog="'secretmock COMMAND --help' tells more about each command; the README "
        "has examples of every way to use it.",
    )
    parser.add_argument("--version", action="version", version=f"secretmock {__version__}")
    commands = parser.add_subparsers(dest="command")
    serve = commands.add_parser(
        "serve",
        help="serve the emulator over HTTP",
        description="Serve the emulator over HTTP. Every option can also be set by the "
        "environment variable named in brackets; the option wins over the variable.",
    )
    add_options(serve, serve_options([v.name for v in all_vendors()]))
    serve.set_defaults(run=_serve)
    report = commands.add_parser(
        "report", help="fetch a running server's contract report; exit 1 on any violation"
    )
    report.add_argument("--url", required=True, help="the server's root URL")
    report.add_argument("--junit", type=Path, metavar="FILE", help="write JUnit XML here")
    report.add_argument("--json", type=Path, metavar="FILE", help="write the JSON report here")
    report.add_argument(
        "--html", type=Path, metavar="FILE", help="write the report as one static HTML page here"
    )
    report.add_argument(
        "--admin-token",
        default=os.environ.get("SECRETMOCK_ADMIN_TOKEN"),
        metavar="TOKEN",
        help="the server's admin token, if it has one [env SECRETMOCK_ADMIN_TOKEN]",
    )
    report.set_defaults(run=_report)
    specs = commands.add_parser("specs", help="validate the specs and list their operations")
    specs.set_defaults(run=_specs)
    return parser


def _serve(args: argparse.Namespace) -> int:
    from secretmock.engine.sources import Sources
    from secretmock.serve import standalone
    from secretmock.serve.protocol import ConnectionLimits
    from secretmock.web.app import build_app

    fixture_files = args.fixtures or [default_fixtures_path()]
    emulator = Emulator(
        all_vendors(),
        fixture_files,
        Sources(seed=args.seed),
        only_vendor=args.vendor,
        max_body_bytes=args.max_body,
        vendor_versions=dict(args.vendor_version or ()),
    )
    refusal = admin_refusal(args.host, args.admin_token, args.admin_open)
    if refusal is not None:
        print(f"secretmock: {refusal}", file=sys.stderr)
        return 2
    scenario = _set_scenario(emulator, args)
    app: ASGIApp = build_app(emulator, only_vendor=args.vendor, admin_token=args.admin_token)
    if args.access_log:
        from secretmock.serve.access_log import AccessLog, access_logger

        app = AccessLog(app, access_logger())
    try:
        sock = standalone.bind(args.host, args.port)
    except OSError as exc:
        print(f"secretmock: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    _print_banner(emulator, standalone.root_url(sock), args.vendor)
    print(*scenario, sep="\n", flush=True)
    # Start-up built a large, long-lived heap (specs, validators). Out of the collector's
    # sight it is no longer walked by every full collection: without this, those pauses
    # put p99 latency at tens of milliseconds (see make bench).
    gc.collect()
    gc.freeze()
    warm_up = threading.Timer(WARM_UP_AFTER_S, _warm_up, args=(emulator,))
    warm_up.daemon = True
    warm_up.start()
    state_writer = writer_for(emulator, args.state).start() if args.state else None
    limits = ConnectionLimits(idle_timeout=args.idle_timeout)
    standalone.run(app, sock, args.log_level, args.ready_file, limits)
    if args.report:
        from secretmock.report import build_report

        report = json.dumps(build_report(emulator), indent=2)
        standalone.write_atomically(args.report, report)
    if state_writer is not None:
        state_writer.stop()  # and writes what changed since its last write
    return 0


def admin_refusal(host: str, token: str | None, admin_open: bool) -> str | None:
    """Why ``serve`` must not start on ``host`` (``None``: it may). An address other
    than loopback with neither an admin token nor ``--admin-open`` is refused: anyone
    who reaches it could read every secret through the admin API."""
    if token or admin_open or _is_loopback(host):
        return None
    return (
        f"refusing to serve the admin API on {host} without a token: anyone who can reach "
        f"{host} could read and change every secret. Pass --admin-token TOKEN (or set "
        "SECRETMOCK_ADMIN_TOKEN); or --admin-open (SECRETMOCK_ADMIN_OPEN=1) to serve it open "
        "anyway; or bind to 127.0.0.1."
    )


def _is_loopback(host: str) -> bool:
    """Whether every address ``host`` names is a loopback address (no bind, no traffic:
    a name is resolved locally; one that does not resolve is not loopback)."""
    try:
        found = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return False
    return bool(found) and all(ipaddress.ip_address(a[4][0]).is_loopback for a in found)


def _set_scenario(emulator: Emulator, args: argparse.Namespace) -> list[str]:
    """``--faults``, ``--state`` (loaded if the file exists) and ``--clock`` (which wins
    over a clock the state file holds; without a state file, the fixtures are made at
    that time); raises naming the file and the problem. Returns a line for the banner
    per option given."""
    lines = []
    if args.faults:
        emulator.set_startup_faults(load_fault_file(args.faults), where=str(args.faults))
        lines.append(f"  fault rules: {len(emulator.startup_faults)} from {args.faults}")
    loaded = bool(args.state) and load_state_file(emulator, args.state)
    if args.clock:
        emulator.clock.freeze_at(args.clock)
        if not loaded:
            emulator.load_fixtures()  # made at the emulated time, not the real one
        lines.append(f"  clock: frozen at {format_time(args.clock)}")
    if args.state:
        how = "loaded from" if loaded else "new (from the fixtures), kept in"
        lines.append(f"  state: {how} {args.state}")
    return lines


def _warm_up(emulator: Emulator) -> None:
    """Warms the emulator up once the server is up, so that neither start-up nor the
    first refused request waits for it; then freezes that heap too."""
    emulator.warm_up()
    gc.collect()
    gc.freeze()


def _print_banner(emulator: Emulator, root: str, only_vendor: str | None) -> None:
    """The root URL, then each vendor's base URL and the credentials its tenants hold
    (the loaded fixtures' tokens, never a secret value)."""
    print(f"secretmock {__version__} on {root}  (dashboard: {root}/__admin__/)")
    for name, pipeline in emulator.pipelines.items():
        base_path = pipeline.spec.base_path if only_vendor else pipeline.base_path
        version = pipeline.vendor.version
        shown = "" if version == CURRENT_VERSION else f"  (server version {version})"
        print(f"  {name:<10} base URL {root}{base_path}{shown}")
        for fixture in emulator.fixtures:
            if fixture.vendor == name:
                for cred in fixture.entry.get("credentials") or []:
                    role = cred.get("role", "admin")
                    token = cred["token"]
                    print(f"{'':13}tenant {fixture.tenant_id!r}: token {token} ({role})")
    sys.stdout.flush()


def _report(args: argparse.Namespace) -> int:
    from secretmock.report import junit_xml

    url = args.url.rstrip("/") + "/__admin__/report"
    asked = urllib.request.Request(url)
    if args.admin_token:
        asked.add_header("Authorization", f"Bearer {args.admin_token}")
    try:
        with urllib.request.urlopen(asked, timeout=30) as response:
            report = json.loads(response.read())
    except (OSError, ValueError) as exc:
        print(f"secretmock: cannot fetch {url}: {exc}", file=sys.stderr)
        return 2
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    if args.junit:
        args.junit.write_text(junit_xml(report))
    if args.html:
        from secretmock.report.html import report_html

        args.html.write_text(report_html(report), encoding="utf-8")
    count = len(report["violations"])
    for name, vendor in report["vendors"].items():
        print(f"{name}: {vendor['exercised']}/{vendor['total']} operations exercised")
    print(f"{count} contract violation(s)")
    return 1 if count else 0


def _specs(args: argparse.Namespace) -> int:
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
