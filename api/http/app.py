"""The HTTP application factory: the composition root of the web service."""

from __future__ import annotations

from fastapi import FastAPI

from api.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    """Build the FastAPI application for ``settings``."""
    app = FastAPI(title="Billing Center", version="1")
    app.state.settings = settings

    @app.get("/health")
    def health() -> dict[str, str]:
        """Liveness of the service."""
        return {"status": "ok"}

    return app
