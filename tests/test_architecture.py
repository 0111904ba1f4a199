"""The import contract: the package's layers, and that no module reaches up or round.

Each subpackage of ``modelreg`` is a layer; a module may import only from its own layer and
the layers below it, and no set of modules imports itself round. Every import counts: at the
top of a module, inside a function (kept for start-up speed, never to hide a cycle) and under
``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "modelreg"

# lowest first: what a layer may import is itself and everything before it
LAYERS = [
    "domain",  # values, names, paths, typed documents, escaping
    "adapters",  # subprocesses, Git, DVC, GitHub
    "store",  # derived data
    "documents",  # YAML, pointers, schemas, trees, the snapshot
    "rules",  # the rules within one snapshot
    "history",  # the audit trail
    "queries",  # the catalog, lineage, compare, what a change does
    "render",  # reporters
    "operations",  # what changes a repository or judges a change
    "registry",  # the facade
    "cli",  # the command line
]
TOP_LEVEL = {"modelreg": "registry", "modelreg.__main__": "cli", "modelreg.registry": "registry"}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """The modelreg modules ``path`` imports, wherever the import stands."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.add(full if full in modules else node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {m for m in found if m in modules}


def _layer(module: str) -> str:
    if module in TOP_LEVEL:
        return TOP_LEVEL[module]
    return module.split(".")[1]


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(path, modules) - {name} for name, path in modules.items()}


def test_every_module_lies_in_a_layer() -> None:
    assert {_layer(m) for m in _modules()} <= set(LAYERS)


def test_no_module_imports_from_a_layer_above_its_own() -> None:
    rank = {layer: i for i, layer in enumerate(LAYERS)}
    upward = [
        f"{module} ({_layer(module)}) imports {target} ({_layer(target)})"
        for module, targets in sorted(_graph().items())
        for target in sorted(targets)
        if rank[_layer(target)] > rank[_layer(module)] and target != "modelreg"
    ]
    assert not upward, "\n".join(upward)


def test_no_import_cycle() -> None:
    graph = _graph()
    graph = {m: {t for t in targets if t != "modelreg"} for m, targets in graph.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    assert not cycles, cycles


def test_the_layers_are_named_in_the_tree() -> None:
    packages = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())
    assert packages == sorted(set(LAYERS) - {"registry"})
    for package in packages:
        assert ast.get_docstring(ast.parse((PACKAGE / package / "__init__.py").read_text())), package


def test_the_library_never_imports_click() -> None:
    users = defaultdict(list)
    for module, path in _modules().items():
        if _layer(module) != "cli" and "click" in path.read_text(encoding="utf-8"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    names = (
                        [node.module] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                    )
                    if any(n and n.split(".")[0] == "click" for n in names):
                        users[module].append(node.lineno)
    assert not users, dict(users)


def test_every_declared_dependency_is_imported() -> None:
    """A declared dependency that nothing imports is a defect (it is installed for nothing)."""
    import tomllib

    imported_as = {"pyyaml": "yaml", "jsonschema-rs": "jsonschema_rs"}
    project = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = [re.split(r"[<>=!~\[; ]", spec, maxsplit=1)[0].lower() for spec in project["dependencies"]]
    used = set()
    for path in _modules().values():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                used.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                used.add(node.module.split(".")[0])
    unused = [n for n in names if imported_as.get(n, n.replace("-", "_")) not in used]
    assert not unused, unused
