"""JUnit XML of a gate run: one case per source/endpoint/check, one per gate step."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from harness.gate.report import FAIL, SKIPPED, GateReport, status_word


def render_junit(report: GateReport) -> str:
    root = ET.Element("testsuites", name="connector gate")
    steps = ET.SubElement(root, "testsuite", name="gate")
    for step in report.steps:
        case = ET.SubElement(steps, "testcase", classname="gate", name=step.name, time=f"{step.seconds:.3f}")
        if step.status == FAIL:
            text = "\n".join(finding.describe() for finding in step.findings) or step.detail
            failure = ET.SubElement(case, "failure", message=f"{step.name} failed", type="gate")
            failure.text = text
        elif step.status == SKIPPED:
            ET.SubElement(case, "skipped", message=step.detail or "skipped")
    _counts(steps)
    conformance = ET.SubElement(root, "testsuite", name="conformance")
    for source, endpoint, check, verdict in report.cases():
        seconds = float(verdict.get("duration_seconds") or 0.0)
        case = ET.SubElement(
            conformance, "testcase", classname=f"{source}.{endpoint}", name=check, time=f"{seconds:.3f}"
        )
        status = status_word(verdict)
        text = str(verdict.get("message") or verdict.get("reason") or "")
        if status == "failed" or status == "inconclusive":
            failure = ET.SubElement(case, "failure", message=_first_line(text) or status, type=status)
            failure.text = text
        elif status == "bypassed":
            ET.SubElement(case, "skipped", message=f"bypassed: {text}")
        elif status == "blocked":
            ET.SubElement(case, "skipped", message=str(verdict.get("status")))
    _counts(conformance)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _counts(suite: ET.Element) -> None:
    cases = suite.findall("testcase")
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(sum(1 for case in cases if case.find("failure") is not None)))
    suite.set("skipped", str(sum(1 for case in cases if case.find("skipped") is not None)))
    suite.set("errors", "0")
    suite.set("time", f"{sum(float(case.get('time', 0)) for case in cases):.3f}")


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""
