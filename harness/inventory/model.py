"""What the inventory knows about each source."""

from __future__ import annotations

import dataclasses
from typing import Literal

Status = Literal["Implemented", "Scaffolded"]
Tracking = Literal["tracked", "partial", "n/a"]

TRACKING_ICON: dict[str, str] = {"tracked": "✅", "partial": "⚠️", "n/a": "➖"}


@dataclasses.dataclass(frozen=True)
class Pragma:
    """A `# nosemgrep` suppression found in a source's code."""

    path: str
    line: int
    rule: str | None
    reason: str | None


@dataclasses.dataclass(frozen=True)
class CodeFacts:
    """What static analysis of a source's package found."""

    imports: tuple[str, ...]
    uses_tracked_session: bool
    uses_raw_http: bool
    grpc: bool
    db_modules: tuple[str, ...]
    vendor_sdks: tuple[str, ...]
    vendor_sdk_injected: bool
    pragmas: tuple[Pragma, ...]
    stub: bool


@dataclasses.dataclass(frozen=True)
class EndpointInfo:
    name: str
    incremental_fields: tuple[str, ...]
    primary_keys: tuple[str, ...]
    partition_mode: str | None
    partition_keys: tuple[str, ...]
    partition_format: str | None
    sort_mode: str
    supports_webhooks: bool


@dataclasses.dataclass(frozen=True)
class SourceEntry:
    source_type: str
    label: str
    status: Status
    release_status: str
    feature_flag: str | None
    base_classes: tuple[str, ...]
    communication: str
    primary_library: str
    tracking: Tracking
    tracking_note: str | None
    endpoints: tuple[EndpointInfo, ...]
    module: str
    pragmas: tuple[Pragma, ...] = ()
    vendor_model: bool = False  # fixtures/<source>/simulator.py has vendor_model(): the drift checks apply

    @property
    def tracking_cell(self) -> str:
        icon = TRACKING_ICON[self.tracking]
        if self.tracking == "tracked":
            return f"{icon} Tracked"
        if self.tracking == "partial":
            return f"{icon} {self.tracking_note or 'Partially tracked'}"
        return f"{icon} n/a"
