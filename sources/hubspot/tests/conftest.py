"""Fixtures for the hubspot tests: recorded HAR (or the live simulator) served in-process, inputs, a fake clock."""

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
from sources.hubspot.source import HubspotSource, HubspotSourceConfig

FIXTURES = FIXTURES_ROOT / "hubspot"
FAKE_TOKEN = "fake-hubspot-token-0001"
ANY_HUBSPOT_URL = re.compile(r"https://api\.hubapi\.com/.*")


def _body_text(body: bytes | str | None) -> str | None:
    return body.decode() if isinstance(body, bytes) else body


@dataclasses.dataclass
class HarServer:
    """Serves each recorded entry once, to a request with the same method, URL and body (byte for byte)."""

    entries: tuple[HarEntry, ...]
    served: list[int] = dataclasses.field(default_factory=list)

    def respond(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        body = _body_text(request.body)
        for index, entry in enumerate(self.entries):
            recorded = entry.request
            if index in self.served or (recorded.method, recorded.url) != (request.method, request.url):
                continue
            if recorded.body == body:
                self.served.append(index)
                return entry.response.status, dict(entry.response.headers), entry.response.body
        raise AssertionError(f"request not in the fixture: {request.method} {request.url} {body}")

    @property
    def all_served(self) -> bool:
        return sorted(self.served) == list(range(len(self.entries)))

    def rows(self) -> list[dict[str, Any]]:
        return [row for entry in self.entries for row in json.loads(entry.response.body).get("results", [])]


@pytest.fixture
def source() -> HubspotSource:
    return HubspotSource()


@pytest.fixture
def config() -> HubspotSourceConfig:
    return HubspotSourceConfig(access_token=FAKE_TOKEN, page_size=10)


@pytest.fixture(scope="session")
def simulator_module() -> Any:
    return load_simulator_module("hubspot")


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
def serve_har(mocked: responses.RequestsMock) -> Callable[[str, str], HarServer]:
    """`serve_har("contacts", "full")` serves `fixtures/hubspot/contacts/full.har`."""

    def serve(endpoint: str, scenario: str) -> HarServer:
        path = FIXTURES / f"{scenario}.har" if endpoint == "" else FIXTURES / endpoint / f"{scenario}.har"
        server = HarServer(read_har(path).entries)
        for method in ("GET", "POST"):
            mocked.add_callback(method, ANY_HUBSPOT_URL, callback=server.respond)
        return server

    return serve


@pytest.fixture
def serve_simulator(mocked: responses.RequestsMock) -> Callable[[Any], None]:
    """Answer every HubSpot request from a live simulator instance."""

    def serve(simulator: Any) -> None:
        def respond(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
            simulated = simulator(request)
            return simulated.status, dict(simulated.headers), simulated.text()

        for method in ("GET", "POST"):
            mocked.add_callback(method, ANY_HUBSPOT_URL, callback=respond)

    return serve


@pytest.fixture
def inputs_for() -> Callable[..., SourceInputs]:
    """Inputs with a unique job id; `last_value=` (or `incremental=True`) makes them incremental on updatedAt."""

    def make(schema_name: str, *, incremental: bool = False, last_value: Any = None, **overrides: Any) -> SourceInputs:
        values: dict[str, Any] = {
            "schema_name": schema_name,
            "team_id": 7,
            "job_id": f"hubspot-test-{uuid.uuid4()}",
            "schema_id": f"hubspot-{schema_name}",
        }
        if incremental or last_value is not None:
            values |= {
                "should_use_incremental_field": True,
                "incremental_field": "updatedAt",
                "incremental_field_type": "datetime",
                "db_incremental_field_last_value": last_value,
            }
        values.update(overrides)
        return SourceInputs(**values)

    return make
