# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Delta sync against the real NetBox (issue 14): random creates, updates and deletes, each followed by a delta
run (cached result + change log) and a full run, whose results must be identical; some writes run while a sync
runs (the change log's overlap window).

Steps: devices and VMs created, changed (serial, status, tags, vcpus) and deleted; interfaces and VM interfaces
created and deleted; IP addresses created on them, made a host's primary IP (`ansible_host`), re-addressed,
renamed (dns_name) and deleted; sites renamed (name and slug: group names change); tags created, put on and
taken off hosts, and deleted; contact assignments moved to another contact. Two option sets run side by side:
the default one (`ansible_host` from the primary IP's DNS name), compared after every step, and one with
`interfaces: true`, compared every 5 steps (its delta runs then merge 5 steps of changes at once).

The runner is called in-process (the same `load` the plugin calls, with a dict as the cache: the entry goes
through the same packing as in Ansible's cache), so that many steps fit in a test run; every 50 steps the
real `ansible-inventory --list` of a cached (jsonfile) inventory file and of an uncached one are compared too
(and after the last step).
What the host vars and groups of the built inventory are is exactly what the plugin writes into Ansible's
inventory (no compose/groups/keyed_groups here), which the checkpoints show.
SOT_DELTA_STEPS sets the number of steps (default 200), SOT_DELTA_SEED the seed. Everything is put back.
"""
from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import threading

import pytest
import requests

from ansible_collections.sot.netbox.plugins.module_utils._inventory.runner import load

URL, TOKEN = os.environ.get("NETBOX_URL"), os.environ.get("NETBOX_TOKEN")
pytestmark = pytest.mark.skipif(not URL or not TOKEN, reason="needs NETBOX_URL/NETBOX_TOKEN (tools/test integration)")
STEPS = int(os.environ.get("SOT_DELTA_STEPS", "200"))
GROUP_BY = ["sites", "tags", "status", "device_roles", "platforms", "cluster"]
OPTION_SETS = {
    "default": dict(group_by=GROUP_BY, dns_name=True, ansible_host_dns_name=True),
    "interfaces": dict(group_by=GROUP_BY, interfaces=True),
}


class Api:
    def __init__(self):
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Token {TOKEN}"

    def __call__(self, method, path, body=None, **params):
        response = self.session.request(method, f"{URL.rstrip('/')}/api/{path}", json=body, params=params, timeout=60)
        assert response.status_code < 400, (method, path, body, response.status_code, response.text[:500])
        return response.json() if response.content else None

    def all(self, path, fields):
        return self("GET", path, limit=1000, fields=fields)["results"]


def run(cache, name, caching):
    opts = dict(OPTION_SETS[name], url=URL, token=TOKEN, cache=caching)
    return load(opts.get, cache, name, True)


def same(delta, full):
    hosts_a = {n: h["vars"] for n, h in delta["inventory"]["hosts"].items()}
    hosts_b = {n: h["vars"] for n, h in full["inventory"]["hosts"].items()}
    assert list(hosts_a) == list(hosts_b)
    assert hosts_a == hosts_b
    assert delta["inventory"]["groups"] == full["inventory"]["groups"]


class World:
    """The seeded objects (with what is needed to put them back) and what the test made."""

    def __init__(self, api):
        self.api = api
        self.devices = api.all("dcim/devices/", "id,name,serial,status,tags,device_type,role,site,primary_ip4")
        self.vms = api.all("virtualization/virtual-machines/", "id,name,vcpus,status,tags,cluster")
        self.ips = api.all("ipam/ip-addresses/", "id,dns_name")
        self.sites = api.all("dcim/sites/", "id,name,slug")
        self.tags = api.all("extras/tags/", "id,slug")
        self.contacts = api.all("tenancy/contacts/", "id")
        self.assignments = api.all("tenancy/contact-assignments/", "id,contact")
        self.made = {"devices": [], "vms": [], "ifaces": [], "vm_ifaces": [], "ips": [], "tags": []}

    def restore(self):
        api, made = self.api, self.made
        for key, path in (("ips", "ipam/ip-addresses/"), ("ifaces", "dcim/interfaces/"),
                          ("vm_ifaces", "virtualization/interfaces/"), ("devices", "dcim/devices/"),
                          ("vms", "virtualization/virtual-machines/"), ("tags", "extras/tags/")):
            alive = self.alive(path, made[key])
            if alive:
                api("DELETE", path, [{"id": i} for i in alive])
        api("PATCH", "dcim/devices/", [{"id": d["id"], "serial": d["serial"], "status": d["status"]["value"],
                                        "tags": [{"id": t["id"]} for t in d["tags"]],
                                        "primary_ip4": (d["primary_ip4"] or {}).get("id")} for d in self.devices])
        api("PATCH", "virtualization/virtual-machines/",
            [{"id": v["id"], "vcpus": v["vcpus"], "status": v["status"]["value"],
              "tags": [{"id": t["id"]} for t in v["tags"]]} for v in self.vms])
        api("PATCH", "ipam/ip-addresses/", [{"id": i["id"], "dns_name": i["dns_name"]} for i in self.ips])
        api("PATCH", "dcim/sites/", [{"id": s["id"], "name": s["name"], "slug": s["slug"]} for s in self.sites])
        api("PATCH", "tenancy/contact-assignments/", [{"id": a["id"], "contact": a["contact"]["id"]}
                                                      for a in self.assignments])

    def alive(self, path, ids):
        """The ids that still exist (NetBox deletes a host's interfaces, and their IPs, with it)."""
        if not ids:
            return []
        found = {r["id"] for r in self.api("GET", path, id=ids, fields="id", limit=1000)["results"]}
        return [i for i in ids if i in found]


class Steps:
    """One random write per call; each names what it did (for the counts printed at the end)."""

    def __init__(self, world, rng):
        self.w, self.rng, self.api, self.lock = world, rng, world.api, threading.Lock()

    def __call__(self):
        with self.lock:  # the concurrent writer and the main thread never pick from the lists at once
            name = self.rng.choice([n for n in dir(self) if n.startswith("do_")])
            return getattr(self, name)() or name[3:]

    def pick(self, values):
        return self.rng.choice(values) if values else None

    def tag_list(self):
        tags = [{"id": t["id"]} for t in self.w.tags] + [{"id": i} for i in self.w.made["tags"]]
        return self.rng.sample(tags, self.rng.randrange(min(len(tags), 3) + 1))

    def do_device_update(self):
        device = self.pick(self.w.devices)
        body = self.rng.choice([{"serial": f"SN-{self.rng.randrange(10**6)}"}, {"tags": self.tag_list()},
                                {"status": self.rng.choice(["active", "planned", "offline"])}])
        self.api("PATCH", f"dcim/devices/{device['id']}/", body)

    def do_device_create(self):
        model = self.pick(self.w.devices)
        body = {"name": f"delta-{self.rng.randrange(10**9)}", "device_type": model["device_type"]["id"],
                "role": model["role"]["id"], "site": self.pick(self.w.sites)["id"], "status": "active",
                "tags": self.tag_list()}
        self.w.made["devices"].append(self.api("POST", "dcim/devices/", body)["id"])

    def do_device_delete(self):
        made = self.w.made["devices"]
        if made:
            self.api("DELETE", f"dcim/devices/{made.pop(self.rng.randrange(len(made)))}/")
            self.forget_gone()

    def do_vm_update(self):
        vm = self.pick(self.w.vms)
        body = self.rng.choice([{"vcpus": self.rng.randrange(1, 16)}, {"tags": self.tag_list()},
                                {"status": self.rng.choice(["active", "planned", "offline"])}])
        self.api("PATCH", f"virtualization/virtual-machines/{vm['id']}/", body)

    def do_vm_create(self):
        body = {"name": f"delta-vm-{self.rng.randrange(10**9)}", "cluster": self.pick(self.w.vms)["cluster"]["id"],
                "status": "active", "vcpus": self.rng.randrange(1, 8)}
        self.w.made["vms"].append(self.api("POST", "virtualization/virtual-machines/", body)["id"])

    def do_vm_delete(self):
        made = self.w.made["vms"]
        if made:
            self.api("DELETE", f"virtualization/virtual-machines/{made.pop(self.rng.randrange(len(made)))}/")
            self.forget_gone()

    def do_interface_create(self):
        if self.rng.random() < 0.5:
            host = self.pick(self.w.made["devices"]) or self.pick(self.w.devices)["id"]
            body = {"device": host, "name": f"eth{self.rng.randrange(10**6)}", "type": "1000base-t"}
            self.w.made["ifaces"].append(self.api("POST", "dcim/interfaces/", body)["id"])
        else:
            host = self.pick(self.w.made["vms"]) or self.pick(self.w.vms)["id"]
            body = {"virtual_machine": host, "name": f"veth{self.rng.randrange(10**6)}"}
            self.w.made["vm_ifaces"].append(self.api("POST", "virtualization/interfaces/", body)["id"])

    def do_interface_delete(self):
        key = self.rng.choice(["ifaces", "vm_ifaces"])
        made = self.w.made[key]
        if made:
            path = "dcim/interfaces" if key == "ifaces" else "virtualization/interfaces"
            self.api("DELETE", f"{path}/{made.pop(self.rng.randrange(len(made)))}/")
            self.forget_gone()

    def do_ip_create(self):
        """An IP on a made interface, half of the time made its host's primary IP (its ansible_host)."""
        key = self.rng.choice(["ifaces", "vm_ifaces"])
        iface = self.pick(self.w.made[key])
        if iface is None:
            return "ip_create (no interface yet)"
        otype = "dcim.interface" if key == "ifaces" else "virtualization.vminterface"
        address = f"10.{self.rng.randrange(200, 250)}.{self.rng.randrange(256)}.{self.rng.randrange(1, 255)}/24"
        ip = self.api("POST", "ipam/ip-addresses/", {"address": address, "assigned_object_type": otype,
                                                     "assigned_object_id": iface,
                                                     "dns_name": f"h{self.rng.randrange(10**6)}.example.com"})
        self.w.made["ips"].append(ip["id"])
        if self.rng.random() < 0.5:
            path = "dcim/interfaces" if key == "ifaces" else "virtualization/interfaces"
            owner = self.api("GET", f"{path}/{iface}/", fields="device,virtual_machine")
            host = owner.get("device") or owner.get("virtual_machine")
            hosts = "dcim/devices" if key == "ifaces" else "virtualization/virtual-machines"
            self.api("PATCH", f"{hosts}/{host['id']}/", {"primary_ip4": ip["id"]})
            return "ip_create_primary"
        return None

    def do_ip_update(self):
        made = self.w.made["ips"]
        if made and self.rng.random() < 0.6:
            body = self.rng.choice([{"dns_name": f"m{self.rng.randrange(10**6)}.example.com"},
                                    {"address": f"10.251.{self.rng.randrange(256)}.{self.rng.randrange(1, 255)}/24"}])
            self.api("PATCH", f"ipam/ip-addresses/{self.pick(made)}/", body)
        else:
            ip = self.pick(self.w.ips)
            self.api("PATCH", f"ipam/ip-addresses/{ip['id']}/", {"dns_name": f"s{self.rng.randrange(10**6)}.example.com"})

    def do_ip_delete(self):
        made = self.w.made["ips"]
        if made:
            self.api("DELETE", f"ipam/ip-addresses/{made.pop(self.rng.randrange(len(made)))}/")

    def do_site_rename(self):
        site, suffix = self.pick(self.w.sites), self.rng.randrange(10**6)
        self.api("PATCH", f"dcim/sites/{site['id']}/", {"name": f"{site['name']} {suffix}", "slug": f"{site['slug']}-{suffix}"})

    def do_tag_create(self):
        suffix = self.rng.randrange(10**9)
        self.w.made["tags"].append(self.api("POST", "extras/tags/", {"name": f"delta {suffix}", "slug": f"delta-{suffix}"})["id"])

    def do_tag_delete(self):
        made = self.w.made["tags"]
        if made:
            self.api("DELETE", f"extras/tags/{made.pop(self.rng.randrange(len(made)))}/")

    def do_contact_reassign(self):
        assignment = self.pick(self.w.assignments)
        if assignment and self.w.contacts:
            self.api("PATCH", f"tenancy/contact-assignments/{assignment['id']}/", {"contact": self.pick(self.w.contacts)["id"]})

    def do_nothing(self):
        return None

    def forget_gone(self):
        """Interfaces and IPs that went with a deleted host or interface."""
        for key, path in (("ifaces", "dcim/interfaces/"), ("vm_ifaces", "virtualization/interfaces/"),
                          ("ips", "ipam/ip-addresses/")):
            self.w.made[key] = self.w.alive(path, self.w.made[key])


def list_cli(tmp_path, cached):
    """`ansible-inventory --list` of an inventory file for the default option set (cached: jsonfile, delta sync)."""
    name = "cached" if cached else "plain"
    path = tmp_path / f"{name}.netbox.yml"
    lines = ["plugin: sot.netbox.inventory", f"api_endpoint: {URL}", f"group_by: {json.dumps(GROUP_BY)}",
             "dns_name: true", "ansible_host_dns_name: true"]
    if cached:
        lines += ["cache: true", "cache_plugin: ansible.builtin.jsonfile", "cache_timeout: 86400",
                  f"cache_connection: {tmp_path / 'cache'}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    metrics = tmp_path / f"{name}-metrics.json"
    env = dict(os.environ, SOT_NETBOX_INVENTORY_METRICS=str(metrics))
    proc = subprocess.run([shutil.which("ansible-inventory"), "-i", str(path), "--list"], env=env, capture_output=True,
                          text=True, check=False, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout), json.loads(metrics.read_text(encoding="utf-8"))["sync"]


@pytest.fixture()
def world():
    api = Api()
    state = World(api)
    yield state
    state.restore()


def test_delta_runs_equal_full_runs_through_random_changes(world, tmp_path):
    rng = random.Random(int(os.environ.get("SOT_DELTA_SEED", "14")))
    steps, caches, counts, kinds = Steps(world, rng), {n: {} for n in OPTION_SETS}, {}, {}
    for name, cache in caches.items():
        assert run(cache, name, True)["sync"] == "full" and cache[name]["watermark"] is not None
    cli_syncs = [list_cli(tmp_path, cached=True)[1]]
    for number in range(STEPS):
        if number % 10 == 9:  # a write while a delta sync runs: this run or the next one must see it
            writer = threading.Thread(target=lambda: kinds.setdefault("concurrent " + steps(), 0))
            writer.start()
            run(caches["default"], "default", True)
            writer.join()
        else:
            kind = steps()
            kinds[kind] = kinds.get(kind, 0) + 1
        for name, cache in caches.items():
            if name != "default" and number % 5 != 4:  # the second option set catches up every 5 steps
                continue
            delta, full = run(cache, name, True), run({}, name, False)
            counts[(name, delta["sync"])] = counts.get((name, delta["sync"]), 0) + 1
            same(delta, full)
        if number % 10 == 9:  # progress, for a run stopped early
            print(f"step {number + 1}: every delta run equal to its full run so far; syncs {counts}", flush=True)
        if number % 50 == 49 or number == STEPS - 1:
            cached, sync = list_cli(tmp_path, cached=True)
            assert cached == list_cli(tmp_path, cached=False)[0], f"ansible-inventory --list differs after step {number}"
            cli_syncs.append(sync)
    print("steps:", dict(sorted(kinds.items())), "syncs:", dict(sorted(counts.items())), "cli syncs:", cli_syncs)
    assert counts.get(("default", "delta"), 0) > 0 and counts.get(("default", "unchanged"), 0) > 0, counts
    assert set(cli_syncs[1:]) & {"delta", "unchanged"} or set(cli_syncs[1:]) == {"full"}, cli_syncs
