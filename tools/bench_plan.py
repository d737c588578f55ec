#!/usr/bin/env python3
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark netbox_plan_generate on the sample NetBox, from one run, side by side:

  ours       ansible-playbook: sot.netbox.netbox_plan_generate materializes examples/plans/gpu-128.yml
             (16 DGX-H100 x 8 GPU NICs on rail leafs, front-end NICs on a leaf pair, spines: 30 devices,
             296 cables): seconds and HTTP requests
  re-run     the same task again (must be changed=false): seconds and requests
  official   the same devices and cables created with netbox.netbox.netbox_device and
             netbox.netbox.netbox_cable in loops (the anchor collection from the `ansible` package)
  absent     our state=absent, which also cleans up; the official side's objects are removed with bulk
             API calls afterwards (not measured)

Requests are counted by a byte-forwarding proxy on 127.0.0.1 that every side goes through, so each
side's count is what NetBox actually received. Both sides run with the same connection values;
ours runs with `cache: false` (no persistent cache: every lookup table is fetched, the honest cold
figure).

Usage (after `source tools/lib.sh && ensure_venv && ensure_collection_path`):
    python tools/bench_plan.py [--official-limit N]
--official-limit N times only the first N devices and N cables of the official side and extrapolates
linearly (default 0: the whole plan). Reads NETBOX_URL/NETBOX_TOKEN, else `tools/testbed.py env`.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlsplit

import requests
import yaml

from benchlib import CountingProxy  # pylint: disable=import-error

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLAN = os.path.join(REPO, "examples", "plans", "gpu-128.yml")
OURS = "bench-plan-ours"
THEIRS = "bench-plan-nb"
TARGETS = {"requests_ratio": 1 / 20, "rerun_requests": 10}


def connection():
    if os.environ.get("NETBOX_URL") and os.environ.get("NETBOX_TOKEN"):
        return os.environ["NETBOX_URL"], os.environ["NETBOX_TOKEN"]
    out = subprocess.run([sys.executable, os.path.join(REPO, "tools/testbed.py"), "env"], check=True,
                         capture_output=True, text=True).stdout
    env = dict(line.replace("export ", "", 1).split("=", 1) for line in out.splitlines() if line.startswith("export "))
    return env["NETBOX_URL"].strip("'\""), env["NETBOX_TOKEN"].strip("'\"")


def playbook(path, tasks):
    with open(path, "w", encoding="utf-8") as fh:
        yaml.safe_dump([{"name": "bench", "hosts": "localhost", "gather_facts": False, "tasks": tasks}], fh,
                       sort_keys=False)


def run_playbook(path, proxy, workdir):
    proxy.reset()
    env = {**os.environ, "ANSIBLE_LOCALHOST_WARNING": "false", "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
           "ANSIBLE_STDOUT_CALLBACK": "json", "ANSIBLE_FORKS": "1"}
    started = time.monotonic()
    proc = subprocess.run(["ansible-playbook", path], env=env, capture_output=True, text=True, check=False,
                          cwd=workdir)
    seconds = time.monotonic() - started
    count, methods = proxy.reset()
    if proc.returncode != 0:
        raise SystemExit(f"{path} failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}")
    result = json.loads(proc.stdout)
    task = result["plays"][0]["tasks"][-1]["hosts"]["localhost"]
    return {"seconds": round(seconds, 1), "requests": count, "by_method": methods, "changed": task.get("changed")}


def expand_plan(name):
    """The same plan's devices and cables, by name, for the official modules."""
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(REPO))))
    from ansible_collections.sot.netbox.plugins.module_utils._plan.calculate import calculate
    from ansible_collections.sot.netbox.plugins.module_utils._plan.expand import expand
    from ansible_collections.sot.netbox.plugins.module_utils._plan.checks import Catalog
    from ansible_collections.sot.netbox.plugins.module_utils._plan.model import parse_plan

    with open(PLAN, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    data["name"] = name
    plan, errors = parse_plan(data)
    assert not errors, errors
    ident = {v: v for c in plan.classes.values() for v in (c.device_type, c.role)}
    catalog = Catalog(device_types=ident, roles=ident)
    desired = expand(plan, calculate(plan), catalog)
    devices = [dict(name=d["name"], device_type=d["device_type"], device_role=d["role"], site=d["site"],
                    tenant=d["tenant"], status=d["status"]) for d in desired.devices.values()]
    names = {k: d["name"] for k, d in desired.devices.items()}
    cables = [dict(a_device=names[c["a"][0]], a_port=c["a"][1], b_device=names[c["b"][0]], b_port=c["b"][1],
                   status=c["status"]) for c in desired.cables.values()]
    return data, devices, cables


def remove_by_prefix(url, token, prefix):
    """Bulk-remove the official side's devices (and their cables) by name prefix. Not measured."""
    session = requests.Session()
    session.headers.update({"Authorization": f"Token {token}", "Accept": "application/json"})
    api = url.rstrip("/") + "/api/"
    ids = [d["id"] for d in session.get(api + "dcim/devices/", params={"name__isw": prefix, "limit": 1000,
                                                                        "fields": "id"}, timeout=60).json()["results"]]
    if not ids:
        return 0
    cables = set()
    for i in range(0, len(ids), 50):
        rows = session.get(api + "dcim/cables/", params={"device_id": ids[i:i + 50], "limit": 1000, "fields": "id"},
                           timeout=60).json()["results"]
        cables |= {c["id"] for c in rows}
    if cables:
        session.delete(api + "dcim/cables/", json=[{"id": c} for c in sorted(cables)], timeout=600).raise_for_status()
    for i in range(0, len(ids), 10):
        session.delete(api + "dcim/devices/", json=[{"id": d} for d in ids[i:i + 10]], timeout=600).raise_for_status()
    return len(ids)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--official-limit", type=int, default=0)
    args = parser.parse_args()
    url, token = connection()
    parts = urlsplit(url)
    proxy = CountingProxy(parts.hostname, parts.port or 80)
    proxied = f"http://127.0.0.1:{proxy.port}"
    conn = {"url": proxied, "token": token, "cache": False, "timeout": 300}
    ours_plan, devices, cables = expand_plan(OURS)
    _, nb_devices, nb_cables = expand_plan(THEIRS)
    if args.official_limit:
        nb_devices, nb_cables = nb_devices[:args.official_limit], nb_cables[:args.official_limit]
    full = (len(devices), len(cables))
    rows = {}
    with tempfile.TemporaryDirectory(prefix="bench-plan-") as work:
        gen, absent = os.path.join(work, "generate.yml"), os.path.join(work, "absent.yml")
        playbook(gen, [{"name": "Generate", "sot.netbox.netbox_plan_generate": {**conn, "plan": ours_plan}}])
        playbook(absent, [{"name": "Absent", "sot.netbox.netbox_plan_generate": {
            **conn, "plan": {"name": OURS}, "state": "absent"}}])
        # leftovers of an interrupted earlier run
        run_playbook(absent, proxy, work)
        remove_by_prefix(url, token, THEIRS)
        try:
            for name, path in (("ours", gen), ("re-run", gen), ("absent", absent)):
                rows[name] = run_playbook(path, proxy, work)
                print(f"{name}: {rows[name]}", flush=True)
            nb = {"netbox_url": proxied, "netbox_token": token}
            official = os.path.join(work, "official.yml")
            playbook(official, [
                {"name": "Devices", "netbox.netbox.netbox_device": {**nb, "data": "{{ item }}", "state": "present"},
                 "loop": nb_devices, "loop_control": {"label": "{{ item.name }}"}},
                {"name": "Cables", "netbox.netbox.netbox_cable": {**nb, "state": "present", "data": {
                    "termination_a_type": "dcim.interface",
                    "termination_a": {"device": "{{ item.a_device }}", "name": "{{ item.a_port }}"},
                    "termination_b_type": "dcim.interface",
                    "termination_b": {"device": "{{ item.b_device }}", "name": "{{ item.b_port }}"},
                    "status": "{{ item.status }}"}},
                 "loop": nb_cables, "loop_control": {"label": "{{ item.a_device }}:{{ item.a_port }}"}},
            ])
            row = run_playbook(official, proxy, work)
            if args.official_limit:
                scale = (full[0] + full[1]) / (len(nb_devices) + len(nb_cables))
                row = {**row, "seconds": round(row["seconds"] * scale, 1), "requests": round(row["requests"] * scale),
                       "extrapolated_from": f"{len(nb_devices)} devices + {len(nb_cables)} cables"}
            rows["official"] = row
            print(f"official: {row}", flush=True)
        finally:
            remove_by_prefix(url, token, THEIRS)
            run_playbook(absent, proxy, work)
    ours, rerun, official = rows["ours"], rows["re-run"], rows["official"]
    print(f"plan: {PLAN} -> {full[0]} devices, {full[1]} cables (NetBox {url})")
    print(f"{'side':<10} {'seconds':>8} {'requests':>9}  by method")
    for name in ("ours", "re-run", "official", "absent"):
        row = rows[name]
        note = f"  (extrapolated from {row['extrapolated_from']})" if row.get("extrapolated_from") else ""
        print(f"{name:<10} {row['seconds']:>8} {row['requests']:>9}  {row['by_method']}{note}")
    ratio = ours["requests"] / official["requests"]
    print(f"requests ours/official: {ratio:.4f} (1/{official['requests'] / ours['requests']:.0f}); "
          f"target <= 1/20: {'met' if ratio <= TARGETS['requests_ratio'] else 'MISSED'}")
    print(f"seconds ours/official: {ours['seconds'] / official['seconds']:.3f}")
    print(f"re-run: {rerun['requests']} requests, changed={rerun['changed']}; target <= 10: "
          f"{'met' if rerun['requests'] <= TARGETS['rerun_requests'] and not rerun['changed'] else 'MISSED'}")


if __name__ == "__main__":
    main()
