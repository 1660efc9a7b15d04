"""Errors the pipeline raises on purpose. Each message is one line naming the source, endpoint and what failed."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class SyncTarget:
    """Which source and endpoint a run is for; every pipeline error message starts with it."""

    source: str
    endpoint: str

    def __str__(self) -> str:
        return f"source {self.source!r}, endpoint {self.endpoint!r}"


class PipelineError(Exception):
    """Base class for every error the pipeline raises on purpose."""


class PipelineConfigError(PipelineError, ValueError):
    """The `SourceResponse` / `SourceInputs` settings cannot describe a valid run."""


class InvalidItemError(PipelineError, TypeError):
    """A source yielded something that is not a dict, a list of dicts or a `pyarrow.Table`."""


class BatchConversionError(PipelineError, ValueError):
    """Rows could not be turned into an Arrow table (e.g. one column mixes ints and strings)."""


class MissingColumnError(PipelineError, KeyError):
    """A column the pipeline needs (primary key, partition key, incremental field) is not in a batch."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


class NullPrimaryKeyError(PipelineError, ValueError):
    """An incremental batch has rows whose primary key is null: merge could never match them."""


class DuplicatePrimaryKeyError(PipelineError, ValueError):
    """An incremental batch repeats a primary key and the source did not declare duplicates as expected."""


class SchemaConflictError(PipelineError, ValueError):
    """A batch column cannot be stored in the table's existing column type without losing data."""


class PartitionError(PipelineError, ValueError):
    """A partition-key value cannot be bucketed (e.g. an unparseable datetime)."""


class DeltaWriteError(PipelineError):
    """deltalake refused a write; the message keeps the first line of its error."""


class WatermarkError(PipelineError, ValueError):
    """Incremental-field values cannot be compared or stored."""


def first_line(error: BaseException) -> str:
    """The first line of an exception's message, for wrapping library errors into one-line messages."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
