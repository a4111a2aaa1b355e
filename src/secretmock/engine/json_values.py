"""JSON that every client can read back.

Python's ``json`` module reads more than JSON: ``NaN``, ``Infinity`` and ``-Infinity``
(RFC 8259 has no such numbers; JavaScript's ``JSON.parse`` refuses them), numbers too
large for a double (``1e999`` becomes ``inf``), and ``\\ud800``, a lone UTF-16
surrogate, which no UTF-8 encoder writes. Stored, any of them breaks every later answer
that includes it. :func:`loads` refuses them all, so they are never stored;
:func:`unreadable_value` finds them in a document that came another way (a YAML
fixtures file, an admin request).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")


class UnreadableJson(ValueError):
    """The text is not JSON, or holds a value no JSON client could read back; the
    message says which and where."""


def loads(data: bytes | str) -> Any:
    """``json.loads``, refusing what a client could not read back (see the module)."""
    try:
        text, plain = _text(data)
        document = _DECODER.decode(text)
    except RecursionError as exc:
        raise UnreadableJson("the JSON is nested too deeply") from exc
    except UnicodeDecodeError as exc:
        raise UnreadableJson(str(exc)) from exc
    if not plain:
        problem = unreadable_value(document)
        if problem is not None:
            raise UnreadableJson(problem)
    return document


def _text(data: bytes | str) -> tuple[str, bool]:
    """The text of ``data`` (bytes decoded as ``json.loads`` would), and whether it is
    plain: ASCII with no ``\\u`` escape, so it cannot hold a lone surrogate and the walk
    can be skipped. Nearly every body is plain; checking that is a pair of C scans."""
    if isinstance(data, str):
        return data, data.isascii() and "\\u" not in data
    if data.isascii() and b"\x00" not in data[:4]:  # NULs there mean UTF-16 or UTF-32
        return data.decode("ascii"), b"\\u" not in data
    return data.decode(json.detect_encoding(data)), False


def unreadable_value(document: Any) -> str | None:
    """Where and what the first value of ``document`` is that a JSON client could not
    read back (NaN, an infinity, a lone surrogate in a key or a string), or ``None``."""
    pending: list[tuple[str, Any]] = [("", document)]
    while pending:
        where, node = pending.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(key, str) and _SURROGATE.search(key):
                    return f"a key at {where or '/'} holds a lone surrogate"
                pending.append((f"{where}/{key}", value))
        elif isinstance(node, list):
            pending.extend((f"{where}/{index}", item) for index, item in enumerate(node))
        elif isinstance(node, float) and not math.isfinite(node):
            return f"{where or '/'} is {node!r}, not a JSON number"
        elif isinstance(node, str) and _SURROGATE.search(node):
            return f"the string at {where or '/'} holds a lone surrogate"
    return None


def _refuse_constant(name: str) -> Any:
    raise UnreadableJson(f"{name} is not a JSON value")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise UnreadableJson(f"{text} is too large for a JSON number")
    return number


# One decoder, built once: ``json.loads`` with hooks builds a new one on every call.
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite)
