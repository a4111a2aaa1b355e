"""Fixtures of the shared-store tests: a real Redis (see redis_server.py)."""

from tests.shared.redis_server import redis_server

__all__ = ["redis_server"]
