# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._cache import MemoryBackend, SqliteBackend
from ansible_collections.sot.netbox.plugins.module_utils._connection import build_cache, build_client
from ansible_collections.sot.netbox.plugins.module_utils._errors import InputError

BASE = {"url": "https://nb.example", "token": "0" * 40}


@pytest.mark.parametrize("options, field", [
    ({"max_workers": 0}, "max_workers"), ({"max_workers": 33}, "max_workers"),
    ({"timeout": 0}, "timeout"), ({"cache_ttl_static": -1}, "cache_ttl_static"),
    ({"cache_redis_url": "http://x"}, "cache_redis_url"), ({"url": None}, "url"), ({"token": None}, "token"),
])
def test_bad_options_name_the_field(options, field):
    with pytest.raises(InputError) as info:
        build_client({**BASE, **options})
    assert info.value.field == field


def test_redis_url_never_echoed():
    with pytest.raises(InputError) as info:
        build_client({**BASE, "cache_redis_url": "http://user:secret@host"})
    assert "secret" not in str(info.value)


def test_defaults(tmp_path):
    client = build_client({**BASE, "cache_path": str(tmp_path / "c.sqlite")})
    assert client.verify is True and client.max_workers == 4 and client.timeout == 30.0
    assert isinstance(client.cache.backend, SqliteBackend)
    assert client.cache.ttls == {"static": 3600, "dynamic": 600}


def test_cache_false_still_coalesces_in_memory():
    assert isinstance(build_cache({**BASE, "cache": False}).backend, MemoryBackend)


def test_ca_path_and_validate_certs():
    assert build_client({**BASE, "cache": False, "ca_path": "/ca.pem"}).verify == "/ca.pem"
    assert build_client({**BASE, "cache": False, "validate_certs": False}).verify is False


def test_client_certificate_options_reach_the_client(tmp_path):
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    cert.write_text("x")
    key.write_text("y")
    client = build_client({**BASE, "cache": False, "cert": str(cert), "key": str(key)})
    assert client.cert == (str(cert), str(key))


class _DownRedis:
    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise ConnectionError("Error 111 connecting to 127.0.0.1:1. Connection refused.")
        return fail


def test_an_unreachable_redis_is_a_warning_and_the_run_goes_on_uncached(monkeypatch):
    from ansible_collections.sot.netbox.plugins.module_utils import _connection
    monkeypatch.setattr(_connection, "RedisBackend", lambda url: _cache_backend(_DownRedis()))
    client = build_client({**BASE, "cache_redis_url": "redis://:sekret@127.0.0.1:1/0"})
    key = client.cache.key("dcim/sites", "GET x", client.cache.generation("dcim/sites"))
    assert client.cache.get(key) is None
    client.cache.set(key, {"a": 1}, "static")
    assert client.cache.get(key) == {"a": 1}  # in-process from here on
    assert len(client.warnings) == 1 and "cache_redis_url" in client.warnings[0]
    assert "sekret" not in client.warnings[0]


def _cache_backend(redis_client):
    from ansible_collections.sot.netbox.plugins.module_utils._cache import RedisBackend
    return RedisBackend("redis://x", client=redis_client)


def test_a_malformed_redis_url_is_a_warning_too(monkeypatch):
    from ansible_collections.sot.netbox.plugins.module_utils import _connection

    def boom(url):
        raise ValueError("Redis URL must specify one of the following schemes")
    monkeypatch.setattr(_connection, "RedisBackend", boom)
    client = build_client({**BASE, "cache_redis_url": "redis://[bad"})
    assert isinstance(client.cache.backend, MemoryBackend) and client.warnings
