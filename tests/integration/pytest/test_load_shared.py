# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Load: several exports and several inventories at once, all sharing one persistent module cache and
one inventory cache directory: every run succeeds, and every run produces the same data."""
from __future__ import annotations

import hashlib
import json
import os
import pathlib
import subprocess

import yaml

URL = os.environ["NETBOX_URL"]
TOKEN = os.environ["NETBOX_TOKEN"]
EXPORTS = 4
INVENTORIES = 4


def test_concurrent_exports_and_inventories_share_the_caches(tmp_path):
    env = {**os.environ, "NETBOX_URL": URL, "NETBOX_TOKEN": TOKEN, "ANSIBLE_LOCALHOST_WARNING": "false",
           "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
           "SOT_NETBOX_CACHE_PATH": str(tmp_path / "shared-cache" / "http-cache.sqlite")}
    source = tmp_path / "load.netbox.yml"
    source.write_text(yaml.safe_dump({"plugin": "sot.netbox.inventory", "cache": True,
                                      "cache_plugin": "ansible.builtin.jsonfile",
                                      "cache_connection": str(tmp_path / "inventory-cache"),
                                      "group_by": ["sites", "device_roles", "tags"]}))
    procs = []
    for i in range(EXPORTS):
        play = tmp_path / f"export{i}.yml"
        play.write_text(yaml.safe_dump([{"name": "Export", "hosts": "localhost", "gather_facts": False, "tasks": [
            {"name": "Export", "sot.netbox.netbox_export": {"dest": str(tmp_path / f"out{i}")}}]}]))
        procs.append(("export", subprocess.Popen(["ansible-playbook", str(play)], env=env, text=True,
                                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT)))
    for _i in range(INVENTORIES):
        procs.append(("inventory", subprocess.Popen(["ansible-inventory", "--list", "-i", str(source)], env=env,
                                                    text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)))
    outputs = {"export": [], "inventory": []}
    for kind, proc in procs:
        out, _err = proc.communicate(timeout=600)
        assert proc.returncode == 0, out[-3000:]
        outputs[kind].append(out)
    csv_digests = {hashlib.sha256((tmp_path / f"out{i}" / "inventory.csv").read_bytes()).hexdigest()
                   for i in range(EXPORTS)}
    assert len(csv_digests) == 1  # every concurrent export wrote the same merged CSV
    inventories = [json.loads(o) for o in outputs["inventory"]]
    assert all(inv == inventories[0] for inv in inventories)
    assert "ams1-leaf1" in inventories[0]["_meta"]["hostvars"]
    assert list(pathlib.Path(tmp_path / "inventory-cache").iterdir())  # the inventory cache was written
