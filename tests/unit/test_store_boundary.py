"""Issue 19: store/ is the only package that speaks to a database driver, and it sits below
the others: it imports nothing of api/ or projections/, and domain/ imports nothing of it."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("domain", "store", "projections", "api")
DRIVERS = {"psycopg", "psycopg_pool", "sqlite3"}


def _imports(path: Path) -> set[str]:
    """The top-level packages a module imports."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def test_only_store_imports_a_database_driver() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for package in PACKAGES
        if package != "store"
        for path in _modules(package)
        if _imports(path) & DRIVERS
    ]
    assert offenders == []


def test_store_imports_neither_api_nor_projections_and_domain_not_store() -> None:
    upward = [p for p in _modules("store") if _imports(p) & {"api", "projections"}]
    downward = [p for p in _modules("domain") if "store" in _imports(p)]
    assert upward == []
    assert downward == []


def test_every_advisory_lock_is_taken_in_store_locks() -> None:
    holders = {
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in _modules(package)
        if "pg_advisory" in path.read_text(encoding="utf-8")
    }
    assert holders == {"store/locks.py"}


def _imported_modules(path: Path) -> set[str]:
    """The full dotted names a module imports from."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def test_the_console_calls_use_cases_never_the_http_routes() -> None:
    """Issue 19: the console and the API are two ways in to the same use cases; neither
    imports the other (an API body the console also validates lives in api/schemas)."""
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            m for m in _imported_modules(path) if m.startswith("api.http")
        )
        for path in _modules("api/web")
    }
    assert {path: found for path, found in offenders.items() if found} == {}
    assert not (ROOT / "api/http/shortcut.py").exists(), "one entry path: FastAPI's router"
