# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module through AnsibleModule: argument spec, atomic_move/backup_local, check mode, diff, errors."""
from __future__ import annotations

import os

import pytest

from ansible_collections.sot.netbox.tests.unit.compat import capture_exits, run_main

from ansible_collections.sot.netbox.plugins.module_utils import _module
from ansible_collections.sot.netbox.plugins.modules import netbox_export
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.export.test_runner import TOKEN, NetBox


@pytest.fixture
def netbox(monkeypatch):
    fake = NetBox()
    monkeypatch.setattr(_module, "build_client", lambda options: fake.client())
    capture_exits(monkeypatch)
    return fake


def run(args, tmp_path, check=False, diff=False):
    extra = {"_ansible_check_mode": check, "_ansible_diff": diff, "_ansible_tmpdir": str(tmp_path)}
    return run_main(netbox_export.main, {"url": "http://nb.test", "token": TOKEN, "cache": False, **args, **extra})


def test_run_twice_then_check_mode_with_diff(netbox, tmp_path):
    dest = str(tmp_path / "out")
    first = run({"dest": dest}, tmp_path)
    assert first["changed"] is True and first["files"]["merged"]["rows"] == 370
    assert first["metrics"]["requests"] == 8 and "diff" not in first
    second = run({"dest": dest, "backup": True}, tmp_path)
    assert second["changed"] is False and second["totals"]["bytes_written"] == 0
    netbox.devices[0]["name"] = "dev-renamed"
    mtime = os.stat(os.path.join(dest, "devices.csv")).st_mtime_ns
    checked = run({"dest": dest}, tmp_path, check=True, diff=True)
    assert checked["changed"] is True and os.stat(os.path.join(dest, "devices.csv")).st_mtime_ns == mtime
    prepared = checked["diff"]["prepared"]
    assert "devices.csv: +1 -1 ~0 rows" in prepared and "  + dev-renamed" in prepared and "  - dev00001" in prepared
    applied = run({"dest": dest, "backup": True}, tmp_path)
    assert applied["changed"] is True and os.path.exists(applied["files"]["devices"]["backup_file"])
    assert applied["files"]["virtual_machines"]["changed"] is False


def test_bad_column_fails_naming_it_and_writes_nothing(netbox, tmp_path):
    dest = str(tmp_path / "out")
    out = run({"dest": dest, "columns": ["name", "sitee"]}, tmp_path)
    assert out["failed"] is True and "unknown field 'sitee'" in out["msg"]
    assert not os.path.exists(dest)  # nothing is created before every check passed


def test_bad_choice_rejected_by_argument_spec(netbox, tmp_path):
    out = run({"dest": str(tmp_path), "formats": ["pdf"]}, tmp_path)
    assert out["failed"] is True and "formats" in out["msg"]


def test_file_options_apply_and_an_attribute_only_change_is_changed(netbox, tmp_path):
    dest = tmp_path / "out"
    first = run({"dest": str(dest), "mode": "0640"}, tmp_path)
    assert first["changed"] is True
    modes = {p.name: p.stat().st_mode & 0o777 for p in dest.iterdir()}
    assert set(modes.values()) == {0o640} and len(modes) == 5  # four files and the manifest
    assert run({"dest": str(dest), "mode": "0640"}, tmp_path)["changed"] is False
    checked = run({"dest": str(dest), "mode": "0600"}, tmp_path, check=True)
    assert checked["changed"] is True and (dest / "devices.csv").stat().st_mode & 0o777 == 0o640
    applied = run({"dest": str(dest), "mode": "0600"}, tmp_path)
    assert applied["changed"] is True and applied["totals"]["files_changed"] == 0
    assert applied["files"]["devices"]["attributes_changed"] is True
    assert {p.stat().st_mode & 0o777 for p in dest.iterdir()} == {0o600}


@pytest.mark.parametrize("args, option", [
    ({"metrics_path": "../elsewhere.prom"}, "metrics_path"),
    ({"metrics_path": ".sot-netbox-export.json"}, "metrics_path"),
    ({"file_names": {"devices": "x" * 300}}, "file_names.devices"),
    ({"delimiter": "7"}, "delimiter"),
    ({"columns": [{"field": "name", "header": "a\x00"}]}, "columns[0].header"),
])
def test_bad_paths_and_formats_fail_before_any_request(netbox, tmp_path, args, option):
    dest = tmp_path / "out"
    out = run({"dest": str(dest), **args}, tmp_path)
    assert out["failed"] is True and option in out["msg"] and "Traceback" not in str(out)
    assert not dest.exists() and not (tmp_path / "elsewhere.prom").exists()
    assert not [c for c in netbox.session.calls if "devices" in c["path"]]
