"""Items are dicts, lists of dicts or Arrow tables; incremental fields are present and parseable."""

from __future__ import annotations

from harness.checks._common import row_key, show_key
from harness.checks.context import CheckContext
from harness.runs.records import RunSpec
from harness.runs.watermark_values import parseable

ID = "rows.shape"
LEVEL = "endpoint"
SCENARIOS = ("full",)
PROVES = (
    "Every item the full sync yields is a dict, a list of dicts or a pyarrow.Table (what the pipeline accepts), "
    "and on incremental endpoints every row carries each advertised incremental field with a value of its declared "
    "type (ISO datetime, date, epoch seconds or milliseconds, integer), so the watermark can be computed."
)
APPLIES = "every endpoint with fixtures; the incremental-field part on incremental endpoints."


def check(ctx: CheckContext) -> None:
    record = ctx.run(RunSpec("full"))
    for batch in record.batches:
        if batch.problem or batch.kind not in ("dict", "list", "table"):
            ctx.fail(
                "items to be a dict, a list of dicts or a pyarrow.Table",
                f"item {batch.index} is {batch.problem or batch.kind}",
                "yield the page's rows as a list of dicts",
            )
    if not ctx.endpoint.incremental:
        return
    keys = record.response.primary_keys if record.response and record.response.primary_keys else ()
    for field in ctx.schema_incremental_fields():
        for batch in record.batches:
            for row in batch.rows:
                where = show_key(row_key(row, keys), keys) if keys else f"batch {batch.index}"
                if field.field not in row:
                    ctx.fail(
                        f"incremental field {field.field!r} in every row",
                        f"row {where} has no {field.field!r}",
                        "advertise only fields the API returns on every row",
                    )
                if not parseable(row[field.field], field.field_type):
                    ctx.fail(
                        f"incremental field {field.field!r} to be a parseable {field.field_type}",
                        f"row {where} has {field.field!r} = {row[field.field]!r}",
                        "declare the field's real type in settings.py (IncrementalField.field_type)",
                    )
