"""The scenario manifest of a source's fixtures: `fixtures/<source>/manifest.toml`.

    source = "github"                      # the registered source type
    [config]                               # the payload `parse_config` gets; fake credentials only
    personal_access_token = "fake-token-for-fixtures"
    [credentials]                          # validate_credentials probes (schema_name=None and per schema)
    har = "credentials.har"
    [endpoints.issues]
    lookback_seconds = 0                   # rows this much older than the watermark are fine
    [endpoints.issues.scenarios.full]      # sync from nothing
    har = "issues/full.har"
    incremental_field = "updated_at"       # omitted for full-refresh endpoints
    [endpoints.issues.scenarios.incremental]
    har = "issues/incremental.har"
    incremental_field = "updated_at"
    last_value = "2024-03-01T00:00:00Z"    # a watermark in the middle of the data
    [endpoints.issues.bypass]              # a check may be bypassed only with a written reason
    "progress.safe_point" = "why this endpoint cannot yield more often"
    [vendor_errors.401]                    # optional: the vendor's own error response, used when the
    body = '{"message": "Bad credentials"}'  # harness injects 401/403 faults (default: a generic JSON body)
    headers = { "Content-Type" = "application/json" }

Scenario names: `full`, `incremental` (watermark mid-data), `future` (watermark after all data), `resync`
(a later sync where some rows changed) and, for desc sources, `earliest` (`earliest_value` set too).
"""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path
from typing import Any

MANIFEST_NAME = "manifest.toml"
SCENARIO_NAMES = ("full", "incremental", "future", "resync", "earliest")


class ManifestError(ValueError):
    """A manifest is missing, unreadable or inconsistent; the message names the file and the key."""


@dataclasses.dataclass(frozen=True)
class Scenario:
    name: str
    endpoint: str
    har: Path
    incremental_field: str | None = None
    last_value: Any = None
    earliest_value: Any = None

    @property
    def is_incremental(self) -> bool:
        return self.incremental_field is not None


@dataclasses.dataclass(frozen=True)
class EndpointFixtures:
    name: str
    scenarios: dict[str, Scenario]
    bypass: dict[str, str]
    lookback_seconds: float = 0.0


@dataclasses.dataclass(frozen=True)
class VendorError:
    """The vendor's response for an error status, as the harness injects it (401 / 403 faults)."""

    status: int
    body: str
    headers: tuple[tuple[str, str], ...] = ()


@dataclasses.dataclass(frozen=True)
class Manifest:
    source_type: str
    path: Path
    config: dict[str, Any]
    credentials_har: Path | None
    endpoints: dict[str, EndpointFixtures]
    vendor_errors: dict[int, VendorError] = dataclasses.field(default_factory=dict)

    @property
    def directory(self) -> Path:
        return self.path.parent


def _scenario(where: str, directory: Path, endpoint: str, name: str, raw: Any) -> Scenario:
    if name not in SCENARIO_NAMES:
        raise ManifestError(f"{where}: unknown scenario {name!r}; known: {', '.join(SCENARIO_NAMES)}")
    if not isinstance(raw, dict) or "har" not in raw:
        raise ManifestError(f"{where}: scenario {name!r} needs a `har` file")
    har = directory / raw["har"]
    if not har.is_file():
        raise ManifestError(f"{where}: scenario {name!r} names {raw['har']!r}, which does not exist")
    unknown = set(raw) - {"har", "incremental_field", "last_value", "earliest_value"}
    if unknown:
        raise ManifestError(f"{where}: scenario {name!r} has unknown key(s) {', '.join(sorted(unknown))}")
    return Scenario(
        name=name,
        endpoint=endpoint,
        har=har,
        incremental_field=raw.get("incremental_field"),
        last_value=raw.get("last_value"),
        earliest_value=raw.get("earliest_value"),
    )


def _endpoint(path: Path, name: str, raw: Any) -> EndpointFixtures:
    where = f"{path} [endpoints.{name}]"
    if not isinstance(raw, dict):
        raise ManifestError(f"{where}: expected a table")
    scenarios_raw = raw.get("scenarios") or {}
    scenarios = {
        scenario: _scenario(where, path.parent, name, scenario, body) for scenario, body in scenarios_raw.items()
    }
    if "full" not in scenarios:
        raise ManifestError(f"{where}: every endpoint needs a `full` scenario")
    bypass = raw.get("bypass") or {}
    for check_id, reason in bypass.items():
        if not isinstance(reason, str) or len(reason.strip()) < 10:
            raise ManifestError(f"{where}: bypass of {check_id!r} needs a written reason")
    return EndpointFixtures(
        name=name,
        scenarios=scenarios,
        bypass=dict(bypass),
        lookback_seconds=float(raw.get("lookback_seconds", 0)),
    )


def _vendor_errors(path: Path, raw: Any) -> dict[int, VendorError]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ManifestError(f"{path}: [vendor_errors] must be a table of status codes")
    errors = {}
    for status, body in raw.items():
        where = f"{path} [vendor_errors.{status}]"
        if not str(status).isdigit() or not 400 <= int(status) <= 599:
            raise ManifestError(f"{where}: the key must be an HTTP error status such as 401")
        if not isinstance(body, dict) or not isinstance(body.get("body"), str):
            raise ManifestError(f"{where}: needs `body` (the response text)")
        headers = body.get("headers") or {}
        if not isinstance(headers, dict):
            raise ManifestError(f"{where}: `headers` must be a table")
        errors[int(status)] = VendorError(
            int(status), body["body"], tuple((str(k), str(v)) for k, v in headers.items())
        )
    return errors


def load_manifest(directory: Path) -> Manifest:
    path = directory / MANIFEST_NAME
    try:
        raw = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ManifestError(f"{path}: no fixture manifest") from None
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{path}: invalid TOML ({exc})") from None
    source_type = raw.get("source")
    if not isinstance(source_type, str):
        raise ManifestError(f"{path}: `source` (the registered source type) is required")
    credentials = raw.get("credentials") or {}
    credentials_har = path.parent / credentials["har"] if "har" in credentials else None
    if credentials_har is not None and not credentials_har.is_file():
        raise ManifestError(f"{path}: [credentials] har {credentials['har']!r} does not exist")
    endpoints = {name: _endpoint(path, name, body) for name, body in (raw.get("endpoints") or {}).items()}
    if not endpoints:
        raise ManifestError(f"{path}: no [endpoints.<name>] tables")
    return Manifest(
        source_type=source_type,
        path=path,
        config=dict(raw.get("config") or {}),
        credentials_har=credentials_har,
        endpoints=endpoints,
        vendor_errors=_vendor_errors(path, raw.get("vendor_errors")),
    )
