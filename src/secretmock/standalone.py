"""``secretmock serve`` on a real socket: bind first, then tell the world where.

The socket is bound before anything is printed, so ``--port 0`` reports the port the
system picked and a port already taken fails before any banner. ``--ready-file``
is written once uvicorn accepts connections, in one atomic rename, so a harness in any
language can wait for the file to appear and read the URL from it.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from pathlib import Path

import uvicorn
from starlette.types import ASGIApp

from secretmock.dropping import DroppingProtocol

READY_POLL_S = 0.01


def bind(host: str, port: int) -> socket.socket:
    """A listening-ready TCP socket bound to ``host``:``port`` (IPv4 or IPv6);
    raises ``OSError`` when the address cannot be bound."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


def root_url(sock: socket.socket) -> str:
    """``http://HOST:PORT`` of a bound socket, with the port it really got."""
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def run(app: ASGIApp, sock: socket.socket, log_level: str, ready_file: Path | None) -> None:
    """Serves ``app`` on ``sock`` until SIGINT (or SIGTERM), then removes ``ready_file``.
    uvicorn's own access log stays off: it prints query strings whole (see
    :mod:`secretmock.access_log`)."""
    config = uvicorn.Config(app, log_level=log_level, access_log=False, http=DroppingProtocol)
    server = uvicorn.Server(config)
    if ready_file is not None:
        announce = threading.Thread(
            target=_write_when_started,
            args=(server, ready_file, root_url(sock)),
            daemon=True,
            name="secretmock-ready",
        )
        announce.start()
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass  # uvicorn raises SIGINT again once it has shut down, as uvicorn.run() expects
    finally:
        if ready_file is not None:
            ready_file.unlink(missing_ok=True)


def _write_when_started(server: uvicorn.Server, ready_file: Path, url: str) -> None:
    while not server.started:
        if server.should_exit:
            return
        time.sleep(READY_POLL_S)
    write_atomically(ready_file, json.dumps({"url": url, "pid": os.getpid()}) + "\n")


def write_atomically(path: Path, text: str) -> None:
    """Writes ``text`` to a temporary file beside ``path``, then renames it over
    ``path``: a reader sees no file or the whole file, never half of it."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text)
    os.replace(temporary, path)
