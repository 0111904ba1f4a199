"""Turning what users type (K=V pairs, metrics files, parent refs) into typed values."""

from __future__ import annotations

import json
import math
import os
import re
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from modelreg.documents import yamlio
from modelreg.documents.signature import parse_signature
from modelreg.domain.errors import DocumentError, InvalidInputError
from modelreg.domain.escape import terminal
from modelreg.domain.models import PIN_PATTERN, Dataset, Framework, Parent, Run, Signature

MAX_KEYS = 1000
MAX_TEXT = 200  # ShortText in the manifest
# custom: metadata a team adds (a ticket, a risk class, a contact), small and plain
MAX_CUSTOM_KEYS = 100  # values (leaves), all levels together
MAX_CUSTOM_DEPTH = 4  # levels of mappings: custom.a.b.c.d
MAX_CUSTOM_TEXT = 1000  # characters of one text value
MAX_CUSTOM_BYTES = 16 * 1024  # the whole of it, as JSON
_CUSTOM_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,63}", re.ASCII)
_NULLS = {"", "~", "null", "Null", "NULL"}


def key_value(text: str, option: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise InvalidInputError(f"{option} {text!r}: expected KEY=VALUE")
    return key.strip(), value


def metric_value(key: str, value: Any, where: str) -> float:
    if isinstance(value, bool) or value is None:
        shown = "null" if value is None else str(value).lower()
        raise InvalidInputError(f"{where}: metric {key!r} must be a number, not {shown}")
    if not isinstance(value, int | float | str):
        raise InvalidInputError(f"{where}: metric {key!r} must be a number, not {value!r}")
    try:
        number = float(value)
    except ValueError:
        raise InvalidInputError(f"{where}: metric {key!r} must be a number, not {value!r}") from None
    if not math.isfinite(number):
        raise InvalidInputError(f"{where}: metric {key!r} must be a finite number, not {value!r}")
    return number


def param_value(text: str) -> str | int | float | bool | None:
    """``--param`` values: JSON scalars (numbers, true/false, null) stay typed; else a string."""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    if isinstance(value, float) and not math.isfinite(value):
        return text
    return value if isinstance(value, str | int | float | bool) or value is None else text


def flatten(data: Any, where: str, prefix: str = "") -> dict[str, Any]:
    """Nested mappings flattened with '.': {"a": {"b": 1}} -> {"a.b": 1}."""
    if not isinstance(data, dict):
        raise InvalidInputError(f"{where}: expected a mapping of names to values")
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, where, f"{name}."))
        elif isinstance(value, list):
            raise InvalidInputError(f"{where}: {name!r} is a list; give one value per key")
        else:
            flat[name] = value
    if len(flat) > MAX_KEYS:
        raise InvalidInputError(f"{where}: more than {MAX_KEYS} keys")
    return flat


def read_mapping_file(path: Path) -> dict[str, Any]:
    """A JSON or YAML file of (possibly nested) values, flattened."""
    return flatten(read_data_file(path), str(path))


def read_data_file(path: Path) -> Any:
    """A JSON or YAML file's data, read by the registry's strict loader."""
    try:
        return yamlio.load(read_small_file(path), str(path))  # YAML is a superset of JSON
    except DocumentError as e:
        raise InvalidInputError(str(e)) from e


def read_small_file(path: Path, limit: int = yamlio.MAX_DOCUMENT_BYTES) -> bytes:
    """The bytes of the regular file ``path``, refused before reading when it is larger than
    ``limit``. A FIFO would block forever and /dev/zero never ends: only regular files."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as e:
        raise InvalidInputError(f"cannot read {path}: {e.strerror}") from e
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InvalidInputError(f"cannot read {path}: not a regular file")
        if info.st_size > limit:
            raise InvalidInputError(
                f"{path}: file is {info.st_size} bytes, over the {limit}-byte limit; give only the values"
            )
        try:
            return handle.read(limit + 1)
        except OSError as e:
            raise InvalidInputError(f"cannot read {path}: {e.strerror}") from e


def metrics(pairs: tuple[str, ...], files: tuple[Path, ...]) -> dict[str, float]:
    found: dict[str, float] = {}
    for file in files:
        found.update({k: metric_value(k, v, str(file)) for k, v in read_mapping_file(file).items()})
    for pair in pairs:
        key, value = key_value(pair, "--metric")
        found[key] = metric_value(key, value, "--metric")
    return found


def nested_keys(files: tuple[Path, ...]) -> list[str]:
    """The dotted names that nesting in ``files`` makes: {"metrics": {"auc": 1}} -> metrics.auc."""
    found: list[str] = []
    for file in files:
        data = yamlio.load(read_small_file(file), str(file)) if file.exists() else {}
        if isinstance(data, dict):
            found += [k for k, v in data.items() if isinstance(v, dict) for k in flatten({k: v}, str(file))]
    return found


def params(pairs: tuple[str, ...], files: tuple[Path, ...]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for file in files:
        for key, value in read_mapping_file(file).items():
            if isinstance(value, float) and not math.isfinite(value):
                raise InvalidInputError(f"{file}: param {key!r} must be a finite number, not {value}")
            found[key] = value
    for pair in pairs:
        key, value = key_value(pair, "--param")
        found[key] = param_value(value)
    return found


def parent(text: str) -> Parent:
    """``REF[:RELATION]``, e.g. ``fraud-detector@1.2.0:retrain`` (a reference may hold a colon
    itself, as ``NAME@staging:latest`` and ``NAME@env:prod`` do: the whole text is tried first)."""
    from modelreg.domain import refs

    ref, relation = text, ""
    try:
        refs.parse(text)
    except InvalidInputError:
        ref, _, relation = text.rpartition(":") if ":" in text.partition("@")[2] else (text, "", "")
        refs.parse(ref)
    relation = relation.lower() or "derived"
    if not re.fullmatch(r"[a-z][a-z0-9_-]{0,39}", relation, re.ASCII):
        raise InvalidInputError(f"--parent {text!r}: relation must be a word like retrain or fine-tune")
    return Parent(ref=ref, relation=relation)


def dataset(text: str) -> tuple[str, Dataset]:
    """``ROLE=DATASET@VERSION``, e.g. ``training=transactions@2026-10``."""
    role, value = key_value(text, "--data")
    name, sep, version = value.partition("@")
    if not sep or not name or not version:
        raise InvalidInputError(f"--data {text!r}: expected ROLE=DATASET@VERSION")
    _short("--data", role=role, dataset=name, version=version)
    return role, Dataset(name=name, version=version)


_FRAMEWORK = re.compile(
    r"(?P<name>[A-Za-z0-9][A-Za-z0-9._+-]*)(?:==(?P<version>[A-Za-z0-9][A-Za-z0-9.+!_-]*))?"
)


def framework(text: str) -> Framework:
    """``NAME[==VERSION]``, e.g. ``xgboost==2.1.0``: a package name and a version, as pip pins
    them (so ``scikit-learn 1.9.1`` is refused with the form to use, not stored as a name)."""
    found = _FRAMEWORK.fullmatch(text.strip())
    if found is None:
        words = re.split(r"\s*(?:==?|\s)\s*", text.strip())
        example = "==".join(words) if len(words) == 2 and all(words) else "xgboost==2.1.0"
        raise InvalidInputError(
            f"--framework {text[:80]!r}: expected NAME==VERSION (or NAME alone), e.g. {example!r}"
        )
    _short("--framework", name=found["name"], version=found["version"] or "")
    return Framework(name=found["name"], version=found["version"])


def _short(option: str, **parts: str) -> None:
    for what, value in parts.items():
        if len(value) > MAX_TEXT:
            raise InvalidInputError(f"{option}: the {what} is {len(value)} characters, more than {MAX_TEXT}")


def signature_file(path: Path) -> Signature:
    """``--signature-file``: a signature in modelreg's form or MLflow's, JSON or YAML."""
    raw = read_small_file(path)
    try:
        data = yamlio.load(raw, str(path))  # YAML is a superset of JSON
    except DocumentError as e:
        raise InvalidInputError(str(e)) from e
    return parse_signature(data, str(path))


def requirements_file(path: Path) -> list[str]:
    """``--requirements``: the pinned dependencies of a requirements file (``NAME==VERSION`` per
    line, as ``pip freeze`` writes); comments and blank lines skipped, anything else refused."""
    raw = read_small_file(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInputError(f"{path}: not a requirements file (not UTF-8 text)") from None
    return pinned(text.splitlines(), str(path))


_PIN = re.compile(PIN_PATTERN)


def pinned(lines: list[str], where: str) -> list[str]:
    """Each line a pin ``NAME[extras]==VERSION`` (comments, blank lines skipped); one line
    naming the first that is not, or saying there is none."""
    found: list[str] = []
    for number, line in enumerate(lines, start=1):
        text = line.split(" #", 1)[0].strip() if not line.lstrip().startswith("#") else ""
        if not text:
            continue
        if not _PIN.fullmatch(text):
            raise InvalidInputError(
                f"{where}:{number}: {terminal(text)[:80]!r} is not pinned; give NAME==VERSION per line "
                "(as `pip freeze` writes)"
            )
        found.append(text)
    if not found:
        raise InvalidInputError(f"{where}: no pinned dependency (NAME==VERSION) in it; give pinned versions")
    if len(found) > MAX_KEYS:
        raise InvalidInputError(f"{where}: more than {MAX_KEYS} dependencies")
    return found


def run(run_id: str | None, run_url: str | None) -> Run | None:
    """``--run-id``/``--run-url``: the experiment tracker's run, or None when neither is given."""
    if not run_id and not run_url:
        return None
    if run_url and not re.match(r"^https?://[^\s/]+", run_url):
        raise InvalidInputError(f"--run-url {terminal(run_url)[:80]!r}: expected an http(s):// URL")
    if run_url and re.match(r"^https?://[^/]*@", run_url):
        raise InvalidInputError("--run-url: the URL holds credentials (user:password@); give it without them")
    _short("--run-id", id=run_id or "")
    return Run(id=run_id or None, url=run_url or None)


def custom_value(text: str) -> Any:
    """A ``--custom`` value read as a YAML scalar: ``3`` a number, ``true`` a boolean, ``null``
    (or nothing) null, ``'3'`` text. What YAML would read as a list or a mapping, or not at all
    (``see: https://...``, ``#ml-team``), stays the text given: structured values go in a file."""
    try:
        value = yamlio.load(text.encode("utf-8"), "--custom")
    except DocumentError:
        return text
    if value is None:
        return None if text.strip() in _NULLS else text
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidInputError(
            f"--custom value {text[:40]!r} is not a finite number; quote it to keep it as text"
        )
    return value if isinstance(value, str | int | float | bool) else text


def custom(pairs: tuple[str, ...], files: tuple[Path, ...]) -> dict[str, Any]:
    """``--custom-file`` mappings (JSON or YAML), then ``--custom KEY=VALUE`` pairs (a dotted
    KEY nests: ``team.slack=#ml``), merged and checked (``custom_mapping``)."""
    found: dict[str, Any] = {}
    for file in files:
        data = read_data_file(file)
        _merge(found, custom_mapping(data, str(file)), str(file))
    for pair in pairs:
        key, value = key_value(pair, "--custom")
        _merge(found, custom_mapping({key: custom_value(value)}, "--custom"), "--custom")
    return custom_mapping(found, "--custom")


def _merge(into: dict[str, Any], data: dict[str, Any], where: str, prefix: str = "") -> None:
    for key, value in data.items():
        held = into.get(key)
        if isinstance(held, dict) and isinstance(value, dict):
            _merge(held, value, where, f"{prefix}{key}.")
        elif key in into and (isinstance(held, dict) or isinstance(value, dict)):
            shown = terminal(f"{prefix}{key}")[:70]
            raise InvalidInputError(f"{where}: custom {shown} is given as a value and as a mapping")
        else:
            into[key] = value


def custom_mapping(values: Any, where: str) -> dict[str, Any]:
    """Custom metadata, checked: a mapping of keys (letters, digits, '_', '-'; a dotted key
    nests) to text, numbers, true/false, null, lists of them, or mappings, at most
    ``MAX_CUSTOM_DEPTH`` deep, ``MAX_CUSTOM_KEYS`` values and ``MAX_CUSTOM_BYTES`` in all."""
    if not isinstance(values, Mapping):
        raise InvalidInputError(f"{where}: custom metadata must be a mapping of keys to values")
    nested = _nested(values, where, "", 1)
    leaves = _check_custom(nested, where, "", 1)
    if leaves > MAX_CUSTOM_KEYS:
        raise InvalidInputError(f"{where}: {leaves} custom values, more than {MAX_CUSTOM_KEYS}")
    size = len(json.dumps(nested, ensure_ascii=False).encode("utf-8"))
    if size > MAX_CUSTOM_BYTES:
        raise InvalidInputError(f"{where}: custom metadata is {size} bytes as JSON, over {MAX_CUSTOM_BYTES}")
    return nested


def _nested(values: Mapping[Any, Any], where: str, at: str, depth: int) -> dict[str, Any]:
    """``values`` with every dotted key nested (``{"a.b": 1}`` -> ``{"a": {"b": 1}}``), at
    every level; refused past ``MAX_CUSTOM_DEPTH`` before going deeper."""
    found: dict[str, Any] = {}
    for key, value in values.items():
        if not isinstance(key, str):
            raise InvalidInputError(f"{where}: custom key {terminal(str(key))[:70]!r} is not text")
        *parents, leaf = key.split(".")
        inner_depth = depth + len(parents) + 1
        if inner_depth > MAX_CUSTOM_DEPTH + (0 if isinstance(value, Mapping) else 1):
            shown = terminal(f"{at}{key}")[:70]
            raise InvalidInputError(f"{where}: custom {shown} nests deeper than {MAX_CUSTOM_DEPTH} levels")
        if isinstance(value, Mapping):
            value = _nested(value, where, f"{at}{key}.", inner_depth)
        _merge(found, _nest(parents, leaf, value), where, at)
    return found


def _nest(parents: list[str], leaf: str, value: Any) -> dict[str, Any]:
    found: dict[str, Any] = {leaf: value}
    for parent in reversed(parents):
        found = {parent: found}
    return found


def _check_custom(value: Any, where: str, at: str, depth: int) -> int:
    """The number of values (leaves) under ``value``; InvalidInputError naming the first bad one."""
    if isinstance(value, Mapping):
        if depth > MAX_CUSTOM_DEPTH:
            raise InvalidInputError(
                f"{where}: custom {at.rstrip('.')} nests deeper than {MAX_CUSTOM_DEPTH} levels"
            )
        count = 0
        for key, inner in value.items():
            if not isinstance(key, str) or not _CUSTOM_KEY.fullmatch(key):
                shown = terminal(f"{at}{key}")[:70]
                raise InvalidInputError(
                    f"{where}: custom key {shown!r}: use letters, digits, '_' and '-', starting "
                    "with a letter or '_' (at most 64 characters; '.' nests)"
                )
            count += _check_custom(inner, where, f"{at}{key}.", depth + 1)
        return count
    name = at.rstrip(".")
    if isinstance(value, list):
        if any(isinstance(item, Mapping | list) for item in value):
            raise InvalidInputError(
                f"{where}: custom {name} is a list of lists or mappings; give plain values"
            )
        return sum(_check_custom(item, where, at, depth) for item in value) or 1
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidInputError(f"{where}: custom {name} must be a finite number, not {value}")
    if isinstance(value, str) and len(value) > MAX_CUSTOM_TEXT:
        raise InvalidInputError(
            f"{where}: custom {name} is {len(value)} characters, more than {MAX_CUSTOM_TEXT}"
        )
    if not (value is None or isinstance(value, str | int | float | bool)):
        raise InvalidInputError(f"{where}: custom {name} must be text, a number, true/false or null")
    return 1


# --- the same inputs given as Python values (Registry.register) ---------------------------------


def metric_mapping(values: Mapping[str, Any]) -> dict[str, float]:
    """``metrics=``: nested keys flattened with '.', each a finite number."""
    return {k: metric_value(k, v, "metrics") for k, v in flatten(dict(values), "metrics").items()}


def param_mapping(values: Mapping[str, Any]) -> dict[str, Any]:
    """``params=``: nested keys flattened with '.', each a scalar (a finite number, text, bool, None)."""
    found = flatten(dict(values), "params")
    for key, value in found.items():
        if isinstance(value, float) and not math.isfinite(value):
            raise InvalidInputError(f"params: {key!r} must be a finite number, not {value}")
        if not (value is None or isinstance(value, str | int | float | bool)):
            raise InvalidInputError(f"params: {key!r} must be text, a number, true/false or None")
    return found


def parent_of(value: str | Parent) -> Parent:
    """``parents=``: ``REF[:RELATION]`` text, or a Parent."""
    return value if isinstance(value, Parent) else parent(value)


def dataset_of(role: str, value: str | Dataset) -> tuple[str, Dataset]:
    """``data=``: role -> ``DATASET@VERSION`` text, or a Dataset."""
    return (role, value) if isinstance(value, Dataset) else dataset(f"{role}={value}")


def signature_of(value: Mapping[str, Any] | Signature) -> Signature:
    """``signature=``: a Signature, or a mapping in modelreg's form or MLflow's."""
    return value if isinstance(value, Signature) else parse_signature(dict(value), "signature")


def requirements_of(value: Path | str | Iterable[str]) -> list[str]:
    """``requirements=``: a requirements file (a Path), or the pins themselves."""
    if isinstance(value, Path):
        return requirements_file(value)
    lines = value.splitlines() if isinstance(value, str) else list(value)
    return pinned(lines, "requirements")
