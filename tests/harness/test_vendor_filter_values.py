"""Each vendor simulator answers a filter value outside its vendor's documented encoding with the vendor's own
error, and the recorder refuses to write a fixture through it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.recording.recorder import Recorder, RecordingError, load_simulator_module
from sources.common.redis_client import set_redis_client


def simulator(source: str) -> Any:
    return load_simulator_module(source)


def test_github_since_must_be_the_documented_utc_z_form() -> None:
    check = simulator("github").filter_value_error

    assert check({"since": "2024-03-01T00:00:00Z"}) is None
    for near_miss in ("2024-03-01 00:00:00+00:00", "2024-03-01T00:00:00+00:00", "1709251200"):
        status, body = check({"since": near_miss})
        assert status == 422 and body["message"] == "Validation Failed"
        assert body["errors"][0]["field"] == "since"


def test_stripe_created_bounds_must_be_integer_unix_timestamps() -> None:
    check = simulator("stripe").filter_value_error

    assert check({"created[gte]": "1709251200"}) is None
    status, body = check({"created[gte]": "2024-03-01T00:00:00Z"})
    assert status == 400
    assert body["error"]["code"] == "parameter_invalid_integer"
    assert body["error"]["message"] == "Invalid integer: 2024-03-01T00:00:00Z"
    assert body["error"]["param"] == "created[gte]"


def test_hubspot_date_property_filters_take_epoch_milliseconds() -> None:
    check = simulator("hubspot").filter_value_error

    def body(value: str) -> dict[str, Any]:
        condition = {"propertyName": "lastmodifieddate", "operator": "GTE", "value": value}
        return {"filterGroups": [{"filters": [condition]}]}

    assert check(body("1709251200000")) is None
    assert "UNIX timestamp in milliseconds" in (check(body("2024-03-01T00:00:00Z")) or "")


def test_klaviyo_datetime_filters_take_the_documented_iso_forms_only() -> None:
    check = simulator("klaviyo").filter_value_error

    for documented in ("2024-03-01T00:00:00Z", "2024-03-01T00:00:00+00:00", "2024-03-01T00:00:00.710Z"):
        assert check("updated", documented) is None
    # An offset whose '+' was left unencoded arrives as a space; Unix timestamps are not datetimes.
    for rejected in ("2024-03-01T00:00:00 00:00", "1709251200"):
        response = check("updated", rejected)
        assert response.status == 400
        assert response.body["errors"][0]["source"] == {"parameter": "filter"}
        assert "Invalid datetime provided for filter 'updated'" in response.body["errors"][0]["detail"]


def test_zendesk_start_time_is_epoch_seconds_at_least_a_minute_old() -> None:
    check = simulator("zendesk").filter_value_error

    assert check({"start_time": "1709251200"}) is None
    assert check({"start_time": "2024-03-01T00:00:00Z"}).body["description"] == "start_time must be an integer"
    # Milliseconds read as seconds are far in the future.
    assert check({"start_time": "1709251200000"}).body["description"].startswith("Too recent start_time")


def test_chargebee_timestamp_filters_are_epoch_seconds() -> None:
    check = simulator("chargebee").filter_value_error

    assert check("updated_at[after]", "after", "1709251200") is None
    assert check("updated_at[between]", "between", "[1709251200, 1709337600]") is None
    for rejected in ("1709251200000", "2024-03-01T00:00:00Z"):
        response = check("updated_at[after]", "after", rejected)
        assert response.status == 400
        assert response.body["param"] == "updated_at[after]"


def test_a_connector_sending_str_datetime_cannot_record_against_its_vendor(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, embedded_redis: Any
) -> None:
    import sources  # noqa: F401  (registers the connectors)
    import sources.github.github as github

    monkeypatch.setattr(github, "format_since", lambda value, where: str(value))
    module = simulator("github")
    recorder = Recorder("github", module.CONFIG, comment="test", out_dir=tmp_path)
    set_redis_client(embedded_redis)
    try:
        with pytest.raises(RecordingError) as refused:
            recorder.record_sync(
                "issues",
                "incremental",
                module.GithubSimulator(module.build_dataset()),
                incremental_field="updated_at",
                last_value="2024-04-01T00:00:00Z",
            )
    finally:
        set_redis_client(None)

    message = str(refused.value)
    assert "\n" not in message
    assert "since=2024-04-01+00%3A00%3A00%2B00%3A00" in message
    assert 'with 422: {"message": "Validation Failed"' in message
    assert not (tmp_path / "issues" / "incremental.har").exists()


@pytest.mark.parametrize(
    ("query", "accepted"),
    [
        ("filter=greater-than%28updated%2C2024-03-01T00%3A00%3A00%2B00%3A00%29", True),  # URI-encoded, as documented
        ("filter=greater-than(updated,2024-03-01T00:00:00Z)", True),  # nothing to encode in a Z time
        ("filter=greater-than(updated,2024-03-01T00:00:00+00:00)", False),  # '+' left unencoded: read as a space
    ],
)
def test_klaviyo_reads_an_unencoded_plus_in_a_filter_as_a_space(query: str, accepted: bool) -> None:
    import requests

    module = simulator("klaviyo")
    headers = {"Authorization": f"Klaviyo-API-Key {module.API_KEY}", "revision": module.REVISION}
    request = requests.Request("GET", f"https://a.klaviyo.com/api/profiles/?{query}", headers=headers).prepare()

    response = module.KlaviyoSimulator(module.build_dataset())(request)

    assert (response.status == 200) is accepted
    if not accepted:
        detail = response.body["errors"][0]["detail"]
        assert detail == "Invalid datetime provided for filter 'updated': '2024-03-01T00:00:00 00:00'."
