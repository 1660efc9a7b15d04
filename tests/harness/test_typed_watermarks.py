"""Watermarks reach the source typed as the pipeline hands them over, validated when the manifest loads, and are
found in a request only in the encoding the vendor documents."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.fixtures.manifest import ManifestError, load_manifest
from harness.fixtures.watermark_encodings import encoding
from harness.replay.base import WireRequest
from harness.replay.matching import request_key
from harness.runs.sync_driver import make_inputs
from harness.runs.targets import FixtureProblem, load_source
from harness.runs.watermark_values import (
    WatermarkTypeError,
    carries_value,
    near_misses,
    typed_watermark,
)
from harness.suite.api import forget, run_check

INSTANT = dt.datetime(2024, 3, 1, 12, 30, tzinfo=dt.UTC)


def wire(url: str, body: str | None = None, method: str = "GET") -> WireRequest:
    return WireRequest(0, method, url, (), body, (10, 60), request_key(method, url, body, None))


# -- typing -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "field_type", "expected"),
    [
        ("2024-03-01T12:30:00Z", "datetime", INSTANT),
        ("2024-03-01T13:30:00+01:00", "datetime", INSTANT),
        ("2024-03-01T12:30:00", "timestamp", INSTANT),
        (dt.datetime(2024, 3, 1, 12, 30), "datetime", INSTANT),
        ("2024-03-01", "date", dt.date(2024, 3, 1)),
        (1709296200, "integer", 1709296200),
        ("1709296200", "integer", 1709296200),
        ("octo", "string", "octo"),
    ],
)
def test_a_manifest_value_is_handed_over_typed_by_the_field(value, field_type, expected) -> None:
    typed = typed_watermark(value, field_type)

    assert typed == expected and type(typed) is type(expected)
    if isinstance(typed, dt.datetime):
        assert typed.tzinfo is not None


@pytest.mark.parametrize(
    ("value", "field_type"),
    [(1709296200, "datetime"), ("1709296200", "datetime"), ("2024-03-01T12:30:00Z", "integer"), ("x", "date")],
)
def test_a_value_that_does_not_fit_the_field_is_refused(value, field_type) -> None:
    with pytest.raises(WatermarkTypeError):
        typed_watermark(value, field_type)


def test_the_source_receives_typed_watermarks(acme_root: Path) -> None:
    sut = load_source("acme", acme_root)
    scenario = sut.manifest.endpoints["tickets"].scenarios["incremental"]
    inputs = make_inputs(sut.source, sut.config, "tickets", scenario)

    assert isinstance(scenario.last_value, str)
    assert isinstance(inputs.db_incremental_field_last_value, dt.datetime)
    assert inputs.db_incremental_field_last_value.tzinfo is not None
    assert inputs.db_incremental_field_last_value == dt.datetime.fromisoformat(
        scenario.last_value.replace("Z", "+00:00")
    )


def test_partition_stable_passes_with_datetime_watermarks_and_iso_text_rows(acme_root: Path) -> None:
    verdict = run_check("acme", "tickets", "partition.stable", fixtures_root=acme_root)

    assert verdict.passed, verdict.message


# -- manifest validation ----------------------------------------------------------------------------------------


@pytest.fixture
def acme_copy(acme_root: Path, tmp_path: Path) -> Path:
    root = tmp_path / "fixtures"
    shutil.copytree(acme_root / "acme", root / "acme")
    yield root
    forget(root)


def edit_manifest(root: Path, old: str, new: str) -> Path:
    path = root / "acme" / "manifest.toml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return path


def test_a_watermark_that_is_no_watermark_fails_at_load_naming_file_endpoint_and_key(acme_copy: Path) -> None:
    scenario = acme_copy / "acme" / "manifest.toml"
    text = scenario.read_text()
    start = text.index("[endpoints.tickets.scenarios.incremental]")
    line_start = text.index("last_value = ", start)
    line_end = text.index("\n", line_start)
    scenario.write_text(text[:line_start] + 'last_value = "last tuesday"' + text[line_end:])

    with pytest.raises(ManifestError) as error:
        load_manifest(acme_copy / "acme")

    message = str(error.value)
    assert "\n" not in message
    assert str(scenario) in message and "[endpoints.tickets]" in message
    assert "scenarios.incremental.last_value = 'last tuesday' is not ISO 8601" in message


def test_a_watermark_of_the_wrong_type_fails_at_load_naming_file_endpoint_and_key(acme_copy: Path) -> None:
    path = acme_copy / "acme" / "manifest.toml"
    text = path.read_text()
    start = text.index("[endpoints.events.scenarios.future]")
    line_start = text.index("last_value = ", start)
    line_end = text.index("\n", line_start)
    path.write_text(text[:line_start] + "last_value = 1706036998" + text[line_end:])

    with pytest.raises(FixtureProblem) as error:
        load_source("acme", acme_copy)

    message = str(error.value)
    assert "\n" not in message
    assert message.startswith(f"{path} [endpoints.events]: scenarios.future.last_value = 1706036998 is a number")
    assert "'occurred_at' is declared datetime" in message


def test_an_unknown_watermark_encoding_fails_at_load(acme_copy: Path) -> None:
    table = "[endpoints.tickets.watermark]\n"
    path = edit_manifest(acme_copy, f'{table}encoding = "iso8601-z"', f'{table}encoding = "rfc-ish"')

    with pytest.raises(ManifestError, match=r"\[endpoints.tickets\]: watermark.encoding: unknown encoding 'rfc-ish'"):
        load_manifest(path.parent)


def test_an_incremental_endpoint_without_a_declared_encoding_fails_its_incremental_checks(acme_copy: Path) -> None:
    edit_manifest(acme_copy, '[endpoints.tickets.watermark]\nencoding = "iso8601-z"\n', "")
    text = (acme_copy / "acme" / "manifest.toml").read_text()
    (acme_copy / "acme" / "manifest.toml").write_text(
        "\n".join(line for line in text.splitlines() if "tickets-updated_since" not in line) + "\n"
    )

    verdict = run_check("acme", "tickets", "incremental.watermark_encoding", fixtures_root=acme_copy)

    assert verdict.status == "failed"
    assert "has no [endpoints.tickets.watermark]" in (verdict.message or "")


# -- encodings --------------------------------------------------------------------------------------------------


def query(**params: object) -> WireRequest:
    return wire(f"https://api.test/x?{urlencode(params)}")


@pytest.mark.parametrize(
    ("name", "request_"),
    [
        ("iso8601-z", query(since="2024-03-01T12:30:00Z")),
        ("iso8601-z", query(since="2024-03-01T12:30:00.000Z")),
        ("iso8601-offset", query(since="2024-03-01T12:30:00+00:00")),
        (
            "iso8601-offset",
            wire(f"https://api.test/x?filter={quote('greater-than(updated,2024-03-01T12:30:00+00:00)')}"),
        ),
        ("epoch-s", query(**{"created[gte]": 1709296200})),
        ("epoch-ms", wire("https://api.test/x", json.dumps({"filters": [{"value": "1709296200000"}]}), "POST")),
        ("date", query(start_date="2024-03-01")),
        ("%Y/%m/%d %H:%M", query(after="2024/03/01 12:30")),
    ],
)
def test_the_declared_encoding_is_found(name: str, request_: WireRequest) -> None:
    assert carries_value(request_, INSTANT, "datetime", encodings=[encoding(name)])


@pytest.mark.parametrize(
    ("name", "request_", "decoded"),
    [
        ("iso8601-z", query(since="2024-03-01 12:30:00+00:00"), "2024-03-01 12:30:00+00:00"),  # str(datetime)
        ("iso8601-z", query(since="2024-03-01T12:30:00+00:00"), "2024-03-01T12:30:00+00:00"),  # isoformat()
        ("epoch-ms", query(since=1709296200), "1709296200"),  # seconds for milliseconds
        ("epoch-s", query(since=1709296200000), "1709296200000"),  # milliseconds for seconds
        # an offset left unencoded in a hand-built query string: the vendor reads '+' as a space
        ("iso8601-offset", wire("https://api.test/x?since=2024-03-01T12:30:00+00:00"), "2024-03-01T12:30:00 00:00"),
    ],
)
def test_a_near_miss_is_not_the_declared_encoding_but_is_reported(name, request_, decoded) -> None:
    assert not carries_value(request_, INSTANT, "datetime", encodings=[encoding(name)])
    assert near_misses(request_, INSTANT, "datetime") == [("since", decoded)]


def test_an_integer_epoch_watermark_is_matched_as_an_instant() -> None:
    request_ = query(**{"created[gte]": 1709296200})

    assert carries_value(request_, 1709296200, "integer", encodings=[encoding("epoch-s")])
    assert not carries_value(request_, 1709296200, "integer", encodings=[encoding("epoch-ms")])


@given(
    moment=st.datetimes(
        min_value=dt.datetime(2001, 9, 10), max_value=dt.datetime(2200, 1, 1), timezones=st.just(dt.UTC)
    ),
    name=st.sampled_from(["iso8601-z", "iso8601-offset", "epoch-s", "epoch-ms", "%Y-%m-%d %H:%M:%S"]),
)
def test_a_rendered_watermark_is_carried_and_its_near_misses_are_not(moment: dt.datetime, name: str) -> None:
    declared = encoding(name)
    moment = moment.replace(microsecond=0)
    misses = {
        "iso8601-z": [str(moment), moment.isoformat()],
        "iso8601-offset": [str(moment), moment.strftime("%Y-%m-%dT%H:%M:%SZ")],
        "epoch-s": [str(int(moment.timestamp() * 1000))],
        "epoch-ms": [str(int(moment.timestamp()))],
        "%Y-%m-%d %H:%M:%S": [moment.isoformat(), moment.strftime("%Y-%m-%dT%H:%M:%SZ")],
    }[name]

    assert carries_value(query(since=declared.render(moment)), moment, "datetime", encodings=[declared])
    for miss in misses:
        assert not carries_value(query(since=miss), moment, "datetime", encodings=[declared]), miss
