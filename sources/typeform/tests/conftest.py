"""Fixtures for the typeform tests: recorded HAR (or the live simulator) served in-process, inputs, a fake clock."""

from __future__ import annotations

import dataclasses
import json
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
import responses

from harness.driver import FIXTURES_ROOT
from harness.har import HarEntry, read_har
from harness.record import load_simulator_module
from sources.common import clock
from sources.common.typings import SourceInputs
from sources.typeform.source import TypeformSource, TypeformSourceConfig

FIXTURES = FIXTURES_ROOT / "typeform"
FAKE_TOKEN = "fake-typeform-token-0001"
ANY_TYPEFORM_URL = re.compile(r"https://api\.(eu\.)?typeform\.com/.*")


@dataclasses.dataclass
class HarServer:
    """Serves each recorded entry once, to a request with the same method and URL (query included)."""

    entries: tuple[HarEntry, ...]
    served: list[int] = dataclasses.field(default_factory=list)

    def respond(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        for index, entry in enumerate(self.entries):
            if index not in self.served and (entry.request.method, entry.request.url) == (request.method, request.url):
                self.served.append(index)
                return entry.response.status, dict(entry.response.headers), entry.response.body
        raise AssertionError(f"request not in the fixture: {request.method} {request.url}")

    @property
    def all_served(self) -> bool:
        return sorted(self.served) == list(range(len(self.entries)))

    def rows(self) -> list[dict[str, Any]]:
        return [row for entry in self.entries for row in json.loads(entry.response.body)["items"]]


@pytest.fixture
def source() -> TypeformSource:
    return TypeformSource()


@pytest.fixture
def config() -> TypeformSourceConfig:
    return TypeformSourceConfig(personal_access_token=FAKE_TOKEN, page_size=10)


@pytest.fixture(scope="session")
def simulator_module() -> Any:
    return load_simulator_module("typeform")


@pytest.fixture
def fake_clock() -> Iterator[clock.FakeClock]:
    fake = clock.FakeClock()
    with clock.use_clock(fake):
        yield fake


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def serve_har(mocked: responses.RequestsMock) -> Callable[[str], HarServer]:
    """`serve_har("forms/full")` serves `fixtures/typeform/forms/full.har`."""

    def serve(relative: str) -> HarServer:
        server = HarServer(read_har(FIXTURES / f"{relative}.har").entries)
        mocked.add_callback(responses.GET, ANY_TYPEFORM_URL, callback=server.respond)
        return server

    return serve


@pytest.fixture
def serve_simulator(mocked: responses.RequestsMock) -> Callable[[Any], None]:
    def serve(simulator: Any) -> None:
        def respond(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
            simulated = simulator(request)
            return simulated.status, dict(simulated.headers), simulated.text()

        mocked.add_callback(responses.GET, ANY_TYPEFORM_URL, callback=respond)

    return serve


@pytest.fixture
def inputs_for() -> Callable[..., SourceInputs]:
    def make(schema_name: str, **overrides: Any) -> SourceInputs:
        values: dict[str, Any] = {
            "schema_name": schema_name,
            "team_id": 7,
            "job_id": f"typeform-test-{uuid.uuid4()}",
            "schema_id": f"typeform-{schema_name}",
        }
        values.update(overrides)
        return SourceInputs(**values)

    return make
