# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_export.delta: a cached export + change records -> what to re-read, and the merge (pure, table-driven)."""
from __future__ import annotations

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._changes import Change
from ansible_collections.sot.netbox.plugins.module_utils._export import delta as D
from ansible_collections.sot.netbox.plugins.module_utils._export.rows import DEVICE, VM


def item(oid, name, refs=(), row=None):
    return {"id": oid, "name": name, "refs": sorted(refs), "row": row or [name]}


def assignment(aid, otype, oid, contact):
    return {"id": aid, "object_type": otype, "object_id": oid, "contact": {"id": contact, "name": f"C{contact}"},
            "role": {"slug": "owner"}, "priority": {"value": "primary"}}


BODY = {
    "rows": {
        DEVICE: [item(1, "a", ["dcim.site:10", "extras.tag:7"]), item(2, "b", ["dcim.site:11", "dcim.manufacturer:3"]),
                 item(3, "c", ["dcim.site:10"])],
        VM: [item(5, "vm1", ["dcim.device:2", "virtualization.cluster:4"]), item(6, "vm2", ["virtualization.cluster:4"])],
    },
    "assignments": [assignment(20, "dcim.device", 1, 100), assignment(21, "virtualization.virtualmachine", 6, 100),
                    assignment(22, "dcim.device", 3, 101)],
}


def change(otype, oid, action="update"):
    return Change(1, "2026-12-01T10:00:00Z", action, otype, oid)


@pytest.mark.parametrize("changes,filtered,devices,vms,assignments,full", [
    ([], False, [], [], [], ""),
    ([change("dcim.device", 3)], False, [3], [], [], ""),
    ([change("dcim.device", 2)], False, [2], [5], [], ""),                    # a VM shows its device's name
    ([change("virtualization.virtualmachine", 9, "create")], False, [], [9], [], ""),
    ([change("dcim.site", 10)], False, [1, 3], [], [], ""),                    # a site renamed: its rows
    ([change("extras.tag", 7, "delete")], False, [1], [], [], ""),
    ([change("dcim.manufacturer", 3)], False, [2], [], [], ""),              # nested: device_type.manufacturer
    ([change("virtualization.cluster", 4)], False, [], [5, 6], [], ""),
    ([change("dcim.site", 99)], False, [], [], [], ""),                        # feeds no row
    ([change("tenancy.contactassignment", 21)], False, [], [], [21], ""),
    ([change("tenancy.contact", 100)], False, [], [], [20, 21], ""),          # a contact renamed: its assignments
    ([change("extras.customfield", 1)], False, [], [], [], "columns"),
    ([change("tenancy.contactrole", 1)], False, [], [], [], "columns"),
    ([change("dcim.site", 10)], True, [], [], [], "filters are set"),         # may bring in devices no record names
    ([change("dcim.device", 3)], True, [3], [], [], ""),                      # filters: the re-read applies them
    ([change("dcim.sitegroup", 2)], False, [], [], [], ""),                    # no column shows it
    ([change("dcim.sitegroup", 2)], True, [], [], [], "filters are set"),      # a filter may select by it
])
def test_plan_rereads(changes, filtered, devices, vms, assignments, full):
    plan = D.plan_rereads(changes, BODY, filtered)
    assert (full in plan.full) if full else not plan.full
    if not full:
        assert (sorted(plan.objects[DEVICE]), sorted(plan.objects[VM]), sorted(plan.assignments)) == (devices, vms,
                                                                                                      assignments)


@pytest.mark.parametrize("ids,fresh,kept,touched_devices,touched_vms", [
    ([22], [assignment(22, "dcim.device", 3, 100)], [20, 21, 22], [3], []),              # contact reassigned
    ([22], [assignment(22, "virtualization.virtualmachine", 5, 101)], [20, 21, 22], [3], [5]),  # moved object
    ([21], [], [20, 22], [], [6]),                                                      # deleted
    ([30], [assignment(30, "dcim.device", 2, 100)], [20, 21, 22, 30], [2], []),          # created
    ([31], [assignment(31, "dcim.site", 1, 100)], [20, 21, 22], [], []),                 # another object type
])
def test_merge_assignments(ids, fresh, kept, touched_devices, touched_vms):
    merged, touched = D.merge_assignments(BODY["assignments"], ids, fresh)
    assert [a["id"] for a in merged] == kept
    assert (sorted(touched[DEVICE]), sorted(touched[VM])) == (touched_devices, touched_vms)


ROWS = BODY["rows"][DEVICE]


@pytest.mark.parametrize("ids,fresh,order,names,reason", [
    ([2], [item(2, "b", row=["b2"])], None, ["a", "b", "c"], ""),            # updated in place
    ([2], [], None, ["a", "c"], ""),                                          # deleted (or left the filters)
    ([9], [item(9, "aa")], None, None, "new to the result"),                  # new: NetBox's order is needed
    ([2], [item(2, "zz")], None, None, "renamed"),
    ([9], [item(9, "aa")], [1, 9, 2, 3], ["a", "aa", "b", "c"], ""),          # placed by NetBox's order
    ([2], [item(2, "zz")], [1, 3, 2], ["a", "c", "zz"], ""),
    ([9], [item(9, "aa")], [1, 9, 2, 3, 4], None, "neither cached nor re-read"),  # a record we have not seen yet
])
def test_merge_rows(ids, fresh, order, names, reason):
    merged, why = D.merge_rows(ROWS, ids, fresh, order)
    assert (reason in why) if reason else not why
    if names is not None:
        assert [m["name"] for m in merged] == names
    if ids == [2] and fresh and fresh[0]["name"] == "b":
        assert merged[1]["row"] == ["b2"]


@pytest.mark.parametrize("obj,refs", [
    ({"id": 1}, []),
    ({"id": 1, "site": {"id": 3, "name": "x"}, "tags": [{"id": 7}, {"id": 8}]}, ["dcim.site:3", "extras.tag:7", "extras.tag:8"]),
    ({"id": 1, "device_type": {"id": 2, "manufacturer": {"id": 5}}}, ["dcim.devicetype:2", "dcim.manufacturer:5"]),
    ({"id": 1, "primary_ip4": {"id": 4}, "primary_ip6": None, "device": {"id": 9}}, ["dcim.device:9", "ipam.ipaddress:4"]),
    ({"id": 1, "site": None, "tags": []}, []),
])
def test_refs_of(obj, refs):
    assert D.refs_of(obj) == refs


def test_watched_types_cover_every_reference_and_the_contacts():
    types = D.watched_types()
    assert D.REF_MODELS <= types and {"tenancy.contact", "tenancy.contactassignment", "dcim.device",
                                      "virtualization.virtualmachine", "extras.customfield"} <= types
