#!/usr/bin/env python3
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: 100 segment allocations (prefix carved from a pool + a VLAN) on the sample NetBox.

  ours, list : one sot.netbox.netbox_segment task with a `segments:` list of 100 allocations
  ours, loop : 100 sot.netbox.netbox_segment tasks (a loop) after one warm-up task (warm cache)
  anchor     : 100 x (netbox.netbox.netbox_vlan with an explicit VID + netbox.netbox.netbox_prefix
               with first_available), the official collection (it cannot pick the next VID: #1181)

Every run goes through a counting HTTP proxy on loopback started here, so both sides pay the same
proxy cost and requests are counted the same way (ours are also cross-checked with `metrics`).
Seconds are wall-clock of the ansible-playbook process. Everything created is deleted at the end.

It also prints where a loop task's time goes: Ansible's own cost per task (a loop of as many
`ansible.builtin.ping` tasks, the smallest module), our module's time from creating its client to
its result (`metrics.seconds`, of which `metrics.http_seconds` waiting for NetBox), and the rest
(starting our module: importing requests and our code, argument parsing). From these it prints the
best loop speed-up any module could reach here: Ansible's per-task cost plus our HTTP time only,
against the anchor's two tasks per allocation.

  source tools/lib.sh && ensure_venv && ensure_collection_path && eval "$(python3 tools/testbed.py env)"
  python tools/bench_segment.py [--count 100]
"""
from __future__ import annotations

import argparse
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import requests

from ansible_collections.sot.netbox.plugins.module_utils._connection import build_client

OURS_POOL = ("dev", "dc-east")       # pool 10.41.0.0/20, VLAN group dev-dc-east
ANCHOR_POOL = ("dev", "dc-west")     # pool 10.41.128.0/20, VLAN group dev-dc-west
ANCHOR_PARENT = "10.41.128.0/20"
ANCHOR_VID_BASE = 3000


class CountingProxy(http.server.ThreadingHTTPServer):
    def __init__(self, target):
        super().__init__(("127.0.0.1", 0), ProxyHandler)
        self.target = target.rstrip("/")
        self.count = 0
        self.lock = threading.Lock()
        self.local = threading.local()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}"


class ProxyHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet
        pass

    def _forward(self):
        server = self.server
        with server.lock:
            server.count += 1
        session = getattr(server.local, "session", None)
        if session is None:
            session = server.local.session = requests.Session()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length", "connection")}
        resp = session.request(self.command, server.target + self.path, data=body, headers=headers,
                               allow_redirects=False)
        # Links in NetBox's answers (next pages) keep pointing at the proxy.
        content = resp.content.replace(server.target.encode(), server.url.encode())
        self.send_response(resp.status_code)
        for k, v in resp.headers.items():
            if k.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_OPTIONS = do_HEAD = _forward


def playbook(path, extra, env):
    started = time.monotonic()
    proc = subprocess.run(["ansible-playbook", path, "-e", json.dumps(extra)], env=env, capture_output=True, text=True,
                          check=False)
    seconds = time.monotonic() - started
    if proc.returncode != 0:
        sys.exit(f"{path} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}")
    return seconds, proc.stdout


OURS_LIST = """
- hosts: localhost
  gather_facts: false
  tasks:
    - sot.netbox.netbox_segment:
        url: "{{ url }}"
        token: "{{ token }}"
        cache_path: "{{ cache_path }}"
        state: allocated
        vrf: "{{ vrf }}"
        site_group: "{{ sg }}"
        role: web
        prefix_length: 28
        segments: "{{ range(count) | map('string') | map('regex_replace', '^', run ~ '-list-') | map('community.general.dict_kv', 'cluster') | list }}"
      register: r
    - ansible.builtin.copy: {content: "{{ [r.metrics] | to_json }}", dest: "{{ out }}"}
"""

OURS_LOOP = """
- hosts: localhost
  gather_facts: false
  tasks:
    - sot.netbox.netbox_segment:
        url: "{{ url }}"
        token: "{{ token }}"
        cache_path: "{{ cache_path }}"
        state: allocated
        vrf: "{{ vrf }}"
        site_group: "{{ sg }}"
        role: web
        prefix_length: 28
        cluster: "{{ run }}-loop-{{ item }}"
      loop: "{{ range(count) | list }}"
      register: r
    - ansible.builtin.copy: {content: "{{ r.results | map(attribute='metrics') | list | to_json }}", dest: "{{ out }}"}
"""

WARM = """
- hosts: localhost
  gather_facts: false
  tasks:
    - sot.netbox.netbox_segment:
        url: "{{ url }}"
        token: "{{ token }}"
        cache_path: "{{ cache_path }}"
        state: allocated
        vrf: "{{ vrf }}"
        site_group: "{{ sg }}"
        role: web
        prefix_length: 28
        cluster: "{{ run }}-warmup"
      check_mode: true
"""

PING = """
- hosts: localhost
  gather_facts: false
  tasks:
    - ansible.builtin.ping:
      loop: "{{ range(count) | list }}"
"""

ANCHOR = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: VLAN with a VID we must choose ourselves
      netbox.netbox.netbox_vlan:
        netbox_url: "{{ url }}"
        netbox_token: "{{ token }}"
        data:
          name: "{{ run }}-a-{{ item }}"
          vid: "{{ vid_base + item }}"
          vlan_group: "{{ vrf }}-{{ sg }}"
          vlan_role: web
          status: active
        state: present
      loop: "{{ range(count) | list }}"
    - name: Next free prefix from the pool
      netbox.netbox.netbox_prefix:
        netbox_url: "{{ url }}"
        netbox_token: "{{ token }}"
        data:
          parent: "{{ parent }}"
          prefix_length: 28
          vrf: "{{ vrf }}"
          prefix_role: web
          status: active
          scope_type: dcim.sitegroup
          scope: "{{ sg }}"
          vlan:
            name: "{{ run }}-a-{{ item }}"
            vlan_group: "{{ vrf }}-{{ sg }}"
          custom_fields: {cluster_name: "{{ run }}-a-{{ item }}"}
        first_available: true
        state: present
      loop: "{{ range(count) | list }}"
"""


def cleanup(client, run):
    prefixes = [p for p in client.list("ipam/prefixes", {"cf_cluster_name": run}, fields=("id", "custom_fields", "vlan"))
                if (p["custom_fields"].get("cluster_name") or "").startswith(run)]
    vlans = [v["id"] for v in client.list("ipam/vlans", {"name__isw": run}, fields=("id", "name"))
             if v["name"].startswith(run)]
    client.delete("ipam/prefixes", [p["id"] for p in prefixes])
    client.delete("ipam/vlans", vlans)
    return len(prefixes), len(vlans)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100)
    args = parser.parse_args()
    url, token = os.environ["NETBOX_URL"], os.environ["NETBOX_TOKEN"]
    run = f"sotseg-bench-{uuid.uuid4().hex[:6]}"
    proxy = CountingProxy(url)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    client = build_client({"url": url, "token": token, "cache": False})
    work = tempfile.mkdtemp(prefix="sotseg-bench-")
    env = dict(os.environ, ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
               ANSIBLE_STDOUT_CALLBACK="default")
    files = {}
    for name, text in (("list", OURS_LIST), ("loop", OURS_LOOP), ("warm", WARM), ("anchor", ANCHOR), ("ping", PING)):
        files[name] = os.path.join(work, f"{name}.yml")
        with open(files[name], "w", encoding="utf-8") as fh:
            fh.write(text)
    common = {"url": proxy.url, "token": token, "run": run, "count": args.count,
              "cache_path": os.path.join(work, "cache.sqlite")}
    rows, loop_metrics = [], []
    try:
        for label, name in (("ours: one task, list of %d" % args.count, "list"),
                            ("ours: loop of %d tasks, warm cache" % args.count, "loop")):
            vrf, sg = OURS_POOL
            extra = dict(common, vrf=vrf, sg=sg, out=os.path.join(work, f"{name}.json"))
            if name == "loop":
                playbook(files["warm"], extra, env)
            before = proxy.count
            seconds, _ = playbook(files[name], extra, env)
            with open(extra["out"], encoding="utf-8") as fh:
                metrics = json.load(fh)
            rows.append((label, proxy.count - before, sum(m["requests"] for m in metrics), seconds))
            if name == "loop":
                loop_metrics = metrics
        ping_seconds, _ = playbook(files["ping"], {"count": args.count}, env)
        vrf, sg = ANCHOR_POOL
        before = proxy.count
        seconds, _ = playbook(files["anchor"], dict(common, vrf=vrf, sg=sg, parent=ANCHOR_PARENT,
                                                    vid_base=ANCHOR_VID_BASE), env)
        rows.append((f"netbox.netbox: netbox_vlan + netbox_prefix first_available, {args.count}x",
                     proxy.count - before, None, seconds))
    finally:
        removed = cleanup(client, run)
        proxy.shutdown()
    anchor = rows[-1]
    print(f"{'run':62} {'requests':>9} {'req/alloc':>9} {'metrics':>8} {'seconds':>8} {'x faster':>9}")
    for label, counted, from_metrics, seconds in rows:
        print(f"{label:62} {counted:9d} {counted / args.count:9.2f} {from_metrics if from_metrics is not None else '-':>8} "
              f"{seconds:8.1f} {anchor[3] / seconds:9.1f}")
    print(f"cleanup: deleted {removed[0]} prefixes and {removed[1]} VLANs ({run})")
    breakdown(args.count, rows[1][3], loop_metrics, ping_seconds, anchor[3])


def breakdown(count, loop_seconds, metrics, ping_seconds, anchor_seconds):
    """Where one task of the loop goes, and the best loop ratio reachable with Ansible's per-task cost."""
    per_task = loop_seconds / count
    ansible = ping_seconds / count
    run = sum(m["seconds"] for m in metrics) / len(metrics)
    http = sum(m["http_seconds"] for m in metrics) / len(metrics)
    anchor_task = anchor_seconds / (2 * count)
    print(f"\nloop, seconds per task (means over {count} tasks):")
    print(f"  ours, whole task                                  {per_task:6.3f}")
    print(f"    Ansible's own per-task cost (ansible.builtin.ping loop) {ansible:6.3f}")
    print(f"    our module: client created -> result (metrics.seconds)  {run:6.3f}  (HTTP {http:.3f})")
    print(f"    our module: start-up beyond ping's (imports, arguments)  {max(per_task - ansible - run, 0):6.3f}")
    print(f"  anchor, per task (2 tasks per allocation)         {anchor_task:6.3f}")
    best = 2 * anchor_task / (ansible + http)
    print(f"best loop speed-up with zero module cost except HTTP: {best:.1f}x (measured {anchor_seconds / loop_seconds:.1f}x)")


if __name__ == "__main__":
    main()
