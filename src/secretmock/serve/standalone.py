"""``secretmock serve``: from its settings to a stopped server and the files it leaves.

Start-up builds the emulator and sets the scenario (``--faults``, ``--state``,
``--clock``), refuses what it cannot serve safely, binds the port, prints the banner,
then serves in the foreground until SIGINT or SIGTERM; shutdown writes ``--report``
and the last ``--state``.
"""

from __future__ import annotations

import gc
import json
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from secretmock.engine.clock import format_time
from secretmock.engine.emulator import Emulator
from secretmock.engine.faults import load_fault_file
from secretmock.engine.sources import Sources
from secretmock.resources import default_fixtures_path
from secretmock.serve import foreground
from secretmock.serve.banner import print_banner
from secretmock.serve.files import write_atomically
from secretmock.serve.protocol import ConnectionLimits
from secretmock.serve.settings import ServeSettings, admin_refusal
from secretmock.serve.state_file import load_state_file, writer_for
from secretmock.vendors import all_vendors
from secretmock.web.app import build_app

if TYPE_CHECKING:
    from starlette.types import ASGIApp

WARM_UP_AFTER_S = 1.0


AppWrapper = Callable[[Emulator, "ASGIApp"], "ASGIApp"]
"""Puts an app in front of the one ``serve`` builds (``secretmock proxy``'s vendors)."""


def serve(settings: ServeSettings, wrap: AppWrapper | None = None) -> int:
    """Serves until stopped by a signal; the exit status (2: refused at start-up; 1: the
    port cannot be bound). A fixtures, spec, faults or state file that cannot be used
    raises the error naming it. ``wrap``: what ``secretmock proxy`` puts in front of
    the vendors and the admin API (inside the access log)."""
    emulator = Emulator(
        all_vendors(),
        list(settings.fixtures) or [default_fixtures_path()],
        Sources(seed=settings.seed),
        only_vendor=settings.vendor,
        max_body_bytes=settings.max_body,
        vendor_versions=dict(settings.vendor_version),
    )
    refusal = admin_refusal(settings.host, settings.admin_token, settings.admin_open)
    if refusal is not None:
        print(f"secretmock: {refusal}", file=sys.stderr)
        return 2
    scenario = _set_scenario(emulator, settings)
    app: ASGIApp = build_app(
        emulator, only_vendor=settings.vendor, admin_token=settings.admin_token
    )
    if wrap is not None:
        app = wrap(emulator, app)
    if settings.access_log:
        from secretmock.serve.access_log import AccessLog, access_logger

        app = AccessLog(app, access_logger())
    try:
        sock = foreground.bind(settings.host, settings.port)
    except OSError as exc:
        print(
            f"secretmock: cannot listen on {settings.host}:{settings.port}: {exc}",
            file=sys.stderr,
        )
        return 1
    print_banner(emulator, foreground.root_url(sock), settings.vendor)
    print(*scenario, sep="\n", flush=True)
    _settle_heap(emulator)
    state_writer = writer_for(emulator, settings.state).start() if settings.state else None
    limits = ConnectionLimits(idle_timeout=settings.idle_timeout)
    foreground.run(app, sock, settings.log_level, settings.ready_file, limits)
    if settings.report:
        from secretmock.report import build_report

        write_atomically(settings.report, json.dumps(build_report(emulator), indent=2))
    if state_writer is not None:
        state_writer.stop()  # and writes what changed since its last write
    return 0


def _set_scenario(emulator: Emulator, settings: ServeSettings) -> list[str]:
    """``--faults``, ``--state`` (loaded if the file exists) and ``--clock`` (which wins
    over a clock the state file holds; without a state file, the fixtures are made at
    that time); raises naming the file and the problem. Returns a line for the banner
    per option given."""
    lines = []
    if settings.faults:
        emulator.set_startup_faults(load_fault_file(settings.faults), where=str(settings.faults))
        lines.append(f"  fault rules: {len(emulator.startup_faults)} from {settings.faults}")
    loaded = settings.state is not None and load_state_file(emulator, settings.state)
    if settings.clock:
        emulator.clock.freeze_at(settings.clock)
        if not loaded:
            emulator.load_fixtures()  # made at the emulated time, not the real one
        lines.append(f"  clock: frozen at {format_time(settings.clock)}")
    if settings.state:
        how = "loaded from" if loaded else "new (from the fixtures), kept in"
        lines.append(f"  state: {how} {settings.state}")
    return lines


def _settle_heap(emulator: Emulator) -> None:
    """Start-up built a large, long-lived heap (specs, validators). Out of the
    collector's sight it is no longer walked by every full collection: without this,
    those pauses put p99 latency at tens of milliseconds (see make bench). The warm-up,
    a second after start, does the same for what it builds."""
    gc.collect()
    gc.freeze()
    warm_up = threading.Timer(WARM_UP_AFTER_S, _warm_up, args=(emulator,))
    warm_up.daemon = True
    warm_up.start()


def _warm_up(emulator: Emulator) -> None:
    """Warms the emulator up once the server is up, so that neither start-up nor the
    first refused request waits for it; then freezes that heap too."""
    emulator.warm_up()
    gc.collect()
    gc.freeze()
