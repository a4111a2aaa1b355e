"""The servers under load, each a subprocess on 127.0.0.1: started, waited for, stopped."""

from __future__ import annotations

import json
import re
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def secretmock_command(port: int, *extra: str) -> list[str]:
    return [sys.executable, "-m", "secretmock", "serve", "--port", str(port), *extra]


def floor_command(port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.floor:app",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(command: list[str], port: int) -> subprocess.Popen[bytes]:
    """Starts ``command`` and returns once ``port`` accepts connections (exits after 30 s)."""
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.02)
    stop(process)
    sys.exit(f"the server {command} did not start")


def wait_until_warm(port: int) -> None:
    """Waits for the server's background warm-up (secretmock serve, a second after start),
    so that the load runs are measured in the steady state."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            sock.sendall(
                b"GET /__admin__/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
            )
            answer = b""
            while chunk := sock.recv(4096):
                answer += chunk
        if b'"warm":true' in answer:
            return
        time.sleep(0.1)
    sys.exit("secretmock serve did not finish warming up within 30 s")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=20)


def startup_time(request: dict[str, Any], runs: int = 3) -> float:
    """Seconds from `secretmock serve` being started to the first 200 of ``request``
    (all five specs loaded); the median of ``runs``."""
    times = []
    for _ in range(runs):
        port = free_port()
        started = time.perf_counter()
        process = subprocess.Popen(
            secretmock_command(port),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            while raw_status(port, request) != 200:
                if time.perf_counter() - started > 30:
                    sys.exit("secretmock serve did not answer within 30 s")
                time.sleep(0.005)
            times.append(time.perf_counter() - started)
        finally:
            stop(process)
    return round(statistics.median(times), 3)


def raw_status(port: int, request: dict[str, Any]) -> int:
    """The status of one ``request`` over a bare socket (no client library to import or
    warm up); 0 while nothing answers."""
    body = json.dumps(request["body"]).encode()
    head = [
        f"{request['method']} {request['path']} HTTP/1.1",
        "Host: 127.0.0.1",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        "Connection: close",
    ]
    head += [f"{k}: {v}" for k, v in request["headers"].items()]
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)
            first = sock.recv(64).decode("latin-1")
    except OSError:
        return 0
    match = re.match(r"HTTP/1\.1 (\d+)", first)
    return int(match.group(1)) if match else 0


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmRSS:\s+(\d+) kB", status)
    return round(int(match.group(1)) / 1024, 1) if match else float("nan")
