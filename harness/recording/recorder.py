"""Record HAR fixtures by running a real connector against a vendor simulator, scrubbing every secret.

A simulator is a function from the request the connector sent to the response the vendor would give
(`SimulatedResponse`). The recorder reaches it through a transport (`harness.recording.transports`: in-process
with `responses`, or through mitmdump; the live vendor goes through mitmdump too), scrubs every exchange
(`harness.recording.scrubbing`) and writes what crossed the wire as HAR 1.2, then the manifest entries
(`harness.recording.manifest_writer`). `harness.recording.cli` makes a whole recording atomic per source.

The recorder refuses to write a fixture of a simulator recording whose URL carries a credential (a live recording
scrubs it instead), a fixture in which the vendor rejected a request as malformed (400 / 422), a scenario whose
last response still offers a next page by the endpoint's pagination contract (unless the manifest declares the
scenario `truncated` with a reason), and a sync that does not end (more than MAX_REQUESTS requests, or
MAX_IDLE_BATCHES batches without a request).

Each HAR is recorded on a frozen clock (`harness.runs.frozen_time`): time stands still at the moment the
recording starts, sleeps advance it without waiting, and every entry's `startedDateTime` is the frozen time it
was sent at. Replay freezes the clock at the first entry's time again, so a request built from "now" matches.

    python -m harness record github      # runs fixtures/github/simulator.py: record_all(recorder)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.util
import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import requests

from harness.fixtures.har import HarEntry, HarRequest, HarResponse, write_har
from harness.fixtures.manifest import MANIFEST_NAME, Scenario, load_pagination
from harness.fixtures.pagination import Call, PaginationContract
from harness.fixtures.pagination_walk import unfollowed_last_offer, walk
from harness.one_line import describe
from harness.paths import FIXTURES_ROOT
from harness.recording.manifest_writer import ManifestEntries, write_manifest
from harness.recording.scrubbing import Exchange, Scrubber
from harness.recording.transports import CaptureError, ConnectorFailed, InProcessSimulator, Transport
from harness.replay.credential_places import credential_places
from harness.runs.frozen_time import frozen_clock, har_time, now_to_the_second
from harness.runs.sync_driver import get_source, job_scope, make_inputs, open_response
from sources.common.scrub import scrub_text, scrub_url, secret_header_values

DROPPED_REQUEST_HEADERS = frozenset({"user-agent", "accept-encoding", "connection", "content-length"})
# Headers that differ on every response; left out of the manifest's vendor errors.
VOLATILE = frozenset({"date", "server", "x-github-request-id", "x-request-id", "cf-ray", "etag", "age", "expires"})
RECORDER_NAME = "warehouse-conformance-recorder"
RECORDER_VERSION = "1"
MAX_REQUESTS = 1000
MAX_IDLE_BATCHES = 1000


REJECTED_STATUSES = frozenset({400, 422})


class RecordingError(RuntimeError):
    pass


class _Runaway(BaseException):
    """Ends a recording that does not end; a BaseException so that a source's `except Exception` cannot hide it."""


class CredentialInUrl(RecordingError):
    """The connector sent a credential in a URL: the recorder writes no fixture of it."""


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
    what was recorded into the folder's manifest. `shown_dir` is where the fixtures land, named in messages
    (`out_dir` may be a staging copy of it). `refuse_credential_urls=False` (live recordings) scrubs a credential
    in a URL instead of refusing the recording. `recorded_at` freezes every recording's clock at that instant
    (a simulator's "now", so that recording again writes the same bytes); else at the moment each one starts.
    """

    def __init__(
        self,
        source_type: str,
        config: dict[str, Any],
        comment: str,
        out_dir: Path | None = None,
        transport: Transport | None = None,
        manifest_config: dict[str, Any] | None = None,
        pagination: Mapping[str, PaginationContract] | None = None,
        *,
        shown_dir: Path | None = None,
        refuse_credential_urls: bool = True,
        recorded_at: dt.datetime | None = None,
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
        self.shown_dir = shown_dir or self.out_dir
        self.refuse_credential_urls = refuse_credential_urls
        self.recorded_at = recorded_at
        self.requests_sent = 0
        self.written: list[str] = []  # one line per HAR written: where, how many requests (and rows)
        # The vendor's contracts and the truncated scenarios, from the manifest beside the fixtures unless given.
        declared, self.truncated = load_pagination(self.out_dir / MANIFEST_NAME)
        self.pagination = dict(declared if pagination is None else pagination)

    def _capture(
        self,
        simulator: Simulator | None,
        work: Callable[[], Any],
        har_path: Path,
        verify: Callable[[list[HarEntry]], None] | None = None,
    ) -> Path:
        shown = self._shown(har_path)
        refusals: list[RecordingError] = []
        self.requests_sent = 0

        def guard(request: requests.PreparedRequest) -> None:
            """Before each request reaches the vendor: the request cap, then the credential-URL refusal."""
            if self.requests_sent >= MAX_REQUESTS:
                last = scrub_url(request.url or "", self.secrets)
                raise _Runaway(f"{shown}: the sync did not end: {MAX_REQUESTS} requests, the last {last}")
            self.requests_sent += 1
            refusal = self.refuse_credential_url(request, har_path) if self.refuse_credential_urls else None
            if refusal is not None:
                refusals.append(refusal)
                raise refusal

        try:
            with frozen_clock(self.recorded_at or now_to_the_second()):
                exchanges = self.transport.capture(simulator, work, guard)
        except _Runaway as exc:
            raise RecordingError(str(exc)) from None
        except (CaptureError, ConnectorFailed) as exc:
            # Raised even when the connector swallowed or wrapped them: a refusal, then a simulator failure,
            # then a request the vendor rejected, and only then the connector's own error.
            if refusals:
                raise refusals[0] from None
            if isinstance(exc, CaptureError):
                raise RecordingError(f"{shown}: {scrub_text(str(exc), self.secrets)}") from None
            self.scrubber.learn(exc.exchanges)
            self._refuse_rejected([self._entry(exchange) for exchange in exc.exchanges], shown)
            if isinstance(exc.error, RecordingError):
                raise exc.error from None
            failure = scrub_text(describe(exc.error), self.secrets)
            raise RecordingError(f"{shown}: the connector failed while recording: {failure}") from None
        if refusals:
            raise refusals[0]
        if not exchanges:
            raise RecordingError(f"{shown}: the run made no request")
        self.scrubber.learn(exchanges)
        entries = [self._entry(exchange) for exchange in exchanges]
        self._refuse_rejected(entries, shown)
        if verify is not None:
            verify(entries)
        write_har(har_path, entries, self.creator)
        self.written.append(f"{shown}: {len(entries)} request(s)")
        return har_path

    def _shown(self, har_path: Path) -> Path:
        """`har_path` where it will land (a staging copy's path is named as the fixtures folder's)."""
        try:
            return self.shown_dir / har_path.relative_to(self.out_dir)
        except ValueError:
            return har_path

    @staticmethod
    def _refuse_rejected(entries: list[HarEntry], shown: Path) -> None:
        """A request the vendor rejected as malformed (400 / 422) is a connector bug, never a fixture."""
        for entry in entries:
            if entry.response.status in REJECTED_STATUSES:
                body = " ".join(entry.response.body.split())
                raise RecordingError(
                    f"{shown}: the vendor rejected {entry.request.method} {entry.request.url} with "
                    f"{entry.response.status}: {body[:300]} (fix the request; this scenario was not written)"
                )

    def refuse_credential_url(self, request: requests.PreparedRequest, har_path: Path) -> RecordingError | None:
        """A one-line refusal naming the source, endpoint and URL (secret masked) when the URL carries a credential."""
        secrets = self.secrets | secret_header_values(dict(request.headers))
        url = request.url or ""
        places = [place for place in credential_places(url, secrets=secrets) if place.in_url]
        if not places:
            return None
        where = " ".join(har_path.relative_to(self.out_dir).with_suffix("").parts)
        return CredentialInUrl(
            f"{self.source.source_type} {where}: refusing to record {request.method} {scrub_url(url, secrets)}: "
            f"the URL carries a credential ({', '.join(place.describe() for place in places)}); send it in the "
            "header the vendor documents (e.g. Authorization), never in the URL"
        )

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
        started = har_time(exchange.started or dt.datetime.now(dt.UTC))
        return HarEntry(request=har_request, response=har_response, started=started)

    def record_sync(
        self,
        endpoint: str,
        scenario: str,
        simulator: Simulator | None,
        *,
        incremental_field: str | None = None,
        last_value: Any = None,
        earliest_value: Any = None,
        truncated: str | None = None,
    ) -> Path:
        """Run one full sync of `endpoint` against the vendor; write `<endpoint>/<scenario>.har`.

        `truncated` (or `truncated = "reason"` in the manifest) allows the last response to offer a next page."""
        har_path = self.out_dir / endpoint / f"{scenario}.har"
        reason = truncated or self.truncated.get((endpoint, scenario))
        contract = self.pagination.get(endpoint)
        spec = Scenario(scenario, endpoint, har_path, incremental_field, last_value, earliest_value)
        inputs = make_inputs(self.source, self.config, endpoint, spec, job_id=f"record-{endpoint}-{scenario}")
        rows: list[dict[str, Any]] = []

        def work() -> None:
            with job_scope(self.source, inputs):
                response = open_response(self.source, self.config, inputs)
                idle, requests_seen = 0, -1
                for item in response.items():
                    rows.extend(batch_rows(item))
                    idle = idle + 1 if self.requests_sent == requests_seen else 0
                    requests_seen = self.requests_sent
                    if idle >= MAX_IDLE_BATCHES:
                        raise _Runaway(
                            f"{self._shown(har_path)}: the sync did not end: {idle} batches yielded without a "
                            f"request after request #{requests_seen}"
                        )
            manager_factory = getattr(self.source, "get_resumable_source_manager", None)
            if manager_factory is not None:
                manager_factory(inputs).clear_state()

        def verify(entries: list[HarEntry]) -> None:
            if contract is None or reason is not None:
                return
            calls = [Call.of_entry(entry) for entry in entries]
            finding = unfollowed_last_offer(contract, calls)
            if finding is not None:
                # A keyset paginator that stops early usually stopped because it continued from the wrong row.
                cause = walk(contract, calls, truncated=True) if contract.style == "keyset" else None
                because = f"; it stopped there because {cause.text}" if cause and cause.kind == "position" else ""
                raise RecordingError(
                    f"{self._shown(har_path)}: refusing to write a scenario that ends while the vendor offers more: "
                    f'{finding.text}{because}. If that is intended, declare it in the manifest: truncated = "<why>"'
                )

        path = self._capture(simulator, work, har_path, verify)
        self.written[-1] += f", {len(rows)} row(s)"
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


def load_simulator_module(source_type: str, fixtures_root: Path | None = None) -> Any:
    path = (fixtures_root or FIXTURES_ROOT) / source_type / "simulator.py"
    if not path.is_file():
        raise RecordingError(
            f"{path}: no simulator to record {source_type!r} from; write one with "
            "`record_all(recorder_class)` (see the other sources' simulators)"
        )
    spec = importlib.util.spec_from_file_location(f"fixtures_{source_type}_simulator", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Registered before it runs: dataclasses (and pickling) look the module up in sys.modules by name.
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(spec.name, None)
        raise RecordingError(f"{path}: the simulator failed to import: {describe(exc)}") from None
    if not callable(getattr(module, "record_all", None)):
        raise RecordingError(f"{path}: defines no `record_all(recorder_class)` function")
    return module
