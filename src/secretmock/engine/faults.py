"""Fault rules: matching requests fail the way a real service fails.

A rule names a vendor and, optionally, an operation and a tenant; it answers a status
in the vendor's own envelope, adds latency, drops the connection, or, with ``commit``,
lets the request run and then loses its answer. See docs/scenarios.md.

Rules are tried in the order they were added. A matching rule still in its ``after``
phase counts the request and lets it on to the next rule; the first matching rule past
it hits, and no later rule is tried. A rule that has hit ``times`` requests is spent
(it stays listed, with ``remaining: 0``, until removed).

What a rule does to the request it hits is decided here; the pipeline only asks:
whether the handler runs first (:attr:`FaultRule.runs_handler`), whether the rule's
answer replaces the handler's (:attr:`FaultRule.replaces_answer`), once a ``commit``
request was carried out whether it still does (:meth:`FaultRules.settle`, which gives
the hit back when the request failed), and what the transport carries out
(``delay_ms``, ``disconnect``).

With no rules, the request path pays one truthiness test (:attr:`FaultRules.active`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from secretmock.engine.specs import LoadedSpec
from secretmock.engine.yaml_files import YAMLError, read_yaml

FIELDS = (
    "vendor",
    "operation",
    "tenant",
    "status",
    "retry_after",
    "delay_ms",
    "disconnect",
    "after",
    "times",
    "commit",
)
COUNTERS = ("id", "hits", "remaining")


class FaultRuleError(ValueError):
    """A rule is not acceptable; the message names the field and why."""


@dataclass(slots=True)
class FaultRule:
    """One rule and its counters (``seen``: matching requests; ``hits``: those it hit)."""

    id: str
    vendor: str
    operation: str | None = None
    tenant: str | None = None
    status: int | None = None
    retry_after: int | None = None
    delay_ms: int = 0
    disconnect: bool = False
    after: int = 0
    times: int | None = None
    commit: bool = False
    seen: int = 0
    hits: int = 0

    @property
    def remaining(self) -> int | None:
        return None if self.times is None else self.times - self.hits

    @property
    def spent(self) -> bool:
        return self.times is not None and self.hits >= self.times

    @property
    def replaces_answer(self) -> bool:
        """Whether the rule's own answer (its ``status``, or none at all with
        ``disconnect``) replaces the handler's; otherwise it adds latency alone."""
        return self.status is not None or self.disconnect

    @property
    def runs_handler(self) -> bool:
        """Whether the request is served before the rule acts: with ``commit`` (the
        write is carried out, then its answer lost), or when it adds latency alone. A
        rule that fails the request without ``commit`` leaves the handler out."""
        return self.commit or not self.replaces_answer

    def matches(self, vendor: str, operation: str, tenant: str) -> bool:
        return (
            self.vendor == vendor
            and (self.operation is None or self.operation == operation)
            and (self.tenant is None or self.tenant == tenant)
        )

    def as_dict(self) -> dict[str, Any]:
        """The rule as the admin API shows it: its fields, ``id``, ``hits``, ``remaining``."""
        shown: dict[str, Any] = {"id": self.id}
        shown.update({name: getattr(self, name) for name in FIELDS})
        shown.update(hits=self.hits, remaining=self.remaining)
        return shown


Catalog = Mapping[str, Mapping[str, frozenset[int] | None]]
"""vendor -> operationId -> the error statuses its spec declares (``None``: any, as a
``default`` response allows)."""


def declared_statuses(spec: LoadedSpec) -> dict[str, frozenset[int] | None]:
    """Per operationId, the statuses >= 400 its responses declare (``4XX`` counts for all
    of 400..499); ``None`` when a ``default`` response takes any status."""
    found: dict[str, frozenset[int] | None] = {}
    for operation in spec.operations:
        responses = spec.document["paths"][operation.path_template][operation.method]["responses"]
        keys = [str(key).upper() for key in responses]
        if "DEFAULT" in keys:
            found[operation.operation_id] = None
            continue
        statuses = {int(key) for key in keys if key.isdigit() and int(key) >= 400}
        for key in keys:
            if len(key) == 3 and key.endswith("XX") and key[0] in "45":
                statuses.update(range(int(key[0]) * 100, int(key[0]) * 100 + 100))
        found[operation.operation_id] = frozenset(statuses)
    return found


class HitCounter(Protocol):
    """Counts the requests each rule matched where several processes share the rules
    (the shared store): ``hit`` adds one and gives the new count, ``unhit`` takes one."""

    def hit(self, rule_id: str) -> int: ...

    def unhit(self, rule_id: str) -> int: ...


class FaultRules:
    """The emulator's rules, shared by every vendor's pipeline; safe between threads."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog
        self._lock = threading.Lock()
        self._next_id = 0
        self.active: tuple[FaultRule, ...] = ()
        """The rules in order; replaced whole on every change, so a reader needs no lock."""
        self.counter: HitCounter | None = None
        """Where matching requests are counted when the rules are shared between
        processes (:meth:`hit` then counts there, once across all of them)."""

    def add(self, raw: Any) -> FaultRule:
        """Checks ``raw`` (a rule as JSON or YAML gives it) and adds it last."""
        [rule] = self._append([check_rule(raw, self._catalog)])
        return rule

    def add_all(self, raws: Iterable[Any], where: str = "") -> list[FaultRule]:
        """Checks every rule first, then adds them all (or none); a problem is named by
        ``where`` and the rule's index."""
        checked = []
        for index, raw in enumerate(raws):
            try:
                checked.append(check_rule(raw, self._catalog))
            except FaultRuleError as exc:
                raise FaultRuleError(f"{where}[{index}]: {exc}") from exc
        return self._append(checked)

    def _append(self, checked: list[dict[str, Any]]) -> list[FaultRule]:
        """Adds checked rules last, each with a new id (ids are never reused)."""
        added = []
        with self._lock:
            for fields in checked:
                self._next_id += 1
                added.append(FaultRule(id=f"f{self._next_id}", **fields))
            self.active = (*self.active, *added)
        return added

    def get(self, rule_id: str) -> FaultRule | None:
        return next((rule for rule in self.active if rule.id == rule_id), None)

    def remove(self, rule_id: str) -> bool:
        """Removes one rule; whether it existed."""
        with self._lock:
            kept = tuple(rule for rule in self.active if rule.id != rule_id)
            found = len(kept) != len(self.active)
            self.active = kept
        return found

    def clear(self) -> None:
        with self._lock:
            self.active = ()

    def hit(self, vendor: str, operation: str, tenant: str) -> FaultRule | None:
        """The rule that hits this request, counted; ``None`` when no rule does."""
        if self.counter is not None:
            return self._hit_counted(self.counter, vendor, operation, tenant)
        with self._lock:
            for rule in self.active:
                if rule.spent or not rule.matches(vendor, operation, tenant):
                    continue
                rule.seen += 1
                if rule.seen > rule.after:
                    rule.hits += 1
                    return rule
        return None

    def _hit_counted(
        self, counter: HitCounter, vendor: str, operation: str, tenant: str
    ) -> FaultRule | None:
        """:meth:`hit` with the count kept by ``counter``: a request is the rule's n-th
        match across every process, hit when ``after < n <= after + times``. A count past
        that is given back at once, so that a hit refunded later (:meth:`refund`) can be
        taken again. Only a ``commit`` rule is ever refunded: another rule this process
        saw spent stays spent, and is not counted again."""
        for rule in self.active:
            if not rule.matches(vendor, operation, tenant) or (rule.spent and not rule.commit):
                continue
            count = counter.hit(rule.id)
            rule.seen = count
            if count <= rule.after:
                continue
            if rule.times is not None and count > rule.after + rule.times:
                counter.unhit(rule.id)
                rule.hits = rule.times
                continue
            rule.hits = count - rule.after
            return rule
        return None

    def counted(self, counts: Mapping[str, int]) -> None:
        """Sets each rule's ``seen`` and ``hits`` from shared counts (rule id -> matched
        requests), as :meth:`_hit_counted` counts them."""
        for rule in self.active:
            count = counts.get(rule.id, 0)
            hits = max(count - rule.after, 0)
            rule.seen, rule.hits = count, hits if rule.times is None else min(hits, rule.times)

    def exported(self) -> tuple[list[dict[str, Any]], int]:
        """The rules (their fields and ids, not their counts) and the next id's number,
        as :meth:`restore` takes them back."""
        with self._lock:
            rules = [{"id": r.id, **{n: getattr(r, n) for n in FIELDS}} for r in self.active]
            return rules, self._next_id

    def restore(self, rules: Iterable[Mapping[str, Any]], next_id: int) -> None:
        """Replaces every rule by ``rules`` (as :meth:`exported` gives them, already
        checked), ids included; counts start at 0."""
        restored = tuple(FaultRule(**dict(rule)) for rule in rules)
        with self._lock:
            self.active = restored
            self._next_id = next_id

    def settle(self, rule: FaultRule, served_status: int) -> bool:
        """Once the handler has answered ``served_status`` under a rule that runs it
        and replaces its answer (``commit``): whether the rule's answer replaces that
        one. Not when the request failed (>= 400): the client gets the real failure,
        and the hit is given back (:meth:`refund`)."""
        if served_status >= 400:
            self.refund(rule)
            return False
        return True

    def refund(self, rule: FaultRule) -> None:
        """Takes back a hit the rule did not deliver (a ``commit`` rule whose request failed)."""
        with self._lock:
            rule.hits -= 1
        if self.counter is not None:
            self.counter.unhit(rule.id)


def check_rule(raw: Any, catalog: Catalog) -> dict[str, Any]:
    """The rule's fields, checked; :class:`FaultRuleError` names the first bad one."""
    if not isinstance(raw, Mapping):
        raise FaultRuleError(f"a rule must be an object, got {_type(raw)}")
    unknown = sorted(set(raw) - set(FIELDS) - set(COUNTERS))
    if unknown:
        raise FaultRuleError(f"unknown field {unknown[0]!r}; a rule has {', '.join(FIELDS)}")
    vendor = raw.get("vendor")
    if not isinstance(vendor, str) or vendor not in catalog:
        raise FaultRuleError(f"'vendor' must be one of {sorted(catalog)}, got {vendor!r}")
    operations = catalog[vendor]
    fields: dict[str, Any] = {
        "vendor": vendor,
        "operation": _optional_str(raw, "operation"),
        "tenant": _optional_str(raw, "tenant"),
        "status": _optional_int(raw, "status", minimum=400, maximum=599),
        "retry_after": _optional_int(raw, "retry_after", minimum=0),
        # At most ten minutes: longer than any client waits, short of held till shutdown.
        "delay_ms": _optional_int(raw, "delay_ms", minimum=0, maximum=600_000) or 0,
        "disconnect": _bool(raw, "disconnect"),
        "after": _optional_int(raw, "after", minimum=0) or 0,
        "times": _optional_int(raw, "times", minimum=1),
        "commit": _bool(raw, "commit"),
    }
    operation = fields["operation"]
    if operation is not None and operation not in operations:
        raise FaultRuleError(
            f"'operation' {operation!r} is not an operation of {vendor}; "
            f"it has {', '.join(sorted(operations))}"
        )
    if fields["status"] is None and not fields["delay_ms"] and not fields["disconnect"]:
        raise FaultRuleError("a rule needs at least one of 'status', 'delay_ms', 'disconnect'")
    if fields["status"] is not None and fields["disconnect"]:
        raise FaultRuleError(
            "'status' and 'disconnect' exclude each other: a dropped connection answers nothing"
        )
    if fields["commit"] and fields["status"] is None and not fields["disconnect"]:
        raise FaultRuleError("'commit' needs a 'status' or 'disconnect' to replace the answer with")
    if fields["status"] is not None:
        _check_declared(fields["status"], vendor, operation, operations)
    return fields


def _check_declared(
    status: int, vendor: str, operation: str | None, operations: Mapping[str, frozenset[int] | None]
) -> None:
    """A fault answer passes response validation like any other, so its status must be
    one each operation the rule can hit declares."""
    names = [operation] if operation is not None else sorted(operations)
    for name in names:
        declared = operations[name]
        if declared is not None and status not in declared:
            raise FaultRuleError(
                f"'status' {status} is not a response {vendor} {name} declares; "
                f"it declares {', '.join(map(str, sorted(declared)))}"
            )


def load_fault_file(path: Path) -> list[Any]:
    """The rules listed in a YAML file (a list of rule mappings), unchecked."""
    try:
        document = read_yaml(path)
    except (OSError, YAMLError) as exc:
        raise FaultRuleError(f"{path}: cannot read the faults file: {exc}") from exc
    if document is None:
        return []
    if not isinstance(document, list):
        raise FaultRuleError(f"{path}: expected a list of rules, got {_type(document)}")
    return document


def _optional_str(raw: Mapping[str, Any], name: str) -> str | None:
    value = raw.get(name)
    if value is not None and (not isinstance(value, str) or not value):
        raise FaultRuleError(f"'{name}' must be a non-empty string or null, got {_type(value)}")
    return value


def _optional_int(
    raw: Mapping[str, Any], name: str, minimum: int, maximum: int | None = None
) -> int | None:
    value = raw.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise FaultRuleError(f"'{name}' must be a whole number, got {_type(value)}")
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"from {minimum} to {maximum}" if maximum is not None else f">= {minimum}"
        raise FaultRuleError(f"'{name}' must be {bound}, got {value}")
    return value


def _bool(raw: Mapping[str, Any], name: str) -> bool:
    value = raw.get(name, False)
    if not isinstance(value, bool):
        raise FaultRuleError(f"'{name}' must be true or false, got {_type(value)}")
    return value


def _type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"the number {value!r}"
    return names.get(type(value), type(value).__name__)
