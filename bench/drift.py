"""The drift check's costs (`make bench`, or ``python -m bench.drift`` alone):

* the latency ``secretmock proxy`` adds to an exchange on loopback, its shadow and twin
  included: the p50 of one keep-alive client's requests through the proxy to an upstream
  ``secretmock serve``, less the p50 of the same requests sent to the upstream directly
  (target: under 5 ms);
* ``secretmock drift replay`` of a 1,000-exchange recording, the command's whole run
  (interpreter, specs, shadow and twin; target: under 10 s), and the replay alone
  in this process.
"""

from __future__ import annotations

import http.client
import io
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import servers
from bench.workloads import SEED_UPDATES

EXCHANGES = 2000
"""Requests timed per path (direct, through the proxy), after a warm-up."""
REPLAYED = 1000


def proxy_command(port: int, upstream_port: int) -> list[str]:
    upstreams = [
        f"--upstream={name}=http://127.0.0.1:{upstream_port}/{name}"
        + ("/api" if name == "instabase" else "")
        for name in SEED_UPDATES
    ]
    return [sys.executable, "-m", "secretmock", "proxy", "--port", str(port), *upstreams]


def p50_ms(port: int, requests: list[dict[str, Any]], count: int) -> float:
    """The median of ``count`` requests (cycling through ``requests``) on one keep-alive
    connection, after 200 untimed ones."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    prepared = [
        (r["method"], r["path"], json.dumps(r["body"]).encode(), {**r["headers"], **JSON})
        for r in requests
    ]
    samples = []
    try:
        for index in range(200 + count):
            method, path, body, headers = prepared[index % len(prepared)]
            started = time.perf_counter()
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            if index >= 200:
                samples.append(time.perf_counter() - started)
            if response.status >= 300:
                sys.exit(f"{method} {path} answered {response.status}")
    finally:
        connection.close()
    return round(statistics.median(samples) * 1000, 3)


JSON = {"Content-Type": "application/json"}


def proxy_latency() -> dict[str, float]:
    """p50 direct and through the proxy over the five seed updates, and the difference."""
    upstream_port, proxy_port = servers.free_port(), servers.free_port()
    upstream = servers.serve(servers.secretmock_command(upstream_port), upstream_port)
    try:
        servers.wait_until_warm(upstream_port)
        proxy = servers.serve(proxy_command(proxy_port, upstream_port), proxy_port)
        try:
            servers.wait_until_warm(proxy_port)
            workload = list(SEED_UPDATES.values())
            direct = p50_ms(upstream_port, workload, EXCHANGES)
            proxied = p50_ms(proxy_port, workload, EXCHANGES)
        finally:
            servers.stop(proxy)
    finally:
        servers.stop(upstream)
    return {
        "direct_p50_ms": direct,
        "proxied_p50_ms": proxied,
        "added_p50_ms": round(proxied - direct, 3),
    }


def recording(count: int = REPLAYED) -> str:
    """A recording of ``count`` exchanges: the five vendors' seed updates and listings in
    turn, an emulator standing in for the real vendors."""
    from secretmock.drift import DriftChecker
    from secretmock.drift.profiles import PROFILES
    from secretmock.drift.record import Recorder
    from secretmock.drift.shadow import answer_of
    from secretmock.engine.emulator import Emulator
    from secretmock.engine.incoming import incoming_request
    from secretmock.engine.sources import Sources
    from secretmock.resources import default_fixtures_path
    from secretmock.vendors import all_vendors

    def made(seed: int) -> Emulator:
        return Emulator(all_vendors(), [default_fixtures_path()], Sources(seed=seed))

    upstream = made(1)
    stream = io.StringIO()
    checker = DriftChecker(made(2), made(3), recorder=Recorder(stream, PROFILES))
    requests = []
    for name, seed in SEED_UPDATES.items():
        prefix = upstream.pipelines[name].vendor.prefix
        path = seed["path"].removeprefix(prefix)
        body = json.dumps(seed["body"]).encode()
        headers = [*seed["headers"].items(), ("content-type", "application/json")]
        listing = path if name in ("prismeai", "instabase") else path.rsplit("/", 1)[0]
        requests.append((name, incoming_request(seed["method"], path, "", headers, body)))
        requests.append((name, incoming_request("GET", listing, "", headers, b"")))
    for index in range(count):
        name, request = requests[index % len(requests)]
        checker.exchange(name, request, answer_of(upstream.pipelines[name].handle(request)))
    return stream.getvalue()


def replay_costs() -> dict[str, float]:
    """Seconds to replay :data:`REPLAYED` exchanges: the command, and in this process."""
    from secretmock.drift import DriftChecker
    from secretmock.drift.record import read_recording
    from secretmock.serve.proxy import shadow_emulators
    from secretmock.serve.settings import ServeSettings

    text = recording()
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "recording.ndjson"
        path.write_text(text)
        started = time.perf_counter()
        command = [sys.executable, "-m", "secretmock", "drift", "replay", str(path)]
        result = subprocess.run(command, capture_output=True, text=True, cwd=servers.ROOT)
        command_s = time.perf_counter() - started
        if result.returncode != 0:
            sys.exit(f"drift replay failed: {result.stdout}{result.stderr}")
    exchanges = list(read_recording(text.splitlines()))
    shadow, twin = shadow_emulators(ServeSettings(), {e.vendor for e in exchanges}, 1)
    checker = DriftChecker(shadow, twin)
    started = time.perf_counter()
    for exchange in exchanges:
        checker.exchange(exchange.vendor, exchange.request, exchange.answer, exchange.tenancy)
    in_process_s = time.perf_counter() - started
    return {
        "exchanges": len(exchanges),
        "command_s": round(command_s, 2),
        "in_process_s": round(in_process_s, 2),
    }


def drift_costs() -> dict[str, Any]:
    return {"proxy": proxy_latency(), "replay": replay_costs()}


def print_drift(costs: dict[str, Any]) -> None:
    proxy, replay = costs["proxy"], costs["replay"]
    print(
        f"\ndrift check: secretmock proxy adds {proxy['added_p50_ms']:.2f} ms p50 per exchange "
        f"(direct {proxy['direct_p50_ms']:.2f} ms, through the proxy with shadow and twin "
        f"{proxy['proxied_p50_ms']:.2f} ms; target < 5 ms)"
    )
    print(
        f"drift replay of {replay['exchanges']} exchanges: {replay['command_s']:.2f} s for the "
        f"command, {replay['in_process_s']:.2f} s of it the replay (target < 10 s)"
    )


if __name__ == "__main__":
    print_drift(drift_costs())
