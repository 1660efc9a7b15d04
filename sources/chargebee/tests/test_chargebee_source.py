"""Source-class level: registration, form, config, schemas, credential checks and pipeline plumbing."""

from __future__ import annotations

import base64

import pytest
import requests
import responses

from harness.testing import config_error, non_retryable_sync_error
from sources.chargebee.chargebee import ChargebeeError
from sources.chargebee.source import ChargebeeSource, ChargebeeSourceConfig
from sources.common.fields import SourceFieldInputConfig, SourceFieldInputConfigType
from sources.common.typings import SourceInputs

API_KEY = "fake-chargebee-api-key-0001"
API = "https://acme-test.chargebee.com/api/v2/"
AUTH_FAILED = {
    "message": "Sorry, authentication failed. Invalid api key",
    "api_error_code": "api_authentication_failed",
    "http_status_code": 401,
}
NOT_ALLOWED = {
    "message": "Sorry, Operation not allowed for the API key used.",
    "api_error_code": "api_authorization_failed",
    "http_status_code": 403,
}


@pytest.fixture
def source() -> ChargebeeSource:
    return ChargebeeSource()


@pytest.fixture
def config() -> ChargebeeSourceConfig:
    return ChargebeeSourceConfig(site="acme-test", api_key=API_KEY, page_size=10)


def inputs_for(schema: str, job_id: str, **overrides: object) -> SourceInputs:
    values: dict[str, object] = {"schema_name": schema, "team_id": 7, "job_id": job_id, "schema_id": f"s-{schema}"}
    values.update(overrides)
    return SourceInputs(**values)  # type: ignore[arg-type]


def test_form_fields_and_secret(source: ChargebeeSource) -> None:
    fields = source.get_source_config.fields
    assert all(isinstance(field, SourceFieldInputConfig) for field in fields)
    described = [(field.name, field.label, field.type, field.required) for field in fields]  # type: ignore[union-attr]
    assert described == [
        ("site", "Site", SourceFieldInputConfigType.TEXT, True),
        ("api_key", "API key", SourceFieldInputConfigType.PASSWORD, True),
        ("page_size", "Rows per request", SourceFieldInputConfigType.NUMBER, False),
    ]
    assert source.sensitive_keys == frozenset({"api_key"})
    assert source.get_source_config.releaseStatus == "alpha"


@pytest.mark.parametrize(
    "site", ["acme-test", "Acme-Test", "acme-test.chargebee.com", "https://acme-test.chargebee.com/"]
)
def test_parse_config_normalizes_the_site(source: ChargebeeSource, site: str) -> None:
    parsed = source.parse_config({"site": site, "api_key": API_KEY})
    assert parsed == ChargebeeSourceConfig(site="acme-test", api_key=API_KEY, page_size=100)


@pytest.mark.parametrize(
    ("payload", "field", "fragment"),
    [
        ({"api_key": API_KEY}, "site", "is required"),
        ({"site": "acme test", "api_key": API_KEY}, "site", "got 'acme test'"),
        ({"site": "acme.recurly.com", "api_key": API_KEY}, "site", "like 'acme-test'"),
        ({"site": "acme-test"}, "api_key", "is required"),
        ({"site": "acme-test", "api_key": API_KEY, "page_size": 0}, "page_size", "got 0"),
    ],
)
def test_parse_config_rejects_bad_input(
    source: ChargebeeSource, payload: dict[str, object], field: str, fragment: str
) -> None:
    text = config_error(source, payload)
    assert text.startswith(f"Chargebee config: field '{field}'") and fragment in text


def test_schemas(source: ChargebeeSource, config: ChargebeeSourceConfig) -> None:
    schemas = {schema.name: schema for schema in source.get_schemas(config, team_id=1)}
    assert list(schemas) == ["customers", "subscriptions", "invoices"]
    for schema in schemas.values():
        assert schema.supports_incremental and schema.supports_append and not schema.supports_webhooks
        fields = [(f.field, f.type, f.field_type) for f in schema.incremental_fields]
        assert fields == [("updated_at", "datetime", "integer")]


@pytest.mark.parametrize(
    ("status", "schema_name", "body", "ok", "fragment"),
    [
        (200, None, {"list": []}, True, None),
        (200, "invoices", {"list": []}, True, None),
        (401, None, AUTH_FAILED, False, "(api_authentication_failed: Sorry, authentication failed. Invalid api key)"),
        (401, "subscriptions", AUTH_FAILED, False, "Chargebee rejected the API key"),
        (403, None, NOT_ALLOWED, True, None),
        (403, "invoices", NOT_ALLOWED, False, "cannot read invoices: give the key read access to it"),
        (403, "customers", NOT_ALLOWED, False, "(api_authorization_failed: Sorry, Operation not allowed"),
        (404, None, {"message": "Sorry, we couldn't find that site", "api_error_code": "site_not_found"}, False,
         "no Chargebee site at acme-test.chargebee.com"),
        (500, None, {"message": "Internal error", "api_error_code": "internal_error"}, False,
         "Chargebee answered 500 while checking the API key: internal_error: Internal error"),
    ],
)  # fmt: skip
def test_validate_credentials_by_status(
    source: ChargebeeSource,
    config: ChargebeeSourceConfig,
    mocked: responses.RequestsMock,
    status: int,
    schema_name: str | None,
    body: dict[str, object],
    ok: bool,
    fragment: str | None,
) -> None:
    mocked.get(API + (schema_name or "customers"), status=status, json=body)

    valid, message = source.validate_credentials(config, team_id=1, schema_name=schema_name)

    assert valid is ok
    assert message is None if fragment is None else (message is not None and fragment in message)
    assert len(mocked.calls) == 1
    sent = mocked.calls[0].request
    assert sent.headers["Authorization"] == "Basic " + base64.b64encode(f"{API_KEY}:".encode()).decode()
    assert sent.url.endswith("?limit=1")


def test_validate_credentials_unreachable(
    source: ChargebeeSource, config: ChargebeeSourceConfig, mocked: responses.RequestsMock
) -> None:
    mocked.get(API + "customers", body=requests.ConnectTimeout("timed out"))
    assert source.validate_credentials(config, team_id=1) == (
        False,
        "Could not reach acme-test.chargebee.com: ConnectTimeout",
    )


def test_validate_credentials_unknown_schema(source: ChargebeeSource, config: ChargebeeSourceConfig) -> None:
    assert source.validate_credentials(config, team_id=1, schema_name="coupons") == (
        False,
        "Chargebee has no table 'coupons'; known: customers, subscriptions, invoices",
    )


@pytest.mark.parametrize(("status", "body"), [(401, AUTH_FAILED), (403, NOT_ALLOWED)])
def test_sync_time_auth_errors_are_non_retryable(
    source: ChargebeeSource,
    config: ChargebeeSourceConfig,
    mocked: responses.RequestsMock,
    job_id: str,
    status: int,
    body: dict[str, object],
) -> None:
    mocked.get(API + "subscriptions", status=status, json=body)
    text = non_retryable_sync_error(source, config, inputs_for("subscriptions", job_id))
    assert text.startswith(str(status))
    assert f"[chargebee subscriptions: {body['api_error_code']}: {body['message']}]" in text
    assert API_KEY not in text
    assert len(mocked.calls) == 1


@pytest.mark.parametrize(
    ("schema", "partition_key"), [("customers", "created_at"), ("subscriptions", "created_at"), ("invoices", "date")]
)
def test_source_for_pipeline_plumbing(
    source: ChargebeeSource, config: ChargebeeSourceConfig, job_id: str, schema: str, partition_key: str
) -> None:
    inputs = inputs_for(schema, job_id, should_use_incremental_field=True, incremental_field="updated_at")
    response = source.source_for_pipeline(config, source.get_resumable_source_manager(inputs), inputs)
    assert response.name == schema
    assert response.primary_keys == ["id"]
    assert response.partition_keys == [partition_key]
    assert (response.partition_mode, response.partition_format) == ("datetime", "month")
    assert response.sort_mode == "asc"


def test_source_for_pipeline_rejects_a_field_the_endpoint_cannot_filter(
    source: ChargebeeSource, config: ChargebeeSourceConfig, job_id: str
) -> None:
    inputs = inputs_for("invoices", job_id, should_use_incremental_field=True, incremental_field="date")
    with pytest.raises(ChargebeeError) as caught:
        source.source_for_pipeline(config, source.get_resumable_source_manager(inputs), inputs)
    assert str(caught.value) == "chargebee invoices: cannot sync incrementally on 'date'; choose one of updated_at"
