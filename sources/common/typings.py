"""What a source receives (`SourceInputs`) and what it hands to the pipeline (`SourceResponse`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

if TYPE_CHECKING:  # a batch may be an Arrow table, but reading these types must not import pyarrow
    import pyarrow as pa

SortMode = Literal["asc", "desc"]
PartitionMode = Literal["md5", "numerical", "datetime"]
PartitionFormat = Literal["month", "week", "day", "hour"]
IncrementalFieldType = Literal["datetime", "date", "timestamp", "integer", "string"]

Batch: TypeAlias = "dict[str, Any] | list[dict[str, Any]] | pa.Table"


@dataclasses.dataclass(frozen=True)
class SourceInputs:
    """Everything a sync job tells a source about the run it is part of."""

    schema_name: str
    team_id: int
    job_id: str
    source_id: str = "source-0"
    schema_id: str = "schema-0"
    should_use_incremental_field: bool = False
    incremental_field: str | None = None
    incremental_field_type: IncrementalFieldType | None = None
    db_incremental_field_last_value: Any | None = None
    db_incremental_field_earliest_value: Any | None = None
    webhook_dir: Path | None = None


@dataclasses.dataclass
class SourceResponse:
    """A source's hand-off to the pipeline: the row iterator plus how to key, partition and order it."""

    name: str
    items: Callable[[], Iterable[Batch]]
    primary_keys: list[str] | None
    partition_count: int | None = None
    partition_size: int | None = None
    partition_keys: list[str] | None = None
    partition_mode: PartitionMode | None = None
    partition_format: PartitionFormat | None = None
    sort_mode: SortMode = "asc"
    rows_to_sync: int | None = None
    has_duplicate_primary_keys: bool | None = None
