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


@dataclass(frozen=True, slots=True)
class WrongMethod:
    """A partial match: the path is one of the spec's, the method is not one it has
    there (what a server answers 405 for, or folds into its 404)."""

    allowed: tuple[str, ...]
    """The methods the path has, upper case, sorted."""


class RouteTable:
    """Maps (method, path) to an operation. Concrete paths win over templated ones."""

    def __init__(self, operations: tuple[Operation, ...], base_path: str = "") -> None:
        by_template: dict[str, dict[str, Operation]] = {}
        for op in operations:
            by_template.setdefault(op.path_template, {})[op.method] = op
        ordered = sorted(by_template.items(), key=lambda item: item[0].count("{"))
        self._routes = [
            (*_compile(base_path + template), methods, _allowed(methods))
            for template, methods in ordered
        ]

    def match(self, method: str, path: str) -> Match | WrongMethod | None:
        """The operation for ``method`` on ``path``; :class:`WrongMethod` when the spec
        has the path but not this method on it; ``None`` when it has no such path."""
        for pattern, names, methods, allowed in self._routes:
            found = pattern.fullmatch(path)
            if found is None:
                continue
            operation = methods.get(method.lower())
            if operation is None:
                return allowed
            return Match(operation, dict(zip(names, found.groups(), strict=True)))
        return None


def _allowed(methods: dict[str, Operation]) -> WrongMethod:
    return WrongMethod(tuple(sorted(name.upper() for name in methods)))


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
