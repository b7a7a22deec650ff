"""The one storage setting, ``BILLING_DATABASE_URL``: the only module that parses it.

It maps the URL onto ``eventsourcing`` persistence, and names the SQLite file or the
PostgreSQL connection (and ``?schema=``) for the store's other tables.

``memory://`` keeps events in the process (unit tests), ``sqlite:///PATH`` uses a SQLite file
(three slashes then the path: ``sqlite:///./var/x.sqlite`` is relative to the working folder,
``sqlite:////srv/x.sqlite`` absolute), and ``postgresql://user:pass@host:port/db[?schema=s]``
(or ``postgres://``) a PostgreSQL database.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

SQLITE_LOCK_TIMEOUT_SECONDS = 10
# Enough for FastAPI's worker threads without exhausting a default server's 100 connections.
POSTGRES_POOL_SIZE = 5
POSTGRES_MAX_OVERFLOW = 10
POSTGRES_CONNECT_TIMEOUT_SECONDS = 10
# The library's recorder with its locked insert in one round trip (same lock, same NOTIFY):
# see store/recorders.py and the README's Performance section.
POSTGRES_APPLICATION_RECORDER = "store.recorders:LeanPostgresApplicationRecorder"
TRANSCODER = "store.transcoder:OrjsonTranscoder"
MAPPER = "store.transcoder:LeanMapper"
# One queued writer connection per process, commands group-committed (issue 21).
SQLITE_APPLICATION_RECORDER = "store.sqlite_recorder:QueuedSqliteApplicationRecorder"


class StorageUrlError(ValueError):
    """The database URL cannot be mapped onto a supported event store."""


def eventsourcing_env(url: str) -> dict[str, str]:
    """Return the ``eventsourcing`` environment that selects the store named by ``url``."""
    scheme = scheme_of(url)
    if scheme == "memory":
        return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    if scheme == "sqlite":
        return _sqlite_env(url) | {"TRANSCODER_TOPIC": TRANSCODER, "MAPPER_TOPIC": MAPPER}
    if scheme == "postgres":
        return _postgres_env(url) | {"TRANSCODER_TOPIC": TRANSCODER, "MAPPER_TOPIC": MAPPER}
    raise StorageUrlError(
        f"unsupported database URL scheme {scheme!r} in BILLING_DATABASE_URL: "
        "use memory://, sqlite:///PATH or postgresql://user:pass@host:port/db"
    )


def _sqlite_env(url: str) -> dict[str, str]:
    prefix = "sqlite:///"
    if not url.lower().startswith(prefix) or len(url) == len(prefix):
        raise StorageUrlError(f"a SQLite URL is sqlite:///PATH, got {url!r}")
    path = sqlite_path(url)
    _create_private(path)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(path),
        "SQLITE_LOCK_TIMEOUT": str(SQLITE_LOCK_TIMEOUT_SECONDS),
        "APPLICATION_RECORDER_TOPIC": SQLITE_APPLICATION_RECORDER,
    }


def _create_private(path: Path) -> None:
    """Create the SQLite file 0600 (in a new folder 0700) before SQLite does: it holds
    personal data, and SQLite gives its -wal and -shm files the database file's mode."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):  # made earlier, or by a concurrent start
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _postgres_env(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    dbname = unquote(parts.path.lstrip("/"))
    if not parts.hostname or not dbname or not parts.username:
        raise StorageUrlError(
            f"a PostgreSQL URL is postgresql://user:pass@host:port/db, got {_redacted(url)!r}"
        )
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": dbname,
        "POSTGRES_HOST": parts.hostname,
        "POSTGRES_PORT": str(parts.port or 5432),
        "POSTGRES_USER": unquote(parts.username),
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
        "POSTGRES_CONNECT_TIMEOUT": str(POSTGRES_CONNECT_TIMEOUT_SECONDS),
        "POSTGRES_POOL_SIZE": str(POSTGRES_POOL_SIZE),
        "POSTGRES_MAX_OVERFLOW": str(POSTGRES_MAX_OVERFLOW),
        "APPLICATION_RECORDER_TOPIC": POSTGRES_APPLICATION_RECORDER,
    }
    schema = _postgres_schema(parts.query, url)
    if schema:
        env["POSTGRES_SCHEMA"] = schema
    return env


def _postgres_schema(query: str, url: str) -> str | None:
    params = parse_qs(query, keep_blank_values=True)
    unknown = set(params) - {"schema"}
    if unknown:
        raise StorageUrlError(
            f"unsupported PostgreSQL URL parameters {sorted(unknown)} in {_redacted(url)!r}: "
            "only ?schema= is understood"
        )
    values = params.get("schema", [])
    return values[-1] if values else None


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":***@", 1)


def scheme_of(url: str) -> str:
    """The store kind a URL names: "memory", "sqlite", "postgres", or its unknown scheme."""
    scheme = urlsplit(url).scheme.lower()
    return "postgres" if scheme in {"postgresql", "postgres"} else scheme


def is_postgres(url: str) -> bool:
    """Whether the URL names a PostgreSQL database."""
    return scheme_of(url) == "postgres"


def sqlite_path(url: str) -> Path:
    """The absolute path of a ``sqlite:///PATH`` URL's file."""
    return Path(unquote(url[len("sqlite:///") :])).resolve()


def postgres_conninfo(url: str, *, connect_timeout: int | None = None) -> tuple[str, str | None]:
    """A libpq URL without our `?schema=` parameter (with `connect_timeout` if given), and
    that schema."""
    parts = urlsplit(url)
    schema = parse_qs(parts.query).get("schema", [None])[-1]
    query = "" if connect_timeout is None else f"connect_timeout={connect_timeout}"
    return parts._replace(query=query, scheme="postgresql").geturl(), schema


def address(url: str) -> str:
    """Where the URL points, without its password: host:port/database, or the URL itself."""
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or 5432}{parts.path}" if parts.hostname else url
