"""Record HAR fixtures by running a real connector against a vendor simulator, scrubbing every secret.

A simulator is a function from the request the connector sent to the response the vendor would give
(`SimulatedResponse`). The recorder intercepts the connector's HTTP in-process (`responses`), asks the
simulator, and writes what crossed the wire as HAR 1.2 with credentials redacted. It refuses to write a
fixture in which a fake credential would appear in a response, a scenario whose last response still offers a next
page by the endpoint's pagination contract (unless the manifest declares the scenario `truncated` with a reason),
and a sync that does not end (more than MAX_REQUESTS requests, or MAX_IDLE_BATCHES batches without a request).

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
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import requests
import responses

from harness.fixtures.har import HarEntry, HarRequest, HarResponse, write_har
from harness.fixtures.manifest import MANIFEST_NAME, Scenario, load_pagination
from harness.fixtures.pagination import Call, PaginationContract
from harness.fixtures.pagination_walk import unfollowed_last_offer
from harness.one_line import describe
from harness.paths import FIXTURES_ROOT
from harness.replay.credential_places import credential_places
from harness.runs.frozen_time import frozen_clock, har_time, now_to_the_second
from harness.runs.sync_driver import get_source, job_scope, make_inputs, open_response
from sources.common.scrub import REDACTED, SENSITIVE_HEADERS, scrub_text, scrub_url, secret_header_values

DROPPED_REQUEST_HEADERS = frozenset({"user-agent", "accept-encoding", "connection", "content-length"})
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

STATUS_TEXT = {200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request", 401: "Unauthorized"}
STATUS_TEXT |= {403: "Forbidden", 404: "Not Found", 429: "Too Many Requests", 500: "Internal Server Error"}


def _request_body(request: requests.PreparedRequest) -> str | None:
    body = request.body
    if body is None:
        return None
    return body.decode() if isinstance(body, bytes) else str(body)


class Recorder:
    """Records one source's fixtures into `fixtures/<source>/`."""

    def __init__(
        self,
        source_type: str,
        config: dict[str, Any],
        comment: str,
        out_dir: Path | None = None,
        pagination: Mapping[str, PaginationContract] | None = None,
    ):
        self.source = get_source(source_type)
        self.config_payload = config
        self.config = self.source.parse_config(config)
        self.out_dir = out_dir or FIXTURES_ROOT / source_type
        self.creator = {"name": RECORDER_NAME, "version": RECORDER_VERSION, "comment": comment}
        self.secrets = {str(config[key]) for key in self.source.sensitive_keys if config.get(key)}
        # The vendor's contracts and the truncated scenarios, from the manifest beside the fixtures unless given.
        declared, self.truncated = load_pagination(self.out_dir / MANIFEST_NAME)
        self.pagination = dict(declared if pagination is None else pagination)

    def _capture(
        self,
        simulator: Simulator,
        work: Callable[[], Any],
        har_path: Path,
        verify: Callable[[list[HarEntry]], None] | None = None,
    ) -> Path:
        entries: list[HarEntry] = []
        self._live_entries = entries
        refusals: list[RecordingError] = []
        simulator_failures: list[RecordingError] = []

        def respond(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
            if len(entries) >= MAX_REQUESTS:
                raise _Runaway(f"{har_path}: the sync did not end: {MAX_REQUESTS} requests, the last {request.url}")
            refusal = self.refuse_credential_url(request, har_path)
            if refusal is not None:
                refusals.append(refusal)
                raise refusal
            try:
                simulated = simulator(request)
            except Exception as exc:
                url = scrub_text(request.url or "", self.secrets)
                answering = f"answering {request.method} {url}"
                failure = RecordingError(f"{har_path}: the simulator raised {describe(exc)} {answering}")
                simulator_failures.append(failure)  # reported even if the connector catches or wraps it
                raise failure from exc
            entries.append(self._entry(request, simulated))
            return simulated.status, dict(simulated.headers), simulated.text()

        with (
            frozen_clock(now_to_the_second()),
            responses.RequestsMock(assert_all_requests_are_fired=False) as mock,
        ):
            for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
                mock.add_callback(method, re.compile(r"https?://.*"), callback=respond)
            try:
                work()
            except _Runaway as exc:
                raise RecordingError(str(exc)) from None
            except Exception as exc:
                # Raised even when the connector swallowed or wrapped them: a refusal, then a simulator failure,
                # then a request the vendor rejected, and only then the connector's own error.
                for failures in (refusals, simulator_failures):
                    if failures:
                        raise failures[0] from None
                self._refuse_rejected(entries, har_path)
                if isinstance(exc, RecordingError):
                    raise
                raise RecordingError(f"{har_path}: the connector failed while recording: {describe(exc)}") from None
        for failures in (refusals, simulator_failures):
            if failures:
                raise failures[0]
        self._refuse_rejected(entries, har_path)
        if not entries:
            raise RecordingError(f"{har_path}: the run made no request")
        if verify is not None:
            verify(entries)
        write_har(har_path, entries, self.creator)
        return har_path

    @staticmethod
    def _refuse_rejected(entries: list[HarEntry], har_path: Path) -> None:
        """A request the vendor rejected as malformed (400 / 422) is a connector bug, never a fixture."""
        for entry in entries:
            if entry.response.status in REJECTED_STATUSES:
                body = " ".join(entry.response.body.split())
                raise RecordingError(
                    f"{har_path}: the vendor rejected {entry.request.method} {entry.request.url} with "
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

    def _entry(self, request: requests.PreparedRequest, simulated: SimulatedResponse) -> HarEntry:
        secrets = self.secrets | secret_header_values(dict(request.headers))
        text = simulated.text()
        leaked = sorted(secret for secret in secrets if len(secret) >= 4 and secret in text)
        if leaked:
            raise RecordingError(f"simulated response to {request.method} {request.url} contains a credential")
        headers = tuple(
            (name, REDACTED if name.lower() in SENSITIVE_HEADERS else value)
            for name, value in request.headers.items()
            if name.lower() not in DROPPED_REQUEST_HEADERS
        )
        body = _request_body(request)
        har_request = HarRequest(
            method=request.method or "GET",
            url=scrub_text(request.url or "", secrets),
            headers=headers,
            body=scrub_text(body, secrets) if body is not None else None,
            mime_type=request.headers.get("Content-Type"),
        )
        content_type = simulated.headers.get("Content-Type", "application/json")
        har_response = HarResponse(
            status=simulated.status,
            status_text=STATUS_TEXT.get(simulated.status, ""),
            headers=tuple(simulated.headers.items()),
            body=text,
            mime_type=content_type,
        )
        return HarEntry(request=har_request, response=har_response, started=har_time(dt.datetime.now(dt.UTC)))

    def record_sync(
        self,
        endpoint: str,
        scenario: str,
        simulator: Simulator,
        *,
        incremental_field: str | None = None,
        last_value: Any = None,
        earliest_value: Any = None,
        truncated: str | None = None,
    ) -> Path:
        """Run one full sync of `endpoint` against the simulator; write `<endpoint>/<scenario>.har`.

        `truncated` (or `truncated = "reason"` in the manifest) allows the last response to offer a next page."""
        har_path = self.out_dir / endpoint / f"{scenario}.har"
        spec = Scenario(scenario, endpoint, har_path, incremental_field, last_value, earliest_value)
        inputs = make_inputs(self.source, self.config, endpoint, spec, job_id=f"record-{endpoint}-{scenario}")
        reason = truncated or self.truncated.get((endpoint, scenario))
        contract = self.pagination.get(endpoint)

        def work() -> None:
            with job_scope(self.source, inputs):
                response = open_response(self.source, self.config, inputs)
                idle, requests_seen = 0, -1
                for _ in response.items():
                    idle = idle + 1 if len(self._live_entries) == requests_seen else 0
                    requests_seen = len(self._live_entries)
                    if idle >= MAX_IDLE_BATCHES:
                        raise _Runaway(
                            f"{har_path}: the sync did not end: {idle} batches yielded without a request after "
                            f"request #{requests_seen}"
                        )
            manager_factory = getattr(self.source, "get_resumable_source_manager", None)
            if manager_factory is not None:
                manager_factory(inputs).clear_state()

        def verify(entries: list[HarEntry]) -> None:
            if contract is None or reason is not None:
                return
            finding = unfollowed_last_offer(contract, [Call.of_entry(entry) for entry in entries])
            if finding is not None:
                raise RecordingError(
                    f"{har_path}: refusing to write a scenario that ends while the vendor offers more: {finding.text}. "
                    f'If that is intended, declare it in the manifest: truncated = "<why>"'
                )

        return self._capture(simulator, work, har_path, verify)

    def record_credentials(self, simulator: Simulator, schema_names: list[str]) -> Path:
        """Record `validate_credentials` at create (no schema) and for each named schema."""
        har_path = self.out_dir / "credentials.har"

        def work() -> None:
            for schema_name in [None, *schema_names]:
                ok, message = self.source.validate_credentials(self.config, 1, schema_name)
                if not ok:
                    raise RecordingError(f"credential probe for {schema_name or 'create'} failed: {message}")

        return self._capture(simulator, work, har_path)


def load_simulator_module(source_type: str) -> Any:
    path = FIXTURES_ROOT / source_type / "simulator.py"
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


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m harness record SOURCE", file=sys.stderr)
        return 2
    from harness.one_line import SourcesImportError, import_sources
    from sources.common.registry import SourceRegistry

    source_type = args[0]
    try:
        import_sources()  # registers every connector
        registered = SourceRegistry.source_types()
        if source_type not in registered:
            raise RecordingError(
                f"{source_type!r} is not a registered source type; registered: {', '.join(registered) or 'none'}"
            )
        load_simulator_module(source_type).record_all(Recorder)
    except (RecordingError, SourcesImportError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # the simulator's own code, or a connector error outside a recorded run
        print(f"error: recording {source_type!r} failed: {describe(exc)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
