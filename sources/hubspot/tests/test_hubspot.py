"""HubSpot transport: pagination on recorded pages, keyset search paging, resume (also after rows moved), errors,
pipeline."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
import requests
import responses

from harness.runs.sync_driver import open_response
from harness.testing import crash_while_handling, non_retryable_sync_error
from sources.common import events
from sources.common.errors import ResumableStateError
from sources.common.resumable import StateSaved
from sources.hubspot.hubspot import (
    HubspotError,
    HubspotResumeConfig,
    hubspot_source,
    search_body,
    to_epoch_ms,
)
from sources.hubspot.settings import ENDPOINTS
from sources.hubspot.source import HubspotSource, HubspotSourceConfig

ENDPOINT_NAMES = list(ENDPOINTS)


def open_source(source: HubspotSource, config: HubspotSourceConfig, inputs):
    return open_response(source, config, inputs)


def batches_of(response) -> list[list[dict]]:
    return [list(batch) for batch in response.items()]


def sent_bodies(mocked: responses.RequestsMock) -> list[dict]:
    return [json.loads(call.request.body) for call in mocked.calls]


@pytest.mark.parametrize("endpoint", ENDPOINT_NAMES)
def test_full_sync_reads_every_recorded_search_page(source, config, serve_har, inputs_for, endpoint) -> None:
    server = serve_har(endpoint, "full")
    batches = batches_of(open_source(source, config, inputs_for(endpoint, incremental=True)))
    assert server.all_served
    assert [len(batch) for batch in batches] == [
        len(json.loads(entry.response.body)["results"]) for entry in server.entries
    ]
    ids = [row["id"] for batch in batches for row in batch]
    assert len(ids) == len(set(ids)) == len(server.rows("results"))
    updated = [row["updatedAt"] for batch in batches for row in batch]
    assert updated == sorted(updated), "search pages must come sorted ascending on the watermark"


def test_full_sync_first_request_has_no_filter_and_no_cursor(source, config, serve_har, inputs_for, mocked) -> None:
    serve_har("contacts", "full")
    batches_of(open_source(source, config, inputs_for("contacts", incremental=True)))
    first, second = sent_bodies(mocked)[:2]
    assert first == {
        "filterGroups": [],
        "sorts": [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}],
        "properties": list(ENDPOINTS["contacts"].properties),
        "limit": 10,
    }
    last = json.loads(mocked.calls[0].response.text)["results"][-1]
    assert second == search_body(
        ENDPOINTS["contacts"], "lastmodifieddate", None, 10, after_row=(to_epoch_ms(last["updatedAt"], "t"), last["id"])
    )
    assert "after" not in second, "search pages by the last row's position, never by HubSpot's result offset"
    assert all(call.request.method == "POST" for call in mocked.calls)


@pytest.mark.parametrize("endpoint", ENDPOINT_NAMES)
def test_full_refresh_pages_the_list_endpoint_with_the_after_cursor(
    source, config, serve_har, inputs_for, mocked, endpoint
) -> None:
    server = serve_har(endpoint, "list")
    batches = batches_of(open_source(source, config, inputs_for(endpoint)))
    assert server.all_served and len(server.entries) >= 4
    assert sum(len(batch) for batch in batches) == len(server.rows("results"))
    first = mocked.calls[0].request
    assert first.method == "GET" and "after=" not in first.url
    assert "archived=false" in first.url and "limit=10" in first.url
    for previous, call in zip(server.entries, mocked.calls[1:], strict=False):
        expected_after = json.loads(previous.response.body)["paging"]["next"]["after"]
        assert call.request.url.endswith(f"&after={expected_after}")


@pytest.mark.parametrize("endpoint", ENDPOINT_NAMES)
def test_incremental_sync_filters_server_side_on_the_last_modified_property(
    source, config, serve_har, inputs_for, mocked, simulator_module, endpoint
) -> None:
    base = simulator_module.build_dataset()[endpoint]
    middle = sorted(base, key=lambda row: row.updated_at)[len(base) // 2].updated_at.replace(microsecond=0)
    server = serve_har(endpoint, "incremental")
    rows = [
        row
        for batch in batches_of(open_source(source, config, inputs_for(endpoint, last_value=middle)))
        for row in batch
    ]
    assert server.all_served
    prop = ENDPOINTS[endpoint].last_modified_property
    expected_filter = {"propertyName": prop, "operator": "GTE", "value": str(int(middle.timestamp() * 1000))}
    first, *later = sent_bodies(mocked)
    assert first["filterGroups"] == [{"filters": [expected_filter]}]
    for body in [first, *later]:
        assert body["sorts"] == [{"propertyName": prop, "direction": "ASCENDING"}]
    for body in later:  # past the watermark already: filtered to the rows after the previous page's last row
        assert int(body["filterGroups"][0]["filters"][0]["value"]) >= int(expected_filter["value"])
    assert rows and all(datetime.fromisoformat(row["updatedAt"]) >= middle for row in rows)
    assert len(rows) < len(base)


@pytest.mark.parametrize("endpoint", ENDPOINT_NAMES)
def test_future_watermark_yields_no_batch(source, config, serve_har, inputs_for, simulator_module, endpoint) -> None:
    base = simulator_module.build_dataset()[endpoint]
    future = simulator_module.max_updated_at(base) + timedelta(days=30)
    server = serve_har(endpoint, "future")
    assert batches_of(open_source(source, config, inputs_for(endpoint, last_value=future))) == []
    assert server.all_served


@pytest.mark.parametrize("endpoint", ENDPOINT_NAMES)
def test_resync_returns_only_rows_changed_since_the_watermark(
    source, config, serve_har, inputs_for, simulator_module, endpoint
) -> None:
    base = simulator_module.build_dataset()[endpoint]
    watermark = simulator_module.max_updated_at(base)
    serve_har(endpoint, "resync")
    rows = [
        row
        for batch in batches_of(open_source(source, config, inputs_for(endpoint, last_value=watermark)))
        for row in batch
    ]
    created_before = {row.id: row.created_at for row in base}
    assert rows and all(datetime.fromisoformat(row["updatedAt"]) >= watermark for row in rows)
    for row in rows:
        if row["id"] in created_before:  # a modified row keeps its creation time, so its partition
            assert datetime.fromisoformat(row["createdAt"]) == created_before[row["id"]]


def test_search_body_is_byte_stable() -> None:
    anchored = search_body(ENDPOINTS["deals"], "hs_lastmodifieddate", None, 10, after_row=(1718102675000, "42"))
    assert anchored["filterGroups"] == [
        {"filters": [{"propertyName": "hs_lastmodifieddate", "operator": "GT", "value": "1718102675000"}]},
        {
            "filters": [
                {"propertyName": "hs_lastmodifieddate", "operator": "EQ", "value": "1718102675000"},
                {"propertyName": "hs_object_id", "operator": "GT", "value": "42"},
            ]
        },
    ]
    endpoint = ENDPOINTS["deals"]
    first = json.dumps(search_body(endpoint, "hs_lastmodifieddate", 1718102675000, 10))
    again = json.dumps(search_body(endpoint, "hs_lastmodifieddate", 1718102675000, 10))
    assert first == again
    assert first.startswith('{"filterGroups": [{"filters": [{"propertyName": "hs_lastmodifieddate", "operator": "GTE"')
    assert list(json.loads(first)) == ["filterGroups", "sorts", "properties", "limit"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2024, 6, 1, tzinfo=UTC), 1717200000000),
        (datetime(2024, 6, 1), 1717200000000),
        (datetime(2024, 6, 1, 2, tzinfo=timezone(timedelta(hours=2))), 1717200000000),
        ("2024-06-01T00:00:00.250Z", 1717200000250),
        ("2024-06-01T00:00:00+00:00", 1717200000000),
        (date(2024, 6, 1), 1717200000000),
    ],
)
def test_watermark_to_epoch_ms(value, expected: int) -> None:
    assert to_epoch_ms(value, "hubspot contacts") == expected


@pytest.mark.parametrize("value", ["yesterday", 12345, ["2024-06-01"]])
def test_a_bad_watermark_is_a_clear_error(value) -> None:
    with pytest.raises(HubspotError, match=r"^hubspot contacts: incremental value .* is not"):
        to_epoch_ms(value, "hubspot contacts")


def test_an_unoffered_incremental_field_is_refused(source, config, inputs_for) -> None:
    inputs = inputs_for("contacts", incremental=True, incremental_field="createdAt")
    with pytest.raises(
        HubspotError, match=r"hubspot contacts: cannot sync incrementally on 'createdAt'; offered: updatedAt"
    ):
        open_source(source, config, inputs)


def position(row: dict) -> tuple[int, str]:
    return to_epoch_ms(row["updatedAt"], "test"), row["id"]


def test_each_search_page_is_filtered_to_the_rows_after_the_last_one(
    inputs_for, mocked, serve_simulator, simulator_module
) -> None:
    dataset = simulator_module.build_dataset()
    serve_simulator(simulator_module.HubspotSimulator(dataset))
    inputs = inputs_for("contacts", incremental=True)
    manager = HubspotSource().get_resumable_source_manager(inputs)
    batches = list(hubspot_source("fake-hubspot-token-0001", "contacts", 10, inputs, manager).items())
    rows = [row for batch in batches for row in batch]
    assert sorted(row["id"] for row in rows) == sorted(row.id for row in dataset["contacts"])
    bodies = sent_bodies(mocked)
    assert all("after" not in body for body in bodies)
    for batch, body in zip(batches[:-1], bodies[1:], strict=True):
        assert body == search_body(ENDPOINTS["contacts"], "lastmodifieddate", None, 10, after_row=position(batch[-1]))


def test_rows_sharing_one_timestamp_are_paged_by_object_id(inputs_for, serve_simulator, simulator_module) -> None:
    """More rows share one last-modified time than the search ceiling allows: the id tie-break pages past them."""
    dataset = simulator_module.build_dataset()
    moment = datetime(2024, 5, 1, tzinfo=UTC)
    for row in dataset["deals"]:
        row.updated_at = moment
    serve_simulator(simulator_module.HubspotSimulator(dataset, search_ceiling=20))
    inputs = inputs_for("deals", last_value=moment)
    manager = HubspotSource().get_resumable_source_manager(inputs)
    rows = [
        row
        for batch in hubspot_source("fake-hubspot-token-0001", "deals", 10, inputs, manager).items()
        for row in batch
    ]
    assert [row["id"] for row in rows] == sorted((row.id for row in dataset["deals"]), key=int)


@pytest.mark.parametrize("crash_at", [2, 3, 4])
def test_a_resume_after_rows_moved_and_vanished_loses_nothing(
    inputs_for, mocked, serve_simulator, simulator_module, crash_at
) -> None:
    """While the job is down, a delivered contact is edited (it moves to the end of the sort), another delivered
    one is deleted and one is created: every contact there now reaches the consumer."""
    model = simulator_module.vendor_model()
    serve_simulator(model.respond)
    inputs = inputs_for("contacts", incremental=True)
    source = HubspotSource()
    response = hubspot_source(
        "fake-hubspot-token-0001", "contacts", 10, inputs, source.get_resumable_source_manager(inputs)
    )
    durable = [row for batch in crash_while_handling(iter(response.items()), batch=crash_at) for row in batch]
    moved, gone = durable[0]["id"], durable[-1]["id"]
    model.update("contacts", (moved,))
    model.delete("contacts", (gone,))
    model.insert("contacts")
    resumed_response = hubspot_source(
        "fake-hubspot-token-0001", "contacts", 10, inputs, source.get_resumable_source_manager(inputs)
    )
    resumed = [row for batch in resumed_response.items() for row in batch]
    have = {row["id"] for row in durable} | {row["id"] for row in resumed}
    assert {key for (key,) in model.endpoint("contacts").row_keys()} <= have
    assert moved in {row["id"] for row in resumed}, "the edited contact comes again at its new version"


@pytest.mark.parametrize(("scenario", "incremental"), [("full", True), ("list", False)])
def test_state_is_saved_after_each_batch_is_handed_over(
    source, config, serve_har, inputs_for, scenario, incremental
) -> None:
    server = serve_har("contacts", scenario)
    order: list[str] = []
    with events.observing(lambda event: order.append("save") if isinstance(event, StateSaved) else None):
        for _batch in open_source(source, config, inputs_for("contacts", incremental=incremental)).items():
            order.append("yield")
    pages = len(server.entries)
    # every page is yielded; every page but the last is followed by saving the next page's request
    assert order == ["yield", "save"] * (pages - 1) + ["yield"]


@pytest.mark.parametrize(("scenario", "incremental"), [("full", True), ("list", False)])
def test_resume_after_a_crash_continues_from_the_saved_page(
    source, config, inputs_for, mocked, serve_har, scenario, incremental
) -> None:
    server = serve_har("contacts", scenario)
    inputs = inputs_for("contacts", incremental=incremental)
    # batch 2 reaches the consumer, which dies handling it: the source never resumes after it
    [durable] = crash_while_handling(iter(open_source(source, config, inputs).items()), batch=2)
    assert len(mocked.calls) == 2
    assert isinstance(source.get_resumable_source_manager(inputs).load_state(), HubspotResumeConfig)

    mocked.reset()
    resumed_server = serve_har("contacts", scenario)
    resumed = [row for batch in open_source(source, config, inputs).items() for row in batch]
    first_resumed = mocked.calls[0].request
    if incremental:
        assert json.loads(first_resumed.body) == search_body(
            ENDPOINTS["contacts"], "lastmodifieddate", None, 10, after_row=position(durable[-1])
        )
    else:
        second_page_after = json.loads(server.entries[0].response.body)["paging"]["next"]["after"]
        assert first_resumed.url.endswith(f"&after={second_page_after}")
    assert len(mocked.calls) == len(resumed_server.entries) - 1, "the resume must not start again from page 1"
    durable_ids, resumed_ids = {row["id"] for row in durable}, {row["id"] for row in resumed}
    assert durable_ids | resumed_ids == {row["id"] for row in server.rows("results")}
    assert not durable_ids & resumed_ids


def test_a_fresh_run_without_state_starts_at_the_first_page(source, config, serve_har, inputs_for, mocked) -> None:
    serve_har("contacts", "full")
    inputs = inputs_for("contacts", incremental=True)
    assert not source.get_resumable_source_manager(inputs).can_resume()
    next(iter(open_source(source, config, inputs).items()))
    assert "after" not in json.loads(mocked.calls[0].request.body)


def test_a_corrupt_saved_state_is_a_clear_error(source, config, inputs_for) -> None:
    inputs = inputs_for("contacts", incremental=True)
    source.get_resumable_source_manager(inputs).save_state(HubspotResumeConfig(next_request={"params": {}}))
    with pytest.raises(ResumableStateError, match=r"^hubspot contacts: saved page request needs a string 'url'"):
        list(open_source(source, config, inputs).items())


ERROR_BODIES = {
    401: {"status": "error", "message": "Authentication credentials not found.", "category": "INVALID_AUTHENTICATION"},
    403: {
        "status": "error",
        "message": "This app hasn't been granted all required scopes.",
        "category": "MISSING_SCOPES",
    },
}


@pytest.mark.parametrize("status", [401, 403])
@pytest.mark.parametrize("incremental", [False, True])
def test_auth_errors_fail_at_once_with_a_non_retryable_message(
    source, config, inputs_for, mocked, fake_clock, status, incremental
) -> None:
    for method in ("GET", "POST"):
        mocked.add(method, re.compile(r"https://api\.hubapi\.com/.*"), json=ERROR_BODIES[status], status=status)
    message = non_retryable_sync_error(source, config, inputs_for("companies", incremental=incremental))
    assert message.startswith(
        f"{status} Client Error: {'Unauthorized' if status == 401 else 'Forbidden'} for url: https://api.hubapi.com"
    )
    assert message.endswith(
        f"(hubspot companies: {ERROR_BODIES[status]['category']}: {ERROR_BODIES[status]['message']})"
    )
    assert len(mocked.calls) == 1 and fake_clock.sleeps == []


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (
            {"status": "error", "message": "There was a problem with the request.", "category": "VALIDATION_ERROR"},
            "VALIDATION_ERROR: There was a problem with the request.",
        ),
        ("<html>Bad Gateway</html>", "<html>Bad Gateway</html>"),
    ],
)
def test_other_errors_name_the_endpoint_and_hubspots_reason(source, config, inputs_for, mocked, body, detail) -> None:
    kwargs = {"json": body} if isinstance(body, dict) else {"body": body}
    mocked.add(responses.POST, "https://api.hubapi.com/crm/v3/objects/deals/search", status=400, **kwargs)
    with pytest.raises(
        requests.HTTPError,
        match=r"^400 Client Error: Bad Request for url: https://api\.hubapi\.com/crm/v3/objects/deals/search",
    ) as raised:
        list(open_source(source, config, inputs_for("deals", incremental=True)).items())
    assert str(raised.value).endswith(f"(hubspot deals: {detail})")


def test_a_secondly_limit_without_retry_after_backs_off_exponentially(
    source, config, inputs_for, mocked, fake_clock
) -> None:
    limited = {
        "status": "error",
        "message": "You have reached your secondly limit.",
        "errorType": "RATE_LIMIT",
        "policyName": "SECONDLY",
    }
    url = "https://api.hubapi.com/crm/v3/objects/contacts/search"
    mocked.add(responses.POST, url, json=limited, status=429)
    mocked.add(responses.POST, url, json=limited, status=429)
    mocked.add(
        responses.POST,
        url,
        json={
            "total": 1,
            "results": [
                {
                    "id": "1",
                    "properties": {},
                    "createdAt": "2024-01-01T00:00:00.000Z",
                    "updatedAt": "2024-01-02T00:00:00.000Z",
                    "archived": False,
                }
            ],
        },
    )
    batches = batches_of(open_source(source, config, inputs_for("contacts", incremental=True)))
    assert [row["id"] for batch in batches for row in batch] == ["1"]
    assert fake_clock.sleeps == [1.0, 2.0]
