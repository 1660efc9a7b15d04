"""The optional "Rows per request" setting: its form field and the check of a parsed value."""

from __future__ import annotations

from typing import Any

from sources.common.errors import ConfigError
from sources.common.fields import SourceFieldInputConfig, SourceFieldInputConfigType

PAGE_SIZE_LABEL = "Rows per request"


def page_size_field(default: int, caption: str) -> SourceFieldInputConfig:
    """The `page_size` form field: a number, optional, showing `default` as its placeholder."""
    return SourceFieldInputConfig(
        name="page_size",
        label=PAGE_SIZE_LABEL,
        type=SourceFieldInputConfigType.NUMBER,
        required=False,
        placeholder=str(default),
        caption=caption,
    )


def check_page_size(value: Any, source: str, maximum: int | None = None) -> None:
    """A `ConfigError` naming `source` (e.g. `"Klaviyo"`) unless `value` is a whole number from 1 (to `maximum`)."""
    if not isinstance(value, int) or value < 1 or (maximum is not None and value > maximum):
        allowed = "of at least 1" if maximum is None else f"from 1 to {maximum}"
        raise ConfigError(
            f"{source} config: field 'page_size' ({PAGE_SIZE_LABEL}) must be a whole number {allowed}, got {value!r}"
        )
