"""Issue 20: `BILLING_READ_DATABASE_URL` names a PostgreSQL hot standby of a PostgreSQL store."""

from __future__ import annotations

import pytest

from store.database import open_database
from store.url import StorageUrlError


@pytest.mark.parametrize(
    ("url", "read_url"),
    [
        ("sqlite:///./var/x.sqlite", "postgresql://u@127.0.0.1:5432/db"),
        ("postgresql://u@127.0.0.1:5432/db", "sqlite:///./var/x.sqlite"),
        ("memory://", "memory://"),
    ],
)
def test_a_read_replica_is_refused_unless_both_urls_are_postgres(url: str, read_url: str) -> None:
    with pytest.raises(StorageUrlError, match="BILLING_READ_DATABASE_URL"):
        open_database(url, read_url)
