"""What the Security page (docs/reference/security.md) claims, checked: constructs the package must never use,
and what a malicious pull request can try against ``modelreg check`` in CI."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from conftest import ROOT, Reg, git

PACKAGE = ROOT / "modelreg"

# pattern -> why it is forbidden. Each may appear only where FORBIDDEN_EXCEPT says.
FORBIDDEN = {
    r"\bpickle\b|\bcPickle\b|\bdill\b|\bcloudpickle\b|\bjoblib\b|\bmarshal\b|\bshelve\b": "unpickling runs code",
    r"torch\.load|np\.load|numpy\.load": "loading a model's bytes is the caller's business, not modelreg's",
    r"shell\s*=\s*True|os\.system|os\.popen|commands\.getoutput": "no shell: argv lists only",
    r"yaml\.(load|load_all|unsafe_load|full_load)\(|FullLoader|UnsafeLoader|yaml\.Loader\b": "safe YAML only",
    r"(?<![\w.])(eval|exec)\(": "no code from data",
    r"subprocess\.(run|call|check_call|check_output|Popen\()|os\.(spawn|exec)": "one way to run a process",
    r"\bextractall\(": "no archives unpacked from a remote",
}
FORBIDDEN_EXCEPT = {
    # the one strict safe loader: yaml.load(text, Loader=StrictLoader), a SafeLoader subclass
    (
        "modelreg/documents/yamlio.py",
        r"yaml\.(load|load_all|unsafe_load|full_load)\(|FullLoader|UnsafeLoader|yaml\.Loader\b",
    ),
    ("modelreg/adapters/proc.py", r"subprocess\.(run|call|check_call|check_output|Popen\()|os\.(spawn|exec)"),
}


def _sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("pattern", FORBIDDEN)
def test_the_package_never_uses(pattern: str) -> None:
    found = []
    for path in _sources():
        rel = path.relative_to(ROOT).as_posix()
        if (rel, pattern) in FORBIDDEN_EXCEPT:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            code = line.split("#", 1)[0]
            if re.search(pattern, code):
                found.append(f"{rel}:{number}: {line.strip()}")
    assert not found, f"{FORBIDDEN[pattern]}:\n" + "\n".join(found)


def test_the_one_yaml_load_uses_the_strict_safe_loader() -> None:
    import yaml

    from modelreg.documents.yamlio import StrictLoader

    text = (PACKAGE / "documents" / "yamlio.py").read_text()
    assert re.findall(r"yaml\.load\([^)]*\)", text) == ["yaml.load(text, Loader=StrictLoader)"]
    assert issubclass(StrictLoader, yaml.SafeLoader) or StrictLoader.__mro__[1].__name__ == "CSafeLoader"


def test_git_is_given_user_values_after_end_of_options_or_dashdash() -> None:
    """Every git argv built from a revision, ref or path a user typed carries `--` or
    `--end-of-options` before it, or the value was checked not to start with '-' first."""
    text = (PACKAGE / "adapters" / "git.py").read_text()
    assert 'rev.startswith("-")' in text  # resolve(): the gate every --at/--base/--head goes through
    for call in re.findall(r'_git\(top, "(?:add|commit|ls-tree|diff|status|ls-files)"[^\n]*', text):
        assert '"--"' in call, call


# --- a malicious pull request against CI --------------------------------------------------------


def _pull_request(reg: Reg, name: str) -> None:
    git("checkout", "-q", "-b", name, "main", cwd=reg.path)


def _check(reg: Reg, head: str) -> tuple[int, str]:
    started = time.monotonic()
    r = reg.cli("check", "--base", "main", "--head", head)
    assert time.monotonic() - started < 30, "check must not hang"
    assert r.err == "" and "Traceback" not in r.out
    return r.code, r.out


MANIFEST = """\
schema_version: 1
name: fraud
version: 2.0.0
created_at: 2026-01-01T00:00:00Z
created_by: Mallory <mallory@example.com>
artifacts:
  - {path: ARTIFACT, md5: 0123456789abcdef0123456789abcdef, size: 1}
"""


def test_a_pull_request_cannot_make_check_read_outside_the_repository(populated: Reg, tmp_path: Path) -> None:
    secret = tmp_path / "secret.yaml"
    secret.write_text("schema_version: 1\nname: fraud\npassword: hunter2\n")
    _pull_request(populated, "evil-paths")
    populated.write(
        "models/fraud/2.0.0.yaml", MANIFEST.replace("ARTIFACT", "models/fraud/2.0.0/../../../../etc/passwd")
    )
    os.symlink(secret, populated.path / "models/fraud/3.0.0.yaml")
    os.symlink("/etc", populated.path / "models/fraud/4.0.0")
    populated.commit("mallory's artifacts")
    code, out = _check(populated, "evil-paths")
    assert code == 1
    assert (
        "models/fraud/2.0.0.yaml:7: artifact 'models/fraud/2.0.0/../../../../etc/passwd' must lie under "
        "models/fraud/2.0.0/" in out
    )
    assert (
        "models/fraud/3.0.0.yaml: is a symlink or not a regular file; registry files must be plain files"
        in out
    )
    assert "hunter2" not in out and "root:" not in out


def test_a_symlinked_models_folder_is_not_followed(populated: Reg, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "stolen").mkdir(parents=True)
    (elsewhere / "stolen" / "model.yaml").write_text("schema_version: 1\nname: stolen\ntoken: s3cr3t\n")
    _pull_request(populated, "evil-models")
    git("rm", "-rq", "--cached", "models", cwd=populated.path)
    os.rename(populated.path / "models", tmp_path / "models-away")
    os.symlink(elsewhere, populated.path / "models")
    populated.commit("models live elsewhere now")
    for problems in (populated.cli("validate").out, _check(populated, "evil-models")[1]):
        assert "models: is a symlink or a file; it must be a folder in the repository" in problems
        assert "s3cr3t" not in problems and "stolen" not in problems


def test_editing_schemas_in_the_repository_does_not_loosen_validation(populated: Reg) -> None:
    _pull_request(populated, "evil-schema")
    for schema in (populated.path / "schemas").glob("*.json"):
        schema.write_text("{}\n")  # accept anything
    populated.write("models/fraud/2.0.0.yaml", MANIFEST.replace("version: 2.0.0", "version: [2, 0, 0]"))
    populated.commit("looser schemas")
    code, out = _check(populated, "evil-schema")
    assert code == 1
    assert out.splitlines()[1:] == [
        'models/fraud/2.0.0.yaml:3: version: [2,0,0] is not of type "string" [schema]',
        "schemas/deployments.schema.json: changes the registry's policy (registry.yaml, schemas/) in the "
        "same change as models/; a policy change goes in a pull request of its own, reviewed by the owners "
        "of registry.yaml [policy]",
        "checked 13 registry files: 2 problems",
    ]


def test_a_regex_bomb_in_registry_yaml_is_refused_quickly(populated: Reg) -> None:
    _pull_request(populated, "evil-regex")
    text = (populated.path / "registry.yaml").read_text()
    populated.write("registry.yaml", re.sub(r"naming: .*", 'naming: {model: "^([a-z]+)+$"}', text))
    (populated.path / "models" / ("a" * 40 + "-")).mkdir()
    populated.write(f"models/{'a' * 40}-/model.yaml", "schema_version: 1\nname: x\n")
    populated.commit("catastrophic backtracking")
    code, out = _check(populated, "evil-regex")
    assert code == 1
    assert (
        "registry.yaml:20: naming.model repeats a group with '+'; only a character or a [class] may repeat "
        "(a group may be optional)" in out
    )


def test_moving_the_dvc_remote_together_with_models_is_refused(populated: Reg) -> None:
    _pull_request(populated, "evil-remote")
    config = populated.path / ".dvc/config"
    config.write_text(re.sub(r"url = .*", "url = s3://mallory-bucket/registry", config.read_text()))
    populated.register("fraud", "2.0.0", description="exfiltrated on the next push", push=False)
    populated.commit("new remote")
    code, out = _check(populated, "evil-remote")
    assert code == 1
    assert (
        ".dvc/config: changes DVC's configuration (its remotes) in the same change as models/; change where "
        "artifacts are stored in a pull request of its own" in out
    )


def test_codeowners_puts_the_files_that_govern_ci_under_review(populated: Reg) -> None:
    text = (populated.path / "registry.yaml").read_text()
    populated.write("registry.yaml", text + "stages_owner: '@acme/release'\n")
    populated.commit("a release team")
    assert populated.cli("codeowners").code == 0
    lines = (populated.path / ".github/CODEOWNERS").read_text().splitlines()
    for governed in ("/registry.yaml", "/.github/", "/.dvc/", "/schemas/"):
        assert f"{governed} @acme/release" in lines


def test_a_pull_request_cannot_inject_workflow_commands_into_ci_logs(populated: Reg) -> None:
    """On GitHub Actions a log line starting with '::' is a workflow command (annotations,
    ::stop-commands:: that would hide check's own ::error lines). Names and keys from a pull
    request are printed with their control characters escaped, so they never start a line."""
    _pull_request(populated, "evil-log")
    injected = "\n::stop-commands::pwned\n::notice::looks fine"
    text = (
        MANIFEST.replace("ARTIFACT", "models/fraud/2.0.0/model.bin")
        + f'metrics: {{"auc{injected!s}": 0.9}}\n'
    )
    populated.write("models/fraud/2.0.0.yaml", text.replace("\n::", "\\n::"))
    populated.write("models/fraud/2.0.0\n::warning::x.yaml", "a: 1\n")
    populated.commit("logs")
    for fmt in ("text", "github"):
        r = populated.cli("check", "--base", "main", "--head", "evil-log", "--format", fmt)
        assert r.code == 1
        lines = r.out.splitlines()
        commands = [line for line in lines if line.startswith("::")]
        assert all(line.startswith("::error ") for line in commands), commands
        assert bool(commands) == (fmt == "github")
        assert any("2.0.0\\n::warning::x.yaml" in line for line in lines)
