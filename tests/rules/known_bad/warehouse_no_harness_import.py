"""Known bad: a source that batches rows itself with the pipeline's Batcher."""

from collections.abc import Iterator
from typing import Any

from harness.pipeline.batcher import Batcher
from sources.common.typings import SourceInputs, SourceResponse


def _rows(pages: Iterator[list[dict[str, Any]]]) -> Iterator[list[dict[str, Any]]]:
    batcher = Batcher(max_rows=5_000)
    for page in pages:
        yield from batcher.add(page)
    yield from batcher.flush()


def acme_source(inputs: SourceInputs, pages: Iterator[list[dict[str, Any]]]) -> SourceResponse:
    return SourceResponse(name=inputs.schema_name, items=lambda: _rows(pages), primary_keys=["id"])
