"""Watermark parsing and encodings: every accepted shape, the UTC rules, and errors naming the place."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from sources.common.watermarks import WatermarkError, epoch_millis, epoch_seconds, iso_seconds, iso_z, parse_instant

MARCH_1 = datetime(2024, 3, 1, tzinfo=UTC)
MARCH_1_EPOCH = 1709251200


class VendorError(ValueError):
    pass


@pytest.mark.parametrize(
    "value",
    [
        MARCH_1,
        datetime(2024, 3, 1),  # naive means UTC
        datetime(2024, 3, 1, 2, tzinfo=timezone(timedelta(hours=2))),
        date(2024, 3, 1),
        "2024-03-01T00:00:00Z",
        "2024-03-01T00:00:00+00:00",
        " 2024-03-01T01:00:00+01:00 ",
        "2024-03-01T00:00:00",
        "2024-03-01",
    ],
)
def test_every_shape_is_the_same_utc_instant(value: Any) -> None:
    moment = parse_instant(value, "acme orders")
    assert moment == MARCH_1 and moment.tzinfo is UTC


def test_numbers_are_epoch_seconds_only_when_asked() -> None:
    assert parse_instant(MARCH_1_EPOCH, "acme orders", epoch_numbers=True) == MARCH_1
    with pytest.raises(WatermarkError, match=r"^acme orders: watermark 1709251200 is not a datetime$"):
        parse_instant(MARCH_1_EPOCH, "acme orders")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("last tuesday", "acme orders: watermark 'last tuesday' is not an ISO 8601 datetime"),
        ("", "acme orders: watermark '' is not an ISO 8601 datetime"),
        (True, "acme orders: watermark True is not a datetime"),
        (None, "acme orders: watermark None is not a datetime"),
        ([2024], "acme orders: watermark [2024] is not a datetime"),
    ],
)
def test_garbage_is_refused_naming_the_place(value: Any, message: str) -> None:
    with pytest.raises(WatermarkError) as caught:
        parse_instant(value, "acme orders", epoch_numbers=True)
    assert str(caught.value) == message


def test_the_error_type_and_name_are_the_callers() -> None:
    with pytest.raises(VendorError, match=r"^acme orders: incremental value 'soon' is not an ISO 8601 datetime$"):
        epoch_millis("soon", "acme orders", error=VendorError, name="incremental value")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (MARCH_1_EPOCH, MARCH_1_EPOCH),
        (MARCH_1_EPOCH + 0.9, MARCH_1_EPOCH),  # rounded down: a greater-than filter never skips a row
        ("2024-03-01T00:00:00.999Z", MARCH_1_EPOCH),
        (date(2024, 3, 1), MARCH_1_EPOCH),
    ],
)
def test_epoch_seconds(value: Any, expected: int) -> None:
    assert epoch_seconds(value, "acme orders") == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2024-03-01T00:00:00.250Z", MARCH_1_EPOCH * 1000 + 250), (datetime(2024, 3, 1), MARCH_1_EPOCH * 1000)],
)
def test_epoch_millis(value: Any, expected: int) -> None:
    assert epoch_millis(value, "acme orders") == expected


def test_epoch_millis_refuses_a_bare_number() -> None:
    with pytest.raises(WatermarkError, match="is not a datetime"):
        epoch_millis(MARCH_1_EPOCH * 1000, "acme orders")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-01T02:00:00.999+02:00", "2024-03-01T00:00:00+00:00"),
        (MARCH_1_EPOCH, "2024-03-01T00:00:00+00:00"),
        (date(2024, 3, 1), "2024-03-01T00:00:00+00:00"),
    ],
)
def test_iso_seconds(value: Any, expected: str) -> None:
    assert iso_seconds(value, "acme orders") == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2024, 3, 1, 2, 0, 0, 999000, tzinfo=timezone(timedelta(hours=2))), "2024-03-01T00:00:00Z"),
        (MARCH_1_EPOCH, "2024-03-01T00:00:00Z"),
        (date(2024, 3, 1), "2024-03-01T00:00:00Z"),
    ],
)
def test_iso_z(value: Any, expected: str) -> None:
    assert iso_z(value, "acme orders") == expected
