"""Sandboxes on one shared server (README "Shared server", docs/shared-server.md): made,
served with the whole URL layout, guarded, listed, removed, expired and limited; and
isolated from each other and from the root under concurrent traffic.

One server for the module (``server``), with an admin token; the expiry and limit tests
use their own in-process app over a registry with a hand-moved clock.
"""

from __future__ import annotations

import re
import threading
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from secretmock.engine.emulator import Emulator
from secretmock.engine.sandboxes import Sandboxes
from secretmock.resources import default_fixtures_path
from secretmock.serve.background import BackgroundServer
from secretmock.vendors import all_vendors
from secretmock.web.admin import ROUTES
from secretmock.web.admin.guard import OPEN_PATHS, SAFE_METHODS
from secretmock.web.app import build_app

SERVER_TOKEN = "server-admin-token"
SERVER = {"Authorization": f"Bearer {SERVER_TOKEN}"}
FIREWORKS = {"Authorization": "Bearer fw-test-acme"}
SECRETS = "/fireworks/v1/accounts/acme/secrets"


@pytest.fixture(scope="module")
def root() -> Emulator:
    return Emulator(all_vendors(), [default_fixtures_path()])


@pytest.fixture(scope="module")
def server(root: Emulator) -> Iterator[BackgroundServer]:
    registry = Sandboxes(root.blueprint, max_sandboxes=80)
    with BackgroundServer(build_app(root, admin_token=SERVER_TOKEN, sandboxes=registry)) as up:
        yield up


def create(server: BackgroundServer, body: Any = None, **headers: str) -> requests.Response:
    kwargs: dict[str, Any] = {} if body is None else {"json": body}
    return requests.post(
        f"{server.url}/__admin__/sandboxes", headers={**SERVER, **headers}, timeout=10, **kwargs
    )


class Box:
    """A sandbox made for a test: its answer, and calls to its admin API with its token."""

    def __init__(self, server: BackgroundServer, body: Any = None) -> None:
        answer = create(server, body)
        assert answer.status_code == 201, answer.text
        self.made = answer.json()
        self.url: str = self.made["url"]
        self.auth = {"Authorization": f"Bearer {self.made['token']}"}

    def admin(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(
            method, f"{self.url}/__admin__{path}", headers=self.auth, timeout=10, **kwargs
        )

    def vendor(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(method, self.url + path, headers=FIREWORKS, timeout=10, **kwargs)

    def remove(self) -> None:
        self.admin("DELETE", "/sandbox")


def test_a_sandbox_answers_its_id_url_token_base_urls_and_expiry(
    server: BackgroundServer,
) -> None:
    box = Box(server)
    made = box.made
    assert set(made) == {"id", "url", "token", "base_urls", "expires_at"}
    assert len(made["id"]) >= 22 and re.fullmatch(r"[A-Za-z0-9_-]+", made["id"])  # 128+ bits
    assert made["url"] == f"{server.url}/sandboxes/{made['id']}"
    assert made["base_urls"]["fireworks"] == made["url"] + "/fireworks"
    assert made["base_urls"]["instabase"] == made["url"] + "/instabase/api"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", made["expires_at"])
    # vendor calls need only the vendor's own credentials
    listed = box.vendor("GET", SECRETS)
    assert listed.status_code == 200
    assert {s["name"] for s in listed.json()["secrets"]} >= {"accounts/acme/secrets/openai-key"}
    box.remove()


def test_the_sandbox_serves_its_own_dashboard_and_report(server: BackgroundServer) -> None:
    box = Box(server)
    page = requests.get(f"{box.url}/__admin__/", timeout=10)
    assert page.status_code == 200 and "<html" in page.text.lower()
    box.vendor("GET", SECRETS)
    report = box.admin("GET", "/report").json()
    assert report == requests.get(f"{box.url}/__admin__/report", headers=SERVER, timeout=10).json()
    assert "Gateway_ListSecrets" in str(report)
    box.remove()


def test_a_sandbox_starts_from_its_own_fixtures_seed_clock_and_versions(
    server: BackgroundServer,
) -> None:
    body = {
        "fixtures": [
            {
                "vendor": "fireworks",
                "id": "own",
                "credentials": [{"token": "fw-own", "role": "admin"}],
                "secrets": [{"name": "k1", "keyName": "K1", "value": "v"}],
            }
        ],
        "vendor_versions": {"langwatch": "before-2026-07-22"},
        "seed": 5,
        "clock": "2030-01-02T03:04:05Z",
        "ttl_seconds": 60,
    }
    box = Box(server, body)
    assert box.admin("GET", "/tenants").json() == {
        "tenants": [{"vendor": "fireworks", "id": "own", "secrets": 1}]
    }
    assert box.admin("GET", "/clock").json() == {
        "now": "2030-01-02T03:04:05.000000Z",
        "frozen": True,
    }
    versions = {v["name"]: v["version"] for v in box.admin("GET", "/vendors").json()["vendors"]}
    assert versions["langwatch"] == "before-2026-07-22"
    # a reset puts the sandbox back to its own start, clock included
    box.admin("PUT", "/clock", json={"advance": 3600})
    box.admin("POST", "/reset")
    assert box.admin("GET", "/clock").json()["now"] == "2030-01-02T03:04:05.000000Z"
    # the old credentials mean nothing here
    assert box.vendor("GET", SECRETS).status_code == 401
    box.remove()


@pytest.mark.parametrize(
    "body, field",
    [
        pytest.param([], "", id="not-an-object"),
        pytest.param({"colour": 1}, "colour", id="unknown-field"),
        pytest.param({"fixtures": {}}, "fixtures", id="fixtures-not-a-list"),
        pytest.param({"fixtures": [{"vendor": "nope", "id": "a"}]}, "fixtures", id="bad-vendor"),
        pytest.param({"fixtures": [{"vendor": "fireworks"}]}, "fixtures", id="no-id"),
        pytest.param({"vendor_versions": {"langwatch": "1999"}}, "vendor_versions", id="ver"),
        pytest.param({"vendor_versions": {"nope": "current"}}, "vendor_versions", id="vendor"),
        pytest.param({"seed": "x"}, "seed", id="seed"),
        pytest.param({"clock": "yesterday"}, "clock", id="clock"),
        pytest.param({"clock": 5}, "clock", id="clock-type"),
        pytest.param({"ttl_seconds": 0}, "ttl_seconds", id="ttl-zero"),
        pytest.param({"ttl_seconds": True}, "ttl_seconds", id="ttl-bool"),
        pytest.param({"ttl_seconds": 10**9}, "ttl_seconds", id="ttl-over-max"),
    ],
)
def test_a_bad_body_gets_400_naming_the_field(
    server: BackgroundServer, body: Any, field: str
) -> None:
    before = len(
        requests.get(f"{server.url}/__admin__/sandboxes", headers=SERVER).json()["sandboxes"]
    )
    answer = create(server, body)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_sandbox"
    assert f"'{field}'" in answer.json()["message"] or not field
    after = requests.get(f"{server.url}/__admin__/sandboxes", headers=SERVER).json()["sandboxes"]
    assert len(after) == before


def test_malformed_json_is_400(server: BackgroundServer) -> None:
    answer = requests.post(
        f"{server.url}/__admin__/sandboxes",
        data=b"{",
        headers={**SERVER, "Content-Type": "application/json"},
        timeout=10,
    )
    assert answer.status_code == 400 and answer.json()["error"] == "malformed_json"


def test_listing_needs_the_server_token_and_never_shows_tokens(
    server: BackgroundServer,
) -> None:
    box = Box(server)
    assert requests.get(f"{server.url}/__admin__/sandboxes", timeout=10).status_code == 401
    other = requests.get(f"{server.url}/__admin__/sandboxes", headers=box.auth, timeout=10)
    assert other.status_code == 401
    assert create(server, None, Authorization=box.auth["Authorization"]).status_code == 401
    listed = requests.get(f"{server.url}/__admin__/sandboxes", headers=SERVER, timeout=10)
    assert box.made["id"] in {s["id"] for s in listed.json()["sandboxes"]}
    assert box.made["token"] not in listed.text
    box.remove()


def _concrete(path: str) -> str:
    return path.format(vendor="fireworks", tenant="acme", id="nope")


@pytest.mark.parametrize(
    "method, path",
    [pytest.param(m, p, id=f"{m} {p}") for m, p, _ in ROUTES],
)
def test_every_admin_route_under_a_sandbox_is_guarded(
    server: BackgroundServer, method: str, path: str
) -> None:
    box, neighbour = Box(server), Box(server)
    url = f"{box.url}/__admin__{_concrete(path)}"
    kwargs: dict[str, Any] = {"timeout": 10}
    if method in {"POST", "PUT"}:
        kwargs["json"] = {}
    bare = requests.request(method, url, **kwargs)
    foreign = requests.request(method, url, headers=neighbour.auth, **kwargs)
    served = requests.request(method, url, headers=SERVER, **kwargs)
    if method in SAFE_METHODS and path in OPEN_PATHS:
        assert bare.status_code == foreign.status_code == 200
    else:
        assert bare.status_code == 401 and bare.json()["error"] == "unauthorized"
        assert foreign.status_code == 401
    assert served.status_code not in {401, 403, 500}
    assert served.headers["content-type"].startswith(
        "text/html" if path == "/" else "application/json"
    )
    if path == "/sandbox":
        assert served.status_code == 200  # the server's token removed it
    box.remove()
    neighbour.remove()


def test_root_only_routes_do_not_nest(server: BackgroundServer) -> None:
    box = Box(server)
    assert box.admin("POST", "/sandboxes").status_code == 404
    assert box.admin("GET", "/sandboxes").status_code == 404
    assert box.admin("GET", "/health").json()["sandbox"] == box.made["id"]
    assert requests.delete(f"{server.url}/__admin__/sandbox", headers=SERVER).status_code == 404
    box.remove()


BELOW = [
    "",
    "/",
    "/__admin__/",
    "/__admin__/health",
    "/__admin__/tenants",
    "/__admin__/report",
    SECRETS,
    "/nothing/here",
]


@pytest.mark.parametrize("how", ["own-token", "server-admin"])
def test_a_removed_sandbox_answers_404_json_below_it(server: BackgroundServer, how: str) -> None:
    box = Box(server)
    if how == "own-token":
        gone = box.admin("DELETE", "/sandbox")
    else:
        gone = requests.delete(
            f"{server.url}/__admin__/sandboxes/{box.made['id']}", headers=SERVER, timeout=10
        )
    assert gone.status_code == 200 and gone.json() == {"status": "removed", "id": box.made["id"]}
    for path in BELOW:
        for method in ("GET", "POST", "DELETE"):
            answer = requests.request(method, box.url + path, headers=box.auth, timeout=10)
            assert answer.status_code == 404, (method, path)
            assert answer.json()["error"] == "unknown_sandbox"
    again = requests.delete(
        f"{server.url}/__admin__/sandboxes/{box.made['id']}", headers=SERVER, timeout=10
    )
    assert again.status_code == 404


def test_an_unknown_sandbox_answers_404_json(server: BackgroundServer) -> None:
    for path in ["/sandboxes", "/sandboxes/", "/sandboxes/x" * 3, "/sandboxes/abc/__admin__/"]:
        answer = requests.get(server.url + path, timeout=10)
        assert answer.status_code == 404 and answer.json()["error"] == "unknown_sandbox"


# -- expiry and limits, on a registry whose real time the test moves ---------------------


class Moved:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def moved(root: Emulator) -> Iterator[tuple[Any, Moved, Sandboxes]]:
    from starlette.testclient import TestClient

    clock = Moved()
    registry = Sandboxes(root.blueprint, max_sandboxes=2, max_ttl_seconds=600, clock=clock)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # A loopback Host: without an admin token the admin API answers no other.
        client = TestClient(
            build_app(root, sandboxes=registry, default_ttl=300), base_url="http://127.0.0.1"
        )
    yield client, clock, registry


def test_an_idle_sandbox_expires_by_real_time_and_use_keeps_it(
    moved: tuple[Any, Moved, Sandboxes],
) -> None:
    client, clock, registry = moved
    made = client.post("/__admin__/sandboxes", json={"ttl_seconds": 100}).json()
    path = made["url"].removeprefix("http://127.0.0.1")
    auth = {"Authorization": f"Bearer {made['token']}"}
    clock.now += 90
    assert client.get(path + "/__admin__/tenants", headers=auth).status_code == 200
    clock.now += 90  # 180 s since creation, 90 since last use
    assert client.get(path + "/__admin__/tenants", headers=auth).status_code == 200
    # the emulated clock moving does not age it
    client.put(path + "/__admin__/clock", headers=auth, json={"advance": 10**6})
    assert client.get(path + "/__admin__/tenants", headers=auth).status_code == 200
    clock.now += 101
    assert client.get(path + "/__admin__/tenants", headers=auth).status_code == 404
    assert len(registry) == 0


def test_the_default_ttl_and_an_expired_sandbox_is_swept_unasked(
    moved: tuple[Any, Moved, Sandboxes],
) -> None:
    client, clock, registry = moved
    client.post("/__admin__/sandboxes")
    listed = client.get("/__admin__/sandboxes").json()["sandboxes"]
    assert [box["ttl_seconds"] for box in listed] == [300]
    clock.now += 301
    client.get("/__admin__/health")  # any request sweeps (at most once a second)
    assert len(registry) == 0


def test_beyond_the_limit_429_with_retry_after(moved: tuple[Any, Moved, Sandboxes]) -> None:
    client, clock, registry = moved
    first = client.post("/__admin__/sandboxes", json={"ttl_seconds": 50}).json()
    clock.now += 0.5
    client.post("/__admin__/sandboxes", json={"ttl_seconds": 200})
    refused = client.post("/__admin__/sandboxes")
    assert refused.status_code == 429
    assert refused.json()["error"] == "too_many_sandboxes"
    assert refused.headers["retry-after"] == "50"
    client.delete(f"/__admin__/sandboxes/{first['id']}")
    assert client.post("/__admin__/sandboxes").status_code == 201
    assert client.post("/__admin__/sandboxes", json={"ttl_seconds": 601}).status_code == 400
    assert len(registry) == 2


# -- isolation under load -----------------------------------------------------------------

SANDBOXES_AT_ONCE = 50
ROUNDS = 4


def _traffic(box: Box, index: int, failures: list[str]) -> None:
    """Creates, updates and deletes secrets named after ``index``, resets, adds a fault
    rule and moves the clock, then checks that everything seen is its own."""
    try:
        box.admin("PUT", "/clock", json={"now": f"{2000 + index}-01-01T00:00:00Z"})
        for round_ in range(ROUNDS):
            name = f"box{index}-r{round_}"
            made = box.vendor(
                "POST",
                SECRETS,
                json={"name": name, "keyName": name.upper().replace("-", "_"), "value": "v"},
            )
            assert made.status_code == 200, made.text
            updated = box.vendor(
                "PATCH",
                f"{SECRETS}/{name}",
                json={"keyName": name.upper().replace("-", "_"), "value": "w"},
            )
            assert updated.status_code == 200, updated.text
            if round_ % 2:
                assert box.vendor("DELETE", f"{SECRETS}/{name}").status_code == 200
        rule = box.admin(
            "POST",
            "/faults",
            json={"vendor": "fireworks", "operation": "Gateway_GetSecret", "status": 503},
        )
        assert rule.status_code == 201, rule.text
        assert box.vendor("GET", f"{SECRETS}/openai-key").status_code == 503
        _check_own(box, index)
        box.admin("POST", "/reset")
        assert box.vendor("GET", f"{SECRETS}/openai-key").status_code == 200
        names = {s["name"] for s in box.vendor("GET", SECRETS).json()["secrets"]}
        assert not [n for n in names if "box" in n], names
    except AssertionError as exc:
        failures.append(f"sandbox {index}: {exc}")


def _check_own(box: Box, index: int) -> None:
    names = {s["name"].rsplit("/", 1)[1] for s in box.vendor("GET", SECRETS).json()["secrets"]}
    boxes = {n for n in names if n.startswith("box")}
    assert boxes == {f"box{index}-r0", f"box{index}-r2"}, boxes
    assert box.admin("GET", "/clock").json()["now"].startswith(f"{2000 + index}-")
    faults = box.admin("GET", "/faults").json()["faults"]
    assert len(faults) == 1
    entries = box.admin("GET", "/journal").json()["entries"]
    touched = {e["path"] for e in entries if "box" in e["path"]}
    assert all(f"box{index}-" in path for path in touched), touched
    assert len(entries) == 3 * ROUNDS - ROUNDS // 2 + 2
    coverage = box.admin("GET", "/report").json()
    created = _count(coverage, "Gateway_CreateSecret")
    assert created == ROUNDS, created


def _count(report: dict[str, Any], operation: str) -> int:
    """How often the report says ``operation`` of Fireworks answered, all statuses."""
    for op in report["vendors"]["fireworks"]["operations"]:
        if op["operationId"] == operation:
            return sum(op["statuses"].values())
    raise AssertionError(f"{operation} not in the report")


def test_fifty_sandboxes_at_once_see_nothing_of_each_other(
    server: BackgroundServer, root: Emulator
) -> None:
    root_before = (root.tenants(), root.journal.last_seq(), root.clock.now().year)
    boxes = [Box(server) for _ in range(SANDBOXES_AT_ONCE)]
    failures: list[str] = []
    threads = [
        threading.Thread(target=_traffic, args=(box, index, failures))
        for index, box in enumerate(boxes)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert (root.tenants(), root.journal.last_seq(), root.clock.now().year) == root_before
    assert root.faults.active == ()
    for box in boxes:
        box.remove()
    listed = requests.get(f"{server.url}/__admin__/sandboxes", headers=SERVER, timeout=10)
    assert listed.json()["sandboxes"] == []
