# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Segments allocated inside ONE NetBox branch (the Branching plugin on the test bed): 20 carves in
parallel processes, all with `branch:`, are collision-free (no prefix, no VID twice, one segment per
identity), and none of them is in main. What holds across branches is in docs/netbox_segment.md.

Each process builds its own client (its own cache file) with the `branch` connection option, so every
request carries X-NetBox-Branch, and calls the module's runner as one task does."""
from __future__ import annotations

import multiprocessing
import os
import uuid

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._connection import build_client
from ansible_collections.sot.netbox.plugins.module_utils._records import record
from ansible_collections.sot.netbox.plugins.module_utils._segment.runner import execute
from ansible_collections.sot.netbox.plugins.modules import netbox_branch
from ansible_collections.sot.netbox.tests.integration.pytest.modharness import branching_main, invoke
from ansible_collections.sot.netbox.tests.integration.pytest.test_segment_parallel import TOKEN, URL, params
from ansible_collections.sot.netbox.tests.integration.pytest.test_segment_parallel import pytestmark as needs_netbox

pytestmark = needs_netbox
PROCESSES = 20


def carve(args):
    barrier, index, run_id, branch, cache_dir = args
    try:
        client = build_client({"url": URL, "token": TOKEN, "branch": branch,
                               "cache_path": os.path.join(cache_dir, f"c{index}.sqlite")})
        barrier.wait(timeout=120)
        seg = execute(client, params(state="allocated", vrf="prod", site_group="dc-west", role="db",
                                     prefix_length=28, cluster=f"{run_id}-{index}"))["segment"]
        return {"ok": True, "prefix": seg["prefix"], "vid": (seg["vlan"] or {}).get("vid"), "key": seg["key"],
                "action": seg["action"]}
    except Exception as exc:  # pylint: disable=broad-except
        return {"ok": False, "error": f"{exc.__class__.__name__}: {exc}"}


@pytest.fixture
def branch(monkeypatch, tmp_path):
    main = branching_main(monkeypatch, URL, TOKEN)
    name = f"sotseg-br-{uuid.uuid4().hex[:6]}"
    conn = {"url": URL, "token": TOKEN, "cache_path": str(tmp_path / "branch.sqlite"), "name": name}
    made = invoke(netbox_branch, {**conn, "state": "present"})
    assert made["branch"]["status"] == "ready", made
    yield name
    invoke(netbox_branch, {**conn, "state": "absent"})      # the branch and everything in it


def test_twenty_parallel_carves_in_one_branch_never_collide(branch, tmp_path):
    run_id = f"sotseg-brp-{uuid.uuid4().hex[:6]}"
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager:
        barrier = manager.Barrier(PROCESSES)
        with ctx.Pool(PROCESSES) as pool:
            results = pool.map(carve, [(barrier, i, run_id, branch, str(tmp_path)) for i in range(PROCESSES)])
    failed = [r for r in results if not r["ok"]]
    assert not failed, failed
    assert all(r["action"] == "carve" for r in results)
    prefixes = [r["prefix"] for r in results]
    vids = [r["vid"] for r in results]
    assert len(set(prefixes)) == PROCESSES, f"a prefix was given twice in the branch: {sorted(prefixes)}"
    assert len(set(vids)) == PROCESSES and None not in vids, f"a VID was given twice in the branch: {sorted(vids)}"
    in_branch = build_client({"url": URL, "token": TOKEN, "cache": False, "branch": branch})
    rows = in_branch.list(record("prefix").path(), {"cf_cluster_name": run_id}, fields=("id", "prefix", "custom_fields"))
    held = [r["custom_fields"].get("cluster_name") for r in rows]
    assert sorted(held) == sorted(r["key"] for r in results)               # one segment per identity
    again = execute(in_branch, params(state="allocated", vrf="prod", site_group="dc-west", role="db",
                                      prefix_length=28, cluster=f"{run_id}-0"))
    assert again["changed"] is False and again["segment"]["prefix"] == results[0]["prefix"]
    main = build_client({"url": URL, "token": TOKEN, "cache": False})
    assert main.list(record("prefix").path(), {"cf_cluster_name": run_id}, fields=("id",)) == []   # main unchanged
