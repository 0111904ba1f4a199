"""Where things live in a registry repository, and what a path inside ``models/`` is."""

from __future__ import annotations

from dataclasses import dataclass

REGISTRY_FILE = "registry.yaml"
MODELS_DIR = "models"
SCHEMAS_DIR = "schemas"
WORKFLOW_FILE = ".github/workflows/modelreg.yml"
CODEOWNERS_FILE = ".github/CODEOWNERS"


def model_dir(name: str) -> str:
    return f"{MODELS_DIR}/{name}"


def facts_path(name: str) -> str:
    return f"{MODELS_DIR}/{name}/model.yaml"


def stages_path(name: str) -> str:
    return f"{MODELS_DIR}/{name}/stages.yaml"


def manifest_path(name: str, version: str) -> str:
    return f"{MODELS_DIR}/{name}/{version}.yaml"


def artifacts_dir(name: str, version: str) -> str:
    return f"{MODELS_DIR}/{name}/{version}"


@dataclass(frozen=True)
class PathKind:
    """What a path under ``models/`` is: kind is facts, stages, manifest, pointer, other."""

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
        if leaf.endswith(".yaml"):
            return PathKind("manifest", model, leaf.removesuffix(".yaml"))
        if leaf.endswith(".yml"):
            return PathKind("misnamed", model, leaf)
        return PathKind("other", model)
    if path.endswith(".dvc"):
        return PathKind("pointer", model, parts[2])
    return PathKind("other", model, parts[2])
