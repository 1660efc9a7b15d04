from __future__ import annotations

from pathlib import Path

import pytest

from harness.fixtures.har import HarEntry, HarRequest, HarResponse, write_har
from harness.fixtures.secret_scan import main, scan

CREATOR = {"name": "test", "version": "1"}


def _fixture_dir(tmp_path: Path, entry: HarEntry, config_token: str = "fake-token-for-tests") -> Path:
    directory = tmp_path / "fixtures" / "vendor"
    write_har(directory / "things" / "full.har", [entry], CREATOR)
    (directory / "manifest.toml").write_text(f'source = "vendor"\n[config]\napi_token = "{config_token}"\n')
    return tmp_path / "fixtures"


def _entry(headers=(), url="https://api.vendor.test/things", response_body='{"data": []}', response_headers=()):
    return HarEntry(
        HarRequest("GET", url, headers=tuple(headers)),
        HarResponse(200, "OK", headers=tuple(response_headers), body=response_body),
    )


def test_clean_fixture_has_no_findings(tmp_path):
    assert scan(_fixture_dir(tmp_path, _entry(headers=[("Authorization", "REDACTED")]))) == []


@pytest.mark.parametrize(
    ("entry", "what"),
    [
        (_entry(headers=[("Authorization", "Bearer fake-token-for-tests")]), "request header Authorization"),
        (_entry(response_body='{"key": "sk_live_' + "4eC39HqLyjWDarjtT1zdp7dc" + '"}'), "Stripe live key"),
        (_entry(response_body='{"echo": "fake-token-for-tests"}'), "contains a configured credential"),
        (_entry(url="https://api.vendor.test/things?token=fake-token-for-tests"), "unredacted"),
        (_entry(response_headers=[("X-Key", "AKIA" + "IOSFODNN7EXAMPLE")]), "AWS access key id"),
    ],
)
def test_each_leak_is_found_and_named(tmp_path, entry, what):
    findings = [str(finding) for finding in scan(_fixture_dir(tmp_path, entry))]
    assert any(what in finding for finding in findings), findings
    assert all("full.har: entry 0 (GET https://api.vendor.test/things" in finding for finding in findings)


def test_command_exits_non_zero_with_one_line_per_finding(tmp_path, capsys):
    root = _fixture_dir(tmp_path, _entry(response_body='{"echo": "fake-token-for-tests"}'))
    assert main([str(root)]) == 1
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].endswith("contains a configured credential")


def test_unreadable_har_is_a_finding_not_a_crash(tmp_path):
    directory = tmp_path / "fixtures" / "vendor"
    directory.mkdir(parents=True)
    (directory / "broken.har").write_text("{not json")
    [finding] = scan(tmp_path / "fixtures")
    assert "not valid JSON" in str(finding)


def test_committed_fixtures_scan_clean():
    fixtures = Path(__file__).resolve().parents[2] / "fixtures"
    assert [str(finding) for finding in scan(fixtures)] == []
