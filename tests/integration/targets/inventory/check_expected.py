# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Expected memberships and host vars of seeded sample objects in our `--list` outputs."""
import json
import sys

from compare_inventories import memberships, unwrap


def load(path):
    with open(path, encoding="utf-8") as handle:
        return unwrap(json.load(handle))


def check(condition, message):
    if not condition:
        print("FAILED:", message)
        sys.exit(1)


def full(path):
    listing = load(path)
    groups, hv = memberships(listing), listing["_meta"]["hostvars"]
    check({"sites_ams1", "location_hall-a", "region_europe", "site_group_dc-east", "device_roles_leaf", "tags_prod",
           "platforms_eos", "tenants_platform", "manufacturers_arista", "device_types_dcs-7060x5-64",
           "status_planned"} <= groups["ams1-leaf1"], f"ams1-leaf1 groups: {sorted(groups['ams1-leaf1'])}")
    check({"is_virtual", "cluster_prod-cl1", "sites_ams1", "device_roles_application"} <= groups["app01"],
          f"app01 groups: {sorted(groups['app01'])}")
    check("is_virtual" not in groups["ams1-leaf1"], "a device is in is_virtual")
    leaf = hv["ams1-leaf1"]
    check(leaf["ansible_host"] == "192.0.2.10", f"ansible_host {leaf.get('ansible_host')}")
    check(leaf["sites"] == ["ams1"] and leaf["tags"] == ["prod"] and leaf["serial"] == "SN00000",
          f"host vars {leaf}")
    check(leaf["custom_fields"] == {"cost_center": "CC-100"} and leaf["regions"] == ["europe"], f"host vars {leaf}")
    check("config_context" not in leaf and "interfaces" not in leaf, "extras present without being asked")
    check(leaf["services"] == [] and leaf["local_context_data"] == [None], f"nb_inventory's default vars {leaf}")
    print(f"expected groups and vars present ({len(hv)} hosts)")


def defaults(path):
    """nb_inventory's defaults: no groups, nb_inventory's host var names (no prefix)."""
    listing = load(path)
    groups, hv = memberships(listing), listing["_meta"]["hostvars"]
    check(all(not g for g in groups.values()), f"groups without group_by: {sorted(set().union(*groups.values()))}")
    leaf = hv["ams1-leaf1"]
    check(leaf["tags"] == ["prod"] and leaf["serial"] == "SN00000" and leaf["services"] == [], f"host vars {leaf}")
    check(leaf["regions"] == ["europe"] and leaf["site_groups"] == ["dc-east"] and leaf["locations"] == ["hall-a"],
          f"host vars {leaf}")
    check(not any(k.startswith("netbox_") for k in leaf), f"prefixed names by default {sorted(leaf)}")
    print(f"nb_inventory's default host vars ({len(hv)} hosts)")


def prefixed(path):
    leaf = load(path)["_meta"]["hostvars"]["ams1-leaf1"]
    check(leaf["netbox_tags"] == ["prod"] and leaf["netbox_serial"] == "SN00000", f"host vars {sorted(leaf)}")
    check("tags" not in leaf and "serial" not in leaf and leaf["prod_tagged"] is True, f"host vars {sorted(leaf)}")
    print("reserved_var_prefix: netbox_tags, netbox_serial; compose still sees tags")


def extras(path):
    listing = load(path)
    groups, hv = memberships(listing), listing["_meta"]["hostvars"]
    check(all(not h.startswith("app") for h in hv), "virtual_machines: false still gave VMs")
    leaf = hv["ams1-leaf1"]
    names = [i["name"] for i in leaf["interfaces"]]
    check("Ethernet1" in names and leaf["mgmt_names"] == names, f"interfaces {names[:5]} compose {leaf.get('mgmt_names')}")
    check(leaf["services"] == [] or isinstance(leaf["services"], list), "services missing")
    check({"leafs", "state_planned", "tagged_prod"} <= groups["ams1-leaf1"], f"constructed groups {sorted(groups['ams1-leaf1'])}")
    print("interfaces, services, compose, keyed_groups and groups ok")


if __name__ == "__main__":
    {"full": full, "extras": extras, "defaults": defaults, "prefixed": prefixed}[sys.argv[1]](sys.argv[2])
