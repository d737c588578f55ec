# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_inventory/build.py: nb_inventory's result from the recorded sample NetBox, nesting, extras, shared values.

Fixtures are recorded from the sample NetBox (tests/unit/plugins/inventory/fixtures/record.py): `netbox.json` holds
what NetBox returned, `nb_<variant>.json` what netbox.netbox.nb_inventory made of it. The same records built by
our pure layer must give nb_inventory's hosts, group memberships and shared host vars.
"""
from __future__ import annotations

import os
import sys

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._inventory import build as b
from ansible_collections.sot.netbox.plugins.module_utils._inventory.plan import plan_fetch
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.inventory.helpers import HOST, NETBOX, RESERVED, fixture, settings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "integration", "targets",
                                "inventory"))
from compare_inventories import compare, unwrap  # noqa: E402  pylint: disable=wrong-import-position


def as_listing(built):
    """Our built inventory in `ansible-inventory --list` shape (for compare_inventories)."""
    listing = {"_meta": {"hostvars": {n: h["vars"] for n, h in built["hosts"].items()}}}
    for name, group in built["groups"].items():
        listing[name] = {k: v for k, v in group.items() if v}
    return listing


def nb_options(variant):
    """The options of each recorded nb_inventory variant (fixtures/record.py); nb_inventory's defaults otherwise."""
    return {
        "defaults": {},
        "plurals": dict(group_by=["sites", "device_roles", "tags", "region", "site_group", "location", "is_virtual",
                                  "status", "cluster", "cluster_type", "cluster_group", "rack_role", "platforms",
                                  "tenants", "manufacturers", "device_types", "racks", "time_zone", "facility"]),
        "singular_raw": dict(plurals=False, group_names_raw=True,
                             group_by=["site", "role", "tag", "platform", "tenant", "device_type", "manufacturer",
                                       "rack", "location", "status"]),
        "filtered": dict(group_by=["sites", "device_roles"], query_filters=[{"role": "leaf"}, {"role": "application"}],
                         device_query_filters=[{"site": "ams1"}]),
    }[variant]


# nb_inventory asks for exclude=config_context, which NetBox 4.7 ignores, so it sets config_context on every host
# although its own default is config_context: false. Ours keeps that default (NetBox renders it per host).
NB_ONLY_VARS = {"config_context"}


def all_var_names(*listings):
    names = {k for listing in listings for hv in listing["_meta"]["hostvars"].values() for k in hv}
    return sorted(names - NB_ONLY_VARS)


@pytest.mark.parametrize("variant", ["defaults", "plurals", "singular_raw"])
def test_same_hosts_groups_and_every_host_var_as_nb_inventory(variant):
    built = b.build(NETBOX, settings(**nb_options(variant)), reserved=RESERVED)
    theirs = unwrap(fixture(f"nb_{variant}.json"))
    ours = as_listing(built)
    assert ours["_meta"]["hostvars"] and compare(ours, theirs, all_var_names(ours, theirs)) == []


def test_defaults_give_nb_inventorys_names_and_services():
    hv = as_listing(b.build(NETBOX, settings(), reserved=RESERVED))["_meta"]["hostvars"]
    theirs = unwrap(fixture("nb_defaults.json"))["_meta"]["hostvars"]
    with_services = sorted(h for h, v in theirs.items() if v["services"])
    assert len(with_services) == 2 and all(hv[h]["services"] == theirs[h]["services"] for h in with_services)
    assert theirs[with_services[0]]["services"][0]["url"].startswith("http")  # NetBox's records, URLs kept
    assert all("tags" in v and "serial" in v and "netbox_tags" not in v for v in hv.values())


def test_filtered_hosts_match_nb_inventory():
    """nb_filtered: query_filters role leaf|application, device_query_filters site ams1 (NetBox filtered)."""
    opts = nb_options("filtered")
    plan = plan_fetch(settings(**opts))
    assert {q.kind: q.params for q in plan.hosts} == {
        "device": (("role", "leaf"), ("role", "application"), ("site", "ams1")),
        "vm": (("role", "leaf"), ("role", "application"))}
    data = {"devices": [d for d in NETBOX["devices"] if d["role"]["slug"] in ("leaf", "application")
                        and d["site"]["slug"] == "ams1"],
            "vms": [v for v in NETBOX["vms"] if v["role"]["slug"] in ("leaf", "application")],
            "tables": NETBOX["tables"], "extras": NETBOX["extras"]}
    ours, theirs = as_listing(b.build(data, settings(**opts))), unwrap(fixture("nb_filtered.json"))
    assert compare(ours, theirs, all_var_names(ours, theirs)) == []


@pytest.mark.parametrize("prefix,expected_keys", [
    ("netbox_", {"netbox_tags", "netbox_serial"}),
    ("", {"tags", "serial"}),
])
def test_reserved_names_get_the_prefix_but_compose_sees_the_plain_names(prefix, expected_keys):
    built = b.build({"devices": [HOST]}, settings(reserved_var_prefix=prefix), reserved=RESERVED)
    host = built["hosts"]["sw1"]
    assert expected_keys <= set(host["vars"])
    compose_vars, group_vars = b.constructed_vars(host)
    # as nb_inventory: compose sees the NetBox record's tags, groups/keyed_groups the slugs
    assert compose_vars["tags"] == HOST["tags"] and compose_vars["sites"] == ["ams1"]
    assert compose_vars["serial"] == "SN1"
    if prefix:  # Ansible merges the host's (prefixed) vars over these: the plain names come from `moved`
        assert group_vars["tags"] == ["prod", "edge"] and group_vars["serial"] == "SN1"
    assert b.build({"devices": [HOST]}, settings(), reserved=RESERVED, keep_raw=False)["hosts"]["sw1"]["raw"] is None


def test_build_skips_unnamed_duplicates_and_chassis_members():
    member = dict(HOST, id=8, name="sw1-member", virtual_chassis={"name": "vc", "master": {"id": 7}})
    data = {"devices": [HOST, dict(HOST, id=9, name=None), member], "vms": [dict(HOST, id=7, name="sw1")]}
    built = b.build(data, settings(group_by=["sites"]))
    assert list(built["hosts"]) == ["sw1"]
    assert len(built["warnings"]) == 2
    assert "without a name" in built["warnings"][0] and "sw1" in built["warnings"][1]


def test_build_nests_region_site_location():
    tables = {"sites": [{"id": 1, "slug": "ams1", "region": {"id": 2}, "group": None},
                        {"id": 5, "slug": "empty", "region": {"id": 3}, "group": None}],
              "regions": [{"id": 2, "slug": "nl", "parent": {"id": 3}}, {"id": 3, "slug": "europe", "parent": None}],
              "locations": [{"id": 10, "slug": "hall-a", "parent": None, "site": {"id": 1}},
                            {"id": 11, "slug": "cage-1", "parent": {"id": 10}, "site": {"id": 1}}]}
    in_cage = dict(HOST, location={"id": 11, "slug": "cage-1"})
    no_loc = dict(HOST, id=8, name="sw2", location=None)
    built = b.build({"devices": [in_cage, no_loc], "tables": tables},
                    settings(group_by=["region", "location"]))
    groups = built["groups"]
    assert groups["region_europe"]["children"] == ["region_nl", "sites_empty"]
    assert groups["region_nl"]["children"] == ["sites_ams1"]
    assert groups["sites_ams1"]["children"] == ["location_hall-a"] and groups["sites_ams1"]["hosts"] == ["sw2"]
    assert groups["location_hall-a"]["children"] == ["location_cage-1"]
    assert groups["location_cage-1"]["hosts"] == ["sw1"]
    assert built["hosts"]["sw1"]["vars"]["regions"] == ["nl", "europe"]
    assert built["hosts"]["sw1"]["vars"]["locations"] == ["cage-1", "hall-a"]


def test_attach_extras_interfaces_ips_services():
    extras = {
        "device_interfaces": [{"id": 100, "name": "eth0", "device": {"id": 7}, "tags": [{"slug": "mgmt"}]},
                              {"id": 101, "name": "eth0", "device": {"id": 999}, "tags": []}],
        "device_ips": [{"id": 1, "address": "192.0.2.1/24", "assigned_object_type": "dcim.interface",
                        "assigned_object_id": 100}],
        "vm_services": [{"id": 5, "name": "ssh", "parent_object_type": "virtualization.virtualmachine",
                         "parent_object_id": 7}],
    }
    built = b.build({"devices": [HOST], "vms": [dict(HOST, name="vm7")], "extras": extras},
                    settings(interfaces=True, group_by=["services"]))
    iface = built["hosts"]["sw1"]["vars"]["interfaces"]
    assert [i["name"] for i in iface] == ["eth0"] and iface[0]["ip_addresses"][0]["address"] == "192.0.2.1/24"
    assert iface[0]["tags"] == ["mgmt"]
    assert built["hosts"]["vm7"]["vars"]["services"][0]["name"] == "ssh"
    assert built["groups"]["service_ssh"]["hosts"] == ["vm7"]


def test_equal_small_values_are_shared_between_hosts():
    built = b.build({"devices": [HOST, dict(HOST, id=8, name="sw2")]}, settings(), reserved=RESERVED)
    one, two = built["hosts"]["sw1"]["vars"], built["hosts"]["sw2"]["vars"]
    assert one == dict(two) and one is not two
    for key in ("sites", "status", "custom_fields", "tags", "ansible_host"):
        assert one[key] is two[key], key


def test_builder_prepares_vms_early_and_still_keeps_the_device_on_a_name_clash():
    device, vm = dict(HOST, is_virtual=False), dict(HOST, id=70, is_virtual=True, vcpus=2)
    other_vm = dict(HOST, id=71, name="vm2", is_virtual=True)
    builder = b.Builder(settings(group_by=["sites", "is_virtual"]), reserved=RESERVED)
    early = builder.prepare([vm, other_vm])  # VM pages came in first
    assert list(builder.register(builder.prepare([device]))) == ["sw1"]
    assert list(builder.register(early)) == ["vm2"]
    built = builder.finish()
    whole = b.build({"devices": [HOST], "vms": [dict(HOST, id=70, vcpus=2), dict(HOST, id=71, name="vm2")]},
                    settings(group_by=["sites", "is_virtual"]), reserved=RESERVED)
    assert built == whole and list(built["groups"]) == list(whole["groups"])
    assert built["hosts"]["sw1"]["vars"]["is_virtual"] is False and "1 host(s) share a name" in built["warnings"][0]
