"""``secretmock serve``'s server in the foreground: bind first, then tell the world where.

The socket is bound before anything is printed, so ``--port 0`` reports the port the
system picked and a port already taken fails before any banner. ``--ready-file``
is written once uvicorn accepts connections, in one atomic rename, so a harness in any
language can wait for the file to appear and read the URL from it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType

import uvicorn
from starlette.types import ASGIApp

from secretmock.serve.files import write_atomically
from secretmock.serve.protocol import ConnectionLimits, uvicorn_config

READY_POLL_S = 0.01
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


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


def run(
    app: ASGIApp,
    sock: socket.socket,
    log_level: str,
    ready_file: Path | None,
    limits: ConnectionLimits | None = None,
    on_started: Callable[[], None] | None = None,
) -> bool:
    """Serves ``app`` on ``sock`` until SIGINT or SIGTERM, then removes ``ready_file``;
    whether all went well: a ready file that cannot be written (though checked at
    start-up) is said on stderr, naming it, and stops the server, as no harness waiting
    for it would ever find the server.

    Both signals stop the server the same graceful way and return here, so that the
    caller writes its files and exits 0. (uvicorn restores the handlers it found and
    raises the signal again once it has stopped; with SIGTERM's default handler that
    killed the process before ``--report`` was written. The handlers installed here
    only ask the server to stop, so the raised signal does nothing more.)
    uvicorn's own access log stays off: it prints query strings whole (see
    :mod:`secretmock.serve.access_log`). ``on_started`` is called (from another
    thread) once uvicorn accepts connections: how a worker of ``--workers`` tells its
    supervisor (:mod:`secretmock.serve.workers`).
    """
    config = uvicorn_config(
        app, limits or ConnectionLimits(), log_level=log_level, access_log=False
    )
    server = uvicorn.Server(config)
    failed = threading.Event()
    if ready_file is not None or on_started is not None:
        announce = threading.Thread(
            target=_announce_when_started,
            args=(server, ready_file, root_url(sock), failed, on_started),
            daemon=True,
            name="secretmock-ready",
        )
        announce.start()
    previous = {signum: signal.signal(signum, _stopper(server)) for signum in STOP_SIGNALS}
    try:
        server.run(sockets=[sock])
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if ready_file is not None:
            ready_file.unlink(missing_ok=True)
    return not failed.is_set()


def _stopper(server: uvicorn.Server) -> Callable[[int, FrameType | None], None]:
    def stop(signum: int, frame: FrameType | None) -> None:
        server.should_exit = True

    return stop


def _announce_when_started(
    server: uvicorn.Server,
    ready_file: Path | None,
    url: str,
    failed: threading.Event,
    on_started: Callable[[], None] | None,
) -> None:
    while not server.started:
        if server.should_exit:
            return
        time.sleep(READY_POLL_S)
    if on_started is not None:
        on_started()
    if ready_file is None:
        return
    try:
        write_atomically(ready_file, json.dumps({"url": url, "pid": os.getpid()}) + "\n")
    except OSError as exc:
        print(f"secretmock: {ready_file}: cannot write the ready file: {exc}", file=sys.stderr)
        failed.set()
        server.should_exit = True
