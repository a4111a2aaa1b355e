"""A ``requests`` adapter to mount, whose pools for the vendors' origins are in-process
(:mod:`secretmock.testing.urllib3_loopback`): ``requests`` without patching."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

import requests
import requests.adapters
from urllib3.connectionpool import ConnectionPool
from urllib3.util import parse_url

from secretmock.testing.intercept import Hosts
from secretmock.testing.urllib3_loopback import InProcessPools, OutsidePool


class InProcessHTTPAdapter(requests.adapters.HTTPAdapter):
    """A ``requests`` adapter whose pools for the vendors' origins are in-process; every
    other request goes out as the plain adapter sends it."""

    def __init__(self, hosts: Hosts, **adapter: Any) -> None:
        self._in_process = InProcessPools(hosts)
        super().__init__(**adapter)

    def get_connection_with_tls_context(
        self,
        request: requests.PreparedRequest,
        verify: Any,
        proxies: Mapping[str, str] | None = None,
        cert: Any = None,
    ) -> ConnectionPool:
        outside = partial(super().get_connection_with_tls_context, request, verify, proxies, cert)
        return self._pool_for(request.url or "", outside)

    def get_connection(
        self, url: str | bytes, proxies: Mapping[str, str] | None = None
    ) -> ConnectionPool:
        text = url.decode() if isinstance(url, bytes) else url
        return self._pool_for(text, partial(super().get_connection, url, proxies))

    def _pool_for(self, url: str, outside: OutsidePool) -> ConnectionPool:
        parts = parse_url(url)
        pool = self._in_process.pool(
            self.poolmanager, parts.host, parts.port, parts.scheme, None, outside
        )
        return pool if pool is not None else outside()
