"""``secretmock serve``: from its settings to a stopped server and the files it leaves.

Start-up refuses what it cannot serve safely (an open admin API beyond loopback, a
file it would fail to write, a state file another server holds), builds the emulator
and sets the scenario (``--faults``, ``--state``, ``--clock``), binds the port, prints
the banner, then serves in the foreground until SIGINT or SIGTERM; shutdown writes the
last ``--state`` and ``--report``.
"""

from __future__ import annotations

import gc
import json
import socket
import sys
import threading
from collections.abc import Callable
from contextlib import ExitStack
from typing import TYPE_CHECKING

from secretmock.engine.clock import format_time
from secretmock.engine.emulator import Emulator
from secretmock.engine.faults import load_fault_file
from secretmock.engine.sandboxes import DEFAULT_TTL_SECONDS, Sandboxes
from secretmock.engine.shared import Backend, StoreError, make_backend
from secretmock.engine.sources import Sources
from secretmock.resources import default_fixtures_path
from secretmock.serve import foreground
from secretmock.serve.banner import print_banner
from secretmock.serve.files import unwritable, write_atomically
from secretmock.serve.protocol import ConnectionLimits
from secretmock.serve.settings import ServeSettings, admin_refusal, store_refusal
from secretmock.serve.state_file import (
    StateFileInUse,
    StateWriter,
    load_state_file,
    locked,
    writer_for,
)
from secretmock.serve.workers import BACKLOG, Supervisor, workers_refusal
from secretmock.vendors import all_vendors
from secretmock.web.app import build_app

if TYPE_CHECKING:
    from starlette.types import ASGIApp

WARM_UP_AFTER_S = 1.0


AppWrapper = Callable[[Emulator, "ASGIApp"], "ASGIApp"]
"""Puts an app in front of the one ``serve`` builds (``secretmock proxy``'s vendors)."""


def serve(settings: ServeSettings, wrap: AppWrapper | None = None) -> int:
    """Serves until stopped by a signal; the exit status. 2: refused at start-up (an
    open admin API beyond loopback, a file it could not write, a state file another
    server holds); 1: the port cannot be bound, or a file could not be written at
    shutdown (each said on stderr, naming it; one failed write never skips another).
    A fixtures, spec, faults or state file that cannot be used raises the error naming
    it, before anything is served. ``wrap``: what ``secretmock proxy`` puts in front of
    the vendors and the admin API (inside the access log)."""
    refusal = admin_refusal(settings.host, settings.admin_token, settings.admin_open)
    refusal = refusal or store_refusal(settings) or _workers_refusal(settings, wrap)
    refusal = refusal or unwritable_output(settings)
    if refusal is not None:
        _say(refusal)
        return 2
    with ExitStack() as held:
        if settings.state is not None:
            try:
                held.enter_context(locked(settings.state))
            except StateFileInUse as exc:
                _say(str(exc))
                return 2
        return _serve(settings, wrap)


def _workers_refusal(settings: ServeSettings, wrap: AppWrapper | None) -> str | None:
    if wrap is not None and settings.workers > 1:  # its drift report is one process's
        return "secretmock proxy serves with one process: give it --workers 1"
    if settings.workers > 1 and settings.state is not None:
        return (
            f"--state is written by one process, not by {settings.workers} workers: with "
            "--workers, keep the state in --store sqlite:///PATH (durable, shared by them)"
        )
    return workers_refusal(settings.workers, shared_store=settings.store.shared)


def unwritable_output(settings: ServeSettings) -> str | None:
    """Why one of the files the server will write (when ready, as it runs, at
    shutdown) cannot be written there; ``None`` when each can."""
    return unwritable(
        [
            ("--state", settings.state),
            ("--ready-file", settings.ready_file),
            ("--report", settings.report),
        ]
    )


def _serve(settings: ServeSettings, wrap: AppWrapper | None) -> int:
    emulator = Emulator(
        all_vendors(),
        list(settings.fixtures) or [default_fixtures_path()],
        Sources(seed=settings.seed),
        only_vendor=settings.vendor,
        max_body_bytes=settings.max_body,
        vendor_versions=dict(settings.vendor_version),
        # The journal's byte budget (--journal-max-bytes), enforced by the engine.
        journal_max_bytes=settings.journal_max_bytes,
    )
    scenario, loaded = _set_scenario(emulator, settings)
    backend = None
    if settings.store.shared:
        try:
            backend = _attach(emulator, settings)
        except StoreError as exc:
            _say(str(exc))
            return 2
        scenario.append(f"  store: {settings.store.text}")
    if settings.workers > 1:
        scenario.append(f"  workers: {settings.workers}")
        if settings.max_sandboxes:
            scenario.append(
                "  sandboxes: off (each worker would hold its own; --workers 1 serves them)"
            )
    try:
        return _serve_on(emulator, settings, wrap, scenario, loaded)
    finally:
        if backend is not None:
            backend.close()


def _attach(emulator: Emulator, settings: ServeSettings) -> Backend:
    """Opens the ``--store`` and serves from it: an empty store is seeded from what
    start-up built (fixtures, ``--faults``, ``--clock``); one holding state is served as
    it is. Raises :class:`StoreError` naming the store (then nothing is served)."""
    backend = make_backend(settings.store, journal_max_bytes=settings.journal_max_bytes)
    assert backend is not None
    backend.open()
    try:
        emulator.attach(backend)
    except BaseException:
        backend.close()
        raise
    return backend


def _serve_on(
    emulator: Emulator,
    settings: ServeSettings,
    wrap: AppWrapper | None,
    scenario: list[str],
    loaded: bool,
) -> int:
    app = _app(emulator, settings, wrap)
    try:
        sock = foreground.bind(settings.host, settings.port)
    except OSError as exc:
        _say(f"cannot listen on {settings.host}:{settings.port}: {exc}")
        return 1
    print_banner(emulator, foreground.root_url(sock), settings.vendor)
    print(*scenario, sep="\n", flush=True)
    if settings.workers > 1:
        return _serve_workers(emulator, app, sock, settings)
    _settle_heap(emulator)
    state_writer = None
    if settings.state is not None:
        state_writer = writer_for(emulator, settings.state, loaded).start()
    ready = False
    try:
        ready = foreground.run(
            app, sock, settings.log_level, settings.ready_file, _limits(settings)
        )
    finally:
        written = _write_at_shutdown(emulator, settings, state_writer)
    return 0 if ready and written else 1


def _serve_workers(
    emulator: Emulator, app: ASGIApp, sock: socket.socket, settings: ServeSettings
) -> int:
    """``--workers N``: the warm-up done here, before the workers are forked, so each
    starts warm and shares that heap; the reports written once, by this process."""
    emulator.warm_up()
    gc.collect()
    gc.freeze()
    sock.listen(BACKLOG)

    def serve_one(started: Callable[[], None]) -> bool:
        return foreground.run(
            app, sock, settings.log_level, None, _limits(settings), on_started=started
        )

    supervisor = Supervisor(
        settings.workers,
        serve_one,
        settings.ready_file,
        foreground.root_url(sock),
        after_fork=lambda: _reopen_store(emulator),
    )
    ready = False
    try:
        ready = supervisor.run()
    finally:
        written = _write_at_shutdown(emulator, settings, None)
    return 0 if ready and written else 1


def _max_sandboxes(settings: ServeSettings) -> int:
    """Sandboxes live in one process's memory, not yet in the store: with several
    workers a sandbox made on one would be unknown to the others, so none is made."""
    return 0 if settings.workers > 1 else settings.max_sandboxes


def _reopen_store(emulator: Emulator) -> None:
    """In a new worker: its own connections to the store, none of the parent's (a
    SQLite connection must not cross a fork; a socket shared by two processes would mix
    their answers)."""
    if emulator.shared is not None:
        emulator.shared.backend.close()
        emulator.shared.backend.open()


def _app(emulator: Emulator, settings: ServeSettings, wrap: AppWrapper | None) -> ASGIApp:
    app: ASGIApp = build_app(
        emulator,
        only_vendor=settings.vendor,
        admin_token=settings.admin_token,
        admin_max_body=settings.admin_max_body,
        allowed_hosts=settings.allowed_host,
        admin_open=settings.admin_open,
        sandboxes=Sandboxes(emulator.blueprint, _max_sandboxes(settings), settings.sandbox_max_ttl),
        default_ttl=min(DEFAULT_TTL_SECONDS, settings.sandbox_max_ttl),
    )
    if wrap is not None:
        app = wrap(emulator, app)
    if settings.access_log:
        from secretmock.serve.access_log import AccessLog, access_logger

        app = AccessLog(app, access_logger())
    return app


def _limits(settings: ServeSettings) -> ConnectionLimits:
    return ConnectionLimits(
        idle_timeout=settings.idle_timeout,
        request_timeout=settings.request_timeout,
        max_connections=settings.max_connections,
    )


def _write_at_shutdown(
    emulator: Emulator, settings: ServeSettings, state_writer: StateWriter | None
) -> bool:
    """The last ``--state`` write, then ``--report``: each tried whatever became of the
    other; whether both are on disk (a failure is said on stderr, naming the file)."""
    written = True
    if state_writer is not None:
        written = state_writer.stop()  # writes what changed since its last write
    if settings.report is not None:
        from secretmock.report import build_report

        try:
            write_atomically(settings.report, json.dumps(build_report(emulator), indent=2))
        except (OSError, StoreError) as exc:
            _say(f"{settings.report}: cannot write the report: {exc}")
            written = False
    return written


def _say(message: str) -> None:
    print(f"secretmock: {message}", file=sys.stderr, flush=True)


def _set_scenario(emulator: Emulator, settings: ServeSettings) -> tuple[list[str], bool]:
    """``--faults``, ``--state`` (loaded if the file exists) and ``--clock`` (which wins
    over a clock the state file holds; without a state file, the fixtures are made at
    that time); raises naming the file and the problem. Returns a line for the banner
    per option given, and whether the state was loaded from its file."""
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
    return lines, loaded


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
