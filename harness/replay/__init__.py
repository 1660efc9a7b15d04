"""Replay backends: recorded HAR fixtures served to a source, with strict matching and injected faults."""

from harness.replay.base import ReplayBackend, ReplayMode, ReplayStop, Unmatched, WireRequest
from harness.replay.faults import Fault
from harness.replay.inprocess import InProcessReplay

__all__ = ["Fault", "InProcessReplay", "ReplayBackend", "ReplayMode", "ReplayStop", "Unmatched", "WireRequest"]
