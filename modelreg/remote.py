"""DVC remotes: settings that must stay out of Git, and proof that pushed bytes are there.

``committed_secret_problems`` and ``config_problems`` are rules over committed files (no DVC
needed); ``missing_in_remote`` asks the default remote, without downloading, whether every
object of some versions is there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from modelreg import git
from modelreg.errors import InvalidInputError
from modelreg.models import Artifact, ModelVersion
from modelreg.snapshot import Problem
from modelreg.tree import GitTree, Tree, WorkTree

if TYPE_CHECKING:
    from modelreg.registry import Registry

DVC_CONFIG = ".dvc/config"
DVC_LOCAL_CONFIG = ".dvc/config.local"

# Settings of DVC remotes that are credentials (s3, azure, gdrive, oss, ssh, http, webdav,
# webhdfs), plus anything named like one. Paths to key files and ask_* switches are not.
_SECRET_NAMES = {"access_key_id", "account_key", "connection_string", "oss_key_id", "sas_token"}
_SECRET_WORDS = re.compile(r"secret|password|passphrase|token", re.IGNORECASE)
_NOT_SECRET = {"ask_password", "ask_passphrase"}
_ENVIRONMENT = {
    "access_key_id": "AWS_ACCESS_KEY_ID",
    "secret_access_key": "AWS_SECRET_ACCESS_KEY",
    "session_token": "AWS_SESSION_TOKEN",
}
_SECTION = re.compile(r"^\s*\[\s*'?(?P<name>[^\]]*?)'?\s*\]\s*$")
_SETTING = re.compile(r"^\s*(?P<key>[A-Za-z0-9_.-]+)\s*=\s*(?P<value>.*)$")
_URL_PASSWORD = re.compile(r"^[a-z][a-z0-9+.-]*://[^/@\s:]*:[^/@\s]+@", re.IGNORECASE)


def is_secret(key: str) -> bool:
    """Whether DVC remote setting ``key`` holds a credential."""
    key = key.lower()
    return key not in _NOT_SECRET and (key in _SECRET_NAMES or bool(_SECRET_WORDS.search(key)))


def refuse_secret_options(options: dict[str, str], *, remote: str) -> None:
    """InvalidInputError if a remote option given for a committed file is a credential."""
    for key in options:
        if is_secret(key):
            raise InvalidInputError(
                f"{key} is a credential and would be committed in {DVC_CONFIG}; {_where_instead(key, remote)}"
            )


_PLUGINS = {
    "s3": ("dvc_s3", "pip install 'modelreg[s3]'"),
    "gs": ("dvc_gs", "pip install dvc-gs"),
    "azure": ("dvc_azure", "pip install dvc-azure"),
    "ssh": ("dvc_ssh", "pip install dvc-ssh"),
}


def missing_plugin(url: str) -> str | None:
    """How to install the DVC plugin that a remote URL needs, when it is not installed."""
    import importlib.util

    scheme = url.partition("://")[0].lower() if "://" in url else ""
    plugin = _PLUGINS.get(scheme)
    if plugin is None or importlib.util.find_spec(plugin[0]) is not None:
        return None
    return f"{plugin[0].replace('_', '-')}: {plugin[1]}"


def committed_secret_problems(text: bytes | str, *, path: str = DVC_CONFIG) -> list[Problem]:
    """Every credential that a committed DVC config holds, by line; values are never quoted."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    problems = []
    section = ""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith(("#", ";")):
            continue
        if m := _SECTION.match(line):
            section = m["name"].strip()
            continue
        m = _SETTING.match(line)
        if m is None:
            continue
        key, value = m["key"], m["value"].strip()
        remote = section.split('"')[1] if section.count('"') >= 2 else "NAME"
        if is_secret(key) and value:
            message = (
                f"[{section}] holds the credential {key}; committed files must not: remove it, "
                f"{_where_instead(key, remote)}, and rotate it if it was ever pushed"
            )
        elif key == "url" and _URL_PASSWORD.match(value):
            message = (
                f"[{section}] url holds a password; remove it from the URL, "
                f"{_where_instead('password', remote)}, and rotate it if it was ever pushed"
            )
        else:
            continue
        problems.append(Problem(file=path, line=number, message=message, rule="secret"))
    return problems


def _where_instead(key: str, remote: str) -> str:
    hint = f"set it with `dvc remote modify --local {remote} {key} VALUE` (.dvc/config.local, git-ignored)"
    env = _ENVIRONMENT.get(key.lower())
    return f"{hint} or the environment variable {env}" if env else hint


def config_problems(tree: Tree) -> list[Problem]:
    """Credentials in the DVC config of ``tree`` (the work tree or a commit); a committed
    .dvc/config.local. A rule for ``validate`` and ``check``."""
    if _is_symlink(tree, DVC_CONFIG):  # DVC would follow it: to any file, or to another repo's remotes
        return [
            Problem(
                file=DVC_CONFIG, message=f"is a symlink; {DVC_CONFIG} must be a plain file", rule="layout"
            )
        ]
    config, local_committed = _dvc_config(tree)
    problems = committed_secret_problems(config) if config is not None else []
    if local_committed:
        problems.append(
            Problem(
                file=DVC_LOCAL_CONFIG,
                message="holds local settings and credentials and must not be committed: "
                f"`git rm --cached {DVC_LOCAL_CONFIG}` (DVC's .dvc/.gitignore ignores it)",
                rule="secret",
            )
        )
    return problems


def _is_symlink(tree: Tree, path: str) -> bool:
    if isinstance(tree, GitTree):
        return any(e.is_symlink for e in git.ls_tree(tree.top, tree.commit, [path]))
    return isinstance(tree, WorkTree) and (tree.top / path).is_symlink()


def _dvc_config(tree: Tree) -> tuple[bytes | None, bool]:
    """(.dvc/config as the tree has it, whether .dvc/config.local is committed or staged)."""
    if isinstance(tree, GitTree):
        entries = {e.path: e.blob for e in git.ls_tree(tree.top, tree.commit, [DVC_CONFIG, DVC_LOCAL_CONFIG])}
        blob = entries.get(DVC_CONFIG)
        config = git.read_blobs(tree.top, [blob]).get(blob) if blob else None
        return config, DVC_LOCAL_CONFIG in entries
    if isinstance(tree, WorkTree):
        target = tree.top / DVC_CONFIG
        config = target.read_bytes() if target.is_file() else None
        return config, git.is_tracked(tree.top, DVC_LOCAL_CONFIG)
    return tree.read(DVC_CONFIG), tree.read(DVC_LOCAL_CONFIG) is not None


# --- presence in the remote ----------------------------------------------------------------


@dataclass(frozen=True)
class _Wanted:
    version: ModelVersion
    artifact: Artifact
    md5: str
    inner: str | None = None  # a file inside a folder artifact, relative to it


def missing_in_remote(registry: Registry, versions: Iterable[ModelVersion | str]) -> list[Problem]:
    """A problem for every artifact object of ``versions`` (ModelVersion or reference) that
    the default DVC remote lacks: each file, and for a folder its listing and every file in
    it. Asks for metadata only; downloads at most the (small) listings of folders.

    DvcError when the remote cannot be reached or used at all.
    """
    from modelreg import artifacts, dvc

    chosen = [v if isinstance(v, ModelVersion) else registry.get(v) for v in versions]
    if not chosen:
        return []
    refused: list[Problem] = []
    with dvc.object_store(registry.root) as store:
        wanted: list[_Wanted] = []
        for version in chosen:
            for artifact in version.manifest.artifacts:
                wanted.append(_Wanted(version, artifact, artifact.md5))
                if not artifact.md5.endswith(".dir"):
                    continue
                try:
                    entries = artifacts.read_listing(store, artifact.md5, missing_ok=True) or []
                except artifacts.ArtifactError as e:  # a listing no consumer could pull
                    rule = "unsafe-path" if isinstance(e, artifacts.UnsafeListingError) else "remote"
                    refused.append(
                        Problem(file=artifact.path + ".dvc", message=f"{version.ref}: {e}", rule=rule)
                    )
                    continue
                wanted += [_Wanted(version, artifact, e.md5, e.relpath) for e in entries]
        present = store.remote_has_all(sorted({w.md5 for w in wanted}))
        label = store.remote_label
    return [*refused, *(_missing_problem(w, label) for w in wanted if not present[w.md5])]


def _missing_problem(wanted: _Wanted, remote_label: str) -> Problem:
    artifact = wanted.artifact
    pointer = artifact.path + ".dvc"
    if wanted.inner is not None:
        what = f"{artifact.path}/{wanted.inner} (md5 {wanted.md5}, in folder artifact {artifact.path})"
    elif artifact.md5.endswith(".dir"):
        what = f"the listing of folder artifact {artifact.path} (md5 {artifact.md5})"
    else:
        what = f"{artifact.path} (md5 {artifact.md5})"
    return Problem(
        file=pointer,
        message=f"{wanted.version.ref}: {what} is not in the {remote_label}; "
        f"push it with `dvc push {pointer}`",
        rule="remote",
    )


def versions_under(registry: Registry, paths: list[str]) -> list[ModelVersion]:
    """The versions whose manifest or artifacts lie under one of ``paths`` (all if empty).
    Only manifests that parse: the others are already reported by validation."""
    snap = registry.snapshot
    found = []
    for (name, version), manifest in sorted(snap.manifests.items()):
        own = [f"models/{name}/{version}.yaml", *(a.path for a in manifest.artifacts)]
        if not paths or any(_under(p, w) for p in own for w in paths):
            stage = snap.stage_of(name, version)
            found.append(ModelVersion(name=name, version=version, stage=stage, manifest=manifest))
    return found


def _under(path: str, prefix: str) -> bool:
    prefix = prefix.rstrip("/")
    return prefix in ("", ".") or path == prefix or path.startswith(prefix + "/")
