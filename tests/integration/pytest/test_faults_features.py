# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every feature under injected faults, against the real NetBox behind the loopback fault proxy:
transient faults are survived by the bounded retries; otherwise the error is clear, the previous
export is intact, a half-generated plan is rolled back, no segment is left half-reserved, and a re-run
converges. Also: a read-only token fails every write path before anything changes."""
from __future__ import annotations

import contextlib
import copy
import hashlib
import os
import pathlib
import subprocess
import threading
import uuid

import pytest
import yaml

from ansible_collections.sot.netbox.plugins.module_utils._connection import build_client
from ansible_collections.sot.netbox.plugins.modules import netbox_export, netbox_plan_generate, netbox_segment

import modharness  # pylint: disable=import-error
from faultproxy import FaultProxy  # pylint: disable=import-error

URL = os.environ["NETBOX_URL"]
TOKEN = os.environ["NETBOX_TOKEN"]
TOKEN_RO = os.environ["SOT_TESTBED_TOKEN_READONLY"]
SMALL_PLAN = yaml.safe_load((pathlib.Path(__file__).parents[3] / "examples" / "plans" / "small.yml").read_text())


@pytest.fixture
def proxy(monkeypatch):
    modharness.install(monkeypatch)
    with FaultProxy(URL) as p:
        yield p


def snapshot(directory):
    return {p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(pathlib.Path(directory).iterdir())}


def direct():
    return build_client({"url": URL, "token": TOKEN, "cache": False})


# ------------------------------------------------------------------ export

def export_args(proxy, dest, tmp_path):
    return {"url": proxy.url, "token": TOKEN, "dest": str(dest), "cache_path": str(tmp_path / "c.sqlite")}


def test_export_survives_429_and_503_bursts_and_an_outage(proxy, tmp_path):
    dest = tmp_path / "export"
    proxy.add("status", path="/api/dcim/devices/", status=429, headers={"Retry-After": "1"}, times=2)
    proxy.add("status", path="/api/virtualization/virtual-machines/", status=503, times=2)
    proxy.add("reset", path="/api/tenancy/contact-assignments/", times=1)
    result = modharness.invoke(netbox_export, export_args(proxy, dest, tmp_path))
    assert not result["failed"], result["msg"]
    assert result["metrics"]["retries"] >= 5
    # NetBox "stopped" mid-run (connections refused/reset), back within the retry window.
    before = snapshot(dest)
    proxy.down()
    threading.Timer(1.0, proxy.up).start()
    again = modharness.invoke(netbox_export, export_args(proxy, dest, tmp_path))
    assert not again["failed"] and not again["changed"], again.get("msg")
    assert snapshot(dest) == before


@pytest.mark.parametrize("fault", ["status-500", "down"])
def test_export_failure_mid_run_leaves_the_previous_export_intact(proxy, tmp_path, fault):
    dest = tmp_path / "export"
    first = modharness.invoke(netbox_export, export_args(proxy, dest, tmp_path))
    assert not first["failed"] and first["changed"]
    before = snapshot(dest)
    if fault == "down":
        proxy.down()
    else:  # the VM list fails while the device list succeeded
        proxy.add("status", path="/api/virtualization/virtual-machines/", status=500, times=10)
    # A full read (delta_sync off): an unchanged NetBox would otherwise answer from the change log alone
    # and never ask for the VM list that fails.
    failed = modharness.invoke(netbox_export, dict(export_args(proxy, dest, tmp_path), delta_sync=False))
    assert failed["failed"] and ("cannot reach NetBox" in failed["msg"] or "HTTP 500" in failed["msg"]), failed
    assert snapshot(dest) == before  # same bytes, same mtimes, no temp files left
    proxy.up()
    proxy.rules.clear()
    rerun = modharness.invoke(netbox_export, export_args(proxy, dest, tmp_path))
    assert not rerun["failed"] and not rerun["changed"]


# ------------------------------------------------------------------ segment

def segment_args(proxy, tmp_path, cluster, **extra):
    return {"url": proxy.url, "token": TOKEN, "cache_path": str(tmp_path / "c.sqlite"), "state": "allocated",
            "vrf": "dev", "site_group": "dc-west", "role": "web", "cluster": cluster, **extra}


def reserved_for(cluster):
    return direct().list("ipam/prefixes", {"cf_cluster_name": cluster}, fields=["id", "prefix", "status",
                                                                                "custom_fields"])


def test_segment_reservation_failing_mid_write_is_not_half_done_and_converges(proxy, tmp_path):
    cluster = "fault-" + uuid.uuid4().hex[:8]
    proxy.add("status", method="PATCH", path="/api/ipam/prefixes/", status=500, times=1)
    failed = modharness.invoke(netbox_segment, segment_args(proxy, tmp_path, cluster))
    assert failed["failed"] and "HTTP 500" in failed["msg"]
    held = [p for p in reserved_for(cluster) if p["custom_fields"].get("cluster_name") == cluster]
    assert held == []  # no segment carries the cluster after the failed reservation
    try:
        first = modharness.invoke(netbox_segment, segment_args(proxy, tmp_path, cluster))
        assert not first["failed"] and first["changed"], first.get("msg")
        second = modharness.invoke(netbox_segment, segment_args(proxy, tmp_path, cluster))
        assert not second["failed"] and not second["changed"]
        held = [p for p in reserved_for(cluster) if p["custom_fields"].get("cluster_name") == cluster]
        assert len(held) == 1 and held[0]["status"]["value"] == "reserved"
    finally:
        released = modharness.invoke(netbox_segment, segment_args(proxy, tmp_path, cluster, state="released"))
        assert not released["failed"], released.get("msg")


def test_segment_carve_survives_transient_faults(proxy, tmp_path):
    cluster = "fault-" + uuid.uuid4().hex[:8]
    proxy.add("status", method="POST", path="available-prefixes", status=503, times=2)
    proxy.add("status", method="GET", status=429, headers={"Retry-After": "0"}, times=2)
    args = segment_args(proxy, tmp_path, cluster, prefix_length=28, role="pool")
    args.pop("role")
    try:
        result = modharness.invoke(netbox_segment, args)
        assert not result["failed"], result.get("msg")
        assert result["metrics"]["retries"] >= 4
    finally:
        modharness.invoke(netbox_segment, segment_args(proxy, tmp_path, cluster, state="released",
                                                       release_delete=True))


# ------------------------------------------------------------------ plan

def plan_args(proxy, plan, state="generated"):
    return {"url": proxy.url, "token": TOKEN, "cache": False, "plan": plan, "state": state, "timeout": 300}


def plan_objects(name):
    """What NetBox holds of the plan: objects carrying its tag (no tag at all means nothing is tagged)."""
    client = direct()
    tag = f"sot-plan-{name}"
    if not client.list("extras/tags", {"slug": tag}, fields=["id"]):
        return {"devices": [], "cables": []}
    return {kind: client.list(endpoint, {"tag": tag}, fields=["id"])
            for kind, endpoint in (("devices", "dcim/devices"), ("cables", "dcim/cables"))}


@contextlib.contextmanager
def removed_afterwards(proxy, plan):
    """Whatever the test does with the plan, remove it at the end and check nothing tagged is left."""
    try:
        yield
    finally:
        proxy.rules.clear()
        gone = modharness.invoke(netbox_plan_generate, plan_args(proxy, plan, state="absent"))
        assert not gone["failed"], gone.get("msg")
    assert plan_objects(plan["name"]) == {"devices": [], "cables": []}


def test_a_500_in_the_middle_of_a_plan_generation_is_rolled_back_and_a_rerun_converges(proxy):
    plan = copy.deepcopy(SMALL_PLAN)
    plan["name"] = "fault-" + uuid.uuid4().hex[:6]
    proxy.add("status", method="POST", path="/api/dcim/cables/", status=500, times=1)
    with removed_afterwards(proxy, plan):
        failed = modharness.invoke(netbox_plan_generate, plan_args(proxy, plan))
        assert failed["failed"] and "rolled back" in failed["msg"].lower(), failed.get("msg")
        assert plan_objects(plan["name"]) == {"devices": [], "cables": []}
        done = modharness.invoke(netbox_plan_generate, plan_args(proxy, plan))
        assert not done["failed"] and done["changed"], done.get("msg")
        rerun = modharness.invoke(netbox_plan_generate, plan_args(proxy, plan))
        assert not rerun["failed"] and not rerun["changed"]


# ------------------------------------------------------------------ inventory

def test_inventory_survives_bursts_and_resets(proxy, tmp_path):
    proxy.add("status", path="/api/dcim/devices/", status=429, headers={"Retry-After": "1"}, times=2)
    proxy.add("reset", path="/api/virtualization/virtual-machines/", times=2)
    source = tmp_path / "faults.netbox.yml"
    source.write_text(yaml.safe_dump({"plugin": "sot.netbox.inventory", "url": proxy.url}))
    out = subprocess.run(["ansible-inventory", "--list", "-i", str(source)], capture_output=True, text=True,
                         env={**os.environ, "NETBOX_TOKEN": TOKEN}, check=False, timeout=300)
    assert out.returncode == 0 and "ams1-leaf1" in out.stdout and "app01" in out.stdout, out.stderr
    assert proxy.count(outcome="status-429") == 2 and proxy.count(outcome="reset") == 2


# ------------------------------------------------------------------ read-only token

@pytest.mark.parametrize("module, args", [
    (netbox_segment, {"state": "present", "prefix": "10.251.0.0/24", "vrf": "prod", "site_group": "dc-east"}),
    (netbox_segment, {"state": "allocated", "vrf": "dev", "site_group": "dc-west", "role": "web",
                      "cluster": "ro-test"}),
    (netbox_segment, {"state": "allocated", "vrf": "dev", "site_group": "dc-west", "cluster": "ro-carve",
                      "prefix_length": 28}),
    (netbox_plan_generate, {"plan": {**SMALL_PLAN, "name": "ro-" + uuid.uuid4().hex[:6]}, "state": "generated"}),
])
def test_read_only_token_fails_every_write_path_clearly_before_changing_anything(proxy, module, args):
    result = modharness.invoke(module, {"url": proxy.url, "token": TOKEN_RO, "cache": False, **args})
    assert result["failed"] and "permission denied" in result["msg"].lower(), result.get("msg")
    assert TOKEN_RO not in result["msg"]
    # At most the one write NetBox refused; nothing before it.
    refused = [(m, p) for m, p, _outcome in proxy.log if m in ("POST", "PATCH", "PUT", "DELETE")]
    assert len(refused) <= 1, refused


# ------------------------------------------------------------------ NetBox stopped and restarted, slow

def restart_after(proxy, seconds):
    proxy.stop()
    threading.Timer(seconds, proxy.start).start()


def test_segment_carve_while_netbox_restarts(proxy, tmp_path):
    cluster = "fault-" + uuid.uuid4().hex[:8]
    args = segment_args(proxy, tmp_path, cluster, prefix_length=28)
    args.pop("role")
    restart_after(proxy, 1.5)  # refused connections: safe to retry, even for the allocation POSTs
    try:
        result = modharness.invoke(netbox_segment, args)
        assert not result["failed"] and result["changed"], result.get("msg")
        again = modharness.invoke(netbox_segment, args)
        assert not again["failed"] and not again["changed"]
    finally:
        modharness.invoke(netbox_segment, segment_args(proxy, tmp_path, cluster, state="released",
                                                       release_delete=True))


def test_plan_generation_while_netbox_restarts(proxy):
    plan = copy.deepcopy(SMALL_PLAN)
    plan["name"] = "restart-" + uuid.uuid4().hex[:6]
    restart_after(proxy, 1.5)
    with removed_afterwards(proxy, plan):
        done = modharness.invoke(netbox_plan_generate, plan_args(proxy, plan))
        assert not done["failed"] and done["changed"], done.get("msg")
        rerun = modharness.invoke(netbox_plan_generate, plan_args(proxy, plan))
        assert not rerun["failed"] and not rerun["changed"]


def test_inventory_while_netbox_restarts(proxy, tmp_path):
    source = tmp_path / "restart.netbox.yml"
    source.write_text(yaml.safe_dump({"plugin": "sot.netbox.inventory", "url": proxy.url}))
    restart_after(proxy, 1.5)
    out = subprocess.run(["ansible-inventory", "--list", "-i", str(source)], capture_output=True, text=True,
                         env={**os.environ, "NETBOX_TOKEN": TOKEN}, check=False, timeout=300)
    assert out.returncode == 0 and "ams1-leaf1" in out.stdout, out.stderr


def test_export_with_a_response_slower_than_the_timeout(proxy, tmp_path):
    proxy.add("delay", path="/api/virtualization/virtual-machines/", seconds=4, times=1)
    result = modharness.invoke(netbox_export, {**export_args(proxy, tmp_path / "export", tmp_path), "timeout": 2})
    assert not result["failed"], result.get("msg")  # the timed-out read was retried
    assert result["metrics"]["retries"] >= 1


def test_plan_generation_with_a_write_slower_than_the_timeout_is_rolled_back(proxy):
    plan = copy.deepcopy(SMALL_PLAN)
    plan["name"] = "slow-" + uuid.uuid4().hex[:6]
    # The cable POST answers after the client gave up: NetBox may have created them; the run must
    # neither retry blindly nor leave anything behind unreported.
    proxy.add("delay", method="POST", path="/api/dcim/cables/", seconds=6, times=1)
    with removed_afterwards(proxy, plan):
        result = modharness.invoke(netbox_plan_generate, {**plan_args(proxy, plan), "timeout": 3})
        assert result["failed"], result
        assert "rolled back" in result["msg"].lower() or "state: absent" in result["msg"], result["msg"]
