"""Record Acme fixtures for a registered Acme-like source into a directory, and write its manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from acme_vendor.dataset import AcmeData
from acme_vendor.model import save as save_model
from acme_vendor.simulator import TOKEN, simulator
from harness.fixtures.pagination import parse_contract
from harness.recording.recorder import Recorder

COMMENT = "simulated Acme Helpdesk API (tests/harness/acme_vendor/simulator.py)"
# The Acme API's pagination, as its documentation (simulator.py's docstring) states it: tickets answer `has_more`
# and `next_cursor` (sent back as `cursor`; `starting_after` and `page` continue a listing too), and a listing
# sorted by `updated_at` may be read again from its last row with `updated_since` (inclusive, ISO 8601 with `Z`);
# agents send `Link: rel="next"`, events hand out `next_cursor`.
PAGINATION: dict[str, dict[str, Any]] = {
    "tickets": {
        "style": "keyset",
        "position": "updated_since",
        "position_from": "updated_at",
        "compare": "gte",
        "encoding": "iso8601-z",
        "limit_param": "limit",
        "cursor": "next_cursor",
        "cursor_param": "cursor",
        "has_more": "has_more",
        "items": "data",
        "also_continues": ["starting_after", "page"],
    },
    "agents": {"style": "link-header"},
    "events": {"style": "cursor", "cursor": "next_cursor", "cursor_param": "cursor", "items": "events"},
}


def config(data: AcmeData) -> dict[str, Any]:
    return {"api_token": TOKEN, "page_size": data.page_size}


def _toml_value(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else str(value)


# The encodings Acme documents for its filter values (see acme_vendor/simulator.py).
WATERMARKS = {
    "tickets": ('"iso8601-z"', "https://api.acme-helpdesk.test/docs#tickets-updated_since"),
    "events": ('"epoch-ms"', "https://api.acme-helpdesk.test/docs#events-since"),
}


# How Acme documents an answer over its rate limit: 429 with X-RateLimit-Reset, the epoch second the limit resets.
RATE_LIMIT = {
    "status": "429",
    "reset_header": '"X-RateLimit-Reset"',
    "reset_kind": '"epoch"',
    "headers": '{ "X-RateLimit-Remaining" = "0" }',
    "doc": '"https://api.acme-helpdesk.test/docs#rate-limits"',
}


class RecorderWithoutUrlRefusal(Recorder):
    """The recorder as it was before it refused URLs carrying a credential: it scrubs them to REDACTED and writes
    them. Only for fixtures of a known-bad source that sends its key in the URL."""

    def refuse_credential_url(self, request: Any, har_path: Path) -> None:
        return None


def record(
    source_type: str,
    data: AcmeData,
    out_dir: Path,
    recorder_class: type[Recorder] = Recorder,
    *,
    lenient: bool = False,
    incremental_watermark: str | None = None,
) -> Path:
    """Record every scenario of every endpoint with `source_type`'s own code; returns the fixture directory.

    `lenient`: against the API as it was before it enforced its documented filter encodings.
    `incremental_watermark` replaces the tickets incremental scenario's mid-data watermark."""
    contracts = {endpoint: parse_contract(table) for endpoint, table in PAGINATION.items()}
    recorder = recorder_class(source_type, config(data), comment=COMMENT, out_dir=out_dir, pagination=contracts)
    now, later = simulator(data, lenient=lenient), simulator(data.later(), lenient=lenient)
    lines = [f'source = "{source_type}"', "", "[config]"]
    lines += [f"{key} = {_toml_value(value)}" for key, value in config(data).items()]
    lines += ["", "[credentials]", 'har = "credentials.har"']
    lines += ["", "[rate_limit]", *(f"{key} = {value}" for key, value in RATE_LIMIT.items())]
    recorder.record_credentials(now, ["agents", "events", "tickets"])
    for endpoint, table in PAGINATION.items():
        lines.extend(["", f"[endpoints.{endpoint}.pagination]"])
        lines.extend(f"{key} = {_toml_value(value)}" for key, value in table.items())

    def scenario(endpoint: str, name: str, sim: Any, **values: Any) -> None:
        recorder.record_sync(endpoint, name, sim, **values)
        if endpoint in WATERMARKS and name == "full":
            encoding, doc = WATERMARKS[endpoint]
            lines.extend(["", f"[endpoints.{endpoint}.watermark]", f"encoding = {encoding}", f'doc = "{doc}"'])
        lines.extend(["", f"[endpoints.{endpoint}.scenarios.{name}]", f'har = "{endpoint}/{name}.har"'])
        lines.extend(f"{key} = {_toml_value(value)}" for key, value in values.items() if value is not None)

    scenario("tickets", "full", now, incremental_field="updated_at")
    middle = incremental_watermark or data.middle()
    scenario("tickets", "incremental", now, incremental_field="updated_at", last_value=middle)
    scenario("tickets", "future", now, incremental_field="updated_at", last_value=data.after_all())
    scenario("tickets", "resync", later, incremental_field="updated_at", last_value=data.newest())
    scenario("agents", "full", now)
    scenario("agents", "resync", later)
    events = {"incremental_field": "occurred_at"}
    scenario("events", "full", now, **events)
    scenario("events", "incremental", now, **events, last_value=data.middle("occurred_at", "events"))
    scenario("events", "future", now, **events, last_value=data.after_all("occurred_at", "events"))
    scenario("events", "resync", later, **events, last_value=data.newest("occurred_at", "events"))
    occurred = sorted(row["occurred_at"] for row in data.events)
    scenario(
        "events",
        "earliest",
        later,
        **events,
        last_value=data.newest("occurred_at", "events"),
        earliest_value=occurred[len(occurred) * 2 // 3],
    )
    (out_dir / "manifest.toml").write_text("\n".join(lines) + "\n")
    save_model(data, out_dir)
    return out_dir
