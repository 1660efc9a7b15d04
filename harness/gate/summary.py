"""The Markdown summary of a gate run, for a PR comment or `$GITHUB_STEP_SUMMARY`, and its terminal twin."""

from __future__ import annotations

from collections import Counter, defaultdict

from rich.console import Console
from rich.table import Table

from harness.gate.report import FAIL, PASS, GateReport, status_word

ICON = {PASS: "✅", FAIL: "❌", "skipped": "⏭"}
MAX_FINDINGS = 50
_ORDER = ("passed", "failed", "inconclusive", "blocked", "bypassed")


def _first_line(text: str) -> str:
    text = text.strip()
    return text.splitlines()[0] if text else ""


def failed_checks(report: GateReport) -> dict[str, list[tuple[str, str, str]]]:
    """source → [(endpoint, check, first line of the message)] for failed and inconclusive cases."""
    found: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for source, endpoint, check, verdict in report.cases():
        if status_word(verdict) in {"failed", "inconclusive"}:
            message = str(verdict.get("message") or verdict.get("status"))
            found[source].append((endpoint, check, _first_line(message)))
    return found


def _source_rows(report: GateReport) -> list[tuple[str, Counter[str], float]]:
    rows = []
    for source in sorted(report.results):
        counts: Counter[str] = Counter()
        seconds = 0.0
        for checks in report.results[source].values():
            for verdict in checks.values():
                counts[status_word(verdict)] += 1
                seconds += float(verdict.get("duration_seconds") or 0.0)
        rows.append((source, counts, seconds))
    return rows


def render_markdown(report: GateReport) -> str:
    verdict = "passed ✅" if report.passed else "failed ❌"
    lines = [f"## Connector gate {verdict}", ""]
    selection = report.selection
    lines.append(f"**Selection**: {selection.get('description', '')}")
    if selection.get("shard"):
        lines.append(f"**Shard**: {selection['shard']}")
    reasons = selection.get("reasons") or {}
    if reasons and len(set(reasons.values())) > 1:
        lines += ["", *[f"- `{source}`: {reasons[source]}" for source in sorted(reasons)]]
    elif reasons and next(iter(reasons.values())) not in selection.get("description", ""):
        lines.append(f"(why: {next(iter(reasons.values()))})")
    lines += ["", "| step | result | seconds | findings |", "|---|---|---:|---:|"]
    for step in report.steps:
        detail = f" ({step.detail})" if step.status == "skipped" and step.detail else ""
        lines.append(
            f"| {step.name} | {ICON.get(step.status, step.status)} {step.status}{detail} | {step.seconds:.1f} "
            f"| {len(step.findings)} |"
        )
    rows = _source_rows(report)
    if rows:
        lines += ["", "| source | " + " | ".join(_ORDER) + " | seconds |", "|---|" + "---:|" * (len(_ORDER) + 1)]
        for source, counts, seconds in rows:
            lines.append(f"| `{source}` | " + " | ".join(str(counts[key]) for key in _ORDER) + f" | {seconds:.1f} |")
    failing = failed_checks(report)
    if failing:
        lines += ["", "### Failed checks", ""]
        for source in sorted(failing):
            for endpoint, check, message in failing[source]:
                lines.append(f"- `{source}/{endpoint}/{check}`: {message}")
    other = [finding for finding in report.findings if finding.tool != "conformance"]
    if other:
        lines += ["", "### Findings", ""]
        for finding in other[:MAX_FINDINGS]:
            lines.append(
                f"- `{finding.path}:{finding.line}` **{finding.tool}** `{finding.rule}`: {_first_line(finding.message)}"
            )
        if len(other) > MAX_FINDINGS:
            lines.append(f"- … and {len(other) - MAX_FINDINGS} more (see the SARIF)")
    return "\n".join(lines) + "\n"


def print_summary(report: GateReport, console: Console) -> None:
    table = Table(title="gate")
    table.add_column("step")
    table.add_column("result")
    table.add_column("seconds", justify="right")
    table.add_column("findings", justify="right")
    for step in report.steps:
        style = {PASS: "green", FAIL: "red"}.get(step.status, "yellow")
        shown = step.status + (f" ({step.detail})" if step.status == "skipped" and step.detail else "")
        table.add_row(step.name, f"[{style}]{shown}", f"{step.seconds:.1f}", str(len(step.findings)))
    console.print(table)
    failing = failed_checks(report)
    for source in sorted(failing):
        console.print(
            f"[bold]{source}[/]: "
            + ", ".join(sorted({f"{endpoint}/{check}" for endpoint, check, _ in failing[source]}))
        )
