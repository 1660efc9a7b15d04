"""Transport level: pagination over recorded pages, filters, rows, resume, retries and the pipeline."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
import requests
import responses

from harness.fixtures.manifest import load_manifest
from harness.recording.recorder import SimulatedResponse
from harness.testing import CORRUPT_SAVED_POSITIONS, crash_while_handling, recorded_bodies, store_raw_state, sync_items
from harness.testing import query_lists as query
from sources.common.clock import FakeClock, use_clock
from sources.common.errors import ResumableStateError
from sources.common.rest_source import PageRequest
from sources.common.typings import SourceInputs
from sources.klaviyo.klaviyo import (
    KlaviyoError,
    KlaviyoResumeConfig,
    flatten_resource,
    format_watermark,
    initial_params,
)
from sources.klaviyo.settings import ENDPOINTS
from sources.klaviyo.source import KlaviyoSource, KlaviyoSourceConfig

from .conftest import FIXTURES, HarServer

CONFIG = KlaviyoSourceConfig(api_key="fake-klaviyo-api-key-0001", page_size=10)
FIELDS = {"profiles": "updated", "events": "datetime"}
MANIFEST = load_manifest(FIXTURES)

ServeHar = Callable[[str], HarServer]


def inputs_for(schema: str, job_id: str, last_value: Any = None, incremental: bool = True) -> SourceInputs:
    return SourceInputs(
        schema_name=schema,
        team_id=3,
        job_id=job_id,
        schema_id=f"klaviyo-{schema}",
        should_use_incremental_field=incremental,
        incremental_field=FIELDS[schema] if incremental else None,
        incremental_field_type="datetime" if incremental else None,
        db_incremental_field_last_value=last_value,
    )


open_items = functools.partial(sync_items, KlaviyoSource(), CONFIG)


def recorded_rows(relative: str) -> list[dict[str, Any]]:
    return [row for body in recorded_bodies(FIXTURES / relative) for row in body["data"]]


# Rows at the watermark itself must come back (written in its second after the last sync read the account):
# events' `datetime` offers greater-or-equal; profiles' `updated` only greater-than, so the second before.
WATERMARK_FILTERS = {
    "profiles": "greater-than(updated,2024-02-29T23:59:59+00:00)",
    "events": "greater-or-equal(datetime,2024-02-20T00:00:00+00:00)",
}


@pytest.mark.parametrize("schema", ["profiles", "events"])
def test_incremental_sync_sends_the_watermark_filter(serve_har: ServeHar, job_id: str, schema: str) -> None:
    scenario = MANIFEST.endpoints[schema].scenarios["incremental"]
    server = serve_har(f"{schema}/incremental.har")
    rows = [row for batch in open_items(inputs_for(schema, job_id, scenario.last_value)) for row in batch]

    assert server.served == list(range(len(server.entries)))
    field = FIELDS[schema]
    assert query(server.entries[0].request.url)["filter"] == [WATERMARK_FILTERS[schema]]
    watermark = datetime.fromisoformat(scenario.last_value)
    assert rows and all(datetime.fromisoformat(row[field]) >= watermark for row in rows)
    full_after = [
        r for r in recorded_rows(f"{schema}/full.har") if datetime.fromisoformat(r["attributes"][field]) >= watermark
    ]
    assert {row["id"] for row in rows} == {resource["id"] for resource in full_after}


def test_rows_keep_the_api_shape_with_attributes_lifted(serve_har: ServeHar, job_id: str) -> None:
    serve_har("events/full.har")
    first = next(open_items(inputs_for("events", job_id)))[0]
    resource = recorded_rows("events/full.har")[0]
    assert first == {
        **resource["attributes"],
        "type": "event",
        "id": resource["id"],
        "relationships": resource["relationships"],
        "links": resource["links"],
    }
    assert "attributes" not in first
    assert first["relationships"]["profile"]["data"]["type"] == "profile"


def test_flatten_keeps_id_and_type_over_attribute_collisions() -> None:
    row = flatten_resource({"type": "profile", "id": "01A", "attributes": {"id": "shadow", "type": "x", "email": "e"}})
    assert row == {"type": "profile", "id": "01A", "email": "e"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-01T00:00:00+00:00", "2024-03-01T00:00:00+00:00"),
        ("2024-03-01T00:00:00Z", "2024-03-01T00:00:00+00:00"),
        ("2024-03-01T02:00:00+02:00", "2024-03-01T00:00:00+00:00"),
        ("2024-03-01T00:00:00", "2024-03-01T00:00:00+00:00"),
        (datetime(2024, 3, 1, 0, 0, 0, 999_999, tzinfo=UTC), "2024-03-01T00:00:00+00:00"),
        (datetime(2024, 3, 1, 1, 0, tzinfo=timezone(timedelta(hours=1))), "2024-03-01T00:00:00+00:00"),
        (datetime(2024, 3, 1), "2024-03-01T00:00:00+00:00"),
        (date(2024, 3, 1), "2024-03-01T00:00:00+00:00"),
        (1709251200, "2024-03-01T00:00:00+00:00"),
    ],
)
def test_format_watermark(value: Any, expected: str) -> None:
    assert format_watermark(value, "klaviyo profiles") == expected


@pytest.mark.parametrize("value", ["yesterday", "", True, ["2024"]])
def test_format_watermark_rejects_garbage(value: Any) -> None:
    with pytest.raises(KlaviyoError, match=r"^klaviyo profiles: watermark .* is not"):
        format_watermark(value, "klaviyo profiles")


@pytest.mark.parametrize(
    ("incremental", "last_value", "expected"),
    [
        (False, None, {"page[size]": 10, "sort": "updated"}),
        (True, None, {"page[size]": 10, "sort": "updated"}),
        (
            True,
            "2024-03-01T00:00:00Z",
            {"page[size]": 10, "sort": "updated", "filter": "greater-than(updated,2024-02-29T23:59:59+00:00)"},
        ),
        (False, "2024-03-01T00:00:00Z", {"page[size]": 10, "sort": "updated"}),
    ],
)
def test_initial_params(incremental: bool, last_value: Any, expected: dict[str, Any]) -> None:
    inputs = inputs_for("profiles", "job", last_value=last_value, incremental=incremental)
    assert initial_params(ENDPOINTS["profiles"], inputs, 10) == expected


def test_page_size_is_capped_by_the_endpoint_limit() -> None:
    inputs = inputs_for("profiles", "job")
    assert initial_params(ENDPOINTS["profiles"], inputs, 5000)["page[size]"] == 100
    assert initial_params(ENDPOINTS["events"], inputs_for("events", "job"), 5000)["page[size]"] == 1000


def test_resume_continues_from_the_saved_page(serve_har: ServeHar, job_id: str) -> None:
    server = serve_har("profiles/full.har")
    inputs = inputs_for("profiles", job_id)
    delivered = crash_while_handling(open_items(inputs), batch=3)  # batch 3 is lost
    assert server.served == [0, 1, 2]

    resumed = [row for batch in open_items(inputs) for row in batch]

    assert server.served == [0, 1, 2, 2, 3, 4]  # page 3 again, then on; never page 1
    delivered_ids = [row["id"] for batch in delivered for row in batch]
    all_ids = [resource["id"] for resource in recorded_rows("profiles/full.har")]
    assert delivered_ids + [row["id"] for row in resumed] == all_ids


def test_a_fresh_job_starts_from_page_one_even_with_another_jobs_state(serve_har: ServeHar, job_id: str) -> None:
    server = serve_har("profiles/full.har")
    other = inputs_for("profiles", f"{job_id}-other")
    KlaviyoSource().get_resumable_source_manager(other).save_state(
        KlaviyoResumeConfig(next_request=PageRequest(url=server.entries[3].request.url).to_state())
    )
    next(open_items(inputs_for("profiles", job_id)))
    assert server.served == [0]


def test_rate_limit_waits_for_retry_after_then_continues(
    serve_simulator: Callable[..., None], simulator_module: Any, job_id: str
) -> None:
    simulator = simulator_module.KlaviyoSimulator(simulator_module.build_dataset(), throttle_requests=frozenset({2}))
    serve_simulator(simulator)
    with use_clock(FakeClock()) as clock:
        rows = [row for batch in open_items(inputs_for("profiles", job_id)) for row in batch]
    assert clock.sleeps == [1.0]
    assert len(rows) == len(simulator_module.build_dataset()["profiles"])
    assert simulator.requests_seen == 6  # five pages and the one throttled attempt


def test_server_error_after_retries_names_endpoint_and_vendor_error(
    serve_simulator: Callable[..., None], job_id: str
) -> None:
    calls: list[int] = []

    def broken(request: requests.PreparedRequest) -> SimulatedResponse:
        calls.append(1)
        body = {"errors": [{"status": 503, "code": "service_unavailable", "detail": "Try again later."}]}
        return SimulatedResponse(503, body)

    serve_simulator(broken)
    with use_clock(FakeClock()) as clock, pytest.raises(requests.HTTPError) as caught:
        list(open_items(inputs_for("events", job_id)))
    assert str(caught.value).startswith("503 Server Error")
    assert str(caught.value).endswith("[klaviyo events: service_unavailable: Try again later.]")
    assert len(calls) == 5 and clock.sleeps == [1.0, 2.0, 4.0, 8.0]


def test_simulator_applies_the_filter_the_connector_sends(
    serve_simulator: Callable[..., None], simulator_module: Any, job_id: str
) -> None:
    later = simulator_module.build_dataset(later=True)
    serve_simulator(simulator_module.KlaviyoSimulator(later))
    watermark = simulator_module.max_value("profiles", "updated")
    rows = [row for batch in open_items(inputs_for("profiles", job_id, watermark)) for row in batch]
    expected = {r["id"] for r in later["profiles"] if r["attributes"]["updated"] >= watermark}
    assert {row["id"] for row in rows} == expected and len(expected) == 10  # the row at the watermark again


def test_the_simulator_refuses_an_operator_the_field_does_not_document(simulator_module: Any) -> None:
    simulator = simulator_module.KlaviyoSimulator(simulator_module.build_dataset())
    request = requests.Request(
        "GET",
        "https://a.klaviyo.com/api/profiles/",
        params={"filter": "greater-or-equal(updated,2024-03-01T00:00:00Z)"},
        headers={"Authorization": f"Klaviyo-API-Key {simulator.api_key}", "revision": "2026-01-15"},
    ).prepare()
    response = simulator(request)
    assert response.status == 400
    assert "Operator 'greater-or-equal' is not allowed for field 'updated'" in response.text()


@pytest.mark.parametrize(
    ("body", "found"),
    [({"errors": []}, "['errors']"), ([], "list"), ({"data": "none"}, "['data']"), ({"data": [7]}, "['data']")],
)
def test_a_body_that_is_not_a_json_api_list_is_a_clear_error(
    mocked: responses.RequestsMock, job_id: str, body: Any, found: str
) -> None:
    mocked.get("https://a.klaviyo.com/api/profiles/", json=body)
    with pytest.raises(KlaviyoError) as caught:
        list(open_items(inputs_for("profiles", job_id)))
    assert str(caught.value) == (
        f"klaviyo profiles: expected a JSON:API document with a `data` list of resources, got {found}"
    )


@pytest.mark.parametrize("stored", CORRUPT_SAVED_POSITIONS)
def test_a_corrupt_saved_position_names_the_source_and_endpoint(job_id: str, stored: str) -> None:
    inputs = inputs_for("profiles", job_id)
    store_raw_state(inputs, stored)
    with pytest.raises(ResumableStateError) as caught:
        list(open_items(inputs))
    assert str(caught.value).startswith("klaviyo profiles: cannot resume from the saved position: ")
    assert "\n" not in str(caught.value)
