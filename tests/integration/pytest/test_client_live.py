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


# ------------------------------------------------------------------ the client boundary as a module sees it

def _export(monkeypatch, tmp_path, **args):
    import modharness  # pylint: disable=import-error
    from ansible.module_utils import basic

    from ansible_collections.sot.netbox.plugins.modules import netbox_export
    warned = []
    modharness.install(monkeypatch)
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda self, text: warned.append(text))
    result = modharness.invoke(netbox_export, {"dest": str(tmp_path / "export"), "cache_path": str(tmp_path / "c.sqlite"),
                                               **args})
    return result, warned


def test_v1_token_gives_one_deprecation_warning_per_task_and_v2_none(monkeypatch, tmp_path):
    result, warned = _export(monkeypatch, tmp_path, url=URL, token=TOKEN)
    assert result["failed"] is False and len([w for w in warned if "v1 API token" in w]) == 1
    result, warned = _export(monkeypatch, tmp_path, url=URL, token=TOKEN_V2)
    assert result["failed"] is False and not [w for w in warned if "v1 API token" in w]


def test_module_defaults_with_netbox_netbox_names(monkeypatch, tmp_path):
    result, _warned = _export(monkeypatch, tmp_path, netbox_url=URL + "/api/", netbox_token=TOKEN_V2, validate_certs=True)
    assert result["failed"] is False and result["changed"] is True


def test_an_unreachable_redis_is_a_warning_and_the_task_succeeds(monkeypatch, tmp_path):
    result, warned = _export(monkeypatch, tmp_path, url=URL, token=TOKEN_V2, cache_redis_url="redis://127.0.0.1:1/0")
    assert result["failed"] is False, result.get("msg")
    assert any("cache_redis_url" in w for w in warned)


@pytest.mark.parametrize("args, option", [
    ({"url": "http://127.0.0.1 :8783"}, "url"), ({"url": "http://:8783"}, "url"), ({"url": "http://127.0.0.1:99999"}, "url"),
    ({"token": TOKEN[:10] + "\n" + TOKEN[10:]}, "token"), ({"headers": {"X-A": "1\r\nX-B: 2"}}, "headers.X-A"),
    ({"headers": {"X-A": ["1"]}}, "headers.X-A"),
])
def test_malformed_connection_options_fail_before_any_request_naming_the_option(monkeypatch, tmp_path, args, option):
    result, _warned = _export(monkeypatch, tmp_path, **{"url": URL, "token": TOKEN, **args})
    assert result["failed"] and result["msg"].startswith(option + ":"), result["msg"]
    assert "Traceback" not in result["msg"] and "Invalid" not in result["msg"]
    assert not (tmp_path / "export").exists()


def test_two_spellings_of_one_netbox_share_the_cache_and_its_invalidation(tmp_path):
    path = str(tmp_path / "c.sqlite")
    spellings = [URL + "/", URL.replace("127.0.0.1", "localhost") + "/api", URL.upper().replace("HTTP://", "http://")]
    warm = build_client({"url": URL, "token": TOKEN, "cache_path": path})
    warm.list("tenancy/tenants", cache="static", fields=["id", "name"])
    for url in spellings:
        other = build_client({"url": url, "token": TOKEN, "cache_path": path})
        other.list("tenancy/tenants", cache="static", fields=["id", "name"])
        assert other.metrics.to_dict()["cache_hits"] == 1, url
    writer = build_client({"url": spellings[1], "token": TOKEN, "cache_path": path})
    name = "sot-spelling-" + uuid.uuid4().hex[:6]
    created = writer.create_one("tenancy/tenants", {"name": name, "slug": name})
    try:
        reader = build_client({"url": URL, "token": TOKEN, "cache_path": path})
        names = [t["name"] for t in reader.list("tenancy/tenants", cache="static", fields=["id", "name"])]
        assert name in names and reader.metrics.to_dict()["cache_hits"] == 0
    finally:
        writer.delete("tenancy/tenants", [created["id"]])


def test_ttl_zero_reads_fresh_even_when_the_cache_holds_an_entry(tmp_path):
    path = str(tmp_path / "c.sqlite")
    build_client({"url": URL, "token": TOKEN, "cache_path": path}).list("tenancy/tenants", cache="static")
    fresh = build_client({"url": URL, "token": TOKEN, "cache_path": path, "cache_ttl_static": 0})
    fresh.list("tenancy/tenants", cache="static")
    assert fresh.metrics.to_dict()["cache_hits"] == 0 and fresh.metrics.to_dict()["requests"] >= 1


@pytest.mark.parametrize("token, warnings", [(TOKEN, 1), (TOKEN_V2, 0)])
def test_the_inventory_warns_once_about_a_v1_token(tmp_path, token, warnings):
    import yaml
    source = tmp_path / "inv.netbox.yml"
    source.write_text(yaml.safe_dump({"plugin": "sot.netbox.inventory", "url": URL}))
    inv = subprocess.run(["ansible-inventory", "--list", "-i", str(source)], capture_output=True, text=True,
                         env={**os.environ, "NETBOX_TOKEN": token, "ANSIBLE_NOCOLOR": "1"}, check=False, timeout=300)
    assert inv.returncode == 0 and "ams1-leaf1" in inv.stdout
    assert inv.stderr.count("v1 API token") == warnings, inv.stderr
