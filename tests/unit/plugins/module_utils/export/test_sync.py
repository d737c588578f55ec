# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_export.sync through `export`: which path runs (full, delta, unchanged), what it reads and writes, and every
fallback to a full read (fake HTTP; the real NetBox: tests/integration/pytest/test_export_delta.py)."""
from __future__ import annotations

import ast
import os

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._cache import MemoryBackend, ResponseCache
from ansible_collections.sot.netbox.plugins.module_utils._export.runner import ExportSpec, export
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.export.test_runner import TOKEN, NetBox
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.fakes import FakeResponse, paged
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.test_changes import changelog, rec

T0 = "2026-12-01T10:00:00.000000Z"
CSV = ("devices_csv", "vms_csv", "merged_csv")


@pytest.fixture()
def world(tmp_path):
    netbox = NetBox()
    netbox.log = [rec(1, T0)]
    netbox.session.routes[("GET", "/api/core/object-changes/")] = changelog(netbox.log)

    def by_id(objects):  # NetBox's id= filter (the fake passes a list parameter as its repr)
        def route(method, path, params, body):
            wanted = ast.literal_eval(params["id"]) if "id" in params else None
            return paged([o for o in objects if wanted is None or str(o["id"]) in wanted])(method, path, params, body)
        return route
    netbox.session.routes[("GET", "/api/dcim/devices/")] = by_id(netbox.devices)
    netbox.session.routes[("GET", "/api/virtualization/virtual-machines/")] = by_id(netbox.vms)
    netbox.session.routes[("GET", "/api/tenancy/contact-assignments/")] = by_id(netbox.assignments)
    cache = ResponseCache(MemoryBackend(), "http://nb.test", TOKEN)
    return netbox, cache, str(tmp_path / "out")


def run(netbox, cache, dest, **options):
    client = netbox.client(cache=cache)
    before = len(netbox.session.calls)
    result = export(client, ExportSpec(dest=dest, formats=CSV, **options))
    return result, client, netbox.session.calls[before:]


def test_an_unchanged_netbox_is_one_change_log_request_and_no_write(world):
    netbox, cache, dest = world
    assert run(netbox, cache, dest)[0]["sync"] == "full"
    mtimes = {n: os.stat(os.path.join(dest, n)).st_mtime_ns for n in os.listdir(dest)}
    result, client, calls = run(netbox, cache, dest)
    assert (result["sync"], result["changed"], result["totals"]["bytes_written"]) == ("unchanged", False, 0)
    assert [c["path"] for c in calls] == ["/api/core/object-changes/"]
    assert client.metrics.to_dict()["sync"] == "unchanged"
    assert {n: os.stat(os.path.join(dest, n)).st_mtime_ns for n in os.listdir(dest)} == mtimes
    assert result["files"]["devices"]["rows"] == 250 and result["totals"]["devices"] == 250


def test_changed_devices_are_reread_by_id_and_only_their_files_rewritten(world):
    netbox, cache, dest = world
    run(netbox, cache, dest)
    vms = os.stat(os.path.join(dest, "virtual_machines.csv")).st_mtime_ns
    netbox.devices[4]["serial"] = "NEW"
    netbox.log.append(rec(2, T0, "dcim.device", 5))
    result, client, calls = run(netbox, cache, dest)
    assert result["sync"] == "delta" and result["files"]["devices"]["rows_changed"] == 1
    assert [c["params"].get("id") for c in calls if c["path"] == "/api/dcim/devices/"] == ["['5']"]
    assert client.metrics.to_dict()["objects_reread"] == 1
    assert os.stat(os.path.join(dest, "virtual_machines.csv")).st_mtime_ns == vms
    full, _client, _calls = run(netbox, None, dest + "-full")
    for name in ("devices.csv", "virtual_machines.csv", "inventory.csv"):
        assert open(os.path.join(dest, name), "rb").read() == open(os.path.join(dest + "-full", name), "rb").read()


def test_a_changed_assignment_rereads_its_object(world):
    netbox, cache, dest = world
    run(netbox, cache, dest)
    netbox.assignments[0]["contact"] = {"id": 9, "name": "Somebody Else"}
    netbox.log.append(rec(2, T0, "tenancy.contactassignment", 1))
    result, client, _calls = run(netbox, cache, dest)
    assert result["sync"] == "delta" and "Somebody Else" in open(os.path.join(dest, "devices.csv")).read()


@pytest.mark.parametrize("case,fallback", [
    ("trimmed", "trimmed"),
    ("flush", "flushed"),
    ("max_age", "max_age"),
    ("custom_field", "columns"),
])
def test_every_unprovable_freshness_is_a_full_read(world, case, fallback):
    netbox, cache, dest = world
    run(netbox, cache, dest)
    options = {}
    if case == "trimmed":
        netbox.log[:] = [rec(5, T0)]
    elif case == "flush":
        options["flush_cache"] = True
    elif case == "max_age":
        options["max_age"] = 1e-9
    else:
        netbox.log.append(rec(2, T0, "extras.customfield", 1))
    result, client, _calls = run(netbox, cache, dest, **options)
    assert result["sync"] == "full" and fallback in client.metrics.to_dict()["fallback"]


def test_a_token_that_may_not_read_the_change_log_reads_everything_with_one_warning(world):
    netbox, cache, dest = world
    netbox.session.routes[("GET", "/api/core/object-changes/")] = [FakeResponse(403, {"detail": "no permission"})]
    for _run in range(2):
        result, client, _calls = run(netbox, cache, dest)
        assert result["sync"] == "full"
        assert sum("change log cannot be read" in w for w in client.warnings) == 1


def test_files_edited_in_dest_are_written_again_from_the_cached_rows(world):
    netbox, cache, dest = world
    run(netbox, cache, dest)
    first = open(os.path.join(dest, "devices.csv"), "rb").read()
    with open(os.path.join(dest, "devices.csv"), "w") as fh:
        fh.write("edited\n")
    result, _client, calls = run(netbox, cache, dest)
    assert result["sync"] == "unchanged" and result["files"]["devices"]["changed"]
    assert [c["path"] for c in calls] == ["/api/core/object-changes/"]
    assert open(os.path.join(dest, "devices.csv"), "rb").read() == first


def test_delta_sync_off_reads_everything_and_keeps_nothing(world):
    netbox, cache, dest = world
    for _run in range(2):
        result, _client, calls = run(netbox, cache, dest, delta_sync=False)
        assert result["sync"] == "full" and "/api/core/object-changes/" not in [c["path"] for c in calls]
