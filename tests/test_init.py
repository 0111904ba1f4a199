from __future__ import annotations

from pathlib import Path

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
