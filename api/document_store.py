"""The document store beside the events (I7, I9), opened once per app on first use, for
every way in (the API's routes, the console's pages)."""

from __future__ import annotations

import threading
from typing import Any

from store.documents import DocumentStore, document_store

_LOCK = threading.Lock()


def documents_of(state: Any) -> DocumentStore:
    """The app's document store (`state`: the app's `state`, holding its settings)."""
    with _LOCK:
        if getattr(state, "documents", None) is None:
            state.documents = document_store(state.settings.database_url)
    store: DocumentStore = state.documents
    return store
