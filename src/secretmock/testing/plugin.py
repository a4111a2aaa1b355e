"""The pytest plugin, registered through the ``pytest11`` entry point: installing
secretmock is all a test suite needs. Reference: docs/pytest.md.

Fixtures over :class:`~secretmock.testing.Session`, as pytest-httpserver's are over its
server:

* ``secretmock_settings`` (session): the :class:`~secretmock.testing.Settings` of the
  session; the ini options and command-line flags give its defaults, and a suite
  overrides it in its ``conftest.py`` (seed, clock, vendors, versions, fixtures).
* ``secretmock_session`` (session): one emulator on a free port of 127.0.0.1 per test
  process (so each pytest-xdist worker has its own), stopped at the end.
  ``secretmock_server`` is the same object, under its older name.
* ``secretmock`` (function): the state reset to the fixtures before the test, and a
  :class:`~secretmock.testing.SecretMock` handle for it, ended with the test. In strict
  (contract) mode a test whose requests break a vendor's spec fails, naming vendor,
  operation and place.
* ``secretmock_intercept`` (function): the same, with ``requests``/``urllib3``/``httpx``
  calls to the vendors' real hosts answered in-process.

``--secretmock-report`` and ``--secretmock-report-html`` are written at the end of the
run; under pytest-xdist each worker sends its report to the controller, which writes
them merged.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import pytest

from secretmock.resources import default_fixtures_path
from secretmock.testing.mock import SecretMock, SpecViolationError
from secretmock.testing.reports import merge_reports, write_report_files
from secretmock.testing.session import Session, SessionError, Settings

MARKER = "secretmock"
HANDLE_KEY = pytest.StashKey[SecretMock]()
REPORTS_KEY = pytest.StashKey[list[tuple[str, dict[str, Any]]]]()
WORKER_OUTPUT = "secretmock_reports"
"""The key of ``workeroutput`` under which an xdist worker sends its reports."""


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
    config.stash[REPORTS_KEY] = []
    config.addinivalue_line(
        "markers",
        f"{MARKER}({', '.join(f'{name}=None' for name in MarkerOptions.names())}): extra "
        "fixtures files loaded for this test (their tenants replace same-named ones), "
        "contract strictness for this test, and the server version per vendor for this "
        "test ({'langwatch': 'before-2026-07-22'}); any other argument is an error",
    )


# -- the marker -----------------------------------------------------------------------------


class MarkerError(ValueError):
    """A ``secretmock`` marker the test cannot run with; the message says why."""


@dataclass(frozen=True)
class MarkerOptions:
    """The arguments of ``@pytest.mark.secretmock(...)``, checked: ``MarkerOptions(**kwargs)``
    takes exactly these (an unknown one is Python's ``TypeError``, which :meth:`of` turns
    into a usage error naming it), and a value of the wrong kind is a
    :class:`MarkerError`."""

    fixtures: str | Path | Sequence[str | Path] | None = None
    """More fixtures files, relative to the test file."""
    strict: bool | None = None
    """Contract mode for this test (``None``: the session's)."""
    vendor_versions: Mapping[str, str] | None = None
    """Server versions for this test, by vendor name."""

    def __post_init__(self) -> None:
        if self.strict is not None and not isinstance(self.strict, bool):
            raise MarkerError(f"strict must be True, False or None, got {self.strict!r}")
        versions = self.vendor_versions
        if versions is not None and not (
            isinstance(versions, Mapping)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in versions.items())
        ):
            raise MarkerError(
                "vendor_versions must map vendor names to version names, such as "
                f"{{'langwatch': 'before-2026-07-22'}}, got {versions!r}"
            )
        if not all(isinstance(p, str | Path) for p in self._fixture_list()):
            raise MarkerError(
                f"fixtures must be a file name or a list of them, got {self.fixtures!r}"
            )

    @classmethod
    def names(cls) -> list[str]:
        return [field.name for field in fields(cls)]

    @classmethod
    def of(cls, node: pytest.Item) -> MarkerOptions:
        """The options of the marker closest to ``node`` (none: the defaults), after
        checking every ``secretmock`` marker that applies to it."""
        found = [cls._of(marker) for marker in node.iter_markers(MARKER)]
        return found[0] if found else cls()

    @classmethod
    def _of(cls, marker: pytest.Mark) -> MarkerOptions:
        accepted = ", ".join(cls.names())
        if marker.args:
            shown = ", ".join(map(repr, marker.args))
            raise MarkerError(
                f"@pytest.mark.{MARKER} takes keyword arguments only, got positional "
                f"{shown} (accepted: {accepted})"
            )
        try:
            return cls(**marker.kwargs)
        except TypeError:
            unknown = [name for name in marker.kwargs if name not in cls.names()]
            raise MarkerError(
                f"@pytest.mark.{MARKER} got unknown argument(s) "
                f"{', '.join(map(repr, unknown))} (accepted: {accepted})"
            ) from None
        except MarkerError as exc:
            raise MarkerError(f"@pytest.mark.{MARKER}: {exc}") from None

    def fixture_paths(self, base: Path) -> list[Path]:
        """The fixtures files, a relative one taken from ``base`` (the test's folder)."""
        return [p if p.is_absolute() else base / p for p in map(Path, self._fixture_list())]

    def _fixture_list(self) -> list[Any]:
        if self.fixtures is None:
            return []
        if isinstance(self.fixtures, str | Path):
            return [self.fixtures]
        return list(self.fixtures)


# -- the fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def secretmock_settings(pytestconfig: pytest.Config) -> Settings:
    """The session's settings, from the ini options and flags. Override it in a
    ``conftest.py`` to choose the seed, the clock, the vendors or their versions::

        @pytest.fixture(scope="session")
        def secretmock_settings(secretmock_settings):
            return secretmock_settings.replace(seed=7, clock="2031-01-01T00:00:00Z")
    """
    return Settings(fixtures=_fixture_files(pytestconfig), strict=_strict(pytestconfig))


@pytest.fixture(scope="session")
def secretmock_session(
    secretmock_settings: Settings, pytestconfig: pytest.Config
) -> Iterator[Session]:
    """One emulator per test process, served on a free port of 127.0.0.1; its contract
    report is kept for the end of the run."""
    try:
        session = Session(secretmock_settings)
    except SessionError as exc:
        pytest.fail(f"secretmock_settings: {exc}", pytrace=False)
    with session:
        yield session
        pytestconfig.stash[REPORTS_KEY].append((_worker_id(pytestconfig), session.report()))


@pytest.fixture(scope="session")
def secretmock_server(secretmock_session: Session) -> Session:
    """``secretmock_session``, under its older name (``.emulator``, ``.server``)."""
    return secretmock_session


@pytest.fixture
def secretmock(request: pytest.FixtureRequest, secretmock_session: Session) -> Iterator[SecretMock]:
    """A clean, seeded emulator for this test, and the handle to drive and inspect it."""
    node = request.node
    try:
        options = MarkerOptions.of(node)
        handle = secretmock_session.fresh(
            fixtures=options.fixture_paths(node.path.parent),
            strict=options.strict,
            vendor_versions=options.vendor_versions,
            owner=node.nodeid,
        )
    except MarkerError as exc:
        pytest.fail(str(exc), pytrace=False)
    except SessionError as exc:
        pytest.fail(f"@pytest.mark.{MARKER}: {exc}", pytrace=False)
    node.stash[HANDLE_KEY] = handle
    yield handle
    handle.end()


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


# -- the reports, merged across pytest-xdist workers ---------------------------------------


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """pytest-xdist, on the controller: a worker is done; keep the reports it sent."""
    sent = getattr(node, "workeroutput", {}).get(WORKER_OUTPUT, [])
    node.config.stash[REPORTS_KEY].extend((worker, report) for worker, report in sent)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """Writes the report files (a worker sends its reports to the controller instead);
    last, so that the session fixture, and with it the emulator, has been torn down."""
    config = session.config
    reports = config.stash.get(REPORTS_KEY, [])
    if hasattr(config, "workerinput"):
        config.workeroutput[WORKER_OUTPUT] = reports  # type: ignore[attr-defined]
        return
    json_path = config.getoption("secretmock_report")
    html_path = config.getoption("secretmock_report_html")
    if reports and (json_path or html_path):
        merged = merge_reports(report for _, report in sorted(reports, key=lambda r: r[0]))
        write_report_files(merged, json_path=json_path, html_path=html_path)


def _worker_id(config: pytest.Config) -> str:
    workerinput = getattr(config, "workerinput", None)
    return str(workerinput["workerid"]) if workerinput else "main"


def _fixture_files(config: pytest.Config) -> list[Path]:
    given = [Path(p) for p in config.getoption("secretmock_fixtures")]
    given = given or [Path(p) for p in config.getini("secretmock_fixtures")]
    return given or [default_fixtures_path()]


def _strict(config: pytest.Config) -> bool:
    if config.getoption("secretmock_lenient"):
        return False
    return bool(config.getini("secretmock_strict"))
