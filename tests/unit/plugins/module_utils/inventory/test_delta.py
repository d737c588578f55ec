# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_inventory/delta.py: which changes re-read which hosts, and the pure merge."""
from __future__ import annotations

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._changes import Change
from ansible_collections.sot.netbox.plugins.module_utils._inventory.delta import affected, merge, merge_hosts, merge_in_order, watched_types
from ansible_collections.sot.netbox.plugins.module_utils._inventory.plan import plan_fetch
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.inventory.helpers import settings


def dev(oid, name, ip=None):
    return {"id": oid, "name": name, "primary_ip4": {"id": ip, "address": "192.0.2.1/24"} if ip else None}


def change(otype, oid, action="update", cid=1):
    return Change(cid, "2026-12-01T10:00:00Z", action, otype, oid)


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
