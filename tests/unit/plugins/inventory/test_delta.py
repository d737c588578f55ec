# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inventory's delta sync: which changes re-read which hosts, the pure merge, and load() end to end on a
fake NetBox whose data and change log change between runs (the delta result must equal a full read)."""
from __future__ import annotations

import ast
import copy
import json
import os

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._changes import Change
from ansible_collections.sot.netbox.plugins.module_utils._client import NetboxClient
from ansible_collections.sot.netbox.plugins.module_utils._inventory.delta import (
    affected, merge, merge_hosts, merge_in_order, watched_types)
from ansible_collections.sot.netbox.plugins.module_utils._inventory.plan import TABLES, plan_fetch
from ansible_collections.sot.netbox.plugins.module_utils._inventory.runner import load
from ansible_collections.sot.netbox.plugins.module_utils._inventory.settings import settings_from
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.fakes import FakeResponse, FakeSession

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "fixtures", "netbox.json"), encoding="utf-8") as _handle:
    NETBOX = json.load(_handle)
TOKEN = "0123456789abcdef0123456789abcdef01234567"


def settings(**kw):
    return settings_from(kw.get)


def dev(oid, name, ip=None):
    return {"id": oid, "name": name, "primary_ip4": {"id": ip, "address": "192.0.2.1/24"} if ip else None}


def change(otype, oid, action="update", cid=1):
    return Change(cid, "2026-12-01T10:00:00Z", action, otype, oid)


# ---------------------------------------------------------------- pure: which hosts, or a full read

CACHED = {"devices": [dev(1, "a", ip=11), dev(2, "b")], "vms": [dev(5, "v", ip=12)]}


@pytest.mark.parametrize("opts,changes,ids,full", [
    ({}, [change("dcim.device", 2)], {"device": [2]}, ""),
    ({}, [change("dcim.device", 2), change("dcim.device", 2, cid=2)], {"device": [2]}, ""),
    ({}, [change("virtualization.virtualmachine", 5, "delete")], {"vm": [5]}, ""),
    ({}, [change("ipam.ipaddress", 12)], {"vm": [5]}, ""),         # a primary IP edited: its host
    ({}, [change("ipam.ipaddress", 99)], {}, ""),                  # an IP no host shows
    ({}, [change("ipam.prefix", 1)], {}, ""),                      # a type the result does not depend on
    ({}, [change("dcim.site", 1)], {}, "dcim.site 1 changed"),     # a lookup object: everything
    ({}, [change("extras.tag", 3, "delete")], {}, "extras.tag 3"),
    ({}, [change("ipam.service", 3)], {}, "ipam.service 3"),       # services are on by default
    ({"services": False}, [change("ipam.service", 3)], {}, ""),
    ({"interfaces": True}, [change("ipam.ipaddress", 12)], {}, "ipam.ipaddress 12"),
    ({"devices": False}, [change("dcim.device", 2)], {}, ""),
])
def test_affected(opts, changes, ids, full):
    s = settings(**opts)
    hit = affected(changes, CACHED, s, plan_fetch(s))
    assert hit.ids == ids and hit.full.startswith(full) and bool(hit.full) == bool(full)


def test_watched_types_follow_the_options():
    base = watched_types(plan_fetch(settings()), settings())
    assert {"dcim.device", "virtualization.virtualmachine", "ipam.ipaddress", "dcim.site", "ipam.service"} <= base
    assert "dcim.interface" not in base and "extras.configcontext" not in base
    s = settings(interfaces=True, config_context=True, services=False, virtual_machines=False)
    types = watched_types(plan_fetch(s), s)
    assert {"dcim.interface", "extras.configcontext"} <= types
    assert "ipam.service" not in types and "virtualization.virtualmachine" not in types


@pytest.mark.parametrize("records,changed,reread,expected,reason", [
    ([dev(1, "a"), dev(2, "b")], [2], [dict(dev(2, "b"), serial="X")], [dev(1, "a"), dict(dev(2, "b"), serial="X")], ""),
    ([dev(1, "a"), dev(2, "b"), dev(3, "c")], [2], [], [dev(1, "a"), dev(3, "c")], ""),     # deleted / filtered out
    ([dev(1, "a"), dev(2, "b")], [2], [dev(2, "z")], None, "renamed"),                      # NetBox's order may change
    ([dev(1, "a")], [4], [dev(4, "d")], None, "new to the result"),                        # position unknown
    ([dev(1, "a")], [], [], [dev(1, "a")], ""),
])
def test_merge_hosts(records, changed, reread, expected, reason):
    out, why = merge_hosts(records, changed, reread)
    assert reason in why and bool(why) == bool(reason)
    assert out == (records if reason else expected)


@pytest.mark.parametrize("records,changed,reread,order,expected,reason", [
    ([dev(1, "a"), dev(2, "b")], [4], [dev(4, "aa")], [1, 4, 2], [dev(1, "a"), dev(4, "aa"), dev(2, "b")], ""),
    ([dev(1, "a"), dev(2, "b")], [1], [dev(1, "c")], [2, 1], [dev(2, "b"), dev(1, "c")], ""),        # renamed
    ([dev(1, "a"), dev(2, "b")], [2], [], [1], [dev(1, "a")], ""),                                    # deleted
    ([dev(1, "a")], [4], [dev(4, "d")], [1, 4, 5], None, "neither cached nor re-read"),              # raced
    ([dev(1, "a"), dev(2, "b")], [4], [dev(4, "d")], [1, 4], None, "no longer listed"),               # raced
])
def test_merge_in_order(records, changed, reread, order, expected, reason):
    out, why = merge_in_order(records, changed, reread, order)
    assert reason in why and bool(why) == bool(reason)
    assert out == (records if reason else expected)


def test_merge_keeps_the_other_kinds_and_the_tables():
    data = dict(CACHED, tables={"sites": [{"id": 1}]}, extras={})
    out, why = merge(data, {"vm": [5]}, {"vm": []})
    assert why == "" and out["vms"] == [] and out["devices"] is data["devices"] and out["tables"] is data["tables"]


# ---------------------------------------------------------------- load(): full, unchanged, delta, fallbacks

class FakeNetbox:
    """The sample data behind fake HTTP, with a change log that records what the tests change."""

    def __init__(self):
        self.devices = copy.deepcopy(NETBOX["devices"])
        self.vms = copy.deepcopy(NETBOX["vms"])
        self.log, self.clock, self.session = [], 0, None

    def record(self, otype, oid, action="update"):
        self.clock += 1
        self.log.append({"id": len(self.log) + 1, "time": f"2026-12-01T10:{self.clock // 60:02d}:{self.clock % 60:02d}Z",
                         "action": {"value": action}, "changed_object_type": otype, "changed_object_id": oid})

    def lister(self, rows_of):
        def route(method, path, params, body):
            rows = rows_of()
            if "id" in params:
                wanted = set(ast.literal_eval(params["id"])) if params["id"].startswith("[") else {int(params["id"])}
                rows = [r for r in rows if r["id"] in wanted]
            if path.endswith("/object-changes/"):
                rows = [r for r in rows if "time_after" not in params or r["time"] >= params["time_after"]]
                rows = sorted(rows, key=lambda r: r["id"], reverse=params.get("ordering") == "-id")
            limit, offset = int(params.get("limit", 50)), int(params.get("offset", 0))
            nxt = f"http://nb.test{path}?limit={limit}&offset={offset + limit}" if offset + limit < len(rows) else None
            return FakeResponse(200, {"count": len(rows), "next": nxt, "previous": None,
                                      "results": rows[offset:offset + limit]})
        return route

    def client(self, _connection=None):
        routes = {("GET", "/api/dcim/devices/"): self.lister(lambda: self.devices),
                  ("GET", "/api/virtualization/virtual-machines/"): self.lister(lambda: self.vms),
                  ("GET", "/api/ipam/services/"): self.lister(lambda: []),
                  ("GET", "/api/core/object-changes/"): self.lister(lambda: self.log)}
        for name, (endpoint, _fields) in TABLES.items():
            routes[("GET", f"/api/{endpoint}/")] = self.lister(lambda n=name: NETBOX["tables"][n])
        self.session = FakeSession(routes)
        return NetboxClient("http://nb.test", TOKEN, session=self.session, max_workers=4, page_size=1000)


def run(netbox, cache, **opts):
    opts = dict(dict(url="http://nb.test", token=TOKEN, cache=True, group_by=["sites", "tags"]), **opts)
    netbox.session = None
    result = load(opts.get, cache, "k", True, client_factory=netbox.client, now=1000.0)
    return result, len(netbox.session.calls) if netbox.session is not None else 0


def full_read(netbox, **opts):
    return run(netbox, {}, **opts)[0]["inventory"]


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
