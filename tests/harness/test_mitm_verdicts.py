"""Replaying through mitmdump gives the same verdicts, word for word, as replaying in-process.

Over every case of every registered connector and over the known-bad corpus (each bad source's intended check,
and the good Acme source on every check). The slowest tests of the harness: every run goes through the proxy.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from acme_vendor.corpus import GOOD
from acme_vendor.known_bad import KNOWN_BAD

from harness.replay import DEFAULT_BACKEND, select_backend
from harness.replay.mitm_process import stop_shared_process
from harness.runs.engine import RunCache
from harness.suite.suite import Case, Suite

CONNECTORS = ("chargebee", "github", "hubspot", "klaviyo", "stripe", "typeform", "zendesk")


@pytest.fixture(scope="module", autouse=True)
def one_mitmdump_for_the_module() -> Iterator[None]:
    yield
    select_backend(DEFAULT_BACKEND)
    stop_shared_process()


def verdicts(backend: str, fixtures_root: Path | None, cases: Iterable[Case] | None = None) -> dict[str, tuple]:
    select_backend(backend)
    try:
        suite = Suite(fixtures_root, RunCache())
        chosen = list(cases) if cases is not None else suite.cases(CONNECTORS)
        return {case.id: (verdict.status, verdict.message) for case in chosen for verdict in [suite.execute(case)]}
    finally:
        select_backend(DEFAULT_BACKEND)


def test_every_connector_gets_the_same_verdicts_through_mitmdump() -> None:
    in_process = verdicts("in-process", None)
    through_proxy = verdicts("mitm", None)

    assert len(in_process) > 250
    # Good connectors: passed, bypassed with a reason, or inconclusive where their fixtures miss a property.
    assert {
        case: status for case, (status, _) in in_process.items() if status not in ("passed", "bypassed", "inconclusive")
    } == {}
    assert through_proxy == in_process, _first_difference(in_process, through_proxy)


def test_the_known_bad_corpus_gets_the_same_verdicts_through_mitmdump(acme_root: Path) -> None:
    cases = [Case(bad.source_type, bad.endpoint, bad.check) for bad in KNOWN_BAD]
    cases += [Case(GOOD, case.endpoint, case.check_id) for case in Suite(acme_root).cases([GOOD])]

    in_process = verdicts("in-process", acme_root, cases)
    through_proxy = verdicts("mitm", acme_root, cases)

    caught = {case: status for case, (status, _) in in_process.items() if status != "passed"}
    assert caught == {f"{bad.source_type}/{bad.endpoint or '-'}/{bad.check}": bad.status for bad in KNOWN_BAD}
    assert through_proxy == in_process, _first_difference(in_process, through_proxy)


def _first_difference(expected: dict[str, tuple], actual: dict[str, tuple]) -> str:
    lines = [
        f"{case}:\n  in-process: {verdict}\n  mitm:       {actual.get(case)}"
        for case, verdict in expected.items()
        if actual.get(case) != verdict
    ]
    return "\n".join(lines) or f"cases differ: {sorted(set(expected) ^ set(actual))}"
