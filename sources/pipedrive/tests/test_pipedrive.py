"""Pipedrive: what is specific to this vendor (form, config, request parameters, rows, error bodies, rate limits,
the cursor resume state).

The conformance suite (`pytest harness --source pipedrive`) already proves paging, credentials by status, the
future watermark and resume at every checkpoint; they are not tested again here.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import tomllib
from typing import Any

import pytest
import requests

from harness.paths import FIXTURES_ROOT
from harness.testing import (
    CORRUPT_SAVED_POSITIONS,
    config_error,
    crash_while_handling,
    query,
    store_raw_state,
    sync_items,
)
from sources.common.fields import SourceFieldInputConfigType
from sources.common.registry import SourceRegistry
from sources.pipedrive.pipedrive import initial_params
from sources.pipedrive.settings import ENDPOINTS
from sources.pipedrive.source import PipedriveSource

MANIFEST = tomllib.loads((FIXTURES_ROOT / "pipedrive" / "manifest.toml").read_text())
INCREMENTAL = ("deals", "persons", "organizations")


def incremental_inputs(make_inputs: Any, schema: str, last_value: Any) -> Any:
    return make_inputs(
        schema,
        should_use_incremental_field=True,
        incremental_field="update_time",
        incremental_field_type="datetime",
        db_incremental_field_last_value=last_value,
    )


def recorded_watermark(endpoint: str) -> dt.datetime:
    text = MANIFEST["endpoints"][endpoint]["scenarios"]["incremental"]["last_value"]
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def rows_of(batches: Any) -> list[dict[str, Any]]:
    return [row for batch in batches for row in batch]


def cursor_position(url: str) -> dict[str, Any]:
    cursor = query(url)["cursor"]
    return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))


def test_registered_with_a_password_api_token(source: PipedriveSource) -> None:
    assert SourceRegistry.get_source_class("pipedrive") is PipedriveSource
    fields = {field.name: field for field in source.get_source_config.fields}
    assert fields["api_token"].type is SourceFieldInputConfigType.PASSWORD
    assert source.sensitive_keys == {"api_token"}
    assert "Personal preferences > API" in (source.get_source_config.caption or "")


@pytest.mark.parametrize(
    ("payload", "named"),
    [
        ({}, "api_token"),
        ({"api_token": "fake-token", "page_size": 0}, "page_size"),
        ({"api_token": "fake-token", "page_size": 501}, "page_size"),
    ],
)
def test_bad_config_names_the_field(source: PipedriveSource, payload: dict, named: str) -> None:
    assert re.match(rf"pipedrive config(?: > \w+)?: field '{named}'", config_error(source, payload))


def test_the_vendor_maximum_of_500_rows_per_request_is_accepted(source: PipedriveSource) -> None:
    assert source.parse_config({"api_token": "fake-token", "page_size": 500}).page_size == 500


def test_deals_persons_organizations_are_incremental_on_update_time_and_stages_full_refresh(
    source: PipedriveSource, config: object
) -> None:
    schemas = {schema.name: schema for schema in source.get_schemas(config, team_id=1)}
    assert list(schemas) == list(ENDPOINTS) == [*INCREMENTAL, "stages"]
    for name in INCREMENTAL:
        assert [field.field for field in schemas[name].incremental_fields] == ["update_time"]
        assert ENDPOINTS[name].partition_key == "add_time"
    assert not schemas["stages"].supports_incremental


@pytest.mark.parametrize("endpoint", INCREMENTAL)
def test_incremental_sync_filters_on_updated_since_and_sorts_ascending(
    endpoint: str, source: PipedriveSource, config: Any, make_inputs: Any, serve_har: Any, mocked: Any
) -> None:
    server = serve_har(endpoint, "incremental")
    watermark = recorded_watermark(endpoint)
    rows = rows_of(sync_items(source, config, incremental_inputs(make_inputs, endpoint, watermark)))

    assert server.all_served
    first = mocked.calls[0].request
    assert query(first.url) == {
        "limit": "10",
        "sort_by": "update_time",
        "sort_direction": "asc",
        "updated_since": watermark.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    assert first.headers["x-api-token"] == "fake-pipedrive-api-token-0001"
    assert all("api_token" not in query(call.request.url) for call in mocked.calls)
    assert rows == server.rows("data")


def test_the_watermark_is_sent_in_utc_with_z_to_the_second(make_inputs: Any) -> None:
    tallinn = dt.timezone(dt.timedelta(hours=3))
    watermark = dt.datetime(2024, 5, 1, 12, 30, 45, 987654, tzinfo=tallinn)
    params = initial_params(ENDPOINTS["persons"], incremental_inputs(make_inputs, "persons", watermark), 10)
    assert params["updated_since"] == "2024-05-01T09:30:45Z"


def test_a_full_sync_of_an_incremental_endpoint_still_sorts_by_update_time(make_inputs: Any) -> None:
    assert initial_params(ENDPOINTS["deals"], make_inputs("deals"), 10) == {
        "limit": 10,
        "sort_by": "update_time",
        "sort_direction": "asc",
    }


def test_stages_send_only_the_page_size_and_cursor(
    source: PipedriveSource, config: Any, make_inputs: Any, serve_har: Any, mocked: Any
) -> None:
    server = serve_har("stages", "full")
    rows = rows_of(sync_items(source, config, make_inputs("stages")))
    assert server.all_served
    assert [sorted(query(call.request.url)) for call in mocked.calls] == [["limit"]] + [["cursor", "limit"]] * (
        len(mocked.calls) - 1
    )
    assert [row["id"] for row in rows] == sorted(row["id"] for row in rows)


def test_persons_keep_their_emails_and_phones_arrays(
    source: PipedriveSource, config: Any, make_inputs: Any, serve_har: Any
) -> None:
    server = serve_har("persons", "full")
    rows = rows_of(sync_items(source, config, make_inputs("persons")))
    assert rows == server.rows("data")
    assert all(isinstance(row["emails"], list) and row["emails"][0]["primary"] for row in rows)
    assert any(len(row["phones"]) > 1 for row in rows)


@pytest.mark.parametrize(
    ("simulator_options", "status", "vendor_text", "advice"),
    [
        ({"token": "fake-pipedrive-api-token-other"}, 401, "unauthorized access", "rejected the API token"),
        ({"forbidden_endpoints": frozenset({"deals"})}, 403, "ERR_FORBIDDEN: You do not have", "a company admin"),
    ],
)
def test_auth_errors_carry_pipedrive_reason_and_map_to_advice(
    simulator_options: dict,
    status: int,
    vendor_text: str,
    advice: str,
    source: PipedriveSource,
    config: Any,
    make_inputs: Any,
    serve_simulator: Any,
    simulator_module: Any,
    mocked: Any,
) -> None:
    serve_simulator(simulator_module.Simulator(simulator_module.dataset(), **simulator_options))
    with pytest.raises(requests.HTTPError) as raised:
        list(sync_items(source, config, make_inputs("deals")))
    message = str(raised.value)
    assert f"[pipedrive deals: {vendor_text}" in message
    assert "(Please check developers.pipedrive.com" in message
    matches = [text for prefix, text in source.get_non_retryable_errors().items() if message.startswith(prefix)]
    assert len(matches) == 1 and advice in (matches[0] or "")
    assert len(mocked.calls) == 1, f"a {status} must not be retried"


def test_credential_messages_quote_pipedrive(
    source: PipedriveSource, config: Any, serve_simulator: Any, simulator_module: Any
) -> None:
    data = simulator_module.dataset()
    serve_simulator(simulator_module.Simulator(data, forbidden_endpoints=frozenset({"deals"})))
    assert source.validate_credentials(config, 1) == (True, None)
    ok, message = source.validate_credentials(config, 1, "deals")
    assert not ok and message is not None
    assert message.startswith("The Pipedrive user of this API token cannot read deals (ERR_FORBIDDEN: You do not")


def test_rejected_token_message(
    source: PipedriveSource, config: Any, serve_simulator: Any, simulator_module: Any
) -> None:
    serve_simulator(simulator_module.Simulator(simulator_module.dataset(), token="fake-pipedrive-api-token-other"))
    ok, message = source.validate_credentials(config, 1)
    assert not ok
    assert message == (
        "Pipedrive rejected the API token (unauthorized access (Please check developers.pipedrive.com for more "
        "information about Pipedrive API.)). Copy it again from Personal preferences > API."
    )


def test_burst_limit_waits_the_x_ratelimit_reset_seconds(
    source: PipedriveSource,
    config: Any,
    make_inputs: Any,
    serve_simulator: Any,
    simulator_module: Any,
    fake_clock: Any,
) -> None:
    data = simulator_module.dataset()
    serve_simulator(simulator_module.Simulator(data, burst_limited=2))
    rows = rows_of(sync_items(source, config, make_inputs("stages")))
    assert [row["id"] for row in rows] == [row["id"] for row in data["stages"]]
    assert fake_clock.sleeps == [2.0, 2.0]


def test_a_resume_continues_from_pipedrive_cursor(
    source: PipedriveSource, config: Any, make_inputs: Any, serve_simulator: Any, simulator_module: Any, mocked: Any
) -> None:
    data = simulator_module.dataset()
    serve_simulator(simulator_module.Simulator(data))
    inputs = make_inputs("deals")
    durable = crash_while_handling(sync_items(source, config, inputs), batch=3)
    crashed_requests = len(mocked.calls)

    resumed = rows_of(sync_items(source, config, inputs))

    first_resumed = mocked.calls[crashed_requests].request.url
    position = cursor_position(first_resumed)
    by_update = sorted(data["deals"], key=lambda row: (row["update_time"], row["id"]))
    assert position == {"sort_by": "update_time", "value": by_update[20]["update_time"], "id": by_update[20]["id"]}
    assert {row["id"] for row in rows_of(durable) + resumed} == {row["id"] for row in data["deals"]}


@pytest.mark.parametrize("raw", CORRUPT_SAVED_POSITIONS)
def test_a_corrupt_saved_position_is_refused_in_one_line(
    raw: str, source: PipedriveSource, config: Any, make_inputs: Any, mocked: Any
) -> None:
    inputs = make_inputs("deals")
    store_raw_state(inputs, raw)
    with pytest.raises(Exception, match=r"^pipedrive deals: cannot resume from the saved position") as raised:
        list(sync_items(source, config, inputs))
    assert "\n" not in str(raised.value)
    assert not mocked.calls
