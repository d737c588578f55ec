# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark netbox_export on the large test-bed data set (10,000 devices, 5,000 VMs, 5,000 contact
assignments), from one run:

  ours       the export (all four files) into an empty directory: seconds, HTTP requests, peak RSS
  floor      a plain sequential fetch, with requests, of exactly the pages ours requested (same URLs,
             same fields=), bodies read but not decoded: the time the HTTP alone takes one at a time
  legacy     the per-object pattern of the scripts it replaces: list devices and VMs, then per object
             the object type, its contact assignments, and each assignment's contact and role.
             Run on a subset, extrapolated to the whole set
  unchanged  the export again into the same directory, with its cached result: the delta sync proves it fresh
             from one change-log request (seconds, requests, bytes written: must be 0, mtimes kept)
  10 changes 10 devices changed through the API, then the export again: the delta sync re-reads only those
  full+10    the same after 10 more changes with the delta sync off (a full read into the same directory)
Every round runs all of them in turn; medians of the rounds, side by side as ratios to ours (full).

Usage (after `source tools/lib.sh && ensure_venv && ensure_collection_path`):
    python tools/bench_export.py [--rounds 3] [--legacy-objects 150]   (--legacy-objects 0: no legacy run)
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
# --formats: all four outputs (the module's default), or the three CSVs (no workbook to re-render)
FORMATS = {"all": "", "csv": "devices_csv,vms_csv,merged_csv"}
ARGS = argparse.Namespace(formats="all", skip_floor=False)


def connection():
    if os.environ.get("NETBOX_URL") and os.environ.get("NETBOX_TOKEN") and os.environ.get("SOT_BENCH_USE_ENV"):
        return os.environ["NETBOX_URL"], os.environ["NETBOX_TOKEN"]
    out = subprocess.run([sys.executable, os.path.join(REPO, "tools/testbed.py"), "env", "--dataset", "large"],
                         check=True, capture_output=True, text=True).stdout
    env = dict(line.replace("export ", "", 1).split("=", 1) for line in out.splitlines() if line.startswith("export "))
    return env["NETBOX_URL"].strip("'\""), env["NETBOX_TOKEN"].strip("'\"")


# ---------------------------------------------------------------- ours (in a child process, for its RSS)

def child(url, token, dest, cache_path=None, delta=True):
    from ansible_collections.sot.netbox.plugins.module_utils._connection import build_client
    from ansible_collections.sot.netbox.plugins.module_utils._export.runner import ExportSpec, export

    # No cache path: no persistent cache (count every request). A cache path: the delta sync's cached result.
    client = build_client({"url": url, "token": token, "cache": bool(cache_path), "cache_path": cache_path,
                           "timeout": 300})  # a loaded 2-core machine: a page may take long, not fail
    pages = []
    send = client.request

    def recording(method, path, params=None, body=None):
        pages.append((path, dict(params or {})))
        return send(method, path, params, body)
    client.request = recording
    started = time.monotonic()
    formats = tuple(os.environ.get("SOT_BENCH_FORMATS", "").split(",")) if os.environ.get("SOT_BENCH_FORMATS") else None
    spec = ExportSpec(dest=dest, delta_sync=delta, **({"formats": formats} if formats else {}))
    result = export(client, spec)
    seconds = time.monotonic() - started
    metrics = client.metrics.to_dict()
    print(json.dumps({
        "sync": result.get("sync"), "objects_reread": metrics.get("objects_reread", 0),
        "seconds": seconds, "requests": metrics["requests"], "changed": result["changed"],
        "bytes_written": result["totals"]["bytes_written"], "rows": result["files"]["merged"]["rows"],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "pages": pages}))


def run_ours(url, token, dest, cache_path="", delta=True):
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", dest], check=False,
                         capture_output=True, text=True, env={**os.environ, "SOT_BENCH_URL": url,
                                                              "SOT_BENCH_TOKEN": token, "SOT_BENCH_CACHE": cache_path,
                                                              "SOT_BENCH_DELTA": "1" if delta else "",
                                                              "SOT_BENCH_FORMATS": FORMATS[ARGS.formats]})
    if out.returncode != 0:
        sys.exit(f"the export child failed ({out.returncode}): {out.stderr[-2000:]}")
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
    parser.add_argument("--legacy-objects", type=int, default=150, help="devices in the legacy subset (VMs: half); 0: none")
    parser.add_argument("--formats", choices=sorted(FORMATS), default="all",
                        help="all: the four outputs (default); csv: the three CSV files, no workbook")
    parser.add_argument("--skip-floor", action="store_true", help="no sequential floor fetch (faster rounds)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    ARGS.formats, ARGS.skip_floor = args.formats, args.skip_floor
    if args.child:
        child(os.environ["SOT_BENCH_URL"], os.environ["SOT_BENCH_TOKEN"], args.child,
              os.environ.get("SOT_BENCH_CACHE") or None, bool(os.environ.get("SOT_BENCH_DELTA")))
        return
    url, token = connection()
    work = tempfile.mkdtemp(prefix="bench-export-")
    changer = Changer(url, token)
    try:
        rounds = [one_round(url, token, os.path.join(work, f"round{i}"), changer, i) for i in range(args.rounds)]
        legacy_run = legacy(url, token, args.legacy_objects) if args.legacy_objects else None
    finally:
        changer.restore()
        shutil.rmtree(work, ignore_errors=True)
    report(url, rounds, legacy_run, args.formats)


class Changer:
    """Changes 10 devices through the API (their serial), and puts every one back at the end."""

    def __init__(self, url, token):
        self.url, self.session = url, requests.Session()
        self.session.headers.update(headers(token))
        self.devices = self.session.get(f"{url}/api/dcim/devices/", params={"limit": 10, "fields": "id,serial"},
                                        timeout=300).json()["results"]
        self.count = 0

    def change(self):
        self.count += 1
        body = [{"id": d["id"], "serial": f"bench-{self.count}-{d['id']}"} for d in self.devices]
        self.session.patch(f"{self.url}/api/dcim/devices/", json=body, timeout=300).raise_for_status()

    def restore(self):
        body = [{"id": d["id"], "serial": d["serial"]} for d in self.devices]
        self.session.patch(f"{self.url}/api/dcim/devices/", json=body, timeout=300).raise_for_status()


def one_round(url, token, dest, changer, number):
    cache = dest + ".cache.sqlite"
    out = {"full": run_ours(url, token, dest, cache)}
    out["floor"] = floor(url, token, out["full"]["pages"])[0] if not ARGS.skip_floor else None
    before = mtimes(dest)
    out["unchanged"] = run_ours(url, token, dest, cache)
    out["kept"] = mtimes(dest) == before
    changer.change()
    out["delta"] = run_ours(url, token, dest, cache)
    changer.change()
    out["full10"] = run_ours(url, token, dest, cache, delta=False)
    print(f"round {number + 1}: " + ", ".join(f"{k} {out[k]['seconds']:.2f}s ({out[k]['requests']} req, {out[k]['sync']})"
                                              for k in ("full", "unchanged", "delta", "full10"))
          + (f", floor {out['floor']:.2f}s" if out["floor"] is not None else ""), file=sys.stderr)
    return out


def report(url, rounds, legacy_run, formats):
    def med(key):
        return statistics.median(r[key]["seconds"] for r in rounds)
    full = med("full")
    floors = [r["floor"] for r in rounds if r["floor"] is not None]
    floor_s = statistics.median(floors) if floors else None
    last = rounds[-1]
    load = os.getloadavg()
    print(f"netbox_export benchmark: {url}, {last['full']['rows']} rows, median of {len(rounds)} rounds, "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} cores), formats: {formats}")
    print(f"{'':44}{'seconds':>10}{'requests':>10}{'vs full':>10}{'sync':>11}")
    lines = [("ours, full export (empty dest)", "full"), ("no change (delta sync: unchanged)", "unchanged"),
             ("after 10 device changes (delta)", "delta"), ("after 10 changes, delta sync off (full)", "full10")]
    for label, key in lines:
        seconds = med(key)
        print(f"{label:44}{seconds:>10.2f}{last[key]['requests']:>10}{seconds / full:>9.2f}x{last[key]['sync']:>11}")
    if floor_s is not None:
        print(f"{'floor (sequential, same pages as full)':44}{floor_s:>10.2f}{len(last['full']['pages']):>10}"
              f"{floor_s / full:>9.2f}x")
    if legacy_run is not None:
        legacy_seconds, legacy_requests, _objects = legacy_run
        print(f"{'legacy per-object (extrapolated)':44}{legacy_seconds:>10.1f}{int(legacy_requests):>10}"
              f"{legacy_seconds / full:>9.1f}x")
    unchanged = last["unchanged"]
    print(f"no change: changed={unchanged['changed']}, bytes written {unchanged['bytes_written']}, mtimes kept: "
          f"{all(r['kept'] for r in rounds)}; after 10 changes: {last['delta']['objects_reread']} objects re-read")
    print(f"peak RSS of the export process: {max(r['full']['peak_rss_mb'] for r in rounds):.0f} MB")
    print(f"targets: no change {med('unchanged'):.2f}s <= 1 s and {unchanged['requests']} <= 3 requests; "
          f"after 10 changes {med('delta') / full:.2f} <= 0.20 x full"
          + (f"; full / floor {full / floor_s:.2f}" if floor_s else ""))


if __name__ == "__main__":
    main()
