"""JSON that every client can read back.

Python's ``json`` module reads more than JSON: ``NaN``, ``Infinity`` and ``-Infinity``
(RFC 8259 has no such numbers; JavaScript's ``JSON.parse`` refuses them), numbers too
large for a double (``1e999`` becomes ``inf``), and ``\\ud800``, a lone UTF-16
surrogate, which no UTF-8 encoder writes. Stored, any of them breaks every later answer
that includes it. :func:`loads` refuses them all, so they are never stored;
:func:`unreadable_value` finds them in a document that came another way (a YAML
fixtures file, an admin request).

Nesting is bounded too. Every vendor's own parser reads deeper than Python can walk
(V8's ``JSON.parse`` has no limit, Go's decoders stop at 10,000 levels), but the
emulator walks what it stores recursively (``copy.deepcopy``, the JSON encoder, the
validators), each level taking a frame or two of Python's 1,000: a value nested about
500 levels deep parsed, then broke a handler midway or the admin API's state. So
:func:`loads` refuses a body nested deeper than :data:`MAX_DEPTH` as unreadable, and
:func:`unreadable_value` finds such nesting too: whatever is stored can be walked, and
answered, by every later step.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")

MAX_DEPTH = 256
"""The deepest a vendor's request body may nest, counting every object and array on the
way down (``[]`` is 1 level, ``{"a": []}`` 2), and the deepest a stored value or a
fixtures entry may. Beyond it, the vendor's malformed-body 400 (docs/vendors/*.md,
"Limits"). It leaves Python's recursion room for the walks after it (about two frames a
level for ``copy.deepcopy``)."""
TOO_DEEP = "nested too deeply"
"""How every refusal of deep nesting begins (:func:`unreadable_value`)."""
DOCUMENT_DEPTH = MAX_DEPTH + 16
"""The deepest an admin body or a state document may nest: a state document holds a
record's values 7 levels down, so the state the emulator answers always reads back."""


class UnreadableJson(ValueError):
    """The text is not JSON, or holds a value no JSON client could read back; the
    message says which and where."""


def loads(data: bytes | str, max_depth: int | None = None) -> Any:
    """``json.loads``, refusing what a client could not read back and nesting deeper than
    ``max_depth`` (:data:`MAX_DEPTH` by default; see the module)."""
    limit = MAX_DEPTH if max_depth is None else max_depth
    try:
        text, plain = _text(data)
        document = _DECODER.decode(text)
    except RecursionError as exc:
        raise UnreadableJson(f"the JSON is {TOO_DEEP}: more than {limit} levels") from exc
    except UnicodeDecodeError as exc:
        raise UnreadableJson(str(exc)) from exc
    # A plain body with no more brackets than the limit cannot nest past it: two C
    # scans, and nearly every body skips the walk.
    if not plain or text.count("[") + text.count("{") > limit:
        problem = unreadable_value(document, limit)
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


def unreadable_value(document: Any, max_depth: int = MAX_DEPTH) -> str | None:
    """Where and what the first value of ``document`` is that a JSON client could not
    read back (NaN, an infinity, a lone surrogate in a key or a string), or where it
    nests deeper than ``max_depth`` levels; ``None`` when there is none. Iterative: any
    depth is walked."""
    pending: list[tuple[str, Any, int]] = [("", document, 1)]
    while pending:
        where, node, depth = pending.pop()
        if isinstance(node, dict | list) and depth > max_depth:
            return f"{TOO_DEEP}: more than {max_depth} levels at {_cut(where)}"
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(key, str) and _SURROGATE.search(key):
                    return f"a key at {where or '/'} holds a lone surrogate"
                pending.append((f"{where}/{key}", value, depth + 1))
        elif isinstance(node, list):
            pending.extend((f"{where}/{index}", item, depth + 1) for index, item in enumerate(node))
        elif isinstance(node, float) and not math.isfinite(node):
            return f"{where or '/'} is {node!r}, not a JSON number"
        elif isinstance(node, str) and _SURROGATE.search(node):
            return f"the string at {where or '/'} holds a lone surrogate"
    return None


def _cut(where: str, segments: int = 4) -> str:
    """The first ``segments`` steps of a path, enough to find a deep value by."""
    parts = where.split("/")
    return "/".join(parts[: segments + 1]) + ("/..." if len(parts) > segments + 1 else "")


def _refuse_constant(name: str) -> Any:
    raise UnreadableJson(f"{name} is not a JSON value")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise UnreadableJson(f"{text} is too large for a JSON number")
    return number


# One decoder, built once: ``json.loads`` with hooks builds a new one on every call.
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite)


# -- writing and copying JSON values on the request path ----------------------------------


def _compact_encoder() -> Any:
    """``json.dumps(value, separators=(",", ":"), ensure_ascii=False)``, built once.
    ``json.dumps`` with any argument builds a ``JSONEncoder`` and, inside it, the C
    encoder anew on every call: on a small answer that is half its cost. No circular
    check (``markers`` is ``None``): a handler's answer is a tree of fresh JSON values,
    and a cycle would end in ``RecursionError``, an emulator bug the pipeline answers
    with the vendor's 500."""
    make = getattr(json.encoder, "c_make_encoder", None)
    plain = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
    if make is None:  # a Python without the C accelerator
        return lambda value: plain.encode(value)
    # The arguments of json.encoder.JSONEncoder.iterencode's own call, in its order:
    # markers, default, the string encoder, indent, the two separators, sort_keys,
    # skipkeys, allow_nan.
    basestring = json.encoder.encode_basestring
    encoder = make(None, plain.default, basestring, None, ":", ",", False, False, True)
    return lambda value: "".join(encoder(value, 0))


_ENCODE = _compact_encoder()


def dumps(value: Any) -> bytes:
    """``value`` as compact JSON bytes (UTF-8, no escaping of non-ASCII), as the real
    services send their answers; identical to ``json.dumps(value, separators=(",",
    ":"), ensure_ascii=False).encode()``, in about half the time."""
    text: str = _ENCODE(value)
    return text.encode()


def copy_json(value: Any) -> Any:
    """A deep copy of a JSON value (dicts, lists and atoms), several times cheaper than
    ``copy.deepcopy``, which looks every node's type up in its dispatch table and keeps
    a memo. Strings, numbers, booleans and ``None`` are immutable: shared, not copied."""
    kind = type(value)
    if kind is dict:
        return {key: copy_json(item) for key, item in value.items()}
    if kind is list:
        return [copy_json(item) for item in value]
    return value
