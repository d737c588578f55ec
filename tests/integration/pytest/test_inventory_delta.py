# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Delta sync against the real NetBox: random creates, updates and deletes, each followed by a delta run (cached
result + change log) and a full run, whose built inventories must be identical; some writes run while a sync runs.

The runner is called in-process (the same `load` the plugin calls) so that many steps fit in a test run.
SOT_DELTA_STEPS sets the number of steps (default 200). Everything changed is put back at the end.
"""
from __future__ import annotations

import os
import random
import threading

import pytest
import requests

from ansible_collections.sot.netbox.plugins.module_utils._inventory.runner import load

URL, TOKEN = os.environ.get("NETBOX_URL"), os.environ.get("NETBOX_TOKEN")
pytestmark = pytest.mark.skipif(not URL or not TOKEN, reason="needs NETBOX_URL/NETBOX_TOKEN (tools/test integration)")
STEPS = int(os.environ.get("SOT_DELTA_STEPS", "200"))
OPTIONS = dict(url=URL, token=TOKEN, group_by=["sites", "tags", "status", "device_roles"], dns_name=True,
               ansible_host_dns_name=True)


class Api:
    def __init__(self):
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Token {TOKEN}"

    def __call__(self, method, path, body=None, **params):
        response = self.session.request(method, f"{URL.rstrip('/')}/api/{path}", json=body, params=params, timeout=60)
        assert response.status_code < 400, (method, path, response.status_code, response.text[:500])
        return response.json() if response.content else None


def run(cache, caching):
    opts = dict(OPTIONS, cache=caching)
    return load(opts.get, cache, "k", True)


def same(delta, full):
    hosts_a = {n: h["vars"] for n, h in delta["inventory"]["hosts"].items()}
    hosts_b = {n: h["vars"] for n, h in full["inventory"]["hosts"].items()}
    assert hosts_a == hosts_b
    assert delta["inventory"]["groups"] == full["inventory"]["groups"]


@pytest.fixture()
def state():
    api = Api()
    devices = api("GET", "dcim/devices/", limit=1000, fields="id,name,serial,status,tags,device_type,role,site")["results"]
    vms = api("GET", "virtualization/virtual-machines/", limit=1000, fields="id,name,vcpus,status")["results"]
    ips = api("GET", "ipam/ip-addresses/", limit=1000, fields="id,dns_name,assigned_object_id")["results"]
    sites = api("GET", "dcim/sites/", limit=1000, fields="id,name,description")["results"]
    tags = api("GET", "extras/tags/", limit=1000, fields="id,slug")["results"]
    made = []
    yield api, devices, vms, ips, sites, tags, made
    # put everything back
    if made:
        api("DELETE", "dcim/devices/", [{"id": i} for i in made])
    api("PATCH", "dcim/devices/", [{"id": d["id"], "serial": d["serial"], "status": d["status"]["value"],
                                   "tags": [{"id": t["id"]} for t in d["tags"]]} for d in devices])
    api("PATCH", "virtualization/virtual-machines/",
        [{"id": v["id"], "vcpus": v["vcpus"], "status": v["status"]["value"]} for v in vms])
    api("PATCH", "ipam/ip-addresses/", [{"id": i["id"], "dns_name": i["dns_name"]} for i in ips])
    api("PATCH", "dcim/sites/", [{"id": s["id"], "description": s["description"]} for s in sites])


def test_delta_runs_equal_full_runs_through_random_changes(state):
    api, devices, vms, ips, sites, tags, made = state
    rng = random.Random(int(os.environ.get("SOT_DELTA_SEED", "14")))
    cache = {}
    first = run(cache, True)
    assert first["sync"] == "full" and cache["k"]["watermark"] is not None
    counts = {}

    def step():
        kind = rng.choice(["serial", "status", "tags", "vcpus", "dns", "site", "create", "delete", "none"])
        device = rng.choice(devices)
        if kind == "serial":
            api("PATCH", f"dcim/devices/{device['id']}/", {"serial": f"SN-{rng.randrange(10**6)}"})
        elif kind == "status":
            api("PATCH", f"dcim/devices/{device['id']}/", {"status": rng.choice(["active", "planned", "offline"])})
        elif kind == "tags":
            api("PATCH", f"dcim/devices/{device['id']}/",
                {"tags": [{"id": t["id"]} for t in rng.sample(tags, rng.randrange(len(tags) + 1))]})
        elif kind == "vcpus":
            vm = rng.choice(vms)
            api("PATCH", f"virtualization/virtual-machines/{vm['id']}/", {"vcpus": rng.randrange(1, 16)})
        elif kind == "dns":
            ip = rng.choice(ips)
            api("PATCH", f"ipam/ip-addresses/{ip['id']}/", {"dns_name": f"h{rng.randrange(10**6)}.example.com"})
        elif kind == "site":
            site = rng.choice(sites)
            api("PATCH", f"dcim/sites/{site['id']}/", {"description": f"step {rng.randrange(10**6)}"})
        elif kind == "create":
            body = {"name": f"delta-{rng.randrange(10**9)}", "device_type": device["device_type"]["id"],
                    "role": device["role"]["id"], "site": device["site"]["id"], "status": "active"}
            made.append(api("POST", "dcim/devices/", body)["id"])
        elif kind == "delete" and made:
            api("DELETE", f"dcim/devices/{made.pop(rng.randrange(len(made)))}/")
        return kind

    for number in range(STEPS):
        if number % 10 == 9:  # a write while the delta sync runs: this run or the next one sees it
            writer = threading.Thread(target=step)
            writer.start()
            run(cache, True)
            writer.join()
        else:
            step()
        delta, full = run(cache, True), run({}, False)
        counts[delta["sync"]] = counts.get(delta["sync"], 0) + 1
        same(delta, full)
    print("syncs:", counts)
    assert counts.get("delta", 0) + counts.get("unchanged", 0) > 0, counts
