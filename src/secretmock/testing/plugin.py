"""The pytest plugin, registered through the ``pytest11`` entry point: installing
secretmock is all a test suite needs. Reference: docs/pytest.md.

* ``secretmock_server`` (session): one emulator on a free port of 127.0.0.1 per test
  process (so each pytest-xdist worker has its own), shut down at the end.
* ``secretmock`` (function): the state reset to the fixtures before the test, and a
  :class:`~secretmock.testing.SecretMock` handle for it. In strict (contract) mode a
  test whose requests break a vendor's spec fails, naming vendor, operation and place.
* ``secretmock_intercept`` (function): the same, with ``requests``/``httpx`` calls to the
  vendors' real hosts answered in-process.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from secretmock.engine.emulator import Emulator
from secretmock.engine.fixtures import load_fixture_files
from secretmock.report import build_report
from secretmock.resources import default_fixtures_path
from secretmock.serve.background import BackgroundServer
from secretmock.testing import SecretMock, SpecViolationError
from secretmock.vendors import all_vendors
from secretmock.web.app import build_app

MARKER = "secretmock"
MARKER_OPTIONS = ("fixtures", "strict", "vendor_versions")
HANDLE_KEY = pytest.StashKey[SecretMock]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("secretmock", "secretmock: offline secrets-API emulator")
    group.addoption(
        "--secretmock-fixtures",
        action="append",
        default=[],
        metavar="FILE",
        help="fixtures file for the session emulator (repeatable; replaces the default)",
    )
    group.addoption(
        "--secretmock-report",
        metavar="FILE",
        help="write the JSON contract report (coverage and violations) at session end",
    )
    group.addoption(
        "--secretmock-report-html",
        metavar="FILE",
        help="write the contract report as one static HTML page at session end",
    )
    group.addoption(
        "--secretmock-lenient",
        action="store_true",
        help="do not fail tests whose requests break a vendor's spec",
    )
    parser.addini("secretmock_fixtures", "fixtures files for the session emulator", "paths", [])
    parser.addini("secretmock_strict", "fail tests that break a vendor's spec", "bool", True)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(fixtures=None, strict=None, vendor_versions=None): extra fixtures files "
        "loaded for this test (their tenants replace same-named ones), contract strictness "
        "for this test, and the server version per vendor for this test "
        "({'langwatch': 'before-2026-07-22'}); any other argument is an error",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """A misspelt marker option would be silently ignored: refuse it (as respx does),
    naming the option and the options there are. The test errors at set-up, before its
    fixtures run; per test rather than at collection, so pytest-xdist workers report it
    as cleanly as a single process."""
    for marker in item.iter_markers(MARKER):
        problem = marker_problem(marker)
        if problem:
            pytest.fail(problem, pytrace=False)


def marker_problem(marker: pytest.Mark) -> str | None:
    """What is wrong with a ``secretmock`` marker's arguments, or None when nothing is."""
    accepted = ", ".join(MARKER_OPTIONS)
    if marker.args:
        shown = ", ".join(map(repr, marker.args))
        return (
            f"@pytest.mark.{MARKER} takes keyword arguments only, got positional {shown} "
            f"(accepted: {accepted})"
        )
    unknown = [name for name in marker.kwargs if name not in MARKER_OPTIONS]
    if unknown:
        return (
            f"@pytest.mark.{MARKER} got unknown argument(s) {', '.join(map(repr, unknown))} "
            f"(accepted: {accepted})"
        )
    return None


@dataclass
class SessionEmulator:
    """The session's emulator and the server in front of it."""

    emulator: Emulator
    server: BackgroundServer


@pytest.fixture(scope="session")
def secretmock_server(pytestconfig: pytest.Config) -> Iterator[SessionEmulator]:
    """One emulator per test process, served on a free port of 127.0.0.1."""
    emulator = Emulator(all_vendors(), _fixture_files(pytestconfig))
    with BackgroundServer(build_app(emulator)) as server:
        yield SessionEmulator(emulator, server)
        report_path = pytestconfig.getoption("secretmock_report")
        if report_path:
            Path(report_path).write_text(json.dumps(build_report(emulator), indent=2))
        html_path = pytestconfig.getoption("secretmock_report_html")
        if html_path:
            from secretmock.report.html import report_html

            Path(html_path).write_text(report_html(build_report(emulator)), encoding="utf-8")


@pytest.fixture
def secretmock(request: pytest.FixtureRequest, secretmock_server: SessionEmulator) -> SecretMock:
    """A clean, seeded emulator for this test, and the handle to drive and inspect it."""
    emulator = secretmock_server.emulator
    marker = request.node.get_closest_marker(MARKER)
    options = marker.kwargs if marker else {}
    emulator.use_versions({**emulator.default_versions, **(options.get("vendor_versions") or {})})
    emulator.reset()
    _load_marker_fixtures(emulator, options.get("fixtures"), request.node.path)
    handle = SecretMock(emulator, secretmock_server.server.url, _strict(request, options))
    request.node.stash[HANDLE_KEY] = handle
    return handle


@pytest.fixture
def secretmock_intercept(secretmock: SecretMock) -> Iterator[SecretMock]:
    """``secretmock``, with calls to the vendors' real hosts answered in-process."""
    with secretmock.intercept():
        yield secretmock


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """Contract mode: after a passing test body, unexpected request violations fail it."""
    result = yield
    handle = item.stash.get(HANDLE_KEY, None)
    if handle is not None and handle.strict and handle.unexpected_violations():
        raise SpecViolationError(handle.violation_report())
    return result


def _fixture_files(config: pytest.Config) -> list[Path]:
    given = [Path(p) for p in config.getoption("secretmock_fixtures")]
    given = given or [Path(p) for p in config.getini("secretmock_fixtures")]
    return given or [default_fixtures_path()]


def _load_marker_fixtures(emulator: Emulator, files: Any, test_path: Path) -> None:
    if not files:
        return
    paths = [files] if isinstance(files, str | Path) else list(files)
    resolved = [p if Path(p).is_absolute() else test_path.parent / p for p in map(Path, paths)]
    for fixture in load_fixture_files(resolved, emulator.vendors):
        emulator.put_tenant(fixture.vendor, fixture.tenant_id, fixture.entry, fixture.where)


def _strict(request: pytest.FixtureRequest, options: dict[str, Any]) -> bool:
    if options.get("strict") is not None:
        return bool(options["strict"])
    if request.config.getoption("secretmock_lenient"):
        return False
    return bool(request.config.getini("secretmock_strict"))
