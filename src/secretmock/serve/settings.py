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

from secretmock.serve.protocol import IDLE_TIMEOUT_S

LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


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
    idle_timeout: float = IDLE_TIMEOUT_S
    admin_token: str | None = None
    admin_open: bool = False
    access_log: bool = False
    log_level: str = "warning"


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
