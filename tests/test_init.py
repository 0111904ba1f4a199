from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from conftest import cli, git


def test_init_creates_layout_commits_and_is_idempotent(tmp_path: Path) -> None:
    target = tmp_path / "reg"
    first = cli("init", str(target), "--remote", str(tmp_path / "store"), cwd=tmp_path)
    assert first.code == 0, first.err
    assert "initialized a Git repository" in first.out
    for rel in [
        "registry.yaml",
        "models/.gitkeep",
        ".github/workflows/modelreg.yml",
        ".dvc/config",
        "schemas/model-version.schema.json",
        "schemas/registry.schema.json",
    ]:
        assert (target / rel).is_file(), rel
    assert git("log", "--format=%s", cwd=target).splitlines() == ["modelreg init"]
    assert git("status", "--porcelain", cwd=target) == ""
    assert f"url = {tmp_path / 'store'}" in (target / ".dvc/config").read_text()
    assert "remote = storage" in (target / ".dvc/config").read_text()

    again = cli("init", str(target), cwd=tmp_path)
    assert again.code == 0
    assert "already a modelreg registry; nothing changed" in again.out
    assert len(git("log", "--format=%s", cwd=target).splitlines()) == 1


def test_init_in_existing_repository_keeps_history(tmp_path: Path) -> None:
    git("init", "-q", str(tmp_path / "r"), cwd=tmp_path)
    (tmp_path / "r" / "README").write_text("hi\n")
    git("add", "README", cwd=tmp_path / "r")
    git("commit", "-qm", "first", cwd=tmp_path / "r")
    result = cli("init", cwd=tmp_path / "r")
    assert result.code == 0, result.err
    assert git("log", "--format=%s", cwd=tmp_path / "r").splitlines() == ["modelreg init", "first"]
    assert f"default DVC remote: {tmp_path / 'r.dvc-storage'}" in result.out


def test_init_refuses_a_subfolder_of_a_repository(tmp_path: Path) -> None:
    git("init", "-q", str(tmp_path / "r"), cwd=tmp_path)
    (tmp_path / "r" / "sub").mkdir()
    result = cli("init", "sub", cwd=tmp_path / "r")
    assert result.code == 1
    assert result.lines == [
        f"modelreg: error: sub is inside the Git repository {tmp_path / 'r'}; run `modelreg init` at its top folder"
    ]
    assert not (tmp_path / "r" / "sub" / "registry.yaml").exists()


def test_init_refuses_to_change_an_existing_remote(tmp_path: Path) -> None:
    cli("init", "r", "--remote", str(tmp_path / "a"), cwd=tmp_path)
    result = cli("init", "r", "--remote", str(tmp_path / "b"), cwd=tmp_path)
    assert result.code == 1
    assert "the default DVC remote 'storage' is already" in result.err
    assert "dvc remote modify storage url" in result.err


def test_init_json(tmp_path: Path) -> None:
    import json

    result = cli("init", "r", "--format", "json", cwd=tmp_path)
    data = json.loads(result.out)
    assert data["git_initialized"] is True
    assert "registry.yaml" in data["created"]


def test_registry_template_is_the_default_lifecycle() -> None:
    from modelreg.documents import yamlio
    from modelreg.domain.models import RegistryConfig, default_config
    from modelreg.operations.scaffold import REGISTRY_TEMPLATE, yaml_string

    for name in ["acme-models", "yes", "1.0", "a: b"]:
        text = REGISTRY_TEMPLATE.format(name=yaml_string(name))
        config = RegistryConfig.model_validate(yamlio.load(text.encode(), "registry.yaml"))
        assert config == default_config(name)


def _no_identity(tmp_path: Path) -> dict[str, str]:
    """An environment where git knows no name or email (no config, no GIT_* identity)."""
    home = tmp_path / "nobody"
    home.mkdir()
    return {
        "HOME": str(home),
        "GIT_CONFIG_GLOBAL": str(home / "none"),
        "GIT_AUTHOR_NAME": "",
        "GIT_AUTHOR_EMAIL": "",
        "GIT_COMMITTER_NAME": "",
        "GIT_COMMITTER_EMAIL": "",
        "EMAIL": "",
    }


def test_init_without_a_git_identity_says_so_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in _no_identity(tmp_path).items():
        monkeypatch.setenv(key, value) if value else monkeypatch.delenv(key, raising=False)
    result = cli("init", "reg", cwd=tmp_path)
    assert result.code == 1
    assert result.lines == [
        "modelreg: error: git does not know who you are, and this command commits; set it with "
        '`git config --global user.name "Your Name"` and `git config --global user.email you@example.com`'
    ]
    assert not (tmp_path / "reg").exists()


def test_init_that_fails_after_creating_folders_removes_them(tmp_path: Path) -> None:
    """A failure past the identity check (here DVC refusing a remote option) leaves nothing."""
    git("init", "-q", str(tmp_path / "r"), cwd=tmp_path)
    result = cli(
        "init", "--remote", "s3://bucket/x", "--remote-option", "no_such_option=1", cwd=tmp_path / "r"
    )
    assert result.code == 1
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == [".git"]
    assert git("status", "--porcelain", "--ignored", cwd=tmp_path / "r") == ""


def test_init_keeps_a_relative_remote_relative(tmp_path: Path) -> None:
    (tmp_path / "work").mkdir()
    result = cli("init", "../reg", "--remote", "../store", cwd=tmp_path / "work")
    assert result.code == 0, result.err
    config = (tmp_path / "reg" / ".dvc" / "config").read_text()
    assert "url = ../../store\n" in config  # relative to .dvc/, as DVC reads it: tmp_path/store
    assert str(tmp_path) not in config
    from modelreg.adapters import dvc

    with dvc._dvc(tmp_path / "reg", "read") as repo:  # DVC itself finds the folder named
        assert Path(repo.config["remote"]["storage"]["url"]).resolve() == (tmp_path / "store").resolve()


def test_init_workflow_triggers_on_the_repositorys_branch(tmp_path: Path) -> None:
    git("init", "-q", "-b", "master", str(tmp_path / "r"), cwd=tmp_path)
    assert cli("init", cwd=tmp_path / "r").code == 0
    workflow = yaml.safe_load((tmp_path / "r" / ".github/workflows/modelreg.yml").read_text())
    assert workflow[True]["push"] == {"branches": ["master"]}


def test_init_action_and_install_options(tmp_path: Path) -> None:
    result = cli(
        "init",
        "r",
        "--action",
        "acme/modelreg@0123abc",
        "--install",
        "modelreg @ git+https://x/y@v1",
        cwd=tmp_path,
    )
    assert result.code == 0, result.err
    workflow = yaml.safe_load((tmp_path / "r" / ".github/workflows/modelreg.yml").read_text())
    assert workflow["jobs"]["check"]["steps"][1] == {
        "uses": "acme/modelreg@0123abc",
        "with": {"install": "modelreg @ git+https://x/y@v1"},
    }
    bad = cli("init", "s", "--action", "acme/modelreg", cwd=tmp_path)
    assert bad.code == 1
    assert bad.lines == [
        "modelreg: error: invalid --action 'acme/modelreg': use OWNER/REPO@REF (e.g. acme/modelreg@v0.1.0) or ./PATH"
    ]
    assert not (tmp_path / "s").exists()


def test_init_names_the_workflow_line_to_change_for_a_pinned_action_or_a_private_index(
    tmp_path: Path,
) -> None:
    r = cli("init", str(tmp_path / "r"), "--remote", str(tmp_path / "storage"), cwd=tmp_path)
    assert r.code == 0, r.err
    said = re.search(
        r"^CI: \.github/workflows/modelreg\.yml:(\d+) runs `uses: (\S+)`: change that line", r.out, re.M
    )
    assert said is not None, r.out
    lines = (tmp_path / "r/.github/workflows/modelreg.yml").read_text().splitlines()
    assert lines[int(said[1]) - 1] == f"      - uses: {said[2]}"
    assert "add `with: {install: SPEC}` under it" in r.out
    again = cli("init", str(tmp_path / "r"), cwd=tmp_path)
    assert "CI:" not in again.out  # nothing written, nothing to point at


def test_the_default_action_of_a_checkout_of_github_is_its_head_commit(tmp_path: Path) -> None:
    """Installed from a clone (`pip install .`), the workflow names a commit that exists on
    GitHub, not a release tag that may not be published yet; a checkout without a GitHub origin
    (or no checkout) falls back to the tag."""
    from modelreg.operations.scaffold import _installed_from

    checkout = tmp_path / "modelreg"
    checkout.mkdir()
    git("init", "-q", cwd=checkout)
    (checkout / "pyproject.toml").write_text("[project]\n")
    git("add", ".", cwd=checkout)
    git("commit", "-qm", "x", cwd=checkout)
    record = json.dumps({"url": checkout.as_uri(), "dir_info": {"editable": True}})
    assert _installed_from(record) is None  # no origin
    git("remote", "add", "origin", "https://github.com/acme/modelreg.git", cwd=checkout)
    head = git("rev-parse", "HEAD", cwd=checkout).strip()
    assert _installed_from(record) == f"acme/modelreg@{head}"
    git("remote", "set-url", "origin", "https://gitlab.example.com/acme/modelreg.git", cwd=checkout)
    assert _installed_from(record) is None
    assert _installed_from(json.dumps({"url": "file:///nonexistent", "dir_info": {}})) is None
