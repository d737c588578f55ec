# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared client against the real local NetBox (tools/testbed.py): tokens, errors, pagination,
the persistent cache across processes (a task is a process), invalidation by writes, Redis."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest
import redis

from ansible_collections.sot.netbox.plugins.module_utils import _errors as errors
from ansible_collections.sot.netbox.plugins.module_utils._connection import build_client
from ansible_collections.sot.netbox.plugins.module_utils._lookups import Lookups

URL = os.environ["NETBOX_URL"]
TOKEN = os.environ["NETBOX_TOKEN"]
TOKEN_V2 = os.environ["SOT_TESTBED_TOKEN_V2"]
TOKEN_RO = os.environ["SOT_TESTBED_TOKEN_READONLY"]
REDIS_URL = os.environ.get("SOT_TESTBED_REDIS_URL", "redis://127.0.0.1:63799/15")

# One "task": a fresh Python process that builds a client from options, resolves lookups, and prints
# its metrics, exactly as a module would in its own AnsiballZ process.
TASK = r"""
import json, sys
from ansible_collections.sot.netbox.plugins.module_utils._connection import build_client
from ansible_collections.sot.netbox.plugins.module_utils._lookups import Lookups
options = json.loads(sys.argv[1])
client = build_client(options)
lookups = Lookups(client).load("vrf", "site_group", "tenant", "prefix_role")
ids = {t: lookups.id_of(t, n) for t, n in (("vrf", "prod"), ("site_group", "dc-east"), ("tenant", "platform"),
                                           ("prefix_role", "web"))}
print(json.dumps({"ids": ids, "metrics": client.metrics.to_dict()}))
"""


def run_task(options):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run([sys.executable, "-c", TASK, json.dumps(options)], capture_output=True, text=True,
                         env=env, check=True)
    return json.loads(out.stdout)


@pytest.fixture
def cache_path(tmp_path):
    return str(tmp_path / "cache.sqlite")


@pytest.mark.parametrize("token", [TOKEN, TOKEN_V2, TOKEN_RO], ids=["v1", "v2", "v1-readonly"])
def test_tokens_v1_and_v2_work(token):
    client = build_client({"url": URL, "token": token, "cache": False})
    assert client.status()["netbox-version"].startswith("4.7")
    assert client.list("dcim/sites", fields=["id", "name"])


def test_wrong_token_is_a_clear_error_without_the_token():
    wrong = "f" * 40
    client = build_client({"url": URL, "token": wrong, "cache": False})
    with pytest.raises(errors.AuthenticationFailed) as info:
        client.status()
    assert "rejected the token" in info.value.message
    assert wrong not in info.value.message and wrong not in repr(info.value.__dict__)


def test_wrong_v2_token_is_a_clear_error_without_the_token():
    wrong = TOKEN_V2.split(".", 1)[0] + ".WrongWrongWrongWrongWrongWrongWrong12345"  # real key, wrong secret
    client = build_client({"url": URL, "token": wrong, "cache": False})
    with pytest.raises(errors.AuthenticationFailed) as info:
        client.status()
    assert "WrongWrong" not in info.value.message


def test_unreachable_netbox_is_a_clear_error():
    client = build_client({"url": "http://127.0.0.1:9", "token": TOKEN, "cache": False, "timeout": 2})
    client.retry = client.retry.__class__(retries=1, backoff=0.01)
    with pytest.raises(errors.ConnectionFailed) as info:
        client.status()
    assert "cannot reach NetBox at http://127.0.0.1:9" in info.value.message


def test_read_only_token_cannot_write():
    client = build_client({"url": URL, "token": TOKEN_RO, "cache": False})
    with pytest.raises(errors.PermissionDenied) as info:
        client.create("dcim/manufacturers", [{"name": "ro-test", "slug": "ro-test"}])
    assert TOKEN_RO not in info.value.message


def test_validation_error_carries_netbox_field_messages():
    client = build_client({"url": URL, "token": TOKEN, "cache": False})
    with pytest.raises(errors.RequestValidationFailed) as info:
        client.create("dcim/manufacturers", [{"name": ""}])
    assert "name" in info.value.message and info.value.fields


def test_pagination_offset_and_cursor_agree():
    client = build_client({"url": URL, "token": TOKEN, "cache": False, "max_workers": 3})
    offset = [d["id"] for d in client.iter_all("dcim/interfaces", fields=["id"], page_size=50)]
    cursor = [d["id"] for d in client.iter_all("dcim/interfaces", fields=["id"], page_size=50, cursor=True)]
    assert sorted(offset) == sorted(cursor) and len(offset) == len(set(offset)) > 100
    assert client.metrics.to_dict()["requests"] >= 2 * (len(offset) // 50)


def test_cache_survives_between_tasks(cache_path):
    options = {"url": URL, "token": TOKEN, "cache_path": cache_path}
    first = run_task(options)
    second = run_task(options)
    assert first["ids"] == second["ids"]
    assert first["metrics"]["requests"] == 4 and first["metrics"]["cache_misses"] == 4
    assert second["metrics"]["requests"] == 0 and second["metrics"]["cache_hits"] == 4
    with open(cache_path, "rb") as fh:
        assert TOKEN.encode() not in fh.read()


def test_a_write_invalidates_the_endpoint_it_touched(cache_path):
    options = {"url": URL, "token": TOKEN, "cache_path": cache_path}
    run_task(options)
    writer = build_client(options)
    name = "sot-cache-" + uuid.uuid4().hex[:8]
    created = writer.create("tenancy/tenants", [{"name": name, "slug": name}])
    try:
        after = run_task(options)
        # Tenants were re-read (the write touched them); VRFs, site groups and roles still came from cache.
        assert after["metrics"]["requests"] == 1 and after["metrics"]["cache_hits"] == 3
        lookups = Lookups(build_client(options)).load("tenant")
        assert lookups.id_of("tenant", name) == created[0]["id"]
    finally:
        writer.delete("tenancy/tenants", [created[0]["id"]])


def test_cache_disabled_makes_requests_every_time(cache_path):
    options = {"url": URL, "token": TOKEN, "cache": False}
    assert run_task(options)["metrics"]["requests"] == 4
    assert run_task(options)["metrics"]["requests"] == 4


def test_redis_cache_is_shared_between_tasks():
    redis.Redis.from_url(REDIS_URL).flushdb()
    options = {"url": URL, "token": TOKEN, "cache_redis_url": REDIS_URL}
    first = run_task(options)
    second = run_task(options)
    assert first["metrics"]["requests"] == 4
    assert second["metrics"]["requests"] == 0 and second["metrics"]["cache_hits"] == 4
    keys = redis.Redis.from_url(REDIS_URL).keys("*")
    assert keys and not any(TOKEN.encode() in k for k in keys)
