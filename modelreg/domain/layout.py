"""Where things live in a registry repository, and what a path inside ``models/`` is."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

from modelreg.domain.errors import InvalidInputError

REGISTRY_FILE = "registry.yaml"
MODELS_DIR = "models"
SCHEMAS_DIR = "schemas"
WORKFLOW_FILE = ".github/workflows/modelreg.yml"
CODEOWNERS_FILE = ".github/CODEOWNERS"
JOURNAL_FILE = "transaction.json"  # under .git/modelreg/: an unfinished write, for doctor to undo
# What a model name and a stage name may be (the schemas say the same: modelreg.domain.models).
NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,99}$"
STAGE_PATTERN = r"^[a-z][a-z0-9_-]{0,39}$"
ENVIRONMENT_PATTERN = r"^[a-z][a-z0-9_-]{0,39}$"


# Names Windows cannot give a file or folder (with any extension), and characters it refuses:
# a registry must check out everywhere.
RESERVED_NAMES = frozenset(
    ["con", "prn", "aux", "nul"] + [f"{p}{i}" for p in ("com", "lpt") for i in range(1, 10)]
)
_FORBIDDEN_CHARACTERS = set('<>:"|?*\\/')


def check_file_name(name: str, *, what: str) -> str:
    """``name`` if it can be a file or folder name on every system Git runs on."""
    stem = name.split(".", 1)[0].lower()
    if stem in RESERVED_NAMES:
        raise InvalidInputError(
            f"{what} {name!r} is reserved on Windows ({stem.upper()} is a device name); pick another"
        )
    bad = sorted({c for c in name if c in _FORBIDDEN_CHARACTERS or ord(c) < 32 or ord(c) == 127})
    if bad or name.endswith((" ", ".")) or len(name) > 200:
        raise InvalidInputError(
            f"{what} {name[:60]!r} cannot be a file name everywhere: no control characters or "
            '<>:"|?*\\, no trailing space or dot, at most 200 characters; rename it'
        )
    return name


_RESERVED_PARTS = frozenset([".git", ".dvc", "..", "."])
# C0 and C1 controls, DEL, and the bidirectional overrides that make a name read as another
_HIDDEN_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def unsafe_path(rel: str) -> str | None:
    """Why the relative path ``rel`` (from a DVC listing or pointer, a manifest's artifact)
    may not be written below a folder, or None when it may: it must stay inside (not absolute,
    no ``..``), be spelled one way (nothing to normalize, no backslash), and name no ``.git``
    or ``.dvc`` folder (one would configure Git or DVC wherever the bytes land; Git and
    Windows ignore case and trailing dots and spaces)."""
    if not rel or rel.startswith("/") or "\\" in rel:
        return "is empty, absolute or has a backslash"
    if _HIDDEN_CHARACTERS.search(rel):
        return "holds a control or bidirectional character"
    for part in rel.split("/"):
        if part.rstrip(". ").lower() in {".git", ".dvc", "", "git~1"} or part in _RESERVED_PARTS:
            return f"has the path component {part!r}"
    if posixpath.normpath(rel) != rel:
        return "is not in normal form"
    return None


def check_no_symlinks(top: Path, rel: str) -> None:
    """Refuse to write at ``top/rel`` when the path, or a folder on the way, is a symlink: the
    write would land wherever it points, outside the repository (a committed symlink can)."""
    here = top
    for part in rel.split("/"):
        here = here / part
        if here.is_symlink():
            raise InvalidInputError(
                f"{here.relative_to(top).as_posix()} is a symlink; modelreg writes only real files and "
                "folders of the repository: remove it"
            )


def facts_path(name: str) -> str:
    return f"{MODELS_DIR}/{name}/model.yaml"


def stages_path(name: str) -> str:
    return f"{MODELS_DIR}/{name}/stages.yaml"


def deployments_path(name: str) -> str:
    return f"{MODELS_DIR}/{name}/deployments.yaml"


def manifest_path(name: str, version: str) -> str:
    return f"{MODELS_DIR}/{name}/{version}.yaml"


def artifacts_dir(name: str, version: str) -> str:
    return f"{MODELS_DIR}/{name}/{version}"


@dataclass(frozen=True)
class PathKind:
    """What a path under ``models/`` is: kind is facts, stages, deployments, manifest, pointer, other."""

    kind: str
    model: str = ""
    version: str = ""


def classify(path: str) -> PathKind:
    parts = path.split("/")
    if len(parts) < 3 or parts[0] != MODELS_DIR:
        return PathKind("other")
    model = parts[1]
    if len(parts) == 3:
        leaf = parts[2]
        if leaf == "model.yaml":
            return PathKind("facts", model)
        if leaf == "stages.yaml":
            return PathKind("stages", model)
        if leaf == "deployments.yaml":
            return PathKind("deployments", model)
        if leaf.endswith(".yaml"):
            return PathKind("manifest", model, leaf.removesuffix(".yaml"))
        if leaf.endswith(".yml"):
            return PathKind("misnamed", model, leaf)
        return PathKind("other", model)
    if path.endswith(".dvc"):
        return PathKind("pointer", model, parts[2])
    return PathKind("other", model, parts[2])


def is_document(path: str) -> bool:
    """Whether ``path`` is registry.yaml or a file directly in a model's folder (what
    ``classify`` calls facts, stages, manifest or misnamed), cheaply: asked of every file."""
    if path == REGISTRY_FILE:
        return True
    return path.endswith((".yaml", ".yml")) and path.startswith("models/") and path.count("/") == 2
