"""``modelreg init``: lay out a registry in a Git repository, idempotently."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlparse

from pydantic import BaseModel

from modelreg.adapters import dvc, git
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


def workflow(*, branch: str, action: str, install: str | None = None) -> str:
    """The workflow ``init`` writes: ``modelreg check`` through the modelreg Action ``action``
    (``OWNER/modelreg@REF``) on pull requests and on pushes to ``branch``; ``install`` is a pip
    requirement the Action installs instead of its own ref."""
    step = f"      - uses: {action}\n"
    if install:
        step += f"        with:\n          install: {yaml_string(install)}\n"
    tail = WORKFLOW_TAIL.replace("INSTALL", shlex.quote(install or pip_requirement(action)))
    return WORKFLOW_HEAD.replace("BRANCH", yaml_string(branch)) + step + tail


def pip_requirement(action: str) -> str:
    """What pip installs for the modelreg of the Action ``action`` (``OWNER/REPO@REF`` or
    ``./PATH``): the same source at the same ref, for jobs that run modelreg themselves."""
    if action.startswith("./"):
        return action
    repo, _, ref = action.partition("@")
    return f"git+https://github.com/{repo}@{ref}"


WORKFLOW_HEAD = """\
# Written by `modelreg init`. Runs the registry's CI validator, `modelreg check`, through the
# modelreg Action: on a pull request against the branch it would merge into; on a push to
# the main branch against the previous commit, which catches two pull requests that each
# passed alone but conflict once merged.
name: modelreg
on:
  pull_request:
  push:
    branches: [BRANCH]
permissions:
  contents: read
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      # fetch-depth: 0 (the whole history): check judges what the change did since it forked
      # from the base branch, and lets a version return to a stage (a rollback) only if it
      # entered that stage before on the base branch. A shallow clone knows neither.
      - uses: actions/checkout@v5
        with:
          fetch-depth: 0
"""

WORKFLOW_TAIL = """\
  # ==== delivery: a commented example deploy job (`modelreg events --format github`) ====
  # After a merge, `modelreg events` says what the change did (registered, stage changed,
  # evaluated, deployed) as step outputs. Uncomment, and put your deployment in place of
  # ./deploy.sh; the outputs reach the script as variables, never spliced into its text.
  # deploy:
  #   if: github.event_name == 'push'
  #   needs: check
  #   runs-on: ubuntu-latest
  #   steps:
  #     - uses: actions/checkout@v5
  #       with:
  #         fetch-depth: 0
  #     - uses: actions/setup-python@v6
  #       with:
  #         python-version: "3.11"
  #     - run: pip install INSTALL
  #     - id: events
  #       run: modelreg events --base "${{ github.event.before }}" --head "${{ github.sha }}" --format github
  #     - if: steps.events.outputs.deploy_env != ''
  #       env:
  #         DEPLOY_ENV: ${{ steps.events.outputs.deploy_env }}
  #         REF: ${{ steps.events.outputs.ref }}
  #       run: |
  #         modelreg pull "$REF" -o model.bin
  #         ./deploy.sh "$DEPLOY_ENV" model.bin
  # ==== end of delivery ====
  # ==== pages: a commented example job publishing the catalog to GitHub Pages ====
  # `modelreg site` writes a static site of the registry (models, versions, charts, lineage,
  # stage timelines); this job publishes it on every push. Uncomment, and set the repository's
  # Pages source to "GitHub Actions".
  # site:
  #   needs: check
  #   if: github.event_name == 'push'
  #   runs-on: ubuntu-latest
  #   permissions:
  #     contents: read
  #     pages: write
  #     id-token: write
  #   environment:
  #     name: github-pages
  #     url: ${{ steps.deployment.outputs.page_url }}
  #   steps:
  #     - uses: actions/checkout@v5
  #       with:
  #         fetch-depth: 0
  #     - uses: actions/setup-python@v6
  #       with:
  #         python-version: "3.11"
  #     - run: pip install INSTALL
  #     - name: modelreg site
  #       env:
  #         BASE_URL: /${{ github.event.repository.name }}/
  #         REPO_URL: ${{ github.server_url }}/${{ github.repository }}
  #       run: modelreg site -o public --base-url "$BASE_URL" --repo-url "$REPO_URL"
  #     # A MkDocs site of the repository's own (a mkdocs.yml at its top), published beside
  #     # the registry's under docs/.
  #     - name: documentation
  #       if: hashFiles('mkdocs.yml') != ''
  #       run: pip install mkdocs-material && mkdocs build --strict --site-dir public/docs
  #     - uses: actions/upload-pages-artifact@v4
  #       with:
  #         path: public
  #     - id: deployment
  #       uses: actions/deploy-pages@v5
  # ==== end of pages ====
"""


MAX_NAME = 200


class InitResult(BaseModel):
    root: str
    created: list[str]
    remote: str | None
    commit: str | None
    git_initialized: bool
    action: str = ""  # the Action the workflow uses (`uses:`), when init wrote the workflow
    action_line: int | None = None  # its line in the workflow: the one to change to pin another

    @property
    def changed(self) -> bool:
        return bool(self.created)


def init(
    directory: Path,
    *,
    remote: str | None = None,
    name: str | None = None,
    remote_options: dict[str, str] | None = None,
    action: str | None = None,
    install: str | None = None,
) -> InitResult:
    """Make ``directory`` a registry: files, DVC, a default remote, one commit. Reruns are no-ops.

    ``remote_options`` are DVC settings of the new remote (``endpointurl``, ``profile``,
    ``region``...); credentials are refused: they belong in .dvc/config.local or the environment.
    The workflow uses the modelreg Action ``action`` (default: the one this modelreg came from,
    ``default_action()``), which installs ``install`` (a pip requirement) or else its own ref.
    """
    action = check_action(action or default_action())
    if install is not None:
        install = check_install(install)
    options = remote_options or {}
    refuse_secret_options(options, remote=dvc.DEFAULT_REMOTE_NAME)
    if name is not None and len(name) > MAX_NAME:  # registry.yaml's schema: ShortText
        raise InvalidInputError(f"registry name is {len(name)} characters, more than {MAX_NAME}")
    nearest = next(p for p in [directory, *directory.absolute().parents] if p.is_dir())
    if git.is_repo(nearest) and (top := git.root(nearest)).resolve() != directory.resolve():
        raise InvalidInputError(  # checked before creating anything
            f"{directory} is inside the Git repository {top}; run `modelreg init` at its top folder"
        )
    git.require_identity(nearest)  # before anything is created: init ends with a commit
    with _removed_on_failure(directory) as made:
        directory.mkdir(parents=True, exist_ok=True)
        git_initialized = False
        if not git.is_repo(directory):
            made.append(directory / ".git")
            git.init(directory)
            git_initialized = True
        top = git.root(directory)
        branch = git.current_branch(top) or "main"
        files = _files(name or top.name, workflow(branch=branch, action=action, install=install))
        pending = [rel for rel, text in files.items() if _differs(top / rel, text)]
        made.extend(_missing_folders(top, pending))
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
    wrote_workflow = WORKFLOW_FILE in pending
    return InitResult(
        root=str(top),
        created=pending,
        remote=remote_url,
        commit=commit,
        git_initialized=git_initialized,
        action=action if wrote_workflow else "",
        action_line=_uses_line(files[WORKFLOW_FILE], action) if wrote_workflow else None,
    )


def _uses_line(workflow_text: str, action: str) -> int:
    """The line (from 1) of the check job's ``uses: ACTION``."""
    return workflow_text.splitlines().index(f"      - uses: {action}") + 1


def _files(name: str, workflow_text: str) -> dict[str, str]:
    files = {
        REGISTRY_FILE: REGISTRY_TEMPLATE.format(name=yaml_string(name)),
        f"{MODELS_DIR}/.gitkeep": "",
        WORKFLOW_FILE: workflow_text,
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
        if remote is not None and not _same_remote(remote, current[1]):
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


@contextmanager
def _removed_on_failure(directory: Path) -> Iterator[list[Path]]:
    """Remove what init created (the folder, its .git, new folders) if it fails: the files are
    ``restoring``'s, the folders that held them are this one's."""
    made: list[Path] = [] if directory.exists() else [directory]
    try:
        yield made
    except BaseException:
        for path in reversed(made):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
        raise


def _missing_folders(top: Path, files: list[str]) -> list[Path]:
    """The folders writing ``files`` would create, outermost first."""
    missing: list[Path] = []
    for rel in files:
        for parent in reversed((top / rel).relative_to(top).parents):
            folder = top / parent
            if parent != Path(".") and not folder.exists() and folder not in missing:
                missing.append(folder)
    return missing


def _same_remote(given: str, current: str) -> bool:
    """DVC reads a relative local path of .dvc/config as an absolute one; ``given`` is relative
    to where init runs."""
    if "://" in given or "://" in current:
        return given == current
    return os.path.abspath(given) == os.path.abspath(current)


ACTION_PATTERN = re.compile(
    r"^(\./[A-Za-z0-9._/-]*|[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+(/[A-Za-z0-9._/-]+)?@[A-Za-z0-9._/-]+)$"
)
SOURCE = "https://github.com/modelreg/modelreg"  # where this project lives, if metadata does not say


def default_action() -> str:
    """``OWNER/REPO@REF`` of the modelreg that runs: the GitHub commit it was installed from, else
    its source repository (``Project-URL: Source``) at the tag of its version, ``vX.Y.Z``."""
    dist = metadata.distribution("modelreg")
    vcs = _installed_from(dist.read_text("direct_url.json"))
    if vcs is not None:
        return vcs
    urls = dict(entry.split(", ", 1) for entry in dist.metadata.get_all("Project-URL") or [] if ", " in entry)
    repo = _github_repo(urls.get("Source", SOURCE)) or _github_repo(SOURCE)
    return f"{repo}@v{dist.version}"


def _installed_from(direct_url: str | None) -> str | None:
    """``OWNER/REPO@COMMIT`` when pip installed this from a GitHub repository (PEP 610), or
    from a local checkout of one (its ``origin`` on GitHub, at the checkout's HEAD): a ref that
    exists, unlike a release tag not published yet."""
    try:
        record = json.loads(direct_url or "null")
    except ValueError:
        return None
    if not isinstance(record, dict):
        return None
    if isinstance(record.get("dir_info"), dict):
        return _checkout_action(str(record.get("url", "")))
    if not isinstance(record.get("vcs_info"), dict):
        return None
    commit, url = record["vcs_info"].get("commit_id"), str(record.get("url", ""))
    repo = _github_repo(url)
    return f"{repo}@{commit}" if commit and repo else None


def _checkout_action(url: str) -> str | None:
    """``OWNER/REPO@HEAD`` of the local checkout at the ``file://`` ``url``, when its origin is on GitHub."""
    if not url.startswith("file://"):
        return None
    folder = Path(unquote(urlparse(url).path))
    if not (folder / ".git").exists():
        return None
    origin = git.remote_url(folder, "origin")
    repo = _github_repo(origin) if origin else None
    commit = git.head(folder) if repo else None
    return f"{repo}@{commit}" if repo and commit else None


def _github_repo(url: str) -> str | None:
    m = re.match(r"^(?:git\+)?(?:https://|ssh://git@|git@)github\.com[/:]([^/]+/[^/]+?)(?:\.git)?/?$", url)
    return m.group(1) if m else None


def check_action(action: str) -> str:
    if not ACTION_PATTERN.match(action):
        raise InvalidInputError(
            f"invalid --action {action!r}: use OWNER/REPO@REF (e.g. acme/modelreg@v0.1.0) or ./PATH"
        )
    return action


def check_install(install: str) -> str:
    if not install.strip() or any(ch < " " or ch == "\x7f" for ch in install):
        raise InvalidInputError(
            f"invalid --install {install!r}: use a pip requirement, e.g. modelreg==0.1.0 or "
            "git+https://github.com/OWNER/modelreg@v0.1.0"
        )
    return install
