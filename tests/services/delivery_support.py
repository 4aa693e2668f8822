"""Support for the delivery worker tests: a real connector endpoint (an HTTP server on 127.0.0.1 in a thread that
answers by script and honours `Idempotency-Key`: a key it has processed is answered again but recorded only once),
and publishing a version with its deliveries through the generated queries (the data part of domain.md §10.3)."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import aiosql
import psycopg

from nexus.db.queries import connectors as cq
from nexus.db.queries import golden_records as gq

SQL: Any = aiosql.from_path(Path(__file__).resolve().parents[1] / "sql" / "delivery_tests.sql", "apsycopg")
Conn = psycopg.AsyncConnection[Any]
# Bytes a receiver must get verbatim: indentation, key order and non-ASCII as stored.
DOCUMENT = '{\n  "version": "1.0",\n  "workspace": {"name": "Café €"},\n  "n": %d\n}'


async def point_connector(conn: Conn, url: str, connector_id: str = "conn-003", ws: str = "ws-002") -> None:
    """Give a connector an endpoint (the admin's PATCH)."""
    assert await cq.configure_connector(conn, workspace_id=ws, connector_id=connector_id, endpoint_url=url, name=None)


async def publish(conn: Conn, ws: str = "ws-002", supersede: bool = True) -> tuple[gq.VersionRow, dict[str, str]]:
    """A new version of `ws` and its deliveries (older pending ones superseded); returns the version and the
    pending delivery id per connector."""
    async with conn.transaction():
        assert await gq.lock_golden_record(conn, workspace_id=ws) is not None
        number = await gq.next_version_number(conn, workspace_id=ws)
        assert number is not None
        version = await gq.insert_version(
            conn,
            workspace_id=ws,
            version=number,
            document=DOCUMENT % number,
            content_hash=f"sha256:{number:064x}",
            integrity_score=100,
            published_by="user-001",
            reason="Final terms approved by all parties",
            reason_category="other",
        )
        assert version is not None
        if supersede:
            await cq.supersede_deliveries(conn, workspace_id=ws, version_id=version.id)
        created = await cq.create_deliveries(conn, workspace_id=ws, version_id=version.id)
        await cq.mark_connectors_published(conn, workspace_id=ws)
    return version, {d.connector_id: d.id for d in created if d.status == "pending"}


# A script step: an HTTP status to answer, or "hang" (process the delivery, then never answer until released).
Step = int | str


@dataclass(frozen=True)
class Received:
    path: str
    key: str | None
    headers: dict[str, str]
    body: bytes


class Receiver:
    def __init__(self, script: list[Step] | None = None, gate: int = 0) -> None:
        self.script: deque[Step] = deque(script or [])
        self.gate = gate  # hold every request until this many are in flight at once (0: no gate)
        self.requests: list[Received] = []
        self.recorded: list[str] = []  # keys processed, each once
        self.in_flight = 0
        self.max_in_flight = 0
        self.release = threading.Event()
        self.got_request = threading.Event()
        self._cond = threading.Condition()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def wait_for_requests(self, count: int, timeout: float = 20.0) -> None:
        """Block until `count` requests have arrived (AssertionError after `timeout`)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.requests) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"{len(self.requests)} of {count} requests arrived"
                self._cond.wait(left)

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length", "0"))
        body = handler.rfile.read(length)
        key = handler.headers.get("Idempotency-Key")
        with self._cond:
            self.requests.append(Received(handler.path, key, dict(handler.headers.items()), body))
            step = self.script.popleft() if self.script else 200
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self._cond.notify_all()
            if self.gate:
                self._cond.wait_for(lambda: self.in_flight >= self.gate, timeout=10)
                self.gate = 0
            processed = step == "hang" or (isinstance(step, int) and 200 <= step < 300)
            if processed and key is not None and key not in self.recorded:
                self.recorded.append(key)
        self.got_request.set()
        try:
            if step == "hang":
                self.release.wait(30)
                return
            status = int(step)
            payload = b"" if 200 <= status < 300 else f"receiver says {status}".encode()
            handler.send_response(status)
            if 300 <= status < 400:
                handler.send_header("Location", "/elsewhere")
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
        except OSError:  # the worker went away (timeout, killed)
            pass
        finally:
            with self._cond:
                self.in_flight -= 1

    @contextmanager
    def running(self) -> Iterator[Receiver]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                receiver._handle(self)

            def do_GET(self) -> None:
                receiver._handle(self)

            def log_message(self, *_args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self._server = server
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.release.set()
            server.shutdown()
            server.server_close()
            thread.join(5)
