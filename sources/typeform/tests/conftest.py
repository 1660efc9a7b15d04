"""Fixtures for the typeform tests: recorded HAR (or the live simulator) served in-process, inputs, a fake clock."""

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
from sources.typeform.source import TypeformSource, TypeformSourceConfig

FIXTURES = FIXTURES_ROOT / "typeform"
FAKE_TOKEN = "fake-typeform-token-0001"
ANY_TYPEFORM_URL = re.compile(r"https://api\.(eu\.)?typeform\.com/.*")

mocked = testing.mocked
fake_clock = testing.fake_clock


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
def serve_har(mocked: responses.RequestsMock) -> Callable[[str], HarServer]:
    """`serve_har("forms/full")` serves `fixtures/typeform/forms/full.har`, each entry once."""
    return lambda relative: serve_har_file(mocked, FIXTURES / f"{relative}.har", ANY_TYPEFORM_URL)


@pytest.fixture(name="serve_simulator")
def serve_simulator_fixture(mocked: responses.RequestsMock) -> Callable[[Simulator], None]:
    return lambda simulator: serve_simulator(mocked, simulator, ANY_TYPEFORM_URL)


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
