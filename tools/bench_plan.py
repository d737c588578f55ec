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
  floor      the same devices (their interface templates instantiated), extra interfaces and cables
             created, then removed, through NetBox's ORM inside `netbox shell` (no HTTP): what NetBox
             itself needs; ours is shown as a ratio to it, for generate and for absent

Requests are counted by a byte-forwarding proxy on 127.0.0.1 that every side goes through, so each
side's count is what NetBox actually received. Both sides run with the same connection values;
ours runs with `cache: false` (no persistent cache: every lookup table is fetched, the honest cold
figure).

Usage (after `source tools/lib.sh && ensure_venv && ensure_collection_path`):
    python tools/bench_plan.py [--official-limit N]
--official-limit N times only N cables of the official side, with the devices they connect (at least N
devices), and extrapolates devices and cables separately, linearly (default 0: the whole plan).
--no-floor skips the ORM floor (it needs the local test bed: tools/testbed.py's NetBox and database).
Reads NETBOX_URL/NETBOX_TOKEN, else `tools/testbed.py env`.
"""
from __future__ import annotations

import argparse
import json
import os
import re
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
FLOOR = "bench-plan-orm"
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
    """The same plan's devices and cables, by name, for the official modules; and the floor's spec."""
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(REPO))))
    from ansible_collections.sot.netbox.plugins.module_utils._plan.calculate import calculate
    from ansible_collections.sot.netbox.plugins.module_utils._plan.checks import Catalog
    from ansible_collections.sot.netbox.plugins.module_utils._plan.expand import expand
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
    floor = {"site": plan.site, "tenant": plan.tenant,
             "devices": [{k: d[k] for k in ("key", "name", "device_type", "role", "status")}
                         for d in desired.devices.values()],
             "interfaces": [{"device": i["device"], "name": i["name"], "type": i["type"]}
                            for i in desired.interfaces.values()],
             "cables": [{"a": c["a"], "b": c["b"], "type": c["type"], "status": c["status"]}
                        for c in desired.cables.values()]}
    return data, devices, cables, floor


def limited(devices, cables, limit):
    """N cables and the devices they connect (topped up to N devices): a subset the official modules can
    create on their own (a cable needs both its devices)."""
    cables = cables[:limit]
    wanted = {c["a_device"] for c in cables} | {c["b_device"] for c in cables}
    wanted |= {d["name"] for d in devices[:limit]}
    return [d for d in devices if d["name"] in wanted], cables


def run_floor(spec, work):
    """The ORM floor, inside the local test bed's `netbox shell`."""
    sys.path.insert(0, os.path.join(REPO, "tools"))
    import testbed  # pylint: disable=import-error,import-outside-toplevel

    path = os.path.join(work, "floor.json")
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(spec, fh)
    script = os.path.join(REPO, "tools", "bench_plan_floor.py")
    code = f"exec(open({script!r}).read()); floor({path!r})"
    started = time.monotonic()
    done = testbed.netbox_manage("sample", "shell", "-c", code, capture_output=True, text=True, check=False)
    found = re.search(r"^FLOOR (.*)$", done.stdout, re.M)
    if done.returncode != 0 or not found:
        raise SystemExit(f"floor failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    row = json.loads(found.group(1))
    row["wall"] = round(time.monotonic() - started, 1)
    return row


def official_playbooks(work, nb, devices, cables):
    paths = {}
    for kind, module, items, data, label in (
            ("devices", "netbox.netbox.netbox_device", devices, "{{ item }}", "{{ item.name }}"),
            ("cables", "netbox.netbox.netbox_cable", cables, {
                "termination_a_type": "dcim.interface",
                "termination_a": {"device": "{{ item.a_device }}", "name": "{{ item.a_port }}"},
                "termination_b_type": "dcim.interface",
                "termination_b": {"device": "{{ item.b_device }}", "name": "{{ item.b_port }}"},
                "status": "{{ item.status }}"}, "{{ item.a_device }}:{{ item.a_port }}")):
        paths[kind] = os.path.join(work, f"official-{kind}.yml")
        playbook(paths[kind], [{"name": kind, module: {**nb, "data": data, "state": "present"}, "loop": items,
                                "loop_control": {"label": label}}])
    return paths


def run_official(work, proxy, nb, devices, cables, full):
    """Devices, then cables, each timed; with a subset, each kind is extrapolated to the full plan."""
    paths = official_playbooks(work, nb, devices, cables)
    rows = {kind: run_playbook(paths[kind], proxy, work) for kind in ("devices", "cables")}
    scale = {"devices": full[0] / len(devices), "cables": full[1] / len(cables)}
    by_method = {}
    for kind, row in rows.items():
        for method, n in row["by_method"].items():
            by_method[method] = by_method.get(method, 0) + round(n * scale[kind])
    out = {"seconds": round(sum(r["seconds"] * scale[k] for k, r in rows.items()), 1),
           "requests": round(sum(r["requests"] * scale[k] for k, r in rows.items())), "by_method": by_method,
           "changed": True}
    if (len(devices), len(cables)) != full:
        out["extrapolated_from"] = f"{len(devices)} devices + {len(cables)} cables"
    return out


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


def ours_playbooks(work, conn, ours_plan):
    gen, absent = os.path.join(work, "generate.yml"), os.path.join(work, "absent.yml")
    playbook(gen, [{"name": "Generate", "sot.netbox.netbox_plan_generate": {**conn, "plan": ours_plan}}])
    playbook(absent, [{"name": "Absent", "sot.netbox.netbox_plan_generate": {
        **conn, "plan": {"name": OURS}, "state": "absent"}}])
    return gen, absent


def report(rows, full, url):
    ours, rerun, official = rows["ours"], rows["re-run"], rows["official"]
    print(f"plan: {PLAN} -> {full[0]} devices, {full[1]} cables (NetBox {url}); load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
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
    floor = rows.get("floor")
    if floor:
        print(f"floor (NetBox ORM in netbox shell, no HTTP): generate {floor['generate']} s, absent {floor['absent']} s "
              f"({floor['devices']} devices, {floor['interfaces']} interfaces of which {floor.get('extra_interfaces', 0)} "
              f"beyond the templates, {floor['cables']} cables)")
        print(f"ours/floor: generate {ours['seconds'] / floor['generate']:.2f}x, "
              f"absent {rows['absent']['seconds'] / floor['absent']:.2f}x")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--official-limit", type=int, default=0)
    parser.add_argument("--no-floor", action="store_true")
    args = parser.parse_args()
    url, token = connection()
    parts = urlsplit(url)
    proxy = CountingProxy(parts.hostname, parts.port or 80)
    proxied = f"http://127.0.0.1:{proxy.port}"
    conn = {"url": proxied, "token": token, "cache": False, "timeout": 300}
    ours_plan, devices, cables, _ = expand_plan(OURS)
    _, nb_devices, nb_cables, _ = expand_plan(THEIRS)
    floor_spec = expand_plan(FLOOR)[3]
    full = (len(devices), len(cables))
    if args.official_limit:
        nb_devices, nb_cables = limited(nb_devices, nb_cables, args.official_limit)
    rows = {}
    with tempfile.TemporaryDirectory(prefix="bench-plan-") as work:
        gen, absent = ours_playbooks(work, conn, ours_plan)
        run_playbook(absent, proxy, work)  # leftovers of an interrupted earlier run
        remove_by_prefix(url, token, THEIRS)
        remove_by_prefix(url, token, FLOOR)
        try:
            for name, path in (("ours", gen), ("re-run", gen), ("absent", absent)):
                rows[name] = run_playbook(path, proxy, work)
                print(f"{name}: {rows[name]}", flush=True)
            nb = {"netbox_url": proxied, "netbox_token": token}
            rows["official"] = run_official(work, proxy, nb, nb_devices, nb_cables, full)
            print(f"official: {rows['official']}", flush=True)
            if not args.no_floor:
                rows["floor"] = run_floor(floor_spec, work)
                print(f"floor: {rows['floor']}", flush=True)
        finally:
            remove_by_prefix(url, token, THEIRS)
            remove_by_prefix(url, token, FLOOR)
            run_playbook(absent, proxy, work)
    report(rows, full, url)


if __name__ == "__main__":
    main()
