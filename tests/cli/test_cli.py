"""The `nexus` command as a user runs it: one-line errors, migrate/seed over a URL, and `nexus up` end to end."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest

NEXUS = [sys.executable, "-m", "nexus"]


def run(args: list[str], env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "DIRECT_URL"))}
    full_env.update(env or {})
    return subprocess.run(
        [*NEXUS, *args], capture_output=True, text=True, env=full_env, timeout=timeout, cwd="/", check=False
    )


def test_bad_database_url_is_one_line_not_a_traceback() -> None:
    result = run(["migrate", "status"], {"DATABASE_URL": "mysql://nope"})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "nexus: error: DATABASE_URL must start with postgresql:// (got mysql://)"
    ]


def test_unreachable_server_is_one_line() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = run(["migrate", "status"], {"DATABASE_URL": f"postgresql://postgres@127.0.0.1:{port}/x"})
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0].startswith(
        f"nexus: error: cannot connect to PostgreSQL at postgresql://postgres@127.0.0.1:{port}/x"
    )


def test_migrate_status_rollback_apply_and_seed_over_a_url(empty_db_url: str) -> None:
    env = {"DATABASE_URL": empty_db_url, "NEXUS_PASSWORD_PROFILE": "test"}
    status = run(["migrate", "status"], env)
    assert status.returncode == 0 and "pending  0001_functions_enums_role" in status.stdout
    applied = run(["migrate", "apply"], env)
    assert applied.returncode == 0, applied.stderr
    assert "applying 0001_functions_enums_role" in applied.stderr
    status = run(["migrate", "status"], env)
    assert "pending" not in status.stdout
    last = status.stdout.strip().splitlines()[-1].split()[-1]
    back = run(["migrate", "rollback"], env)
    assert back.returncode == 0 and f"rolling back {last}" in back.stderr
    assert f"pending  {last}" in run(["migrate", "status"], env).stdout
    assert run(["migrate", "apply"], env).returncode == 0
    first = run(["seed"], env)
    assert first.returncode == 0, first.stderr
    assert "demo data loaded" in first.stdout + first.stderr
    again = run(["seed"], env)
    assert again.returncode == 0 and "already seeded" in again.stdout + again.stderr
    # Published demo rows reference the seeded data, but a full rollback drops the tables themselves.
    everything = run(["migrate", "rollback", "--all"], env)
    assert everything.returncode == 0, everything.stderr
    assert "applied" not in run(["migrate", "status"], env).stdout.replace("0 applied", "")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, body: dict[str, str] | None = None) -> tuple[int, dict[str, object]]:
    response = httpx.post(url, json=body, timeout=5) if body is not None else httpx.get(url, timeout=5)
    return response.status_code, response.json()


@pytest.mark.slow
def test_nexus_up_embedded_end_to_end() -> None:
    """With no DATABASE_URL: embedded server, migrations, demo data, API; Ctrl-C stops both; a rerun reuses it."""
    # Not pytest's tmp_path: its parent is 0700, which the unprivileged server user (when run as root) cannot enter.
    tmp_path = Path(tempfile.mkdtemp(prefix="nexus-up-test-"))
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DIRECT_URL")}
    env.update({"NEXUS_DATA_DIR": str(tmp_path), "NEXUS_PASSWORD_PROFILE": "test"})
    for attempt in (1, 2):
        proc = subprocess.Popen(
            [*NEXUS, "up", "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        try:
            deadline = time.monotonic() + 90
            status, body = 0, {}
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    status, body = _get(f"http://127.0.0.1:{port}/ready")
                    if status == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.3)
            assert status == 200, (
                body,
                proc.poll(),
                proc.stdout.read() if proc.poll() is not None and proc.stdout else "",
            )
            assert body["status"] == "ready"
            status, login = _get(
                f"http://127.0.0.1:{port}/api/v1/auth/login",
                {"email": "sarah.chen@bankco.com", "password": "Password123"},
            )
            assert status == 200 and login["success"] is True
            token = login["data"]["accessToken"]  # type: ignore[index]
            auth = {"Authorization": f"Bearer {token}"}
            workspaces = httpx.get(f"http://127.0.0.1:{port}/api/v1/workspaces", headers=auth, timeout=5).json()
            assert [w["id"] for w in workspaces["workspaces"]] == ["ws-003", "ws-002", "ws-001"]
            members = httpx.get(f"http://127.0.0.1:{port}/api/v1/workspaces/ws-001/members", headers=auth, timeout=5)
            assert {m["user"]["email"] for m in members.json()["members"]} == {
                "sarah.chen@bankco.com",
                "james.wilson@legalfirm.com",
                "maria.garcia@bankco.com",
                "david.kim@investco.com",
            }
        finally:
            proc.send_signal(signal.SIGINT)
            output, _ = proc.communicate(timeout=60)
        assert "stopping the embedded PostgreSQL" in output
        assert not (tmp_path / "pgdata" / "postmaster.pid").exists()
        if attempt == 1:
            assert "Initialising a new PostgreSQL cluster" in output and "loading the demo data" in output
        else:
            assert "Initialising" not in output and "loading the demo data" not in output
            assert "0 applied now" in output
    shutil.rmtree(tmp_path, ignore_errors=True)
