# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every output path resolved and checked before anything is fetched or written."""
from __future__ import annotations

import os

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._errors import InputError, ValidationErrors
from ansible_collections.sot.netbox.plugins.module_utils._export import paths as P
from ansible_collections.sot.netbox.plugins.module_utils._export.runner import DEFAULT_NAMES

ALL = list(DEFAULT_NAMES)


def names(**changes):
    return {**DEFAULT_NAMES, **changes}


@pytest.mark.parametrize("file_names, path", [
    (names(merged="../x.csv"), "file_names.merged"),
    (names(merged="sub/x.csv"), "file_names.merged"),
    (names(devices=".."), "file_names.devices"),
    (names(devices=""), "file_names.devices"),
    (names(devices="a\x00b.csv"), "file_names.devices"),
    (names(workbook=".sot-netbox-export.json"), "file_names.workbook"),
    (names(workbook=".sot-export-x.tmp"), "file_names.workbook"),
    (names(merged="devices.csv"), "file_names"),
])
def test_bad_file_names(file_names, path):
    with pytest.raises(ValidationErrors) as info:
        P.plan_paths("/d", file_names, ALL)
    assert info.value.result["errors"][0]["path"] == path


@pytest.mark.parametrize("metrics, expected", [
    ("export.prom", "/d/export.prom"),
    ("metrics/export.prom", "/d/metrics/export.prom"),
    ("./a/../export.prom", "/d/export.prom"),
    ("/var/lib/node_exporter/export.prom", "/var/lib/node_exporter/export.prom"),
])
def test_metrics_path_resolves_inside_dest_or_absolute(metrics, expected):
    assert P.plan_paths("/d", names(), ALL, metrics).metrics == expected


@pytest.mark.parametrize("metrics, problem", [
    ("../outside.prom", "must stay"),
    ("a/../../outside.prom", "must stay"),
    (".sot-netbox-export.json", "same file as the manifest"),
    ("inventory.csv", "same file as file_names.merged"),
    ("/d/devices.csv", "same file as file_names.devices"),
    ("./inventory.xlsx", "same file as file_names.workbook"),
    (".sot-export-m.tmp", "temp-file pattern"),
    ("dir/", "not a directory"),
    ("", "must be a file path"),
    ("a\x00b", "NUL"),
])
def test_bad_metrics_path(metrics, problem):
    with pytest.raises(InputError) as info:
        P.plan_paths("/d", names(), ALL, metrics)
    assert info.value.field == "metrics_path" and problem in info.value.message


def test_an_unselected_output_may_share_the_metrics_name():
    assert P.plan_paths("/d", names(), ["devices"], "inventory.csv").metrics == "/d/inventory.csv"


@pytest.mark.parametrize("value, problem", [
    (None, "required"), ("", "required"), ("relative/dir", "absolute"), ("/a\x00b", "NUL"),
])
def test_dest_must_be_absolute(value, problem):
    with pytest.raises(InputError, match=problem):
        P.normalize_dest(value)


def check(tmp_path, dest, metrics=None, file_names=None):
    paths = P.plan_paths(str(dest), file_names or names(), ALL, metrics)
    P.check_paths(paths)
    return paths


def test_check_paths_changes_nothing_and_finds_every_obstacle(tmp_path):
    check(tmp_path, tmp_path / "new" / "deeper", "m/x.prom")
    assert os.listdir(tmp_path) == []  # checking creates nothing
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="not a directory"):
        check(tmp_path, tmp_path / "file")
    with pytest.raises(InputError, match="cannot be created"):
        check(tmp_path, tmp_path / "file" / "sub")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "inventory.xlsx").mkdir()
    with pytest.raises(InputError) as info:
        check(tmp_path, tmp_path / "out")
    assert info.value.field == "file_names.workbook" and "is a directory" in info.value.message
    with pytest.raises(InputError) as info:
        check(tmp_path, tmp_path / "dest2", str(tmp_path / "file" / "x.prom"))
    assert info.value.field == "metrics_path"


@pytest.mark.parametrize("where", ["file", "dest", "metrics"])
def test_names_longer_than_the_file_system_allows(tmp_path, where):
    long = "x" * 300
    args = {"file": dict(file_names=names(merged=long + ".csv")), "dest": dict(dest=tmp_path / long),
            "metrics": dict(metrics=long + ".prom")}[where]
    with pytest.raises(InputError, match="this file system allows") as info:
        check(tmp_path, args.get("dest", tmp_path / "out"), args.get("metrics"), args.get("file_names"))
    assert info.value.field == {"file": "file_names.merged", "dest": "dest", "metrics": "metrics_path"}[where]


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_unwritable_dest(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    with pytest.raises(InputError, match="not writable"):
        check(tmp_path, locked)


def test_make_dirs_creates_dest_and_the_metrics_directory(tmp_path):
    paths = check(tmp_path, tmp_path / "out", "m/x.prom")
    P.make_dirs(paths)
    assert (tmp_path / "out" / "m").is_dir()
