"""Dependent-resource fan-out: parent keys on child rows, per-parent page caps, resume, and clear errors."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import pytest
import requests
import responses
from hypothesis import given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

from sources.common import events
from sources.common.errors import ResumableStateError
from sources.common.http import make_tracked_session
from sources.common.rest_source import (
    ChildPage,
    DependentEndpointConfig,
    FanoutError,
    FanoutPosition,
    HeaderLinkPaginator,
    PageCapHit,
    PageNumberPaginator,
    RESTClient,
    dependent_pages,
    dependent_rows,
    make_parent_key_name,
)
from sources.common.resumable import ResumableSourceManager
from sources.common.typings import SourceInputs

BASE = "https://api.example.test"
ISSUES_URL = re.compile(rf"{re.escape(BASE)}/repos/([^/?]+)/issues")


def make_repos(issue_counts: list[int]) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    repos = [
        {"id": 100 + index, "full_name": f"acme/repo-{index}", "owner": {"login": "acme"}, "private": index % 2 == 0}
        for index in range(len(issue_counts))
    ]
    issues = {
        repo["full_name"]: [{"id": f"{repo['full_name']}#{number}", "number": number} for number in range(count)]
        for repo, count in zip(repos, issue_counts, strict=True)
    }
    return repos, issues


def issues_api(issues: dict[str, list[dict[str, Any]]]) -> responses.RequestsMock:
    """GitHub-style child endpoint: `page` + `per_page`, `Link` rel="next" while pages remain; 404 for others."""

    def callback(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        parts = urlsplit(request.url)
        repo = unquote(parts.path.split("/")[2])
        if repo not in issues:
            return 404, {}, json.dumps({"message": "Not Found"})
        query = {name: values[-1] for name, values in parse_qs(parts.query).items()}
        page, per_page = int(query.get("page", 1)), int(query["per_page"])
        rows = issues[repo][(page - 1) * per_page : page * per_page]
        headers = {"Content-Type": "application/json"}
        if page * per_page < len(issues[repo]):
            next_url = f"{BASE}{parts.path}?{urlencode({'per_page': per_page, 'page': page + 1})}"
            headers["Link"] = f'<{next_url}>; rel="next"'
        return 200, headers, json.dumps(rows)

    mock = responses.RequestsMock(assert_all_requests_are_fired=False)
    mock.add_callback(responses.GET, ISSUES_URL, callback=callback)
    return mock


def issues_config(
    per_page: int = 2,
    cap: int | None = None,
    renames: dict[str, str] | None = None,
    include: tuple[str, ...] = ("id", "full_name"),
) -> DependentEndpointConfig:
    return DependentEndpointConfig(
        name="issues",
        parent_name="repos",
        path="/repos/{repo}/issues",
        resolve_param="repo",
        resolve_field="full_name",
        include_from_parent=include,
        parent_field_renames=renames or {},
        params={"per_page": per_page},
        page_cap_per_parent=cap,
        paginator_factory=HeaderLinkPaginator,
    )


def new_client() -> RESTClient:
    return RESTClient(BASE, session=make_tracked_session(retry=None))


def rows_of(pages: list[ChildPage]) -> list[dict[str, Any]]:
    return [row for page in pages for row in page.items]


def test_make_parent_key_name_prefixes_the_parent() -> None:
    assert make_parent_key_name("repos", "id") == "_repos_id"
    assert make_parent_key_name("ad_accounts", "account_id") == "_ad_accounts_account_id"


def test_child_rows_carry_the_included_parent_fields() -> None:
    repos, issues = make_repos([3, 1])
    with issues_api(issues):
        rows = list(dependent_rows(new_client(), issues_config(), repos))
    assert rows == [
        {"id": "acme/repo-0#0", "number": 0, "_repos_id": 100, "_repos_full_name": "acme/repo-0"},
        {"id": "acme/repo-0#1", "number": 1, "_repos_id": 100, "_repos_full_name": "acme/repo-0"},
        {"id": "acme/repo-0#2", "number": 2, "_repos_id": 100, "_repos_full_name": "acme/repo-0"},
        {"id": "acme/repo-1#0", "number": 0, "_repos_id": 101, "_repos_full_name": "acme/repo-1"},
    ]


def test_renamed_parent_fields_land_under_their_new_name_only() -> None:
    repos, issues = make_repos([2])
    config = issues_config(renames={"id": "repo_id"}, include=("id", "full_name", "private"))
    with issues_api(issues):
        rows = list(dependent_rows(new_client(), config, repos))
    assert rows == [
        {
            "id": f"acme/repo-0#{n}",
            "number": n,
            "repo_id": 100,
            "_repos_full_name": "acme/repo-0",
            "_repos_private": True,
        }
        for n in range(2)
    ]
    assert config.child_key("id") == "repo_id"
    assert config.child_key("full_name") == "_repos_full_name"


def test_without_included_fields_child_rows_are_left_as_the_api_sent_them() -> None:
    repos, issues = make_repos([2])
    with issues_api(issues):
        rows = list(dependent_rows(new_client(), issues_config(include=()), repos))
    assert rows == issues["acme/repo-0"]


def test_the_resolved_value_is_url_quoted_into_the_path() -> None:
    repos, issues = make_repos([1])
    with issues_api(issues) as api:
        list(dependent_rows(new_client(), issues_config(), repos))
        assert [call.request.url for call in api.calls] == [f"{BASE}/repos/acme%2Frepo-0/issues?per_page=2"]


def test_the_resolve_field_may_be_a_dotted_path() -> None:
    config = DependentEndpointConfig(
        name="members",
        parent_name="repos",
        path="/orgs/{org}/members",
        resolve_param="org",
        resolve_field="owner.login",
        include_from_parent=("id",),
        paginator_factory=lambda: PageNumberPaginator(page_size=50, page_size_param="per_page"),
    )
    with responses.RequestsMock() as api:
        api.add(responses.GET, f"{BASE}/orgs/acme/members", json=[{"login": "ada"}])
        rows = list(dependent_rows(new_client(), config, [{"id": 7, "owner": {"login": "acme"}}]))
    assert rows == [{"login": "ada", "_repos_id": 7}]


def test_static_placeholders_are_filled_before_the_resolved_one() -> None:
    config = DependentEndpointConfig(
        name="deployments",
        parent_name="projects",
        path="/v2/teams/{team}/projects/{project}/deployments",
        resolve_param="project",
        resolve_field="id",
        include_from_parent=("id",),
    )
    with responses.RequestsMock() as api:
        api.add(responses.GET, f"{BASE}/v2/teams/team%20one/projects/p_1/deployments", json=[{"uid": "d1"}])
        by_argument = list(dependent_rows(new_client(), config, [{"id": "p_1"}], path_values={"team": "team one"}))
        prefilled = config.with_path_values(team="team one")
        by_config = list(dependent_rows(new_client(), prefilled, [{"id": "p_1"}]))
    assert by_argument == by_config == [{"uid": "d1", "_projects_id": "p_1"}]
    assert prefilled.path == "/v2/teams/team%20one/projects/{project}/deployments"


def test_a_path_pre_formatted_by_the_caller_is_used_as_is() -> None:
    config = DependentEndpointConfig(
        name="deployments",
        parent_name="projects",
        path="/v2/teams/{team}/projects/{project}/deployments".replace("{team}", "t_9"),
        resolve_param="project",
        resolve_field="id",
    )
    with responses.RequestsMock() as api:
        api.add(responses.GET, f"{BASE}/v2/teams/t_9/projects/p_1/deployments", json=[{"uid": "d1"}])
        assert list(dependent_rows(new_client(), config, [{"id": "p_1"}])) == [{"uid": "d1"}]


def test_an_unfilled_static_placeholder_is_a_clear_error_before_any_request() -> None:
    config = DependentEndpointConfig(
        name="deployments",
        parent_name="projects",
        path="/v2/teams/{team}/projects/{project}/deployments",
        resolve_param="project",
        resolve_field="id",
    )
    with responses.RequestsMock() as api, pytest.raises(FanoutError) as raised:
        list(dependent_pages(new_client(), config, [{"id": "p_1"}]))
    assert len(api.calls) == 0
    assert str(raised.value) == (
        "dependent resource 'deployments': path '/v2/teams/{team}/projects/{project}/deployments' has static "
        "placeholders ['team'] with no value; fill them with with_path_values() or path_values="
    )


def test_the_resolved_placeholder_cannot_be_given_as_a_static_value() -> None:
    with pytest.raises(FanoutError, match=r"\{repo\} is resolved from each parent row"):
        issues_config().with_path_values(repo="x")


def test_the_page_cap_applies_to_each_parent_and_is_logged_with_the_parent() -> None:
    repos, issues = make_repos([9, 1, 6])
    seen: list[Any] = []
    with issues_api(issues) as api, events.observing(seen.append), capture_logs() as logs:
        pages = list(dependent_pages(new_client(), issues_config(per_page=2, cap=2), repos))
        requested = len(api.calls)
    assert [(page.parent_index, len(page.items)) for page in pages] == [(0, 2), (0, 2), (1, 1), (2, 2), (2, 2)]
    assert requested == 5
    caps = [event for event in seen if isinstance(event, PageCapHit)]
    assert [(cap.resource, cap.max_pages, cap.parent) for cap in caps] == [
        ("issues", 2, {"_repos_full_name": "acme/repo-0"}),
        ("issues", 2, {"_repos_full_name": "acme/repo-2"}),
    ]
    logged = [(entry["resource"], entry["parent"]) for entry in logs if entry["event"] == "page_cap_reached"]
    assert logged == [("issues", {"_repos_full_name": "acme/repo-0"}), ("issues", {"_repos_full_name": "acme/repo-2"})]
    assert pages[1].position == FanoutPosition(parent_index=1)  # a capped parent is finished


def test_positions_point_at_the_next_child_page_or_the_next_parent() -> None:
    repos, issues = make_repos([3, 0])
    with issues_api(issues):
        pages = list(dependent_pages(new_client(), issues_config(per_page=2), repos))
    first, second, empty = (page.position for page in pages)
    assert (first.parent_index, first.parent_value, first.child_pages) == (0, "acme/repo-0", 1)
    assert first.child_request is not None and first.child_request.url.endswith("per_page=2&page=2")
    assert second == FanoutPosition(parent_index=1)
    assert empty == FanoutPosition(parent_index=2)
    assert pages[2].items == [] and pages[2].parent == repos[1]


issue_counts = st.lists(st.integers(min_value=0, max_value=12), max_size=7)


@settings(max_examples=60, deadline=None)
@given(
    counts=issue_counts,
    per_page=st.integers(min_value=1, max_value=5),
    cap=st.one_of(st.none(), st.integers(min_value=1, max_value=4)),
    data=st.data(),
)
def test_resuming_from_any_saved_position_yields_the_rest_exactly_once(
    counts: list[int], per_page: int, cap: int | None, data: st.DataObject
) -> None:
    repos, issues = make_repos(counts)
    config = issues_config(per_page=per_page, cap=cap)
    expected = [
        {**issue, "_repos_id": repo["id"], "_repos_full_name": repo["full_name"]}
        for repo in repos
        for issue in issues[repo["full_name"]][: None if cap is None else cap * per_page]
    ]
    with issues_api(issues) as api:
        full = list(dependent_pages(new_client(), config, repos))
        assert rows_of(full) == expected
        if not full:
            return
        k = data.draw(st.integers(min_value=1, max_value=len(full)), label="pages handed over before the crash")
        api.calls.reset()
        handed_over = list(_first(dependent_pages(new_client(), config, repos), k))
        saved = FanoutPosition.from_state(json.loads(json.dumps(handed_over[-1].position.to_state())))
        assert saved == handed_over[-1].position
        rest = list(dependent_pages(new_client(), config, repos, resume_from=saved))
        assert rows_of(handed_over) + rows_of(rest) == expected
        assert len(api.calls) == len(full)  # no child page fetched twice: the resume starts where it stopped
        assert [page.page.number for page in handed_over + rest] == [page.page.number for page in full]


def _first(pages: Iterator[ChildPage], count: int) -> Iterator[ChildPage]:
    for number, page in enumerate(pages, start=1):
        yield page
        if number == count:
            return


def test_a_resumed_parent_keeps_counting_toward_its_cap() -> None:
    repos, issues = make_repos([10])
    config = issues_config(per_page=2, cap=3)
    with issues_api(issues) as api:
        first = next(dependent_pages(new_client(), config, repos))
        api.calls.reset()
        rest = list(dependent_pages(new_client(), config, repos, resume_from=first.position))
        assert len(api.calls) == 2
    assert [page.page.number for page in rest] == [2, 3]
    assert rest[-1].position == FanoutPosition(parent_index=1)


def test_a_parent_that_changed_since_the_save_starts_its_children_again() -> None:
    repos, issues = make_repos([5, 3])
    with issues_api(issues):
        first = next(dependent_pages(new_client(), issues_config(per_page=2), repos))
        assert first.position.parent_index == 0 and first.position.child_request is not None
        reordered = [repos[1], repos[0]]
        with capture_logs() as logs:
            rest = list(dependent_pages(new_client(), issues_config(per_page=2), reordered, resume_from=first.position))
    assert [row["id"] for row in rows_of(rest)] == [
        issue["id"] for issue in issues["acme/repo-1"] + issues["acme/repo-0"]
    ]
    changed = [entry for entry in logs if entry["event"] == "fanout_resume_parent_changed"]
    assert [(entry["resource"], entry["saved_value"], entry["found_value"]) for entry in changed] == [
        ("issues", "acme/repo-0", "acme/repo-1")
    ]


def test_a_parent_row_without_the_resolve_field_is_a_clear_error() -> None:
    repos, issues = make_repos([1])
    with issues_api(issues), pytest.raises(FanoutError) as raised:
        list(dependent_rows(new_client(), issues_config(), [*repos, {"id": 5, "name": "orphan"}]))
    assert str(raised.value) == (
        "dependent resource 'issues': parent 'repos' row #1 has no 'full_name' to fill {repo} in "
        "'/repos/{repo}/issues' (parent fields: id, name)"
    )


@pytest.mark.parametrize("value", [None, ""])
def test_a_null_or_empty_resolve_value_is_a_clear_error(value: Any) -> None:
    with pytest.raises(FanoutError, match=r"parent 'repos' row #0 has no 'full_name' to fill \{repo\}"):
        list(dependent_rows(new_client(), issues_config(), [{"id": 1, "full_name": value}]))


def test_a_parent_row_without_an_included_field_is_a_clear_error() -> None:
    config = issues_config(include=("id", "default_branch"))
    with pytest.raises(FanoutError) as raised:
        list(dependent_rows(new_client(), config, [{"id": 1, "full_name": "acme/x"}]))
    assert str(raised.value) == (
        "dependent resource 'issues': parent 'repos' row #0 has no 'default_branch' to include as "
        "'_repos_default_branch' (parent fields: full_name, id)"
    )


def test_a_parent_that_is_not_an_object_is_a_clear_error() -> None:
    with pytest.raises(FanoutError, match="parent 'repos' row #0 is a str, not an object"):
        list(dependent_rows(new_client(), issues_config(), ["acme/x"]))  # type: ignore[list-item]


def test_child_rows_that_are_not_objects_cannot_carry_parent_fields() -> None:
    config = DependentEndpointConfig(
        name="topics", parent_name="repos", path="/repos/{repo}/topics", resolve_param="repo",
        resolve_field="full_name", include_from_parent=("id",), data_selector="names",
    )  # fmt: skip
    with responses.RequestsMock() as api:
        api.add(responses.GET, f"{BASE}/repos/acme%2Fx/topics", json={"names": ["python", "etl"]})
        with pytest.raises(FanoutError, match="'topics': a child row is a str, not an object"):
            list(dependent_rows(new_client(), config, [{"id": 1, "full_name": "acme/x"}]))


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({"path": "/repos/issues"}, r"path '/repos/issues' has no \{repo\} placeholder to resolve"),
        ({"include_from_parent": "id"}, "include_from_parent must be a tuple of field names, got the string 'id'"),
        ({"parent_field_renames": {"name": "repo_name"}}, r"parent_field_renames names \['name'\], which"),
        ({"parent_field_renames": {"id": "_repos_full_name"}}, "two parent fields would land on the same child key"),
        ({"page_cap_per_parent": 0}, "page_cap_per_parent must be at least 1, got 0"),
    ],
)
def test_an_inconsistent_config_is_rejected_when_declared(changes: dict[str, Any], complaint: str) -> None:
    fields: dict[str, Any] = {
        "name": "issues",
        "parent_name": "repos",
        "path": "/repos/{repo}/issues",
        "resolve_param": "repo",
        "resolve_field": "full_name",
        "include_from_parent": ("id", "full_name"),
        **changes,
    }
    with pytest.raises(FanoutError, match=f"^dependent resource 'issues': {complaint}"):
        DependentEndpointConfig(**fields)


def test_include_from_parent_given_as_a_list_is_kept_as_a_tuple() -> None:
    config = DependentEndpointConfig(
        name="issues", parent_name="repos", path="/r/{repo}", resolve_param="repo", resolve_field="full_name",
        include_from_parent=["id"],  # type: ignore[arg-type]
    )  # fmt: skip
    assert config.include_from_parent == ("id",)


@pytest.mark.parametrize(
    "state",
    [
        ["parent_index", 1],
        {"parent_index": -1},
        {"parent_index": "2"},
        {"parent_index": True},
        {"parent_index": 0, "cursor": "abc"},
        {"parent_index": 0, "child_pages": 1.5},
    ],
)
def test_a_saved_position_of_another_shape_is_a_clear_error(state: Any) -> None:
    with pytest.raises(ResumableStateError, match="saved fan-out position") as raised:
        FanoutPosition.from_state(state)
    assert "\n" not in str(raised.value)


def test_a_saved_position_with_a_broken_child_request_is_a_clear_error() -> None:
    with pytest.raises(ResumableStateError, match="saved page request needs a string 'url'"):
        FanoutPosition.from_state({"parent_index": 0, "parent_value": "a", "child_request": {"params": {}}})


@dataclasses.dataclass
class IssuesResume:
    position: dict[str, Any]


def resumable_issue_batches(
    manager: ResumableSourceManager[IssuesResume], repos: list[dict[str, Any]]
) -> Iterator[list[dict[str, Any]]]:
    """How a resumable source uses the fan-out: yield a child page, then save the position after it."""
    state = manager.load_state() if manager.can_resume() else None
    position = FanoutPosition.from_state(state.position) if state is not None else None
    for child_page in dependent_pages(new_client(), issues_config(per_page=2), repos, resume_from=position):
        yield child_page.items
        manager.save_state(IssuesResume(position=child_page.position.to_state()))


def test_a_crash_at_every_checkpoint_loses_no_row_and_does_not_start_again() -> None:
    repos, issues = make_repos([3, 0, 5, 2])
    with issues_api(issues) as api:
        fresh = ResumableSourceManager(SourceInputs("issues", team_id=1, job_id="full"), IssuesResume)
        full = list(resumable_issue_batches(fresh, repos))
        full_rows = [row for batch in full for row in batch]
        full_requests = [call.request.url for call in api.calls]
        assert len(full_rows) == 10 and len(full) == len(full_requests) == 7

        for k in range(1, len(full) + 1):
            manager = ResumableSourceManager(SourceInputs("issues", team_id=1, job_id=f"crash-{k}"), IssuesResume)
            run = resumable_issue_batches(manager, repos)
            durable = [row for _, batch in zip(range(k - 1), run, strict=False) for row in batch]
            next(run)  # batch k reaches the consumer, which dies before handling it
            run.close()  # so the code after the k-th yield never runs
            api.calls.reset()
            resumed = [row for batch in resumable_issue_batches(manager, repos) for row in batch]
            assert durable + resumed == full_rows, f"crash at checkpoint {k}"
            # the resume fetches batch k again and nothing before it
            assert [call.request.url for call in api.calls] == full_requests[k - 1 :], f"crash at checkpoint {k}"
