"""Record a source's fixtures from the vendor's live API, through mitmdump, with the manifest written too.

    GITHUB_PERSONAL_ACCESS_TOKEN=... python -m harness record github --live            # full, incremental, future
    GITHUB_PERSONAL_ACCESS_TOKEN=... python -m harness record github --live --resync   # later: resync

Credentials come only from environment variables named after the config's PASSWORD fields,
`<SOURCE>_<FIELD>` in upper case (`STRIPE_SECRET_KEY` for stripe's `stripe_secret_key`); every other config
value comes from the existing manifest's `[config]` or `--config KEY=VALUE` (a PASSWORD field there is refused).
The manifest keeps a placeholder for each secret, which the replay scrubs exactly as the recorder scrubbed the
real one.

Per endpoint: `full`; for an incremental endpoint also `incremental` (the watermark is the median value of the
incremental field in the recorded rows) and `future` (a day after its maximum). `--resync` records `resync` with
the maximum of the committed `full` recording as the watermark.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.fixtures.manifest import MANIFEST_NAME, ManifestError, load_manifest
from harness.recording.recorder import Recorder, RecordingError, batch_rows
from harness.recording.staging import staged
from harness.recording.transports import Simulator, ThroughMitmdump
from harness.replay.mitm_process import MitmProcess
from harness.runs.sync_driver import get_source
from sources.common.base import BaseSource

LIVE_COMMENT = "recorded from the live {source} API through mitmdump (python -m harness record {source} --live)"


def credential_variable(source_type: str, field: str) -> str:
    """`GITHUB_PERSONAL_ACCESS_TOKEN`; a field already named after its source is not prefixed twice."""
    name = field if field.lower().startswith(f"{source_type.lower()}_") else f"{source_type}_{field}"
    return name.upper().replace("-", "_")


def placeholder(source_type: str, field: str) -> str:
    return f"fake-{source_type}-{field}-recorded-live".replace("_", "-")


@dataclasses.dataclass(frozen=True)
class LiveConfig:
    payload: dict[str, Any]  # what the connector runs with: real credentials
    manifest: dict[str, Any]  # what the manifest keeps: placeholders instead


def live_config(
    source: BaseSource,
    directory: Path,
    overrides: Mapping[str, str],
    environ: Mapping[str, str],
) -> LiveConfig:
    sensitive = source.sensitive_keys
    refused = sorted(set(overrides) & set(sensitive))
    if refused:
        variable = credential_variable(source.source_type, refused[0])
        raise RecordingError(
            f"--config {refused[0]}: a PASSWORD field is never taken from the command line; set {variable}"
        )
    base: dict[str, Any] = {}
    if (directory / MANIFEST_NAME).is_file():
        try:
            base = {key: value for key, value in load_manifest(directory).config.items() if key not in sensitive}
        except ManifestError:
            base = {}
    values = base | dict(overrides)
    secrets = {}
    for field in sorted(sensitive):
        variable = credential_variable(source.source_type, field)
        if not environ.get(variable):
            raise RecordingError(
                f"set {variable} (the {field!r} PASSWORD field of {source.source_type}) to record live"
            )
        secrets[field] = environ[variable]
    placeholders = {field: placeholder(source.source_type, field) for field in secrets}
    return LiveConfig(payload=values | secrets, manifest=values | placeholders)


def _as_instant(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return None


def after(value: Any) -> Any:
    """A watermark a day after `value`, in the same form (ISO text, date, epoch seconds or milliseconds)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value + (86_400_000 if value > 10**11 else 86_400)
    if isinstance(value, str) and len(value) == 10:
        try:
            return (dt.date.fromisoformat(value) + dt.timedelta(days=1)).isoformat()
        except ValueError:
            return None
    moment = _as_instant(value)
    if moment is None:
        return None
    later = moment + dt.timedelta(days=1)
    if isinstance(value, str) and value.endswith("Z"):
        text = later.astimezone(dt.UTC).isoformat(timespec="milliseconds" if "." in value else "seconds")
        return text.replace("+00:00", "Z")
    return later.isoformat()


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.datetime | dt.date) else value


def field_values(rows: Sequence[Mapping[str, Any]], field: str) -> list[Any]:
    values = [_plain(row.get(field)) for row in rows if row.get(field) is not None]
    return sorted(values, key=lambda value: (_as_instant(value) or dt.datetime.min.replace(tzinfo=dt.UTC), str(value)))


def committed_maximum(source_type: str, fixtures_root: Path, endpoint: str, field: str) -> Any:
    """The largest `field` value the committed `full` recording holds, read by replaying it in-process."""
    from harness.runs.engine import execute
    from harness.runs.records import RunSpec
    from harness.runs.targets import load_source

    record = execute(load_source(source_type, fixtures_root).endpoint(endpoint), RunSpec("full"))
    values = field_values([row for batch in record.batches for row in batch.rows], field)
    if not values:
        raise RecordingError(f"{endpoint}: the committed full recording has no {field!r} values to resync from")
    return values[-1]


def _incremental_field(source: BaseSource, config: Any, endpoint: str) -> str | None:
    for schema in source.get_schemas(config, 1):
        if schema.name == endpoint and schema.supports_incremental and schema.incremental_fields:
            return schema.incremental_fields[0].field
    return None


def record_live(
    source_type: str,
    *,
    fixtures_root: Path,
    overrides: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
    endpoints: Sequence[str] = (),
    resync: bool = False,
    probe_errors: bool = False,
    simulator: Simulator | None = None,
) -> list[str]:
    """Record through a mitmdump of its own; `simulator` serves a simulator instead of the vendor (offline).

    Returns one line per recorded scenario. Writes are atomic: on any failure `fixtures_root/<source>` is left
    exactly as it was.
    """
    source = get_source(source_type)
    out_dir = fixtures_root / source_type
    config = live_config(source, out_dir, overrides or {}, os.environ if environ is None else environ)
    process = MitmProcess().start()
    done: list[str] = []
    try:
        with staged(out_dir) as staging:
            recorder = Recorder(
                source_type,
                config.payload,
                comment=LIVE_COMMENT.format(source=source_type),
                out_dir=staging,
                transport=ThroughMitmdump(process, live=simulator is None),
                manifest_config=config.manifest,
                shown_dir=out_dir,
                refuse_credential_urls=False,  # a credential the vendor wants in a URL is scrubbed, not refused
            )
            names = list(endpoints) or [schema.name for schema in source.get_schemas(recorder.config, 1)]
            if not resync:
                recorder.record_credentials(simulator, names)
                done.append("credentials")
            for name in names:
                done += _record_endpoint(recorder, simulator, name, resync, fixtures_root)
            if probe_errors:
                found = recorder.probe_vendor_errors(simulator)
                done += [f"vendor_errors.{status}" for status in sorted(found)]
            recorder.write_manifest()
    finally:
        process.stop()
    return done


def _record_endpoint(
    recorder: Recorder, simulator: Simulator | None, name: str, resync: bool, fixtures_root: Path
) -> list[str]:
    field = _incremental_field(recorder.source, recorder.config, name)
    if resync:
        last = committed_maximum(recorder.source.source_type, fixtures_root, name, field) if field else None
        recorder.record_sync(name, "resync", simulator, incremental_field=field, last_value=last)
        return [f"{name}/resync"]
    recorder.record_sync(name, "full", simulator, incremental_field=field)
    if field is None:
        return [f"{name}/full"]
    values = field_values(recorder.rows[(name, "full")], field)
    if not values:
        return [f"{name}/full (no {field!r} values: incremental and future need data)"]
    middle = values[len(values) // 2]
    recorder.record_sync(name, "incremental", simulator, incremental_field=field, last_value=middle)
    done = [f"{name}/full", f"{name}/incremental ({field} >= {middle})"]
    future = after(values[-1])
    if future is not None:
        recorder.record_sync(name, "future", simulator, incremental_field=field, last_value=future)
        done.append(f"{name}/future ({field} >= {future})")
    return done


__all__ = ["LiveConfig", "after", "batch_rows", "credential_variable", "live_config", "record_live"]
