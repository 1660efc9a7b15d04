"""Stripe transport: cursor pages, `created` windows, resume, tracked transport and our retries, errors, pipeline."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import requests
import responses

from harness.testing import crash_while_handling, query, sync_items
from sources.common import events
from sources.common.clock import FakeClock, use_clock
from sources.common.errors import ConfigError
from sources.common.http import RequestRecord
from sources.common.typings import SourceInputs
from sources.stripe.settings import CHARGES, ENDPOINTS
from sources.stripe.source import StripeSource, StripeSourceConfig
from sources.stripe.stripe import (
    StripeResumeConfig,
    StripeSyncError,
    Window,
    advance,
    plan_windows,
    to_epoch,
)

from .conftest import API_KEY, HarServer

API = "https://api.stripe.com/v1"
SCHEMAS = sorted(ENDPOINTS)
Rows = list[dict[str, Any]]


def incremental(
    make_inputs: Callable[..., SourceInputs], schema: str, last: Any = None, earliest: Any = None, **overrides: Any
) -> SourceInputs:
    return make_inputs(
        schema,
        should_use_incremental_field=True,
        incremental_field="created",
        incremental_field_type="integer",
        db_incremental_field_last_value=last,
        db_incremental_field_earliest_value=earliest,
        **overrides,
    )


def collect(source: StripeSource, config: StripeSourceConfig, inputs: SourceInputs) -> list[Rows]:
    response = source.source_for_pipeline(config, source.get_resumable_source_manager(inputs), inputs)
    return [batch for batch in response.items() if isinstance(batch, list)]


def fresh_job(inputs: SourceInputs) -> SourceInputs:
    """The same sync under another job id: no resume state."""
    return dataclasses.replace(inputs, job_id=f"{inputs.job_id}-fresh")


def recorded_pages(server: HarServer) -> list[Rows]:
    return [body["data"] for body in server.bodies()]


@pytest.mark.parametrize("schema", SCHEMAS)
def test_full_sync_follows_starting_after_and_keeps_stripe_rows_as_returned(
    source: StripeSource,
    config: StripeSourceConfig,
    make_inputs: Callable[..., SourceInputs],
    serve_har: Callable[[str], HarServer],
    schema: str,
) -> None:
    server = serve_har(f"{schema}/full.har")
    batches = collect(source, config, incremental(make_inputs, schema))
    assert server.served == list(range(len(server.entries)))
    assert batches == recorded_pages(server), "one batch per page, rows exactly as Stripe sent them"
    assert query(server.entries[0].request.url) == {"limit": "10"}
    for previous, entry in zip(server.entries, server.entries[1:], strict=False):
        assert query(entry.request.url)["starting_after"] == json.loads(previous.response.body)["data"][-1]["id"]
    created = [row["created"] for batch in batches for row in batch]
    assert created == sorted(created, reverse=True), "Stripe lists are newest first"
    assert all(
        row["object"] == ENDPOINTS[schema].object_type and row["livemode"] is False for b in batches for row in b
    )


def test_charges_span_several_pages(serve_har: Callable[[str], HarServer]) -> None:
    server = serve_har("charges/full.har")
    bodies = server.bodies()
    assert len(bodies) >= 5
    assert [body["has_more"] for body in bodies] == [True] * (len(bodies) - 1) + [False]


@pytest.mark.parametrize("schema", SCHEMAS)
def test_incremental_asks_for_rows_at_or_after_the_watermark(
    source: StripeSource,
    config: StripeSourceConfig,
    make_inputs: Callable[..., SourceInputs],
    serve_har: Callable[[str], HarServer],
    schema: str,
) -> None:
    watermark = 1711929600
    server = serve_har(f"{schema}/incremental.har")
    batches = collect(source, config, incremental(make_inputs, schema, last=watermark))
    assert len(server.served) == len(server.entries)
    assert all(query(entry.request.url)["created[gte]"] == str(watermark) for entry in server.entries)
    rows = [row for batch in batches for row in batch]
    assert rows and all(row["created"] >= watermark for row in rows)


@pytest.mark.parametrize("schema", SCHEMAS)
def test_earliest_scrolls_older_rows_first_then_newer(
    source: StripeSource,
    config: StripeSourceConfig,
    make_inputs: Callable[..., SourceInputs],
    serve_har: Callable[[str], HarServer],
    schema: str,
) -> None:
    earliest, last = 1709251200, 1714521600
    server = serve_har(f"{schema}/earliest.har")
    batches = collect(source, config, incremental(make_inputs, schema, last=last, earliest=earliest))
    assert len(server.served) == len(server.entries)
    filters = [
        {key: value for key, value in query(entry.request.url).items() if key.startswith("created")}
        for entry in server.entries
    ]
    older = [f for f in filters if f == {"created[lte]": str(earliest)}]
    newer = [f for f in filters if f == {"created[gte]": str(last)}]
    assert len(older) + len(newer) == len(filters)
    assert filters[: len(older)] == older, "every older page comes before the first newer page"
    assert older and newer
    rows = [row for batch in batches for row in batch]
    assert all(row["created"] <= earliest or row["created"] >= last for row in rows)


@pytest.mark.parametrize(
    ("last", "earliest", "expected"),
    [
        (None, None, [Window("all", {})]),
        (1700, None, [Window("newer", {"gte": 1700})]),
        (1700, 1500, [Window("older", {"lte": 1500}), Window("newer", {"gte": 1700})]),
        (None, 1500, [Window("older", {"lte": 1500}), Window("newer", {"gte": 1500})]),
    ],
)
def test_plan_windows(
    make_inputs: Callable[..., SourceInputs], last: int | None, earliest: int | None, expected: list[Window]
) -> None:
    assert plan_windows(CHARGES, incremental(make_inputs, "charges", last=last, earliest=earliest)) == expected


def test_full_refresh_reads_everything(make_inputs: Callable[..., SourceInputs]) -> None:
    inputs = make_inputs("charges", db_incremental_field_last_value=1700)
    assert plan_windows(CHARGES, inputs) == [Window("all", {})]


def test_unsupported_incremental_field_is_refused(
    source: StripeSource, config: StripeSourceConfig, make_inputs: Callable[..., SourceInputs]
) -> None:
    inputs = make_inputs("charges", should_use_incremental_field=True, incremental_field="updated")
    with pytest.raises(ConfigError, match="stripe charges: cannot sync incrementally on 'updated'"):
        source.source_for_pipeline(config, source.get_resumable_source_manager(inputs), inputs)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1711929600, 1711929600),
        (1711929600.9, 1711929600),
        ("1711929600", 1711929600),
        ("2024-04-01T00:00:00Z", 1711929600),
        ("2024-04-01T02:00:00+02:00", 1711929600),
        (datetime(2024, 4, 1, tzinfo=UTC), 1711929600),
        (datetime(2024, 4, 1), 1711929600),
        (datetime(2024, 3, 31, 19, tzinfo=timezone(timedelta(hours=-5))), 1711929600),
        (date(2024, 4, 1), 1711929600),
    ],
)
def test_to_epoch(value: Any, expected: int) -> None:
    assert to_epoch(value, "stripe charges") == expected


@pytest.mark.parametrize("value", ["last tuesday", True, object()])
def test_bad_watermark_is_a_one_line_error(value: Any) -> None:
    with pytest.raises(ConfigError, match="stripe charges: incremental watermark"):
        to_epoch(value, "stripe charges")


def test_saved_state_is_where_the_next_run_starts(
    source: StripeSource,
    config: StripeSourceConfig,
    make_inputs: Callable[..., SourceInputs],
    serve_har: Callable[[str], HarServer],
) -> None:
    server = serve_har("charges/full.har")
    inputs = make_inputs("charges")
    cursor = query(server.entries[3].request.url)["starting_after"]
    source.get_resumable_source_manager(inputs).save_state(StripeResumeConfig("all", cursor))
    batches = collect(source, config, inputs)
    assert server.served == list(range(3, len(server.entries)))
    assert batches == recorded_pages(server)[3:]


def test_saved_window_skips_the_windows_before_it(
    source: StripeSource,
    config: StripeSourceConfig,
    make_inputs: Callable[..., SourceInputs],
    serve_har: Callable[[str], HarServer],
) -> None:
    server = serve_har("charges/earliest.har")
    inputs = incremental(make_inputs, "charges", last=1714521600, earliest=1709251200)
    source.get_resumable_source_manager(inputs).save_state(StripeResumeConfig("newer"))
    collect(source, config, inputs)
    fetched = [server.entries[index].request.url for index in server.served]
    assert fetched and all("created%5Bgte%5D=1714521600" in url for url in fetched)


def test_every_sdk_call_goes_through_the_tracked_transport(
    source: StripeSource,
    config: StripeSourceConfig,
    make_inputs: Callable[..., SourceInputs],
    serve_har: Callable[[str], HarServer],
) -> None:
    server = serve_har("customers/full.har")
    records: list[RequestRecord] = []
    with events.observing(lambda event: records.append(event) if isinstance(event, RequestRecord) else None):
        collect(source, config, make_inputs("customers"))
    assert len(records) == len(server.entries)
    assert [record.url for record in records] == [entry.request.url for entry in server.entries]
    assert all(record.timeout is not None for record in records)


def _sequence(mocked: responses.RequestsMock, answers: list[tuple[int, dict[str, Any]]]) -> list[str]:
    calls: list[str] = []

    def respond(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        calls.append(request.url or "")
        status, body = answers[min(len(calls), len(answers)) - 1]
        return status, {"Request-Id": f"req_{len(calls)}"}, json.dumps(body)

    mocked.add_callback(responses.GET, f"{API}/charges", callback=respond)
    return calls


PAGE = {"object": "list", "data": [{"id": "ch_3Pa", "object": "charge", "created": 1711929600}], "has_more": False}


@pytest.mark.parametrize("status", [429, 500, 503])
def test_transient_errors_are_retried_by_our_policy_on_the_fake_clock(
    source: StripeSource,
    config: StripeSourceConfig,
    make_inputs: Callable[..., SourceInputs],
    mocked: responses.RequestsMock,
    status: int,
) -> None:
    calls = _sequence(mocked, [(status, {"error": {"message": "try again", "type": "api_error"}}), (200, PAGE)])
    with use_clock(FakeClock()) as clock:
        assert collect(source, config, make_inputs("charges")) == [PAGE["data"]]
    assert len(calls) == 2
    assert len(clock.sleeps) == 1, "one backoff, slept on our clock (the SDK's own retries are off)"


def test_bad_request_is_a_one_line_error_naming_the_endpoint(
    source: StripeSource,
    config: StripeSourceConfig,
    make_inputs: Callable[..., SourceInputs],
    mocked: responses.RequestsMock,
) -> None:
    body = {"error": {"message": "Received unknown parameter: foo", "type": "invalid_request_error"}}
    calls = _sequence(mocked, [(400, body)])
    with use_clock(FakeClock()), pytest.raises(StripeSyncError) as raised:
        collect(source, config, make_inputs("charges"))
    assert str(raised.value) == "Received unknown parameter: foo [stripe charges: HTTP 400]"
    assert len(calls) == 1


def test_connection_failure_is_a_one_line_error(
    source: StripeSource,
    config: StripeSourceConfig,
    make_inputs: Callable[..., SourceInputs],
    mocked: responses.RequestsMock,
) -> None:
    mocked.add(responses.GET, f"{API}/charges", body=requests.ConnectionError("connection refused"))
    with use_clock(FakeClock()), pytest.raises(StripeSyncError) as raised:
        collect(source, config, make_inputs("charges"))
    message = str(raised.value)
    assert "\n" not in message
    assert message.endswith("[stripe charges: APIConnectionError]")


def test_has_more_on_an_empty_page_stops_with_an_error(
    source: StripeSource,
    config: StripeSourceConfig,
    make_inputs: Callable[..., SourceInputs],
    mocked: responses.RequestsMock,
) -> None:
    _sequence(mocked, [(200, {"object": "list", "data": [], "has_more": True, "url": "/v1/charges"})])
    with pytest.raises(StripeSyncError, match="stripe charges: Stripe answered has_more=true with an empty page"):
        collect(source, config, make_inputs("charges"))


def test_fake_key_is_never_written_to_a_fixture() -> None:
    fixtures = Path(__file__).resolve().parents[3] / "fixtures" / "stripe"
    for har in fixtures.rglob("*.har"):
        text = har.read_text()
        assert API_KEY not in text
        assert "sk_live_" not in text


def test_state_of_another_plan_starts_over(
    source: StripeSource,
    config: StripeSourceConfig,
    make_inputs: Callable[..., SourceInputs],
    serve_har: Callable[[str], HarServer],
) -> None:
    server = serve_har("charges/full.har")
    inputs = make_inputs("charges")
    source.get_resumable_source_manager(inputs).save_state(StripeResumeConfig("older", "ch_3PfromAnotherRun"))
    batches = collect(source, config, inputs)
    assert server.served == list(range(len(server.entries)))
    assert batches == recorded_pages(server)


def test_the_saved_position_also_names_the_created_second_and_the_ids_delivered_at_it() -> None:
    page1 = [{"id": "ch_c", "created": 30}, {"id": "ch_b", "created": 20}, {"id": "ch_a", "created": 20}]
    page2 = [{"id": "ch_9", "created": 20}, {"id": "ch_8", "created": 10}]
    page3 = [{"id": "ch_7", "created": 10}]
    at = advance(StripeResumeConfig("all"), page1, "ch_a")
    assert at == StripeResumeConfig("all", "ch_a", 20, ["ch_b", "ch_a"])
    assert advance(at, page1[:1], "ch_c") == StripeResumeConfig("all", "ch_c", 30, ["ch_c"])
    at = advance(advance(at, page2[:1], "ch_9"), [], "ch_9")
    assert at == StripeResumeConfig("all", "ch_9", 20, ["ch_b", "ch_a", "ch_9"]), "one second spans pages"
    assert advance(advance(at, page2[1:], "ch_8"), page3, None).delivered == ["ch_8", "ch_7"]


def test_a_resume_whose_starting_after_object_was_deleted_lists_again_from_its_created_second(
    source: StripeSource,
    config: StripeSourceConfig,
    make_inputs: Callable[..., SourceInputs],
    serve_simulator: Callable[[Any], None],
    simulator_module: Any,
) -> None:
    dataset = simulator_module.build_dataset()
    simulator = simulator_module.StripeSimulator(dataset)
    serve_simulator(simulator)
    inputs = make_inputs("customers")
    full = [row["id"] for batch in collect(source, config, fresh_job(inputs)) for row in batch]
    durable = crash_while_handling(sync_items(source, config, inputs), batch=3)
    saved = source.get_resumable_source_manager(inputs).load_state()
    assert saved is not None and saved.starting_after == durable[-1][-1]["id"]
    assert saved.created == durable[-1][-1]["created"] and saved.starting_after in saved.delivered
    customers = dataset.objects["customers"]
    customers.remove(next(row for row in customers if row["id"] == saved.starting_after))
    simulator.requests.clear()
    resumed = [row["id"] for batch in collect(source, config, inputs) for row in batch]
    assert resumed == full[len(full) - len(resumed) :] and full[: len(full) - len(resumed)] == [
        row["id"] for batch in durable for row in batch
    ], "the resume continues right after the deleted customer: nothing lost, nothing delivered again"
    assert [query(request.split(" ", 1)[1]) for request in simulator.requests[:2]] == [
        {"limit": "10", "starting_after": saved.starting_after},
        {"limit": "10", "created[lte]": str(saved.created)},
    ]


def test_a_position_saved_without_its_created_second_restarts_the_window_when_its_object_is_gone(
    source: StripeSource,
    config: StripeSourceConfig,
    make_inputs: Callable[..., SourceInputs],
    serve_simulator: Callable[[Any], None],
    simulator_module: Any,
) -> None:
    serve_simulator(simulator_module.StripeSimulator(simulator_module.build_dataset()))
    inputs = make_inputs("customers")
    source.get_resumable_source_manager(inputs).save_state(StripeResumeConfig("all", "cus_deletedLongAgo"))
    resumed = [row["id"] for batch in collect(source, config, inputs) for row in batch]
    assert resumed == [row["id"] for batch in collect(source, config, fresh_job(inputs)) for row in batch]


def test_a_resource_missing_that_is_not_the_cursor_is_still_an_error(
    source: StripeSource, config: StripeSourceConfig, make_inputs: Callable[..., SourceInputs], mocked: Any
) -> None:
    body = {"error": {"code": "resource_missing", "message": "No such customer: 'cus_x'", "param": "customer"}}
    mocked.add(responses.GET, f"{API}/charges", json=body, status=400)
    inputs = make_inputs("charges")
    source.get_resumable_source_manager(inputs).save_state(StripeResumeConfig("all", "ch_3Pgone", 1, ["ch_3Pgone"]))
    with pytest.raises(StripeSyncError, match=r"^No such customer: 'cus_x' \[stripe charges: HTTP 400\]$"):
        collect(source, config, inputs)
