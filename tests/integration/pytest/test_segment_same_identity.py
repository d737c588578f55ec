# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""20 `ansible-playbook` processes carve the SAME allocation (one cluster) at once, against the real
NetBox (issue 12 §5): 20 successes, exactly one prefix and one VLAN; the losers find the winner's
allocation by identity and return it. The reservation path gets the same check."""
from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import time
import uuid

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._connection import build_client
from ansible_collections.sot.netbox.plugins.module_utils._segment.runner import OPTIONS, execute

URL = os.environ.get("NETBOX_URL")
TOKEN = os.environ.get("NETBOX_TOKEN")
RUNS = 20
pytestmark = pytest.mark.skipif(not (URL and TOKEN), reason="needs NETBOX_URL and NETBOX_TOKEN (tools/test integration)")

PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - ansible.builtin.copy:       # this process is up: the test starts all at once when all are
        content: ""
        dest: "{{ ready }}"
    - ansible.builtin.wait_for:
        path: "{{ go }}"
        sleep: 1
        timeout: 300
    - sot.netbox.netbox_segment:
        url: "{{ url }}"
        token: "{{ token }}"
        cache_path: "{{ cache_path }}"
        state: allocated
        vrf: prod
        site_group: "{{ site_group }}"
        role: db
        cluster: "{{ cluster }}"
        prefix_length: "{{ prefix_length | default(omit) }}"
      register: r
    - ansible.builtin.copy:
        content: "{{ r | to_json }}"
        dest: "{{ out }}"
"""


def params(**over):
    out = {k: spec.get("default") for k, spec in OPTIONS.items()}
    out.update(over)
    return out


def playbooks(tmp_path, cluster, site_group, prefix_length=None):
    book = tmp_path / "carve.yml"
    book.write_text(PLAYBOOK)
    procs = []
    env = dict(os.environ, ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
               NETBOX_TOKEN="")
    for i in range(RUNS):
        extra = {"url": URL, "token": TOKEN, "cluster": cluster, "site_group": site_group,
                 "cache_path": str(tmp_path / f"c{i}.sqlite"), "out": str(tmp_path / f"r{i}.json"),
                 "ansible_python_interpreter": sys.executable,
                 "ready": str(tmp_path / f"ready{i}"), "go": str(tmp_path / "go")}
        if prefix_length:
            extra["prefix_length"] = prefix_length
        varfile = tmp_path / f"v{i}.json"
        varfile.write_text(json.dumps(extra))
        varfile.chmod(0o600)
        procs.append(subprocess.Popen(
            [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", str(book),
             "-e", f"@{varfile}"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    deadline = time.monotonic() + 300
    while not all((tmp_path / f"ready{i}").exists() for i in range(RUNS)) and time.monotonic() < deadline:
        time.sleep(0.2)   # not a test of timing: waiting for 20 processes to be up before the start signal
    (tmp_path / "go").write_text("")
    outs = [p.communicate(timeout=600)[0] for p in procs]
    results = []
    for i, (proc, out) in enumerate(zip(procs, outs)):
        path = tmp_path / f"r{i}.json"
        results.append(json.loads(path.read_text()) if proc.returncode == 0 and path.exists()
                       else {"failed": True, "output": out[-2000:]})
    return results


def carve_in_process(args):
    barrier, cluster, cache_path = args
    client = build_client({"url": URL, "token": TOKEN, "cache_path": cache_path})
    barrier.wait(timeout=120)
    try:
        seg = execute(client, params(state="allocated", vrf="prod", site_group="dc-west", role="db", cluster=cluster,
                                     prefix_length=28))["segment"]
        return {"ok": True, "id": seg["id"], "action": seg["action"]}
    except Exception as exc:  # pylint: disable=broad-except
        return {"ok": False, "error": f"{exc.__class__.__name__}: {exc}"}


def test_twenty_processes_released_at_one_instant_carve_one_allocation(tmp_path):
    """The tightest race: 20 processes on a barrier, each its own client and cache, one identity."""
    cluster = f"sotseg-same-{uuid.uuid4().hex[:6]}"
    client = build_client({"url": URL, "token": TOKEN, "cache": False})
    ctx = multiprocessing.get_context("spawn")
    try:
        with ctx.Manager() as manager:
            barrier = manager.Barrier(RUNS)
            with ctx.Pool(RUNS) as pool:
                results = pool.map(carve_in_process, [(barrier, cluster, str(tmp_path / f"p{i}.sqlite"))
                                                      for i in range(RUNS)])
        failed = [r for r in results if not r["ok"]]
        assert not failed, failed
        assert len({r["id"] for r in results}) == 1
        assert [r["id"] for r in held(client, cluster)] == [results[0]["id"]]
        assert sum(r["action"] == "carve" for r in results) == 1, [r["action"] for r in results]
    finally:
        execute(client, params(state="released", vrf="prod", site_group="dc-west", cluster=cluster,
                               release_delete=True))
    assert held(client, cluster) == []
    assert [v for v in client.list("ipam/vlans", {"name": cluster}, fields=("id", "name")) if v["name"] == cluster] == []


def held(client, cluster):
    rows = client.list("ipam/prefixes", {"cf_cluster_name": cluster}, fields=("id", "prefix", "vlan", "custom_fields"))
    return [r for r in rows if r["custom_fields"].get("cluster_name") == cluster]


@pytest.mark.parametrize("mode", ["carve", "reserve"])
def test_twenty_playbooks_for_one_identity_converge_on_one_allocation(tmp_path, mode):
    cluster = f"sotseg-same-{uuid.uuid4().hex[:6]}"
    site_group = "dc-west" if mode == "carve" else "dc-east"
    client = build_client({"url": URL, "token": TOKEN, "cache": False})
    try:
        results = playbooks(tmp_path, cluster, site_group, prefix_length=28 if mode == "carve" else None)
        failed = [r for r in results if r.get("failed")]
        assert not failed, failed[0]
        ids = {r["segment"]["id"] for r in results}
        assert len(ids) == 1, ids
        rows = held(client, cluster)
        assert [r["id"] for r in rows] == list(ids)
        changed = [r for r in results if r["changed"]]
        assert len(changed) == 1, [r["segment"]["action"] for r in results]
        if mode == "carve":
            vlans = client.list("ipam/vlans", {"name": cluster}, fields=("id", "name"))
            assert [v["id"] for v in vlans if v["name"] == cluster] == [rows[0]["vlan"]["id"]]
    finally:
        execute(client, params(state="released", vrf="prod", site_group=site_group, cluster=cluster,
                               release_delete=(mode == "carve")))
    assert held(client, cluster) == []
    assert [v for v in client.list("ipam/vlans", {"name": cluster}, fields=("id", "name")) if v["name"] == cluster] == []
