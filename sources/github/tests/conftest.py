"""Serve the recorded github fixtures (or the simulator itself) in-process through `responses`."""

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
from sources.github.source import GithubSource, GithubSourceConfig

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "github"
ANY_GITHUB_URL = re.compile(r"https://api\.github\.com/.*")
TOKEN = "fake-github-token-0001"
REPOSITORIES = ("octo-analytics/warehouse-demo", "octo-analytics/ingest-tools")


mocked = testing.mocked
job_id = testing.job_id


@pytest.fixture
def simulator_module() -> Any:
    return load_simulator_module("github")


@pytest.fixture
def serve_har(mocked: responses.RequestsMock) -> Callable[[str], HarServer]:
    return lambda relative: serve_har_file(mocked, FIXTURES / relative, ANY_GITHUB_URL)


@pytest.fixture(name="serve_simulator")
def serve_simulator_fixture(mocked: responses.RequestsMock) -> Callable[[Simulator], None]:
    return lambda simulator: serve_simulator(mocked, simulator, ANY_GITHUB_URL)


@pytest.fixture
def source() -> GithubSource:
    found = SourceRegistry.get_source("github")
    assert isinstance(found, GithubSource)
    return found


@pytest.fixture
def config(source: GithubSource) -> GithubSourceConfig:
    return source.parse_config(
        {"personal_access_token": TOKEN, "repositories": ", ".join(REPOSITORIES), "page_size": 10}
    )


@pytest.fixture
def make_inputs(job_id: str) -> Callable[..., SourceInputs]:
    def make(schema_name: str, **overrides: Any) -> SourceInputs:
        values: dict[str, Any] = {
            "schema_name": schema_name,
            "team_id": 7,
            "job_id": job_id,
            "schema_id": f"github-{schema_name}",
        }
        values.update(overrides)
        return SourceInputs(**values)

    return make
