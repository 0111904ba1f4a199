"""GitHub, the forge: where a repository lives, and opening a pull request (REST API).

Requests go through modelreg's one HTTP policy (modelreg.adapters.http): the token is only
ever placed in the Authorization header, sent only to the API's origin, and a POST follows no
redirect. Every message built from a response passes through ``redact`` first, so the token
cannot leak through an error.

A rate-limited answer (403 or 429 with ``retry-after``, or with ``x-ratelimit-remaining: 0`` and
``x-ratelimit-reset``) is waited out and sent again once when the wait is short; otherwise the
error says when to retry. (A POST is not idempotent, so the policy's own retries never send it
twice; a rate-limited one was refused before it did anything, so sending it again is safe.)
"""

from __future__ import annotations

import email.utils
import json
import math
import re
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from pydantic import BaseModel

from modelreg.domain.errors import ModelregError

if TYPE_CHECKING:  # requests is imported when a request is made, not with this module
    from modelreg.adapters import http

DEFAULT_API_URL = "https://api.github.com"
TIMEOUT_SECONDS = 30
MAX_RESPONSE_BYTES = 1024 * 1024
MAX_RETRY_WAIT_SECONDS = 60  # a rate limit that lifts sooner is waited out, once
RATE_LIMITED = (403, 429)
_REASONS = {401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 422: "Unprocessable Entity"}
_SECONDS = re.compile(r"[0-9]{1,12}")  # whole seconds, or epoch seconds; longer is not a time

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
    """A pull request GitHub created; number or URL is None when its answer left it out."""

    number: int | None = None
    url: str | None = None


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
    repo: GitHubRepo,
    *,
    api_url: str,
    token: str,
    title: str,
    head: str,
    base: str,
    body: str,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,
) -> PullRequest:
    """``POST /repos/{owner}/{repo}/pulls``; GitHubError (token-free) when it fails.

    Once GitHub accepted the request the pull request exists: an answer that does not name it
    still returns a PullRequest (with None for what is missing), never an error."""
    from modelreg.adapters import http

    payload = {"title": title, "head": head, "base": base, "body": body, "maintainer_can_modify": True}
    check_api_url(api_url)
    session = http.Session(
        base=api_url,
        name="GitHub",
        credentials={"Authorization": f"Bearer {token}"},
        headers={
            "Accept": "application/vnd.github+json",
            "User-Agent": "modelreg",
            "X-GitHub-Api-Version": "2022-11-28",
        },
        timeout=TIMEOUT_SECONDS,
        max_bytes=MAX_RESPONSE_BYTES,
        secrets=(token,),
    )
    doing = f"open a pull request in {repo.slug}"
    raw = _send(
        session, f"repos/{repo.slug}/pulls", payload, token=token, doing=doing, sleep=sleep, clock=clock
    )
    return _created(raw)


def _created(raw: bytes) -> PullRequest:
    """The pull request a successful answer describes, as far as it does."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than Python's stack
        data = None
    if not isinstance(data, dict):
        return PullRequest()
    number, url = data.get("number"), data.get("html_url")
    return PullRequest(
        number=number if isinstance(number, int) and not isinstance(number, bool) else None,
        url=url if isinstance(url, str) and url else None,
    )


def check_api_url(url: str) -> None:
    """https only, except plain http to this machine (a local stand-in for the API)."""
    parts = urllib.parse.urlsplit(url)
    from modelreg.adapters.http import is_loopback

    loopback = parts.scheme == "http" and is_loopback(url)
    if parts.scheme != "https" and not loopback:
        raise GitHubError(
            f"GITHUB_API_URL must be an https:// URL, not {url!r}: the token would travel in clear"
        )


def _send(
    session: http.Session,
    path: str,
    payload: dict[str, object],
    *,
    token: str,
    doing: str,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
) -> bytes:
    """The body of GitHub's successful answer; a short rate limit is waited out once."""
    from modelreg.adapters import http

    for attempt in (1, 2):
        try:
            answer = session.request("POST", path, json=payload)
        except http.TooLarge as e:
            if 200 <= e.status < 300:
                return b""  # created: an answer too long to read still means the pull request exists
            raise GitHubError(
                f"GitHub refused to {doing} (HTTP {e.status}) with an answer too long to read"
            ) from None
        except http.HttpError as e:
            raise GitHubError(f"could not reach GitHub to {doing}: {redact(str(e), token)}") from None
        if answer.ok:
            return answer.body
        wait, refused = _refusal(answer, token=token, doing=doing, now=clock())
        if attempt == 2 or wait > MAX_RETRY_WAIT_SECONDS:
            raise refused
        sleep(max(0.0, wait))
    raise AssertionError("unreachable: the second attempt returns or raises")


def _refusal(answer: http.Answer, *, token: str, doing: str, now: float) -> tuple[float, GitHubError]:
    """Seconds to wait before sending again (inf: do not), and the error to raise otherwise."""
    until = _rate_limited_until(answer.status, answer.headers, now=now)
    reason = redact(_error_detail(answer, rate_limited=until is not None), token)
    if until is None:
        return math.inf, GitHubError(f"GitHub refused to {doing} (HTTP {answer.status}): {reason}")
    message = f"GitHub refused to {doing} for now (HTTP {answer.status}, rate limited): {reason}"
    return until - now, GitHubError(f"{message}; retry {_after(until)}")


def _rate_limited_until(code: int, headers: Mapping[str, str], *, now: float) -> float | None:
    """When (epoch seconds) GitHub lifts the rate limit its answer names; None if it names none,
    inf if it names one without a time."""
    if code not in RATE_LIMITED:
        return None
    headers = {k.lower(): v for k, v in headers.items()}
    retry_after = (headers.get("retry-after") or "").strip()
    if _SECONDS.fullmatch(retry_after):
        return now + int(retry_after)
    if retry_after:
        try:
            moment = email.utils.parsedate_to_datetime(retry_after)  # the HTTP-date form
        except (TypeError, ValueError):
            return math.inf
        return moment.timestamp() if moment.tzinfo else math.inf
    if (headers.get("x-ratelimit-remaining") or "").strip() != "0":
        return None
    reset = (headers.get("x-ratelimit-reset") or "").strip()
    return float(reset) if _SECONDS.fullmatch(reset) else math.inf


def _after(until: float) -> str:
    """``after 2026-11-20 10:15:00 UTC``, or ``later`` when the moment cannot be shown."""
    try:
        moment = datetime.fromtimestamp(math.ceil(until), tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return "later"
    return f"after {moment:%Y-%m-%d %H:%M:%S} UTC"


def _error_detail(answer: http.Answer, *, rate_limited: bool = False) -> str:
    """GitHub's ``message`` plus every item of ``errors``, with a hint for bad credentials."""
    try:
        data = json.loads(answer.body)
    except (ValueError, RecursionError):
        data = {}
    if not isinstance(data, dict):
        data = {}
    parts = [str(data.get("message") or _REASONS.get(answer.status, "no detail"))]
    items = data.get("errors")
    parts += [_error_item(item) for item in items if item] if isinstance(items, list) else []
    if answer.status in (401, 403) and not rate_limited:
        parts.append("check that GITHUB_TOKEN (or GH_TOKEN) is valid and may open pull requests")
    return "; ".join(parts)


def _error_item(item: object) -> str:
    """One item of a 422's ``errors``: its message, else what it names (``PullRequest.head: invalid``)."""
    if not isinstance(item, dict):
        return str(item)
    if item.get("message"):
        return str(item["message"])
    where = ".".join(str(item[k]) for k in ("resource", "field") if item.get(k))
    code = str(item.get("code") or "invalid")
    return f"{where}: {code}" if where else code
