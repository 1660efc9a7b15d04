"""GitHub transport: Link pagination, incremental `since`, fan-out rows, resume, rate limits, errors, pipeline."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
import requests
import responses

from harness.testing import HarServer, query
from sources.common import events
from sources.common.clock import FakeClock, use_clock
from sources.common.errors import ConfigError
from sources.common.rest_source import PageCapHit
from sources.common.typings import SourceInputs
from sources.github import github as github_transport
from sources.github.github import GITHUB_RETRY, GithubRateLimitError, GithubResumeConfig, format_since, make_client
from sources.github.merge import read_merged
from sources.github.source import GithubSource, GithubSourceConfig

from .conftest import REPOSITORIES, TOKEN

API = "https://api.github.com"
Rows = list[dict[str, Any]]


def collect(source: GithubSource, config: GithubSourceConfig, inputs: SourceInputs) -> list[Rows]:
    response = source.source_for_pipeline(config, source.get_resumable_source_manager(inputs), inputs)
    return [batch for batch in response.items() if isinstance(batch, list)]


def incremental(make_inputs: Callable[..., SourceInputs], last_value: Any = None) -> SourceInputs:
    return make_inputs(
        "issues",
        should_use_incremental_field=True,
        incremental_field="updated_at",
        incremental_field_type="datetime",
        db_incremental_field_last_value=last_value,
    )


def pages_of(server: HarServer, repository: str) -> list[tuple[str, Rows]]:
    """The recorded pages of one repository's issues, in the order they were requested: (url, rows)."""
    repository_id = {REPOSITORIES[0]: "701234561", REPOSITORIES[1]: "701234562"}[repository]
    paths = {f"/repos/{repository}/issues", f"/repositories/{repository_id}/issues"}
    return [
        (entry.request.url, json.loads(entry.response.body))
        for entry in server.entries
        if urlsplit(entry.request.url).path in paths
    ]


def test_issues_of_every_repository_come_merged_in_updated_at_order(
    source: GithubSource,
    config: GithubSourceConfig,
    make_inputs: Callable[..., SourceInputs],
    serve_har: Callable[[str], HarServer],
) -> None:
    server = serve_har("issues/full.har")
    batches = collect(source, config, incremental(make_inputs))
    assert server.served == list(range(len(server.entries))), "every recorded page, in order, once"
    pages = [rows for repository in REPOSITORIES for _, rows in pages_of(server, repository)]
    assert len(pages) == len(server.entries)
    assert len(pages_of(server, REPOSITORIES[0])) >= 5
    rows = [row for batch in batches for row in batch]
    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids)), "rows a page shares with the one before (same updated_at) come once"
    assert set(ids) == {row["id"] for page in pages for row in page}
    stamps = [row["updated_at"] for row in rows]
    assert stamps == sorted(stamps), "one watermark covers every repository, so rows come in its order"
    first_two = [query(entry.request.url) for entry in server.entries[:2]]
    assert first_two == [{"state": "all", "sort": "updated", "direction": "asc", "per_page": "10"}] * 2
    assert any("pull_request" in row for row in rows), "pull requests are kept"
    assert any("pull_request" not in row for row in rows)


def test_incremental_sends_since_and_gets_only_newer_rows_ascending(
    source: GithubSource,
    config: GithubSourceConfig,
    make_inputs: Callable[..., SourceInputs],
    serve_har: Callable[[str], HarServer],
) -> None:
    watermark = "2024-04-01T00:00:00Z"
    server = serve_har("issues/incremental.har")
    batches = collect(source, config, incremental(make_inputs, watermark))
    assert len(server.served) == len(server.entries)
    for repository in REPOSITORIES:
        first, *later = [query(url)["since"] for url, _ in pages_of(server, repository)]
        assert first == watermark
        assert all(since >= watermark for since in later), "later pages start at the last row's updated_at"
    rows = [row for batch in batches for row in batch]
    assert rows
    assert all(row["updated_at"] >= watermark for row in rows)
    for repository in REPOSITORIES:
        stamps = [row["updated_at"] for row in rows if row["repository_url"].endswith(repository)]
        assert stamps == sorted(stamps)


def test_future_watermark_yields_no_rows(
    source: GithubSource,
    config: GithubSourceConfig,
    make_inputs: Callable[..., SourceInputs],
    serve_har: Callable[[str], HarServer],
) -> None:
    server = serve_har("issues/future.har")
    assert collect(source, config, incremental(make_inputs, "2025-01-01T00:00:00Z")) == []
    assert len(server.served) == len(REPOSITORIES)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-04-01T00:00:00Z", "2024-04-01T00:00:00Z"),
        ("2024-04-01T02:30:00+02:00", "2024-04-01T00:30:00Z"),
        (datetime(2024, 4, 1, 12, 5, 9, tzinfo=UTC), "2024-04-01T12:05:09Z"),
        (datetime(2024, 4, 1, 12, 5, 9), "2024-04-01T12:05:09Z"),
        (datetime(2024, 4, 1, 7, tzinfo=timezone(timedelta(hours=-5))), "2024-04-01T12:00:00Z"),
        (date(2024, 4, 1), "2024-04-01T00:00:00Z"),
        (1711929600, "2024-04-01T00:00:00Z"),
    ],
)
def test_since_format(value: Any, expected: str) -> None:
    assert format_since(value, "github issues") == expected


@pytest.mark.parametrize("value", ["yesterday", object(), True])
def test_bad_watermark_is_a_one_line_error(value: Any) -> None:
    with pytest.raises(ConfigError, match="github issues: incremental watermark"):
        format_since(value, "github issues")


def test_unsupported_incremental_field_is_refused(
    source: GithubSource, config: GithubSourceConfig, make_inputs: Callable[..., SourceInputs]
) -> None:
    inputs = make_inputs("issues", should_use_incremental_field=True, incremental_field="created_at")
    with pytest.raises(ConfigError, match="github issues: cannot sync incrementally on 'created_at'"):
        source.source_for_pipeline(config, source.get_resumable_source_manager(inputs), inputs)
    inputs = make_inputs("repositories", should_use_incremental_field=True, incremental_field="updated_at")
    with pytest.raises(ConfigError, match="github repositories: cannot sync incrementally on 'updated_at'"):
        source.source_for_pipeline(config, source.get_resumable_source_manager(inputs), inputs)


def test_repositories_one_row_per_configured_repository(
    source: GithubSource,
    config: GithubSourceConfig,
    make_inputs: Callable[..., SourceInputs],
    serve_har: Callable[[str], HarServer],
) -> None:
    serve_har("repositories/full.har")
    batches = collect(source, config, make_inputs("repositories"))
    assert [[row["full_name"] for row in batch] for batch in batches] == [[name] for name in REPOSITORIES]


def test_comment_rows_carry_their_parent_keys(
    source: GithubSource,
    config: GithubSourceConfig,
    make_inputs: Callable[..., SourceInputs],
    serve_har: Callable[[str], HarServer],
) -> None:
    server = serve_har("issue_comments/full.har")
    batches = collect(source, config, make_inputs("issue_comments"))
    assert len(server.served) == len(server.entries)
    rows = [row for batch in batches for row in batch]
    assert rows
    for row in rows:
        repository, number = row["_repositories_full_name"], row["_issues_number"]
        assert repository in REPOSITORIES
        assert row["issue_url"] == f"{API}/repos/{repository}/issues/{number}"
    parents = [
        (entry.request.url, issue)
        for entry in server.entries
        if urlsplit(entry.request.url).path.endswith("/issues")
        for issue in json.loads(entry.response.body)
    ]
    with_comments = {(issue["repository_url"], issue["number"]) for _, issue in parents if issue["comments"]}
    fetched = {(f"{API}/repos/{row['_repositories_full_name']}", row["_issues_number"]) for row in rows}
    assert fetched == with_comments, "children are read for every parent with comments and no other"
    child_requests = [entry.request.url for entry in server.entries if "/comments" in entry.request.url]
    assert len(child_requests) > len(with_comments), "a parent with many comments spans several pages"


def test_child_page_cap_is_logged_as_an_event(
    source: GithubSource,
    config: GithubSourceConfig,
    make_inputs: Callable[..., SourceInputs],
    serve_simulator: Callable[..., None],
    simulator_module: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(github_transport, "MAX_CHILD_PAGES_PER_PARENT", 1)
    serve_simulator(simulator_module.GithubSimulator(simulator_module.build_dataset()))
    seen: list[PageCapHit] = []
    with events.observing(lambda event: seen.append(event) if isinstance(event, PageCapHit) else None):
        batches = collect(source, config, make_inputs("issue_comments"))
    assert seen, "issue 7 has more than one page of comments"
    assert {event.parent["_issues_number"] for event in seen if event.parent} == {"7"}
    assert all(len(batch) <= config.page_size for batch in batches)


def test_saved_state_is_where_the_next_run_starts(
    source: GithubSource,
    config: GithubSourceConfig,
    make_inputs: Callable[..., SourceInputs],
    serve_har: Callable[[str], HarServer],
) -> None:
    server = serve_har("issues/full.har")
    inputs = incremental(make_inputs)
    pages = pages_of(server, REPOSITORIES[0])
    third_url, third_rows = pages[2]
    last_handed_over = third_rows[1]
    cursors = {
        REPOSITORIES[0]: [third_url, last_handed_over["updated_at"], [last_handed_over["id"]]],
        REPOSITORIES[1]: None,
    }
    source.get_resumable_source_manager(inputs).save_state(GithubResumeConfig(cursors=cursors))
    batches = collect(source, config, inputs)
    assert server.entries[server.served[0]].request.url == third_url
    every = {row["id"]: row for _, rows in pages[2:] for row in rows}.values()
    position = (last_handed_over["updated_at"], last_handed_over["id"])
    expected = [row["id"] for row in every if (row["updated_at"], row["id"]) > position]
    assert sorted(row["id"] for batch in batches for row in batch) == sorted(expected)
    assert all(REPOSITORIES[1] not in server.entries[index].request.url for index in server.served)


class FakeIssues:
    """A vendor listing rows by `updated_at` ascending with GitHub's `since` (at or after) and `page` links."""

    def __init__(self, mocked: responses.RequestsMock, repository: str, stamps: list[str], per_page: int = 2) -> None:
        self.rows = [{"id": f"{repository}-{index}", "updated_at": stamp} for index, stamp in enumerate(stamps)]
        self.per_page = per_page
        self.url = f"{API}/{repository}/issues"
        mocked.add_callback(responses.GET, self.url, callback=self.respond)

    def respond(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        params = query(request.url or "")
        rows = sorted(
            (row for row in self.rows if row["updated_at"] >= params.get("since", "")), key=lambda r: r["updated_at"]
        )
        page = int(params.get("page", "1"))
        chunk = rows[(page - 1) * self.per_page : page * self.per_page]
        headers = {}
        if page * self.per_page < len(rows):
            headers["Link"] = f'<{self.url}?{urlencode({**params, "page": page + 1})}>; rel="next"'
        return 200, headers, json.dumps(chunk)


def test_merge_orders_ties_by_repository_and_pages_by_position(mocked: responses.RequestsMock) -> None:
    a = FakeIssues(mocked, "a", ["2024-01-01", "2024-01-03", "2024-01-05"])
    b = FakeIssues(mocked, "b", ["2024-01-01", "2024-01-02", "2024-01-09"])
    client = make_client(TOKEN)
    first_urls = {"a": a.url, "b": b.url}
    results = list(read_merged(client, first_urls, "updated_at", "github test"))
    assert [[row["id"] for row in rows] for rows, _ in results] == [["a-0", "b-0", "b-1"], ["a-1"], ["a-2"], ["b-2"]]
    assert results[0][1] == {
        "a": [a.url, "2024-01-01", ["a-0"]],
        "b": [f"{b.url}?since=2024-01-02", "2024-01-02", ["b-1"]],
    }
    assert results[-1][1]["b"] == [f"{b.url}?since=2024-01-02", "2024-01-09", ["b-2"]], (
        "a finished repository keeps its last page and the position in it"
    )
    assert not any("since=2024-01-09" in call.request.url for call in mocked.calls), (
        "nothing is asked for after the vendor's last page"
    )
    a.rows[0]["updated_at"] = "2024-01-10"  # a handed-over row moves to the end while the job is down
    a.rows.pop(1)  # and a not-yet-delivered one before the page boundary vanishes
    resumed = list(read_merged(client, first_urls, "updated_at", "github test", resume=results[0][1]))
    assert [row["id"] for rows, _ in resumed for row in rows] == ["a-2", "b-2", "a-0"]


def test_many_rows_sharing_one_updated_at_follow_the_vendor_pages(mocked: responses.RequestsMock) -> None:
    a = FakeIssues(mocked, "a", ["2024-01-01"] * 5 + ["2024-01-02"], per_page=2)
    client = make_client(TOKEN)
    rows = [row["id"] for rows, _ in read_merged(client, {"a": a.url}, "updated_at", "github test") for row in rows]
    assert rows == [f"a-{index}" for index in range(6)]


@pytest.mark.parametrize("crash_at", [2, 3, 4, 5])
def test_a_resume_after_issues_moved_and_vanished_loses_nothing(
    source: GithubSource,
    config: GithubSourceConfig,
    make_inputs: Callable[..., SourceInputs],
    serve_simulator: Callable[..., None],
    simulator_module: Any,
    crash_at: int,
) -> None:
    """While the job is down a delivered issue is edited (it moves to the end of the sort), another delivered one
    is deleted and a new one is opened: every issue there now reaches the consumer, at its new version."""
    model = simulator_module.vendor_model()
    serve_simulator(model.respond)
    inputs = incremental(make_inputs)
    items = iter(source.source_for_pipeline(config, source.get_resumable_source_manager(inputs), inputs).items())
    durable = [row for _ in range(crash_at - 1) for row in next(items)]
    next(items)
    items.close()
    model.update("issues", (durable[0]["id"],))
    model.delete("issues", (durable[-1]["id"],))
    model.insert("issues")
    resumed = [row for batch in collect(source, config, inputs) for row in batch]
    latest = {row["id"]: row["updated_at"] for row in [*durable, *resumed]}
    issues = model.endpoint("issues")
    assert {key: issues.version((key,)) for (key,) in issues.row_keys()}.items() <= latest.items()


def test_state_naming_an_unconfigured_repository_starts_over(
    source: GithubSource,
    config: GithubSourceConfig,
    make_inputs: Callable[..., SourceInputs],
    serve_har: Callable[[str], HarServer],
) -> None:
    server = serve_har("repositories/full.har")
    inputs = make_inputs("repositories")
    source.get_resumable_source_manager(inputs).save_state(GithubResumeConfig("someone/removed-repo"))
    batches = collect(source, config, inputs)
    assert server.served == [0, 1]
    assert len(batches) == len(REPOSITORIES)


def _serve_sequence(mocked: responses.RequestsMock, answers: list[tuple[int, dict[str, str], Any]]) -> list[str]:
    calls: list[str] = []

    def respond(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        calls.append(request.url or "")
        status, headers, body = answers[min(len(calls), len(answers)) - 1]
        return status, headers, json.dumps(body)

    mocked.add_callback(responses.GET, f"{API}/repos/{REPOSITORIES[0]}", callback=respond)
    return calls


@pytest.mark.parametrize(
    ("limited_status", "headers", "expected_sleep"),
    [
        (403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1700000030"}, 30.0),
        (429, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1700000045"}, 45.0),
        (403, {"Retry-After": "12"}, 12.0),
    ],
)
def test_rate_limit_waits_for_the_reset_then_retries(
    source: GithubSource,
    make_inputs: Callable[..., SourceInputs],
    mocked: responses.RequestsMock,
    limited_status: int,
    headers: dict[str, str],
    expected_sleep: float,
) -> None:
    config = source.parse_config({"personal_access_token": "fake-github-token-0001", "repositories": REPOSITORIES[0]})
    repo = {"id": 1, "full_name": REPOSITORIES[0], "created_at": "2023-06-12T08:30:00Z"}
    calls = _serve_sequence(
        mocked, [(limited_status, headers, {"message": "API rate limit exceeded"}), (200, {}, repo)]
    )
    with use_clock(FakeClock(start=1_700_000_000.0)) as clock:
        batches = collect(source, config, make_inputs("repositories"))
    assert batches == [[repo]]
    assert len(calls) == 2
    assert clock.sleeps == [expected_sleep]


def test_exhausted_rate_limit_says_so(
    source: GithubSource, make_inputs: Callable[..., SourceInputs], mocked: responses.RequestsMock
) -> None:
    config = source.parse_config({"personal_access_token": "fake-github-token-0001", "repositories": REPOSITORIES[0]})
    limited = (403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1700000010"}, {"message": "rate limit"})
    calls = _serve_sequence(mocked, [limited])
    with use_clock(FakeClock(start=1_700_000_000.0)), pytest.raises(GithubRateLimitError) as raised:
        collect(source, config, make_inputs("repositories"))
    assert len(calls) == GITHUB_RETRY.max_attempts
    assert "rate limit" in str(raised.value)
    assert not any(str(raised.value).startswith(prefix) for prefix in source.get_non_retryable_errors())


@pytest.mark.parametrize("status", [401, 403, 404])
def test_permanent_errors_fail_at_once_with_a_mapped_message(
    source: GithubSource,
    make_inputs: Callable[..., SourceInputs],
    mocked: responses.RequestsMock,
    status: int,
) -> None:
    config = source.parse_config({"personal_access_token": "fake-github-token-0001", "repositories": REPOSITORIES[0]})
    calls = _serve_sequence(mocked, [(status, {"x-ratelimit-remaining": "4999"}, {"message": "nope"})])
    with use_clock(FakeClock()) as clock, pytest.raises(requests.HTTPError) as raised:
        collect(source, config, make_inputs("repositories"))
    assert len(calls) == 1
    assert clock.sleeps == []
    assert any(str(raised.value).startswith(prefix) for prefix in source.get_non_retryable_errors())


def test_server_errors_are_retried(
    source: GithubSource, make_inputs: Callable[..., SourceInputs], mocked: responses.RequestsMock
) -> None:
    config = source.parse_config({"personal_access_token": "fake-github-token-0001", "repositories": REPOSITORIES[0]})
    repo = {"id": 1, "full_name": REPOSITORIES[0], "created_at": "2023-06-12T08:30:00Z"}
    calls = _serve_sequence(mocked, [(502, {}, {"message": "Server Error"}), (200, {}, repo)])
    with use_clock(FakeClock()) as clock:
        assert collect(source, config, make_inputs("repositories")) == [[repo]]
    assert len(calls) == 2
    assert len(clock.sleeps) == 1
