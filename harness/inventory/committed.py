"""The conformance matrix as SOURCES.md records it, read back as outcomes.

A run over some sources regenerates their columns; every other registered source keeps the column it has in the
committed SOURCES.md. Reading the committed matrix back is what lets a one-source run (the PR gate) and
`python -m harness inventory` agree on the whole document.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from harness.inventory.check import CONFORMANCE_TITLE, sections
from harness.inventory.matrix import LISTED_TITLES, OUTCOME_ICON, Outcome

_ICON_OUTCOME = {icon: outcome for outcome, icon in OUTCOME_ICON.items()}
_HEADER_SOURCE = re.compile(r"`([^`]+)`")
_LISTED = re.compile(r"^- `(?P<source>[^/`]+)/(?P<endpoint>[^/`]+)/(?P<check>[^`]+)`: (?P<reason>.*)$")


def committed_outcomes(markdown: str) -> list[Outcome]:
    section = sections(markdown).get(CONFORMANCE_TITLE)
    if not section:
        return []
    lines = section.splitlines()
    table = [line for line in lines if line.startswith("|")]
    if len(table) < 2:
        return []
    sources = _HEADER_SOURCE.findall(table[0].split("|", 2)[2])
    cells: dict[tuple[str, str], str] = {}
    for row in table[2:]:
        parts = [part.strip() for part in row.strip().strip("|").split("|")]
        check = parts[0].strip("`")
        for source, icon in zip(sources, parts[1:], strict=False):
            if icon in _ICON_OUTCOME:
                cells[(source, check)] = _ICON_OUTCOME[icon]
    listed: dict[tuple[str, str], list[Outcome]] = {}
    title_outcome = {f"{title}:": outcome for outcome, title in LISTED_TITLES.items()}
    current = None
    for line in lines:
        if line in title_outcome:
            current = title_outcome[line]
            continue
        match = _LISTED.match(line)
        if current and match:
            outcome = Outcome(match["source"], match["endpoint"], match["check"], current, match["reason"])
            listed.setdefault((outcome.source, outcome.check), []).append(outcome)
    outcomes = []
    for (source, check), outcome in sorted(cells.items()):
        found = [item for item in listed.get((source, check), []) if item.outcome == outcome]
        outcomes += found or [Outcome(source, "-", check, outcome, None)]
    return outcomes


def combine(fresh: Iterable[Outcome], committed: Iterable[Outcome], registered: Iterable[str]) -> list[Outcome]:
    """The fresh outcomes of the sources they cover, the committed ones of every other registered source."""
    fresh = list(fresh)
    covered = {outcome.source for outcome in fresh}
    keep = set(registered) - covered
    return fresh + [outcome for outcome in committed if outcome.source in keep]
