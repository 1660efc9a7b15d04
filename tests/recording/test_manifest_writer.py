"""The manifest writer: the recorder's tables added to a hand-written manifest, which keeps its bytes otherwise."""

from __future__ import annotations

import tomllib
from pathlib import Path

from harness.recording.manifest_writer import ManifestEntries, write_manifest

HAND_WRITTEN = """\
# hand-written
source = "acme"

[config]
api_key = "fake-acme-key-0001"

# the vendor's cursor, from its documentation
[endpoints.deals.pagination]
style = "cursor"
cursor = "next"
cursor_param = "cursor"

[endpoints.persons.pagination]
style = "link-header"
"""


def entries() -> ManifestEntries:
    recorded = ManifestEntries("acme", {"api_key": "fake-acme-key-0001"}, "recorded")
    recorded.credentials_har = "credentials.har"
    recorded.add_scenario("deals", "full", "deals/full.har", incremental_field="updated_at")
    recorded.add_scenario("deals", "future", "deals/future.har", incremental_field="updated_at", last_value="2030")
    recorded.add_scenario("persons", "full", "persons/full.har")
    return recorded


def test_recorded_tables_join_a_hand_written_manifest_each_after_a_blank_line(tmp_path: Path) -> None:
    (tmp_path / "manifest.toml").write_text(HAND_WRITTEN)
    text = write_manifest(tmp_path, entries()).read_text()
    lines = text.splitlines()
    headers = [number for number, line in enumerate(lines) if line.startswith("[")]
    assert all(lines[number - 1] == "" or lines[number - 1].startswith("#") for number in headers), text
    document = tomllib.loads(text)
    assert document["endpoints"]["deals"]["scenarios"]["future"]["last_value"] == "2030"
    assert document["endpoints"]["persons"]["pagination"] == {"style": "link-header"}
    assert "# the vendor's cursor, from its documentation\n[endpoints.deals.pagination]" in text
    assert text.index("[endpoints.deals.scenarios.full]") < text.index("[endpoints.persons.pagination]")


def test_writing_the_same_recording_again_changes_no_byte(tmp_path: Path) -> None:
    (tmp_path / "manifest.toml").write_text(HAND_WRITTEN)
    first = write_manifest(tmp_path, entries()).read_text()
    assert write_manifest(tmp_path, entries()).read_text() == first
