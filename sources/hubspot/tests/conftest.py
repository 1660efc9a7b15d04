"""Fixtures for the hubspot tests: recorded HAR (or the live simulator) served in-process, inputs, a fake clock."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import responses

from harness import testing
from harness.paths import FIXTURES_ROOT
from harness.recording.recorder import Simulator, load_simulator_module
from harness.testing import HarServer, serve_har_file, serve_simulator
from sources.common.typings import SourceInputs
from sources.hubspot.source import HubspotSource, HubspotSourceConfig

FIXTURES = FIXTURES_ROOT / "hubspot"
FAKE_TOKEN = "fake-hubspot-token-0001"
ANY_HUBSPOT_URL = re.compile(r"https://api\.hubapi\.com/.*")
METHODS = ("GET", "POST")

mocked = testing.mocked
fake_clock = testing.fake_clock


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
def serve_har(mocked: responses.RequestsMock) -> Callable[[str, str], HarServer]:
    """`serve_har("contacts", "full")` serves `fixtures/hubspot/contacts/full.har`, each entry once."""

    def serve(endpoint: str, scenario: str) -> HarServer:
        path = FIXTURES / f"{scenario}.har" if endpoint == "" else FIXTURES / endpoint / f"{scenario}.har"
        return serve_har_file(mocked, path, ANY_HUBSPOT_URL, methods=METHODS)

    return serve


@pytest.fixture(name="serve_simulator")
def serve_simulator_fixture(mocked: responses.RequestsMock) -> Callable[[Simulator], None]:
    """Answer every HubSpot request from a live simulator instance."""
    return lambda simulator: serve_simulator(mocked, simulator, ANY_HUBSPOT_URL, methods=METHODS)


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
