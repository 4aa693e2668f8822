"""Thin entry point of the benchmark data generator; the implementation is nexus/bench/ (the installed
`nexus bench generate` imports it from the package).

    python benchmarks/generate.py --scale S|M|L [--database URL] [--no-verify]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nexus.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["bench", "generate", *sys.argv[1:]]))
