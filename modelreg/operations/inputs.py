"""Turning what users type (K=V pairs, metrics files, parent refs) into typed values."""

from __future__ import annotations

import json
import math
import os
import re
import stat
from pathlib import Path
from typing import Any

from modelreg.documents import yamlio
from modelreg.domain.errors import DocumentError, InvalidInputError
from modelreg.domain.models import Dataset, Framework, Parent

MAX_KEYS = 1000
MAX_TEXT = 200  # ShortText in the manifest


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
    raw = read_small_file(path)
    try:
        data = yamlio.load(raw, str(path))  # YAML is a superset of JSON
    except DocumentError as e:
        raise InvalidInputError(str(e)) from e
    return flatten(data, str(path))


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
    """``REF[:RELATION]``, e.g. ``fraud-detector@1.2.0:retrain``."""
    ref, _, relation = text.partition(":")
    from modelreg.domain import refs

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


def framework(text: str) -> Framework:
    """``NAME[==VERSION]``, e.g. ``xgboost==2.1.0``."""
    name, _, version = text.partition("==")
    if not name.strip():
        raise InvalidInputError(f"--framework {text!r}: expected NAME[==VERSION]")
    _short("--framework", name=name.strip(), version=version.strip())
    return Framework(name=name.strip(), version=version.strip() or None)


def _short(option: str, **parts: str) -> None:
    for what, value in parts.items():
        if len(value) > MAX_TEXT:
            raise InvalidInputError(f"{option}: the {what} is {len(value)} characters, more than {MAX_TEXT}")
