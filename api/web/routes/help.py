"""The console's help (issue 24): one short topic per feature a user meets, each naming the
rules of DOMAIN.md it explains, in English and French. The topics are prose, kept in
`templates/help_topics.json` (English; the French catalogue translates each title and text):
a new feature appends its topic there."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fastapi.responses import Response

from api.web.routes.common import Ctx, console_router
from api.web.templating import render

router = console_router()
TOPICS = Path(__file__).parents[1] / "templates" / "help_topics.json"


@dataclass(frozen=True)
class Topic:
    """One help topic: its anchor, title, rule ids and text (translated where shown)."""

    anchor: str
    title: str
    rules: str
    text: str


@cache
def topics() -> tuple[Topic, ...]:
    """The help topics, in the order shown."""
    found = json.loads(TOPICS.read_text(encoding="utf-8"))
    return tuple(Topic(**topic) for topic in found)


@router.get("/console/help")
def help_page(ctx: Ctx) -> Response:
    """What each feature does, in a few lines (issue 24)."""
    return render(ctx, "help.html", topics=topics())
