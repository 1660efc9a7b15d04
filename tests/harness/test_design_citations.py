"""Messages and documents cite DESIGN.md by section name; every cited section and every relative link must exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DESIGN = ROOT / "DESIGN.md"
DOCUMENTS = [ROOT / "README.md", DESIGN, ROOT / "harness" / "README.md", ROOT / "sources" / "README.md"]
DOCUMENTS += [ROOT / "rules" / "README.md"]
# `DESIGN.md, "The crash model"`, also inside Python string literals where the quote is escaped.
CITATION = re.compile(r'DESIGN\.md, \\?"([^"\\]+)\\?"')
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def design_sections() -> set[str]:
    return {line.lstrip("#").strip() for line in DESIGN.read_text().splitlines() if line.startswith("#")}


def citing_files() -> list[Path]:
    code = [*(ROOT / "harness").rglob("*.py"), *(ROOT / "harness").rglob("*.tmpl"), *(ROOT / "sources").rglob("*.py")]
    return sorted({*code, *DOCUMENTS})


def citations() -> list[tuple[str, str]]:
    found = []
    for path in citing_files():
        for section in CITATION.findall(path.read_text()):
            found.append((str(path.relative_to(ROOT)), " ".join(section.split())))  # a citation may wrap
    return found


def test_the_checks_cite_the_design_document() -> None:
    cited_from = {path for path, _ in citations()}
    for module in ("resume_every_checkpoint.py", "incremental_watermark_encoding.py"):
        assert f"harness/checks/{module}" in cited_from


@pytest.mark.parametrize(("path", "section"), citations())
def test_a_cited_section_exists(path: str, section: str) -> None:
    assert section in design_sections(), f'{path} cites DESIGN.md, "{section}", which has no such heading'


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_relative_links_resolve(document: Path) -> None:
    broken = [
        target
        for target in LINK.findall(document.read_text())
        if "://" not in target and not (document.parent / target).exists()
    ]
    assert not broken, f"{document.relative_to(ROOT)} links to missing files: {broken}"
