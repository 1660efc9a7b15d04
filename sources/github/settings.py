"""GitHub endpoint catalog: paths, primary keys, incremental fields, partitioning and sort order."""

from __future__ import annotations

import dataclasses

from sources.common.base import IncrementalField
from sources.common.endpoints import Endpoint
from sources.common.rest_source import HeaderLinkPaginator
from sources.common.rest_source.fanout import DependentEndpointConfig

API_BASE_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
# GitHub caps per_page at 100; fixtures use a small page size so that pagination is exercised.
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 100
# A parent issue with more comment pages than this is cut short (and the cut is logged).
MAX_CHILD_PAGES_PER_PARENT = 50

UPDATED_AT = IncrementalField(label="updated_at", type="datetime", field="updated_at", field_type="datetime")


@dataclasses.dataclass(frozen=True)
class FanoutSettings:
    """A child endpoint read once per parent row of a repository's parent list."""

    parent_path: str
    parent_params: tuple[tuple[str, str], ...]
    child: DependentEndpointConfig
    # Parents whose count field is 0 have no children: skipping them saves one request per parent.
    skip_when_zero: str | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class GithubEndpoint(Endpoint):
    path: str
    params: tuple[tuple[str, str], ...] = ()
    # GitHub's `since` parameter: the server keeps rows whose updated_at is at or after it.
    since_param: str | None = None
    # Set for list endpoints: every repository is read at once, rows merged by this (the sort) field.
    merge_field: str | None = None
    partition_key: str | None = "created_at"
    max_page_size: int | None = MAX_PAGE_SIZE
    fanout: FanoutSettings | None = None


REPOSITORIES = GithubEndpoint(
    name="repositories",
    path="/repos/{repository}",
    description="One row per configured repository (GET /repos/{owner}/{repo}).",
)

ISSUES = GithubEndpoint(
    name="issues",
    path="/repos/{repository}/issues",
    params=(("state", "all"), ("sort", "updated"), ("direction", "asc")),
    incremental_fields=(UPDATED_AT,),
    since_param="since",
    merge_field="updated_at",
    supports_webhooks=True,
    description="Issues and pull requests (the API lists both; pull requests carry a `pull_request` key).",
)

ISSUE_COMMENTS = GithubEndpoint(
    name="issue_comments",
    path="/repos/{owner}/{repo}/issues/{number}/comments",
    fanout=FanoutSettings(
        parent_path="/repos/{repository}/issues",
        # Parents sorted by creation, so a resumed run re-reads the same parent page in the same order.
        parent_params=(("state", "all"), ("sort", "created"), ("direction", "asc")),
        child=DependentEndpointConfig(
            name="issue_comments",
            parent_name="issues",
            path="/repos/{owner}/{repo}/issues/{number}/comments",
            resolve_param="number",
            resolve_field="number",
            include_from_parent=("number",),
            paginator_factory=HeaderLinkPaginator,
        ),
        skip_when_zero="comments",
    ),
    description="Comments of every issue and pull request, read per issue.",
)

ENDPOINTS: dict[str, GithubEndpoint] = {endpoint.name: endpoint for endpoint in (REPOSITORIES, ISSUES, ISSUE_COMMENTS)}

# Schema name → GitHub webhook event that delivers its rows.
WEBHOOK_EVENTS: dict[str, str] = {"issues": "issues"}

REPOSITORY_PARENT = "repositories"
REPOSITORY_FIELD = "full_name"
