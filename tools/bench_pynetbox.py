# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Why our own client and not pynetbox: the export's fetch of the large test-bed set, three ways.

  ours              NetboxClient (max_workers 4): the lists the export reads, with its fields= and
                    page size, the lists at once, each list's pages concurrently (no persistent cache)
  pynetbox-best     pynetbox with threading=True (its max_workers 4), the same lists with the same
                    query (fields=, limit=1000), the lists in parallel threads: the best pynetbox can do
  pynetbox-typical  pynetbox with threading=True as scripts use it: `.filter(**filters)` / `.all()`
                    without fields= (full objects; pynetbox's limit=0 pages by MAX_PAGE_SIZE), one list
                    after another

What the export reads is recorded first by running the export once with a recording client (the
first page of each list gives its path and query). Each measurement runs in a child process, so its
peak RSS is its own. Rounds alternate the three; medians are reported, with the load average.

Usage (after `source tools/lib.sh && ensure_venv && ensure_collection_path`, large test bed started):
    python tools/bench_pynetbox.py [--rounds 3]
Reads NETBOX_URL/NETBOX_TOKEN with SOT_BENCH_USE_ENV=1, else `tools/testbed.py env --dataset large`.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

from bench_export import connection  # pylint: disable=import-error  # tools/ is the script's directory

SIDES = ("ours", "pynetbox-best", "pynetbox-typical")


def _report(started: float, requests: int, objects: int) -> None:
    print(json.dumps({"seconds": time.monotonic() - started, "requests": requests, "objects": objects,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def child_plan(url: str, token: str) -> None:
    """The export once, recording the first page of every list it reads: [(path, query)]."""
    from ansible_collections.sot.netbox.plugins.module_utils._connection import build_client
    from ansible_collections.sot.netbox.plugins.module_utils._export.runner import ExportSpec, export

    client = build_client({"url": url, "token": token, "cache": False, "timeout": 600})
    reads, send = [], client.request

    def recording(method: str, path: str, params: dict | None = None, body: object = None) -> object:
        query = dict(params or {})
        if method == "GET" and query.get("offset", query.get("start")) == 0:
            reads.append((path, {k: v for k, v in query.items() if k not in ("offset", "start", "limit")}))
        return send(method, path, params, body)
    client.request = recording
    with tempfile.TemporaryDirectory() as dest:
        export(client, ExportSpec(dest=dest))
    print(json.dumps(reads))


def child_ours(url: str, token: str, reads: list) -> None:
    from ansible_collections.sot.netbox.plugins.module_utils._connection import build_client

    # pynetbox waits for an answer without a limit: so does ours here, nearly (a loaded NetBox is slow)
    client = build_client({"url": url, "token": token, "cache": False, "timeout": 600})
    started = time.monotonic()
    got = client.fetch_concurrently({str(i): (lambda p=path, q=query: client.list(p, q))
                                     for i, (path, query) in enumerate(reads)})
    _report(started, client.metrics.to_dict()["requests"], sum(len(v) for v in got.values()))


def _pynetbox(url: str, token: str) -> tuple:
    import pynetbox  # pylint: disable=import-outside-toplevel

    nb = pynetbox.api(url, token=token, threading=True)
    count = {"requests": 0}
    nb.http_session.hooks["response"].append(lambda response, *a, **kw: count.__setitem__(
        "requests", count["requests"] + 1))
    return nb, count


def _endpoint(nb: object, path: str) -> object:
    app, name = path.strip("/").split("/")[:2]
    return getattr(getattr(nb, app), name.replace("-", "_"))


def child_pynetbox(url: str, token: str, reads: list, best: bool) -> None:
    nb, count = _pynetbox(url, token)

    def fetch(path: str, query: dict) -> list:
        endpoint = _endpoint(nb, path)
        if best:
            return list(endpoint.filter(**query, limit=1000))
        filters = {k: v for k, v in query.items() if k not in ("fields", "brief", "omit")}
        return list(endpoint.filter(**filters) if filters else endpoint.all())
    started = time.monotonic()
    if best:
        with concurrent.futures.ThreadPoolExecutor(max_workers=len(reads)) as pool:
            got = list(pool.map(lambda r: fetch(*r), reads))
    else:
        got = [fetch(path, query) for path, query in reads]
    _report(started, count["requests"], sum(len(v) for v in got))


def _child(side: str, url: str, token: str, reads: list) -> dict:
    env = {**os.environ, "SOT_BENCH_URL": url, "SOT_BENCH_TOKEN": token, "SOT_BENCH_READS": json.dumps(reads)}
    done = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", side], check=False,
                          capture_output=True, text=True, env=env)
    if done.returncode:
        raise SystemExit(f"{side} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _median(rows: list, key: str) -> float:
    return statistics.median(r[key] for r in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; medians reported")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        url, token = os.environ["SOT_BENCH_URL"], os.environ["SOT_BENCH_TOKEN"]
        reads = json.loads(os.environ.get("SOT_BENCH_READS") or "[]")
        {"plan": lambda: child_plan(url, token), "ours": lambda: child_ours(url, token, reads),
         "pynetbox-best": lambda: child_pynetbox(url, token, reads, True),
         "pynetbox-typical": lambda: child_pynetbox(url, token, reads, False)}[args.child]()
        return
    url, token = connection()
    env = {**os.environ, "SOT_BENCH_URL": url, "SOT_BENCH_TOKEN": token}
    reads = json.loads(subprocess.run([sys.executable, os.path.abspath(__file__), "--child", "plan"], check=True,
                                      capture_output=True, text=True, env=env).stdout.strip().splitlines()[-1])
    print(f"the export reads {len(reads)} lists: " + ", ".join(path for path, _ in reads), flush=True)
    load_before = os.getloadavg()
    rows = {side: [] for side in SIDES}
    for n in range(args.rounds):
        for side in SIDES:
            rows[side].append(_child(side, url, token, reads))
            print(f"round {n + 1} {side}: {json.dumps(rows[side][-1])}", flush=True)
    load_after = os.getloadavg()
    ours = _median(rows["ours"], "seconds")
    print(f"\nmedians of {args.rounds} rounds; load average before {load_before[0]:.2f}, after {load_after[0]:.2f} "
          f"(1 min), {os.cpu_count()} CPUs")
    print(f"{'side':18} {'seconds':>8} {'ratio':>6} {'requests':>9} {'objects':>8} {'peak RSS MB':>12}")
    for side in SIDES:
        seconds = _median(rows[side], "seconds")
        print(f"{side:18} {seconds:8.2f} {seconds / ours:6.2f} {_median(rows[side], 'requests'):9.0f} "
              f"{_median(rows[side], 'objects'):8.0f} {_median(rows[side], 'peak_rss_mb'):12.1f}")


if __name__ == "__main__":
    main()
