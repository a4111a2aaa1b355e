"""Request and response validation against a vendor's OpenAPI spec.

``SpecValidator(spec)[operation_id]`` is an :class:`OperationValidator`:
``check_request(request, path_params, body) -> CheckedRequest`` and
``check_response(status, data, body) -> list[Violation]``. How it stays openapi-core's
verdict while fast: ``compiled.py`` (the compiled operation), ``fastcheck.py`` (the
quick acceptance), ``schema_factory.py`` (openapi-core's validators for the rest).
"""

from secretmock.engine.validation.contract import CheckedRequest, OperationValidator
from secretmock.engine.validation.spec_validator import SpecValidator, UncompilableOperation

__all__ = ["CheckedRequest", "OperationValidator", "SpecValidator", "UncompilableOperation"]
