"""A supervisor of tiny workers, for the tests of process management alone
(``python -m tests.shared.pid_server WORKDIR N [MODE]``).

It runs :class:`~secretmock.serve.workers.Supervisor` on a loopback socket as
``secretmock serve --workers N`` does, each worker serving with
:func:`secretmock.serve.foreground.run`, but with an app that answers only the pid of
the worker that served it, so that a test can tell which worker answered. The ready
file is ``WORKDIR/ready.json``; at the end the supervisor appends one line to
``WORKDIR/reports`` (a report written once per server, not once per worker).

MODE: ``slow`` (each worker waits a random moment before it serves, so that a ready
file written too early would name a worker not serving yet), ``stuck`` (workers
say they serve, then ignore SIGTERM: the supervisor
must kill them), ``broken`` (workers fail at start).
"""

from __future__ import annotations

import json
import os
import random
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

from starlette.types import Receive, Scope, Send

from secretmock.serve import foreground
from secretmock.serve.workers import BACKLOG, Supervisor


async def pid_app(scope: Scope, receive: Receive, send: Send) -> None:
    """Answers every HTTP request with ``{"pid": N}``, N the serving process's."""
    if scope["type"] != "http":
        return
    body = json.dumps({"pid": os.getpid()}).encode()
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def main(workdir: Path, count: int, mode: str) -> int:
    sock = foreground.bind("127.0.0.1", 0)
    sock.listen(BACKLOG)

    def serve_one(started: Callable[[], None]) -> bool:
        if mode == "broken":
            raise RuntimeError("this worker cannot start")
        if mode == "slow":
            time.sleep(random.uniform(0.1, 0.6))
        if mode == "stuck":  # says it serves, then never stops on SIGTERM
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            started()
            while True:
                time.sleep(1)
        return foreground.run(pid_app, sock, "warning", None, on_started=started)

    url = foreground.root_url(sock)
    ready = Supervisor(count, serve_one, workdir / "ready.json", url).run()
    with open(workdir / "reports", "a") as reports:
        reports.write(f"report by {os.getpid()}\n")
    return 0 if ready else 1


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else ""))
