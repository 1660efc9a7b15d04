"""Scan fixtures for credentials: live-key shapes anywhere, unredacted auth headers, fake config values in responses.

python -m harness.secret_scan [fixtures/]      # exit 1 and one line per finding
"""

from __future__ import annotations

import dataclasses
import re
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

from harness.har import HarError, read_har
from sources.common.scrub import REDACTED, SENSITIVE_HEADERS, is_sensitive_name

LIVE_KEY_PATTERNS: dict[str, re.Pattern[str]] = {
    "Stripe live key": re.compile(r"\b[sr]k_live_[0-9A-Za-z]{10,}"),
    "GitHub token": re.compile(r"\b(?:gh[pousr]_[0-9A-Za-z]{36}|github_pat_[0-9A-Za-z_]{40,})\b"),
    "Slack token": re.compile(r"\bxox[abposr]-[0-9A-Za-z-]{10,}"),
    "AWS access key id": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "private key": re.compile(r"-----BEGIN (?:RSA |EC |OPENSSH )?PRIVATE KEY-----"),
    "Google API key": re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b"),
    "HubSpot private app token": re.compile(
        r"\bpat-(?:na|eu)1-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"
    ),
}


@dataclasses.dataclass(frozen=True)
class Finding:
    path: Path
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.path}: {self.where}: {self.what}"


def _live_keys(path: Path, where: str, text: str) -> Iterator[Finding]:
    for name, pattern in LIVE_KEY_PATTERNS.items():
        if pattern.search(text):
            yield Finding(path, where, f"looks like a {name}")


def _fake_config_values(directory: Path) -> set[str]:
    manifest = directory / "manifest.toml"
    if not manifest.is_file():
        return set()
    try:
        config = tomllib.loads(manifest.read_text()).get("config") or {}
    except tomllib.TOMLDecodeError:
        return set()
    return {str(value) for key, value in config.items() if is_sensitive_name(key) and len(str(value)) >= 4}


def scan_har(path: Path, fake_secrets: set[str]) -> Iterator[Finding]:
    har = read_har(path)
    for index, entry in enumerate(har.entries):
        where = f"entry {index} ({entry.request.method} {entry.request.url})"
        for name, value in entry.request.headers:
            if name.lower() in SENSITIVE_HEADERS and value != REDACTED:
                yield Finding(path, where, f"request header {name} is not redacted")
        request_text = " ".join([entry.request.url, entry.request.body or "", *(v for _, v in entry.request.headers)])
        response_text = " ".join([entry.response.body, *(v for _, v in entry.response.headers)])
        yield from _live_keys(path, f"{where} request", request_text)
        yield from _live_keys(path, f"{where} response", response_text)
        for secret in sorted(fake_secrets):
            if secret in request_text:
                yield Finding(path, f"{where} request", "carries a configured credential unredacted")
            if secret in response_text:
                yield Finding(path, f"{where} response", "contains a configured credential")


def scan(root: Path) -> list[Finding]:
    findings: list[Finding] = []
    for directory in sorted(path for path in root.iterdir() if path.is_dir()):
        fake_secrets = _fake_config_values(directory)
        for path in sorted(directory.rglob("*")):
            if path.suffix == ".har":
                try:
                    findings.extend(scan_har(path, fake_secrets))
                except HarError as exc:
                    findings.append(Finding(path, "file", str(exc)))
            elif path.is_file() and path.suffix in {".toml", ".json", ".py"}:
                findings.extend(_live_keys(path, "file", path.read_text(errors="replace")))
    return findings


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    root = Path(args[0]) if args else Path(__file__).resolve().parent.parent / "fixtures"
    if not root.is_dir():
        print(f"error: {root} is not a directory", file=sys.stderr)
        return 2
    findings = scan(root)
    for finding in findings:
        print(finding)
    print(f"secret scan: {len(findings)} finding(s) under {root}", file=sys.stderr)
    return 1 if findings else 0


if __name__ == "__main__":
    raise SystemExit(main())
