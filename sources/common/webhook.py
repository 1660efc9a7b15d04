"""`WebhookSourceManager`: rows delivered by webhooks, read from a local folder of parquet files.

Layout: `<webhook_dir>/<team_id>/<schema_id>/*.parquet`, read in name order. A file is deleted only after
its rows were yielded and the consumer came back for more, so a crash mid-batch re-reads it next time.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from pathlib import Path

import structlog

from sources.common.errors import WebhookFileError
from sources.common.lazy import lazy_import
from sources.common.typings import SourceInputs

# Arrow only when a webhook folder is read (a sync with webhook rows), never at `import sources`.
pa = lazy_import("pyarrow")
pq = lazy_import("pyarrow.parquet")

WEBHOOK_DIR_ENV = "WAREHOUSE_WEBHOOK_DIR"

_logger = structlog.get_logger("sources.webhook")


def default_webhook_dir() -> Path | None:
    value = os.environ.get(WEBHOOK_DIR_ENV)
    return Path(value) if value else None


def _path_part(value: object, name: str) -> str:
    """One folder name: an id that could climb out of the webhook directory is refused."""
    text = str(value)
    if not text or text in (".", "..") or "/" in text or "\\" in text or "\0" in text:
        raise ValueError(f"webhook folder: {name} {text!r} cannot be used as a folder name")
    return text


class WebhookSourceManager:
    """Rows the vendor pushed for one schema, as pyarrow tables, one per pending file."""

    def __init__(self, inputs: SourceInputs, base_dir: Path | None = None) -> None:
        self.inputs = inputs
        root = base_dir or inputs.webhook_dir or default_webhook_dir()
        self.folder = (
            root / _path_part(inputs.team_id, "team_id") / _path_part(inputs.schema_id, "schema_id") if root else None
        )

    def pending_files(self) -> list[Path]:
        if self.folder is None or not self.folder.is_dir():
            return []
        return sorted(self.folder.glob("*.parquet"))

    def has_pending(self) -> bool:
        return bool(self.pending_files())

    def iter_tables(self) -> Generator[pa.Table, None, None]:
        """Yield each pending file's rows in name order; delete a file once the consumer asks for more."""
        for path in self.pending_files():
            try:
                table = pq.read_table(path)
            except FileNotFoundError:
                continue  # another run consumed it after we listed the folder
            except (OSError, pa.ArrowException) as exc:
                raise WebhookFileError(f"webhook file {path} is not readable parquet: {exc}") from None
            if table.num_rows:
                yield table
            path.unlink(missing_ok=True)
            _logger.info("webhook_file_consumed", path=str(path), rows=table.num_rows)
