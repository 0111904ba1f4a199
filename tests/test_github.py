"""The GitHub client against a local stand-in: rate limits waited out once or reported with a
time, every validation error kept, a created pull request never mistaken for a failure."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from conftest import Reg, git

from modelreg.adapters.github import (
    MAX_RETRY_WAIT_SECONDS,
    GitHubError,
    GitHubRepo,
    PullRequest,
    open_pull_request,
)

pytestmark = pytest.mark.slow  # a local stand-in of GitHub's API, with its waits

if TYPE_CHECKING:
    from github_server import FakeGitHub, Origin

    AddOrigin = Callable[[Reg], Origin]

pytest_plugins = ["github_server", "registries"]

TOKEN = "ghp_test0123456789abcdefSECRET"
NOW = 1_800_000_000.0  # 2027-01-15 08:00:00 UTC
REPO = GitHubRepo("github.com", "acme", "models")
BRANCH = "promote/fraud-1.2.0-staging"
CREATED = {"number": 42, "html_url": "https://github.com/acme/models/pull/42"}
RATE_LIMITED = {"message": "API rate limit exceeded for user ID 1."}


class Waits:
    """The injected sleep: records what it was asked to wait, and never waits."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


def _open(github: FakeGitHub, waits: Waits) -> PullRequest:
    return open_pull_request(
        REPO,
        api_url=github.url,
        token=TOKEN,
        title="promote",
        head=BRANCH,
        base="main",
        body="",
        sleep=waits,
        clock=lambda: NOW,
    )


def _script(github: FakeGitHub, *answers: tuple[int, object, dict[str, str]]) -> None:
    from github_server import Answer

    github.answers = [Answer(status, body, headers) for status, body, headers in answers]


@pytest.mark.parametrize(
    ("status", "headers", "wait"),
    [
        (429, {"retry-after": "0"}, 0.0),
        (403, {"retry-after": "30"}, 30.0),
        (403, {"retry-after": "Fri, 15 Jan 2027 08:00:20 GMT"}, 20.0),
        (403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 45)}, 45.0),
        (429, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) - 5)}, 0.0),
    ],
)
def test_a_short_rate_limit_is_waited_out_once(
    github_api: FakeGitHub, status: int, headers: dict[str, str], wait: float
) -> None:
    _script(github_api, (status, RATE_LIMITED, headers))
    waits = Waits()
    assert _open(github_api, waits) == PullRequest(number=42, url=CREATED["html_url"])
    assert waits.seconds == [wait]
    assert len(github_api.requests) == 2
    assert github_api.requests[0].body == github_api.requests[1].body


@pytest.mark.parametrize(
    ("headers", "when"),
    [
        ({"retry-after": str(MAX_RETRY_WAIT_SECONDS + 1)}, "after 2027-01-15 08:01:01 UTC"),
        ({"retry-after": "3600"}, "after 2027-01-15 09:00:00 UTC"),
        (
            {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 1800)},
            "after 2027-01-15 08:30:00 UTC",
        ),
        ({"x-ratelimit-remaining": "0"}, "later"),
        ({"retry-after": "soon"}, "later"),
        ({"retry-after": "9" * 12}, "later"),
    ],
)
def test_a_long_rate_limit_says_when_to_retry_and_does_not_blame_the_token(
    github_api: FakeGitHub, headers: dict[str, str], when: str
) -> None:
    github_api.status, github_api.answer, github_api.headers = 403, RATE_LIMITED, headers
    waits = Waits()
    with pytest.raises(GitHubError) as raised:
        _open(github_api, waits)
    assert str(raised.value) == (
        "GitHub refused to open a pull request in acme/models for now (HTTP 403, rate limited): "
        f"API rate limit exceeded for user ID 1.; retry {when}"
    )
    assert waits.seconds == [] and len(github_api.requests) == 1


def test_rate_limited_again_after_the_wait_is_reported_not_retried(github_api: FakeGitHub) -> None:
    github_api.status, github_api.answer = 429, RATE_LIMITED
    github_api.headers = {"retry-after": "2"}
    waits = Waits()
    with pytest.raises(
        GitHubError, match=r"\(HTTP 429, rate limited\): .*; retry after 2027-01-15 08:00:02 UTC$"
    ):
        _open(github_api, waits)
    assert waits.seconds == [2.0] and len(github_api.requests) == 2


def test_a_plain_403_still_points_at_the_token(github_api: FakeGitHub) -> None:
    github_api.status, github_api.answer = 403, {"message": "Resource not accessible by integration"}
    github_api.headers = {"x-ratelimit-remaining": "4999", "x-ratelimit-reset": str(int(NOW) + 5)}
    with pytest.raises(GitHubError) as raised:
        _open(github_api, Waits())
    assert str(raised.value) == (
        "GitHub refused to open a pull request in acme/models (HTTP 403): Resource not accessible by "
        "integration; check that GITHUB_TOKEN (or GH_TOKEN) is valid and may open pull requests"
    )
    assert len(github_api.requests) == 1


def test_every_validation_error_is_kept(github_api: FakeGitHub) -> None:
    github_api.status = 422
    github_api.answer = {
        "message": "Validation Failed",
        "errors": [
            {"resource": "PullRequest", "code": "custom", "message": "A pull request already exists"},
            {"resource": "PullRequest", "field": "head", "code": "invalid"},
            {"field": "base", "code": "missing_field"},
            {"code": "too_long"},
            "a plain string",
            {},
        ],
    }
    with pytest.raises(GitHubError) as raised:
        _open(github_api, Waits())
    assert str(raised.value) == (
        "GitHub refused to open a pull request in acme/models (HTTP 422): Validation Failed; "
        "A pull request already exists; PullRequest.head: invalid; base: missing_field; too_long; "
        "a plain string"
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"number": 42}, PullRequest(number=42)),
        ({"html_url": "https://github.com/acme/models/pull/42"}, PullRequest(url=CREATED["html_url"])),
        ({"number": "42", "html_url": None}, PullRequest()),
        ([1, 2], PullRequest()),
        (b"<html>created</html>", PullRequest()),
    ],
)
def test_a_created_pull_request_that_is_not_named_is_still_created(
    github_api: FakeGitHub, body: object, expected: PullRequest
) -> None:
    github_api.answer = body
    assert _open(github_api, Waits()) == expected


# --- through promote: what the user sees, and what stays ----------------------------------------


def test_promote_waits_out_a_short_rate_limit(
    populated: Reg, add_origin: AddOrigin, github_api: FakeGitHub
) -> None:
    origin = add_origin(populated)
    _script(github_api, (429, RATE_LIMITED, {"retry-after": "0"}))
    r = populated.cli("promote", "fraud@1.2.0", "--to", "staging", env=github_api.env)
    assert r.code == 0, r.err
    assert f"pull request #42: {CREATED['html_url']}" in r.out
    assert len(github_api.requests) == 2 and BRANCH in origin.branches()


def test_promote_under_a_long_rate_limit_says_when_and_changes_nothing(
    populated: Reg, add_origin: AddOrigin, github_api: FakeGitHub
) -> None:
    origin = add_origin(populated)
    github_api.status, github_api.answer = 403, RATE_LIMITED
    github_api.headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "4102444800"}
    before, remote_before = populated.state(), origin.branches()
    r = populated.cli("promote", "fraud@1.2.0", "--to", "staging", env=github_api.env)
    assert r.code == 1
    assert r.lines[-1] == (
        "modelreg: error: GitHub refused to open a pull request in acme/models for now (HTTP 403, rate "
        "limited): API rate limit exceeded for user ID 1.; retry after 2100-01-01 00:00:00 UTC"
    )
    assert "GITHUB_TOKEN" not in r.err
    assert populated.state() == before and origin.branches() == remote_before


@pytest.mark.parametrize(
    ("body", "line"),
    [
        ({"number": 42}, "pull request #42 opened (GitHub's answer gave no URL)"),
        (
            b"",
            f"pull request from {BRANCH} into main opened (GitHub's answer named neither its number nor its URL)",
        ),
    ],
)
def test_promote_keeps_the_branch_of_a_created_pull_request_github_did_not_name(
    populated: Reg, add_origin: AddOrigin, github_api: FakeGitHub, body: object, line: str
) -> None:
    origin = add_origin(populated)
    github_api.answer = body
    r = populated.cli("promote", "fraud@1.2.0", "--to", "staging", env=github_api.env)
    assert r.code == 0, r.err
    assert r.out.splitlines()[-1] == line
    assert origin.branches() == ["main", BRANCH]
    assert git("rev-parse", "--verify", "--quiet", f"refs/heads/{BRANCH}", cwd=populated.path).strip()
    assert populated.cli("doctor").out.strip() == "no interrupted command to recover"
