"""`pytest -p acme_vendor.plugin harness ...`: the Acme sources registered in a separate pytest process (and in
each of its pytest-xdist workers), for tests that must run `pytest harness` as a command."""

from __future__ import annotations

from acme_vendor.corpus import ALL_SOURCES
from sources.common.registry import SourceRegistry

for _source in ALL_SOURCES:
    SourceRegistry.register(_source)
