from __future__ import annotations

import argparse

from harness.inventory.command import DEFAULT_OUTPUT, run


def test_committed_sources_md_is_current(capsys):
    """SOURCES.md is generated: any drift from the code fails here with the diff to apply."""
    status = run(argparse.Namespace(check=True, format="md", results=None, output=DEFAULT_OUTPUT))
    captured = capsys.readouterr()
    assert status == 0, captured.out + captured.err
