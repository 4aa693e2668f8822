"""The `nexus` command: up, serve, migrate, seed, worker, audit verify, gen.

Every failure the user can fix is reported as one line on stderr with a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

import psycopg

from nexus.config import ConfigError, DatabaseUrl, Settings, load_settings

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


class CliError(Exception):
    """Ends the command with this one-line message and exit code 1."""


def say(message: str) -> None:
    print(f"nexus: {message}", file=sys.stderr, flush=True)


def _connect_error(url: DatabaseUrl, exc: psycopg.OperationalError) -> CliError:
    reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
    return CliError(f"cannot connect to PostgreSQL at {url.redacted()}: {reason}")


def _check_reachable(url: DatabaseUrl) -> None:
    try:
        with psycopg.connect(url.conninfo, connect_timeout=5):
            pass
    except psycopg.OperationalError as exc:
        raise _connect_error(url, exc) from None


def _direct(settings: Settings) -> DatabaseUrl:
    if settings.direct is None:
        raise CliError("DATABASE_URL is not set (set it, or use `nexus up` for the embedded server)")
    return settings.direct


def start_embedded(settings: Settings) -> tuple[Settings, Any]:
    """Start (or reuse) the embedded server; return settings pointed at it and the server handle."""
    from nexus.db.embedded import EmbeddedError, EmbeddedPostgres

    say(f"no DATABASE_URL set: using the embedded PostgreSQL in {settings.data_dir}")
    try:
        server = EmbeddedPostgres(settings.data_dir, say=say)
        url = server.start()
    except EmbeddedError as exc:
        raise CliError(str(exc)) from None
    # Server workers read their settings from the environment: hand them the embedded server's URL.
    os.environ["DATABASE_URL"] = url
    return settings.with_database(url), server


# -- migrate ---------------------------------------------------------------------------------------------------
def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    from nexus.db import migrate

    url = _direct(settings)
    _check_reachable(url)
    if args.action == "status":
        states = migrate.status(url)
        for state in states:
            print(f"{'applied' if state.applied else 'pending':8} {state.id}")
        pending = sum(not s.applied for s in states)
        say(f"{len(states) - pending} applied, {pending} pending")
        return 0
    if args.action == "apply":
        done = migrate.apply(url, progress=say)
        say(f"applied {len(done)} migration(s); at head {migrate.shipped_ids()[-1]}")
        return 0
    done = migrate.rollback(url, everything=args.all, progress=say)
    say(f"rolled back {len(done)} migration(s)")
    return 0


# -- seed ------------------------------------------------------------------------------------------------------
def cmd_seed(settings: Settings, _args: argparse.Namespace) -> int:
    from nexus import seed

    url = _direct(settings)
    _check_reachable(url)
    return seed.run(url.conninfo, settings.password_profile)


# -- serve / up ------------------------------------------------------------------------------------------------
def serve(settings: Settings, host: str, port: int, workers: int) -> None:
    """Serve the API with granian until interrupted. Settings reach the workers through the environment."""
    from granian import Granian
    from granian.constants import Interfaces

    os.environ.setdefault("NEXUS_JWT_SECRET", settings.jwt_secret_or_generate())
    say(f"serving the API on http://{host}:{port} (docs: http://{host}:{port}/api/v1/docs); Ctrl-C stops")
    server = Granian(
        "nexus.api.app:create_app",
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        workers=workers,
        factory=True,
        log_access=False,
    )
    server.serve()


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    if settings.database is None:
        raise CliError("DATABASE_URL is not set (use `nexus up` to run on the embedded PostgreSQL)")
    _check_reachable(settings.database)
    serve(settings, args.host, args.port, args.workers)
    return 0


def cmd_up(settings: Settings, args: argparse.Namespace) -> int:
    from nexus import seed
    from nexus.db import migrate

    server = None
    if settings.embedded:
        settings, server = start_embedded(settings)
    try:
        url = _direct(settings)
        _check_reachable(url)
        done = migrate.apply(url, progress=say)
        say(f"migrations at head ({migrate.shipped_ids()[-1]}; {len(done)} applied now)")
        if asyncio.run(seed.database_is_empty(url.conninfo)):
            say("empty database: loading the demo data")
            code = seed.run(url.conninfo, settings.password_profile)
            if code != 0:
                return code
        serve(settings, args.host, args.port, args.workers)
    finally:
        if server is not None:
            say("stopping the embedded PostgreSQL")
            server.stop()
    return 0


# -- worker ----------------------------------------------------------------------------------------------------
async def run_worker(settings: Settings, args: argparse.Namespace) -> int:
    """Delivery + maintenance loops until SIGTERM/SIGINT: the first signal lets the round in flight finish (at most
    one request timeout), a second abandons it (its leases expire and the deliveries are resent, same key)."""
    from datetime import timedelta

    from nexus.db.pool import create_pool
    from nexus.domain.passwords import hasher
    from nexus.services.context import Context
    from nexus.services.delivery import Background, WorkerConfig

    assert settings.database is not None
    try:
        config = WorkerConfig(
            poll_interval=args.poll_interval,
            lease=timedelta(seconds=args.lease),
            request_timeout=args.timeout,
            maintenance_interval=args.maintenance_interval,
        )
    except ValueError as exc:
        raise CliError(str(exc)) from None
    pool = create_pool(settings.database, max_size=4, name="nexus-worker")
    await pool.open(wait=True, timeout=10)
    # The worker signs no tokens: no JWT secret is needed (or generated) here.
    ctx = Context(pool=pool, settings=settings, hasher=hasher(settings.password_profile), jwt_secret="")
    main_task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    background = Background(ctx, config, report=say)

    def on_signal(name: str) -> None:
        if background.stop_event.is_set():
            say(f"{name} again: abandoning the deliveries in flight (resent after their lease expires)")
            if main_task is not None:
                main_task.cancel()
            return
        say(f"{name}: finishing the deliveries in flight, then stopping")
        background.stop_event.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal, sig.name)
    say(
        f"worker started: delivering every {args.poll_interval:g} s, maintenance every "
        f"{args.maintenance_interval:g} s; SIGTERM or Ctrl-C stops"
    )
    try:
        await background.wait()
    except asyncio.CancelledError:
        await background.stop(grace=0)
    finally:
        await pool.close()
    say("worker stopped")
    return 0


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    if settings.database is None:
        raise CliError("DATABASE_URL is not set (the worker delivers from the API's database)")
    _check_reachable(settings.database)
    return asyncio.run(run_worker(settings, args))


# -- audit verify ----------------------------------------------------------------------------------------------
async def _verify_chains(conninfo: str, workspace: str | None) -> list[Any]:
    from nexus.services import audit as audit_service

    async with await psycopg.AsyncConnection.connect(conninfo, connect_timeout=5) as conn:
        return await audit_service.verify_on(conn, None if workspace is None else [workspace])


def cmd_audit(settings: Settings, args: argparse.Namespace) -> int:
    url = _direct(settings)
    _check_reachable(url)
    reports = asyncio.run(_verify_chains(url.conninfo, args.workspace))
    for report in reports:
        if report.valid:
            print(f"{report.chain_id}: valid (checked {report.checked}, last seq {report.last_seq})")
        else:
            found = ", ".join(f"{p.kind} at {p.seq}" for p in report.problems)
            print(f"{report.chain_id}: INVALID (checked {report.checked}, last seq {report.last_seq}): {found}")
    bad = sum(not r.valid for r in reports)
    say(f"{len(reports)} chain(s) checked, {bad} with problems")
    return 1 if bad else 0


# -- gen -------------------------------------------------------------------------------------------------------
def cmd_gen(_settings: Settings, args: argparse.Namespace) -> int:
    from nexus.db import codegen

    return codegen.main(["--check"] if args.check else [])


# -- bench -----------------------------------------------------------------------------------------------------
def cmd_bench(settings: Settings, args: argparse.Namespace) -> int:
    from nexus.bench import generate, queries

    try:
        if args.bench_command == "generate":
            report = generate.run(args.scale, args.database, verify=not args.no_verify)
            print(generate.summary(report))
            return 1 if report.chains_invalid else 0
        results = []
        for scale in args.scale or ["S", "M"]:
            url = args.database if args.database and len(args.scale or []) == 1 else None
            if url is None:
                url = queries.bench_database(scale)
            say(f"hot queries at scale {scale} ({args.runs} runs each)")
            results.append(queries.run_suite(url, scale, runs=args.runs))
        json_path, md_path = queries.write_reports(results, queries.RESULTS_DIR)
        print(queries.markdown(results))
        say(f"wrote {json_path} and {md_path}")
        if args.check:
            problems = queries.check(results)
            for problem in problems:
                say(f"plan gate: {problem}")
            return 1 if problems else 0
        return 0
    except generate.GenerateError as exc:
        raise CliError(str(exc)) from None


def cmd_bench_api(_settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from nexus.bench import api, generate

    try:
        url = args.database or api.bench_database(args.scale, say)
        report = api.run(url, args.scale, duration=args.duration, connections=args.connections, workers=args.workers,
                         endpoints=args.endpoints, pooled=not args.no_pooled, say=say)  # fmt: skip
        out = Path(args.out) if args.out else api.RESULTS_DIR
        json_path, md_path, png_path = api.write_reports(report, out)
    except (generate.GenerateError, api.BenchError) as exc:
        raise CliError(str(exc)) from None
    print(api.markdown(report))
    say(f"wrote {json_path}, {md_path} and {png_path}")
    return 0


# -- entry point -----------------------------------------------------------------------------------------------
def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 (got {text})")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nexus", description="LMA Nexus data layer and HTTP API")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def server_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST})")
        p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
        p.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")

    up = sub.add_parser("up", help="start everything: embedded PostgreSQL if no DATABASE_URL, migrate, seed, serve")
    server_options(up)
    up.set_defaults(func=cmd_up)

    srv = sub.add_parser("serve", help="serve the API against DATABASE_URL")
    server_options(srv)
    srv.set_defaults(func=cmd_serve)

    mig = sub.add_parser("migrate", help="apply, roll back or list migrations (uses DIRECT_URL)")
    mig.add_argument("action", nargs="?", default="apply", choices=["apply", "rollback", "status"])
    mig.add_argument("--all", action="store_true", help="with rollback: roll back every migration")
    mig.set_defaults(func=cmd_migrate)

    sd = sub.add_parser("seed", help="load the demo data (idempotent, all-or-nothing)")
    sd.set_defaults(func=cmd_seed)

    wk = sub.add_parser("worker", help="deliver published versions to connectors and run maintenance until SIGTERM")
    wk.add_argument("--poll-interval", type=_positive, default=5.0, metavar="S", help="seconds between polls (5)")
    wk.add_argument("--lease", type=_positive, default=60.0, metavar="S", help="seconds a claim is held (60)")
    wk.add_argument("--timeout", type=_positive, default=10.0, metavar="S", help="seconds per POST (10)")
    wk.add_argument(
        "--maintenance-interval", type=_positive, default=600.0, metavar="S", help="seconds between sweeps (600)"
    )
    wk.set_defaults(func=cmd_worker)

    aud = sub.add_parser("audit", help="audit trail tools (uses DIRECT_URL)")
    aud_sub = aud.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    ver = aud_sub.add_parser("verify", help="recompute the audit hash chains; exit 1 on problems")
    which = ver.add_mutually_exclusive_group()
    which.add_argument("--workspace", metavar="ID", help="check one workspace's chain")
    which.add_argument("--all", dest="all_chains", action="store_true", help="check every chain (default)")
    ver.set_defaults(func=cmd_audit)

    bench = sub.add_parser("bench", help="performance suite: generate data, run the hot queries (DESIGN.md §7)")
    bench_sub = bench.add_subparsers(dest="bench_command", required=True, metavar="ACTION")
    bgen = bench_sub.add_parser("generate", help="fill a database at scale S, M or L (COPY, deterministic)")
    bgen.add_argument("--scale", choices=["S", "M", "L"], default="S")
    bgen.add_argument("--database", metavar="URL", help="an empty database to fill (default: nexus_bench_<scale>)")
    bgen.add_argument("--no-verify", action="store_true", help="skip `audit verify --all` after the load")
    bgen.set_defaults(func=cmd_bench)
    bq = bench_sub.add_parser("queries", help="EXPLAIN ANALYZE the hot queries; JSON + Markdown in benchmarks/results")
    bq.add_argument("--scale", choices=["S", "M", "L"], action="append", help="repeat for several (default S, M)")
    bq.add_argument("--database", metavar="URL", help="with one --scale: the generated database to use")
    bq.add_argument("--runs", type=int, default=30, help="EXPLAIN ANALYZE runs per query (default 30)")
    bq.add_argument("--check", action="store_true", help="apply the plan gates; exit 1 on a regression")
    bq.set_defaults(func=cmd_bench)

    from nexus.bench.api import parse_connections, parse_endpoints

    bapi = bench_sub.add_parser("api", help="drive `nexus serve` with wrk beside the direct-query ceiling and pooled")
    bapi.add_argument("--scale", choices=["S", "M", "L"], default="S", help="generated database to use (default S)")
    bapi.add_argument("--database", metavar="URL", help="a generated database (default: nexus_bench_api_<scale>)")
    bapi.add_argument("--duration", type=_positive, default=10.0, metavar="S", help="seconds per run (default 10)")
    bapi.add_argument("--connections", type=parse_connections, default=(1, 32), metavar="N,N",
                      help="concurrency levels (default 1,32)")  # fmt: skip
    bapi.add_argument("--workers", type=int, default=None, help="server workers (default: one per core)")
    bapi.add_argument("--endpoints", type=parse_endpoints, default=None, metavar="KEY,KEY",
                      help="subset of me,workspaces,outline,clause,drifts,audit,graph (default all)")  # fmt: skip
    bapi.add_argument("--no-pooled", action="store_true", help="skip the PgBouncer (transaction mode) pass")
    bapi.add_argument("--out", metavar="DIR", help="where the reports go (default benchmarks/results)")
    bapi.set_defaults(func=cmd_bench_api)

    gen = sub.add_parser("gen", help="generate nexus/db/queries from sql/*.sql")
    gen.add_argument("--check", action="store_true", help="fail with a diff if the generated files are stale")
    gen.set_defaults(func=cmd_gen)
    return parser


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "migrate" and args.all and args.action != "rollback":
        parser.error("--all only goes with rollback")
    signal.signal(signal.SIGTERM, _interrupt)
    func: Callable[[Settings, argparse.Namespace], int] = args.func
    try:
        settings = load_settings()
        return func(settings, args)
    except (ConfigError, CliError) as exc:
        say(f"error: {exc}")
        return 1
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        say(f"error: database: {reason}")
        return 1
    except KeyboardInterrupt:
        say("interrupted")
        return 130
