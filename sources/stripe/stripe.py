"""Stripe transport: list pages newest first, scroll older then newer rows, resume after each page, respond."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import structlog

from sources.common.errors import ConfigError
from sources.common.lazy import lazy_import
from sources.common.resumable import ResumableSourceManager
from sources.common.typings import Batch, SourceInputs, SourceResponse
from sources.common.webhook import WebhookSourceManager
from sources.stripe.config import StripeSourceConfig
from sources.stripe.settings import ENDPOINTS, StripeEndpoint
from sources.stripe.transport import StripeSyncError, make_stripe_client, sync_error

stripe = lazy_import("stripe")  # the vendor SDK: imported when a stripe client is made

_logger = structlog.get_logger("sources.stripe")


@dataclasses.dataclass
class StripeResumeConfig:
    """Where a sync continues: the window being read and the id the next page starts after (None = its top)."""

    window: str
    starting_after: str | None = None


@dataclasses.dataclass(frozen=True)
class Window:
    """One newest-first scroll over a `created` range: `all`, `older` (than the earliest row synced) or `newer`."""

    name: str
    created: dict[str, int]


def to_epoch(value: Any, where: str) -> int | None:
    """A watermark as Stripe's `created` filter wants it: integer epoch seconds."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ConfigError(f"{where}: incremental watermark {value!r} is not a timestamp")
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return int(moment.timestamp())
    if isinstance(value, date):
        return int(datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp())
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return int(text)
        try:
            return to_epoch(datetime.fromisoformat(text.replace("Z", "+00:00")), where)
        except ValueError:
            pass
    raise ConfigError(f"{where}: incremental watermark {value!r} is not epoch seconds or an ISO 8601 timestamp")


def plan_windows(endpoint: StripeEndpoint, inputs: SourceInputs) -> list[Window]:
    """The scrolls of this run. Bounds are inclusive: `created` has one-second resolution, so rows sharing the
    boundary second may not all have been synced; reading them again only repeats whole rows."""
    if not inputs.should_use_incremental_field:
        return [Window("all", {})]
    where = f"stripe {endpoint.name}"
    allowed = [field.field for field in endpoint.incremental_fields]
    if inputs.incremental_field not in allowed:
        raise ConfigError(
            f"{where}: incremental field {inputs.incremental_field!r} is not supported; choose {', '.join(allowed)}"
        )
    last = to_epoch(inputs.db_incremental_field_last_value, where)
    earliest = to_epoch(inputs.db_incremental_field_earliest_value, where)
    if last is None and earliest is None:
        return [Window("all", {})]
    windows = [Window("older", {"lte": earliest})] if earliest is not None else []
    newer_than = last if last is not None else earliest
    assert newer_than is not None
    return [*windows, Window("newer", {"gte": newer_than})]


def iter_pages(
    client: stripe.StripeClient,
    endpoint: StripeEndpoint,
    window: Window,
    page_size: int,
    starting_after: str | None,
) -> Iterator[tuple[list[dict[str, Any]], str | None]]:
    """Pages of one window: rows (as Stripe returns them) and the id the next page starts after (None: last page)."""
    service = getattr(client.v1, endpoint.service)
    where = f"stripe {endpoint.name}"
    cursor = starting_after
    while True:
        params: dict[str, Any] = {"limit": page_size}
        if window.created:
            params["created"] = dict(window.created)
        if cursor is not None:
            params["starting_after"] = cursor
        try:
            page = service.list(params=params)
        except stripe.StripeError as exc:
            raise sync_error(exc, where) from None
        rows = [item.to_dict() for item in page.data]
        if page.has_more and not rows:
            raise StripeSyncError(f"{where}: Stripe answered has_more=true with an empty page", None, None)
        next_cursor = rows[-1]["id"] if page.has_more else None
        if next_cursor is not None and next_cursor == cursor:
            raise StripeSyncError(f"{where}: the page after {cursor} starts with {cursor} again", None, None)
        yield rows, next_cursor
        if next_cursor is None:
            return
        cursor = next_cursor


def iter_batches(
    client: stripe.StripeClient,
    endpoint: StripeEndpoint,
    windows: list[Window],
    page_size: int,
    manager: ResumableSourceManager[StripeResumeConfig],
) -> Iterator[list[dict[str, Any]]]:
    """One batch per API page; the resume state is saved after each batch."""
    resume = manager.load_state() if manager.can_resume() else None
    names = [window.name for window in windows]
    first, cursor = 0, None
    if resume is not None:
        if resume.window in names:
            first, cursor = names.index(resume.window), resume.starting_after
        else:
            _logger.warning("resume_window_not_planned", endpoint=endpoint.name, window=resume.window, planned=names)
    for index in range(first, len(windows)):
        pages = iter_pages(client, endpoint, windows[index], page_size, cursor if index == first else None)
        for rows, next_cursor in pages:
            if rows:
                yield rows
            if next_cursor is not None:
                manager.save_state(StripeResumeConfig(windows[index].name, next_cursor))
            elif index + 1 < len(windows):
                manager.save_state(StripeResumeConfig(windows[index + 1].name))


def get_endpoint(schema_name: str) -> StripeEndpoint:
    try:
        return ENDPOINTS[schema_name]
    except KeyError:
        known = ", ".join(sorted(ENDPOINTS))
        raise ConfigError(f"stripe: unknown schema {schema_name!r}; known: {known}") from None


def stripe_source(
    config: StripeSourceConfig,
    inputs: SourceInputs,
    manager: ResumableSourceManager[StripeResumeConfig],
    webhook_manager: WebhookSourceManager | None = None,
) -> SourceResponse:
    """Pull rows of `inputs.schema_name`, then any rows webhooks delivered for it."""
    endpoint = get_endpoint(inputs.schema_name)
    windows = plan_windows(endpoint, inputs)

    def items() -> Iterator[Batch]:
        client = make_stripe_client(config.stripe_secret_key)
        yield from iter_batches(client, endpoint, windows, config.page_size, manager)
        if webhook_manager is not None:
            yield from webhook_manager.iter_tables()

    return SourceResponse(
        name=endpoint.name,
        items=items,
        primary_keys=list(endpoint.primary_keys),
        partition_keys=[endpoint.partition_key],
        partition_mode="datetime",
        partition_format=endpoint.partition_format,
        sort_mode=endpoint.sort_mode,
    )
