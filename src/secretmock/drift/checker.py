"""The drift check of one run: each exchange through the shadow (and its twin), compared.

:meth:`DriftChecker.exchange` is the whole contract a transport needs: a request one
vendor received and the answer the real vendor gave it in, the findings out. The proxy
forwards the request, hands both here and returns the real answer to its client;
``drift replay`` reads them from a recording. The checker

1. runs the request through the shadow emulator kept in step with the real vendor, and
   through its twin (another seed and clock) when there is one (:mod:`.shadow`);
2. learns the noise from where shadow and twin differ (:mod:`.noise`);
3. checks the request (the shadow's validator) and the real answer (the spec's
   compiled validators) against the spec;
4. compares the real answer with the shadow's (:mod:`.compare`), learns the ids both
   answered, and records the findings in its :class:`~secretmock.drift.report.DriftReport`
   (and the exchange in a recording, when it makes one).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
from collections.abc import Mapping
from typing import Any

from secretmock.drift.answer import EMPTY, UNREADABLE, Answer
from secretmock.drift.compare import Comparison, Context, Parted, compare
from secretmock.drift.findings import Finding, Where
from secretmock.drift.noise import NoiseModel, differing_paths
from secretmock.drift.profiles import profiles_of
from secretmock.drift.record import Recorder
from secretmock.drift.report import DriftReport
from secretmock.drift.schema import SchemaNode, response_schema
from secretmock.drift.shadow import Shadow, ShadowAnswer, Tenancy
from secretmock.engine.drift_profile import DriftProfile
from secretmock.engine.emulator import Emulator
from secretmock.engine.incoming import IncomingRequest, is_json
from secretmock.engine.pipeline import VendorPipeline
from secretmock.engine.violations import Violation, unsupported_media_type

MAX_KNOWN_SECRETS = 100_000


class DriftChecker:
    """Compares the real vendors' answers with a shadow emulator's (see the module)."""

    def __init__(
        self,
        shadow: Emulator,
        twin: Emulator | None = None,
        profiles: Mapping[str, DriftProfile] | None = None,
        recorder: Recorder | None = None,
    ) -> None:
        """``shadow`` and ``twin`` start from the same fixtures, with other seeds and
        clocks; without a twin, noise comes from the spec's formats alone. ``profiles``:
        by default each vendor's own (``Vendor.drift``)."""
        if profiles is None:
            profiles = profiles_of(p.vendor for p in shadow.pipelines.values())
        self.shadow = Shadow(shadow, profiles)
        self.twin = Shadow(twin, profiles) if twin is not None else None
        self.profiles = profiles
        self.recorder = recorder
        self.noise = NoiseModel()
        self.report = DriftReport()
        self._secret_key = secrets.token_bytes(16)
        self._known_secrets: dict[str, set[bytes]] = {}
        self._lock = threading.Lock()

    def exchange(
        self,
        vendor: str,
        request: IncomingRequest,
        real: Answer,
        tenancy: Tenancy | None = None,
    ) -> list[Finding]:
        """The findings of one exchange: ``request`` (below the vendor's mount, as the
        client sent it) and ``real``, the real vendor's answer. ``tenancy``: who the
        request's credential was when recorded (a replay's). Exchanges are checked one
        at a time (a proxy's concurrent requests wait here): each learns from the last."""
        with self._lock:
            return self._exchange(vendor, request, real, tenancy)

    def _exchange(
        self,
        vendor: str,
        request: IncomingRequest,
        real: Answer,
        tenancy: Tenancy | None,
    ) -> list[Finding]:
        profile = self.profiles[vendor]
        shadow = self.shadow.answer(vendor, request, real, tenancy)
        twin = self.twin.answer(vendor, request, real, tenancy) if self.twin else None
        pipeline = self.shadow.emulator.pipelines[vendor]
        operation = shadow.match.operation if shadow.match else None
        where = Where(
            vendor,
            operation.operation_id if operation else None,
            request.method,
            operation.path_template if operation else request.path,
        )
        self._remember_secrets(vendor, profile, shadow.request)
        schema = self._schema(pipeline, where, real.status)
        all_noise = False
        if twin is not None:
            if twin.answer.status == shadow.answer.status:
                twin_schema = self._schema(pipeline, where, shadow.answer.status)
                found = differing_paths(
                    shadow.answer.body, twin.answer.body, twin_schema, profile.record_keys
                )
                self.noise.learn((vendor, where.operation), found)
            else:
                all_noise = True
        context = Context(
            where=where,
            profile=profile,
            schema=schema,
            request_violations=tuple(v for v in shadow.entry.violations if v.part != "response"),
            response_violations=self._response_violations(pipeline, where, real),
            noise=self.noise.view((vendor, where.operation)),
            all_noise=all_noise,
            ids=self.shadow.ids[vendor],
            known_secret=lambda value: self._is_known_secret(vendor, value),
        )
        comparison = compare(real, shadow.answer, context)
        self.shadow.ids[vendor].learn(comparison.learned_ids)
        if twin is not None and self.twin is not None:
            self._learn_twin_ids(vendor, real, twin.answer, context)
        if comparison.parted and 200 <= real.status < 300:
            self._resync(vendor, profile, real.body, comparison, shadow, twin)
        if self.recorder is not None:
            self.recorder.write(vendor, where.operation, request, real, shadow.tenancy)
        self.report.add(where, comparison.findings)
        return comparison.findings

    def _resync(
        self,
        vendor: str,
        profile: DriftProfile,
        listing: Any,
        comparison: Comparison,
        shadow: ShadowAnswer,
        twin: ShadowAnswer | None,
    ) -> None:
        """The records the real answer lists and the shadow lacks, adopted by the shadow
        (and by its twin, which follows the shadow)."""
        if profile.seed_entry is None:
            return
        entries = [
            entry
            for parted in comparison.parted
            for key, record in _listed(listing, parted)
            if (entry := profile.seed_entry(key, record)) is not None
        ]
        sides = ((self.shadow, shadow), (self.twin, twin))
        for side, answered in sides:
            if side is not None and answered is not None and answered.entry.tenant:
                side.adopt(vendor, answered.entry.tenant, entries)

    # -- the spec -----------------------------------------------------------------------

    def _schema(self, pipeline: VendorPipeline, where: Where, status: int) -> SchemaNode:
        if where.operation is None or status <= 0:
            return SchemaNode(pipeline.spec.document, None)
        return response_schema(pipeline.spec.document, where.path, where.method, status)

    def _response_violations(
        self, pipeline: VendorPipeline, where: Where, real: Answer
    ) -> tuple[Violation, ...]:
        """How the real answer breaks the spec (nothing for an unrouted request: the
        spec says nothing of it)."""
        if where.operation is None or not real.answered:
            return ()
        if real.body is UNREADABLE or (
            real.body is not EMPTY and not is_json(real.headers.get("content-type", "json"))
        ):
            found = real.headers.get("content-type", "")
            return (unsupported_media_type(found, ["application/json"], "response"),)
        body = None if real.body is EMPTY else real.body
        # The validator reads the bytes only to tell an empty body: an answer made from
        # a parsed body (a recording's, a test's) need not carry them.
        data = real.data or (b"" if real.body is EMPTY else json.dumps(body).encode())
        validator = pipeline.validator[where.operation]
        return tuple(validator.check_response(real.status, data, body))

    # -- secrets ------------------------------------------------------------------------

    def _remember_secrets(
        self, vendor: str, profile: DriftProfile, request: IncomingRequest
    ) -> None:
        """Keeps a keyed hash (never the value) of every secret the request gives the
        shadow: only those can the shadow be expected to answer back."""
        if not request.body or not is_json(request.content_type):
            return
        try:
            document = json.loads(request.body)
        except (ValueError, RecursionError):
            return
        known = self._known_secrets.setdefault(vendor, set())
        for value in _secret_values(document, profile.secret_fields):
            if len(known) < MAX_KNOWN_SECRETS:
                known.add(self._hash(value))

    def _is_known_secret(self, vendor: str, value: Any) -> bool:
        known = self._known_secrets.get(vendor)
        return known is not None and self._hash(value) in known

    def _hash(self, value: Any) -> bytes:
        canonical = json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
        return hashlib.blake2b(canonical, key=self._secret_key, digest_size=16).digest()

    def _learn_twin_ids(self, vendor: str, real: Answer, twin: Answer, context: Context) -> None:
        """The twin keeps its own ids: learn them as the shadow's are learnt."""
        assert self.twin is not None
        twin_context = Context(
            where=context.where,
            profile=context.profile,
            schema=context.schema,
            ids=self.twin.ids[vendor],
        )
        learned: Comparison = compare(real, twin, twin_context)
        self.twin.ids[vendor].learn(learned.learned_ids)


def _secret_values(node: Any, secret_fields: frozenset[str]) -> list[Any]:
    found: list[Any] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in secret_fields:
                found.append(value)
            else:
                found += _secret_values(value, secret_fields)
    elif isinstance(node, list):
        for item in node:
            found += _secret_values(item, secret_fields)
    return found


def _listed(listing: Any, parted: Parted) -> list[tuple[str, dict[str, Any]]]:
    """(key, record) of each record of ``parted`` that only the real listing holds."""
    node = listing
    for segment in parted.location.split("/")[1:]:
        segment = segment.replace("~1", "/").replace("~0", "~")
        node = node[int(segment)] if isinstance(node, list) else node.get(segment)
    wanted = set(parted.only_real)
    if isinstance(node, dict):
        return [(k, v) for k, v in node.items() if k in wanted and isinstance(v, dict)]
    if isinstance(node, list) and parted.key is not None:
        key = parted.key
        return [(r[key], r) for r in node if isinstance(r, dict) and r.get(key) in wanted]
    return []
