"""A testing session without pytest: one emulator served on a free port of 127.0.0.1,
and a fresh :class:`~secretmock.testing.SecretMock` handle per test.

::

    with secretmock.start(seed=7, clock="2031-01-01T00:00:00Z") as session:
        mock = session.fresh()            # the state of the fixtures, no fault rule
        ...                               # requests to mock.url("fireworks")
        session.write_reports(json="secretmock.json", html="secretmock.html")

The pytest plugin is fixtures over this object (``secretmock_settings`` ->
``secretmock_session`` -> ``secretmock``; docs/pytest.md).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from secretmock.engine.clock import parse_time
from secretmock.engine.emulator import Emulator
from secretmock.engine.fixtures import FixtureError, load_fixture_files
from secretmock.engine.sources import Sources
from secretmock.report import build_report
from secretmock.resources import default_fixtures_path
from secretmock.serve.background import BackgroundServer
from secretmock.testing.mock import SecretMock
from secretmock.testing.reports import write_report_files
from secretmock.vendors import all_vendors
from secretmock.web.app import build_app


class SessionError(ValueError):
    """A session setting, or an option of :meth:`Session.fresh`, that cannot be used;
    the message names it."""


@dataclasses.dataclass(frozen=True)
class Settings:
    """What a session serves. ``replace(**changes)`` gives a copy with changes, as a
    suite's ``secretmock_settings`` fixture does with the plugin's."""

    fixtures: Sequence[str | Path] | None = None
    """Fixtures files; ``None``: the default fixtures; ``[]``: no tenant at all."""
    seed: int | str | None = None
    """Seeds the ids the vendors make, again at the start of every test, so each test
    sees the same ids whatever ran before it; ``None``: random."""
    clock: datetime | str | None = None
    """Every test starts with the clock frozen at this time (an aware datetime or an
    ISO-8601 string with its offset), and the fixtures made at it; ``None``: the real time."""
    vendors: Sequence[str] | None = None
    """The vendors to serve, by name; ``None``: all."""
    vendor_versions: Mapping[str, str] | None = None
    """The server version each named vendor emulates by default (docs/vendors/*.md)."""
    strict: bool = True
    """Contract mode: a test whose requests break a vendor's spec fails."""

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


class Session:
    """One emulator behind one background server, handing out a fresh handle per test.

    ``Session(settings)`` or ``Session(seed=..., clock=...)`` (the fields of
    :class:`Settings`); :class:`SessionError` names a setting that cannot be used. A
    context manager: it starts the server and stops it.
    """

    def __init__(self, settings: Settings | None = None, /, **fields: Any) -> None:
        self.settings = (settings or Settings()).replace(**fields)
        self._clock = _start_time(self.settings.clock)
        self.emulator = _emulator(self.settings)
        """The :class:`~secretmock.engine.emulator.Emulator` every handle drives."""
        self.server: BackgroundServer | None = None
        self._current: SecretMock | None = None

    @property
    def url(self) -> str:
        """The server's root URL (``http://127.0.0.1:PORT``) once started."""
        if self.server is None:
            raise RuntimeError("the secretmock session is not started: call start() first")
        return self.server.url

    def start(self) -> Session:
        """Serves the emulator on a free port of 127.0.0.1 (again: nothing happens)."""
        if self.server is None:
            self.server = BackgroundServer(build_app(self.emulator)).start()
        return self

    def stop(self) -> None:
        """Ends the current handle and stops the server."""
        self._end_current()
        if self.server is not None:
            self.server.stop()
            self.server = None

    def fresh(
        self,
        *,
        fixtures: str | Path | Sequence[str | Path] | None = None,
        strict: bool | None = None,
        vendor_versions: Mapping[str, str] | None = None,
        owner: str | None = None,
    ) -> SecretMock:
        """A handle on the state of the fixtures: the previous handle ended, every
        tenant rebuilt, no fault rule, the clock and the seed as the settings say.

        ``fixtures``: more fixtures files loaded after the reset (their tenants replace
        same-named ones); ``strict``: contract mode for this handle (default: the
        settings'); ``vendor_versions``: server versions for this handle, over the
        settings' (the next handle is back to those); ``owner`` names the test in the
        error a use of the handle after its end raises. :class:`SessionError` names a
        bad option."""
        url = self.url
        self._end_current()
        emulator = self.emulator
        versions = {**emulator.default_versions, **(vendor_versions or {})}
        try:
            emulator.use_versions(versions)
        except ValueError as exc:
            raise SessionError(f"vendor_versions: {exc}") from exc
        emulator.reset()
        if self._clock is not None:
            emulator.clock.freeze_at(self._clock)
            emulator.load_fixtures()  # made at the session's time, not the real one
        if self.settings.seed is not None:
            emulator.sources.reseed(self.settings.seed)
        _load_more_fixtures(emulator, fixtures)
        chosen = self.settings.strict if strict is None else strict
        self._current = SecretMock(emulator, url, chosen, owner=owner)
        return self._current

    def report(self) -> dict[str, Any]:
        """The contract report so far: coverage per vendor and every violation."""
        return build_report(self.emulator)

    def write_reports(
        self,
        *,
        json: str | Path | None = None,
        junit: str | Path | None = None,
        html: str | Path | None = None,
    ) -> None:
        """Writes the contract report as each file named (JSON, JUnit XML, HTML)."""
        write_report_files(self.report(), json_path=json, junit_path=junit, html_path=html)

    def _end_current(self) -> None:
        if self._current is not None:
            self._current.end()
            self._current = None

    def __enter__(self) -> Session:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _start_time(clock: datetime | str | None) -> datetime | None:
    if clock is None or isinstance(clock, datetime):
        if isinstance(clock, datetime) and clock.tzinfo is None:
            raise SessionError("clock: a time needs a UTC offset (such as Z or +00:00)")
        return clock
    try:
        return parse_time(clock)
    except ValueError as exc:
        raise SessionError(f"clock: {exc}") from exc


def _emulator(settings: Settings) -> Emulator:
    vendors = all_vendors()
    chosen = None
    if settings.vendors is not None:
        known = [vendor.name for vendor in vendors]
        unknown = sorted(set(settings.vendors) - set(known))
        if unknown or not settings.vendors:
            raise SessionError(f"vendors: unknown {unknown or 'empty list'}; known: {known}")
        chosen = frozenset(settings.vendors)
    files = (
        [default_fixtures_path()]
        if settings.fixtures is None
        else [Path(path) for path in settings.fixtures]
    )
    try:
        return Emulator(
            vendors,
            files,
            Sources(seed=settings.seed),
            only_vendor=chosen,
            vendor_versions=settings.vendor_versions,
        )
    except FixtureError as exc:
        raise SessionError(str(exc)) from exc


def _load_more_fixtures(
    emulator: Emulator, fixtures: str | Path | Sequence[str | Path] | None
) -> None:
    if not fixtures:
        return
    paths = [fixtures] if isinstance(fixtures, str | Path) else list(fixtures)
    try:
        loaded = load_fixture_files([Path(p) for p in paths], emulator.vendors)
        for fixture in loaded:
            emulator.put_tenant(fixture.vendor, fixture.tenant_id, fixture.entry, fixture.where)
    except FixtureError as exc:
        raise SessionError(f"fixtures: {exc}") from exc
