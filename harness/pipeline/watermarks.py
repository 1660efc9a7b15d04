"""Incremental watermarks: tracking the incremental field during a run and storing it for the next run.

asc sources: after every written batch the last value moves to the largest value seen and is stored.
desc sources: rows arrive newest first, so during the run only the earliest value moves (stored after every
batch, so a crashed run resumes scrolling back from there); the last value (the largest seen) is stored only
when the run finishes, so a crash never moves it past rows that were not read.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import json
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from harness.pipeline.errors import PipelineConfigError, SyncTarget, WatermarkError
from harness.pipeline.keys import require_columns
from sources.common.typings import SortMode, SourceInputs

WATERMARK_FILE = "_watermark.json"


@dataclasses.dataclass(frozen=True)
class Watermark:
    """Where the next incremental run picks up."""

    incremental_field: str
    last_value: Any | None = None
    earliest_value: Any | None = None


def encode_value(value: Any) -> dict[str, Any] | None:
    """A watermark value as JSON that keeps its type."""
    if value is None:
        return None
    if isinstance(value, bool):
        return {"type": "bool", "value": value}
    if isinstance(value, int):
        return {"type": "int", "value": value}
    if isinstance(value, float):
        return {"type": "float", "value": value}
    if isinstance(value, str):
        return {"type": "str", "value": value}
    if isinstance(value, dt.datetime):
        return {"type": "datetime", "value": value.isoformat()}
    if isinstance(value, dt.date):
        return {"type": "date", "value": value.isoformat()}
    if isinstance(value, decimal.Decimal):
        return {"type": "decimal", "value": str(value)}
    raise WatermarkError(f"a watermark value of type {type(value).__name__} ({value!r}) cannot be stored")


_DECODERS = {
    "bool": bool,
    "int": int,
    "float": float,
    "str": str,
    "datetime": dt.datetime.fromisoformat,
    "date": dt.date.fromisoformat,
    "decimal": decimal.Decimal,
}


def decode_value(encoded: dict[str, Any] | None) -> Any:
    if encoded is None:
        return None
    return _DECODERS[encoded["type"]](encoded["value"])


class WatermarkStore:
    """A JSON file in the table directory holding the table's watermark (the `_` prefix keeps Delta off it)."""

    def __init__(self, table_dir: Path | str) -> None:
        self.path = Path(table_dir) / WATERMARK_FILE

    def load(self) -> Watermark | None:
        try:
            payload = json.loads(self.path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            raise WatermarkError(f"watermark file {self.path} is unreadable: {error}") from None
        try:
            return Watermark(
                incremental_field=payload["incremental_field"],
                last_value=decode_value(payload["last_value"]),
                earliest_value=decode_value(payload["earliest_value"]),
            )
        except (KeyError, TypeError, ValueError, decimal.InvalidOperation) as error:
            raise WatermarkError(f"watermark file {self.path} is malformed: {error!r}") from None

    def save(self, watermark: Watermark) -> None:
        payload = {
            "incremental_field": watermark.incremental_field,
            "last_value": encode_value(watermark.last_value),
            "earliest_value": encode_value(watermark.earliest_value),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        scratch = self.path.with_suffix(".json.tmp")
        scratch.write_text(json.dumps(payload, indent=2))
        os.replace(scratch, self.path)

    def next_inputs(self, inputs: SourceInputs) -> SourceInputs:
        """`inputs` with the stored watermark as the incremental last/earliest values.

        A watermark stored for a different incremental field does not apply: the values are cleared.
        """
        stored = self.load()
        if stored is None or stored.incremental_field != inputs.incremental_field:
            stored = Watermark(incremental_field=inputs.incremental_field or "")
        return dataclasses.replace(
            inputs,
            db_incremental_field_last_value=stored.last_value,
            db_incremental_field_earliest_value=stored.earliest_value,
        )


@dataclasses.dataclass(frozen=True)
class BatchBounds:
    smallest: Any | None
    largest: Any | None


def _pick(a: Any | None, b: Any | None, choose: Any, field: str, target: SyncTarget) -> Any | None:
    if a is None:
        return b
    if b is None:
        return a
    try:
        return choose(a, b)
    except TypeError:
        raise WatermarkError(
            f"{target}: incremental field {field!r} values {a!r} ({type(a).__name__}) and {b!r} "
            f"({type(b).__name__}) cannot be compared"
        ) from None


def typed_value(value: Any, field_type: str | None) -> Any:
    """A row's incremental value as the field's declared type, as the pipeline stores the watermark: ISO text of a
    datetime field becomes an aware datetime, of a date field a date. Other values are kept as they are."""
    if not isinstance(value, str) or field_type not in ("datetime", "timestamp", "date"):
        if isinstance(value, dt.datetime) and value.tzinfo is None and field_type in ("datetime", "timestamp"):
            return value.replace(tzinfo=dt.UTC)
        return value
    try:
        moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return value
    if field_type == "date":
        return moment.date()
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


class WatermarkTracker:
    """Moves a run's watermark as batches are written; see the module docstring for asc vs desc.

    Values are compared as the field's declared type (`field_type`), so a datetime watermark handed over by the
    pipeline and ISO text in the rows order together.
    """

    def __init__(
        self, start: Watermark, sort_mode: SortMode, target: SyncTarget, field_type: str | None = None
    ) -> None:
        if sort_mode not in ("asc", "desc"):
            raise PipelineConfigError(f"{target}: sort_mode must be 'asc' or 'desc', got {sort_mode!r}")
        self.field = start.incremental_field
        self.field_type = field_type
        self.sort_mode = sort_mode
        self.target = target
        self._start = start
        self._last = typed_value(start.last_value, field_type)
        self._earliest = typed_value(start.earliest_value, field_type)
        self._largest_seen = self._last

    @classmethod
    def from_inputs(cls, inputs: SourceInputs, sort_mode: SortMode, target: SyncTarget) -> WatermarkTracker:
        if not inputs.incremental_field:
            raise PipelineConfigError(f"{target}: should_use_incremental_field is set but incremental_field is empty")
        start = Watermark(
            incremental_field=inputs.incremental_field,
            last_value=inputs.db_incremental_field_last_value,
            earliest_value=inputs.db_incremental_field_earliest_value,
        )
        return cls(start, sort_mode, target, inputs.incremental_field_type)

    def bounds(self, batch: pa.Table, batch_index: int) -> BatchBounds:
        """The batch's smallest and largest incremental values (nulls ignored); checked before writing."""
        require_columns(batch, [self.field], "incremental field", self.target, batch_index)
        try:
            extremes = pc.min_max(batch.column(self.field)).as_py()
        except (pa.ArrowNotImplementedError, pa.ArrowTypeError) as error:
            raise WatermarkError(
                f"{self.target}: incremental field {self.field!r} of type {batch.schema.field(self.field).type} "
                f"in batch {batch_index} has no order: {error}"
            ) from None
        smallest, largest = (typed_value(extremes[end], self.field_type) for end in ("min", "max"))
        return BatchBounds(smallest=smallest, largest=largest)

    def advance(self, bounds: BatchBounds) -> Watermark:
        """Account for a written batch; returns the watermark that may be stored now."""
        self._largest_seen = _pick(self._largest_seen, bounds.largest, max, self.field, self.target)
        if self.sort_mode == "asc":
            self._last = self._largest_seen
        else:
            self._earliest = _pick(self._earliest, bounds.smallest, min, self.field, self.target)
        return self.current()

    def current(self) -> Watermark:
        return Watermark(incremental_field=self.field, last_value=self._last, earliest_value=self._earliest)

    def finish(self) -> Watermark:
        """The watermark after a successful run: desc sources now store the largest value as the last value."""
        self._last = self._largest_seen
        return self.current()
