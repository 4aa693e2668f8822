"""`nexus bench api`: the API under load beside its direct-query ceiling (DESIGN.md §7).

The server is `nexus serve` (granian, one worker per core) on a free loopback port, against a generated database.
The benchmark logs in as the generated agent of a typical deal and drives each endpoint the web client calls most
with wrk (C, one thread; the header from `-H`, the summary from a Lua `done` hook) at each concurrency. The
ceiling is the same endpoint's database work without HTTP: the service's own generated query functions
(nexus/db/queries), grouped into the same pool checkouts and transactions as the service makes them, over the
app's pool (`create_pool`: same size cap, liveness check, role), from as many processes as the server has
workers, at the same concurrency. Optionally the same API load runs through a private PgBouncer in transaction
mode (`?pgbouncer=true`, prepared statements off). Results: JSON, a Markdown table and a PNG plot.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import psycopg

from nexus.bench import pgbouncer
from nexus.bench.generate import BENCH_SQL
from nexus.config import parse_database_url
from nexus.db.pool import Pool, create_pool
from nexus.db.queries import audit as audit_q
from nexus.db.queries import clauses as clauses_q
from nexus.db.queries import connection as conn_q
from nexus.db.queries import drift as drift_q
from nexus.db.queries import graph as graph_q
from nexus.db.queries import members as members_q
from nexus.db.queries import sessions as sessions_q
from nexus.db.queries import workspaces as workspaces_q

RESULTS_DIR: Final = BENCH_SQL.parent / "results"
REPO: Final = BENCH_SQL.parents[1]
APP_POOL_MAX: Final = 10  # create_pool's default max_size: each server worker holds at most 10 connections
STATEMENT_TIMEOUT: Final = "5000"  # the server's default NEXUS_STATEMENT_TIMEOUT (SET LOCAL in ctx.transaction)
PAGE: Final = 50  # the list endpoints' default page size
TARGET_RATIO: Final = 0.40
MACHINE_NOTE: Final = "a shared 2-core machine (server, PostgreSQL and load client on the same cores)"
WRK_LUA: Final = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'NEXUS_WRK {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %d, "p99_us": %d, "mean_us": %.1f, '
    .. '"max_us": %d, "connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}\\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(99),
    latency.mean, latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
"""


class BenchError(Exception):
    """The API benchmark cannot run (no wrk, server did not start, login failed); one line for the user."""


@dataclass(frozen=True)
class Picks:
    """Who and what the load asks for: the agent of a typical deal, its session (from the login), a clause."""

    workspace_id: str
    clause_id: str
    user_id: str
    email: str
    session_id: str = ""


Ceiling = Callable[[Pool, Picks], Awaitable[None]]


# -- the ceiling: each endpoint's database work, checkout by checkout as the service does it ---------------------
async def _session(pool: Pool, p: Picks) -> None:  # security.live_session -> auth_service.authenticate
    async with pool.connection() as conn:
        await sessions_q.get_live_session(conn, session_id=p.session_id, user_id=p.user_id)


async def _membership(pool: Pool, p: Picks) -> None:  # the workspace guards -> workspace_service.membership
    async with pool.connection() as conn:
        await members_q.get_membership(conn, workspace_id=p.workspace_id, user_id=p.user_id)


async def ceiling_me(pool: Pool, p: Picks) -> None:
    await _session(pool, p)


async def ceiling_workspaces(pool: Pool, p: Picks) -> None:
    await _session(pool, p)
    async with pool.connection() as conn:
        await workspaces_q.list_workspaces_for_user(conn, user_id=p.user_id, include_archived=False)


async def ceiling_outline(pool: Pool, p: Picks) -> None:
    await _session(pool, p)
    await _membership(pool, p)
    async with pool.connection() as conn:
        await clauses_q.list_outline(conn, workspace_id=p.workspace_id)


async def ceiling_clause(pool: Pool, p: Picks) -> None:
    await _session(pool, p)
    async with pool.connection() as conn:  # resource_member -> clause_service.load_for_member
        await clauses_q.get_clause_for_member(conn, clause_id=p.clause_id, user_id=p.user_id)


async def ceiling_drifts(pool: Pool, p: Picks) -> None:
    await _session(pool, p)
    await _membership(pool, p)
    async with pool.connection() as conn:  # drift_service.list_drifts, unfiltered
        await drift_q.list_drifts(conn, workspace_id=p.workspace_id, page_size=PAGE, page_offset=0)
        await drift_q.count_drifts(conn, workspace_id=p.workspace_id)


async def ceiling_audit(pool: Pool, p: Picks) -> None:
    await _session(pool, p)
    await _membership(pool, p)
    async with pool.connection() as conn, conn.transaction():  # audit_service.list_events (ctx.transaction)
        await conn_q.set_statement_timeout(conn, timeout=STATEMENT_TIMEOUT)
        await audit_q.list_events_filtered(
            conn, full_workspace_ids=[p.workspace_id], limited_workspace_ids=[], global_actor_id=None,
            event_type=None, actor_id=None, target_type=None, target_id=None, start_at=None, end_at=None,
            keyword=None, before_ts=None, before_id=None, page_limit=PAGE + 1, page_offset=0,
        )  # fmt: skip
        await audit_q.count_workspace_events(conn, workspace_id=p.workspace_id)


async def ceiling_graph(pool: Pool, p: Picks) -> None:
    await _session(pool, p)
    await _membership(pool, p)
    async with pool.connection() as conn, conn.transaction():  # graph_service.get_graph
        await graph_q.get_graph_state(conn, workspace_id=p.workspace_id)
        await graph_q.list_nodes(conn, workspace_id=p.workspace_id)
        await graph_q.list_edges(conn, workspace_id=p.workspace_id)


@dataclass(frozen=True)
class Endpoint:
    key: str
    path: str  # formatted with the Picks fields
    listing: bool  # the 40 % target applies to list endpoints
    ceiling: Ceiling


ENDPOINTS: Final[list[Endpoint]] = [
    Endpoint("me", "/api/v1/auth/me", False, ceiling_me),
    Endpoint("workspaces", "/api/v1/workspaces", True, ceiling_workspaces),
    Endpoint("outline", "/api/v1/workspaces/{workspace_id}/outline", True, ceiling_outline),
    Endpoint("clause", "/api/v1/drafts/clauses/{clause_id}", False, ceiling_clause),
    Endpoint("drifts", "/api/v1/drifts?workspaceId={workspace_id}", True, ceiling_drifts),
    Endpoint("audit", "/api/v1/audit/events?workspaceId={workspace_id}", True, ceiling_audit),
    Endpoint("graph", "/api/v1/graph/{workspace_id}", True, ceiling_graph),
]
ENDPOINTS_BY_KEY: Final = {e.key: e for e in ENDPOINTS}


# -- results ---------------------------------------------------------------------------------------------------
@dataclass
class Load:
    """One measured run: requests/s and latency; errors = socket errors + non-2xx answers (API runs)."""

    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int = 0
    client_cpu: float | None = None  # the load client's CPU seconds per wall second (1.0 = one core busy)


@dataclass
class Row:
    endpoint: str
    path: str
    listing: bool
    connections: int
    response_bytes: int = 0
    api: Load | None = None
    ceiling: Load | None = None
    pooled: Load | None = None

    @property
    def ratio(self) -> float | None:
        if self.api is None or self.ceiling is None or not self.ceiling.rps:
            return None
        return self.api.rps / self.ceiling.rps


@dataclass
class ApiReport:
    scale: str
    database: str
    started_at: str
    duration_s: float
    workers: int
    cores: int
    note: str = MACHINE_NOTE
    picks: dict[str, str] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)


# -- processes: server, bouncer, wrk ---------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _http(method: str, url: str, body: dict[str, Any] | None = None, token: str | None = None) -> tuple[int, bytes]:
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@dataclass
class Server:
    base: str
    process: subprocess.Popen[bytes]
    log: Path


@contextmanager
def running_server(database_url: str, workers: int, workdir: Path) -> Iterator[Server]:
    """`nexus serve` on a free port against `database_url` until the block ends (SIGINT, then SIGKILL)."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "NEXUS_JWT_SECRET": secrets.token_urlsafe(48),
        "NEXUS_DELIVERY_WORKER": "0",  # no background rounds competing with the load
        "NEXUS_ACCESS_TTL": "7200",
        "NEXUS_DATA_DIR": str(workdir),
    }
    env.pop("DIRECT_URL", None)
    env.pop("DATABASE_READ_URL", None)
    log = workdir / f"server-{port}.log"
    args = [sys.executable, "-m", "nexus", "serve", "--port", str(port), "--workers", str(workers)]
    with log.open("wb") as out:
        process = subprocess.Popen(args, cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out)
    server = Server(f"http://127.0.0.1:{port}", process, log)
    try:
        _wait_ready(server)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def _wait_ready(server: Server, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if server.process.poll() is not None:
            tail = server.log.read_text(errors="replace").strip().splitlines()[-5:]
            raise BenchError(f"the server exited with {server.process.returncode}: {' | '.join(tail)}")
        try:
            status, body = _http("GET", server.base + "/ready")
            if status == 200:
                return
        except OSError as exc:
            body = str(exc).encode()
        if time.monotonic() > deadline:
            raise BenchError(f"the server did not become ready in {timeout:.0f} s: {body[:300]!r}")
        time.sleep(0.25)


def login(server: Server, email: str, password: str) -> tuple[str, str]:
    """(access token, session id) of a fresh session."""
    status, body = _http("POST", server.base + "/api/v1/auth/login", {"email": email, "password": password})
    if status != 200:
        raise BenchError(f"login as {email} answered {status}: {body[:200]!r}")
    data = json.loads(body)["data"]
    return str(data["accessToken"]), str(data["session"]["id"])


def wrk_binary() -> str:
    binary = shutil.which("wrk")
    if binary is None:
        raise BenchError("wrk is not installed (apt-get install -y wrk)")
    return binary


def run_wrk(url: str, token: str, connections: int, duration: float, script: Path) -> Load:
    """wrk with one thread at `connections` for `duration` seconds; its CPU use is measured (rusage)."""
    args = [wrk_binary(), "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s", "--latency", "--timeout", "30s",
            "-s", str(script), "-H", f"Authorization: Bearer {token}", "-H", "Accept: application/json",
            url]  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, timeout=duration + 60, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next((x for x in done.stdout.splitlines() if x.startswith("NEXUS_WRK ")), None)
    if done.returncode != 0 or line is None:
        raise BenchError(f"wrk failed ({done.returncode}): {(done.stderr or done.stdout).strip()[:300]}")
    s = json.loads(line.removeprefix("NEXUS_WRK "))
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    errors = s["connect"] + s["read"] + s["write"] + s["status"] + s["timeout"]
    return Load(
        rps=s["requests"] / (s["duration_us"] / 1e6),
        p50_ms=s["p50_us"] / 1000,
        p99_ms=s["p99_us"] / 1000,
        requests=s["requests"],
        errors=errors,
        client_cpu=round(cpu / wall, 3),
    )


# -- the ceiling driver: processes x asyncio tasks over the app's pool -----------------------------------------
def _percentile(sorted_ms: list[float], q: float) -> float:
    return sorted_ms[min(len(sorted_ms) - 1, round(q * (len(sorted_ms) - 1)))] if sorted_ms else 0.0


async def _ceiling_tasks(conninfo: str, pooled: bool, key: str, p: Picks, tasks: int, duration: float,
                         barrier: Any) -> list[float]:  # fmt: skip
    url = parse_database_url("--database", conninfo + ("&" if "?" in conninfo else "?") + "pgbouncer=true"
                             if pooled else conninfo)  # fmt: skip
    size = min(APP_POOL_MAX, tasks)
    pool = create_pool(url, min_size=size, max_size=size, name="nexus-bench")
    await pool.open(wait=True, timeout=30)
    fn = ENDPOINTS_BY_KEY[key].ceiling
    try:
        for _ in range(3):  # warm: plans cached, pool filled
            await asyncio.gather(*(fn(pool, p) for _ in range(tasks)))
        await asyncio.get_running_loop().run_in_executor(None, barrier.wait)
        stop = time.perf_counter() + duration
        out: list[float] = []

        async def loop() -> None:
            while (t0 := time.perf_counter()) < stop:
                await fn(pool, p)
                out.append((time.perf_counter() - t0) * 1000)

        await asyncio.gather(*(loop() for _ in range(tasks)))
        return out
    finally:
        await pool.close()


def _ceiling_process(conninfo: str, pooled: bool, key: str, p: Picks, tasks: int, duration: float, barrier: Any,
                     results: Any) -> None:  # fmt: skip
    try:
        results.put(asyncio.run(_ceiling_tasks(conninfo, pooled, key, p, tasks, duration, barrier)))
    except BaseException as exc:  # reported by the parent
        barrier.abort()
        results.put(f"{type(exc).__name__}: {exc}")


def run_ceiling(conninfo: str, key: str, p: Picks, connections: int, duration: float, processes: int,
                pooled: bool = False) -> Load:  # fmt: skip
    """`connections` concurrent loops of the endpoint's database work, split over `processes` processes."""
    procs = max(1, min(processes, connections))
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(procs)
    results: Any = ctx.Queue()
    shares = [connections // procs + (1 if i < connections % procs else 0) for i in range(procs)]
    workers = [ctx.Process(target=_ceiling_process, args=(conninfo, pooled, key, p, n, duration, barrier, results))
               for n in shares]  # fmt: skip
    for w in workers:
        w.start()
    latencies: list[float] = []
    problems: list[str] = []
    for _ in workers:
        got = results.get(timeout=duration + 120)
        if isinstance(got, str):
            problems.append(got)
        else:
            latencies.extend(got)
    for w in workers:
        w.join(timeout=10)
    if problems:
        raise BenchError(f"ceiling run of {key} failed: {problems[0]}")
    latencies.sort()
    return Load(
        rps=len(latencies) / duration,
        p50_ms=_percentile(latencies, 0.5),
        p99_ms=_percentile(latencies, 0.99),
        requests=len(latencies),
    )


# -- the whole run ---------------------------------------------------------------------------------------------
def pick(url: str) -> Picks:
    """The agent of a typical deal (median clause count) and the deal's first clause (benchmarks/sql)."""
    from nexus.bench.generate import bench_queries

    q = bench_queries("hot_params.sql")
    with psycopg.connect(url, autocommit=True) as conn:
        ws = q.pick_workspaces(conn)
        if ws is None or ws[1] is None:
            raise BenchError("the database holds no generated workspaces (run `nexus bench generate` first)")
        member = q.pick_member(conn, workspace_id=ws[1])
        rows = q.pick_rows(conn, workspace_id=ws[1])
    if member is None or rows is None:
        raise BenchError("the typical workspace has no active admin with a session (not a generated database?)")
    return Picks(workspace_id=ws[1], clause_id=rows[0], user_id=member[0], email=member[1])


def bench_database(scale: str, say: Callable[[str], None] = print) -> str:
    """URL of `nexus_bench_api_<scale>` (its own generated database: logins add sessions and audit events there),
    generated first if it does not exist."""
    from nexus.bench import generate
    from nexus.db.admin import create_database, database_exists
    from nexus.db.scratch import maintenance_url, with_dbname

    name = f"nexus_bench_api_{scale.lower()}"
    url = with_dbname(maintenance_url(), name)
    if not database_exists(url):
        say(f"generating scale {scale} into {name}")
        create_database(maintenance_url(), name)
        generate.run(scale, url, verify=False)
    return url


def _drive(
    server: Server, token: str, p: Picks, rows: dict[tuple[str, int], Row], duration: float, script: Path,
    say: Callable[[str], None], *, pooled: bool, ceiling_url: str | None, processes: int,
) -> None:  # fmt: skip
    """Each endpoint x concurrency: a 1 s wrk warm-up, the measured wrk run, then (with `ceiling_url`) the ceiling
    right after it, so that API and ceiling of one row see the same machine load."""
    for (key, c), row in rows.items():
        url = server.base + row.path.format(**asdict(p))
        run_wrk(url, token, c, min(1.0, duration), script)  # warm-up: pools grown, plans cached
        load = run_wrk(url, token, c, duration, script)
        if pooled:
            row.pooled = load
        else:
            row.api = load
        text = (f"  {key:10s} c={c:<3d} {'pooled' if pooled else 'API':6s} {load.rps:7.0f} req/s  p50 "
                f"{load.p50_ms:6.2f} ms  p99 {load.p99_ms:7.2f} ms  errors {load.errors}  client cpu "
                f"{load.client_cpu:.2f}")  # fmt: skip
        if ceiling_url is not None:
            row.ceiling = top = run_ceiling(ceiling_url, key, p, c, duration, processes)
            text += f" | ceiling {top.rps:7.0f}/s  p50 {top.p50_ms:6.2f} ms  ratio {row.ratio or 0:.2f}"
        say(text)


def run(
    url: str,
    scale: str,
    *,
    duration: float = 10.0,
    connections: tuple[int, ...] = (1, 32),
    workers: int | None = None,
    endpoints: list[str] | None = None,
    pooled: bool = True,
    say: Callable[[str], None] = print,
) -> ApiReport:
    """API load, ceiling and (optionally) the pooled path for each endpoint x concurrency."""
    cores = os.cpu_count() or 1
    workers = workers or cores
    chosen = [ENDPOINTS_BY_KEY[k] for k in endpoints] if endpoints else list(ENDPOINTS)
    from nexus.bench.data import PASSWORD
    from nexus.db.migrate import apply

    apply(parse_database_url("--database", url))  # the server's /ready wants the migrations at head
    p = pick(url)
    report = ApiReport(
        scale=scale,
        database=url.rsplit("/", 1)[-1].split("?")[0],
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        duration_s=duration,
        workers=workers,
        cores=cores,
    )
    rows = {(e.key, c): Row(e.key, e.path, e.listing, c) for e in chosen for c in connections}
    report.rows = list(rows.values())
    with tempfile.TemporaryDirectory(prefix="nexus-bench-api-") as tmp:
        workdir = Path(tmp)
        script = workdir / "report.lua"
        script.write_text(WRK_LUA)
        wrk_binary()
        say(f"API load against {report.database}: {workers} server worker(s), {duration:g} s per run")
        with running_server(url, workers, workdir) as server:
            token, session_id = login(server, p.email, PASSWORD)
            p = Picks(**{**asdict(p), "session_id": session_id})
            for e in chosen:
                status, body = _http("GET", server.base + e.path.format(**asdict(p)), token=token)
                if status != 200:
                    raise BenchError(f"GET {e.path} answered {status}: {body[:200]!r}")
                for c in connections:
                    rows[e.key, c].response_bytes = len(body)
            say("each row: API (wrk), then the direct-query ceiling (the same queries over the app's pool, no HTTP)")
            _drive(server, token, p, rows, duration, script, say, pooled=False, ceiling_url=url, processes=workers)
        if pooled:
            bouncer = pgbouncer.start(pool_size=APP_POOL_MAX, max_server_connections=4 * APP_POOL_MAX)
            try:
                through = bouncer.through(url)
                say(f"pooled path: PgBouncer (transaction mode) on port {bouncer.port}, ?pgbouncer=true")
                with running_server(through, workers, workdir) as server:
                    token, session_id = login(server, p.email, PASSWORD)
                    p = Picks(**{**asdict(p), "session_id": session_id})
                    _drive(server, token, p, rows, duration, script, say, pooled=True, ceiling_url=None, processes=0)
            finally:
                bouncer.stop()
    report.picks = {k: v for k, v in asdict(p).items() if k != "session_id"}
    return report


# -- reports ---------------------------------------------------------------------------------------------------
def _fmt(load: Load | None, what: str) -> str:
    if load is None:
        return "-"
    value = getattr(load, what)
    return f"{value:,.0f}" if what == "rps" else f"{value:.2f}"


def markdown(report: ApiReport) -> str:
    head = ["Endpoint", "Conns", "API req/s", "API p50 ms", "API p99 ms", "Ceiling req/s", "Ceiling p50 ms",
            "API / ceiling", "Pooled req/s", "Pooled p99 ms", "Errors (API / pooled)"]  # fmt: skip
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in report.rows:
        ratio = r.ratio
        flag = " ✗" if r.listing and ratio is not None and ratio < TARGET_RATIO else ""
        errors = f"{r.api.errors if r.api else '-'} / {r.pooled.errors if r.pooled else '-'}"
        lines.append("| " + " | ".join([
            f"`GET {r.path.split('?')[0]}`" + ("" if r.listing else " †"), str(r.connections), _fmt(r.api, "rps"),
            _fmt(r.api, "p50_ms"), _fmt(r.api, "p99_ms"), _fmt(r.ceiling, "rps"), _fmt(r.ceiling, "p50_ms"),
            "-" if ratio is None else f"{ratio:.2f}{flag}", _fmt(r.pooled, "rps"), _fmt(r.pooled, "p99_ms"), errors,
        ]) + " |")  # fmt: skip
    cpu = [r.api.client_cpu for r in report.rows if r.api and r.api.client_cpu is not None]
    cpu += [r.pooled.client_cpu for r in report.rows if r.pooled and r.pooled.client_cpu is not None]
    listing = [r for r in report.rows if r.listing and r.ratio is not None]
    missed = [f"{r.endpoint} c={r.connections}" for r in listing if (r.ratio or 0) < TARGET_RATIO]
    notes = [
        "",
        f"Scale {report.scale} (`{report.database}`), {report.duration_s:g} s per run after a 1 s warm-up, server "
        f"`nexus serve` with {report.workers} granian worker(s); figures taken on {report.note}, so they are "
        "indicative, not absolute. Queries with `?workspaceId=` use the typical deal's id; † = single-row endpoint "
        "(the 40 % target applies to the list endpoints).",
        "API: wrk (one thread) over loopback with the agent's bearer token; p50/p99 from wrk's histogram. Ceiling: "
        "the endpoint's own generated queries (session check, membership, the service's queries), grouped into the "
        "service's pool checkouts and transactions, over the app's pool, from as many processes as server workers, "
        "at the same concurrency. Pooled: the same API load through PgBouncer (transaction mode, `?pgbouncer=true`, "
        "prepared statements off).",
        f"Load client CPU: at most {max(cpu, default=0):.2f} core(s) busy during any run"
        " (wrk is not the bottleneck when this stays well under one core).",
        f"Target API ≥ {TARGET_RATIO:.0%} of the ceiling on the list endpoints: "
        + ("met on every run." if not missed else "missed on " + ", ".join(missed) + "."),
    ]
    if any((r.ratio or 0) > 1 for r in report.rows):
        notes.append(
            "A ratio above 1 means the ceiling's Python driver (which does the same psycopg work as the server) got "
            "less of the shared CPU during its run than the server did during the API run: at that concurrency "
            "both are CPU-bound on the same cores, and the ratio says only that the API is close to the ceiling."
        )
    return "\n".join(lines + notes) + "\n"


def to_json(report: ApiReport) -> str:
    doc = asdict(report)
    for row, r in zip(doc["rows"], report.rows, strict=True):
        row["ratio"] = r.ratio
    return json.dumps(doc, indent=1)


def load_json(path: Path) -> ApiReport:
    """A report written by `to_json`, to render its Markdown and plot again."""
    doc = json.loads(path.read_text())
    rows = []
    for r in doc.pop("rows"):
        r.pop("ratio", None)
        loads = {k: None if r[k] is None else Load(**r[k]) for k in ("api", "ceiling", "pooled")}
        rows.append(Row(**{**r, **loads}))
    return ApiReport(**doc, rows=rows)


def _latest_queries(out_dir: Path) -> list[dict[str, Any]] | None:
    """The newest hot-query result with the most scales (benchmarks/results/queries-*.json)."""
    found: list[tuple[int, str, list[dict[str, Any]]]] = []
    for path in out_dir.glob("queries-*.json"):
        try:
            doc = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(doc, list) and doc:
            found.append((len(doc), path.name, doc))
    return max(found, key=lambda f: (f[0], f[1]))[2] if found else None


def plot(report: ApiReport, out_dir: Path, path: Path) -> Path:
    """Left: hot-query p50 against audit-table size (one line per query); right: API vs ceiling req/s."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), dpi=80)
    suites = _latest_queries(out_dir)
    if suites and len(suites) >= 2:
        sizes = [max(int(s["table_rows"].get("audit_events", 0)), 1) for s in suites]
        for i, q in enumerate(suites[-1]["queries"]):
            ys = [max(s["queries"][i]["p50_ms"], 0.001) for s in suites]
            left.plot(sizes, ys, marker="o", linewidth=0.8, markersize=3)
            left.annotate(q["label"], (sizes[-1], ys[-1]), fontsize=5, xytext=(3, 0), textcoords="offset points")
        left.set_xscale("log")
        left.set_yscale("log")
        left.set_xticks(sizes, [f"{s['scale']}\n{n:,} events" for s, n in zip(suites, sizes, strict=True)])
        left.set_ylabel("p50 execution ms")
        left.set_title("Hot queries: cost vs scale", fontsize=10)
        left.set_xlim(sizes[0] / 1.6, sizes[-1] * 4)
    else:
        left.text(0.5, 0.5, "no multi-scale hot-query result\n(nexus bench queries)", ha="center", va="center")
        left.set_axis_off()
    top = max(r.connections for r in report.rows)
    rows = [r for r in report.rows if r.connections == top]
    xs = range(len(rows))
    width = 0.27
    right.bar([x - width for x in xs], [r.ceiling.rps if r.ceiling else 0 for r in rows], width, label="ceiling")
    right.bar(list(xs), [r.api.rps if r.api else 0 for r in rows], width, label="API")
    right.bar([x + width for x in xs], [r.pooled.rps if r.pooled else 0 for r in rows], width, label="API pooled")
    right.set_xticks(list(xs), [r.endpoint for r in rows], fontsize=8)
    right.set_ylabel("requests / s")
    right.set_title(f"API vs direct-query ceiling, {top} connections (scale {report.scale})", fontsize=10)
    right.legend(fontsize=8)
    fig.text(0.5, 0.005, f"Taken on {report.note}; indicative only.", ha="center", fontsize=7)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path


def write_reports(report: ApiReport, out_dir: Path) -> tuple[Path, Path, Path]:
    """api-<scale>-<stamp>.json, api-latest.md and api-latest.png in `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    json_path = out_dir / f"api-{report.scale}-{stamp}.json"
    json_path.write_text(to_json(report))
    md_path = out_dir / "api-latest.md"
    md_path.write_text(f"# API load (scale {report.scale})\n\n" + markdown(report))
    png_path = plot(report, RESULTS_DIR if out_dir != RESULTS_DIR and not any(out_dir.glob("queries-*.json"))
                    else out_dir, out_dir / "api-latest.png")  # fmt: skip
    return json_path, md_path, png_path


def parse_connections(text: str) -> tuple[int, ...]:
    """`1,32` -> (1, 32) (argparse type of --connections)."""
    try:
        values = tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"numbers separated by commas, e.g. 1,32 (got {text!r})") from None
    if not values or any(v < 1 or v > 1000 for v in values):
        raise argparse.ArgumentTypeError(f"each value must be 1..1000 (got {text!r})")
    return values


def parse_endpoints(text: str) -> list[str]:
    """`me,graph` -> ["me", "graph"] (argparse type of --endpoints)."""
    keys = [k.strip() for k in text.split(",") if k.strip()]
    unknown = [k for k in keys if k not in ENDPOINTS_BY_KEY]
    if unknown or not keys:
        raise argparse.ArgumentTypeError(f"choose from {', '.join(ENDPOINTS_BY_KEY)} (got {text!r})")
    return keys
