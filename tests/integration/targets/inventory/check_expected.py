# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Expected memberships and host vars of seeded sample objects in our `--list` outputs."""
import json
import sys

from compare_inventories import memberships


def unwrap(value):
    """--list marks inventory strings unsafe: {'__ansible_unsafe': 'x'} -> 'x'."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


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
    check(leaf["sites"] == ["ams1"] and leaf["netbox_tags"] == ["prod"] and leaf["netbox_serial"] == "SN00000",
          f"host vars {leaf}")
    check(leaf["custom_fields"] == {"cost_center": "CC-100"} and leaf["regions"] == ["europe"], f"host vars {leaf}")
    check("config_context" not in leaf and "interfaces" not in leaf, "extras present without being asked")
    print(f"expected groups and vars present ({len(hv)} hosts)")


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
    {"full": full, "extras": extras}[sys.argv[1]](sys.argv[2])
