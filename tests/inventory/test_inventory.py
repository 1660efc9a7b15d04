from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from harness.inventory.check import consistency_problems, without_conformance
from harness.inventory.collect import collect, describe
from harness.inventory.command import run
from harness.inventory.matrix import build_matrix, load_outcomes
from harness.inventory.render import render_json, render_markdown
from tests.inventory.synthetic import write_source

PLAIN_HTTP = """
session = make_tracked_session(headers={"Authorization": "Bearer " + config.api_key})
return SourceResponse(name=inputs.schema_name, items=lambda: [session.get("https://api.example.test").json()],
                      primary_keys=["id"])
"""
SDK_WITH_SEAM = """
import stripe
client = stripe.StripeClient(config.api_key, http_client=stripe.RequestsClient(session=make_tracked_session()))
return SourceResponse(name=inputs.schema_name, items=lambda: [], primary_keys=["id"])
"""
SDK_WITHOUT_SEAM = """
import bingads  # nosemgrep: warehouse-http-transport — the Bing Ads SDK builds its own suds transport
return SourceResponse(name=inputs.schema_name, items=lambda: [], primary_keys=["id"])
"""
GRPC = """
import grpc
channel = grpc.secure_channel("ads.example.test:443", grpc.ssl_channel_credentials())
return SourceResponse(name=inputs.schema_name, items=lambda: [], primary_keys=["id"])
"""
DATABASE = """
import psycopg
connection = psycopg.connect("postgresql://localhost/db")
return SourceResponse(name=inputs.schema_name, items=lambda: [], primary_keys=["id"])
"""
STUB = """
raise NotImplementedError("not yet")
"""


SCAFFOLDED_ROW = "| Plain Http (`plain_http`) | ga | — | Simple | HTTP |"


@pytest.fixture
def kinds(tmp_path: Path) -> dict[str, type]:
    return {
        "plain_http": write_source(tmp_path, "plain_http", PLAIN_HTTP),
        "sdk_seam": write_source(tmp_path, "sdk_seam", SDK_WITH_SEAM),
        "sdk_no_seam": write_source(tmp_path, "sdk_no_seam", SDK_WITHOUT_SEAM),
        "grpc_ads": write_source(tmp_path, "grpc_ads", GRPC),
        "postgres_db": write_source(tmp_path, "postgres_db", DATABASE),
        "hooked": write_source(tmp_path, "hooked", PLAIN_HTTP, bases="SimpleSource[Config], WebhookSource[Config]"),
        "resumable_hooked": write_source(
            tmp_path, "resumable_hooked", PLAIN_HTTP, bases="SimpleSource[Config], WebhookSource[Config]"
        ),
        "stubbed": write_source(tmp_path, "stubbed", STUB),
        "unreleased": write_source(tmp_path, "unreleased", PLAIN_HTTP, extra_config=", unreleasedSource=True"),
    }


@pytest.mark.parametrize(
    ("kind", "communication", "library", "tracking", "status"),
    [
        ("plain_http", "HTTP", "requests", "tracked", "Implemented"),
        ("sdk_seam", "HTTP vendor SDK", "stripe", "tracked", "Implemented"),
        ("sdk_no_seam", "HTTP vendor SDK", "bingads", "partial", "Implemented"),
        ("grpc_ads", "gRPC", "grpc", "partial", "Implemented"),
        ("postgres_db", "DB protocol", "psycopg", "n/a", "Implemented"),
        ("hooked", "HTTP + Webhook", "requests", "tracked", "Implemented"),
        ("stubbed", "—", "—", "n/a", "Scaffolded"),
        ("unreleased", "HTTP", "requests", "tracked", "Scaffolded"),
    ],
)
def test_each_kind_is_classified(kinds, tmp_path, kind, communication, library, tracking, status):
    entry = describe(kinds[kind], root=tmp_path, fixtures_root=tmp_path / "no-fixtures")
    assert (entry.communication, entry.primary_library, entry.tracking, entry.status) == (
        communication,
        library,
        tracking,
        status,
    )


def test_pragma_reason_lands_in_the_notes(kinds, tmp_path):
    entry = describe(kinds["sdk_no_seam"], root=tmp_path, fixtures_root=tmp_path)
    assert [(p.rule, p.reason) for p in entry.pragmas] == [
        ("warehouse-http-transport", "the Bing Ads SDK builds its own suds transport")
    ]
    markdown = render_markdown([entry])
    assert "the Bing Ads SDK builds its own suds transport (`sdk_no_seam/source.py:" in markdown
    assert "| ⚠️ Vendor SDK |" in markdown


def test_base_classes_and_both_tables(kinds, tmp_path):
    entries = collect(kinds, root=tmp_path)
    markdown = render_markdown(entries)
    implemented = markdown.split("## Implemented")[1].split("## Scaffolded")[0]
    scaffolded = markdown.split("## Scaffolded")[1].split("## Endpoints")[0]
    assert "(`stubbed`)" in scaffolded and "(`stubbed`)" not in implemented
    assert "(`hooked`)" in implemented and "Simple + Webhook" in implemented
    assert consistency_problems(markdown, entries) == []


def test_output_is_deterministic(kinds, tmp_path):
    shuffled = dict(reversed(list(kinds.items())))
    assert render_markdown(collect(kinds, root=tmp_path)) == render_markdown(collect(shuffled, root=tmp_path))
    assert render_json(collect(kinds, root=tmp_path)) == render_json(collect(shuffled, root=tmp_path))


@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        (
            lambda md: md.replace(
                "## Endpoints", "| Plain Http (`plain_http`) | ga | — | Simple | HTTP |\n\n## Endpoints"
            ),
            "in both",
        ),
        (lambda md: md.replace("| ✅ Tracked |", "| ⚠️ Pragma |", 1), "marked ⚠️ but its code has no pragma"),
        (lambda md: md.replace("| ⚠️ Vendor SDK |", "| ✅ Tracked |"), "has a nosemgrep pragma"),
        (lambda md: md.replace("HTTP + Webhook", "HTTP").replace("Simple + Webhook", "Simple"), "not labelled Webhook"),
        (lambda md: "\n".join(line for line in md.splitlines() if "(`grpc_ads`)" not in line), "is missing"),
    ],
)
def test_each_drift_case_is_a_problem(kinds, tmp_path, tamper, problem):
    entries = collect({k: v for k, v in kinds.items() if k != "stubbed"}, root=tmp_path)
    tampered = tamper(render_markdown(entries))
    problems = consistency_problems(tampered, entries)
    assert any(problem in line for line in problems), problems


def test_check_command_passes_when_current_and_fails_with_a_diff(tmp_path, capsys):
    output = tmp_path / "SOURCES.md"
    args = argparse.Namespace(check=False, format="md", results=None, output=output)
    assert run(args) == 0
    assert run(argparse.Namespace(**{**vars(args), "check": True})) == 0
    output.write_text(output.read_text().replace("## Endpoints", "## Endpoints\n\nhand edit"))
    capsys.readouterr()
    assert run(argparse.Namespace(**{**vars(args), "check": True})) == 1
    captured = capsys.readouterr()
    assert "+++ SOURCES.md (generated)" in captured.out and "-hand edit" in captured.out
    assert "is stale" in captured.err


def test_conformance_matrix_from_results(kinds, tmp_path):
    results = tmp_path / "results.json"
    results.write_text(
        '{"results": ['
        '{"source": "plain_http", "endpoint": "things", "check": "pagination.complete", "outcome": "pass"},'
        '{"source": "plain_http", "endpoint": "things", "check": "resume.every_checkpoint", "outcome": "fail",'
        ' "reason": "restarted from page 1"},'
        '{"source": "plain_http", "endpoint": "other", "check": "pagination.complete", "outcome": "bypass",'
        ' "reason": "single-page endpoint by design"}]}'
    )
    matrix = build_matrix(load_outcomes(results))
    markdown = render_markdown(collect({"plain_http": kinds["plain_http"]}, root=tmp_path), matrix)
    assert "| `pagination.complete` | ⏭ |" in markdown and "| `resume.every_checkpoint` | ❌ |" in markdown
    assert "- `plain_http/other/pagination.complete`: single-page endpoint by design" in markdown
    assert "restarted from page 1" in markdown
    assert "## Conformance" not in without_conformance(markdown)


def test_harness_results_schema_is_read(tmp_path):
    results = tmp_path / "results.json"
    results.write_text(
        '{"schema": "conformance-results/1", "results": {"github": {'
        '"-": {"registry": {"status": "passed", "duration_seconds": 0.1}},'
        '"issues": {"sort.honest": {"status": "failed", "message": "rows out of order"},'
        '"progress.safe_point": {"status": "bypassed", "reason": "one request per window by design"}}}}}'
    )
    outcomes = {(o.endpoint, o.check): (o.outcome, o.reason) for o in load_outcomes(results)}
    assert outcomes == {
        ("-", "registry"): ("pass", None),
        ("issues", "sort.honest"): ("fail", "rows out of order"),
        ("issues", "progress.safe_point"): ("bypass", "one request per window by design"),
    }


def test_inconclusive_and_blocked_have_their_own_symbols_and_inconclusive_ones_are_listed(kinds, tmp_path):
    results = tmp_path / "results.json"
    results.write_text(
        '{"schema": "conformance-results/1", "results": {"plain_http": {'
        '"things": {"resume.every_checkpoint": {"status": "inconclusive", "message": "plain_http/things '
        '[resume.every_checkpoint]: inconclusive: the full sync yielded 1 batch(es).\\n  fix: record more"},'
        '"sort.honest": {"status": "blocked", "blocked_by": "incremental.server_filter", "message": "blocked"},'
        '"pagination.complete": {"status": "passed"}},'
        '"other": {"resume.every_checkpoint": {"status": "passed"}, "sort.honest": {"status": "passed"}}}}}'
    )
    matrix = build_matrix(load_outcomes(results))
    markdown = render_markdown(collect({"plain_http": kinds["plain_http"]}, root=tmp_path), matrix)

    assert "| `resume.every_checkpoint` | ❔ |" in markdown  # worse than the other endpoint's pass
    assert "| `sort.honest` | ⛔ |" in markdown
    assert "1 ✅ · 0 ❌ · 1 ❔ · 1 ⛔ · 0 ⏭" in markdown
    assert "- `plain_http/things/resume.every_checkpoint`: plain_http/things [resume.every_checkpoint]: " in markdown
    assert "fix: record more" not in markdown  # the first line only


def test_malformed_results_name_the_file_and_row(tmp_path):
    results = tmp_path / "results.json"
    results.write_text('[{"source": "a", "check": "b", "outcome": "maybe"}]')
    with pytest.raises(ValueError, match=r"results.json: result 0 is malformed \(unknown outcome 'maybe'\)"):
        load_outcomes(results)
