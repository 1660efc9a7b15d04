"""Which sources a change affects: the gate checks those, and says why each was chosen.

A change under `sources/<dir>/` selects the sources whose code lives there; under `fixtures/<name>/` the source
`<name>`; a change to anything every source depends on (the SDK, the harness, the rules, the dependencies)
selects all of them. Everything else (docs, SOURCES.md, benchmarks, tests of the harness) selects none.
"""

from __future__ import annotations

import dataclasses
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath

# Paths every source depends on: a change here may change any verdict.
SHARED_PREFIXES = ("sources/common/", "sources/__init__.py", "harness/", "rules/", "pyproject.toml", "uv.lock")


class SelectionError(Exception):
    """The selection cannot be made (unknown ref, not a git checkout); the message is one line."""


@dataclasses.dataclass(frozen=True)
class Selection:
    """The sources to check, each with the reason it was chosen, in name order."""

    sources: tuple[str, ...]
    reasons: Mapping[str, str]
    everything: bool  # the whole repository is in scope (no --base, --all, or a shared path changed)
    rules_changed: bool
    description: str

    def reason(self, source: str) -> str:
        return self.reasons.get(source, "")


def everything(registered: Iterable[str], why: str) -> Selection:
    names = tuple(sorted(registered))
    return Selection(names, dict.fromkeys(names, why), True, True, f"all {len(names)} sources: {why}")


def named(registered: Iterable[str], chosen: Iterable[str]) -> Selection:
    known = set(registered)
    names = tuple(sorted(set(chosen)))
    unknown = [name for name in names if name not in known]
    if unknown:
        raise SelectionError(
            f"--source {unknown[0]!r} is not a registered source; registered: {', '.join(sorted(known))}"
        )
    return Selection(names, dict.fromkeys(names, "named with --source"), False, False, f"{len(names)} named source(s)")


def changed_paths(base: str, root: Path) -> list[str]:
    """Files that differ between the merge base of `base` and HEAD, plus uncommitted and untracked changes."""

    def git(*args: str) -> str:
        try:
            done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
        except FileNotFoundError:
            raise SelectionError("git is not installed; --base needs it") from None
        if done.returncode != 0:
            detail = (done.stderr.strip().splitlines() or ["git failed"])[-1]
            raise SelectionError(f"git {' '.join(args)}: {detail}")
        return done.stdout

    git("rev-parse", "--verify", "--quiet", f"{base}^{{commit}}")
    merge_base = git("merge-base", base, "HEAD").strip()
    paths = set(git("diff", "--name-only", "--no-renames", merge_base).split("\n"))
    paths |= set(git("ls-files", "--others", "--exclude-standard").split("\n"))
    return sorted(path for path in paths if path)


def from_changes(paths: Iterable[str], owners: Mapping[str, str], base: str) -> Selection:
    """`owners` maps each registered source to the folder under `sources/` its code lives in."""
    registered = sorted(owners)
    by_dir: dict[str, list[str]] = {}
    for source, directory in owners.items():
        by_dir.setdefault(directory, []).append(source)
    paths = list(paths)
    rules_changed = any(path.startswith("rules/") for path in paths)
    shared = next((path for path in paths if path.startswith(SHARED_PREFIXES)), None)
    if shared is not None:
        selection = everything(registered, f"{shared} changed (shared by every source)")
        return dataclasses.replace(selection, rules_changed=rules_changed)
    reasons: dict[str, str] = {}
    for path in paths:
        parts = PurePosixPath(path).parts
        if len(parts) >= 3 and parts[0] == "sources":
            for source in by_dir.get(parts[1], []):
                reasons.setdefault(source, f"{path} changed")
        elif len(parts) >= 3 and parts[0] == "fixtures" and parts[1] in owners:
            reasons.setdefault(parts[1], f"{path} changed")
    names = tuple(sorted(reasons))
    description = f"{len(names)} of {len(registered)} sources affected by the changes since {base}"
    return Selection(names, reasons, False, rules_changed, description)
