"""Credentials travel in headers only: never in a URL, a query string, a non-auth body field or a log line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.checks.context import CheckContext
from harness.fixtures.har import read_har
from harness.fixtures.manifest import Scenario
from harness.replay.credential_places import CredentialPlace, redacted_places
from harness.runs.records import RunRecord, RunSpec
from sources.common.scrub import MIN_SECRET_LENGTH, scrub_message, secret_variants

ID = "credentials.placement"
LEVEL = "endpoint"
SCENARIOS = ("full", "incremental", "future", "resync", "earliest")
PROVES = (
    "In every recorded scenario, no configured secret (nor a value the request sends in an auth header) appears "
    "in a request URL or query string, or in a request body field other than the vendor's documented auth field "
    "([credentials] body_fields), judged on the live request before the replay scrubs it; no recorded request "
    "holds a redacted value there either (the connector sent a credential when it was recorded); and no log line "
    "captured during the run carries a configured secret or an unredacted credential parameter."
)
APPLIES = "every endpoint with fixtures."

FIX = (
    "send the credential in the header the vendor documents (e.g. Authorization: Bearer ...) and nowhere else; "
    "a URL ends up in access logs, proxies, error messages and fixtures"
)


def check(ctx: CheckContext) -> None:
    allowed = set(ctx.sut.manifest.credential_body_fields)
    records = []
    for name, scenario in ctx.endpoint.fixtures.scenarios.items():
        record = ctx.runs.run(ctx.endpoint, RunSpec(name))
        _live_requests(ctx, record, allowed)
        _recorded_requests(ctx, scenario, allowed)
        _log_lines(ctx, record)
        records.append(record)
    for record in records:  # judged above even when the replay stopped; the replay verdicts come after
        ctx.require_clean(record)


def _misplaced(place: CredentialPlace, allowed: set[str]) -> bool:
    return not (place.kind == "body field" and place.name is not None and place.name.rsplit(".", 1)[-1] in allowed)


def _live_requests(ctx: CheckContext, record: RunRecord, allowed: set[str]) -> None:
    for request in record.wire:
        for place in request.credentials:
            if _misplaced(place, allowed):
                origin = f" (sent from {request.origin})" if request.origin else ""
                ctx.fail(
                    "credentials only in a header (or the vendor's documented auth body field), never in a URL, "
                    "a query string or another body field",
                    f"{record.endpoint} ({record.spec.describe()}): request #{request.index + 1} {request.method} "
                    f"{request.url}{origin} carries a credential in the {place.describe()}",
                    FIX,
                )


def _recorded_requests(ctx: CheckContext, scenario: Scenario, allowed: set[str]) -> None:
    for index, entry in enumerate(read_har(scenario.har).entries):
        request = entry.request
        for place in redacted_places(request.url, request.body, request.mime_type):
            if _misplaced(place, allowed):
                ctx.fail(
                    "no credential in any recorded request URL, query string or non-auth body field",
                    f"{_relative(scenario.har)} entry {index} {request.method} {request.url} holds the recorder's "
                    f"placeholder in the {place.kind}{f' {place.name!r}' if place.name else ''}: the connector sent "
                    "a credential there when this fixture was recorded",
                    FIX + "; then re-record the fixture",
                )


def _log_lines(ctx: CheckContext, record: RunRecord) -> None:
    secrets = ctx.sut.secrets
    names = {str(value): key for key, value in ctx.sut.manifest.config.items() if str(value) in secrets}
    variants = {variant: names.get(secret, "credential") for secret in secrets for variant in secret_variants(secret)}
    variants = {variant: name for variant, name in variants.items() if len(variant) >= MIN_SECRET_LENGTH}
    for number, event in enumerate(record.logs, start=1):
        for field, value in event.items():
            text = value if isinstance(value, str) else json.dumps(value, default=str)
            leaked = next((name for variant, name in variants.items() if variant in text), None)
            if leaked is not None:
                what = f"the configured {leaked!r}"
            elif scrub_message(text) != text:
                what = "a credential parameter unredacted"
            else:
                continue
            ctx.fail(
                "no credential in any log line captured during a run",
                f"{record.endpoint} ({record.spec.describe()}): log line {number} ({_event(event, secrets)}) "
                f"carries {what} in its field {field!r}",
                "never log the config, a credential or a URL built with one; log through the SDK "
                "(make_tracked_session logs every request with its URL scrubbed)",
            )


def _event(event: dict[str, Any], secrets: frozenset[str]) -> str:
    """The event, scrubbed: a stdlib record's event is its whole message, secret included."""
    text = scrub_message(str(event.get("event")), secrets)
    text = text if len(text) <= 80 else text[:79] + "…"
    return f"event {text!r}, {event.get('log_level', 'info')}"


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
