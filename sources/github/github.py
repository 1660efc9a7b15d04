"""GitHub transport: page through each configured repository, fan out to per-issue comments, resume, respond."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

import structlog

from sources.common.errors import ConfigError
from sources.common.rest_source import HeaderLinkPaginator, PageRequest, RESTClient
from sources.common.rest_source.fanout import FanoutPosition, dependent_pages, make_parent_key_name
from sources.common.resumable import ResumableSourceManager
from sources.common.typings import Batch, SourceInputs, SourceResponse
from sources.common.webhook import WebhookSourceManager
from sources.github.config import GithubSourceConfig
from sources.github.merge import Cursors, read_merged
from sources.github.settings import (
    API_BASE_URL,
    ENDPOINTS,
    MAX_CHILD_PAGES_PER_PARENT,
    REPOSITORY_FIELD,
    REPOSITORY_PARENT,
    GithubEndpoint,
)
from sources.github.transport import make_github_session, raise_for_github_status

_logger = structlog.get_logger("sources.github")

Params = Iterable[tuple[str, Any]]


@dataclasses.dataclass
class GithubResumeConfig:
    """Where a sync continues.

    Endpoints read repository by repository keep the repository to continue with; a fan-out endpoint also
    keeps the parent page being worked through (`parent_url`, None = the first) and the shared fan-out helper's
    position among that page's parents (`fanout`, `FanoutPosition.to_state()`). List endpoints, read for all
    repositories at once merged by their sort field, keep `cursors` (see `merge.py`).
    """

    repository: str | None = None
    parent_url: str | None = None
    fanout: dict[str, Any] | None = None
    cursors: Cursors | None = None
    # The issue number of the last parent whose children were all handed over: a resumed run starts after it,
    # not at a parent index (parents with no comments are skipped, so indexes shift when comments come and go).
    after_parent: str | None = None


# One page of rows, and where to continue after it (None: this repository is done).
PageResult = tuple[list[dict[str, Any]], GithubResumeConfig | None]


def build_url(path: str, params: Params, **placeholders: Any) -> str:
    query = urlencode(list(params))
    return f"{API_BASE_URL}{path.format(**placeholders)}" + (f"?{query}" if query else "")


def format_since(value: Any, where: str) -> str:
    """A watermark as GitHub's `since` wants it: ISO 8601 in UTC, `YYYY-MM-DDTHH:MM:SSZ`."""
    moment: datetime
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        moment = datetime.fromtimestamp(value, tz=UTC)
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ConfigError(f"{where}: incremental watermark {value!r} is not an ISO 8601 timestamp") from None
    else:
        raise ConfigError(f"{where}: incremental watermark {value!r} is not a timestamp")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def incremental_since(endpoint: GithubEndpoint, inputs: SourceInputs) -> str | None:
    """The `since` value for this run, from the user's chosen incremental field and the saved watermark."""
    if not inputs.should_use_incremental_field:
        return None
    where = f"github {endpoint.name}"
    allowed = [field.field for field in endpoint.incremental_fields]
    if not allowed:
        raise ConfigError(f"{where}: this endpoint has no incremental sync; run it as a full refresh")
    if inputs.incremental_field not in allowed:
        raise ConfigError(
            f"{where}: incremental field {inputs.incremental_field!r} is not supported; choose {', '.join(allowed)}"
        )
    if inputs.db_incremental_field_last_value is None:
        return None
    return format_since(inputs.db_incremental_field_last_value, where)


def read_single(client: RESTClient, endpoint: GithubEndpoint, repository: str) -> Iterator[PageResult]:
    """One object per repository (`GET /repos/{owner}/{repo}`)."""
    url = build_url(endpoint.path, endpoint.params, repository=repository)
    for page in client.paginate(url, resource=f"github {endpoint.name} {repository}"):
        yield page.items, None


def list_params(endpoint: GithubEndpoint, page_size: int, since: str | None) -> list[tuple[str, Any]]:
    params: list[tuple[str, Any]] = [*endpoint.params, ("per_page", page_size)]
    if since is not None and endpoint.since_param:
        params.append((endpoint.since_param, since))
    return params


def read_fanout(
    client: RESTClient,
    endpoint: GithubEndpoint,
    repository: str,
    page_size: int,
    resume: GithubResumeConfig | None,
) -> Iterator[PageResult]:
    """A child endpoint of one repository, read for each parent row; child rows carry the parent keys."""
    fanout = endpoint.fanout
    assert fanout is not None
    owner, name = repository.split("/", 1)
    child = dataclasses.replace(
        fanout.child, params={"per_page": page_size}, page_cap_per_parent=MAX_CHILD_PAGES_PER_PARENT
    )
    repository_key = {make_parent_key_name(REPOSITORY_PARENT, REPOSITORY_FIELD): repository}
    parent_start = PageRequest(url=resume.parent_url) if resume is not None and resume.parent_url else None
    position = FanoutPosition.from_state(resume.fanout) if resume is not None and resume.fanout else None
    after_parent = resume.after_parent if resume is not None else None
    parent_pages = client.paginate(
        build_url(fanout.parent_path, [*fanout.parent_params, ("per_page", page_size)], repository=repository),
        paginator=HeaderLinkPaginator(),
        resume_from=parent_start,
        resource=f"github {child.parent_name} {repository} (parents of {endpoint.name})",
    )
    for parent_page in parent_pages:
        parents = [row for row in parent_page.items if not fanout.skip_when_zero or row.get(fanout.skip_when_zero)]
        start = _parent_position(parents, child.resolve_field, position, after_parent) if position else None
        children = dependent_pages(
            client, child, parents, resume_from=start, path_values={"owner": owner, "repo": name}
        )
        position = after_parent = None
        for child_page in children:
            after: GithubResumeConfig | None = None
            if child_page.position.parent_index < len(parents):
                done = child_page.parent[child.resolve_field] if child_page.position.child_request is None else None
                after = GithubResumeConfig(
                    repository,
                    parent_page.request.url,
                    child_page.position.to_state(),
                    after_parent=None if done is None else str(done),
                )
            elif parent_page.next_request is not None:
                after = GithubResumeConfig(repository, parent_page.next_request.url)
            yield [{**row, **repository_key} for row in child_page.items], after


def _parent_position(
    parents: list[dict[str, Any]], field: str, saved: FanoutPosition, after_parent: str | None
) -> FanoutPosition:
    """The saved fan-out position among the parents as they are now: at the first parent after the last one
    finished (parents come in number order). Mid-parent, that parent's comments are read again from their first
    page: comment pages are numbered, and a comment deleted meanwhile would shift the saved page past a row."""
    numbers = [int(parent[field]) for parent in parents]
    if saved.child_request is not None and saved.parent_value is not None:
        if int(saved.parent_value) in numbers:
            return FanoutPosition(parent_index=numbers.index(int(saved.parent_value)))
        after_parent = saved.parent_value  # that parent is gone: continue with the next one
        saved = FanoutPosition()
    if after_parent is None:
        return saved
    index = next((i for i, number in enumerate(numbers) if number > int(after_parent)), len(numbers))
    return FanoutPosition(parent_index=index)


def iter_merged_batches(
    client: RESTClient,
    endpoint: GithubEndpoint,
    repositories: tuple[str, ...],
    page_size: int,
    since: str | None,
    manager: ResumableSourceManager[GithubResumeConfig],
) -> Iterator[list[dict[str, Any]]]:
    """A list endpoint of every repository at once, in its sort order; the cursors are saved after each batch."""
    assert endpoint.merge_field is not None
    params = list_params(endpoint, page_size, since)
    first_urls = {repository: build_url(endpoint.path, params, repository=repository) for repository in repositories}
    resume = manager.load_state() if manager.can_resume() else None
    cursors = resume.cursors if resume is not None else None
    for rows, after in read_merged(client, first_urls, endpoint.merge_field, f"github {endpoint.name}", cursors):
        yield rows
        manager.save_state(GithubResumeConfig(cursors=after))


def iter_repository_batches(
    client: RESTClient,
    endpoint: GithubEndpoint,
    repositories: tuple[str, ...],
    page_size: int,
    manager: ResumableSourceManager[GithubResumeConfig],
) -> Iterator[list[dict[str, Any]]]:
    """One repository after the other; the position is saved after each batch."""
    resume = manager.load_state() if manager.can_resume() else None
    first = 0
    if resume is not None:
        if resume.repository in repositories:
            first = repositories.index(resume.repository)
        else:
            _logger.warning("resume_repository_not_configured", endpoint=endpoint.name, repository=resume.repository)
            resume = None
    for index in range(first, len(repositories)):
        repository = repositories[index]
        here = resume if resume is not None and resume.repository == repository else None
        resume = None
        if endpoint.fanout is not None:
            results = read_fanout(client, endpoint, repository, page_size, here)
        else:
            results = read_single(client, endpoint, repository)
        for rows, position in results:
            if rows:
                yield rows
            if position is None and index + 1 < len(repositories):
                position = GithubResumeConfig(repositories[index + 1])
            if position is not None:
                manager.save_state(position)


def iter_batches(
    client: RESTClient,
    endpoint: GithubEndpoint,
    repositories: tuple[str, ...],
    page_size: int,
    since: str | None,
    manager: ResumableSourceManager[GithubResumeConfig],
) -> Iterator[list[dict[str, Any]]]:
    """One batch per API page, across every repository."""
    if endpoint.merge_field is not None:
        return iter_merged_batches(client, endpoint, repositories, page_size, since, manager)
    return iter_repository_batches(client, endpoint, repositories, page_size, manager)


def get_endpoint(schema_name: str) -> GithubEndpoint:
    try:
        return ENDPOINTS[schema_name]
    except KeyError:
        known = ", ".join(sorted(ENDPOINTS))
        raise ConfigError(f"github: unknown schema {schema_name!r}; known: {known}") from None


def make_client(config: GithubSourceConfig) -> RESTClient:
    return RESTClient(
        API_BASE_URL,
        session=make_github_session(config.personal_access_token),
        raise_for_status=raise_for_github_status,
    )


def github_source(
    config: GithubSourceConfig,
    inputs: SourceInputs,
    manager: ResumableSourceManager[GithubResumeConfig],
    webhook_manager: WebhookSourceManager | None = None,
) -> SourceResponse:
    """Pull rows of `inputs.schema_name`, then any rows webhooks delivered for it."""
    endpoint = get_endpoint(inputs.schema_name)
    since = incremental_since(endpoint, inputs)

    def items() -> Iterator[Batch]:
        client = make_client(config)
        yield from iter_batches(client, endpoint, config.repository_names, config.page_size, since, manager)
        if webhook_manager is not None:
            yield from webhook_manager.iter_tables()

    return SourceResponse(
        name=endpoint.name,
        items=items,
        primary_keys=list(endpoint.primary_keys),
        partition_keys=[endpoint.partition_key],
        partition_mode="datetime",
        partition_format=endpoint.partition_format,
        sort_mode=endpoint.sort_mode,
    )
