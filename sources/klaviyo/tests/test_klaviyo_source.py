"""Source-class level: registration, form, config, schemas, credential checks and pipeline plumbing."""

from __future__ import annotations

import pytest
import requests
import responses

from harness.testing import config_error, non_retryable_sync_error
from sources.common.fields import SourceFieldInputConfig, SourceFieldInputConfigType
from sources.common.typings import SourceInputs
from sources.klaviyo.klaviyo import KlaviyoError
from sources.klaviyo.source import KlaviyoSource, KlaviyoSourceConfig

API_KEY = "fake-klaviyo-api-key-0001"
PROFILES_URL = "https://a.klaviyo.com/api/profiles/"
EVENTS_URL = "https://a.klaviyo.com/api/events/"


def error_body(status: int, code: str, detail: str) -> dict[str, object]:
    return {"errors": [{"id": "e1", "status": status, "code": code, "title": "t", "detail": detail}]}


@pytest.fixture
def source() -> KlaviyoSource:
    return KlaviyoSource()


@pytest.fixture
def config() -> KlaviyoSourceConfig:
    return KlaviyoSourceConfig(api_key=API_KEY, page_size=10)


def inputs_for(schema: str, job_id: str, **overrides: object) -> SourceInputs:
    values: dict[str, object] = {"schema_name": schema, "team_id": 7, "job_id": job_id, "schema_id": f"s-{schema}"}
    values.update(overrides)
    return SourceInputs(**values)  # type: ignore[arg-type]


def test_form_fields_and_secret(source: KlaviyoSource) -> None:
    fields = {field.name: field for field in source.get_source_config.fields}
    assert set(fields) == {"api_key", "page_size"}
    api_key, page_size = fields["api_key"], fields["page_size"]
    assert isinstance(api_key, SourceFieldInputConfig) and isinstance(page_size, SourceFieldInputConfig)
    assert api_key.type is SourceFieldInputConfigType.PASSWORD and api_key.required
    assert api_key.label == "Private API key"
    assert page_size.type is SourceFieldInputConfigType.NUMBER and not page_size.required
    assert source.sensitive_keys == frozenset({"api_key"})
    assert source.get_source_config.releaseStatus == "alpha"
    assert "profiles:read" in source.get_source_config.caption


def test_parse_config_defaults_page_size(source: KlaviyoSource) -> None:
    parsed = source.parse_config({"api_key": API_KEY})
    assert parsed == KlaviyoSourceConfig(api_key=API_KEY, page_size=100)
    assert source.parse_config({"api_key": API_KEY, "page_size": "25"}).page_size == 25


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({}, "api_key", "(Private API key) is required"),
        ({"api_key": "   "}, "api_key", "(Private API key) is required"),
        ({"api_key": API_KEY, "page_size": "ten"}, "page_size", "must be a number"),
        ({"api_key": API_KEY, "page_size": 0}, "page_size", "must be a whole number of at least 1, got 0"),
        ({"api_key": API_KEY, "page_size": 2.5}, "page_size", "must be a whole number of at least 1, got 2.5"),
    ],
)
def test_parse_config_rejects_bad_input(
    source: KlaviyoSource, payload: dict[str, object], field: str, message: str
) -> None:
    text = config_error(source, payload)
    assert text.startswith(f"Klaviyo config: field '{field}'") and message in text


def test_schemas(source: KlaviyoSource, config: KlaviyoSourceConfig) -> None:
    schemas = {schema.name: schema for schema in source.get_schemas(config, team_id=1)}
    assert list(schemas) == ["profiles", "events"]
    assert [field.field for field in schemas["profiles"].incremental_fields] == ["updated"]
    assert [field.field for field in schemas["events"].incremental_fields] == ["datetime"]
    for schema in schemas.values():
        assert schema.supports_incremental and schema.supports_append
        assert not schema.supports_webhooks
        assert all(field.field_type == "datetime" for field in schema.incremental_fields)


@pytest.mark.parametrize(
    ("status", "schema_name", "ok", "fragment"),
    [
        (200, None, True, None),
        (200, "events", True, None),
        (401, None, False, "Klaviyo rejected the API key (not_authenticated: Missing or invalid private key.)"),
        (401, "events", False, "Klaviyo rejected the API key"),
        (403, None, True, None),
        (403, "events", False, "cannot read events: grant it the `events:read` scope"),
        (403, "profiles", False, "cannot read profiles: grant it the `profiles:read` scope"),
        (500, None, False, "Klaviyo answered 500"),
        (429, "profiles", False, "Klaviyo answered 429"),
    ],
)
def test_validate_credentials_by_status(
    source: KlaviyoSource,
    config: KlaviyoSourceConfig,
    mocked: responses.RequestsMock,
    status: int,
    schema_name: str | None,
    ok: bool,
    fragment: str | None,
) -> None:
    codes = {401: ("not_authenticated", "Missing or invalid private key.")}
    code, detail = codes.get(status, ("permission_denied", "These credentials do not have access."))
    body = {"data": [], "links": {"next": None}} if status == 200 else error_body(status, code, detail)
    url = EVENTS_URL if schema_name == "events" else PROFILES_URL
    mocked.get(url, status=status, json=body)

    valid, message = source.validate_credentials(config, team_id=1, schema_name=schema_name)

    assert valid is ok
    if fragment is None:
        assert message is None
    else:
        assert message is not None and fragment in message
    assert len(mocked.calls) == 1  # one probe, never retried
    sent = mocked.calls[0].request
    assert sent.headers["Authorization"] == f"Klaviyo-API-Key {API_KEY}"
    assert sent.headers["revision"] == "2026-01-15"
    assert sent.url.endswith("page%5Bsize%5D=1")


def test_validate_credentials_unreachable(
    source: KlaviyoSource, config: KlaviyoSourceConfig, mocked: responses.RequestsMock
) -> None:
    mocked.get(PROFILES_URL, body=requests.ConnectionError("refused"))
    assert source.validate_credentials(config, team_id=1) == (
        False,
        "Could not reach Klaviyo to check the API key: ConnectionError",
    )


def test_validate_credentials_unknown_schema(source: KlaviyoSource, config: KlaviyoSourceConfig) -> None:
    valid, message = source.validate_credentials(config, team_id=1, schema_name="campaigns")
    assert not valid and message == "Klaviyo has no table 'campaigns'; known: profiles, events"


@pytest.mark.parametrize(("status", "code"), [(401, "not_authenticated"), (403, "permission_denied")])
def test_sync_time_auth_errors_are_non_retryable(
    source: KlaviyoSource,
    config: KlaviyoSourceConfig,
    mocked: responses.RequestsMock,
    job_id: str,
    status: int,
    code: str,
) -> None:
    mocked.get(PROFILES_URL, status=status, json=error_body(status, code, "nope"))
    text = non_retryable_sync_error(source, config, inputs_for("profiles", job_id))
    assert text.startswith(str(status))
    assert f"[klaviyo profiles: {code}: nope]" in text
    assert len(mocked.calls) == 1


@pytest.mark.parametrize(
    ("schema", "field", "partition_key"), [("profiles", "updated", "created"), ("events", "datetime", "datetime")]
)
def test_source_for_pipeline_plumbing(
    source: KlaviyoSource, config: KlaviyoSourceConfig, job_id: str, schema: str, field: str, partition_key: str
) -> None:
    inputs = inputs_for(schema, job_id, should_use_incremental_field=True, incremental_field=field)
    response = source.source_for_pipeline(config, source.get_resumable_source_manager(inputs), inputs)
    assert response.name == schema
    assert response.primary_keys == ["id"]
    assert response.partition_keys == [partition_key]
    assert (response.partition_mode, response.partition_format) == ("datetime", "month")
    assert response.sort_mode == "asc"


def test_source_for_pipeline_rejects_a_field_the_endpoint_cannot_filter(
    source: KlaviyoSource, config: KlaviyoSourceConfig, job_id: str
) -> None:
    inputs = inputs_for("events", job_id, should_use_incremental_field=True, incremental_field="updated")
    with pytest.raises(KlaviyoError, match="klaviyo events: cannot sync incrementally on 'updated'; choose one of"):
        source.source_for_pipeline(config, source.get_resumable_source_manager(inputs), inputs)


def test_source_for_pipeline_rejects_unknown_schema(
    source: KlaviyoSource, config: KlaviyoSourceConfig, job_id: str
) -> None:
    inputs = inputs_for("metrics", job_id)
    with pytest.raises(KlaviyoError, match="klaviyo: unknown endpoint 'metrics'; known: profiles, events"):
        source.source_for_pipeline(config, source.get_resumable_source_manager(inputs), inputs)
