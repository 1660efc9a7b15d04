"""Where the repository's folders are, for every module of the harness."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES_ROOT = REPO_ROOT / "fixtures"
SOURCES_DIR = REPO_ROOT / "sources"
RULES_DIR = REPO_ROOT / "rules"
