"""Validation of one vendor's requests and responses against its spec.

:class:`SpecValidator` maps each operationId of a spec to its
:class:`~secretmock.engine.validation.contract.OperationValidator`, compiled at
start-up (``compiled.py``). There is one path: an operation that does not compile
makes the spec unusable, and start-up fails naming the vendor, the operation and what
it uses. Either way a refusal's verdict is openapi-core's own (``schema_factory.py``);
openapi-core is imported, and its validators built, only when first needed:
:meth:`SpecValidator.warm_up` does it ahead of time, off the start-up path.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from secretmock.engine.specs import LoadedSpec, SpecError
from secretmock.engine.validation.compiled import (
    CompiledOperation,
    NotCompilable,
    compile_operation,
)
from secretmock.engine.validation.contract import OperationValidator
from secretmock.engine.validation.schema_factory import SchemaValidatorFactory


class UncompilableOperation(SpecError):
    """A spec operation uses a feature the validator does not compile."""


class SpecValidator(Mapping[str, OperationValidator]):
    """operationId -> its validator, for one vendor's spec; built once, at start-up."""

    def __init__(self, spec: LoadedSpec, vendor: str | None = None) -> None:
        self.spec = spec
        self.schemas = SchemaValidatorFactory(spec)
        self._operations: dict[str, CompiledOperation] = {}
        for operation in spec.operations:
            try:
                compiled = compile_operation(spec.document, operation, self.schemas)
            except NotCompilable as exc:
                raise UncompilableOperation(
                    f"{spec.path}: vendor {vendor or spec.path.stem}, operation "
                    f"{operation.operation_id}: {exc} is not supported by the validator"
                ) from exc
            self._operations[operation.operation_id] = compiled

    def __getitem__(self, operation_id: str) -> OperationValidator:
        return self._operations[operation_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._operations)

    def __len__(self) -> int:
        return len(self._operations)

    def warm_up(self) -> None:
        """Builds now everything otherwise built on first need (openapi-core, validators)."""
        for compiled in self._operations.values():
            for check in compiled.checks():
                check.validator()
