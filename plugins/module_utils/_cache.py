# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A response cache that survives between tasks. PRIVATE to the collection.

Every Ansible task is a new process, so the cache lives outside it: a SQLite file under the user's
cache directory by default (safe for many processes on one machine: WAL, short transactions), or
Redis for AWX clusters where jobs land on different nodes.

Keys: NetBox URL + sha256 of the token + the request. Tokens are never stored.
Invalidation: every endpoint has a generation number that is part of its keys; a write through the
client increments the generation of the endpoints it touched, so every process's older entries for
that endpoint become unreachable at once. An entry written by a reader that raced a writer lands
under the old generation and is never read. Entries expire by TTL per kind (static lookups and
dynamic data).
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from typing import Any, Callable
from urllib.parse import urlsplit

from ansible_collections.sot.netbox.plugins.module_utils._errors import SotNetboxError
from ansible_collections.sot.netbox.plugins.module_utils._redact import Redactor

DEFAULT_TTLS = {"static": 3600, "dynamic": 600}
_SCHEMA_VERSION = "1"


def _import_redis() -> Any:
    """The optional `redis` package, imported only when a Redis cache is configured.

    Importing it costs about 40 ms, and every module task is a new process: most tasks use SQLite.
    """
    try:
        import redis  # pylint: disable=import-outside-toplevel
    except ImportError:
        return None
    return redis


def default_cache_path() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "sot.netbox", "http-cache.sqlite")


_DEFAULT_PORTS = {"http": 80, "https": 443}
_LOOPBACK = ("localhost", "127.0.0.1", "::1", "localhost.localdomain", "ip6-localhost")


def canonical_url(url: str | None) -> str:
    """One spelling per NetBox, so every spelling shares one cache namespace (and one invalidation).

    Case of scheme and host, a default port, a trailing '/' or '/api' and the loopback spellings
    (localhost, 127.0.0.1, [::1]) do not change which NetBox answers.
    """
    text = (url or "").strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return text.rstrip("/")
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if host in _LOOPBACK or host.startswith("127."):
        host = "loopback"
    if port is None or port == _DEFAULT_PORTS.get(scheme):
        port = None
    path = parts.path.rstrip("/")
    if path.endswith("/api"):
        path = path[:-4]
    netloc = host if port is None else f"{host}:{port}"
    return f"{scheme}://{netloc}{path.rstrip('/')}"


def token_fingerprint(token: str | None) -> str:
    """A one-way fingerprint that separates users' cache entries without storing the token."""
    return hashlib.sha256(("sot.netbox:" + (token or "")).encode()).hexdigest()[:24]


class MemoryBackend:
    """For tests, and for `cache: false` runs that still coalesce reads within one process."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._data = {}
        self._gens = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Any:
        with self._lock:
            item = self._data.get(key)
            if item is None or item[1] <= self._clock():
                return None
            return item[0]

    def set(self, key: str, value: Any, ttl: float) -> None:
        with self._lock:
            self._data[key] = (value, self._clock() + ttl)

    def generation(self, name: str) -> int:
        with self._lock:
            return self._gens.get(name, 0)

    def bump(self, name: str) -> None:
        with self._lock:
            self._gens[name] = self._gens.get(name, 0) + 1


class SqliteBackend:
    """One file shared by every process of this user on this machine (and every thread of each)."""

    _SCHEMA = ("CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, value BLOB, expires REAL)",
               "CREATE TABLE IF NOT EXISTS generations (name TEXT PRIMARY KEY, gen INTEGER)")

    def __init__(self, path: str, clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], Any] = time.sleep) -> None:
        self.path = path
        self._clock = clock
        self._sleep = sleep
        self._local = threading.local()
        self._init_lock = threading.Lock()
        self._ready = False

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                os.makedirs(os.path.dirname(self.path), mode=0o700, exist_ok=True)
                conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
                conn.execute("PRAGMA synchronous=NORMAL")
                with self._init_lock:  # threads of one process set the file up once
                    if not self._ready:
                        self._initialise(conn)
                        self._ready = True
            except (OSError, sqlite3.Error) as exc:
                raise SotNetboxError(f"cache_path: cannot open the cache file {self.path!r}: {exc}") from exc
            self._local.conn = conn
        return conn

    def _initialise(self, conn: sqlite3.Connection) -> None:
        """WAL and the tables. Switching to WAL takes an exclusive lock that SQLite does not wait for
        (no busy handler), so several processes creating one file at once retry briefly."""
        for attempt in range(50):
            try:
                if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                    conn.execute("PRAGMA journal_mode=WAL")
                for statement in self._SCHEMA:
                    conn.execute(statement)
                os.chmod(self.path, 0o600)
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or attempt == 49:
                    raise
                self._sleep(0.05 + 0.01 * attempt)

    def get(self, key: str) -> Any:
        row = self._conn().execute("SELECT value, expires FROM entries WHERE key = ?", (key,)).fetchone()
        if row is None or row[1] <= self._clock():
            return None
        return row[0]

    def set(self, key: str, value: Any, ttl: float) -> None:
        now = self._clock()
        conn = self._conn()
        conn.execute("INSERT OR REPLACE INTO entries (key, value, expires) VALUES (?, ?, ?)", (key, value, now + ttl))
        # Keep the file small: expired rows go on writes, a cheap indexed-free sweep on a small table.
        if int(now) % 16 == 0:
            conn.execute("DELETE FROM entries WHERE expires <= ?", (now,))

    def generation(self, name: str) -> int:
        row = self._conn().execute("SELECT gen FROM generations WHERE name = ?", (name,)).fetchone()
        return row[0] if row else 0

    def bump(self, name: str) -> None:
        self._conn().execute(
            "INSERT INTO generations (name, gen) VALUES (?, 1) ON CONFLICT(name) DO UPDATE SET gen = gen + 1", (name,))


class RedisBackend:
    """Shared by every node of an AWX cluster. Generations are Redis counters (INCR is atomic)."""

    def __init__(self, url: str, client: Any = None) -> None:
        if client is None:
            redis = _import_redis()
            if redis is None:
                raise SotNetboxError("cache_redis_url: the Python package 'redis' is required for a Redis cache")
            client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self._r = client

    def get(self, key: str) -> Any:
        return self._r.get(key)

    def set(self, key: str, value: Any, ttl: float) -> None:
        self._r.set(key, value, ex=max(1, int(ttl)))

    def generation(self, name: str) -> int:
        value = self._r.get(name)
        return int(value) if value is not None else 0

    def bump(self, name: str) -> None:
        self._r.incr(name)


class ResponseCache:
    """Namespaced, generation-invalidated, TTL cache of JSON responses.

    A backend that fails (Redis unreachable, a cache file that cannot be opened) is a warning, not an
    error: the run goes on with an in-process cache only. Entries never hold the token in any form.
    """

    def __init__(self, backend: Any, base_url: str, token: str | None, ttls: dict | None = None,
                 variant: str = "") -> None:
        self.backend = backend
        self.ttls = {**DEFAULT_TTLS, **(ttls or {})}
        site = hashlib.sha256(canonical_url(base_url).encode()).hexdigest()[:16]
        # `variant`: what else changes NetBox's answers for this client (its extra headers).
        extra = ":" + hashlib.sha256(variant.encode()).hexdigest()[:12] if variant else ""
        self._ns = f"sotnb:{_SCHEMA_VERSION}:{site}:{token_fingerprint(token)}{extra}"
        # Generations are per NetBox, not per token: a write by any user invalidates everyone's reads.
        self._gen_prefix = f"sotnb:gen:{site}:"
        self._redact = Redactor(token)
        self.on_warning = None  # the client's warn(): a failing backend is reported there
        self.degraded = False
        self._lock = threading.Lock()

    def enabled(self, kind: str) -> bool:
        """False for a kind whose TTL is 0: no caching, and no reading of entries stored earlier."""
        return self.ttls.get(kind, DEFAULT_TTLS["dynamic"]) > 0

    def _gen_name(self, endpoint: str) -> str:
        return self._gen_prefix + endpoint

    def _backend_call(self, what: str, *args: Any) -> Any:
        backend = self.backend
        try:
            return getattr(backend, what)(*args)
        except Exception as exc:  # pylint: disable=broad-except  # any backend failure: go on uncached
            if isinstance(backend, MemoryBackend):
                raise
            with self._lock:  # threads failing at once: one warning, one replacement
                if self.backend is backend:
                    self._degrade(exc)
            return getattr(self.backend, what)(*args)

    def _degrade(self, exc: BaseException) -> None:
        self.degraded = True
        self.backend = MemoryBackend()
        reason = getattr(exc, "message", None) or str(exc) or exc.__class__.__name__
        text = self._redact(f"the response cache cannot be used ({reason[:200]}); going on without it "
                            "(check cache_redis_url / cache_path, or set cache: false)")
        if self.on_warning is not None:
            self.on_warning(text)

    def generation(self, endpoint: str) -> int:
        """The endpoint's generation now (one backend read): part of the keys of its entries."""
        return self._backend_call("generation", self._gen_name(endpoint))

    def key(self, endpoint: str, request_key: str, generation: int) -> str:
        """The entry key of one request under `generation` (read once per request by `entry()`): pure."""
        digest = hashlib.sha256(request_key.encode()).hexdigest()
        return f"{self._ns}:{endpoint}:g{generation}:{digest}"

    def get(self, key: str) -> Any:
        raw = self._backend_call("get", key)
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return None  # a torn or foreign entry is a miss, never an error

    def set(self, key: str, value: Any, kind: str) -> None:
        ttl = self.ttls.get(kind, DEFAULT_TTLS["dynamic"])
        if ttl <= 0:
            return
        text = json.dumps(value, separators=(",", ":"))
        if self._redact:
            redacted = self._redact.text(text)
            if redacted != text:
                return  # an answer that carries the token is never stored
        self._backend_call("set", key, text.encode(), ttl)

    def invalidate(self, endpoint: str) -> None:
        self._backend_call("bump", self._gen_name(endpoint))


class Entry:
    """One request's cache entry: its key computed once (one generation read), then read and written
    under that key. A write elsewhere meanwhile bumps the generation, so a value stored here after a
    concurrent write lands under the old generation and is never read: never stale."""

    __slots__ = ("cache", "key", "kind")

    def __init__(self, cache: ResponseCache, key: str, kind: str) -> None:
        self.cache, self.key, self.kind = cache, key, kind

    def lookup(self, metrics: Any) -> Any:
        """The cached value or None, counted as `cache_hits` / `cache_misses` in `metrics`."""
        value = self.cache.get(self.key)
        metrics.incr("cache_hits" if value is not None else "cache_misses")
        return value

    def store(self, value: Any) -> None:
        self.cache.set(self.key, value, self.kind)


def entry(cache: ResponseCache | None, endpoint: str, request: str, kind: str | None) -> Entry | None:
    """The entry of `request` (any text naming what is asked) under `endpoint`'s generation, or None
    when nothing may be cached: no cache, no `kind`, or a TTL of 0 (entries stored earlier are not
    read either)."""
    if cache is None or not kind or not cache.enabled(kind):
        return None
    return Entry(cache, cache.key(endpoint, request, cache.generation(endpoint)), kind)


def cached(cache: ResponseCache | None, metrics: Any, endpoint: str, request: str, kind: str | None,
           fetch: Callable[[], Any]) -> Any:
    """The one cached read: key, get, hit/miss metric, else `fetch()` and set. Every cached read of
    the collection goes through here or through `entry()` (the client adds in-flight coalescing)."""
    found = entry(cache, endpoint, request, kind)
    if found is None:
        return fetch()
    value = found.lookup(metrics)
    if value is None:
        value = fetch()
        found.store(value)
    return value
