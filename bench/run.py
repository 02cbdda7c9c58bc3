"""Run `nicstack bench` from the repository: python bench/run.py [--json] [--quick]."""

from __future__ import annotations

import sys

from nicstack.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", *sys.argv[1:]]))
