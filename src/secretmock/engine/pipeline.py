"""One vendor's request pipeline, free of ASGI so it can be called and tested directly.

route, then the steps (:attr:`VendorPipeline.steps`), in this order:

    limit -> authenticate -> faults -> parse -> validate -> dispatch

(a vendor that ``parses_body_first`` has ``parse`` before ``authenticate``), then the
answer, whoever wrote it, through the vendor's ``finish`` hook and the response check,
then the fault rule's effect, then the journal (whose entry an in-process caller may
observe: :meth:`VendorPipeline.handle`).

One :class:`Exchange` carries the request through: each step reads it and adds what
it learnt (the principal, the body, the checked request, the fault rule), or answers
(``reply``), which ends the steps. A refusal is a :class:`VendorError` (the engine's
own carry their ``violations``), caught in one place. Every answer is in the vendor's
own envelope; a response that breaks the spec is an emulator bug: it is logged and
answered with the vendor's 500. The order is built once per vendor declaration
(server version), when :attr:`VendorPipeline.vendor` is set.

Fault rules (:mod:`secretmock.engine.faults`) are tried once the request is routed and
authenticated, so its operation and tenant are known; with no rules that costs one test.
The rule decides what it does to the request; a rule's latency and dropped connection
are the transport's to carry out (the ``delay`` and ``disconnect`` of the
:class:`Outcome`): the pipeline never sleeps.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from secretmock.engine.faults import FaultRule, FaultRules, declared_statuses
from secretmock.engine.incoming import (
    MAX_BODY_BYTES,
    IncomingRequest,
    MalformedBody,
    is_json,
    media_type,
    parse_json_body,
)
from secretmock.engine.journal import Journal, JournalEntry, redact, shape
from secretmock.engine.routing import Match, RouteTable
from secretmock.engine.sources import Sources
from secretmock.engine.specs import LoadedSpec, Operation
from secretmock.engine.store import VendorStore
from secretmock.engine.validation import CheckedRequest, OperationValidator, SpecValidator
from secretmock.engine.vendor_api import Call, Principal, Reply, Vendor, VendorError
from secretmock.engine.violations import Violation, malformed_json

log = logging.getLogger("secretmock")

REFUSED_AS_INVALID = frozenset({400, 422})
"""The statuses by which the vendors refuse a body as invalid: a body a handler refused
so, though the spec let it through, is journaled as its shape, like any body that does
not validate."""


@dataclass(slots=True)
class Outcome:
    """A reply ready to send: what a transport needs, and nothing else. Never changed
    once made; not ``frozen=True`` only for speed (a frozen dataclass sets each field
    through ``object.__setattr__``, several times the cost, on every answer)."""

    reply: Reply
    data: bytes
    fault_id: str | None = None
    """The fault rule that hit the request, if one did."""
    delay: float = 0.0
    """Seconds the transport waits before it answers (a fault rule's ``delay_ms``)."""
    disconnect: bool = False
    """The transport closes the connection instead of answering (``reply`` is then
    :data:`NO_ANSWER`, journaled as status 0)."""
    entry: JournalEntry | None = None
    """The journal's entry for this answer, set once it is recorded (a transport that
    cuts a delayed answer tells the journal with it: :meth:`Journal.undelivered`)."""


NO_ANSWER = Reply(0, None)
"""What a dropped connection answered: nothing."""


@dataclass(slots=True)
class Exchange:
    """One request on its way through the pipeline (private to it: a transport sees the
    :class:`Outcome`, the journal what :meth:`VendorPipeline._record` takes from here)."""

    request: IncomingRequest
    """As routed (operation, raw path parameters, sources) once routing found one."""
    operation_id: str | None = None
    validator: OperationValidator | None = None
    """The routed operation's validator."""
    principal: Principal | None = None
    body: Any = None
    """The request's JSON body, parsed (``None`` when absent, malformed or too large)."""
    body_valid: bool = False
    """The body passed request validation for an operation that declares one: the
    journal keeps it (secret fields redacted); otherwise only its shape."""
    recast: bool = False
    """A vendor's parser read the body from a media type that is not JSON: it is
    validated as the JSON body it stands for (``IncomingRequest.as_json``)."""
    checked: CheckedRequest | None = None
    rule: FaultRule | None = None
    """The fault rule that hit the request."""
    reply: Reply | None = None
    """The answer, once a step gave one (that ends the steps)."""
    data: bytes = b""
    """``reply``'s body as sent, once finished and checked."""
    violations: tuple[Violation, ...] = ()


Step = Callable[[Exchange], None]
Observer = Callable[[JournalEntry], None]
"""Handed the journal entry of a request once it is answered (:meth:`VendorPipeline.handle`)."""


class SharedPath(Protocol):
    """How a pipeline serves when its emulator keeps its state in a shared store
    (:mod:`secretmock.engine.shared.sync`): around :meth:`VendorPipeline.serve`."""

    def handle(
        self, pipeline: VendorPipeline, request: IncomingRequest, observer: Observer | None
    ) -> Outcome: ...


@functools.lru_cache(maxsize=256)
def _route_table(operations: tuple[Operation, ...], base_path: str) -> RouteTable:
    """The (immutable) route table of these operations: one per server version in the
    process, however many emulators (sandboxes) serve it."""
    return RouteTable(operations, base_path)


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
        validator: SpecValidator | None = None,
    ):
        """``validator``: the spec's compiled validator when already built (emulators
        over one blueprint share it); compiled here otherwise."""
        self.spec = spec
        self.store = store
        self.sources = sources
        self.journal = journal or Journal()
        self.validator = validator or SpecValidator(spec, vendor.name)
        self._validators = dict(self.validator.items())
        self.max_body_bytes = max_body_bytes
        """A larger body is refused; a transport stops reading it there."""
        self.faults = faults or FaultRules({vendor.name: declared_statuses(spec)})
        """The fault rules (the emulator shares one set between its vendors)."""
        self._takes_body = frozenset(
            op.operation_id
            for op in spec.operations
            if "requestBody" in spec.document["paths"][op.path_template][op.method]
        )
        self.shared: SharedPath | None = None
        """Set (:meth:`share`) when the state lives in a shared store."""
        self.vendor = vendor

    def share(self, shared: SharedPath) -> None:
        """Serves through ``shared`` from now on (the emulator's ``attach``)."""
        self.shared = shared
        self._steps = self._order(self._vendor)

    @property
    def vendor(self) -> Vendor:
        """The declaration served (a server version of the vendor): setting it builds
        the route table and the order of the steps for it."""
        return self._vendor

    @vendor.setter
    def vendor(self, vendor: Vendor) -> None:
        self._vendor = vendor
        operations = tuple(
            op for op in self.spec.operations if op.operation_id not in vendor.absent_operations
        )
        self.routes = _route_table(operations, self.spec.base_path)
        self._steps = self._order(vendor)
        self._finish = vendor.finish
        self._parsers = vendor.body_parsers
        self._recast = frozenset(media for media in vendor.body_parsers if not is_json(media))
        """The media types of the vendor's parsers that are not JSON: validated as JSON."""

    def _order(self, vendor: Vendor) -> tuple[Step, ...]:
        """The steps after routing, in order: the contract of which check answers first."""
        parse = (self._parse,)
        first, later = (parse, ()) if vendor.parses_body_first else ((), parse)
        return (
            self._limit,
            *first,
            self._authenticate,
            self._try_faults,
            *later,
            self._validate,
            self._dispatch if self.shared is None else self._dispatch_shared,
        )

    @property
    def steps(self) -> tuple[str, ...]:
        """The names of the steps after routing, in the order they run."""
        return tuple(step.__name__.lstrip("_") for step in self._steps)

    @property
    def base_path(self) -> str:
        """Where a client finds this vendor below the server's root: the vendor's mount
        prefix, then its spec's server path (``/instabase/api``)."""
        return self._vendor.prefix + self.spec.base_path

    def handle(self, request: IncomingRequest, observer: Observer | None = None) -> Outcome:
        """Answers ``request`` and records it in the journal; never raises.

        ``observer``, for an in-process caller that needs more than a transport (the
        drift check's shadow: the tenant the request reached, the violations it made),
        is handed the journal entry just recorded, the request's own, whatever other
        requests the journal holds by then. Without one this costs one test; so does
        the shared store, without one."""
        if self.shared is not None:
            return self.shared.handle(self, request, observer)
        return self.serve(request, observer)

    def serve(self, request: IncomingRequest, observer: Observer | None = None) -> Outcome:
        """:meth:`handle` in this process alone (the shared store's path runs it
        inside its own transaction of the store)."""
        started = time.perf_counter()
        exchange = Exchange(request)
        if self._route(exchange):
            try:
                self._serve(exchange)
            except Exception:  # an emulator bug: the client gets the vendor's 500, never a trace
                log.exception("%s %s failed", self._vendor.name, exchange.operation_id)
                self._bug(exchange)
        reply, rule = exchange.reply, exchange.rule
        assert reply is not None
        if rule is None:
            outcome = Outcome(reply, exchange.data)
        else:
            outcome = Outcome(reply, exchange.data, rule.id, rule.delay_ms / 1000, rule.disconnect)
        entry = self._record(exchange, outcome, (time.perf_counter() - started) * 1000)
        outcome.entry = entry
        if observer is not None:
            observer(entry)
        return outcome

    def refuse(self, request: IncomingRequest, status: int, retry_after: int) -> Outcome:
        """The vendor's own answer with ``status`` and ``Retry-After`` to a request the
        emulator cannot serve now (its shared store unreachable or too contended),
        recorded in the journal as a request alone (no tenant, body or rule)."""
        x = Exchange(request.routed(self.sources, {}, None))
        reply = self._vendor.errors.status_error(x.request, status, retry_after)
        reply = reply.with_headers({"retry-after": str(retry_after)})
        finish = self._finish
        if finish is not None:
            reply = finish(reply, x.request)
        x.reply, x.data = reply, encode(reply.body)
        outcome = Outcome(reply, x.data)
        outcome.entry = self._record(x, outcome, 0.0)
        return outcome

    def _route(self, x: Exchange) -> bool:
        """Routes the request; ``False`` when no operation has it (then answered)."""
        request = x.request
        found = self.routes.match(request.method, request.path)
        if not isinstance(found, Match):
            x.request = request.routed(self.sources, {}, None)
            allowed = () if found is None else found.allowed
            self._answer(x, self._vendor.errors.no_route(x.request, allowed))
            return False
        operation_id = found.operation.operation_id
        x.operation_id, x.validator = operation_id, self._validators[operation_id]
        x.request = request.routed(self.sources, found.path_params, operation_id)
        return True

    def _serve(self, x: Exchange) -> None:
        """The steps until one answers, the answer finished and checked, then what the
        fault rule that hit (if one did) makes of it."""
        try:
            for step in self._steps:
                step(x)
                if x.reply is not None:
                    break
        except VendorError as refusal:
            x.reply = refusal.reply
            if refusal.violations:
                x.violations += refusal.violations
        reply = x.reply
        assert reply is not None  # the last step (dispatch) always answers
        if reply is not NO_ANSWER:
            reply = self._answer(x, reply)
        rule = x.rule
        if rule is not None and rule.runs_handler and rule.replaces_answer:
            if self.faults.settle(rule, reply.status):
                self._replace_with_fault(x, rule)
            else:  # the request failed: the client gets the real failure
                x.rule = None

    # -- the steps, in the order of _order ----------------------------------------------

    def _limit(self, x: Exchange) -> None:
        """A body over the limit gets the vendor's own 413, the one place that answers
        it. It comes first: the body is never read, and a server stops reading such a
        body before its authentication runs."""
        if x.request.body_too_large:
            x.reply = self._vendor.errors.status_error(x.request, 413, None)

    def _parse(self, x: Exchange) -> None:
        """The body as JSON, or as the vendor's server parses its media type."""
        request = x.request
        try:
            if self._parsers and request.body:
                media = media_type(request.content_type)
                parser = self._parsers.get(media)
                if parser is not None:
                    x.body = parser(request)
                    x.recast = media in self._recast
                    return
            x.body = parse_json_body(request)
        except MalformedBody as error:
            reply = self._vendor.errors.malformed_body(request, error.detail)
            raise VendorError(reply, (malformed_json(error.detail),)) from error

    def _authenticate(self, x: Exchange) -> None:
        x.principal = self._vendor.authenticate(x.request, self.store.credential)

    def _try_faults(self, x: Exchange) -> None:
        """The rule that hits the request (its hit counted); one that fails it without
        running the handler answers here."""
        if not self.faults.active:
            return
        assert x.principal is not None and x.operation_id is not None
        rule = self.faults.hit(self._vendor.name, x.operation_id, x.principal.tenant_id)
        if rule is None:
            return
        x.rule = rule
        if not rule.runs_handler:
            x.reply = self._fault_answer(x, rule)

    def _validate(self, x: Exchange) -> None:
        validator, request = x.validator, x.request
        assert validator is not None and x.operation_id is not None
        checked = validator.check_request(
            request.as_json() if x.recast else request, request.path_params, x.body
        )
        if checked.violations:
            reply = self._vendor.errors.invalid_request(request, checked.violations)
            raise VendorError(reply, tuple(checked.violations))
        x.checked = checked
        x.body_valid = x.operation_id in self._takes_body

    def _dispatch(self, x: Exchange) -> None:
        """The operation's handler, in a store transaction."""
        checked, principal, operation_id = x.checked, x.principal, x.operation_id
        assert checked is not None and principal is not None and operation_id is not None
        with self.store.transaction():
            call = Call(
                operation_id=operation_id,
                principal=principal,
                tenant=self.store.get_or_empty(principal.tenant_id),
                path=checked.path,
                query=checked.query,
                headers=x.request.headers,
                body=checked.body,
                sources=self.sources,
            )
            x.reply = self._vendor.handlers[operation_id](call)
            self.store.version += 1  # it may have changed a record: the state file looks

    def _dispatch_shared(self, x: Exchange) -> None:
        """:meth:`_dispatch` inside the shared path's own transaction, which joins it:
        a handler that raises has its change undone here, as its own block would."""
        try:
            self._dispatch(x)
        except BaseException:
            self.store.transaction().rollback()
            raise

    # -- the answer -----------------------------------------------------------------------

    def _answer(self, x: Exchange, reply: Reply) -> Reply:
        """``reply`` as the vendor's server sends it (its ``finish`` hook), checked
        against the operation's responses: one that breaks them is an emulator bug,
        answered with the vendor's 500 (unless the vendor marks it as the real server's
        own answer outside its spec)."""
        finish = self._finish
        if finish is not None:
            reply = finish(reply, x.request)
        data = encode(reply.body)
        validator = x.validator
        if validator is not None and not reply.beyond_spec:
            broken = validator.check_response(reply.status, data, reply.body)
            if broken:
                x.violations += tuple(broken)
                reply = self._emulator_bug(x, broken)
                data = encode(reply.body)
        x.reply, x.data = reply, data
        return reply

    def _fault_answer(self, x: Exchange, rule: FaultRule) -> Reply:
        """The answer a rule puts in place of the handler's: none (a dropped connection),
        the vendor's 500, or its answer with the rule's status."""
        if rule.disconnect:
            return NO_ANSWER
        errors, status = self._vendor.errors, rule.status
        assert status is not None
        if status == 500:
            reply = errors.internal(x.request)
        else:
            reply = errors.status_error(x.request, status, rule.retry_after)
        if rule.retry_after is None:
            return reply
        return reply.with_headers({"retry-after": str(rule.retry_after)})

    def _replace_with_fault(self, x: Exchange, rule: FaultRule) -> None:
        """A committed request's answer lost: the rule's answer instead. The journal
        then keeps only the body's shape (the answer is not the handler's)."""
        x.body_valid = False
        x.violations = ()
        reply = self._fault_answer(x, rule)
        if reply is NO_ANSWER:
            x.reply, x.data = reply, b""
        else:
            self._answer(x, reply)

    def _bug(self, x: Exchange) -> None:
        """An exception out of a step or a hook: the vendor's 500, recorded as the
        request alone (no tenant, body or rule: nothing of it can be trusted)."""
        reply = self._vendor.errors.internal(x.request)
        finish = self._finish
        if finish is not None:
            reply = finish(reply, x.request)
        x.reply, x.data = reply, encode(reply.body)
        x.principal, x.body, x.body_valid, x.rule, x.violations = None, None, False, None, ()

    def _emulator_bug(self, x: Exchange, broken: list[Violation]) -> Reply:
        described = "; ".join(v.describe() for v in broken)
        log.error(
            "%s %s answered outside its spec: %s",
            self._vendor.name,
            x.operation_id,
            described,
        )
        reply = self._vendor.errors.internal(x.request)
        finish = self._finish
        return reply if finish is None else finish(reply, x.request)

    # -- the journal ----------------------------------------------------------------------

    def _record(self, x: Exchange, outcome: Outcome, duration_ms: float) -> JournalEntry:
        request = x.request
        return self.journal.record(
            # The journal's time is when the emulator saw the request (wall clock); the
            # emulated data's times come from ``sources``, which this must not disturb.
            time=time.time(),
            vendor=self._vendor.name,
            operation_id=x.operation_id,
            tenant=x.principal.tenant_id if x.principal is not None else None,
            method=request.method,
            path=request.path,
            query=request.query_string,
            status=outcome.reply.status,
            duration_ms=round(duration_ms, 3),
            body=self._recorded_body(x, outcome.reply.status),
            violations=x.violations,
            fault=outcome.fault_id,
        )

    def _recorded_body(self, x: Exchange, status: int) -> Any:
        """What the journal keeps of the request's body: never a secret value (see
        :mod:`secretmock.engine.journal`)."""
        request = x.request
        if request.body_too_large:
            return f"<not read: over {self.max_body_bytes} bytes>"
        if x.body is None:
            return f"<not parsed: {len(request.body)} bytes>" if request.body else None
        if x.body_valid and status not in REFUSED_AS_INVALID:
            return redact(x.body, self._vendor.secret_fields)
        return shape(x.body)


def encode(body: object) -> bytes:
    """The JSON bytes of a reply body, compact, as the real services send it."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
