"""`python -m harness new`: in a copy of the working tree, the skeleton registers, passes the registry check and
says what to do next; bad names are refused in one line; a failed write leaves nothing behind."""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.fixtures.manifest import ManifestError, load_manifest
from harness.paths import REPO_ROOT
from harness.scaffold import generate
from harness.scaffold.generate import MAX_NAME_LENGTH, ScaffoldError, check_name, register, render, write
from harness.scaffold.styles import STYLES

NAME = "acme_desk"
GENERATED = [
    "sources/acme_desk/__init__.py",
    "sources/acme_desk/settings.py",
    "sources/acme_desk/acme_desk.py",
    "sources/acme_desk/source.py",
    "sources/acme_desk/tests/conftest.py",
    "sources/acme_desk/tests/test_acme_desk.py",
    "fixtures/acme_desk/simulator.py",
    "fixtures/acme_desk/manifest.toml",
]


def copy_tree(root: Path) -> Path:
    """The working tree as it is (tracked and untracked files, not ignored ones)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for name in filter(None, listed.split("\0")):
        source = REPO_ROOT / name
        if source.is_file():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, root / name)
    return root


def run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root), "NO_COLOR": "1", "COLUMNS": "400"}
    env.pop("REDIS_URL", None)
    return subprocess.run(
        [sys.executable, *args], cwd=root, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for top in ("sources", "fixtures")
        for path in sorted((root / top).rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    } | {name: b"" for name in os.listdir(root) if name.startswith(".new-")}


@pytest.fixture(scope="module")
def scaffolded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str], str]:
    root = copy_tree(tmp_path_factory.mktemp("scaffold") / "repo")
    before = (root / "sources" / "__init__.py").read_text()
    done = run(root, "-m", "harness", "new", NAME, "--vendor-url", "https://developer.acmedesk.example/api")
    return root, done, before


def test_new_writes_the_skeleton_and_one_registration_line(scaffolded) -> None:
    root, done, before = scaffolded
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:-1] == [*GENERATED, "sources/__init__.py"]
    assert "pytest harness --source acme_desk" in done.stdout.splitlines()[-1]
    written = sorted(
        str(path.relative_to(root))
        for top in ("sources/acme_desk", "fixtures/acme_desk")
        for path in (root / top).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    )
    assert written == sorted(GENERATED)
    diff = list(difflib.ndiff(before.splitlines(), (root / "sources" / "__init__.py").read_text().splitlines()))
    changed = [line for line in diff if line.startswith(("+ ", "- "))]
    assert changed == ["+ from sources.acme_desk.source import AcmeDeskSource", '+     "AcmeDeskSource",']
    assert "https://developer.acmedesk.example/api" in (root / "sources/acme_desk/source.py").read_text()
    assert not [name for name in os.listdir(root) if name.startswith(".new-")]


def test_the_skeleton_passes_the_registry_check_at_once(scaffolded) -> None:
    root, _, _ = scaffolded
    done = run(root, "-m", "pytest", "harness", "--source", NAME, "-k", "registry", "-p", "no:cacheprovider")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed, 1 deselected" in done.stdout


def test_the_other_cases_say_what_to_do_next(scaffolded) -> None:
    root, _, _ = scaffolded
    done = run(root, "-m", "pytest", "harness", "--source", NAME, "-p", "no:cacheprovider")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "conformance: 1 passed, 1 failed" in done.stdout
    message = next(line for line in done.stdout.splitlines() if line.startswith("acme_desk/-/fixtures: "))
    steps = [
        "nothing recorded yet (fixtures/acme_desk/credentials.har and 6 more missing)",
        "replace the TODOs of sources/acme_desk",
        "make the example vendor in fixtures/acme_desk/simulator.py answer as the vendor's documentation says",
        "record with `python -m harness record acme_desk`",
        "TODO pagination and watermark tables of fixtures/acme_desk/manifest.toml",
    ]
    positions = [message.find(step) for step in steps]
    assert -1 not in positions and positions == sorted(positions), message


def test_recording_the_skeleton_says_to_make_the_simulator_the_vendors(scaffolded) -> None:
    root, _, _ = scaffolded
    done = run(root, "-m", "harness", "record", NAME)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "make it answer as the vendor's documentation says" in done.stderr
    assert "set SKELETON = False, then run `python -m harness record acme_desk` again" in done.stderr
    assert not (root / "fixtures" / NAME / "tickets").exists()


def test_the_skeleton_tests_pass_and_the_code_is_ruff_clean(scaffolded) -> None:
    root, _, _ = scaffolded
    tests = run(root, "-m", "pytest", "sources/acme_desk", "-q", "-p", "no:cacheprovider")
    assert tests.returncode == 0, tests.stdout + tests.stderr
    python_files = [name for name in GENERATED if name.endswith(".py")] + ["sources/__init__.py"]
    lint = run(root, "-m", "ruff", "check", *python_files)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    formatted = run(root, "-m", "ruff", "format", "--check", *python_files)
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("AcmeDesk", "'AcmeDesk' is not a source name: use a lowercase Python identifier"),
        ("acme-desk", "'acme-desk' is not a source name"),
        ("9lives", "'9lives' is not a source name"),
        ("class", "'class' is not a source name"),
        ("a" * (MAX_NAME_LENGTH + 1), f"is longer than {MAX_NAME_LENGTH} characters"),
        ("typeform", "'typeform' is already registered"),
        ("type_form", "'type_form' is already registered (as 'typeform')"),
        ("common", "sources/common already exists: nothing was written"),
    ],
)
def test_bad_names_are_refused_in_one_line(tmp_path: Path, name: str, error: str) -> None:
    (tmp_path / "sources" / "common").mkdir(parents=True)
    (tmp_path / "fixtures").mkdir()
    with pytest.raises(ScaffoldError) as raised:
        check_name(name, tmp_path, ["github", "typeform"])
    assert error in str(raised.value) and "\n" not in str(raised.value)


def test_the_command_refuses_an_existing_fixtures_folder_and_writes_nothing(scaffolded) -> None:
    root, _, _ = scaffolded
    (root / "fixtures" / "beta_desk").mkdir()
    before = snapshot(root)
    done = run(root, "-m", "harness", "new", "beta_desk")
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == "error: new beta_desk: fixtures/beta_desk already exists: nothing was written\n"
    assert snapshot(root) == before
    again = run(root, "-m", "harness", "new", NAME)
    assert (again.returncode, again.stderr) == (1, "error: new acme_desk: 'acme_desk' is already registered\n")
    assert snapshot(root) == before


@pytest.mark.parametrize("url", ['https://docs.acme.example/"api', "ftp://docs.acme.example", "docs.acme.example"])
def test_a_vendor_url_that_is_not_an_address_is_refused(url: str) -> None:
    with pytest.raises(ScaffoldError, match=r"^--vendor-url .* is not an http\(s\) address$"):
        render(NAME, url)


@pytest.fixture
def small_repo(tmp_path: Path) -> Path:
    (tmp_path / "sources").mkdir()
    (tmp_path / "fixtures").mkdir()
    shutil.copy2(REPO_ROOT / "sources" / "__init__.py", tmp_path / "sources" / "__init__.py")
    return tmp_path


def test_a_failed_registration_leaves_nothing_behind(small_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = snapshot(small_repo)

    def failing_replace(source: object, destination: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(generate.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        write(small_repo, render(NAME), NAME)
    assert snapshot(small_repo) == before


def test_a_folder_that_appears_meanwhile_is_never_merged_into(small_repo: Path) -> None:
    (small_repo / "fixtures" / NAME).mkdir()
    (small_repo / "fixtures" / NAME / "notes.txt").write_text("mine")
    before = snapshot(small_repo)
    with pytest.raises(OSError):
        write(small_repo, render(NAME), NAME)  # past check_name: the folder appeared after it
    assert snapshot(small_repo) == before


def test_a_registry_module_without_all_is_refused(small_repo: Path) -> None:
    (small_repo / "sources" / "__init__.py").write_text("from sources.github.source import GithubSource\n")
    before = snapshot(small_repo)
    with pytest.raises(ScaffoldError, match=r"sources/__init__\.py: no `__all__ = \[` \.\.\. `\]` list"):
        write(small_repo, render(NAME), NAME)
    assert snapshot(small_repo) == before


def test_registration_keeps_imports_and_all_sorted() -> None:
    text = (REPO_ROOT / "sources" / "__init__.py").read_text()
    for name, after_import, after_entry in [
        ("aardvark", None, None),
        ("delta_desk", "from sources.common.registry import SourceRegistry", '"ChargebeeSource",'),
        ("zulu", "from sources.zendesk.source import ZendeskSource", '"ZendeskSource",'),
    ]:
        lines = register(text, name).splitlines()
        import_line = lines.index(f"from sources.{name}.source import {generate.class_prefix(name)}Source")
        entry = lines.index(f'    "{generate.class_prefix(name)}Source",')
        if after_import is None:
            assert lines[import_line + 1].startswith("from sources.") and lines[entry - 1] == "__all__ = ["
        else:
            assert lines[import_line - 1] == after_import and lines[entry - 1].strip() == after_entry


@pytest.mark.parametrize("style", sorted(STYLES))
def test_every_style_renders_ruff_clean_code_and_a_valid_manifest(tmp_path: Path, style: str) -> None:
    names = ["acme_desk", "a" * MAX_NAME_LENGTH, "zz_" + "q" * (MAX_NAME_LENGTH - 3)]
    for name in names:
        for relative, text in render(name, None, style).items():
            (tmp_path / name / relative).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name / relative).write_text(text)
        manifest = load_manifest(tmp_path / name / "fixtures" / name, recorded=False)
        assert manifest.source_type == name and list(manifest.endpoints) == ["tickets", "users"]
        assert manifest.endpoints["tickets"].pagination is not None
        assert manifest.endpoints["tickets"].watermark is not None
        assert len(manifest.unrecorded) == len(manifest.hars) == 7
        with pytest.raises(ManifestError, match=r"\[credentials\] har 'credentials\.har' does not exist"):
            load_manifest(tmp_path / name / "fixtures" / name)
    config = ["--config", str(REPO_ROOT / "pyproject.toml")]
    lint = run(tmp_path, "-m", "ruff", "check", *config, ".")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    formatted = run(tmp_path, "-m", "ruff", "format", "--check", *config, ".")
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr


@pytest.fixture(scope="module")
def recorded_skeletons(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """One skeleton per pagination style, its example vendor switched on and recorded, in one copy of the tree."""
    root = copy_tree(tmp_path_factory.mktemp("skeletons") / "repo")
    names = {style: f"desk_{style.replace('-', '_')}" for style in sorted(STYLES)}
    for style, name in names.items():
        made = run(root, "-m", "harness", "new", name, "--pagination", style)
        assert made.returncode == 0, made.stderr
        simulator = root / "fixtures" / name / "simulator.py"
        simulator.write_text(simulator.read_text().replace("SKELETON = True", "SKELETON = False", 1))
        recorded = run(root, "-m", "harness", "record", name)
        assert recorded.returncode == 0, recorded.stderr[-2000:]
    return root, names


def test_a_recorded_skeleton_passes_every_check_in_each_pagination_style(recorded_skeletons) -> None:
    root, names = recorded_skeletons
    selection = [option for name in names.values() for option in ("--source", name)]
    done = run(root, "-m", "pytest", "harness", *selection, "-p", "no:cacheprovider", "-q")
    summary = next(line for line in done.stdout.splitlines() if "conformance:" in line)
    assert done.returncode == 0, done.stdout[-4000:]
    assert ", 0 failed, 0 inconclusive, 0 blocked, 0 bypassed" in summary
    passed = int(summary.split("conformance: ")[1].split(" passed")[0])
    per_source = passed // len(names)
    assert passed == per_source * len(names) and per_source >= 30, summary
    for name in names.values():
        manifest = load_manifest(root / "fixtures" / name)
        assert manifest.endpoints["tickets"].pagination is not None and not manifest.unrecorded
        tests = run(root, "-m", "pytest", f"sources/{name}", "-q", "-p", "no:cacheprovider")
        assert tests.returncode == 0, tests.stdout + tests.stderr


def test_recording_a_skeleton_again_writes_the_same_bytes_and_says_what_it_wrote(recorded_skeletons) -> None:
    root, names = recorded_skeletons
    folder = root / "fixtures" / names["cursor"]
    before = {path: path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}
    again = run(root, "-m", "harness", "record", names["cursor"])
    assert again.returncode == 0, again.stderr
    assert {path: path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()} == before
    lines = again.stdout.splitlines()
    assert f"fixtures/{names['cursor']}/tickets/full.har: 5 request(s), 46 row(s)" in lines[0]
    assert lines[-1].endswith(f"fixtures/{names['cursor']}/manifest.toml: written") and len(lines) == 8
    assert "http_request" not in again.stdout + again.stderr
