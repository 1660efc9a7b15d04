"""Splitting sources across CI machines: `--shard i/n`, deterministic, every source in exactly one shard."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

_SHARD = re.compile(r"^(?P<index>\d+)/(?P<count>\d+)$")


class ShardError(ValueError):
    pass


def parse_shard(text: str) -> tuple[int, int]:
    match = _SHARD.match(text.strip())
    if not match:
        raise ShardError(f"--shard {text!r}: expected I/N, e.g. 1/4")
    index, count = int(match["index"]), int(match["count"])
    if count < 1 or not 1 <= index <= count:
        raise ShardError(f"--shard {text!r}: I must be between 1 and N (N ≥ 1)")
    return index, count


def split(sources: Sequence[str], count: int, weights: Mapping[str, int] | None = None) -> list[list[str]]:
    """`count` shards balanced by weight (e.g. endpoints per source): heaviest first onto the lightest shard.

    Ties break on the name and the shard number, so every machine computes the same split from the same input.
    """
    weights = weights or {}
    shards: list[list[str]] = [[] for _ in range(count)]
    loads = [0] * count
    for source in sorted(set(sources), key=lambda name: (-weights.get(name, 1), name)):
        lightest = min(range(count), key=lambda index: (loads[index], index))
        shards[lightest].append(source)
        loads[lightest] += weights.get(source, 1)
    return [sorted(shard) for shard in shards]


def shard_of(sources: Sequence[str], index: int, count: int, weights: Mapping[str, int] | None = None) -> list[str]:
    return split(sources, count, weights)[index - 1]
