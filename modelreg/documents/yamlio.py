"""Reading and writing registry YAML: safe loader only, strict about what it accepts.

Registry files are small, plain data: what JSON can say. The loader refuses what has no
place in them (duplicate keys, keys that are not text, anchors and aliases, tags beyond
null/bool/int/float/str/list/map such as ``!!python/...``, ``!!binary`` or ``!!set``, numbers
too long to be one, control characters, files over a size limit) and keeps timestamps as
strings so that the JSON Schema, not YAML's implicit typing, decides.
"""

from __future__ import annotations

from typing import Any

import yaml

from modelreg.domain.errors import DocumentError

MAX_DOCUMENT_BYTES = 1024 * 1024
MAX_DEPTH = 32
MAX_INT_DIGITS = 64  # far beyond any size or count; Python refuses int() of > 4300 digits
_STR_TAG = "tag:yaml.org,2002:str"

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Refused(Exception):
    """Something plain-data YAML must not hold, at a line."""

    def __init__(self, message: str, line: int) -> None:
        self.message = message
        self.line = line


class StrictLoader(_Base):  # type: ignore[misc]
    """libyaml's safe loader for plain data: no implicit timestamps, no duplicate keys,
    text keys only, no tags beyond JSON's types, no absurdly long integers."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[str] = set()
        for key_node, _ in node.value:
            line = key_node.start_mark.line + 1
            if key_node.tag == _STR_TAG and type(key_node) is yaml.ScalarNode:
                key = key_node.value  # what constructing a plain string key gives, without the cost
            else:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise _Refused("merge keys (<<) are not allowed in registry files", line)
                key = self.construct_object(key_node, deep=deep)
                if not isinstance(key, str):
                    if not isinstance(key_node, yaml.ScalarNode):
                        raise _Refused(f"a key must be text, not {_kind(key)}", line)
                    raise _Refused(
                        f"key {key_node.value!r} is read as {_kind(key)}, not text; quote it", line
                    )
            if key in seen:
                raise _Refused(f"duplicate key {key!r}", line)
            seen.add(key)
        result: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return result

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        digits = sum(c.isalnum() for c in str(node.value))
        if digits > MAX_INT_DIGITS:
            raise _Refused(
                f"a number of {digits} digits is too long (at most {MAX_INT_DIGITS}); quote it if it is text",
                node.start_mark.line + 1,
            )
        value: int = super().construct_yaml_int(node)
        return value


StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _Base.yaml_implicit_resolvers.items()
}
StrictLoader.add_constructor("tag:yaml.org,2002:map", StrictLoader.construct_yaml_map)
StrictLoader.add_constructor("tag:yaml.org,2002:int", StrictLoader.construct_yaml_int)
for _tag in ("binary", "timestamp", "omap", "pairs", "set"):  # not plain data: refused like !!python/...
    StrictLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", StrictLoader.construct_undefined)


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


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return "a number" if isinstance(value, int | float) else f"a {type(value).__name__}"


def load(raw: bytes, path: str) -> Any:
    """Parse one YAML document from ``raw``; raise DocumentError naming ``path`` and the line."""
    text = decode(raw, path)
    try:
        data = yaml.load(text, Loader=StrictLoader)  # noqa: S506 - StrictLoader is a safe loader
    except _Refused as e:
        raise DocumentError(path, e.message, line=e.line) from None
    except yaml.MarkedYAMLError as e:
        line = e.problem_mark.line + 1 if e.problem_mark else None
        raise DocumentError(path, f"invalid YAML: {_problem(e, text)}", line=line) from None
    except yaml.reader.ReaderError as e:
        line = text.count("\n", 0, e.position) + 1
        what = f"character U+{e.character:04X}" if isinstance(e.character, int) else "a character"
        raise DocumentError(path, f"invalid YAML: {what}: {e.reason}", line=line) from None
    except yaml.YAMLError as e:
        raise DocumentError(path, f"invalid YAML: {' '.join(str(e).split())}") from None
    except RecursionError:
        raise DocumentError(path, "YAML nested too deeply") from None
    _check_plain_tree(data, path)
    return data


def _problem(error: yaml.MarkedYAMLError, text: str) -> str:
    """The parser's complaint in words a reader can act on, on one line."""
    problem = " ".join((error.problem or "invalid YAML").split())
    if "could not determine a constructor" in problem:
        return "tag " + problem.split("tag ", 1)[-1] + " is not allowed (plain data only)"
    mark = error.problem_mark
    lines = text.splitlines()
    line = lines[mark.line] if mark is not None and mark.line < len(lines) else ""
    if mark is not None and line[mark.column : mark.column + 1] == "\t":
        return f"{problem}: a tab; indent YAML with spaces, not tabs"
    return problem


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
    node, exact = _node_at(raw, location)
    return node.start_mark.line + 1 if node is not None else None


def source_of(raw: bytes, location: tuple[str | int, ...]) -> str | None:
    """The text of the plain scalar at ``location`` as written (``1.10``, not the float 1.1)."""
    node, exact = _node_at(raw, location)
    if exact and isinstance(node, yaml.ScalarNode) and not node.style:
        return str(node.value)
    return None


def _node_at(raw: bytes, location: tuple[str | int, ...]) -> tuple[Any, bool]:
    """The node at ``location``, or its nearest parent; and whether it is the node itself."""
    try:
        node: Any = yaml.compose(decode(raw, ""), Loader=StrictLoader)  # noqa: S506
    except (yaml.YAMLError, DocumentError):
        return None, False
    for step in location:
        if isinstance(node, yaml.MappingNode):
            match = [v for k, v in node.value if k.value == str(step)]
            if not match:
                return node, False
            node = match[0]
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
        else:
            return node, False
    return node, True


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
