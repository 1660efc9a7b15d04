"""For any Acme dataset and page size, the good source passes every check and every known bug is caught."""

from __future__ import annotations

import tempfile
from pathlib import Path

from acme_vendor.corpus import GOOD, build_root
from acme_vendor.dataset import AcmeData
from acme_vendor.known_bad import KNOWN_BAD
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.suite.suite import Case, Suite


@st.composite
def datasets(draw: st.DrawFn) -> AcmeData:
    """Small accounts with enough pages for every bug to show and every check to be conclusive: more than 3 pages
    of each endpoint (progress.safe_point needs more than 3 requests to prove anything)."""
    page_size = draw(st.integers(min_value=2, max_value=5))
    return AcmeData.generate(
        tickets=draw(st.integers(min_value=3 * page_size + 1, max_value=5 * page_size)),
        agents=draw(st.integers(min_value=3 * page_size + 1, max_value=5 * page_size)),
        events=draw(st.integers(min_value=3 * page_size + 1, max_value=5 * page_size)),
        page_size=page_size,
        seed=draw(st.integers(min_value=0, max_value=10_000)),
    )


PROPERTY_SETTINGS = settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(data=datasets())
def test_the_good_source_passes_every_check_for_any_dataset(data: AcmeData, acme_registered: None) -> None:
    with tempfile.TemporaryDirectory() as directory:
        suite = Suite(build_root(data, Path(directory)))
        failures = [verdict.message for verdict in map(suite.execute, suite.cases([GOOD])) if not verdict.passed]

    assert failures == []


@PROPERTY_SETTINGS
@given(data=datasets())
def test_every_known_bug_is_caught_for_any_dataset(data: AcmeData, acme_registered: None) -> None:
    with tempfile.TemporaryDirectory() as directory:
        suite = Suite(build_root(data, Path(directory)))
        missed = []
        for bad in KNOWN_BAD:
            verdict = suite.execute(Case(bad.source_type, bad.endpoint, bad.check))
            if verdict.status != bad.status or bad.phrase not in (verdict.message or ""):
                missed.append((bad.source_type, bad.check, verdict.status, verdict.message))

    assert missed == []
