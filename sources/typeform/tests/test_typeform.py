"""Typeform transport: page-number pagination on recorded pages, sort, errors, backoff, pipeline end to end."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import responses

from harness.pipeline import read_table, run
from harness.testing import non_retryable_sync_error
from sources.typeform.settings import ENDPOINTS
from sources.typeform.source import TypeformSourceConfig
from sources.typeform.typeform import typeform_source

FORMS_URL = "https://api.typeform.com/forms"


def query_of(call) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(call.request.url).query))


def rows_of(response) -> list[dict]:
    return [row for batch in response.items() for row in batch]


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_full_sync_reads_every_recorded_page_in_order(source, config, serve_har, make_inputs, mocked, endpoint) -> None:
    server = serve_har(f"{endpoint}/full")
    batches = list(source.source_for_pipeline(config, make_inputs(endpoint)).items())
    assert server.all_served and server.served == list(range(len(server.entries)))
    assert [len(batch) for batch in batches] == [len(json.loads(e.response.body)["items"]) for e in server.entries]
    assert [query_of(call)["page"] for call in mocked.calls] == [str(n) for n in range(1, len(server.entries) + 1)]
    assert all(query_of(call)["page_size"] == "10" for call in mocked.calls)
    ids = [row["id"] for batch in batches for row in batch]
    assert len(ids) == len(set(ids)) == len(server.rows("items"))


def test_forms_span_five_pages_and_stop_at_page_count(source, config, serve_har, make_inputs, mocked) -> None:
    server = serve_har("forms/full")
    rows_of(source.source_for_pipeline(config, make_inputs("forms")))
    last_body = json.loads(server.entries[-1].response.body)
    assert len(mocked.calls) == last_body["page_count"] == 5, "no request may go past the reported page count"


def test_forms_are_sorted_explicitly_on_creation_time(source, config, serve_har, make_inputs, mocked) -> None:
    serve_har("forms/full")
    rows = rows_of(source.source_for_pipeline(config, make_inputs("forms")))
    for call in mocked.calls:
        assert (query_of(call)["sort_by"], query_of(call)["order_by"]) == ("created_at", "asc")
    created = [row["created_at"] for row in rows]
    assert created == sorted(created)


def test_workspaces_send_no_sort_parameter(source, config, serve_har, make_inputs, mocked) -> None:
    serve_har("workspaces/full")
    rows_of(source.source_for_pipeline(config, make_inputs("workspaces")))
    assert all(set(query_of(call)) == {"page", "page_size"} for call in mocked.calls)


def test_the_configured_page_size_is_sent(source, make_inputs, mocked, serve_simulator, simulator_module) -> None:
    serve_simulator(simulator_module.TypeformSimulator(simulator_module.build_dataset()))
    config = TypeformSourceConfig(personal_access_token="fake-typeform-token-0001", page_size=200)
    rows = rows_of(source.source_for_pipeline(config, make_inputs("forms")))
    assert len(rows) == simulator_module.FORM_COUNT
    assert [query_of(call)["page_size"] for call in mocked.calls] == ["200"]


@pytest.mark.parametrize(("forms", "expected_calls"), [(0, 1), (10, 1), (11, 2)])
def test_page_count_edges(make_inputs, mocked, serve_simulator, simulator_module, forms, expected_calls) -> None:
    workspaces, all_forms = simulator_module.build_dataset()
    serve_simulator(simulator_module.TypeformSimulator((workspaces, all_forms[:forms])))
    response = typeform_source("fake-typeform-token-0001", "forms", 10, "https://api.typeform.com")
    batches = list(response.items())
    assert sum(len(batch) for batch in batches) == forms
    assert all(batches), "an empty page is not handed over as a batch"
    assert len(mocked.calls) == expected_calls


def test_the_eu_data_center_is_used_for_every_page(
    source, make_inputs, mocked, serve_simulator, simulator_module
) -> None:
    serve_simulator(simulator_module.TypeformSimulator(simulator_module.build_dataset()))
    config = TypeformSourceConfig(personal_access_token="fake-typeform-token-0001", data_center="eu", page_size=10)
    rows_of(source.source_for_pipeline(config, make_inputs("workspaces")))
    assert len(mocked.calls) == 2
    assert all(call.request.url.startswith("https://api.eu.typeform.com/workspaces?") for call in mocked.calls)


def test_resync_keeps_creation_times_and_picks_up_edits(source, config, serve_har, make_inputs) -> None:
    full = {row["id"]: row for row in serve_har("forms/full").rows("items")}
    serve_har("forms/resync")
    resynced = rows_of(source.source_for_pipeline(config, make_inputs("forms")))
    later = {row["id"]: row for row in resynced}
    assert set(full) < set(later)
    assert all(later[form_id]["created_at"] == row["created_at"] for form_id, row in full.items())
    edited = [form_id for form_id, row in full.items() if later[form_id]["last_updated_at"] != row["last_updated_at"]]
    assert edited and all(later[form_id]["title"].endswith("(v2)") for form_id in edited)


ERRORS = {
    401: {
        "code": "AUTHENTICATION_FAILED",
        "description": "Authentication credentials not found on the Request Headers",
    },
    403: {"code": "FORBIDDEN", "description": "The access token does not have the required scope: forms:read"},
}


@pytest.mark.parametrize("status", [401, 403])
def test_auth_errors_fail_at_once_with_a_non_retryable_message(
    source, config, make_inputs, mocked, fake_clock, status
) -> None:
    mocked.add(
        responses.GET,
        f"{FORMS_URL}?sort_by=created_at&order_by=asc&page=1&page_size=10",
        json=ERRORS[status],
        status=status,
    )
    message = non_retryable_sync_error(source, config, make_inputs("forms"))
    assert message.startswith(
        f"{status} Client Error: {'Unauthorized' if status == 401 else 'Forbidden'} for url: https://api.typeform.com"
    )
    assert message.endswith(f"(typeform forms: {ERRORS[status]['code']}: {ERRORS[status]['description']})")
    assert len(mocked.calls) == 1 and fake_clock.sleeps == []


def test_a_validation_error_names_the_endpoint_and_the_reason(source, config, make_inputs, mocked) -> None:
    body = {"code": "VALIDATION_ERROR", "description": "Request validation failed", "details": []}
    mocked.add(responses.GET, f"{FORMS_URL}?sort_by=created_at&order_by=asc&page=1&page_size=10", json=body, status=400)
    with pytest.raises(
        requests.HTTPError, match=r"^400 Client Error: Bad Request for url: https://api\.typeform\.com/forms\?"
    ) as raised:
        rows_of(source.source_for_pipeline(config, make_inputs("forms")))
    assert str(raised.value).endswith("(typeform forms: VALIDATION_ERROR: Request validation failed)")


@pytest.mark.parametrize(("headers", "expected_sleeps"), [({}, [1.0, 2.0]), ({"Retry-After": "3"}, [3.0, 3.0])])
def test_rate_limits_are_retried_with_backoff(
    source, config, make_inputs, mocked, fake_clock, headers, expected_sleeps
) -> None:
    url = f"{FORMS_URL}?sort_by=created_at&order_by=asc&page=1&page_size=10"
    limited = {"code": "TOO_MANY_REQUESTS", "description": "Too many requests"}
    mocked.add(responses.GET, url, json=limited, status=429, headers=headers)
    mocked.add(responses.GET, url, json=limited, status=429, headers=headers)
    item = {
        "id": "aBcD1234",
        "title": "Survey",
        "created_at": "2024-01-01T00:00:00.000Z",
        "last_updated_at": "2024-01-02T00:00:00.000Z",
    }
    mocked.add(responses.GET, url, json={"total_items": 1, "page_count": 1, "items": [item]})
    assert [row["id"] for row in rows_of(source.source_for_pipeline(config, make_inputs("forms")))] == ["aBcD1234"]
    assert fake_clock.sleeps == expected_sleeps


def test_a_body_without_items_is_a_clear_error(source, config, make_inputs, mocked) -> None:
    mocked.add(
        responses.GET,
        f"{FORMS_URL}?sort_by=created_at&order_by=asc&page=1&page_size=10",
        body="<html>maintenance</html>",
    )
    with pytest.raises(ValueError, match=r"typeform forms: GET https://api\.typeform\.com/forms.* non-JSON body"):
        rows_of(source.source_for_pipeline(config, make_inputs("forms")))


def test_resync_replaces_the_forms_table_with_stable_partitions(
    source, config, serve_har, make_inputs, tmp_path: Path
) -> None:
    table_dir = tmp_path / "forms"
    serve_har("forms/full")
    inputs = make_inputs("forms")
    first = run(source.source_for_pipeline(config, inputs), inputs, table_dir)
    before = read_table(table_dir).to_pylist()
    serve_har("forms/resync")
    inputs = make_inputs("forms")
    run(source.source_for_pipeline(config, inputs), inputs, table_dir)
    after = {row["id"]: row for row in read_table(table_dir).to_pylist()}
    assert len(after) == 50
    column = first.partition_column
    assert column is not None
    assert all(after[row["id"]][column] == row[column] for row in before)
