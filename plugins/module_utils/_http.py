# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The generic HTTP piece every client of the collection shares: one pooled session, the one retry
policy (`_retry.py`), and the classification of connection-level failures. PRIVATE to the collection.

No Ansible imports and nothing NetBox-specific: the NetBox client and the publishing clients
(Confluence, WebDAV) each hold their own instance (their own session and base URL) and turn HTTP
statuses into exceptions with `_errors.error_for_status`. The constructor does no I/O.
"""
from __future__ import annotations

import threading
import time

try:
    import requests
    from requests.adapters import HTTPAdapter
    HAS_REQUESTS = True
except ImportError:  # pragma: no cover - the runners report missing_required_lib
    requests = None
    HTTPAdapter = object
    HAS_REQUESTS = False

from ansible_collections.sot.netbox.plugins.module_utils._errors import ConnectionFailed, SotNetboxError, Timeout
from ansible_collections.sot.netbox.plugins.module_utils._metrics import Metrics
from ansible_collections.sot.netbox.plugins.module_utils._retry import RetryPolicy

USER_AGENT = "sot.netbox-ansible/0.1"


class HttpTransport:
    """Sends one request with retries. `service` names the server in messages ("NetBox",
    "Confluence", "WebDAV"); `base_url` is where it is reached. Thread-safe; at most `max_workers`
    requests are in flight at once."""

    def __init__(self, service, base_url, validate_certs=True, ca_path=None, timeout=30, max_workers=4,
                 retry=None, metrics=None, session=None, sleep=time.sleep, rng=None):
        self.service = service
        self.base_url = base_url
        self.verify = ca_path if ca_path else bool(validate_certs)
        self.timeout = timeout
        self.max_workers = int(max_workers)
        self.retry = retry or RetryPolicy()
        self.metrics = metrics or Metrics()
        self._session = session
        self._session_lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(self.max_workers)
        self._sleep = sleep
        self._rng = rng

    @property
    def session(self):
        with self._session_lock:
            if self._session is None:
                if not HAS_REQUESTS:
                    raise SotNetboxError("the Python library 'requests' is required")
                session = requests.Session()
                adapter = HTTPAdapter(pool_connections=2, pool_maxsize=max(self.max_workers, 4), max_retries=0)
                session.mount("http://", adapter)
                session.mount("https://", adapter)
                self._session = session
            return self._session

    def send(self, method, url, params=None, data=None, headers=None):
        """One HTTP exchange under the retry policy. Returns the last response whatever its status
        (the caller classifies it); raises ConnectionFailed/Timeout when the server was not reached."""
        attempt = 0
        while True:
            response, failure = self._send_once(method, url, params, data, headers or {})
            if failure is not None:
                kind, connected, exc = failure
                if attempt < self.retry.retries and self.retry.retry_connection_error(method, connected):
                    self._wait(attempt, None)
                    attempt += 1
                    continue
                raise self._connection_error(kind, method, url, exc) from exc
            if attempt < self.retry.retries and self.retry.retry_status(method, response.status_code):
                self._wait(attempt, response.headers.get("Retry-After"))
                attempt += 1
                continue
            return response

    def _send_once(self, method, url, params, data, headers):
        """Returns (response, None) or (None, (kind, connected, exception))."""
        started = time.monotonic()
        with self._slots:
            try:
                response = self.session.request(method, url, params=params, data=data, headers=headers,
                                                timeout=self.timeout, verify=self.verify)
            except requests.exceptions.SSLError as exc:
                raise ConnectionFailed(
                    f"TLS verification failed for {url}: {exc.__class__.__name__}. Use a trusted certificate, "
                    "set ca_path to its CA bundle, or (not recommended) validate_certs: false",
                    method=method, url=url) from exc
            except requests.exceptions.ConnectTimeout as exc:
                return None, ("connect-timeout", False, exc)
            except requests.exceptions.ReadTimeout as exc:
                return None, ("timeout", True, exc)
            except requests.exceptions.ConnectionError as exc:
                return None, ("connection", _was_connected(exc), exc)
        self.metrics.request(method, len(data or b""), len(response.content or b""), time.monotonic() - started)
        return response, None

    def _wait(self, attempt, retry_after):
        self.metrics.incr("retries")
        kwargs = {"rng": self._rng} if self._rng else {}
        self._sleep(self.retry.delay(attempt, retry_after, **kwargs))

    def _connection_error(self, kind, method, url, exc):
        tries = self.retry.retries + 1
        if kind in ("timeout", "connect-timeout"):
            return Timeout(f"{self.service} did not answer {method} {url} within {self.timeout}s ({tries} attempts)",
                           method=method, url=url)
        reason = str(exc.__context__ or exc).rsplit(":", maxsplit=1)[-1].strip() or exc.__class__.__name__
        return ConnectionFailed(f"cannot reach {self.service} at {self.base_url} ({method} {url}): {reason}",
                                method=method, url=url)


def _was_connected(exc):
    """False when the connection was never established (refused, DNS): the request was not sent."""
    text = repr(exc)
    return not any(marker in text for marker in ("NewConnectionError", "Connection refused", "NameResolutionError",
                                                 "Failed to resolve"))
