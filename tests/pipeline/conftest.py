"""Shared builders for pipeline tests: source responses over in-memory items and run inputs."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest

from sources.common.typings import Batch, SourceInputs, SourceResponse


def _response(items: Iterable[Batch] | Callable[[], Iterable[Batch]], **settings: Any) -> SourceResponse:
    settings.setdefault("name", "things")
    settings.setdefault("primary_keys", ["id"])
    produce = items if callable(items) else (lambda: list(items))
    return SourceResponse(items=produce, **settings)


def _inputs(incremental_field: str | None = None, **overrides: Any) -> SourceInputs:
    return SourceInputs(
        schema_name="things",
        team_id=1,
        job_id="job-1",
        source_id="acme",
        should_use_incremental_field=incremental_field is not None,
        incremental_field=incremental_field,
        **overrides,
    )


@pytest.fixture
def make_response() -> Callable[..., SourceResponse]:
    return _response


@pytest.fixture
def make_inputs() -> Callable[..., SourceInputs]:
    return _inputs
