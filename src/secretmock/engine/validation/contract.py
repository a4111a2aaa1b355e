"""What validating an operation answers, and the one signature every validator has."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from secretmock.engine.incoming import IncomingRequest
from secretmock.engine.violations import Violation


@dataclass(slots=True)
class CheckedRequest:
    """The validated parts of a request, ready for a handler: path and query parameters
    cast to their schema types, the parsed JSON body, and every violation found (when
    there is one, the parameters hold only those that passed)."""

    path: dict[str, Any] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    violations: list[Violation] = field(default_factory=list)


class OperationValidator(Protocol):
    """Validates the requests and responses of one operation of a spec."""

    def check_request(
        self,
        request: IncomingRequest,
        path_params: Mapping[str, str],
        body: Any,
        parsed_as_json: bool = False,
    ) -> CheckedRequest:
        """Checks ``request``, routed to this operation with the raw ``path_params``;
        ``body`` is its JSON body, parsed (``None`` when there is none).
        ``parsed_as_json``: ``body`` is what the standard JSON decoder read from
        ``request.body``, nothing else (a validator may then know it by that text)."""
        ...

    def check_response(
        self, status: int, data: bytes, body: Any, encoded: bool = False
    ) -> list[Violation]:
        """Every way a JSON answer breaks the spec: ``data`` is the JSON sent, ``body``
        the value it encodes. ``encoded``: ``data`` is exactly ``body`` encoded (a
        validator may then know ``body`` by that text)."""
        ...
