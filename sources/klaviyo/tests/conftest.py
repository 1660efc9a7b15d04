"""Serve recorded HAR fixtures (or the simulator) in-process through `responses`."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import responses

from harness import testing
from harness.paths import FIXTURES_ROOT
from harness.recording.recorder import Simulator, load_simulator_module
from harness.testing import HarServer, serve_har_file, serve_simulator

FIXTURES = FIXTURES_ROOT / "klaviyo"
ANY_KLAVIYO_URL = re.compile(r"https://a\.klaviyo\.com/.*")

mocked = testing.mocked
job_id = testing.job_id


@pytest.fixture
def simulator_module() -> Any:
    return load_simulator_module("klaviyo")


@pytest.fixture
def serve_har(mocked: responses.RequestsMock) -> Callable[[str], HarServer]:
    """`serve_har("profiles/full.har")`; a resumed run may ask for its page again."""
    return lambda relative: serve_har_file(mocked, FIXTURES / relative, ANY_KLAVIYO_URL, replay_used=True)


@pytest.fixture(name="serve_simulator")
def serve_simulator_fixture(mocked: responses.RequestsMock) -> Callable[[Simulator], None]:
    return lambda simulator: serve_simulator(mocked, simulator, ANY_KLAVIYO_URL)
