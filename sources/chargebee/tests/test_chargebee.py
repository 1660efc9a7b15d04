"""Transport level: next_offset pagination over recorded pages, filters, rows, resume, retries and the pipeline."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
import requests
import responses

from harness.fixtures.manifest import load_manifest
from harness.testing import CORRUPT_SAVED_POSITIONS, crash_while_handling, recorded_bodies, store_raw_state, sync_items
from harness.testing import query_lists as query
from sources.chargebee.chargebee import ChargebeeError, epoch_seconds, error_detail, initial_params, normalize_site
from sources.chargebee.settings import ENDPOINTS
from sources.chargebee.source import ChargebeeSource, ChargebeeSourceConfig
from sources.common.clock import FakeClock, use_clock
from sources.common.errors import ResumableStateError
from sources.common.typings import SourceInputs

from .conftest import FIXTURES, HarServer

CONFIG = ChargebeeSourceConfig(site="acme-test", api_key="fake-chargebee-api-key-0001", page_size=10)
OBJECT_KEYS = {"customers": "customer", "subscriptions": "subscription", "invoices": "invoice"}
SCHEMAS = list(OBJECT_KEYS)
MANIFEST = load_manifest(FIXTURES)

ServeHar = Callable[[str], HarServer]


def inputs_for(schema: str, job_id: str, last_value: Any = None, incremental: bool = True) -> SourceInputs:
    return SourceInputs(
        schema_name=schema,
        team_id=5,
        job_id=job_id,
        schema_id=f"chargebee-{schema}",
        should_use_incremental_field=incremental,
        incremental_field="updated_at" if incremental else None,
        incremental_field_type="integer" if incremental else None,
        db_incremental_field_last_value=last_value,
    )


open_items = functools.partial(sync_items, ChargebeeSource(), CONFIG)


def bodies(relative: str) -> list[dict[str, Any]]:
    return recorded_bodies(FIXTURES / relative)


def recorded_rows(schema: str, scenario: str = "full") -> list[dict[str, Any]]:
    return [entry[OBJECT_KEYS[schema]] for body in bodies(f"{schema}/{scenario}.har") for entry in body["list"]]


@pytest.mark.parametrize("schema", SCHEMAS)
def test_each_page_sends_the_previous_next_offset(serve_har: ServeHar, job_id: str, schema: str) -> None:
    server = serve_har(f"{schema}/full.har")
    list(open_items(inputs_for(schema, job_id)))
    first = query(server.entries[0].request.url)
    assert first == {"limit": ["10"], "include_deleted": ["true"], "sort_by[asc]": ["updated_at"]}
    for previous, entry in zip(server.entries, server.entries[1:], strict=False):
        sent = query(entry.request.url)
        assert sent.pop("offset") == [json.loads(previous.response.body)["next_offset"]]
        assert sent == first
    assert "next_offset" not in json.loads(server.entries[-1].response.body)


def test_subscription_rows_leave_the_side_loaded_customer_out(serve_har: ServeHar, job_id: str) -> None:
    serve_har("subscriptions/full.har")
    first_batch = next(open_items(inputs_for("subscriptions", job_id)))
    entries = bodies("subscriptions/full.har")[0]["list"]
    assert all("customer" in entry for entry in entries)
    assert first_batch == [entry["subscription"] for entry in entries]


def test_deleted_records_are_synced(serve_har: ServeHar, job_id: str) -> None:
    serve_har("customers/full.har")
    rows = [row for batch in open_items(inputs_for("customers", job_id)) for row in batch]
    assert [row["deleted"] for row in rows].count(True) == 1


@pytest.mark.parametrize("schema", SCHEMAS)
def test_incremental_sync_filters_from_the_second_before_the_watermark(
    serve_har: ServeHar, job_id: str, schema: str
) -> None:
    """`updated_at[after]` is strictly after, on whole seconds: asking after the second before the watermark keeps
    the rows stored at the watermark itself (written in its second after the last sync read the site)."""
    scenario = MANIFEST.endpoints[schema].scenarios["incremental"]
    server = serve_har(f"{schema}/incremental.har")
    rows = [row for batch in open_items(inputs_for(schema, job_id, scenario.last_value)) for row in batch]

    assert query(server.entries[0].request.url)["updated_at[after]"] == [str(scenario.last_value - 1)]
    assert rows and all(row["updated_at"] >= scenario.last_value for row in rows)
    newer = [row["id"] for row in recorded_rows(schema) if row["updated_at"] >= scenario.last_value]
    assert [row["id"] for row in rows] == newer


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1709251200, 1709251200),
        (1709251200.9, 1709251200),
        ("1709251200", 1709251200),
        ("2024-03-01T00:00:00Z", 1709251200),
        ("2024-03-01T01:00:00+01:00", 1709251200),
        (datetime(2024, 3, 1, tzinfo=UTC), 1709251200),
        (datetime(2024, 3, 1), 1709251200),
        (date(2024, 3, 1), 1709251200),
    ],
)
def test_epoch_seconds(value: Any, expected: int) -> None:
    assert epoch_seconds(value, "chargebee customers") == expected


@pytest.mark.parametrize("value", ["soon", True, None, [1]])
def test_epoch_seconds_rejects_garbage(value: Any) -> None:
    with pytest.raises(ChargebeeError, match=r"^chargebee customers: watermark .* is neither epoch seconds"):
        epoch_seconds(value, "chargebee customers")


@pytest.mark.parametrize(
    ("incremental", "last_value", "extra"),
    [
        (True, None, {}),
        (True, 1709251200, {"updated_at[after]": 1709251199}),
        (True, "2024-03-01T00:00:00Z", {"updated_at[after]": 1709251199}),
        (False, 1709251200, {}),
    ],
)
def test_initial_params(incremental: bool, last_value: Any, extra: dict[str, Any]) -> None:
    inputs = inputs_for("invoices", "job", last_value=last_value, incremental=incremental)
    expected = {"limit": 10, "include_deleted": "true", "sort_by[asc]": "updated_at", **extra}
    assert initial_params(ENDPOINTS["invoices"], inputs, 10) == expected


def test_page_size_is_capped_at_the_api_limit() -> None:
    assert initial_params(ENDPOINTS["customers"], inputs_for("customers", "job"), 250)["limit"] == 100


@pytest.mark.parametrize(
    ("value", "expected"),
    [("acme", "acme"), (" ACME-test.chargebee.com/ ", "acme-test"), ("https://x1.chargebee.com", "x1"), ("a_b", None)],
)
def test_normalize_site(value: str, expected: str | None) -> None:
    assert normalize_site(value) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('{"message": "Invalid api key", "api_error_code": "api_auth_failed"}', "api_auth_failed: Invalid api key"),
        ('{"error": "something else"}', '{"error": "something else"}'),
        ("<html>502</html>", "<html>502</html>"),
        ("", "empty body"),
    ],
)  # fmt: skip
def test_error_detail(body: str, expected: str) -> None:
    response = requests.Response()
    response.status_code, response._content = 400, body.encode()
    assert error_detail(response) == expected


def test_resume_continues_from_the_saved_offset(serve_har: ServeHar, job_id: str) -> None:
    server = serve_har("customers/full.har")
    inputs = inputs_for("customers", job_id, last_value=None)
    delivered = crash_while_handling(open_items(inputs), batch=4)  # batch 4 is lost with the crash

    resumed = [row for batch in open_items(inputs) for row in batch]

    assert server.served == [0, 1, 2, 3, 3, 4, 5]
    ids = [row["id"] for batch in delivered for row in batch] + [row["id"] for row in resumed]
    assert ids == [row["id"] for row in recorded_rows("customers")]


def test_rate_limit_waits_for_retry_after(
    serve_simulator: Callable[..., None], simulator_module: Any, job_id: str
) -> None:
    simulator = simulator_module.ChargebeeSimulator(simulator_module.build_dataset(), throttle_requests=frozenset({1}))
    serve_simulator(simulator)
    with use_clock(FakeClock()) as clock:
        rows = [row for batch in open_items(inputs_for("subscriptions", job_id)) for row in batch]
    assert clock.sleeps == [2.0]
    assert [row["id"] for row in rows] == [row["id"] for row in recorded_rows("subscriptions")]


def test_a_rejected_request_fails_once_naming_the_endpoint_and_parameter(
    mocked: responses.RequestsMock, job_id: str
) -> None:
    body = {
        "message": "sort_by[asc] : invalid value updated_at",
        "type": "invalid_request",
        "api_error_code": "invalid_request",
        "param": "sort_by[asc]",
        "http_status_code": 400,
    }
    mocked.get("https://acme-test.chargebee.com/api/v2/invoices", status=400, json=body)
    with pytest.raises(requests.HTTPError) as caught:
        list(open_items(inputs_for("invoices", job_id)))
    text = str(caught.value)
    assert text.startswith("400 Client Error: Bad Request for url: https://acme-test.chargebee.com/api/v2/invoices?")
    assert text.endswith("[chargebee invoices: invalid_request: sort_by[asc] : invalid value updated_at]")
    assert len(mocked.calls) == 1


def test_resync_reads_only_rows_changed_since_the_watermark(
    serve_simulator: Callable[..., None], simulator_module: Any, job_id: str
) -> None:
    later = simulator_module.build_dataset(later=True)
    serve_simulator(simulator_module.ChargebeeSimulator(later))
    watermark = simulator_module.max_updated_at("invoices")
    rows = [row for batch in open_items(inputs_for("invoices", job_id, watermark)) for row in batch]
    assert {row["id"] for row in rows} == {row["id"] for row in later["invoices"] if row["updated_at"] >= watermark}
    assert len(rows) == 8  # the row at the watermark again (the merge dedupes it), 3 changed, 4 new


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"customers": []}, "expected a `list` of entries in the body, got ['customers']"),
        ([], "expected a `list` of entries in the body, got list"),
        ({"list": ["x"]}, "expected a `list` of entries in the body, got ['list']"),
        ({"list": [{"card": {}}]}, "a `list` entry has no `customer` object"),
    ],
)
def test_a_body_without_the_entry_list_is_a_clear_error(
    mocked: responses.RequestsMock, job_id: str, body: Any, message: str
) -> None:
    mocked.get("https://acme-test.chargebee.com/api/v2/customers", json=body)
    with pytest.raises(ChargebeeError) as caught:
        list(open_items(inputs_for("customers", job_id)))
    assert str(caught.value) == f"chargebee customers: {message}"


@pytest.mark.parametrize("stored", CORRUPT_SAVED_POSITIONS)
def test_a_corrupt_saved_position_names_the_source_and_endpoint(job_id: str, stored: str) -> None:
    inputs = inputs_for("customers", job_id)
    store_raw_state(inputs, stored)
    with pytest.raises(ResumableStateError) as caught:
        list(open_items(inputs))
    assert str(caught.value).startswith("chargebee customers: cannot resume from the saved position: ")
    assert "\n" not in str(caught.value)
