"""A history check of a server on a shared store: many clients, mixed operations, and
what the answers must show if every tenant's operations are linearizable.

Clients are threads, each with its own ``requests`` session (a new connection every
few requests, so that the kernel deals them across workers), sending Fireworks
create / update / get / delete over a few secrets of one tenant (``acme``), whose whole
document is every write's unit: concurrent writes to different secrets still conflict
in the store, and a lost update would show.

* **Own secrets.** Each client owns a few secrets no other touches, and keeps a model
  of them: every answer must be the one the model predicts (a create of an existing
  secret is 409, a get after an update shows its ``keyName``, ...), on whichever
  worker or replica it lands. A final read of each must show the last acknowledged
  write (0 lost updates).
* **Shared secrets.** All clients race to create and delete the same few ids. Every
  acknowledged create of an id must be balanced by an acknowledged delete or by the id
  existing at the end (0 duplicate creates), and every 409 must be backed by a create
  acknowledged (or at least started) before it ended.

A request whose answer never came (its worker killed, the store gone) or that got a
503 is *in doubt*: the client reads the secret back to learn whether it was applied,
and goes on from what it sees; it is never counted as acknowledged.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import requests

BASE = "/fireworks/v1/accounts/acme/secrets"
HEADERS = {"Authorization": "Bearer fw-test-acme", "Content-Type": "application/json"}
OWN_PER_CLIENT = 3
SHARED = ("shared-a", "shared-b")
TIMEOUT_S = 30.0
RETRY_PAUSE_S = 0.05
"""Between two reads of an in-doubt secret while no worker answers (a guard, no timing)."""


@dataclass
class Op:
    """One request and its answer (status 0: no answer came)."""

    client: int
    kind: str
    secret: str
    key_name: str | None
    started: float
    ended: float
    status: int


@dataclass
class History:
    """What the clients saw, and what the checks found wrong (each list empty when
    the server kept its contract)."""

    ops: list[Op] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    """Answers the client's model did not predict."""
    final: dict[str, str | None] = field(default_factory=dict)
    """Each own secret's last acknowledged keyName (``None``: deleted or never made)."""
    in_doubt: int = 0
    unavailable: int = 0
    requests: int = 0
    """Vendor requests that got an answer, reads back included (each is journaled)."""

    def acknowledged(self) -> list[Op]:
        return [op for op in self.ops if op.status and op.status != 503]


class Client(threading.Thread):
    def __init__(
        self,
        number: int,
        urls: Sequence[str],
        count: int,
        history: History,
        lock: threading.Lock,
        seed: int,
    ) -> None:
        super().__init__(name=f"history-client-{number}", daemon=True)
        self.number = number
        self.urls = urls
        self.count = count
        self.history = history
        self.lock = lock
        self.random = random.Random(seed)
        self.session = requests.Session()
        self.own = [f"c{number}-k{k}" for k in range(OWN_PER_CLIENT)]
        self.model: dict[str, str | None] = dict.fromkeys(self.own)
        self.serial = itertools.count(1)
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            for n in range(self.count):
                url = self.urls[n % len(self.urls)]
                if self.random.random() < 0.2:
                    self.shared_step(url, n)
                else:
                    self.own_step(url, n)
        except BaseException as exc:  # said by the test, not lost in a thread
            self.failure = exc

    # -- requests ---------------------------------------------------------------------

    def send(self, url: str, n: int, method: str, path: str, body: Any = None) -> int:
        """The answer's status; 0 when none came (the connection failed)."""
        headers = dict(HEADERS)
        if n % 8 == 0:
            headers["Connection"] = "close"  # the next request opens a new connection
        try:
            reply = self.session.request(
                method, url + path, json=body, headers=headers, timeout=TIMEOUT_S
            )
        except requests.RequestException:
            self.session = requests.Session()
            return 0
        self.answered()
        return reply.status_code

    def answered(self) -> None:
        with self.lock:
            self.history.requests += 1

    def read(self, secret: str) -> str | None:
        """The secret's keyName as the server has it (``None``: it does not exist),
        asked until some worker answers."""
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            url = self.random.choice(self.urls)
            try:
                reply = self.session.get(f"{url}{BASE}/{secret}", headers=HEADERS, timeout=5)
                self.answered()
                if reply.status_code == 200:
                    return str(reply.json()["keyName"])
                if reply.status_code == 404:
                    return None
            except requests.RequestException:
                self.session = requests.Session()
            assert time.monotonic() < deadline, f"no worker answered for {secret}"
            time.sleep(RETRY_PAUSE_S)

    def record(self, op: Op) -> None:
        with self.lock:
            self.history.ops.append(op)
            if op.status == 0:
                self.history.in_doubt += 1
            elif op.status == 503:
                self.history.unavailable += 1

    # -- own secrets: the model predicts every answer ------------------------------------

    def own_step(self, url: str, n: int) -> None:
        secret = self.random.choice(self.own)
        kind = self.random.choice(("create", "update", "get", "delete"))
        exists = self.model[secret] is not None
        key_name: str | None = f"C{self.number}_{secret[-1]}_{next(self.serial)}"
        started = time.monotonic()
        if kind == "create":
            body = {"name": secret, "keyName": key_name, "value": "v"}
            status = self.send(url, n, "POST", BASE, body)
            expected, after = (409, self.model[secret]) if exists else (200, key_name)
        elif kind == "update":
            body = {"keyName": key_name, "value": "v"}
            status = self.send(url, n, "PATCH", f"{BASE}/{secret}", body)
            expected, after = (200, key_name) if exists else (404, None)
        elif kind == "get":
            status, seen = self.get(url, n, secret)
            expected, after = (200 if exists else 404), self.model[secret]
            if status == 200 and seen != self.model[secret]:
                self.mismatch(f"get {secret}: keyName {seen}, last written {self.model[secret]}")
            key_name = None
        else:
            status = self.send(url, n, "DELETE", f"{BASE}/{secret}")
            expected, after = (200 if exists else 404), None
        self.record(Op(self.number, kind, secret, key_name, started, time.monotonic(), status))
        if status in (0, 503):  # in doubt (a 503 of a store gone mid-commit may be applied)
            self.model[secret] = self.read(secret)  # applied or not: the server says which
            return
        if status != expected:
            self.mismatch(f"{kind} {secret}: {status}, expected {expected}")
            self.model[secret] = self.read(secret)
            return
        self.model[secret] = after

    def get(self, url: str, n: int, secret: str) -> tuple[int, str | None]:
        headers = dict(HEADERS)
        if n % 8 == 0:
            headers["Connection"] = "close"
        try:
            reply = self.session.get(f"{url}{BASE}/{secret}", headers=headers, timeout=TIMEOUT_S)
        except requests.RequestException:
            self.session = requests.Session()
            return 0, None
        self.answered()
        seen = reply.json().get("keyName") if reply.status_code == 200 else None
        return reply.status_code, seen

    def mismatch(self, what: str) -> None:
        with self.lock:
            self.history.mismatches.append(f"client {self.number}: {what}")

    # -- shared secrets: creates and deletes race ----------------------------------------

    def shared_step(self, url: str, n: int) -> None:
        secret = self.random.choice(SHARED)
        started = time.monotonic()
        if self.random.random() < 0.6:
            key_name = f"S{self.number}_{next(self.serial)}"
            body = {"name": secret, "keyName": key_name, "value": "v"}
            status = self.send(url, n, "POST", BASE, body)
            kind = "create"
        else:
            key_name = None
            status = self.send(url, n, "DELETE", f"{BASE}/{secret}")
            kind = "delete"
        self.record(Op(self.number, kind, secret, key_name, started, time.monotonic(), status))


def run_history(
    urls: Sequence[str],
    operations: int = 5_000,
    clients: int = 8,
    seed: int = 1,
    meanwhile: Callable[[], None] | None = None,
) -> History:
    """``operations`` requests from ``clients`` threads, spread over ``urls`` (workers
    behind one URL, or replicas); ``meanwhile`` runs in this thread once a third of them
    are sent (a worker killed, say). Checks the shared secrets and reads every own one
    back; ``History``'s lists hold what is wrong."""
    history = History()
    lock = threading.Lock()
    per_client = operations // clients
    team = [Client(c, urls, per_client, history, lock, seed * 1000 + c) for c in range(clients)]
    for client in team:
        client.start()
    if meanwhile is not None:
        deadline = time.monotonic() + 120
        while len(history.ops) < operations // 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        meanwhile()
    for client in team:
        client.join()
        if client.failure is not None:
            raise client.failure
    for client in team:
        for secret in client.own:
            history.final[secret] = client.model[secret]
            seen = client.read(secret)
            if seen != client.model[secret]:
                history.mismatches.append(
                    f"lost update: {secret} is {seen}, last acknowledged {client.model[secret]}"
                )
    check_shared(history, team[0])
    return history


def check_shared(history: History, reader: Client) -> None:
    """0 duplicate creates: per shared id, acknowledged creates = acknowledged deletes +
    (1 if it exists at the end); and every 409 has a create of that id that was
    acknowledged and had started before the 409 ended."""
    for secret in SHARED:
        ops = [op for op in history.ops if op.secret == secret]
        created = [op for op in ops if op.kind == "create" and op.status == 200]
        deleted = [op for op in ops if op.kind == "delete" and op.status == 200]
        in_doubt = [op for op in ops if op.status in (0, 503)]
        exists = reader.read(secret) is not None
        balance = len(created) - len(deleted) - int(exists)
        if not in_doubt and balance != 0:
            history.mismatches.append(
                f"{secret}: {len(created)} creates acknowledged, {len(deleted)} deletes, "
                f"exists at the end: {exists}"
            )
        elif in_doubt and not -len(in_doubt) <= balance <= len(in_doubt):
            history.mismatches.append(f"{secret}: creates and deletes do not balance")
        for conflict in (op for op in ops if op.kind == "create" and op.status == 409):
            if not any(c.started < conflict.ended for c in created):
                history.mismatches.append(f"{secret}: a 409 with no create before it")
