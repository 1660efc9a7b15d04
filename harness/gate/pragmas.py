"""Check the `# nosemgrep` pragmas in sources: each one names the rule it silences and says why.

    python -m harness pragmas [PATH ...]    # default: sources/; exit 1 and one line per problem

The accepted form is `# nosemgrep: warehouse-http-transport — <reason>` (several rule ids separated by
commas; `--` also separates the reason). Semgrep reads pragmas from comments but cannot match comments
with a rule, hence this check. Tests (`tests/` folders, `test_*.py`) are skipped, as in the rules.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import re
import sys
import tokenize
from collections.abc import Iterable, Iterator
from pathlib import Path

from harness.paths import RULES_DIR

FORMAT = "`# nosemgrep: <rule-id> — <reason>`"

_PRAGMA = re.compile(r"\bnosem(?:grep)?\b(?P<rest>.*)", re.IGNORECASE)
_REASON_SEPARATOR = re.compile(r"\s*(?:—|--|\s-\s)\s*")
_RULE_ID = re.compile(r"^\s*-\s*id:\s*['\"]?(?P<id>[\w.-]+)", re.MULTILINE)


@dataclasses.dataclass(frozen=True)
class Problem:
    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def known_rule_ids(rules_dir: Path = RULES_DIR) -> frozenset[str]:
    """The rule ids declared in the YAML files of `rules_dir` (empty if there is none)."""
    files = [*rules_dir.glob("*.yaml"), *rules_dir.glob("*.yml")]
    return frozenset(match["id"] for path in files for match in _RULE_ID.finditer(path.read_text()))


def check_pragma(comment: str, known_ids: frozenset[str]) -> str | None:
    """What is wrong with one comment's pragma, or None if it is well-formed or not a pragma."""
    match = _PRAGMA.search(comment)
    if match is None:
        return None
    rest = match["rest"].strip()
    if not rest.startswith((":", "=")):
        return f"bare nosemgrep silences every rule; name the rule and give a reason: {FORMAT}"
    ids_part, reason = _split_reason(rest[1:])
    ids = [rule_id for rule_id in re.split(r"[,\s]+", ids_part) if rule_id]
    if not ids:
        return f"nosemgrep names no rule: {FORMAT}"
    if known_ids:
        # `--config rules/` reports ids as `rules.<id>`; either spelling names the rule.
        unknown = [rule_id for rule_id in ids if rule_id.rsplit(".", 1)[-1] not in known_ids]
        if unknown:
            return (
                f"nosemgrep names unknown rule {', '.join(unknown)} (known: {', '.join(sorted(known_ids))}); "
                f"the form is {FORMAT}"
            )
    if not re.search(r"\w", reason):
        return f"nosemgrep on {', '.join(ids)} gives no reason: {FORMAT}"
    return None


def _split_reason(text: str) -> tuple[str, str]:
    """`ids — reason` → (ids, reason); no separator means no reason."""
    separator = _REASON_SEPARATOR.search(text)
    if separator is None:
        return text, ""
    return text[: separator.start()], text[separator.end() :]


def _comments(source: str) -> Iterator[tuple[int, str]]:
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            yield token.start[0], token.string


def check_file(path: Path, known_ids: frozenset[str]) -> list[Problem]:
    try:
        comments = list(_comments(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, SyntaxError, tokenize.TokenError) as exc:
        return [Problem(path, 1, f"cannot read its comments to check pragmas: {exc}")]
    return [
        Problem(path, line, message)
        for line, comment in comments
        if (message := check_pragma(comment, known_ids)) is not None
    ]


def _is_test(path: Path) -> bool:
    return path.name.startswith("test_") or "tests" in path.parts


def source_files(paths: Iterable[Path]) -> Iterator[Path]:
    """The Python files under `paths`, tests excluded; a file named directly is always checked."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*.py") if not _is_test(p.relative_to(path)))
        else:
            yield path


def check_paths(paths: Iterable[Path], known_ids: frozenset[str]) -> list[Problem]:
    return [problem for path in source_files(paths) for problem in check_file(path, known_ids)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness pragmas", description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, default=[Path("sources")])
    parser.add_argument("--rules-dir", type=Path, default=RULES_DIR, help="where the rule ids are read from")
    args = parser.parse_args(argv)
    missing = [str(path) for path in args.paths if not path.exists()]
    if missing:
        parser.error(f"no such file or directory: {', '.join(missing)}")
    problems = check_paths(args.paths, known_rule_ids(args.rules_dir))
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} nosemgrep pragma problem(s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
