# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import multiprocessing
import os
import stat
import subprocess
import sys
import threading

import pytest

from ansible_collections.sot.netbox.plugins.module_utils import _cache
from ansible_collections.sot.netbox.plugins.module_utils._cache import (
    MemoryBackend, RedisBackend, ResponseCache, SqliteBackend, default_cache_path, token_fingerprint)
from ansible_collections.sot.netbox.plugins.module_utils._errors import SotNetboxError

TOKEN = "0123456789abcdef0123456789abcdef01234567"


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


class FakeRedis:
    def __init__(self):
        self.data = {}
        self.ttl = {}

    def get(self, key):
        return self.data.get(key)

    def set(self, key, value, ex=None):
        self.data[key] = value
        self.ttl[key] = ex

    def incr(self, key):
        self.data[key] = int(self.data.get(key, 0)) + 1
        return self.data[key]


def backends(tmp_path, clock):
    return {
        "memory": MemoryBackend(clock=clock),
        "sqlite": SqliteBackend(str(tmp_path / "sub" / "cache.sqlite"), clock=clock),
    }


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_backend_roundtrip_ttl_and_generations(tmp_path, kind):
    clock = Clock()
    backend = backends(tmp_path, clock)[kind]
    assert backend.get("k") is None
    backend.set("k", b"v", 10)
    assert backend.get("k") == b"v"
    clock.now += 10
    assert backend.get("k") is None
    assert backend.generation("g") == 0
    backend.bump("g")
    backend.bump("g")
    assert backend.generation("g") == 2


def test_sqlite_file_is_private(tmp_path):
    backend = SqliteBackend(str(tmp_path / "d" / "c.sqlite"))
    backend.set("k", b"v", 10)
    assert stat.S_IMODE(os.stat(tmp_path / "d" / "c.sqlite").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "d").st_mode) == 0o700


def test_sqlite_unusable_path_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    backend = SqliteBackend(str(blocker / "cache.sqlite"))
    with pytest.raises(SotNetboxError) as info:
        backend.get("k")
    assert "cache_path" in str(info.value)


def test_sqlite_shared_by_threads(tmp_path):
    backend = SqliteBackend(str(tmp_path / "c.sqlite"))

    def work(n):
        for i in range(50):
            backend.set(f"k{n}-{i}", b"x", 60)
            backend.bump("gen")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert backend.generation("gen") == 200
    assert backend.get("k3-49") == b"x"


def test_redis_backend_uses_expiry_and_atomic_counters():
    fake = FakeRedis()
    backend = RedisBackend("redis://unused", client=fake)
    backend.set("k", b"v", 0.4)
    assert fake.ttl["k"] == 1  # never 0: Redis rejects a zero expiry
    backend.bump("g")
    assert backend.generation("g") == 1 and backend.generation("other") == 0


def test_redis_is_imported_only_for_a_redis_cache():
    # Every module task is a new process; importing redis costs ~40 ms that a SQLite cache does not need.
    code = ("import sys; from ansible_collections.sot.netbox.plugins.module_utils import _connection; "
            "_connection.build_client({'url': 'http://nb', 'token': '%s', 'cache_path': sys.argv[1]}); "
            "print('redis' in sys.modules)" % TOKEN)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    out = subprocess.run([sys.executable, "-c", code, os.devnull], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_redis_backend_without_the_package_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(_cache, "_import_redis", lambda: None)
    with pytest.raises(SotNetboxError, match="package 'redis' is required"):
        RedisBackend("redis://localhost:6379/0")


def test_response_cache_invalidation_moves_keys():
    cache = ResponseCache(MemoryBackend(clock=Clock()), "http://nb", TOKEN)
    before = cache.key("ipam/vrfs", "GET ipam/vrfs?", cache.generation("ipam/vrfs"))
    cache.set(before, [{"id": 1}], "static")
    assert cache.get(before) == [{"id": 1}]
    cache.invalidate("ipam/vrfs")
    after = cache.key("ipam/vrfs", "GET ipam/vrfs?", cache.generation("ipam/vrfs"))
    assert after != before and cache.get(after) is None


def test_invalidation_reaches_other_tokens_of_the_same_netbox():
    backend = MemoryBackend(clock=Clock())
    mine = ResponseCache(backend, "http://nb", TOKEN)
    theirs = ResponseCache(backend, "http://nb/", "f" * 40)
    key = theirs.key("ipam/vrfs", "r", theirs.generation("ipam/vrfs"))
    mine.invalidate("ipam/vrfs")
    assert theirs.key("ipam/vrfs", "r", theirs.generation("ipam/vrfs")) != key


@pytest.mark.parametrize("kind, ttl", [("static", 0), ("dynamic", 0)])
def test_zero_ttl_disables_storing(kind, ttl):
    backend = MemoryBackend(clock=Clock())
    cache = ResponseCache(backend, "http://nb", TOKEN, {kind: ttl})
    cache.set("k", [1], kind)
    assert backend.get("k") is None


def test_torn_entry_is_a_miss():
    backend = MemoryBackend(clock=Clock())
    cache = ResponseCache(backend, "http://nb", TOKEN)
    backend.set("k", b"{not json", 10)
    assert cache.get("k") is None


def test_fingerprint_and_default_path(monkeypatch, tmp_path):
    assert TOKEN not in token_fingerprint(TOKEN) and len(token_fingerprint(TOKEN)) == 24
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_path() == str(tmp_path / "sot.netbox" / "http-cache.sqlite")


def _hammer(path):
    backend = SqliteBackend(path)
    errors = []

    def write(i):
        try:
            backend.set(f"k{i}", b"v", 60)
        except SotNetboxError as exc:
            errors.append(exc)
    threads = [threading.Thread(target=write, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    backend.bump("gen")
    if errors:
        raise SystemExit(f"{len(errors)} thread(s) failed: {errors[0]}")


def test_a_new_cache_file_opened_by_many_processes_and_threads_at_once(tmp_path):
    # Regression: switching a new file to WAL takes a lock SQLite does not wait for.
    path = str(tmp_path / "fresh.sqlite")
    procs = [multiprocessing.get_context("fork").Process(target=_hammer, args=(path,)) for _i in range(8)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0] * 8
    assert SqliteBackend(path).generation("gen") == 8


SAME_NETBOX = ["http://127.0.0.1:8000", "http://127.0.0.1:8000/", "http://127.0.0.1:8000/api", "http://127.0.0.1:8000/api/",
               "HTTP://LOCALHOST:8000", "http://localhost:8000/api/", "http://[::1]:8000"]


@pytest.mark.parametrize("url", SAME_NETBOX)
def test_spellings_of_one_netbox_share_one_namespace(url):
    assert _cache.canonical_url(url) == "http://loopback:8000"


@pytest.mark.parametrize("one, other", [("https://NB.example.com:443/", "https://nb.example.com"),
                                        ("http://nb.example.com:80/api", "http://nb.example.com"),
                                        ("https://nb.example.com/netbox/api/", "https://nb.example.com/netbox")])
def test_default_ports_case_and_api_suffix(one, other):
    assert _cache.canonical_url(one) == _cache.canonical_url(other)


@pytest.mark.parametrize("one, other", [("http://nb.example.com", "https://nb.example.com"),
                                        ("http://nb.example.com:8000", "http://nb.example.com:8001"),
                                        ("http://a.example.com", "http://b.example.com"),
                                        ("https://nb.example.com/one", "https://nb.example.com/two")])
def test_different_netboxes_stay_apart(one, other):
    assert _cache.canonical_url(one) != _cache.canonical_url(other)


def test_a_write_through_one_spelling_invalidates_reads_through_another():
    backend = MemoryBackend()
    first = ResponseCache(backend, "http://localhost:8000/", TOKEN)
    second = ResponseCache(backend, "http://127.0.0.1:8000/api", TOKEN)
    key = first.key("ipam/prefixes", "GET ipam/prefixes?", first.generation("ipam/prefixes"))
    first.set(key, [1], "dynamic")
    assert second.get(second.key("ipam/prefixes", "GET ipam/prefixes?", second.generation("ipam/prefixes"))) == [1]
    second.invalidate("ipam/prefixes")
    assert first.get(first.key("ipam/prefixes", "GET ipam/prefixes?", first.generation("ipam/prefixes"))) is None


def test_ttl_zero_disables_a_kind():
    cache = ResponseCache(MemoryBackend(), "http://nb", TOKEN, {"static": 0, "dynamic": 5})
    assert not cache.enabled("static") and cache.enabled("dynamic")


def test_an_answer_carrying_the_token_is_never_stored():
    backend = MemoryBackend()
    cache = ResponseCache(backend, "http://nb", TOKEN, {})
    cache.set("k", {"echo": "Token " + TOKEN}, "static")
    cache.set("k2", {"fine": 1}, "static")
    assert backend.get("k") is None and backend.get("k2") is not None


class CountingBackend(MemoryBackend):
    """Counts generation reads: `key()` with a generation must not read it, `entry()` reads it once."""

    def __init__(self):
        super().__init__()
        self.generation_reads = 0

    def generation(self, name):
        self.generation_reads += 1
        return super().generation(name)


class Counts:
    def __init__(self):
        self.counts = {}

    def incr(self, name, amount=1):
        self.counts[name] = self.counts.get(name, 0) + amount


def test_key_is_pure_given_a_generation():
    backend = CountingBackend()
    cache = ResponseCache(backend, "http://nb", TOKEN)
    assert cache.key("ipam/vrfs", "GET ipam/vrfs?", 3) == cache.key("ipam/vrfs", "GET ipam/vrfs?", 3)
    assert cache.key("ipam/vrfs", "r", 3) != cache.key("ipam/vrfs", "r", 4)
    assert backend.generation_reads == 0


def test_cached_reads_the_generation_once_and_counts_miss_then_hit():
    backend, metrics = CountingBackend(), Counts()
    cache = ResponseCache(backend, "http://nb", TOKEN)
    calls = []

    def fetch():
        calls.append(1)
        return {"names": ["a"]}

    for _round in range(2):
        assert _cache.cached(cache, metrics, "schema", "filter names", "static", fetch) == {"names": ["a"]}
    assert calls == [1] and metrics.counts == {"cache_misses": 1, "cache_hits": 1}
    assert backend.generation_reads == 2  # once per request
    cache.invalidate("schema")
    _cache.cached(cache, metrics, "schema", "filter names", "static", fetch)
    assert len(calls) == 2


@pytest.mark.parametrize("cache, kind", [
    (None, "static"),
    (ResponseCache(MemoryBackend(), "http://nb", TOKEN), None),
    (ResponseCache(MemoryBackend(), "http://nb", TOKEN, {"static": 0}), "static"),
])
def test_nothing_cached_reads_and_counts_nothing(cache, kind):
    metrics = Counts()
    assert _cache.entry(cache, "ipam/vrfs", "r", kind) is None
    assert _cache.cached(cache, metrics, "ipam/vrfs", "r", kind, lambda: 7) == 7
    assert metrics.counts == {}


def test_an_entry_stores_under_the_generation_it_read():
    cache, metrics = ResponseCache(MemoryBackend(), "http://nb", TOKEN), Counts()
    found = _cache.entry(cache, "ipam/prefixes", "r", "dynamic")
    cache.invalidate("ipam/prefixes")       # a write while the value was being fetched
    found.store([1])
    assert _cache.entry(cache, "ipam/prefixes", "r", "dynamic").lookup(metrics) is None
    assert metrics.counts == {"cache_misses": 1}
