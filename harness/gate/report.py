"""What a gate run found, as data: the selection, each step's outcome and findings, the conformance results.

Written to `<out>/gate.json`; the JUnit, SARIF and Markdown outputs are rendered from it, and `gate merge`
combines the `gate.json` of several shards into one report.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from harness.gate.findings import Finding

SCHEMA = "gate-report/1"
PASS, FAIL, SKIPPED = "pass", "fail", "skipped"


@dataclasses.dataclass
class StepOutcome:
    name: str
    status: str  # pass | fail | skipped
    seconds: float
    detail: str = ""  # why it was skipped, or the end of its output when it failed
    findings: list[Finding] = dataclasses.field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.status == FAIL


@dataclasses.dataclass
class GateReport:
    selection: dict[str, Any]  # sources, reasons, description, shard
    steps: list[StepOutcome]
    results: dict[str, Any]  # the conformance results tree: source → endpoint → check → verdict
    owners: dict[str, str]  # source → its folder under sources/

    @property
    def passed(self) -> bool:
        return not any(step.failed for step in self.steps)

    @property
    def findings(self) -> list[Finding]:
        return [finding for step in self.steps for finding in step.findings]

    def cases(self) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
        for source, endpoints in sorted(self.results.items()):
            for endpoint, checks in sorted(endpoints.items()):
                for check, verdict in sorted(checks.items()):
                    yield source, endpoint, check, verdict

    def case_counts(self) -> Counter[str]:
        return Counter(status_word(verdict) for *_, verdict in self.cases())

    def to_json(self) -> str:
        document = {
            "schema": SCHEMA,
            "selection": self.selection,
            "steps": [dataclasses.asdict(step) for step in self.steps],
            "results": self.results,
            "owners": self.owners,
        }
        return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    @classmethod
    def load(cls, path: Path) -> GateReport:
        try:
            document = json.loads(path.read_text())
        except FileNotFoundError:
            raise ValueError(f"{path}: no gate report (run the gate with --out first)") from None
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: not JSON ({exc.msg}, line {exc.lineno})") from None
        if not isinstance(document, dict) or document.get("schema") != SCHEMA:
            raise ValueError(f"{path}: not a {SCHEMA} document")
        steps = [
            StepOutcome(**{**step, "findings": [Finding(**finding) for finding in step.get("findings", [])]})
            for step in document["steps"]
        ]
        return cls(document["selection"], steps, document["results"], document.get("owners", {}))


def status_word(verdict: dict[str, Any]) -> str:
    """`blocked by <check>` counts as `blocked`; everything else is the status itself."""
    status = str(verdict.get("status", "unknown"))
    return "blocked" if status.startswith("blocked") else status


def merge(reports: Iterable[GateReport]) -> GateReport:
    """Shards of one gate run: steps of the same name combine (worst status, longest time), results union."""
    reports = list(reports)
    if not reports:
        raise ValueError("nothing to merge: give the --out folders of the shards")
    steps: dict[str, StepOutcome] = {}
    results: dict[str, Any] = {}
    owners: dict[str, str] = {}
    sources: list[str] = []
    reasons: dict[str, str] = {}
    for report in reports:
        sources += report.selection.get("sources", [])
        reasons.update(report.selection.get("reasons", {}))
        owners.update(report.owners)
        for source, endpoints in report.results.items():
            if source in results:
                raise ValueError(f"source {source!r} was checked by two shards")
            results[source] = endpoints
        for step in report.steps:
            known = steps.get(step.name)
            if known is None:
                steps[step.name] = dataclasses.replace(step, findings=list(step.findings))
                continue
            rank = {SKIPPED: 0, PASS: 1, FAIL: 2}
            if rank[step.status] > rank[known.status]:
                known.status, known.detail = step.status, step.detail
            known.seconds = max(known.seconds, step.seconds)
            known.findings += [finding for finding in step.findings if finding not in known.findings]
    shards = [str(report.selection.get("shard")) for report in reports if report.selection.get("shard")]
    selection = {
        "sources": sorted(set(sources)),
        "reasons": reasons,
        "description": reports[0].selection.get("description", ""),
        "shard": f"merged from {len(reports)} shard(s): {', '.join(shards)}" if shards else None,
    }
    return GateReport(selection, list(steps.values()), results, owners)
