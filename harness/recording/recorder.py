"""Record HAR fixtures by running a real connector against a vendor simulator, scrubbing every secret.

A simulator is a function from the request the connector sent to the response the vendor would give
(`SimulatedResponse`). The recorder reaches it through a transport (`harness.recording.transports`: in-process
with `responses`, or through mitmdump; the live vendor goes through mitmdump too), scrubs every exchange
(`harness.recording.scrubbing`) and writes what crossed the wire as HAR 1.2, then the manifest entries
(`harness.recording.manifest_writer`). `harness.recording.cli` makes a whole recording atomic per source.

    python -m harness record github      # runs fixtures/github/simulator.py: record_all(recorder)
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from harness.fixtures.har import HarEntry, HarRequest, HarResponse, write_har
from harness.fixtures.manifest import Scenario
from harness.paths import FIXTURES_ROOT
from harness.recording.manifest_writer import ManifestEntries, write_manifest
from harness.recording.scrubbing import Exchange, Scrubber
from harness.recording.transports import CaptureError, InProcessSimulator, Transport
from harness.runs.sync_driver import get_source, job_scope, make_inputs, open_response

DROPPED_REQUEST_HEADERS = frozenset({"user-agent", "accept-encoding", "connection", "content-length"})
# Headers that differ on every response; left out of the manifest's vendor errors.
VOLATILE = frozenset({"date", "server", "x-github-request-id", "x-request-id", "cf-ray", "etag", "age", "expires"})
RECORDER_NAME = "warehouse-conformance-recorder"
RECORDER_VERSION = "1"


class RecordingError(RuntimeError):
    pass


@dataclasses.dataclass
class SimulatedResponse:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = dataclasses.field(default_factory=dict)

    def text(self) -> str:
        if isinstance(self.body, str):
            return self.body
        return "" if self.body is None else json.dumps(self.body, ensure_ascii=False)


Simulator = Callable[[requests.PreparedRequest], SimulatedResponse]


class Recorder:
    """Records one source's fixtures into `fixtures/<source>/` and notes each scenario for the manifest.

    `transport` decides how the connector reaches the vendor (default: the simulator, in-process); every
    exchange is scrubbed (`harness.recording.scrubbing`) before its HAR is written. `write_manifest()` merges
    what was recorded into the folder's manifest.
    """

    def __init__(
        self,
        source_type: str,
        config: dict[str, Any],
        comment: str,
        out_dir: Path | None = None,
        transport: Transport | None = None,
        manifest_config: dict[str, Any] | None = None,
    ):
        self.source = get_source(source_type)
        self.config_payload = config
        self.config = self.source.parse_config(config)
        self.out_dir = out_dir or FIXTURES_ROOT / source_type
        self.creator = {"name": RECORDER_NAME, "version": RECORDER_VERSION, "comment": comment}
        self.secrets = {str(config[key]) for key in self.source.sensitive_keys if config.get(key)}
        self.transport: Transport = transport or InProcessSimulator()
        self.scrubber = Scrubber(self.secrets)
        # The manifest gets the config the replay runs with: a live recording's placeholders, never its secrets.
        self.manifest = ManifestEntries(source_type, dict(manifest_config or config), comment)
        self.rows: dict[tuple[str, str], list[dict[str, Any]]] = {}

    def _capture(self, simulator: Simulator | None, work: Callable[[], Any], har_path: Path) -> Path:
        try:
            exchanges = self.transport.capture(simulator, work)
        except CaptureError as exc:
            raise RecordingError(f"{self._where(har_path)}: {exc}") from None
        if not exchanges:
            raise RecordingError(f"{har_path}: the run made no request")
        self.scrubber.learn(exchanges)
        entries = [self._entry(exchange) for exchange in exchanges]
        write_har(har_path, entries, self.creator)
        return har_path

    def _where(self, har_path: Path) -> str:
        try:
            return str(har_path.relative_to(self.out_dir))
        except ValueError:
            return str(har_path)

    def _entry(self, exchange: Exchange) -> HarEntry:
        scrub = self.scrubber
        har_request = HarRequest(
            method=exchange.method,
            url=scrub.url(exchange.url),
            headers=scrub.headers(
                (name, value) for name, value in exchange.request_headers if name.lower() not in DROPPED_REQUEST_HEADERS
            ),
            body=scrub.body(exchange.request_body),
            mime_type=exchange.header("Content-Type"),
        )
        response_headers = scrub.headers(exchange.response_headers)
        content_type = next(
            (value for name, value in response_headers if name.lower() == "content-type"), "application/json"
        )
        har_response = HarResponse(
            status=exchange.status,
            status_text=exchange.reason,
            headers=response_headers,
            body=scrub.body(exchange.response_body) or "",
            mime_type=content_type,
        )
        return HarEntry(request=har_request, response=har_response)

    def record_sync(
        self,
        endpoint: str,
        scenario: str,
        simulator: Simulator | None,
        *,
        incremental_field: str | None = None,
        last_value: Any = None,
        earliest_value: Any = None,
    ) -> Path:
        """Run one full sync of `endpoint` against the vendor; write `<endpoint>/<scenario>.har`."""
        har_path = self.out_dir / endpoint / f"{scenario}.har"
        spec = Scenario(scenario, endpoint, har_path, incremental_field, last_value, earliest_value)
        inputs = make_inputs(self.source, self.config, endpoint, spec, job_id=f"record-{endpoint}-{scenario}")
        rows: list[dict[str, Any]] = []

        def work() -> None:
            with job_scope(self.source, inputs):
                response = open_response(self.source, self.config, inputs)
                for item in response.items():
                    rows.extend(batch_rows(item))
            manager_factory = getattr(self.source, "get_resumable_source_manager", None)
            if manager_factory is not None:
                manager_factory(inputs).clear_state()

        path = self._capture(simulator, work, har_path)
        self.rows[(endpoint, scenario)] = rows
        self.manifest.add_scenario(
            endpoint,
            scenario,
            f"{endpoint}/{scenario}.har",
            incremental_field=incremental_field,
            last_value=last_value,
            earliest_value=earliest_value,
        )
        return path

    def record_credentials(self, simulator: Simulator | None, schema_names: list[str]) -> Path:
        """Record `validate_credentials` at create (no schema) and for each named schema."""
        har_path = self.out_dir / "credentials.har"

        def work() -> None:
            for schema_name in [None, *schema_names]:
                ok, message = self.source.validate_credentials(self.config, 1, schema_name)
                if not ok:
                    raise RecordingError(f"credential probe for {schema_name or 'create'} failed: {message}")

        path = self._capture(simulator, work, har_path)
        self.manifest.credentials_har = "credentials.har"
        return path

    def probe_vendor_errors(self, simulator: Simulator | None, schema_name: str | None = None) -> dict[int, str]:
        """Ask the vendor with a credential it must reject; keep its 401/403 answers for the manifest.

        Nothing is written but the manifest's `[vendor_errors]`; the wrong credential is a made-up value.
        """
        wrong = {key: f"invalid-{key}-for-an-error-probe" for key in self.source.sensitive_keys}
        config = self.source.parse_config({**self.config_payload, **wrong})
        self.scrubber.secrets |= set(wrong.values())
        exchanges = self.transport.capture(simulator, lambda: self.source.validate_credentials(config, 1, schema_name))
        self.scrubber.learn(exchanges)
        found: dict[int, str] = {}
        for exchange in exchanges:
            if exchange.status in (401, 403) and exchange.status not in self.manifest.vendor_errors:
                entry = self._entry(exchange)
                headers = {name: value for name, value in entry.response.headers if name.lower() not in VOLATILE}
                self.manifest.vendor_errors[exchange.status] = (entry.response.body, headers)
                found[exchange.status] = entry.response.body
        return found

    def write_manifest(self) -> Path:
        return write_manifest(self.out_dir, self.manifest)


def batch_rows(item: Any) -> list[dict[str, Any]]:
    """The rows of one yielded item (dict, list of dicts or a pyarrow table)."""
    if isinstance(item, dict):
        return [item]
    if isinstance(item, list):
        return [row for row in item if isinstance(row, dict)]
    to_pylist = getattr(item, "to_pylist", None)
    return list(to_pylist()) if to_pylist is not None else []


def load_simulator_module(source_type: str, fixtures_root: Path = FIXTURES_ROOT) -> Any:
    path = fixtures_root / source_type / "simulator.py"
    if not path.is_file():
        raise RecordingError(f"{path}: no simulator to record {source_type!r} from")
    spec = importlib.util.spec_from_file_location(f"fixtures_{source_type}_simulator", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Registered before it runs: dataclasses (and pickling) look the module up in sys.modules by name.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> int:
    from harness.recording.cli import main as record_main

    return record_main(argv)


if __name__ == "__main__":
    raise SystemExit(main())
