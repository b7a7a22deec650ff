"""README's rule index is true (issue 19): every rule of DOMAIN.md, where it is decided.

The rule ids are read from the contract itself, `../shared/DOMAIN.md` beside the clone (or
the nearest `shared/DOMAIN.md` above it, as for a git worktree): a rule added there must get
a row here. Without the file the tests fail, never skip: the index would be unchecked.

A module *cites* a rule when the rule id stands as a whole word anywhere in it: an error's
`rule = "A3"`, a comment `# R6`, a docstring `\"\"\"A3: ...`. A range such as `A4-A6` cites
its two ends. Only the code's packages count (domain/, store/, projections/, api/), by path,
so moving a module means updating its path in the index and nothing else.

Each row names the module(s) and function(s) where the rule is decided, then every other
module that cites it. A rule no code decides yet names the issue that will (`not yet
(issue 24)`), and must then be cited nowhere.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
PACKAGES = ("domain", "store", "projections", "api")
INDEX_HEADING = "### Rule index"
PENDING = re.compile(r"^not yet \(issue (\d+)\)$")


@dataclass
class Row:
    """One rule's row: where it is decided (path -> names) and where else it is cited."""

    decided: dict[str, list[str]] = field(default_factory=dict)
    also: set[str] = field(default_factory=set)
    pending_issue: str | None = None

    def modules(self) -> set[str]:
        return set(self.decided) | self.also


def domain_md(root: Path = ROOT) -> Path:
    """`shared/DOMAIN.md` in the nearest folder above the repository that has one."""
    for folder in root.parents:
        candidate = folder / "shared" / "DOMAIN.md"
        if candidate.is_file():
            return candidate
    pytest.fail(f"no shared/DOMAIN.md above {root}: the rule index cannot be checked")


def rule_ids(text: str) -> list[str]:
    """The ids DOMAIN.md defines: each rule is a list item opening with its bold id."""
    return re.findall(r"^- \*\*([RAIC]\d+)\*\*", text, flags=re.MULTILINE)


def citations(ids: list[str]) -> dict[str, set[str]]:
    """rule id -> the paths of the modules that cite it."""
    pattern = re.compile(r"\b(" + "|".join(sorted(ids, key=len, reverse=True)) + r")\b")
    cited: dict[str, set[str]] = defaultdict(set)
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            module = path.relative_to(ROOT).as_posix()
            for rule in pattern.findall(path.read_text(encoding="utf-8")):
                cited[rule].add(module)
    return cited


def _ticked(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


def _decided(cell: str) -> tuple[dict[str, list[str]], str | None]:
    pending = PENDING.match(cell)
    if pending:
        return {}, pending.group(1)
    decided: dict[str, list[str]] = {}
    for part in cell.split(";"):
        path, *names = _ticked(part)
        decided[path] = names
    return decided, None


def rule_index(readme: str) -> dict[str, Row]:
    """The table under README's "Rule index" heading: | rule | decided in | also cited in |."""
    assert INDEX_HEADING in readme, f"README.md has no {INDEX_HEADING!r} section"
    table = readme.split(INDEX_HEADING, 1)[1].split("\n\n|", 1)[1].split("\n\n", 1)[0]
    rows: dict[str, Row] = {}
    for line in ("|" + table).splitlines()[2:]:
        rule, decided, also = (cell.strip() for cell in line.strip().strip("|").split("|"))
        assert rule not in rows, f"{rule} has two rows in the rule index"
        places, issue = _decided(decided)
        rows[rule] = Row(places, set(_ticked(also)), issue)
    return rows


@pytest.fixture(scope="module")
def ids() -> list[str]:
    return rule_ids(domain_md().read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def index() -> dict[str, Row]:
    return rule_index(README.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def cited(ids: list[str]) -> dict[str, set[str]]:
    return citations(ids)


def test_the_rule_ids_come_from_domain_md(ids: list[str]) -> None:
    """The contract's four families are all there (R…, A…, I…, C…), each id once."""
    assert {rule[0] for rule in ids} == {"R", "A", "I", "C"}
    assert len(ids) == len(set(ids))


def test_without_domain_md_the_index_check_fails_rather_than_skips(tmp_path: Path) -> None:
    with pytest.raises(pytest.fail.Exception, match=r"no shared/DOMAIN\.md"):
        domain_md(tmp_path / "clone")


def test_every_rule_of_domain_md_has_one_row_and_no_other_rule_has_one(
    ids: list[str], index: dict[str, Row]
) -> None:
    assert sorted(index) == sorted(ids)


def test_every_rule_decided_somewhere_is_cited_in_the_code(
    index: dict[str, Row], cited: dict[str, set[str]]
) -> None:
    uncited = [rule for rule, row in index.items() if row.pending_issue is None and not cited[rule]]
    assert not uncited, f"cited nowhere in {', '.join(PACKAGES)}: {uncited}"


def test_a_rule_not_yet_decided_is_cited_nowhere(
    index: dict[str, Row], cited: dict[str, set[str]]
) -> None:
    """Once code cites it, its row must say where it is decided."""
    early = {rule: sorted(cited[rule]) for rule, row in index.items() if row.pending_issue}
    assert not {rule: paths for rule, paths in early.items() if paths}


def test_every_module_citing_a_rule_is_named_in_its_row(
    index: dict[str, Row], cited: dict[str, set[str]]
) -> None:
    unnamed = {rule: sorted(cited[rule] - row.modules()) for rule, row in index.items()}
    assert not {rule: paths for rule, paths in unnamed.items() if paths}


def test_every_module_a_row_names_cites_its_rule(
    index: dict[str, Row], cited: dict[str, set[str]]
) -> None:
    stale = {rule: sorted(row.modules() - cited[rule]) for rule, row in index.items()}
    assert not {rule: paths for rule, paths in stale.items() if paths}


def _defined(tree: ast.AST) -> dict[str, ast.AST]:
    """Names a module or class body defines: functions, classes, assigned constants."""
    found: dict[str, ast.AST] = {}
    for node in getattr(tree, "body", []):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found[node.name] = node
        elif isinstance(node, ast.Assign):
            found |= {t.id: node for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            found[node.target.id] = node
    return found


def _resolves(tree: ast.AST, dotted: str) -> bool:
    node: ast.AST | None = tree
    for part in dotted.split("."):
        node = _defined(node).get(part) if node is not None else None
    return node is not None


def test_every_function_the_index_names_is_defined_in_its_module(
    index: dict[str, Row],
) -> None:
    missing = [
        f"{rule}: {path} {name}"
        for rule, row in index.items()
        for path, names in row.decided.items()
        for name in names
        if not _resolves(ast.parse((ROOT / path).read_text(encoding="utf-8")), name)
    ]
    assert not missing


def test_every_decision_names_a_function(index: dict[str, Row]) -> None:
    bare = [
        f"{rule}: {path}" for rule, row in index.items() for path, n in row.decided.items() if not n
    ]
    assert not bare
