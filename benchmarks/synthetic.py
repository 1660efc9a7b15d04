"""Synthetic sources for the benchmarks, generated into a temporary copy of the repository (never committed).

`make_copy(root, count)` copies the repository's code (not `.venv`, `.git`, `out/`) to `root` and adds `count`
one-endpoint sources `synth_000`, `synth_001`, ...: a resumable, incremental `items` endpoint of a simulated
"Widgets API" (`GET /v1/items`: `limit`, `updated_since`, `starting_after`; `{"data": [...], "has_more": bool}`),
100 rows in 5 pages of 20. Each gets a connector under `sources/`, a simulator, a manifest and HAR fixtures under
`fixtures/` (recorded once through the first connector with `python -m harness record`, then copied).
Commands run in the copy with `python -m ...` so its `sources` and `harness` shadow the installed ones.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
COPIED = ("pyproject.toml", "uv.lock", "README.md", "SOURCES.md", ".semgrepignore", "sources", "harness", "rules")
ROWS, PAGE_SIZE = 100, 20

CONNECTOR = '''"""A synthetic one-endpoint source for the benchmarks: the simulated Widgets API."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from typing import Any

import requests

from sources.common.base import IncrementalField, ResumableSource, SourceSchema
from sources.common.fields import SourceConfig, SourceFieldInputConfig, SourceFieldInputConfigType
from sources.common.http import make_tracked_session
from sources.common.registry import SourceRegistry
from sources.common.rest_source import JSONResponseCursorPaginator, PageRequest, RESTClient
from sources.common.resumable import ResumableSourceManager
from sources.common.retry import NO_RETRY
from sources.common.typings import SourceInputs, SourceResponse

BASE_URL = "https://api.widgets.test/v1"


@dataclasses.dataclass
class Config:
    api_token: str
    page_size: int = 20


@dataclasses.dataclass
class Resume:
    request: dict[str, Any]


def instant(value: Any) -> str:
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@SourceRegistry.register
class __CLASS__(ResumableSource[Config, Resume]):
    config_class = Config

    @property
    def source_type(self) -> str:
        return "__NAME__"

    @property
    def get_source_config(self) -> SourceConfig:
        return SourceConfig(
            name="__NAME__",
            label="Widgets __NAME__",
            fields=(
                SourceFieldInputConfig("api_token", "API token", type=SourceFieldInputConfigType.PASSWORD),
                SourceFieldInputConfig("page_size", "Page size", type=SourceFieldInputConfigType.NUMBER),
            ),
            releaseStatus="alpha",
        )

    def get_schemas(self, config: Config, team_id: int, with_counts: bool = False) -> list[SourceSchema]:
        field = IncrementalField(label="Updated at", type="datetime", field="updated_at", field_type="datetime")
        return [SourceSchema("items", supports_incremental=True, supports_append=True, incremental_fields=[field])]

    def session(self, config: Config, retry: Any = None) -> requests.Session:
        kwargs = {} if retry is None else {"retry": retry}
        return make_tracked_session(headers={"Authorization": f"Bearer {config.api_token}"}, **kwargs)

    def validate_credentials(
        self, config: Config, team_id: int, schema_name: str | None = None
    ) -> tuple[bool, str | None]:
        try:
            response = self.session(config, NO_RETRY).get(f"{BASE_URL}/items?limit=1")
        except requests.RequestException as exc:
            return False, f"Could not reach Widgets: {exc}"
        if response.status_code == 200:
            return True, None
        if response.status_code == 401:
            return False, "Invalid Widgets API token"
        if response.status_code == 403:
            return (True, None) if schema_name is None else (False, f"The token cannot read {schema_name}")
        return False, f"Widgets answered HTTP {response.status_code}"

    def get_non_retryable_errors(self) -> dict[str, str | None]:
        return {
            "401 Client Error: Unauthorized": "The Widgets API token is invalid; create a new one.",
            "403 Client Error: Forbidden": "The Widgets API token lacks a scope.",
        }

    def get_resumable_source_manager(self, inputs: SourceInputs) -> ResumableSourceManager[Resume]:
        return ResumableSourceManager[Resume](inputs, Resume)

    def source_for_pipeline(
        self, config: Config, resumable_source_manager: ResumableSourceManager[Resume], inputs: SourceInputs
    ) -> SourceResponse:
        return SourceResponse(
            name="items",
            items=lambda: self.items(config, resumable_source_manager, inputs),
            primary_keys=["id"],
            partition_keys=["created_at"],
            partition_mode="datetime",
            partition_format="month",
            sort_mode="asc",
        )

    def items(self, config: Config, manager: ResumableSourceManager[Resume], inputs: SourceInputs) -> Iterator[Any]:
        params: dict[str, Any] = {"limit": config.page_size}
        last = inputs.db_incremental_field_last_value
        if inputs.should_use_incremental_field and last is not None:
            params["updated_since"] = instant(last)
        state = manager.load_state() if manager.can_resume() else None
        paginator = JSONResponseCursorPaginator(
            cursor_path=None, cursor_param="starting_after", has_more_path="has_more", cursor_from_last_item="id"
        )
        client = RESTClient(BASE_URL, session=self.session(config))
        for page in client.paginate(
            "/items",
            params=params,
            paginator=paginator,
            data_selector="data",
            resume_from=PageRequest.from_state(state.request) if state is not None else None,
            resource="items",
        ):
            yield page.items
            if page.next_request is not None:
                manager.save_state(Resume(page.next_request.to_state()))
'''

SIMULATOR = '''"""The Widgets API, simulated: `GET /v1/items` with `limit`, `updated_since`, `starting_after`.

Rows ascend by `updated_at`; the body is `{"data": [...], "has_more": bool}`; a wrong token is a 401.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qsl, urlsplit

from harness.recording.recorder import SimulatedResponse

TOKEN = "fake-widgets-token-0001"
CONFIG = {"api_token": TOKEN, "page_size": __PAGE_SIZE__}
START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
HEADERS = {"Content-Type": "application/json", "X-RateLimit-Remaining": "99"}


def iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def dataset(later: bool = False) -> list[dict]:
    rows = []
    for number in range(1, __ROWS__ + 1):
        created = START + dt.timedelta(hours=7 * number)
        updated = created + dt.timedelta(hours=3)
        changed = later and number % 10 == 0
        if changed:
            updated = START + dt.timedelta(days=400, hours=number)
        rows.append(
            {
                "id": f"wid_{number:05d}",
                "name": f"widget {number}" + (" (edited)" if changed else ""),
                "price": number * 1.5,
                "tags": ["a", "b"][: number % 3],
                "created_at": iso(created),
                "updated_at": iso(updated),
            }
        )
    return sorted(rows, key=lambda row: (row["updated_at"], row["id"]))


def simulator(rows: list[dict]):
    def respond(request) -> SimulatedResponse:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return SimulatedResponse(401, {"error": {"message": "Invalid API token"}}, dict(HEADERS))
        params = dict(parse_qsl(urlsplit(request.url or "").query))
        selected = rows
        if "updated_since" in params:
            selected = [row for row in selected if row["updated_at"] >= params["updated_since"]]
        if "starting_after" in params:
            ids = [row["id"] for row in selected]
            selected = selected[ids.index(params["starting_after"]) + 1 :]
        limit = int(params.get("limit", 10))
        return SimulatedResponse(200, {"data": selected[:limit], "has_more": len(selected) > limit}, dict(HEADERS))

    return respond


def record_all(recorder_class) -> None:
    recorder = recorder_class("__NAME__", CONFIG, comment="simulated Widgets API (synthetic benchmark source)")
    now, later = dataset(), dataset(later=True)
    newest = max(row["updated_at"] for row in now)
    middle = now[len(now) // 2]["updated_at"]
    field = "updated_at"
    recorder.record_sync("items", "full", simulator(now), incremental_field=field)
    recorder.record_sync("items", "incremental", simulator(now), incremental_field=field, last_value=middle)
    recorder.record_sync("items", "future", simulator(now), incremental_field=field, last_value="2030-01-01T00:00:00Z")
    recorder.record_sync("items", "resync", simulator(later), incremental_field=field, last_value=newest)
    recorder.record_credentials(simulator(now), ["items"])
'''

MANIFEST = """source = "__NAME__"

[config]
api_token = "fake-widgets-token-0001"
page_size = __PAGE_SIZE__

[credentials]
har = "credentials.har"

[endpoints.items.pagination]
style = "starting-after"

[endpoints.items.watermark]
encoding = "iso8601-z"
doc = "https://api.widgets.test/docs#items (synthetic: updated_since takes ISO 8601 UTC with Z)"

[endpoints.items.scenarios.full]
har = "items/full.har"
incremental_field = "updated_at"

[endpoints.items.scenarios.incremental]
har = "items/incremental.har"
incremental_field = "updated_at"
last_value = "__MIDDLE__"

[endpoints.items.scenarios.future]
har = "items/future.har"
incremental_field = "updated_at"
last_value = "2030-01-01T00:00:00Z"

[endpoints.items.scenarios.resync]
har = "items/resync.har"
incremental_field = "updated_at"
last_value = "__NEWEST__"
"""


def source_name(index: int) -> str:
    return f"synth_{index:03d}"


def _fill(template: str, name: str) -> str:
    values = {"__NAME__": name, "__CLASS__": f"Synth{name[-3:]}Source", "__ROWS__": str(ROWS)}
    values["__PAGE_SIZE__"] = str(PAGE_SIZE)
    # The middle and newest `updated_at` of the dataset the simulator generates (rows 7 h apart, updated 3 h on).
    values["__MIDDLE__"], values["__NEWEST__"] = _watermarks()
    return re.sub("|".join(values), lambda match: values[match.group(0)], template)


def _watermarks() -> tuple[str, str]:
    import datetime as dt

    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    updated = [start + dt.timedelta(hours=7 * n + 3) for n in range(1, ROWS + 1)]
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    return updated[len(updated) // 2].strftime(fmt), updated[-1].strftime(fmt)


def _add_source(root: Path, name: str) -> None:
    package = root / "sources" / name
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('"""A synthetic benchmark source."""\n')
    (package / "source.py").write_text(_fill(CONNECTOR, name))
    fixtures = root / "fixtures" / name
    fixtures.mkdir(parents=True)
    (fixtures / "simulator.py").write_text(_fill(SIMULATOR, name))
    (fixtures / "manifest.toml").write_text(_fill(MANIFEST, name))
    with (root / "sources" / "__init__.py").open("a") as init:
        init.write(f"from sources.{name}.source import Synth{name[-3:]}Source  # noqa: E402, F401\n")


def make_copy(root: Path, count: int, keep_real_sources: bool = True) -> list[str]:
    """A copy of the repository at `root` with `count` synthetic sources; returns their names."""
    # Bytecode is copied along (copy2 keeps the sources' times, so it stays valid): the copy is set up as `./dev`
    # sets up a checkout.
    ignore = shutil.ignore_patterns("tests")
    for name in COPIED:
        source = REPO_ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=ignore)
        elif source.exists():
            shutil.copy2(source, root / name)
    shutil.copytree(REPO_ROOT / "fixtures", root / "fixtures", ignore=ignore)
    if not keep_real_sources:
        _keep_only_common(root)
    names = [source_name(index) for index in range(count)]
    if not names:
        return names
    _add_source(root, names[0])
    subprocess.run(
        [sys.executable, "-m", "harness", "record", names[0]], cwd=root, check=True, capture_output=True, text=True
    )
    first = root / "fixtures" / names[0]
    for name in names[1:]:
        _add_source(root, name)
        for path in first.rglob("*.har"):
            target = root / "fixtures" / name / path.relative_to(first)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    return names


def _keep_only_common(root: Path) -> None:
    """Drop the real connectors (and their fixtures) so that only synthetic sources are registered."""
    for folder in (root / "sources").iterdir():
        if folder.is_dir() and folder.name not in ("common", "__pycache__"):
            shutil.rmtree(folder)
    for folder in (root / "fixtures").iterdir():
        if folder.is_dir():
            shutil.rmtree(folder)
    (root / "sources" / "__init__.py").write_text(
        '"""Synthetic sources only."""\n\nfrom sources.common.registry import SourceRegistry  # noqa: F401\n'
    )
