"""What ``secretmock serve`` is asked to do: one value per option, already checked.

The command line (:mod:`secretmock.cli`) parses flags and ``SECRETMOCK_*`` variables into
a :class:`ServeSettings`; :func:`secretmock.serve.standalone.serve` runs from it. Each
default here is the option's default (``serve --help`` shows them).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from secretmock.engine.shared.backend import StoreURL, store_url
from secretmock.serve.protocol import IDLE_TIMEOUT_S, MAX_CONNECTIONS, REQUEST_TIMEOUT_S
from secretmock.web.app import ADMIN_MAX_BODY_BYTES

LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
JOURNAL_MAX_BYTES = 64 * 1024 * 1024
MEMORY = store_url("memory:")


@dataclass(frozen=True)
class ServeSettings:
    """The options of ``secretmock serve`` (see its ``--help`` and the README's table)."""

    host: str = "127.0.0.1"
    port: int = 8080
    fixtures: tuple[Path, ...] = ()
    """Empty: the embedded default fixtures."""
    vendor: str | None = None
    seed: int | None = None
    vendor_version: tuple[tuple[str, str], ...] = ()
    report: Path | None = None
    faults: Path | None = None
    clock: datetime | None = None
    state: Path | None = None
    ready_file: Path | None = None
    max_body: int | None = None
    """``None``: each vendor's own limit."""
    admin_max_body: int = ADMIN_MAX_BODY_BYTES
    journal_max_bytes: int = JOURNAL_MAX_BYTES
    idle_timeout: float = IDLE_TIMEOUT_S
    request_timeout: float = REQUEST_TIMEOUT_S
    max_connections: int = MAX_CONNECTIONS
    admin_token: str | None = None
    admin_open: bool = False
    allowed_host: tuple[str, ...] = ()
    """Names besides loopback that reach the admin API without a token."""
    access_log: bool = False
    log_level: str = "warning"
    workers: int = 1
    """Worker processes serving the one socket (more than 1 needs a shared store)."""
    # sandboxes (issue 16)
    max_sandboxes: int = 100
    sandbox_max_ttl: int = 86400
    # the shared store (issue 17)
    store: StoreURL = MEMORY
    """Where the state lives: ``memory:`` (this process), or a store several share."""


def store_refusal(settings: ServeSettings) -> str | None:
    """Why the ``--store`` cannot be served with the other options (``None``: it can):
    a SQLite store keeps the whole state itself, so ``--state`` has no place beside it."""
    if settings.store.kind == "sqlite" and settings.state is not None:
        return (
            f"--store {settings.store.text} keeps the whole state in its database, durably: "
            "drop --state (the database is the state; GET /__admin__/state exports it)"
        )
    return None


def admin_refusal(host: str, token: str | None, admin_open: bool) -> str | None:
    """Why ``serve`` must not start on ``host`` (``None``: it may). An address other
    than loopback with neither an admin token nor ``--admin-open`` is refused: anyone
    who reaches it could read every secret through the admin API; so is a token no
    client could present (see :func:`token_refusal`)."""
    if token is not None and (why := token_refusal(token)) is not None:
        return why
    if token or admin_open or _is_loopback(host):
        return None
    return (
        f"refusing to serve the admin API on {host} without a token: anyone who can reach "
        f"{host} could read and change every secret. Pass --admin-token TOKEN (or set "
        "SECRETMOCK_ADMIN_TOKEN); or --admin-open (SECRETMOCK_ADMIN_OPEN=1) to serve it open "
        "anyway; or bind to 127.0.0.1."
    )


def token_refusal(token: str) -> str | None:
    """Why ``token`` cannot be the admin token (``None``: it can). An empty one would
    leave the admin API open while the user believes it guarded; one with leading or
    trailing whitespace could never match, since HTTP strips it from a header's value."""
    if token == "":
        return (
            "--admin-token (or SECRETMOCK_ADMIN_TOKEN) is empty: that would leave the admin "
            "API open. Give a token, or leave the option out to serve it without one."
        )
    if token != token.strip():
        return (
            "--admin-token (or SECRETMOCK_ADMIN_TOKEN) starts or ends with whitespace: no "
            "client could present it, since HTTP strips a header's value. Remove the spaces."
        )
    return None


def _is_loopback(host: str) -> bool:
    """Whether every address ``host`` names is a loopback address (no bind, no traffic:
    a name is resolved locally; one that does not resolve is not loopback)."""
    try:
        found = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return False
    return bool(found) and all(ipaddress.ip_address(a[4][0]).is_loopback for a in found)
