"""Micro-benchmarks of the engine called in this process, without a socket: one request
through a vendor's pipeline, through the requests/httpx interception (beside the same
call stubbed by ``responses`` and ``respx``), a reset, and how Fireworks' operations
scale with the secrets in a tenant.

The engine's request type is built in ``engine_request`` only: if its name or fields
change, that function is the one line to follow.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Mapping
from typing import Any

from bench.workloads import SEED_UPDATES


def engine_request(
    method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
) -> Any:
    """What a vendor pipeline's ``handle`` takes: ``path`` under the vendor's prefix,
    ``headers`` with lower-case names."""
    from secretmock.engine.incoming import IncomingRequest

    return IncomingRequest(method, path, query, dict(headers), body)


def per_call_ms(call: Callable[[], object], count: int) -> float:
    """The median of ``count`` timed calls, in ms, after up to 200 untimed warm-up calls."""
    for _ in range(min(200, count)):
        call()
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return round(statistics.median(samples) * 1000, 4)


def in_process_costs() -> dict[str, float]:
    """Fireworks' seed update through its pipeline and through interception; a reset."""
    import httpx
    import requests

    from secretmock.engine.emulator import Emulator
    from secretmock.resources import default_fixtures_path
    from secretmock.testing.intercept import Interceptor
    from secretmock.vendors import all_vendors

    emulator = Emulator(all_vendors(), [default_fixtures_path()])
    seed = SEED_UPDATES["fireworks"]
    url = "https://api.fireworks.ai" + seed["path"].removeprefix("/fireworks")
    pipeline = emulator.pipelines["fireworks"]
    raw = engine_request(
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
    costs.update(static_stub_costs(url, seed))
    return costs


def static_stub_costs(url: str, seed: dict[str, Any]) -> dict[str, float]:
    """The same call through the static stub libraries, ``responses`` (for requests)
    and ``respx`` (for httpx), each answering a canned body: what a test pays with no
    validation and no state, the figure the interception should stay at or below."""
    import httpx
    import requests
    import responses
    import respx

    answer = {"name": "accounts/acme/secrets/s1", "keyName": seed["body"]["keyName"]}
    costs = {}
    with responses.RequestsMock() as stubbed, requests.Session() as session:
        stubbed.add(seed["method"], url, json=answer)
        costs["responses_ms"] = per_call_ms(
            lambda: session.request(
                seed["method"], url, headers=seed["headers"], json=seed["body"]
            ),
            3000,
        )
    with respx.mock(assert_all_called=False) as router, httpx.Client() as client:
        router.route(method=seed["method"], url=url).mock(
            return_value=httpx.Response(200, json=answer)
        )
        costs["respx_ms"] = per_call_ms(
            lambda: client.request(seed["method"], url, headers=seed["headers"], json=seed["body"]),
            3000,
        )
    return costs


def scaling(sizes: tuple[int, ...] = (10, 10_000, 100_000)) -> dict[str, dict[str, float]]:
    """p50 of Fireworks get, update and first/late list pages with N secrets in a tenant."""
    return {str(size): scaling_at(size) for size in sizes}


def scaling_at(size: int) -> dict[str, float]:
    from secretmock.engine.emulator import Emulator
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
        request = engine_request(method, path, query, headers, body)
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
    headers = {"authorization": "Bearer t"}
    query, walked = "pageSize=50", 0
    while walked < size - 250:
        page_query = query.replace("50", "200", 1)
        page = json.loads(
            pipeline.handle(engine_request("GET", base, page_query, headers, b"")).data
        )
        if not page["nextPageToken"]:
            break
        walked += 200
        query = f"pageSize=50&pageToken={page['nextPageToken']}"
    return query
