"""The drift corpus: the suite's vendor tables and a stateful sequence per vendor,
driven in-process through an upstream emulator (standing in for the real vendor) and
a :class:`DriftChecker` whose shadow and twin are two more emulators.

The upstream, the shadow and the twin start from the same fixtures with other seeds
and clocks: the twin of a real vendor that is exactly the emulator. With the upstream
on an older server version, the differences are the planted drift.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from secretmock.drift import Answer, DriftChecker, Finding
from secretmock.drift.record import Recorder
from secretmock.drift.shadow import answer_of
from secretmock.engine.clock import FixedClock
from secretmock.engine.emulator import Emulator
from secretmock.engine.incoming import IncomingRequest, incoming_request
from secretmock.engine.sources import Sources
from secretmock.resources import default_fixtures_path
from secretmock.vendors import all_vendors
from tests.helpers import Case
from tests.vendors import (
    test_fireworks,
    test_insforge,
    test_instabase,
    test_langwatch,
    test_prismeai,
)

START = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
OLDER_VERSIONS = {"insforge": "before-2026-05-16", "langwatch": "before-2026-07-22"}
"""The documented older servers (docs/vendors/insforge.md, docs/vendors/langwatch.md)."""


def emulator(
    seed: int, offset_seconds: float, versions: Mapping[str, str] | None = None
) -> Emulator:
    """An emulator on the default fixtures, its clock ``offset_seconds`` after START."""
    clock = FixedClock(START + timedelta(seconds=offset_seconds))
    return Emulator(
        all_vendors(),
        [default_fixtures_path()],
        Sources(seed=seed, clock=clock),
        vendor_versions=versions,
    )


@dataclass
class Rig:
    """An upstream (the "real vendor") and a checker over a shadow and its twin."""

    upstream: Emulator
    shadow: Emulator
    twin: Emulator
    checker: DriftChecker
    reference: Emulator | None = None
    """The upstream's current version (same seed and clock), when the upstream is older:
    what the current server answers, to know which exchanges carry planted drift."""

    def reset(self) -> None:
        for emulator_ in (self.upstream, self.shadow, self.twin, self.reference):
            if emulator_ is not None:
                emulator_.reset()

    def send(self, vendor: str, request: IncomingRequest) -> Exchange:
        real = answer_of(self.upstream.pipelines[vendor].handle(request))
        current = None
        if self.reference is not None:
            current = answer_of(self.reference.pipelines[vendor].handle(request))
        findings = self.checker.exchange(vendor, request, real)
        return Exchange(vendor, request, real, findings, current)


def rig(versions: Mapping[str, str] | None = None, recorder: Recorder | None = None) -> Rig:
    upstream = emulator(1, 0, versions)
    shadow, twin = emulator(2, 2.5), emulator(3, 5.25)
    reference = emulator(1, 0) if versions else None
    return Rig(upstream, shadow, twin, DriftChecker(shadow, twin, recorder=recorder), reference)


@dataclass(frozen=True)
class Exchange:
    vendor: str
    request: IncomingRequest
    real: Answer
    findings: list[Finding]
    current: Answer | None = None


def request(
    vendor: str,
    method: str,
    path: str,
    headers: Mapping[str, str],
    json_body: Any = None,
    data: bytes | str | None = None,
) -> IncomingRequest:
    """A request below the vendor's mount (``path`` may start with ``/<vendor>``)."""
    path = path.removeprefix(f"/{vendor}")
    path, _, query = path.partition("?")
    all_headers = dict(headers)
    body = b""
    if json_body is not None:
        body = json.dumps(json_body).encode()
        all_headers = {"Content-Type": "application/json", **all_headers}
    elif data is not None:
        body = data.encode() if isinstance(data, str) else data  # a table's text body
    return incoming_request(method, path, query, all_headers.items(), body)


# -- the vendor tables --------------------------------------------------------------------

TABLES: list[tuple[str, Mapping[str, str], Sequence[Case]]] = [
    ("fireworks", test_fireworks.AUTH, test_fireworks.CASES),
    ("insforge", test_insforge.AUTH, [*test_insforge.CASES, *test_insforge.LEGACY_CASES]),
    ("instabase", {}, test_instabase.CASES),
    ("langwatch", test_langwatch.ADMIN, [*test_langwatch.CASES, *test_langwatch.LEGACY_CASES]),
    ("prismeai", {}, test_prismeai.CASES),
]
"""Every operation row of the vendors' behaviour tables, with the headers the tables
send under each row's own (the versions' rows too: on the current server they are
just more requests)."""


def table_requests() -> Iterator[tuple[str, str, IncomingRequest]]:
    """(vendor, row id, request) of every table row, each meant for fresh fixtures."""
    for vendor, defaults, rows in TABLES:
        for row in rows:
            headers = {**defaults, **row.headers}
            yield (
                vendor,
                row.id,
                request(
                    vendor,
                    row.method,
                    row.path,
                    headers,
                    row.request.get("json"),
                    row.request.get("data"),
                ),
            )


# -- stateful sequences -------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One request of a sequence; ``{name}`` in its path, headers or body stands for a
    value an earlier real answer gave (``capture``: name -> JSON pointer)."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: Any = None
    capture: Mapping[str, str] = field(default_factory=dict)


FW = {"Authorization": "Bearer fw-test-acme"}
IB = {"Authorization": "Bearer ib-test-admin", "IB-Context": "acme-org"}
LW = {"X-Auth-Token": "sk-lw-test-demo"}
IF = {"Authorization": "Bearer ik_test_demo_admin"}
PR = {"x-prismeai-api-key": "prisme-test-ws1"}
FW_BASE = "/v1/accounts/acme/secrets"
IB_BASE = "/api/v2/aihub/secrets"

SEQUENCES: dict[str, list[Step]] = {
    "fireworks": [
        Step(
            "POST",
            FW_BASE,
            FW,
            {"name": "drift-key", "keyName": "DRIFT_KEY", "value": "fw-sentinel-1"},
        ),
        Step("GET", f"{FW_BASE}/drift-key", FW),
        Step("GET", f"{FW_BASE}?pageSize=2", FW),
        Step(
            "PATCH",
            f"{FW_BASE}/drift-key",
            FW,
            {"keyName": "DRIFT_KEY_2", "value": "fw-sentinel-2"},
        ),
        Step("GET", FW_BASE, FW),
        Step("DELETE", f"{FW_BASE}/drift-key", FW),
        Step("GET", f"{FW_BASE}/drift-key", FW),
    ],
    "instabase": [
        Step(
            "POST",
            IB_BASE,
            IB,
            {"alias": "drift_key", "value": "ib-sentinel-1", "allowed_workspaces_type": "ALL"},
        ),
        Step("GET", IB_BASE, IB),
        Step("GET", f"{IB_BASE}?alias=drift_key", IB),
        Step(
            "PATCH",
            IB_BASE,
            IB,
            {"alias": "drift_key", "description": "d", "value": "ib-sentinel-2"},
        ),
        Step("DELETE", IB_BASE, IB, {"alias": "drift_key"}),
        Step("DELETE", IB_BASE, IB, {"alias": "drift_key"}),
        Step("GET", IB_BASE, IB),
    ],
    "langwatch": [
        Step(
            "POST",
            "/api/secrets",
            LW,
            {"name": "DRIFT_KEY", "value": "lw-sentinel-1"},
            {"id": "/id"},
        ),
        Step("GET", "/api/secrets/{id}", LW),
        Step("GET", "/api/secrets", LW),
        Step("PUT", "/api/secrets/{id}", LW, {"value": "lw-sentinel-2"}),
        Step("POST", "/api/secrets", LW, {"name": "DRIFT_KEY", "value": "lw-sentinel-3"}),
        Step("DELETE", "/api/secrets/{id}", LW),
        Step("GET", "/api/secrets/{id}", LW),
        Step("GET", "/api/secrets", LW),
    ],
    "insforge": [
        Step("POST", "/api/secrets", IF, {"key": "DRIFT_KEY", "value": "if-sentinel-1"}),
        Step("GET", "/api/secrets/DRIFT_KEY", IF),
        Step("GET", "/api/secrets", IF),
        Step(
            "PUT",
            "/api/secrets/DRIFT_KEY",
            IF,
            {"value": "if-sentinel-2", "expiresAt": "2030-01-01T00:00:00Z"},
        ),
        Step("GET", "/api/secrets/DRIFT_KEY", IF),
        Step(
            "POST",
            "/api/secrets/api-key/rotate",
            IF,
            {"gracePeriodHours": 1},
            {"apiKey": "/apiKey"},
        ),
        Step("GET", "/api/secrets", {"Authorization": "Bearer {apiKey}"}),
        Step("GET", "/api/secrets/API_KEY", {"x-api-key": "{apiKey}"}),
        Step("POST", "/api/secrets/anon-key/rotate", {"Authorization": "Bearer {apiKey}"}, {}),
        Step("DELETE", "/api/secrets/DRIFT_KEY", IF),
        Step("POST", "/api/secrets", IF, {"key": "DRIFT_KEY", "value": "if-sentinel-3"}),
        Step("GET", "/api/secrets", IF),
    ],
    "prismeai": [
        Step(
            "PATCH",
            "/v2/workspaces/ws1/security/secrets",
            PR,
            {"driftKey": {"value": "pr-sentinel-1"}},
        ),
        Step("GET", "/v2/workspaces/ws1/security/secrets", PR),
        Step(
            "PUT",
            "/v2/workspaces/ws1/security/secrets",
            PR,
            {
                "openaiApiKey": {"value": "sk-test-prisme-1"},
                "driftKey": {"value": ["pr-sentinel-2", 7], "description": "d"},
            },
        ),
        Step("DELETE", "/v2/workspaces/ws1/security/secrets/driftKey", PR),
        Step("DELETE", "/v2/workspaces/ws1/security/secrets/driftKey", PR),
        Step("GET", "/v2/workspaces/ws1/security/secrets", PR),
    ],
}
"""Create, read, list, update and delete with the ids each real answer gives, without
a reset: ids mapped, noise learnt over time, the shadow kept in step."""

SENTINELS = [
    "fw-sentinel-1",
    "fw-sentinel-2",
    "ib-sentinel-1",
    "ib-sentinel-2",
    "lw-sentinel-1",
    "lw-sentinel-2",
    "lw-sentinel-3",
    "if-sentinel-1",
    "if-sentinel-2",
    "if-sentinel-3",
    "pr-sentinel-1",
    "pr-sentinel-2",
]
"""Secret values the sequences send: no recording may hold one."""

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


class Target(Protocol):
    """What a sequence is run through: in-process (:class:`Rig`) or over sockets."""

    def send(self, vendor: str, request: IncomingRequest) -> Exchange: ...


def run_sequence(target: Target, vendor: str) -> list[Exchange]:
    """The vendor's sequence through ``target`` (no reset), values captured from the
    real answers as a client would."""
    captured: dict[str, str] = {}
    done = []
    for step in SEQUENCES[vendor]:
        exchange = target.send(vendor, _filled(vendor, step, captured))
        for name, pointer in step.capture.items():
            captured[name] = _at(exchange.real.body, pointer)
        done.append(exchange)
    return done


def _filled(vendor: str, step: Step, captured: Mapping[str, str]) -> IncomingRequest:
    def fill(text: str) -> str:
        return _PLACEHOLDER.sub(lambda m: captured.get(m.group(1), m.group(0)), text)

    headers = {name: fill(value) for name, value in step.headers.items()}
    return request(vendor, step.method, fill(step.path), headers, step.body)


def _at(document: Any, pointer: str) -> str:
    for part in pointer.strip("/").split("/"):
        document = document[int(part)] if isinstance(document, list) else document[part]
    return str(document)
