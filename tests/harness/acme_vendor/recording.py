"""Record Acme fixtures for a registered Acme-like source into a directory, and write its manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from acme_vendor.dataset import AcmeData
from acme_vendor.model import save as save_model
from acme_vendor.simulator import TOKEN, simulator
from harness.recording.recorder import Recorder

COMMENT = "simulated Acme Helpdesk API (tests/harness/acme_vendor/simulator.py)"


def config(data: AcmeData) -> dict[str, Any]:
    return {"api_token": TOKEN, "page_size": data.page_size}


def _toml_value(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else str(value)


def record(source_type: str, data: AcmeData, out_dir: Path) -> Path:
    """Record every scenario of every endpoint with `source_type`'s own code; returns the fixture directory."""
    recorder = Recorder(source_type, config(data), comment=COMMENT, out_dir=out_dir)
    now, later = simulator(data), simulator(data.later())
    lines = [f'source = "{source_type}"', "", "[config]"]
    lines += [f"{key} = {_toml_value(value)}" for key, value in config(data).items()]
    lines += ["", "[credentials]", 'har = "credentials.har"']
    recorder.record_credentials(now, ["agents", "events", "tickets"])

    def scenario(endpoint: str, name: str, sim: Any, **values: Any) -> None:
        recorder.record_sync(endpoint, name, sim, **values)
        lines.extend(["", f"[endpoints.{endpoint}.scenarios.{name}]", f'har = "{endpoint}/{name}.har"'])
        lines.extend(f"{key} = {_toml_value(value)}" for key, value in values.items() if value is not None)

    scenario("tickets", "full", now, incremental_field="updated_at")
    scenario("tickets", "incremental", now, incremental_field="updated_at", last_value=data.middle())
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
