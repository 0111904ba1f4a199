"""What the import contracts (``.importlinter``, run by ``lint-imports`` in ``.ci/run``) cannot say
by themselves: that every module lies in a layer they name, that each layer is a package with a
docstring, and that every declared dependency is imported. Layers, cycles, click and the pure
domain and renderers are import-linter's to check.
"""

from __future__ import annotations

import ast
import configparser
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "modelreg"
CONTRACTS = PACKAGE.parent / ".importlinter"
TOP_LEVEL = {"modelreg": "registry", "modelreg.__main__": "cli", "modelreg.registry": "registry"}


def _layers() -> list[str]:
    """The layers the contract names, highest first (``modelreg.X`` -> ``X``)."""
    config = configparser.ConfigParser()
    config.read(CONTRACTS, encoding="utf-8")
    listed = config["importlinter:contract:layers"]["layers"].split()
    return [name.removeprefix("modelreg.") for name in listed]


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _layer(module: str) -> str:
    if module in TOP_LEVEL:
        return TOP_LEVEL[module]
    return module.split(".")[1]


def test_every_module_lies_in_a_layer() -> None:
    assert {_layer(m) for m in _modules()} <= set(_layers())


def test_the_layers_are_named_in_the_tree() -> None:
    packages = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())
    assert packages == sorted(set(_layers()) - {"registry"})
    for package in packages:
        assert ast.get_docstring(ast.parse((PACKAGE / package / "__init__.py").read_text())), package


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
