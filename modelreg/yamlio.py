"""Reading and writing registry YAML: safe loader only, strict about what it accepts.

Registry files are small, plain data. The loader refuses what has no place in them
(duplicate keys, anchors and aliases, Python tags, files over a size limit) and keeps
timestamps as strings so that the JSON Schema, not YAML's implicit typing, decides.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import yaml

from modelreg.errors import DocumentError

MAX_DOCUMENT_BYTES = 1024 * 1024
MAX_DEPTH = 32
_STR_TAG = "tag:yaml.org,2002:str"

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _DuplicateKey(Exception):
    def __init__(self, key: object, line: int) -> None:
        self.key = key
        self.line = line


class StrictLoader(_Base):  # type: ignore[misc]
    """libyaml's safe loader without implicit timestamps, refusing duplicate keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Hashable] = set()
        for key_node, _ in node.value:
            if key_node.tag == _STR_TAG and type(key_node) is yaml.ScalarNode:
                key = key_node.value  # what constructing a plain string key gives, without the cost
            else:
                key = self.construct_object(key_node, deep=deep)
                if not isinstance(key, Hashable):
                    continue
            if key in seen:
                raise _DuplicateKey(key, key_node.start_mark.line + 1)
            seen.add(key)
        result: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return result


StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _Base.yaml_implicit_resolvers.items()
}
StrictLoader.add_constructor("tag:yaml.org,2002:map", StrictLoader.construct_yaml_map)


def decode(raw: bytes, path: str) -> str:
    """Bytes of a registry file as text: UTF-8 only, a BOM is tolerated and dropped."""
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise DocumentError(
            path,
            f"file is {len(raw)} bytes, over the {MAX_DOCUMENT_BYTES}-byte limit for a "
            "registry file; keep large data in artifacts, not in YAML",
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise DocumentError(path, f"not valid UTF-8 (byte {e.start}); save it as UTF-8") from e
    return text.removeprefix("\ufeff")


def load(raw: bytes, path: str) -> Any:
    """Parse one YAML document from ``raw``; raise DocumentError naming ``path`` and the line."""
    text = decode(raw, path)
    try:
        data = yaml.load(text, Loader=StrictLoader)  # noqa: S506 - StrictLoader is a safe loader
    except _DuplicateKey as e:
        raise DocumentError(path, f"duplicate key {e.key!r}", line=e.line) from None
    except yaml.MarkedYAMLError as e:
        line = e.problem_mark.line + 1 if e.problem_mark else None
        problem = e.problem or "invalid YAML"
        if "could not determine a constructor" in problem:
            problem = "tag " + problem.split("tag ", 1)[-1] + " is not allowed (plain data only)"
        raise DocumentError(path, f"invalid YAML: {problem}", line=line) from None
    except yaml.YAMLError as e:
        raise DocumentError(path, f"invalid YAML: {e}") from None
    except RecursionError:
        raise DocumentError(path, "YAML nested too deeply") from None
    _check_plain_tree(data, path)
    return data


def _check_plain_tree(data: Any, path: str) -> None:
    """Refuse aliases (shared containers: the 'billion laughs' shape) and deep nesting."""
    seen: set[int] = set()
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        node, depth = stack.pop()
        if not isinstance(node, dict | list):
            continue
        if id(node) in seen:
            raise DocumentError(path, "YAML anchors and aliases are not allowed in registry files")
        seen.add(id(node))
        if depth > MAX_DEPTH:
            raise DocumentError(path, f"YAML nested deeper than {MAX_DEPTH} levels")
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children)


def line_of(raw: bytes, location: tuple[str | int, ...]) -> int | None:
    """The 1-based line of the value at ``location`` (keys and indexes), or of its nearest parent."""
    try:
        node: Any = yaml.compose(decode(raw, ""), Loader=StrictLoader)  # noqa: S506
    except (yaml.YAMLError, DocumentError):
        return None
    line = node.start_mark.line + 1 if node is not None else None
    for step in location:
        if isinstance(node, yaml.MappingNode):
            match = [v for k, v in node.value if k.value == str(step)]
            if not match:
                return line
            node = match[0]
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
            if step >= len(node.value):
                return line
            node = node.value[step]
        else:
            return line
        line = node.start_mark.line + 1
    return line


def dump(data: Any, *, header: str | None = None) -> str:
    """Serialize plain data as stable block-style YAML (key order kept)."""
    body: str = yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=120,
    )
    return (header + "\n" if header else "") + body
