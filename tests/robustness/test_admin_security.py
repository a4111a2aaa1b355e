"""The admin API's guard (issue 8, bugs 4, 7 and 11; README "Admin API" and "Limits"):
the admin token, JSON-only bodies, calls from another origin's page, the body limit,
JSON in every answer, and the refusal to serve it open beyond loopback."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import requests

import secretmock
from secretmock.engine.emulator import Emulator
from secretmock.engine.incoming import MAX_BODY_BYTES
from secretmock.serve.background import BackgroundServer
from secretmock.serve.settings import admin_refusal
from secretmock.web.app import build_app
from tests.conftest import Api
from tests.helpers import table
from tests.robustness.serve import Served

TOKEN = "admin-t0ken"
TENANT = {"credentials": [{"token": "fw-globex"}], "secrets": []}


class AdminCall(NamedTuple):
    id: str
    method: str
    path: str
    json: Any


ADMIN_CALLS = [
    AdminCall("reset", "POST", "/__admin__/reset", None),
    AdminCall("list-tenants", "GET", "/__admin__/tenants", None),
    AdminCall("put-tenant", "PUT", "/__admin__/tenants/fireworks/globex", TENANT),
    AdminCall("get-tenant", "GET", "/__admin__/tenants/fireworks/acme", None),
    AdminCall("journal", "GET", "/__admin__/journal", None),
    AdminCall("clear-journal", "DELETE", "/__admin__/journal", None),
    AdminCall("violations", "GET", "/__admin__/violations", None),
    AdminCall("report", "GET", "/__admin__/report", None),
    AdminCall("unknown-call", "GET", "/__admin__/nope", None),
]


@pytest.fixture(scope="module")
def guarded(emulator: Emulator) -> Iterator[str]:
    """The root URL of a real server whose admin API has the token ``TOKEN``."""
    with BackgroundServer(build_app(emulator, admin_token=TOKEN)) as running:
        yield running.url


@table(ADMIN_CALLS)
def test_with_a_token_every_admin_call_needs_it(
    guarded: str, method: str, path: str, json: Any
) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        refused = requests.request(method, guarded + path, json=json, headers=headers, timeout=10)
        assert refused.status_code == 401, headers
        assert refused.json()["error"] == "unauthorized"
        assert refused.headers["www-authenticate"].startswith("Bearer")
    allowed = requests.request(
        method, guarded + path, json=json, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    )
    assert allowed.status_code in {200, 404}, allowed.text
    assert allowed.headers["content-type"] == "application/json"


def test_with_a_token_health_stays_open_and_vendors_are_unaffected(guarded: str) -> None:
    assert requests.get(f"{guarded}/__admin__/health", timeout=10).status_code == 200
    listed = requests.get(
        f"{guarded}/fireworks/v1/accounts/acme/secrets",
        headers={"Authorization": "Bearer fw-test-acme"},
        timeout=10,
    )
    assert listed.status_code == 200


def test_with_a_token_the_unslashed_page_redirects_and_head_health_answers(
    guarded: str,
) -> None:
    """As without a token: ``/__admin__`` leads to the page, and ``HEAD`` reads health."""
    unslashed = requests.get(f"{guarded}/__admin__", allow_redirects=False, timeout=10)
    assert unslashed.status_code in {301, 307, 308}
    assert unslashed.headers["location"].endswith("/__admin__/")
    page = requests.get(f"{guarded}/__admin__", timeout=10)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    head = requests.head(f"{guarded}/__admin__/health", timeout=10)
    assert head.status_code == 200 and head.content == b""
    posted = requests.post(f"{guarded}/__admin__", json={}, timeout=10)
    assert posted.status_code == 401


class Body(NamedTuple):
    id: str
    content_type: str | None
    data: bytes
    status: int


RESET_BODIES = [
    Body("no-body-no-type", None, b"", 200),
    Body("json-type-no-body", "application/json", b"", 200),
    Body("json", "application/json", b"{}", 200),
    Body("text-plain", "text/plain", b"x", 415),
    Body("empty-html-form", "application/x-www-form-urlencoded", b"", 415),
    Body("multipart-form", "multipart/form-data; boundary=x", b"--x--", 415),
    Body("body-without-type", None, b"{}", 415),
]


@table(RESET_BODIES)
def test_the_admin_api_takes_json_bodies_only(
    api: Api, content_type: str | None, data: bytes, status: int
) -> None:
    """A browser form (every enctype) cannot reset a running emulator."""
    api.request("PUT", "/__admin__/tenants/fireworks/globex", json=TENANT)
    headers = {"Content-Type": content_type} if content_type else {}
    response = api.request("POST", "/__admin__/reset", data=data, headers=headers)
    assert response.status_code == status, response.json()
    kept = api.request("GET", "/__admin__/tenants/fireworks/globex").status_code
    assert kept == (404 if status == 200 else 200)
    if status == 415:
        assert response.json()["error"] == "unsupported_media_type"


class Origin(NamedTuple):
    id: str
    headers: dict[str, str]
    status: int


ORIGINS = [
    Origin("no-origin", {}, 200),
    Origin("same-origin", {"Host": "localhost:8080", "Origin": "http://localhost:8080"}, 200),
    Origin("another-origin", {"Host": "localhost:8080", "Origin": "http://evil.test"}, 403),
    Origin("opaque-origin", {"Origin": "null"}, 403),
    Origin("fetch-metadata-cross-site", {"Sec-Fetch-Site": "cross-site"}, 403),
]


@table(ORIGINS)
def test_a_page_of_another_origin_cannot_change_anything(
    api: Api, headers: dict[str, str], status: int
) -> None:
    response = api.request("POST", "/__admin__/reset", headers=headers)
    assert response.status_code == status, response.json()
    reads = api.request("GET", "/__admin__/health", headers=headers)
    assert reads.status_code == 200


ADMIN_LIMIT = 64 * 1024


@pytest.fixture(scope="module")
def small_admin(emulator: Emulator) -> Iterator[str]:
    """The root URL of a real server whose admin API takes bodies of ADMIN_LIMIT bytes."""
    with BackgroundServer(build_app(emulator, admin_max_body=ADMIN_LIMIT)) as running:
        yield running.url


def test_admin_bodies_over_the_limit_are_refused(small_admin: str) -> None:
    big = b'{"secrets": [], "x": "' + b"a" * ADMIN_LIMIT + b'"}'
    response = requests.put(
        f"{small_admin}/__admin__/tenants/fireworks/globex",
        data=big,
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"
    assert "--admin-max-body" in response.json()["message"]
    assert (
        requests.get(f"{small_admin}/__admin__/tenants/fireworks/globex", timeout=10).status_code
        == 404
    )


def test_a_streamed_admin_body_is_cut_at_the_limit(small_admin: str) -> None:
    """Sent in chunks with no length announced, the body is refused once it passes the
    limit (``requests`` sends a generator as ``Transfer-Encoding: chunked``)."""

    def chunks() -> Iterator[bytes]:
        yield b'{"secrets": [], "x": "'
        for _ in range(2 * ADMIN_LIMIT // 4096):
            yield b"a" * 4096
        yield b'"}'

    response = requests.put(
        f"{small_admin}/__admin__/tenants/fireworks/globex",
        data=chunks(),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 413, response.text


def test_a_state_larger_than_the_vendors_limit_restores_by_default(tmp_path: Path) -> None:
    """The admin API's own limit (64 MiB) lets a state document past every vendor's
    1 MiB round-trip through ``PUT /__admin__/state`` with no option given, while a
    vendor body past 1 MiB still gets the vendor's 413 (issue 18, U3)."""
    secrets = [{"name": f"s{i}", "keyName": f"K_{i}", "value": "v" * 4096} for i in range(400)]
    with Served(tmp_path) as served:
        put = requests.put(
            f"{served.url}/__admin__/tenants/fireworks/big",
            json={"credentials": [{"token": "fw-big"}], "secrets": secrets},
            timeout=30,
        )
        assert put.status_code == 200, put.text
        state = requests.get(f"{served.url}/__admin__/state", timeout=30)
        assert len(state.content) > MAX_BODY_BYTES
        restored = requests.put(
            f"{served.url}/__admin__/state",
            data=state.content,
            headers={"Content-Type": "application/json"},
            timeout=30,
        )
        assert restored.status_code == 200, restored.text
        again = requests.get(f"{served.url}/__admin__/state", timeout=30)
        assert again.content == state.content
        vendor = requests.post(
            f"{served.url}/fireworks/v1/accounts/acme/secrets",
            data=b'{"value": "' + b"v" * MAX_BODY_BYTES + b'"}',
            headers={"Authorization": "Bearer fw-test-acme", "Content-Type": "application/json"},
            timeout=30,
        )
        assert vendor.status_code == 413


def test_admin_max_body_sets_the_admin_apis_limit_alone(tmp_path: Path) -> None:
    body = json.dumps({"secrets": [{"name": "n", "value": "v" * 3000}]})
    with Served(tmp_path, "--admin-max-body", "2048") as served:
        admin = requests.put(
            f"{served.url}/__admin__/tenants/prismeai/ws2",
            data=body,
            headers={"Content-Type": "application/json"},
            timeout=10,
        )
        assert (admin.status_code, admin.json()["error"]) == (413, "payload_too_large")
        assert "at most 2048 bytes" in admin.json()["message"]
        vendor = requests.put(
            f"{served.url}/prismeai/v2/workspaces/ws1/security/secrets",
            json={"openaiApiKey": {"value": "v" * 3000}},
            headers={"x-prismeai-api-key": "prisme-test-ws1"},
            timeout=10,
        )
        assert vendor.status_code == 200, vendor.text


class NotJson(NamedTuple):
    id: str
    method: str
    path: str
    status: int
    error: str


NOT_JSON = [
    NotJson("unknown-call", "GET", "/__admin__/nope", 404, "not_found"),
    NotJson("wrong-method", "DELETE", "/__admin__/reset", 405, "method_not_allowed"),
    NotJson("wrong-method-on-tenant", "POST", "/__admin__/tenants/x/y", 405, "method_not_allowed"),
]


@table(NOT_JSON)
def test_every_admin_answer_is_json(
    api: Api, method: str, path: str, status: int, error: str
) -> None:
    response = api.request(method, path)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"] == error
    if status == 405:
        assert response.headers["allow"]  # kept from the router's answer


def test_an_admin_failure_is_a_json_500(
    api: Api, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(emulator, "reset", broken)
    response = api.request("POST", "/__admin__/reset")
    assert response.status_code == 500
    assert response.json() == {
        "error": "internal_error",
        "message": "the admin API failed; see the server's log",
    }


@pytest.mark.parametrize(
    ("since", "status"),
    [
        pytest.param("0", 200, id="zero"),
        pytest.param("12", 200, id="digits"),
        pytest.param("%C2%B2", 400, id="superscript-two"),
        pytest.param("%D9%A3", 400, id="arabic-three"),
        pytest.param("-1", 400, id="negative"),
        pytest.param("1.5", 400, id="fraction"),
        pytest.param("", 400, id="empty"),
        pytest.param("9" * 40, 400, id="huge"),
    ],
)
@pytest.mark.parametrize("endpoint", ["journal", "violations"])
def test_since_takes_ascii_digits_only(api: Api, endpoint: str, since: str, status: int) -> None:
    response = api.request("GET", f"/__admin__/{endpoint}?since={since}")
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"


class Host(NamedTuple):
    id: str
    host: str
    token: str | None
    admin_open: bool
    refused: bool


HOSTS = [
    Host("loopback-v4", "127.0.0.1", None, False, False),
    Host("loopback-v4-other", "127.0.0.2", None, False, False),
    Host("loopback-v6", "::1", None, False, False),
    Host("localhost", "localhost", None, False, False),
    Host("every-interface", "0.0.0.0", None, False, True),
    Host("every-interface-v6", "::", None, False, True),
    Host("with-a-token", "0.0.0.0", TOKEN, False, False),
    Host("admin-open", "0.0.0.0", None, True, False),
    Host("unresolvable-name", "no-such-host.invalid", None, False, True),
    Host("empty-token", "127.0.0.1", "", False, True),
    Host("token-with-a-trailing-space", "127.0.0.1", "abc ", False, True),
    Host("token-with-a-leading-tab", "0.0.0.0", "\tabc", False, True),
    Host("token-with-inner-space", "127.0.0.1", "a b", False, False),
]


@table(HOSTS)
def test_only_loopback_serves_an_open_admin_api(
    host: str, token: str | None, admin_open: bool, refused: bool
) -> None:
    assert (admin_refusal(host, token, admin_open) is not None) == refused


def test_serve_refuses_a_non_loopback_host_without_a_token(tmp_path: Path) -> None:
    """Exit status 2 and how to fix it, before anything is bound."""
    result = subprocess.run(
        [sys.executable, "-m", "secretmock", "serve", "--host", "0.0.0.0", "--port", "0"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 2
    assert "--admin-token" in result.stderr and "--admin-open" in result.stderr
    assert result.stdout == ""  # no banner: nothing was served


@pytest.mark.parametrize(
    ("token", "says"), [("", "is empty"), ("abc ", "whitespace")], ids=["empty", "trailing-space"]
)
def test_serve_refuses_a_token_no_client_could_present(
    tmp_path: Path, token: str, says: str
) -> None:
    """An empty token would leave the API open; a padded one could never match."""
    result = subprocess.run(
        [sys.executable, "-m", "secretmock", "serve", "--port", "0", "--admin-token", token],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path(secretmock.__file__).parents[1])},
    )
    assert result.returncode == 2
    assert says in result.stderr and "Traceback" not in result.stderr


UNICODE_TOKEN = "pässwörd-✓-令牌"


def test_a_non_ascii_token_matches_its_utf8_bytes(emulator: Emulator) -> None:
    """curl and requests send a non-ASCII header as UTF-8 bytes: those open the API,
    and the same characters in any other encoding do not."""
    with BackgroundServer(build_app(emulator, admin_token=UNICODE_TOKEN)) as running:
        url = f"{running.url}/__admin__/tenants"

        def status(raw: bytes) -> int:
            headers = {"Authorization": b"Bearer " + raw}
            return requests.get(url, headers=headers, timeout=10).status_code

        assert status(UNICODE_TOKEN.encode("utf-8")) == 200
        assert status(b"  " + UNICODE_TOKEN.encode("utf-8") + b" ") == 200
        assert status("pässwörd".encode("latin-1")) == 401
        assert status(UNICODE_TOKEN.encode("utf-8")[:-1]) == 401


def test_report_sends_the_admin_token(guarded: str, tmp_path: Path) -> None:
    """Without the token, ``report`` says so and how to pass it (issue 18, N5)."""
    command = [sys.executable, "-m", "secretmock", "report", "--url", guarded]
    refused = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert refused.returncode == 2 and "HTTP 401" in refused.stderr
    assert "the admin API needs 'Authorization: Bearer <admin token>'" in refused.stderr
    assert "pass it with --admin-token TOKEN (or set SECRETMOCK_ADMIN_TOKEN)" in refused.stderr
    wrong = subprocess.run(
        [*command, "--admin-token", "not-it"], capture_output=True, text=True, timeout=60
    )
    assert wrong.returncode == 2 and "The token given was refused" in wrong.stderr
    given = subprocess.run(
        [*command, "--admin-token", TOKEN], capture_output=True, text=True, timeout=60
    )
    assert given.returncode in {0, 1}, given.stderr  # 1: violations recorded by other tests
    assert "operations exercised" in given.stdout


# -- DNS rebinding: the Host an open admin API answers (issue 18, S1) ------------------------

REBOUND = "rebind.attacker.example"


def rebound_calls(root: str) -> list[requests.Response]:
    """What a page of a rebound domain tries: reset, read the state, move the clock
    (each with the Origin its page has: its own domain, so the origin check passes)."""
    port = root.rsplit(":", 1)[1]
    page = {"Host": f"{REBOUND}:{port}", "Origin": f"http://{REBOUND}:{port}"}
    return [
        requests.post(f"{root}/__admin__/reset", headers=page, timeout=10),
        requests.get(f"{root}/__admin__/state", headers={"Host": page["Host"]}, timeout=10),
        requests.put(f"{root}/__admin__/clock", json={"advance": 1}, headers=page, timeout=10),
        requests.get(f"{root}/__admin__/", headers={"Host": page["Host"]}, timeout=10),
    ]


def test_a_rebound_domain_gets_nothing_from_an_open_admin_api(server: BackgroundServer) -> None:
    requests.put(f"{server.url}/__admin__/tenants/fireworks/globex", json=TENANT, timeout=10)
    try:
        for refused in rebound_calls(server.url):
            assert refused.status_code == 403, refused.text
            assert refused.headers["content-type"] == "application/json"
            assert refused.json()["error"] == "forbidden"
            assert "--allowed-host" in refused.json()["message"]
            assert "fw-globex" not in refused.text
        kept = requests.get(f"{server.url}/__admin__/tenants/fireworks/globex", timeout=10)
        assert kept.status_code == 200, "the reset never happened"
    finally:
        requests.post(f"{server.url}/__admin__/reset", timeout=10)


LOOPBACK_HOSTS = ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST", "[::1]:{port}", "127.0.0.2"]


@pytest.mark.parametrize("host", LOOPBACK_HOSTS)
def test_loopback_names_reach_an_open_admin_api(server: BackgroundServer, host: str) -> None:
    port = server.url.rsplit(":", 1)[1]
    answer = requests.get(
        f"{server.url}/__admin__/tenants", headers={"Host": host.format(port=port)}, timeout=10
    )
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(
    "host",
    ["evil.test", "127.0.0.1.evil.test", "localhost.evil.test", "a@127.0.0.1", "127.0.0.1:x", ""],
)
def test_other_names_do_not(server: BackgroundServer, host: str) -> None:
    answer = requests.get(f"{server.url}/__admin__/tenants", headers={"Host": host}, timeout=10)
    assert answer.status_code == 403, answer.text


def test_vendors_answer_any_host(server: BackgroundServer) -> None:
    listed = requests.get(
        f"{server.url}/fireworks/v1/accounts/acme/secrets",
        headers={"Authorization": "Bearer fw-test-acme", "Host": f"{REBOUND}:443"},
        timeout=10,
    )
    assert listed.status_code == 200


def test_with_a_token_any_host_may_call_with_it(guarded: str) -> None:
    answer = requests.get(
        f"{guarded}/__admin__/tenants",
        headers={"Host": REBOUND, "Authorization": f"Bearer {TOKEN}"},
        timeout=10,
    )
    assert answer.status_code == 200


def test_an_allowed_host_and_admin_open(tmp_path: Path) -> None:
    """``--allowed-host`` (here through its variable) adds names, any port;
    ``--admin-open`` takes any Host: both over the real command."""
    env = {"SECRETMOCK_ALLOWED_HOSTS": "proxy.test, other.test"}
    with Served(tmp_path, env=env) as served:
        for name, status in [
            ("proxy.test:9000", 200),
            ("Proxy.Test", 200),
            ("other.test:1", 200),
            (REBOUND, 403),
        ]:
            answer = requests.get(
                f"{served.url}/__admin__/tenants", headers={"Host": name}, timeout=10
            )
            assert answer.status_code == status, name
    with Served(tmp_path, "--admin-open") as served:
        answers = rebound_calls(served.url)
        assert [a.status_code for a in answers] == [200, 200, 200, 200]


@pytest.mark.parametrize("value", ["evil.test:80", "a b", "[::1]:80"])
def test_an_allowed_host_with_a_port_is_a_usage_error(value: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "secretmock", "serve", "--allowed-host", value],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "--allowed-host" in result.stderr and "is not a host name" in result.stderr
