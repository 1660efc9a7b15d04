"""Helpers for connector tests: recorded HAR fixtures or a simulator served in-process through `responses`,
the crash model for resume tests, and corrupt saved positions.

    @pytest.fixture
    def serve_har(mocked: responses.RequestsMock) -> Callable[[str], HarServer]:
        return lambda relative: serve_har_file(mocked, FIXTURES / relative, ANY_VENDOR_URL)

`mocked`, `job_id` and `fake_clock` are fixtures; a connector's `conftest.py` binds the ones it uses
(`mocked = testing.mocked`) so pytest finds them there.
"""

from __future__ import annotations

import dataclasses
import json
import re
import uuid
from collections.abc import Generator, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests
import responses

from harness.fixtures.har import HarEntry, read_har
from harness.recording.recorder import Simulator
from sources.common import clock
from sources.common.redis_client import get_redis_client
from sources.common.resumable import resume_key
from sources.common.typings import SourceInputs

Reply = tuple[int, dict[str, str], str]
UrlPattern = str | re.Pattern[str]
Batch = TypeVar("Batch")

# Saved positions a resumable source must refuse in one clear line: not JSON, not its state dataclass, and a
# `next_request` that is not a page request (a bare URL, or no URL).
CORRUPT_SAVED_POSITIONS = (
    "not json",
    '{"other": 1}',
    '{"next_request": "https://x"}',
    '{"next_request": {"params": {}}}',
)


def _body_text(body: bytes | str | None) -> str | None:
    return body.decode() if isinstance(body, bytes) else body


@dataclasses.dataclass
class HarServer:
    """Answers each request with the first unused recorded entry of the same method, URL and body (byte for byte).

    A request that matches only entries already served fails the test, unless `replay_used` is set: then it gets
    the first of them again (a resumed run asks for the page it stopped at once more). `served` lists the entry
    indexes in the order they were served.
    """

    entries: tuple[HarEntry, ...]
    replay_used: bool = False
    served: list[int] = dataclasses.field(default_factory=list)

    def respond(self, request: requests.PreparedRequest) -> Reply:
        wanted = (request.method, request.url, _body_text(request.body))
        matching = [
            index
            for index, entry in enumerate(self.entries)
            if (entry.request.method, entry.request.url, entry.request.body) == wanted
        ]
        unused = [index for index in matching if index not in self.served]
        if not unused and not (self.replay_used and matching):
            state = "already served" if matching else "not in the fixture"
            raise AssertionError(f"request {state}: {request.method} {request.url} {wanted[2] or ''}".rstrip())
        index = (unused or matching)[0]
        self.served.append(index)
        response = self.entries[index].response
        return response.status, dict(response.headers), response.body

    @property
    def all_served(self) -> bool:
        """Every recorded entry was served exactly once."""
        return sorted(self.served) == list(range(len(self.entries)))

    def bodies(self) -> list[Any]:
        return [json.loads(entry.response.body) for entry in self.entries]

    def rows(self, key: str) -> list[dict[str, Any]]:
        """The rows under `key` in every recorded body, in order."""
        return [row for body in self.bodies() for row in body[key]]


def recorded_bodies(path: Path) -> list[Any]:
    """The JSON body of every response in a HAR file, in recorded order."""
    return HarServer(read_har(path).entries).bodies()


def serve_har_file(
    mock: responses.RequestsMock,
    path: Path,
    url: UrlPattern,
    *,
    methods: Sequence[str] = ("GET",),
    replay_used: bool = False,
) -> HarServer:
    """Answer requests to `url` (one callback per method) from the HAR file at `path`."""
    server = HarServer(read_har(path).entries, replay_used=replay_used)
    for method in methods:
        mock.add_callback(method, url, callback=server.respond)
    return server


def serve_simulator(
    mock: responses.RequestsMock,
    simulator: Simulator,
    url: UrlPattern,
    *,
    methods: Sequence[str] = ("GET",),
) -> None:
    """Answer requests to `url` (one callback per method) from a live vendor simulator."""

    def respond(request: requests.PreparedRequest) -> Reply:
        answer = simulator(request)
        return answer.status, dict(answer.headers), answer.text()

    for method in methods:
        mock.add_callback(method, url, callback=respond)


def crash_while_handling(batches: Generator[Batch, None, None], batch: int) -> list[Batch]:
    """The harness's crash model: the consumer holds batches 1..batch-1 durably and dies while handling batch
    `batch`, so the source's code after that batch's yield never runs. Returns the durable batches."""
    durable = [next(batches) for _ in range(batch - 1)]
    next(batches)
    batches.close()
    return durable


def store_raw_state(inputs: SourceInputs, raw: str) -> None:
    """Put `raw` where the job's resume state lives, past the checks `save_state` would make."""
    get_redis_client().set(resume_key(inputs), raw)


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    """Intercepts every request; a test registers what answers."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def job_id() -> str:
    """A job id of its own for every test, so resume states never collide."""
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def fake_clock() -> Iterator[clock.FakeClock]:
    """Retries and rate limits wait on a fake clock: no real sleeping, and the waits are recorded."""
    fake = clock.FakeClock()
    with clock.use_clock(fake):
        yield fake
