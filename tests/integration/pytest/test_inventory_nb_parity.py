# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sot.netbox.inventory vs netbox.netbox.nb_inventory on the real NetBox: an nb_inventory file renamed to `nb.yml`
whose only change is its `plugin:` line gives the same hosts, the same group memberships (nesting included) and
the same host variables, names and values, under nb_inventory's defaults and for other option sets.

The one host variable left out is `config_context`: nb_inventory's default is `config_context: false`, but it asks
for `exclude=config_context`, which NetBox 4.7 ignores, so nb_inventory sets it anyway; ours keeps the documented
default (a case with `config_context: true` compares it). The sample data has no services: two are created for
this module (on a device and a VM) so that the default `services: true` is compared with content.

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
import requests

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "targets", "inventory"))
from compare_inventories import compare, unwrap  # noqa: E402  pylint: disable=wrong-import-position

URL, TOKEN = os.environ.get("NETBOX_URL"), os.environ.get("NETBOX_TOKEN")
pytestmark = pytest.mark.skipif(not URL or not TOKEN, reason="needs NETBOX_URL/NETBOX_TOKEN (tools/test integration)")

ALL = ["sites", "device_roles", "tags", "region", "site_group", "location", "is_virtual", "status", "cluster",
       "cluster_type", "cluster_group", "rack_role", "platforms", "tenants", "manufacturers", "device_types", "racks",
       "time_zone", "facility", "services"]
SINGULAR = ["site", "role", "tag", "platform", "tenant", "device_type", "manufacturer", "rack", "location", "status"]
CASES = {
    "defaults": "",
    "full": f"group_by: {json.dumps(ALL)}\n",
    "singular_raw": f"plurals: false\ngroup_names_raw: true\ngroup_by: {json.dumps(SINGULAR)}\n",
    "filtered": "group_by: [sites, device_roles, tags]\nquery_filters: [{role: leaf}, {role: application}]\n"
                "device_query_filters: [{site: ams1}]\n",
    "vm_only_filter": "group_by: [cluster, is_virtual]\nquery_filters: [{cluster_type: vmware}]\n",
    "flattened": "flatten_custom_fields: true\nflatten_local_context_data: true\nracks: false\nservices: false\n"
                 "dns_name: true\n",
    "config_context": "config_context: true\ngroup_by: [sites]\n",
}
NB_ONLY_VARS = {"config_context"}  # see the module docstring


def inventory(directory, name, text):
    directory.mkdir(exist_ok=True)
    path = directory / name
    path.write_text(text)
    env = dict(os.environ, ANSIBLE_INVENTORY_UNPARSED_FAILED="true", ANSIBLE_LOCALHOST_WARNING="false")
    proc = subprocess.run(["ansible-inventory", "-i", str(path), "--list"], capture_output=True, text=True, env=env,
                          check=False, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


def api(method, path, body=None):
    response = requests.request(method, f"{URL.rstrip('/')}/api/{path}", json=body, timeout=60,
                                headers={"Authorization": f"Token {TOKEN}"})
    response.raise_for_status()
    return response.json() if response.content else None


@pytest.fixture(scope="module")
def services():
    device = api("GET", "dcim/devices/?name=ams1-leaf1&fields=id")["results"][0]["id"]
    vm = api("GET", "virtualization/virtual-machines/?name=app01&fields=id")["results"][0]["id"]
    made = api("POST", "ipam/services/", [
        {"parent_object_type": "dcim.device", "parent_object_id": device, "name": "ssh-parity", "protocol": "tcp",
         "ports": [22]},
        {"parent_object_type": "virtualization.virtualmachine", "parent_object_id": vm, "name": "https-parity",
         "protocol": "tcp", "ports": [443, 8443], "description": "parity test"}])
    yield made
    api("DELETE", "ipam/services/", [{"id": s["id"]} for s in made])


def var_names(*listings):
    names = {k for listing in listings for hv in listing["_meta"]["hostvars"].values() for k in hv}
    return sorted(names - NB_ONLY_VARS)


@pytest.mark.parametrize("case", sorted(CASES))
def test_only_the_plugin_line_changed_gives_the_same_inventory(tmp_path, case, services):
    nb_file = f"plugin: netbox.netbox.nb_inventory\napi_endpoint: {URL}\n{CASES[case]}"
    ours_file = nb_file.replace("plugin: netbox.netbox.nb_inventory\n", "plugin: sot.netbox.inventory\n", 1)
    assert ours_file != nb_file
    problems = None
    for attempt in range(5):
        ours = inventory(tmp_path / "ours", "nb.yml", ours_file)
        theirs = inventory(tmp_path / "theirs", "nb.yml", nb_file)
        compared = var_names(ours, theirs) + (["config_context"] if case == "config_context" else [])
        problems = compare(ours, theirs, compared)
        if not problems:
            break
        time.sleep(attempt + 1)  # NetBox changed between the two runs (other tests): try again
    assert problems == []
    hostvars = unwrap(ours["_meta"]["hostvars"])
    assert hostvars, "no hosts at all"
    if case == "defaults":  # the variables the issue names, and services with content
        leaf, app = hostvars["ams1-leaf1"], hostvars["app01"]
        assert "tags" in leaf and "serial" in leaf and not any(k.startswith("netbox_") for k in leaf)
        assert [s["name"] for s in leaf["services"]] == ["ssh-parity"]
        assert [s["name"] for s in app["services"]] == ["https-parity"]
    if case == "config_context":
        assert all("config_context" in hv for hv in hostvars.values())
