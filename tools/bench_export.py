# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark netbox_export on the large test-bed data set (10,000 devices, 5,000 VMs, 5,000 contact
assignments), from one run:

  ours       the export (all four files) into an empty directory: seconds, HTTP requests, peak RSS
  floor      a plain sequential fetch, with requests, of exactly the pages ours requested (same URLs,
             same fields=), bodies read but not decoded: the time the HTTP alone takes one at a time
  legacy     the per-object pattern of the scripts it replaces: list devices and VMs, then per object
             the object type, its contact assignments, and each assignment's contact and role.
             Run on a subset, extrapolated to the whole set
  unchanged  the export again into the same directory: seconds and bytes written (must be 0, mtimes kept)

Usage (after `source tools/lib.sh && ensure_venv && ensure_collection_path`):
    python tools/bench_export.py [--rounds 3] [--legacy-objects 150]
Reads NETBOX_URL/NETBOX_TOKEN, else `tools/testbed.py env --dataset large`.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import requests

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def connection():
    if os.environ.get("NETBOX_URL") and os.environ.get("NETBOX_TOKEN") and os.environ.get("SOT_BENCH_USE_ENV"):
        return os.environ["NETBOX_URL"], os.environ["NETBOX_TOKEN"]
    out = subprocess.run([sys.executable, os.path.join(REPO, "tools/testbed.py"), "env", "--dataset", "large"],
                         check=True, capture_output=True, text=True).stdout
    env = dict(line.replace("export ", "", 1).split("=", 1) for line in out.splitlines() if line.startswith("export "))
    return env["NETBOX_URL"].strip("'\""), env["NETBOX_TOKEN"].strip("'\"")


# ---------------------------------------------------------------- ours (in a child process, for its RSS)

def child(url, token, dest):
    from ansible_collections.sot.netbox.plugins.module_utils._connection import build_client
    from ansible_collections.sot.netbox.plugins.module_utils._export.runner import ExportSpec, export

    client = build_client({"url": url, "token": token, "cache": False})  # no persistent cache: count every request
    pages = []
    send = client.request

    def recording(method, path, params=None, body=None):
        pages.append((path, dict(params or {})))
        return send(method, path, params, body)
    client.request = recording
    started = time.monotonic()
    result = export(client, ExportSpec(dest=dest))
    seconds = time.monotonic() - started
    print(json.dumps({
        "seconds": seconds, "requests": client.metrics.to_dict()["requests"], "changed": result["changed"],
        "bytes_written": result["totals"]["bytes_written"], "rows": result["files"]["merged"]["rows"],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "pages": pages}))


def run_ours(url, token, dest):
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", dest], check=True,
                         capture_output=True, text=True, env={**os.environ, "SOT_BENCH_URL": url,
                                                              "SOT_BENCH_TOKEN": token})
    return json.loads(out.stdout.strip().splitlines()[-1])


def mtimes(dest):
    return {name: os.stat(os.path.join(dest, name)).st_mtime_ns for name in sorted(os.listdir(dest))}


# ---------------------------------------------------------------- the floor and the legacy pattern

def headers(token):
    return {"Authorization": f"Token {token}", "Accept": "application/json"}


def floor(url, token, pages):
    session = requests.Session()
    started = time.monotonic()
    received = 0
    for path, params in pages:
        response = session.get(f"{url}/api/{path.strip('/')}/", params=params, headers=headers(token), timeout=300)
        response.raise_for_status()
        received += len(response.content)  # the body is read, not decoded
    return time.monotonic() - started, received


def legacy(url, token, objects):
    """The legacy scripts' pattern on `objects` devices and objects/2 VMs; per-object cost extrapolated."""
    session = requests.Session()
    count = {"requests": 0}

    def get(path, **params):
        count["requests"] += 1
        response = session.get(f"{url}/api/{path}/", params=params, headers=headers(token), timeout=300)
        response.raise_for_status()
        return response.json()

    totals = {}
    for endpoint, (app, model), n, total_key in (("dcim/devices", ("dcim", "device"), objects, "devices"),
                                                 ("virtualization/virtual-machines",
                                                  ("virtualization", "virtualmachine"), objects // 2, "vms")):
        started = time.monotonic()
        first = get(endpoint, limit=n)  # listing: full objects, as the scripts did
        list_seconds = time.monotonic() - started
        started = time.monotonic()
        before = count["requests"]
        for obj in first["results"]:
            get("core/object-types", app_label=app, model=model)
            for a in get("tenancy/contact-assignments", object_type=f"{app}.{model}", object_id=obj["id"])["results"]:
                get(f"tenancy/contacts/{a['contact']['id']}")
                if a.get("role"):
                    get(f"tenancy/contact-roles/{a['role']['id']}")
        per_object = (time.monotonic() - started) / max(len(first["results"]), 1)
        req_per_object = (count["requests"] - before) / max(len(first["results"]), 1)
        total = first["count"]
        totals[total_key] = {
            "objects": total,
            "seconds": list_seconds * total / max(n, 1) + per_object * total,
            "requests": -(-total // 50) + req_per_object * total,  # legacy listing paged by 50 (NetBox default)
        }
    return (sum(t["seconds"] for t in totals.values()), sum(t["requests"] for t in totals.values()),
            sum(t["objects"] for t in totals.values()))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=3, help="alternating floor/ours rounds; medians reported")
    parser.add_argument("--legacy-objects", type=int, default=150, help="devices in the legacy subset (VMs: half)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(os.environ["SOT_BENCH_URL"], os.environ["SOT_BENCH_TOKEN"], args.child)
        return
    url, token = connection()
    work = tempfile.mkdtemp(prefix="bench-export-")
    try:
        ours, floors, last = [], [], None
        for i in range(args.rounds):
            dest = os.path.join(work, f"round{i}")
            last = run_ours(url, token, dest)
            ours.append(last)
            floors.append(floor(url, token, last["pages"])[0])
            print(f"round {i + 1}: ours {last['seconds']:.2f}s ({last['requests']} requests), "
                  f"floor {floors[-1]:.2f}s", file=sys.stderr)
        before = mtimes(dest)
        unchanged = run_ours(url, token, dest)
        kept = mtimes(dest) == before
        legacy_seconds, legacy_requests, objects = legacy(url, token, args.legacy_objects)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    ours_s = statistics.median(o["seconds"] for o in ours)
    floor_s = statistics.median(floors)
    print(f"netbox_export benchmark: {url}, {objects} objects ({last['rows']} rows), "
          f"median of {args.rounds} alternating rounds")
    print(f"{'':34}{'seconds':>10}{'requests':>10}{'vs floor':>10}")
    print(f"{'ours (sot.netbox.netbox_export)':34}{ours_s:>10.2f}{last['requests']:>10}{ours_s / floor_s:>9.2f}x")
    print(f"{'floor (sequential, same pages)':34}{floor_s:>10.2f}{len(last['pages']):>10}{1:>9.2f}x")
    print(f"{'legacy per-object (extrapolated)':34}{legacy_seconds:>10.1f}{int(legacy_requests):>10}"
          f"{legacy_seconds / floor_s:>9.1f}x")
    print(f"{'unchanged re-run':34}{unchanged['seconds']:>10.2f}{unchanged['requests']:>10}"
          f"{unchanged['seconds'] / floor_s:>9.2f}x")
    print(f"unchanged re-run: changed={unchanged['changed']}, bytes written {unchanged['bytes_written']}, "
          f"mtimes kept: {kept}")
    print(f"peak RSS of the export process: {max(o['peak_rss_mb'] for o in ours):.0f} MB "
          f"(unchanged re-run {unchanged['peak_rss_mb']:.0f} MB)")
    print(f"ours / floor = {ours_s / floor_s:.2f}  (target <= 1.00); legacy / ours = {legacy_seconds / ours_s:.0f}x")


if __name__ == "__main__":
    main()
