"""Replay backends: recorded HAR fixtures served to a source, with strict matching and injected faults.

Backends are chosen by name (`pytest harness --replay NAME`); a new one (e.g. a mitmdump process replaying the
same HAR files) implements `ReplayBackend` and registers its factory in `BACKENDS`. Checks never see it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from harness.replay.base import ReplayBackend, ReplayMode, ReplayStop, Unmatched, WireRequest
from harness.replay.faults import Fault
from harness.replay.inprocess import InProcessReplay

BackendFactory = Callable[..., ReplayBackend]


def _mitm_backend(**options: object) -> ReplayBackend:
    from harness.replay.mitm import MitmReplay  # imported on use: the in-process path never loads it

    return MitmReplay(**options)  # type: ignore[arg-type]


BACKENDS: dict[str, BackendFactory] = {"in-process": InProcessReplay, "mitm": _mitm_backend}
DEFAULT_BACKEND = "in-process"
_selected = DEFAULT_BACKEND


def select_backend(name: str) -> None:
    """Use backend `name` for every later run."""
    global _selected
    if name not in BACKENDS:
        raise ValueError(f"unknown replay backend {name!r}; known: {', '.join(sorted(BACKENDS))}")
    _selected = name


def make_backend(
    *, mode: ReplayMode = ReplayMode.STRICT, secrets: frozenset[str] = frozenset(), origin_dirs: Sequence[str] = ()
) -> ReplayBackend:
    return BACKENDS[_selected](mode=mode, secrets=secrets, origin_dirs=origin_dirs)


__all__ = [
    "BACKENDS",
    "Fault",
    "InProcessReplay",
    "ReplayBackend",
    "ReplayMode",
    "ReplayStop",
    "Unmatched",
    "WireRequest",
    "make_backend",
    "select_backend",
]
