"""Where things live in a registry repository, and what a path inside ``models/`` is."""

from __future__ import annotations

import posixpath
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from modelreg.domain.errors import InvalidInputError

REGISTRY_FILE = "registry.yaml"
MODELS_DIR = "models"
SCHEMAS_DIR = "schemas"
WORKFLOW_FILE = ".github/workflows/modelreg.yml"
CODEOWNERS_FILE = ".github/CODEOWNERS"
# Files that decide what Git and DVC see of the others (what is ignored, how a file is diffed,
# filtered or merged): policy, wherever they stand at the root or under models/.
GOVERNING_NAMES = (".dvcignore", ".gitignore", ".gitattributes")
# Every file ``validate`` reads (a folder ends in "/"): the pre-commit hook runs on exactly these
# (hook_files_pattern; a test compares it with .pre-commit-hooks.yaml).
DVC_CONFIG_FILE = ".dvc/config"
DVC_LOCAL_CONFIG_FILE = ".dvc/config.local"
VALIDATED_FILES = (REGISTRY_FILE, MODELS_DIR + "/", CODEOWNERS_FILE, DVC_CONFIG_FILE, DVC_LOCAL_CONFIG_FILE)
JOURNAL_FILE = "transaction.json"  # under .git/modelreg/: an unfinished write, for doctor to undo
# What a model name and a stage name may be (the schemas say the same: modelreg.domain.models).
NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,99}$"
STAGE_PATTERN = r"^[a-z][a-z0-9_-]{0,39}$"
ENVIRONMENT_PATTERN = r"^[a-z][a-z0-9_-]{0,39}$"


# Names Windows cannot give a file or folder (with any extension, in any case; the superscript
# digits count too), and characters it refuses: a registry must check out everywhere.
RESERVED_NAMES = frozenset(
    ["con", "prn", "aux", "nul", "conin$", "conout$"]
    + [f"{p}{i}" for p in ("com", "lpt") for i in [*range(1, 10), "\u00b9", "\u00b2", "\u00b3"]]
)
_FORBIDDEN_CHARACTERS = frozenset('<>:"|?*\\/')
# Code points HFS+ ignores when it compares names (Git's list in is_hfs_dotgit), so ".g\u200cit"
# is ".git" on macOS; with C0 and C1 controls, DEL and the bidirectional controls that make a
# name read as another.
IGNORABLE_CODE_POINTS = frozenset(
    [0x200C, 0x200D, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x206A, 0x2070), 0xFEFF]
)
_INVISIBLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u2066-\u2069" + "".join(chr(c) for c in sorted(IGNORABLE_CODE_POINTS)) + "]"
)
# A Windows short (8.3) name: up to six characters, "~" and a number ("GIT~1" is ".git", "SSH~1"
# is ".ssh" where the long name exists).
_SHORT_NAME = re.compile(r"^[^~]{0,6}~[0-9]+$")
MAX_NAME_LENGTH = 200


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a file or folder name on every system Git runs on, or None.

    Invariant: a name this accepts is one name everywhere: Windows has no device by that name,
    keeps it as written (no trailing dot or space, no stream after ``:``), and neither NTFS's
    short names nor the code points HFS+ ignores make it another name."""
    stem = name.split(".", 1)[0].rstrip(" ").lower()
    if stem in RESERVED_NAMES:
        return f"is reserved on Windows ({stem.upper()} is a device name, with any extension)"
    if _INVISIBLE.search(name):
        return "holds a control character, or a code point HFS+ ignores or that reorders text"
    if any(c in _FORBIDDEN_CHARACTERS for c in name):
        return 'holds one of <>:"|?*\\ (":" opens an NTFS stream)'
    if name.endswith((" ", ".")):
        return "ends in a dot or a space, which Windows drops"
    if len(name) > MAX_NAME_LENGTH:
        return f"is longer than {MAX_NAME_LENGTH} characters"
    if _SHORT_NAME.match(stem):
        return "looks like a Windows short name (GIT~1 stands for .git) and could alias another file"
    return None


def check_file_name(name: str, *, what: str) -> str:
    """``name`` if it can be a file or folder name on every system Git runs on (``name_problem``)."""
    why = name_problem(name)
    if why is not None:
        raise InvalidInputError(f"{what} {name[:60]!r} cannot be a file name everywhere: it {why}; rename it")
    return name


def unsafe_path(rel: str) -> str | None:
    """Why the relative path ``rel`` of an artifact (a manifest's artifact below its version
    folder, a DVC pointer's path, an entry of a folder artifact's DVC listing) may not be
    written below a folder, or None when it may. The one artifact-name rule: register,
    validate, check, import and pull all ask it.

    Invariant: writing ``rel`` below a folder creates or replaces only a visible, ordinary
    file of that folder, the same one on every system: it stays inside (not absolute, no
    ``..``), is spelled one way (normal form, no backslash), no component is hidden (a leading
    ``.``: ``.git``, ``.dvc``, ``.ssh``, ``.bashrc``, ``.git::$INDEX_ALLOCATION``) or ends in
    ``.dvc`` (DVC would read it as a pointer), and every component passes ``name_problem``
    (so no alias of ``.git`` through HFS+ or NTFS either)."""
    if not rel or rel.startswith("/") or "\\" in rel:
        return "is empty, absolute or has a backslash"
    for part in rel.split("/"):
        if part in {"", ".", ".."}:
            return f"has the path component {part!r}"
        why = _artifact_name_problem(part)
        if why is not None:
            return why if part == rel else f"has the component {part[:60]!r}, which {why}"
    if posixpath.normpath(rel) != rel:
        return "is not in normal form"
    return None


def _artifact_name_problem(part: str) -> str | None:
    if part.startswith("."):
        return "is hidden (a leading dot)"
    if part.lower().endswith(".dvc"):
        return "ends in .dvc (DVC would read it as a pointer)"
    return name_problem(part)


def name_key(path: str) -> str:
    """What a case-insensitive file system compares ``path`` by: its NFC form, case-folded
    (macOS keeps names decomposed, Windows and macOS ignore case)."""
    return unicodedata.normalize("NFC", path).casefold()


def case_collisions(paths: Iterable[str]) -> list[tuple[str, str]]:
    """(path, the earlier one it collides with) for each of ``paths`` that a case-insensitive
    file system would hold as the same file as an earlier one."""
    seen: dict[str, str] = {}
    found = []
    for path in paths:
        other = seen.setdefault(name_key(path), path)
        if other != path:
            found.append((path, other))
    return found


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


def hook_files_pattern() -> str:
    """The ``files:`` regular expression of the pre-commit hook: ``VALIDATED_FILES``."""
    parts = [re.escape(p) + ".*" if p.endswith("/") else re.escape(p) for p in VALIDATED_FILES]
    return f"^({'|'.join(parts)})$"


def is_governing(path: str) -> bool:
    """Whether ``path`` is a .gitignore, .dvcignore or .gitattributes at the root or under models/."""
    folder, _, leaf = path.rpartition("/")
    return leaf in GOVERNING_NAMES and (
        not folder or folder == MODELS_DIR or folder.startswith(MODELS_DIR + "/")
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
