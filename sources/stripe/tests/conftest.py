"""Serve the recorded stripe fixtures (or the simulator itself) in-process through `responses`."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import responses

import sources  # noqa: F401  (registers every source)
from harness import testing
from harness.recording.recorder import Simulator, load_simulator_module
from harness.testing import HarServer, serve_har_file, serve_simulator
from sources.common.registry import SourceRegistry
from sources.common.typings import SourceInputs
from sources.stripe.source import StripeSource, StripeSourceConfig

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "stripe"
ANY_STRIPE_URL = re.compile(r"https://api\.stripe\.com/.*")
API_KEY = "sk_test_fake0000fixture0000key"


mocked = testing.mocked
job_id = testing.job_id


@pytest.fixture
def simulator_module() -> Any:
    return load_simulator_module("stripe")


@pytest.fixture
def serve_har(mocked: responses.RequestsMock) -> Callable[[str], HarServer]:
    return lambda relative: serve_har_file(mocked, FIXTURES / relative, ANY_STRIPE_URL)


@pytest.fixture(name="serve_simulator")
def serve_simulator_fixture(mocked: responses.RequestsMock) -> Callable[[Simulator], None]:
    return lambda simulator: serve_simulator(mocked, simulator, ANY_STRIPE_URL)


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
