"""Affected-source selection on real git diffs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from harness.gate.affected import SelectionError, changed_paths, from_changes, named

OWNERS = {"github": "github", "stripe": "stripe", "typeform": "typeform"}


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def write(root: Path, path: str, text: str = "x = 1\n") -> None:
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "config", "user.email", "gate@example.invalid")
    git(tmp_path, "config", "user.name", "gate")
    for path in [
        "sources/github/github.py",
        "sources/stripe/stripe.py",
        "sources/common/base.py",
        "fixtures/typeform/manifest.toml",
        "README.md",
        "harness/paths.py",
    ]:
        write(tmp_path, path)
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "base")
    git(tmp_path, "checkout", "-qb", "change")
    return tmp_path


def commit(root: Path, *paths: str) -> None:
    for path in paths:
        write(root, path, "y = 2\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "change")


def test_a_connector_change_selects_that_source(repo: Path) -> None:
    commit(repo, "sources/github/github.py")

    selection = from_changes(changed_paths("main", repo), OWNERS, "main")

    assert selection.sources == ("github",)
    assert selection.reason("github") == "sources/github/github.py changed"
    assert not selection.everything


def test_a_fixture_change_selects_its_source_and_docs_select_nothing(repo: Path) -> None:
    commit(repo, "fixtures/typeform/manifest.toml", "README.md")

    selection = from_changes(changed_paths("main", repo), OWNERS, "main")

    assert selection.sources == ("typeform",)
    assert "since main" in selection.description


@pytest.mark.parametrize("shared", ["sources/common/base.py", "harness/paths.py", "uv.lock", "rules/new.yaml"])
def test_a_shared_change_selects_every_source(repo: Path, shared: str) -> None:
    commit(repo, shared)

    selection = from_changes(changed_paths("main", repo), OWNERS, "main")

    assert selection.sources == ("github", "stripe", "typeform")
    assert selection.everything
    assert shared in selection.reason("stripe")
    assert selection.rules_changed == shared.startswith("rules/")


def test_uncommitted_and_untracked_changes_count(repo: Path) -> None:
    write(repo, "sources/stripe/stripe.py", "z = 3\n")
    write(repo, "fixtures/github/new.har", "{}")

    selection = from_changes(changed_paths("main", repo), OWNERS, "main")

    assert selection.sources == ("github", "stripe")


def test_only_changes_since_the_merge_base_count(repo: Path) -> None:
    commit(repo, "sources/github/github.py")
    git(repo, "checkout", "-q", "main")
    commit(repo, "sources/stripe/stripe.py")  # main moved on; the branch did not touch stripe
    git(repo, "checkout", "-q", "change")

    assert from_changes(changed_paths("main", repo), OWNERS, "main").sources == ("github",)


def test_an_unknown_ref_is_one_line(repo: Path) -> None:
    with pytest.raises(SelectionError) as error:
        changed_paths("no-such-ref", repo)

    assert "\n" not in str(error.value) and "no-such-ref" in str(error.value)


def test_an_unknown_named_source_lists_the_registered_ones() -> None:
    with pytest.raises(SelectionError, match="'gitlab' is not a registered source; registered: github, stripe"):
        named(OWNERS, ["gitlab"])
