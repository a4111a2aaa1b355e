"""Validation of one vendor's requests and responses against its spec.

:class:`SpecValidator` runs each operation through its compiled checks
(``compiled.py``) and, for an operation the compiler leaves alone, through
openapi-core itself (``reference.py``). Either way the verdict is openapi-core's.
openapi-core is imported, and its validators built, only when first needed:
:meth:`SpecValidator.warm_up` does it ahead of time, off the start-up path.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from secretmock.engine.compiled import CompiledOperation, Pointer, compile_operation
from secretmock.engine.incoming import IncomingRequest
from secretmock.engine.specs import LoadedSpec, Operation
from secretmock.engine.violations import Violation

if TYPE_CHECKING:
    from secretmock.engine.reference import ReferenceValidator


@dataclass(slots=True)
class CheckedRequest:
    """The validated parts of a request, ready for a handler."""

    path: dict[str, Any] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    violations: list[Violation] = field(default_factory=list)


class SpecValidator:
    """Validates one vendor's requests and responses; built once, at start-up."""

    def __init__(self, spec: LoadedSpec) -> None:
        self.spec = spec
        self._reference: ReferenceValidator | None = None
        self._lock = threading.Lock()
        self.compiled: dict[str, CompiledOperation | None] = {
            op.operation_id: compile_operation(spec.document, op, self._build_validator)
            for op in spec.operations
        }

    @property
    def reference(self) -> ReferenceValidator:
        """openapi-core's validator for this spec, made on first use."""
        if self._reference is None:
            with self._lock:
                if self._reference is None:
                    from secretmock.engine.reference import ReferenceValidator

                    self._reference = ReferenceValidator(self.spec)
        return self._reference

    def warm_up(self) -> None:
        """Builds now everything otherwise built on first need (openapi-core, validators)."""
        for compiled in self.compiled.values():
            if compiled is None:
                continue
            for check in compiled.checks():
                check.validator()
        _ = self.reference

    def check_request(
        self,
        operation: Operation,
        path_params: Mapping[str, str],
        request: IncomingRequest,
        body: Any = None,
    ) -> CheckedRequest:
        """Validates ``request``, whose JSON body, parsed, is ``body``."""
        compiled = self.compiled[operation.operation_id]
        checked = (
            compiled.check_request(path_params, request, body)
            if compiled is not None
            else self.reference.check_request(operation, path_params, request)
        )
        return CheckedRequest(checked.path, checked.query, body, checked.violations)

    def check_response(
        self, operation: Operation, request: IncomingRequest, status: int, data: bytes, body: Any
    ) -> list[Violation]:
        """Every way the response breaks the spec: ``data`` is the JSON sent, ``body`` the
        JSON-native value it encodes."""
        compiled = self.compiled[operation.operation_id]
        if compiled is not None:
            return compiled.check_response(status, data, body)
        return self.reference.check_response(operation, request, status, data)

    def _build_validator(self, pointer: Pointer, side: str) -> Any:
        return self.reference.schema_validator(pointer, side)
