"""The GitHub source's typed config, parsed from its form fields."""

from __future__ import annotations

import dataclasses
import re

from sources.common.errors import ConfigError
from sources.github.settings import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

_REPOSITORY = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?/[A-Za-z0-9._-]+$")


def parse_repositories(text: str) -> tuple[str, ...]:
    """`owner/repo, owner/other` → ('owner/repo', 'owner/other'); duplicates dropped, order kept."""
    names = [part.strip() for part in re.split(r"[,\s]+", text) if part.strip()]
    if not names:
        raise ConfigError("github config: field 'repositories' needs at least one owner/repo")
    bad = [name for name in names if not _REPOSITORY.match(name)]
    if bad:
        raise ConfigError(
            f"github config: field 'repositories' has {', '.join(repr(b) for b in bad)}; "
            "expected owner/repo, e.g. octocat/Hello-World"
        )
    return tuple(dict.fromkeys(names))


@dataclasses.dataclass(frozen=True)
class GithubSourceConfig:
    personal_access_token: str
    repositories: str
    # Not a form field: the fixtures set it small so that every endpoint spans several pages.
    page_size: int = DEFAULT_PAGE_SIZE

    def __post_init__(self) -> None:
        parse_repositories(self.repositories)
        if not isinstance(self.page_size, int) or not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise ConfigError(f"github config: page_size must be an integer from 1 to {MAX_PAGE_SIZE}")

    @property
    def repository_names(self) -> tuple[str, ...]:
        return parse_repositories(self.repositories)
