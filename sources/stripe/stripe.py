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
    """Where a sync continues: the window being read and the id the next page starts after (None = its top).

    `created` and `delivered` say where that is without naming an object: the `created` second of the last row
    handed over and the ids already handed over at that second. Stripe answers a `starting_after` whose object
    was deleted (a customer, a draft invoice) with 400 `resource_missing`; the window is then listed again from
    `created[lte]=<created>` without the `delivered` ids (`iter_pages`)."""

    window: str
    starting_after: str | None = None
    created: int | None = None
    delivered: list[str] = dataclasses.field(default_factory=list)


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


def _deleted_cursor(error: stripe.StripeError) -> bool:
    """Stripe's answer to a `starting_after` naming an object that no longer exists."""
    return error.code == "resource_missing" and getattr(error, "param", None) == "starting_after"


def _up_to(created: dict[str, int], second: int) -> dict[str, int]:
    """A window's `created` range cut at `second` (inclusive)."""
    top = created.get("lte")
    return {**created, "lte": second if top is None else min(top, second)}


def advance(at: StripeResumeConfig, rows: list[dict[str, Any]], next_cursor: str | None) -> StripeResumeConfig:
    """The position once `rows` were handed over: the next page's `starting_after`, and the `created` second of the
    last row with every id delivered at that second (rows of one second may span pages)."""
    if not rows:
        return dataclasses.replace(at, starting_after=next_cursor)
    second = rows[-1]["created"]
    delivered = [row["id"] for row in rows if row["created"] == second]
    if at.created == second:
        delivered = [*at.delivered, *(key for key in delivered if key not in at.delivered)]
    return StripeResumeConfig(at.window, next_cursor, second, delivered)


def iter_pages(
    client: stripe.StripeClient,
    endpoint: StripeEndpoint,
    window: Window,
    page_size: int,
    resume: StripeResumeConfig | None = None,
) -> Iterator[tuple[list[dict[str, Any]], StripeResumeConfig | None]]:
    """Pages of one window, from its top or from `resume`: the rows (as Stripe returns them) and the position after
    them (None after the last page).

    Pages follow `starting_after=<the last id>`, as Stripe documents. When Stripe answers that this object no
    longer exists (deleted while the sync was down, or between two pages), the window is listed again from the
    last delivered row's `created` second (`created[lte]`), without the ids already delivered at that second; a
    position saved without that second restarts the window (rows repeat whole, merge dedupes them)."""
    service = getattr(client.v1, endpoint.service)
    where = f"stripe {endpoint.name}"
    created = dict(window.created)
    at = resume if resume is not None else StripeResumeConfig(window.name)
    cursor = at.starting_after
    skip: set[str] = set()
    while True:
        params: dict[str, Any] = {"limit": page_size}
        if created:
            params["created"] = dict(created)
        if cursor is not None:
            params["starting_after"] = cursor
        try:
            page = service.list(params=params)
        except stripe.StripeError as exc:
            if cursor is None or not _deleted_cursor(exc):
                raise sync_error(exc, where) from None
            _logger.warning("starting_after_deleted", endpoint=endpoint.name, starting_after=cursor, created=at.created)
            if at.created is not None:
                created, skip = _up_to(dict(window.created), at.created), set(at.delivered)
            cursor = None
            continue
        listed = [item.to_dict() for item in page.data]
        if page.has_more and not listed:
            raise StripeSyncError(f"{where}: Stripe answered has_more=true with an empty page", None, None)
        next_cursor = listed[-1]["id"] if page.has_more else None
        if next_cursor is not None and next_cursor == cursor:
            raise StripeSyncError(f"{where}: the page after {cursor} starts with {cursor} again", None, None)
        rows = [row for row in listed if row["id"] not in skip]
        at = advance(at, rows, next_cursor)
        yield rows, at if next_cursor is not None else None
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
    first = 0
    if resume is not None:
        if resume.window in names:
            first = names.index(resume.window)
        else:
            _logger.warning("resume_window_not_planned", endpoint=endpoint.name, window=resume.window, planned=names)
            resume = None
    for index in range(first, len(windows)):
        start = resume if index == first else None
        for rows, state in iter_pages(client, endpoint, windows[index], page_size, start):
            if rows:
                yield rows
            if state is not None:
                manager.save_state(state)
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
