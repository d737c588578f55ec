# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The generic HTTP piece every client of the collection shares. PRIVATE to the collection.

One pooled session (with the client certificate), the one retry policy (`_retry.py`), answers
that are cut off or not JSON (retried like a 502, then `ResponseIncomplete`/`ResponseNotJson` with
`may_have_applied` for a write), and connection and TLS failures as one line that names the
service and the option to fix. No Ansible imports and nothing NetBox-specific: the NetBox client
(`_client.NetboxClient`) builds on it, and each publishing client (Confluence, WebDAV) holds its
own instance. The constructor does no I/O.
"""
from __future__ import annotations

import http.client
import json
import re
import socket
import ssl
import threading
import time
from typing import Any, Callable, Iterator
from urllib.parse import SplitResult, urlsplit

try:
    import requests
    from requests.adapters import HTTPAdapter
    HAS_REQUESTS = True
except ImportError:  # pragma: no cover - the runners report missing_required_lib
    requests = None
    HTTPAdapter = object
    HAS_REQUESTS = False

from ansible_collections.sot.netbox.plugins.module_utils._errors import (
    ConnectionFailed, InputError, ResponseIncomplete, ResponseNotJson, SotNetboxError, Timeout)
from ansible_collections.sot.netbox.plugins.module_utils._metrics import Metrics
from ansible_collections.sot.netbox.plugins.module_utils._retry import RetryPolicy

USER_AGENT = "sot.netbox-ansible/0.1"
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _unredacted(value: Any) -> Any:
    return value


def split_http_url(field: str, url: Any, example: str = "https://server.example.com") -> SplitResult:
    """`url` split (urllib's SplitResult) once it is a usable http(s) URL, or InputError naming
    `field`: not a string, spaces or control characters, another scheme, no host, a bad port, or
    what urllib itself cannot parse (an unclosed IPv6 bracket raises ValueError there)."""
    if not isinstance(url, str):
        raise InputError(field, url, f"must be a string such as {example}")
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise InputError(field, url, "must not contain spaces, line breaks or control characters")
    if not re.match(r"^https?://", url, re.IGNORECASE):
        raise InputError(field, url, "must be an http:// or https:// URL (it must start with http:// or https://)")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise InputError(field, url, f"is not a valid URL (check the host and any [IPv6] brackets), e.g. {example}") from None
    try:
        port = parts.port
    except ValueError:
        raise InputError(field, url, "has an invalid port (a number from 1 to 65535)") from None
    if not parts.hostname:
        raise InputError(field, url, f"has no host name, e.g. {example}")
    if port == 0:
        raise InputError(field, url, "has an invalid port (a number from 1 to 65535)")
    return parts


class HttpTransport:
    """Sends one request under the retry policy. `service` names the server in messages ("NetBox",
    "Confluence", "WebDAV"), `base_url` is where it is reached, and `option` is how the user names
    its settings (`targets[].` for a publishing target: messages say targets[].url, ...). `redact`
    masks the secrets in every message built here. Thread-safe; at most `max_workers` requests are
    in flight at once."""

    # What a person does after a write whose answer was lost (NetBox's runs read back what exists).
    rerun_hint = "then run again"

    def __init__(self, service: str, base_url: str, validate_certs: bool = True, ca_path: str | None = None,
                 timeout: float = 30, max_workers: int = 4, retry: RetryPolicy | None = None,
                 metrics: Metrics | None = None, session: Any = None, sleep: Callable[[float], Any] = time.sleep,
                 rng: Any = None, cert: Any = None, redact: Callable[[Any], Any] | None = None,
                 option: str = "") -> None:
        self.service = service
        self.base_url = base_url
        self.option = option
        self.verify = ca_path if ca_path else bool(validate_certs)
        self.cert = cert
        self.timeout = timeout
        self.max_workers = int(max_workers)
        self.retry = retry or RetryPolicy()
        self.metrics = metrics or Metrics()
        self.redact = redact or _unredacted
        self._session = session
        self._session_lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(self.max_workers)
        self._sleep = sleep
        self._rng = rng

    @property
    def session(self) -> Any:
        with self._session_lock:
            if self._session is None:
                if not HAS_REQUESTS:
                    raise SotNetboxError("the Python library 'requests' is required")
                session = requests.Session()
                adapter = HTTPAdapter(pool_connections=2, pool_maxsize=max(self.max_workers, 4), max_retries=0)
                session.mount("http://", adapter)
                session.mount("https://", adapter)
                session.cert = self.cert
                self._session = session
            return self._session

    def send(self, method: str, url: str, params: dict | None = None, data: bytes | None = None,
             headers: dict | None = None, classify: Callable[[Any], BaseException | None] | None = None,
             decode: bool = False) -> Any:
        """One HTTP exchange under the retry policy.

        `classify(response)` returns the exception a final (not retried) status means, or None;
        without it the response is returned whatever its status. With `decode` the JSON body is
        returned (None when empty), and an answer that is cut off or not JSON is retried when a 502
        would be, then raised as ResponseIncomplete/ResponseNotJson. Raises ConnectionFailed/Timeout
        (or ResponseIncomplete for a write that was sent) when no answer came.
        """
        attempt = 0
        while True:
            response, failure = self._send_once(method, url, params, data, headers or {})
            if failure is not None:
                kind, connected, exc = failure
                if attempt < self.retry.retries and self.retry.retry_connection_error(method, connected):
                    self._wait(attempt, None)
                    attempt += 1
                    continue
                raise self._connection_error(kind, method, url, exc, connected, attempt + 1) from None
            self.answered(response)
            if attempt < self.retry.retries and self.retry.retry_status(method, response.status_code):
                self._wait(attempt, _header(response, "Retry-After"))
                attempt += 1
                continue
            error = classify(response) if classify is not None else None
            if error is not None:
                raise error
            if not decode:
                return response
            try:
                return _decode(response)
            except _Unreadable as why:
                # An unreadable answer is what a proxy's 502 is: retried when a 502 would be.
                if attempt < self.retry.retries and self.retry.retry_status(method, 502):
                    self.metrics.incr("unreadable_answers")
                    self._wait(attempt, None)
                    attempt += 1
                    continue
                raise self._unreadable(why, method, url, attempt + 1) from None

    def answered(self, response: Any) -> None:
        """Called with every answer, retried ones too (the NetBox client learns the version here)."""

    def _send_once(self, method: str, url: str, params: dict | None, data: bytes | None, headers: dict | None) -> Any:
        """Returns (response, None) or (None, (kind, connected, exception))."""
        started = time.monotonic()
        with self._slots:
            try:
                response = self.session.request(method, url, params=params, data=data, headers=headers,
                                                timeout=self.timeout, verify=self.verify)
            except requests.exceptions.SSLError as exc:
                raise self._tls_error(method, url, exc) from None
            except requests.exceptions.ConnectTimeout as exc:
                return None, ("connect-timeout", False, exc)
            except requests.exceptions.ReadTimeout as exc:
                return None, ("timeout", True, exc)
            except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError,
                    http.client.IncompleteRead) as exc:
                return None, ("cut", True, exc)
            except requests.exceptions.ConnectionError as exc:
                if _is_tls_failure(exc):
                    raise self._tls_error(method, url, exc) from None
                return None, ("connection", _was_connected(exc), exc)
            except (requests.exceptions.InvalidURL, requests.exceptions.InvalidHeader) as exc:
                # Validated up front; anything left is still one line naming the options, never a traceback.
                raise InputError(self.option + "url", self.base_url, "cannot be sent with these headers/URL: " +
                                 self.redact(_reason(exc))) from None
        self.metrics.request(method, len(data or b""), len(response.content or b""), time.monotonic() - started)
        return response, None

    def _wait(self, attempt: int, retry_after: Any) -> None:
        self.metrics.incr("retries")
        kwargs = {"rng": self._rng} if self._rng else {}
        self._sleep(self.retry.delay(attempt, retry_after, **kwargs))

    def _connection_error(self, kind: type, method: str, url: str, exc: BaseException, connected: bool,
                          tries: int) -> SotNetboxError:
        where = f"{method} {_path_of(url)}"
        attempts = f"{tries} attempt" + ("s" if tries != 1 else "")
        if kind in ("timeout", "connect-timeout"):
            error = Timeout(self.redact(
                f"{self.service} at {self.base_url} did not answer {where} within {self.timeout}s ({attempts}). "
                f"Raise the option {self.option}timeout, or check {self.service}'s load and the network"),
                method=method, url=url)
            # A write that was sent and not answered in time may still be done by the server.
            error.may_have_applied = connected and method not in READ_METHODS
            return error
        if connected and (kind == "cut" or method not in READ_METHODS):
            return self._answer_lost(kind, method, url, exc, tries)
        reason = _reason(exc)
        return ConnectionFailed(self.redact(
            f"cannot reach {self.service} at {self.base_url} (option {self.option}url) for {where}: {reason} "
            f"({attempts}). Check the URL and that {self.service} is running and reachable from here"),
            method=method, url=url)

    def _answer_lost(self, kind: type, method: str, url: str, exc: BaseException, tries: int) -> SotNetboxError:
        what = "was cut off" if kind == "cut" else f"was lost ({_reason(exc)})"
        return ResponseIncomplete(self._lost_text(method, url, what, tries), may_have_applied=method not in READ_METHODS,
                                  method=method, url=url)

    def _unreadable(self, why: _Unreadable, method: str, url: str, tries: int) -> SotNetboxError:
        cls = ResponseIncomplete if why.cut_off else ResponseNotJson
        what = "was cut off (incomplete JSON)" if why.cut_off else f"is not JSON ({why.detail})"
        return cls(self._lost_text(method, url, what, tries), may_have_applied=method not in READ_METHODS,
                   method=method, url=url, status=why.status)

    def _lost_text(self, method: str, url: str, what: str, tries: int) -> str:
        where = f"{method} {_path_of(url)}"
        attempts = f"{tries} attempt" + ("s" if tries != 1 else "")
        service = self.service
        if method in READ_METHODS:
            return self.redact(f"{service}'s answer to {where} {what} ({attempts}). Check {service} and any proxy in "
                               f"front of it (option {self.option}url: {self.base_url}), then run again")
        return self.redact(f"{service}'s answer to {where} {what}: {service} may have applied it. Nothing was sent "
                           f"again; check {service}, {self.rerun_hint}")

    def _tls_error(self, method: str, url: str, exc: BaseException) -> SotNetboxError:
        text = _reason(exc, tls=True)
        low = repr(exc).lower()
        if "alert" in low or "eof occurred" in low or isinstance(_root(exc, ssl.SSLEOFError), ssl.SSLEOFError):
            # The server ended the handshake (an alert, or closing it): it wants a client certificate
            # we did not send, or does not accept the one we did.
            if self.cert is None:
                head = "TLS handshake refused by"
                fix = f"{self.service} (or its proxy) may require a client certificate: set cert (and key)"
            else:
                head = "TLS client certificate refused by"
                fix = "the server does not accept the client certificate in cert/key (is it signed by a CA it trusts?)"
            if text == "tls error" or "eof occurred" in text:
                text = "the server closed the connection during the handshake"
        elif "wrong_version_number" in low or "wrong version number" in low or "record layer" in low:
            fix = f"the server does not speak TLS there: check http:// or https:// and the port in {self.option}url"
            head = "TLS handshake failed with"
        elif "pem" in low or "key values mismatch" in low or "no such file" in low:
            fix = "cert must be a PEM certificate and key its PEM private key (unencrypted)"
            head = "cannot use the client certificate for"
        else:  # certificate verify failed, and what we cannot tell apart from it
            fix = (f"use a certificate {self.service}'s clients trust, set {self.option}ca_path to the CA bundle that "
                   f"signed it, or (not recommended) {self.option}validate_certs: false")
            head = "TLS verification failed for"
        return ConnectionFailed(self.redact(f"{head} {self.base_url} ({method} {_path_of(url)}): {text}. To fix: {fix}"),
                                method=method, url=url)


class _Unreadable(Exception):
    def __init__(self, cut_off: bool, detail: str, status: int | None) -> None:
        super().__init__(detail)
        self.cut_off = cut_off
        self.detail = detail
        self.status = status


def _header(response: Any, name: str) -> str | None:
    headers = getattr(response, "headers", None) or {}
    value = headers.get(name)
    if value is None and isinstance(headers, dict):  # plain dicts in tests are case-sensitive
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    return value


def _text(response: Any) -> str:
    try:
        return response.text
    except (ValueError, UnicodeDecodeError):  # pragma: no cover - an undecodable error page
        return (response.content or b"").decode("utf-8", "replace")


def _decode(response: Any) -> Any:
    """The JSON body, or _Unreadable: cut off (JSON that ends early) or not JSON (an HTML proxy page)."""
    content = response.content
    if not content:
        return None
    try:
        return json.loads(content)
    except ValueError:
        pass
    ctype = (_header(response, "Content-Type") or "").split(";")[0].strip().lower()
    start = content.lstrip()[:1]
    if "json" in ctype or start in (b"{", b"["):
        raise _Unreadable(True, "incomplete JSON", response.status_code)
    detail = f"{ctype or 'no content type'}"
    if b"<html" in content[:2000].lower() or ctype == "text/html":
        detail = "an HTML page, perhaps a proxy's login or error page"
    raise _Unreadable(False, detail, response.status_code)


def _path_of(url: str) -> str:
    """'/api/dcim/devices/' from a full URL: messages name the endpoint, not the long URL."""
    return urlsplit(url).path or url


def _causes(exc: BaseException | None, depth: int = 0) -> Iterator[BaseException]:
    """An exception, its arguments that are exceptions, urllib3's `.reason`, and its cause/context."""
    if exc is None or depth > 8:
        return
    yield exc
    seen = []
    for nested in [getattr(exc, "reason", None), exc.__cause__, exc.__context__, *getattr(exc, "args", ())]:
        if isinstance(nested, BaseException) and nested is not exc and nested not in seen:
            seen.append(nested)
            yield from _causes(nested, depth + 1)


def _reason(exc: BaseException, tls: bool = False) -> str:
    """One short phrase for a transport failure, from the root cause, never a library's repr."""
    for cause in _causes(exc):
        name = cause.__class__.__name__
        if isinstance(cause, ssl.SSLError) and tls:
            reason = getattr(cause, "verify_message", None) or getattr(cause, "reason", None) or ""
            return str(reason).replace("_", " ").lower() or "TLS error"
        if isinstance(cause, http.client.RemoteDisconnected):  # before ConnectionResetError: a subclass
            return "the server closed the connection without answering"
        if isinstance(cause, ConnectionRefusedError) or "connection refused" in str(cause).lower():
            return "connection refused"
        if name == "NameResolutionError" or isinstance(cause, socket.gaierror):
            return "the host name does not resolve"
        if isinstance(cause, ConnectionResetError):
            return "the connection was reset"
        if isinstance(cause, http.client.IncompleteRead):
            return "the answer was cut off"
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror.lower()
    for cause in _causes(exc):
        if isinstance(cause, ssl.SSLError):
            return str(getattr(cause, "reason", None) or "TLS error").replace("_", " ").lower()
    text = str(exc)
    # Last resort: the text after urllib3's "Caused by X(...)" wrapper, without its repr punctuation.
    text = re.sub(r"^.*\(Caused by \w+\(", "", text)
    text = re.sub(r"<[^>]*>:?", "", text)
    text = text.strip(" :'\"()")
    return text[:200] or exc.__class__.__name__


def _root(exc: BaseException, cls: type) -> BaseException | None:
    return next((c for c in _causes(exc) if isinstance(c, cls)), None)


def _is_tls_failure(exc: BaseException) -> bool:
    """A TLS alert can surface as a plain ConnectionError (e.g. a client certificate refused after the handshake)."""
    return any(isinstance(c, ssl.SSLError) for c in _causes(exc))


def _was_connected(exc: BaseException) -> bool:
    """False when the connection was never established (refused, DNS): the request was not sent."""
    for cause in _causes(exc):
        if isinstance(cause, (ConnectionRefusedError, socket.gaierror)):
            return False
        if cause.__class__.__name__ in ("NewConnectionError", "NameResolutionError"):
            return False
    text = repr(exc)
    return not any(marker in text for marker in ("NewConnectionError", "Connection refused", "NameResolutionError",
                                                 "Failed to resolve"))
