"""``modelreg init``: lay out a registry in a Git repository, idempotently."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from modelreg.adapters import dvc, git, proc
from modelreg.documents import schemas, yamlio
from modelreg.domain.errors import InvalidInputError
from modelreg.domain.layout import MODELS_DIR, REGISTRY_FILE, SCHEMAS_DIR, WORKFLOW_FILE
from modelreg.operations.transaction import restoring
from modelreg.rules.dvcconfig import refuse_secret_options

REGISTRY_TEMPLATE = """\
# yaml-language-server: $schema=schemas/registry.schema.json
# The registry's policy: stages and allowed moves (from), how many versions a stage holds,
# what a version needs before it may enter a stage, and each metric's goal.
schema_version: 1
name: {name}
stages:
  development: {{initial: true, from: [archived]}}
  staging: {{from: [development], max_versions: 3}}
  production:
    from: [staging]
    max_versions: 1
    displace_to: archived        # where the current holder goes when a new one arrives
    requires:
      fields: [description]      # e.g. [description, data.training]
      metrics: {{}}                # e.g. {{auc: {{min: 0.90}}}}
      not_worse_than_current: []  # e.g. [auc]
  deprecated: {{from: [production, staging]}}
  archived: {{from: [development, staging, production, deprecated]}}
metrics: {{}}                      # e.g. {{auc: maximize, latency_ms: minimize}}
naming: {{model: "^[a-z][a-z0-9-]{{0,62}}$"}}
"""

WORKFLOW = """\
# Written by `modelreg init`. Runs the registry's CI validator, `modelreg check`: on a pull
# request against the branch it would merge into; on a push to main against the previous
# commit, which catches two pull requests that each passed alone but conflict once merged.
name: modelreg
on:
  pull_request:
  push:
    branches: [main]
permissions:
  contents: read
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - run: pip install modelreg
      - name: modelreg check (pull request)
        if: github.event_name == 'pull_request'
        env:
          BASE_REF: ${{ github.base_ref }}
        run: modelreg check --base "origin/$BASE_REF"
      - name: modelreg check (push to main)
        if: github.event_name == 'push'
        env:
          BEFORE: ${{ github.event.before }}
        run: |
          base="$BEFORE"
          git cat-file -e "$base^{commit}" 2>/dev/null || base=HEAD~1
          modelreg check --base "$base"
"""


MAX_NAME = 200


class InitResult(BaseModel):
    root: str
    created: list[str]
    remote: str | None
    commit: str | None
    git_initialized: bool

    @property
    def changed(self) -> bool:
        return bool(self.created)


def init(
    directory: Path,
    *,
    remote: str | None = None,
    name: str | None = None,
    remote_options: dict[str, str] | None = None,
) -> InitResult:
    """Make ``directory`` a registry: files, DVC, a default remote, one commit. Reruns are no-ops.

    ``remote_options`` are DVC settings of the new remote (``endpointurl``, ``profile``,
    ``region``...); credentials are refused: they belong in .dvc/config.local or the environment.
    """
    options = remote_options or {}
    refuse_secret_options(options, remote=dvc.DEFAULT_REMOTE_NAME)
    if name is not None and len(name) > MAX_NAME:  # registry.yaml's schema: ShortText
        raise InvalidInputError(f"registry name is {len(name)} characters, more than {MAX_NAME}")
    nearest = next(p for p in [directory, *directory.absolute().parents] if p.is_dir())
    if git.is_repo(nearest) and (top := git.root(nearest)).resolve() != directory.resolve():
        raise InvalidInputError(  # checked before creating anything
            f"{directory} is inside the Git repository {top}; run `modelreg init` at its top folder"
        )
    directory.mkdir(parents=True, exist_ok=True)
    git_initialized = False
    if not git.is_repo(directory):
        proc.run(["git", "init", "--quiet", "--", str(directory)])
        git_initialized = True
    top = git.root(directory)
    files = _files(name or top.name)
    pending = [rel for rel, text in files.items() if _differs(top / rel, text)]
    needs_dvc = not dvc.is_initialized(top)
    touched = [*pending, *([".dvc", ".dvcignore"] if needs_dvc else [".dvc/config"])]
    with restoring(top, [p for p in touched if not (top / p).is_dir()], command="init"):
        for rel in pending:
            (top / rel).parent.mkdir(parents=True, exist_ok=True)
            (top / rel).write_text(files[rel], encoding="utf-8")
        if needs_dvc:
            dvc.init(top)
            pending += [".dvc", ".dvcignore"]
        remote_url = _ensure_remote(top, remote, pending, options)
        commit = git.commit(top, "modelreg init", pending) if pending else None
    return InitResult(
        root=str(top),
        created=pending,
        remote=remote_url,
        commit=commit,
        git_initialized=git_initialized,
    )


def _files(name: str) -> dict[str, str]:
    files = {
        REGISTRY_FILE: REGISTRY_TEMPLATE.format(name=yaml_string(name)),
        f"{MODELS_DIR}/.gitkeep": "",
        WORKFLOW_FILE: WORKFLOW,
    }
    for kind, (filename, _, _) in schemas.KINDS.items():
        files[f"{SCHEMAS_DIR}/{filename}"] = schemas.packaged_text(kind)
    return files


def yaml_string(text: str) -> str:
    """``text`` as a YAML scalar that reads back as the same string."""
    return yamlio.dump(text).removesuffix("\n...\n").strip()


def _differs(path: Path, text: str) -> bool:
    """Write a file that is missing; keep the user's registry.yaml and workflow if present."""
    if not path.exists():
        return True
    return path.parent.name == SCHEMAS_DIR and path.read_text(encoding="utf-8") != text


def _ensure_remote(top: Path, remote: str | None, pending: list[str], options: dict[str, str]) -> str | None:
    current = dvc.default_remote(top)
    if current is not None:
        if remote is not None and remote != current[1]:
            raise InvalidInputError(
                f"the default DVC remote {current[0]!r} is already {current[1]}; "
                f"change it with `dvc remote modify {current[0]} url {remote}`"
            )
        _check_same_options(top, current[0], options)
        return current[1]
    url = remote or _default_remote_url(top)
    dvc.set_default_remote(top, url, options=options)
    if ".dvc/config" not in pending and ".dvc" not in pending:
        pending.append(".dvc/config")
    return url


def _check_same_options(top: Path, name: str, options: dict[str, str]) -> None:
    settings = dvc.remote_settings(top, name) if options else {}
    for key, value in options.items():
        if settings.get(key) != value:
            raise InvalidInputError(
                f"the default DVC remote {name!r} is already set up; "
                f"change {key} with `dvc remote modify {name} {key} VALUE`"
            )


def _default_remote_url(top: Path) -> str:
    """A local folder beside the repository (DVC stores it relative to .dvc/)."""
    return str(top.parent / f"{top.name}.dvc-storage")
