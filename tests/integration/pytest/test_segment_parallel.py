# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""24 allocations in parallel PROCESSES against the real NetBox: no prefix or VID is handed out twice,
and every allocation gets exactly one segment. Both modes: reserving existing free segments (the
marker-tag claim protocol) and carving from a pool (NetBox's available-* endpoints).

Each process builds its own client (its own connection pool and cache file) and calls the module's
runner, exactly what one `ansible-playbook` task does; the processes start together on a barrier.
"""
from __future__ import annotations

import multiprocessing
import os
import uuid

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._connection import build_client
from ansible_collections.sot.netbox.plugins.module_utils._segment.runner import OPTIONS, execute

URL = os.environ.get("NETBOX_URL")
TOKEN = os.environ.get("NETBOX_TOKEN")
PROCESSES = 24
pytestmark = pytest.mark.skipif(not (URL and TOKEN), reason="needs NETBOX_URL and NETBOX_TOKEN (tools/test integration)")


def params(**over):
    out = {k: spec.get("default") for k, spec in OPTIONS.items()}
    out.update(over)
    return out


def allocate(args):
    barrier, index, run_id, mode, cache_dir = args
    client = build_client({"url": URL, "token": TOKEN, "cache_path": os.path.join(cache_dir, f"c{index}.sqlite")})
    over = dict(state="allocated", vrf="prod", site_group="dc-east", cluster=f"{run_id}-{index}")
    if mode == "carve":
        over.update(site_group="dc-west", role="db", prefix_length=28)
    barrier.wait(timeout=60)
    try:
        result = execute(client, params(**over))
        seg = result["segment"]
        return {"ok": True, "id": seg["id"], "prefix": seg["prefix"], "vid": (seg["vlan"] or {}).get("vid"),
                "key": seg["key"], "action": seg["action"]}
    except Exception as exc:  # pylint: disable=broad-except
        return {"ok": False, "error": f"{exc.__class__.__name__}: {exc}"}


def run_parallel(mode, run_id, tmp_path):
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager:
        barrier = manager.Barrier(PROCESSES)
        with ctx.Pool(PROCESSES) as pool:
            return pool.map(allocate, [(barrier, i, run_id, mode, str(tmp_path)) for i in range(PROCESSES)])


def release_all(results, delete):
    client = build_client({"url": URL, "token": TOKEN, "cache": False})
    for r in results:
        if r.get("ok"):
            execute(client, params(state="released", vrf="prod", site_group="dc-west" if delete else "dc-east",
                                   cluster=r["key"], release_delete=delete))


@pytest.mark.parametrize("mode", ["reserve", "carve"])
def test_parallel_allocations_never_share(mode, tmp_path):
    run_id = f"sotseg-par-{uuid.uuid4().hex[:6]}"
    results = run_parallel(mode, run_id, tmp_path)
    try:
        ok = [r for r in results if r["ok"]]
        failed = [r for r in results if not r["ok"]]
        ids = [r["id"] for r in ok]
        assert len(ids) == len(set(ids)), f"a segment was given twice: {sorted(ids)}"
        prefixes = [r["prefix"] for r in ok]
        assert len(prefixes) == len(set(prefixes)), f"a prefix was given twice: {sorted(prefixes)}"
        vids = [r["vid"] for r in ok if r["vid"] is not None]
        assert len(vids) == len(set(vids)), f"a VID was given twice: {sorted(vids)}"
        if mode == "carve":
            assert not failed, failed
            assert len(ok) == PROCESSES and all(r["action"] == "carve" for r in ok)
            assert len(vids) == PROCESSES
        else:
            # 10 free segments in prod/dc-east for 24 claimants: exactly 10 win, each a different one;
            # the others find none free (or every remaining one claimed meanwhile).
            free = 10
            assert len(ok) == min(free, PROCESSES), (ok, failed)
            assert all("no free segment" in r["error"] or "claimed by concurrent" in r["error"] for r in failed), failed
        # Every allocation holds exactly one segment: a re-run of each key returns the same one, unchanged.
        client = build_client({"url": URL, "token": TOKEN, "cache": False})
        keys = held_keys(client, run_id)
        assert sorted(keys) == sorted(r["key"] for r in ok)
    finally:
        release_all(results, delete=(mode == "carve"))
    client = build_client({"url": URL, "token": TOKEN, "cache": False})
    assert held_keys(client, run_id) == []
    assert client.list("extras/tags", {"name__isw": f"sot-claim prod/dc-east/{run_id}"}, fields=("id",)) == []


def held_keys(client, run_id):
    """Cluster names of this run (NetBox's default loose custom-field filter is a substring match)."""
    rows = client.list("ipam/prefixes", {"cf_cluster_name": run_id}, fields=("id", "custom_fields"))
    return [r["custom_fields"]["cluster_name"] for r in rows
            if (r["custom_fields"].get("cluster_name") or "").startswith(run_id)]
