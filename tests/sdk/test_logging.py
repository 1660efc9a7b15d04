"""configure_logging: JSON lines a machine can parse, carrying every RequestRecord field."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
import responses
import structlog

from sources.common.http import job_context, make_tracked_session
from sources.common.logging import configure_logging

API = "https://api.acme.test/v1"
RECORD_FIELDS = {
    "method", "url", "status", "latency_ms", "request_bytes", "response_bytes", "error_class", "timeout",
    "team_id", "source_type", "source_id", "schema_id", "job_id",
}  # fmt: skip


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    yield stream
    structlog.reset_defaults()


def lines_of(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_lines_carry_the_request_record(log_stream: io.StringIO) -> None:
    configure_logging(json=True, stream=log_stream)
    session = make_tracked_session(headers={"Authorization": "Bearer fake-acme-token-0001"})

    with responses.RequestsMock() as mock, job_context(team_id=7, source_type="Acme", job_id="job-1"):
        mock.get(f"{API}/items", json=[{"id": 1}])
        params: dict[str, str | int] = {"api_key": "fake-acme-key-0001", "limit": 2}
        session.get(f"{API}/items", params=params)

    [line] = [entry for entry in lines_of(log_stream) if entry["event"] == "http_request"]
    assert set(line) >= RECORD_FIELDS
    assert line["url"] == f"{API}/items?api_key=REDACTED&limit=2"
    assert (line["method"], line["status"], line["team_id"], line["job_id"]) == ("GET", 200, 7, "job-1")
    assert line["level"] == "info"
    assert line["logger"] == "sources.http"
    assert dt.datetime.fromisoformat(line["timestamp"]).tzinfo is not None
    assert "fake-acme" not in log_stream.getvalue()


def test_every_line_is_one_json_object(log_stream: io.StringIO) -> None:
    configure_logging(stream=log_stream)
    logger = structlog.get_logger("sources.test")

    logger.info("first", rows=3)
    logger.warning("second", note='with\nnewline and "quotes"')

    entries = lines_of(log_stream)
    assert [(entry["event"], entry["level"]) for entry in entries] == [("first", "info"), ("second", "warning")]
    assert entries[1]["note"] == 'with\nnewline and "quotes"'


def test_fields_named_like_credentials_are_redacted(log_stream: io.StringIO) -> None:
    configure_logging(stream=log_stream)

    structlog.get_logger("sources.test").info(
        "connected", api_key="fake-key-0001", password="fake-pw-0001", key="redis:key:1", page_token="p2"
    )

    [entry] = lines_of(log_stream)
    assert entry["api_key"] == entry["password"] == "REDACTED"
    assert entry["key"] == "redis:key:1"
    assert entry["page_token"] == "p2"


def test_level_filters_out_quieter_events(log_stream: io.StringIO) -> None:
    configure_logging(stream=log_stream, level=30)
    logger = structlog.get_logger("sources.test")

    logger.info("quiet")
    logger.warning("loud")

    assert [entry["event"] for entry in lines_of(log_stream)] == ["loud"]


def test_console_format_is_one_readable_line_per_event(log_stream: io.StringIO) -> None:
    configure_logging(json=False, stream=log_stream)

    structlog.get_logger("sources.test").info("http_request", status=200)

    [line] = log_stream.getvalue().splitlines()
    assert "http_request" in line
    assert "status=200" in line
    assert "[sources.test]" in line


def test_text_values_and_tracebacks_are_scrubbed(log_stream: io.StringIO) -> None:
    configure_logging(stream=log_stream)
    logger = structlog.get_logger("sources.test")

    try:
        raise RuntimeError("GET https://svc:fake-pw-0001@api.acme.test/v1?access_token=fake-tok-0001 failed")
    except RuntimeError:
        logger.exception("sync_failed", detail="retrying /v1/items?api_key=fake-key-0001&limit=5")

    [entry] = lines_of(log_stream)
    assert entry["detail"] == "retrying /v1/items?api_key=REDACTED&limit=5"
    assert "RuntimeError: GET https://api.acme.test/v1?access_token=REDACTED failed" in entry["exception"]
    assert "fake-" not in log_stream.getvalue()
