"""GitHub, the forge: where a repository lives, and opening a pull request (REST API, stdlib only).

The token is only ever placed in the Authorization header. Every message built from a
response passes through ``redact`` first, so the token cannot leak through an error.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from modelreg.errors import ModelregError

DEFAULT_API_URL = "https://api.github.com"
TIMEOUT_SECONDS = 30
MAX_RESPONSE_BYTES = 1024 * 1024

_URL_FORMS = [
    re.compile(
        r"^https?://(?:[^@/]+@)?(?P<host>[^/:]+)(?::\d+)?/(?P<owner>[^/]+)/(?P<name>[^/]+?)(?:\.git)?/?$"
    ),
    re.compile(
        r"^ssh://(?:[^@/]+@)?(?P<host>[^/:]+)(?::\d+)?/(?P<owner>[^/]+)/(?P<name>[^/]+?)(?:\.git)?/?$"
    ),
    re.compile(r"^(?:[^@/]+@)?(?P<host>[^/:]+):(?P<owner>[^/]+)/(?P<name>[^/]+?)(?:\.git)?/?$"),
]


class GitHubError(ModelregError):
    """GitHub refused a request or could not be reached."""


@dataclass(frozen=True)
class GitHubRepo:
    """A repository on GitHub (or GitHub Enterprise at ``host``)."""

    host: str
    owner: str
    name: str

    @property
    def slug(self) -> str:
        return f"{self.owner}/{self.name}"

    def api_url(self, configured: str | None) -> str:
        """``GITHUB_API_URL`` when set; else github.com's API, or Enterprise's ``/api/v3``."""
        if configured:
            return configured.rstrip("/")
        return DEFAULT_API_URL if self.host == "github.com" else f"https://{self.host}/api/v3"

    def compare_url(self, base: str, head: str) -> str:
        """The page where a pull request from ``head`` into ``base`` can be opened."""
        quote = urllib.parse.quote
        return f"https://{self.host}/{self.slug}/compare/{quote(base)}...{quote(head)}?expand=1"


class PullRequest(BaseModel):
    number: int
    url: str


def parse_remote_url(url: str) -> GitHubRepo | None:
    """The repository a Git remote URL names (https, ssh:// or scp-like form), or None."""
    for form in _URL_FORMS:
        m = form.match(url.strip())
        if m and "/" not in m.group("host"):
            return GitHubRepo(m.group("host"), m.group("owner"), m.group("name"))
    return None


def redact(text: str, token: str | None) -> str:
    return text.replace(token, "***") if token else text


def open_pull_request(
    repo: GitHubRepo, *, api_url: str, token: str, title: str, head: str, base: str, body: str
) -> PullRequest:
    """``POST /repos/{owner}/{repo}/pulls``; GitHubError (token-free) when it fails."""
    payload = {"title": title, "head": head, "base": base, "body": body, "maintainer_can_modify": True}
    request = urllib.request.Request(  # noqa: S310 - the API base is http(s) by configuration
        f"{api_url}/repos/{repo.slug}/pulls",
        data=json.dumps(payload).encode(),
        method="POST",
        headers={
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "User-Agent": "modelreg",
            "X-GitHub-Api-Version": "2022-11-28",
        },
    )
    data = _send(request, token=token, doing=f"open a pull request in {repo.slug}")
    try:
        return PullRequest(number=int(data["number"]), url=str(data["html_url"]))
    except (KeyError, TypeError, ValueError) as e:
        raise GitHubError("GitHub answered without a pull request number and URL") from e


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect would carry the token to wherever it points: answer it as an error instead."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def check_api_url(url: str) -> None:
    """https only, except plain http to this machine (a local stand-in for the API)."""
    parts = urllib.parse.urlsplit(url)
    loopback = parts.scheme == "http" and parts.hostname in {"127.0.0.1", "localhost", "::1"}
    if parts.scheme != "https" and not loopback:
        raise GitHubError(
            f"GITHUB_API_URL must be an https:// URL, not {url!r}: the token would travel in clear"
        )


def _send(request: urllib.request.Request, *, token: str, doing: str) -> dict[str, Any]:
    check_api_url(request.full_url)
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            raw = response.read(MAX_RESPONSE_BYTES)
    except urllib.error.HTTPError as e:
        reason = redact(_error_detail(e), token)
        raise GitHubError(f"GitHub refused to {doing} (HTTP {e.code}): {reason}") from None
    except (urllib.error.URLError, OSError) as e:
        reason = redact(str(getattr(e, "reason", e)), token)
        raise GitHubError(f"could not reach GitHub to {doing}: {reason}") from None
    try:
        data = json.loads(raw)
    except ValueError:
        raise GitHubError(f"GitHub's answer to {doing} is not JSON") from None
    if not isinstance(data, dict):
        raise GitHubError(f"GitHub's answer to {doing} is not a JSON object")
    return data


def _error_detail(error: urllib.error.HTTPError) -> str:
    """GitHub's ``message`` plus each ``errors[].message``, with a hint for bad credentials."""
    try:
        data = json.loads(error.read(MAX_RESPONSE_BYTES))
    except (ValueError, OSError):
        data = {}
    if not isinstance(data, dict):
        data = {}
    parts = [str(data.get("message") or error.reason)]
    for item in data.get("errors") or []:
        if isinstance(item, dict) and item.get("message"):
            parts.append(str(item["message"]))
    if error.code in (401, 403):
        parts.append("check that GITHUB_TOKEN (or GH_TOKEN) is valid and may open pull requests")
    return "; ".join(parts)
