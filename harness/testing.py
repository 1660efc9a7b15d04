r"""The test kit for connector tests: recorded HAR fixtures or a simulator served in-process through `responses`,
unique job ids, a fake clock, the crash model for resume tests, and corrupt saved positions.

A connector's `tests/conftest.py` binds every fixture in one line (see `connector_fixtures`):

    globals().update(connector_fixtures("klaviyo", r"https://a\.klaviyo\.com/.*", config={"api_key": "fake-..."}))

Resume state lives in the SDK's Redis (`sources.common.redis_client.get_redis_client`: `REDIS_URL`, else an
embedded redis-server started once per process); `job_id` and `make_inputs` give every test a job of its own.
"""

from __future__ import annotations

import dataclasses
import json
import re
import uuid
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
import requests
import responses

from harness.fixtures.har import HarEntry, read_har
from harness.paths import FIXTURES_ROOT
from harness.recording.recorder import Simulator, load_simulator_module
from harness.replay.matching import RequestKey, request_key
from harness.runs.sync_driver import open_response
from sources.common import clock
from sources.common.base import BaseSource
from sources.common.errors import ConfigError
from sources.common.redis_client import get_redis_client
from sources.common.registry import SourceRegistry
from sources.common.resumable import resume_key
from sources.common.typings import SourceInputs

Reply = tuple[int, dict[str, str], str]
UrlPattern = str | re.Pattern[str]
Batch = TypeVar("Batch")

# Saved positions a resumable source must refuse in one clear line: not JSON, not its state dataclass, and a
# `next_request` that is not a page request (a bare URL, or no URL).
CORRUPT_SAVED_POSITIONS = (
    "not json",
    '{"other": 1}',
    '{"next_request": "https://x"}',
    '{"next_request": {"params": {}}}',
)


def _recorded_key(entry: HarEntry) -> RequestKey:
    request = entry.request
    return request_key(request.method, request.url, request.body, request.mime_type)


def _live_key(request: requests.PreparedRequest) -> RequestKey:
    return request_key(request.method or "GET", request.url or "", request.body, request.headers.get("Content-Type"))


@dataclasses.dataclass
class HarServer:
    """Answers each request with the first unused recorded entry that matches it as the replay does
    (`harness.replay.matching`: same method and path, the same query parameters in any order, bodies compared
    by value).

    A request that matches only entries already served fails the test, unless `replay_used` is set: then it gets
    the first of them again (a resumed run asks for the page it stopped at once more). `served` lists the entry
    indexes in the order they were served.
    """

    entries: tuple[HarEntry, ...]
    replay_used: bool = False
    served: list[int] = dataclasses.field(default_factory=list)

    def respond(self, request: requests.PreparedRequest) -> Reply:
        wanted = _live_key(request)
        matching = [index for index, entry in enumerate(self.entries) if _recorded_key(entry) == wanted]
        unused = [index for index in matching if index not in self.served]
        if not unused and not (self.replay_used and matching):
            state = "already served" if matching else "not in the fixture"
            raise AssertionError(f"request {state}: {wanted.describe()}")
        index = (unused or matching)[0]
        self.served.append(index)
        response = self.entries[index].response
        return response.status, dict(response.headers), response.body

    @property
    def all_served(self) -> bool:
        """Every recorded entry was served exactly once."""
        return sorted(self.served) == list(range(len(self.entries)))

    def bodies(self) -> list[Any]:
        return [json.loads(entry.response.body) for entry in self.entries]

    def rows(self, key: str) -> list[dict[str, Any]]:
        """The rows under `key` in every recorded body, in order."""
        return [row for body in self.bodies() for row in body[key]]


def recorded_bodies(path: Path) -> list[Any]:
    """The JSON body of every response in a HAR file, in recorded order."""
    return HarServer(read_har(path).entries).bodies()


def serve_har_file(
    mock: responses.RequestsMock,
    path: Path,
    url: UrlPattern,
    *,
    methods: Sequence[str] = ("GET",),
    replay_used: bool = False,
) -> HarServer:
    """Answer requests to `url` (one callback per method) from the HAR file at `path`."""
    server = HarServer(read_har(path).entries, replay_used=replay_used)
    for method in methods:
        mock.add_callback(method, url, callback=server.respond)
    return server


def serve_simulator(
    mock: responses.RequestsMock,
    simulator: Simulator,
    url: UrlPattern,
    *,
    methods: Sequence[str] = ("GET",),
) -> None:
    """Answer requests to `url` (one callback per method) from a live vendor simulator."""

    def respond(request: requests.PreparedRequest) -> Reply:
        answer = simulator(request)
        return answer.status, dict(answer.headers), answer.text()

    for method in methods:
        mock.add_callback(method, url, callback=respond)


def config_error(source: BaseSource[Any], payload: Mapping[str, Any]) -> str:
    """The message of the `ConfigError` that `source.parse_config(payload)` raises; the test fails unless it
    raises one, on one line."""
    try:
        source.parse_config(dict(payload))
    except ConfigError as exc:
        message = str(exc)
    else:
        raise AssertionError(f"{source.source_type}: parse_config accepted {dict(payload)!r}")
    assert "\n" not in message, f"a config error spans several lines: {message!r}"
    return message


def sync_items(source: BaseSource[Any], config: Any, inputs: SourceInputs) -> Iterator[Any]:
    """The batches of one sync, as the pipeline would read them (a resumable source gets its manager)."""
    return iter(open_response(source, config, inputs).items())


def non_retryable_sync_error(source: BaseSource[Any], config: Any, inputs: SourceInputs) -> str:
    """The text of the HTTP error one sync fails with; the test fails unless the sync raises one and exactly one
    key of `source.get_non_retryable_errors()` prefixes it (the pipeline's test for "do not retry; tell the
    user"), so the caller asserts only what is its vendor's: the status, the vendor's reason, the calls made."""
    with pytest.raises(requests.HTTPError) as raised:
        for _ in sync_items(source, config, inputs):
            pass
    text = str(raised.value)
    keys = [key for key in source.get_non_retryable_errors() if text.startswith(key)]
    assert len(keys) == 1, f"{text!r} is prefixed by {len(keys)} keys of get_non_retryable_errors(): {keys}"
    return text


def query(url: str) -> dict[str, str]:
    """A URL's query parameters, one value per name (the last)."""
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def query_lists(url: str) -> dict[str, list[str]]:
    """A URL's query parameters, every value of each name."""
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def crash_while_handling(batches: Generator[Batch, None, None], batch: int) -> list[Batch]:
    """The harness's crash model: the consumer holds batches 1..batch-1 durably and dies while handling batch
    `batch`, so the source's code after that batch's yield never runs. Returns the durable batches."""
    durable = [next(batches) for _ in range(batch - 1)]
    next(batches)
    batches.close()
    return durable


def store_raw_state(inputs: SourceInputs, raw: str) -> None:
    """Put `raw` where the job's resume state lives, past the checks `save_state` would make."""
    get_redis_client().set(resume_key(inputs), raw)


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    """Intercepts every request; a test registers what answers."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def job_id() -> str:
    """A job id of its own for every test, so resume states never collide."""
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def fake_clock() -> Iterator[clock.FakeClock]:
    """Retries and rate limits wait on a fake clock: no real sleeping, and the waits are recorded."""
    fake = clock.FakeClock()
    with clock.use_clock(fake):
        yield fake


ANY_URL = re.compile(r"https?://.*")


def connector_fixtures(
    name: str,
    url: UrlPattern = ANY_URL,
    *,
    config: Mapping[str, Any] | None = None,
    methods: Sequence[str] = ("GET",),
    replay_used: bool = False,
) -> dict[str, Any]:
    """The fixtures of one connector's tests, for its `conftest.py` to bind: `globals().update(...)`.

    - `mocked`, `job_id`, `fake_clock`: as above.
    - `source`: the registered source `name`; `config`: its typed config parsed from `config` (when given).
    - `make_inputs(schema_name, **overrides)`: `SourceInputs` of the test's own job (`job_id`).
    - `serve_har(*parts)`: serves `fixtures/<name>/<parts...>.har` (e.g. `serve_har("issues", "full")` or
      `serve_har("issues/full.har")`) to requests for `url` (a regular expression; default: any address, as a
      request the fixture did not record fails the test anyway) with `methods`; a
      `HarServer`. With `replay_used`, a resumed run may ask for a page again.
    - `serve_simulator(simulator)`: answers those requests from a live simulator; `simulator_module`: the
      connector's `fixtures/<name>/simulator.py`.
    """
    import sources  # noqa: F401  (registers every source)

    fixtures_dir = FIXTURES_ROOT / name
    url = re.compile(url) if isinstance(url, str) else url

    @pytest.fixture(name="source")
    def source_fixture() -> BaseSource[Any]:
        return SourceRegistry.get_source(name)

    @pytest.fixture(name="make_inputs")
    def make_inputs_fixture(job_id: str) -> Callable[..., SourceInputs]:
        def make(schema_name: str, **overrides: Any) -> SourceInputs:
            values: dict[str, Any] = {
                "schema_name": schema_name,
                "team_id": 7,
                "job_id": job_id,
                "schema_id": f"{name}-{schema_name}",
            }
            return SourceInputs(**(values | overrides))

        return make

    @pytest.fixture(name="simulator_module", scope="session")
    def simulator_module_fixture() -> Any:
        return load_simulator_module(name)

    @pytest.fixture(name="serve_har")
    def serve_har_fixture(mocked: responses.RequestsMock) -> Callable[..., HarServer]:
        def serve(*parts: str) -> HarServer:
            relative = "/".join(part.strip("/") for part in parts if part)
            path = fixtures_dir / (relative if relative.endswith(".har") else f"{relative}.har")
            return serve_har_file(mocked, path, url, methods=methods, replay_used=replay_used)

        return serve

    @pytest.fixture(name="serve_simulator")
    def serve_simulator_fixture(mocked: responses.RequestsMock) -> Callable[[Simulator], None]:
        return lambda simulator: serve_simulator(mocked, simulator, url, methods=methods)

    bound: dict[str, Any] = {
        "mocked": mocked,
        "job_id": job_id,
        "fake_clock": fake_clock,
        "source": source_fixture,
        "make_inputs": make_inputs_fixture,
        "simulator_module": simulator_module_fixture,
        "serve_har": serve_har_fixture,
        "serve_simulator": serve_simulator_fixture,
    }
    if config is not None:
        payload = dict(config)

        @pytest.fixture(name="config")
        def config_fixture(source: BaseSource[Any]) -> Any:
            return source.parse_config(payload)

        bound["config"] = config_fixture
    return bound
