"""``modelreg describe``: a model's facts (description, owner, tags) edited in model.yaml by pull
request or ``--commit``, judged by ``check`` (the schema; a new owner comes with the regenerated
CODEOWNERS), against real repositories with a bare origin."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
import yaml
from conftest import Reg, git
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelreg.domain.errors import InvalidInputError
from modelreg.registry import Registry

if TYPE_CHECKING:
    from github_server import FakeGitHub, Origin

    AddOrigin = Callable[[Reg], Origin]

pytest_plugins = ["github_server", "registries"]


def _facts(reg: Reg, rev: str, name: str = "fraud") -> dict:
    return yaml.safe_load(git("show", f"{rev}:models/{name}/model.yaml", cwd=reg.path))


def _check(reg: Reg, head: str) -> tuple[int, str]:
    r = reg.cli("check", "--base", "origin/main", "--head", head, "--format", "json")
    return r.code, r.out + r.err


def test_description_by_pull_request(populated: Reg, add_origin: AddOrigin, github_api: FakeGitHub) -> None:
    reg = populated
    origin = add_origin(reg)
    before = reg.state()
    r = reg.cli(
        "describe",
        "fraud",
        "--description",
        "Boosted trees on v7",
        "--reason",
        "the old text was v1's",
        env=github_api.env,
    )
    assert r.code == 0, r.err
    assert "describe/fraud" in origin.branches()
    after = reg.state()
    assert (after[0], *after[2:]) == (before[0], *before[2:])  # HEAD, index, work tree untouched
    (request,) = github_api.requests
    assert request.body["title"] == "describe fraud: description"
    assert "the old text was v1's" in request.body["body"]
    assert git("diff", "--name-only", "origin/main...describe/fraud", cwd=reg.path).split() == [
        "models/fraud/model.yaml"
    ]
    assert _facts(reg, "describe/fraud") == {
        "schema_version": 1,
        "name": "fraud",
        "description": "Boosted trees on v7",
        "owner": "@acme/risk",
        "tags": [],
    }
    code, said = _check(reg, "describe/fraud")
    assert code == 0, said
    git(
        "merge",
        "-q",
        "--no-ff",
        "-m",
        "Merge pull request #3 from acme/describe/fraud",
        "describe/fraud",
        cwd=reg.path,
    )
    assert Registry(reg.path).model("fraud").description == "Boosted trees on v7"
    events = json.loads(reg.cli("history", "fraud", "--format", "json").out)["events"]
    (updated,) = [e for e in events if e["kind"] == "model_updated"]
    assert "description" in updated["detail"] and updated["commit"]["reason"] == "the old text was v1's"


def test_a_new_owner_brings_codeowners_along(populated: Reg, add_origin: AddOrigin) -> None:
    reg = populated
    assert reg.cli("codeowners").code == 0
    reg.commit("CODEOWNERS")
    add_origin(reg)
    r = reg.cli("describe", "fraud", "--owner", "@acme/risk-ml", "--no-pr")
    assert r.code == 0, r.err
    changed = git("diff", "--name-only", "origin/main...describe/fraud", cwd=reg.path).split()
    assert changed == [".github/CODEOWNERS", "models/fraud/model.yaml"]
    owners = git("show", "describe/fraud:.github/CODEOWNERS", cwd=reg.path)
    assert "/models/fraud/ @acme/risk-ml" in owners and "/models/churn/ @acme/growth" in owners
    assert _check(reg, "describe/fraud")[0] == 0
    # the same owner change without CODEOWNERS: check refuses it (what describe saves you from)
    git("checkout", "-q", "-b", "by-hand", cwd=reg.path)
    facts = _facts(reg, "HEAD") | {"owner": "@acme/risk-ml"}
    reg.write("models/fraud/model.yaml", yaml.safe_dump(facts))
    reg.commit("owner by hand")
    code, said = _check(reg, "by-hand")
    assert code == 1 and "CODEOWNERS" in said


def test_tags_and_removing_the_owner_by_commit(populated: Reg) -> None:
    reg = populated
    head = git("rev-parse", "HEAD", cwd=reg.path).strip()
    r = reg.cli("describe", "fraud", "--tag", "tabular", "--tag", "pii", "--tag", "tabular", "--commit")
    assert r.code == 0, r.err
    assert git("rev-parse", "HEAD~1", cwd=reg.path).strip() == head
    assert _facts(reg, "HEAD")["tags"] == ["tabular", "pii"]
    r = reg.cli("describe", "fraud", "--remove-tag", "pii", "--owner", "", "--commit", "--format", "json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert data["changed"] == ["owner @acme/risk -> (none)", "-tag pii"]
    facts = _facts(reg, "HEAD")
    assert facts["tags"] == ["tabular"] and "owner" not in facts
    assert reg.cli("validate").code == 0
    listed = reg.cli("list", "--where", "tag == 'tabular' and name == 'fraud'", "--format", "json")
    assert len(json.loads(listed.out)["versions"]) == 3  # the model's tags are its versions' too


def test_registry_describe(populated: Reg) -> None:
    registry = Registry(populated.path)
    result = registry.describe("churn", description="Churn in 30 days", reason="clearer", commit=True)
    assert result.changed == ["description"] and result.proposal is None
    assert registry.model("churn").description == "Churn in 30 days"
    assert "clearer" in git("log", "-1", "--format=%B", cwd=populated.path)
    with pytest.raises(InvalidInputError, match="already says so"):
        registry.describe("churn", description="Churn in 30 days", commit=True)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["ghost", "--description", "x"], "no model 'ghost' in the registry"),
        (["fraud", "--description", "first fraud model"], "models/fraud/model.yaml already says so"),
        (["fraud"], "models/fraud/model.yaml already says so; nothing to change"),
        (
            ["fraud", "--remove-tag", "gone"],
            "--remove-tag 'gone': the model has no such tag (its tags: none)",
        ),
        (["fraud", "--description", "x" * 5001], "--description: String should have at most 5000 characters"),
        (["fraud", "--owner", "o" * 201], "--owner: String should have at most 200 characters"),
        (["fraud", "--tag", "t" * 201], "--tag: String should have at most 200 characters"),
        (["../etc", "--description", "x"], "invalid model name '../etc'"),
    ],
)
def test_refusals_are_one_line_and_write_nothing(populated: Reg, argv: list[str], message: str) -> None:
    for extra in ([], ["--commit"]):
        before = populated.state()
        r = populated.cli("describe", *argv, *extra, "--no-push")
        assert r.code == 1, r.out
        assert len(r.lines) == 1 and r.lines[0].startswith(f"modelreg: error: {message}"), r.err
        assert populated.state() == before


def test_commit_refuses_local_changes(populated: Reg) -> None:
    populated.write("models/fraud/model.yaml", "schema_version: 1\nname: fraud\ndescription: mine\n")
    before = populated.state()
    r = populated.cli("describe", "fraud", "--description", "theirs", "--commit")
    assert r.code == 1
    assert r.lines == [
        "modelreg: error: models/fraud/model.yaml has uncommitted changes; commit or discard them first"
    ]
    assert populated.state() == before


def test_the_owner_error_of_register_names_a_command_that_works(populated: Reg) -> None:
    artifact = populated.artifact("model.bin")
    r = populated.cli(
        "register", "fraud", str(artifact), "--bump", "patch", "--owner", "@acme/other", "--no-push"
    )
    assert r.code == 1
    command = r.err.split("`")[1]
    assert command == "modelreg describe fraud --owner @acme/other"
    done = populated.cli(*command.split()[1:], "--commit")
    assert done.code == 0, done.err
    assert Registry(populated.path).model("fraud").owner == "@acme/other"


def test_check_judges_a_hand_made_model_yaml(populated: Reg, add_origin: AddOrigin) -> None:
    reg = populated
    add_origin(reg)
    git("checkout", "-q", "-b", "bad-facts", cwd=reg.path)
    reg.write("models/fraud/model.yaml", "schema_version: 1\nname: fraud\nowner: [not, text]\n")
    reg.commit("bad facts")
    code, said = _check(reg, "bad-facts")
    assert code == 1 and "models/fraud/model.yaml" in said


OWNERS = st.sampled_from(
    ["@acme/risk", "@acme/risk-ml", "ops@example.com", "", "not an owner", "@a\n* @evil"]
)
TEXT = st.text(max_size=30)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(owner=OWNERS | TEXT, description=st.none() | TEXT, tag=st.none() | TEXT)
def test_generated_facts_land_whole_or_not_at_all(
    populated: Reg, owner: str, description: str | None, tag: str | None
) -> None:
    """Whatever describe accepts, model.yaml holds exactly, validate accepts, CODEOWNERS
    stays generated (every line a comment or a valid owner line) and the commit's subject is
    one line; whatever it refuses is one line with nothing written."""
    reg = populated
    if not (reg.path / ".github/CODEOWNERS").exists():
        assert reg.cli("codeowners").code == 0
        reg.commit("CODEOWNERS")
    before = reg.state()
    tags = [tag] if tag is not None else []
    try:
        result = Registry(reg.path).describe(
            "fraud", owner=owner, description=description, tags=tags, commit=True
        )
    except InvalidInputError as e:
        assert "\n" not in str(e)
        assert reg.state() == before
        return
    facts = _facts(reg, "HEAD")
    assert facts.get("owner") == (owner.strip() or None)
    assert facts["description"] == (description if description is not None else result.before.description)
    assert set(tags) <= set(facts["tags"])
    assert reg.cli("validate").code == 0
    assert reg.cli("codeowners", "--check").code == 0  # regenerated in the same commit
    subject, _, _ = git("log", "-1", "--format=%B", cwd=reg.path).partition("\n")
    assert subject.startswith("describe fraud: ")
    for line in (reg.path / ".github/CODEOWNERS").read_text().splitlines():
        assert not line or line.startswith(("#", "/"))
