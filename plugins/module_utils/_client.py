# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The NetBox client: version learning, features, pagination, bulk writes, cache, warnings.

PRIVATE to the collection. No Ansible imports: modules reach it through `_module.py`, the
inventory plugin through `_plugin.py`, and tests build it directly with a fake session. The
session, the retries, unreadable answers and connection/TLS errors are `_http.HttpTransport`'s.
The constructor does no I/O.
"""
from __future__ import annotations

import concurrent.futures
import json
import os
import re
import threading
import time
from urllib.parse import urlencode

from ansible_collections.sot.netbox.plugins.module_utils._errors import (
    ALREADY_GONE, FeatureUnsupported, InputError, NotFound, PluginMissing, RequestValidationFailed, SotNetboxError,
    classify_rejection, error_for_status)
from ansible_collections.sot.netbox.plugins.module_utils._features import feature, parse_version
from ansible_collections.sot.netbox.plugins.module_utils._http import (  # noqa: F401 pylint: disable=unused-import
    HAS_REQUESTS, READ_METHODS, USER_AGENT, HttpTransport, _header, _text, split_http_url)
from ansible_collections.sot.netbox.plugins.module_utils._records import record
from ansible_collections.sot.netbox.plugins.module_utils._redact import Redactor

DEFAULT_PAGE_SIZE = 1000  # NetBox's default MAX_PAGE_SIZE; a larger limit is silently capped by the server
DEFAULT_BATCH_SIZE = 200
# Longest request URL `list_by` builds: well under the 8 KiB most servers and proxies accept.
MAX_URL_LENGTH = 4000
# An HTTP header name (RFC 9110 token); values may not contain CR, LF or NUL.
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
# What may stand in an Authorization header: NetBox decides whether the token is right (its 401/403
# speak for a wrong one); we only refuse what cannot be sent (whitespace, control or non-ASCII).
_TOKEN_V1 = re.compile(r"^[!-~]{1,512}$")
_TOKEN_V2 = re.compile(r"^nbt_[A-Za-z0-9]+\.[!-~]+$")
# A create through one of these sub-resources writes to another endpoint: invalidate that one too.
_WRITES_THROUGH = {
    "available-prefixes": "ipam/prefixes",
    "available-ips": "ipam/ip-addresses",
    "available-vlans": "ipam/vlans",
    "available-asns": "ipam/asns",
}


def authorization_header(token):
    """NetBox v2 tokens (`nbt_<key>.<secret>`, NetBox >= 4.5) are Bearer; anything else is sent as a
    v1 `Token` (hex before NetBox 4.7, mixed-case letters and digits from 4.7 on)."""
    if not token:
        raise InputError("token", "(empty)", "a NetBox API token is required (option token or env NETBOX_TOKEN)")
    token = token.strip()
    # Never echo the token: name only its shape.
    if token.startswith("nbt_"):
        if not _TOKEN_V2.match(token):
            raise InputError("token", f"<{len(token)} characters starting nbt_>",
                             "not a NetBox v2 token: expected nbt_<key>.<secret> of printable ASCII, no spaces")
        return "Bearer " + token
    if _TOKEN_V1.match(token):
        return "Token " + token
    raise InputError("token", f"<{len(token)} characters>",
                     "not a NetBox token: a v1 token is printable ASCII with no spaces or line breaks; "
                     "a v2 token is nbt_<key>.<secret>")


def endpoint_of(path):
    """The collection endpoint a path reads or writes: 'dcim/devices/5/' -> 'dcim/devices'."""
    parts = [p for p in path.strip("/").split("/") if p]
    if parts and parts[0] == "api":
        parts = parts[1:]
    return "/".join(parts[:2])


def endpoints_written(path):
    touched = {endpoint_of(path)}
    tail = path.strip("/").split("/")[-1]
    if tail in _WRITES_THROUGH:
        touched.add(_WRITES_THROUGH[tail])
    return touched


def request_key(method, path, params):
    items = sorted((str(k), str(v)) for k, v in (params or {}).items())
    return f"{method} {path.strip('/')}?{urlencode(items)}"


def _batches(items, size):
    for i in range(0, len(items), size):
        yield items[i:i + size]


class NetboxClient(HttpTransport):
    """A NetBox REST client. Thread-safe; concurrency is bounded by `max_workers` in-flight requests."""

    rerun_hint = "then run again (the run reads back what exists)"

    def __init__(self, url, token, validate_certs=True, ca_path=None, timeout=30, headers=None, max_workers=4,
                 page_size=DEFAULT_PAGE_SIZE, retry=None, cache=None, metrics=None, session=None,
                 sleep=time.sleep, rng=None, cert=None, key=None):
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
        if cache is not None and hasattr(cache, "on_warning"):
            cache.on_warning = self.warn

    def warn(self, text):
        """One warning for the user (deduplicated, redacted); modules and the inventory show them all."""
        text = self.redact(str(text))
        with self._version_lock:
            if text not in self.warnings:
                self.warnings.append(text)

    # ------------------------------------------------------------------ versions and features

    def supports(self, name):
        """True/False once the server's version is known, None before its first answer."""
        wanted = feature(name)
        if self.api_version is None:
            return None
        return self.api_version >= wanted.minimum

    def require(self, name, optional=False):
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

    def _probe(self, wanted, optional: bool) -> bool:
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

    def _check(self, wanted, optional):
        if self.api_version >= wanted.minimum:
            return True
        server = "NetBox " + ".".join(str(p) for p in self.api_version)
        if optional:
            self.warn(f"{wanted.description} needs NetBox {wanted.minimum_text} or later and {server} answered: "
                      "going on without it")
            return False
        raise FeatureUnsupported(wanted.description, wanted.minimum_text, server)

    def answered(self, response):
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

    def url_for(self, path):
        if path.startswith("http://") or path.startswith("https://"):
            return path
        return f"{self.base_url}/api/{path.strip('/')}/"

    def request(self, method, path, params=None, body=None):
        """One HTTP call with the retry policy; returns the decoded JSON body (None when empty)."""
        if self._pending and self.api_version is None and method not in READ_METHODS:
            self.request("GET", "status")  # features were required: know the version before the first write
        url = self.url_for(path)
        data = None if body is None else json.dumps(body).encode()
        headers = {"Authorization": self._auth, "Accept": "application/json", "User-Agent": USER_AGENT,
                   **self.headers}
        if data is not None:
            headers["Content-Type"] = "application/json"
        return self.send(method, url, params=params, data=data, headers=headers, decode=True,
                         classify=lambda response: error_for_status(response.status_code, method, url,
                                                                    self.redact(_text(response))))

    # ------------------------------------------------------------------ reading

    def get(self, path, params=None, cache=None):
        """GET one resource. 404 -> None. `cache` is a TTL kind ('static'/'dynamic') or None."""
        try:
            return self._cached_get(path, params, cache, lambda: self.request("GET", path, params))
        except NotFound:
            return None

    def status(self):
        return self.request("GET", "status")

    def iter_all(self, path, params=None, fields=None, brief=False, omit=None, cursor=False, page_size=None):
        """Every object of a list endpoint. Callers never see `next`.

        Offset mode (default) reads the first page, then the rest concurrently (bounded), yielding in
        order with at most `max_workers` pages held. Cursor mode (`start=`, NetBox >= 4.6) pages by id
        sequentially; it avoids the COUNT and OFFSET costs on very large tables.
        """
        params = _list_params(params, fields, brief, omit)
        size = int(page_size or self.page_size)
        if cursor:
            yield from self._iter_cursor(path, params, size)
            return
        first = self.request("GET", path, {**params, "limit": size, "offset": 0})
        seen = set()
        yield from _unique(first["results"], seen)
        if not first.get("next"):
            return
        count = int(first.get("count") or 0)
        # The server may cap `limit` below what we asked (MAX_PAGE_SIZE): page by what it returned.
        step = len(first["results"]) or size
        offsets = list(range(step, count, step))
        last = None
        for page in self._map_ordered(lambda off: self.request("GET", path, {**params, "limit": step, "offset": off}),
                                      offsets):
            last = page
            yield from _unique(page["results"], seen)
        # Objects created while we paged: follow `next` from the last page (rare, sequential).
        while last is not None and last.get("next"):
            last = self.request("GET", last["next"])
            yield from _unique(last["results"], seen)

    def _iter_cursor(self, path, params, size):
        start = 0
        while True:
            page = self.request("GET", path, {**params, "start": start, "limit": size})
            results = page["results"]
            if start == 0 and self.supports("cursor_paging") is False:
                # An older NetBox ignores start= and answers by offset: paging by id would loop on page 1.
                self.require("cursor_paging", optional=True)
                yield from self._follow_next(page)
                return
            yield from results
            if not page.get("next") or not results:
                return
            start = max(r["id"] for r in results) + 1

    def _follow_next(self, page):
        seen = set()
        while True:
            yield from _unique(page["results"], seen)
            if not page.get("next"):
                return
            page = self.request("GET", page["next"])

    def list_by(self, path, field, values, params=None, cache=None, max_url=MAX_URL_LENGTH, **options):
        """Every object whose `field` (id, name, slug...) is one of `values`, without HTTP 414.

        Long value lists are sent in as many requests as keep each URL under `max_url` characters
        (NetBox ORs repeated filter values); results come back once each, in request order.
        """
        values = list(dict.fromkeys(str(v) for v in values))
        if not values:
            return []
        fixed = _list_params(params, options.get("fields"), options.get("brief"), options.get("omit"))
        base = len(self.url_for(path)) + len(urlencode(sorted(fixed.items()), doseq=True)) + 40  # limit/offset
        out, seen = [], set()
        for chunk in list_chunks(values, field, base, max_url):
            out.extend(_unique(self.list(path, {**(params or {}), field: chunk}, cache=cache, **options), seen))
        return out

    def list(self, path, params=None, cache=None, **options):
        """All objects as a list; with `cache`, the whole list is one cache entry."""
        key_params = {**(params or {}), **{f"_{k}": v for k, v in sorted(options.items())}}
        return self._cached_get(path, key_params, cache, lambda: list(self.iter_all(path, params, **options)))

    def fetch_concurrently(self, calls):
        """Run several zero-argument callables at once (e.g. devices, VMs and assignments).

        Returns their results in a dict with the same keys. HTTP concurrency stays bounded by
        `max_workers` because every request takes a slot.
        """
        if len(calls) <= 1:
            return {k: fn() for k, fn in calls.items()}
        with concurrent.futures.ThreadPoolExecutor(max_workers=len(calls)) as pool:
            futures = {k: pool.submit(fn) for k, fn in calls.items()}
            return {k: f.result() for k, f in futures.items()}

    def _map_ordered(self, fn, items):
        """fn over items with bounded concurrency, yielding results in input order, holding few at once."""
        if not items:
            return
        with concurrent.futures.ThreadPoolExecutor(max_workers=self.max_workers) as pool:
            window = []
            iterator = iter(items)
            for item in iterator:
                window.append(pool.submit(fn, item))
                if len(window) >= self.max_workers:
                    break
            while window:
                future = window.pop(0)
                result = future.result()
                nxt = next(iterator, None)
                if nxt is not None:
                    window.append(pool.submit(fn, nxt))
                yield result

    def _cached_get(self, path, params, kind, fetch):
        """Cache lookup, then one shared in-flight fetch for identical concurrent requests."""
        rkey = request_key("GET", path, params)
        cache_key = None
        # A TTL of 0 means no caching: entries already stored are not read either.
        if kind and self.cache is not None and self.cache.enabled(kind):
            cache_key = self.cache.key(endpoint_of(path), rkey)
            hit = self.cache.get(cache_key)
            if hit is not None:
                self.metrics.incr("cache_hits")
                return hit
            self.metrics.incr("cache_misses")
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
            if cache_key is not None:
                self.cache.set(cache_key, value, kind)
            future.set_result(value)
            return value
        except BaseException as exc:
            future.set_exception(exc)
            raise
        finally:
            with self._inflight_lock:
                self._inflight.pop(rkey, None)

    # ------------------------------------------------------------------ writing

    def create(self, path, objects, batch_size=DEFAULT_BATCH_SIZE):
        """Bulk POST in batches. On failure the error's result['created'] lists what was created."""
        return self._bulk("POST", path, list(objects), batch_size, "created")

    def update(self, path, objects, batch_size=DEFAULT_BATCH_SIZE):
        """Bulk PATCH (each object carries its `id`)."""
        return self._bulk("PATCH", path, list(objects), batch_size, "updated")

    def delete(self, path, ids, batch_size=DEFAULT_BATCH_SIZE):
        """Bulk DELETE by id; ids already gone count as deleted (404 on DELETE means absent)."""
        ids = list(ids)
        done = []
        try:
            for batch in _batches(ids, batch_size):
                try:
                    self.request("DELETE", path, body=[{"id": i} for i in batch])
                except (NotFound, RequestValidationFailed) as exc:
                    # NetBox 4.7 refuses a whole bulk DELETE with a 400 when some ids are gone already.
                    if not isinstance(exc, NotFound) and classify_rejection(exc).kind != ALREADY_GONE:
                        raise
                    for obj_id in batch:  # somebody deleted some already: finish one by one
                        try:
                            self.request("DELETE", f"{path.strip('/')}/{obj_id}")
                        except NotFound:
                            pass
                done.extend(batch)
        except SotNetboxError as exc:
            exc.result.setdefault("deleted", done)
            raise
        finally:
            self._invalidate(path, bool(done) or bool(ids))
        return done

    def create_one(self, path, body):
        """POST one object (or to an `available-*` endpoint, where NetBox serializes allocation)."""
        try:
            return self.request("POST", path, body=body)
        finally:
            self._invalidate(path, True)

    def update_one(self, path, obj_id, body):
        try:
            return self.request("PATCH", f"{path.strip('/')}/{obj_id}", body=body)
        finally:
            self._invalidate(path, True)

    def _bulk(self, method, path, objects, batch_size, label):
        done = []
        try:
            for batch in _batches(objects, batch_size):
                result = self.request(method, path, body=batch)
                done.extend(result if isinstance(result, list) else [result])
        except SotNetboxError as exc:
            exc.result.setdefault(label, done)
            raise
        finally:
            self._invalidate(path, bool(objects))
        return done

    def _invalidate(self, path, wrote):
        if wrote and self.cache is not None:
            for endpoint in endpoints_written(path):
                self.cache.invalidate(endpoint)


def _list_params(params, fields, brief, omit):
    out = dict(params or {})
    if fields:
        out["fields"] = ",".join(fields) if not isinstance(fields, str) else fields
    if brief:
        out["brief"] = "true"
    if omit:
        out["omit"] = ",".join(omit) if not isinstance(omit, str) else omit
    return out


def _unique(results, seen):
    """Offset paging can repeat a row when objects are created meanwhile: yield each id once."""
    for obj in results:
        oid = obj.get("id") if isinstance(obj, dict) else None
        if oid is None:
            yield obj
            continue
        if oid in seen:
            continue
        seen.add(oid)
        yield obj


def check_url(url):
    """The base URL (no trailing '/' or '/api'), or InputError naming `url` for what cannot be a NetBox URL."""
    if not url:
        raise InputError("url", url, "the NetBox URL is required (option url or env NETBOX_URL/NETBOX_API)")
    parts = split_http_url("url", url, "https://netbox.example.com")
    if parts.query or parts.fragment:
        raise InputError("url", url, "must be the base URL of NetBox, without ?query or #fragment")
    if "@" in parts.netloc:
        raise InputError("url", "<url with credentials>", "must not carry a user or password; use token")
    base = url.rstrip("/")
    return base[:-4] if base.endswith("/api") else base


def check_headers(headers):
    """Extra headers as {str: str}; CR/LF/NUL, non-string names and structured values are refused up front."""
    if headers is None:
        return {}
    if not isinstance(headers, dict):
        raise InputError("headers", type(headers).__name__, "must be a mapping of header names to values")
    out = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
            raise InputError("headers", name, "a header name must be letters, digits and -_.!#$%&'*+^`|~ only")
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise InputError(f"headers.{name}", type(value).__name__, "a header value must be a string")
        value = str(value)
        if any(c in value for c in "\r\n\0"):
            raise InputError(f"headers.{name}", "<value with a line break or NUL>",
                             "a header value must not contain line breaks or NUL characters")
        if name.lower() != "authorization":  # the token decides the Authorization header
            out[name] = value
    return out


def check_client_cert(cert, key):
    """What requests takes as `cert`: None, a path, or (cert, key). netbox.netbox's list form is accepted."""
    if isinstance(cert, (list, tuple)):
        if len(cert) != 2 or key:
            raise InputError("cert", cert, "a list must be [certificate file, key file]; or set cert and key")
        cert, key = cert
    if not cert:
        if key:
            raise InputError("key", "<path>", "a client key needs its certificate: set cert as well")
        return None
    for option, path in (("cert", cert), ("key", key)):
        if path is None:
            continue
        if not isinstance(path, str) or not os.path.isfile(os.path.expanduser(path)):
            raise InputError(option, path, "must be a readable PEM file on the machine that runs the task")
    cert = os.path.expanduser(cert)
    return (cert, os.path.expanduser(key)) if key else cert


def list_chunks(values, field, base_length, max_length=MAX_URL_LENGTH):
    """Split filter values so that each request URL stays under `max_length` characters."""
    chunks, current, size = [], [], base_length
    for value in values:
        piece = len(urlencode({field: value})) + 1
        if base_length + piece > max_length:
            raise InputError(field, value if len(value) <= 60 else value[:60] + "...",
                             f"is too long to send as a NetBox filter (a URL longer than {max_length} characters)")
        if current and size + piece > max_length:
            chunks.append(current)
            current, size = [], base_length
        current.append(value)
        size += piece
    if current:
        chunks.append(current)
    return chunks
