"""One vendor's request pipeline, free of ASGI so it can be called and tested directly.

route -> refuse a too-large body -> authenticate -> [fault rules] -> parse and validate
      the request -> handler (in a store transaction) -> validate response -> reply, journaled

One :class:`IncomingRequest` travels the whole way: the transport makes it, routing
adds the operation and its raw path parameters, and the vendor's ``authenticate`` and
error envelope read that same object.

Every step that fails answers in the vendor's own envelope. A response that breaks
the spec is an emulator bug: it is logged and answered with the vendor's 500.

Fault rules (:mod:`secretmock.engine.faults`) are tried once the request is routed and
authenticated, so its operation and tenant are known; with no rules that costs one test.
A rule's latency and dropped connection are the transport's to carry out (the
``delay`` and ``disconnect`` of the :class:`Outcome`): the pipeline never sleeps.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, replace
from typing import Any

from secretmock.engine.faults import FaultRule, FaultRules, declared_statuses
from secretmock.engine.incoming import (
    MAX_BODY_BYTES,
    IncomingRequest,
    MalformedBody,
    parse_json_body,
)
from secretmock.engine.journal import Journal, redact, shape
from secretmock.engine.routing import Match, RouteTable
from secretmock.engine.sources import Sources
from secretmock.engine.specs import LoadedSpec
from secretmock.engine.store import VendorStore
from secretmock.engine.validation import CheckedRequest, SpecValidator
from secretmock.engine.vendor_api import (
    Call,
    Principal,
    Reply,
    Vendor,
    VendorError,
)
from secretmock.engine.violations import Violation, malformed_json

log = logging.getLogger("secretmock")

REFUSED_AS_INVALID = frozenset({400, 422})
"""The statuses by which the vendors refuse a body as invalid: a body a handler refused
so, though the spec let it through, is journaled as its shape, like any body that does
not validate."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """A reply ready to send, with what the engine learnt on the way."""

    reply: Reply
    data: bytes
    operation_id: str | None = None
    tenant_id: str | None = None
    violations: tuple[Violation, ...] = ()
    request_body: Any = None
    """The request's JSON body, parsed (``None`` when absent, malformed or too large)."""
    fault_id: str | None = None
    """The fault rule that hit the request, if one did."""
    delay: float = 0.0
    """Seconds the transport waits before it answers (a fault rule's ``delay_ms``)."""
    disconnect: bool = False
    """The transport closes the connection instead of answering (``reply`` is then
    :data:`NO_ANSWER`, journaled as status 0)."""
    body_valid: bool = False
    """The body passed request validation for an operation that declares one: the
    journal keeps it (secret fields redacted); otherwise only its shape."""


NO_ANSWER = Reply(0, None)
"""What a dropped connection answered: nothing."""


class _Refused(Exception):
    """The request is answered before its handler (too large, malformed or breaking the spec)."""

    def __init__(self, reply: Reply, violations: tuple[Violation, ...]) -> None:
        super().__init__(reply.status)
        self.reply = reply
        self.violations = violations


class VendorPipeline:
    """Serves one vendor: its spec, its store and its handlers."""

    def __init__(
        self,
        vendor: Vendor,
        spec: LoadedSpec,
        store: VendorStore,
        sources: Sources,
        journal: Journal | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
        faults: FaultRules | None = None,
    ):
        self.vendor = vendor
        self.spec = spec
        self.store = store
        self.sources = sources
        self.journal = journal or Journal()
        self.routes = RouteTable(spec.operations, spec.base_path)
        self.validator = SpecValidator(spec, vendor.name)
        self.max_body_bytes = max_body_bytes
        """A larger body is refused; a transport stops reading it there."""
        self.faults = faults or FaultRules({vendor.name: declared_statuses(spec)})
        """The fault rules (the emulator shares one set between its vendors)."""
        self._takes_body = frozenset(
            op.operation_id
            for op in spec.operations
            if "requestBody" in spec.document["paths"][op.path_template][op.method]
        )

    @property
    def base_path(self) -> str:
        """Where a client finds this vendor below the server's root: the vendor's mount
        prefix, then its spec's server path (``/instabase/api``)."""
        return self.vendor.prefix + self.spec.base_path

    def handle(self, request: IncomingRequest) -> Outcome:
        """Answers ``request`` and records it in the journal; never raises."""
        started = time.perf_counter()
        outcome = self._answer(request)
        self._record(request, outcome, (time.perf_counter() - started) * 1000)
        return outcome

    def _answer(self, request: IncomingRequest) -> Outcome:
        match = self.routes.match(request.method, request.path)
        if match is None:
            unrouted = request.routed(self.sources, {}, None)
            return _outcome(self.vendor.errors.no_route(unrouted))
        operation_id = match.operation.operation_id
        request = request.routed(self.sources, match.path_params, operation_id)
        try:
            return self._answer_operation(match, request)
        except Exception:  # an emulator bug: the client gets the vendor's 500, never a trace
            log.exception("%s %s failed", self.vendor.name, operation_id)
            return _outcome(self.vendor.errors.internal(request), operation_id)

    def _answer_operation(self, match: Match, request: IncomingRequest) -> Outcome:
        body: Any = None
        try:
            if request.body_too_large:
                raise self._too_large(request)
            if self.vendor.parses_body_first:
                body = self._parsed_body(request)
            principal = self.vendor.authenticate(request, self.store.credential)
        except VendorError as error:
            return self._finish(match, request, error.reply, body=body)
        except _Refused as refused:
            return self._finish(match, request, refused.reply, refused.violations)
        if self.faults.active:
            operation_id = match.operation.operation_id
            rule = self.faults.hit(self.vendor.name, operation_id, principal.tenant_id)
            if rule is not None:
                return self._faulted(match, request, principal, rule, body)
        return self._served(match, request, principal, body)

    def _served(
        self, match: Match, request: IncomingRequest, principal: Principal, body: Any = None
    ) -> Outcome:
        """The request parsed (unless the vendor parsed it before authenticating: then
        ``body``), validated and answered by its handler."""
        violations: tuple[Violation, ...] = ()
        body_valid = False
        try:
            if not self.vendor.parses_body_first:
                body = self._parsed_body(request)
            checked = self._checked(match, request, body)
            body_valid = request.operation_id in self._takes_body
            reply = self._dispatch(match, request, principal, checked)
        except VendorError as error:
            reply = error.reply
        except _Refused as refused:
            reply, violations = refused.reply, refused.violations
        return self._finish(
            match, request, reply, violations, body, principal.tenant_id, body_valid
        )

    def _finish(
        self,
        match: Match,
        request: IncomingRequest,
        reply: Reply,
        violations: tuple[Violation, ...] = (),
        body: Any = None,
        tenant: str | None = None,
        body_valid: bool = False,
    ) -> Outcome:
        """The outcome of ``reply`` once checked against the operation's responses: one
        that breaks them is an emulator bug, answered with the vendor's 500 (unless the
        vendor marks it as the real server's own answer outside its spec)."""
        data = encode(reply.body)
        operation_id = match.operation.operation_id
        validator = self.validator[operation_id]
        broken = (
            [] if reply.beyond_spec else validator.check_response(reply.status, data, reply.body)
        )
        if broken:
            reply, violations = self._emulator_bug(request, broken), (*violations, *broken)
            data = encode(reply.body)
        return Outcome(reply, data, operation_id, tenant, violations, body, body_valid=body_valid)

    def _faulted(
        self,
        match: Match,
        request: IncomingRequest,
        principal: Principal,
        rule: FaultRule,
        body: Any = None,
    ) -> Outcome:
        """What a fault rule makes of the request (its hit already counted). Unless the
        rule commits, a failure (status or dropped connection) leaves the handler out;
        a rule that commits runs it, and if that failed the client gets the real
        failure and the hit is given back. Latency alone serves the request as usual."""
        tenant = principal.tenant_id
        served = None
        if rule.commit or (rule.status is None and not rule.disconnect):
            served = self._served(match, request, principal, body)
            if rule.commit and served.reply.status >= 400:
                self.faults.refund(rule)
                return served
        if served is not None:
            body = served.request_body
        if rule.disconnect:
            outcome = Outcome(NO_ANSWER, b"", match.operation.operation_id, tenant, (), body)
        elif rule.status is not None:
            outcome = self._finish(
                match,
                request,
                self._status_error(request, rule.status, rule.retry_after),
                body=body,
                tenant=tenant,
            )
        else:
            assert served is not None  # latency alone: the request served as usual
            outcome = served
        return replace(
            outcome, fault_id=rule.id, delay=rule.delay_ms / 1000, disconnect=rule.disconnect
        )

    def _status_error(
        self, request: IncomingRequest, status: int, retry_after: int | None
    ) -> Reply:
        reply = self.vendor.errors.status_error(request, status, retry_after)
        if retry_after is None:
            return reply
        return reply.with_headers({"retry-after": str(retry_after)})

    def _too_large(self, request: IncomingRequest) -> _Refused:
        """The refusal of a body over the limit, the one place that answers it: the
        vendor's own 413. It comes before authentication: the body is never read, and a
        server stops reading such a body before its authentication runs."""
        return _Refused(self.vendor.errors.status_error(request, 413, None), ())

    def _parsed_body(self, request: IncomingRequest) -> Any:
        try:
            return parse_json_body(request)
        except MalformedBody as error:
            violation = malformed_json(error.detail)
            reply = self.vendor.errors.malformed_body(request, error.detail)
            raise _Refused(reply, (violation,)) from error

    def _checked(self, match: Match, request: IncomingRequest, body: Any) -> CheckedRequest:
        validator = self.validator[match.operation.operation_id]
        checked = validator.check_request(request, match.path_params, body)
        if checked.violations:
            reply = self.vendor.errors.invalid_request(request, checked.violations)
            raise _Refused(reply, tuple(checked.violations))
        return checked

    def _dispatch(
        self, match: Match, request: IncomingRequest, principal: Principal, checked: CheckedRequest
    ) -> Reply:
        operation_id = match.operation.operation_id
        with self.store.transaction():
            call = Call(
                operation_id=operation_id,
                principal=principal,
                tenant=self.store.get_or_empty(principal.tenant_id),
                path=checked.path,
                query=checked.query,
                headers=request.headers,
                body=checked.body,
                sources=self.sources,
            )
            reply = self.vendor.handlers[operation_id](call)
            self.store.version += 1  # it may have changed a record: the state file looks
            return reply

    def _emulator_bug(self, request: IncomingRequest, broken: list[Violation]) -> Reply:
        described = "; ".join(v.describe() for v in broken)
        log.error(
            "%s %s answered outside its spec: %s",
            self.vendor.name,
            request.operation_id,
            described,
        )
        return self.vendor.errors.internal(request)

    def _record(self, request: IncomingRequest, outcome: Outcome, duration_ms: float) -> None:
        self.journal.record(
            # The journal's time is when the emulator saw the request (wall clock); the
            # emulated data's times come from ``sources``, which this must not disturb.
            time=time.time(),
            vendor=self.vendor.name,
            operation_id=outcome.operation_id,
            tenant=outcome.tenant_id,
            method=request.method,
            path=request.path,
            query=request.query_string,
            status=outcome.reply.status,
            duration_ms=round(duration_ms, 3),
            body=self._recorded_body(request, outcome),
            violations=outcome.violations,
            fault=outcome.fault_id,
        )

    def _recorded_body(self, request: IncomingRequest, outcome: Outcome) -> Any:
        """What the journal keeps of the request's body: never a secret value (see
        :mod:`secretmock.engine.journal`)."""
        if request.body_too_large:
            return f"<not read: over {self.max_body_bytes} bytes>"
        if outcome.request_body is None:
            return f"<not parsed: {len(request.body)} bytes>" if request.body else None
        if outcome.body_valid and outcome.reply.status not in REFUSED_AS_INVALID:
            return redact(outcome.request_body, self.vendor.secret_fields)
        return shape(outcome.request_body)


def encode(body: object) -> bytes:
    """The JSON bytes of a reply body, compact, as the real services send it."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def _outcome(reply: Reply, operation_id: str | None = None) -> Outcome:
    return Outcome(reply, encode(reply.body), operation_id)
