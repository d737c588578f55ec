# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sot.netbox.inventory vs netbox.netbox.nb_inventory on the real NetBox: same hosts, same group memberships
(nesting included) and the same shared host vars, for the same options with only the `plugin:` line changed.

Runs `ansible-inventory --list` for both (the project venv has netbox.netbox). Other tests create and
delete their own objects meanwhile, so a pair of runs is repeated a few times before a difference counts.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "targets", "inventory"))
from compare_inventories import compare  # noqa: E402  pylint: disable=wrong-import-position

URL, TOKEN = os.environ.get("NETBOX_URL"), os.environ.get("NETBOX_TOKEN")
pytestmark = pytest.mark.skipif(not URL or not TOKEN, reason="needs NETBOX_URL/NETBOX_TOKEN (tools/test integration)")

ALL = ["sites", "device_roles", "tags", "region", "site_group", "location", "is_virtual", "status", "cluster",
       "cluster_type", "cluster_group", "rack_role", "platforms", "tenants", "manufacturers", "device_types", "racks",
       "time_zone", "facility"]
SINGULAR = ["site", "role", "tag", "platform", "tenant", "device_type", "manufacturer", "rack", "location", "status"]
BASE_VARS = ["ansible_host", "primary_ip4", "primary_ip6", "status", "custom_fields", "is_virtual", "asset_tag"]
CASES = {
    "full": (f"group_by: {json.dumps(ALL)}\n",
             BASE_VARS + ["sites", "device_roles", "regions", "site_groups", "locations", "cluster", "cluster_type",
                          "cluster_group", "rack_role", "platforms", "tenants", "racks", "device_types",
                          "manufacturers", "time_zone", "facility", "vcpus", "memory", "disk"]),
    "singular_raw": (f"plurals: false\ngroup_names_raw: true\ngroup_by: {json.dumps(SINGULAR)}\n",
                     BASE_VARS + ["site", "role", "platform", "tenant", "rack", "device_type", "manufacturer"]),
    "filtered": ("group_by: [sites, device_roles, tags]\nquery_filters: [{role: leaf}, {role: application}]\n"
                 "device_query_filters: [{site: ams1}]\n", BASE_VARS + ["sites", "device_roles"]),
    "vm_only_filter": ("group_by: [cluster, is_virtual]\nquery_filters: [{cluster_type: vmware}]\n",
                       BASE_VARS + ["cluster"]),
}


def inventory(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    env = dict(os.environ, ANSIBLE_INVENTORY_UNPARSED_FAILED="true", ANSIBLE_LOCALHOST_WARNING="false")
    proc = subprocess.run(["ansible-inventory", "-i", str(path), "--list"], capture_output=True, text=True, env=env,
                          check=False, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_hosts_groups_and_vars_as_nb_inventory(tmp_path, case):
    options, var_names = CASES[case]
    ours_file = f"plugin: sot.netbox.inventory\nurl: {URL}\n{options}"
    nb_file = f"plugin: netbox.netbox.nb_inventory\napi_endpoint: {URL}\nservices: false\n{options}"
    problems = None
    for attempt in range(5):
        ours = inventory(tmp_path, f"{case}.sot_netbox.yml", ours_file)
        theirs = inventory(tmp_path, f"{case}.nb_inventory.yml", nb_file)
        problems = compare(ours, theirs, var_names)
        if not problems:
            break
        time.sleep(attempt + 1)  # NetBox changed between the two runs (other tests): try again
    assert problems == []
    assert ours["_meta"]["hostvars"], "no hosts at all"
