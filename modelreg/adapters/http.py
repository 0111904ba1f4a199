"""The one HTTP policy of every client modelreg has (MLflow, GitHub, any later one).

Transport, connection pooling, proxies and retries are ``requests`` with urllib3's ``Retry``;
what this module adds is what they leave open:

- **Credentials stay with their origin.** Redirects are followed here, not by requests: a hop
  to another origin (scheme, host or port; ``127.0.0.1:5000`` and ``127.0.0.1:5001`` are two)
  drops every credential header, and it stays dropped even if a later hop comes back. requests'
  own ``should_strip_auth`` keeps the header from ``http://h`` to ``https://h`` and reapplies
  ``~/.netrc`` credentials for the new host; neither happens here (``trust_env`` is off; the
  environment's proxies and CA bundle, ``REQUESTS_CA_BUNDLE`` or ``CURL_CA_BUNDLE``, are
  applied explicitly).
- **Never from https to http**, with or without credentials: such a redirect is an error.
- **Only a GET or HEAD follows redirects** (a POST's body would go wherever it points).
- **Retries are bounded**: idempotent methods only, on connection errors, 429 and 5xx, with
  exponential backoff; a ``Retry-After`` longer than ``MAX_RETRY_AFTER`` is not waited out.
- **Sizes and time are bounded**: a body over ``max_bytes`` is refused (decompressed bytes
  count), each socket wait is at most ``timeout`` seconds, and a whole session ends at its
  ``deadline`` (checked before every request and between the chunks of every body).
"""

from __future__ import annotations

import os
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
import requests.adapters
import requests.utils
import urllib3
import urllib3.exceptions
import urllib3.util.retry

from modelreg.domain.errors import ModelregError

DEFAULT_TIMEOUT = 30.0  # seconds one socket operation (connect, or the wait for bytes) may take
DEFAULT_MAX_BYTES = 16 * 1024 * 1024
MAX_REDIRECTS = 5
RETRIES = 3
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
MAX_RETRY_AFTER = 10.0  # seconds: a server asking for longer gets its error reported instead
BACKOFF = 0.5  # seconds: 0.5, 1, 2 between retries
CHUNK = 64 * 1024
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
DEFAULT_PORTS = {"http": 80, "https": 443}


class HttpError(ModelregError):
    """A server could not be reached, broke the policy (a redirect to http, a body too large,
    too slow), or the session ran out of time."""


class TooLarge(HttpError):
    """An answer's body is over the limit; ``status`` says what the server answered."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Answer:
    """A server's final answer (after redirects), any status: its body read within bounds."""

    status: int
    url: str
    headers: Mapping[str, str]
    body: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


Origin = tuple[str, str, int]


def origin(url: str) -> Origin:
    """(scheme, host, port) of ``url``, lowercased, with the scheme's default port."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port or DEFAULT_PORTS.get(scheme, 0)


def is_loopback(url: str) -> bool:
    return origin(url)[1] in LOOPBACK


class _BoundedRetry(urllib3.util.retry.Retry):
    """urllib3's Retry, but a ``Retry-After`` past MAX_RETRY_AFTER ends the retries (the answer
    is reported) instead of holding the session for as long as the server asks, and one that
    is not a number or a date is ignored (urllib3 would raise)."""

    def get_retry_after(self, response: urllib3.BaseHTTPResponse) -> float | None:
        try:
            return super().get_retry_after(response)
        except urllib3.exceptions.InvalidHeader:
            return None

    def increment(self, *args: Any, **kwargs: Any) -> _BoundedRetry:
        response = kwargs.get("response")
        wait = self.get_retry_after(response) if response is not None else None
        if wait is not None and wait > MAX_RETRY_AFTER:
            reason = urllib3.exceptions.ResponseError(f"Retry-After {wait:g} s")
            raise urllib3.exceptions.MaxRetryError(kwargs["_pool"], kwargs.get("url") or "", reason)
        found: _BoundedRetry = super().increment(*args, **kwargs)
        return found


def _retry() -> _BoundedRetry:
    return _BoundedRetry(
        total=RETRIES,
        connect=RETRIES,
        read=RETRIES,
        status=RETRIES,
        redirect=0,
        other=0,
        allowed_methods=IDEMPOTENT,
        status_forcelist=RETRY_STATUSES,
        backoff_factor=BACKOFF,
        backoff_max=MAX_RETRY_AFTER,
        respect_retry_after_header=True,
        raise_on_status=False,
        raise_on_redirect=False,
    )


@dataclass
class Session:
    """Requests to one service (``name`` in messages, e.g. "the MLflow server") whose credentials
    (``credentials``: header name -> value) belong to the origin of ``base``."""

    base: str
    name: str
    credentials: dict[str, str] = field(default_factory=dict, repr=False)
    headers: dict[str, str] = field(default_factory=dict)
    timeout: float = DEFAULT_TIMEOUT
    max_bytes: int = DEFAULT_MAX_BYTES
    deadline: float | None = None  # time.monotonic() after which nothing more is sent
    secrets: tuple[str, ...] = field(default=(), repr=False)  # never shown in a message

    def __post_init__(self) -> None:
        self.base = self.base.rstrip("/")
        self.origin = origin(self.base)
        self._session = requests.Session()
        self._session.trust_env = False  # no ~/.netrc credentials for whatever host a redirect names
        adapter = requests.adapters.HTTPAdapter(max_retries=_retry())
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)

    def url(self, path: str) -> str:
        return path if "://" in path else f"{self.base}/{path.lstrip('/')}"

    def get(
        self, path: str, params: Mapping[str, str] | None = None, *, max_bytes: int | None = None
    ) -> Answer:
        return self.request("GET", path, params=params, max_bytes=max_bytes)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        max_bytes: int | None = None,
    ) -> Answer:
        """The final answer to ``method path`` (redirects followed for GET and HEAD only)."""
        url = self.url(path)
        if params:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(params)
        send_credentials = origin(url) == self.origin
        for _ in range(MAX_REDIRECTS + 1):
            headers = {**self.headers, **(self.credentials if send_credentials else {})}
            response = self._send(method, url, headers=headers, json=json)
            target = _redirect_target(response, method)
            if target is None:
                return self._answer(response, self.max_bytes if max_bytes is None else max_bytes)
            response.close()
            url = urllib.parse.urljoin(url, target)
            self._check_redirect(response.url, url)
            send_credentials = send_credentials and origin(url) == self.origin
        raise HttpError(f"{self.name} redirected more than {MAX_REDIRECTS} times ({self._shown(url)})")

    def _check_redirect(self, source: str, target: str) -> None:
        scheme = origin(target)[0]
        if scheme not in DEFAULT_PORTS:
            raise HttpError(f"{self.name} redirected to {self._shown(target)}, which is not http(s)")
        if origin(source)[0] == "https" and scheme == "http":
            raise HttpError(
                f"{self.name} redirected from https to plain http ({self._shown(target)}); not followed"
            )

    def _send(self, method: str, url: str, *, headers: dict[str, str], json: Any) -> requests.Response:
        remaining = self.remaining()
        proxies = requests.utils.get_environ_proxies(url)  # what trust_env would apply, but netrc
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        try:
            return self._session.request(
                method,
                url,
                headers=headers,
                json=json,
                timeout=min(self.timeout, remaining),
                allow_redirects=False,
                stream=True,
                proxies=proxies,
                verify=bundle or True,
            )
        except requests.RequestException as e:
            raise HttpError(
                f"cannot reach {self.name} at {self._shown(self.base)}: {self._reason(e)}"
            ) from None

    def remaining(self) -> float:
        """Seconds left before the deadline (HttpError when none are)."""
        if self.deadline is None:
            return self.timeout
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise HttpError(f"{self.name} took longer than the time allowed; nothing more was asked")
        return left

    def _out_of_time(self) -> None:
        """The deadline's HttpError when a socket wait failed because the deadline came."""
        if self.deadline is not None and time.monotonic() >= self.deadline - 0.1:
            raise HttpError(f"{self.name} took longer than the time allowed; nothing more was asked")

    def _answer(self, response: requests.Response, limit: int) -> Answer:
        with response:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise TooLarge(self._too_large(response.url, limit), response.status_code)
            body = bytearray()
            try:
                for chunk in response.iter_content(CHUNK):
                    body += chunk
                    if len(body) > limit:
                        raise TooLarge(self._too_large(response.url, limit), response.status_code)
                    self.remaining()
            except requests.RequestException as e:
                self._out_of_time()
                raise HttpError(f"{self.name} broke off its answer: {self._reason(e)}") from None
        return Answer(response.status_code, response.url, dict(response.headers), bytes(body))

    def _too_large(self, url: str, limit: int) -> str:
        return f"{self.name} sent more than {limit} bytes for {self._shown(url)}; refused"

    def _shown(self, text: str) -> str:
        for secret in self.secrets:
            if secret:
                text = text.replace(secret, "***")
        parts = urllib.parse.urlsplit(text)
        if parts.password or parts.username:  # user:password@host: never shown
            netloc = parts.hostname or ""
            text = urllib.parse.urlunsplit(parts._replace(netloc=netloc, query=""))
        return text[:200]

    def _reason(self, error: Exception) -> str:
        reason = error.__class__.__name__
        inner = getattr(error, "args", ())
        if inner and isinstance(inner[0], Exception):
            reason = str(getattr(inner[0], "reason", inner[0]))
        elif inner:
            reason = str(inner[0])
        return self._shown(" ".join(reason.split()))

    def close(self) -> None:
        self._session.close()


def _redirect_target(response: requests.Response, method: str) -> str | None:
    if not response.is_redirect or method not in {"GET", "HEAD"}:
        return None
    return response.headers.get("location") or None
