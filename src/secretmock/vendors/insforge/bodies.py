"""InsForge's app-wide body parsers, as its server runs them before any route
(``server.ts``: ``express.json({limit: '100mb'})`` then ``express.urlencoded({extended:
true, limit: '10mb'})``; body-parser 1.20.4 and qs 6.15.2 in the lock file at 268d79d27).

* JSON (``application/json``): the charset must be a ``utf-*`` one, else 415
  ``unsupported charset "<CHARSET>"`` (``lib/types/json.js``: ``charset.slice(0, 4) !==
  'utf-'``), checked before the body is read; then the engine's own JSON parsing.
* A form (``application/x-www-form-urlencoded``): the charset must be ``utf-8``
  (``lib/types/urlencoded.js``), the body at most 10 MB, with fewer than 1000 ``&``; it
  is then parsed as qs parses it (:func:`parse_form`), and the value stands for the
  JSON body it would be: it is validated against the operation's JSON schema as one.

A refusal of body-parser is not an ``AppError``: the server version's error middleware
answers it (:func:`~secretmock.vendors.insforge.errors.middleware_error`), a 500 on the
current server, its own status before 2026-05-22.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from secretmock.engine.incoming import BodyParser, IncomingRequest, media_type, parse_json
from secretmock.engine.vendor_api import Reply, VendorError
from secretmock.vendors.insforge.errors import middleware_error

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
FORM_LIMIT = 10 * 1024 * 1024
"""``maxUrlencodedBodySize``: ``MAX_URLENCODED_BODY_SIZE || '10mb'`` (``app.config.ts``)."""
PARAMETER_LIMIT = 1000
"""body-parser's ``parameterLimit``: a form with this many ``&`` is refused."""
DEPTH = 32
"""body-parser's ``depth`` for qs (with ``strictDepth``): deeper keys are refused."""
TOO_LARGE = "request entity too large"


class ServerMiddleware:
    """The body parsers of one server version, and how its error middleware answers
    their refusals (``keeps_client_status``: the 4xx branch of servers before
    2026-05-22)."""

    def __init__(self, keeps_client_status: bool) -> None:
        self.keeps_client_status = keeps_client_status
        self.parsers: dict[str, BodyParser] = {JSON: self.parse_json, FORM: self.parse_form}
        """``Vendor.body_parsers`` of the version."""

    def parse_json(self, request: IncomingRequest) -> Any:
        """``express.json()``: a ``utf-*`` charset, then JSON."""
        self.check_charset(request, JSON)
        return parse_json(request.body)

    def parse_form(self, request: IncomingRequest) -> Any:
        """``express.urlencoded({extended: true})``: a ``utf-8`` charset, the size and
        the number of parameters, then qs."""
        self.check_charset(request, FORM)
        if len(request.body) > FORM_LIMIT:
            raise self.refusal(413, TOO_LARGE)
        text = request.body.decode("utf-8", errors="replace")  # iconv-lite's U+FFFD
        if text.count("&") >= PARAMETER_LIMIT:
            raise self.refusal(413, "too many parameters")
        try:
            return parse_form(text)
        except _TooDeep:
            raise self.refusal(400, "The input exceeded the depth") from None

    def refusal(self, status: int, message: str) -> VendorError:
        return VendorError(middleware_error(status, message, self.keeps_client_status))

    def unread(self, request: IncomingRequest) -> Reply:
        """The answer to a body over the vendor's limit: a parser checks the charset
        before it reads, so that refusal comes first; then its 413."""
        refusal = self._charset_refusal(request, media_type(request.content_type))
        return (refusal or self.refusal(413, TOO_LARGE)).reply

    def check_charset(self, request: IncomingRequest, media: str) -> None:
        refusal = self._charset_refusal(request, media)
        if refusal is not None:
            raise refusal

    def _charset_refusal(self, request: IncomingRequest, media: str) -> VendorError | None:
        content_type = request.content_type
        if "charset" not in content_type or media not in (JSON, FORM):
            return None  # utf-8, the default (nearly every request); or no parser reads it
        found = charset(content_type)
        if found.startswith("utf-") if media == JSON else found == "utf-8":
            return None
        return self.refusal(415, f'unsupported charset "{found.upper()}"')


CURRENT = ServerMiddleware(keeps_client_status=False)
BEFORE_2026_05_22 = ServerMiddleware(keeps_client_status=True)


def charset(content_type: str) -> str:
    """The ``charset`` parameter, lower case; ``utf-8`` when there is none (body-parser's
    ``getCharset(req) || 'utf-8'``)."""
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').lower() or "utf-8"
    return "utf-8"


# -- qs.parse, as body-parser calls it --------------------------------------------------


class _TooDeep(Exception):
    """A key nests deeper than :data:`DEPTH` (qs's ``strictDepth`` RangeError)."""


class _Array:
    """A JavaScript array while qs builds it: sparse, by index (:func:`_compact` closes it)."""

    def __init__(self, items: dict[int, Any]) -> None:
        self.items = items

    def push(self, value: Any) -> None:
        self.items[max(self.items, default=-1) + 1] = value


_SEGMENT = re.compile(r"\[[^\[\]]*\]")


def parse_form(text: str) -> dict[str, Any]:
    """``qs.parse(text, {allowPrototypes: true, arrayLimit: max(100, params), depth: 32,
    strictDepth: true})``: ``a=1&a=2`` is a list, ``a[b]=1`` an object, ``a[]=1`` and
    ``a[0]=1`` lists; every leaf is a string."""
    parts = text.split("&")
    array_limit = max(100, len(parts) - 1)
    flat: dict[str, Any] = {}
    for part in parts:
        at = part.find("]=")
        at = part.find("=") if at == -1 else at + 1
        key, value = (part, "") if at == -1 else (part[:at], part[at + 1 :])
        key, value = _decode(key), _decode(value)
        flat[key] = _combine(flat[key], value) if key in flat else value
    result: dict[str, Any] = {}
    for key, value in flat.items():
        if key:
            merged = _merge(result, _nest(_chain(key), value, array_limit))
            result = merged if isinstance(merged, dict) else _as_object(merged)
    return {key: _compact(value) for key, value in result.items()}


def _decode(raw: str) -> str:
    """qs's decoder: ``+`` is a space, then ``decodeURIComponent`` (the text as it is
    where that fails)."""
    spaced = raw.replace("+", " ")
    try:
        return unquote(spaced, errors="strict")
    except UnicodeDecodeError:
        return spaced


def _combine(first: Any, second: Any) -> _Array:
    """qs's ``combine``: ``[].concat(first, second)``."""
    combined = _Array({})
    for value in (first, second):
        for item in value.items.values() if isinstance(value, _Array) else [value]:
            combined.push(item)
    return combined


def _chain(key: str) -> list[str]:
    """The key's parent and its bracket segments (``a[b][]``: ``a``, ``[b]``, ``[]``)."""
    first = _SEGMENT.search(key)
    parent = key if first is None else key[: first.start()]
    segments = _SEGMENT.findall(key)
    if len(segments) > DEPTH:
        raise _TooDeep
    return ([parent] if parent else []) + segments


def _nest(chain: list[str], leaf: Any, array_limit: int) -> Any:
    """qs's ``parseObject``: the value ``leaf`` under the chain of keys."""
    for root in reversed(chain):
        if root == "[]":
            leaf = leaf if isinstance(leaf, _Array) else _Array({0: leaf})
            continue
        clean = root[1:-1] if root.startswith("[") and root.endswith("]") else root
        index = _index(clean) if root != clean else None
        if index is not None and index <= array_limit:
            leaf = _Array({index: leaf})
            continue
        leaf = {} if clean == "__proto__" else {clean: leaf}
    return leaf


def _index(text: str) -> int | None:
    """The array index a bracketed key names (``String(parseInt(k)) === k``, >= 0)."""
    if text.isascii() and text.isdigit() and str(int(text)) == text:
        return int(text)
    return None


def _merge(target: Any, source: Any) -> Any:
    """qs's ``utils.merge``, for the values parsing makes."""
    if not isinstance(source, (dict, _Array)):
        if isinstance(target, _Array):
            target.push(source)
        elif isinstance(target, dict):
            target[source] = True
        else:
            return _combine(target, source)
        return target
    if not isinstance(target, (dict, _Array)):
        return _combine(target, source)
    if isinstance(target, _Array) and isinstance(source, _Array):
        for index, item in source.items.items():
            current = target.items.get(index, _Array)
            if current is _Array:
                target.items[index] = item
            elif isinstance(current, (dict, _Array)) and isinstance(item, (dict, _Array)):
                target.items[index] = _merge(current, item)
            else:
                target.push(item)
        return target
    merged = _as_object(target)
    entries = source.items.items() if isinstance(source, _Array) else source.items()
    for key, value in entries:
        name = str(key)
        merged[name] = _merge(merged[name], value) if name in merged else value
    return merged


def _as_object(value: dict[str, Any] | _Array) -> dict[str, Any]:
    """qs's ``arrayToObject``: an array as an object keyed by its indexes."""
    if isinstance(value, dict):
        return value
    return {str(index): item for index, item in value.items.items()}


def _compact(value: Any) -> Any:
    """Sparse arrays closed up (qs's ``compact``), as plain lists and dicts."""
    if isinstance(value, _Array):
        return [_compact(value.items[index]) for index in sorted(value.items)]
    if isinstance(value, dict):
        return {key: _compact(item) for key, item in value.items()}
    return value
