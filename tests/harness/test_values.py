"""Watermarks: found in a request in every common encoding, shifted in their own representation."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import quote, urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.checks.failure import CheckFailure
from harness.replay.base import WireRequest
from harness.replay.matching import request_key
from harness.runs.watermark_values import carries_value, parseable, shifted, sort_value

WATERMARK = "2024-03-01T12:30:00Z"
INSTANT = dt.datetime(2024, 3, 1, 12, 30, tzinfo=dt.UTC)


def wire(url: str, body: str | None = None) -> WireRequest:
    return WireRequest(0, "GET", url, (), body, (10, 60), request_key("GET", url, body, None))


@pytest.mark.parametrize(
    "request_",
    [
        wire(f"https://api.test/x?{urlencode({'since': WATERMARK})}"),
        wire(f"https://api.test/x?{urlencode({'since': '2024-03-01T12:30:00+00:00'})}"),
        wire(f"https://api.test/x?updated_at%5Bafter%5D={int(INSTANT.timestamp())}"),
        wire("https://api.test/x", body=json.dumps({"filters": [{"value": int(INSTANT.timestamp() * 1000)}]})),
        wire(f"https://api.test/x?filter={quote('greater-than(updated,2024-03-01T12:30:00.000Z)')}"),
        wire("https://api.test/x?start_date=2024-03-01"),
    ],
    ids=["iso-z", "iso-offset", "epoch-seconds", "epoch-ms-in-json-body", "filter-expression", "date-only"],
)
def test_a_watermark_is_found_in_any_common_encoding(request_: WireRequest) -> None:
    assert carries_value(request_, WATERMARK, "datetime")


def test_a_different_instant_is_not_the_watermark_unless_within_the_lookback() -> None:
    earlier = wire(f"https://api.test/x?{urlencode({'since': '2024-03-01T11:30:00Z'})}")

    assert not carries_value(earlier, WATERMARK, "datetime")
    assert carries_value(earlier, WATERMARK, "datetime", lookback_seconds=3600)


def test_integer_watermarks_match_whole_numbers_only() -> None:
    assert carries_value(wire("https://api.test/x?since_id=1042"), 1042, "integer")
    assert not carries_value(wire("https://api.test/x?since_id=10420"), 1042, "integer")


@given(
    moment=st.datetimes(
        min_value=dt.datetime(2001, 1, 1), max_value=dt.datetime(2090, 1, 1), timezones=st.just(dt.UTC)
    ),
    days=st.integers(min_value=-30, max_value=30).filter(bool),
    form=st.sampled_from(["iso", "epoch", "epoch_ms", "date"]),
)
def test_a_shifted_watermark_keeps_its_representation_and_differs(moment: dt.datetime, days: int, form: str) -> None:
    value = {
        "iso": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "epoch": int(moment.timestamp()),
        "epoch_ms": int(moment.timestamp() * 1000),
        "date": moment.date().isoformat(),
    }[form]
    moved = shifted(value, "datetime", days)

    assert type(moved) is type(value)
    assert parseable(moved, "datetime")
    assert sort_value(moved, "datetime") != sort_value(value, "datetime")
    assert carries_value(wire(f"https://api.test/x?{urlencode({'since': moved})}"), moved, "datetime")


def test_a_check_failure_reads_as_a_review_comment() -> None:
    failure = CheckFailure("github", "issues", "sort.honest", "rows ordered", "row id=2 after id=3", "sort asc")

    assert (
        repr(failure)
        == str(failure)
        == ("github/issues [sort.honest]: expected rows ordered.\n  evidence: row id=2 after id=3\n  fix: sort asc")
    )
