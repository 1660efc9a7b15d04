"""The fixture secret scan: every kind of planted secret is found in every place of a HAR, with its JSON path;
scrubbed placeholders and the committed fixtures are clean; bad files are one line, never a traceback."""

from __future__ import annotations

import base64
import dataclasses
import json
import random
import string
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest
from acme_vendor.source import AcmeSource, constant

from harness.fixtures.har import HarEntry, HarRequest, HarResponse, write_har
from harness.fixtures.secret_scan import Finding, main, scan
from harness.paths import FIXTURES_ROOT, REPO_ROOT
from sources.common.fields import SourceConfig, SourceFieldInputConfig, SourceFieldInputConfigType
from sources.common.registry import SourceRegistry

FAKE_TOKEN = "fake-acme-token-0001"  # the manifest's PASSWORD value: fine in [config], never in a HAR
BASE = "https://api.acme-helpdesk.test/v1/tickets"
_random = random.Random(20241101)


def _random_text(length: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(_random.choice(alphabet) for _ in range(length))


def _b64url(document: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(document).encode()).decode().rstrip("=")


def _pem(kind: str) -> str:
    body = "\n".join(_random_text(64, string.ascii_letters + string.digits + "+/") for _ in range(3))
    return f"-----BEGIN {kind}-----\n{body}\n-----END {kind}-----\n"


JWT = ".".join(
    [_b64url({"alg": "HS256", "typ": "JWT"}), _b64url({"sub": "agent_1", "exp": 1900000000}), _random_text(43)]
)
# Each kind of secret, as the text that carries it (a URL location gets it as a query string or a parameter).
KINDS: dict[str, str] = {
    "jwt": JWT,
    "query token": f"access_token={_random_text(32)}&limit=10",
    "form body token": f"grant_type=client_credentials&client_secret={_random_text(32)}",
    "json body token": json.dumps({"api_key": _random_text(32), "limit": 10}),
    "encrypted private key": _pem("ENCRYPTED PRIVATE KEY"),
    "percent-encoded key block": quote(_pem("RSA PRIVATE KEY"), safe=""),
    "manifest PASSWORD value": FAKE_TOKEN,
    "generic high-entropy key": _random_text(40, string.ascii_letters + string.digits + "+/"),
}
LOCATIONS = ("request header", "URL", "request body", "response header", "response body")


def _entry(location: str | None = None, planted: str = "") -> HarEntry:
    request_headers = [("Authorization", "Bearer REDACTED"), ("Accept", "application/json")]
    response_headers = [("Content-Type", "application/json"), ("X-RateLimit-Remaining", "599")]
    url, body, response_body = f"{BASE}?limit=10&order=asc", None, json.dumps({"data": [], "has_more": False})
    if location == "request header":
        request_headers.append(("X-Client-Context", planted))
    elif location == "URL":
        url = f"{BASE}?{planted}" if "=" in planted and "{" not in planted else f"{BASE}?q={quote(planted, safe='')}"
    elif location == "request body":
        body = planted
    elif location == "response header":
        response_headers.append(("X-Debug-Context", planted))
    elif location == "response body":
        response_body = planted
    return HarEntry(
        request=HarRequest("POST" if body else "GET", url, tuple(request_headers), body, "application/json"),
        response=HarResponse(200, "OK", tuple(response_headers), response_body),
    )


EXPECTED_PATH = {
    "request header": "log.entries[1].request.headers[2].value",
    "URL": "log.entries[1].request.url",
    "request body": "log.entries[1].request.postData.text",
    "response header": "log.entries[1].response.headers[2].value",
    "response body": "log.entries[1].response.content.text",
}


def _fixtures(root: Path, entries: list[HarEntry], manifest_config: str | None = None) -> Path:
    source = root / "acme"
    write_har(source / "tickets" / "full.har", [_entry(), *entries], {"name": "test", "version": "1"})
    config = manifest_config or f'api_token = "{FAKE_TOKEN}"\npage_size = 10'
    (source / "manifest.toml").write_text(
        f'source = "acme"\n\n[config]\n{config}\n\n'
        '[endpoints.tickets.scenarios.full]\nhar = "tickets/full.har"\nincremental_field = "updated_at"\n'
    )
    return root


def _where(findings: list[Finding]) -> list[str]:
    return [f"{finding.path.name}: {finding.where}" for finding in findings]


def test_a_clean_recording_has_no_finding(tmp_path: Path) -> None:
    assert scan(_fixtures(tmp_path, [_entry()])) == []


@pytest.mark.parametrize("location", LOCATIONS)
@pytest.mark.parametrize("kind", list(KINDS))
def test_each_kind_of_secret_is_found_in_each_location(tmp_path: Path, kind: str, location: str) -> None:
    findings = scan(_fixtures(tmp_path, [_entry(location, KINDS[kind])]))

    expected = f"full.har: {EXPECTED_PATH[location]}"
    assert any(where == expected or where.startswith(expected + " → ") for where in _where(findings)), _where(findings)
    assert all("entries[0]" not in where for where in _where(findings))


def test_a_secret_deep_in_a_json_body_is_reported_with_its_inner_path(tmp_path: Path) -> None:
    body = json.dumps({"data": [{"id": "tkt_0001", "integration": {"access_token": _random_text(32)}}]})

    findings = scan(_fixtures(tmp_path, [_entry("response body", body)]))

    assert "full.har: log.entries[1].response.content.text → data[0].integration.access_token" in _where(findings)


def test_the_kind_of_each_detection_is_named(tmp_path: Path) -> None:
    named = {
        "jwt": "JSON Web Token",
        "encrypted private key": "BEGIN ENCRYPTED PRIVATE KEY",
        "percent-encoded key block": "percent-encoded BEGIN RSA PRIVATE KEY",
        "query token": "access_token=",
        "form body token": "client_secret=",
        "manifest PASSWORD value": "PASSWORD value of acme's [config] 'api_token'",
    }
    for kind, phrase in named.items():
        root = tmp_path / kind.replace(" ", "-")
        findings = scan(_fixtures(root, [_entry("request body", KINDS[kind])]))
        assert any(phrase in finding.what for finding in findings), (kind, [f.what for f in findings])


@pytest.mark.parametrize(
    "placeholder",
    [
        "api_key=REDACTED&limit=10",
        "Bearer REDACTED",
        json.dumps({"password": "REDACTED", "client_secret": "REDACTED"}),
        json.dumps({"error": {"message": "Invalid API Key provided: fake_***"}}),
        "access_token=%3Ctoken%3E",
        "-----BEGIN PUBLIC KEY-----",
    ],
)
def test_scrubbed_placeholders_are_not_findings(tmp_path: Path, placeholder: str) -> None:
    entries = [_entry(location, placeholder) for location in LOCATIONS]

    assert scan(_fixtures(tmp_path, entries)) == []


def test_an_unredacted_auth_header_is_found_and_a_redacted_one_is_not(tmp_path: Path) -> None:
    entry = _entry("request header", "x")
    headers = (*entry.request.headers[:2], ("Cookie", "session=a1; theme=dark"), ("Set-Cookie", "REDACTED"))
    planted = HarEntry(dataclasses.replace(entry.request, headers=headers), entry.response)

    assert _where(scan(_fixtures(tmp_path, [planted]))) == ["full.har: log.entries[1].request.headers[2].value"]


@pytest.mark.parametrize(
    "key",
    [
        "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc",
        "ghp_" + "A" * 10 + "b" * 10 + "C" * 16,
        "AIza" + "SyD-9tSrke72PouQMnMX" + "-a7eZSW0jkFMBWY",
        "pat-na1-" + "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d",
        "AKIA" + "IOSFODNN7EXAMPLE",
    ],
)
def test_vendor_live_key_shapes_are_found(tmp_path: Path, key: str) -> None:
    findings = scan(_fixtures(tmp_path, [_entry("response body", json.dumps({"note": key}))]))

    assert _where(findings) == ["full.har: log.entries[1].response.content.text → note"]


def test_a_password_value_is_fine_in_its_config_and_a_simulator_but_not_in_other_files(tmp_path: Path) -> None:
    root = _fixtures(tmp_path, [])
    (root / "acme" / "simulator.py").write_text(f'TOKEN = "{FAKE_TOKEN}"\n')
    (root / "acme" / "notes.txt").write_text(f"recorded with {FAKE_TOKEN}\n")

    assert _where(scan(root)) == ["notes.txt: line 1"]


class PassphraseSource(AcmeSource):
    """Acme with one more PASSWORD field whose name no credential-name rule recognises."""

    source_type = constant("acme_with_passphrase")

    @property
    def get_source_config(self) -> SourceConfig:
        config = super().get_source_config
        passphrase = SourceFieldInputConfig("passphrase", "Export passphrase", type=SourceFieldInputConfigType.PASSWORD)
        return dataclasses.replace(config, fields=(*config.fields, passphrase))


def test_a_password_field_of_the_registered_source_counts_whatever_its_name(tmp_path: Path) -> None:
    config = f'api_token = "{FAKE_TOKEN}"\npage_size = 10\npassphrase = "fake-export-phrase-01"'
    root = _fixtures(tmp_path, [_entry("response body", '{"note": "fake-export-phrase-01"}')], config)
    manifest = root / "acme" / "manifest.toml"

    assert scan(root) == []  # for acme, `passphrase` is no PASSWORD field: a fake-looking value is just data

    manifest.write_text(manifest.read_text().replace('source = "acme"', 'source = "acme_with_passphrase"'))
    SourceRegistry.register(PassphraseSource)
    try:
        findings = scan(root)
    finally:
        SourceRegistry.unregister("acme_with_passphrase")

    assert _where(findings) == ["full.har: log.entries[1].response.content.text → note"]
    assert "[config] 'passphrase'" in findings[0].what


def test_a_password_value_that_does_not_look_fake_is_a_finding_in_the_manifest(tmp_path: Path) -> None:
    real_looking = _random_text(32)
    root = _fixtures(tmp_path, [], f'api_token = "{real_looking}"\npage_size = 10')

    findings = scan(root)

    assert [w for w in _where(findings) if w.startswith("manifest")] == ["manifest.toml: config.api_token"]
    assert real_looking not in "\n".join(str(finding) for finding in findings)  # reported masked


def test_every_file_is_scanned_whatever_its_extension(tmp_path: Path) -> None:
    root = _fixtures(tmp_path, [])
    (root / "acme" / "tickets" / "page.json").write_text(json.dumps({"items": [{"session_token": _random_text(30)}]}))
    (root / "acme" / "extra.yaml").write_text(f"webhook:\n  signing_secret: {_random_text(30)}\n")
    (root / "acme" / "README").write_text(f"curl -H 'Authorization: Bearer {JWT}'\n")
    (root / "acme" / "dump.bin").write_bytes(b"\x00\x01" + _pem("EC PRIVATE KEY").encode() + b"\xff")

    assert set(_where(scan(root))) >= {
        "page.json: items[0].session_token",
        "extra.yaml: line 2",
        "README: line 1",
        "dump.bin: line 1",
    }


def test_a_manifest_har_outside_its_source_folder_is_an_error(tmp_path: Path) -> None:
    root = _fixtures(tmp_path, [])
    manifest = root / "acme" / "manifest.toml"
    manifest.write_text(manifest.read_text() + '\n[credentials]\nhar = "../../elsewhere/credentials.har"\n')

    findings = scan(root)

    assert _where(findings) == ["manifest.toml: credentials.har"]
    assert "points outside its source's folder" in findings[0].what


def test_a_broken_file_is_one_line_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _fixtures(tmp_path, [])
    (root / "acme" / "tickets" / "broken.har").write_text('{"log": {"entries": [')
    (root / "acme" / "bad.toml").write_text("source = \n")

    assert main([str(root)]) == 1

    out = capsys.readouterr().out.splitlines()
    assert [line.split(": ", 2)[:2] for line in out] == [
        [str(root / "acme" / "bad.toml"), "file"],
        [str(root / "acme" / "tickets" / "broken.har"), "file"],
    ]
    assert "not valid TOML" in out[0] and "not valid JSON (line 1" in out[1]


def test_an_unreadable_file_is_one_line_naming_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _fixtures(tmp_path, [])
    locked = root / "acme" / "locked.har"
    locked.write_text("{}")
    original: Callable[[Path], bytes] = Path.read_bytes

    def read_bytes(path: Path) -> bytes:
        if path == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return original(path)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)

    assert [str(finding) for finding in scan(root)] == [f"{locked}: file: cannot be read (Permission denied)"]


def test_the_cli_reports_and_exits_without_a_traceback(tmp_path: Path) -> None:
    root = _fixtures(tmp_path, [_entry("URL", KINDS["query token"])])

    completed = subprocess.run(
        [sys.executable, "-m", "harness.fixtures.secret_scan", str(root)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    assert completed.returncode == 1
    assert "Traceback" not in completed.stderr
    assert "full.har: log.entries[1].request.url: " in completed.stdout
    assert "access_token=" in completed.stdout and KINDS["query token"].split("=")[1] not in completed.stdout


def test_the_committed_fixtures_scan_clean() -> None:
    assert [str(finding) for finding in scan(FIXTURES_ROOT)] == []
