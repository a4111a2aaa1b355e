"""Routing a request to a spec operation, driven by the spec's own paths."""

from __future__ import annotations

import re
from dataclasses import dataclass

from secretmock.engine.specs import Operation

_PARAM = re.compile(r"\{([^{}/]+)\}")


@dataclass(frozen=True, slots=True)
class Match:
    """A matched operation and its raw (still unvalidated, percent-decoded) path parameters."""

    operation: Operation
    path_params: dict[str, str]


class RouteTable:
    """Maps (method, path) to an operation. Concrete paths win over templated ones."""

    def __init__(self, operations: tuple[Operation, ...], base_path: str = "") -> None:
        by_template: dict[str, dict[str, Operation]] = {}
        for op in operations:
            by_template.setdefault(op.path_template, {})[op.method] = op
        ordered = sorted(by_template.items(), key=lambda item: item[0].count("{"))
        self._routes = [(*_compile(base_path + template), methods) for template, methods in ordered]

    def match(self, method: str, path: str) -> Match | None:
        """The operation for ``method`` on ``path``, or ``None`` if the spec has none."""
        for pattern, names, methods in self._routes:
            found = pattern.fullmatch(path)
            if found is None:
                continue
            operation = methods.get(method.lower())
            return (
                Match(operation, dict(zip(names, found.groups(), strict=True)))
                if operation
                else None
            )
        return None


def _compile(template: str) -> tuple[re.Pattern[str], list[str]]:
    """A regex for the template and the names of its parameters, in order."""
    pieces, names, last = [], [], 0
    for param in _PARAM.finditer(template):
        pieces.append(re.escape(template[last : param.start()]))
        pieces.append("([^/]+)")
        names.append(param.group(1))
        last = param.end()
    pieces.append(re.escape(template[last:]))
    return re.compile("".join(pieces)), names
