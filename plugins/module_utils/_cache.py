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
from urllib.parse import urlsplit

from ansible_collections.sot.netbox.plugins.module_utils._errors import SotNetboxError
from ansible_collections.sot.netbox.plugins.module_utils._redact import Redactor

DEFAULT_TTLS = {"static": 3600, "dynamic": 600}
_SCHEMA_VERSION = "1"


def _import_redis():
    """The optional `redis` package, imported only when a Redis cache is configured.

    Importing it costs about 40 ms, and every module task is a new process: most tasks use SQLite.
    """
    try:
        import redis  # pylint: disable=import-outside-toplevel
    except ImportError:
        return None
    return redis


def default_cache_path():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "sot.netbox", "http-cache.sqlite")


_DEFAULT_PORTS = {"http": 80, "https": 443}
_LOOPBACK = ("localhost", "127.0.0.1", "::1", "localhost.localdomain", "ip6-localhost")


def canonical_url(url):
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


def token_fingerprint(token):
    """A one-way fingerprint that separates users' cache entries without storing the token."""
    return hashlib.sha256(("sot.netbox:" + (token or "")).encode()).hexdigest()[:24]


class MemoryBackend:
    """For tests, and for `cache: false` runs that still coalesce reads within one process."""

    def __init__(self, clock=time.time):
        self._clock = clock
        self._data = {}
        self._gens = {}
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            item = self._data.get(key)
            if item is None or item[1] <= self._clock():
                return None
            return item[0]

    def set(self, key, value, ttl):
        with self._lock:
            self._data[key] = (value, self._clock() + ttl)

    def generation(self, name):
        with self._lock:
            return self._gens.get(name, 0)

    def bump(self, name):
        with self._lock:
            self._gens[name] = self._gens.get(name, 0) + 1


class SqliteBackend:
    """One file shared by every process of this user on this machine (and every thread of each)."""

    _SCHEMA = ("CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, value BLOB, expires REAL)",
               "CREATE TABLE IF NOT EXISTS generations (name TEXT PRIMARY KEY, gen INTEGER)")

    def __init__(self, path, clock=time.time, sleep=time.sleep):
        self.path = path
        self._clock = clock
        self._sleep = sleep
        self._local = threading.local()
        self._init_lock = threading.Lock()
        self._ready = False

    def _conn(self):
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

    def _initialise(self, conn):
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

    def get(self, key):
        row = self._conn().execute("SELECT value, expires FROM entries WHERE key = ?", (key,)).fetchone()
        if row is None or row[1] <= self._clock():
            return None
        return row[0]

    def set(self, key, value, ttl):
        now = self._clock()
        conn = self._conn()
        conn.execute("INSERT OR REPLACE INTO entries (key, value, expires) VALUES (?, ?, ?)", (key, value, now + ttl))
        # Keep the file small: expired rows go on writes, a cheap indexed-free sweep on a small table.
        if int(now) % 16 == 0:
            conn.execute("DELETE FROM entries WHERE expires <= ?", (now,))

    def generation(self, name):
        row = self._conn().execute("SELECT gen FROM generations WHERE name = ?", (name,)).fetchone()
        return row[0] if row else 0

    def bump(self, name):
        self._conn().execute(
            "INSERT INTO generations (name, gen) VALUES (?, 1) ON CONFLICT(name) DO UPDATE SET gen = gen + 1", (name,))


class RedisBackend:
    """Shared by every node of an AWX cluster. Generations are Redis counters (INCR is atomic)."""

    def __init__(self, url, client=None):
        if client is None:
            redis = _import_redis()
            if redis is None:
                raise SotNetboxError("cache_redis_url: the Python package 'redis' is required for a Redis cache")
            client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self._r = client

    def get(self, key):
        return self._r.get(key)

    def set(self, key, value, ttl):
        self._r.set(key, value, ex=max(1, int(ttl)))

    def generation(self, name):
        value = self._r.get(name)
        return int(value) if value is not None else 0

    def bump(self, name):
        self._r.incr(name)


class ResponseCache:
    """Namespaced, generation-invalidated, TTL cache of JSON responses.

    A backend that fails (Redis unreachable, a cache file that cannot be opened) is a warning, not an
    error: the run goes on with an in-process cache only. Entries never hold the token in any form.
    """

    def __init__(self, backend, base_url, token, ttls=None, variant=""):
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

    def enabled(self, kind):
        """False for a kind whose TTL is 0: no caching, and no reading of entries stored earlier."""
        return self.ttls.get(kind, DEFAULT_TTLS["dynamic"]) > 0

    def _gen_name(self, endpoint):
        return self._gen_prefix + endpoint

    def _backend_call(self, what, *args):
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

    def _degrade(self, exc):
        self.degraded = True
        self.backend = MemoryBackend()
        reason = getattr(exc, "message", None) or str(exc) or exc.__class__.__name__
        text = self._redact(f"the response cache cannot be used ({reason[:200]}); going on without it "
                            "(check cache_redis_url / cache_path, or set cache: false)")
        if self.on_warning is not None:
            self.on_warning(text)

    def key(self, endpoint, request_key):
        gen = self._backend_call("generation", self._gen_name(endpoint))
        digest = hashlib.sha256(request_key.encode()).hexdigest()
        return f"{self._ns}:{endpoint}:g{gen}:{digest}"

    def get(self, key):
        raw = self._backend_call("get", key)
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return None  # a torn or foreign entry is a miss, never an error

    def set(self, key, value, kind):
        ttl = self.ttls.get(kind, DEFAULT_TTLS["dynamic"])
        if ttl <= 0:
            return
        text = json.dumps(value, separators=(",", ":"))
        if self._redact:
            redacted = self._redact.text(text)
            if redacted != text:
                return  # an answer that carries the token is never stored
        self._backend_call("set", key, text.encode(), ttl)

    def invalidate(self, endpoint):
        self._backend_call("bump", self._gen_name(endpoint))
