"""Fixtures for the harness's own tests: the Acme sources registered for the session and their recorded fixtures."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import pytest_socket
import redis

sys.path.insert(0, str(Path(__file__).parent))  # the acme_vendor helper package

from acme_vendor.corpus import build_root, record_each_way, registered
from acme_vendor.dataset import AcmeData

from harness.suite import api
from sources.common.redis_client import set_redis_client


@pytest.fixture(autouse=True)
def loopback_only() -> Iterator[None]:
    """The harness's own tests may only touch loopback (and the embedded Redis's unix socket)."""
    connect = socket.socket.connect
    pytest_socket.socket_allow_hosts(["127.0.0.0/8", "::1"], allow_unix_socket=True)
    yield
    socket.socket.connect = connect  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def acme_registered() -> Iterator[None]:
    """The Acme sources are registered for each harness test only, never for other tests of the session."""
    with registered():
        yield


@pytest.fixture(scope="session")
def acme_root(tmp_path_factory: pytest.TempPathFactory, embedded_redis: redis.Redis) -> Iterator[Path]:
    """Fixtures for the good Acme source and every known-bad one, recorded once per session."""
    root = tmp_path_factory.mktemp("acme-fixtures")
    set_redis_client(embedded_redis)
    try:
        with registered():
            build_root(AcmeData.generate(), root)
    finally:
        set_redis_client(None)
    yield root
    api.forget(root)


@pytest.fixture(scope="session")
def acme_recorded_each_way(
    tmp_path_factory: pytest.TempPathFactory, embedded_redis: redis.Redis
) -> Iterator[tuple[Path, Path, dict[str, str]]]:
    """Every known-bad source with the good source's recording, and recorded through its own bug: (root with the
    good recordings, root with their own recordings, the recordings the recorder refused)."""
    good_root, self_root = tmp_path_factory.mktemp("acme-good-recorded"), tmp_path_factory.mktemp("acme-self-recorded")
    set_redis_client(embedded_redis)
    try:
        with registered():
            refused = record_each_way(AcmeData.generate(), good_root, self_root)
    finally:
        set_redis_client(None)
    yield good_root, self_root, refused
    api.forget(good_root)
    api.forget(self_root)
