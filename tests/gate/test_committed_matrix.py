"""The committed conformance matrix reads back into the outcomes that render it, so partial runs keep the rest."""

from __future__ import annotations

from harness.inventory.check import CONFORMANCE_TITLE, sections
from harness.inventory.committed import combine, committed_outcomes
from harness.inventory.matrix import Outcome, build_matrix
from harness.inventory.render import render_markdown
from harness.paths import REPO_ROOT


def conformance_section(markdown: str) -> str:
    return sections(markdown)[CONFORMANCE_TITLE]


def round_trip(markdown: str) -> str:
    return render_markdown([], build_matrix(committed_outcomes(markdown)))


def test_the_committed_sources_md_reads_back_to_the_same_matrix() -> None:
    committed = (REPO_ROOT / "SOURCES.md").read_text()

    assert conformance_section(round_trip(committed)) == conformance_section(committed)


def test_bypassed_and_failing_cases_keep_their_endpoint_and_reason() -> None:
    outcomes = [
        Outcome("acme", "tickets", "pagination.complete", "pass", None),
        Outcome("acme", "agents", "pagination.complete", "fail", "acme/agents [pagination.complete]: expected x\nmore"),
        Outcome("acme", "tickets", "progress.safe_point", "bypass", "the export endpoint answers in one response"),
        Outcome("zeta", "-", "registry", "pass", None),
    ]
    markdown = render_markdown([], build_matrix(outcomes))

    read = committed_outcomes(markdown)

    assert Outcome("acme", "tickets", "progress.safe_point", "bypass", outcomes[2].reason) in read
    assert Outcome("acme", "agents", "pagination.complete", "fail", outcomes[1].reason.splitlines()[0]) in read
    assert round_trip(markdown) == markdown


def test_fresh_results_replace_a_source_and_unregistered_sources_drop_out() -> None:
    committed = [
        Outcome("github", "-", "registry", "fail", None),
        Outcome("stripe", "-", "registry", "pass", None),
        Outcome("gone", "-", "registry", "pass", None),
    ]
    fresh = [Outcome("github", "-", "registry", "pass", None)]

    combined = combine(fresh, committed, ["github", "stripe"])

    assert sorted((o.source, o.outcome) for o in combined) == [("github", "pass"), ("stripe", "pass")]


def test_a_document_without_a_matrix_has_no_outcomes() -> None:
    assert committed_outcomes("# Sources\n\n## Implemented\n\n| a |\n") == []
