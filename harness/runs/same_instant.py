"""Runs against a vendor model where rows change in the same instant as the watermark a sync left behind.

A full incremental sync runs over the model's dataset v1; its watermark is the largest delivered value of the
incremental field, typed as the pipeline hands it over. The vendor then edits one delivered row that was not the
last one (its incremental field moves to exactly that value) and creates one row at that value, each only where
the endpoint allows it and the change moves the incremental field. The next incremental sync runs from the
watermark; both syncs are merged into one Delta table by primary key.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import random
from typing import Any

from harness.replay.simulated import SimulatedReplay
from harness.runs.drift import fixtures_dir, primary_keys
from harness.runs.engine import execute, work_root
from harness.runs.records import RunRecord, RunSpec
from harness.runs.targets import EndpointUnderTest
from harness.runs.watermark_values import sort_value, target_instant, typed_watermark
from harness.simulators.loader import new_model
from harness.simulators.model import Key, VendorModel

_counter = itertools.count(1)


def _backend(target: EndpointUnderTest, model: VendorModel) -> SimulatedReplay:
    return SimulatedReplay(model, secrets=target.sut.secrets, origin_dirs=target.sut.origin_dirs)


@dataclasses.dataclass(frozen=True)
class SameInstantRecord:
    """What happened, and what could not be expressed (`unexpressed`: one reason per change left out)."""

    full: RunRecord
    field: str | None
    field_type: str | None
    watermark: Any = None  # typed, as the next sync got it
    instant: dt.datetime | None = None
    updated: Key | None = None
    updated_from: Any = None  # the row's incremental value before the edit
    inserted: Key | None = None
    unexpressed: tuple[str, ...] = ()
    incremental: RunRecord | None = None
    table_rows: tuple[dict[str, Any], ...] = ()
    keys: tuple[str, ...] = ()

    @property
    def changed(self) -> tuple[Key, ...]:
        return tuple(key for key in (self.updated, self.inserted) if key is not None)


def _watermark(record: RunRecord, field: str, field_type: str | None) -> tuple[Any, Any]:
    """(typed watermark, the earliest value a descending sync leaves) from the delivered rows, as the pipeline
    tracks them: the largest value, and for desc sources the smallest."""
    values = [row[field] for row in record.rows if row.get(field) is not None]
    if not values:
        return None, None
    ordered = sorted(values, key=lambda value: sort_value(value, field_type))
    earliest = ordered[0] if record.response is not None and record.response.sort_mode == "desc" else None
    return typed_watermark(ordered[-1], field_type), typed_watermark(earliest, field_type)


def _same(value: Any, watermark: Any, field_type: str | None) -> bool:
    try:
        return sort_value(value, field_type) == sort_value(watermark, field_type)
    except (TypeError, ValueError):
        return False


def run(target: EndpointUnderTest) -> SameInstantRecord:
    model = new_model(fixtures_dir(target))
    full = execute(target, RunSpec("full"), backend=_backend(target, model))
    field = full.inputs.incremental_field if full.inputs.should_use_incremental_field else None
    record = SameInstantRecord(full, field, None, keys=primary_keys(full))
    if field is None or not full.completed or not full.rows:
        return record
    field_type = full.inputs.incremental_field_type
    watermark, earliest = _watermark(full, field, field_type)
    record = dataclasses.replace(record, field_type=field_type, watermark=watermark)
    instant = target_instant(watermark, field_type) if watermark is not None else None
    if instant is None:
        return dataclasses.replace(
            record, unexpressed=(f"{field}={watermark!r} ({field_type}) is not a point in time the vendor can set",)
        )
    record = dataclasses.replace(record, instant=instant)
    data = model.endpoint(target.name)
    names = record.keys
    existing = set(data.row_keys())
    unexpressed: list[str] = []
    updated = updated_from = inserted = None
    if "update" not in data.mutations:
        unexpressed.append(f"the vendor model never edits {target.name}")
    elif data.version_field != field:
        moved = f"moves {data.version_field}, not" if data.version_field else "does not move"
        unexpressed.append(f"an edit {moved} {field}")
    else:
        earlier = {
            tuple(row.get(name) for name in names): row[field]
            for row in full.rows
            if row.get(field) is not None and sort_value(row[field], field_type) < sort_value(watermark, field_type)
        }
        candidates = [key for key in earlier if key in existing]
        if not candidates:
            unexpressed.append(f"every delivered row is at {field}={watermark!r} already")
        else:
            updated = random.Random(f"{target.source_type}/{target.name}/same-instant").choice(candidates)
            updated_from = earlier[updated]
            model.update(target.name, updated, at=instant)
            if not _same(data.version(updated), watermark, field_type):
                unexpressed.append(
                    f"an edit at {instant.isoformat()} leaves {field}={data.version(updated)!r}, not {watermark!r}"
                )
                updated = None
    if "insert" not in data.mutations:
        unexpressed.append(f"the vendor model never creates {target.name}")
    else:
        inserted = model.insert(target.name, at=instant).key
        if data.version_field == field and not _same(data.version(inserted), watermark, field_type):
            unexpressed.append(f"a row created at {instant.isoformat()} has {field}={data.version(inserted)!r}")
            inserted = None
    record = dataclasses.replace(
        record, updated=updated, updated_from=updated_from, inserted=inserted, unexpressed=tuple(unexpressed)
    )
    if not record.changed:
        return record
    scenario = "incremental" if target.scenario("incremental") is not None else "full"
    overrides = (
        ("should_use_incremental_field", True),
        ("incremental_field", field),
        ("db_incremental_field_last_value", watermark),
        ("db_incremental_field_earliest_value", earliest),
    )
    incremental = execute(target, RunSpec(scenario, overrides=overrides), backend=_backend(target, model))
    from harness.runs.drift_table import DriftTable  # Arrow and Delta Lake: only when the check runs

    table = DriftTable(full, work_root() / f"same-instant-table-{next(_counter)}")
    table.merge(full.batches)
    table.merge(incremental.batches)
    return dataclasses.replace(record, incremental=incremental, table_rows=table.rows())
