"""Figures, the table printed with rich, and bench-results.json."""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

NOT_BUILT = "not built yet"


@dataclass
class Figure:
    """One line of the table: a measured value, and the reference it is compared with."""

    name: str
    backend: str
    value: float | None
    unit: str
    reference: float | None = None
    reference_name: str = ""
    note: str = ""
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.reference:
            return None
        return self.value / self.reference


def not_built(name: str, backend: str, what: str) -> Figure:
    """A figure whose code belongs to another issue that has not landed yet."""
    return Figure(name, backend, None, "", note=f"{NOT_BUILT} ({what})")


def rate(operation: Callable[[], object], seconds: float) -> float:
    """Operations per second of `operation`, called repeatedly for about `seconds`."""
    count = 0
    started = time.perf_counter()
    deadline = started + seconds
    while True:
        operation()
        count += 1
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - started)


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if value >= 100 else f"{value:,.2f}"  # noqa: PLR2004


def print_table(figures: list[Figure], title: str, console: Console | None = None) -> None:
    """The figures as one rich table: figure, value, reference, ratio."""
    table = Table(title=title)
    for column in ("figure", "backend", "value", "unit", "reference", "ratio", "note"):
        table.add_column(column, justify="right" if column in {"value", "ratio"} else "left")
    for f in figures:
        reference = f"{_number(f.reference)} ({f.reference_name})" if f.reference else "-"
        ratio = f"{f.ratio:.0%}" if f.ratio is not None else "-"
        table.add_row(f.name, f.backend, _number(f.value), f.unit, reference, ratio, f.note)
    (console or Console(width=200)).print(table)


def markdown_table(figures: list[Figure]) -> str:
    """The same table in Markdown, for the README."""
    lines = [
        "| figure | backend | value | unit | reference | ratio | note |",
        "|---|---|---:|---|---|---:|---|",
    ]
    for f in figures:
        reference = f"{_number(f.reference)} ({f.reference_name})" if f.reference else "-"
        ratio = f"{f.ratio:.0%}" if f.ratio is not None else "-"
        cells = [f.name, f.backend, _number(f.value), f.unit, reference, ratio, f.note]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_json(figures: list[Figure], path: Path, scale: str, seconds: float) -> None:
    """bench-results.json: every figure with its reference and ratio, and the machine."""
    document = {
        "scale": scale,
        "elapsed_seconds": round(seconds, 1),
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "figures": [{**asdict(f), "ratio": f.ratio} for f in figures],
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
