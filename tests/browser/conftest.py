"""A real console in a real browser: uvicorn on a loopback port over a temporary SQLite store,
and Debian's Chromium driven by Playwright, with axe-core and screenshots for every page."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2 as httpx
import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from tests.browser.console import Server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SECRET = "browser-test-secret-of-at-least-thirty-two-bytes"
START_SECONDS = 30.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_up(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the server exited before answering")
        try:
            if httpx.get(f"{base}/health", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the server did not answer /health in time")


@contextmanager
def serving(home: Path, **settings: str) -> Iterator[Server]:
    """`billing-center serve` on a free loopback port, on a fresh SQLite store under `home`,
    with `settings` (environment variables) beside the defaults."""
    port = _free_port()
    env = {
        **os.environ,
        "BILLING_ENV": "development",
        "BILLING_DATABASE_URL": f"sqlite:///{home / 'events.sqlite'}",
        "BILLING_JWT_SECRET": SECRET,
        "BILLING_DATA_KEY": str(home / "keys" / "data.key"),
        "BILLING_EXPORT_KEY": str(home / "keys" / "export.pem"),
        **settings,
    }
    command = [str(Path(sys.executable).parent / "billing-center"), "serve", "--port", str(port)]
    log = (home / "server.log").open("wb")
    process = subprocess.Popen(command, cwd=home, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process)
        yield Server(base, SECRET)
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The console's server for a module's tests."""
    with serving(tmp_path_factory.mktemp("console")) as running:
        yield running


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, headless."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs the chromium package")
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        yield chromium
    finally:
        chromium.close()
