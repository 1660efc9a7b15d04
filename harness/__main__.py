"""`python -m harness <command>`: the project's command-line entry points."""

from __future__ import annotations

import sys

from harness.gate.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
