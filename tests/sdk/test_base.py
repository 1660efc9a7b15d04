"""The base classes: a resumable pull source with webhooks by multiple inheritance, and manual webhook setup."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sources.common import events
from sources.common.base import ResumableSource, SimpleSource, WebhookSource
from sources.common.errors import ConfigError
from sources.common.fields import SourceConfig, SourceFieldInputConfig, SourceFieldInputConfigType
from sources.common.resumable import StateSaved
from sources.common.typings import SourceInputs
from tests.sdk.sample_sources import PageState, PagesWithWebhooksSource, PlainSource, TokenConfig, rows_for

CONFIG = TokenConfig(api_token="fake-pages-token-0001")
HOOK_URL = "https://hooks.warehouse.test/in/1"


def inputs(job_id: str = "job-1", webhook_dir: Path | None = None) -> SourceInputs:
    return SourceInputs(schema_name="things", team_id=7, job_id=job_id, webhook_dir=webhook_dir)


def run(source: PagesWithWebhooksSource, job: SourceInputs, stop_after: int | None = None) -> list[Any]:
    manager = source.get_resumable_source_manager(job)
    batches = []
    for batch in source.source_for_pipeline(CONFIG, manager, job).items():
        batches.append(batch)
        if stop_after is not None and len(batches) == stop_after:
            break  # the process dies while handling this batch: code after the source's yield never runs
    return batches


def test_a_resumable_webhook_source_is_both_kinds() -> None:
    source = PagesWithWebhooksSource()

    assert isinstance(source, ResumableSource) and isinstance(source, WebhookSource)
    assert source.source_type == "PagesWithWebhooks"
    assert source.parse_config({"api_token": " fake-pages-token-0001 "}) == CONFIG
    assert source.sensitive_keys == {"api_token"}
    assert [field.name for field in source.fields] == ["api_token"]
    assert source.get_non_retryable_errors() == {}


def test_parse_config_errors_name_the_source() -> None:
    with pytest.raises(ConfigError, match=r"^PagesWithWebhooks config: field 'api_token' \(API token\) is required$"):
        PagesWithWebhooksSource().parse_config({})


def test_the_pull_side_saves_after_each_batch_and_resumes_where_it_stopped() -> None:
    source = PagesWithWebhooksSource()
    saved: list[StateSaved] = []

    with events.observing(lambda event: saved.append(event) if isinstance(event, StateSaved) else None):
        first_run = run(source, inputs(), stop_after=2)
    resumed = run(source, inputs())

    assert first_run == [rows_for(1), rows_for(2)]
    assert [event.state for event in saved] == [{"next_page": 2}]  # batch 2 was lost with the process
    assert resumed == [rows_for(2), rows_for(3)]
    assert source.get_resumable_source_manager(inputs()).load_state() == PageState(next_page=4)


def test_another_job_starts_from_the_first_page() -> None:
    source = PagesWithWebhooksSource()
    run(source, inputs(), stop_after=2)

    assert run(source, inputs(job_id="job-2")) == [rows_for(1), rows_for(2), rows_for(3)]


def test_the_webhook_side_reads_this_jobs_folder(tmp_path: Path) -> None:
    folder = tmp_path / "7" / "schema-0"
    folder.mkdir(parents=True)
    pq.write_table(pa.table({"id": [41, 42]}), folder / "0001.parquet")

    manager = PagesWithWebhooksSource().get_webhook_source_manager(inputs(webhook_dir=tmp_path))

    assert [table.column("id").to_pylist() for table in manager.iter_tables()] == [[41, 42]]


def test_without_a_webhook_api_every_webhook_call_fails_with_the_setup_caption() -> None:
    source = PagesWithWebhooksSource()
    caption = "Add the webhook by hand under Settings > Webhooks."

    created = source.create_webhook(CONFIG, HOOK_URL, team_id=7)
    deleted = source.delete_webhook(CONFIG, HOOK_URL, team_id=7)
    info = source.get_external_webhook_info(CONFIG, HOOK_URL, team_id=7)

    assert (created.success, created.error, created.external_id, created.signing_secret) == (False, caption, None, None)
    assert (deleted.success, deleted.error) == (False, caption)
    assert (info.exists, info.error) == (False, caption)


def test_without_a_caption_the_failure_still_says_what_to_do() -> None:
    class Uncaptioned(PagesWithWebhooksSource):
        @property
        def get_source_config(self) -> SourceConfig:
            return dataclasses.replace(super().get_source_config, webhookSetupCaption=None)

    result = Uncaptioned().create_webhook(CONFIG, HOOK_URL, team_id=7)

    assert result.success is False
    assert result.error == "PagesWithWebhooks has no API to manage webhooks; set the webhook up by hand."


def test_a_simple_source_hands_over_its_rows() -> None:
    source = PlainSource()
    response = source.source_for_pipeline(CONFIG, inputs())

    assert isinstance(source, SimpleSource)
    assert (response.name, response.primary_keys, response.sort_mode) == ("things", ["id"], "asc")
    assert list(response.items()) == [rows_for(1)]


def test_a_source_without_config_class_gets_a_clear_error() -> None:
    class Classless(PlainSource):
        config_class = None  # type: ignore[assignment]

    with pytest.raises(TypeError, match="Classless must set config_class to the dataclass its fields parse into"):
        Classless().parse_config({"api_token": "x"})


def test_password_webhook_fields_are_sensitive_keys_of_their_own() -> None:
    class SignedWebhooks(PagesWithWebhooksSource):
        @property
        def get_source_config(self) -> SourceConfig:
            signing_secret = SourceFieldInputConfig(
                name="signing_secret", label="Signing secret", type=SourceFieldInputConfigType.PASSWORD
            )
            return dataclasses.replace(super().get_source_config, webhookFields=(signing_secret,))

    assert SignedWebhooks().sensitive_keys == {"api_token"}
    assert SignedWebhooks().webhook_sensitive_keys == {"signing_secret"}


def test_webhook_manager_only_for_schemas_webhooks_feed():
    import sources  # noqa: F401
    from sources.common.base import WebhookSource
    from sources.common.registry import SourceRegistry
    from sources.common.typings import SourceInputs

    source = SourceRegistry.get_source("stripe")
    assert isinstance(source, WebhookSource)
    mapped = SourceInputs(schema_name="charges", team_id=1, job_id="j")
    unmapped = SourceInputs(schema_name="not-a-webhook-schema", team_id=1, job_id="j")
    assert source.webhook_manager_for_schema(mapped) is not None
    assert source.webhook_manager_for_schema(unmapped) is None
