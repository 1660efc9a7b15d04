"""The GitHub source class: form, config, schemas, credential probes, pipeline plumbing and webhooks."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import requests
import responses

from harness.testing import config_error
from sources.common.errors import ConfigError
from sources.common.fields import SourceFieldInputConfigType
from sources.common.typings import SourceInputs
from sources.github.settings import ENDPOINTS
from sources.github.source import GithubSource, GithubSourceConfig

from .conftest import REPOSITORIES, TOKEN, HarServer

API = "https://api.github.com"
WEBHOOK_URL = "https://webhooks.example.test/github/abc123"


def test_form_fields_and_labels(source: GithubSource) -> None:
    fields = {field.name: field for field in source.get_source_config.fields}
    assert list(fields) == ["personal_access_token", "repositories"]
    assert fields["personal_access_token"].type is SourceFieldInputConfigType.PASSWORD
    assert fields["personal_access_token"].label == "Personal access token"
    assert fields["repositories"].type is SourceFieldInputConfigType.TEXT
    assert fields["repositories"].label == "Repositories"
    assert source.sensitive_keys == frozenset({"personal_access_token"})
    webhook_fields = {field.name: field for field in source.get_source_config.webhookFields}
    assert webhook_fields["signing_secret"].type is SourceFieldInputConfigType.PASSWORD


def test_config_parses_repository_list_and_hidden_page_size(source: GithubSource) -> None:
    config = source.parse_config(
        {"personal_access_token": TOKEN, "repositories": " a-org/one ,b/two.js,a-org/one", "page_size": 25}
    )
    assert config.repository_names == ("a-org/one", "b/two.js")
    assert config.page_size == 25
    default = source.parse_config({"personal_access_token": TOKEN, "repositories": "a/b"})
    assert default.page_size == 100


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"repositories": "a/b"}, "field 'personal_access_token'"),
        ({"personal_access_token": TOKEN, "repositories": " "}, "field 'repositories'"),
        ({"personal_access_token": TOKEN, "repositories": "a/b, just-a-name"}, "'just-a-name'"),
        ({"personal_access_token": TOKEN, "repositories": "https://github.com/a/b"}, "owner/repo"),
        ({"personal_access_token": TOKEN, "repositories": "a/b", "page_size": 500}, "page_size"),
    ],
)
def test_bad_config_names_the_field(source: GithubSource, payload: dict[str, Any], expected: str) -> None:
    message = config_error(source, payload)
    assert message.startswith("github config") and expected in message


def test_schemas(source: GithubSource, config: GithubSourceConfig) -> None:
    schemas = {schema.name: schema for schema in source.get_schemas(config, team_id=1)}
    assert set(schemas) == {"repositories", "issues", "issue_comments"}
    assert schemas["issues"].supports_incremental
    assert [field.field for field in schemas["issues"].incremental_fields] == ["updated_at"]
    assert schemas["issues"].supports_webhooks
    for name in ("repositories", "issue_comments"):
        assert not schemas[name].supports_incremental
        assert schemas[name].incremental_fields == []
        assert not schemas[name].supports_webhooks


def _probe_with(
    mocked: responses.RequestsMock, status: int, headers: dict[str, str] | None = None
) -> list[requests.PreparedRequest]:
    seen: list[requests.PreparedRequest] = []

    def respond(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        seen.append(request)
        return status, headers or {}, json.dumps({"message": "simulated", "status": str(status)})

    mocked.add_callback(responses.GET, f"{API}/repos/{REPOSITORIES[0]}", callback=respond)
    mocked.add_callback(responses.GET, f"{API}/repos/{REPOSITORIES[0]}/issues", callback=respond)
    return seen


@pytest.mark.parametrize(
    ("status", "schema_name", "ok", "fragment"),
    [
        (401, None, False, "invalid or expired"),
        (401, "issues", False, "invalid or expired"),
        (403, None, True, None),
        (403, "issues", False, "issues"),
        (404, None, False, REPOSITORIES[0]),
        (500, None, False, "HTTP 500"),
        (500, "issues", False, "HTTP 500"),
    ],
)
def test_credentials_status_mapping(
    source: GithubSource,
    mocked: responses.RequestsMock,
    status: int,
    schema_name: str | None,
    ok: bool,
    fragment: str | None,
) -> None:
    config = source.parse_config({"personal_access_token": TOKEN, "repositories": REPOSITORIES[0]})
    seen = _probe_with(mocked, status)
    valid, message = source.validate_credentials(config, team_id=1, schema_name=schema_name)
    assert valid is ok
    if fragment is None:
        assert message is None
    else:
        assert message is not None and fragment in message
    assert len(seen) == 1, "a credential probe is one request, never retried"
    assert seen[0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_credentials_rate_limited_403_is_not_a_scope_problem(
    source: GithubSource, mocked: responses.RequestsMock
) -> None:
    config = source.parse_config({"personal_access_token": TOKEN, "repositories": REPOSITORIES[0]})
    _probe_with(mocked, 403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1900000000"})
    valid, message = source.validate_credentials(config, team_id=1)
    assert not valid
    assert message is not None and "rate limit" in message


def test_credentials_transport_error_is_reported(source: GithubSource, mocked: responses.RequestsMock) -> None:
    config = source.parse_config({"personal_access_token": TOKEN, "repositories": REPOSITORIES[0]})
    mocked.add(responses.GET, f"{API}/repos/{REPOSITORIES[0]}", body=requests.ConnectionError("refused"))
    valid, message = source.validate_credentials(config, team_id=1)
    assert not valid
    assert message is not None and "ConnectionError" in message


def test_credentials_unknown_schema(source: GithubSource, config: GithubSourceConfig) -> None:
    valid, message = source.validate_credentials(config, team_id=1, schema_name="gists")
    assert not valid
    assert message is not None and "gists" in message


@pytest.mark.parametrize("schema_name", sorted(ENDPOINTS))
def test_source_for_pipeline_plumbing(
    source: GithubSource, config: GithubSourceConfig, make_inputs: Callable[..., SourceInputs], schema_name: str
) -> None:
    inputs = make_inputs(schema_name)
    response = source.source_for_pipeline(config, source.get_resumable_source_manager(inputs), inputs)
    assert response.name == schema_name
    assert response.primary_keys == ["id"]
    assert response.partition_keys == ["created_at"]
    assert response.partition_mode == "datetime"
    assert response.partition_format == "month"
    assert response.sort_mode == "asc"


def test_source_for_pipeline_rejects_unknown_schema(
    source: GithubSource, config: GithubSourceConfig, make_inputs: Callable[..., SourceInputs]
) -> None:
    inputs = make_inputs("gists")
    with pytest.raises(ConfigError, match="unknown endpoint 'gists'"):
        source.source_for_pipeline(config, source.get_resumable_source_manager(inputs), inputs)


def test_non_retryable_errors_cover_401_and_403(source: GithubSource) -> None:
    prefixes = list(source.get_non_retryable_errors())
    assert any(
        prefix.startswith("401 Client Error: Unauthorized for url: https://api.github.com") for prefix in prefixes
    )
    assert any(prefix.startswith("403 Client Error: Forbidden for url: https://api.github.com") for prefix in prefixes)


def test_webhook_resource_map_and_template(source: GithubSource, config: GithubSourceConfig) -> None:
    webhook_schemas = {schema.name for schema in source.get_schemas(config, 1) if schema.supports_webhooks}
    assert source.webhook_resource_map == {"issues": "issues"}
    assert set(source.webhook_resource_map) == webhook_schemas
    template = source.webhook_template
    assert "x-hub-signature-256" in template.code
    assert {item["key"] for item in template.inputs_schema} == {"signing_secret", "schema_mapping"}


def test_create_webhook_registers_one_hook_per_repository(
    source: GithubSource, config: GithubSourceConfig, mocked: responses.RequestsMock
) -> None:
    posted: list[tuple[str, dict[str, Any]]] = []

    def respond(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        body = json.loads(request.body or b"{}")
        posted.append((request.url or "", body))
        hook = {"id": 400 + len(posted), "active": True, "events": body["events"], "config": {"url": WEBHOOK_URL}}
        return 201, {}, json.dumps(hook)

    for repository in REPOSITORIES:
        mocked.add_callback(responses.POST, f"{API}/repos/{repository}/hooks", callback=respond)
    result = source.create_webhook(config, WEBHOOK_URL, team_id=1)
    assert result.success, result.error
    assert [url for url, _ in posted] == [f"{API}/repos/{repository}/hooks" for repository in REPOSITORIES]
    secrets = {body["config"]["secret"] for _, body in posted}
    assert secrets == {result.signing_secret}
    for _, body in posted:
        assert body["events"] == ["issues"]
        assert body["config"]["url"] == WEBHOOK_URL
        assert body["config"]["content_type"] == "json"
    assert result.external_id == f"{REPOSITORIES[0]}#401,{REPOSITORIES[1]}#402"


@pytest.mark.parametrize(
    ("status", "body", "fragment"),
    [
        (404, {"message": "Not Found"}, "admin"),
        (
            422,
            {"message": "Validation Failed", "errors": [{"resource": "Hook", "message": "Hook already exists"}]},
            "Hook already exists",
        ),
    ],
)
def test_create_webhook_failure_names_the_repository(
    source: GithubSource,
    config: GithubSourceConfig,
    mocked: responses.RequestsMock,
    status: int,
    body: dict[str, Any],
    fragment: str,
) -> None:
    mocked.add(responses.POST, f"{API}/repos/{REPOSITORIES[0]}/hooks", status=status, json=body)
    result = source.create_webhook(config, WEBHOOK_URL, team_id=1)
    assert not result.success
    assert result.error is not None
    assert REPOSITORIES[0] in result.error and fragment in result.error


def _hooks(*urls: str, active: bool = True) -> list[dict[str, Any]]:
    return [
        {"id": 900 + index, "active": active, "events": ["issues"], "config": {"url": url, "content_type": "json"}}
        for index, url in enumerate(urls)
    ]


def test_delete_webhook_deletes_only_our_hook(
    source: GithubSource, config: GithubSourceConfig, mocked: responses.RequestsMock
) -> None:
    mocked.add(responses.GET, f"{API}/repos/{REPOSITORIES[0]}/hooks", json=_hooks("https://other.test/x", WEBHOOK_URL))
    mocked.add(responses.GET, f"{API}/repos/{REPOSITORIES[1]}/hooks", json=[])
    deleted = mocked.add(responses.DELETE, f"{API}/repos/{REPOSITORIES[0]}/hooks/901", status=204)
    other = mocked.add(responses.DELETE, f"{API}/repos/{REPOSITORIES[0]}/hooks/900", status=204)
    result = source.delete_webhook(config, WEBHOOK_URL, team_id=1)
    assert result.success, result.error
    assert deleted.call_count == 1
    assert other.call_count == 0


def test_delete_webhook_reports_a_refusal(
    source: GithubSource, config: GithubSourceConfig, mocked: responses.RequestsMock
) -> None:
    mocked.add(responses.GET, f"{API}/repos/{REPOSITORIES[0]}/hooks", json=_hooks(WEBHOOK_URL))
    mocked.add(responses.DELETE, f"{API}/repos/{REPOSITORIES[0]}/hooks/900", status=403, json={"message": "Forbidden"})
    result = source.delete_webhook(config, WEBHOOK_URL, team_id=1)
    assert not result.success
    assert result.error is not None and "HTTP 403" in result.error and REPOSITORIES[0] in result.error


@pytest.mark.parametrize(("active", "status"), [(True, "enabled"), (False, "disabled")])
def test_external_webhook_info(
    source: GithubSource, config: GithubSourceConfig, mocked: responses.RequestsMock, active: bool, status: str
) -> None:
    for repository in REPOSITORIES:
        mocked.add(responses.GET, f"{API}/repos/{repository}/hooks", json=_hooks(WEBHOOK_URL, active=active))
    info = source.get_external_webhook_info(config, WEBHOOK_URL, team_id=1)
    assert info.exists
    assert info.status == status
    assert info.enabled_events == ["issues"]
    assert info.url == WEBHOOK_URL


def test_external_webhook_info_missing_on_one_repository(
    source: GithubSource, config: GithubSourceConfig, mocked: responses.RequestsMock
) -> None:
    mocked.add(responses.GET, f"{API}/repos/{REPOSITORIES[0]}/hooks", json=_hooks(WEBHOOK_URL))
    mocked.add(responses.GET, f"{API}/repos/{REPOSITORIES[1]}/hooks", json=_hooks("https://other.test/x"))
    info = source.get_external_webhook_info(config, WEBHOOK_URL, team_id=1)
    assert not info.exists
    assert info.error is not None and REPOSITORIES[1] in info.error


def _write_webhook_rows(folder: Path, rows: list[dict[str, Any]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "0001.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def test_webhook_rows_follow_the_pull_rows(
    source: GithubSource,
    config: GithubSourceConfig,
    make_inputs: Callable[..., SourceInputs],
    serve_har: Callable[[str], HarServer],
    tmp_path: Path,
) -> None:
    server = serve_har("issues/future.har")
    inputs = make_inputs(
        "issues",
        webhook_dir=tmp_path,
        should_use_incremental_field=True,
        incremental_field="updated_at",
        db_incremental_field_last_value="2025-01-01T00:00:00Z",
    )
    webhook_row = {"id": 1, "number": 99, "created_at": "2025-01-02T00:00:00Z", "updated_at": "2025-01-02T00:00:00Z"}
    path = _write_webhook_rows(tmp_path / "7" / inputs.schema_id, [webhook_row])
    response = source.source_for_pipeline(config, source.get_resumable_source_manager(inputs), inputs)
    batches = list(response.items())
    assert len(server.served) == len(server.entries), "the pull ran before the webhook rows"
    assert isinstance(batches[-1], pa.Table)
    assert batches[-1].to_pylist() == [webhook_row]
    assert not path.exists()


def test_endpoint_without_webhooks_leaves_webhook_files_alone(
    source: GithubSource,
    config: GithubSourceConfig,
    make_inputs: Callable[..., SourceInputs],
    serve_har: Callable[[str], HarServer],
    tmp_path: Path,
) -> None:
    serve_har("repositories/full.har")
    inputs = make_inputs("repositories", webhook_dir=tmp_path)
    path = _write_webhook_rows(tmp_path / "7" / inputs.schema_id, [{"id": 1}])
    response = source.source_for_pipeline(config, source.get_resumable_source_manager(inputs), inputs)
    batches = list(response.items())
    assert all(isinstance(batch, list) for batch in batches)
    assert path.exists()
