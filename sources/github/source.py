"""The GitHub source: form fields, schemas, credential probes, webhooks and the pipeline hand-off."""

from __future__ import annotations

import dataclasses
import re
from urllib.parse import urlencode

import requests

from sources.common.base import (
    ExternalWebhookInfo,
    ResumableSource,
    SourceSchema,
    WebhookCreationResult,
    WebhookDeletionResult,
    WebhookSource,
    WebhookTemplate,
)
from sources.common.credentials import http_status_advice
from sources.common.endpoints import endpoint_schemas
from sources.common.errors import ConfigError
from sources.common.fields import SourceConfig, SourceFieldInputConfig, SourceFieldInputConfigType
from sources.common.page_size import check_page_size
from sources.common.registry import SourceRegistry
from sources.common.rest_source import RESTClient
from sources.common.resumable import ResumableSourceManager
from sources.common.typings import SourceInputs, SourceResponse
from sources.github import hooks
from sources.github.github import (
    PROBE_RETRY,
    GithubResumeConfig,
    github_source,
    is_rate_limited,
    make_github_session,
    raise_for_github_status,
)
from sources.github.settings import API_BASE_URL, DEFAULT_PAGE_SIZE, ENDPOINTS, MAX_PAGE_SIZE, WEBHOOK_EVENTS

TOKEN_CAPTION = (
    "A [personal access token](https://github.com/settings/tokens). Classic tokens need `repo` "
    "(or `public_repo` for public repositories only) and `admin:repo_hook` for webhooks; fine-grained tokens "
    "need **Metadata: read**, **Issues: read**, **Pull requests: read** and **Webhooks: read and write**."
)

# What each schema's credential probe fetches: the cheapest request needing the same permission.
PROBE_PATHS: dict[str, tuple[str, dict[str, str]]] = {
    "repositories": ("/repos/{repository}", {}),
    "issues": ("/repos/{repository}/issues", {"state": "all", "per_page": "1"}),
    "issue_comments": ("/repos/{repository}/issues/comments", {"per_page": "1"}),
}

WEBHOOK_TEMPLATE_CODE = """
let event := request.headers['x-github-event']
if (event == 'ping') {
    return {'httpResponse': {'status': 200, 'body': 'pong'}}
}
let expected := f'sha256={sha256HmacChainHex([inputs.signing_secret, request.stringBody])}'
if (request.headers['x-hub-signature-256'] != expected) {
    return {'httpResponse': {'status': 401, 'body': 'bad signature'}}
}
let schema_id := inputs.schema_mapping[event]
if (empty(schema_id)) {
    return {'httpResponse': {'status': 200, 'body': 'event not synced'}}
}
produceToWarehouseWebhooks(request.body.issue, schema_id)
""".strip()


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
        check_page_size(self.page_size, "github", maximum=MAX_PAGE_SIZE)

    @property
    def repository_names(self) -> tuple[str, ...]:
        return parse_repositories(self.repositories)


def probe_url(schema_name: str | None, repository: str) -> str:
    path, params = PROBE_PATHS[schema_name or "repositories"]
    query = urlencode(params)
    return f"{API_BASE_URL}{path.format(repository=repository)}" + (f"?{query}" if query else "")


@SourceRegistry.register
class GithubSource(ResumableSource[GithubSourceConfig, GithubResumeConfig], WebhookSource[GithubSourceConfig]):
    config_class = GithubSourceConfig

    @property
    def source_type(self) -> str:
        return "github"

    @property
    def get_source_config(self) -> SourceConfig:
        return SourceConfig(
            name="github",
            label="GitHub",
            caption="Repositories, issues, pull requests and issue comments from GitHub.",
            docsUrl="https://docs.github.com/en/rest",
            iconPath="/static/services/github.png",
            releaseStatus="alpha",
            fields=(
                SourceFieldInputConfig(
                    name="personal_access_token",
                    label="Personal access token",
                    type=SourceFieldInputConfigType.PASSWORD,
                    placeholder="github_pat_...",
                    caption=TOKEN_CAPTION,
                ),
                SourceFieldInputConfig(
                    name="repositories",
                    label="Repositories",
                    placeholder="octocat/Hello-World, octocat/Spoon-Knife",
                    caption="Comma-separated `owner/repo` names.",
                ),
            ),
            webhookFields=(
                SourceFieldInputConfig(
                    name="signing_secret",
                    label="Webhook secret",
                    type=SourceFieldInputConfigType.PASSWORD,
                    caption="The secret of the repository webhook, used to check `X-Hub-Signature-256`.",
                ),
            ),
        )

    def get_schemas(self, config: GithubSourceConfig, team_id: int, with_counts: bool = False) -> list[SourceSchema]:
        return endpoint_schemas(ENDPOINTS.values())

    def validate_credentials(
        self, config: GithubSourceConfig, team_id: int, schema_name: str | None = None
    ) -> tuple[bool, str | None]:
        if schema_name is not None and schema_name not in PROBE_PATHS:
            return False, f"github: unknown schema {schema_name!r}"
        session = make_github_session(config.personal_access_token, retry=PROBE_RETRY)
        for repository in config.repository_names:
            try:
                response = session.get(probe_url(schema_name, repository))
            except requests.RequestException as exc:
                return False, f"github: could not reach the GitHub API ({type(exc).__name__})"
            message = self._probe_failure(response, repository, schema_name)
            if message is not None:
                return False, message
        return True, None

    @staticmethod
    def _probe_failure(response: requests.Response, repository: str, schema_name: str | None) -> str | None:
        status = response.status_code
        if status == 200:
            return None
        if status == 401:
            return "github: the personal access token is invalid or expired (401 Bad credentials)"
        if is_rate_limited(response):
            return "github: the token's API rate limit is exhausted; try again after it resets"
        if status == 403:
            if schema_name is None:
                return None  # the token is genuine; scopes are checked per schema
            return f"github: the token may not read {schema_name} of {repository} (403); grant it the scope"
        if status == 404:
            return f"github: repository {repository} was not found, or the token cannot see it"
        return f"github: probing {repository} for {schema_name or 'a new source'} failed with HTTP {status}"

    def get_non_retryable_errors(self) -> dict[str, str | None]:
        advice = http_status_advice(
            [API_BASE_URL],
            unauthorized="Your GitHub personal access token is invalid or expired. Generate a new token and reconnect.",
            forbidden="Your GitHub token cannot read this data. Grant it the scopes listed on the source form and "
            "retry.",
        )
        advice[f"404 Client Error: Not Found for url: {API_BASE_URL}/repos/"] = (
            "A configured repository does not exist or the token cannot see it. Check the repository names."
        )
        return advice

    def get_resumable_source_manager(self, inputs: SourceInputs) -> ResumableSourceManager[GithubResumeConfig]:
        return ResumableSourceManager[GithubResumeConfig](inputs, GithubResumeConfig)

    def source_for_pipeline(
        self,
        config: GithubSourceConfig,
        resumable_source_manager: ResumableSourceManager[GithubResumeConfig],
        inputs: SourceInputs,
    ) -> SourceResponse:
        webhook_manager = self.webhook_manager_for_schema(inputs)
        return github_source(
            config.personal_access_token,
            config.repository_names,
            config.page_size,
            inputs,
            resumable_source_manager,
            webhook_manager,
        )

    @property
    def webhook_template(self) -> WebhookTemplate:
        return WebhookTemplate.signed(
            "github",
            "GitHub",
            "Checks the X-Hub-Signature-256 of GitHub issue events and stores the issue as a row.",
            WEBHOOK_TEMPLATE_CODE,
            secret_label="Webhook secret",
            mapping_label="GitHub event → schema id",
        )

    @property
    def webhook_resource_map(self) -> dict[str, str]:
        return dict(WEBHOOK_EVENTS)

    def _hooks_client(self, config: GithubSourceConfig) -> RESTClient:
        return RESTClient(
            API_BASE_URL,
            session=make_github_session(config.personal_access_token, retry=PROBE_RETRY),
            raise_for_status=raise_for_github_status,
        )

    def create_webhook(self, config: GithubSourceConfig, webhook_url: str, team_id: int) -> WebhookCreationResult:
        return hooks.create_hooks(self._hooks_client(config), config.repository_names, webhook_url)

    def delete_webhook(self, config: GithubSourceConfig, webhook_url: str, team_id: int) -> WebhookDeletionResult:
        return hooks.delete_hooks(self._hooks_client(config), config.repository_names, webhook_url)

    def get_external_webhook_info(
        self, config: GithubSourceConfig, webhook_url: str, team_id: int
    ) -> ExternalWebhookInfo:
        return hooks.hook_info(self._hooks_client(config), config.repository_names, webhook_url)
