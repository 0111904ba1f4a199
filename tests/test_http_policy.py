"""The one HTTP policy (modelreg.adapters.http) against real servers on 127.0.0.1: credentials
never follow a redirect to another origin (another port of 127.0.0.1 is one, so is the name
localhost), never from https to http, retries are bounded and only for idempotent requests,
and bodies are bounded. The MLflow importer and the GitHub client are checked through it."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Reg
from http_servers import Recorder, Reply, redirect, self_signed, serve

from modelreg.adapters.http import HttpError, Session, origin

TOKEN = "mlflow-token-SECRET-0123"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def two() -> Iterator[tuple[Recorder, Recorder]]:
    """Two servers: the service (``a``) and another origin (``b``, another port)."""
    with serve(Recorder()) as a, serve(Recorder()) as b:
        b.fallback = lambda seen: Reply(200, {"landed": seen.path})
        yield a, b


def _session(a: Recorder, **kwargs: object) -> Session:
    return Session(base=a.url, name="the test server", credentials=BEARER, secrets=(TOKEN,), **kwargs)  # type: ignore[arg-type]


def test_origins_differ_by_scheme_host_and_port() -> None:
    assert origin("http://127.0.0.1:5000/x") == origin("HTTP://127.0.0.1:5000/y?z")
    assert origin("https://h/") == origin("https://h:443/")
    assert origin("http://h:80/") != origin("https://h:443/")  # requests keeps the token here
    assert origin("http://127.0.0.1:5000") != origin("http://127.0.0.1:5001")
    assert origin("http://127.0.0.1:5000") != origin("http://localhost:5000")


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_to_another_port_carries_no_credentials(
    two: tuple[Recorder, Recorder], status: int
) -> None:
    a, b = two
    a.routes["/start"] = redirect(lambda: f"{b.url}/landing", status)
    answer = _session(a).get("start")
    assert answer.ok and answer.url == f"{b.url}/landing"
    assert a.authorized() == ["/start"]
    assert [s.path for s in b.seen] == ["/landing"] and b.authorized() == []


def test_a_redirect_within_the_origin_keeps_them(two: tuple[Recorder, Recorder]) -> None:
    a, _ = two
    a.routes["/start"] = redirect(lambda: "/here")
    a.routes["/here"] = lambda seen: Reply(200, {"ok": True})
    assert _session(a).get("start").ok
    assert a.authorized() == ["/start", "/here"]


def test_once_dropped_they_stay_dropped_back_on_the_origin(two: tuple[Recorder, Recorder]) -> None:
    a, b = two
    a.routes["/start"] = redirect(lambda: f"{b.url}/bounce")
    b.routes["/bounce"] = redirect(lambda: f"{a.url}/back")
    a.routes["/back"] = lambda seen: Reply(200, {})
    assert _session(a).get("start").ok
    assert a.authorized() == ["/start"] and b.authorized() == []


def test_another_host_name_is_another_origin(two: tuple[Recorder, Recorder]) -> None:
    a, _ = two
    port = a.url.rsplit(":", 1)[1]
    a.routes["/start"] = redirect(lambda: f"http://localhost:{port}/same-socket")
    a.routes["/same-socket"] = lambda seen: Reply(200, {})
    assert _session(a).get("start").ok
    assert a.authorized() == ["/start"]


def test_basic_credentials_are_dropped_too(two: tuple[Recorder, Recorder]) -> None:
    a, b = two
    basic = base64.b64encode(b"alice:pw-SECRET").decode()
    a.routes["/start"] = redirect(lambda: f"{b.url}/landing")
    Session(base=a.url, name="x", credentials={"Authorization": f"Basic {basic}"}).get("start")
    assert a.authorized() == ["/start"] and b.authorized() == []


def test_https_to_http_is_never_followed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    context, cert = self_signed(tmp_path)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    with serve(Recorder(), tls=context) as a, serve(Recorder()) as b:
        a.routes["/same"] = lambda seen: Reply(200, {})
        assert _session(a).get("same").ok  # the twin: https works, with the token
        assert a.authorized() == ["/same"]
        a.routes["/start"] = redirect(lambda: f"{b.url}/plain")
        with pytest.raises(HttpError, match="from https to plain http"):
            _session(a).get("start")
        assert b.seen == []


def test_a_post_follows_no_redirect(two: tuple[Recorder, Recorder]) -> None:
    a, b = two
    a.routes["/pulls"] = redirect(lambda: f"{b.url}/pulls", 307)
    answer = _session(a).request("POST", "pulls", json={"title": "x"})
    assert answer.status == 307 and b.seen == []


def test_redirects_are_bounded(two: tuple[Recorder, Recorder]) -> None:
    a, _ = two
    a.routes["/loop"] = redirect(lambda: "/loop")
    with pytest.raises(HttpError, match="redirected more than 5 times"):
        _session(a).get("loop")
    assert len(a.seen) == 6


def test_idempotent_requests_retry_a_few_times_on_5xx_and_429(two: tuple[Recorder, Recorder]) -> None:
    a, _ = two
    replies = [Reply(503), Reply(429, headers={"Retry-After": "0"}), Reply(200, {"ok": True})]
    a.routes["/flaky"] = lambda seen: replies.pop(0)
    assert _session(a).get("flaky").ok
    assert len(a.seen) == 3
    a.routes["/down"] = lambda seen: Reply(503, {"message": "down"})
    assert _session(a).get("down").status == 503
    assert len(a.seen) == 3 + 4  # the first try and three retries


def test_a_post_is_not_retried_and_a_long_retry_after_is_not_waited(two: tuple[Recorder, Recorder]) -> None:
    a, _ = two
    a.routes["/pulls"] = lambda seen: Reply(503)
    assert _session(a).request("POST", "pulls", json={}).status == 503
    assert len(a.seen) == 1
    a.routes["/later"] = lambda seen: Reply(429, headers={"Retry-After": "3600"})
    assert _session(a).get("later").status == 429
    a.routes["/odd"] = lambda seen: Reply(429, headers={"Retry-After": "soon-ish"})
    assert _session(a).get("odd").status == 429
    assert len(a.seen) == 1 + 1 + 4


def test_bodies_are_bounded_declared_or_not(two: tuple[Recorder, Recorder]) -> None:
    a, _ = two
    a.routes["/big"] = lambda seen: Reply(200, b"x" * 5000)
    with pytest.raises(HttpError, match="more than 1000 bytes"):
        _session(a, max_bytes=1000).get("big")
    a.routes["/undeclared"] = lambda seen: Reply(200, b"x" * 5000, {"Content-Length": "10"})
    assert len(_session(a, max_bytes=1000).get("undeclared").body) == 10  # what it declared, no more
    assert len(_session(a, max_bytes=5000).get("big").body) == 5000


def test_a_spent_deadline_sends_nothing(two: tuple[Recorder, Recorder]) -> None:
    a, _ = two
    with pytest.raises(HttpError, match="took longer than the time allowed"):
        _session(a, deadline=0.0).get("anything")
    assert a.seen == []


def test_no_secret_in_an_unreachable_message() -> None:
    with serve(Recorder()) as gone:
        url = gone.url
    with pytest.raises(HttpError) as e:
        Session(base=f"{url}/{TOKEN}", name="x", credentials=BEARER, secrets=(TOKEN,), timeout=5).get("x")
    assert TOKEN not in str(e.value) and "cannot reach x" in str(e.value)


# --- the clients ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "env",
    [
        {"MLFLOW_TRACKING_TOKEN": TOKEN},
        {"MLFLOW_TRACKING_USERNAME": "alice", "MLFLOW_TRACKING_PASSWORD": "pw-SECRET"},
    ],
)
def test_import_mlflow_sends_credentials_only_to_the_tracking_origin(
    reg: Reg, two: tuple[Recorder, Recorder], env: dict[str, str]
) -> None:
    a, b = two
    a.routes["/api/2.0/mlflow/registered-models/search"] = redirect(
        lambda: f"{b.url}/api/2.0/mlflow/registered-models/search"
    )
    b.fallback = lambda seen: Reply(200, {"registered_models": []})
    before = reg.state()
    done = reg.cli("import", "mlflow", "--tracking-uri", a.url, env={**env, "NO_PROXY": "127.0.0.1"})
    assert done.code == 0, done.err
    assert "wrote 0 commit(s) from mlflow" in done.out
    assert a.authorized() and b.seen and b.authorized() == []
    assert reg.state() == before


def test_github_follows_no_redirect_with_the_token(two: tuple[Recorder, Recorder]) -> None:
    from modelreg.adapters.github import GitHubError, GitHubRepo, open_pull_request

    a, b = two
    a.routes["/repos/acme/models/pulls"] = redirect(lambda: f"{b.url}/repos/acme/models/pulls", 307)
    with pytest.raises(GitHubError, match="HTTP 307"):
        open_pull_request(
            GitHubRepo("github.com", "acme", "models"),
            api_url=a.url,
            token=TOKEN,
            title="t",
            head="h",
            base="main",
            body="b",
            sleep=lambda _: None,
        )
    assert a.authorized() == ["/repos/acme/models/pulls"] and b.seen == []


def test_github_says_created_when_its_answer_is_too_long_to_read(two: tuple[Recorder, Recorder]) -> None:
    from modelreg.adapters.github import GitHubRepo, open_pull_request

    a, _ = two
    a.routes["/repos/acme/models/pulls"] = lambda seen: Reply(201, b" " * (2 * 1024 * 1024))
    made = open_pull_request(
        GitHubRepo("github.com", "acme", "models"),
        api_url=a.url,
        token=TOKEN,
        title="t",
        head="h",
        base="main",
        body="b",
        sleep=lambda _: None,
    )
    assert made.number is None and made.url is None and len(a.seen) == 1
