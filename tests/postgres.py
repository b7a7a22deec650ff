"""A throwaway PostgreSQL server for the test suite, started from the machine's binaries.

The suite never skips PostgreSQL tests: when the binaries are missing or the server does not
start, ``start_server`` raises with the server's log, and every test that needs it fails.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

SUPERUSER = "billing"
START_ATTEMPTS = 3


_USER_TABLES = (
    "SELECT schemaname, tablename FROM pg_tables"
    " WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
)

_END_SESSIONS = (
    "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity"
    " WHERE datname = {} AND pid <> pg_backend_pid()"
)


class PostgresUnavailableError(RuntimeError):
    """The throwaway PostgreSQL server could not be started."""


@dataclass
class PostgresServer:
    """A running server in ``folder``, reachable on 127.0.0.1:``port`` as ``billing``."""

    folder: Path
    port: int
    bindir: Path
    stopped: bool = field(default=False)

    @property
    def base_url(self) -> str:
        return self.url("postgres")

    def url(self, dbname: str) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, template: str | None = None) -> str:
        """Create a fresh database and return its URL: empty, or a copy of `template` (a
        database name; the copy is a file copy, far cheaper than creating a schema)."""
        name = f"t_{uuid.uuid4().hex}"
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            statement += sql.SQL(" TEMPLATE {} STRATEGY FILE_COPY").format(sql.Identifier(template))
        self._admin(statement)
        return self.url(name)

    @contextlib.contextmanager
    def database(self, template: str | None = None) -> Iterator[str]:
        """`create_database(template)`'s URL, the database dropped on the way out."""
        url = self.create_database(template)
        try:
            yield url
        finally:
            self.drop_database(url)

    def make_template(self, url: str) -> str:
        """Empty every table of the database at `url` (identities restarted), forbid further
        connections and return its name, for `create_database(template=...)`."""
        name = url.rsplit("/", 1)[1]
        empty_tables(url)
        statement = sql.SQL("ALTER DATABASE {} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false")
        self._admin(statement.format(sql.Identifier(name)))
        # A copy needs the template unused: end what the closed pools' sessions left behind.
        self._admin(sql.SQL(_END_SESSIONS).format(sql.Literal(name)))
        return name

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        statement = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
        self._admin(statement.format(sql.Identifier(name)))

    def _admin(self, statement: sql.Composed) -> None:
        with psycopg.connect(self.base_url, autocommit=True) as connection:
            connection.execute(statement)

    def stop(self) -> None:
        """Stop the server at once and remove its folder; safe to call twice."""
        if self.stopped:
            return
        self.stopped = True
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            _run(self.bindir / "pg_ctl", "-D", str(self.folder / "data"), "stop", "-m", "immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


def empty_tables(conninfo: str) -> None:
    """Delete every row of every table of the database (identities restarted), keeping the
    tables: the state the app leaves right after creating its schema on an empty database."""
    with psycopg.connect(conninfo, autocommit=True) as connection:
        tables = connection.execute(_USER_TABLES).fetchall()
        names = sql.SQL(", ").join(sql.Identifier(*table) for table in tables)
        if tables:
            connection.execute(sql.SQL("TRUNCATE {} RESTART IDENTITY").format(names))


def start_server() -> PostgresServer:
    """Start a server in a new temporary folder; it is stopped at exit at the latest."""
    bindir = find_bindir()
    failures: list[str] = []
    for _ in range(START_ATTEMPTS):  # another process may take the free port we picked
        folder = Path(tempfile.mkdtemp(prefix="billing-pg-", dir=_base_folder()))
        server = PostgresServer(folder, free_port(), bindir)
        atexit.register(server.stop)
        try:
            _initdb_and_start(server)
        except (OSError, subprocess.SubprocessError) as error:
            failures.append(f"{error}\n{_log_tail(server)}")
            server.stop()
            continue
        return server
    raise PostgresUnavailableError("PostgreSQL did not start:\n" + "\n---\n".join(failures))


def find_bindir() -> Path:
    """Where ``initdb`` and ``pg_ctl`` are: on the PATH, else Debian's versioned folder."""
    initdb = shutil.which("initdb")
    candidates = [Path(initdb).parent] if initdb else []
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    for candidate in candidates:
        if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
            return candidate
    raise PostgresUnavailableError(
        "PostgreSQL binaries initdb/pg_ctl not found on PATH or in /usr/lib/postgresql/*/bin: "
        "install PostgreSQL 15 (Debian: apt-get install postgresql-15)"
    )


def _base_folder() -> str | None:
    # As root the server runs as ``postgres``, which must reach the folder: $TMPDIR may be
    # under /root, so use /tmp (world-traversable) then.
    return "/tmp" if os.geteuid() == 0 else None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _initdb_and_start(server: PostgresServer) -> None:
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        shutil.chown(server.folder, user="postgres", group="postgres")
    data = str(server.folder / "data")
    _run(server.bindir / "initdb", "-D", data, "-A", "trust", "-U", SUPERUSER,
         "-E", "UTF8", "--locale=C", "--no-sync")  # fmt: skip
    options = f"-p {server.port} -h 127.0.0.1 -k {server.folder} -F -c max_connections=300"
    _run(server.bindir / "pg_ctl", "-D", data, "-o", options,
         "-l", str(server.folder / "server.log"), "-w", "-t", "60", "start")  # fmt: skip


def _run(executable: Path, *args: str) -> None:
    command = [str(executable), *args]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        raise subprocess.SubprocessError(
            f"{' '.join(command)} exited {result.returncode}:\n{result.stdout}{result.stderr}"
        )


def _log_tail(server: PostgresServer) -> str:
    try:
        return (server.folder / "server.log").read_text()[-4000:]
    except OSError:
        return "(no server log)"


def start_standby(primary: PostgresServer) -> PostgresServer:
    """A hot standby of `primary` streaming its WAL (issue 20): `pg_basebackup -R` over the
    replication connection that initdb's pg_hba trusts on loopback (`wal_level=replica` is
    the default), started on a port of its own in a temporary folder. Stop it with `stop()`."""
    folder = Path(tempfile.mkdtemp(prefix="billing-standby-", dir=_base_folder()))
    standby = PostgresServer(folder, free_port(), primary.bindir)  # pg_ctl stops it
    atexit.register(standby.stop)
    if os.geteuid() == 0:
        shutil.chown(folder, user="postgres", group="postgres")
    data = str(folder / "data")
    bindir = (primary.bindir / "pg_ctl").resolve().parent  # PATH may link only initdb, pg_ctl
    try:
        _run(bindir / "pg_basebackup", "-D", data, "-R", "-X", "stream",
             "-h", "127.0.0.1", "-p", str(primary.port), "-U", SUPERUSER)  # fmt: skip
        options = f"-p {standby.port} -h 127.0.0.1 -k {folder} -F -c max_connections=300"
        _run(primary.bindir / "pg_ctl", "-D", data, "-o", options,
             "-l", str(folder / "server.log"), "-w", "-t", "60", "start")  # fmt: skip
    except (OSError, subprocess.SubprocessError) as error:
        log = _log_tail(standby)
        standby.stop()
        raise PostgresUnavailableError(f"the standby did not start: {error}\n{log}") from error
    return standby


@contextlib.contextmanager
def primary_and_standby() -> Iterator[tuple[PostgresServer, PostgresServer]]:
    """A throwaway primary and its hot standby, both stopped on the way out (issue 20)."""
    primary = start_server()
    try:
        standby = start_standby(primary)
        try:
            yield primary, standby
        finally:
            standby.stop()
    finally:
        primary.stop()
