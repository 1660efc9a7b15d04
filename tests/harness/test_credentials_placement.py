"""Credentials in the wrong place: found on the live request before scrubbing, in recorded requests and in log
lines; the recorder refuses to write a URL that carries one."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from acme_vendor.corpus import GOOD, copy_fixtures
from acme_vendor.dataset import AcmeData
from acme_vendor.recording import config, record
from acme_vendor.simulator import TOKEN, simulator
from acme_vendor.source import AcmeSource, constant

from harness.recording.recorder import CredentialInUrl, Recorder
from harness.replay.credential_places import credential_places, redacted_places
from harness.suite.api import run_check
from sources.common.registry import SourceRegistry

BAD = "acme_api_key_in_query"


def test_the_recorder_refuses_a_url_carrying_the_key_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(CredentialInUrl) as refused:
        record(BAD, AcmeData.generate(), tmp_path / BAD)

    message = str(refused.value)
    assert message.startswith(
        f"{BAD} credentials: refusing to record GET https://api.acme-helpdesk.test/v1/me?api_key="
    )
    assert "api_key=REDACTED" in message and "query parameter 'api_key'" in message
    assert TOKEN not in message and "\n" not in message
    assert not (tmp_path / BAD / "credentials.har").exists()


def test_the_refusal_names_the_endpoint_and_scenario(tmp_path: Path) -> None:
    data = AcmeData.generate()
    recorder = Recorder(BAD, config(data), comment="test", out_dir=tmp_path)

    with pytest.raises(CredentialInUrl, match=rf"^{BAD} tickets full: refusing to record GET \S+/v1/tickets\?"):
        recorder.record_sync("tickets", "full", simulator(data), incremental_field="updated_at")
    assert not (tmp_path / "tickets" / "full.har").exists()


def test_a_regression_after_recording_fails_on_the_live_request(acme_root: Path, tmp_path: Path) -> None:
    copy_fixtures(acme_root / GOOD, BAD, tmp_path / BAD)  # the good recording, then the key moved to the URL

    verdict = run_check(BAD, "tickets", "credentials.placement", fixtures_root=tmp_path)

    assert verdict.status == "failed"
    assert "request #1 GET https://api.acme-helpdesk.test/v1/tickets?" in (verdict.message or "")
    assert "query parameter 'api_key'" in (verdict.message or "") and TOKEN not in (verdict.message or "")


def test_fixtures_recorded_through_the_bug_carry_the_redacted_key(acme_root: Path) -> None:
    har = json.loads((acme_root / BAD / "tickets" / "full.har").read_text())

    assert all("api_key=REDACTED" in entry["request"]["url"] for entry in har["log"]["entries"])


class LogsUrlWithStdlib(AcmeSource):
    """Logs the URL it is about to fetch, token included, through the standard library's logging."""

    source_type = constant("acme_logs_url_stdlib")

    def items(self, config: Any, manager: Any, inputs: Any, endpoint: Any) -> Iterator[Any]:
        logging.getLogger("acme.debug").debug("fetching %s?token=%s", endpoint.path, config.api_token)
        yield from super().items(config, manager, inputs, endpoint)


def test_a_secret_in_a_stdlib_log_line_fails(acme_root: Path, tmp_path: Path) -> None:
    copy_fixtures(acme_root / GOOD, LogsUrlWithStdlib.source_type.fget(None), tmp_path / "acme_logs_url_stdlib")
    SourceRegistry.register(LogsUrlWithStdlib)
    try:
        verdict = run_check("acme_logs_url_stdlib", "tickets", "credentials.placement", fixtures_root=tmp_path)
    finally:
        SourceRegistry.unregister("acme_logs_url_stdlib")

    assert verdict.status == "failed"
    message = verdict.message or ""
    assert "(event 'fetching /tickets?token=REDACTED', debug) carries the configured 'api_token'" in message
    assert TOKEN not in message


@pytest.mark.parametrize(
    ("url", "body", "content_type", "expected"),
    [
        ("https://v.test/a?api_key=s3cr3t-value-01&limit=5", None, None, [("query parameter", "api_key")]),
        ("https://v.test/a?q=s3cr3t-value-01", None, None, [("query parameter", "q")]),
        ("https://v.test/export?X-Amz-Signature=abcdef0123456789", None, None, []),
        ("https://v.test/keys/s3cr3t-value-01/items", None, None, [("URL path", None)]),
        ("https://user:pw-value@v.test/a", None, None, [("URL userinfo", None)]),
        (
            "https://v.test/a",
            '{"filter": {"token": "s3cr3t-value-01"}}',
            "application/json",
            [("body field", "filter.token")],
        ),
        (
            "https://v.test/a",
            "grant_type=x&client_secret=s3cr3t-value-01",
            "application/x-www-form-urlencoded",
            [("body field", "client_secret")],
        ),
        ("https://v.test/a", "raw s3cr3t-value-01 text", "text/plain", [("body", None)]),
        ("https://v.test/a?page_token=abc123456&api_key=REDACTED", '{"q": "x"}', "application/json", []),
    ],
)
def test_credential_places_name_where_the_secret_sits(
    url: str, body: str | None, content_type: str | None, expected: list[tuple[str, str | None]]
) -> None:
    places = credential_places(url, body, content_type, secrets={"s3cr3t-value-01"})

    assert [(place.kind, place.name) for place in places] == expected
    assert all("s3cr3t-value-01" not in place.describe() for place in places)


def test_redacted_places_read_the_recorders_placeholder() -> None:
    places = redacted_places(
        "https://v.test/a?api_key=REDACTED&limit=5", '{"auth": {"client_secret": "REDACTED"}}', "application/json"
    )

    assert [(place.kind, place.name) for place in places] == [
        ("query parameter", "api_key"),
        ("body field", "auth.client_secret"),
    ]
