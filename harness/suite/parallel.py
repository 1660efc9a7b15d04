"""`pytest harness -n N` (pytest-xdist): all cases of one source run on one worker.

A source's cases share its runs (`RunCache`), so splitting them across workers would run its syncs twice. Cases
carry `xdist_group(<source>)`, and under `--dist load` or `--dist loadgroup` the scheduler below groups them by
source. It reads the source from the case id itself: xdist's own `loadgroup` finds groups in a node-id suffix
that recent pytest versions no longer let it add (pytest-xdist#1386), and then silently groups nothing.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from xdist.scheduler import LoadGroupScheduling

# `harness/test_conformance.py::test_conformance[github/issues/resume.every_checkpoint]` → `github`
_CASE_NODE = re.compile(r"::test_conformance\[(?P<source>[^/\]]+)/[^\]]*\]$")
DISTRIBUTIONS = ("load", "loadgroup")


class SourceGroupScheduling(LoadGroupScheduling):
    """`loadgroup`, with a conformance case's group taken from its id: one work unit per source."""

    def _split_scope(self, nodeid: str) -> str:
        match = _CASE_NODE.search(nodeid)
        if match:
            return f"conformance:{match['source']}"
        return super()._split_scope(nodeid)


class ParallelPlugin:
    """Registered by the conformance plugin when pytest-xdist distributes the run."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> Any:
        if config.getvalue("dist") in DISTRIBUTIONS:
            return SourceGroupScheduling(config, log)
        return None
