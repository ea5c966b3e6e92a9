"""Imports point one way: no two of ``app``'s packages import each other, and the serving
runtime never loads the training code (read from the source, nothing imported)."""

import ast
from collections import defaultdict
from itertools import combinations
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"


def _module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    """The names ``node`` may load: each module, and for ``from m import n`` also ``m.n``."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        package = module.split(".")[: len(module.split(".")) - node.level + is_package]
        base = ".".join([*package, *([base] if base else [])])
    return [base, *(f"{base}.{alias.name}" for alias in node.names)]


def import_graph(root: Path) -> dict[str, set[str]]:
    """Each module of the package at ``root`` with the modules of that package it imports."""
    files = {_module_name(path, root): path for path in root.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        is_package = path.name == "__init__.py"
        names = {name for node in ast.walk(ast.parse(path.read_text()))
                 if isinstance(node, ast.Import | ast.ImportFrom)
                 for name in _imported(node, module, is_package)}
        graph[module] = {name for name in names if name in files and name != module}
    return graph


def _package(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 else None


def mutual_imports(graph: dict[str, set[str]]) -> list[str]:
    """Every pair of top-level packages that import each other, with the imports."""
    between: dict[tuple[str, str], set[str]] = defaultdict(set)
    for module, imported in graph.items():
        for target in imported:
            source_package, target_package = _package(module), _package(target)
            if source_package and target_package and source_package != target_package:
                between[source_package, target_package].add(f"{module} -> {target}")
    packages = sorted({package for pair in between for package in pair})
    return [f"{a} <-> {b}: {sorted(between[a, b] | between[b, a])}"
            for a, b in combinations(packages, 2) if (a, b) in between and (b, a) in between]


def package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """Each top-level package of ``app`` with the other packages its modules import."""
    packages: dict[str, set[str]] = defaultdict(set)
    for module, imported in graph.items():
        source = _package(module)
        if source is None:
            continue
        packages[source].update(target for target in map(_package, imported)
                                if target is not None and target != source)
    return packages


def package_cycles(packages: dict[str, set[str]]) -> list[list[str]]:
    """The groups of packages that reach one another through imports (Tarjan's strongly
    connected components of more than one package)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(package: str) -> None:
        index[package] = low[package] = len(index)
        stack.append(package)
        for target in sorted(packages.get(package, ())):
            if target not in index:
                visit(target)
                low[package] = min(low[package], low[target])
            elif target in stack:
                low[package] = min(low[package], index[target])
        if low[package] == index[package]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == package:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for package in sorted(packages):
        if package not in index:
            visit(package)
    return sorted(cycles)


def closure(graph: dict[str, set[str]], start: str) -> set[str]:
    """Every module that importing ``start`` loads, its packages' ``__init__`` included."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        parents = [module.rsplit(".", depth)[0] for depth in range(1, module.count(".") + 1)]
        todo.extend([*graph.get(module, ()), *(p for p in parents if p in graph)])
    return seen


def test_no_two_packages_import_each_other() -> None:
    assert mutual_imports(import_graph(APP)) == []


def test_no_package_reaches_itself_through_others() -> None:
    assert package_cycles(package_graph(import_graph(APP))) == []


def test_cycles_are_found_at_any_length() -> None:
    packages = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert package_cycles(packages) == [["a", "b", "c"]]
    assert package_cycles({"a": {"b"}, "b": set()}) == []


def test_candidate_sources_import_nothing_else_of_ranking() -> None:
    """The ranking service gathers candidates; the sources know only the pool, the catalog
    and the index (the model's parts they read come in as protocols)."""
    back = [f"{module} -> {target}" for module, imported in import_graph(APP).items()
            if module.startswith("app.ranking.candidates") for target in imported
            if target.startswith("app.ranking.") and not target.startswith("app.ranking.candidates")]
    assert back == []


def test_serving_never_loads_training() -> None:
    loaded = closure(import_graph(APP), "app.ranking.runtime")
    assert "app.ranking.runtime" in loaded and "app.ranking.weighting" in loaded
    assert "app.ranking.training" not in loaded



ROOTS = ("app.asgi", "app.entry_points", "app.container", "app.commands")
"""The composition roots (the server's, the command line's) and the modules that build for
them: the only ones that see the whole set of services."""


def modules_importing(target: str, *roots: Path) -> list[str]:
    """The modules under ``roots`` that import ``target`` (or a name inside it)."""
    found = []
    for root in roots:
        for path in root.rglob("*.py"):
            module = _module_name(path, root)
            names = {name for node in ast.walk(ast.parse(path.read_text()))
                     if isinstance(node, ast.Import | ast.ImportFrom)
                     for name in _imported(node, module, path.name == "__init__.py")}
            if any(name == target or name.startswith(f"{target}.") for name in names):
                found.append(module)
    return sorted(found)


def test_only_the_roots_see_the_whole_set_of_services() -> None:
    """Edges and services get their typed share (``app.entry_points``), never the set."""
    seeing = modules_importing("app.container", APP, APP.parent / "webhooks")
    assert [m for m in seeing if not m.startswith(ROOTS)] == []
    assert "app.entry_points" in seeing  # the check reads what it should
