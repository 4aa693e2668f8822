"""A private PgBouncer (transaction pooling) in front of the test PostgreSQL — for the pooled-deployment tests.

Used by tests/fix_api.py when `NEXUS_TEST_PGBOUNCER=1` (every app under test then reaches its database through the
bouncer, with `?pgbouncer=true` so the app turns prepared statements off, while migrations, seeding and the tests'
own checks stay direct) and by tests/reliability/test_pgbouncer.py. Manual use:

    .venv/bin/python -m nexus.bench.pgbouncer run [--port N]   # foreground; Ctrl-C stops it

The config is written from pgbouncer.ini.template into a fresh temporary directory; no system service is touched.
As root the bouncer runs as the `postgres` OS user (`-u postgres`), since PgBouncer refuses to run as root.
"""

from __future__ import annotations

import argparse
import os
import pwd
import shutil
import signal
import socket
import string
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

TEMPLATE = Path(__file__).with_name("pgbouncer.ini.template")
RUN_AS = "postgres"


def executable() -> str | None:
    """The pgbouncer binary, or None when it is not installed (`apt-get install -y pgbouncer`)."""
    return shutil.which("pgbouncer") or next(
        (p for p in ("/usr/sbin/pgbouncer", "/usr/bin/pgbouncer") if os.access(p, os.X_OK)), None
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Bouncer:
    """A running PgBouncer: where it listens, what it forwards to, and its process."""

    workdir: Path
    port: int
    upstream_host: str
    upstream_port: int
    process: subprocess.Popen[bytes]

    def through(self, direct_url: str) -> str:
        """`direct_url` (a database on the upstream server) rerouted through the bouncer, flagged `pgbouncer=true`.

        URLs of any other server are returned unchanged.
        """
        parts = urlsplit(direct_url)
        query = dict(parse_qsl(parts.query))
        host = query.get("host", parts.hostname or "")
        port = int(query.get("port", parts.port or 5432))
        if (host, port) != (self.upstream_host, self.upstream_port):
            return direct_url
        user = parts.username or "postgres"
        query.update({"host": "127.0.0.1", "port": str(self.port), "pgbouncer": "true"})
        return urlunsplit((parts.scheme, f"{user}@", parts.path, urlencode(query), ""))

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join((self.workdir / "pgbouncer.log").read_text().splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        """Stop this bouncer (its own process only) and remove its directory."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # safe shutdown
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        shutil.rmtree(self.workdir, ignore_errors=True)


def start(
    upstream_host: str = "127.0.0.1",
    upstream_port: int = 5432,
    *,
    port: int | None = None,
    pool_size: int = 5,
    max_server_connections: int = 30,
) -> Bouncer:
    """Start a bouncer on a free port (or `port`) and wait until it forwards a query; raise with its log if not."""
    binary = executable()
    if binary is None:
        raise RuntimeError("pgbouncer is not installed (apt-get install -y pgbouncer)")
    port = port or free_port()
    workdir = Path(tempfile.mkdtemp(prefix="nexus-pgbouncer-"))
    try:
        config = string.Template(TEMPLATE.read_text()).substitute(
            upstream_host=upstream_host,
            upstream_port=upstream_port,
            port=port,
            workdir=workdir,
            pool_size=pool_size,
            max_server_connections=max_server_connections,
        )
    except (KeyError, ValueError):
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    (workdir / "pgbouncer.ini").write_text(config)
    (workdir / "userlist.txt").write_text('"postgres" ""\n')
    args = [binary, "-q", str(workdir / "pgbouncer.ini")]
    if os.geteuid() == 0:
        entry = pwd.getpwnam(RUN_AS)
        for path in (workdir, *workdir.iterdir()):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        args[1:1] = ["-u", RUN_AS]
    process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    bouncer = Bouncer(workdir, port, upstream_host, upstream_port, process)
    _wait_ready(bouncer)
    return bouncer


def _wait_ready(bouncer: Bouncer, timeout: float = 15.0) -> None:
    import aiosql
    import psycopg

    from nexus.bench.generate import BENCH_SQL

    queries = aiosql.from_path(BENCH_SQL / "pgbouncer.sql", "psycopg")
    url = f"postgresql://postgres@127.0.0.1:{bouncer.port}/postgres"
    deadline = time.monotonic() + timeout
    while True:
        if bouncer.process.poll() is not None:
            err = bouncer.process.stderr.read().decode() if bouncer.process.stderr else ""
            log = bouncer.log_tail()
            bouncer.stop()
            raise RuntimeError(f"pgbouncer exited with {bouncer.process.returncode}: {err.strip()} {log}")
        try:
            with psycopg.connect(url, connect_timeout=2, prepare_threshold=None, autocommit=True) as conn:
                queries.server_version(conn)
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                log = bouncer.log_tail()
                bouncer.stop()
                raise RuntimeError(f"pgbouncer did not accept connections on port {bouncer.port}: {log}") from None
            time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["run"])
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--upstream-host", default=os.environ.get("PGHOST", "127.0.0.1"))
    parser.add_argument("--upstream-port", type=int, default=int(os.environ.get("PGPORT", "5432")))
    opts = parser.parse_args()
    bouncer = start(opts.upstream_host, opts.upstream_port, port=opts.port)
    print(f"pgbouncer (pid {bouncer.process.pid}) on 127.0.0.1:{bouncer.port}, config {bouncer.workdir}", flush=True)
    print(f"DATABASE_URL=postgresql://postgres@127.0.0.1:{bouncer.port}/<db>?pgbouncer=true", flush=True)
    try:
        bouncer.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        bouncer.stop()


if __name__ == "__main__":
    main()
