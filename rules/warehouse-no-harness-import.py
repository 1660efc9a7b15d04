# Rule tests for warehouse-no-harness-import: the source layer never reaches into the harness or pipeline.
# The imports are the cases under test, each with its annotation, so isort and unused-import stay off.
# ruff: noqa: I001, F401
import importlib
from collections.abc import Iterator
from typing import Any

# ruleid: warehouse-no-harness-import
import harness

# ruleid: warehouse-no-harness-import
import harness.pipeline.batcher

# ruleid: warehouse-no-harness-import
import harness.pipeline as pipeline

# ruleid: warehouse-no-harness-import
from harness import checks

# ruleid: warehouse-no-harness-import
from harness.pipeline.batcher import Batcher

# ruleid: warehouse-no-harness-import
from harness.pipeline import delta as delta_writer

# ruleid: warehouse-no-harness-import
from pipelines.batching import Batcher as RowBatcher

# ok: warehouse-no-harness-import
import requests

# ok: warehouse-no-harness-import
from sources.common.typings import SourceInputs, SourceResponse

# ok: warehouse-no-harness-import
from sources.common.http import make_tracked_session

# ok: warehouse-no-harness-import
from sources.common import harness_helpers


def batched_rows(pages: Iterator[list[dict[str, Any]]]) -> Iterator[list[dict[str, Any]]]:
    # ruleid: warehouse-no-harness-import
    batcher = Batcher(max_rows=5000)
    for page in pages:
        yield from batcher.add(page)
    yield from batcher.flush()


def batched_rows_qualified(pages: Iterator[list[dict[str, Any]]]) -> Iterator[list[dict[str, Any]]]:
    # ruleid: warehouse-no-harness-import
    batcher = pipeline.Batcher(max_rows=5000)
    for page in pages:
        yield from batcher.add(page)


def late_import() -> Any:
    # ruleid: warehouse-no-harness-import
    return importlib.import_module("harness.pipeline")


def source_response(inputs: SourceInputs, pages: Iterator[list[dict[str, Any]]]) -> SourceResponse:
    # ok: warehouse-no-harness-import
    return SourceResponse(name=inputs.schema_name, items=lambda: pages, primary_keys=["id"])


def plugin(name: str) -> Any:
    # ok: warehouse-no-harness-import
    return importlib.import_module(f"sources.{name}.source")
