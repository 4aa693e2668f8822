"""`nexus bench api` end to end on a generated scale-S database: the server starts, the generated agent logs in, wrk
drives two endpoints, the direct-query ceiling runs, the pooled path goes through PgBouncer (when installed), and
the JSON, Markdown and PNG reports are written. Asserts what a user of the report relies on, never wall time.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from nexus.bench import generate, pgbouncer
from nexus.bench.data import SCALES
from nexus.cli import main
from tests.fix_db import PgServer, _unique

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get install -y wrk)"),
]


@pytest.fixture(scope="module")
def s_url(pg_server: PgServer, migrated_template: str) -> Iterator[str]:
    name = _unique("nexus_bench_api")
    janitor = pg_server.janitor(name, template=migrated_template)
    janitor.init()
    try:
        url = pg_server.url(name)
        generate.load(url, SCALES["S"], progress=False)
        yield url
    finally:
        janitor.drop()


def test_bench_api_runs_and_writes_its_report(s_url: str, tmp_path: Path) -> None:
    pooled = pgbouncer.executable() is not None
    args = ["bench", "api", "--database", s_url, "--duration", "1", "--connections", "1,4", "--workers", "1",
            "--endpoints", "me,drifts", "--out", str(tmp_path)]  # fmt: skip
    assert main(args if pooled else [*args, "--no-pooled"]) == 0

    [json_path] = tmp_path.glob("api-S-*.json")
    report = json.loads(json_path.read_text())
    assert report["scale"] == "S" and report["workers"] == 1
    runs = {(r["endpoint"], r["connections"]): r for r in report["rows"]}
    assert set(runs) == {("me", 1), ("me", 4), ("drifts", 1), ("drifts", 4)}
    for row in runs.values():
        assert row["api"]["requests"] > 0 and row["api"]["errors"] == 0
        assert 0 < row["api"]["p50_ms"] <= row["api"]["p99_ms"]
        assert row["ceiling"]["requests"] > 0
        assert row["ratio"] == pytest.approx(row["api"]["rps"] / row["ceiling"]["rps"])
        if pooled:
            assert row["pooled"]["requests"] > 0 and row["pooled"]["errors"] == 0
    assert runs["drifts", 1]["response_bytes"] > runs["me", 1]["response_bytes"] > 0

    table = (tmp_path / "api-latest.md").read_text()
    assert "| Endpoint | Conns | API req/s |" in table
    assert "`GET /api/v1/drifts`" in table and "shared 2-core machine" in table
    png = tmp_path / "api-latest.png"
    assert png.read_bytes().startswith(b"\x89PNG") and png.stat().st_size < 100_000


def test_bench_api_refuses_bad_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["bench", "api", "--connections", "1,x"])
    with pytest.raises(SystemExit):
        main(["bench", "api", "--endpoints", "me,nope"])
    assert "choose from me, workspaces" in capsys.readouterr().err
