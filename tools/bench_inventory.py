#!/usr/bin/env python3
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: sot.netbox.inventory vs netbox.netbox.nb_inventory vs the plain-fetch floor, from one run.

    source tools/lib.sh && ensure_venv && ensure_collection_path
    eval "$(python3 tools/testbed.py env --dataset large)"
    python tools/bench_inventory.py [--rounds N] [--cursor] [--keep DIR] [--delta | --delta-only]

BENCH_SKIP_YAML=1 leaves out the static YAML floor (minutes on 15,000 hosts: never the fastest),
BENCH_SKIP_CHECK=1 the delta == full check of --delta (a full read more).

For each side it prints wall seconds, HTTP requests and peak RSS:
- ours:  `ansible-inventory -i sot_netbox.yml --list` (group_by below), in a child process;
- nb:    `ansible-inventory -i nb_inventory.yml --list`, the same file with only its plugin line changed
         (both at nb_inventory's defaults otherwise: services, lookup tables for regions/locations/...);
- floor: a plain requests session, 2 concurrent, GETting the same device/VM pages ours asks for
         (same `fields=`, limit 1000) and decoding their JSON; nothing else.
Requests are counted by a byte-forwarding proxy on 127.0.0.1 that every side goes through (the
same small overhead for all), and cross-checked with the plugin's own metrics file.
Peak RSS is the child's maximum resident set size (`/usr/bin/time -v`, or getrusage).
The two inventories are also compared: same hosts and the same group memberships.
With --rounds N the median of each figure is printed.

With --delta (issue 14) it then also prints, from the same invocation:
- Ansible's own floor: the same hosts, groups and variables (our --list output) served by an executable
  script that prints them, through `ansible-inventory --list` and `ansible-playbook --list-hosts all`;
- ours with `cache: true`: cold, warm with no change, warm after 10 device changes (serial numbers) and
  after one site change (a lookup object: a full read), and `ansible-playbook --list-hosts` warm;
- nb_inventory cold and with its own cache (`cache: true`, jsonfile).
The devices and the site are put back afterwards (that is a change too, seen by the next run).
"""
from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlsplit

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "integration", "targets", "inventory"))
from benchlib import CountingProxy  # noqa: E402  pylint: disable=wrong-import-position,import-error
from compare_inventories import compare, unwrap  # noqa: E402  pylint: disable=wrong-import-position

GROUP_BY = ["sites", "device_roles", "tags", "platforms", "tenants", "status", "cluster", "is_virtual"]
YAML_TIMEOUT = 120  # seconds: the static YAML floor parses 15,000 hosts with Ansible's (tagging) YAML loader
TARGETS = {"time_vs_nb": 0.15, "time_vs_floor": 1.3, "rss_vs_nb": 1 / 3}


def run_child(argv, env, stdout_path, timeout=None):
    """(seconds, peak RSS MB) of one child process; (None, None) when it ran longer than `timeout` seconds."""
    timer = shutil.which("time") and os.path.exists("/usr/bin/time")
    cmd = (["/usr/bin/time", "-v"] if timer else []) + argv
    started = time.monotonic()
    with open(stdout_path, "w", encoding="utf-8") as out:
        try:
            proc = subprocess.run(cmd, env=env, stdout=out, stderr=subprocess.PIPE, text=True, check=False,
                                  timeout=timeout)
        except subprocess.TimeoutExpired:
            return None, None
    seconds = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    rss = int(match.group(1)) / 1024 if match else resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return seconds, rss


def floor_fetch(url, token, queries, workers=2):
    """The same device/VM pages, plain requests session, `workers` concurrent, JSON decoded."""
    import requests  # pylint: disable=import-outside-toplevel
    session = requests.Session()
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=workers))
    scheme = "Bearer " if token.startswith("nbt_") else "Token "
    headers = {"Authorization": scheme + token, "Accept": "application/json"}
    started = time.monotonic()

    def get(endpoint, params):
        response = session.get(f"{url}/api/{endpoint}/", params=params, headers=headers, timeout=300)
        response.raise_for_status()
        return response.json()

    rows = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        firsts = [(q, pool.submit(get, q[0], {**q[1], "limit": 1000, "offset": 0})) for q in queries]
        pages = []
        for (endpoint, params), future in firsts:
            first = future.result()
            rows += len(first["results"])
            for offset in range(1000, first["count"], 1000):
                pages.append(pool.submit(get, endpoint, {**params, "limit": 1000, "offset": offset}))
        for page in pages:
            rows += len(page.result()["results"])
    return time.monotonic() - started, rows


def our_queries(group_by):
    """The device/VM requests our plugin makes for these options (from its own fetch planner)."""
    from ansible_collections.sot.netbox.plugins.module_utils._inventory.plan import plan_fetch  # noqa: E501  pylint: disable=import-outside-toplevel
    from ansible_collections.sot.netbox.plugins.module_utils._inventory.settings import settings_from  # pylint: disable=import-outside-toplevel
    settings = settings_from({"group_by": group_by}.get)
    return [(q.endpoint, {"fields": ",".join(q.fields)}) for q in plan_fetch(settings).hosts]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--cursor", action="store_true", help="also run ours with cursor_paging: true")
    parser.add_argument("--keep", help="keep inventory files and outputs in this directory")
    parser.add_argument("--delta", action="store_true", help="also the delta-sync figures (issue 14)")
    parser.add_argument("--delta-only", action="store_true", help="only the delta-sync figures (issue 14)")
    args = parser.parse_args()
    url, token = os.environ.get("NETBOX_URL", "").rstrip("/"), os.environ.get("NETBOX_TOKEN", "")
    if not url or not token:
        raise SystemExit('set NETBOX_URL/NETBOX_TOKEN, e.g. eval "$(python3 tools/testbed.py env --dataset large)"')
    parts = urlsplit(url)
    proxy = CountingProxy(parts.hostname, parts.port or 80)
    proxied = f"http://127.0.0.1:{proxy.port}"
    work = args.keep or tempfile.mkdtemp(prefix="bench-inventory-")
    os.makedirs(work, exist_ok=True)
    group_by = json.dumps(GROUP_BY)
    files = {
        "ours": ("sot_netbox.yml", f"plugin: sot.netbox.inventory\napi_endpoint: {proxied}\ngroup_by: {group_by}\n"),
        "nb": ("nb_inventory.yml", f"plugin: netbox.netbox.nb_inventory\napi_endpoint: {proxied}\n"
                                   f"group_by: {group_by}\n"),
    }
    if args.cursor:
        files["ours-cursor"] = ("cursor_netbox.yml", files["ours"][1] + "cursor_paging: true\n")
    # a source that fails (a NetBox too loaded to answer in time) must stop the benchmark, not time an empty inventory
    env = dict(os.environ, NETBOX_TOKEN=token, ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
               ANSIBLE_INVENTORY_UNPARSED_FAILED="true",
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_DEPRECATION_WARNINGS="false")
    for name, (fname, text) in files.items():
        with open(os.path.join(work, fname), "w", encoding="utf-8") as handle:
            handle.write(text)
    inventory_cli = shutil.which("ansible-inventory")
    if args.delta_only:
        delta_figures(work, proxy, proxied, url, token, env, inventory_cli, group_by, args.rounds)
        return
    queries = [(e, p) for e, p in our_queries(GROUP_BY)]
    results = {}
    for _round in range(args.rounds):
        proxy.reset()
        seconds, rows = floor_fetch(proxied, token, queries)
        results.setdefault("floor", []).append({"seconds": seconds, "requests": proxy.reset()[0], "rss": None,
                                                "rows": rows})
        for name, (fname, _text) in files.items():
            metrics = os.path.join(work, f"{name}-metrics.json")
            side_env = dict(env, SOT_NETBOX_INVENTORY_METRICS=metrics) if name != "nb" else env
            proxy.reset()
            seconds, rss = run_child([inventory_cli, "-i", os.path.join(work, fname), "--list"], side_env,
                                     os.path.join(work, f"{name}.json"))
            row = {"seconds": seconds, "requests": proxy.reset()[0], "rss": rss}
            if name != "nb":
                with open(metrics, encoding="utf-8") as handle:
                    row["own_count"] = json.load(handle).get("requests")
            results.setdefault(name, []).append(row)
    with open(os.path.join(work, "ours.json"), encoding="utf-8") as fa, \
            open(os.path.join(work, "nb.json"), encoding="utf-8") as fb:
        ours_list, nb_list = json.load(fa), json.load(fb)
    problems = compare(ours_list, nb_list)
    hosts = len(ours_list.get("_meta", {}).get("hostvars", {}))

    def med(name, key):
        values = [r[key] for r in results[name] if r.get(key) is not None]
        return statistics.median(values) if values else None

    print(f"NetBox {url}: {hosts} hosts; group_by {', '.join(GROUP_BY)}; rounds {args.rounds}; files in {work}")
    print(f"{'side':<12} {'seconds':>8} {'requests':>9} {'peak RSS MB':>12}")
    for name in results:
        rss = med(name, "rss")
        own = med(name, "own_count")
        extra = f"   (plugin's own count: {own:.0f})" if own is not None else ""
        print(f"{name:<12} {med(name, 'seconds'):>8.2f} {med(name, 'requests'):>9.0f} "
              f"{(f'{rss:.0f}' if rss else '-'):>12}{extra}")
    ours_s, nb_s, floor_s = med("ours", "seconds"), med("nb", "seconds"), med("floor", "seconds")
    ratios = {"time_vs_nb": ours_s / nb_s, "time_vs_floor": ours_s / floor_s,
              "rss_vs_nb": med("ours", "rss") / med("nb", "rss")}
    for key, value in ratios.items():
        verdict = "meets" if value <= TARGETS[key] else "misses"
        print(f"{key:<14} {value:6.3f}  (target <= {TARGETS[key]:.3f}: {verdict})")
    print("same hosts and group memberships as nb_inventory" if not problems
          else f"{len(problems)} difference(s) from nb_inventory, first: {problems[0]}")
    if args.delta:
        delta_figures(work, proxy, proxied, url, token, env, inventory_cli, group_by, args.rounds)


def timed(proxy, argv, env, out, timeout=None):
    proxy.reset()
    seconds, rss = run_child(argv, env, out, timeout)
    return seconds, proxy.reset()[0], rss


def static_inventory(listing):
    """Our --list output as a static YAML-plugin inventory: {'all': {'children': {...}}}, each group defined
    once (under its first parent), each host's vars written once (at its first membership)."""
    hostvars, placed, defined = listing.get("_meta", {}).get("hostvars", {}), set(), set()

    def group(name):
        body = listing.get(name) or {}
        defined.add(name)
        out = {}
        hosts = {}
        for host in body.get("hosts") or ():
            hosts[host] = None if host in placed else (hostvars.get(host) or None)
            placed.add(host)
        if hosts:
            out["hosts"] = hosts
        children = {c: (group(c) if c not in defined else {}) for c in body.get("children") or () if c != "ungrouped"}
        if children:
            out["children"] = children
        return out

    tree = group("all")
    leftover = {h: v or None for h, v in hostvars.items() if h not in placed}
    if leftover:
        tree.setdefault("hosts", {}).update(leftover)
    return {"all": tree}


def write_floors(work, listing_path):
    """The same inventory served without NetBox: static YAML, static JSON (yaml plugin), executable script."""
    import yaml  # pylint: disable=import-outside-toplevel
    with open(listing_path, encoding="utf-8") as source:
        listing = unwrap(json.load(source))  # plain strings: a script's output is untrusted data anyway
    static = static_inventory(listing)
    paths = {"static YAML": os.path.join(work, "floor.yml"), "static JSON": os.path.join(work, "floor.json"),
             "script": os.path.join(work, "floor_inventory.sh")}
    with open(paths["static YAML"], "w", encoding="utf-8") as out:
        yaml.dump(static, out, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), default_flow_style=False)
    with open(paths["static JSON"], "w", encoding="utf-8") as out:
        json.dump(static, out)
    script_json = os.path.join(work, "floor-script.json")
    with open(script_json, "w", encoding="utf-8") as out:
        json.dump(listing, out)
    with open(paths["script"], "w", encoding="utf-8") as handle:
        handle.write(f"#!/bin/sh\nexec cat {script_json}\n")
    os.chmod(paths["script"], 0o755)
    return paths


class Rows:
    """label -> measured rounds [(seconds, requests, sync)], printed as medians."""

    def __init__(self, proxy, work, env):
        self.proxy, self.work, self.env, self.rows = proxy, work, env, {}
        self.metrics = os.path.join(work, "delta-metrics.json")

    def run(self, label, argv, ours=False, out="delta-out.json", timeout=None):
        env = dict(self.env, SOT_NETBOX_INVENTORY_METRICS=self.metrics) if ours else self.env
        if ours and os.path.exists(self.metrics):
            os.unlink(self.metrics)
        seconds, requests_seen, _rss = timed(self.proxy, argv, env, os.path.join(self.work, out), timeout)
        if seconds is None:
            self.rows.setdefault(label, []).append((float("inf"), requests_seen, f"over {timeout} s, stopped"))
            return
        sync = ""
        if ours:
            with open(self.metrics, encoding="utf-8") as handle:
                sync = json.load(handle).get("sync", "")
        self.rows.setdefault(label, []).append((seconds, requests_seen, sync))
        print(f"  measured: {label}: {seconds:.2f} s, {requests_seen} requests {sync}", flush=True)

    def median(self, label, index=0):
        return statistics.median(r[index] for r in self.rows[label])


def delta_figures(work, proxy, proxied, url, token, env, inventory_cli, group_by, rounds=1):
    """Issue 14's figures: Ansible's own floor, ours cold/warm/after changes, nb_inventory cold/cached."""
    import requests  # pylint: disable=import-outside-toplevel
    playbook_cli = shutil.which("ansible-playbook")
    playbook = os.path.join(work, "list_hosts.yml")
    with open(playbook, "w", encoding="utf-8") as handle:
        handle.write("- hosts: all\n  gather_facts: false\n  tasks: []\n")
    cache = ("timeout: 300\ncache: true\ncache_plugin: ansible.builtin.jsonfile\ncache_timeout: 86400\n"
             f"cache_connection: {os.path.join(work, 'inventory-cache')}\n")
    ours_file, nb_file = os.path.join(work, "delta_netbox.yml"), os.path.join(work, "nb_cached.yml")
    with open(ours_file, "w", encoding="utf-8") as handle:
        handle.write(f"plugin: sot.netbox.inventory\napi_endpoint: {proxied}\ngroup_by: {group_by}\n{cache}")
    with open(nb_file, "w", encoding="utf-8") as handle:
        handle.write(f"plugin: netbox.netbox.nb_inventory\napi_endpoint: {proxied}\ngroup_by: {group_by}\n{cache}"
                     "cache_prefix: nb_\n")
    clis = {"ansible-inventory --list": lambda i: [inventory_cli, "-i", i, "--list"],
            "ansible-playbook --list-hosts": lambda i: [playbook_cli, "-i", i, "--list-hosts", playbook]}
    session = requests.Session()
    session.headers["Authorization"] = ("Bearer " if token.startswith("nbt_") else "Token ") + token
    api = f"{url}/api"
    devices = session.get(f"{api}/dcim/devices/", params={"limit": 10, "fields": "id,serial"}, timeout=300).json()["results"]
    site = session.get(f"{api}/dcim/sites/", params={"limit": 1, "fields": "id,name"}, timeout=300).json()["results"][0]
    rows = Rows(proxy, work, env)
    load_before = os.getloadavg()
    rows.run("ours: cold (--flush-cache)", clis["ansible-inventory --list"](ours_file) + ["--flush-cache"], ours=True,
             out="delta-cold.json")
    floors = write_floors(work, os.path.join(work, "delta-cold.json"))
    for number in range(rounds):
        for cli, argv in clis.items():
            for kind, path in floors.items():
                if kind == "static YAML" and (number or os.environ.get("BENCH_SKIP_YAML")):
                    continue  # Ansible's YAML loader: far the slowest, measured once (or not at all)
                rows.run(f"floor: {kind}, {cli}", argv(path), timeout=YAML_TIMEOUT if kind == "static YAML" else None)
            rows.run(f"ours: warm, no change, {cli}", argv(ours_file), ours=True)
    try:
        for number in range(rounds):
            for cli, argv in clis.items():
                session.patch(f"{api}/dcim/devices/", timeout=300, json=[
                    {"id": d["id"], "serial": f"bench-{number}-{len(cli)}-{d['id']}"} for d in devices]).raise_for_status()
                rows.run(f"ours: warm, after 10 device changes, {cli}", argv(ours_file), ours=True,
                         out="delta-warm.json")
        if not os.environ.get("BENCH_SKIP_CHECK"):  # the differential test checks this on every step
            check_same_as_full(rows, clis["ansible-inventory --list"](ours_file), work, lambda: session.patch(
                f"{api}/dcim/devices/", json=[{"id": d["id"], "serial": f"check-{d['id']}"} for d in devices],
                timeout=300).raise_for_status())
        for number in range(rounds):
            session.patch(f"{api}/dcim/sites/{site['id']}/", json={"name": f"{site['name']} bench {number}"},
                          timeout=300).raise_for_status()
            rows.run("ours: warm, after one site rename, ansible-inventory --list",
                     clis["ansible-inventory --list"](ours_file), ours=True)
    finally:
        session.patch(f"{api}/dcim/devices/", json=[{"id": d["id"], "serial": d["serial"]} for d in devices], timeout=300)
        session.patch(f"{api}/dcim/sites/{site['id']}/", json={"name": site["name"]}, timeout=300)
    rows.run("nb_inventory: cold (--flush-cache)", clis["ansible-inventory --list"](nb_file) + ["--flush-cache"])
    for _round in range(rounds):
        rows.run("nb_inventory: warm, its cache", clis["ansible-inventory --list"](nb_file))
    print_delta(rows, clis, floors, load_before, rounds)


def check_same_as_full(rows, argv, work, change):
    """After `change()`, the warm (delta) result must be what a full read gives (both --list outputs)."""
    change()
    rows.run("(check) ours: warm", argv, ours=True, out="check-delta.json")
    rows.run("(check) ours: full read", argv + ["--flush-cache"], ours=True, out="check-full.json")
    with open(os.path.join(work, "check-delta.json"), encoding="utf-8") as a, \
            open(os.path.join(work, "check-full.json"), encoding="utf-8") as b:
        same = json.load(a) == json.load(b)
    syncs = [rows.rows[label][0][2] for label in ("(check) ours: warm", "(check) ours: full read")]
    print(f"check: {'/'.join(syncs)} after 10 device changes: identical --list outputs:",
          "yes" if same else "NO (files kept in " + work + ")")
    del rows.rows["(check) ours: warm"], rows.rows["(check) ours: full read"]


def print_delta(rows, clis, floors, load_before, rounds):
    load_after = os.getloadavg()
    floor = {cli: min(rows.median(f"floor: {kind}, {cli}") for kind in floors if f"floor: {kind}, {cli}" in rows.rows)
             for cli in clis}
    print(f"\ndelta sync (issue 14): medians of {rounds} round(s); load average before "
          f"{'/'.join(f'{x:.2f}' for x in load_before)}, after {'/'.join(f'{x:.2f}' for x in load_after)}")
    print(f"{'side':<64} {'seconds':>8} {'requests':>9} {'x floor':>8}  sync")
    for label in rows.rows:
        cli = next((c for c in clis if label.endswith(c)), "ansible-inventory --list")
        seconds, requests_seen = rows.median(label), rows.median(label, 1)
        sync = "/".join(sorted({r[2] for r in rows.rows[label]}))
        print(f"{label:<64} {seconds:>8.2f} {requests_seen or 0:>9.0f} {seconds / floor[cli]:>8.2f}  {sync}")
    for cli in clis:
        kinds = [k for k in floors if f"floor: {k}, {cli}" in rows.rows]
        print(f"Ansible's floor through {cli}: {floor[cli]:.2f} s (fastest of {', '.join(kinds)})")
    for cli in clis:
        for what, target in (("no change", 1.1), ("after 10 device changes", 1.2)):
            ratio = rows.median(f"ours: warm, {what}, {cli}") / floor[cli]
            print(f"warm, {what}, {cli} / floor: {ratio:.3f} (target <= {target}: {'meets' if ratio <= target else 'misses'})")
    requests_seen = rows.median("ours: warm, no change, ansible-inventory --list", 1)
    print(f"requests warm with no change: {requests_seen:.0f} (target <= 3: {'meets' if requests_seen <= 3 else 'misses'})")


if __name__ == "__main__":
    main()
