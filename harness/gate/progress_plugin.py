"""A pytest plugin the gate loads into its conformance run: one JSON line per finished case, for the live display.

`-p harness.gate.progress_plugin` with `HARNESS_GATE_PROGRESS=<file>`; lines are `{"total": N}` once, then
`{"case": "<source>/<endpoint>/<check>", "outcome": "passed" | "failed" | "skipped"}`. Under pytest-xdist only
the controller writes.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

ENV = "HARNESS_GATE_PROGRESS"


def _write(event: dict[str, Any]) -> None:
    path = os.environ.get(ENV)
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(event) + "\n")


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_collection_finish(session: pytest.Session) -> None:
    if not _is_worker(session.config) and not session.config.pluginmanager.hasplugin("dsession"):
        _write({"total": len(session.items)})


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: Any, ids: list[str]) -> None:
    _write({"total": len(ids)})


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    config = getattr(report, "config", None)
    if config is not None and _is_worker(config):
        return
    if report.when == "call" or (report.when == "setup" and not report.passed):
        case = report.nodeid.partition("[")[2].rstrip("]") or report.nodeid
        _write({"case": case, "outcome": report.outcome})
