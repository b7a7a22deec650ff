"""The web console (issue 10): server-rendered pages on the same commands, use cases
(`api.usecases`) and read models as the HTTP API, with the same error table; it never
calls the API's route functions (issue 19).

`install(app)` mounts the console's router and its static files on the app factory's app.
Outside development there is no sign-in page: the identity provider posts its token
(a JWT signed with `BILLING_JWT_SECRET`) as the form field `token` to `/console/session`,
and the console keeps it in an HttpOnly, SameSite=Strict cookie.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.web.errors import install_handlers
from api.web.routes import router
from api.web.templating import STATIC_DIR


def install(app: FastAPI) -> None:
    """Mount the console on `app`: its pages, their static files and their error pages."""
    app.mount("/console/static", StaticFiles(directory=STATIC_DIR), name="console-static")
    app.include_router(router)
    install_handlers(app)
