"""SARIF 2.1.0 of a gate run: one run per tool, results at repository-relative paths for code-scanning."""

from __future__ import annotations

import json
from collections import defaultdict

from harness.gate.findings import Finding
from harness.gate.report import GateReport

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def render_sarif(report: GateReport) -> str:
    by_tool: dict[str, list[Finding]] = defaultdict(list)
    for finding in report.findings:
        by_tool[finding.tool].append(finding)
    runs = [_run(tool, findings) for tool, findings in sorted(by_tool.items())]
    document = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": runs}
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _run(tool: str, findings: list[Finding]) -> dict[str, object]:
    rule_ids = sorted({finding.rule for finding in findings})
    return {
        "tool": {
            "driver": {
                "name": tool,
                "rules": [{"id": rule, "shortDescription": {"text": f"{tool} {rule}"}} for rule in rule_ids],
            }
        },
        "results": [
            {
                "ruleId": finding.rule,
                "ruleIndex": rule_ids.index(finding.rule),
                "level": finding.level,
                "message": {"text": finding.message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": finding.path, "uriBaseId": "%SRCROOT%"},
                            "region": {"startLine": max(1, finding.line)},
                        }
                    }
                ],
            }
            for finding in findings
        ],
    }
