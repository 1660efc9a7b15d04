"""TypeformSource at the source-class level: form, config, schemas, credential probe, pipeline plumbing."""

from __future__ import annotations

import re

import pytest
import requests
import responses

from harness.testing import config_error
from sources.common.base import ResumableSource, SimpleSource
from sources.common.fields import SourceFieldInputConfig, SourceFieldInputConfigType, SourceFieldSelectConfig
from sources.common.registry import SourceRegistry
from sources.typeform.source import TypeformSource, TypeformSourceConfig
from sources.typeform.typeform import TypeformError

ANY_LIST = re.compile(r"https://api\.(eu\.)?typeform\.com/\w+\?.*")
UNAUTHORIZED = {
    "code": "AUTHENTICATION_FAILED",
    "description": "Authentication credentials not found on the Request Headers",
}
FORBIDDEN = {"code": "FORBIDDEN", "description": "The access token does not have the required scope: workspaces:read"}


def test_source_type_base_class_and_registration(source: TypeformSource) -> None:
    assert source.source_type == "typeform"
    assert SourceRegistry.get_source_class("typeform") is TypeformSource
    assert isinstance(source, SimpleSource) and not isinstance(source, ResumableSource)


def test_form_fields_and_secret_handling(source: TypeformSource) -> None:
    config = source.get_source_config
    by_name = {field.name: field for field in config.fields}
    assert list(by_name) == ["personal_access_token", "data_center", "page_size"]
    token = by_name["personal_access_token"]
    assert isinstance(token, SourceFieldInputConfig)
    assert token.type is SourceFieldInputConfigType.PASSWORD and token.required
    assert token.label == "Personal access token"
    data_center = by_name["data_center"]
    assert isinstance(data_center, SourceFieldSelectConfig)
    assert [option.value for option in data_center.options] == ["us", "eu"]
    assert data_center.default_value == "us"
    page_size = by_name["page_size"]
    assert isinstance(page_size, SourceFieldInputConfig)
    assert page_size.type is SourceFieldInputConfigType.NUMBER and not page_size.required
    assert source.sensitive_keys == {"personal_access_token"}
    assert "`forms:read`" in config.caption and "`workspaces:read`" in config.caption
    assert config.releaseStatus == "alpha"


def test_config_defaults_and_data_center(source: TypeformSource) -> None:
    config = source.parse_config({"personal_access_token": "fake-typeform-token-0002"})
    assert (config.data_center, config.page_size, config.base_url) == ("us", 200, "https://api.typeform.com")
    eu = source.parse_config({"personal_access_token": "fake-typeform-token-0002", "data_center": "eu"})
    assert eu.base_url == "https://api.eu.typeform.com"


@pytest.mark.parametrize(
    ("payload", "named"),
    [
        ({}, "personal_access_token"),
        ({"personal_access_token": ""}, "personal_access_token"),
        ({"personal_access_token": "fake-typeform-token-0002", "data_center": "ap"}, "data_center"),
        ({"personal_access_token": "fake-typeform-token-0002", "page_size": 0}, "page_size"),
        ({"personal_access_token": "fake-typeform-token-0002", "page_size": 201}, "page_size"),
        ({"personal_access_token": "fake-typeform-token-0002", "page_size": "many"}, "page_size"),
    ],
)
def test_bad_config_names_the_field(source: TypeformSource, payload: dict, named: str) -> None:
    assert re.match(rf"typeform config(?: > \w+)?: field '{named}'", config_error(source, payload))


def test_schemas_are_full_refresh_only(source: TypeformSource, config: TypeformSourceConfig) -> None:
    schemas = source.get_schemas(config, team_id=1)
    assert [schema.name for schema in schemas] == ["forms", "workspaces"]
    for schema in schemas:
        assert not schema.supports_incremental and not schema.supports_append
        assert schema.incremental_fields == [] and not schema.supports_webhooks


@pytest.mark.parametrize(
    ("status", "body", "schema_name", "probed", "expected_ok", "message_part"),
    [
        (200, {"total_items": 0, "page_count": 0, "items": []}, None, "forms", True, None),
        (200, {"total_items": 0, "page_count": 0, "items": []}, "workspaces", "workspaces", True, None),
        (401, UNAUTHORIZED, None, "forms", False, "Typeform rejected the personal access token (AUTHENTICATION_FAILED"),
        (401, UNAUTHORIZED, "forms", "forms", False, "rejected the personal access token"),
        (403, FORBIDDEN, None, "forms", True, None),
        (
            403,
            FORBIDDEN,
            "workspaces",
            "workspaces",
            False,
            "cannot read workspaces: create a token with the `workspaces:read` scope",
        ),
        (500, {"code": "INTERNAL_ERROR", "description": "oops"}, None, "forms", False, "Typeform answered 500"),
    ],
)
def test_validate_credentials(
    source: TypeformSource,
    config: TypeformSourceConfig,
    mocked: responses.RequestsMock,
    fake_clock: object,
    status: int,
    body: dict,
    schema_name: str | None,
    probed: str,
    expected_ok: bool,
    message_part: str | None,
) -> None:
    mocked.add(responses.GET, ANY_LIST, json=body, status=status)
    ok, message = source.validate_credentials(config, team_id=1, schema_name=schema_name)
    assert ok is expected_ok
    if message_part is None:
        assert message is None
    else:
        assert message is not None and message_part in message and "\n" not in message
    assert mocked.calls[0].request.url == f"https://api.typeform.com/{probed}?page=1&page_size=1"
    assert mocked.calls[0].request.headers["Authorization"] == f"Bearer {config.personal_access_token}"


def test_validate_credentials_uses_the_eu_data_center(source: TypeformSource, mocked: responses.RequestsMock) -> None:
    mocked.add(responses.GET, ANY_LIST, json={"total_items": 0, "page_count": 0, "items": []})
    config = TypeformSourceConfig(personal_access_token="fake-typeform-token-0002", data_center="eu")
    assert source.validate_credentials(config, team_id=1) == (True, None)
    assert mocked.calls[0].request.url.startswith("https://api.eu.typeform.com/forms?")


def test_validate_credentials_never_raises(
    source: TypeformSource, config: TypeformSourceConfig, mocked: responses.RequestsMock, fake_clock: object
) -> None:
    mocked.add(responses.GET, ANY_LIST, body=requests.ConnectionError("connection refused"))
    ok, message = source.validate_credentials(config, team_id=1)
    assert not ok and message is not None and "ConnectionError" in message
    assert source.validate_credentials(config, team_id=1, schema_name="responses") == (
        False,
        "Typeform has no table 'responses'; known: forms, workspaces",
    )


def test_non_retryable_errors_cover_both_data_centers(source: TypeformSource) -> None:
    errors = source.get_non_retryable_errors()
    assert list(errors) == [
        "401 Client Error: Unauthorized for url: https://api.typeform.com",
        "403 Client Error: Forbidden for url: https://api.typeform.com",
        "401 Client Error: Unauthorized for url: https://api.eu.typeform.com",
        "403 Client Error: Forbidden for url: https://api.eu.typeform.com",
    ]
    assert all(errors.values())


def test_forms_plumbing(source: TypeformSource, config: TypeformSourceConfig, make_inputs) -> None:
    response = source.source_for_pipeline(config, make_inputs("forms"))
    assert response.name == "forms" and response.primary_keys == ["id"]
    assert response.partition_keys == ["created_at"]
    assert (response.partition_mode, response.partition_format) == ("datetime", "month")
    assert response.sort_mode == "asc"


def test_workspaces_plumbing(source: TypeformSource, config: TypeformSourceConfig, make_inputs) -> None:
    response = source.source_for_pipeline(config, make_inputs("workspaces"))
    assert response.name == "workspaces" and response.primary_keys == ["id"]
    assert response.partition_keys is None and response.partition_mode is None
    assert response.sort_mode == "asc"


def test_unknown_schema_is_a_clear_error(source: TypeformSource, config: TypeformSourceConfig, make_inputs) -> None:
    with pytest.raises(TypeformError, match=r"^typeform: unknown endpoint 'responses'; known: forms, workspaces$"):
        source.source_for_pipeline(config, make_inputs("responses"))
