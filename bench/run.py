"""`make bench`: secretmock's speed, measured against a bare Starlette floor in one run.

Starts `secretmock serve` (one uvicorn worker; uvloop and httptools are installed with
secretmock, so uvicorn picks them) and `bench/floor.py` on 127.0.0.1, drives both with
wrk (-t1 -c16), and measures in-process costs in this process. Prints a table and writes
the same figures to bench-results.json. Nothing here is part of `make test`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DURATION = os.environ.get("BENCH_DURATION", "10s")
CONNECTIONS = "16"
RESULTS = ROOT / "bench-results.json"

# The seed "update secret" operation of each vendor, with the default fixtures.
SEED_UPDATES: dict[str, dict[str, Any]] = {
    "prismeai": {
        "method": "PUT",
        "path": "/prismeai/v2/workspaces/ws1/security/secrets",
        "headers": {"x-prismeai-api-key": "prisme-test-ws1"},
        "body": {"openaiApiKey": {"value": "sk-rotated"}, "allowedModels": {"value": ["gpt4"]}},
    },
    "langwatch": {
        "method": "PUT",
        "path": "/langwatch/api/secrets/demo_openai_key_00001",
        "headers": {"X-Auth-Token": "sk-lw-test-demo"},
        "body": {"value": "sk-rotated"},
    },
    "instabase": {
        "method": "PATCH",
        "path": "/instabase/api/v2/aihub/secrets",
        "headers": {"Authorization": "Bearer ib-test-admin", "IB-Context": "acme-org"},
        "body": {"alias": "my_secret", "value": "new password", "allowed_workspaces_type": "ALL"},
    },
    "insforge": {
        "method": "PUT",
        "path": "/insforge/api/secrets/STRIPE_API_KEY",
        "headers": {"Authorization": "Bearer ik_test_demo_admin"},
        "body": {"value": "sk_test_rotated"},
    },
    "fireworks": {
        "method": "PATCH",
        "path": "/fireworks/v1/accounts/acme/secrets/s1",
        "headers": {"Authorization": "Bearer fw-test-acme"},
        "body": {"keyName": "WOLFRAM_ALPHA_API_KEY", "value": "rotated"},
    },
}

MIXED_LUA = """
-- Fireworks create / list / get / update / delete, in turn.
local n = 0
local auth = "Bearer fw-test-acme"
request = function()
  n = n + 1
  local step = n % 5
  local base = "/fireworks/v1/accounts/acme/secrets"
  local headers = {["Authorization"] = auth, ["Content-Type"] = "application/json"}
  if step == 0 then
    local id = "m" .. n
    return wrk.format("POST", base, headers,
      '{"name": "' .. id .. '", "keyName": "K' .. n .. '", "value": "v"}')
  elseif step == 1 then
    return wrk.format("GET", base .. "?pageSize=50", headers)
  elseif step == 2 then
    return wrk.format("GET", base .. "/s1", headers)
  elseif step == 3 then
    return wrk.format("PATCH", base .. "/s1", headers,
      '{"keyName": "WOLFRAM_ALPHA_API_KEY", "value": "v' .. n .. '"}')
  elseif n > 54 then
    -- delete what was created ten rounds ago: long since answered
    return wrk.format("DELETE", base .. "/m" .. (n - 54), headers)
  else
    return wrk.format("GET", base .. "/openai-key", headers)
  end
end
"""


def main() -> int:
    wrk = ensure_wrk()
    results: dict[str, Any] = {"duration": DURATION, "connections": int(CONNECTIONS)}
    port = free_port()
    results["startup_s"] = startup_time()
    floor = serve(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.floor:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        port,
    )
    try:
        results["floor"] = run_wrk(wrk, port, SEED_UPDATES["fireworks"])
    finally:
        stop(floor)
    server = serve([sys.executable, "-m", "secretmock", "serve", "--port", str(port)], port)
    wait_until_warm(port)
    try:
        results["vendors"] = {
            name: run_wrk(wrk, port, request) for name, request in SEED_UPDATES.items()
        }
        results["mixed"] = run_wrk(wrk, port, None, MIXED_LUA)
        results["rss_mb"] = rss_mb(server.pid)
    finally:
        stop(server)
    results["in_process"] = in_process_costs()
    results["scaling"] = scaling()
    RESULTS.write_text(json.dumps(results, indent=2))
    print_table(results)
    return 0


# -- servers and wrk ---------------------------------------------------------------------


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing wrk (Debian package)...", flush=True)
        subprocess.run(["apt-get", "update", "-qq"], check=False, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, capture_output=True)
        found = shutil.which("wrk")
    if not found:
        sys.exit("make bench needs wrk: install it (Debian/Ubuntu: apt-get install wrk)")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(command: list[str], port: int) -> subprocess.Popen[bytes]:
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
            sock.sendall(b"GET /__admin__/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
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


def startup_time(runs: int = 3) -> float:
    """Seconds from `secretmock serve` being started to the first 200 of a seed update
    (all five specs loaded); the median of ``runs``."""
    times = []
    request = SEED_UPDATES["fireworks"]
    for _ in range(runs):
        port = free_port()
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "secretmock", "serve", "--port", str(port)],
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


def request_lua(request: dict[str, Any]) -> str:
    lines = [
        f'wrk.method = "{request["method"]}"',
        f"wrk.body = {json.dumps(json.dumps(request['body']))}",
        'wrk.headers["Content-Type"] = "application/json"',
    ]
    lines += [f'wrk.headers["{k}"] = "{v}"' for k, v in request["headers"].items()]
    return "\n".join(lines) + "\n"


def run_wrk(wrk: str, port: int, request: dict[str, Any] | None, lua: str = "") -> dict[str, Any]:
    script = lua or request_lua(request or {})
    path = request["path"] if request else "/"
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        output = subprocess.run(
            [
                wrk,
                "-t1",
                f"-c{CONNECTIONS}",
                f"-d{DURATION}",
                "--latency",
                "-s",
                handle.name,
                f"http://127.0.0.1:{port}{path}",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(handle.name)
    return parse_wrk(output)


def parse_wrk(output: str) -> dict[str, Any]:
    def latency(percentile: str) -> float:
        match = re.search(rf"^\s+{percentile}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        if not match:
            return float("nan")
        scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[match.group(2)]
        return round(float(match.group(1)) * scale, 3)

    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    total = re.search(r"(\d+) requests in", output)
    return {
        "rps": round(float(rps.group(1)), 1) if rps else 0.0,
        "p50_ms": latency("50"),
        "p99_ms": latency("99"),
        "requests": int(total.group(1)) if total else 0,
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
    }


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmRSS:\s+(\d+) kB", status)
    return round(int(match.group(1)) / 1024, 1) if match else float("nan")


# -- in-process ---------------------------------------------------------------------------


def per_call_ms(call: Callable[[], object], count: int) -> float:
    for _ in range(min(200, count)):
        call()
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return round(statistics.median(samples) * 1000, 4)


def in_process_costs() -> dict[str, float]:
    import httpx
    import requests

    from secretmock.engine.emulator import Emulator
    from secretmock.engine.incoming import IncomingRequest
    from secretmock.intercept import Interceptor
    from secretmock.resources import default_fixtures_path
    from secretmock.vendors import all_vendors

    emulator = Emulator(all_vendors(), [default_fixtures_path()])
    seed = SEED_UPDATES["fireworks"]
    url = "https://api.fireworks.ai" + seed["path"].removeprefix("/fireworks")
    pipeline = emulator.pipelines["fireworks"]
    raw = IncomingRequest(
        seed["method"],
        url.removeprefix("https://api.fireworks.ai"),
        "",
        {"authorization": "Bearer fw-test-acme", "content-type": "application/json"},
        json.dumps(seed["body"]).encode(),
    )
    costs = {"pipeline_ms": per_call_ms(lambda: pipeline.handle(raw), 3000)}
    with Interceptor(emulator), requests.Session() as session, httpx.Client() as client:
        costs["intercepted_requests_ms"] = per_call_ms(
            lambda: session.request(
                seed["method"], url, headers=seed["headers"], json=seed["body"]
            ),
            3000,
        )
        costs["intercepted_httpx_ms"] = per_call_ms(
            lambda: client.request(seed["method"], url, headers=seed["headers"], json=seed["body"]),
            3000,
        )
    costs["reset_ms"] = per_call_ms(emulator.reset, 500)
    return costs


def scaling() -> dict[str, dict[str, float]]:
    """p50 of Fireworks get, update and first/late list pages with N secrets in a tenant."""
    return {str(size): scaling_at(size) for size in (10, 10_000, 100_000)}


def scaling_at(size: int) -> dict[str, float]:
    from secretmock.engine.emulator import Emulator
    from secretmock.engine.incoming import IncomingRequest
    from secretmock.vendors import all_vendors

    emulator = Emulator(all_vendors())
    secrets = [{"name": f"k{i:06d}", "keyName": f"K{i:06d}", "value": "v"} for i in range(size)]
    emulator.put_tenant("fireworks", "acme", {"credentials": [{"token": "t"}], "secrets": secrets})
    pipeline = emulator.pipelines["fireworks"]
    headers = {"authorization": "Bearer t", "content-type": "application/json"}
    base = "/v1/accounts/acme/secrets"
    middle = size // 2
    update = json.dumps({"keyName": f"K{middle:06d}", "value": "new"}).encode()

    def call(method: str, path: str, query: str = "", body: bytes = b"") -> Callable[[], Any]:
        request = IncomingRequest(method, path, query, headers, body)
        return lambda: pipeline.handle(request)

    return {
        "get_ms": per_call_ms(call("GET", f"{base}/k{middle:06d}"), 1000),
        "update_ms": per_call_ms(call("PATCH", f"{base}/k{middle:06d}", body=update), 1000),
        "list_first_page_ms": per_call_ms(call("GET", base, "pageSize=50"), 300),
        "list_late_page_ms": per_call_ms(call("GET", base, late_query(pipeline, base, size)), 300),
    }


def late_query(pipeline: Any, base: str, size: int) -> str:
    """The query of a page near the end, with the server's own token, found by walking
    the pages (200 at a time)."""
    from secretmock.engine.incoming import IncomingRequest

    headers = {"authorization": "Bearer t"}
    query, walked = "pageSize=50", 0
    while walked < size - 250:
        page = json.loads(
            pipeline.handle(
                IncomingRequest("GET", base, query.replace("50", "200", 1), headers, b"")
            ).data
        )
        if not page["nextPageToken"]:
            break
        walked += 200
        query = f"pageSize=50&pageToken={page['nextPageToken']}"
    return query


# -- output -------------------------------------------------------------------------------


def print_table(results: dict[str, Any]) -> None:
    floor = results["floor"]["rps"]
    print(f"\nwrk -t1 -c{CONNECTIONS} -d{DURATION}, one uvicorn worker (uvloop, httptools)")
    print(f"{'workload':<22}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'x floor':>10}{'non-2xx':>9}")
    rows = [("floor (bare Starlette)", results["floor"])]
    rows += [(f"{name} seed update", r) for name, r in results["vendors"].items()]
    rows += [("fireworks mixed CRUD", results["mixed"])]
    for label, r in rows:
        print(
            f"{label:<22}{r['rps']:>10.0f}{r['p50_ms']:>10.2f}{r['p99_ms']:>10.2f}"
            f"{r['rps'] / floor:>10.2f}{r['non_2xx']:>9}"
        )
    print(f"\nstart-up to first 200 (five specs): {results['startup_s']:.3f} s")
    print(f"RSS after load: {results['rss_mb']} MB")
    costs = results["in_process"]
    print(
        f"in-process: pipeline {costs['pipeline_ms']:.3f} ms, via requests interception "
        f"{costs['intercepted_requests_ms']:.3f} ms, via httpx interception "
        f"{costs['intercepted_httpx_ms']:.3f} ms; reset {costs['reset_ms']:.3f} ms"
    )
    print("\nFireworks p50 (ms) by secrets in the tenant:")
    print(f"{'secrets':>9}{'get':>9}{'update':>9}{'list p1':>9}{'list late':>10}")
    for size, s in results["scaling"].items():
        print(
            f"{size:>9}{s['get_ms']:>9.3f}{s['update_ms']:>9.3f}"
            f"{s['list_first_page_ms']:>9.3f}{s['list_late_page_ms']:>10.3f}"
        )
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
