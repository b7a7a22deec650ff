"""Maps the one storage setting, ``BILLING_DATABASE_URL``, onto ``eventsourcing`` persistence.

``memory://`` keeps events in the process (unit tests), ``sqlite:///PATH`` uses a SQLite file
(three slashes then the path: ``sqlite:///./var/x.sqlite`` is relative to the working folder,
``sqlite:////srv/x.sqlite`` absolute), and ``postgresql://user:pass@host:port/db[?schema=s]``
(or ``postgres://``) a PostgreSQL database.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import orjson
from eventsourcing.persistence import JSONTranscoder

SQLITE_LOCK_TIMEOUT_SECONDS = 10
# Enough for FastAPI's worker threads without exhausting a default server's 100 connections.
POSTGRES_POOL_SIZE = 5
POSTGRES_MAX_OVERFLOW = 10
POSTGRES_CONNECT_TIMEOUT_SECONDS = 10
# The library's recorder with its locked insert in one round trip (same lock, same NOTIFY):
# see api/recorders.py and the README's Performance section.
POSTGRES_APPLICATION_RECORDER = "api.recorders:LeanPostgresApplicationRecorder"
TRANSCODER = "api.storage:OrjsonTranscoder"
_MARKER_KEYS = 2  # a transcoded value is {"_type_": ..., "_data_": ...}


class OrjsonTranscoder(JSONTranscoder):
    """The library's JSON transcoder, reading with orjson (issue 4: the stdlib decoder was a
    quarter of projection catch-up). It writes the same bytes as before (encoding is the
    library's), registers the same transcodings, and reads the same values: the library's
    `{"_type_": ..., "_data_": ...}` markers are revived innermost first, as its
    `object_hook` does; what orjson refuses (NaN, integers past 64 bits) the stdlib reads.
    """

    def decode(self, data: bytes) -> Any:
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError:
            return super().decode(data)
        return self._revived(value)

    def _revived(self, value: Any) -> Any:
        if type(value) is dict:
            names = self.names
            for key, item in value.items():  # same keys: safe while iterating
                if type(item) is dict:
                    # A marker around text (a timestamp, a decimal, a date, a uuid: most of
                    # them) is decoded here; anything else, recursively.
                    data = item.get("_data_")
                    plain = type(data) is str and len(item) == _MARKER_KEYS
                    transcoding = names.get(item.get("_type_", "")) if plain else None
                    value[key] = transcoding.decode(data) if transcoding else self._revived(item)
                elif type(item) is list:
                    value[key] = self._revived(item)
            return self._decode_obj(value) if len(value) == _MARKER_KEYS else value
        if type(value) is list:
            return [self._revived(item) for item in value]
        return value


class StorageUrlError(ValueError):
    """The database URL cannot be mapped onto a supported event store."""


def eventsourcing_env(url: str) -> dict[str, str]:
    """Return the ``eventsourcing`` environment that selects the store named by ``url``."""
    scheme = urlsplit(url).scheme.lower()
    if scheme == "memory":
        return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    if scheme == "sqlite":
        return _sqlite_env(url) | {"TRANSCODER_TOPIC": TRANSCODER}
    if scheme in {"postgresql", "postgres"}:
        return _postgres_env(url) | {"TRANSCODER_TOPIC": TRANSCODER}
    raise StorageUrlError(
        f"unsupported database URL scheme {scheme!r} in BILLING_DATABASE_URL: "
        "use memory://, sqlite:///PATH or postgresql://user:pass@host:port/db"
    )


def _sqlite_env(url: str) -> dict[str, str]:
    prefix = "sqlite:///"
    if not url.lower().startswith(prefix) or len(url) == len(prefix):
        raise StorageUrlError(f"a SQLite URL is sqlite:///PATH, got {url!r}")
    path = Path(unquote(url[len(prefix) :])).resolve()
    _create_private(path)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(path),
        "SQLITE_LOCK_TIMEOUT": str(SQLITE_LOCK_TIMEOUT_SECONDS),
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
