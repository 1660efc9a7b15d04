"""Repository webhooks (POST/GET/DELETE /repos/{owner}/{repo}/hooks), one per configured repository."""

from __future__ import annotations

import secrets
from typing import Any

import requests

from sources.common.base import ExternalWebhookInfo, WebhookCreationResult, WebhookDeletionResult
from sources.common.rest_source import HeaderLinkPaginator, RESTClient
from sources.common.rest_source.errors import UnexpectedResponseError
from sources.github.settings import API_BASE_URL, WEBHOOK_EVENTS

HOOK_EVENTS = sorted(set(WEBHOOK_EVENTS.values()))
HOOKS_PAGE_SIZE = 100


def _describe(error: Exception, repository: str, action: str) -> str:
    response = getattr(error, "response", None)
    status = getattr(response, "status_code", None)
    detail = ""
    if response is not None:
        try:
            body = response.json()
        except ValueError:
            body = {}
        if isinstance(body, dict):
            messages = [body.get("message")] + [
                e.get("message") for e in body.get("errors") or [] if isinstance(e, dict)
            ]
            detail = "; ".join(m for m in messages if m)
    if status == 404:
        return (
            f"github: cannot {action} webhooks of {repository}: not found, or the token lacks admin access "
            "(classic tokens need admin:repo_hook, fine-grained tokens the Webhooks permission)"
        )
    prefix = f"github: cannot {action} webhooks of {repository}"
    if status is not None:
        return f"{prefix}: HTTP {status}" + (f" ({detail})" if detail else "")
    return f"{prefix}: {type(error).__name__}: {error}"


def list_hooks(client: RESTClient, repository: str) -> list[dict[str, Any]]:
    url = f"{API_BASE_URL}/repos/{repository}/hooks?per_page={HOOKS_PAGE_SIZE}"
    pages = client.paginate(url, paginator=HeaderLinkPaginator(), resource=f"github hooks {repository}")
    return [hook for page in pages for hook in page.items]


def hooks_for_url(client: RESTClient, repository: str, webhook_url: str) -> list[dict[str, Any]]:
    return [hook for hook in list_hooks(client, repository) if (hook.get("config") or {}).get("url") == webhook_url]


def create_hooks(client: RESTClient, repositories: tuple[str, ...], webhook_url: str) -> WebhookCreationResult:
    """One hook per repository, all sharing one generated signing secret (GitHub lets the caller choose it)."""
    secret = secrets.token_hex(32)
    payload = {
        "name": "web",
        "active": True,
        "events": HOOK_EVENTS,
        "config": {"url": webhook_url, "content_type": "json", "insecure_ssl": "0", "secret": secret},
    }
    created: list[str] = []
    for repository in repositories:
        try:
            response = client.session.post(f"{API_BASE_URL}/repos/{repository}/hooks", json=payload)
            client.raise_for_status(response)
            hook_id = response.json().get("id")
        except (requests.RequestException, ValueError, AttributeError) as exc:
            return WebhookCreationResult(success=False, error=_describe(exc, repository, "create"))
        created.append(f"{repository}#{hook_id}")
    return WebhookCreationResult(success=True, external_id=",".join(created), signing_secret=secret)


def delete_hooks(client: RESTClient, repositories: tuple[str, ...], webhook_url: str) -> WebhookDeletionResult:
    """Delete every hook pointing at `webhook_url`; a repository without one is already done."""
    for repository in repositories:
        try:
            for hook in hooks_for_url(client, repository, webhook_url):
                response = client.session.delete(f"{API_BASE_URL}/repos/{repository}/hooks/{hook['id']}")
                if response.status_code != 404:  # already gone
                    client.raise_for_status(response)
        except (requests.RequestException, UnexpectedResponseError) as exc:
            return WebhookDeletionResult(success=False, error=_describe(exc, repository, "delete"))
    return WebhookDeletionResult(success=True)


def hook_info(client: RESTClient, repositories: tuple[str, ...], webhook_url: str) -> ExternalWebhookInfo:
    """Exists only when every configured repository has a hook for `webhook_url`."""
    events: set[str] = set()
    active = True
    for repository in repositories:
        try:
            hooks = hooks_for_url(client, repository, webhook_url)
        except (requests.RequestException, UnexpectedResponseError) as exc:
            return ExternalWebhookInfo(exists=False, error=_describe(exc, repository, "read"))
        if not hooks:
            return ExternalWebhookInfo(
                exists=False, url=webhook_url, error=f"github: no webhook for {webhook_url} on {repository}"
            )
        for hook in hooks:
            events.update(hook.get("events") or [])
            active = active and bool(hook.get("active"))
    return ExternalWebhookInfo(
        exists=True, url=webhook_url, status="enabled" if active else "disabled", enabled_events=sorted(events)
    )
