"""The Stripe source class: form, config, schemas, credential probes, pipeline plumbing and webhook endpoints."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import requests
import responses

from harness.testing import config_error
from sources.common.errors import ConfigError
from sources.common.fields import SourceFieldInputConfigType
from sources.common.typings import SourceInputs
from sources.stripe.settings import ENDPOINTS
from sources.stripe.source import StripeSource, StripeSourceConfig
from sources.stripe.stripe import StripeSyncError

from .conftest import API_KEY, HarServer

API = "https://api.stripe.com/v1"
WEBHOOK_URL = "https://webhooks.example.test/stripe/abc123"
SCHEMAS = sorted(ENDPOINTS)


def test_form_fields_and_labels(source: StripeSource) -> None:
    fields = {field.name: field for field in source.get_source_config.fields}
    assert list(fields) == ["stripe_secret_key"]
    assert fields["stripe_secret_key"].type is SourceFieldInputConfigType.PASSWORD
    assert fields["stripe_secret_key"].label == "API key"
    assert source.sensitive_keys == frozenset({"stripe_secret_key"})
    webhook_fields = {field.name: field for field in source.get_source_config.webhookFields}
    assert webhook_fields["signing_secret"].type is SourceFieldInputConfigType.PASSWORD


def test_config_page_size_is_hidden_with_a_default(source: StripeSource) -> None:
    assert source.parse_config({"stripe_secret_key": API_KEY}).page_size == 100
    assert source.parse_config({"stripe_secret_key": API_KEY, "page_size": 7}).page_size == 7


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({}, "field 'stripe_secret_key'"),
        ({"stripe_secret_key": "pk_test_fake0000fixture0000key"}, "publishable key"),
        ({"stripe_secret_key": API_KEY, "page_size": 0}, "page_size"),
    ],
)
def test_bad_config_names_the_field(source: StripeSource, payload: dict[str, Any], expected: str) -> None:
    message = config_error(source, payload)
    assert message.startswith("stripe config") and expected in message


def test_schemas(source: StripeSource, config: StripeSourceConfig) -> None:
    schemas = {schema.name: schema for schema in source.get_schemas(config, team_id=1)}
    assert sorted(schemas) == ["charges", "customers", "invoices"]
    for schema in schemas.values():
        assert schema.supports_incremental
        assert [(f.field, f.field_type) for f in schema.incremental_fields] == [("created", "integer")]
        assert schema.supports_webhooks


@pytest.mark.parametrize(
    ("api_key", "denied", "schema_name", "ok", "fragment"),
    [
        ("sk_test_fake0000wrong00000key", frozenset(), None, False, "invalid or expired"),
        ("sk_test_fake0000wrong00000key", frozenset(), "charges", False, "Invalid API Key provided"),
        (API_KEY, frozenset({"customers"}), None, True, None),
        (API_KEY, frozenset({"charges"}), "charges", False, "may not read charges"),
        (API_KEY, frozenset({"charges"}), "invoices", True, None),
    ],
)
def test_credentials_status_mapping(
    source: StripeSource,
    serve_simulator: Callable[..., None],
    simulator_module: Any,
    api_key: str,
    denied: frozenset[str],
    schema_name: str | None,
    ok: bool,
    fragment: str | None,
) -> None:
    simulator = simulator_module.StripeSimulator(simulator_module.build_dataset(), denied=denied)
    serve_simulator(simulator)
    config = source.parse_config({"stripe_secret_key": api_key})
    valid, message = source.validate_credentials(config, team_id=1, schema_name=schema_name)
    assert valid is ok
    assert message is None if fragment is None else (message is not None and fragment in message)
    assert len(simulator.requests) == 1
    assert "limit=1" in simulator.requests[0]


@pytest.mark.parametrize("failure", [500, requests.ConnectionError("refused")])
def test_credentials_other_failures_are_reported_once(
    source: StripeSource, config: StripeSourceConfig, mocked: responses.RequestsMock, failure: Any
) -> None:
    if isinstance(failure, int):
        call = mocked.add(responses.GET, f"{API}/customers", status=failure, json={"error": {"message": "boom"}})
    else:
        call = mocked.add(responses.GET, f"{API}/customers", body=failure)
    valid, message = source.validate_credentials(config, team_id=1)
    assert not valid
    assert message is not None and message.startswith("stripe: probing customers failed")
    assert "\n" not in message
    assert call.call_count == 1, "a credential probe is one request, never retried"


def test_credentials_unknown_schema(source: StripeSource, config: StripeSourceConfig) -> None:
    assert source.validate_credentials(config, team_id=1, schema_name="payouts") == (
        False,
        "Stripe has no table 'payouts'; known: charges, customers, invoices",
    )


@pytest.mark.parametrize("schema_name", SCHEMAS)
def test_source_for_pipeline_plumbing(
    source: StripeSource, config: StripeSourceConfig, make_inputs: Callable[..., SourceInputs], schema_name: str
) -> None:
    inputs = make_inputs(schema_name)
    response = source.source_for_pipeline(config, source.get_resumable_source_manager(inputs), inputs)
    assert response.name == schema_name
    assert response.primary_keys == ["id"]
    assert response.partition_keys == ["created"]
    assert response.partition_mode == "datetime"
    assert response.partition_format == "month"
    assert response.sort_mode == "desc"


def test_source_for_pipeline_rejects_unknown_schema(
    source: StripeSource, config: StripeSourceConfig, make_inputs: Callable[..., SourceInputs]
) -> None:
    inputs = make_inputs("payouts")
    with pytest.raises(ConfigError, match="stripe: unknown endpoint 'payouts'"):
        source.source_for_pipeline(config, source.get_resumable_source_manager(inputs), inputs)


@pytest.mark.parametrize(
    ("api_key", "denied", "expected_prefix"),
    [
        ("sk_test_fake0000wrong00000key", frozenset(), "Invalid API Key provided"),
        (API_KEY, frozenset({"charges"}), "The provided key '"),
    ],
)
def test_sync_auth_errors_match_a_non_retryable_prefix(
    source: StripeSource,
    make_inputs: Callable[..., SourceInputs],
    serve_simulator: Callable[..., None],
    simulator_module: Any,
    api_key: str,
    denied: frozenset[str],
    expected_prefix: str,
) -> None:
    simulator = simulator_module.StripeSimulator(simulator_module.build_dataset(), denied=denied)
    serve_simulator(simulator)
    config = source.parse_config({"stripe_secret_key": api_key, "page_size": 10})
    inputs = make_inputs("charges")
    response = source.source_for_pipeline(config, source.get_resumable_source_manager(inputs), inputs)
    with pytest.raises(StripeSyncError) as raised:
        list(response.items())
    message = str(raised.value)
    assert message.startswith(expected_prefix)
    assert expected_prefix in source.get_non_retryable_errors()
    assert "[stripe charges: HTTP" in message
    assert api_key not in message
    assert len(simulator.requests) == 1, "401 and 403 fail after one attempt"


def test_webhook_resource_map_and_template(source: StripeSource, config: StripeSourceConfig) -> None:
    webhook_schemas = {schema.name for schema in source.get_schemas(config, 1) if schema.supports_webhooks}
    assert source.webhook_resource_map == {"charges": "charge", "customers": "customer", "invoices": "invoice"}
    assert set(source.webhook_resource_map) == webhook_schemas
    assert "stripe-signature" in source.webhook_template.code
    assert {item["key"] for item in source.webhook_template.inputs_schema} == {"signing_secret", "schema_mapping"}


def _endpoint(endpoint_id: str, url: str, status: str = "enabled") -> dict[str, Any]:
    return {
        "id": endpoint_id,
        "object": "webhook_endpoint",
        "api_version": None,
        "application": None,
        "created": 1718000000,
        "description": "Data warehouse source",
        "enabled_events": ["charge.succeeded", "customer.created"],
        "livemode": False,
        "metadata": {},
        "status": status,
        "url": url,
    }


def _listing(*endpoints: dict[str, Any]) -> dict[str, Any]:
    return {"object": "list", "data": list(endpoints), "has_more": False, "url": "/v1/webhook_endpoints"}


def test_create_webhook_registers_the_endpoint(
    source: StripeSource, config: StripeSourceConfig, mocked: responses.RequestsMock
) -> None:
    mocked.add(responses.GET, f"{API}/webhook_endpoints", json=_listing(_endpoint("we_other", "https://x.test/")))
    created = _endpoint("we_1Pnew", WEBHOOK_URL) | {"secret": "whsec_fake0000fixture0000secret"}
    post = mocked.add(responses.POST, f"{API}/webhook_endpoints", json=created)
    result = source.create_webhook(config, WEBHOOK_URL, team_id=1)
    assert result.success, result.error
    assert result.external_id == "we_1Pnew"
    assert result.signing_secret == "whsec_fake0000fixture0000secret"
    form = parse_qsl(post.calls[0].request.body)
    assert ("url", WEBHOOK_URL) in form
    events = {value for name, value in form if name.startswith("enabled_events[")}
    expected = {event for endpoint in ENDPOINTS.values() for event in endpoint.webhook_events}
    assert events == expected


def test_create_webhook_refuses_a_duplicate(
    source: StripeSource, config: StripeSourceConfig, mocked: responses.RequestsMock
) -> None:
    mocked.add(responses.GET, f"{API}/webhook_endpoints", json=_listing(_endpoint("we_1Pold", WEBHOOK_URL)))
    post = mocked.add(responses.POST, f"{API}/webhook_endpoints", json={})
    result = source.create_webhook(config, WEBHOOK_URL, team_id=1)
    assert not result.success
    assert result.error is not None and "we_1Pold" in result.error
    assert post.call_count == 0


def test_create_webhook_reports_a_permission_error(
    source: StripeSource, config: StripeSourceConfig, mocked: responses.RequestsMock
) -> None:
    mocked.add(responses.GET, f"{API}/webhook_endpoints", json=_listing())
    denied = {"error": {"message": "The provided key 'rk_test_****0key' does not have the required permissions"}}
    mocked.add(responses.POST, f"{API}/webhook_endpoints", status=403, json=denied)
    result = source.create_webhook(config, WEBHOOK_URL, team_id=1)
    assert not result.success
    assert result.error is not None and "HTTP 403" in result.error and "required permissions" in result.error


def test_delete_webhook_deletes_only_our_endpoint(
    source: StripeSource, config: StripeSourceConfig, mocked: responses.RequestsMock
) -> None:
    listing = _listing(_endpoint("we_other", "https://x.test/"), _endpoint("we_ours", WEBHOOK_URL))
    mocked.add(responses.GET, f"{API}/webhook_endpoints", json=listing)
    ours = mocked.add(responses.DELETE, f"{API}/webhook_endpoints/we_ours", json={"id": "we_ours", "deleted": True})
    other = mocked.add(responses.DELETE, f"{API}/webhook_endpoints/we_other", json={"id": "we_other", "deleted": True})
    assert source.delete_webhook(config, WEBHOOK_URL, team_id=1).success
    assert ours.call_count == 1
    assert other.call_count == 0


def test_webhook_listing_follows_pages(
    source: StripeSource, config: StripeSourceConfig, mocked: responses.RequestsMock
) -> None:
    first = _listing(_endpoint("we_a", "https://x.test/")) | {"has_more": True}
    second = _listing(_endpoint("we_b", WEBHOOK_URL, status="disabled"))
    mocked.add(
        responses.GET,
        f"{API}/webhook_endpoints",
        json=second,
        match=[responses.matchers.query_param_matcher({"limit": "100", "starting_after": "we_a"})],
    )
    mocked.add(responses.GET, f"{API}/webhook_endpoints", json=first)
    info = source.get_external_webhook_info(config, WEBHOOK_URL, team_id=1)
    assert info.exists
    assert info.status == "disabled"
    assert info.enabled_events == ["charge.succeeded", "customer.created"]


def test_external_webhook_info_without_endpoint(
    source: StripeSource, config: StripeSourceConfig, mocked: responses.RequestsMock
) -> None:
    mocked.add(responses.GET, f"{API}/webhook_endpoints", json=_listing(_endpoint("we_other", "https://x.test/")))
    info = source.get_external_webhook_info(config, WEBHOOK_URL, team_id=1)
    assert not info.exists


def test_webhook_rows_follow_the_pull_rows(
    source: StripeSource,
    config: StripeSourceConfig,
    make_inputs: Callable[..., SourceInputs],
    serve_har: Callable[[str], HarServer],
    tmp_path: Path,
) -> None:
    server = serve_har("charges/future.har")
    inputs = make_inputs(
        "charges",
        webhook_dir=tmp_path,
        should_use_incremental_field=True,
        incremental_field="created",
        db_incremental_field_last_value=1735689600,
    )
    row = {"id": "ch_3PwebhookDelivered", "object": "charge", "created": 1735700000}
    folder = tmp_path / "7" / inputs.schema_id
    folder.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist([row]), folder / "0001.parquet")
    response = source.source_for_pipeline(config, source.get_resumable_source_manager(inputs), inputs)
    batches = list(response.items())
    assert len(server.served) == len(server.entries)
    assert isinstance(batches[-1], pa.Table)
    assert batches[-1].to_pylist() == [row]
    assert json.loads(server.entries[0].response.body)["data"] == []
