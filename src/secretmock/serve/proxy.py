"""``secretmock proxy`` and ``secretmock drift replay``: the drift check as a process.

``proxy`` is ``serve`` (the same options, banner, ready file, signals and shutdown) with
the proxied vendors in front (:mod:`secretmock.web.proxy_app`): each request to a vendor
with an upstream goes to the real vendor, and the same request to a shadow emulator and
its twin, made here from the proxy's ``--fixtures``, ``--seed``, ``--vendor-version``
and ``--max-body`` (not its faults, state or clock: the shadow follows the real vendor,
not the scenario). The files it writes (``--record``, ``--drift-report``,
``--drift-junit``, ``--drift-html``) are checked writable before anything is served; the
reports are written at shutdown (SIGINT or SIGTERM), once the server has served.

``drift replay`` runs a recording through a fresh shadow and twin, offline, and writes
the same reports; its exit status says whether a finding is breaking.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from secretmock.drift import DriftChecker
from secretmock.drift.profiles import profiles_of
from secretmock.drift.record import Recorder, read_recording
from secretmock.drift.report import breaking, describe, junit_xml, report_html
from secretmock.engine.emulator import Emulator
from secretmock.engine.sources import Sources
from secretmock.resources import default_fixtures_path
from secretmock.serve import standalone
from secretmock.serve.files import unwritable, write_atomically
from secretmock.serve.settings import ServeSettings, admin_refusal
from secretmock.vendors import all_vendors
from secretmock.web.proxy_app import (
    DEFAULT_TIMEOUT_S,
    DriftProxy,
    ProxiedVendor,
    Upstream,
)
from secretmock.web.upstream_client import UpstreamClient

if TYPE_CHECKING:
    from starlette.types import ASGIApp

TWIN_CLOCK_OFFSET = timedelta(seconds=2.5)
"""How far ahead of the shadow's clock the twin's runs: times that differ are noise."""
SHADOW_JOURNAL_BYTES = 4 * 1024 * 1024
"""The shadow's journal is read by no one but the drift check: kept small."""
MAX_BREAKING_SHOWN = 50


@dataclass(frozen=True)
class DriftOutputs:
    """The drift reports to write: JSON (``--drift-report``), JUnit XML and HTML."""

    report: Path | None = None
    junit: Path | None = None
    html: Path | None = None

    def flags(self) -> list[tuple[str, Path | None]]:
        return [
            ("--drift-report", self.report),
            ("--drift-junit", self.junit),
            ("--drift-html", self.html),
        ]

    def write(self, document: Mapping[str, Any]) -> bool:
        """Writes each report asked for, each whatever became of the others; whether all
        are on disk (a failure is said on stderr, naming the file)."""
        made: list[tuple[Path | None, Callable[[dict[str, Any]], str]]] = [
            (self.report, lambda d: json.dumps(d, indent=2)),
            (self.junit, junit_xml),
            (self.html, report_html),
        ]
        written = True
        for path, text in made:
            if path is None:
                continue
            try:
                write_atomically(path, text(dict(document)))
            except OSError as exc:
                _say(f"{path}: cannot write the drift report: {exc}")
                written = False
        return written


@dataclass(frozen=True)
class ProxySettings:
    """The options ``proxy`` has beyond ``serve``'s (see ``secretmock proxy --help``)."""

    upstream: tuple[tuple[str, str], ...]
    """(vendor, base URL) of each proxied vendor."""
    upstream_timeout: float = DEFAULT_TIMEOUT_S
    record: Path | None = None
    outputs: DriftOutputs = DriftOutputs()


def proxy(settings: ServeSettings, proxied: ProxySettings) -> int:
    """Serves as ``serve`` does, the upstreams' vendors proxied and checked, until a
    signal; the exit status (2: refused at start-up; 1: the port cannot be bound, or a
    report could not be written)."""
    upstreams = {vendor: Upstream(vendor, url) for vendor, url in proxied.upstream}
    refusal = _refusal(settings, proxied, upstreams)
    if refusal is not None:
        _say(refusal)
        return 2
    shadow, twin = shadow_emulators(settings, upstreams)
    recording = proxied.record.open("w", encoding="utf-8") if proxied.record else None
    try:
        profiles = profiles_of(p.vendor for p in shadow.pipelines.values())
        recorder = Recorder(recording, profiles) if recording else None
        checker = DriftChecker(shadow, twin, recorder=recorder)
        wrapper = _Wrapper(settings, upstreams, checker, proxied.upstream_timeout)
        for upstream in upstreams.values():
            print(f"drift check: {upstream.vendor} forwarded to {upstream.url}", flush=True)
        status = standalone.serve(settings, wrapper)
    finally:
        if recording is not None:
            recording.close()
    if wrapper.proxy is None or not wrapper.proxy.started:
        return status
    document = checker.report.document()
    print(summary(document), flush=True)
    return status if proxied.outputs.write(document) else 1


class _Wrapper:
    """Builds the proxy in front of the app ``serve`` builds, and keeps it."""

    def __init__(
        self,
        settings: ServeSettings,
        upstreams: Mapping[str, Upstream],
        checker: DriftChecker,
        timeout: float,
    ) -> None:
        self._settings = settings
        self._upstreams = upstreams
        self._checker = checker
        self._timeout = timeout
        self.proxy: DriftProxy | None = None

    def __call__(self, emulator: Emulator, inner: ASGIApp) -> ASGIApp:
        self.proxy = build_proxy(
            emulator, inner, self._upstreams, self._checker, self._timeout, self._settings.vendor
        )
        return self.proxy


def build_proxy(
    emulator: Emulator,
    inner: ASGIApp,
    upstreams: Mapping[str, Upstream],
    checker: DriftChecker,
    timeout: float = DEFAULT_TIMEOUT_S,
    only_vendor: str | None = None,
) -> DriftProxy:
    """``inner`` (the app ``serve`` builds over ``emulator``) with ``upstreams``'
    vendors proxied in front, checked by ``checker``."""
    client = UpstreamClient(timeout)
    proxied = {
        name: ProxiedVendor(emulator.pipelines[name], upstream, checker, client)
        for name, upstream in upstreams.items()
    }
    prefixes = {
        name: "" if only_vendor else emulator.pipelines[name].vendor.prefix for name in upstreams
    }
    return DriftProxy(inner, proxied, prefixes, checker, client)


def shadow_emulators(
    settings: ServeSettings, vendors: Iterable[str], seed: int | str | None = None
) -> tuple[Emulator, Emulator]:
    """The shadow and its twin for ``vendors``: the proxy's fixtures, vendor versions
    and body limit; the twin with another seed and its clock ahead."""
    names = set(vendors)
    fixtures = list(settings.fixtures) or [default_fixtures_path()]
    versions = {n: v for n, v in settings.vendor_version if n in names}
    base = settings.seed if seed is None else seed

    def made(seed: int | str | None) -> Emulator:
        return Emulator(
            all_vendors(),
            fixtures,
            Sources(seed=seed),
            only_vendor=names,
            max_body_bytes=settings.max_body,
            vendor_versions=versions,
            journal_max_bytes=SHADOW_JOURNAL_BYTES,
        )

    shadow = made(base)
    twin = made(None if base is None else f"{base}-twin")
    twin.clock.advance(TWIN_CLOCK_OFFSET)
    twin.load_fixtures()  # made at the twin's own time
    return shadow, twin


def replay(
    recording: Path, settings: ServeSettings, outputs: DriftOutputs, out: IO[str] = sys.stdout
) -> int:
    """``drift replay``: the recording through a fresh shadow and twin (``settings``:
    the fixtures, seed and vendor versions the proxy had); 1 when a finding is
    breaking, 2 when a report cannot be written there, else 0. A recording that cannot
    be read raises :class:`~secretmock.drift.record.RecordingError` naming the line."""
    refusal = unwritable(outputs.flags())
    if refusal is not None:
        _say(refusal)
        return 2
    with recording.open(encoding="utf-8") as lines:
        exchanges = list(read_recording(lines))
    vendors = {exchange.vendor for exchange in exchanges}
    shadow, twin = shadow_emulators(settings, vendors, 1 if settings.seed is None else None)
    checker = DriftChecker(shadow, twin)
    for exchange in exchanges:
        checker.exchange(exchange.vendor, exchange.request, exchange.answer, exchange.tenancy)
    document = checker.report.document()
    print(summary(document), file=out)
    for finding in [f for f in document["findings"] if f["severity"] == "breaking"][
        :MAX_BREAKING_SHOWN
    ]:
        print(f"  {finding['vendor']} {describe(finding)}", file=out)
    if not outputs.write(document):
        return 2
    return 1 if breaking(document) else 0


def summary(document: Mapping[str, Any]) -> str:
    """One line: the exchanges checked and the findings by severity."""
    findings = document["findings"]
    by = {s: sum(1 for f in findings if f["severity"] == s) for s in ("breaking", "warning")}
    info = len(findings) - sum(by.values())
    return (
        f"drift check: {document['exchanges']} exchange(s), {len(findings)} finding(s): "
        f"{by['breaking']} breaking, {by['warning']} warning, {info} info"
    )


def _refusal(
    settings: ServeSettings, proxied: ProxySettings, upstreams: Mapping[str, Upstream]
) -> str | None:
    if len(upstreams) != len(proxied.upstream):
        return "each vendor takes one --upstream"
    if settings.vendor is not None and set(upstreams) != {settings.vendor}:
        others = ", ".join(sorted(set(upstreams) - {settings.vendor}))
        return f"--vendor {settings.vendor} serves that vendor alone: no upstream for {others}"
    record = [("--record", proxied.record)]
    return admin_refusal(settings.host, settings.admin_token, settings.admin_open) or unwritable(
        [*record, *proxied.outputs.flags()]
    )


def _say(message: str) -> None:
    print(f"secretmock: {message}", file=sys.stderr, flush=True)
