"""A real `billing-center serve` process on loopback, and a PostgreSQL server we may stop.

The reliability tests drive the service the way production does: a uvicorn subprocess on
127.0.0.1, reached over TCP with httpx, on the suite's throwaway PostgreSQL. They may
`kill -9` that process, stop and restart PostgreSQL, and read the store behind the API.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2 as httpx
import psycopg

from api.tokens import Scope, issue_token
from projections.audit.chain import new_private_pem
from store.keys import load_or_create_data_key, load_or_create_export_key
from tests.postgres import PostgresServer, free_port

SECRET = "reliability-secret-of-at-least-thirty-two-bytes"
READY_SECONDS = 60.0
EXECUTABLE = Path(sys.executable).parent / "billing-center"


def service_env(store_url: str, home: Path, env: str = "development") -> dict[str, str]:
    """The BILLING_* environment of a service on `store_url` with keys under `home`."""
    return {
        **os.environ,
        "BILLING_ENV": env,
        "BILLING_DATABASE_URL": store_url,
        "BILLING_JWT_SECRET": SECRET,
        "BILLING_DATA_KEY": str(home / "keys" / "data.key"),
        "BILLING_EXPORT_KEY": str(home / "keys" / "export.pem"),
    }


def run_cli(
    store_url: str, home: Path, *args: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run `billing-center ARGS` to completion with the service's environment."""
    return subprocess.run(
        [str(EXECUTABLE), *args],
        env=service_env(store_url, home),
        cwd=home,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@dataclass
class Service:
    """`billing-center serve` in a subprocess on 127.0.0.1:`port`."""

    store_url: str
    home: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    env: str = "development"
    workers: int = 1
    environ: dict[str, str] = field(default_factory=dict)  # added to its environment

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.home / f"serve-{self.port}.log"

    def start(self) -> Service:
        """Start the process and wait until `/health` answers 200."""
        self.home.mkdir(parents=True, exist_ok=True)
        if self.env != "development":  # outside development an operator provisions the keys
            keys = self.home / "keys"
            load_or_create_data_key(keys / "data.key", create=True)
            load_or_create_export_key(keys / "export.pem", True, new_private_pem)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    str(EXECUTABLE),
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--workers",
                    str(self.workers),
                ],
                env=service_env(self.store_url, self.home, self.env) | self.environ,
                cwd=self.home,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: `kill` reaches every worker
            )
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"serve exited {self.process.returncode}:\n{self.log_text()}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(self.base_url + "/health", timeout=2).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"serve did not become ready:\n{self.log_text()}")

    def kill(self) -> None:
        """`kill -9` of the whole service, as a crashed host or container loses it: no
        shutdown, no flush, no lifespan end. The process group, not the supervisor alone:
        a `--workers 2` child outlived its killed supervisor and served on (seen after CI)."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """A graceful stop (SIGTERM), then SIGKILL if it hangs."""
        stop_group(self.process)

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-6000:]
        except OSError:
            return "(no log)"


@dataclass
class Role:
    """Another role of the service in a process group of its own (`projections run`, issue
    20), with the environment of a `Service` on the same store."""

    args: tuple[str, ...]
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> Role:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(EXECUTABLE), *self.args], env=self.env, cwd=self.log.parent,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        return self

    def stop(self) -> None:
        """SIGTERM (its leases end with it), then SIGKILL if it hangs."""
        stop_group(self.process)


def stop_group(process: subprocess.Popen[bytes] | None) -> None:
    """A graceful stop (SIGTERM), then SIGKILL to its whole process group: to all of it if
    it hangs, and to what outlived it (a `--workers` child) if it stopped."""
    if process is None:
        return
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


@contextlib.contextmanager
def serving(store_url: str, home: Path) -> Iterator[Service]:
    """A started service, stopped afterwards whatever happens."""
    service = Service(store_url, home)
    try:
        yield service.start()
    finally:
        service.stop()


def bearer(login: str, scope: Scope | None = None, **claims: str) -> dict[str, str]:
    """An Authorization header for `login` signed with the service's secret."""
    if scope is None:
        claims = {"email": f"{login}@acme.test", "name": login.title(), **claims}
    token = issue_token(SECRET, login, scope=scope, **claims)  # type: ignore[arg-type]
    return {"Authorization": f"Bearer {token}"}


# --- PostgreSQL under our control -----------------------------------------------------------


def pg_ctl(server: PostgresServer, *args: str) -> None:
    """Run pg_ctl on the throwaway server's data folder (as `postgres` when we are root)."""
    command = [str(server.bindir / "pg_ctl"), "-D", str(server.folder / "data"), *args]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)


def stop_postgres(server: PostgresServer) -> None:
    """`pg_ctl stop -m fast`: open connections are cut, new ones refused."""
    pg_ctl(server, "stop", "-m", "fast", "-w")


def start_postgres(server: PostgresServer) -> None:
    """Start the stopped server again on the same port and data."""
    options = f"-p {server.port} -h 127.0.0.1 -k {server.folder} -F -c max_connections=300"
    log = str(server.folder / "server.log")
    pg_ctl(server, "-o", options, "-l", log, "-w", "-t", "60", "start")


def query(url: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Rows of one statement on the database behind the service."""
    with psycopg.connect(url, autocommit=True) as conn:
        return [tuple(r) for r in conn.execute(sql, params).fetchall()]
