# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The NetBox client: version learning, features, requests, cached reads, warnings; pagination
(`_client_paging.py`), writes (`_client_writes.py`) and option checks (`_client_input.py`) are mixed in.

PRIVATE to the collection. No Ansible imports: modules reach it through `_module.py`, the
inventory plugin through `_plugin.py`, and tests build it directly with a fake session. The
session, the retries, unreadable answers and connection/TLS errors are `_http.HttpTransport`'s.
The constructor does no I/O.
"""
from __future__ import annotations

import concurrent.futures
import json
import threading
import time
from typing import Any, Callable
from urllib.parse import urlencode

from ansible_collections.sot.netbox.plugins.module_utils._cache import entry
# The client's parts, re-exported: every name importable from `_client` before the split still is.
from ansible_collections.sot.netbox.plugins.module_utils._client_input import (  # noqa: F401 pylint: disable=unused-import
    authorization_header, check_client_cert, check_headers, check_url)
from ansible_collections.sot.netbox.plugins.module_utils._client_paging import (  # noqa: F401 pylint: disable=unused-import
    DEFAULT_PAGE_SIZE, MAX_URL_LENGTH, PagingMixin, list_chunks, list_params as _list_params, unique as _unique)
from ansible_collections.sot.netbox.plugins.module_utils._client_writes import (  # noqa: F401 pylint: disable=unused-import
    DEFAULT_BATCH_SIZE, WritesMixin, endpoint_of, endpoints_written)
from ansible_collections.sot.netbox.plugins.module_utils._errors import (
    BranchIdentifierInvalid, FeatureUnsupported, InputError, NotFound, error_for_status)
from ansible_collections.sot.netbox.plugins.module_utils._domain_errors import PluginMissing
from ansible_collections.sot.netbox.plugins.module_utils._features import Feature, feature, parse_version
from ansible_collections.sot.netbox.plugins.module_utils._http import (  # noqa: F401 pylint: disable=unused-import
    HAS_REQUESTS, READ_METHODS, USER_AGENT, HttpTransport, _header, _text, split_http_url)
from ansible_collections.sot.netbox.plugins.module_utils._records import record
from ansible_collections.sot.netbox.plugins.module_utils._redact import Redactor


def request_key(method: str, path: str, params: dict | None) -> str:
    items = sorted((str(k), str(v)) for k, v in (params or {}).items())
    return f"{method} {path.strip('/')}?{urlencode(items)}"


class NetboxClient(PagingMixin, WritesMixin, HttpTransport):
    """A NetBox REST client. Thread-safe; concurrency is bounded by `max_workers` in-flight requests."""

    rerun_hint = "then run again (the run reads back what exists)"

    def __init__(self, url: str | None, token: str | None, validate_certs: bool = True, ca_path: str | None = None,
                 timeout: float = 30, headers: dict | None = None, max_workers: int = 4,
                 page_size: int = DEFAULT_PAGE_SIZE, retry: Any = None, cache: Any = None, metrics: Any = None,
                 session: Any = None, sleep: Callable[[float], Any] = time.sleep, rng: Any = None, cert: Any = None,
                 key: str | None = None) -> None:
        base_url = check_url(url)
        if int(max_workers) < 1:
            raise InputError("max_workers", max_workers, "must be at least 1")
        self._auth = authorization_header(token)
        self.token_version = 2 if self._auth.startswith("Bearer ") else 1
        super().__init__("NetBox", base_url, validate_certs=validate_certs, ca_path=ca_path, timeout=timeout,
                         max_workers=max_workers, retry=retry, metrics=metrics, session=session, sleep=sleep,
                         rng=rng, cert=check_client_cert(cert, key), redact=Redactor(token))
        self.headers = check_headers(headers)
        self.page_size = int(page_size)
        self.cache = cache
        self._inflight = {}
        self._inflight_lock = threading.Lock()
        # The server's version, from the API-Version header of the first answer (no extra request).
        self.api_version = None
        self._version_lock = threading.Lock()
        self._pending = {}  # features required before the version was known: name -> optional
        self.warnings = []
        self.branch = None  # the NetBox branch every request goes to (_branching.use_branch), or None: main
        # Re-resolves the branch by name when NetBox no longer knows its schema id (set by use_branch).
        self.branch_refresh: Callable[[], None] | None = None
        self._branch_lock = threading.RLock()
        if cache is not None and hasattr(cache, "on_warning"):
            cache.on_warning = self.warn

    def warn(self, text: Any) -> None:
        """One warning for the user (deduplicated, redacted); modules and the inventory show them all."""
        text = self.redact(str(text))
        with self._version_lock:
            if text not in self.warnings:
                self.warnings.append(text)

    # ------------------------------------------------------------------ versions and features

    def supports(self, name: str) -> bool | None:
        """True/False once the server's version is known, None before its first answer."""
        wanted = feature(name)
        if self.api_version is None:
            return None
        return self.api_version >= wanted.minimum

    def require(self, name: str, optional: bool = False) -> bool:
        """Check that NetBox is new enough for feature `name` (declared in `_features.FEATURES`).

        Not optional: raises FeatureUnsupported naming the feature, the version it needs and the
        server's. Optional: warns once and returns False. Before the first answer the check is
        deferred to it (and made before the first write); returns True meanwhile.
        """
        wanted = feature(name)
        if wanted.probe and not self._probe(wanted, optional):
            return False
        with self._version_lock:
            known = self.api_version
            if known is None:
                self._pending[name] = self._pending.get(name, True) and optional
                return True
        return self._check(wanted, optional)

    def _probe(self, wanted: Feature, optional: bool) -> bool:
        """A plugin's feature is there when the plugin's API root answers (read once, then cached)."""
        if self.get(record(wanted.probe).path(), cache="static") is not None:
            return True
        if optional:
            self.warn(f"{wanted.description} is not installed on this NetBox: going on without it")
            return False
        raise PluginMissing(wanted.description, "the options that need it")

    def pause(self, attempt: int) -> float:
        """Wait before poll number `attempt` (0-based) with the one retry policy: bounded, jittered,
        its sleep injected (tests never sleep). Returns the seconds waited."""
        kwargs = {"rng": self._rng} if self._rng else {}
        delay = self.retry.delay(attempt, **kwargs)
        self._sleep(delay)
        return delay

    def _check(self, wanted: Feature, optional: bool) -> bool:
        if self.api_version >= wanted.minimum:
            return True
        server = "NetBox " + ".".join(str(p) for p in self.api_version)
        if optional:
            self.warn(f"{wanted.description} needs NetBox {wanted.minimum_text} or later and {server} answered: "
                      "going on without it")
            return False
        raise FeatureUnsupported(wanted.description, wanted.minimum_text, server)

    def answered(self, response: Any) -> None:
        """The server's version from the first answer's API-Version header."""
        if self.api_version is not None:
            return
        version = parse_version(_header(response, "API-Version"))
        if version is None:
            return
        with self._version_lock:
            if self.api_version is not None:
                return
            self.api_version = version
            pending, self._pending = self._pending, {}
        if self.token_version == 1 and version >= feature("v2_tokens").minimum:
            self.warn("a v1 API token is used, and this NetBox (" + ".".join(map(str, version)) + ") supports v2 "
                      "tokens (nbt_<key>.<secret>), which NetBox recommends; v1 tokens are deprecated. Create a v2 "
                      "token in NetBox and set it as token (or NETBOX_TOKEN)")
        for name, optional in pending.items():
            self._check(feature(name), optional)

    # ------------------------------------------------------------------ transport

    def url_for(self, path: str) -> str:
        if path.startswith("http://") or path.startswith("https://"):
            return path
        return f"{self.base_url}/api/{path.strip('/')}/"

    def request(self, method: str, path: str, params: dict | None = None, body: Any = None) -> Any:
        """One HTTP call with the retry policy; returns the decoded JSON body (None when empty)."""
        if self._pending and self.api_version is None and method not in READ_METHODS:
            self.request("GET", record("status").path())  # features were required: know the version before the first write
        url = self.url_for(path)
        data = None if body is None else json.dumps(body).encode()
        sent = self.branch
        try:
            return self._send_json(method, url, params, data)
        except BranchIdentifierInvalid:
            # The branch's schema id came from the cache and the branch was re-created since. NetBox's
            # middleware refused the request before anything ran, so sending it again is safe: once.
            if not self._branch_refreshed(sent):
                raise
            return self._send_json(method, url, params, data)

    def _branch_refreshed(self, sent: Any) -> bool:
        """After NetBox refused the branch the request went to (`sent`): True when the branch is found
        again (by this thread, or already by another one), False when there is nothing more to try."""
        with self._branch_lock:
            if self.branch is not sent:
                return True
            refresh, self.branch_refresh = self.branch_refresh, None
            if refresh is None:
                return False
            refresh()
            return True

    def _send_json(self, method: str, url: str, params: dict | None, data: bytes | None) -> Any:
        headers = {"Authorization": self._auth, "Accept": "application/json", "User-Agent": USER_AGENT,
                   **self.headers}
        if data is not None:
            headers["Content-Type"] = "application/json"
        return self.send(method, url, params=params, data=data, headers=headers, decode=True,
                         classify=lambda response: error_for_status(response.status_code, method, url,
                                                                    self.redact(_text(response))))

    # ------------------------------------------------------------------ reading

    def get(self, path: str, params: dict | None = None, cache: str | None = None) -> Any:
        """GET one resource. 404 -> None. `cache` is a TTL kind ('static'/'dynamic') or None."""
        try:
            return self._cached_get(path, params, cache, lambda: self.request("GET", path, params))
        except NotFound:
            return None

    def status(self) -> Any:
        return self.request("GET", record("status").path())

    def list(self, path: str, params: dict | None = None, cache: str | None = None, **options: Any) -> list:
        """All objects as a list; with `cache`, the whole list is one cache entry."""
        key_params = {**(params or {}), **{f"_{k}": v for k, v in sorted(options.items())}}
        return self._cached_get(path, key_params, cache, lambda: list(self.iter_all(path, params, **options)))

    def _cached_get(self, path: str, params: dict | None, kind: str | None, fetch: Callable[[], Any]) -> Any:
        """Cache lookup, then one shared in-flight fetch for identical concurrent requests."""
        rkey = request_key("GET", path, params)
        cached = entry(self.cache, endpoint_of(path), rkey, kind)  # None: not cached (no cache, TTL 0)
        if cached is not None:
            hit = cached.lookup(self.metrics)
            if hit is not None:
                return hit
        with self._inflight_lock:
            future = self._inflight.get(rkey)
            owner = future is None
            if owner:
                future = concurrent.futures.Future()
                self._inflight[rkey] = future
        if not owner:
            self.metrics.incr("coalesced")
            return future.result()
        try:
            value = fetch()
            if cached is not None:
                cached.store(value)
            future.set_result(value)
            return value
        except BaseException as exc:
            future.set_exception(exc)
            raise
        finally:
            with self._inflight_lock:
                self._inflight.pop(rkey, None)
