"""``secretmock serve --store``: the real command on a SQLite store: two servers on one
database serve one state; a restart keeps it; what cannot be served is refused at
start-up (exit 2), naming it."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import threading
from pathlib import Path

import pytest
import requests

from tests.robustness.serve import COMMAND, GUARD_S, Served

SECRETS = "/fireworks/v1/accounts/acme/secrets"
FW = {"Authorization": "Bearer fw-test-acme"}


def refused(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, "serve", "--port", "0", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=GUARD_S,
    )


def test_two_servers_on_one_sqlite_store_serve_one_state_and_a_restart_keeps_it(
    tmp_path: Path,
) -> None:
    store = f"sqlite:///{tmp_path / 'state.db'}"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    one = Served(tmp_path / "a", "--store", store, "--clock", "2031-05-06T07:08:09Z").start()
    two = Served(tmp_path / "b", "--store", store).start()
    try:
        body = {"name": "shared", "keyName": "SHARED", "value": "v"}
        assert requests.post(one.url + SECRETS, json=body, headers=FW, timeout=10).ok
        got = requests.get(f"{two.url}{SECRETS}/shared", headers=FW, timeout=10)
        assert got.status_code == 200
        clock = requests.get(two.url + "/__admin__/clock", timeout=10).json()
        assert clock["frozen"] and clock["now"].startswith("2031-05-06T07:08:09")
        assert requests.get(two.url + "/__admin__/health", timeout=10).json()["status"] == "ok"
    finally:
        assert one.stop() == 0
        assert two.stop() == 0
    again = Served(tmp_path / "a", "--store", store).start()
    try:
        got = requests.get(f"{again.url}{SECRETS}/shared", headers=FW, timeout=10)
        assert got.status_code == 200
        assert "store: sqlite:///" in again.stdout()
    finally:
        again.stop()


def test_a_sqlite_store_with_a_state_file_is_refused(tmp_path: Path) -> None:
    done = refused("--store", "sqlite:///s.db", "--state", "state.json", cwd=tmp_path)
    assert done.returncode == 2
    assert "--store sqlite:///s.db" in done.stderr and "drop --state" in done.stderr
    assert not (tmp_path / "s.db").exists()


@pytest.mark.parametrize(
    ("value", "said"),
    [("postgres://db/x", "unknown store 'postgres'"), ("sqlite://x.db", "three slashes")],
)
def test_a_bad_store_url_is_a_usage_error(tmp_path: Path, value: str, said: str) -> None:
    done = refused("--store", value, cwd=tmp_path)
    assert done.returncode == 2
    assert said in done.stderr and "--store" in done.stderr


def test_a_store_of_another_format_version_is_refused_and_left_untouched(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        connection.execute("INSERT INTO meta VALUES ('format', '0')")
    connection.close()
    before = path.read_bytes()
    done = refused("--store", f"sqlite:///{path}", cwd=tmp_path)
    assert done.returncode == 2
    assert str(path) in done.stderr and "version is '0'" in done.stderr
    assert path.read_bytes() == before


def test_the_store_variable_stands_in_for_the_flag(tmp_path: Path) -> None:
    env = {"SECRETMOCK_STORE": f"sqlite:///{tmp_path / 'env.db'}"}
    served = Served(tmp_path, env=env).start()
    try:
        assert requests.get(served.url + "/__admin__/health", timeout=10).ok
    finally:
        served.stop()
    assert (tmp_path / "env.db").exists()


def test_two_server_processes_writing_one_tenant_lose_nothing_even_when_one_is_killed(
    tmp_path: Path,
) -> None:
    """Threads create secrets in one tenant through two servers at once; one server is
    killed (SIGKILL) midway. Every create a client got 200 for is in the store, served
    by the survivor and by a server started again on it; no request got a 500."""
    store = f"sqlite:///{tmp_path / 'state.db'}"
    for name in ("a", "b", "c"):
        (tmp_path / name).mkdir()
    one = Served(tmp_path / "a", "--store", store).start()
    two = Served(tmp_path / "b", "--store", store).start()
    acknowledged: list[str] = []
    statuses: list[int] = []
    killed = threading.Event()

    def write(n: int) -> None:
        with requests.Session() as session:
            for i in range(15):
                server = (one, two)[(n + i) % 2]
                if server is one and killed.is_set():
                    continue
                body = {"name": f"w{n}-{i}", "keyName": f"W{n}_{i}", "value": "v"}
                try:
                    answer = session.post(server.url + SECRETS, json=body, headers=FW, timeout=10)
                    status = answer.status_code
                    answer.json()  # the whole answer read: acknowledged only then
                except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
                    continue  # the killed server: no whole answer, nothing acknowledged
                statuses.append(status)
                if status == 200:
                    acknowledged.append(f"w{n}-{i}")
                if n == 0 and i == 6:
                    one.stop(signal.SIGKILL)
                    killed.set()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert 500 not in statuses and acknowledged
        tenant = requests.get(two.url + "/__admin__/tenants/fireworks/acme", timeout=10).json()
        assert set(acknowledged) <= {s["name"] for s in tenant["secrets"]}
    finally:
        one.stop()
        two.stop()
    again = Served(tmp_path / "c", "--store", store).start()
    try:
        tenant = requests.get(again.url + "/__admin__/tenants/fireworks/acme", timeout=10).json()
        assert set(acknowledged) <= {s["name"] for s in tenant["secrets"]}
    finally:
        again.stop()
