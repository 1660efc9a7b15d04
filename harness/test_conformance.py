"""The conformance suite: parametrised by the plugin over every (source, endpoint, check) case."""

import pytest

from harness.suite.suite import Case, Verdict


def test_conformance(conformance_case: Case, conformance_verdict: Verdict) -> None:
    if conformance_verdict.status == "bypassed":
        pytest.skip(f"bypassed: {conformance_verdict.message}")
    if conformance_verdict.status != "passed":  # failed, inconclusive (fails the gate too) or blocked
        pytest.fail(conformance_verdict.message or conformance_case.id, pytrace=False)
