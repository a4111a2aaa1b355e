"""The comparison: two answers to one request in, typed findings out. Pure, no I/O.

:func:`compare` reads the real vendor's answer and the emulator's, what the spec says
of the real one (its violations, the response schema), the vendor's
:class:`~secretmock.engine.drift_profile.DriftProfile`, the noise learned from the twin
and the ids mapped so far, and applies these rules:

1. **Status**: another code in the same class (400/422, 200/201) or another class is
   breaking. After a class change nothing else is compared: the bodies are different
   kinds of answer.
2. **Error envelopes** are compared like any body: their shape by type path, the
   vendor's code fields exactly (breaking); message text is info, except in an
   envelope that has only a message (no code field): there the message, digits and
   ids masked, is a warning.
3. **Bodies by JSON type path**: a field the emulator answers and the real vendor does
   not is ``removed`` (breaking), one only the real vendor answers is ``added`` (info;
   a warning where the spec forbids other properties); a different JSON type is one
   ``type`` finding (breaking) and nothing below it is compared.
4. **Noise** (values that differ between the emulator and its twin, and values of a
   generated format) suppresses the comparison of values only: presence and type are
   always compared.
5. **Timestamps** keep their format class even where their value is noise (warning).
6. **Echo fields** (what the request supplied) must come back equal (breaking).
7. **Secret fields** are compared by type; by value only when the emulator's value is
   one a request gave it (what it did not get from the client it cannot know).
8. **Arrays of records** are aligned by the vendor's record key; their order is
   compared apart (warning); records only one side has are no drift but
   ``state_divergence`` (the states parted: :attr:`Comparison.parted`), as are the
   keys only one side has in a map whose keys are records.
9. **Headers**: the media type, ``Retry-After``, ``Location``, ``WWW-Authenticate``
   and the vendor's own headers (presence); ``Deprecation``, ``Sunset`` and
   ``Warning: 299`` on the real answer are ``deprecation`` findings.
10. **Attribution**: a difference only where the spec is silent is ``spec_gap``; one
    in a real answer that breaks the spec is ``vendor_off_spec``; any other is
    ``emulator_gap``. An upstream that gave no answer, or a 5xx or 429 the emulator
    did not give too, is ``could_not_check`` (a warning, never breaking), and nothing
    is compared.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from secretmock.drift.align import align, pair_leftovers
from secretmock.drift.answer import Answer, json_type
from secretmock.drift.findings import Attribution, Finding, Kind, Scalar, Severity, Where
from secretmock.drift.formats import masked_message, time_format
from secretmock.drift.headers import HeaderDifference, deprecations, header_differences
from secretmock.drift.schema import SchemaNode
from secretmock.engine.drift_profile import DriftProfile
from secretmock.engine.violations import Violation

KEY_NOISE = "/#key"
"""Appended to a list's schema path in the noise set: its record keys themselves
differ between the emulator and its twin (a key made from the time)."""

MAX_CODE_LENGTH = 64
"""A longer value of a code field is shown by its type: no code is that long."""


class IdLookup(Protocol):
    """The ids mapped so far between the real vendor and the emulator."""

    def emulated_of(self, real: str) -> str | None: ...

    def real_of(self, emulated: str) -> str | None: ...


class _NoIds:
    def emulated_of(self, real: str) -> str | None:
        return None

    def real_of(self, emulated: str) -> str | None:
        return None


def _never(value: Any) -> bool:
    return False


@dataclass(frozen=True)
class Context:
    """Everything besides the two answers that the comparison reads."""

    where: Where
    profile: DriftProfile
    schema: SchemaNode
    """The response schema of the real answer's status."""
    request_violations: tuple[Violation, ...] = ()
    """How the request breaks the spec (the emulator's validator found them)."""
    response_violations: tuple[Violation, ...] = ()
    """How the real answer breaks the spec."""
    noise: Callable[[str], bool] = _never
    """Whether values at a schema path are noise."""
    all_noise: bool = False
    """No value is compared (the twin did not even answer with the same status)."""
    ids: IdLookup = field(default_factory=_NoIds)
    known_secret: Callable[[Any], bool] = _never
    """Whether a secret value is one a request gave the emulator."""


@dataclass(frozen=True, slots=True)
class Parted:
    """A list or map of records where the two states differ."""

    location: str
    schema_path: str
    only_real: tuple[str, ...]
    """The record keys only the real answer has."""
    only_emulated: tuple[str, ...]
    key: str | None = None
    """The field the records of a list are keyed by; ``None``: a map, keyed by its keys."""


@dataclass
class Comparison:
    """The findings, and what the comparison learnt for the ones to come."""

    findings: list[Finding] = field(default_factory=list)
    learned_ids: dict[str, str] = field(default_factory=dict)
    """Real id -> emulated id, first seen in this exchange (at the same location of
    two successful answers)."""
    parted: list[Parted] = field(default_factory=list)


def compare(real: Answer, emulated: Answer, context: Context) -> Comparison:
    """The findings of one exchange (see the module's rules)."""
    comparer = _Comparer(context, real)
    comparer.run(real, emulated)
    return comparer.result


class _Comparer:
    def __init__(self, context: Context, real: Answer) -> None:
        self.context = context
        self.profile = context.profile
        self.result = Comparison()
        self.off_spec = bool(context.response_violations)
        self.error = real.status >= 400
        self.learning = 200 <= real.status < 400
        self.echo = frozenset(context.profile.echo_fields.get(context.where.operation or "", ()))

    # -- findings -----------------------------------------------------------------------

    def add(
        self,
        kind: Kind,
        severity: Severity,
        location: str,
        real: Scalar = None,
        emulated: Scalar = None,
        detail: str = "",
        declared: bool = True,
        attribution: Attribution | None = None,
    ) -> None:
        if attribution is None:
            attribution = self.attribution(declared)
        self.result.findings.append(
            Finding(
                kind, severity, attribution, self.context.where, location, real, emulated, detail
            )
        )

    def attribution(self, declared: bool) -> Attribution:
        if not declared:
            return Attribution.SPEC_GAP
        return Attribution.VENDOR_OFF_SPEC if self.off_spec else Attribution.EMULATOR_GAP

    # -- the exchange -------------------------------------------------------------------

    def run(self, real: Answer, emulated: Answer) -> None:
        if not real.answered:
            self.add(
                Kind.COULD_NOT_CHECK,
                Severity.WARNING,
                "",
                detail=real.failure or "no answer",
                attribution=Attribution.COULD_NOT_CHECK,
            )
            return
        if _not_processed(real.status) and real.status != emulated.status:
            self.add(
                Kind.COULD_NOT_CHECK,
                Severity.WARNING,
                "",
                real.status,
                emulated.status,
                "upstream failure" if real.status >= 500 else "rate limited",
                attribution=Attribution.COULD_NOT_CHECK,
            )
            return
        self.off_spec_findings(real)
        self.header_findings(deprecations(real.headers, emulated.headers))
        if real.status != emulated.status and not self.status(real.status, emulated.status):
            return
        self.header_findings(
            header_differences(real.headers, emulated.headers, self.profile.vendor_headers)
        )
        self.walk(real.body, emulated.body, "", self.context.schema, "", "")

    def off_spec_findings(self, real: Answer) -> None:
        if real.status < 400:
            for violation in self.context.request_violations:
                self.add(
                    Kind.REQUEST_OFF_SPEC,
                    Severity.WARNING,
                    _request_location(violation),
                    detail=violation.rule,
                    attribution=Attribution.SPEC_GAP,
                )
        for violation in self.context.response_violations:
            self.add(
                Kind.RESPONSE_OFF_SPEC,
                Severity.WARNING,
                "" if violation.rule == "status" else violation.location,
                real=violation.actual if violation.rule != "status" else real.status,
                detail=violation.rule,
                attribution=Attribution.VENDOR_OFF_SPEC,
            )

    def status(self, real: int, emulated: int) -> bool:
        """Reports the status difference; whether the bodies are still comparable."""
        same_class = real // 100 == emulated // 100
        attribution = None
        if any(v.rule == "status" for v in self.context.response_violations):
            attribution = Attribution.VENDOR_OFF_SPEC
        elif real < 400 and (self.context.request_violations or not self.context.where.operation):
            # The vendor accepts a request the spec refuses, or has an operation the
            # spec lacks: the spec does not describe the vendor there.
            attribution = Attribution.SPEC_GAP
        detail = "status_code" if same_class else "status_class"
        self.add(
            Kind.STATUS, Severity.BREAKING, "", real, emulated, detail, attribution=attribution
        )
        return same_class

    # -- headers ------------------------------------------------------------------------

    def header_findings(self, differences: list[HeaderDifference]) -> None:
        for d in differences:
            self.add(
                d.kind,
                d.severity,
                f"header:{d.name}",
                d.real,
                d.emulated,
                attribution=d.attribution,
            )

    # -- bodies -------------------------------------------------------------------------

    def walk(
        self, real: Any, emulated: Any, pointer: str, node: SchemaNode, path: str, name: str
    ) -> None:
        """Compares two values at ``pointer`` (schema path ``path``; ``name`` is the key
        of the nearest enclosing object)."""
        real_type = self.retyped(real, emulated, pointer, node)
        if real_type is None:
            return
        if real_type == "object":
            self.objects(real, emulated, pointer, node, path)
        elif real_type == "array":
            self.arrays(real, emulated, pointer, node, path, name)
        elif real_type not in ("none", "text"):
            self.scalar(real, emulated, pointer, node, path, name)

    def retyped(self, real: Any, emulated: Any, pointer: str, node: SchemaNode) -> str | None:
        """The values' one JSON type; ``None`` when the two differ, which is then
        reported once, as a breaking ``type`` finding at ``pointer``."""
        real_type, emulated_type = json_type(real), json_type(emulated)
        if real_type == emulated_type:
            return real_type
        self.add(
            Kind.TYPE, Severity.BREAKING, pointer, real_type, emulated_type, declared=node.declared
        )
        return None

    def objects(
        self,
        real: dict[str, Any],
        emulated: dict[str, Any],
        pointer: str,
        node: SchemaNode,
        path: str,
    ) -> None:
        only_real = [key for key in real if key not in emulated]
        only_emulated = [key for key in emulated if key not in real]
        if node.keyed_map and (only_real or only_emulated):
            self.part(pointer, path, only_real, only_emulated)
        else:
            for key in only_emulated:
                child, _ = node.child(key)
                self.add(
                    Kind.REMOVED,
                    Severity.BREAKING,
                    f"{pointer}/{_escape(key)}",
                    emulated=json_type(emulated[key]),
                    declared=child.declared,
                )
            for key in only_real:
                child, _ = node.child(key)
                self.add(
                    Kind.ADDED,
                    Severity.WARNING if node.closed else Severity.INFO,
                    f"{pointer}/{_escape(key)}",
                    real=json_type(real[key]),
                    declared=child.declared,
                )
        for key, real_value in real.items():
            if key not in emulated:
                continue
            child, segment = node.child(key)
            at, child_path = f"{pointer}/{_escape(key)}", f"{path}/{_escape(segment)}"
            if key in self.profile.secret_fields:
                self.secret(real_value, emulated[key], at, child, child_path, key)
            else:
                self.walk(real_value, emulated[key], at, child, child_path, key)

    def arrays(
        self,
        real: list[Any],
        emulated: list[Any],
        pointer: str,
        node: SchemaNode,
        path: str,
        name: str,
    ) -> None:
        item, item_path = node.item(), f"{path}/*"
        alignment = align(real, emulated, self.profile.record_keys)
        if alignment is None:
            self.by_index(real, emulated, pointer, item, item_path, name)
            return
        if alignment.only_real and alignment.only_emulated and self.noisy(path + KEY_NOISE):
            alignment = pair_leftovers(alignment)
        if alignment.only_real or alignment.only_emulated:
            key = alignment.key
            self.part(
                pointer,
                path,
                [real[i][key] for i in alignment.only_real],
                [emulated[i][key] for i in alignment.only_emulated],
                key,
            )
        if alignment.reordered:
            self.add(Kind.VALUE, Severity.WARNING, pointer, detail="order", declared=node.declared)
        for real_index, emulated_index in alignment.pairs:
            at = f"{pointer}/{real_index}"
            self.walk(real[real_index], emulated[emulated_index], at, item, item_path, name)

    def by_index(
        self,
        real: list[Any],
        emulated: list[Any],
        pointer: str,
        item: SchemaNode,
        item_path: str,
        name: str,
    ) -> None:
        for index in range(min(len(real), len(emulated))):
            self.walk(real[index], emulated[index], f"{pointer}/{index}", item, item_path, name)
        for index in range(len(real), len(emulated)):
            self.add(
                Kind.REMOVED,
                Severity.BREAKING,
                f"{pointer}/{index}",
                emulated=json_type(emulated[index]),
                declared=item.declared,
            )
        for index in range(len(emulated), len(real)):
            self.add(
                Kind.ADDED,
                Severity.INFO,
                f"{pointer}/{index}",
                real=json_type(real[index]),
                declared=item.declared,
            )

    def part(
        self,
        pointer: str,
        path: str,
        only_real: list[str],
        only_emulated: list[str],
        key: str | None = None,
    ) -> None:
        parted = Parted(pointer, path, tuple(only_real), tuple(only_emulated), key)
        self.result.parted.append(parted)
        self.add(
            Kind.STATE_DIVERGENCE,
            Severity.WARNING,
            pointer,
            len(only_real),
            len(only_emulated),
            "records",
            attribution=Attribution.COULD_NOT_CHECK,
        )

    def secret(
        self, real: Any, emulated: Any, pointer: str, node: SchemaNode, path: str, name: str
    ) -> None:
        """A secret field: its type always; its value only when the emulator's is one a
        request gave it (never shown: only the types are)."""
        value_type = self.retyped(real, emulated, pointer, node)
        if value_type is None:
            return
        if name in self.profile.id_fields and isinstance(real, str):
            self.same_id(real, emulated, pointer)  # a new key: each side made its own
        elif real != emulated and self.context.known_secret(emulated):
            self.add(
                Kind.VALUE,
                Severity.BREAKING,
                pointer,
                value_type,
                value_type,
                "echo" if path in self.echo else "secret",
                declared=node.declared,
            )

    def scalar(
        self, real: Any, emulated: Any, pointer: str, node: SchemaNode, path: str, name: str
    ) -> None:
        if self.same(real, emulated, pointer, name):
            return
        noisy = self.context.all_noise or node.generated or self.noisy(path)
        real_format = time_format(real, numbers=noisy)
        emulated_format = time_format(emulated, numbers=noisy)
        if real_format and emulated_format and real_format != emulated_format:
            self.add(
                Kind.VALUE,
                Severity.WARNING,
                pointer,
                real_format,
                emulated_format,
                "format",
                declared=node.declared,
            )
        elif path in self.echo:
            self.value(Severity.BREAKING, pointer, real, emulated, "echo", node)
        elif name in self.profile.code_fields:
            self.add(
                Kind.VALUE,
                Severity.BREAKING,
                pointer,
                _code(real),
                _code(emulated),
                "code",
                declared=node.declared,
            )
        elif noisy:
            return
        elif name in self.profile.message_fields:
            self.message(real, emulated, pointer, node)
        else:
            self.value(Severity.WARNING, pointer, real, emulated, "value", node)

    def message(self, real: Any, emulated: Any, pointer: str, node: SchemaNode) -> None:
        if self.error and not self.profile.code_fields:
            if (
                isinstance(real, str)
                and isinstance(emulated, str)
                and masked_message(real) == masked_message(emulated)
            ):
                return
            self.value(Severity.WARNING, pointer, real, emulated, "message", node)
        else:
            self.value(Severity.INFO, pointer, real, emulated, "message", node)

    def value(
        self,
        severity: Severity,
        pointer: str,
        real: Any,
        emulated: Any,
        detail: str,
        node: SchemaNode,
    ) -> None:
        self.add(
            Kind.VALUE,
            severity,
            pointer,
            _shown(real),
            _shown(emulated),
            detail,
            declared=node.declared,
        )

    def noisy(self, path: str) -> bool:
        return self.context.noise(path)

    # -- ids ----------------------------------------------------------------------------

    def same(self, real: Any, emulated: Any, pointer: str, name: str) -> bool:
        """Equal, or ids that stand for each other. An id field's pair is learnt when
        first seen; a pair that contradicts the ones known is reported here."""
        if real == emulated and json_type(real) == json_type(emulated):
            if name in self.profile.id_fields and isinstance(real, str):
                self.same_id(real, emulated, pointer)
            return True
        if not isinstance(real, str) or not isinstance(emulated, str):
            return False
        if name in self.profile.id_fields:
            self.same_id(real, emulated, pointer)
            return True
        return self.mapped(real) == emulated

    def mapped(self, real: str) -> str | None:
        return self.result.learned_ids.get(real) or self.context.ids.emulated_of(real)

    def same_id(self, real: str, emulated: str, pointer: str) -> None:
        known = self.mapped(real)
        back = self.context.ids.real_of(emulated)
        if known is None and back is None:
            if self.learning:
                self.result.learned_ids[real] = emulated
            return
        if known not in (None, emulated) or back not in (None, real):
            self.add(Kind.VALUE, Severity.WARNING, pointer, "string", "string", "id")


# -- helpers ----------------------------------------------------------------------------


def _not_processed(status: int) -> bool:
    """A real answer that says the vendor did not process the request: a 5xx, or a
    rate limit (429), which the emulator cannot know of. Unless the emulator answered
    the same, there is nothing to compare."""
    return status >= 500 or status == 429


def _escape(key: str) -> str:
    """A JSON pointer segment (RFC 6901)."""
    return key.replace("~", "~0").replace("/", "~1")


def _request_location(violation: Violation) -> str:
    if violation.part == "body":
        return violation.location
    if violation.part == "header":
        return f"header:{violation.name.lower()}"
    return f"{violation.part}:{violation.location}"


def _shown(value: Any) -> Scalar:
    """What a finding may show of a value: a number, a boolean or null as it is; a
    string, an array or an object only by its type (it may be anybody's text)."""
    if value is None or isinstance(value, bool | int | float):
        return value
    return json_type(value)


def _code(value: Any) -> Scalar:
    """A code field's value: the code itself, unless it could be no code."""
    if isinstance(value, str) and len(value) <= MAX_CODE_LENGTH:
        return value
    return _shown(value)
