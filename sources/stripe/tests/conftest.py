"""Serve the recorded stripe fixtures (or the simulator itself) in-process through `responses`."""

from __future__ import annotations

import dataclasses
import json
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import responses

import sources  # noqa: F401  (registers every source)
from harness.har import HarEntry, read_har
from harness.record import SimulatedResponse, load_simulator_module
from sources.common.registry import SourceRegistry
from sources.common.typings import SourceInputs
from sources.stripe.config import StripeSourceConfig
from sources.stripe.source import StripeSource

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "stripe"
ANY_STRIPE_URL = re.compile(r"https://api\.stripe\.com/.*")
API_KEY = "sk_test_fake0000fixture0000key"


def request_key(method: str, url: str) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    parts = urlsplit(url)
    return method.upper(), f"{parts.scheme}://{parts.netloc}{parts.path}", tuple(sorted(parse_qsl(parts.query)))


@dataclasses.dataclass
class HarServer:
    """Answers each request with the first unused recorded entry that matches it; `served` keeps the order."""

    entries: tuple[HarEntry, ...]
    served: list[int] = dataclasses.field(default_factory=list)

    def respond(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        wanted = request_key(request.method or "GET", request.url or "")
        for index, entry in enumerate(self.entries):
            if index not in self.served and request_key(entry.request.method, entry.request.url) == wanted:
                self.served.append(index)
                return entry.response.status, dict(entry.response.headers), entry.response.body
        raise AssertionError(f"request not in the fixture: {request.method} {request.url}")

    def bodies(self) -> list[Any]:
        return [json.loads(entry.response.body) for entry in self.entries]


@pytest.fixture
def simulator_module() -> Any:
    return load_simulator_module("stripe")


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def serve_har(mocked: responses.RequestsMock) -> Callable[[str], HarServer]:
    def serve(relative: str) -> HarServer:
        server = HarServer(read_har(FIXTURES / relative).entries)
        mocked.add_callback(responses.GET, ANY_STRIPE_URL, callback=server.respond)
        return server

    return serve


@pytest.fixture
def serve_simulator(mocked: responses.RequestsMock) -> Callable[[Callable[..., SimulatedResponse]], None]:
    def serve(simulator: Callable[[requests.PreparedRequest], SimulatedResponse]) -> None:
        def respond(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
            answer = simulator(request)
            return answer.status, dict(answer.headers), answer.text()

        mocked.add_callback(responses.GET, ANY_STRIPE_URL, callback=respond)

    return serve


@pytest.fixture
def job_id() -> str:
    """A job id of its own for every test, so resume states never collide."""
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def source() -> StripeSource:
    found = SourceRegistry.get_source("stripe")
    assert isinstance(found, StripeSource)
    return found


@pytest.fixture
def config(source: StripeSource) -> StripeSourceConfig:
    return source.parse_config({"stripe_secret_key": API_KEY, "page_size": 10})


@pytest.fixture
def make_inputs(job_id: str) -> Callable[..., SourceInputs]:
    def make(schema_name: str, **overrides: Any) -> SourceInputs:
        values: dict[str, Any] = {
            "schema_name": schema_name,
            "team_id": 7,
            "job_id": job_id,
            "schema_id": f"stripe-{schema_name}",
        }
        values.update(overrides)
        return SourceInputs(**values)

    return make
