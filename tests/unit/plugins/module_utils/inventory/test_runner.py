# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_inventory/runner.py: load() with one cache entry, streaming hosts as built, delta sync end to end on a fake
NetBox whose data and change log change between runs (the delta result must equal a full read), the cached
built inventory, and the Populator.
"""
from __future__ import annotations

import copy
import json

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._errors import AuthenticationFailed
from ansible_collections.sot.netbox.plugins.module_utils._inventory import build as b, cached, runner
from ansible_collections.sot.netbox.plugins.module_utils._inventory.plan import TABLES
from ansible_collections.sot.netbox.plugins.module_utils._inventory.runner import Populator, load
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.fakes import FakeResponse
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.inventory.helpers import (
    HOST, NETBOX, RESERVED, TOKEN, FakeNetbox, fake_client, full_read, netbox_routes, options, run, settings)


class Cache(dict):
    pass


def test_load_uses_one_cache_entry_and_refetches_when_options_change():
    calls = []

    def factory(connection):
        client, session = fake_client(netbox_routes())
        calls.append(session)
        return client

    opts = dict(url="http://nb.test", token=TOKEN, cache=True, group_by=["sites"], delta_sync=False)
    cache = Cache()
    first = load(options(**opts), cache, "k", True, client_factory=factory)
    assert first["source"] == "NetBox" and list(cache) == ["k"] and len(calls) == 1
    again = load(options(**opts), cache, "k", True, client_factory=factory)
    assert again["source"] == "cache" and len(calls) == 1
    assert again["inventory"]["groups"] == first["inventory"]["groups"]
    refreshed = load(options(**opts), cache, "k", False, client_factory=factory)  # --flush-cache
    assert refreshed["source"] == "NetBox" and len(calls) == 2
    opts["group_by"] = ["tags"]
    changed = load(options(**opts), cache, "k", True, client_factory=factory)
    assert changed["source"] == "NetBox" and len(calls) == 3
    assert TOKEN not in json.dumps(cache["k"])


def test_load_writes_metrics(tmp_path):
    path = tmp_path / "m.json"
    load(options(url="http://nb.test", token=TOKEN), {}, "k", True, metrics_path=str(path),
         client_factory=lambda c: fake_client(netbox_routes())[0])
    assert json.loads(path.read_text())["requests"] >= 2


@pytest.mark.parametrize("opts", [
    dict(group_by=["sites", "device_roles", "tags", "is_virtual", "status"]),
    dict(group_by=["region", "location", "site_group", "tags"], compose={"x": "description"}),  # tables: waits
    dict(group_by=["sites"], devices=False),
])
def test_load_hands_over_each_host_as_built_and_builds_what_build_builds(opts):
    routes = netbox_routes(**{name: (f"/api/{endpoint}/", NETBOX["tables"].get(name, []))
                              for name, (endpoint, _fields) in TABLES.items()})
    handed = []
    streamed = load(options(url="http://nb.test", token=TOKEN, **opts), {}, "k", True, reserved=RESERVED,
                    client_factory=lambda c: fake_client(routes)[0], on_host=lambda n, h: handed.append((n, h)))
    whole = load(options(url="http://nb.test", token=TOKEN, **opts), {}, "k", True, reserved=RESERVED,
                 client_factory=lambda c: fake_client(routes)[0])
    assert streamed["inventory"] == whole["inventory"] and streamed["warnings"] == whole["warnings"]
    assert list(streamed["inventory"]["groups"]) == list(whole["inventory"]["groups"])
    assert [n for n, _h in handed] == list(whole["inventory"]["hosts"])
    assert all(h is streamed["inventory"]["hosts"][n] for n, h in handed)


@pytest.mark.parametrize("opts,early", [
    ({"interfaces": True}, True),  # whole tables, read with the first pages: hosts are built as pages arrive
    ({"interfaces": True, "device_query_filters": [{"site": "ams1"}]}, False),  # by host id, after the hosts
])
def test_load_with_interfaces_and_services(opts, early):
    extras = NETBOX["extras"]
    routes = netbox_routes(ifaces=("/api/dcim/interfaces/", extras["device_interfaces"]),
                           vmifaces=("/api/virtualization/interfaces/", extras["vm_interfaces"]),
                           ips=("/api/ipam/ip-addresses/", extras["device_ips"] + extras["vm_ips"]),
                           services=("/api/ipam/services/", extras["device_services"] + extras["vm_services"]))
    handed = []
    result = load(options(url="http://nb.test", token=TOKEN, **opts), {}, "k", True,
                  client_factory=lambda c: fake_client(routes)[0], on_host=lambda n, h: handed.append(n))
    whole = load(options(url="http://nb.test", token=TOKEN, **opts), {}, "k", True,
                 client_factory=lambda c: fake_client(routes)[0])
    assert result["inventory"] == whole["inventory"] and result["inventory"]["hosts"]
    assert handed == (list(whole["inventory"]["hosts"]) if early else [])
    hv = result["inventory"]["hosts"]
    assert any(h["vars"]["interfaces"] for h in hv.values()) and any(h["vars"]["services"] for h in hv.values())


def test_load_streaming_raises_a_fetch_error_in_the_caller():
    routes = netbox_routes()
    routes[("GET", "/api/virtualization/virtual-machines/")] = [FakeResponse(403, {"detail": "Invalid v1 token"})]
    with pytest.raises(AuthenticationFailed):
        load(options(url="http://nb.test", token=TOKEN), {}, "k", True,
             client_factory=lambda c: fake_client(routes)[0], on_host=lambda n, h: None)


def test_unchanged_then_delta_then_full_on_a_lookup_change():
    netbox, cache = FakeNetbox(), {}
    netbox.record("dcim.device", netbox.devices[0]["id"])  # the log is not empty
    first, requests = run(netbox, cache)
    assert first["sync"] == "full" and cache["k"]["watermark"]["max_id"] == 1
    again, requests = run(netbox, cache)
    assert again["sync"] == "unchanged" and again["source"] == "cache" and requests == 1
    assert again["inventory"] == first["inventory"]
    # a device changes (a tag removed), a VM is deleted, a primary IP's address changes
    netbox.devices[1]["tags"] = []
    netbox.record("dcim.device", netbox.devices[1]["id"])
    gone = netbox.vms.pop(0)
    netbox.record("virtualization.virtualmachine", gone["id"], "delete")
    ip_host = next(d for d in netbox.devices if d.get("primary_ip4"))
    ip_host["primary_ip4"] = dict(ip_host["primary_ip4"], address="203.0.113.99/24")
    netbox.record("ipam.ipaddress", ip_host["primary_ip4"]["id"])
    delta, requests = run(netbox, cache)
    assert delta["sync"] == "delta" and requests <= 3
    assert delta["inventory"] == full_read(netbox)
    assert delta["inventory"]["hosts"][ip_host["name"]]["vars"]["ansible_host"] == "203.0.113.99"
    # a site renamed: everything is read again
    netbox.record("dcim.site", 1)
    renamed, _requests = run(netbox, cache)
    assert renamed["sync"] == "full" and renamed["inventory"] == full_read(netbox)


def test_a_new_host_and_a_rename_are_placed_by_netboxs_order():
    netbox, cache = FakeNetbox(), {}
    run(netbox, cache)
    netbox.devices.insert(3, dict(copy.deepcopy(netbox.devices[0]), id=999, name="ams1-leaf1a"))
    netbox.record("dcim.device", 999, "create")
    result, requests = run(netbox, cache)
    assert result["sync"] == "delta" and requests <= 4 and result["inventory"] == full_read(netbox)
    assert list(result["inventory"]["hosts"]) == list(full_read(netbox)["hosts"])
    moved = netbox.devices.pop(0)
    netbox.devices.append(dict(moved, name="zz-renamed"))
    netbox.record("dcim.device", moved["id"])
    result, _requests = run(netbox, cache)
    assert result["sync"] == "delta" and list(result["inventory"]["hosts"]) == list(full_read(netbox)["hosts"])
    assert result["inventory"] == full_read(netbox)
    assert run(netbox, cache)[0]["sync"] == "unchanged"


def test_fallbacks_delta_sync_off_and_unreadable_change_log():
    netbox, cache = FakeNetbox(), {}
    run(netbox, cache, delta_sync=False)
    assert cache["k"]["watermark"] is None
    cached, requests = run(netbox, cache, delta_sync=False)
    assert cached["sync"] == "cached" and requests == 0
    denied = FakeNetbox()  # the token may not view the change log
    denied.client_orig = denied.client

    def forbidden(connection=None):
        client = denied.client_orig(connection)
        denied.session.routes[("GET", "/api/core/object-changes/")] = [FakeResponse(403, {"detail": "no"})]
        return client
    denied.client = forbidden
    cache = {}
    first, _requests = run(denied, cache)
    assert first["sync"] == "full" and any("change log cannot be read" in w for w in first["warnings"])
    second, _requests = run(denied, cache)
    assert second["sync"] == "full" and any("change log" in w for w in second["warnings"])


class CountingCache(dict):
    def __init__(self):
        super().__init__()
        self.sets = 0

    def __setitem__(self, key, value):
        self.sets += 1
        super().__setitem__(key, value)


def test_unchanged_run_builds_nothing_and_writes_nothing(monkeypatch):
    netbox, cache = FakeNetbox(), CountingCache()
    netbox.record("dcim.device", netbox.devices[0]["id"])
    first, _requests = run(netbox, cache)
    assert cache.sets == 1

    def no_build(*_args, **_kwargs):
        raise AssertionError("an unchanged run must not build")
    monkeypatch.setattr(runner, "build", no_build)
    again, requests = run(netbox, cache)
    assert again["sync"] == "unchanged" and requests == 1 and cache.sets == 1
    assert again["inventory"] == first["inventory"]


def test_a_clock_dependent_grouping_is_rebuilt_from_the_data():
    netbox, cache = FakeNetbox(), {}
    netbox.record("dcim.device", netbox.devices[0]["id"])
    run(netbox, cache, group_by=["sites", "utc_offset"])
    assert cache["k"]["built"] is None
    again, _requests = run(netbox, cache, group_by=["sites", "utc_offset"])
    assert again["sync"] == "unchanged" and again["inventory"] == full_read(netbox, group_by=["sites", "utc_offset"])


@pytest.mark.parametrize("damage", [{"built": "garbage", "data": "garbage"}, {"built": None, "data": "garbage"}])
def test_a_damaged_entry_is_a_full_read(damage):
    netbox, cache = FakeNetbox(), {}
    netbox.record("dcim.device", netbox.devices[0]["id"])
    run(netbox, cache)
    cache["k"] = dict(cache["k"], **damage)
    again, _requests = run(netbox, cache)
    assert again["sync"] == "full" and again["inventory"] == full_read(netbox)
    assert cached.built_of(cache["k"]) is not None  # and the entry is good again


class _Inventory:
    """The few InventoryData calls Populator makes."""

    def __init__(self):
        self.hosts, self.groups = {}, {}

    def add_host(self, name):
        self.hosts.setdefault(name, type("Host", (), {"vars": {}, "name": name})())

    def get_host(self, name):
        return self.hosts[name]

    def remove_host(self, entity):
        del self.hosts[entity.name]

    def set_variable(self, name, key, value):
        self.hosts[name].vars[key] = value

    def add_group(self, name):
        self.groups.setdefault(name, [])
        return name

    def add_child(self, group, child):
        self.groups[group].append(child)


class _Plugin:
    def __init__(self):
        self.inventory = _Inventory()

    def get_option(self, name):
        return None


def test_populator_adds_hosts_early_and_discard_takes_them_out():
    built = b.build({"devices": [HOST, dict(HOST, id=8, name="sw2")]}, settings(group_by=["sites"]),
                    reserved=RESERVED)
    plugin = _Plugin()
    populator = Populator(plugin, valid_name=lambda key: True)
    populator.host("sw1", built["hosts"]["sw1"])
    assert list(plugin.inventory.hosts) == ["sw1"] and plugin.inventory.groups == {}
    populator.discard()
    assert plugin.inventory.hosts == {}
    populator.host("sw1", built["hosts"]["sw1"])
    populator.finish(built)  # adds the hosts not handed over yet, then the groups
    assert list(plugin.inventory.hosts) == ["sw1", "sw2"]
    assert plugin.inventory.hosts["sw2"].vars == built["hosts"]["sw2"]["vars"]
    assert plugin.inventory.groups == {name: g["hosts"] for name, g in built["groups"].items()}


def test_populator_leaves_a_host_of_another_source_alone_until_finish():
    built = b.build({"devices": [HOST]}, settings(), reserved=RESERVED)
    plugin = _Plugin()
    plugin.inventory.add_host("sw1")
    plugin.inventory.hosts["sw1"].vars = {"from_other_source": 1}
    populator = Populator(plugin, valid_name=lambda key: True)
    populator.host("sw1", built["hosts"]["sw1"])
    populator.discard()  # a failed run
    assert plugin.inventory.hosts["sw1"].vars == {"from_other_source": 1}
    populator.finish(built)
    assert plugin.inventory.hosts["sw1"].vars["from_other_source"] == 1
    assert plugin.inventory.hosts["sw1"].vars["ansible_host"] == built["hosts"]["sw1"]["vars"]["ansible_host"]
