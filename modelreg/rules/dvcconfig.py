"""DVC's committed configuration: settings that must stay out of Git (credentials), and a
``.dvc/config`` that is not a plain file. Rules over committed files: no DVC needed."""

from __future__ import annotations

import re

from modelreg.adapters import git
from modelreg.documents.tree import GitTree, Tree, WorkTree
from modelreg.domain.errors import InvalidInputError
from modelreg.domain.layout import DVC_CONFIG_FILE, DVC_LOCAL_CONFIG_FILE
from modelreg.domain.problems import Problem

DVC_CONFIG = DVC_CONFIG_FILE
DVC_LOCAL_CONFIG = DVC_LOCAL_CONFIG_FILE

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


def committed_default_remote(text: bytes | str) -> tuple[str, str] | None:
    """(name, url) of the default remote as ``.dvc/config``'s text writes it (a local path
    stays as written: relative to ``.dvc/``), or None when it names none."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    section = ""
    default = None
    urls: dict[str, str] = {}
    for line in text.splitlines():
        if line.lstrip().startswith(("#", ";")):
            continue
        if m := _SECTION.match(line):
            section = m["name"].strip()
            continue
        m = _SETTING.match(line)
        if m is None:
            continue
        key, value = m["key"].lower(), m["value"].strip()
        if section == "core" and key == "remote":
            default = value
        elif key == "url" and section.startswith("remote") and section.count('"') >= 2:
            urls[section.split('"')[1]] = value
    if not default:
        return None
    return default, urls.get(default, "")
