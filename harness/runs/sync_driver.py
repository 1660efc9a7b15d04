"""Drive a registered source the way a sync job does: parse config, build inputs, open its `SourceResponse`."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from harness.fixtures.manifest import ManifestError, Scenario
from harness.runs.watermark_values import WatermarkTypeError, typed_watermark
from sources.common.base import BaseSource, ResumableSource, SimpleSource
from sources.common.http import job_context
from sources.common.registry import SourceRegistry
from sources.common.typings import SourceInputs, SourceResponse

DEFAULT_TEAM_ID = 1
DEFAULT_JOB_ID = "job-0001"


def incremental_field_type(source: BaseSource, config: Any, schema_name: str, field: str | None) -> Any:
    if field is None:
        return None
    for schema in source.get_schemas(config, DEFAULT_TEAM_ID):
        if schema.name == schema_name:
            for candidate in schema.incremental_fields:
                if candidate.field == field:
                    return candidate.field_type
    return None


def typed_scenario_value(scenario: Scenario, key: str, field_type: Any, where: str = "") -> Any:
    """`scenario.<key>` (last_value / earliest_value) typed as the pipeline hands it over for `field_type`."""
    value = getattr(scenario, key)
    try:
        return typed_watermark(value, field_type)
    except WatermarkTypeError as exc:
        place = where or str(scenario.har)
        raise ManifestError(
            f"{place} [endpoints.{scenario.endpoint}]: scenarios.{scenario.name}.{key} = {value!r} {exc} "
            f"(incremental field {scenario.incremental_field!r} is declared {field_type})"
        ) from None


def make_inputs(
    source: BaseSource,
    config: Any,
    schema_name: str,
    scenario: Scenario | None,
    *,
    team_id: int = DEFAULT_TEAM_ID,
    job_id: str = DEFAULT_JOB_ID,
    webhook_dir: Path | None = None,
    **overrides: Any,
) -> SourceInputs:
    field = scenario.incremental_field if scenario else None
    field_type = incremental_field_type(source, config, schema_name, field)
    values: dict[str, Any] = {
        "schema_name": schema_name,
        "team_id": team_id,
        "job_id": job_id,
        "schema_id": f"{source.source_type}-{schema_name}",
        "source_id": f"{source.source_type}-source",
        "should_use_incremental_field": field is not None,
        "incremental_field": field,
        "incremental_field_type": field_type,
        # As production does: the pipeline hands the stored watermark over typed by the field's declared type.
        "db_incremental_field_last_value": (
            typed_scenario_value(scenario, "last_value", field_type) if scenario else None
        ),
        "db_incremental_field_earliest_value": (
            typed_scenario_value(scenario, "earliest_value", field_type) if scenario else None
        ),
        "webhook_dir": webhook_dir,
    }
    values.update(overrides)
    return SourceInputs(**values)


def open_response(source: BaseSource, config: Any, inputs: SourceInputs) -> SourceResponse:
    if isinstance(source, ResumableSource):
        manager = source.get_resumable_source_manager(inputs)
        return source.source_for_pipeline(config, manager, inputs)
    if isinstance(source, SimpleSource):
        return source.source_for_pipeline(config, inputs)
    raise TypeError(f"{type(source).__qualname__} is neither a SimpleSource nor a ResumableSource")


@contextlib.contextmanager
def job_scope(source: BaseSource, inputs: SourceInputs) -> Iterator[None]:
    """Attach the job's identifiers to every tracked request made inside the block."""
    with job_context(
        team_id=inputs.team_id,
        source_type=source.source_type,
        source_id=inputs.source_id,
        schema_id=inputs.schema_id,
        job_id=inputs.job_id,
    ):
        yield


def get_source(source_type: str) -> BaseSource:
    return SourceRegistry.get_source(source_type)
