"""Eight known attacks on the gate, one named regression test each, and their legitimate twins.

Each attack is built on a real registry (real Git, real DVC objects, a local remote) copied
from gate_attacks' session base, and judged by ``modelreg check --base main --format json``
called in-process. A refusal must name the file and the rule: ``policy`` (registry.yaml),
``transition`` and ``capacity`` (models/NAME/stages.yaml), ``requirement``, ``write-once``
(the added or changed path), ``remote`` (the pointer whose bytes are missing) and
``unsafe-path`` (the pointer, or the manifest, naming the unsafe listing).

The base (gate_attacks.BASE_VERSIONS, BASE_PROMOTIONS): fraud 1.2.0 in production (entered
through staging), 1.3.0 in staging, 1.0.0 and 1.1.0 archived (1.1.0 held production before),
1.4.0 (never pushed) and 1.5.0 (too slow) in development; churn 0.2.0 in staging, 0.1.0 and
0.3.0 (never pushed) in development.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

import pytest
from conftest import Reg, git
from gate_attacks import (
    GIT_FOLDER_FILES,
    POLICY,
    Sandbox,
    hand_register,
    policy_with,
    promote_branch,
    rev,
    run_check,
    run_cli,
)

STAGES = "models/fraud/stages.yaml"
REGISTRY = "registry.yaml"


def _now() -> str:
    """Now, as an evaluation records it: after the base's versions were registered."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def refused(
    sandbox: Sandbox, rule: str, file: str | set[str], *, base: str = "main", head: str = "HEAD"
) -> None:
    checked = sandbox.check(base, head)
    assert checked.code == 1, checked.explain()
    assert checked.report is not None and checked.report["ok"] is False, checked.output
    assert checked.has(rule, file), f"no {rule} problem on {file}; {checked.explain()}"


def accepted(sandbox: Sandbox, *, base: str = "main", head: str = "HEAD") -> None:
    checked = sandbox.check(base, head)
    assert checked.accepted, checked.explain()


# --- 1: a policy edit moves versions without a move being judged --------------------------------


def test_finding_1_moving_initial_with_a_weak_version_is_refused(sandbox: Sandbox) -> None:
    sandbox.branch()
    sandbox.write(
        REGISTRY,
        policy_with(
            sandbox.read(REGISTRY),
            **{
                "development: {initial: true, from: [archived]}": "development: {from: [archived]}",
                "  production:\n": "  production:\n    initial: true\n",
            },
        ),
    )
    sandbox.register("fraud", "2.0.0", pushed=True, description="", metrics={"auc": 0.5})
    sandbox.commit("production is where new versions start")
    refused(sandbox, "policy", REGISTRY)


def test_finding_1_a_policy_change_alone_that_would_move_versions_is_refused(sandbox: Sandbox) -> None:
    """No file under models/ changes, yet fraud 1.4.0 and 1.5.0 and churn 0.1.0 and 0.3.0 would
    stand in production (over its max_versions of 1)."""
    sandbox.branch()
    sandbox.write(
        REGISTRY,
        policy_with(
            sandbox.read(REGISTRY),
            **{
                "development: {initial: true, from: [archived]}": "development: {from: [archived]}",
                "  production:\n": "  production:\n    initial: true\n",
            },
        ),
    )
    sandbox.commit("only the policy")
    refused(sandbox, "policy", REGISTRY)
    checked = sandbox.check()
    message = " ".join(p["message"] for p in checked.problems if p["rule"] == "policy")
    for ref in ("fraud@1.4.0", "fraud@1.5.0", "churn@0.1.0", "churn@0.3.0"):
        assert ref in message, f"the policy problem does not list {ref}: {message}"


def test_twin_1_a_policy_change_that_moves_nothing_passes(sandbox: Sandbox) -> None:
    sandbox.branch()
    text = sandbox.read(REGISTRY)
    sandbox.write(REGISTRY, policy_with(text, **{"max_versions: 2": "max_versions: 3"}))
    sandbox.commit("room for a third version in staging")
    accepted(sandbox)


# --- 2: the rollback exception earned inside the pull request ------------------------------------


def test_finding_2_a_reverted_direct_move_landed_fast_forward_earns_no_rollback(sandbox: Sandbox) -> None:
    reg = sandbox.path
    sandbox.branch("sneak")
    original = sandbox.read(STAGES)
    sandbox.write(STAGES, "staging: 1.3.0\nproduction: 1.4.0\narchived: [1.0.0, 1.1.0, 1.2.0]\n")
    sandbox.commit("fraud@1.4.0 straight to production")
    sandbox.write(STAGES, original)
    sandbox.commit("Revert: fraud@1.4.0 straight to production")
    landing = sandbox.check("main", "sneak")
    assert landing.accepted, landing.explain()  # CI of the landing PR: its net change is nothing
    git("checkout", "-q", "main", cwd=reg)
    git("merge", "-q", "--ff-only", "sneak", cwd=reg)
    assert rev(reg, "main") == rev(reg, "sneak")

    sandbox.branch("rollback")
    sandbox.write(STAGES, "staging: 1.3.0\nproduction: 1.4.0\narchived: [1.0.0, 1.1.0, 1.2.0]\n")
    sandbox.commit("roll fraud back to 1.4.0")
    refused(sandbox, "transition", STAGES)


def test_twin_2_a_version_that_entered_production_legitimately_may_return(sandbox: Sandbox) -> None:
    """fraud 1.2.0 entered production through staging on main; deprecated by a merged pull
    request, it may return (production's from: does not list deprecated: a rollback)."""
    reg = sandbox.path
    branch = promote_branch(reg, "fraud@1.2.0", "deprecated")
    accepted(sandbox, head=branch)
    git("merge", "-q", "--no-ff", "-m", f"Merge {branch}", branch, cwd=reg)
    sandbox.branch("rollback")
    sandbox.write(STAGES, "staging: 1.3.0\nproduction: 1.2.0\narchived: [1.0.0, 1.1.0]\n")
    sandbox.commit("roll back to fraud@1.2.0")
    accepted(sandbox)


# --- 3: anything can drop to the initial stage ----------------------------------------------------


def test_finding_3_dropping_a_version_to_the_initial_stage_is_judged(sandbox: Sandbox) -> None:
    sandbox.branch()
    sandbox.write(STAGES, "staging: 1.3.0\narchived: [1.0.0, 1.1.0]\n")  # production: 1.2.0 gone
    sandbox.commit("fraud@1.2.0 falls back to development")
    refused(sandbox, "transition", STAGES)


def test_finding_3_deleting_stages_yaml_is_judged(sandbox: Sandbox) -> None:
    sandbox.branch()
    git("rm", "-q", "--", STAGES, cwd=sandbox.path)
    sandbox.commit("no stages at all")
    refused(sandbox, "transition", STAGES)


def test_twin_3_a_promotion_into_the_initial_stage_by_its_from_passes(sandbox: Sandbox) -> None:
    """archived -> development is in development's from:, so promote may do it."""
    branch = promote_branch(sandbox.path, "fraud@1.0.0", "development")
    accepted(sandbox, head=branch)


def test_twin_3_archiving_by_promote_passes(sandbox: Sandbox) -> None:
    branch = promote_branch(sandbox.path, "fraud@1.3.0", "archived")
    accepted(sandbox, head=branch)


# --- 4: a pull request switches off the check that judges it -------------------------------------


def _register(sandbox: Sandbox, version: str, *, push: bool) -> None:
    from modelreg.operations.register import RegisterRequest, register

    artifact = sandbox.root / "scratch" / version / "model.bin"
    artifact.parent.mkdir(parents=True)
    artifact.write_bytes(f"fraud {version} new weights".encode())
    request = RegisterRequest(
        name="fraud",
        files=[artifact],
        version=version,
        description="new",
        metrics={"auc": 0.96, "latency_ms": 10},
        data={"training": {"name": "transactions", "version": "2026-11"}},
        push=push,
    )
    register(sandbox.path, request)


def test_finding_4_a_change_cannot_switch_off_the_remote_check(remote_sandbox: Sandbox) -> None:
    sandbox = remote_sandbox
    sandbox.branch()
    _register(sandbox, "2.0.0", push=False)
    text = sandbox.read(REGISTRY)
    sandbox.write(REGISTRY, policy_with(text, **{"check: {remote: true}": "check: {remote: false}"}))
    sandbox.commit("no remote check for this one")
    checked = sandbox.check()
    assert checked.code == 1, checked.explain()
    assert checked.has("policy", REGISTRY), checked.explain()
    assert checked.has("remote", "models/fraud/2.0.0/model.bin.dvc"), checked.explain()


def test_twin_4_a_pushed_version_passes_the_remote_check(remote_sandbox: Sandbox) -> None:
    remote_sandbox.branch()
    _register(remote_sandbox, "2.0.0", push=True)
    accepted(remote_sandbox)


# --- 5: unpushed bytes reach a stage ---------------------------------------------------------------


def test_finding_5_a_version_never_pushed_cannot_enter_a_stage(remote_sandbox: Sandbox) -> None:
    branch = promote_branch(remote_sandbox.path, "fraud@1.4.0", "staging")
    refused(remote_sandbox, "remote", "models/fraud/1.4.0/model.bin.dvc", head=branch)


def test_twin_5_once_pushed_the_same_promotion_passes(remote_sandbox: Sandbox) -> None:
    from modelreg.adapters import dvc

    dvc.push(remote_sandbox.path, ["models/fraud/1.4.0/model.bin.dvc"])
    branch = promote_branch(remote_sandbox.path, "fraud@1.4.0", "staging")
    accepted(remote_sandbox, head=branch)


# --- 6: write-once covers only the files that exist ------------------------------------------------

HOSTILE_POINTER = """\
cmd: touch /tmp/modelreg-pwned
outs:
- md5: 0123456789abcdef0123456789abcdef
  size: 4
  hash: md5
  path: ../../../../tmp/x
"""


@pytest.mark.parametrize("kind", ["pointer", "config", "symlink"])
def test_finding_6_nothing_appears_in_a_registered_version_folder(sandbox: Sandbox, kind: str) -> None:
    sandbox.branch()
    folder = "models/fraud/1.2.0"
    if kind == "pointer":
        added = f"{folder}/extra.dvc"
        sandbox.write(added, HOSTILE_POINTER)
        sandbox.commit("one more pointer")
    elif kind == "config":
        added = f"{folder}/config.json"
        sandbox.write(added, '{"threshold": 0.01}\n')
        sandbox.commit("a config beside the weights")
    else:
        added = f"{folder}/model.bin"
        target = sandbox.path / added
        target.unlink()
        os.symlink("/etc/hostname", target)
        sandbox.commit("the weights are elsewhere", force=[added])
    refused(sandbox, "write-once", added)


def test_twin_6_appending_an_evaluation_passes(sandbox: Sandbox) -> None:
    sandbox.branch()
    manifest = "models/fraud/1.5.0.yaml"
    text = sandbox.read(manifest)
    assert "evaluations" not in text
    sandbox.write(
        manifest,
        text + "evaluations:\n- dataset: {name: transactions, version: '2026-11'}\n"
        f"  metrics: {{auc: 0.94}}\n  created_at: '{_now()}'\n",
    )
    sandbox.commit("evaluate fraud@1.5.0 on November")
    accepted(sandbox)


# --- 7: a folder artifact delivers a .git directory ----------------------------------------------


def test_finding_7_a_folder_listing_naming_git_is_refused_and_never_pulled(
    remote_sandbox: Sandbox, tmp_path: Path
) -> None:
    sandbox = remote_sandbox
    sandbox.branch()
    sandbox.register("fraud", "2.0.0", pushed=True, folder=GIT_FOLDER_FILES)
    sandbox.commit("register fraud@2.0.0")
    pointer, manifest = "models/fraud/2.0.0/weights.dvc", "models/fraud/2.0.0.yaml"
    refused(sandbox, "unsafe-path", {pointer, manifest})

    out = tmp_path / "pulled"
    result = run_cli(sandbox.path, "pull", "fraud@2.0.0", "-o", str(out))
    assert result.exit_code != 0, result.output
    assert not out.exists() or not any(out.rglob("*")), sorted(out.rglob("*"))
    result = run_cli(sandbox.path, "pull", "fraud@2.0.0")  # into the work tree: a nested repository
    assert result.exit_code != 0, result.output
    assert not (sandbox.path / "models/fraud/2.0.0/weights").exists()
    assert not list(sandbox.path.glob("models/**/.git")), "pull wrote a .git folder"


def test_twin_7_a_plain_folder_artifact_passes_and_pulls(remote_sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox = remote_sandbox
    sandbox.branch()
    sandbox.register("fraud", "2.0.0", pushed=True, folder={"a.bin": b"a", "sub/b.bin": b"bb"})
    sandbox.commit("register fraud@2.0.0")
    accepted(sandbox)
    out = tmp_path / "pulled"
    result = run_cli(sandbox.path, "pull", "fraud@2.0.0", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "a.bin",
        "sub/b.bin",
    ]


# --- 8: a fork point without registry.yaml judges no moves --------------------------------------


def test_finding_8_a_branch_from_before_init_is_judged_by_the_base(reg_before_init: Reg) -> None:
    reg = reg_before_init
    git("checkout", "-q", "-b", "evil", "before-init", cwd=reg.path)
    git("checkout", "main", "--", "registry.yaml", "schemas", ".dvc", ".dvcignore", cwd=reg.path)
    git("checkout", "main", "--", "models/.gitkeep", ".github", cwd=reg.path)
    from gate_attacks import Store

    store = Store(reg.path / ".dvc" / "cache", reg.remote)
    hand_register(reg.path, store, "evil", "1.0.0", pushed=True, description="", metrics={"auc": 0.1})
    reg.write("models/evil/stages.yaml", "production: 1.0.0\n")
    reg.commit("evil@1.0.0 straight to production")
    checked = run_check(reg.path, "main", "evil")
    assert checked.code == 1, checked.explain()
    assert checked.has("transition", "models/evil/stages.yaml"), checked.explain()


@pytest.fixture
def reg_before_init(tmp_path: Path) -> Reg:
    """A repository with a commit before ``modelreg init`` (tagged before-init), then a registry
    with the gate policy and fraud@1.0.0 in staging, all on main."""
    from modelreg.operations.scaffold import init

    path = tmp_path / "registry"
    path.mkdir()
    git("init", "-q", cwd=path)
    (path / "README.md").write_text("an existing project\n")
    git("add", "README.md", cwd=path)
    git("commit", "-q", "-m", "before modelreg", cwd=path)
    git("tag", "before-init", cwd=path)
    init(path, remote=str(tmp_path / "remote"), name="adopted")
    reg = Reg(path, tmp_path / "remote", tmp_path / "scratch")
    reg.write("registry.yaml", POLICY)
    reg.commit("gate policy")
    reg.register("fraud", "1.0.0", description="fraud", metrics={"auc": 0.95})
    reg.write("models/fraud/stages.yaml", "staging: 1.0.0\n")
    reg.commit("stage fraud@1.0.0")
    return reg
