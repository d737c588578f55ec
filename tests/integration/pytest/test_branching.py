# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""NetBox Branching against the REAL plugin on the test bed (tools/testbed.py installs it on the
sample data set): a branch is created and provisioned; a module with `branch:` writes into it and main
is unchanged; check mode shows the diff by names; the merge brings it into main, a second merge is
unchanged; the revert takes it out again; a change made in main meanwhile is a conflict reported at
merge object by object; a token that may write in branches but not merge gets the permission named.

Every step runs the modules' main() as a task does (tests/integration/pytest/modharness.py)."""
from __future__ import annotations

import ipaddress
import os
import uuid

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._branching import READY, Branches
from ansible_collections.sot.netbox.plugins.module_utils._connection import build_client
from ansible_collections.sot.netbox.plugins.module_utils._records import record
from ansible_collections.sot.netbox.plugins.modules import netbox_branch, netbox_segment
from ansible_collections.sot.netbox.tests.integration.pytest.modharness import branching_main, invoke

URL = os.environ.get("NETBOX_URL")
TOKEN = os.environ.get("NETBOX_TOKEN")
pytestmark = pytest.mark.skipif(not (URL and TOKEN), reason="needs NETBOX_URL and NETBOX_TOKEN (tools/test integration)")


@pytest.fixture
def world(tmp_path, monkeypatch):
    main = branching_main(monkeypatch, URL, TOKEN)
    w = World(main, tmp_path)
    yield w
    w.clean()


class World:
    def __init__(self, main, tmp_path):
        self.main = main
        self.run = uuid.uuid4().hex[:6]
        self.branch = f"sotbr-{self.run}"
        self.cache_path = str(tmp_path / "cache.sqlite")
        self.net = str(ipaddress.ip_network(f"10.{200 + int(self.run[:2], 16) % 50}.{int(self.run[2:4], 16)}.0/24"))
        self.users: list = []

    def conn(self, **over):
        return {"url": URL, "token": TOKEN, "cache_path": self.cache_path, **over}

    def branch_task(self, state, check_mode=False, **over):
        return invoke(netbox_branch, {**self.conn(**over), "name": self.branch, "state": state, "_ansible_diff": True},
                      check_mode=check_mode)

    def segment_task(self, **over):
        args = {"prefix": self.net, "vrf": "prod", "site_group": "dc-east", "description": f"sotbr {self.run}"}
        return invoke(netbox_segment, {**self.conn(branch=self.branch), **args, **over})  # branch=None: main

    def prefixes(self, branch=None):
        client = build_client({"url": URL, "token": TOKEN, "cache": False, **({"branch": branch} if branch else {})})
        return client.list(record("prefix").path(), {"prefix": self.net})

    def clean(self):
        invoke(netbox_branch, {**self.conn(), "name": self.branch, "state": "absent"})
        ids = [p["id"] for p in self.prefixes()]
        if ids:
            self.main.delete(record("prefix").path(), ids)
        for path, oid in reversed(self.users):
            self.main.request("DELETE", f"{path}/{oid}")


def test_review_workflow_create_write_diff_merge_revert(world):
    made = world.branch_task("present")
    assert made["changed"] and made["branch"]["status"] == "ready", made
    wrote = world.segment_task()
    assert wrote["changed"] and not wrote["failed"], wrote
    assert world.prefixes() == [] and [p["prefix"] for p in world.prefixes(world.branch)] == [world.net]

    preview = world.branch_task("merged", check_mode=True)
    assert preview["changed"] and preview["action"] == "merge"
    assert world.net in preview["diff"]["after"] and "ipam.prefix" in preview["diff"]["after"]
    assert preview["summary"]["ipam.prefix"] == {"create": 1}
    assert world.prefixes() == []

    merged = world.branch_task("merged")
    assert merged["changed"] and merged["branch"]["status"] == "merged", merged
    assert [p["prefix"] for p in world.prefixes()] == [world.net]
    assert not world.branch_task("merged")["changed"]

    reverted = world.branch_task("reverted")
    assert reverted["changed"] and reverted["branch"]["status"] == "ready", reverted
    assert world.prefixes() == []
    assert not world.branch_task("reverted")["changed"]


def test_a_branch_re_created_outside_the_collection_is_found_again(world):
    """The schema id a task cached is unknown once the branch is deleted and re-created under the same
    name (in NetBox's UI, say): NetBox answers 400 "Invalid branch identifier", and the next task finds
    the branch again by name instead of failing for the cache's lifetime."""
    assert world.branch_task("present")["changed"]
    assert world.segment_task()["changed"]                       # the branch's schema id is now cached
    branches = Branches(world.main)
    old = branches.find(world.branch)
    branches.delete(old)
    new = branches.wait(branches.create(world.branch), frozenset({READY}), 300)
    assert new.schema_id != old.schema_id
    again = world.segment_task(description="after re-create")
    assert again["changed"] and not again["failed"], again
    assert [p["description"] for p in world.prefixes(world.branch)] == ["after re-create"]
    assert world.prefixes() == []


def test_a_change_made_in_main_meanwhile_is_reported_at_merge(world):
    assert world.segment_task(description="original", branch=None)["changed"]  # in main
    prefix = world.prefixes()[0]
    assert world.branch_task("present")["changed"]
    assert world.segment_task(description="in the branch")["changed"]
    world.main.update_one(record("prefix").path(), prefix["id"], {"description": "in main"})

    refused = world.branch_task("merged")
    assert refused["failed"] and "not merged" in refused["msg"], refused
    assert f"ipam.prefix '{world.net}" in refused["msg"] and "description" in refused["msg"]
    fields = refused["conflicts"][0]["fields"]["description"]
    assert fields == {"original": "original", "branch": "in the branch", "main": "in main"}
    assert [p["description"] for p in world.prefixes()] == ["in main"]


def test_a_token_that_may_write_but_not_merge_is_told_before_anything_changes(world):
    assert world.branch_task("present")["changed"]
    token = limited_token(world)
    wrote = world.segment_task(token=token)
    assert wrote["changed"] and not wrote["failed"], wrote
    refused = invoke(netbox_branch, {**world.conn(token=token), "name": world.branch, "state": "merged"})
    assert refused["failed"] and "netbox_branching.merge_branch" in refused["msg"], refused
    assert token not in str(refused)
    assert world.prefixes() == []
    status = world.main.list(record("branch").path(), {"name": world.branch})[0]["status"]["value"]
    assert status == "ready"


def limited_token(world) -> str:
    """A user who may read everything and write prefixes, VLANs and branches, but holds none of the
    branch actions (merge, sync, revert): NetBox's object permissions, made through its API."""
    name, password = f"sotbr-{world.run}", f"Pw-{uuid.uuid4().hex}"
    user = world.main.create_one("users/users", {"username": name, "password": password})  # noqa: sot-endpoint
    world.users.append(("users/users", user["id"]))
    perm = world.main.create_one("users/permissions", {  # noqa: sot-endpoint
        "name": name, "enabled": True, "users": [user["id"]], "actions": ["view", "add", "change", "delete"],
        "object_types": ["ipam.prefix", "ipam.vlan", "ipam.vlangroup", "ipam.vrf", "ipam.role", "dcim.sitegroup",
                         "tenancy.tenant", "extras.customfield", "extras.tag", "core.objecttype",
                         "netbox_branching.branch", "netbox_branching.changediff"]})
    world.users.append(("users/permissions", perm["id"]))
    made = world.main.request("POST", "users/tokens/provision", body={  # noqa: sot-endpoint
        "username": name, "password": password, "version": 1, "write_enabled": True})
    return made["token"]


def test_synced_pulls_main_s_changes_once(world):
    assert world.branch_task("present")["changed"]
    assert not world.branch_task("synced")["changed"]  # nothing new in main yet
    assert world.segment_task(branch=None)["changed"]  # in main
    assert world.prefixes(world.branch) == []
    synced = world.branch_task("synced")
    assert synced["changed"] and synced["branch"]["status"] == "ready", synced
    assert [p["prefix"] for p in world.prefixes(world.branch)] == [world.net]
    assert not world.branch_task("synced")["changed"]
