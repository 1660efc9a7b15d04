"""Known-bad Acme sources: each is the good source with ONE bug the field really sees.

`KNOWN_BAD` pairs each with the check that must fail it, the endpoint it is run on, a phrase the failure
message must contain, and whether its fixtures are recorded with its own (buggy) code — what an author would
do — or with the good source's (a regression that slipped in after the fixtures were recorded).

Sources that try to leave the machine (curl, raw sockets, UDP, a detached thread...) are not here: they are
`escapes.ESCAPES`, in the same `KnownBad` form, and run only inside a network namespace of their own
(tests/harness/test_egress_corpus.py).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import urllib.request
from collections.abc import Iterator
from typing import Any

import requests
import structlog
import tenacity

from acme_vendor.settings import BASE_URL, INCREMENTAL_FIELDS, AcmeEndpoint
from acme_vendor.source import AcmeConfig, AcmeResume, AcmeSource, Phase, constant, format_instant
from sources.common.fields import SourceConfig, SourceFieldInputConfig, SourceFieldInputConfigType
from sources.common.http import make_tracked_session
from sources.common.rest_source import (
    BasePaginator,
    JSONResponseCursorPaginator,
    PageNumberPaginator,
    PageRequest,
    RESTClient,
)
from sources.common.retry import NO_RETRY, RETRYABLE_STATUSES, RetryPolicy
from sources.common.typings import SortMode, SourceInputs


class SavesStateBeforeYield(AcmeSource):
    """Saves the next page's position before handing the page over: a crash loses that page."""

    source_type = constant("acme_state_before_yield")

    def pages(self, client: RESTClient, endpoint: AcmeEndpoint, phases: list[Phase], manager: Any) -> Iterator[Any]:
        state = manager.load_state() if manager.can_resume() else None
        phase, params = phases[0]
        resume_from = None
        if state is not None:
            resume_from = PageRequest.from_state(state.request)
        for page in client.paginate(
            endpoint.path,
            params=params,
            paginator=self.paginator(endpoint),
            data_selector=self.selector(endpoint),
            resume_from=resume_from,
        ):
            if page.next_request is not None:
                manager.save_state(AcmeResume(phase, page.next_request.to_state()))
            yield page.items


class RestartsFromPageOne(AcmeSource):
    """Saves its position after every page but never loads it: a resumed sync starts over."""

    source_type = constant("acme_restarts_from_page_one")

    def pages(self, client: RESTClient, endpoint: AcmeEndpoint, phases: list[Phase], manager: Any) -> Iterator[Any]:
        phase, params = phases[0]
        for page in client.paginate(
            endpoint.path, params=params, paginator=self.paginator(endpoint), data_selector=self.selector(endpoint)
        ):
            yield page.items
            if page.next_request is not None:
                manager.save_state(AcmeResume(phase, page.next_request.to_state()))


class NeverSavesState(AcmeSource):
    """A resumable source that keeps its cursor in a local variable only: a crash restarts from page 1."""

    source_type = constant("acme_never_saves_state")

    def pages(self, client: RESTClient, endpoint: AcmeEndpoint, phases: list[Phase], manager: Any) -> Iterator[Any]:
        _phase, params = phases[0]
        for page in client.paginate(
            endpoint.path, params=params, paginator=self.paginator(endpoint), data_selector=self.selector(endpoint)
        ):
            yield page.items


class ResumesFromInstanceMemory(AcmeSource):
    """Saves its position to Redis, but resumes from an attribute: works only while the same object lives on."""

    source_type = constant("acme_resumes_from_memory")

    def pages(self, client: RESTClient, endpoint: AcmeEndpoint, phases: list[Phase], manager: Any) -> Iterator[Any]:
        phase, params = phases[0]
        resume_from = getattr(self, "_position", None)
        for page in client.paginate(
            endpoint.path,
            params=params,
            paginator=self.paginator(endpoint),
            data_selector=self.selector(endpoint),
            resume_from=resume_from,
        ):
            yield page.items
            if page.next_request is not None:
                manager.save_state(AcmeResume(phase, page.next_request.to_state()))
                self._position = page.next_request


class SavesPageNumber(AcmeSource):
    """Pages tickets by page number (`page=N`) and saves the next page number: rows that move or vanish while
    the sync runs or is down shift every later page, so the sync skips the rows that slid onto an earlier page."""

    source_type = constant("acme_saves_page_number")

    def phases(self, config: AcmeConfig, inputs: SourceInputs, endpoint: AcmeEndpoint) -> list[Phase]:
        phases = super().phases(config, inputs, endpoint)
        return [(name, {**params, "page": 1}) for name, params in phases] if endpoint.name == "tickets" else phases

    def paginator(self, endpoint: AcmeEndpoint) -> BasePaginator:
        if endpoint.name == "tickets":
            return PageNumberPaginator(page_size=self._page_size)
        return super().paginator(endpoint)

    def items(self, config: AcmeConfig, manager: Any, inputs: SourceInputs, endpoint: AcmeEndpoint) -> Iterator[Any]:
        self._page_size = config.page_size
        yield from super().items(config, manager, inputs, endpoint)


class PagesByNumberAtTheMaximum(SavesPageNumber):
    """SavesPageNumber's page numbers, always asking for the API's maximum of 100 tickets per page whatever the page
    size setting says: the vendor model's 23 tickets never reach a second page, so no change of the data falls
    between two pages and the page-number bug (rows sliding onto pages already read) is never exercised. The
    fixtures cannot tell: inconclusive, not passed."""

    source_type = constant("acme_pages_by_number_at_max")

    def phases(self, config: AcmeConfig, inputs: SourceInputs, endpoint: AcmeEndpoint) -> list[Phase]:
        phases = super().phases(config, inputs, endpoint)
        return [(name, {**params, "limit": 100}) for name, params in phases] if endpoint.name == "tickets" else phases

    def paginator(self, endpoint: AcmeEndpoint) -> BasePaginator:
        return PageNumberPaginator(page_size=100) if endpoint.name == "tickets" else super().paginator(endpoint)


class ResumesAfterLastTicketId(AcmeSource):
    """Pages tickets Stripe-style, `starting_after=<the last ticket's id>` (a parameter the Acme API documents), and
    saves that next request as its resume state: once the vendor deletes that ticket while the sync is down, the
    resumed run is answered 400 "No such ticket" and the sync cannot continue."""

    source_type = constant("acme_resumes_after_last_id")

    def paginator(self, endpoint: AcmeEndpoint) -> BasePaginator:
        if endpoint.name == "tickets":
            return JSONResponseCursorPaginator(
                cursor_path=None, cursor_param="starting_after", has_more_path="has_more", cursor_from_last_item="id"
            )
        return super().paginator(endpoint)


class ClientSideFilter(AcmeSource):
    """'Incremental' by paging through everything and dropping rows older than the watermark."""

    source_type = constant("acme_client_side_filter")

    def phases(self, config: AcmeConfig, inputs: SourceInputs, endpoint: AcmeEndpoint) -> list[Phase]:
        if endpoint.name != "tickets":
            return super().phases(config, inputs, endpoint)
        field = self.chosen_field(inputs, endpoint)
        return [("tickets", {"limit": config.page_size, "sort_by": field, "order": "asc"})]

    def pages(self, client: RESTClient, endpoint: AcmeEndpoint, phases: list[Phase], manager: Any) -> Iterator[Any]:
        floor = self._floor if endpoint.name == "tickets" else None
        for rows in super().pages(client, endpoint, phases, manager):
            yield [row for row in rows if floor is None or row["updated_at"] >= floor]

    def items(self, config: AcmeConfig, manager: Any, inputs: SourceInputs, endpoint: AcmeEndpoint) -> Iterator[Any]:
        last = inputs.db_incremental_field_last_value
        self._floor = format_instant(last) if inputs.should_use_incremental_field and last is not None else None
        yield from super().items(config, manager, inputs, endpoint)


class PartitionsOnUpdatedAt(AcmeSource):
    """Partitions tickets by updated_at: a changed ticket moves partition and is stored twice."""

    source_type = constant("acme_partitions_on_updated_at")

    def partition_key(self, endpoint: AcmeEndpoint) -> str:
        return "updated_at" if endpoint.name == "tickets" else endpoint.partition_key


class RequestsGetOutsideTrackedSession(AcmeSource):
    """Fetches agents with the module-level requests.get: no tracked-transport record, no retry, no job context."""

    source_type = constant("acme_requests_get")

    def items(self, config: AcmeConfig, manager: Any, inputs: SourceInputs, endpoint: AcmeEndpoint) -> Iterator[Any]:
        if endpoint.name != "agents":
            yield from super().items(config, manager, inputs, endpoint)
            return
        url: str | None = f"{BASE_URL}/agents?page=1&per_page={config.page_size}"
        while url:
            response = requests.get(url, headers={"Authorization": f"Bearer {config.api_token}"}, timeout=30)
            response.raise_for_status()
            yield response.json()
            url = response.links.get("next", {}).get("url")


class IncrementalPathOwnSession(AcmeSource):
    """The incremental path, added later, builds its own requests.Session(): full syncs are tracked, deltas not."""

    source_type = constant("acme_incremental_own_session")

    def items(self, config: AcmeConfig, manager: Any, inputs: SourceInputs, endpoint: AcmeEndpoint) -> Iterator[Any]:
        if inputs.db_incremental_field_last_value is None:
            yield from super().items(config, manager, inputs, endpoint)
            return
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {config.api_token}"
        client = RESTClient(BASE_URL, session=session)
        yield from self.pages(client, endpoint, self.phases(config, inputs, endpoint), manager)


class FollowsFirstPageForever(AcmeSource):
    """Copies the cursor into a fresh dict each loop, so every request is the first page again."""

    source_type = constant("acme_first_page_forever")

    def pages(self, client: RESTClient, endpoint: AcmeEndpoint, phases: list[Phase], manager: Any) -> Iterator[Any]:
        _phase, params = phases[0]
        session = client.session
        while True:
            request_params = dict(params)
            response = session.get(f"{BASE_URL}{endpoint.path}", params=request_params)
            response.raise_for_status()
            body = response.json()
            rows = body["data"]
            yield rows
            if not body["has_more"] or not rows:
                return
            next_params = dict(request_params)
            next_params["starting_after"] = rows[-1]["id"]  # never read back: the loop rebuilds from `params`


class IgnoresHasMore(AcmeSource):
    """Keeps asking for the page after the last one until it comes back empty."""

    source_type = constant("acme_ignores_has_more")

    def pages(self, client: RESTClient, endpoint: AcmeEndpoint, phases: list[Phase], manager: Any) -> Iterator[Any]:
        if endpoint.name != "tickets":
            yield from super().pages(client, endpoint, phases, manager)
            return
        _phase, params = phases[0]
        request_params = dict(params)
        while True:
            response = client.session.get(f"{BASE_URL}{endpoint.path}", params=request_params)
            response.raise_for_status()
            body = response.json()
            rows = body["data"]
            if not rows:
                return
            yield rows
            # has_more is never read: past the last page (no next_cursor) it asks for the rows after the last one
            request_params = {key: value for key, value in request_params.items() if key != "cursor"}
            if body.get("next_cursor"):
                request_params["cursor"] = body["next_cursor"]
            else:
                request_params["starting_after"] = rows[-1]["id"]


class IgnoresIncrementalField(AcmeSource):
    """Always filters on the first advertised field, whatever the user picked."""

    source_type = constant("acme_ignores_incremental_field")

    def chosen_field(self, inputs: SourceInputs, endpoint: AcmeEndpoint) -> str:
        return INCREMENTAL_FIELDS[endpoint.name][0]


class WrongSortMode(AcmeSource):
    """Declares ascending order but never asks for it: the API's default is newest first."""

    source_type = constant("acme_wrong_sort_mode")

    def phases(self, config: AcmeConfig, inputs: SourceInputs, endpoint: AcmeEndpoint) -> list[Phase]:
        phases = super().phases(config, inputs, endpoint)
        return [(name, {k: v for k, v in params.items() if k != "order"}) for name, params in phases]

    def sort_mode(self, endpoint: AcmeEndpoint) -> SortMode:
        return "asc"


class NoTimeout(AcmeSource):
    """Builds its session with timeout=None."""

    source_type = constant("acme_no_timeout")
    timeout = None


class RetriesUnauthorizedForever(AcmeSource):
    """Treats 401 as transient and retries it (practically) forever."""

    source_type = constant("acme_retries_401")

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(max_attempts=10_000, retry_statuses=RETRYABLE_STATUSES | {401, 403})


class SleepsADayOn429(AcmeSource):
    """Raised the Retry-After ceiling so high that a 429 asking for a day is slept through."""

    source_type = constant("acme_sleeps_a_day")

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(max_retry_after=10**7)


class IgnoresResetHeader(AcmeSource):
    """Honours Retry-After only: Acme's own 429 says when the limit resets in X-RateLimit-Reset, which it ignores,
    so it retries after its own short backoff and is rate-limited again."""

    source_type = constant("acme_ignores_reset_header")

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy()


class ReadsResetAsSeconds(AcmeSource):
    """Reads X-RateLimit-Reset as seconds to wait, where Acme sends the epoch second it resets: a wait of decades."""

    source_type = constant("acme_reset_as_seconds")

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(reset_header="X-RateLimit-Reset", reset_header_kind="seconds")


class DuplicateKeysAcrossPages(AcmeSource):
    """Offset arithmetic off by one: each page starts with the previous page's last row again."""

    source_type = constant("acme_duplicate_keys")

    def pages(self, client: RESTClient, endpoint: AcmeEndpoint, phases: list[Phase], manager: Any) -> Iterator[Any]:
        previous_last = None
        for rows in super().pages(client, endpoint, phases, manager):
            yield ([previous_last] if previous_last is not None else []) + rows
            previous_last = rows[-1] if rows else previous_last


class TokenNotPassword(AcmeSource):
    """Declares the API token as a plain text field: it is shown and logged."""

    source_type = constant("acme_token_not_password")
    token_field_type = SourceFieldInputConfigType.TEXT


class WebhookSecretNotPassword(AcmeSource):
    """Asks for the webhook signing secret in a plain text field."""

    source_type = constant("acme_webhook_secret_not_password")

    @property
    def get_source_config(self) -> SourceConfig:
        config = super().get_source_config
        secret = SourceFieldInputConfig(
            "signing_secret", "Webhook signing secret", type=SourceFieldInputConfigType.TEXT
        )
        return dataclasses.replace(config, webhookFields=(secret,))


class WebhookRowsNotYielded(AcmeSource):
    """Advertises webhooks for tickets but never reads the webhook folder."""

    source_type = constant("acme_webhook_rows_dropped")

    def webhook_items(self, inputs: SourceInputs) -> Iterator[Any]:
        return iter(())


class IgnoresEarliestValue(AcmeSource):
    """A newest-first endpoint that only ever asks for rows newer than the watermark."""

    source_type = constant("acme_ignores_earliest")

    def phases(self, config: AcmeConfig, inputs: SourceInputs, endpoint: AcmeEndpoint) -> list[Phase]:
        if endpoint.name == "events":
            inputs = dataclasses.replace(inputs, db_incremental_field_earliest_value=None)
        return super().phases(config, inputs, endpoint)


class NoNonRetryableErrors(AcmeSource):
    """Maps no error to non-retryable: a revoked token is retried by the platform again and again."""

    source_type = constant("acme_no_non_retryable_errors")

    def get_non_retryable_errors(self) -> dict[str, str | None]:
        return {}


class RejectsForbiddenAtCreate(AcmeSource):
    """Refuses a token at source-create because one endpoint answers 403."""

    source_type = constant("acme_rejects_403_at_create")

    def forbidden(self, schema_name: str | None) -> tuple[bool, str | None]:
        return False, "Forbidden"


class CollectsAllPagesFirst(AcmeSource):
    """Buffers every page and yields once at the end: no safe point until the whole endpoint is read."""

    source_type = constant("acme_collects_all_pages")

    def pages(self, client: RESTClient, endpoint: AcmeEndpoint, phases: list[Phase], manager: Any) -> Iterator[Any]:
        rows: list[dict[str, Any]] = []
        for page in super().pages(client, endpoint, phases, manager):
            rows.extend(page)
        yield rows


class SwallowsServerErrors(AcmeSource):
    """Treats a failed page as the end of the data and ends the sync 'successfully'."""

    source_type = constant("acme_swallows_5xx")

    def pages(self, client: RESTClient, endpoint: AcmeEndpoint, phases: list[Phase], manager: Any) -> Iterator[Any]:
        try:
            yield from super().pages(client, endpoint, phases, manager)
        except requests.HTTPError:
            return


class PhonesHomeWithUrllib(AcmeSource):
    """Checks the vendor status page with urllib before syncing: a connection around the tracked transport."""

    source_type = constant("acme_urllib_egress")

    def items(self, config: AcmeConfig, manager: Any, inputs: SourceInputs, endpoint: AcmeEndpoint) -> Iterator[Any]:
        with contextlib.suppress(OSError):
            urllib.request.urlopen("https://status.acme-helpdesk.test/api/v2/status.json", timeout=5)
        yield from super().items(config, manager, inputs, endpoint)


class AdvertisesMissingField(AcmeSource):
    """Settings typo: advertises `updated` as an incremental field; rows carry `updated_at`."""

    source_type = constant("acme_advertises_missing_field")

    def get_schemas(self, config: AcmeConfig, team_id: int, with_counts: bool = False) -> list[Any]:
        from sources.common.base import IncrementalField

        schemas = super().get_schemas(config, team_id, with_counts)
        typo = IncrementalField(label="Updated", type="datetime", field="updated", field_type="datetime")
        return [
            dataclasses.replace(schema, incremental_fields=[typo, *schema.incremental_fields[1:]])
            if schema.name == "tickets"
            else schema
            for schema in schemas
        ]


class LooksBackADay(AcmeSource):
    """Sends the watermark minus a day 'to be safe': a watermark after all data still returns the last rows."""

    source_type = constant("acme_looks_back_a_day")

    def watermark(self, value: Any) -> str:
        moment = dt.datetime.fromisoformat(format_instant(value).replace("Z", "+00:00"))
        return format_instant(moment - dt.timedelta(days=1))


class NeverEnds(AcmeSource):
    """Polls a local buffer for late rows after the last page, with a loop condition that never turns false."""

    source_type = constant("acme_never_ends")

    def pages(self, client: RESTClient, endpoint: AcmeEndpoint, phases: list[Phase], manager: Any) -> Iterator[Any]:
        yield from super().pages(client, endpoint, phases, manager)
        late: list[dict[str, Any]] = []
        while late is not None:
            yield late


class SkipsPageThree(AcmeSource):
    """Builds agent page numbers itself and advances by the number of pages fetched so far: 1, 2, then 4."""

    source_type = constant("acme_skips_page_three")

    def pages(self, client: RESTClient, endpoint: AcmeEndpoint, phases: list[Phase], manager: Any) -> Iterator[Any]:
        if endpoint.name != "agents":
            yield from super().pages(client, endpoint, phases, manager)
            return
        _phase, params = phases[0]
        page, fetched = 1, 0
        while True:
            response = client.session.get(f"{BASE_URL}{endpoint.path}", params={**params, "page": page})
            response.raise_for_status()
            rows = response.json()
            if not rows:
                return
            yield rows
            fetched += 1
            if "next" not in response.links:
                return
            page += fetched


class StopsAfterFirstPage(AcmeSource):
    """Reads `hasMore` where the API says `has_more`: every ticket listing ends after its first page."""

    source_type = constant("acme_stops_after_first_page")

    def pages(self, client: RESTClient, endpoint: AcmeEndpoint, phases: list[Phase], manager: Any) -> Iterator[Any]:
        if endpoint.name != "tickets":
            yield from super().pages(client, endpoint, phases, manager)
            return
        _phase, params = phases[0]
        request_params = dict(params)
        while True:
            response = client.session.get(f"{BASE_URL}{endpoint.path}", params=request_params)
            response.raise_for_status()
            body = response.json()
            yield body["data"]
            if not body.get("hasMore") or not body["data"]:
                return
            request_params = {**request_params, "cursor": body["next_cursor"]}


class _KeysetTickets(AcmeSource):
    """Reads tickets by keyset: each next request is the same query with `updated_since` (inclusive, as Acme
    documents it) taken from a row of the page before, the rows already yielded dropped by id; it stops on the
    vendor's last page, or when a page brings nothing new."""

    def next_since(self, rows: list[dict[str, Any]]) -> str:
        return rows[-1]["updated_at"]

    def pages(self, client: RESTClient, endpoint: AcmeEndpoint, phases: list[Phase], manager: Any) -> Iterator[Any]:
        if endpoint.name != "tickets":
            yield from super().pages(client, endpoint, phases, manager)
            return
        _phase, params = phases[0]
        request_params = dict(params)
        seen: set[str] = set()
        while True:
            response = client.session.get(f"{BASE_URL}{endpoint.path}", params=request_params)
            response.raise_for_status()
            body = response.json()
            rows = body["data"]
            new = [row for row in rows if row["id"] not in seen]
            seen.update(row["id"] for row in new)
            if new:
                yield new
            if not new or not body.get("has_more") or len(rows) < int(params["limit"]):
                return
            request_params = {**params, "updated_since": self.next_since(rows)}


class KeysetTakesFirstRow(_KeysetTickets):
    """Continues from the FIRST row's `updated_at` instead of the last: the next request asks for the page it
    already has, brings nothing new, and the sync ends after one page."""

    source_type = constant("acme_keyset_first_row")

    def next_since(self, rows: list[dict[str, Any]]) -> str:
        return rows[0]["updated_at"]


class KeysetAddsOneSecond(_KeysetTickets):
    """Continues from one second after the last row's `updated_at` ("strictly after the last row"), a strict
    comparison on an inclusive filter: tickets updated in that same second that did not fit on the page are
    skipped."""

    source_type = constant("acme_keyset_adds_one_second")

    def next_since(self, rows: list[dict[str, Any]]) -> str:
        return format_instant(dt.datetime.fromisoformat(rows[-1]["updated_at"]) + dt.timedelta(seconds=1))


class BatchesInternally(AcmeSource):
    """Asks for 10 rows a page and gathers rows into batches of 2000 before yielding (saving its position after
    each batch, correctly): on small fixtures the whole sync is one batch, so crash-and-resume and safe points are
    never exercised — and the checks passed it."""

    source_type = constant("acme_batches_internally")
    BATCH_ROWS = 2000

    def phases(self, config: AcmeConfig, inputs: SourceInputs, endpoint: AcmeEndpoint) -> list[Phase]:
        size = "per_page" if endpoint.name == "agents" else "limit"
        return [(name, {**params, size: 10}) for name, params in super().phases(config, inputs, endpoint)]

    def pages(self, client: RESTClient, endpoint: AcmeEndpoint, phases: list[Phase], manager: Any) -> Iterator[Any]:
        state = manager.load_state() if manager.can_resume() else None
        phase, params = phases[0]
        batch: list[dict[str, Any]] = []
        for page in client.paginate(
            endpoint.path,
            params=params,
            paginator=self.paginator(endpoint),
            data_selector=self.selector(endpoint),
            resume_from=PageRequest.from_state(state.request) if state is not None else None,
        ):
            batch.extend(page.items)
            if len(batch) >= self.BATCH_ROWS or page.next_request is None:
                yield batch
                batch = []
                if page.next_request is not None:
                    manager.save_state(AcmeResume(phase, page.next_request.to_state()))


class DropsIncrementalField(AcmeSource):
    """Strips updated_at from the tickets it yields ('the warehouse does not need it'): no order to compare."""

    source_type = constant("acme_drops_incremental_field")

    def pages(self, client: RESTClient, endpoint: AcmeEndpoint, phases: list[Phase], manager: Any) -> Iterator[Any]:
        for rows in super().pages(client, endpoint, phases, manager):
            yield [{k: v for k, v in row.items() if k != "updated_at"} for row in rows]


class IncrementalRecordedAfterAllData(AcmeSource):
    """The good source, whose incremental tickets fixture was recorded with a watermark after every row."""

    source_type = constant("acme_incremental_after_all_data")


class IncrementalRecordedBeforeAllData(AcmeSource):
    """The good source, whose incremental tickets fixture was recorded with a watermark before every row."""

    source_type = constant("acme_incremental_before_all_data")


class RetriesWithTenacityDefaults(AcmeSource):
    """Retries 429 itself with tenacity's defaults (tenacity sleeps with time.sleep), honouring any Retry-After
    however long, up to 5 attempts: a day-long Retry-After is slept through four times."""

    source_type = constant("acme_tenacity_sleeps_a_day")
    MAX_WAIT: float | None = None

    def session(self, config: AcmeConfig, retry: RetryPolicy | None = None) -> requests.Session:
        session = super().session(config, NO_RETRY)
        request = session.request
        cap = self.MAX_WAIT

        def retry_after(state: tenacity.RetryCallState) -> float:
            wait = float(state.outcome.result().headers.get("Retry-After", "1"))  # type: ignore[union-attr]
            return wait if cap is None else min(wait, cap)

        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_result(lambda response: response.status_code == 429),
            wait=retry_after,
            stop=tenacity.stop_after_attempt(5),
            retry_error_callback=lambda state: state.outcome.result(),  # type: ignore[union-attr]
        )
        session.request = lambda *args, **kwargs: retrying(request, *args, **kwargs)  # type: ignore[method-assign]
        return session


class WatermarkAsStrDatetime(AcmeSource):
    """Sends the watermark as str(datetime): `2024-03-01 00:00:00+00:00` where Acme documents `...T00:00:00Z`."""

    source_type = constant("acme_watermark_str_datetime")

    def watermark(self, value: Any) -> str:
        return str(value)


class WatermarkIsoformatOffset(AcmeSource):
    """Sends the watermark as datetime.isoformat(): an offset `+00:00` where Acme requires `Z`."""

    source_type = constant("acme_watermark_isoformat")

    def watermark(self, value: Any) -> str:
        return value.isoformat() if isinstance(value, dt.datetime) else str(value)


class WatermarkSecondsForMillis(AcmeSource):
    """Sends epoch seconds to the events filters, which Acme documents as epoch milliseconds (read as 1970)."""

    source_type = constant("acme_watermark_seconds_for_ms")

    def events_watermark(self, value: Any) -> int:
        return int(value.timestamp()) if isinstance(value, dt.datetime) else int(value)


class ApiKeyInQuery(AcmeSource):
    """Sends the API token as `?api_key=` (the vendor's deprecated way) instead of the Authorization header."""

    source_type = constant("acme_api_key_in_query")

    def session(self, config: AcmeConfig, retry: RetryPolicy | None = None) -> requests.Session:
        session = make_tracked_session(retry=retry or self.retry_policy(), timeout=self.timeout)
        session.params = {"api_key": config.api_token}
        return session


class LogsItsConfig(AcmeSource):
    """A debugging line left in: logs the config it syncs with, API token included."""

    source_type = constant("acme_logs_config")

    def items(self, config: AcmeConfig, manager: Any, inputs: SourceInputs, endpoint: AcmeEndpoint) -> Iterator[Any]:
        structlog.get_logger(__name__).info("acme_sync_start", schema=endpoint.name, config=dataclasses.asdict(config))
        yield from super().items(config, manager, inputs, endpoint)


class AsksNewestFirst(AcmeSource):
    """Asks for tickets newest first (order=desc) while declaring sort_mode='asc'."""

    source_type = constant("acme_asks_newest_first")

    def phases(self, config: AcmeConfig, inputs: SourceInputs, endpoint: AcmeEndpoint) -> list[Phase]:
        phases = super().phases(config, inputs, endpoint)
        return [(name, {**params, "order": "desc"} if "order" in params else params) for name, params in phases]


class TokenInQuery(AcmeSource):
    """Also sends the API token as a query parameter (session.params), where it lands in URLs and logs."""

    source_type = constant("acme_token_in_query")

    def session(self, config: AcmeConfig, retry: RetryPolicy | None = None) -> requests.Session:
        session = super().session(config, retry)
        session.params = {"api_token": config.api_token}
        return session


class AgentsFromPageZero(AcmeSource):
    """Counts agents pages from 0: the first request asks for page=0, which the vendor never handed out."""

    source_type = constant("acme_agents_from_page_zero")

    def phases(self, config: AcmeConfig, inputs: SourceInputs, endpoint: AcmeEndpoint) -> list[Phase]:
        phases = super().phases(config, inputs, endpoint)
        return [(name, {**params, "page": 0} if "page" in params else params) for name, params in phases]


class WatermarkPlusOneSecond(AcmeSource):
    """Adds one second to the tickets watermark 'to avoid duplicates': a ticket written in the watermark's second
    after the last sync read it is never synced."""

    source_type = constant("acme_watermark_plus_one_second")

    def watermark(self, value: Any) -> str:
        moment = dt.datetime.fromisoformat(format_instant(value).replace("Z", "+00:00"))
        return format_instant(moment + dt.timedelta(seconds=1))


class FiltersStrictlyAfter(AcmeSource):
    """Filters tickets with `updated_after` (strictly after) where Acme also offers the inclusive
    `updated_since`: tickets stored in the watermark's second after the last sync read it are never synced."""

    source_type = constant("acme_filters_strictly_after")

    def phases(self, config: AcmeConfig, inputs: SourceInputs, endpoint: AcmeEndpoint) -> list[Phase]:
        phases = super().phases(config, inputs, endpoint)
        renamed = {"updated_since": "updated_after", "created_since": "created_after"}
        return [(name, {renamed.get(key, key): value for key, value in params.items()}) for name, params in phases]


@dataclasses.dataclass(frozen=True)
class KnownBad:
    """A known-bad source and the verdicts it must get.

    `check` fails it with `phrase` on its primary recording: the good source's fixtures (a regression after they
    were recorded), or its own when `recorded_with_itself`. It must ALSO be caught on the other recording:
    recorded through its own bug (`caught_when_recorded_with_itself_by` / `phrase_when_recorded_with_itself`,
    default the same check and phrase, or `refused_when_recorded_with_itself`: the recorder refuses, with this
    phrase in its message), or, for a source whose primary recording is its own, on the good source's
    (`caught_when_recorded_with_good_by` / `phrase_when_recorded_with_good`).
    """

    source: type[AcmeSource]
    check: str
    endpoint: str | None
    phrase: str
    recorded_with_itself: bool = False
    caught_when_recorded_with_itself_by: str | None = None
    phrase_when_recorded_with_itself: str | None = None
    refused_when_recorded_with_itself: str | None = None
    caught_when_recorded_with_good_by: str | None = None
    phrase_when_recorded_with_good: str | None = None
    # Recorded against the API before it enforced its documented filter encodings (acme simulator lenient=True);
    # `refused` is then what the recorder says when the same source is recorded against today's strict API.
    lenient_vendor: bool = False
    refused: str | None = None
    status: str = "failed"  # or "inconclusive": the fixtures do not exercise the property
    incremental_watermark: str | None = None  # the tickets incremental scenario's last_value, if not mid-data

    def expected(self, recording: str) -> tuple[str, str, str]:
        """(check, phrase, status) on the fixtures recorded with the `good` source or with `itself`."""
        if (recording == "itself") == self.recorded_with_itself:
            return self.check, self.phrase, self.status
        if recording == "itself":
            by, phrase = self.caught_when_recorded_with_itself_by, self.phrase_when_recorded_with_itself
        else:
            by, phrase = self.caught_when_recorded_with_good_by, self.phrase_when_recorded_with_good
        return by or self.check, phrase or self.phrase, "failed" if by else self.status

    @property
    def bug_in_recording(self) -> bool:
        """The source is the good one; what is wrong is how its fixtures were recorded."""
        return self.incremental_watermark is not None

    @property
    def source_type(self) -> str:
        return self.source.source_type.fget(None)  # type: ignore[attr-defined]


KNOWN_BAD: tuple[KnownBad, ...] = (
    KnownBad(TokenNotPassword, "registry", None, "PASSWORD", recorded_with_itself=True),
    KnownBad(
        WebhookSecretNotPassword,
        "registry",
        None,
        "'signing_secret' ('Webhook signing secret') in get_source_config.webhookFields",
    ),
    KnownBad(RejectsForbiddenAtCreate, "credentials", None, "403 accepted at source-create"),
    # The recorder refuses to record ApiKeyInQuery (test_credentials_placement.py): its fixtures are what a
    # recorder without that refusal writes (acme_vendor/corpus.py).
    KnownBad(ApiKeyInQuery, "credentials.placement", "tickets", "query parameter 'api_key'", recorded_with_itself=True),
    KnownBad(
        LogsItsConfig,
        "credentials.placement",
        "tickets",
        "carries the configured 'api_token'",
        recorded_with_itself=True,
    ),
    KnownBad(
        FollowsFirstPageForever,
        "pagination.complete",
        "tickets",
        "same URL twice",
        refused_when_recorded_with_itself="the sync did not end: 1000 requests",
    ),
    KnownBad(
        IgnoresHasMore,
        "pagination.complete",
        "tickets",
        "the sync to stop after the last page",
        caught_when_recorded_with_itself_by="pagination.follows_vendor",
        phrase_when_recorded_with_itself="was the last page (the vendor offered no next page)",
    ),
    KnownBad(PhonesHomeWithUrllib, "pagination.complete", "tickets", "status.acme-helpdesk.test"),
    KnownBad(
        NeverEnds,
        "pagination.complete",
        "tickets",
        "without ending",
        refused_when_recorded_with_itself="the sync did not end: 1000 batches yielded without a request",
    ),
    KnownBad(DuplicateKeysAcrossPages, "rows.primary_key", "agents", "each primary key once per sync"),
    KnownBad(AdvertisesMissingField, "rows.shape", "tickets", "has no 'updated'", recorded_with_itself=True),
    KnownBad(
        WrongSortMode,
        "sort.honest",
        "tickets",
        "comes after row",
        recorded_with_itself=True,
        phrase_when_recorded_with_good="expected the sort order the recording asked the API for",
    ),
    KnownBad(NoTimeout, "transport.timeout", "tickets", "timeout=None", recorded_with_itself=True),
    KnownBad(CollectsAllPagesFirst, "progress.safe_point", "tickets", "without a yield"),
    KnownBad(
        SavesStateBeforeYield, "resume.every_checkpoint", "tickets", "fetched batch 1 but before batch 1 was yielded"
    ),
    KnownBad(RestartsFromPageOne, "resume.every_checkpoint", "tickets", "starting from page 1"),
    KnownBad(NeverSavesState, "resume.every_checkpoint", "agents", "never called save_state"),
    KnownBad(ResumesFromInstanceMemory, "resume.every_checkpoint", "tickets", "starting from page 1"),
    KnownBad(SavesPageNumber, "resume.under_drift", "tickets", "never reached the table", recorded_with_itself=True),
    KnownBad(SavesPageNumber, "pagination.under_drift", "tickets", "skipped", recorded_with_itself=True),
    KnownBad(
        PagesByNumberAtTheMaximum,
        "pagination.under_drift",
        "tickets",
        "never continued a listing after a batch (1 batch(es) from 1 request(s) on 1 path(s)",
        recorded_with_itself=True,
        status="inconclusive",
    ),
    KnownBad(
        ResumesAfterLastTicketId,
        "resume.under_drift",
        "tickets",
        'answered 400: {"error": {"code": "invalid_param", "message": "No such ticket: ',
        recorded_with_itself=True,
    ),
    KnownBad(
        ClientSideFilter,
        "incremental.server_filter",
        "tickets",
        "client-side",
        recorded_with_itself=True,
        phrase_when_recorded_with_good="expected the watermark sent in the encoding",
    ),
    KnownBad(IgnoresIncrementalField, "incremental.honours_field", "tickets", "INCREMENTAL_FIELDS"),
    KnownBad(
        LooksBackADay,
        "incremental.future",
        "tickets",
        "zero rows",
        recorded_with_itself=True,
        caught_when_recorded_with_good_by="incremental.server_filter",
        phrase_when_recorded_with_good="expected the watermark sent in the encoding",
    ),
    KnownBad(IgnoresEarliestValue, "incremental.desc_earliest", "events", "older than earliest_value"),
    KnownBad(
        PartitionsOnUpdatedAt, "partition.stable", "tickets", "the partition keys ['updated_at'] changed between syncs"
    ),
    KnownBad(RequestsGetOutsideTrackedSession, "transport.tracked", "agents", "no tracked-transport record"),
    KnownBad(IncrementalPathOwnSession, "transport.tracked", "tickets", "scenario 'incremental': GET"),
    KnownBad(SleepsADayOn429, "faults.rate_limit", "tickets", "instead of sleeping"),
    KnownBad(IgnoresResetHeader, "faults.rate_limit", "tickets", "a wait of at least 7s after the vendor's answer"),
    KnownBad(ReadsResetAsSeconds, "faults.rate_limit", "tickets", "to wait out the vendor's answer asking for 7s"),
    KnownBad(SwallowsServerErrors, "faults.transient", "tickets", "without error"),
    KnownBad(
        RetriesWithTenacityDefaults,
        "faults.rate_limit",
        "tickets",
        "the source slept 345600s",
        recorded_with_itself=True,
    ),
    KnownBad(NoTimeout, "faults.stall", "agents", "would hang", recorded_with_itself=True),
    KnownBad(RetriesUnauthorizedForever, "faults.auth", "tickets", "no retry of a 401"),
    KnownBad(NoNonRetryableErrors, "faults.auth", "agents", "match a key of get_non_retryable_errors"),
    KnownBad(WebhookRowsNotYielded, "webhook.merge", "tickets", "never yielded"),
    KnownBad(SkipsPageThree, "pagination.follows_vendor", "agents", "was answered with the next page"),
    KnownBad(
        KeysetTakesFirstRow,
        "pagination.follows_vendor",
        "tickets",
        "the first row); expected updated_since=",
        refused_when_recorded_with_itself="the first row); expected updated_since=",
    ),
    KnownBad(
        KeysetAddsOneSecond,
        "pagination.follows_vendor",
        "tickets",
        "+1s from the last row's updated_at (rows at the last row's value not yet received are skipped)",
        recorded_with_itself=True,
    ),
    KnownBad(
        StopsAfterFirstPage,
        "pagination.follows_vendor",
        "tickets",
        "the sync stopped while the vendor offered more",
        refused_when_recorded_with_itself="refusing to write a scenario that ends while the vendor offers more",
    ),
    KnownBad(
        WatermarkAsStrDatetime,
        "incremental.watermark_encoding",
        "tickets",
        "+00:00' (as the vendor decodes it), not iso8601-z",
        recorded_with_itself=True,
        caught_when_recorded_with_good_by="incremental.server_filter",
        phrase_when_recorded_with_good="where the closest recorded request",
        lenient_vendor=True,
        refused="updated_since must be an ISO 8601 UTC time like 2024-03-01T00:00:00Z",
    ),
    KnownBad(
        WatermarkIsoformatOffset,
        "incremental.watermark_encoding",
        "tickets",
        "+00:00' (as the vendor decodes it), not iso8601-z",
        recorded_with_itself=True,
        caught_when_recorded_with_good_by="incremental.server_filter",
        phrase_when_recorded_with_good="where the closest recorded request",
        lenient_vendor=True,
        refused="updated_since must be an ISO 8601 UTC time like 2024-03-01T00:00:00Z",
    ),
    KnownBad(
        WatermarkSecondsForMillis,
        "incremental.watermark_encoding",
        "events",
        "(as the vendor decodes it), not epoch-ms",
        recorded_with_itself=True,
        caught_when_recorded_with_good_by="incremental.server_filter",
        phrase_when_recorded_with_good="where the closest recorded request",
    ),
    # One root cause, one failure: a request that diverges from the recording (a regression after recording) is
    # failed by the check owning what differs; the other checks whose runs hit it are blocked by that check.
    KnownBad(
        AsksNewestFirst,
        "sort.honest",
        "tickets",
        "sends order='desc' where the closest recorded request",
        phrase_when_recorded_with_itself="ascending (sort_mode='asc')",
    ),
    KnownBad(
        TokenInQuery,
        "credentials.placement",
        "tickets",
        "query parameter 'api_token'",
        refused_when_recorded_with_itself="Unknown parameter: api_token",
    ),
    KnownBad(
        AgentsFromPageZero,
        "pagination.complete",
        "agents",
        "sends page='0' where the closest recorded",
        refused_when_recorded_with_itself="page must be 1 or more",
    ),
    KnownBad(
        BatchesInternally,
        "resume.every_checkpoint",
        "tickets",
        "yielded 1 batch(es)",
        recorded_with_itself=True,
        caught_when_recorded_with_good_by="pagination.complete",
        phrase_when_recorded_with_good="where the closest recorded",
        status="inconclusive",
    ),
    KnownBad(
        BatchesInternally,
        "progress.safe_point",
        "tickets",
        "cannot occur in so few",
        recorded_with_itself=True,
        caught_when_recorded_with_good_by="pagination.complete",
        phrase_when_recorded_with_good="where the closest recorded",
        status="inconclusive",
    ),
    KnownBad(
        DropsIncrementalField,
        "sort.honest",
        "tickets",
        "never compared",
        recorded_with_itself=True,
        status="inconclusive",
    ),
    KnownBad(DropsIncrementalField, "rows.shape", "tickets", "updated_at", recorded_with_itself=True),
    KnownBad(
        IncrementalRecordedAfterAllData,
        "incremental.server_filter",
        "tickets",
        "returned no rows",
        recorded_with_itself=True,
        status="inconclusive",
        incremental_watermark="2030-01-01T00:00:00Z",
    ),
    KnownBad(
        IncrementalRecordedBeforeAllData,
        "incremental.server_filter",
        "tickets",
        "it excluded nothing",
        recorded_with_itself=True,
        status="inconclusive",
        incremental_watermark="2020-01-01T00:00:00Z",
    ),
    # incremental.same_instant runs against the vendor model, so the recording, good or through the bug, is no help.
    KnownBad(WatermarkPlusOneSecond, "incremental.same_instant", "tickets", "but lost 2", recorded_with_itself=True),
    KnownBad(FiltersStrictlyAfter, "incremental.same_instant", "tickets", "but lost 2", recorded_with_itself=True),
)
