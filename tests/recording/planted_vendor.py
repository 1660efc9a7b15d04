"""A vendor that puts a credential everywhere a real one turns up, and a source for it (registered per test).

Every kind the recorder scrubs is planted, in requests and in responses:
- PASSWORD values: `api_token` in an `X-Api-Key` header, in the `api_key` query parameter, in `Link` next-URLs
  and echoed in a response body; `client_secret` in a token-endpoint form body;
- a token endpoint's `access_token` / `refresh_token` (the access token then rides in `Authorization`);
- `Set-Cookie` in responses and the `Cookie` requests sends back;
- a query parameter named like a secret (`signature`) the vendor adds to its next-URLs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests

from harness.recording.recorder import SimulatedResponse
from sources.common.base import IncrementalField, SimpleSource, SourceSchema
from sources.common.credentials import probe_verdict
from sources.common.fields import SourceConfig, SourceFieldInputConfig, SourceFieldInputConfigType
from sources.common.http import make_tracked_session
from sources.common.typings import SourceInputs, SourceResponse

SOURCE_TYPE = "planted"
API = "https://api.planted.test"
AUTH = "https://auth.planted.test"
API_TOKEN = "planted-api-token-7f3a9c51"
CLIENT_SECRET = "planted-client-secret-42bd77"
ACCESS_TOKEN = "planted-access-token-91ce03"
REFRESH_TOKEN = "planted-refresh-token-55aa19"
COOKIE = "planted-session-cookie-d00d42"
SIGNATURE = "planted-signature-e1e1f0"
PLANTED = (API_TOKEN, CLIENT_SECRET, ACCESS_TOKEN, REFRESH_TOKEN, COOKIE, SIGNATURE)
ENVIRONMENT = {"PLANTED_API_TOKEN": API_TOKEN, "PLANTED_CLIENT_SECRET": CLIENT_SECRET}
ROWS = [
    {"id": index, "name": f"item {index}", "updated_at": f"2024-03-{index:02d}T10:00:00Z"} for index in range(1, 12)
]
PAGE_SIZE = 4
ISO_Z = "%Y-%m-%dT%H:%M:%SZ"


@dataclasses.dataclass
class PlantedConfig:
    api_token: str
    client_secret: str
    account: str = "acct-1"


class PlantedSource(SimpleSource[PlantedConfig]):
    config_class = PlantedConfig

    @property
    def source_type(self) -> str:
        return SOURCE_TYPE

    @property
    def get_source_config(self) -> SourceConfig:
        return SourceConfig(
            name=SOURCE_TYPE,
            label="Planted",
            fields=(
                SourceFieldInputConfig("api_token", "API token", type=SourceFieldInputConfigType.PASSWORD),
                SourceFieldInputConfig("client_secret", "Client secret", type=SourceFieldInputConfigType.PASSWORD),
                SourceFieldInputConfig("account", "Account", type=SourceFieldInputConfigType.TEXT),
            ),
            releaseStatus="alpha",
        )

    def get_schemas(self, config: PlantedConfig, team_id: int, with_counts: bool = False) -> list[SourceSchema]:
        field = IncrementalField("Updated at", "datetime", "updated_at", "datetime")
        return [SourceSchema("items", supports_incremental=True, supports_append=True, incremental_fields=[field])]

    def _session(self, config: PlantedConfig) -> requests.Session:
        session = make_tracked_session(headers={"X-Api-Key": config.api_token}, secrets=[config.client_secret])
        form = {"grant_type": "client_credentials", "client_id": config.account, "client_secret": config.client_secret}
        token = session.post(f"{AUTH}/oauth/token", data=form)
        token.raise_for_status()
        session.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        return session

    def validate_credentials(
        self, config: PlantedConfig, team_id: int, schema_name: str | None = None
    ) -> tuple[bool, str | None]:
        try:
            status = self._session(config).get(f"{API}/v1/me").status_code
        except requests.HTTPError as exc:
            status = exc.response.status_code
        return probe_verdict(
            status,
            schema_name,
            rejected="Planted rejected the credentials",
            forbidden=f"The Planted token cannot read {schema_name}",
            unexpected=f"Planted answered {status}",
        )

    def get_non_retryable_errors(self) -> dict[str, str | None]:
        return {"401 Client Error": "The Planted credentials are invalid."}

    def source_for_pipeline(self, config: PlantedConfig, inputs: SourceInputs) -> SourceResponse:
        def items() -> Any:
            session = self._session(config)
            query = {"api_key": config.api_token, "limit": PAGE_SIZE}
            if inputs.db_incremental_field_last_value:
                since = inputs.db_incremental_field_last_value
                # The vendor documents ISO 8601 with a Z.
                query["updated_since"] = since.strftime(ISO_Z) if isinstance(since, dt.datetime) else str(since)
            url: str | None = f"{API}/v1/items?{urlencode(query)}"
            while url:
                response = session.get(url)
                response.raise_for_status()
                yield response.json()["data"]
                url = response.links.get("next", {}).get("url")

        return SourceResponse(name="items", items=items, primary_keys=["id"], sort_mode="asc")


class PlantedSimulator:
    def __call__(self, request: requests.PreparedRequest) -> SimulatedResponse:
        parts = urlsplit(request.url or "")
        cookie = {"Set-Cookie": f"session={COOKIE}; Path=/; HttpOnly"}
        if parts.path == "/oauth/token":
            form = dict(parse_qsl(_text(request.body)))
            if form.get("client_secret") != CLIENT_SECRET:
                return SimulatedResponse(401, {"error": "invalid_client", "message": "Client authentication failed"})
            body = {"access_token": ACCESS_TOKEN, "refresh_token": REFRESH_TOKEN, "token_type": "bearer"}
            return SimulatedResponse(200, body, {"Content-Type": "application/json", **cookie})
        if request.headers.get("Authorization") != f"Bearer {ACCESS_TOKEN}" or (
            request.headers.get("X-Api-Key") != API_TOKEN
        ):
            return SimulatedResponse(401, {"error": "unauthorized", "message": "Bad API token"})
        if parts.path == "/v1/me":
            return SimulatedResponse(
                200, {"account": "acct-1", "echo": API_TOKEN}, {"Content-Type": "application/json"}
            )
        query = dict(parse_qsl(parts.query))
        if query.get("api_key") != API_TOKEN:
            return SimulatedResponse(401, {"error": "unauthorized", "message": "Bad API key parameter"})
        rows = [row for row in ROWS if row["updated_at"] >= query.get("updated_since", "")]
        offset = int(query.get("offset", 0))
        page = rows[offset : offset + PAGE_SIZE]
        headers = {"Content-Type": "application/json", **cookie}
        if offset + PAGE_SIZE < len(rows):
            following = {**query, "offset": str(offset + PAGE_SIZE), "signature": SIGNATURE}
            headers["Link"] = f'<{API}/v1/items?{urlencode(following)}>; rel="next"'
        body = {"data": page, "echo": {"key_seen": API_TOKEN, "cookie_seen": request.headers.get("Cookie")}}
        return SimulatedResponse(200, body, headers)


def _text(body: Any) -> str:
    return body.decode() if isinstance(body, bytes) else str(body or "")


def read_everything(directory: Any) -> str:
    return "\n".join(path.read_text() for path in sorted(directory.rglob("*")) if path.is_file())


__all__ = ["PLANTED", "PlantedSimulator", "PlantedSource", "json"]
