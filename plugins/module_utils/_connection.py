# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Building a client from the shared connection options. PRIVATE to the collection.

No Ansible imports: the module adapter (`_module.py`) and the inventory adapter (`_plugin.py`)
both hand a plain dict of option values to `build_client`.
"""
from __future__ import annotations

from ansible_collections.sot.netbox.plugins.module_utils._cache import (
    MemoryBackend, RedisBackend, ResponseCache, SqliteBackend, default_cache_path)
from ansible_collections.sot.netbox.plugins.module_utils._client import NetboxClient
from ansible_collections.sot.netbox.plugins.module_utils._errors import InputError

CONNECTION_OPTION_NAMES = ("url", "token", "validate_certs", "ca_path", "timeout", "headers", "max_workers",
                           "cache", "cache_path", "cache_redis_url", "cache_ttl_static", "cache_ttl_dynamic")


def build_cache(options):
    url, token = options.get("url") or "", options.get("token") or ""
    ttls = {"static": int(options.get("cache_ttl_static", 3600)), "dynamic": int(options.get("cache_ttl_dynamic", 600))}
    for kind, ttl in ttls.items():
        if ttl < 0:
            raise InputError(f"cache_ttl_{kind}", ttl, "must be 0 (no caching) or a positive number of seconds")
    if not options.get("cache", True):
        # Still one in-process cache: a task that asks twice for a table asks NetBox once.
        return ResponseCache(MemoryBackend(), url, token, ttls)
    if options.get("cache_redis_url"):
        redis_url = options["cache_redis_url"]
        if not redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise InputError("cache_redis_url", "<redacted>", "must start with redis://, rediss:// or unix://")
        return ResponseCache(RedisBackend(redis_url), url, token, ttls)
    return ResponseCache(SqliteBackend(options.get("cache_path") or default_cache_path()), url, token, ttls)


def build_client(options, **overrides):
    """A client from option values (missing options take the documented defaults)."""
    max_workers = options.get("max_workers", 4)
    if max_workers is None or int(max_workers) < 1 or int(max_workers) > 32:
        raise InputError("max_workers", max_workers, "must be between 1 and 32")
    timeout = options.get("timeout", 30)
    if timeout is None or float(timeout) <= 0:
        raise InputError("timeout", timeout, "must be a positive number of seconds")
    return NetboxClient(
        url=options.get("url"),
        token=options.get("token"),
        validate_certs=options.get("validate_certs", True),
        ca_path=options.get("ca_path"),
        timeout=float(timeout),
        headers=options.get("headers") or {},
        max_workers=int(max_workers),
        cache=build_cache(options),
        **overrides,
    )
