"""GitHub transport: the tracked session with rate-limit aware retries, paging through each configured repository,
fan-out to per-issue comments, resume, respond."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlencode

import requests
import structlog

from sources.common.endpoints import chosen_incremental_field, lookup_endpoint
from sources.common.errors import ConfigError
from sources.common.http import make_tracked_session
from sources.common.rest_source import HeaderLinkPaginator, PageRequest, RESTClient
from sources.common.rest_source.fanout import FanoutPosition, dependent_pages, make_parent_key_name
from sources.common.resumable import ResumableSourceManager
from sources.common.retry import RetryPolicy
from sources.common.scrub import scrub_url
from sources.common.typings import Batch, SourceInputs, SourceResponse
from sources.common.watermarks import parse_instant
from sources.common.webhook import WebhookSourceManager
from sources.github.merge import Cursors, read_merged
from sources.github.settings import (
    API_BASE_URL,
    API_VERSION,
    ENDPOINTS,
    MAX_CHILD_PAGES_PER_PARENT,
    REPOSITORY_FIELD,
    REPOSITORY_PARENT,
    GithubEndpoint,
)

_logger = structlog.get_logger("sources.github")

RATE_LIMIT_RESET_HEADER = "x-ratelimit-reset"
RATE_LIMIT_REMAINING_HEADER = "x-ratelimit-remaining"


class GithubRateLimitError(requests.HTTPError):
    """GitHub still refuses with a rate limit after every retry."""


def is_rate_limited(response: requests.Response) -> bool:
    """GitHub answers a rate limit with 429, or with 403 plus `x-ratelimit-remaining: 0` or `Retry-After`."""
    if response.status_code == 429:
        return True
    if response.status_code != 403:
        return False
    return response.headers.get(RATE_LIMIT_REMAINING_HEADER) == "0" or "Retry-After" in response.headers


# GitHub's rate-limit 403s are retried; a 403 for missing access is not (`is_rate_limited` tells them apart).
GITHUB_RETRY = RetryPolicy(reset_header=RATE_LIMIT_RESET_HEADER, retry_response=is_rate_limited)
# Credential probes answer the user at once: one attempt, no waiting on rate limits.
PROBE_RETRY = RetryPolicy(
    max_attempts=1, retry_transport_errors=False, reset_header=RATE_LIMIT_RESET_HEADER, retry_response=is_rate_limited
)


def raise_for_github_status(response: requests.Response) -> None:
    """`raise_for_status`, except that an exhausted rate limit says so instead of looking like a missing scope."""
    if response.status_code < 400:
        return
    if is_rate_limited(response):
        reset = response.headers.get(RATE_LIMIT_RESET_HEADER, "unknown")
        raise GithubRateLimitError(
            f"GitHub rate limit exhausted for {scrub_url(response.url)} (x-ratelimit-reset={reset}); "
            "retry after the reset time",
            response=response,
        )
    response.raise_for_status()


def make_github_session(token: str, retry: RetryPolicy = GITHUB_RETRY) -> requests.Session:
    return make_tracked_session(
        headers={
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
        },
        retry=retry,
    )


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
    moment = parse_instant(value, where, epoch_numbers=True, error=ConfigError, name="incremental watermark")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def incremental_since(endpoint: GithubEndpoint, inputs: SourceInputs) -> str | None:
    """The `since` value for this run, from the user's chosen incremental field and the saved watermark."""
    where = f"github {endpoint.name}"
    field = chosen_incremental_field(inputs, endpoint.incremental_field_names, where, error=ConfigError)
    if field is None or inputs.db_incremental_field_last_value is None:
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
    return lookup_endpoint(ENDPOINTS, schema_name, "github", error=ConfigError, known=sorted(ENDPOINTS))


def make_client(token: str) -> RESTClient:
    return RESTClient(API_BASE_URL, session=make_github_session(token), raise_for_status=raise_for_github_status)


def github_source(
    token: str,
    repositories: tuple[str, ...],
    page_size: int,
    inputs: SourceInputs,
    manager: ResumableSourceManager[GithubResumeConfig],
    webhook_manager: WebhookSourceManager | None = None,
) -> SourceResponse:
    """Pull rows of `inputs.schema_name`, then any rows webhooks delivered for it."""
    endpoint = get_endpoint(inputs.schema_name)
    since = incremental_since(endpoint, inputs)

    def items() -> Iterator[Batch]:
        client = make_client(token)
        yield from iter_batches(client, endpoint, repositories, page_size, since, manager)
        if webhook_manager is not None:
            yield from webhook_manager.iter_tables()

    return endpoint.response(items)
