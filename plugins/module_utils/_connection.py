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
import json

from ansible_collections.sot.netbox.plugins.module_utils._branching import use_branch
from ansible_collections.sot.netbox.plugins.module_utils._client import NetboxClient, check_headers
from ansible_collections.sot.netbox.plugins.module_utils._errors import InputError

CONNECTION_OPTION_NAMES = ("url", "token", "validate_certs", "ca_path", "cert", "key", "timeout", "headers",
                           "max_workers",
                           "cache", "cache_path", "cache_redis_url", "cache_ttl_static", "cache_ttl_dynamic",
                           "branch", "branch_create", "branch_timeout")


def build_cache(options):
    url, token = options.get("url") or "", options.get("token") or ""
    ttls = {}
    for kind, default in (("static", 3600), ("dynamic", 600)):
        ttl = options.get(f"cache_ttl_{kind}", default)
        try:
            ttls[kind] = int(default if ttl is None else ttl)
        except (TypeError, ValueError):
            raise InputError(f"cache_ttl_{kind}", ttl, "must be a whole number of seconds") from None
        if ttls[kind] < 0:
            raise InputError(f"cache_ttl_{kind}", ttl, "must be 0 (no caching) or a positive number of seconds")
    # Extra headers may change NetBox's answers (a proxy routing on them): part of the namespace.
    headers = check_headers(options.get("headers") or {})
    variant = json.dumps(headers, sort_keys=True) if headers else ""
    if options.get("branch"):  # a branch's answers are its own: never served for main's, nor main's for it
        variant += f"|branch:{options['branch']}"

    def cache_on(backend):
        return ResponseCache(backend, url, token, ttls, variant=variant)

    if not options.get("cache", True):
        # Still one in-process cache: a task that asks twice for a table asks NetBox once.
        return cache_on(MemoryBackend())
    if options.get("cache_redis_url"):
        redis_url = options["cache_redis_url"]
        if not isinstance(redis_url, str) or not redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise InputError("cache_redis_url", "<redacted>", "must start with redis://, rediss:// or unix://")
        try:
            return cache_on(RedisBackend(redis_url))
        except Exception as exc:  # pylint: disable=broad-except  # a malformed URL: warn, go on uncached
            cache = cache_on(MemoryBackend())
            cache.startup_problem = exc
            return cache
    return cache_on(SqliteBackend(options.get("cache_path") or default_cache_path()))


def build_client(options, **overrides):
    """A client from option values (missing options take the documented defaults)."""
    max_workers = options.get("max_workers", 4)
    if max_workers is None or int(max_workers) < 1 or int(max_workers) > 32:
        raise InputError("max_workers", max_workers, "must be between 1 and 32")
    timeout = options.get("timeout", 30)
    if timeout is None or float(timeout) <= 0:
        raise InputError("timeout", timeout, "must be a positive number of seconds")
    client = NetboxClient(
        url=options.get("url"),
        token=options.get("token"),
        validate_certs=options.get("validate_certs", True),
        ca_path=options.get("ca_path"),
        cert=options.get("cert"),
        key=options.get("key"),
        timeout=float(timeout),
        headers=options.get("headers") or {},
        max_workers=int(max_workers),
        **overrides,
    )
    # The cache after the client: the client validated url, token and headers, naming the option.
    cache = build_cache(options) if "cache" not in overrides else overrides["cache"]
    if cache is not None:
        client.cache = cache
        cache.on_warning = client.warn
        problem = getattr(cache, "startup_problem", None)
        if problem is not None:
            cache._degrade(problem)  # pylint: disable=protected-access
    if options.get("branch"):
        use_branch(client, options["branch"], create=bool(options.get("branch_create")),
                   timeout=options.get("branch_timeout"))
    return client
