# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The export end to end against a fake NetBox: pages, checksums, check mode, failures."""
from __future__ import annotations

import copy
import os

import pytest
import requests

from ansible_collections.sot.netbox.plugins.module_utils import _errors as errors
from ansible_collections.sot.netbox.plugins.module_utils._cache import MemoryBackend, ResponseCache
from ansible_collections.sot.netbox.plugins.module_utils._client import NetboxClient
from ansible_collections.sot.netbox.plugins.module_utils._export import files as F
from ansible_collections.sot.netbox.plugins.module_utils._export.runner import ExportSpec, export, spec_from_params
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.fakes import FakeResponse, FakeSession, paged

TOKEN = "0123456789abcdef0123456789abcdef01234567"
N_DEVICES, N_VMS = 250, 120  # with page_size 100: 3 and 2 pages


def device(i):
    return {"id": i, "name": f"dev{i:05d}", "status": {"value": "active"}, "site": {"name": "ams1"},
            "device_type": {"model": "R760", "manufacturer": {"name": "Dell"}}, "tags": [],
            "custom_fields": {"cost_center": f"CC-{i % 3}"}}


def vm(i):
    return {"id": i, "name": f"vm{i:05d}", "status": {"value": "active"}, "cluster": {"name": "c1"},
            "vcpus": 2.0, "memory": 1024, "tags": [], "custom_fields": {"cost_center": None}}


class NetBox:
    """A fake NetBox with the endpoints the export reads; objects are mutable between runs."""

    def __init__(self):
        self.devices = [device(i) for i in range(1, N_DEVICES + 1)]
        self.vms = [vm(i) for i in range(1, N_VMS + 1)]
        self.assignments = [
            {"id": i, "object_type": "dcim.device" if i % 2 else "virtualization.virtualmachine", "object_id": i,
             "contact": {"name": f"Contact {i % 7}"}, "role": {"slug": "owner"}, "priority": {"value": "primary"}}
            for i in range(1, 101)]
        self.sites = [{"id": 3, "name": "Amsterdam 1", "slug": "ams1"}, {"id": 5, "name": "Frankfurt", "slug": "fra1"}]
        self.schema = {"paths": {
            "/api/dcim/devices/": {"get": {"parameters": [{"in": "query", "name": n} for n in ("site", "rack_id")]}},
            "/api/virtualization/virtual-machines/": {"get": {"parameters": [{"in": "query", "name": "site"}]}}}}
        self.session = FakeSession({
            ("GET", "/api/tenancy/contact-roles/"): paged([{"id": 1, "name": "Owner", "slug": "owner"}]),
            ("GET", "/api/extras/custom-fields/"): paged([
                {"id": 1, "name": "cost_center", "object_types": ["dcim.device", "virtualization.virtualmachine"]}]),
            ("GET", "/api/dcim/devices/"): paged(self.devices),
            ("GET", "/api/virtualization/virtual-machines/"): paged(self.vms),
            ("GET", "/api/tenancy/contact-assignments/"): paged(self.assignments),
            ("GET", "/api/schema/"): lambda *a: FakeResponse(200, self.schema),
            ("GET", "/api/dcim/sites/"): paged(self.sites),
            ("GET", "/api/extras/tags/"): paged([{"id": 7, "name": "Gold", "slug": "gold"}]),
            ("GET", "/api/tenancy/tenants/"): paged([{"id": 4, "name": "Platform Team", "slug": "platform"}]),
        })

    def client(self, cache=None):
        return NetboxClient("http://nb.test", TOKEN, session=self.session, sleep=lambda s: None, cache=cache,
                            page_size=100)

    def calls(self, path):
        return [c for c in self.session.calls if c["path"] == path]


def snapshot(dest):
    return {n: (os.stat(os.path.join(dest, n)).st_mtime_ns, open(os.path.join(dest, n), "rb").read())
            for n in sorted(os.listdir(dest)) if not os.path.isdir(os.path.join(dest, n))}


@pytest.fixture
def netbox():
    return NetBox()


@pytest.fixture
def dest(tmp_path):
    return str(tmp_path / "out")


def test_first_run_writes_all_files_with_requests_per_page(netbox, dest):
    result = export(netbox.client(), ExportSpec(dest=dest))
    assert result["changed"] is True
    assert sorted(os.listdir(dest)) == [F.MANIFEST, "devices.csv", "inventory.csv", "inventory.xlsx",
                                        "virtual_machines.csv"]
    files = result["files"]
    assert files["devices"]["rows"] == N_DEVICES and files["virtual_machines"]["rows"] == N_VMS
    assert files["merged"]["rows"] == N_DEVICES + N_VMS and files["devices"]["rows_added"] == N_DEVICES
    assert files["devices"]["sha256"] == F.sha256_file(os.path.join(dest, "devices.csv"))
    # pages, never objects: 3 device pages, 2 VM pages, 1 assignment page, 2 lookup tables
    assert len(netbox.calls("/api/dcim/devices/")) == 3
    assert len(netbox.calls("/api/virtualization/virtual-machines/")) == 2
    assert len(netbox.session.calls) == 8
    dev_fields = netbox.calls("/api/dcim/devices/")[0]["params"]["fields"].split(",")
    assert "device_type" in dev_fields and "vcpus" not in dev_fields
    lines = open(os.path.join(dest, "inventory.csv"), encoding="utf-8").read().splitlines()
    assert lines[0].startswith("name,type,status") and lines[0].endswith("cf_cost_center,contact_owner")
    assert lines[1].startswith("dev00001,device,active") and lines[1].endswith("CC-1,Contact 1")
    assert lines[N_DEVICES + 1].startswith("vm00001,virtual_machine")
    assert result["totals"]["bytes_written"] > 0 and result["totals"]["devices"] == N_DEVICES


def test_second_run_is_unchanged_and_writes_nothing(netbox, dest):
    export(netbox.client(), ExportSpec(dest=dest))
    before = snapshot(dest)
    result = export(netbox.client(), ExportSpec(dest=dest))
    assert result["changed"] is False and result["totals"]["bytes_written"] == 0
    assert all(not f["changed"] for f in result["files"].values())
    assert snapshot(dest) == before
    assert result["_diff_text"] == ""


def test_one_changed_device_changes_exactly_the_affected_files(netbox, dest):
    export(netbox.client(), ExportSpec(dest=dest))
    before = snapshot(dest)
    netbox.devices[4]["site"] = {"name": "fra1"}
    netbox.devices.append(device(9999))
    result = export(netbox.client(), ExportSpec(dest=dest))
    changed = {k for k, f in result["files"].items() if f["changed"]}
    assert changed == {"devices", "merged", "workbook"}
    after = snapshot(dest)
    assert after["virtual_machines.csv"] == before["virtual_machines.csv"]
    assert result["files"]["devices"]["rows_changed"] == 1 and result["files"]["devices"]["rows_added"] == 1
    assert "  ~ dev00005" in result["_diff_text"] and "  + dev09999" in result["_diff_text"]


def test_check_mode_reports_and_writes_nothing(netbox, dest, tmp_path):
    export(netbox.client(), ExportSpec(dest=dest))
    before = snapshot(dest)
    del netbox.vms[0]
    work = tmp_path / "work"
    work.mkdir()
    result = export(netbox.client(), ExportSpec(dest=dest), check_mode=True, workdir=str(work))
    assert result["changed"] is True and snapshot(dest) == before and os.listdir(work) == []
    assert result["files"]["virtual_machines"]["rows_removed"] == 1
    assert result["files"]["devices"]["changed"] is False
    assert result["files"]["workbook"]["changed"] is True and result["files"]["workbook"]["sha256"] is None
    assert result["totals"]["bytes_written"] == 0


def test_check_mode_on_missing_dest_creates_nothing(netbox, dest, tmp_path):
    result = export(netbox.client(), ExportSpec(dest=dest), check_mode=True, workdir=str(tmp_path))
    assert result["changed"] is True and not os.path.exists(dest)
    assert result["files"]["devices"]["rows_added"] == N_DEVICES


@pytest.mark.parametrize("failure", [
    FakeResponse(500, {"detail": "boom"}),
    requests.exceptions.ConnectionError("Connection refused"),
])
def test_failure_mid_run_leaves_previous_export_intact(netbox, dest, failure):
    export(netbox.client(), ExportSpec(dest=dest))
    before = snapshot(dest)
    netbox.devices[0]["name"] = "renamed"
    good = paged(netbox.devices)

    def flaky(method, path, params, body):
        if int(params.get("offset", 0)) >= 200:
            if isinstance(failure, BaseException):
                raise failure
            return failure
        return good(method, path, params, body)
    netbox.session.routes[("GET", "/api/dcim/devices/")] = flaky
    with pytest.raises(errors.SotNetboxError):
        export(netbox.client(), ExportSpec(dest=dest))
    assert snapshot(dest) == before  # also: no temp files left behind


def test_workbook_path_that_is_a_directory_fails_before_any_request(netbox, dest):
    export(netbox.client(), ExportSpec(dest=dest))
    os.unlink(os.path.join(dest, "inventory.xlsx"))
    os.mkdir(os.path.join(dest, "inventory.xlsx"))
    before, calls = snapshot(dest), len(netbox.session.calls)
    with pytest.raises(errors.InputError, match="is a directory"):
        export(netbox.client(), ExportSpec(dest=dest))
    assert snapshot(dest) == before and len(netbox.session.calls) == calls


def test_workbook_rebuilt_when_missing_or_edited_but_csvs_stay(netbox, dest):
    export(netbox.client(), ExportSpec(dest=dest))
    with open(os.path.join(dest, "inventory.xlsx"), "ab") as fh:
        fh.write(b"edited")
    result = export(netbox.client(), ExportSpec(dest=dest))
    assert {k for k, f in result["files"].items() if f["changed"]} == {"workbook"}
    assert result["files"]["workbook"]["sha256"] == F.sha256_file(os.path.join(dest, "inventory.xlsx"))


def test_formats_csv_only_and_no_contacts_columns_skip_work(netbox, dest):
    spec = ExportSpec(dest=dest, formats=("devices_csv",), columns=["name", {"field": "site", "header": "Site"}])
    result = export(netbox.client(), spec)
    assert sorted(os.listdir(dest)) == [F.MANIFEST, "devices.csv"] and list(result["files"]) == ["devices"]
    assert not netbox.calls("/api/virtualization/virtual-machines/")
    assert not netbox.calls("/api/tenancy/contact-assignments/")  # no contact column: no assignments
    assert open(os.path.join(dest, "devices.csv")).readline() == "name,Site\n"


def test_filters_are_sent_and_unknown_names_fail_before_fetching(netbox, dest):
    cache = ResponseCache(MemoryBackend(), "http://nb.test", TOKEN)
    spec = ExportSpec(dest=dest, filters={"site": ["ams1"], "filters": {"cf_cost_center": "CC-1"},
                                          "device_filters": {"rack_id": 3}})
    export(netbox.client(cache), spec)
    dev = netbox.calls("/api/dcim/devices/")[0]["params"]
    vms = netbox.calls("/api/virtualization/virtual-machines/")[0]["params"]
    assert dev["site_id"] == "[3]" and dev["cf_cost_center"] == "CC-1" and dev["rack_id"] == "3"
    assert "rack_id" not in vms and vms["cf_cost_center"] == "CC-1"
    bad = ExportSpec(dest=dest, filters={"vm_filters": {"rack_id": 3}})
    with pytest.raises(errors.InputError) as info:
        export(netbox.client(cache), bad)
    assert info.value.field == "vm_filters.rack_id" and "virtualization/virtual-machines" in info.value.message
    assert len(netbox.calls("/api/schema/")) == 1  # the filter names are cached
    assert len(netbox.calls("/api/dcim/devices/")) == 3


def test_rejected_filter_value_names_the_option(netbox, dest):
    netbox.session.routes[("GET", "/api/dcim/devices/")] = [FakeResponse(400, {"status": ["Select a valid choice."]})]
    with pytest.raises(errors.InputError) as info:
        export(netbox.client(), ExportSpec(dest=dest, filters={"status": ["nope"]}))
    assert info.value.field == "status" and "Select a valid choice" in info.value.message
    assert not os.path.exists(os.path.join(dest, "devices.csv"))
    assert [n for n in os.listdir(dest) if n.startswith(".sot-export-")] == []


def test_backup_and_metrics_path(netbox, dest, tmp_path):
    metrics = str(tmp_path / "export.prom")
    export(netbox.client(), ExportSpec(dest=dest, backup=True, metrics_path=metrics))
    netbox.vms[0]["name"] = "vm-renamed"
    backups = []

    def backup(path):
        backups.append(path)
        return F.copy_backup(path)
    result = export(netbox.client(), ExportSpec(dest=dest, backup=True, metrics_path=metrics), backup=backup)
    assert sorted(os.path.basename(p) for p in backups) == ["inventory.csv", "inventory.xlsx", "virtual_machines.csv"]
    assert os.path.exists(result["files"]["virtual_machines"]["backup_file"])
    text = open(metrics).read()
    assert "netbox_export_requests_total 8" in text and 'netbox_export_rows_total{file="devices"} 250' in text
    assert "netbox_export_files_changed 3" in text


def error_paths(exc):
    if isinstance(exc, errors.ValidationErrors):
        return [e["path"] for e in exc.result["errors"]]
    return [exc.field]


@pytest.mark.parametrize("params, field", [
    ({"file_names": {"merged": "../x.csv"}}, "file_names.merged"),
    ({"file_names": {"merged": "devices.csv"}}, "file_names"),
    ({"file_names": {"merged": ".sot-netbox-export.json"}}, "file_names.merged"),
    ({"delimiter": "::"}, "delimiter"),
    ({"delimiter": "5"}, "delimiter"),
    ({"filters": {"limit": 5}}, "filters.limit"),
    ({"filters": {"q": {"a": 1}}}, "filters.q"),
    ({"filters": {"q": None}}, "filters.q"),
    ({"filters": {"q": []}}, "filters.q"),
    ({"filters": {"q": "a\x00b"}}, "filters.q"),
    ({"device_filters": {"": "x"}}, "device_filters."),
    ({"vm_filters": ["x"]}, "vm_filters"),
    ({"site": ["ok", ""]}, "site[1]"),
    ({"tag": ["a\x00"]}, "tag[0]"),
    ({"list_separator": "\x00"}, "list_separator"),
    ({"list_separator": 5}, "list_separator"),
    ({"spreadsheet_safe": ["workbook"]}, "spreadsheet_safe"),
    ({"metrics_path": "../out.prom"}, "metrics_path"),
    ({"metrics_path": "inventory.csv"}, "metrics_path"),
    ({"dest": "relative"}, "dest"),
    ({"dest": "/tmp/\x00"}, "dest"),
])
def test_spec_from_params_rejects_bad_input(params, field):
    with pytest.raises((errors.InputError, errors.ValidationErrors)) as info:
        spec_from_params({"dest": "/tmp/x", **params})
    assert error_paths(info.value) == [field]


def test_spec_from_params_maps_options():
    spec = spec_from_params({"dest": "/tmp/x/", "site": ["a"], "filters": {"q": "x", "has_primary_ip": True,
                                                                        "rack_id": [1, 2]},
                             "formats": ["xlsx"], "file_names": {"workbook": "nb.xlsx", "merged": None}})
    assert spec.dest == "/tmp/x" and spec.paths() == {"workbook": "/tmp/x/nb.xlsx"}
    assert spec.params_for("device") == {"site": ["a"], "q": "x", "has_primary_ip": "true", "rack_id": ["1", "2"]}
    assert spec.spreadsheet_safe == ("merged",)
    assert copy.deepcopy(spec.file_names)["merged"] == "inventory.csv"
