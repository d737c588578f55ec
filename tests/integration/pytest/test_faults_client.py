# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The client under injected faults, against the real NetBox behind a loopback fault proxy."""
from __future__ import annotations

import os
import threading
import time
import uuid

import pytest

from ansible_collections.sot.netbox.plugins.module_utils import _errors as errors
from ansible_collections.sot.netbox.plugins.module_utils._connection import build_client
from ansible_collections.sot.netbox.plugins.module_utils._retry import RetryPolicy

from faultproxy import FaultProxy  # pylint: disable=import-error

URL = os.environ["NETBOX_URL"]
TOKEN = os.environ["NETBOX_TOKEN"]
FAST = RetryPolicy(retries=4, backoff=0.05, max_backoff=0.2, max_retry_after=1.0)


@pytest.fixture
def proxy():
    with FaultProxy(URL) as p:
        yield p


def client_via(proxy, **options):
    client = build_client({"url": proxy.url, "token": TOKEN, "cache": False, **options})
    client.retry = FAST
    return client


def test_burst_of_429_with_retry_after_then_success(proxy):
    proxy.add("status", path="/api/dcim/sites/", status=429, headers={"Retry-After": "1"}, times=3)
    client = client_via(proxy)
    started = time.monotonic()
    assert client.list("dcim/sites", fields=["id"])
    assert time.monotonic() - started >= 1.0  # Retry-After honoured (capped by max_retry_after)
    assert client.metrics.to_dict()["retries"] == 3 and proxy.count(outcome="status-429") == 3


def test_burst_of_503_during_concurrent_paging(proxy):
    proxy.add("status", path="offset=", status=503, times=FAST.retries)
    client = client_via(proxy, max_workers=4)
    ids = [i["id"] for i in client.iter_all("dcim/interfaces", fields=["id"], page_size=25)]
    direct = build_client({"url": URL, "token": TOKEN, "cache": False})
    assert sorted(ids) == sorted(i["id"] for i in direct.iter_all("dcim/interfaces", fields=["id"]))


def test_connection_resets_on_reads_are_survived(proxy):
    proxy.add("reset", method="GET", times=3)
    assert client_via(proxy).status()["netbox-version"]


def test_a_reset_on_a_create_is_not_blindly_retried(proxy):
    proxy.add("reset", method="POST", times=1)
    name = "sot-fault-" + uuid.uuid4().hex[:8]
    client = client_via(proxy)
    with pytest.raises(errors.ConnectionFailed):
        client.create("tenancy/tenants", [{"name": name, "slug": name}])
    assert proxy.count(method="POST") == 1  # no duplicate create behind the user's back


def test_slow_responses_past_the_timeout_are_a_clear_error(proxy):
    proxy.add("delay", path="/api/status/", seconds=2.5, times=10)
    client = client_via(proxy, timeout=1)
    client.retry = RetryPolicy(retries=1, backoff=0.01)
    with pytest.raises(errors.Timeout) as info:
        client.status()
    assert "within 1.0s" in info.value.message


def test_netbox_down_then_back_within_the_retries(proxy):
    proxy.down()
    threading.Timer(0.5, proxy.up).start()
    client = client_via(proxy)
    client.retry = RetryPolicy(retries=8, backoff=0.1, max_backoff=0.3)
    assert client.status()["netbox-version"]
    assert proxy.count(outcome="down") >= 1


def test_netbox_down_for_good_is_a_clear_error(proxy):
    proxy.down()
    client = client_via(proxy)
    with pytest.raises(errors.ConnectionFailed) as info:
        client.status()
    assert "cannot reach NetBox" in info.value.message and TOKEN not in info.value.message
    assert proxy.count(outcome="down") == FAST.retries + 1


def test_a_500_in_the_middle_of_a_bulk_create_reports_what_was_created(proxy):
    # The second batch fails: the error says exactly which objects exist, so a runner can roll back.
    proxy.add("status", method="POST", path="/api/tenancy/tenants/", status=500, skip=1, times=1)
    prefix = "sot-fault-" + uuid.uuid4().hex[:6]
    client = client_via(proxy)
    objects = [{"name": f"{prefix}-{i}", "slug": f"{prefix}-{i}"} for i in range(4)]
    with pytest.raises(errors.Unavailable) as info:
        client.create("tenancy/tenants", objects, batch_size=2)
    created = info.value.result["created"]
    assert [c["name"] for c in created] == [f"{prefix}-0", f"{prefix}-1"]
    client.delete("tenancy/tenants", [c["id"] for c in created])
    direct = build_client({"url": URL, "token": TOKEN, "cache": False})
    assert not direct.list("tenancy/tenants", {"name__isw": prefix}, fields=["id"])


# ------------------------------------------------------------------ answers cut off or not JSON (issue 13 §1)

ANSWER_FAULTS = ("truncate", "cut", "short", "html", "lost")


@pytest.mark.parametrize("fault", ANSWER_FAULTS)
def test_a_spoiled_answer_to_a_read_is_retried(proxy, fault):
    proxy.add(fault, method="GET", path="/api/dcim/sites/", times=2)
    client = client_via(proxy)
    sites = client.list("dcim/sites", fields=["id", "name"])
    direct = build_client({"url": URL, "token": TOKEN, "cache": False})
    assert sorted(s["id"] for s in sites) == sorted(s["id"] for s in direct.list("dcim/sites", fields=["id"]))
    assert proxy.count(outcome=fault) == 2 and client.metrics.to_dict()["retries"] == 2


@pytest.mark.parametrize("fault, cls, words", [
    ("truncate", errors.ResponseIncomplete, "was cut off"), ("cut", errors.ResponseIncomplete, "was cut off"),
    ("short", errors.ResponseIncomplete, "was cut off"), ("html", errors.ResponseNotJson, "is not JSON"),
    ("lost", errors.ConnectionFailed, "the connection was reset")])
def test_a_read_that_stays_spoiled_is_one_clear_typed_error(proxy, fault, cls, words):
    proxy.add(fault, method="GET", path="/api/status/", times=100)
    with pytest.raises(cls) as info:
        client_via(proxy).status()
    message = info.value.message
    assert words in message and "GET /api/status/" in message and f"{FAST.retries + 1} attempts" in message
    assert not info.value.may_have_applied and "Error" not in message and TOKEN not in message
    assert proxy.count(outcome=fault) == FAST.retries + 1


@pytest.mark.parametrize("fault", ANSWER_FAULTS)
def test_a_create_whose_answer_is_spoiled_may_have_applied_and_is_sent_once(proxy, fault):
    proxy.add(fault, method="POST", path="/api/tenancy/tenants/", times=1)
    name = "sot-fault-" + uuid.uuid4().hex[:8]
    with pytest.raises(errors.AnswerUnreadable) as info:
        client_via(proxy).create("tenancy/tenants", [{"name": name, "slug": name}])
    assert info.value.may_have_applied and "NetBox may have applied it" in info.value.message
    assert proxy.count(method="POST") == 1
    # It did apply: a writer reads back by identity (here the name) and adopts or rolls back.
    direct = build_client({"url": URL, "token": TOKEN, "cache": False})
    found = direct.list("tenancy/tenants", {"name": name}, fields=["id"])
    assert len(found) == 1
    direct.delete("tenancy/tenants", [found[0]["id"]])


@pytest.mark.parametrize("fault", ("truncate", "html"))
def test_an_update_whose_answer_is_spoiled_is_retried_idempotently(proxy, fault):
    direct = build_client({"url": URL, "token": TOKEN, "cache": False})
    name = "sot-fault-" + uuid.uuid4().hex[:8]
    tenant = direct.create_one("tenancy/tenants", {"name": name, "slug": name})
    try:
        proxy.add(fault, method="PATCH", times=1)
        updated = client_via(proxy).update_one("tenancy/tenants", tenant["id"], {"description": "x"})
        assert updated["description"] == "x" and proxy.count(method="PATCH") == 2
    finally:
        direct.delete("tenancy/tenants", [tenant["id"]])


def test_the_version_comes_from_the_first_answer(proxy):
    client = client_via(proxy)
    client.list("dcim/sites", fields=["id"])
    assert client.api_version >= (4, 7) and proxy.count() == 1
    assert client.require("cursor_paging") and client.require("v2_tokens")
    assert any("v1 API token" in w for w in client.warnings)


def test_a_long_name_filter_is_sent_in_chunks_not_as_http_414(proxy):
    names = [f"sot-no-such-device-{i:05d}-" + "x" * 40 for i in range(600)] + ["ams1-leaf1"]
    client = client_via(proxy)
    found = client.list_by("dcim/devices", "name", names, fields=["id", "name"])
    assert [d["name"] for d in found] == ["ams1-leaf1"] and proxy.count(method="GET") > 1


# ------------------------------------------------------------------ the inventory under spoiled answers

def run_inventory(proxy, tmp_path, **env):
    import subprocess

    import yaml
    source = tmp_path / "inv.netbox.yml"
    source.write_text(yaml.safe_dump({"plugin": "sot.netbox.inventory", "url": proxy.url}))
    return subprocess.run(["ansible-inventory", "--list", "-i", str(source)], capture_output=True, text=True,
                          env={**os.environ, "NETBOX_TOKEN": TOKEN, "ANSIBLE_NOCOLOR": "1", **env}, check=False,
                          timeout=300)


@pytest.mark.parametrize("fault", ANSWER_FAULTS)
def test_a_single_spoiled_answer_never_gives_an_inventory_without_hosts(proxy, tmp_path, fault):
    import json
    direct = build_client({"url": URL, "token": TOKEN, "cache": False})
    expected = {d["name"] for d in direct.list("dcim/devices", fields=["name"]) if d["name"]}
    proxy.add(fault, method="GET", path="/api/dcim/devices/", times=1)
    inv = run_inventory(proxy, tmp_path)
    assert inv.returncode == 0, inv.stderr[-2000:]
    hosts = set(json.loads(inv.stdout)["_meta"]["hostvars"])
    assert expected <= hosts and proxy.count(outcome=fault) == 1


def test_an_inventory_whose_answers_stay_cut_off_fails_with_one_clear_line(proxy, tmp_path):
    proxy.add("truncate", method="GET", path="/api/dcim/devices/", times=1000)
    inv = run_inventory(proxy, tmp_path, ANSIBLE_INVENTORY_UNPARSED_FAILED="true")
    assert inv.returncode != 0
    assert "sot.netbox.inventory: NetBox's answer to GET /api/dcim/devices/ was cut off" in inv.stderr
    assert inv.stderr.count("was cut off") == 1, inv.stderr  # printed once, not as summary and detail
    for junk in ("Traceback", "ChunkedEncodingError", "IncompleteRead", "Max retries", "HTTPConnectionPool"):
        assert junk not in inv.stderr
