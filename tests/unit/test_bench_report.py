"""bench-results.json's figures carry stable ids, and README's table is generated from the
file (issue 21, item 5)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from benchmarks import commands, headline, optional, raw
from benchmarks.report import (
    IDS,
    README_BEGIN,
    README_END,
    Figure,
    main,
    rewrite_readme,
    write_json,
)


def _figures() -> list[Figure]:
    """One figure per id and backend, numbered so each value is recognisable."""
    figures = []
    for n, (ident, backend) in enumerate((i, b) for i in IDS for b in ("postgres", "sqlite")):
        figure = Figure(f"figure {ident}", backend, 1000.0 + n, "x/s", id=ident)
        figure.compare("raw_insert_locked_1rt", "one round trip", 2000.0)
        figure.compare("raw_insert_locked", "four round trips", 500.0)
        figures.append(figure)
    return figures


def _document(tmp_path: Path) -> dict[str, Any]:
    results = tmp_path / "bench-results.json"
    write_json(_figures(), results, "small", 123.4)
    document: dict[str, Any] = json.loads(results.read_text())
    return document


def test_every_figure_in_the_file_has_its_id_backend_and_both_ratios(tmp_path: Path) -> None:
    figures = _document(tmp_path)["figures"]
    assert [(f["id"], f["backend"]) for f in figures[:2]] == [
        ("commands_1_client", "postgres"), ("commands_1_client", "sqlite")]  # fmt: skip
    assert figures[0]["ratio"] == 0.5
    assert figures[0]["second_ratio"] == 2.0
    assert figures[0]["reference_id"] == "raw_insert_locked_1rt"
    assert figures[0]["second_reference_id"] == "raw_insert_locked"


def test_the_readme_table_covers_every_id_of_the_file(tmp_path: Path) -> None:
    document = _document(tmp_path)
    readme = f"# Title\n\nbefore\n\n{README_BEGIN}\nstale table\n{README_END}\n\nafter\n"
    rewritten = rewrite_readme(readme, document)
    assert rewritten.startswith("# Title\n\nbefore\n\n")
    assert rewritten.endswith(f"{README_END}\n\nafter\n")
    assert "stale table" not in rewritten
    rows = [line.split(" | ") for line in rewritten.splitlines() if line.startswith("| ")]
    rows = rows[1:]  # the header
    assert {(row[0].lstrip("| "), row[2]) for row in rows} == {
        (i, b) for i in IDS for b in ("postgres", "sqlite")
    }
    first = rows[0]
    assert first[3:7] == ["1,000", "x/s", "50% of 2,000 (one round trip)",
                          "200% of 500 (four round trips)"]  # fmt: skip
    assert rewrite_readme(rewritten, document) == rewritten


def test_the_command_rewrites_the_readme_in_place(tmp_path: Path) -> None:
    document = _document(tmp_path)
    readme = tmp_path / "README.md"
    readme.write_text(f"{README_BEGIN}\n{README_END}\n")
    assert main(["--readme", str(tmp_path / "bench-results.json"), str(readme)]) == 0
    for figure in document["figures"]:
        assert f"| {figure['id']} | {figure['name']} | {figure['backend']} |" in readme.read_text()


def test_a_readme_without_markers_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="markers"):
        rewrite_readme("# no table here\n", _document(tmp_path))


def test_the_project_readme_table_is_generated_and_names_known_ids_only() -> None:
    """README's table sits between the generator's markers, one known id per row
    (bench-results.json itself is not committed: `make bench` rewrites it on every run)."""
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    table = readme[readme.index(README_BEGIN) : readme.index(README_END)]
    rows = [line for line in table.splitlines() if line.startswith("| ")][1:]  # no header
    ids = {row.split(" | ")[0].lstrip("| ") for row in rows}
    assert ids
    assert ids <= set(IDS)


def test_every_id_is_named_by_the_benchmark_that_measures_it() -> None:
    """An id in the catalogue that no benchmark sets would be a row no run ever fills."""
    sources = "".join(
        Path(module.__file__ or "").read_text() for module in (commands, headline, optional, raw)
    )
    assert [i for i in IDS if f'"{i}"' not in sources] == []
    assert asdict(Figure("x", "postgres", 1.0, "x/s"))["id"] == ""
