"""Remote settings: S3 at init, credentials kept out of Git, an unreachable remote."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import Reg, cli, git
from moto_s3 import free_port, require_dvc_s3, s3_env

from modelreg.documents.tree import GitTree, WorkTree
from modelreg.rules.dvcconfig import committed_secret_problems, config_problems, is_secret

SECRET = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        ("access_key_id", True),
        ("secret_access_key", True),
        ("session_token", True),
        ("password", True),
        ("gdrive_client_secret", True),
        ("account_key", True),
        ("sas_token", True),
        ("connection_string", True),
        ("oss_key_secret", True),
        ("passphrase", True),
        ("token", True),
        ("ask_password", False),
        ("endpointurl", False),
        ("profile", False),
        ("credentialpath", False),
        ("keyfile", False),
        ("url", False),
    ],
)
def test_is_secret(key: str, secret: bool) -> None:
    assert is_secret(key) is secret


def test_committed_secret_problems_name_the_line_never_the_value() -> None:
    text = (
        "[core]\n    remote = storage\n"
        "['remote \"storage\"']\n    url = s3://bucket/prefix\n"
        f"    secret_access_key = {SECRET}\n    endpointurl = http://minio:9000\n"
        "# access_key_id = commented out\n"
        "['remote \"web\"']\n    url = https://alice:hunter2@example.com/dvc\n"
    )
    problems = committed_secret_problems(text)
    assert [(p.file, p.line, p.rule) for p in problems] == [
        (".dvc/config", 5, "secret"),
        (".dvc/config", 9, "secret"),
    ]
    assert "dvc remote modify --local storage secret_access_key VALUE" in problems[0].message
    assert "AWS_SECRET_ACCESS_KEY" in problems[0].message
    assert "url holds a password" in problems[1].message
    assert all(SECRET not in p.message and "hunter2" not in p.message for p in problems)


def test_validate_refuses_a_committed_secret_and_accepts_the_local_config(reg: Reg) -> None:
    config = reg.path / ".dvc" / "config"
    clean = config.read_text()
    config.write_text(clean.replace("[core]", "[core]\n    autostage = false") + f"    password = {SECRET}\n")
    r = reg.cli("validate")
    assert r.code == 1
    assert ".dvc/config:" in r.out and "holds the credential password" in r.out
    assert SECRET not in r.out + r.err
    reg.commit("oops")
    assert any(p.rule == "secret" for p in _config_problems_at(reg, "HEAD"))

    config.write_text(clean)
    (reg.path / ".dvc" / "config.local").write_text(f"['remote \"storage\"']\n    password = {SECRET}\n")
    reg.commit("fix")
    assert git("ls-files", ".dvc/config.local", cwd=reg.path) == ""  # DVC's .gitignore keeps it out
    assert reg.cli("validate").code == 0
    assert _config_problems_at(reg, "HEAD") == []
    assert config_problems(WorkTree(reg.path)) == []

    git("add", "-f", ".dvc/config.local", cwd=reg.path)
    r = reg.cli("validate")
    assert r.code == 1 and ".dvc/config.local: holds local settings and credentials" in r.out
    assert "git rm --cached .dvc/config.local" in r.out


def _config_problems_at(reg: Reg, rev: str) -> list[object]:
    from modelreg.rules.dvcconfig import config_problems

    return list(config_problems(GitTree(reg.path, rev)))


@pytest.mark.slow  # DVC's S3 remote
def test_init_with_an_s3_remote_and_options(tmp_path: Path) -> None:
    target = tmp_path / "registry"
    r = cli(
        "init",
        str(target),
        "--remote",
        "s3://acme-models/registry",
        "--remote-option",
        "endpointurl=http://127.0.0.1:9",
        "--remote-option",
        "region=eu-west-1",
        cwd=tmp_path,
    )
    assert r.code == 0, r.err
    config = (target / ".dvc" / "config").read_text()
    assert "url = s3://acme-models/registry" in config
    assert "endpointurl = http://127.0.0.1:9" in config and "region = eu-west-1" in config
    assert git("status", "--porcelain", cwd=target) == ""
    same = cli("init", str(target), "--remote", "s3://acme-models/registry", "--remote-option",
               "region=eu-west-1", cwd=tmp_path)  # fmt: skip
    assert same.code == 0 and "nothing changed" in same.out
    other = cli("init", str(target), "--remote-option", "region=us-east-1", cwd=tmp_path)
    assert other.code == 1 and "dvc remote modify storage region VALUE" in other.err
    assert cli("validate", cwd=target).code == 0


def test_init_refuses_credentials_and_bad_options(tmp_path: Path) -> None:
    r = cli(
        "init", "reg", "--remote", "s3://b/p", "--remote-option", f"secret_access_key={SECRET}", cwd=tmp_path
    )
    assert r.code == 1
    assert "secret_access_key is a credential and would be committed in .dvc/config" in r.err
    assert "dvc remote modify --local storage secret_access_key VALUE" in r.err
    assert SECRET not in r.err
    assert not (tmp_path / "reg").exists() or not (tmp_path / "reg" / ".dvc").exists()

    r = cli(
        "init", "reg2", "--remote", "s3://b/p", "--remote-option", f"secret_access_key:{SECRET}", cwd=tmp_path
    )
    assert r.code == 1 and "use KEY=VALUE" in r.err and SECRET not in r.err

    r = cli("init", "reg3", "--remote", "s3://b/p", "--remote-option", "no_such_option=1", cwd=tmp_path)
    assert r.code == 1 and "no_such_option" in r.err and len(r.lines) == 1


@pytest.mark.slow  # DVC against a remote that cannot answer
def test_a_remote_whose_plugin_is_missing(tmp_path: Path) -> None:
    r = cli("init", "reg", "--remote", "gs://bucket/models", cwd=tmp_path)
    assert r.code == 0
    assert "note: this remote needs dvc-gs: pip install dvc-gs" in r.err  # not a dependency
    reg = Reg(tmp_path / "reg", tmp_path / "unused", tmp_path / "scratch")
    reg.register("fraud", "1.0.0", push=False)
    shutil.rmtree(reg.path / ".dvc" / "cache")
    r = reg.cli("pull", "fraud@1.0.0", "-o", str(tmp_path / "m.bin"))
    assert r.code == 1 and r.err.strip().endswith("gs is supported, but requires 'dvc-gs' to be installed")


# --- an S3 remote nobody answers: a closed loopback port ----------------------------------


@pytest.fixture
def unreachable(
    tmp_path: Path, isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Reg, dict[str, str]]:
    from modelreg.operations.scaffold import init

    require_dvc_s3()
    env = s3_env(monkeypatch, isolated_env)
    path = tmp_path / "registry"
    endpoint = f"http://127.0.0.1:{free_port()}"
    init(path, remote="s3://nowhere/models", remote_options={"endpointurl": endpoint}, name="t")
    return Reg(path, tmp_path / "unused", tmp_path / "scratch"), env


@pytest.mark.slow  # DVC against a remote that cannot answer
def test_unreachable_remote_register_changes_nothing(unreachable: tuple[Reg, dict[str, str]]) -> None:
    reg, env = unreachable
    before = _state_outside_dvc_internals(reg)
    model = reg.artifact("model.bin", "weights")
    r = reg.cli("register", "fraud", str(model), "--version", "1.0.0", env=env)
    assert r.code == 1, r.err
    assert "Traceback" not in r.err
    assert r.lines[-1].startswith(
        "modelreg: error: DVC could not push to the default remote: Could not connect"
    )
    assert _state_outside_dvc_internals(reg) == before


def _state_outside_dvc_internals(reg: Reg) -> list[str]:
    """The repository state, less .dvc/cache (DVC keeps what `dvc add` hashed) and .dvc/tmp."""
    internal = (".dvc/cache", ".dvc/tmp", "!! .dvc/cache", "!! .dvc/tmp")
    return [line for part in reg.state() for line in part.splitlines() if not line.startswith(internal)]


@pytest.mark.slow  # DVC against a remote that cannot answer
def test_unreachable_remote_pull_and_validate(unreachable: tuple[Reg, dict[str, str]]) -> None:
    reg, env = unreachable
    reg.register("fraud", "1.0.0", push=False)
    shutil.rmtree(reg.path / ".dvc" / "cache")
    (reg.path / "models/fraud/1.0.0/model.bin").unlink()
    before = reg.state()
    for args in (("pull", "fraud@1.0.0"), ("pull", "fraud@1.0.0", "-o", str(reg.scratch / "x.bin"))):
        r = reg.cli(*args, env=env)
        assert r.code == 1
        assert (
            r.lines == [r.lines[0]]
            and "modelreg: error: cannot reach the DVC remote 'storage' (s3://nowhere/models)" in r.err
        )
        assert "Could not connect to the endpoint URL" in r.err
    assert reg.state() == before
    assert not (reg.scratch / "x.bin").exists()
    r = reg.cli("validate", "--remote", env=env)
    assert r.code == 1 and "cannot reach the DVC remote 'storage'" in r.err
