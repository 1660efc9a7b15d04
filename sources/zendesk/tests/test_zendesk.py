"""Transport level: exports and lists over recorded pages, start_time, rows, resume, retries and the pipeline."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from harness.fixtures.manifest import load_manifest
from harness.pipeline import read_table, run
from harness.runs.sync_driver import open_response
from harness.testing import CORRUPT_SAVED_POSITIONS, crash_while_handling, recorded_bodies, store_raw_state
from sources.common.clock import FakeClock, use_clock
from sources.common.errors import ResumableStateError
from sources.common.typings import SourceInputs
from sources.zendesk.settings import ENDPOINTS
from sources.zendesk.source import ZendeskSource, ZendeskSourceConfig
from sources.zendesk.zendesk import ZendeskError, epoch_seconds, error_detail, initial_params, normalize_subdomain

from .conftest import FIXTURES, HarServer

CONFIG = ZendeskSourceConfig(
    subdomain="acme-outdoors",
    email="admin@acme-outdoors.example",
    api_token="fake-zendesk-api-token-0001",
    page_size=10,
)
DATA_KEYS = {"tickets": "tickets", "users": "users", "groups": "groups"}
MANIFEST = load_manifest(FIXTURES)

ServeHar = Callable[[str], HarServer]


def inputs_for(schema: str, job_id: str, last_value: Any = None) -> SourceInputs:
    incremental = schema != "groups"
    return SourceInputs(
        schema_name=schema,
        team_id=4,
        job_id=job_id,
        schema_id=f"zendesk-{schema}",
        should_use_incremental_field=incremental,
        incremental_field="updated_at" if incremental else None,
        incremental_field_type="datetime" if incremental else None,
        db_incremental_field_last_value=last_value,
    )


def open_items(inputs: SourceInputs) -> Iterator[Any]:
    return iter(open_response(ZendeskSource(), CONFIG, inputs).items())


def bodies(relative: str) -> list[dict[str, Any]]:
    return recorded_bodies(FIXTURES / relative)


def recorded_rows(relative: str, key: str) -> list[dict[str, Any]]:
    return [row for body in bodies(relative) for row in body[key]]


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


@pytest.mark.parametrize("schema", ["tickets", "users", "groups"])
def test_full_sync_pages_through_every_recorded_page(serve_har: ServeHar, job_id: str, schema: str) -> None:
    server = serve_har(f"{schema}/full.har")
    batches = list(open_items(inputs_for(schema, job_id)))

    assert server.served == list(range(len(server.entries)))
    assert len(batches) == len(server.entries)
    rows = [row for batch in batches for row in batch]
    assert rows == recorded_rows(f"{schema}/full.har", DATA_KEYS[schema])  # rows exactly as the API sent them
    assert len({row["id"] for row in rows}) == len(rows)


def test_tickets_full_fixture_spans_five_pages(serve_har: ServeHar, job_id: str) -> None:
    server = serve_har("tickets/full.har")
    assert len(list(open_items(inputs_for("tickets", job_id)))) == len(server.entries) >= 5
    assert query(server.entries[0].request.url) == {"per_page": ["10"], "start_time": ["0"]}
    for entry in server.entries[1:]:
        assert set(query(entry.request.url)) == {"cursor", "per_page"}  # after_url, without start_time


@pytest.mark.parametrize("schema", ["tickets", "users"])
def test_export_stops_on_end_of_stream_although_after_url_is_set(serve_har: ServeHar, job_id: str, schema: str) -> None:
    server = serve_har(f"{schema}/full.har")
    list(open_items(inputs_for(schema, job_id)))
    last = json.loads(server.entries[-1].response.body)
    assert last["end_of_stream"] is True and last["after_url"]
    assert all(not json.loads(entry.response.body)["end_of_stream"] for entry in server.entries[:-1])
    assert len(server.served) == len(server.entries)


def test_list_stops_when_has_more_is_false_although_links_next_is_set(serve_har: ServeHar, job_id: str) -> None:
    server = serve_har("groups/full.har")
    list(open_items(inputs_for("groups", job_id)))
    last = json.loads(server.entries[-1].response.body)
    assert last["meta"]["has_more"] is False and last["links"]["next"]
    assert len(server.served) == len(server.entries) == 2
    assert query(server.entries[0].request.url) == {"page[size]": ["10"]}


@pytest.mark.parametrize("schema", ["tickets", "users"])
def test_incremental_sync_starts_at_the_watermark(serve_har: ServeHar, job_id: str, schema: str) -> None:
    scenario = MANIFEST.endpoints[schema].scenarios["incremental"]
    server = serve_har(f"{schema}/incremental.har")
    rows = [row for batch in open_items(inputs_for(schema, job_id, scenario.last_value)) for row in batch]

    watermark = datetime.fromisoformat(scenario.last_value.replace("Z", "+00:00"))
    assert query(server.entries[0].request.url)["start_time"] == [str(int(watermark.timestamp()))]
    assert rows and all(row["updated_at"] >= scenario.last_value for row in rows)
    full = recorded_rows(f"{schema}/full.har", schema)
    newer = [row["id"] for row in full if row["updated_at"] >= scenario.last_value]
    assert sorted(row["id"] for row in rows) == sorted(newer)


@pytest.mark.parametrize("schema", ["tickets", "users"])
def test_future_watermark_yields_nothing(serve_har: ServeHar, job_id: str, schema: str) -> None:
    scenario = MANIFEST.endpoints[schema].scenarios["future"]
    server = serve_har(f"{schema}/future.har")
    assert list(open_items(inputs_for(schema, job_id, scenario.last_value))) == []
    assert server.served == [0]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-15T00:00:00Z", 1710460800),
        ("2024-03-15T01:00:00+01:00", 1710460800),
        ("2024-03-15T00:00:00", 1710460800),
        (datetime(2024, 3, 15, 0, 0, 0, 900_000, tzinfo=UTC), 1710460800),
        (datetime(2024, 3, 15), 1710460800),
        (date(2024, 3, 15), 1710460800),
        (1710460800, 1710460800),
        (1710460800.7, 1710460800),
    ],
)
def test_epoch_seconds(value: Any, expected: int) -> None:
    assert epoch_seconds(value, "zendesk tickets") == expected


@pytest.mark.parametrize("value", ["last tuesday", False, None, {"t": 1}])
def test_epoch_seconds_rejects_garbage(value: Any) -> None:
    with pytest.raises(ZendeskError, match=r"^zendesk tickets: watermark .* is not"):
        epoch_seconds(value, "zendesk tickets")


def test_initial_params_full_export_starts_at_zero() -> None:
    inputs = inputs_for("tickets", "job")
    assert initial_params(ENDPOINTS["tickets"], inputs, 10) == {"per_page": 10, "start_time": 0}


def test_initial_params_caps_page_size_per_endpoint() -> None:
    assert initial_params(ENDPOINTS["users"], inputs_for("users", "job"), 5000)["per_page"] == 1000
    assert initial_params(ENDPOINTS["groups"], inputs_for("groups", "job"), 5000) == {"page[size]": 100}


def test_initial_params_keep_start_time_a_minute_in_the_past() -> None:
    now = datetime(2024, 7, 1, tzinfo=UTC).timestamp()
    inputs = inputs_for("tickets", "job", last_value="2030-01-01T00:00:00Z")
    with use_clock(FakeClock(start=now)):
        assert initial_params(ENDPOINTS["tickets"], inputs, 10)["start_time"] == int(now) - 60


def test_clamped_start_time_is_accepted_by_the_api(
    serve_simulator: Callable[..., None], simulator_module: Any, job_id: str
) -> None:
    simulator = simulator_module.ZendeskSimulator(simulator_module.build_dataset())
    serve_simulator(simulator)
    with use_clock(FakeClock(start=simulator_module.NOW.timestamp())):
        assert list(open_items(inputs_for("users", job_id, "2031-05-05T00:00:00Z"))) == []
    assert simulator.requests_seen == 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [("acme", "acme"), (" Acme.Zendesk.com ", "acme"), ("http://acme-2.zendesk.com/", "acme-2"), ("a b", None)],
)
def test_normalize_subdomain(value: str, expected: str | None) -> None:
    assert normalize_subdomain(value) == expected


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (401, '{"error": "Couldn\'t authenticate you"}', "Couldn't authenticate you"),
        (403, '{"error": "Forbidden", "description": "No access"}', "Forbidden: No access"),
        (404, '{"error": {"title": "No help desk at x", "message": "Claim it"}}', "No help desk at x: Claim it"),
        (502, "<html>Bad gateway</html>", "<html>Bad gateway</html>"),
        (500, "", "empty body"),
    ],
)
def test_error_detail(status: int, body: str, expected: str) -> None:
    response = requests.Response()
    response.status_code, response._content = status, body.encode()
    assert error_detail(response) == expected


def test_state_is_saved_only_after_each_batch_was_handed_over(serve_har: ServeHar, job_id: str) -> None:
    server = serve_har("tickets/full.har")
    inputs = inputs_for("tickets", job_id)
    manager = ZendeskSource().get_resumable_source_manager(inputs)
    states: list[str | None] = []
    for _batch in open_items(inputs):
        state = manager.load_state()
        states.append(state.next_request["url"] if state else None)
    urls = [entry.request.url for entry in server.entries]
    assert states[0] is None
    for number, url in enumerate(states[1:], start=1):
        assert url is not None and query(url) == query(urls[number])


def test_resume_continues_from_the_saved_cursor(serve_har: ServeHar, job_id: str) -> None:
    server = serve_har("tickets/full.har")
    inputs = inputs_for("tickets", job_id)
    delivered = crash_while_handling(open_items(inputs), batch=3)  # batch 3 is lost with the crash

    resumed = [row for batch in open_items(inputs) for row in batch]

    assert server.served == [0, 1, 2, 2, 3, 4]
    ids = [row["id"] for batch in delivered for row in batch] + [row["id"] for row in resumed]
    assert ids == [row["id"] for row in recorded_rows("tickets/full.har", "tickets")]


def test_rate_limit_waits_for_retry_after(
    serve_simulator: Callable[..., None], simulator_module: Any, job_id: str
) -> None:
    simulator = simulator_module.ZendeskSimulator(simulator_module.build_dataset(), throttle_requests=frozenset({3}))
    serve_simulator(simulator)
    with use_clock(FakeClock()) as clock:
        rows = [row for batch in open_items(inputs_for("users", job_id)) for row in batch]
    assert clock.sleeps == [7.0]
    assert len(rows) == simulator_module.USER_COUNT
    assert simulator.requests_seen == 5  # four pages and the throttled attempt


def test_an_agent_token_fails_the_export_once_with_the_vendor_reason(
    serve_simulator: Callable[..., None], simulator_module: Any, job_id: str
) -> None:
    simulator = simulator_module.ZendeskSimulator(simulator_module.build_dataset(), role="agent")
    serve_simulator(simulator)
    with pytest.raises(requests.HTTPError) as caught:
        list(open_items(inputs_for("tickets", job_id)))
    assert str(caught.value).startswith("403 Client Error: Forbidden for url: https://acme-outdoors.zendesk.com/")
    assert "[zendesk tickets: Forbidden: You do not have access to this page." in str(caught.value)
    assert simulator.requests_seen == 1


def test_resync_reads_only_rows_changed_since_the_watermark(
    serve_simulator: Callable[..., None], simulator_module: Any, job_id: str
) -> None:
    later = simulator_module.build_dataset(later=True)
    serve_simulator(simulator_module.ZendeskSimulator(later))
    watermark = simulator_module.max_updated_at("tickets")
    rows = [row for batch in open_items(inputs_for("tickets", job_id, watermark)) for row in batch]
    assert {row["id"] for row in rows} == {row["id"] for row in later["tickets"] if row["updated_at"] >= watermark}
    assert len(rows) == 9  # 5 edited, 3 new, and the row at the (inclusive) watermark


@pytest.mark.parametrize("schema", ["tickets", "users", "groups"])
def test_full_fixture_lands_in_delta_through_the_pipeline(
    serve_har: ServeHar, job_id: str, tmp_path: Path, schema: str
) -> None:
    serve_har(f"{schema}/full.har")
    inputs = inputs_for(schema, job_id)
    response = open_response(ZendeskSource(), CONFIG, inputs)

    result = run(response, inputs, tmp_path / schema, source_name="zendesk")

    recorded = recorded_rows(f"{schema}/full.har", DATA_KEYS[schema])
    assert result.rows_written == len(recorded)
    table = read_table(result.table_path)
    assert sorted(table.column("id").to_pylist()) == sorted(row["id"] for row in recorded)
    assert set(table.column(result.partition_column).to_pylist()) == {row["created_at"][:7] for row in recorded}
    if schema == "groups":
        assert result.write_disposition == "full_refresh" and result.watermark is None
    else:
        assert result.watermark is not None
        newest = max(row["updated_at"] for row in recorded)
        assert result.watermark.last_value == datetime.fromisoformat(newest)  # stored typed, as the field's type


@pytest.mark.parametrize(
    ("body", "found"),
    [
        ({"error": "x"}, "['error']"),
        ([], "list"),
        ({"tickets": {"id": 1}}, "['tickets']"),
        ({"tickets": [1]}, "['tickets']"),
    ],
)
def test_a_body_without_the_row_list_is_a_clear_error(
    mocked: responses.RequestsMock, job_id: str, body: Any, found: str
) -> None:
    mocked.get("https://acme-outdoors.zendesk.com/api/v2/incremental/tickets/cursor.json", json=body)
    with pytest.raises(ZendeskError) as caught:
        list(open_items(inputs_for("tickets", job_id)))
    assert str(caught.value) == f"zendesk tickets: expected a `tickets` list of objects in the body, got {found}"


@pytest.mark.parametrize("stored", CORRUPT_SAVED_POSITIONS)
def test_a_corrupt_saved_position_names_the_source_and_endpoint(job_id: str, stored: str) -> None:
    inputs = inputs_for("tickets", job_id)
    store_raw_state(inputs, stored)
    with pytest.raises(ResumableStateError) as caught:
        list(open_items(inputs))
    assert str(caught.value).startswith("zendesk tickets: cannot resume from the saved position: ")
    assert "\n" not in str(caught.value)
