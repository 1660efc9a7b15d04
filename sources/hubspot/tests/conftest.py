"""HubSpot tests: the shared connector test kit (`harness.testing.connector_fixtures`) bound to hubspot."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from harness.testing import connector_fixtures
from sources.common.typings import SourceInputs

globals().update(
    connector_fixtures(
        "hubspot",
        r"https://api\.hubapi\.com/.*",
        config={"access_token": "fake-hubspot-token-0001", "page_size": 10},
        methods=("GET", "POST"),
    )
)


@pytest.fixture
def inputs_for(make_inputs: Callable[..., SourceInputs]) -> Callable[..., SourceInputs]:
    """`make_inputs`; `last_value=` (or `incremental=True`) makes them incremental on updatedAt."""

    def make(schema_name: str, *, incremental: bool = False, last_value: Any = None, **overrides: Any) -> SourceInputs:
        if incremental or last_value is not None:
            overrides = {
                "should_use_incremental_field": True,
                "incremental_field": "updatedAt",
                "incremental_field_type": "datetime",
                "db_incremental_field_last_value": last_value,
            } | overrides
        return make_inputs(schema_name, **overrides)

    return make
