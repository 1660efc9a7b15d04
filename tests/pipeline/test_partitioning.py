import datetime as dt
import hashlib

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.pipeline import (
    MissingColumnError,
    PartitionError,
    PartitionSpec,
    PipelineConfigError,
    SyncTarget,
    partition_of,
)
from harness.pipeline.partitioning import add_partition_column, parse_instant, partition_values
from sources.common.typings import SourceResponse

TARGET = SyncTarget("acme", "things")


def response(**settings) -> SourceResponse:
    return SourceResponse(name="things", items=list, primary_keys=settings.pop("primary_keys", ["id"]), **settings)


def test_md5_bucket_is_md5_of_the_joined_key_values_mod_count():
    spec = PartitionSpec(mode="md5", keys=("org", "id"), count=7)
    expected = int(hashlib.md5(b"acme|42").hexdigest(), 16) % 7
    assert partition_of(("acme", 42), spec) == str(expected)


def test_numerical_bucket_is_the_key_divided_by_the_size():
    spec = PartitionSpec(mode="numerical", keys=("id",), size=100)
    assert [partition_of((v,), spec) for v in (0, 99, 100, 250, -1, 300.0)] == ["0", "0", "1", "2", "-1", "3"]


@pytest.mark.parametrize(
    ("partition_format", "expected"),
    [("month", "2024-03"), ("week", "2024-w10"), ("day", "2024-03-05"), ("hour", "2024-03-05T14"), (None, "2024-w10")],
)
def test_datetime_formats(partition_format, expected):
    spec = PartitionSpec(mode="datetime", keys=("created_at",), format=partition_format)
    assert partition_of((dt.datetime(2024, 3, 5, 14, 30),), spec) == expected


def test_week_is_the_iso_week_including_its_year():
    spec = PartitionSpec(mode="datetime", keys=("created_at",), format="week")
    assert partition_of(("2024-02-29",), spec) == "2024-w09"
    # 2021-01-01 belongs to ISO week 53 of 2020.
    assert partition_of(("2021-01-01",), spec) == "2020-w53"


INSTANT = dt.datetime(2024, 3, 5, 14, 30, 15, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "value",
    [
        INSTANT,
        INSTANT.replace(tzinfo=None),
        INSTANT.astimezone(dt.timezone(dt.timedelta(hours=-5))),
        "2024-03-05T14:30:15Z",
        "2024-03-05T14:30:15+00:00",
        "2024-03-05T16:30:15+02:00",
        "2024-03-05 14:30:15",
        int(INSTANT.timestamp()),
        int(INSTANT.timestamp()) * 1000,
        int(INSTANT.timestamp()) * 1_000_000,
        str(int(INSTANT.timestamp())),
        INSTANT.timestamp(),
    ],
)
def test_every_datetime_representation_parses_to_the_same_instant(value):
    assert parse_instant(value) == INSTANT


def test_dates_parse_to_midnight_utc():
    assert parse_instant(dt.date(2024, 3, 5)) == dt.datetime(2024, 3, 5, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("spec_settings", "message"),
    [
        ({"partition_mode": "md5"}, "md5 partitioning needs partition_count >= 1, got None"),
        ({"partition_mode": "numerical", "partition_size": 0}, "numerical partitioning needs partition_size"),
        ({"partition_mode": "datetime", "partition_format": "year"}, "partition_format 'year' is not one of"),
        ({"partition_mode": "md5", "partition_count": 2, "primary_keys": None}, "needs partition_keys or"),
    ],
)
def test_invalid_settings_are_named(spec_settings, message):
    with pytest.raises(PipelineConfigError, match=message):
        PartitionSpec.from_response(response(**spec_settings), TARGET)


def test_spec_defaults():
    assert PartitionSpec.from_response(response(), TARGET) is None
    assert PartitionSpec.from_response(response(partition_count=4), TARGET) == PartitionSpec("md5", ("id",), count=4)
    assert PartitionSpec.from_response(response(partition_size=10), TARGET).mode == "numerical"
    chosen = PartitionSpec.from_response(
        response(partition_mode="datetime", partition_keys=["created_at"], partition_count=3), TARGET
    )
    assert (chosen.mode, chosen.keys) == ("datetime", ("created_at",))


def test_unparseable_datetime_names_source_endpoint_key_and_value():
    spec = PartitionSpec(mode="datetime", keys=("created_at",), format="day")
    table = pa.table({"id": [1, 2], "created_at": ["2024-03-05", "next tuesday"]})
    with pytest.raises(PartitionError) as caught:
        partition_values(table, spec, TARGET, batch_index=3)
    message = str(caught.value)
    assert message.startswith("source 'acme', endpoint 'things': partition key 'created_at' value 'next tuesday'")
    assert "batch 3" in message


def test_non_integer_numerical_key_is_an_error():
    spec = PartitionSpec(mode="numerical", keys=("id",), size=10)
    with pytest.raises(PartitionError, match="'id' value 'abc'"):
        partition_values(pa.table({"id": ["abc"]}), spec, TARGET, batch_index=1)


def test_null_keys_have_a_fixed_partition():
    spec = PartitionSpec(mode="datetime", keys=("created_at",), format="day")
    table = pa.table({"created_at": pa.array([None, "2024-03-05"], pa.string())})
    assert partition_values(table, spec, TARGET, 1).to_pylist() == ["null", "2024-03-05"]


def test_missing_partition_key_column_is_named():
    spec = PartitionSpec(mode="md5", keys=("org", "id"), count=2)
    with pytest.raises(MissingColumnError, match="partition key column 'org' is missing from batch 2"):
        add_partition_column(pa.table({"id": [1]}), spec, TARGET, batch_index=2)


def test_a_source_column_with_the_reserved_name_is_refused():
    spec = PartitionSpec(mode="md5", keys=("id",), count=2)
    with pytest.raises(PipelineConfigError, match="reserves for the partition key"):
        add_partition_column(pa.table({"id": [1], "_partition_key": ["x"]}), spec, TARGET, batch_index=1)


# Property: a row's partition is a function of its partition-key values only.

int_keys = st.integers(-(10**12), 10**12)
text_keys = st.text(max_size=12)
instants = st.datetimes(min_value=dt.datetime(1974, 1, 1), max_value=dt.datetime(2200, 1, 1), timezones=st.just(dt.UTC))
specs = st.one_of(
    st.builds(lambda n: PartitionSpec("md5", ("k1", "k2"), count=n), st.integers(1, 64)),
    st.builds(lambda n: PartitionSpec("numerical", ("k1",), size=n), st.integers(1, 10**6)),
)


@settings(max_examples=100, deadline=None)
@given(data=st.data(), spec=specs)
def test_partition_ignores_other_fields_and_other_rows(data, spec):
    first_key = int_keys if spec.mode == "numerical" else data.draw(st.sampled_from([int_keys, text_keys]))
    key_values = data.draw(st.lists(st.tuples(first_key, st.text(max_size=5)), min_size=1, max_size=20))
    size = len(key_values)
    keys_only = {"k1": [k1 for k1, _ in key_values], "k2": [k2 for _, k2 in key_values]}
    batch = pa.table({**keys_only, "other": [None] * size})
    changed = pa.table({**keys_only, "other": data.draw(st.lists(st.text(max_size=8), min_size=size, max_size=size))})
    order = data.draw(st.permutations(range(size)))

    partitions = partition_values(batch, spec, TARGET, 1).to_pylist()
    assert partition_values(changed, spec, TARGET, 1).to_pylist() == partitions
    assert partition_values(batch.take(pa.array(order)), spec, TARGET, 1).to_pylist() == [partitions[i] for i in order]
    assert partitions == [partition_of(pair, spec) for pair in key_values]


EXPECTED_FORMATS = {"month": "%Y-%m", "week": "%G-w%V", "day": "%Y-%m-%d", "hour": "%Y-%m-%dT%H"}


@settings(max_examples=200, deadline=None)
@given(
    instant=instants,
    partition_format=st.sampled_from(["month", "week", "day", "hour"]),
    offset_hours=st.integers(-12, 12),
)
def test_datetime_partition_depends_on_the_instant_not_its_representation(instant, partition_format, offset_hours):
    spec = PartitionSpec("datetime", ("created_at",), format=partition_format)
    seconds = int(instant.timestamp())
    instant = instant.replace(microsecond=0)
    shifted = instant.astimezone(dt.timezone(dt.timedelta(hours=offset_hours)))
    representations = [instant, shifted, shifted.isoformat(), seconds, seconds * 1000, instant.replace(tzinfo=None)]
    expected = instant.strftime(EXPECTED_FORMATS[partition_format])
    assert {partition_of((value,), spec) for value in representations} == {expected}


@settings(max_examples=100, deadline=None)
@given(count=st.integers(1, 50), values=st.lists(st.tuples(text_keys, int_keys), min_size=1, max_size=30))
def test_md5_buckets_are_within_range(count, values):
    spec = PartitionSpec("md5", ("a", "b"), count=count)
    assert all(0 <= int(partition_of(v, spec)) < count for v in values)


def representations_of(instants: list[dt.datetime]) -> dict[str, pa.Array]:
    """One column per way a source may send the same instants (all in one representation per column)."""
    seconds = [int(i.timestamp()) for i in instants]
    return {
        "aware timestamp": pa.array(instants, pa.timestamp("us", tz="UTC")),
        "berlin timestamp": pa.array(instants, pa.timestamp("us", tz="UTC")).cast(
            pa.timestamp("us", tz="Europe/Berlin")
        ),
        "naive timestamp": pa.array([i.replace(tzinfo=None) for i in instants], pa.timestamp("us")),
        "iso with offset": pa.array([i.astimezone(dt.timezone(dt.timedelta(hours=-3))).isoformat() for i in instants]),
        "iso zulu": pa.array([i.strftime("%Y-%m-%dT%H:%M:%S.%fZ") for i in instants]),
        "naive iso": pa.array([i.replace(tzinfo=None).isoformat() for i in instants]),
        "epoch seconds": pa.array(seconds),
        "epoch millis": pa.array([s * 1000 for s in seconds]),
        "epoch micros": pa.array([s * 10**6 for s in seconds]),
        "mixed iso": pa.array(
            [i.isoformat() if n % 2 else i.replace(tzinfo=None).isoformat() for n, i in enumerate(instants)]
        ),
    }


@settings(max_examples=60, deadline=None)
@given(
    instants=st.lists(instants, min_size=1, max_size=12),
    partition_format=st.sampled_from(["month", "week", "day", "hour"]),
)
def test_column_partitions_equal_the_per_value_partition_for_every_representation(instants, partition_format):
    spec = PartitionSpec("datetime", ("created_at",), format=partition_format)
    for representation, column in representations_of(instants).items():
        table = pa.table({"created_at": column})
        expected = [partition_of((value,), spec) for value in column.to_pylist()]
        assert partition_values(table, spec, TARGET, 1).to_pylist() == expected, representation
    dates = pa.table({"created_at": pa.array([i.date() for i in instants], pa.date32())})
    assert partition_values(dates, spec, TARGET, 1).to_pylist() == [partition_of((i.date(),), spec) for i in instants]


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.one_of(st.none(), st.integers(-(10**15), 10**15)), min_size=1), size=st.integers(1, 10**4))
def test_numerical_column_partitions_equal_the_per_value_partition(values, size):
    spec = PartitionSpec("numerical", ("id",), size=size)
    table = pa.table({"id": pa.array(values, pa.int64())})
    assert partition_values(table, spec, TARGET, 1).to_pylist() == [partition_of((v,), spec) for v in values]


def test_unsigned_keys_beyond_int64_still_partition():
    spec = PartitionSpec("numerical", ("id",), size=10)
    table = pa.table({"id": pa.array([2**64 - 1, 5], pa.uint64())})
    assert partition_values(table, spec, TARGET, 1).to_pylist() == [str((2**64 - 1) // 10), "0"]
