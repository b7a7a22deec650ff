"""`make cluster` (issue 20 item 6): the service on loopback as operators would run it.

A PostgreSQL primary and a streaming standby (`pg_basebackup -R`, as the suite starts its
servers, in temporary folders), `billing-center serve --workers 2` (HTTP only with
`BILLING_PROJECTIONS=external`, reads on the standby, metrics on their own port), two
`projections run` workers and a mail sender (`mail send`), each role with its own metrics
port. It prints where each one is and stops them all, then the servers, on Ctrl-C. One
that dies is reported and the others go on, so what README says of a death can be watched
(kill -9 a projection worker: the other takes its leases over). Development keys and logs
live under `./var/cluster/`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx

from tests.postgres import free_port, primary_and_standby

EXECUTABLE = Path(sys.executable).parent / "billing-center"
HOME = Path("var/cluster").resolve()
READY_SECONDS = 60.0


def environment(url: str, read_url: str, metrics_port: int) -> dict[str, str]:
    return {
        **os.environ,
        "BILLING_ENV": "development",
        "BILLING_DATABASE_URL": url,
        "BILLING_READ_DATABASE_URL": read_url,
        "BILLING_PROJECTIONS": "external",
        "BILLING_METRICS_PORT": str(metrics_port),
    }


def start(name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    with (HOME / f"{name}.log").open("ab") as log:
        return subprocess.Popen(
            [str(EXECUTABLE), *args], env=env, cwd=HOME, stdout=log, stderr=subprocess.STDOUT
        )


def wait_ready(base_url: str, serve: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline and serve.poll() is None:
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(base_url + "/health", timeout=2).status_code < 500:
                return
        time.sleep(0.2)
    raise SystemExit(f"serve did not start: see {HOME / 'serve.log'}")


def _interrupted(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(signum)


def run(port: int) -> None:
    # Ctrl-C, and SIGTERM too (a background job ignores SIGINT): stop everything we started.
    signal.signal(signal.SIGINT, _interrupted)
    signal.signal(signal.SIGTERM, _interrupted)
    HOME.mkdir(parents=True, exist_ok=True)
    with primary_and_standby() as (primary, standby):
        url = primary.create_database()
        read_url = standby.url(url.rsplit("/", 1)[1])
        metrics = free_port()
        env = environment(url, read_url, metrics)
        serve = start("serve", ["serve", "--port", str(port), "--workers", "2"], env)
        processes, ports = {"serve (2 workers)": serve}, {"serve (2 workers)": metrics}
        try:
            wait_ready(f"http://127.0.0.1:{port}", serve)
            roles = {  # name -> its log's name, its command
                **{f"projections worker {n}": (f"projections-{n}", ["projections", "run"])
                   for n in (1, 2)},
                "mail sender": ("mail", ["mail", "send"]),
            }  # fmt: skip
            for name, (log, args) in roles.items():
                ports[name] = free_port()  # each role serves its own series (issue 20 item 5)
                processes[name] = start(log, [*args, "--metrics-port", str(ports[name])], env)
            describe(port, (url, read_url), processes, ports)
            wait(processes)
        finally:
            stop(processes)


def describe(
    port: int,
    databases: tuple[str, str],
    processes: dict[str, subprocess.Popen[bytes]],
    ports: dict[str, int],
) -> None:
    url, read_url = databases
    print(f"API and console   http://127.0.0.1:{port}/  (docs: /docs)")
    print(f"primary           {url}")
    print(f"standby (reads)   {read_url}")
    for name, process in processes.items():
        print(f"{name:<17} pid {process.pid}, metrics http://127.0.0.1:{ports[name]}/metrics")
    print(f"logs and keys     {HOME}/  (BILLING_ENV=development there)")
    print(f"add a worker      cd {HOME} && BILLING_ENV=development BILLING_DATABASE_URL={url} "
          f"BILLING_PROJECTIONS=external {EXECUTABLE} projections run")  # fmt: skip
    print("Ctrl-C stops everything.", flush=True)


def wait(processes: dict[str, subprocess.Popen[bytes]], every: float = 1.0) -> None:
    """Until Ctrl-C, or until none is left: each one that exits is reported once, and the
    others go on as they would in production (it stopped them all at the first death, so a
    worker killed to watch its leases move took the whole cluster down)."""
    exited: set[str] = set()
    with contextlib.suppress(KeyboardInterrupt):
        while len(exited) < len(processes):
            for name, process in processes.items():
                if name not in exited and process.poll() is not None:
                    exited.add(name)
                    print(f"{name} exited {process.returncode}; the others go on (see its "
                          "log; Ctrl-C stops them)", flush=True)  # fmt: skip
            time.sleep(every)


def stop(processes: dict[str, subprocess.Popen[bytes]]) -> None:
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes.values():
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


if __name__ == "__main__":
    run(int(os.environ.get("PORT", "8000")))
