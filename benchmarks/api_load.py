"""Thin entry point of the API load benchmark; the implementation is nexus/bench/api.py (the installed
`nexus bench api` imports it from the package).

    python benchmarks/api_load.py [--scale S|M] [--database URL] [--duration S] [--connections 1,32] [--no-pooled]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nexus.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["bench", "api", *sys.argv[1:]]))
