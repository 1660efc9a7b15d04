"""Shards cover every source exactly once, the same way on every machine."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.gate.shards import ShardError, parse_shard, shard_of, split

NAMES = st.lists(st.from_regex(r"[a-z]{1,8}", fullmatch=True), unique=True, max_size=40)


@given(NAMES, st.integers(min_value=1, max_value=8), st.dictionaries(st.text(max_size=3), st.integers(1, 9)))
def test_shards_cover_every_source_exactly_once(names: list[str], count: int, weights: dict[str, int]) -> None:
    shards = split(names, count, weights)

    assert len(shards) == count
    flat = [name for shard in shards for name in shard]
    assert sorted(flat) == sorted(names)
    assert len(flat) == len(set(flat))


@given(NAMES, st.integers(min_value=1, max_value=6))
def test_the_split_does_not_depend_on_input_order(names: list[str], count: int) -> None:
    weights = {name: len(name) for name in names}

    assert split(names, count, weights) == split(list(reversed(names)), count, weights)


def test_heavy_sources_are_spread_across_shards() -> None:
    weights = {"a": 5, "b": 5, "c": 1, "d": 1}

    assert [shard_of(list(weights), index, 2, weights) for index in (1, 2)] == [["a", "c"], ["b", "d"]]


@pytest.mark.parametrize("text", ["0/2", "3/2", "1/0", "one/two", "1-2"])
def test_a_malformed_shard_is_refused(text: str) -> None:
    with pytest.raises(ShardError, match="--shard"):
        parse_shard(text)


def test_a_shard_is_parsed() -> None:
    assert parse_shard("2/3") == (2, 3)
