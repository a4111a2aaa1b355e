"""Ids mapped between the real vendor and an emulator, so later calls stay comparable.

The real vendor and the emulator each generate their own ids (a record's id, a user's
id, a rotated key). The comparison learns a pair when both answers hold an id at the
same location (:attr:`~secretmock.drift.compare.Comparison.learned_ids`); from then on
the two ids stand for each other in comparisons, and a request the client sends with
the real id reaches the emulator with its own (:meth:`IdMap.rewrite`): a ``GET`` of the
record the real vendor just created finds the record the emulator created.

The map holds ids and keys in memory only: it is never written anywhere.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode

from secretmock.engine.incoming import IncomingRequest, is_json

MAX_PAIRS = 100_000
"""Pairs kept at most (one run creates far fewer); later ones are not learnt."""


class IdMap:
    """Real id -> emulated id, and back."""

    def __init__(self) -> None:
        self._emulated: dict[str, str] = {}
        self._real: dict[str, str] = {}
        self._renamed = 0
        """Pairs whose two ids differ: only those make a request to rewrite."""

    def __len__(self) -> int:
        return len(self._emulated)

    def emulated_of(self, real: str) -> str | None:
        return self._emulated.get(real)

    def real_of(self, emulated: str) -> str | None:
        return self._real.get(emulated)

    def learn(self, pairs: Mapping[str, str]) -> None:
        """Adds each pair neither of whose ids is mapped yet."""
        for real, emulated in pairs.items():
            if len(self._emulated) >= MAX_PAIRS:
                return
            if real not in self._emulated and emulated not in self._real:
                self._emulated[real] = emulated
                self._real[emulated] = real
                self._renamed += real != emulated

    def rewrite(
        self, request: IncomingRequest, credential_headers: Iterable[str] = ()
    ) -> IncomingRequest:
        """``request`` with every real id the map knows replaced by the emulator's: in
        the path's segments, the query's values, the JSON body's strings and the tokens
        of ``credential_headers`` (a rotated key). The same object when nothing changes."""
        if not self._renamed:
            return request
        path = self._path(request.path)
        query = self._query(request.query_string)
        headers = self._headers(request.headers, credential_headers)
        body = self._body(request)
        if (path, query, headers, body) == (
            request.path,
            request.query_string,
            request.headers,
            request.body,
        ):
            return request
        return IncomingRequest(request.method, path, query, headers, body, request.body_too_large)

    def _mapped(self, value: str) -> str:
        return self._emulated.get(value, value)

    def _path(self, path: str) -> str:
        segments = []
        for segment in path.split("/"):
            if segment in self._emulated:
                segment = self._emulated[segment]
            else:
                decoded = unquote(segment)
                if decoded in self._emulated:
                    segment = quote(self._emulated[decoded], safe="")
            segments.append(segment)
        return "/".join(segments)

    def _query(self, query: str) -> str:
        if not query:
            return query
        pairs = parse_qsl(query, keep_blank_values=True)
        mapped = [(name, self._mapped(value)) for name, value in pairs]
        return query if mapped == pairs else urlencode(mapped)

    def _headers(
        self, headers: Mapping[str, str], credential_headers: Iterable[str]
    ) -> Mapping[str, str]:
        changed = {}
        for name in credential_headers:
            value = headers.get(name)
            if value is None:
                continue
            scheme, space, token = value.partition(" ")
            if space and token in self._emulated:
                changed[name] = f"{scheme} {self._emulated[token]}"
            elif value in self._emulated:
                changed[name] = self._emulated[value]
        return {**headers, **changed} if changed else headers

    def _body(self, request: IncomingRequest) -> bytes:
        if not request.body or not is_json(request.content_type):
            return request.body
        try:
            document = json.loads(request.body)
        except ValueError:
            return request.body
        mapped = self._document(document)
        if mapped == document:
            return request.body
        return json.dumps(mapped, separators=(",", ":"), ensure_ascii=False).encode()

    def _document(self, node: Any) -> Any:
        if isinstance(node, str):
            return self._mapped(node)
        if isinstance(node, list):
            return [self._document(item) for item in node]
        if isinstance(node, dict):
            return {key: self._document(value) for key, value in node.items()}
        return node
