# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""netbox_export's delta sync against the real NetBox: random creates, updates and deletes (devices, VMs, sites
renamed, tags added and removed, contacts reassigned and renamed), each batch followed by a delta export (cached
result + change log) and a full export (no cache), whose CSV files must be byte-identical; some writes run
while the delta export runs (the overlap window must catch them: the next batch's delta export compares too).

The export is called in-process (the `export` the module calls) so that many steps fit in a test run.
SOT_DELTA_STEPS sets the number of steps (default 200), SOT_DELTA_BATCH the steps per export pair (default 5).
Everything changed is put back at the end.
"""
from __future__ import annotations

import os
import random
import threading

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._connection import build_client
from ansible_collections.sot.netbox.plugins.module_utils._export.runner import ExportSpec, export

from test_inventory_delta import Api as InventoryApi  # pylint: disable=import-error

URL, TOKEN = os.environ.get("NETBOX_URL"), os.environ.get("NETBOX_TOKEN")
pytestmark = pytest.mark.skipif(not URL or not TOKEN, reason="needs NETBOX_URL/NETBOX_TOKEN (tools/test integration)")
STEPS = int(os.environ.get("SOT_DELTA_STEPS", "200"))
BATCH = int(os.environ.get("SOT_DELTA_BATCH", "5"))
CSV = ("devices_csv", "vms_csv", "merged_csv")
FILES = ("devices.csv", "virtual_machines.csv", "inventory.csv")


class Api(InventoryApi):
    """The inventory delta test's API helper, and whole lists."""

    def all(self, path, fields):
        return self("GET", path, limit=1000, fields=fields)["results"]


def run_export(dest, cache_path, caching=True):
    client = build_client({"url": URL, "token": TOKEN, "cache": caching, "cache_path": cache_path})
    result = export(client, ExportSpec(dest=str(dest), formats=CSV))
    return result, client.metrics.to_dict()


def files(dest):
    return {name: open(os.path.join(dest, name), "rb").read() for name in FILES}


@pytest.fixture()
def world():
    api = Api()
    before = {
        "devices": api.all("dcim/devices/", "id,name,serial,description,status,tags,device_type,role,site"),
        "vms": api.all("virtualization/virtual-machines/", "id,name,vcpus,description,status,cluster"),
        "sites": api.all("dcim/sites/", "id,name"),
        "tags": api.all("extras/tags/", "id,slug"),
        "contacts": api.all("tenancy/contacts/", "id,name"),
        "roles": api.all("tenancy/contact-roles/", "id,slug"),
        "assignments": api.all("tenancy/contact-assignments/", "id,object_type,object_id,contact,role,priority"),
    }
    made = {"dcim/devices/": [], "virtualization/virtual-machines/": [], "tenancy/contact-assignments/": []}
    yield api, before, made
    for path, ids in made.items():
        alive = {o["id"] for o in api.all(path, "id")}
        gone = [{"id": i} for i in ids if i in alive]
        if gone:
            api("DELETE", path, gone)
    devices = [{"id": d["id"], "name": d["name"], "serial": d["serial"], "description": d["description"],
                "status": d["status"]["value"], "tags": [{"id": t["id"]} for t in d["tags"]]} for d in before["devices"]]
    api("PATCH", "dcim/devices/", devices)
    vms = [{"id": v["id"], "name": v["name"], "vcpus": v["vcpus"], "description": v["description"],
            "status": v["status"]["value"]} for v in before["vms"]]
    api("PATCH", "virtualization/virtual-machines/", vms)
    api("PATCH", "dcim/sites/", [{"id": s["id"], "name": s["name"]} for s in before["sites"]])
    api("PATCH", "tenancy/contacts/", [{"id": c["id"], "name": c["name"]} for c in before["contacts"]])
    api("PATCH", "tenancy/contact-assignments/", [{"id": a["id"], "contact": a["contact"]["id"]} for a in before["assignments"]])


class Steps:
    """Random writes through NetBox's API; each one the kind of change a delta export must follow."""

    def __init__(self, api, before, made, rng):
        self.api, self.before, self.made, self.rng = api, before, made, rng

    def ids(self, path):
        return [o["id"] for o in self.api.all(path, "id")]

    def device_update(self):
        self.api("PATCH", f"dcim/devices/{self.rng.choice(self.ids('dcim/devices/'))}/",
                 {"serial": f"S{self.rng.randrange(10 ** 6)}", "description": self.rng.choice(["", "=1+1", "a, b", "ü"])})

    def device_rename(self):
        self.api("PATCH", f"dcim/devices/{self.rng.choice(self.ids('dcim/devices/'))}/",
                 {"name": f"{self.rng.choice('abcz')}-dev-{self.rng.randrange(10 ** 6)}"})

    def device_create(self):
        template = self.rng.choice(self.before["devices"])
        made = self.api("POST", "dcim/devices/", {
            "name": f"delta-{self.rng.randrange(10 ** 9)}", "device_type": template["device_type"]["id"],
            "role": template["role"]["id"], "site": self.rng.choice(self.before["sites"])["id"], "status": "planned"})
        self.made["dcim/devices/"].append(made["id"])

    def device_delete(self):
        if self.made["dcim/devices/"]:
            self.api("DELETE", f"dcim/devices/{self.made['dcim/devices/'].pop(self.rng.randrange(len(self.made['dcim/devices/'])))}/")

    def vm_update(self):
        self.api("PATCH", f"virtualization/virtual-machines/{self.rng.choice(self.ids('virtualization/virtual-machines/'))}/",
                 {"vcpus": self.rng.choice([1, 2, 4, 8]), "status": self.rng.choice(["active", "offline", "staged"])})

    def vm_create_or_delete(self):
        made = self.made["virtualization/virtual-machines/"]
        if made and self.rng.random() < 0.5:
            self.api("DELETE", f"virtualization/virtual-machines/{made.pop()}/")
            return
        template = self.rng.choice(self.before["vms"])
        vm = self.api("POST", "virtualization/virtual-machines/", {
            "name": f"vm-delta-{self.rng.randrange(10 ** 9)}", "cluster": (template["cluster"] or {}).get("id")})
        made.append(vm["id"])

    def site_rename(self):
        site = self.rng.choice(self.before["sites"])
        self.api("PATCH", f"dcim/sites/{site['id']}/", {"name": f"{site['name']}-{self.rng.randrange(1000)}"})

    def tag_toggle(self):
        device = self.api("GET", f"dcim/devices/{self.rng.choice(self.ids('dcim/devices/'))}/", fields="id,tags")
        tags = {t["id"] for t in device["tags"]} ^ {self.rng.choice(self.before["tags"])["id"]}
        self.api("PATCH", f"dcim/devices/{device['id']}/", {"tags": [{"id": t} for t in sorted(tags)]})

    def contact_reassign(self):
        assignments = self.api.all("tenancy/contact-assignments/", "id")
        self.api("PATCH", f"tenancy/contact-assignments/{self.rng.choice(assignments)['id']}/",
                 {"contact": self.rng.choice(self.before["contacts"])["id"]})

    def contact_assign_or_remove(self):
        made = self.made["tenancy/contact-assignments/"]
        if made and self.rng.random() < 0.5:
            self.api("DELETE", f"tenancy/contact-assignments/{made.pop()}/")
            return
        kind, path = self.rng.choice([("dcim.device", "dcim/devices/"), ("virtualization.virtualmachine",
                                                                         "virtualization/virtual-machines/")])
        try:
            made.append(self.api("POST", "tenancy/contact-assignments/", {
                "object_type": kind, "object_id": self.rng.choice(self.ids(path)),
                "contact": self.rng.choice(self.before["contacts"])["id"],
                "role": self.rng.choice(self.before["roles"])["id"], "priority": "secondary"})["id"])
        except AssertionError:
            pass  # the same contact and role on that object already: NetBox refuses the duplicate

    def contact_rename(self):
        contact = self.rng.choice(self.before["contacts"])
        self.api("PATCH", f"tenancy/contacts/{contact['id']}/", {"name": f"{contact['name']} {self.rng.randrange(1000)}"})

    def step(self):
        action = self.rng.choices(
            [self.device_update, self.device_rename, self.device_create, self.device_delete, self.vm_update,
             self.vm_create_or_delete, self.site_rename, self.tag_toggle, self.contact_reassign,
             self.contact_assign_or_remove, self.contact_rename],
            weights=[6, 2, 2, 2, 4, 2, 2, 3, 3, 2, 1])[0]
        action()


def test_delta_exports_equal_full_exports_through_random_changes(world, tmp_path):
    api, before, made = world
    steps, rng = Steps(api, before, made, random.Random(int(os.environ.get("SOT_DELTA_SEED", "14")))), None
    delta_dest, full_dest, cache_path = tmp_path / "delta", tmp_path / "full", str(tmp_path / "cache.sqlite")
    first, _m = run_export(delta_dest, cache_path)
    assert first["sync"] == "full"
    counts, done, pair = {}, 0, 0
    while done < STEPS:
        concurrent = pair % 5 == 4  # a write while the delta export runs: this export or the next sees it
        for _i in range(BATCH - (1 if concurrent else 0)):
            steps.step()
            done += 1
        writer = threading.Thread(target=steps.step) if concurrent else None
        if writer is not None:
            writer.start()
        delta, metrics = run_export(delta_dest, cache_path)
        if writer is not None:
            writer.join()
            done += 1
            delta, metrics = run_export(delta_dest, cache_path)  # after the write: must have caught it
        full, _m = run_export(full_dest, cache_path, caching=False)
        counts[delta["sync"]] = counts.get(delta["sync"], 0) + 1
        assert files(delta_dest) == files(full_dest), (pair, delta["sync"], metrics)
        assert metrics["sync"] == delta["sync"]
        pair += 1
    print("syncs:", counts, "steps:", done)
    assert done >= STEPS and counts.get("delta", 0) > 0, counts


def test_an_unchanged_netbox_answers_from_one_change_log_request(world, tmp_path):
    dest, cache_path = tmp_path / "out", str(tmp_path / "cache.sqlite")
    run_export(dest, cache_path)
    mtimes = {n: os.stat(dest / n).st_mtime_ns for n in FILES}
    result, metrics = run_export(dest, cache_path)
    assert (result["sync"], result["changed"], result["totals"]["bytes_written"]) == ("unchanged", False, 0)
    assert metrics["requests"] <= 3
    assert {n: os.stat(dest / n).st_mtime_ns for n in FILES} == mtimes


def test_a_few_changed_devices_are_reread_by_id(world, tmp_path):
    api, before, _made = world
    dest, cache_path = tmp_path / "out", str(tmp_path / "cache.sqlite")
    run_export(dest, cache_path)
    vms_before = os.stat(dest / "virtual_machines.csv").st_mtime_ns
    for device in before["devices"][:3]:
        api("PATCH", f"dcim/devices/{device['id']}/", {"serial": "delta-3"})
    result, metrics = run_export(dest, cache_path)
    assert result["sync"] == "delta" and metrics["objects_reread"] == 3
    assert result["files"]["devices"]["rows_changed"] == 3 and not result["files"]["virtual_machines"]["changed"]
    assert os.stat(dest / "virtual_machines.csv").st_mtime_ns == vms_before


def test_max_age_and_flush_read_everything(world, tmp_path):
    dest, cache_path = tmp_path / "out", str(tmp_path / "cache.sqlite")
    run_export(dest, cache_path)
    client = build_client({"url": URL, "token": TOKEN, "cache": True, "cache_path": cache_path})
    assert export(client, ExportSpec(dest=str(dest), formats=CSV, flush_cache=True))["sync"] == "full"
    client = build_client({"url": URL, "token": TOKEN, "cache": True, "cache_path": cache_path})
    result = export(client, ExportSpec(dest=str(dest), formats=CSV, max_age=1e-9))
    assert result["sync"] == "full" and "max_age" in client.metrics.to_dict()["fallback"]


def test_a_token_without_the_change_log_permission_reads_everything_with_one_warning(tmp_path):
    """A user whose permission lets it view everything the export reads, but not core > object change."""
    api, name = Api(), f"sot-delta-{random.randrange(10 ** 9)}"
    password = f"P-{random.randrange(10 ** 12)}-x"
    user = api("POST", "users/users/", {"username": name, "password": password})
    types = [f"{t['app_label']}.{t['model']}" for t in api.all("core/object-types/", "app_label,model")
             if t["app_label"] in ("dcim", "virtualization", "tenancy", "extras", "ipam")]
    permission = api("POST", "users/permissions/",
                     {"name": name, "object_types": types, "actions": ["view"], "users": [user["id"]]})
    try:
        token = api("POST", "users/tokens/provision/", {"username": name, "password": password, "version": 1})["token"]
        dest, cache_path = tmp_path / "out", str(tmp_path / "cache.sqlite")
        for _run in range(2):
            client = build_client({"url": URL, "token": token, "cache": True, "cache_path": cache_path})
            result = export(client, ExportSpec(dest=str(dest), formats=CSV))
            assert result["sync"] == "full" and result["files"]["devices"]["rows"] > 0
            assert sum("change log cannot be read" in w for w in client.warnings) == 1
    finally:
        api("DELETE", f"users/permissions/{permission['id']}/")
        api("DELETE", f"users/users/{user['id']}/")
