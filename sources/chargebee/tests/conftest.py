"""Serve recorded HAR fixtures (or the simulator) in-process through `responses`."""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import responses

from harness.har import HarEntry, read_har
from harness.record import SimulatedResponse, load_simulator_module

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "chargebee"
ANY_CHARGEBEE_URL = re.compile(r"https://[a-z0-9-]+\.chargebee\.com/.*")


def request_key(method: str, url: str) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    parts = urlsplit(url)
    return method.upper(), f"{parts.scheme}://{parts.netloc}{parts.path}", tuple(sorted(parse_qsl(parts.query)))


@dataclasses.dataclass
class HarServer:
    """Answers each request with the first unused recorded entry that matches it (a used one when a resumed run
    asks again); `served` lists the entry indexes in the order they were served."""

    entries: tuple[HarEntry, ...]
    served: list[int] = dataclasses.field(default_factory=list)

    def respond(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        wanted = request_key(request.method or "GET", request.url or "")
        matching = [
            index
            for index, entry in enumerate(self.entries)
            if request_key(entry.request.method, entry.request.url) == wanted
        ]
        if not matching:
            raise AssertionError(f"request not in the fixture: {request.method} {request.url}")
        index = next((index for index in matching if index not in self.served), matching[0])
        self.served.append(index)
        response = self.entries[index].response
        return response.status, dict(response.headers), response.body


@pytest.fixture
def simulator_module() -> Any:
    return load_simulator_module("chargebee")


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def serve_har(mocked: responses.RequestsMock) -> Callable[[str], HarServer]:
    def serve(relative: str) -> HarServer:
        server = HarServer(read_har(FIXTURES / relative).entries)
        mocked.add_callback(responses.GET, ANY_CHARGEBEE_URL, callback=server.respond)
        return server

    return serve


@pytest.fixture
def serve_simulator(mocked: responses.RequestsMock) -> Callable[[Callable[..., SimulatedResponse]], None]:
    def serve(simulator: Callable[[requests.PreparedRequest], SimulatedResponse]) -> None:
        def respond(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
            answer = simulator(request)
            return answer.status, dict(answer.headers), answer.text()

        mocked.add_callback(responses.GET, ANY_CHARGEBEE_URL, callback=respond)

    return serve


@pytest.fixture
def job_id() -> str:
    """A job id of its own for every test, so resume states never collide."""
    return f"test-{uuid.uuid4().hex[:12]}"
