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
    ({"filters": {"q": float("inf")}}, "filters.q"),
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
    filters = {"q": "x", "has_primary_ip": True, "rack_id": [1, 2]}
    spec = spec_from_params({"dest": "/tmp/x/", "site": ["a"], "filters": filters,
                             "formats": ["xlsx"], "file_names": {"workbook": "nb.xlsx", "merged": None}})
    assert spec.dest == "/tmp/x" and spec.paths() == {"workbook": "/tmp/x/nb.xlsx"}
    assert spec.params_for("device") == {"site": ["a"], "q": "x", "has_primary_ip": "true", "rack_id": ["1", "2"]}
    assert spec.spreadsheet_safe == ("merged",)
    assert copy.deepcopy(spec.file_names)["merged"] == "inventory.csv"


# ---------------------------------------------------------------- safety (issue 13 §3/§4, issue 12 §1)

@pytest.mark.parametrize("spellings", [["ams1"], ["Amsterdam 1"], ["3"], [" ams1 "], ["ams1", "Amsterdam 1", "3"]])
def test_every_spelling_of_a_site_sends_the_same_id(netbox, dest, spellings):
    export(netbox.client(), ExportSpec(dest=dest, filters={"site": spellings, "tag": ["Gold"],
                                                           "tenant": ["platform"]}))
    params = netbox.calls("/api/dcim/devices/")[0]["params"]
    assert params["site_id"] == "[3]" and params["tag_id"] == "[7]" and params["tenant_id"] == "[4]"
    assert "site" not in params and "tag" not in params


def test_unknown_object_filters_are_all_reported_after_a_fresh_read(netbox, dest):
    cache = ResponseCache(MemoryBackend(), "http://nb.test", TOKEN)
    export(netbox.client(cache), ExportSpec(dest=dest, filters={"site": ["ams1"]}))  # caches the site table
    netbox.sites.append({"id": 9, "name": "Paris", "slug": "par1"})  # created in NetBox after that
    export(netbox.client(cache), ExportSpec(dest=dest, filters={"site": ["par1"]}))
    assert netbox.calls("/api/dcim/devices/")[-1]["params"]["site_id"] == "[9]"
    before, calls = snapshot(dest), len(netbox.calls("/api/dcim/devices/"))
    with pytest.raises(errors.ValidationErrors) as info:
        export(netbox.client(cache), ExportSpec(dest=dest, filters={"site": ["nowhere", "ams1"], "tag": ["x"]}))
    assert error_paths(info.value) == ["site[0]", "tag[0]"] and "Amsterdam 1" in info.value.message
    assert snapshot(dest) == before and len(netbox.calls("/api/dcim/devices/")) == calls


@pytest.mark.parametrize("filters, option", [
    ({"filters": {"q": "x" * 5000}}, "filters.q"),
    ({"device_filters": {"rack_id": list(range(1000, 2000))}}, "device_filters.rack_id"),
    ({"status": ["planned"] * 600}, "status"),
])
def test_filters_too_long_for_a_request_line_fail_naming_the_option(netbox, dest, filters, option):
    with pytest.raises(errors.InputError) as info:
        export(netbox.client(), ExportSpec(dest=dest, filters=filters, validate_filters=False))
    assert info.value.field == option and "HTTP 414" in info.value.message
    assert not netbox.calls("/api/dcim/devices/") and not os.path.exists(dest)


FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"click\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "=1+1"]


def test_formulas_from_netbox_stay_text_everywhere(netbox, dest):
    openpyxl = pytest.importorskip("openpyxl")
    for i, text in enumerate(FORMULAS):
        netbox.devices[i]["description"] = text
        netbox.vms[i]["description"] = text
    spec = ExportSpec(dest=dest, columns=["name", "description"])
    export(netbox.client(), spec)
    merged = open(os.path.join(dest, "inventory.csv"), encoding="utf-8").read()
    devices = open(os.path.join(dest, "devices.csv"), encoding="utf-8").read()
    assert "'=HYPERLINK(" in merged and "dev00001,\"'=HYPERLINK(" not in devices
    assert 'dev00001,"=HYPERLINK(""http://evil.example"",""click"")"' in devices  # machine CSV: as NetBox has it
    assert merged.count("'=HYPERLINK(") == 2 and "vm00004,'@SUM(A1)" in merged
    book = openpyxl.load_workbook(os.path.join(dest, "inventory.xlsx"))
    for sheet in book.worksheets:
        cells = [row[1] for row in sheet.iter_rows(min_row=2)]
        assert all(c.data_type == "s" for c in cells if c.value), sheet.title
        assert [c.value for c in cells[:len(FORMULAS)]] == FORMULAS  # NetBox's text, no apostrophe


def test_workbook_rebuilt_from_raw_rows_when_a_safe_merged_csv_changed(netbox, dest):
    openpyxl = pytest.importorskip("openpyxl")
    export(netbox.client(), ExportSpec(dest=dest, columns=["name", "description"]))
    netbox.vms[1]["description"] = "=cmd|' /C calc'!A0"
    result = export(netbox.client(), ExportSpec(dest=dest, columns=["name", "description"]))
    assert result["files"]["workbook"]["changed"] and result["files"]["merged"]["changed"]
    sheet = openpyxl.load_workbook(os.path.join(dest, "inventory.xlsx"))["Inventory"]
    cell = [row for row in sheet.iter_rows(min_row=2) if row[0].value == "vm00002"][0][1]
    assert (cell.value, cell.data_type) == ("=cmd|' /C calc'!A0", "s")
    assert [n for n in os.listdir(dest) if n.startswith(".sot-export-")] == []


def test_spreadsheet_safe_off_and_on_for_every_csv(netbox, dest):
    netbox.devices[0]["description"] = "=1+1"
    export(netbox.client(), ExportSpec(dest=dest, columns=["name", "description"], spreadsheet_safe=()))
    assert "dev00001,=1+1" in open(os.path.join(dest, "inventory.csv")).read()
    result = export(netbox.client(), ExportSpec(dest=dest, columns=["name", "description"],
                                                spreadsheet_safe=("devices", "virtual_machines", "merged")))
    assert "dev00001,'=1+1" in open(os.path.join(dest, "devices.csv")).read()
    # VMs had none to escape; the workbook's content is the same but its source checksum now says
    # which cells the CSV escaped, so it is rebuilt once.
    assert {k for k, f in result["files"].items() if f["changed"]} == {"devices", "merged", "workbook"}


def test_only_attribute_changes_are_reported_changed(netbox, dest):
    seen = []
    wanted = {"mode": 0o640}

    def attributes(path, changed):
        seen.append(os.path.basename(path))
        if (os.stat(path).st_mode & 0o777) != wanted["mode"]:
            os.chmod(path, wanted["mode"])
            return True
        return changed
    export(netbox.client(), ExportSpec(dest=dest), attributes=attributes)
    assert sorted(seen) == sorted(os.listdir(dest))
    assert all(os.stat(os.path.join(dest, n)).st_mode & 0o777 == 0o640 for n in os.listdir(dest))
    again = export(netbox.client(), ExportSpec(dest=dest), attributes=attributes)
    assert again["changed"] is False
    wanted["mode"] = 0o600
    third = export(netbox.client(), ExportSpec(dest=dest), attributes=attributes)
    assert third["changed"] is True and third["totals"]["files_changed"] == 0
    assert all(f["changed"] and f["attributes_changed"] for f in third["files"].values())
    assert third["totals"]["bytes_written"] == 0


def test_a_run_sweeps_stale_spools_of_a_killed_run(netbox, dest):
    export(netbox.client(), ExportSpec(dest=dest))
    stale = [os.path.join(dest, n) for n in (".sot-export-merged-k1ll3d.tmp", ".sot-export-workbook-x.tmp")]
    for path in stale:
        with open(path, "w") as fh:
            fh.write("partial")
        os.utime(path, (1, 1))
    keep = os.path.join(dest, "notes.tmp")
    open(keep, "w").close()
    result = export(netbox.client(), ExportSpec(dest=dest))
    assert result["changed"] is False and not any(os.path.exists(p) for p in stale) and os.path.exists(keep)


def test_a_relative_metrics_path_lands_in_dest_and_its_directory_is_created(netbox, dest, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = export(netbox.client(), spec_from_params({"dest": dest, "metrics_path": "prom/export.prom"}))
    assert result["metrics_path"] == os.path.join(dest, "prom", "export.prom")
    assert os.path.exists(result["metrics_path"]) and not os.path.exists(tmp_path / "prom")


@pytest.mark.parametrize("columns", [[{"field": "name", "header": "a\x00b"}], [{"field": "name", "header": "two\nlines"}]])
def test_control_characters_in_headers_fail_before_any_write(netbox, dest, columns):
    with pytest.raises(errors.ValidationErrors) as info:
        export(netbox.client(), ExportSpec(dest=dest, columns=columns))
    assert error_paths(info.value) == ["columns[0].header"] and not os.path.exists(dest)


@pytest.mark.parametrize("args, field", [
    ({"mode": "999"}, "mode"), ({"mode": "rw-r--r--"}, "mode"), ({"mode": "u+q"}, "mode"), ({"mode": 0o17777}, "mode"),
    ({"owner": "no-such-user-sotexp"}, "owner"), ({"group": "no-such-group-sotexp"}, "group"),
    ({"mode": "0640"}, None), ({"mode": "640"}, None), ({"mode": "u=rw,g=r,o="}, None), ({"mode": "a+X"}, None),
    ({"mode": 0o644}, None), ({"owner": "0", "group": "0"}, None), ({"owner": "root"}, None), ({"owner": "4242"}, None),
])
def test_file_args_are_checked_before_anything_is_written(args, field):
    from ansible_collections.sot.netbox.plugins.module_utils._export.runner import check_file_args
    if field is None:
        check_file_args(args)
        return
    with pytest.raises(errors.InputError) as info:
        check_file_args(args)
    assert info.value.field == field
