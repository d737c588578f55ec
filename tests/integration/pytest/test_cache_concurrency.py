# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Many jobs at once on one node (one SQLite cache file) or across nodes (one Redis): every job
reads through the shared cache and writes through the client; no job may read its own write stale,
no cache entry may be corrupted, and no job may fail on the cache."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest
import redis

URL = os.environ["NETBOX_URL"]
TOKEN = os.environ["NETBOX_TOKEN"]
REDIS_URL = os.environ.get("SOT_TESTBED_REDIS_URL", "redis://127.0.0.1:63799/14")
JOBS = 8
ROUNDS = 3

# One job: several rounds of (read the tenant table through the cache, create a tenant, read the
# table again with a NEW client as the next task would, check the new tenant is there, delete it).
JOB = r"""
import json, sys
from ansible_collections.sot.netbox.plugins.module_utils._connection import build_client
from ansible_collections.sot.netbox.plugins.module_utils._lookups import Lookups
options, prefix, rounds = json.loads(sys.argv[1]), sys.argv[2], int(sys.argv[3])
stale = 0
hits = 0
for r in range(rounds):
    reader = build_client(options)
    Lookups(reader).load("tenant", "vrf", "site_group")
    hits += reader.metrics.to_dict()["cache_hits"]
    writer = build_client(options)
    name = f"{prefix}-{r}"
    created = writer.create("tenancy/tenants", [{"name": name, "slug": name}])[0]
    after = Lookups(build_client(options)).load("tenant")
    if after.table("tenant").find(name) is None:
        stale += 1
    writer.delete("tenancy/tenants", [created["id"]])
    gone = Lookups(build_client(options)).load("tenant")
    if gone.table("tenant").find(name) is not None:
        stale += 1
print(json.dumps({"stale": stale, "hits": hits}))
"""


def run_jobs(options):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    run_id = uuid.uuid4().hex[:6]
    procs = [subprocess.Popen([sys.executable, "-c", JOB, json.dumps(options), f"sot-cc-{run_id}-{j}", str(ROUNDS)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for j in range(JOBS)]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        results.append(json.loads(out))
    return results


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_concurrent_jobs_share_the_cache_without_stale_reads(tmp_path, backend):
    options = {"url": URL, "token": TOKEN}
    if backend == "redis":
        redis.Redis.from_url(REDIS_URL).flushdb()
        options["cache_redis_url"] = REDIS_URL
    else:
        options["cache_path"] = str(tmp_path / "shared.sqlite")
    results = run_jobs(options)
    assert sum(r["stale"] for r in results) == 0
    assert sum(r["hits"] for r in results) > 0  # the cache was really shared and used
