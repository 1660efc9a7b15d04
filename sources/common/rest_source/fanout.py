"""Dependent-resource fan-out: for each parent row, page through a child endpoint whose path names the parent.

A `DependentEndpointConfig` declares the child (`/repos/{repo}/issues`, `repo` resolved from the parent's
`full_name`); `dependent_pages` pages through it for every parent row and injects the chosen parent fields into
each child row as `_<parent>_<field>` (or under the name `parent_field_renames` gives). Each yielded `ChildPage`
carries the `FanoutPosition` to save once the page is handed over, and `resume_from=` continues from it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import quote

import structlog

from sources.common.errors import ResumableStateError
from sources.common.rest_source.client import Page, RESTClient
from sources.common.rest_source.errors import FanoutError
from sources.common.rest_source.jsonpath import JSONPath, find
from sources.common.rest_source.paginators import BasePaginator, PageRequest, SinglePagePaginator

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_logger = structlog.get_logger("sources.rest_source.fanout")


def make_parent_key_name(parent_name: str, field: str) -> str:
    """The key a parent field gets in child rows: `_<parent>_<field>` (`_repos_id`)."""
    return f"_{parent_name}_{field}"


def _path_value(value: Any) -> str:
    return quote(str(value), safe="")


@dataclasses.dataclass(frozen=True)
class DependentEndpointConfig:
    """A child endpoint called once per parent row.

    `path` holds `{resolve_param}`, filled with the parent's `resolve_field` (a dotted path, URL-quoted);
    any other placeholder is static and is filled by `with_path_values` (or `path_values=`) first.
    `include_from_parent` fields are copied into child rows as `_<parent>_<field>`; `parent_field_renames`
    maps such a field to the key to use instead (`{"id": "repo_id"}`).
    """

    name: str
    parent_name: str
    path: str
    resolve_param: str
    resolve_field: str
    include_from_parent: tuple[str, ...] = ()
    parent_field_renames: dict[str, str] = dataclasses.field(default_factory=dict)
    params: dict[str, Any] = dataclasses.field(default_factory=dict)
    data_selector: JSONPath | None = None
    page_cap_per_parent: int | None = None
    paginator_factory: Callable[[], BasePaginator] = SinglePagePaginator

    def __post_init__(self) -> None:
        where = f"dependent resource {self.name!r}"
        if isinstance(self.include_from_parent, str):
            raise FanoutError(
                f"{where}: include_from_parent must be a tuple of field names, "
                f"got the string {self.include_from_parent!r}"
            )
        object.__setattr__(self, "include_from_parent", tuple(self.include_from_parent))
        if f"{{{self.resolve_param}}}" not in self.path:
            raise FanoutError(f"{where}: path {self.path!r} has no {{{self.resolve_param}}} placeholder to resolve")
        stray = sorted(set(self.parent_field_renames) - set(self.include_from_parent))
        if stray:
            raise FanoutError(
                f"{where}: parent_field_renames names {stray}, which include_from_parent "
                f"{list(self.include_from_parent)} does not include"
            )
        keys = [self.child_key(field) for field in self.include_from_parent]
        if len(set(keys)) != len(keys):
            raise FanoutError(f"{where}: two parent fields would land on the same child key: {keys}")
        if self.page_cap_per_parent is not None and self.page_cap_per_parent < 1:
            raise FanoutError(f"{where}: page_cap_per_parent must be at least 1, got {self.page_cap_per_parent}")

    def child_key(self, field: str) -> str:
        """The key parent field `field` has in child rows, renames applied."""
        return self.parent_field_renames.get(field, make_parent_key_name(self.parent_name, field))

    def with_path_values(self, **values: Any) -> DependentEndpointConfig:
        """This config with static placeholders (not the resolved one) filled in, URL-quoted."""
        if self.resolve_param in values:
            raise FanoutError(
                f"dependent resource {self.name!r}: {{{self.resolve_param}}} is resolved from each parent row, "
                "not given as a static path value"
            )
        path = self.path
        for key, value in values.items():
            path = path.replace(f"{{{key}}}", _path_value(value))
        return dataclasses.replace(self, path=path)

    def unfilled_placeholders(self) -> list[str]:
        return sorted(set(_PLACEHOLDER.findall(self.path)) - {self.resolve_param})


@dataclasses.dataclass(frozen=True)
class FanoutPosition:
    """Where a fan-out resumes: at parent number `parent_index` (0-based, in the order parents are given).

    Mid-parent, `child_request` is that parent's next child page, `parent_value` the resolved value it was
    for (checked on resume) and `child_pages` the child pages already fetched (they count toward the cap).
    """

    parent_index: int = 0
    parent_value: str | None = None
    child_request: PageRequest | None = None
    child_pages: int = 0

    def to_state(self) -> dict[str, Any]:
        return {
            "parent_index": self.parent_index,
            "parent_value": self.parent_value,
            "child_request": self.child_request.to_state() if self.child_request is not None else None,
            "child_pages": self.child_pages,
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> FanoutPosition:
        """Rebuild a position saved with `to_state()`; a state of another shape is a `ResumableStateError`."""
        if not isinstance(state, Mapping):
            raise ResumableStateError(f"saved fan-out position is not an object: found {state!r:.120}")
        unknown = sorted(set(state) - {"parent_index", "parent_value", "child_request", "child_pages"})
        index, pages = state.get("parent_index", 0), state.get("child_pages", 0)
        if unknown or not _is_count(index) or not _is_count(pages):
            raise ResumableStateError(
                "saved fan-out position needs a parent_index and child_pages of at least 0 and no other keys "
                f"than parent_value and child_request: found {dict(state)!r:.120}"
            )
        raw_request = state.get("child_request")
        child_request = PageRequest.from_state(raw_request) if raw_request is not None else None
        value = state.get("parent_value")
        return cls(index, None if value is None else str(value), child_request, pages)


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


@dataclasses.dataclass(frozen=True)
class ChildPage:
    """One child page for one parent: rows with the parent fields injected, and where to resume after it."""

    items: list[dict[str, Any]]
    parent: dict[str, Any]
    parent_index: int
    page: Page
    position: FanoutPosition


def _parent_fields_list(parent: Mapping[str, Any]) -> str:
    return ", ".join(sorted(map(str, parent))) or "none"


def _resolve(config: DependentEndpointConfig, parent: Any, index: int) -> str:
    if not isinstance(parent, Mapping):
        raise FanoutError(
            f"dependent resource {config.name!r}: parent {config.parent_name!r} row #{index} is a "
            f"{type(parent).__name__}, not an object"
        )
    value = find(parent, config.resolve_field)
    if value is None or value == "":
        raise FanoutError(
            f"dependent resource {config.name!r}: parent {config.parent_name!r} row #{index} has no "
            f"{config.resolve_field!r} to fill {{{config.resolve_param}}} in {config.path!r} "
            f"(parent fields: {_parent_fields_list(parent)})"
        )
    return str(value)


def _injected_fields(config: DependentEndpointConfig, parent: Mapping[str, Any], index: int) -> dict[str, Any]:
    injected: dict[str, Any] = {}
    for field in config.include_from_parent:
        if field not in parent:
            raise FanoutError(
                f"dependent resource {config.name!r}: parent {config.parent_name!r} row #{index} has no "
                f"{field!r} to include as {config.child_key(field)!r} "
                f"(parent fields: {_parent_fields_list(parent)})"
            )
        injected[config.child_key(field)] = parent[field]
    return injected


def _with_parent(config: DependentEndpointConfig, rows: list[Any], injected: dict[str, Any]) -> list[Any]:
    if not injected:
        return rows
    for row in rows:
        if not isinstance(row, dict):
            raise FanoutError(
                f"dependent resource {config.name!r}: a child row is a {type(row).__name__}, not an object, "
                f"so it cannot carry the parent fields {sorted(injected)}"
            )
    return [{**row, **injected} for row in rows]


def dependent_pages(
    client: RESTClient,
    config: DependentEndpointConfig,
    parents: Iterable[Mapping[str, Any]],
    *,
    resume_from: FanoutPosition | None = None,
    path_values: Mapping[str, Any] | None = None,
) -> Iterator[ChildPage]:
    """Yield every child page of every parent, in parent order; parents before `resume_from` are skipped.

    A resumable source yields `page.items` and then saves `page.position`. If the parent at the saved index
    resolves to another value than the saved one, that parent's children start again from their first page.
    """
    if path_values:
        config = config.with_path_values(**path_values)
    unfilled = config.unfilled_placeholders()
    if unfilled:
        raise FanoutError(
            f"dependent resource {config.name!r}: path {config.path!r} has static placeholders {unfilled} "
            "with no value; fill them with with_path_values() or path_values="
        )
    start = resume_from or FanoutPosition()
    if start.parent_index:
        _logger.info("fanout_resume", resource=config.name, parent_index=start.parent_index)
    for index, parent in enumerate(parents):
        if index < start.parent_index:
            continue
        value = _resolve(config, parent, index)
        injected = _injected_fields(config, parent, index)
        identifiers = {make_parent_key_name(config.parent_name, config.resolve_field): value}
        resume_request, pages_before = None, 0
        if index == start.parent_index and start.child_request is not None:
            if start.parent_value == value:
                resume_request, pages_before = start.child_request, start.child_pages
            else:
                _logger.warning(
                    "fanout_resume_parent_changed",
                    resource=config.name,
                    parent_index=index,
                    saved_value=start.parent_value,
                    found_value=value,
                )
        pages = client.paginate(
            config.path.replace(f"{{{config.resolve_param}}}", _path_value(value)),
            params=config.params,
            paginator=config.paginator_factory(),
            data_selector=config.data_selector,
            resume_from=resume_request,
            max_pages=config.page_cap_per_parent,
            resource=config.name,
            parent=identifiers,
            pages_before=pages_before,
        )
        for page in pages:
            if page.next_request is None:
                position = FanoutPosition(parent_index=index + 1)
            else:
                position = FanoutPosition(index, value, page.next_request, page.number)
            yield ChildPage(_with_parent(config, page.items, injected), dict(parent), index, page, position)


def dependent_rows(
    client: RESTClient,
    config: DependentEndpointConfig,
    parents: Iterable[Mapping[str, Any]],
    *,
    path_values: Mapping[str, Any] | None = None,
) -> Iterator[dict[str, Any]]:
    """Every child row of every parent, parent fields injected (for sources that do not resume)."""
    for child_page in dependent_pages(client, config, parents, path_values=path_values):
        yield from child_page.items
