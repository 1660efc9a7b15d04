"""HubspotSource at the source-class level: form, config, schemas, credential probe, pipeline plumbing."""

from __future__ import annotations

import re

import pytest
import requests
import responses

from harness.testing import config_error
from sources.common.fields import SourceFieldInputConfig, SourceFieldInputConfigType
from sources.hubspot.hubspot import HubspotError
from sources.hubspot.source import HubspotSource, HubspotSourceConfig

ANY_OBJECT_LIST = re.compile(r"https://api\.hubapi\.com/crm/v3/objects/\w+\?.*")
CONTACTS_PROBE = "https://api.hubapi.com/crm/v3/objects/contacts?limit=1&archived=false"
UNAUTHORIZED = {
    "status": "error",
    "message": "Authentication credentials not found.",
    "correlationId": "0b4a3f0e-6a43-4c43-9e8b-8d2f5c1f7a10",
    "category": "INVALID_AUTHENTICATION",
}
MISSING_SCOPES = {
    "status": "error",
    "message": "This app hasn't been granted all required scopes to make this call.",
    "correlationId": "2f5f3b1c-2b7a-4e0e-8d0c-0d8e3e6f1b22",
    "category": "MISSING_SCOPES",
}


def test_form_fields_and_secret_handling(source: HubspotSource) -> None:
    config = source.get_source_config
    fields = {field.name: field for field in config.fields if isinstance(field, SourceFieldInputConfig)}
    assert set(fields) == {"access_token", "page_size"}
    assert fields["access_token"].type is SourceFieldInputConfigType.PASSWORD
    assert fields["access_token"].required
    assert fields["access_token"].label == "Private app access token"
    assert fields["page_size"].type is SourceFieldInputConfigType.NUMBER
    assert not fields["page_size"].required
    assert source.sensitive_keys == {"access_token"}
    assert config.label == "HubSpot" and config.releaseStatus == "alpha"
    for scope in ("crm.objects.contacts.read", "crm.objects.companies.read", "crm.objects.deals.read"):
        assert scope in config.caption


def test_config_parses_with_default_page_size(source: HubspotSource) -> None:
    config = source.parse_config({"access_token": " fake-hubspot-token-0002 "})
    assert config == HubspotSourceConfig(access_token="fake-hubspot-token-0002", page_size=100)
    assert source.parse_config({"access_token": "fake-hubspot-token-0002", "page_size": "25"}).page_size == 25


@pytest.mark.parametrize(
    ("payload", "named"),
    [
        ({}, "access_token"),
        ({"access_token": "  "}, "access_token"),
        ({"access_token": "fake-hubspot-token-0002", "page_size": 0}, "page_size"),
        ({"access_token": "fake-hubspot-token-0002", "page_size": 101}, "page_size"),
        ({"access_token": "fake-hubspot-token-0002", "page_size": 10.5}, "page_size"),
        ({"access_token": "fake-hubspot-token-0002", "page_size": "ten"}, "page_size"),
    ],
)
def test_bad_config_names_the_field(source: HubspotSource, payload: dict, named: str) -> None:
    assert config_error(source, payload).startswith(f"hubspot config: field '{named}'")


def test_schemas(source: HubspotSource, config: HubspotSourceConfig) -> None:
    schemas = {schema.name: schema for schema in source.get_schemas(config, team_id=1)}
    assert list(schemas) == ["contacts", "companies", "deals"]
    for schema in schemas.values():
        assert schema.supports_incremental and schema.supports_append
        assert not schema.supports_webhooks
        assert [(field.field, field.field_type) for field in schema.incremental_fields] == [("updatedAt", "datetime")]


@pytest.mark.parametrize(
    ("status", "body", "schema_name", "probed", "expected_ok", "message_part"),
    [
        (200, {"results": []}, None, CONTACTS_PROBE, True, None),
        (
            200,
            {"results": []},
            "deals",
            "https://api.hubapi.com/crm/v3/objects/deals?limit=1&archived=false",
            True,
            None,
        ),
        (401, UNAUTHORIZED, None, CONTACTS_PROBE, False, "HubSpot rejected the access token (INVALID_AUTHENTICATION"),
        (401, UNAUTHORIZED, "companies", None, False, "rejected the access token"),
        (403, MISSING_SCOPES, None, CONTACTS_PROBE, True, None),
        (
            403,
            MISSING_SCOPES,
            "companies",
            "https://api.hubapi.com/crm/v3/objects/companies?limit=1&archived=false",
            False,
            "cannot read companies: grant the private app the `crm.objects.companies.read` scope",
        ),
        (500, {"status": "error", "message": "internal error", "category": "INTERNAL_ERROR"}, None, None, False, "500"),
    ],
)
def test_validate_credentials(
    source: HubspotSource,
    config: HubspotSourceConfig,
    mocked: responses.RequestsMock,
    fake_clock: object,
    status: int,
    body: dict,
    schema_name: str | None,
    probed: str | None,
    expected_ok: bool,
    message_part: str | None,
) -> None:
    mocked.add(responses.GET, ANY_OBJECT_LIST, json=body, status=status)
    ok, message = source.validate_credentials(config, team_id=1, schema_name=schema_name)
    assert ok is expected_ok
    if message_part is None:
        assert message is None
    else:
        assert message is not None and message_part in message and "\n" not in message
    if probed is not None:
        assert mocked.calls[0].request.url == probed
    assert mocked.calls[0].request.headers["Authorization"] == f"Bearer {config.access_token}"


def test_validate_credentials_never_raises_on_a_transport_error(
    source: HubspotSource, config: HubspotSourceConfig, mocked: responses.RequestsMock, fake_clock: object
) -> None:
    mocked.add(responses.GET, ANY_OBJECT_LIST, body=requests.ConnectionError("connection refused"))
    ok, message = source.validate_credentials(config, team_id=1)
    assert not ok
    assert message is not None and "ConnectionError" in message


def test_validate_credentials_for_an_unknown_schema(source: HubspotSource, config: HubspotSourceConfig) -> None:
    ok, message = source.validate_credentials(config, team_id=1, schema_name="tickets")
    assert not ok
    assert message == "HubSpot has no table 'tickets'; known: contacts, companies, deals"


def test_non_retryable_errors_cover_401_and_403(source: HubspotSource) -> None:
    keys = list(source.get_non_retryable_errors())
    assert keys == [
        "401 Client Error: Unauthorized for url: https://api.hubapi.com",
        "403 Client Error: Forbidden for url: https://api.hubapi.com",
    ]
    assert all(source.get_non_retryable_errors().values())


@pytest.mark.parametrize("schema_name", ["contacts", "companies", "deals"])
@pytest.mark.parametrize("incremental", [False, True])
def test_source_for_pipeline_plumbing(
    source: HubspotSource, config: HubspotSourceConfig, inputs_for, schema_name: str, incremental: bool
) -> None:
    inputs = inputs_for(schema_name, incremental=incremental)
    response = source.source_for_pipeline(config, source.get_resumable_source_manager(inputs), inputs)
    assert response.name == schema_name
    assert response.primary_keys == ["id"]
    assert response.partition_keys == ["createdAt"]
    assert (response.partition_mode, response.partition_format) == ("datetime", "month")
    assert response.sort_mode == "asc"


def test_source_for_pipeline_rejects_an_unknown_schema(
    source: HubspotSource, config: HubspotSourceConfig, inputs_for
) -> None:
    inputs = inputs_for("tickets")
    with pytest.raises(HubspotError, match="unknown endpoint 'tickets'"):
        source.source_for_pipeline(config, source.get_resumable_source_manager(inputs), inputs)
