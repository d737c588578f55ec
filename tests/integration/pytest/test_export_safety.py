# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""netbox_export against the real NetBox: data never becomes a formula (workbook read back with
openpyxl, merged CSV escaped), every spelling of an object filter exports the same objects, file
options apply (and an attribute-only change is a change), output paths are checked before any
request, long filters never reach NetBox's 414, and a killed run's spools are swept by the next."""
from __future__ import annotations

import hashlib
import os
import pathlib
import signal
import subprocess
import sys
import textwrap
import uuid

import pytest
import requests

from ansible_collections.sot.netbox.plugins.module_utils import _client
from ansible_collections.sot.netbox.plugins.module_utils._client import NetboxClient
from ansible_collections.sot.netbox.plugins.modules import netbox_export

import modharness  # pylint: disable=import-error
from faultproxy import FaultProxy  # pylint: disable=import-error

URL = os.environ["NETBOX_URL"]
TOKEN = os.environ["NETBOX_TOKEN"]
API = {"Authorization": f"Token {TOKEN}", "Accept": "application/json"}
# (NetBox strips leading whitespace from text fields, so a tab or CR cannot start one; the unit tests
# cover those.)
FORMULAS = ['=HYPERLINK("http://evil.example/?x=1","click me")', "=1+1", "+41 44 000 00 00", "-5+3", "@SUM(A1:A2)",
            "#N/A"]
# Workbook cells the escaping must not touch: plain text that merely contains = or a dash.
PLAIN = ["a=b", "rack 12 - row 3"]


def api(method, path, **kw):
    response = requests.request(method, f"{URL}/api/{path.strip('/')}/", headers=API, timeout=60, **kw)
    assert response.status_code < 400, (method, path, response.status_code, response.text[:300])
    return response.json() if response.content else None


@pytest.fixture(scope="module")
def world():
    """A site, site group, tenant, device role and tag whose names differ from their slugs, one device
    per hostile text and one VM, all in our own site; removed afterwards."""
    tag = uuid.uuid4().hex[:6]
    made = []

    def create(path, body):
        objs = api("POST", path, json=body)
        made.append((path, [o["id"] for o in (objs if isinstance(objs, list) else [objs])]))
        return objs
    group = create("dcim/site-groups", {"name": f"SotExp Group {tag}", "slug": f"sotexp-group-{tag}"})
    site = create("dcim/sites", {"name": f"SotExp Zürich {tag}", "slug": f"sotexp-zurich-{tag}", "group": group["id"]})
    tenant = create("tenancy/tenants", {"name": f"SotExp Tenant {tag}", "slug": f"sotexp-tenant-{tag}"})
    role = create("dcim/device-roles", {"name": f"SotExp Role {tag}", "slug": f"sotexp-role-{tag}"})
    label = create("extras/tags", {"name": f"SotExp Gold {tag}", "slug": f"sotexp-gold-{tag}"})
    device_type = api("GET", "dcim/device-types", params={"limit": 1})["results"][0]["id"]
    texts = FORMULAS + PLAIN
    common = {"site": site["id"], "role": role["id"], "tenant": tenant["id"], "tags": [label["id"]]}
    create("dcim/devices", [{"name": f"sotexp-{tag}-dev{i:02d}", "device_type": device_type, "description": text,
                             "comments": text, **common} for i, text in enumerate(texts)])
    create("virtualization/virtual-machines", [{"name": f"sotexp-{tag}-vm", "description": FORMULAS[0], **common}])
    yield {"tag": tag, "site": site, "group": group, "tenant": tenant, "role": role, "label": label, "texts": texts}
    for path, ids in reversed(made):
        try:  # a loaded NetBox may be slow to delete: leftovers only cost names with a unique tag
            requests.delete(f"{URL}/api/{path}/", headers=API, json=[{"id": i} for i in ids], timeout=300)
        except requests.RequestException:
            pass


@pytest.fixture
def invoke(monkeypatch, tmp_path):
    modharness.install(monkeypatch)
    cache = str(tmp_path / "cache.sqlite")

    def run(args, check_mode=False):
        return modharness.invoke(netbox_export, {"url": URL, "token": TOKEN, "cache_path": cache, **args}, check_mode)
    return run


def sha(path):
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


def test_hostile_text_is_a_string_cell_in_the_workbook_and_escaped_in_the_merged_csv(world, invoke, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    dest = tmp_path / "export"
    result = invoke({"dest": str(dest), "site": [world["site"]["slug"]],
                     "columns": ["name", "type", "description", "comments"]})
    assert not result["failed"], result.get("msg")
    book = openpyxl.load_workbook(dest / "inventory.xlsx")
    for sheet in book.worksheets:
        rows = list(sheet.iter_rows(min_row=2))
        assert rows, sheet.title
        for row in rows:
            for cell in row:
                if cell.value is not None:
                    assert cell.data_type == "s", (sheet.title, cell.coordinate, cell.value, cell.data_type)
        descriptions = sorted(r[[c.value for c in sheet[1]].index("description")].value for r in rows)
        expected = sorted(world["texts"] + ([FORMULAS[0]] if sheet.title != "Devices" else []))
        if sheet.title == "Virtual machines":
            expected = [FORMULAS[0]]
        assert descriptions == expected, sheet.title  # NetBox's text, no apostrophe added
    merged = (dest / "inventory.csv").read_text(encoding="utf-8")
    for text in FORMULAS[:-1]:  # #N/A is not a CSV formula
        assert "'" + text.replace('"', '""') in merged, text
    for text in PLAIN:
        assert f",{text}," in merged and f"'{text}" not in merged
    devices = (dest / "devices.csv").read_text(encoding="utf-8")
    assert ",=1+1," in devices and "'=" not in devices  # the machine CSV keeps NetBox's bytes
    # Off for the merged file too (a machine consumer reads it).
    again = invoke({"dest": str(dest), "site": [world["site"]["slug"]], "spreadsheet_safe": [],
                    "columns": ["name", "type", "description", "comments"]})
    assert again["changed"] and again["files"]["merged"]["changed"] and not again["files"]["devices"]["changed"]
    assert ",=1+1," in (dest / "inventory.csv").read_text(encoding="utf-8")
    rebuilt = openpyxl.load_workbook(dest / "inventory.xlsx")  # rebuilt once at most, the same cells
    assert [[(c.value, c.data_type) for c in row] for row in rebuilt["Inventory"].iter_rows()] == \
        [[(c.value, c.data_type) for c in row] for row in book["Inventory"].iter_rows()]


@pytest.mark.parametrize("option, key", [("site", "site"), ("site_group", "group"), ("tenant", "tenant"),
                                         ("role", "role"), ("tag", "label")])
def test_every_spelling_of_an_object_filter_exports_the_same_objects(world, invoke, tmp_path, option, key):
    obj = world[key]
    outputs = {}
    for spelling in (obj["name"], obj["slug"], str(obj["id"])):
        dest = tmp_path / f"{option}-{len(outputs)}"
        result = invoke({"dest": str(dest), option: [spelling], "formats": ["merged_csv"]})
        assert not result["failed"], (spelling, result.get("msg"))
        assert result["totals"]["devices"] == len(world["texts"]) and result["totals"]["virtual_machines"] == 1
        outputs[spelling] = sha(dest / "inventory.csv")
    assert len(set(outputs.values())) == 1, outputs
    # All spellings at once are still the one object.
    both = invoke({"dest": str(tmp_path / f"{option}-all"), option: [obj["name"], obj["slug"], str(obj["id"])],
                   "formats": ["merged_csv"]})
    assert sha(tmp_path / f"{option}-all" / "inventory.csv") == next(iter(outputs.values())), both.get("msg")


def test_an_unknown_filter_value_fails_before_anything_is_written(world, invoke, tmp_path):
    dest = tmp_path / "export"
    result = invoke({"dest": str(dest), "site": [world["site"]["slug"], "no-such-site-sotexp"], "tag": ["nope"]})
    assert result["failed"] and "site[1]" in result["msg"] and "tag[0]" in result["msg"]
    assert not dest.exists()


def test_file_options_apply_and_an_attribute_only_change_is_reported(world, invoke, tmp_path):
    dest = tmp_path / "export"
    args = {"dest": str(dest), "site": [world["site"]["slug"]], "mode": "0640", "group": "0"}
    assert invoke(args)["changed"]
    assert {p.stat().st_mode & 0o777 for p in dest.iterdir()} == {0o640}
    assert not invoke(args)["changed"]
    checked = invoke({**args, "mode": "u=rw,g=,o="}, check_mode=True)
    assert checked["changed"] and {p.stat().st_mode & 0o777 for p in dest.iterdir()} == {0o640}
    applied = invoke({**args, "mode": "u=rw,g=,o="})
    assert applied["changed"] and applied["totals"]["files_changed"] == 0
    assert all(f["attributes_changed"] for f in applied["files"].values())
    assert {p.stat().st_mode & 0o777 for p in dest.iterdir()} == {0o600}
    bad = invoke({**args, "owner": "no-such-user-sotexp"})
    assert bad["failed"] and bad["msg"].startswith("owner:")


@pytest.fixture
def counted(monkeypatch):
    """Requests for objects, counted (lookup tables may be read to validate)."""
    seen = []
    real = NetboxClient.request

    def request(self, method, path, params=None, body=None):
        seen.append(path)
        return real(self, method, path, params, body)
    monkeypatch.setattr(NetboxClient, "request", request)
    return seen


@pytest.mark.parametrize("args, option", [
    ({"metrics_path": "../outside.prom"}, "metrics_path"),
    ({"metrics_path": ".sot-netbox-export.json"}, "metrics_path"),
    ({"metrics_path": "inventory.xlsx"}, "metrics_path"),
    ({"metrics_path": "blocker/x.prom"}, "metrics_path"),
    ({"file_names": {"merged": "n" * 300 + ".csv"}}, "file_names.merged"),
    ({"file_names": {"workbook": ".sot-netbox-export.json"}}, "file_names.workbook"),
    ({"delimiter": "4"}, "delimiter"),
    ({"columns": [{"field": "name", "header": "a\u0000b"}]}, "columns[0].header"),
    ({"filters": {"q": "x" * 5000}}, "filters.q"),
    ({"status": ["active"] * 500}, "status"),
    ({"mode": "0999"}, "mode"),
])
def test_bad_paths_and_inputs_fail_before_any_object_is_fetched(world, invoke, counted, tmp_path, args, option):
    dest = tmp_path / "export"
    first = invoke({"dest": str(dest), "site": [world["site"]["slug"]]})
    assert not first["failed"]
    (dest / "blocker").write_text("a file where a directory would have to be")
    before = {p.name: (sha(p), p.stat().st_mtime_ns) for p in dest.iterdir()}
    counted.clear()
    result = invoke({"dest": str(dest), "site": [world["site"]["slug"]], **args})
    assert result["failed"] and option in result["msg"], result.get("msg")
    assert "Traceback" not in str(result) and not result["msg"].startswith("NetBox rejected")
    assert not [p for p in counted if "devices" in p or "virtual-machines" in p or "assignments" in p]
    assert {p.name: (sha(p), p.stat().st_mtime_ns) for p in dest.iterdir()} == before
    assert not (tmp_path / "outside.prom").exists()


def test_a_relative_metrics_path_lands_in_dest_not_the_working_directory(world, invoke, tmp_path, monkeypatch):
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    dest = tmp_path / "export"
    result = invoke({"dest": str(dest), "site": [world["site"]["slug"]], "metrics_path": "prom/export.prom"})
    assert not result["failed"] and result["metrics_path"] == str(dest / "prom" / "export.prom")
    assert (dest / "prom" / "export.prom").exists() and os.listdir(work) == []


KILLED = textwrap.dedent("""
    import sys
    from ansible_collections.sot.netbox.plugins.module_utils._connection import build_client
    from ansible_collections.sot.netbox.plugins.module_utils._export.runner import export, spec_from_params
    client = build_client({"url": sys.argv[1], "token": sys.argv[2], "cache": False, "timeout": 120})
    export(client, spec_from_params({"dest": sys.argv[3], "site": [sys.argv[4]]}))
""")


def test_a_killed_export_keeps_the_previous_files_and_the_next_run_sweeps_its_spools(world, invoke, tmp_path):
    dest = tmp_path / "export"
    slug = world["site"]["slug"]
    assert not invoke({"dest": str(dest), "site": [slug]})["failed"]
    before = {p.name: sha(p) for p in dest.iterdir()}
    root = pathlib.Path(_client.__file__).parents[5]  # the directory holding ansible_collections
    env = {**os.environ, "PYTHONPATH": f"{root}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    with FaultProxy(URL) as proxy:
        proxy.add("delay", path="/api/virtualization/virtual-machines/", seconds=60, times=5)
        child = subprocess.Popen([sys.executable, "-c", KILLED, proxy.url, TOKEN, str(dest), slug], env=env)
        try:
            deadline = 600
            # The device pages are in (their rows spooled) while the VM list is held: kill now.
            while deadline and proxy.count(path="/api/dcim/devices/") == 0:
                deadline -= 1
                try:
                    child.wait(timeout=0.1)  # waits on the child, not a sleep: it must not end by itself
                    pytest.fail(f"the export ended before it was killed (rc {child.returncode})")
                except subprocess.TimeoutExpired:
                    pass
            spools = [p for p in dest.iterdir() if p.name.startswith(".sot-export-")]
            assert spools, "no spool while the export ran"
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait()
    assert {p.name: sha(p) for p in dest.iterdir() if not p.name.startswith(".sot-export-")} == before
    left = [p for p in dest.iterdir() if p.name.startswith(".sot-export-")]
    assert left  # what a kill -9 leaves behind...
    for p in left:
        os.utime(p, (1, 1))  # ...some seconds later (a fresh one may be a running export's)
    again = invoke({"dest": str(dest), "site": [slug]})
    assert not again["failed"] and not again["changed"]
    assert sorted(p.name for p in dest.iterdir()) == sorted(before)  # swept
