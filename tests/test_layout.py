"""The layers and the handlers packages keep their order, read from every import statement.

`bot → handlers → store`, never backwards (DESIGN.md, "Layout"). `handlers/` is
platform-free: besides the standard library, `handlers` and `store` it imports only
structlog (logging), govuk_bank_holidays (the working calendar) and `sqlalchemy.exc` (the
IntegrityError a unit of work raises on a lost race); no web, chat or database framework.
Inside `handlers/` the packages form a line, each importing only earlier ones:
top-level modules < network < outbox < follow_through < concern < my_work < disclosure; retention
imports only top-level modules and nothing imports it. No module import cycle either.

Imports are read with `ast`, so ones inside functions and under TYPE_CHECKING count too.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOP_LEVEL = "(top-level)"
PACKAGE_ORDER = (
    TOP_LEVEL,
    "network",
    "outbox",
    "follow_through",
    "concern",
    "my_work",
    "disclosure",
)
INDEPENDENT = {"retention": {TOP_LEVEL}}
HANDLERS_MAY_IMPORT = {"handlers", "store", "structlog", "govuk_bank_holidays", "sqlalchemy.exc"}


@dataclass(frozen=True)
class Import:
    importer: str  # dotted module name
    target: str  # dotted module name, absolute
    line: int

    def __str__(self) -> str:
        return f"{self.importer}:{self.line} imports {self.target}"


def _module_name(path: Path) -> str:
    dotted = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    return dotted.removesuffix(".__init__")


def _is_module(dotted: str) -> bool:
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _targets(node: ast.Import | ast.ImportFrom, importer: str, is_package: bool) -> list[str]:
    """What one statement imports: `from a import b` is `a.b` when that is a module."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:  # relative: resolve against the importer's package
        package = importer.split(".")
        if not is_package:
            package = package[:-1]
        package = package[: len(package) - (node.level - 1)]
        base = ".".join([*package, *([base] if base else [])])
    named = [f"{base}.{alias.name}" for alias in node.names]
    return [target if _is_module(target) else base for target in named]


def imports_of(layer: str) -> list[Import]:
    """Every import statement in every module under `layer/`."""
    found: list[Import] = []
    for path in sorted((ROOT / layer).rglob("*.py")):
        importer = _module_name(path)
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                found.extend(
                    Import(importer, target, node.lineno)
                    for target in _targets(node, importer, is_package)
                )
    assert found, f"no imports found under {layer}/: the scan is broken"
    return found


def _within(target: str, root: str) -> bool:
    return target == root or target.startswith(root + ".")


def _package(module: str) -> str | None:
    """The handlers package a module belongs to; None outside handlers."""
    parts = module.split(".")
    if parts[0] != "handlers":
        return None
    if len(parts) > 1 and (ROOT / "handlers" / parts[1]).is_dir():
        return parts[1]
    return TOP_LEVEL


@pytest.mark.parametrize("layer", ["handlers", "store"])
def test_handlers_and_store_never_import_bot(layer: str) -> None:
    backwards = [str(i) for i in imports_of(layer) if _within(i.target, "bot")]
    assert backwards == []


def test_store_never_imports_handlers() -> None:
    backwards = [str(i) for i in imports_of("store") if _within(i.target, "handlers")]
    assert backwards == []


def test_handlers_import_no_framework() -> None:
    found = imports_of("handlers")
    outside = [
        str(i)
        for i in found
        if i.target.split(".")[0] not in sys.stdlib_module_names
        and not any(_within(i.target, allowed) for allowed in HANDLERS_MAY_IMPORT)
    ]
    assert outside == []
    assert any(_within(i.target, "store") for i in found)  # the scan sees real imports


def _package_edges() -> Iterator[tuple[str, str, Import]]:
    for found in imports_of("handlers"):
        source, target = _package(found.importer), _package(found.target)
        if source is not None and target is not None and source != target:
            yield source, target, found


def test_handlers_packages_import_only_earlier_ones() -> None:
    packages = {p.name for p in (ROOT / "handlers").iterdir() if (p / "__init__.py").is_file()}
    assert packages == set(PACKAGE_ORDER[1:]) | set(INDEPENDENT)  # a new package takes a place
    edges = list(_package_edges())
    wrong = []
    for source, target, found in edges:
        if source in INDEPENDENT:
            allowed = target in INDEPENDENT[source]
        elif target in INDEPENDENT:
            allowed = False
        else:
            allowed = PACKAGE_ORDER.index(target) < PACKAGE_ORDER.index(source)
        if not allowed:
            wrong.append(str(found))
    assert wrong == []
    assert {(s, t) for s, t, _ in edges} >= {("concern", "network"), ("concern", "outbox")}


def test_no_import_cycle_among_handlers_modules() -> None:
    graph: dict[str, set[str]] = {}
    for found in imports_of("handlers"):
        if _within(found.target, "handlers") and found.target != found.importer:
            graph.setdefault(found.importer, set()).add(found.target)
    done: set[str] = set()

    def cycle_from(module: str, path: list[str]) -> list[str] | None:
        for target in sorted(graph.get(module, ())):
            if target in path:
                return [*path[path.index(target) :], target]
            if target not in done:
                cycle = cycle_from(target, [*path, target])
                if cycle:
                    return cycle
        done.add(module)
        return None

    cycles = [cycle_from(module, [module]) for module in sorted(graph)]
    assert [" → ".join(c) for c in cycles if c] == []
    assert sum(len(targets) for targets in graph.values()) > 50  # the scan saw the graph


# Small units: a module a newcomer can read at once, a function that fits on a screen.
MODULE_LINES = 400
FUNCTION_LINES = 60
# Data literals aside (the words): the Teams manifest.
DATA_LITERALS = {"bot/teams/package.py::manifest"}


def _product_modules() -> Iterator[Path]:
    for layer in ("bot", "handlers", "store"):
        for path in sorted((ROOT / layer).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def test_no_module_is_over_400_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): lines
        for path in _product_modules()
        if (lines := path.read_text().count("\n")) > MODULE_LINES
    }
    assert {name: n for name, n in long.items() if name not in DATA_LITERALS} == {}


def test_no_function_is_over_60_lines() -> None:
    long = {}
    for path in _product_modules():
        name = str(path.relative_to(ROOT))
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > FUNCTION_LINES and f"{name}::{node.name}" not in DATA_LITERALS:
                    long[f"{name}::{node.name}"] = lines
    assert long == {}
