"""``modelreg promote`` and its short forms, against a bare ``origin`` and a fake GitHub API."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from conftest import Reg, Result, git

from modelreg.adapters.github import GitHubRepo, parse_remote_url

pytestmark = pytest.mark.slow  # promotions pushed to a remote with a stand-in GitHub

if TYPE_CHECKING:
    from github_server import FakeGitHub, Origin

    AddOrigin = Callable[[Reg], Origin]

TOKEN = "ghp_test0123456789abcdefSECRET"  # the token github_server's fake API expects

pytest_plugins = ["github_server", "registries"]


def _no_token(*results: Result) -> None:
    for r in results:
        assert TOKEN not in r.out and TOKEN not in r.err


def _merge(reg: Reg, branch: str) -> None:
    """The pull request merged on GitHub, then pulled: main here and on origin."""
    git("merge", "-q", "--no-ff", "-m", f"Merge {branch}", branch, cwd=reg.path)
    if git("remote", cwd=reg.path).strip():
        git("push", "-q", "origin", "main", cwd=reg.path)


def test_promote_end_to_end(populated: Reg, add_origin: AddOrigin, github_api: FakeGitHub) -> None:
    """register -> promote (branch, commit, push, pull request) -> check passes -> merge -> show."""
    reg = populated
    origin = add_origin(reg)
    reg.register(
        "fraud",
        "1.3.0",
        description="v8 features",
        metrics={"auc": 0.95},
        parents=[{"ref": "fraud@1.2.0", "relation": "retrain"}],
    )
    git("push", "-q", "origin", "main", cwd=reg.path)
    before = reg.state()

    staged = reg.cli("promote", "fraud@1.3.0", "--to", "staging", env=github_api.env)
    assert staged.code == 0, staged.err
    branch = "promote/fraud-1.3.0-staging"
    assert reg.state()[0] == before[0] and reg.state()[2:] == before[2:]  # HEAD, status, files
    assert git("branch", "--show-current", cwd=reg.path).strip() == "main"
    assert branch in origin.branches()
    assert "pull request #42: https://github.com/acme/models/pull/42" in staged.out

    (request,) = github_api.requests
    assert (request.method, request.path) == ("POST", "/repos/acme/models/pulls")
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["accept"] == "application/vnd.github+json"
    assert request.body["head"] == branch and request.body["base"] == "main"
    assert request.body["title"] == "promote fraud@1.3.0: development -> staging"
    assert "**fraud@1.3.0**: development → staging (no version in staging now)" in request.body["body"]

    assert reg.cli("check", "--base", "main", "--head", branch).code == 0
    _merge(reg, branch)
    assert reg.cli("show", "fraud@staging").out.startswith("fraud@1.3.0  (staging)")

    prod = reg.cli(
        "promote",
        "fraud@staging",
        "--to",
        "production",
        "--reason",
        "beats 1.1.0 on October data",
        env=github_api.env,
    )
    assert prod.code == 0, prod.err
    assert "fraud@1.1.0: production -> archived (displaced)" in prod.out
    branch = "promote/fraud-1.3.0-production"
    body = github_api.requests[-1].body["body"]
    assert body.startswith("beats 1.1.0 on October data\n\n### fraud")
    assert "| auc | 0.95 | 0.92 | +0.03 |" in body
    assert "Also: fraud@1.1.0 production → archived" in body
    assert reg.cli("check", "--base", "main", "--head", branch).code == 0
    _merge(reg, branch)
    shown = reg.cli("show", "fraud@production")
    assert shown.out.startswith("fraud@1.3.0  (production)"), shown.out + shown.err
    assert (
        reg.path / "models/fraud/stages.yaml"
    ).read_text() == "production: 1.3.0\narchived: [1.0.0, 1.1.0]\n"
    _no_token(staged, prod, shown)


def test_commit_edits_only_stages_yaml_with_trailers(populated: Reg) -> None:
    reg = populated
    reg.write("models/fraud/stages.yaml", "production: 1.1.0\nstaging: 1.2.0\narchived: [1.0.0]\n")
    reg.commit("stage 1.2.0")
    r = reg.cli(
        "promote", "fraud@1.2.0", "--to", "production", "--no-push", "--reason", "better on recent data"
    )
    assert r.code == 0, r.err
    branch = "promote/fraud-1.2.0-production"
    files = git("diff", "--name-only", "main", branch, cwd=reg.path).split()
    assert files == ["models/fraud/stages.yaml"]
    diff = git("diff", "-U0", "main", branch, cwd=reg.path)
    assert "-production: 1.1.0\n-staging: 1.2.0\n-archived: [1.0.0]\n" in diff
    assert "+production: 1.2.0\n+archived: [1.0.0, 1.1.0]\n" in diff
    message = git("log", "-1", "--format=%B", branch, cwd=reg.path)
    assert message == (
        "promote fraud@1.2.0: staging -> production\n\n"
        "better on recent data\n\n"
        "Moves fraud@1.1.0 from production to archived (production holds at most 1).\n\n"
        "Modelreg-Model: fraud\nModelreg-Version: 1.2.0\nModelreg-From: staging\nModelreg-To: production\n"
        "Modelreg-Displaced: 1.1.0 production -> archived\n\n"
    )
    trailers = git("log", "-1", "--format=%(trailers:key=Modelreg-To,valueonly)", branch, cwd=reg.path)
    assert trailers.strip() == "production"
    assert "not pushed; when ready: git push origin promote/fraud-1.2.0-production" in r.out


def test_stages_yaml_stays_one_line_per_move(populated: Reg) -> None:
    reg = populated
    reg.register("fraud", "1.3.0", description="v8")
    for ref in ("fraud@1.2.0", "fraud@1.3.0"):
        assert reg.cli("promote", ref, "--to", "staging", "--no-push").code == 0
        _merge(reg, f"promote/{ref.replace('@', '-')}-staging")
    text = (reg.path / "models/fraud/stages.yaml").read_text()
    assert text == "staging: [1.2.0, 1.3.0]\nproduction: 1.1.0\narchived: 1.0.0\n"
    diff = git("diff", "-U0", "HEAD~1", "HEAD", cwd=reg.path)
    assert [x for x in diff.splitlines() if x[:1] in "+-" and x[:3] not in ("+++", "---")] == [
        "-staging: 1.2.0",
        "+staging: [1.2.0, 1.3.0]",
    ]


def test_promote_refused_by_a_rule_leaves_nothing(
    strict: Reg, add_origin: AddOrigin, github_api: FakeGitHub
) -> None:
    reg = strict
    origin = add_origin(reg)
    git("checkout", "-q", "-b", "work", cwd=reg.path)
    reg.write("notes.txt", "uncommitted work\n")
    before, remote_before = reg.state(), origin.branches()
    why = {
        "fraud@1.6.0": "development -> production is not an allowed transition; production accepts versions "
        "from staging (registry.yaml)",
        "fraud@1.3.0": "auc 0.915 is worse than 0.92 of the current holder fraud@1.1.0 (maximize)",
        "fraud@1.4.0": "required field description is missing or empty; required field data.training is "
        "missing or empty; latency_ms 80 is above the maximum 50",
        "fraud@1.7.0": "auc 0.89 is below the minimum 0.91; auc 0.89 is worse than 0.92 of the current "
        "holder fraud@1.1.0 (maximize)",
    }
    for ref, message in why.items():
        r = reg.cli("promote", ref, "--to", "production", "--base", "main", env=github_api.env)
        assert (r.code, r.err.strip()) == (
            1,
            f"modelreg: error: cannot promote {ref} to production: {message}",
        )
        assert r.out == ""
        _no_token(r)
    assert reg.state() == before
    assert origin.branches() == remote_before
    assert github_api.requests == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["fraud@1.1.0", "--to", "production"], "fraud@1.1.0 is already in production; nothing to promote"),
        (
            ["fraud@1.2.0", "--to", "canary"],
            "unknown stage 'canary'; registry.yaml defines: development, staging, "
            "production, deprecated, archived",
        ),
        (["fraud@9.0.0", "--to", "staging"], "fraud@9.0.0 does not exist; known: 1.0.0, 1.1.0, 1.2.0"),
        (
            ["fraud@1.2.0", "--to", "staging", "--base", "nope"],
            "unknown revision 'nope': no commit, branch or tag has that name",
        ),
        (
            ["fraud@1.2.0", "--to", "staging", "--branch", "bad..name"],
            "invalid branch name 'bad..name'; pick another with --branch",
        ),
        (
            ["fraud@1.2.0", "--to", "staging", "--branch", "main"],
            "branch main already exists; delete it or name another with --branch",
        ),
        (["fraud@1.2.0", "--to", "staging"], "no remote 'origin' to push to; add one, or pass --no-push"),
        (
            ["fraud@1.2.0", "--to", "staging", "--no-push", "--pr"],
            "a pull request needs the branch pushed; drop --no-push or --pr",
        ),
    ],
)
def test_promote_errors_change_nothing(populated: Reg, args: list[str], message: str) -> None:
    before = populated.state()
    r = populated.cli("promote", *args)
    assert (r.code, r.err.strip()) == (1, f"modelreg: error: {message}")
    assert populated.state() == before


def test_pr_without_a_token_is_refused_up_front(populated: Reg, add_origin: AddOrigin) -> None:
    add_origin(populated)
    before = populated.state()
    r = populated.cli("promote", "fraud@1.2.0", "--to", "staging", "--pr")
    assert r.err.strip() == (
        "modelreg: error: opening a pull request needs GITHUB_TOKEN or GH_TOKEN; or pass --no-pr"
    )
    assert populated.state() == before


def test_without_a_token_it_prints_where_to_open_the_pull_request(
    populated: Reg, add_origin: AddOrigin
) -> None:
    origin = add_origin(populated)
    r = populated.cli("promote", "fraud@1.2.0", "--to", "staging")
    assert r.code == 0, r.err
    url = "https://github.com/acme/models/compare/main...promote/fraud-1.2.0-staging?expand=1"
    assert f"open the pull request at {url}" in r.out
    assert "promote/fraud-1.2.0-staging" in origin.branches()


def test_refused_pull_request_rolls_back_and_hides_the_token(
    populated: Reg,
    add_origin: AddOrigin,
    github_api: FakeGitHub,
) -> None:
    origin = add_origin(populated)
    github_api.status = 422
    github_api.answer = {
        "message": "Validation Failed",
        "errors": [{"message": f"token {TOKEN} is not welcome"}],
    }
    before, remote_before = populated.state(), origin.branches()
    r = populated.cli("promote", "fraud@1.2.0", "--to", "staging", env=github_api.env)
    assert r.code == 1
    assert r.err.strip().splitlines()[-1] == (
        "modelreg: error: GitHub refused to open a pull request in acme/models (HTTP 422): "
        "Validation Failed; token *** is not welcome"
    )
    _no_token(r)
    assert populated.state() == before
    assert origin.branches() == remote_before


def test_push_rejected_leaves_no_branch(populated: Reg, add_origin: AddOrigin) -> None:
    origin = add_origin(populated)
    populated.register("fraud", "1.3.0", description="someone else's commit on the branch")
    git("push", "-q", "origin", "HEAD:refs/heads/promote/fraud-1.2.0-staging", cwd=populated.path)
    git("reset", "-q", "--hard", "HEAD~1", cwd=populated.path)
    git("clean", "-q", "-fdx", "--", "models", cwd=populated.path)
    before = populated.state()
    r = populated.cli("promote", "fraud@1.2.0", "--to", "staging")
    assert r.code == 1
    assert r.lines[-1].startswith("modelreg: error: could not push promote/fraud-1.2.0-staging to origin: ")
    assert populated.state() == before
    assert origin.branches() == ["main", "promote/fraud-1.2.0-staging"]


def test_bad_credentials_say_what_to_check(
    populated: Reg, add_origin: AddOrigin, github_api: FakeGitHub
) -> None:
    add_origin(populated)
    github_api.status = 401
    github_api.answer = {"message": "Bad credentials"}
    r = populated.cli("promote", "fraud@1.2.0", "--to", "staging", "--format", "json", env=github_api.env)
    assert r.code == 1 and r.out == ""
    assert r.err.strip() == (
        "modelreg: error: GitHub refused to open a pull request in acme/models (HTTP 401): Bad credentials; "
        "check that GITHUB_TOKEN (or GH_TOKEN) is valid and may open pull requests"
    )


def test_unreachable_api_rolls_back(populated: Reg, add_origin: AddOrigin) -> None:
    origin = add_origin(populated)
    env = {"GH_TOKEN": TOKEN, "GITHUB_API_URL": "http://127.0.0.1:9", "NO_PROXY": "127.0.0.1"}
    before = populated.state()
    r = populated.cli("promote", "fraud@1.2.0", "--to", "staging", env=env)
    assert r.code == 1
    assert r.lines[-1].startswith(
        "modelreg: error: could not reach GitHub to open a pull request in acme/models"
    )
    _no_token(r)
    assert populated.state() == before
    assert origin.branches() == ["main"]


def test_work_tree_index_and_branch_are_untouched(populated: Reg) -> None:
    reg = populated
    git("checkout", "-q", "-b", "feature", cwd=reg.path)
    reg.write("models/fraud/stages.yaml", "production: 1.2.0\n")  # an unrelated, uncommitted edit
    reg.write("staged.txt", "staged\n")
    git("add", "staged.txt", cwd=reg.path)
    before = reg.state()
    r = reg.cli("promote", "fraud@1.2.0", "--to", "staging", "--base", "main", "--no-push")
    assert r.code == 0, r.err
    after = reg.state()
    assert after[0] == before[0] and after[2:] == before[2:]
    assert git("branch", "--show-current", cwd=reg.path).strip() == "feature"
    assert git("diff", "--cached", "--name-only", cwd=reg.path).split() == ["staged.txt"]
    parent = git("rev-parse", "promote/fraud-1.2.0-staging~1", cwd=reg.path).strip()
    assert parent == git("rev-parse", "main", cwd=reg.path).strip()


def test_detached_head_needs_a_base(populated: Reg) -> None:
    git("checkout", "-q", "--detach", cwd=populated.path)
    r = populated.cli("promote", "fraud@1.2.0", "--to", "staging", "--no-push")
    assert (
        r.err.strip() == "modelreg: error: HEAD is detached; give the branch to start from with --base BRANCH"
    )


@pytest.mark.parametrize(
    ("args", "subject"),
    [
        (["archive", "fraud@1.2.0"], "archive fraud@1.2.0: development -> archived"),
        (["deprecate", "fraud@1.1.0"], "deprecate fraud@1.1.0: production -> deprecated"),
        (["demote", "fraud@1.0.0", "--to", "development"], "demote fraud@1.0.0: archived -> development"),
    ],
)
def test_short_forms(populated: Reg, args: list[str], subject: str) -> None:
    r = populated.cli(*args, "--no-push", "--format", "json")
    assert r.code == 0, r.err
    result = json.loads(r.out)
    assert git("log", "-1", "--format=%s", result["branch"], cwd=populated.path).strip() == subject


def test_short_forms_check_the_rules_too(populated: Reg) -> None:
    r = populated.cli("deprecate", "fraud@1.2.0", "--no-push")
    assert r.err.strip() == (
        "modelreg: error: cannot deprecate fraud@1.2.0 to deprecated: development -> deprecated is not an "
        "allowed transition; deprecated accepts versions from production, staging (registry.yaml)"
    )


@pytest.mark.parametrize(
    ("url", "repo"),
    [
        ("https://github.com/acme/models.git", GitHubRepo("github.com", "acme", "models")),
        ("https://github.com/acme/models", GitHubRepo("github.com", "acme", "models")),
        ("https://x-access-token:abc@github.com/acme/models.git", GitHubRepo("github.com", "acme", "models")),
        ("git@github.com:acme/models.git", GitHubRepo("github.com", "acme", "models")),
        ("ssh://git@github.com/acme/models.git", GitHubRepo("github.com", "acme", "models")),
        ("ssh://git@ghe.acme.io:2222/ml/registry", GitHubRepo("ghe.acme.io", "ml", "registry")),
        ("/srv/git/models.git", None),
        ("file:///srv/git/models.git", None),
    ],
)
def test_origin_urls(url: str, repo: GitHubRepo | None) -> None:
    assert parse_remote_url(url) == repo


def test_token_never_travels_in_clear_text(populated: Reg, add_origin: AddOrigin) -> None:
    add_origin(populated)
    env = {"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": "http://api.example.com"}
    before = populated.state()
    r = populated.cli("promote", "fraud@1.2.0", "--to", "staging", env=env)
    assert r.err == (
        "modelreg: error: GITHUB_API_URL must be an https:// URL, not "
        "'http://api.example.com': the token would travel in clear\n"
    )
    assert populated.state() == before


def test_enterprise_api_url() -> None:
    repo = GitHubRepo("ghe.acme.io", "ml", "registry")
    assert repo.api_url(None) == "https://ghe.acme.io/api/v3"
    assert repo.api_url("https://ghe.acme.io/api/v3/") == "https://ghe.acme.io/api/v3"
    assert GitHubRepo("github.com", "a", "b").api_url(None) == "https://api.github.com"


def test_first_promotion_of_a_model_writes_a_new_stages_yaml(populated: Reg) -> None:
    r = populated.cli("promote", "churn@0.1.0", "--to", "staging", "--no-push")
    assert r.code == 0, r.err
    text = git("show", "promote/churn-0.1.0-staging:models/churn/stages.yaml", cwd=populated.path)
    assert text == "# yaml-language-server: $schema=../../schemas/stages.schema.json\nstaging: 0.1.0\n"
