"""Stripe transport: the official SDK on the tracked session, pages newest first, scrolls older then newer rows,
resumes after each page, responds."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import structlog

from sources.common.endpoints import chosen_incremental_field, lookup_endpoint
from sources.common.errors import ConfigError, SourceError
from sources.common.http import DEFAULT_TIMEOUT, make_tracked_session
from sources.common.lazy import lazy_import
from sources.common.resumable import ResumableSourceManager
from sources.common.retry import DEFAULT_RETRY, RetryPolicy
from sources.common.typings import Batch, SourceInputs, SourceResponse
from sources.common.watermarks import WatermarkError, epoch_seconds
from sources.common.webhook import WebhookSourceManager
from sources.stripe.settings import ENDPOINTS, StripeEndpoint

stripe = lazy_import("stripe")  # the vendor SDK: imported when a stripe client is made

_logger = structlog.get_logger("sources.stripe")

# Credential probes and webhook management answer the user at once: one attempt.
SINGLE_ATTEMPT = RetryPolicy(max_attempts=1, retry_transport_errors=False)


class StripeSyncError(SourceError):
    """A Stripe API call failed. The message starts with Stripe's own message, then names the endpoint."""

    def __init__(self, message: str, http_status: int | None, code: str | None) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.code = code


def make_stripe_client(api_key: str, retry: RetryPolicy = DEFAULT_RETRY) -> stripe.StripeClient:
    """A client whose every call goes through a tracked session; retries are ours (tenacity on the fake-able
    clock), never the SDK's, which would sleep in real time."""
    session = make_tracked_session(retry=retry, secrets=[api_key])
    http_client = stripe.RequestsClient(session=session, timeout=DEFAULT_TIMEOUT)
    return stripe.StripeClient(api_key, http_client=http_client, max_network_retries=0)


def error_message(error: stripe.StripeError) -> str:
    """Stripe's message on one line (connection errors span several)."""
    return " ".join((error.user_message or str(error) or type(error).__name__).split())


def sync_error(error: stripe.StripeError, where: str) -> StripeSyncError:
    status = f"HTTP {error.http_status}" if error.http_status else type(error).__name__
    return StripeSyncError(f"{error_message(error)} [{where}: {status}]", error.http_status, error.code)


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
    """A watermark as Stripe's `created` filter wants it: integer epoch seconds (digits as text count too)."""
    if value is None:
        return None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    try:
        return epoch_seconds(value, where)
    except WatermarkError:
        raise ConfigError(
            f"{where}: incremental watermark {value!r} is not epoch seconds or an ISO 8601 timestamp"
        ) from None


def plan_windows(endpoint: StripeEndpoint, inputs: SourceInputs) -> list[Window]:
    """The scrolls of this run. Bounds are inclusive: `created` has one-second resolution, so rows sharing the
    boundary second may not all have been synced; reading them again only repeats whole rows."""
    where = f"stripe {endpoint.name}"
    if chosen_incremental_field(inputs, endpoint.incremental_field_names, where, error=ConfigError) is None:
        return [Window("all", {})]
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
    return lookup_endpoint(ENDPOINTS, schema_name, "stripe", error=ConfigError, known=sorted(ENDPOINTS))


def stripe_source(
    api_key: str,
    page_size: int,
    inputs: SourceInputs,
    manager: ResumableSourceManager[StripeResumeConfig],
    webhook_manager: WebhookSourceManager | None = None,
) -> SourceResponse:
    """Pull rows of `inputs.schema_name`, then any rows webhooks delivered for it."""
    endpoint = get_endpoint(inputs.schema_name)
    windows = plan_windows(endpoint, inputs)

    def items() -> Iterator[Batch]:
        client = make_stripe_client(api_key)
        yield from iter_batches(client, endpoint, windows, page_size, manager)
        if webhook_manager is not None:
            yield from webhook_manager.iter_tables()

    return endpoint.response(items)


def probe(api_key: str, endpoint: StripeEndpoint) -> tuple[int, str]:
    """One single-row list request to check the key: its HTTP status and Stripe's message. An error without a
    status (the API could not be reached) raises `StripeSyncError`."""
    client = make_stripe_client(api_key, retry=SINGLE_ATTEMPT)
    try:
        getattr(client.v1, endpoint.service).list(params={"limit": 1})
    except stripe.StripeError as exc:
        if exc.http_status is None:
            raise sync_error(exc, f"stripe {endpoint.name}") from None
        return exc.http_status, error_message(exc)
    return 200, ""
