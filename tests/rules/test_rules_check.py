"""The nosemgrep pragma checker: which pragmas pass, which fail and why, where it looks, its exit code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from harness.gate.pragmas import check_paths, check_pragma, known_rule_ids, main

REPO = Path(__file__).resolve().parents[2]
KNOWN = frozenset({"warehouse-http-transport", "warehouse-raw-transport"})


@pytest.mark.parametrize(
    "comment",
    [
        "# nosemgrep: warehouse-http-transport — the vendor SDK owns its connection pool",
        "# nosemgrep: warehouse-raw-transport -- gRPC has no tracked transport yet",
        "# nosemgrep: warehouse-raw-transport - gRPC has no tracked transport yet",
        "# nosemgrep:warehouse-http-transport — token exchange before the session exists",
        "# nosemgrep: warehouse-http-transport, warehouse-raw-transport — both clients come from the SDK",
        "# nosemgrep: rules.warehouse-http-transport — dotted id as semgrep prints it",
        "# a comment that mentions nothing special",
        "# nosemgrepping is not a word",
    ],
)
def test_accepted_comments(comment: str) -> None:
    assert check_pragma(comment, KNOWN) is None


@pytest.mark.parametrize(
    ("comment", "complaint"),
    [
        ("# nosemgrep", "bare nosemgrep"),
        ("# NOSEMGREP", "bare nosemgrep"),
        ("# nosem", "bare nosemgrep"),
        ("# nosemgrep because the SDK needs it", "bare nosemgrep"),
        ("# nosemgrep:", "names no rule"),
        ("# nosemgrep: — the SDK needs it", "names no rule"),
        ("# nosemgrep: warehouse-http-transport", "gives no reason"),
        ("# nosemgrep: warehouse-http-transport —", "gives no reason"),
        ("# nosemgrep: warehouse-http-transport -- ...", "gives no reason"),
        ("# nosemgrep: warehouse-http-transprot — typo in the id", "unknown rule warehouse-http-transprot"),
        ("x = 1  # nosemgrep: warehouse-raw-transport", "gives no reason"),
        ("# nosemgrep: warehouse-raw-transport: sidecar channel", "unknown rule warehouse-raw-transport:"),
    ],
)
def test_rejected_comments(comment: str, complaint: str) -> None:
    message = check_pragma(comment, KNOWN)
    assert message is not None
    assert complaint in message


def test_the_format_is_shown_in_every_complaint_about_form() -> None:
    message = check_pragma("# nosemgrep", KNOWN)
    assert message is not None and "# nosemgrep: <rule-id> — <reason>" in message


def test_known_ids_are_the_rules_in_the_rules_folder() -> None:
    ids = known_rule_ids(REPO / "rules")
    assert {"warehouse-http-transport", "warehouse-raw-transport", "warehouse-hardcoded-credential"} <= ids
    assert all(rule_id.startswith("warehouse-") for rule_id in ids)


def _tree(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_scan_reports_file_line_and_skips_tests_and_strings(tmp_path: Path) -> None:
    bare = "import grpc\n\n\ndef channel(target):\n    return grpc.insecure_channel(target)  # nosemgrep\n"
    _tree(
        tmp_path,
        {
            "acme/acme.py": bare,
            "acme/client.py": (
                "import requests\n"
                "session = requests.Session()  # nosemgrep: warehouse-http-transport\n"
                'HELP = "write # nosemgrep: <rule> — <reason> to silence a rule"\n'
            ),
            "acme/settings.py": "ENDPOINTS = {}  # nosemgrep: warehouse-http-transport — not a call, kept\n",
            "acme/tests/helpers.py": bare,
            "acme/test_acme.py": bare,
        },
    )
    problems = check_paths([tmp_path], KNOWN)
    found = sorted((problem.path.relative_to(tmp_path).as_posix(), problem.line) for problem in problems)
    assert found == [("acme/acme.py", 5), ("acme/client.py", 2)]
    assert str(problems[0]).startswith(f"{tmp_path / 'acme/acme.py'}:5: bare nosemgrep")


def test_a_file_named_directly_is_checked_even_if_it_is_a_test(tmp_path: Path) -> None:
    path = tmp_path / "test_acme.py"
    path.write_text("x = 1  # nosemgrep\n")
    assert [problem.line for problem in check_paths([path], KNOWN)] == [1]


def test_unreadable_python_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text('s = """never closed\n# nosemgrep\n')
    problems = check_paths([tmp_path], KNOWN)
    assert len(problems) == 1
    assert "cannot read its comments" in problems[0].message


def test_main_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "good.py").write_text("x = 1  # nosemgrep: warehouse-http-transport — kept for the SDK\n")
    assert main([str(tmp_path)]) == 0
    assert capsys.readouterr().out == ""
    (tmp_path / "bad.py").write_text("x = 1  # nosemgrep: warehouse-http-transport\n")
    assert main([str(tmp_path)]) == 1
    assert capsys.readouterr().out.strip() == f"{tmp_path / 'bad.py'}:1: " + (
        "nosemgrep on warehouse-http-transport gives no reason: `# nosemgrep: <rule-id> — <reason>`"
    )
    with pytest.raises(SystemExit) as excinfo:
        main([str(tmp_path / "missing")])
    assert excinfo.value.code == 2


def test_runs_as_a_module_over_the_real_sources() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "harness.gate.pragmas", "sources/"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
