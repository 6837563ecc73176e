"""A throwaway PostgreSQL cluster for the tests: initdb into a temp dir, start, stop, delete.

Which binaries: the directory named by ``SAFEFEED_TEST_PG_BIN`` when that variable is set
(nothing else is searched then, so pointing it at an empty directory shows what a machine
without PostgreSQL does); otherwise the directory of ``initdb`` on PATH, then the newest
``/usr/lib/postgresql/*/bin``.

initdb refuses to run as root, so as root (CI containers) the cluster's directory belongs to
the ``postgres`` system user (created by ``apt-get install postgresql``) and the binaries run
through ``runuser -u postgres --``.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg
from psycopg import sql

__all__ = ["ClusterError", "ThrowawayCluster", "find_bin_dir"]

USER = "safefeed"
_BINARIES = ("initdb", "pg_ctl", "postgres")
# The C locale always exists, unlike whatever LANG a container happens to set.
_INITDB = ("--pgdata=data", "--auth=trust", f"--username={USER}", "--no-sync")
_LOCALE = ("--encoding=UTF8", "--locale=C")
# Durability is pointless for a cluster deleted at the end of the run; these make it fast.
# The WAL bound keeps a cluster small enough for /dev/shm (see _scratch_dir).
_SPEED = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_wal_size=256MB"


class ClusterError(RuntimeError):
    """The cluster cannot be set up; the message says why and what to do about it."""


def _version(bin_dir: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in bin_dir.parent.name.split(".") if part.isdigit())


def find_bin_dir() -> Path:
    """The directory holding initdb, pg_ctl and postgres (see the module docstring)."""
    override = os.environ.get("SAFEFEED_TEST_PG_BIN")
    if override is not None:
        candidates = [Path(override)]
    else:
        candidates = []
        on_path = shutil.which("initdb")
        if on_path:
            candidates.append(Path(on_path).resolve().parent)
        installed = Path("/usr/lib/postgresql").glob("*/bin")
        candidates += sorted(installed, key=_version, reverse=True)
    for directory in candidates:
        if all(os.access(directory / name, os.X_OK) for name in _BINARIES):
            return directory
    searched = ", ".join(map(str, candidates)) or "nothing"
    raise ClusterError(
        f"no PostgreSQL server binaries ({', '.join(_BINARIES)}) found; searched {searched}. "
        "Run scripts/test (it installs the Debian package postgresql) "
        "or set SAFEFEED_TEST_PG_BIN to a PostgreSQL bin directory."
    )


def _scratch_dir() -> str | None:
    """Memory-backed /dev/shm when it has room, else the usual temp dir (None): on a virtual
    disk each per-test CREATE DATABASE takes ~300 ms even with fsync off, in memory ~20 ms."""
    try:
        shm = os.statvfs("/dev/shm")
    except OSError:
        return None
    roomy = shm.f_bavail * shm.f_frsize >= 1 << 30  # Docker's default 64 MB is too small
    return "/dev/shm" if roomy and os.access("/dev/shm", os.W_OK) else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class ThrowawayCluster:
    """One PostgreSQL server on 127.0.0.1 and a free port, superuser ``safefeed`` without
    a password, durability off. `start()`, then `create_database()` per test, then `stop()`,
    which deletes everything."""

    def __init__(self, bin_dir: Path | None = None, *, durable: bool = False) -> None:
        self.bin_dir = bin_dir
        # Benchmarks want real commits on disk; tests want speed.
        self.durable = durable
        self.port = 0
        self.root: Path | None = None
        self._as_root = os.geteuid() == 0
        self._names = itertools.count(1)
        self._copy = sql.SQL("")

    # ------------------------------------------------------------ life cycle

    def start(self) -> None:
        """initdb and start the server; raises `ClusterError` quoting the tools and the log."""
        self.bin_dir = self.bin_dir or find_bin_dir()
        if self._as_root:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                raise ClusterError(
                    "as root the cluster must belong to the 'postgres' system user, which "
                    "does not exist: apt-get install postgresql (scripts/test does it)"
                ) from None
        where = None if self.durable else _scratch_dir()
        self.root = Path(tempfile.mkdtemp(prefix="safefeed-pg-", dir=where))
        try:
            if self._as_root:
                shutil.chown(self.root, "postgres", "postgres")
            self._run("initdb", *_INITDB, *_LOCALE)
            self._start_server()
            with self._connect() as connection:
                if connection.info.server_version >= 150000:
                    # The default (WAL_LOG) writes the whole template to the WAL: slower here.
                    self._copy = sql.SQL(" STRATEGY FILE_COPY")
        except BaseException:
            self.stop()
            raise

    def _start_server(self) -> None:
        # Another process may take the free port between probe and bind: retry on that only.
        for attempt in range(3):
            self.port = _free_port()
            try:
                self._launch()
                return
            except ClusterError:
                if attempt == 2 or "already in use" not in self._log_tail():
                    raise

    def halt(self) -> None:
        """Stop the server as a crash would (immediate shutdown), keeping its data."""
        self._run("pg_ctl", "stop", "--pgdata=data", "--mode=immediate")

    def resume(self) -> None:
        """Start a halted server again on the same port (clients reconnect to it)."""
        self._launch()

    def _launch(self) -> None:
        speed = "" if self.durable else _SPEED
        options = f"-h 127.0.0.1 -p {self.port} -k {self.root} {speed}"
        # --wait returns once the server accepts connections (or after --timeout).
        self._run(
            "pg_ctl", "start", "--pgdata=data", "--log=server.log",
            "--wait", "--timeout=30", f"--options={options}",
        )  # fmt: skip

    def stop(self) -> None:
        """Stop the server (immediately: nothing in it is worth keeping) and delete it."""
        if self.root is None:
            return
        if (self.root / "data" / "postmaster.pid").exists():
            # A failure means the server is already gone; the directory goes either way.
            with contextlib.suppress(ClusterError):
                self._run("pg_ctl", "stop", "--pgdata=data", "--mode=immediate")
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None

    # ------------------------------------------------------------ databases

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of one database in this cluster."""
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str | None = None, *, template: str = "template1") -> str:
        """Create a database as a copy of ``template`` and return its name."""
        name = name or f"test_{next(self._names)}"
        self._admin(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}{}").format(
                sql.Identifier(name), sql.Identifier(template), self._copy
            )
        )
        return name

    def drop_database(self, name: str) -> None:
        """Drop a database, disconnecting whoever still uses it (say a server a test spawned)."""
        self._admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    # ------------------------------------------------------------ plumbing

    def _connect(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user=USER, dbname="postgres", autocommit=True
        )

    def _admin(self, statement: sql.Composed) -> None:
        with self._connect() as connection:
            connection.execute(statement)

    def _run(self, binary: str, *args: str) -> None:
        assert self.bin_dir is not None
        command = [str(self.bin_dir / binary), *args]
        if self._as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        try:
            done = subprocess.run(
                command, cwd=self.root, capture_output=True, text=True, timeout=90, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ClusterError(f"{' '.join(command)}: {exc}{self._log_tail()}") from None
        if done.returncode != 0:
            raise ClusterError(
                f"{' '.join(command)} exited with {done.returncode}:\n"
                f"{done.stdout}{done.stderr}{self._log_tail()}"
            )

    def _log_tail(self) -> str:
        log = self.root / "server.log" if self.root else None
        if log is None or not log.exists():
            return ""
        lines = log.read_text(errors="replace").splitlines()[-20:]
        return "\nserver.log (last lines):\n" + "\n".join(lines)
