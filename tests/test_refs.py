"""References never guess: a stage holding several versions names none of them (the refusal
lists them, with the two ways to name one), ``NAME@STAGE:latest`` is the highest version the
stage holds, and ``NAME@env:ENV`` is what deployments.yaml says an environment runs, in every
command that reads a reference and with ``--at``."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Reg, Templates, build_populated, git
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_deploy import _environments

from modelreg.domain import refs
from modelreg.domain.errors import AmbiguousRefError, InvalidInputError, NotFoundError
from modelreg.registry import Registry

pytest_plugins = ["registries"]

AMBIGUOUS = (
    "fraud@staging is ambiguous: staging holds 2 versions of fraud (1.3.0, 1.2.0); "
    "name one (fraud@1.3.0) or write fraud@staging:latest for the highest"
)


def build_two_in_staging(reg: Reg) -> None:
    """fraud: 1.1.0 in production (runs in prod-eu), 1.2.0 and 1.3.0 in staging (1.2.0 runs in
    canary), 1.0.0 archived."""
    build_populated(reg)
    _environments(reg)
    reg.register("fraud", "1.3.0", description="v8 features", metrics={"auc": 0.94})
    reg.write("models/fraud/stages.yaml", "production: 1.1.0\nstaging: [1.2.0, 1.3.0]\narchived: [1.0.0]\n")
    reg.write("models/fraud/deployments.yaml", "prod-eu: {version: 1.1.0}\ncanary: {version: 1.2.0}\n")
    reg.commit("1.3.0 to staging; deployments")


@pytest.fixture
def two(templates: Templates, tmp_path: Path) -> Reg:
    return templates.copy("two-in-staging", build_two_in_staging, tmp_path)


def _refused(reg: Reg, *argv: str, message: str = AMBIGUOUS) -> None:
    before = reg.state()
    result = reg.cli(*argv)
    assert result.code == 1, result.out
    said = [line for line in result.lines if not line.startswith("modelreg: as of ")]  # --at's note
    assert said == [f"modelreg: error: {message}"]
    assert reg.state() == before


# --- parsing ------------------------------------------------------------------------------------


def test_parse_forms() -> None:
    assert refs.parse("fraud@1.2.0") == refs.Ref("fraud", "1.2.0", "version")
    assert refs.parse("fraud@staging") == refs.Ref("fraud", "staging", "stage")
    assert refs.parse("fraud@staging:latest") == refs.Ref("fraud", "staging", "stage", pick_latest=True)
    assert refs.parse("fraud@env:prod-eu") == refs.Ref("fraud", "prod-eu", "env")
    assert refs.parse("fraud@latest") == refs.Ref("fraud", "latest", "latest")
    for text in ("fraud@staging:latest", "fraud@env:prod-eu", "fraud@1.2.0"):
        assert str(refs.parse(text)) == text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("fraud@staging:oldest", "after a stage only ':latest' may follow"),
        ("fraud@staging:", "after a stage only ':latest' may follow"),
        ("fraud@env:", "invalid environment ''"),
        ("fraud@env:Prod", "invalid environment 'Prod'"),
        ("fraud@env:prod:latest", "invalid environment 'prod:latest'"),
        ("fraud@1.2.0:latest", "invalid version '1.2.0:latest'"),
    ],
)
def test_parse_refuses(text: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message) as caught:
        refs.parse(text)
    assert "\n" not in str(caught.value)


def test_parent_references_may_hold_a_colon() -> None:
    from modelreg.operations.inputs import parent

    assert (parent("fraud@staging:latest").ref, parent("fraud@staging:latest").relation) == (
        "fraud@staging:latest",
        "derived",
    )
    assert (parent("fraud@env:prod:retrain").ref, parent("fraud@env:prod:retrain").relation) == (
        "fraud@env:prod",
        "retrain",
    )
    assert parent("fraud@1.2.0:retrain").ref == "fraud@1.2.0"


# --- a stage holding several versions, command by command ---------------------------------------


def test_show_refuses_an_ambiguous_stage(two: Reg) -> None:
    _refused(two, "show", "fraud@staging")
    shown = two.cli("show", "fraud@staging:latest", "--format", "json")
    assert shown.code == 0 and '"version": "1.3.0"' in shown.out
    assert '"version": "1.1.0"' in two.cli("show", "fraud@production", "--format", "json").out


def test_promote_refuses_an_ambiguous_stage(two: Reg) -> None:
    _refused(two, "promote", "fraud@staging", "--to", "production", "--no-push")
    moved = two.cli(
        "promote", "fraud@staging:latest", "--to", "production", "--deploy", "prod-eu", "--no-push"
    )
    assert moved.code == 0, moved.err
    assert "promote/fraud-1.3.0-production" in git("branch", "--list", cwd=two.path)


def test_pull_refuses_an_ambiguous_stage(two: Reg) -> None:
    _refused(two, "pull", "fraud@staging", "-o", str(two.scratch / "out.bin"))
    assert not (two.scratch / "out.bin").exists()
    pulled = two.cli("pull", "fraud@staging:latest", "-o", str(two.scratch / "out.bin"), "-q")
    assert pulled.code == 0, pulled.err
    assert (two.scratch / "out.bin").read_text() == "fraud-1.3.0"


def test_compare_refuses_an_ambiguous_stage(two: Reg) -> None:
    _refused(two, "compare", "fraud@production", "fraud@staging")
    compared = two.cli("compare", "fraud@production", "fraud@staging:latest", "--format", "json")
    assert compared.code == 0, compared.err
    assert '"fraud@1.3.0"' in compared.out


def test_lineage_refuses_an_ambiguous_stage(two: Reg) -> None:
    _refused(two, "lineage", "fraud@staging")
    assert two.cli("lineage", "fraud@staging:latest").code == 0


def test_history_and_card_refuse_an_ambiguous_stage(two: Reg) -> None:
    _refused(two, "history", "fraud@staging")
    _refused(two, "card", "fraud@staging")


def test_deploy_and_evaluate_refuse_an_ambiguous_stage(two: Reg) -> None:
    _refused(two, "deploy", "fraud@staging", "--env", "canary", "--no-push")
    _refused(two, "evaluate", "fraud@staging", "--dataset", "holdout@1", "--metric", "auc=0.9", "--commit")
    deployed = two.cli("deploy", "fraud@staging:latest", "--env", "canary", "--no-push")
    assert deployed.code == 0, deployed.err
    assert "deploy/fraud-1.3.0-canary" in git("branch", "--list", cwd=two.path)


def test_registry_get_refuses_an_ambiguous_stage(two: Reg) -> None:
    registry = Registry(two.path)
    with pytest.raises(AmbiguousRefError) as caught:
        registry.get("fraud@staging")
    assert str(caught.value) == AMBIGUOUS
    assert caught.value.held == ["1.3.0", "1.2.0"]
    assert registry.get("fraud@staging:latest").version == "1.3.0"
    assert registry.get("fraud@production").version == "1.1.0"


def test_at_a_moment_a_stage_held_one(two: Reg) -> None:
    """``--at`` resolves as of the moment: before 1.3.0 joined staging, ``@staging`` was one version."""
    before = git("rev-parse", "HEAD~1", cwd=two.path).strip()
    shown = two.cli("show", "fraud@staging", "--at", before, "--format", "json")
    assert shown.code == 0, shown.err
    assert '"version": "1.2.0"' in shown.out
    _refused(two, "show", "fraud@staging", "--at", "HEAD")


# --- NAME@env:ENV -------------------------------------------------------------------------------


def test_env_reference_in_every_reader(two: Reg) -> None:
    assert Registry(two.path).get("fraud@env:prod-eu").version == "1.1.0"
    assert Registry(two.path).get("fraud@env:canary").version == "1.2.0"
    assert '"version": "1.2.0"' in two.cli("show", "fraud@env:canary", "--format", "json").out
    pulled = two.cli("pull", "fraud@env:prod-eu", "-o", str(two.scratch / "prod.bin"), "-q")
    assert pulled.code == 0, pulled.err
    assert (two.scratch / "prod.bin").read_text() == "fraud-1.1.0"
    compared = two.cli("compare", "fraud@env:prod-eu", "fraud@env:canary", "--format", "json")
    assert compared.code == 0 and '"fraud@1.1.0"' in compared.out and '"fraud@1.2.0"' in compared.out
    lineage = two.cli("lineage", "fraud@env:canary", "--format", "json")
    assert lineage.code == 0 and "fraud@1.1.0" in lineage.out
    history = two.cli("history", "fraud@env:canary", "--format", "json")
    assert history.code == 0 and '"version": "1.2.0"' in history.out
    promoted = two.cli(
        "promote", "fraud@env:canary", "--to", "production", "--deploy", "prod-eu", "--no-push"
    )
    assert promoted.code == 0, promoted.err


def test_env_reference_at_a_moment(two: Reg) -> None:
    two.write("models/fraud/deployments.yaml", "prod-eu: {version: 1.1.0}\ncanary: {version: 1.3.0}\n")
    two.commit("canary runs 1.3.0")
    assert '"version": "1.3.0"' in two.cli("show", "fraud@env:canary", "--format", "json").out
    old = two.cli("show", "fraud@env:canary", "--at", "HEAD~1", "--format", "json")
    assert old.code == 0, old.err
    assert '"version": "1.2.0"' in old.out
    _refused(
        two,
        "show",
        "fraud@env:canary",
        "--at",
        "HEAD~2",
        message="fraud is not deployed to canary; it runs in: nowhere yet",
    )


def test_env_reference_refusals(two: Reg) -> None:
    _refused(
        two,
        "show",
        "fraud@env:qa",
        message="unknown environment 'qa'; registry.yaml declares: canary, prod-eu",
    )
    _refused(
        two,
        "show",
        "churn@env:canary",
        message="churn is not deployed to canary; it runs in: nowhere yet",
    )
    two.write("models/fraud/deployments.yaml", "canary: {version: 1.2.0}\n")
    _refused(
        two,
        "pull",
        "fraud@env:prod-eu",
        message="fraud is not deployed to prod-eu; it runs in: canary (1.2.0)",
    )


# --- the rule, over generated stage contents ----------------------------------------------------

# semver order, where text order would be wrong: 1.10.0 > 1.2.0, 2.0.0 > 2.0.0-rc.1
ORDER = ["0.9.0", "1.0.0", "1.2.0", "1.10.0", "2.0.0-rc.1", "2.0.0"]
STAGES = ["development", "staging", "production", "deprecated", "archived"]


def build_six(reg: Reg) -> None:
    for version in ORDER:
        reg.register("spam", version, description=f"spam {version}", push=False)


@pytest.fixture
def six(templates: Templates, tmp_path: Path) -> Reg:
    return templates.copy("six-versions", build_six, tmp_path)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(placed=st.lists(st.sampled_from(STAGES), min_size=len(ORDER), max_size=len(ORDER)))
def test_stage_references_never_guess(six: Reg, placed: list[str]) -> None:
    """For any placement of six versions: ``spam@STAGE`` is the stage's only version, or a
    one-line refusal naming every version it holds; ``spam@STAGE:latest`` is its highest."""
    lists: dict[str, list[str]] = {}
    for version, stage in zip(ORDER, placed, strict=True):
        if stage != "development":  # unlisted: the initial stage
            lists.setdefault(stage, []).append(version)
    text = "".join(f"{stage}: [{', '.join(held)}]\n" for stage, held in lists.items())
    (six.path / "models/spam/stages.yaml").write_text(text or "{}\n")
    registry = Registry(six.path)
    for stage in STAGES:
        held = [v for v, s in zip(ORDER, placed, strict=True) if s == stage]
        highest = max(held, key=ORDER.index) if held else None
        for written in (f"spam@{stage}", f"spam@{stage}:latest"):
            if not held:
                with pytest.raises(NotFoundError, match=f"^no version of spam is in {stage}$"):
                    registry.get(written)
            elif len(held) == 1 or written.endswith(":latest"):
                assert registry.get(written).version == highest
            else:
                with pytest.raises(AmbiguousRefError) as caught:
                    registry.get(written)
                message = str(caught.value)
                assert "\n" not in message and f"spam@{stage}:latest" in message
                assert caught.value.held == sorted(held, key=ORDER.index, reverse=True)
                assert all(v in message for v in held)
    shown = six.cli("show", "spam@staging")
    assert len(shown.lines) == (0 if placed.count("staging") == 1 else 1)
