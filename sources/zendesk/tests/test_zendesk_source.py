"""Source-class level: registration, form, config, schemas, credential checks and pipeline plumbing."""

from __future__ import annotations

import base64

import pytest
import requests
import responses

from harness.testing import config_error, non_retryable_sync_error
from sources.common.fields import SourceFieldInputConfig, SourceFieldInputConfigType
from sources.common.typings import SourceInputs
from sources.zendesk.source import ZendeskSource, ZendeskSourceConfig
from sources.zendesk.zendesk import ZendeskError

TOKEN = "fake-zendesk-api-token-0001"
EMAIL = "admin@acme-outdoors.example"
API = "https://acme-outdoors.zendesk.com/api/v2/"
PROBE_URLS = {
    None: API + "groups.json",
    "groups": API + "groups.json",
    "tickets": API + "incremental/tickets/cursor.json",
    "users": API + "incremental/users/cursor.json",
}
FORBIDDEN = {
    "error": "Forbidden",
    "description": "You do not have access to this page. Please contact the account owner of this help desk.",
}


@pytest.fixture
def source() -> ZendeskSource:
    return ZendeskSource()


@pytest.fixture
def config() -> ZendeskSourceConfig:
    return ZendeskSourceConfig(subdomain="acme-outdoors", email=EMAIL, api_token=TOKEN, page_size=10)


def inputs_for(schema: str, job_id: str, **overrides: object) -> SourceInputs:
    values: dict[str, object] = {"schema_name": schema, "team_id": 7, "job_id": job_id, "schema_id": f"s-{schema}"}
    values.update(overrides)
    return SourceInputs(**values)  # type: ignore[arg-type]


def test_form_fields_and_secret(source: ZendeskSource) -> None:
    fields = {field.name: field for field in source.get_source_config.fields}
    assert list(fields) == ["subdomain", "email", "api_token", "page_size"]
    assert all(isinstance(field, SourceFieldInputConfig) for field in fields.values())
    types = {name: field.type for name, field in fields.items()}  # type: ignore[union-attr]
    assert types == {
        "subdomain": SourceFieldInputConfigType.TEXT,
        "email": SourceFieldInputConfigType.EMAIL,
        "api_token": SourceFieldInputConfigType.PASSWORD,
        "page_size": SourceFieldInputConfigType.NUMBER,
    }
    assert [field.label for field in fields.values()] == ["Subdomain", "Email", "API token", "Rows per request"]
    assert not fields["page_size"].required  # type: ignore[union-attr]
    assert source.sensitive_keys == frozenset({"api_token"})
    assert source.get_source_config.releaseStatus == "alpha"


@pytest.mark.parametrize(
    "subdomain", ["acme-outdoors", "ACME-Outdoors", "acme-outdoors.zendesk.com", "https://acme-outdoors.zendesk.com/"]
)
def test_parse_config_normalizes_the_subdomain(source: ZendeskSource, subdomain: str) -> None:
    parsed = source.parse_config({"subdomain": subdomain, "email": EMAIL, "api_token": TOKEN})
    assert parsed == ZendeskSourceConfig(subdomain="acme-outdoors", email=EMAIL, api_token=TOKEN, page_size=100)


@pytest.mark.parametrize(
    ("payload", "field", "fragment"),
    [
        ({"email": EMAIL, "api_token": TOKEN}, "subdomain", "is required"),
        ({"subdomain": "acme corp", "email": EMAIL, "api_token": TOKEN}, "subdomain", "got 'acme corp'"),
        ({"subdomain": "acme.freshdesk.com", "email": EMAIL, "api_token": TOKEN}, "subdomain", "like 'acme'"),
        ({"subdomain": "-acme", "email": EMAIL, "api_token": TOKEN}, "subdomain", "before .zendesk.com"),
        ({"subdomain": "acme", "email": "admin", "api_token": TOKEN}, "email", "must be an email address"),
        ({"subdomain": "acme", "email": EMAIL}, "api_token", "is required"),
        ({"subdomain": "acme", "email": EMAIL, "api_token": TOKEN, "page_size": -3}, "page_size", "got -3"),
    ],
)
def test_parse_config_rejects_bad_input(
    source: ZendeskSource, payload: dict[str, object], field: str, fragment: str
) -> None:
    text = config_error(source, payload)
    assert text.startswith(f"Zendesk config: field '{field}'") and fragment in text


def test_schemas(source: ZendeskSource, config: ZendeskSourceConfig) -> None:
    schemas = {schema.name: schema for schema in source.get_schemas(config, team_id=1)}
    assert list(schemas) == ["tickets", "users", "groups"]
    for name in ("tickets", "users"):
        assert schemas[name].supports_incremental and schemas[name].supports_append
        assert [(f.field, f.field_type) for f in schemas[name].incremental_fields] == [("updated_at", "datetime")]
    groups = schemas["groups"]
    assert not groups.supports_incremental and not groups.supports_append and groups.incremental_fields == []
    assert not any(schema.supports_webhooks for schema in schemas.values())


@pytest.mark.parametrize(
    ("status", "schema_name", "body", "ok", "fragment"),
    [
        (200, None, {"groups": [], "meta": {"has_more": False}}, True, None),
        (200, "tickets", {"tickets": [], "end_of_stream": True}, True, None),
        (401, None, {"error": "Couldn't authenticate you"}, False, "rejected the email and API token"),
        (401, "users", {"error": "Couldn't authenticate you"}, False, "(Couldn't authenticate you)"),
        (403, None, FORBIDDEN, True, None),
        (403, "tickets", FORBIDDEN, False, "cannot read tickets: it needs the admin role (Forbidden: You do not"),
        (403, "groups", FORBIDDEN, False, "cannot read groups: it needs the agent role"),
        (404, None, {"error": {"title": "No help desk", "message": "none"}}, False, "no Zendesk account at"),
        (500, "users", {"error": "InternalError"}, False, "Zendesk answered 500 while checking the credentials"),
    ],
)
def test_validate_credentials_by_status(
    source: ZendeskSource,
    config: ZendeskSourceConfig,
    mocked: responses.RequestsMock,
    status: int,
    schema_name: str | None,
    body: dict[str, object],
    ok: bool,
    fragment: str | None,
) -> None:
    mocked.get(PROBE_URLS[schema_name], status=status, json=body)

    valid, message = source.validate_credentials(config, team_id=1, schema_name=schema_name)

    assert valid is ok
    assert message is None if fragment is None else (message is not None and fragment in message)
    assert len(mocked.calls) == 1
    sent = mocked.calls[0].request
    credentials = base64.b64encode(f"{EMAIL}/token:{TOKEN}".encode()).decode()
    assert sent.headers["Authorization"] == f"Basic {credentials}"
    expected_query = "per_page=1&start_time=0" if schema_name in ("tickets", "users") else "page%5Bsize%5D=1"
    assert sent.url.endswith("?" + expected_query)


def test_validate_credentials_unreachable(
    source: ZendeskSource, config: ZendeskSourceConfig, mocked: responses.RequestsMock
) -> None:
    mocked.get(PROBE_URLS[None], body=requests.ConnectionError("no route"))
    assert source.validate_credentials(config, team_id=1) == (
        False,
        "Could not reach acme-outdoors.zendesk.com: ConnectionError",
    )


def test_validate_credentials_unknown_schema(source: ZendeskSource, config: ZendeskSourceConfig) -> None:
    assert source.validate_credentials(config, team_id=1, schema_name="macros") == (
        False,
        "Zendesk has no table 'macros'; known: tickets, users, groups",
    )


@pytest.mark.parametrize(
    ("status", "body", "vendor"),
    [
        (401, {"error": "Couldn't authenticate you"}, "Couldn't authenticate you"),
        (403, FORBIDDEN, "Forbidden: You do not have access to this page."),
        (404, {"error": {"title": "No help desk at x", "message": "none"}}, "No help desk at x: none"),
    ],
)
def test_sync_time_errors_are_non_retryable(
    source: ZendeskSource,
    config: ZendeskSourceConfig,
    mocked: responses.RequestsMock,
    job_id: str,
    status: int,
    body: dict[str, object],
    vendor: str,
) -> None:
    mocked.get(PROBE_URLS["tickets"], status=status, json=body)
    text = non_retryable_sync_error(source, config, inputs_for("tickets", job_id))
    assert text.startswith(str(status))
    assert f"[zendesk tickets: {vendor}" in text
    assert TOKEN not in text
    assert len(mocked.calls) == 1


@pytest.mark.parametrize("schema", ["tickets", "users", "groups"])
def test_source_for_pipeline_plumbing(
    source: ZendeskSource, config: ZendeskSourceConfig, job_id: str, schema: str
) -> None:
    incremental = schema != "groups"
    inputs = inputs_for(
        schema,
        job_id,
        should_use_incremental_field=incremental,
        incremental_field="updated_at" if incremental else None,
    )
    response = source.source_for_pipeline(config, source.get_resumable_source_manager(inputs), inputs)
    assert response.name == schema
    assert response.primary_keys == ["id"]
    assert response.partition_keys == ["created_at"]
    assert (response.partition_mode, response.partition_format) == ("datetime", "month")
    assert response.sort_mode == "asc"


@pytest.mark.parametrize(
    ("schema", "field", "message"),
    [
        ("groups", "updated_at", "zendesk groups: cannot sync incrementally on 'updated_at'; choose one of none"),
        ("tickets", "created_at", "zendesk tickets: cannot sync incrementally on 'created_at'; choose one of upd"),
    ],
)
def test_source_for_pipeline_rejects_fields_the_endpoint_cannot_filter(
    source: ZendeskSource, config: ZendeskSourceConfig, job_id: str, schema: str, field: str, message: str
) -> None:
    inputs = inputs_for(schema, job_id, should_use_incremental_field=True, incremental_field=field)
    with pytest.raises(ZendeskError) as caught:
        source.source_for_pipeline(config, source.get_resumable_source_manager(inputs), inputs)
    assert str(caught.value).startswith(message)
