"""The shared stores' cost, in `make bench`'s run (``BENCH_STORES=0`` leaves it out).

The same server is started five ways: ``--store memory:`` (today's path), SQLite with
one worker, Redis with one worker (a ``redis-server`` started here on a free loopback
port, persistence off), SQLite with two workers, Redis with two workers. Each gets:

* the mixed Fireworks workload (wrk -t1 -c16, as the main table), whose req/s is
  reported as a ratio to the memory store's;
* one client, one keep-alive connection, sequential requests: the p50 of a Fireworks
  get and of an update over ``REQUESTS_PER_STEP`` requests, the per-request figures
  docs/scaling.md quotes (their difference to memory is what a store adds).

The machine has 2 cores: with two workers, wrk, the workers and Redis compete for them,
so the 2-worker ratio shows the cost of sharing, not how the store scales on a larger
host. All writes go to one tenant (``acme``), the worst case for the store's
compare-and-commit: two workers conflict on every concurrent write.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench import servers
from bench.workloads import SEED_UPDATES
from bench.wrk import MIXED_LUA, run_wrk

ENABLED = os.environ.get("BENCH_STORES", "1") != "0"
REQUESTS_PER_STEP = 1500
GET = {
    "method": "GET",
    "path": "/fireworks/v1/accounts/acme/secrets/s1",
    "headers": {"Authorization": "Bearer fw-test-acme"},
    "body": None,
}


def store_costs(wrk: str, port: int) -> dict[str, Any]:
    """Each configuration's mixed workload and one-client latencies (see the module)."""
    results: dict[str, Any] = {}
    with (
        tempfile.TemporaryDirectory(prefix="secretmock-bench-") as directory,
        redis_server(Path(directory)) as redis_url,
    ):
        configurations = {
            "memory": ["--store", "memory:"],
            "sqlite": ["--store", f"sqlite:///{directory}/one.db"],
            "redis": ["--store", redis_url.replace("/0", "/1")],
            "sqlite_2_workers": ["--store", f"sqlite:///{directory}/two.db", "--workers", "2"],
            "redis_2_workers": ["--store", redis_url.replace("/0", "/2"), "--workers", "2"],
        }
        for name, extra in configurations.items():
            results[name] = measure(wrk, port, extra)
    memory = results["memory"]["mixed"]["rps"]
    for figures in results.values():
        figures["ratio"] = round(figures["mixed"]["rps"] / memory, 3) if memory else 0.0
    return results


def measure(wrk: str, port: int, extra: list[str]) -> dict[str, Any]:
    server = servers.serve(servers.secretmock_command(port, *extra), port)
    try:
        servers.wait_until_warm(port)
        one_client = {
            "get_p50_ms": one_client_p50(port, GET),
            "update_p50_ms": one_client_p50(port, SEED_UPDATES["fireworks"]),
        }
        return {"mixed": run_wrk(wrk, port, None, MIXED_LUA), **one_client}
    finally:
        servers.stop(server)


def one_client_p50(port: int, request: dict[str, Any]) -> float:
    """The median ms of ``REQUESTS_PER_STEP`` sequential ``request``s on one
    keep-alive connection (after 100 not counted)."""
    body = json.dumps(request["body"]).encode() if request["body"] is not None else None
    headers = {"Host": "127.0.0.1", **request["headers"]}
    if body is not None:
        headers["Content-Type"] = "application/json"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    times = []
    try:
        for n in range(REQUESTS_PER_STEP + 100):
            started = time.perf_counter()
            connection.request(request["method"], request["path"], body=body, headers=headers)
            answer = connection.getresponse()
            answer.read()
            if answer.status != 200:
                raise SystemExit(f"bench: {request['method']} {request['path']}: {answer.status}")
            if n >= 100:
                times.append(time.perf_counter() - started)
    finally:
        connection.close()
    return round(statistics.median(times) * 1000, 3)


@contextmanager
def redis_server(directory: Path) -> Iterator[str]:
    """A ``redis-server`` on a free loopback port, persistence off; its URL (db 0)."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("bench: the store comparison needs redis-server: run `make redis-deps`")
    port = servers.free_port()
    command = [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", ""]
    command += ["--appendonly", "no", "--dir", str(directory), "--loglevel", "warning"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not _answers(port):
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit("bench: redis-server did not start")
            time.sleep(0.02)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=20)


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def print_stores(results: dict[str, Any]) -> None:
    """The comparison's table: req/s of the mixed workload as a ratio to memory, and the
    one-client p50s."""
    print("\nshared stores, fireworks mixed CRUD (wrk -c16) and one client's p50 (2 cores:")
    print("with 2 workers, wrk, the workers and Redis share them)")
    print(f"{'store':<20}{'req/s':>9}{'x memory':>10}{'p99 ms':>9}{'get ms':>9}{'update ms':>11}")
    for name, figures in results.items():
        mixed = figures["mixed"]
        print(
            f"{name:<20}{mixed['rps']:>9.0f}{figures['ratio']:>10.2f}{mixed['p99_ms']:>9.2f}"
            f"{figures['get_p50_ms']:>9.3f}{figures['update_p50_ms']:>11.3f}"
        )
