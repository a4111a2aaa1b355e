"""A testing session in a sandbox of a shared server (``--secretmock-url``).

:class:`RemoteSession` has the face of :class:`~secretmock.testing.session.Session`:
``start()`` makes a fresh sandbox on the server at ``url`` (``POST
/__admin__/sandboxes``, from the session's fixtures, seed, clock and vendor versions),
``fresh()`` resets it for a test and hands out a :class:`RemoteSecretMock`, ``report()``
reads the sandbox's ``/__admin__/report``, and ``stop()`` removes the sandbox.

:class:`RemoteSecretMock` behaves as the local handle does (base URLs, tenants, state
snapshots, fault rules, the clock, the journal and its assertions), through the
sandbox's admin API; only in-process interception is not there (the emulator is in
another process). The journal's entries are read back as
:class:`~secretmock.engine.journal.JournalEntry` values, so the assertions, their
filters and their messages are the local handle's own.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from secretmock.engine.clock import format_time
from secretmock.engine.fixtures import FixtureError, load_fixture_files
from secretmock.engine.journal import JournalEntry
from secretmock.engine.violations import Violation
from secretmock.resources import default_fixtures_path
from secretmock.testing.handles import Lease
from secretmock.testing.mock import SecretMock
from secretmock.testing.session import SessionError, Settings, _start_time
from secretmock.vendors import all_vendors

TIMEOUT_S = 30.0


class RemoteError(RuntimeError):
    """The shared server refused an admin call; the message says which and why."""


class SandboxAdmin:
    """Calls to one admin API (the server's, or a sandbox's) with its bearer token."""

    def __init__(self, root: str, token: str | None) -> None:
        self.root = root.rstrip("/")
        self._session = requests.Session()
        if token:
            self._session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, body: Any = None, ok: tuple[int, ...] = ()) -> Any:
        """The JSON answer of ``method /__admin__{path}``; :class:`RemoteError` for any
        status but 2xx (and those in ``ok``)."""
        kwargs: dict[str, Any] = {"timeout": TIMEOUT_S}
        if body is not None:
            kwargs["json"] = body
        answer = self._session.request(method, f"{self.root}/__admin__{path}", **kwargs)
        if answer.status_code >= 300 and answer.status_code not in ok:
            raise RemoteError(
                f"{method} {self.root}/__admin__{path}: {answer.status_code} {answer.text}"
            )
        return answer.json()

    def close(self) -> None:
        self._session.close()


class RemoteSession:
    """A session in a fresh sandbox of the server at ``url``; ``admin_token`` is the
    server's admin token when it has one. A context manager, like ``Session``."""

    def __init__(
        self, url: str, admin_token: str | None = None, settings: Settings | None = None
    ) -> None:
        self.settings = settings or Settings()
        self.server_url = url.rstrip("/")
        self._server = SandboxAdmin(self.server_url, admin_token)
        self._body = _creation_body(self.settings)
        self.sandbox: dict[str, Any] | None = None
        """``POST /__admin__/sandboxes``' answer once started (id, url, token, base_urls)."""
        self._admin: SandboxAdmin | None = None
        self._current: RemoteSecretMock | None = None
        self._versions: dict[str, str] = {}
        """The versions the sandbox serves over its start-up ones."""

    @property
    def url(self) -> str:
        """The sandbox's root URL (``{server}/sandboxes/{id}``) once started."""
        return str(self._started()[0]["url"])

    def _started(self) -> tuple[dict[str, Any], SandboxAdmin]:
        if self.sandbox is None or self._admin is None:
            raise RuntimeError("the secretmock session is not started: call start() first")
        return self.sandbox, self._admin

    def start(self) -> RemoteSession:
        """Makes the sandbox (again: nothing happens)."""
        if self.sandbox is None:
            self.sandbox = self._server.call("POST", "/sandboxes", self._body)
            self._admin = SandboxAdmin(self.sandbox["url"], self.sandbox["token"])
        return self

    def stop(self) -> None:
        """Ends the current handle and removes the sandbox."""
        if self._current is not None:
            self._current.end()
            self._current = None
        if self._admin is not None:
            self._admin.call("DELETE", "/sandbox", ok=(404,))
            self._admin.close()
        self.sandbox = self._admin = None
        self._server.close()

    def fresh(
        self,
        *,
        fixtures: str | Path | Sequence[str | Path] | None = None,
        strict: bool | None = None,
        vendor_versions: Mapping[str, str] | None = None,
        owner: str | None = None,
    ) -> RemoteSecretMock:
        """A handle on the sandbox reset to its fixtures (and ``fixtures``' tenants),
        as :meth:`Session.fresh`: ``vendor_versions`` are served for this handle over
        the session's (``PUT /__admin__/versions``), and the next handle is back to
        those. :class:`SessionError` names a bad option."""
        sandbox, admin = self._started()
        if self._current is not None:
            self._current.end()
        self._use_versions(admin, dict(vendor_versions or {}))
        admin.call("POST", "/reset")
        for entry in _entries(fixtures):
            vendor, tenant = entry["vendor"], entry["id"]
            admin.call("PUT", f"/tenants/{vendor}/{tenant}", _tenant_body(entry))
        chosen = self.settings.strict if strict is None else strict
        self._current = RemoteSecretMock(admin, sandbox, chosen, owner=owner)
        return self._current

    def _use_versions(self, admin: SandboxAdmin, versions: dict[str, str]) -> None:
        """Serves ``versions`` over the sandbox's start-up ones (the session's), before
        the reset, so that the fixtures are built for them as in-process; a call only
        when they differ from what the sandbox serves now."""
        if versions == self._versions:
            return
        answer = admin.call("PUT", "/versions", versions, ok=(400,))
        if "error" in answer:  # refused whole: the sandbox serves what it served
            raise SessionError(f"vendor_versions: {answer['message']}")
        self._versions = versions

    def report(self) -> dict[str, Any]:
        """The sandbox's contract report so far (``{url}/__admin__/report``)."""
        return dict(self._started()[1].call("GET", "/report"))

    def __enter__(self) -> RemoteSession:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class RemoteSecretMock(SecretMock):
    """The local handle's face over a sandbox's admin API (see the module)."""

    def __init__(
        self,
        admin: SandboxAdmin,
        sandbox: Mapping[str, Any],
        strict: bool = True,
        *,
        owner: str | None = None,
    ) -> None:
        self._lease = Lease(owner)
        self._admin = admin
        self._base_urls = dict(sandbox["base_urls"])
        self.root_url = str(sandbox["url"])
        self.strict = strict
        self._start = self._last_seq()
        self._expected: list[tuple[int, int]] = []
        self.clock = RemoteClock(admin, self._lease)  # type: ignore[assignment]

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        self._lease.check()
        return self._admin.call(method, path, body)

    def _last_seq(self) -> int:
        entries = self._admin.call("GET", "/journal")["entries"]
        return int(entries[-1]["seq"]) if entries else 0

    @property
    def emulator(self) -> Any:
        raise RuntimeError(
            "a remote session (--secretmock-url) has no emulator in this process: use "
            "the handle's methods, or the sandbox's admin API at handle.root_url"
        )

    def url(self, vendor: str) -> str:
        self._lease.check()
        return str(self._base_urls[vendor])

    @property
    def urls(self) -> dict[str, str]:
        self._lease.check()
        return dict(self._base_urls)

    def add_tenant(
        self,
        vendor: str,
        tenant: str,
        credentials: list[Mapping[str, Any]] | None = None,
        secrets: list[Mapping[str, Any]] | None = None,
    ) -> None:
        entry = {"credentials": credentials or [], "secrets": secrets or []}
        self._lease.check()
        try:
            self._admin.call("PUT", f"/tenants/{vendor}/{tenant}", entry)
        except RemoteError as exc:
            raise FixtureError(str(exc)) from exc

    def secrets(self, vendor: str, tenant: str) -> list[dict[str, Any]]:
        self._lease.check()
        found = self._admin.call("GET", f"/tenants/{vendor}/{tenant}", ok=(404,))
        return list(found.get("secrets", []))

    def snapshot(self) -> dict[str, Any]:
        return dict(self._call("GET", "/state"))

    def restore(self, document: Any) -> None:
        self._call("PUT", "/state", document)

    def fault(self, vendor: str, operation: str | None = None, **rule: Any) -> Any:
        """Adds a fault rule (the local handle's arguments); its handle has ``id``,
        ``hits``, ``remaining`` and ``remove()``."""
        delay = rule.pop("delay", None)
        if isinstance(delay, timedelta):
            delay = delay.total_seconds()
        body = {"vendor": vendor, "operation": operation, **rule}
        if delay is not None:
            body["delay_ms"] = round(delay * 1000)
        body = {key: value for key, value in body.items() if value is not None}
        return RemoteFault(self._admin, self._call("POST", "/faults", body), self._lease)

    @property
    def journal(self) -> list[JournalEntry]:
        entries = self._call("GET", f"/journal?since={self._start}")["entries"]
        return [_entry(raw) for raw in entries]

    @contextmanager
    def expect_violations(self) -> Iterator[None]:
        low = self._last_seq()
        try:
            yield
        finally:
            self._expected.append((low, self._last_seq()))

    @contextmanager
    def intercept(self, **base_urls: str) -> Iterator[Any]:
        raise RuntimeError(
            "in-process interception needs a local emulator: a remote session "
            "(--secretmock-url) serves over HTTP only; give clients handle.url(vendor)"
        )
        yield  # pragma: no cover


class RemoteFault:
    """A fault rule of a sandbox: ``id``, ``hits``, ``remaining``, ``remove()``."""

    def __init__(self, admin: SandboxAdmin, rule: Mapping[str, Any], lease: Lease) -> None:
        self._admin, self._lease = admin, lease
        self.id = str(rule["id"])

    def _now(self) -> Mapping[str, Any]:
        self._lease.check()
        for rule in self._admin.call("GET", "/faults")["faults"]:
            if rule["id"] == self.id:
                return dict(rule)
        return {"hits": None, "remaining": 0}

    @property
    def hits(self) -> int:
        return int(self._now().get("hits") or 0)

    @property
    def remaining(self) -> int | None:
        left = self._now().get("remaining")
        return None if left is None else int(left)

    def remove(self) -> None:
        self._lease.check()
        self._admin.call("DELETE", f"/faults/{self.id}", ok=(404,))

    def __enter__(self) -> RemoteFault:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.remove()


class RemoteClock:
    """A sandbox's emulated clock: ``now``, ``frozen``, ``set``, ``advance``, ``run``."""

    def __init__(self, admin: SandboxAdmin, lease: Lease) -> None:
        self._admin, self._lease = admin, lease

    def _put(self, change: Mapping[str, Any]) -> None:
        self._lease.check()
        self._admin.call("PUT", "/clock", change)

    @property
    def now(self) -> datetime:
        self._lease.check()
        text = self._admin.call("GET", "/clock")["now"]
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    @property
    def frozen(self) -> bool:
        self._lease.check()
        return bool(self._admin.call("GET", "/clock")["frozen"])

    def set(self, moment: datetime | str) -> None:
        self._put({"now": moment if isinstance(moment, str) else format_time(moment)})

    def advance(self, by: float | timedelta) -> None:
        self._put({"advance": by.total_seconds() if isinstance(by, timedelta) else by})

    def run(self) -> None:
        self._put({"frozen": False})


def _creation_body(settings: Settings) -> dict[str, Any]:
    """``POST /__admin__/sandboxes``' body for the session's settings."""
    if settings.vendors is not None:
        raise SessionError("vendors: a remote session serves the shared server's vendors")
    files = (
        [default_fixtures_path()]
        if settings.fixtures is None
        else [Path(path) for path in settings.fixtures]
    )
    body: dict[str, Any] = {"fixtures": _entries(files)}
    if settings.vendor_versions:
        body["vendor_versions"] = dict(settings.vendor_versions)
    if settings.seed is not None:
        if not isinstance(settings.seed, int):
            raise SessionError("seed: a remote session takes a whole number")
        body["seed"] = settings.seed
    moment = _start_time(settings.clock)
    if moment is not None:
        body["clock"] = format_time(moment)
    return body


def _entries(fixtures: str | Path | Sequence[str | Path] | None) -> list[dict[str, Any]]:
    """The tenant entries of fixtures files, as a sandbox's ``fixtures`` takes them."""
    if not fixtures:
        return []
    paths = [fixtures] if isinstance(fixtures, str | Path) else list(fixtures)
    known = {vendor.name: vendor for vendor in all_vendors()}
    try:
        loaded = load_fixture_files([Path(p) for p in paths], known)
    except FixtureError as exc:
        raise SessionError(f"fixtures: {exc}") from exc
    return [
        {**fixture.entry, "vendor": fixture.vendor, "id": fixture.tenant_id} for fixture in loaded
    ]


def _tenant_body(entry: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in entry.items() if key not in {"vendor", "id"}}


def _entry(raw: Mapping[str, Any]) -> JournalEntry:
    """A journal entry read back from the admin API's JSON."""
    moment = datetime.fromisoformat(raw["time"])
    return JournalEntry(
        seq=raw["seq"],
        time=moment.replace(tzinfo=moment.tzinfo or UTC).timestamp(),
        vendor=raw["vendor"],
        operation_id=raw["operation_id"],
        tenant=raw["tenant"],
        method=raw["method"],
        path=raw["path"],
        query=raw["query"],
        status=raw["status"],
        duration_ms=raw["duration_ms"],
        body=raw["body"],
        violations=tuple(
            Violation(
                part=v["part"],
                location=v["location"],
                rule=v["rule"],
                expected=v["expected"],
                actual=v["actual"],
                size=v["size"],
            )
            for v in raw["violations"]
        ),
        fault=raw.get("fault"),
    )
