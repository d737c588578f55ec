# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import hashlib
import os

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._errors import InputError
from ansible_collections.sot.netbox.plugins.module_utils._export import files as F
from ansible_collections.sot.netbox.plugins.module_utils._export import workbook as W

EXCEL = F.csv_format()


def spool(path, header, rows, fmt=None, write_header=True):
    s = F.CsvSpool(str(path), header, fmt or EXCEL, write_header)
    for row in rows:
        s.writerow(row)
    s.close()
    return s


@pytest.mark.parametrize("dialect, delimiter, expected", [
    ("excel", None, b'name,comments\r\nx,"a, ""b"""\r\n'),
    ("excel", ";", b'name;comments\r\nx;"a, ""b"""\r\n'),
    ("unix", None, b'"name","comments"\n"x","a, ""b"""\n'),
    ("excel-tab", None, b'name\tcomments\r\nx\t"a, ""b"""\r\n'),
])
def test_spool_bytes_and_checksum(tmp_path, dialect, delimiter, expected):
    s = spool(tmp_path / "a.csv", ["name", "comments"], [["x", 'a, "b"']], F.csv_format(dialect, delimiter))
    data = (tmp_path / "a.csv").read_bytes()
    assert data == expected
    assert s.sha256 == hashlib.sha256(data).hexdigest() == F.sha256_file(tmp_path / "a.csv")
    assert s.rows == 1 and s.bytes == len(data)


@pytest.mark.parametrize("dialect, delimiter, field", [("json", None, "dialect"), ("excel", ";;", "delimiter")])
def test_bad_csv_format(dialect, delimiter, field):
    with pytest.raises(InputError) as info:
        F.csv_format(dialect, delimiter)
    assert info.value.field == field


def test_append_spool_merges_bytes_and_rows(tmp_path):
    head = F.CsvSpool(str(tmp_path / "m.csv"), ["name", "type"], EXCEL)
    head.writerow(["a", "device"])
    tail = spool(tmp_path / "t.csv", ["name", "type"], [["longer-name", "vm"]], write_header=False)
    head.append_spool(tail)
    head.close()
    assert (tmp_path / "m.csv").read_bytes() == b"name,type\r\na,device\r\nlonger-name,vm\r\n"
    assert head.sha256 == F.sha256_file(tmp_path / "m.csv")
    assert head.rows == 2


def test_sha256_of_missing_file_is_none(tmp_path):
    assert F.sha256_file(tmp_path / "nope") is None


@pytest.mark.parametrize("old, new, added, removed, changed", [
    ([["a", "1"], ["b", "2"]], [["a", "1"], ["b", "2"]], [], [], []),
    ([["a", "1"]], [["a", "1"], ["c", "3"]], ["c"], [], []),
    ([["a", "1"], ["b", "2"]], [["a", "1"]], [], ["b"], []),
    ([["a", "1"], ["b", "2"]], [["a", "9"], ["b", "2"]], [], [], ["a"]),
    ([["a", "1"], ["a", "2"]], [["a", "2"], ["a", "1"]], [], [], []),  # same name twice: a multiset
    ([], [["a", "1"]], ["a"], [], []),
])
def test_diff_rows_by_name(old, new, added, removed, changed):
    header = ["name", "x"]
    changes = F.diff_rows(header if old else [], old, header, new)
    assert (changes.added, changes.removed, changes.changed) == (added, removed, changed)


def test_diff_rows_keys_on_type_and_name_and_header_change_changes_all():
    changes = F.diff_rows(["name", "type"], [["a", "device"], ["a", "virtual_machine"]],
                          ["name", "type", "site"], [["a", "device", "s"], ["b", "device", "s"]])
    assert changes.added == ["b device"] and changes.removed == ["a virtual_machine"]
    assert changes.changed == ["a device"]


def test_summary_lists_a_few_names():
    changes = F.RowChanges(added=[f"n{i}" for i in range(12)], removed=["old"], changed=[])
    text = F.summarize("devices.csv", changes, limit=3)
    assert text.splitlines()[0] == "devices.csv: +12 -1 ~0 rows"
    assert "  + n0" in text and "  + ... and 9 more" in text and "  - old" in text


def sheet(header, numeric=None, title="Inventory", key="merged"):
    return W.Sheet(key, title, header, numeric or [False] * len(header), [10] * len(header))


def test_workbook_source_changes_with_content_and_headers():
    a = W.workbook_source("x" * 64, [sheet(["name"])])
    assert a == W.workbook_source("x" * 64, [sheet(["name"], [True])])
    assert a != W.workbook_source("y" * 64, [sheet(["name"])])
    assert a != W.workbook_source("x" * 64, [sheet(["Name"])])


def test_render_workbook_tables_header_widths_numbers(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    merged = spool(tmp_path / "m.csv", ["name", "vcpus"], [["a", "2"], ["b", ""], ["c", "1.5"]])
    empty = spool(tmp_path / "e.csv", ["name"], [])
    W.render_workbook(str(tmp_path / "w.xlsx"), [
        (sheet(merged.header, [False, True]), merged.path),
        (sheet(empty.header, title="Virtual machines", key="vms"), empty.path),
    ], EXCEL, "s" * 64)
    wb = openpyxl.load_workbook(tmp_path / "w.xlsx")
    ws = wb["Inventory"]
    assert [c.value for c in ws[1]] == ["name", "vcpus"] and ws["A1"].font.b
    assert [ws["B2"].value, ws["B3"].value, ws["B4"].value] == [2, None, 1.5]
    assert ws.freeze_panes == "A2" and ws.column_dimensions["A"].width == 12
    table = ws.tables["Inventory"]
    assert table.ref == "A1:B4" and table.autoFilter.ref == "A1:B4"
    assert wb["Virtual machines"].max_row == 1 and not wb["Virtual machines"].tables
    assert "s" * 64 in wb.properties.subject


def test_workbook_writer_streams_from_threads_and_csv(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    tail = spool(tmp_path / "t.csv", ["name"], [["vm1"]], write_header=False)
    writer = W.WorkbookWriter([sheet(["name"]), sheet(["name"], title="Devices", key="devices")])
    writer.append("merged", ["dev1"])
    writer.append("devices", ["dev1"])
    writer.append_csv("merged", tail.path, EXCEL, has_header=False)
    writer.save(str(tmp_path / "w.xlsx"), "s" * 64)
    wb = openpyxl.load_workbook(tmp_path / "w.xlsx")
    assert [r[0] for r in wb["Inventory"].iter_rows(values_only=True)] == ["name", "dev1", "vm1"]
    assert wb["Inventory"].tables["Inventory"].ref == "A1:A3" and wb["Devices"].max_row == 2


@pytest.mark.parametrize("header, hints, widths", [
    (["name"], [28], [30]), (["a_very_long_header_name"], [8], [29]), (["x"], [200], [62]),
])
def test_column_widths(header, hints, widths):
    assert W.column_widths(header, hints) == widths


def test_manifest_is_deterministic_and_tolerates_garbage(tmp_path):
    text = F.manifest_text({"devices": {"file": "d.csv", "sha256": "a", "rows": 1}}, None)
    assert text == F.manifest_text({"devices": {"rows": 1, "sha256": "a", "file": "d.csv"}}, None)
    (tmp_path / F.MANIFEST).write_text(text)
    assert F.read_manifest(str(tmp_path))["files"]["devices"]["rows"] == 1
    (tmp_path / F.MANIFEST).write_text("{not json")
    assert F.read_manifest(str(tmp_path)) == {}
    assert F.read_manifest(str(tmp_path / "missing")) == {}


def test_prometheus_text():
    text = F.prometheus_text(3.2, 22, {"devices": 10, "merged": 15}, 2, 1700000000)
    assert 'netbox_export_duration_seconds_bucket{le="2.5"} 0' in text
    assert 'netbox_export_duration_seconds_bucket{le="5"} 1' in text
    assert "netbox_export_duration_seconds_count 1" in text and "netbox_export_requests_total 22" in text
    assert 'netbox_export_rows_total{file="merged"} 15' in text and text.endswith("\n")


def test_write_text_atomic_leaves_no_temp_and_old_content_on_failure(tmp_path):
    target = tmp_path / "m.prom"
    F.write_text_atomic(str(target), "one\n")
    assert target.read_text() == "one\n"

    def failing_move(src, dst):
        raise OSError("disk full")
    with pytest.raises(OSError):
        F.write_text_atomic(str(target), "two\n", move=failing_move)
    assert target.read_text() == "one\n" and sorted(os.listdir(tmp_path)) == ["m.prom"]


def test_workbook_drops_xml_illegal_control_characters(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    writer = W.WorkbookWriter([sheet(["name", "comments"])])
    writer.append("merged", ["dev\x01", "bell\x07 tab\t ok"])
    writer.save(str(tmp_path / "w.xlsx"), "s" * 64)
    row = next(openpyxl.load_workbook(tmp_path / "w.xlsx")["Inventory"].iter_rows(min_row=2, values_only=True))
    assert row == ("dev", "bell tab\t ok")


@pytest.mark.parametrize("value, expected", [
    ("=HYPERLINK(\"http://x\",\"y\")", "'=HYPERLINK(\"http://x\",\"y\")"),
    ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("", ""), ("plain", "plain"), ("a=b", "a=b"), ("'quoted", "'quoted"), ("10.0.0.1/24", "10.0.0.1/24"),
])
def test_spreadsheet_safe(value, expected):
    assert F.spreadsheet_safe(value) == expected


@pytest.mark.parametrize("delimiter, ok", [
    (";", True), ("\t", True), ("|", True), ("1", False), ("0", False), ("a", False), ('"', False),
    ("\n", False), ("\r", False), ("\x00", False), ("", False), (";;", False),
])
def test_delimiter_is_checked(delimiter, ok):
    if ok:
        assert F.csv_format("excel", delimiter)["delimiter"] == delimiter
    else:
        with pytest.raises(InputError) as info:
            F.csv_format("excel", delimiter)
        assert info.value.field == "delimiter"


def test_safe_spool_escapes_cells_and_the_workbook_gets_netbox_values_back(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    s = F.CsvSpool(str(tmp_path / "safe.csv"), ["name", "=h"], EXCEL, safe=True)
    s.writerow(["=cmd|' /C calc'!A0", "-5"])
    s.writerow(["plain", "a=b"])
    tail = spool(tmp_path / "tail.csv", ["name", "=h"], [["@x", "ok"]], write_header=False)
    s.append_spool(tail)
    s.close()
    assert (tmp_path / "safe.csv").read_bytes() == b"name,'=h\r\n'=cmd|' /C calc'!A0,'-5\r\nplain,a=b\r\n'@x,ok\r\n"
    assert s.rows == 3 and s.escaped == {0: [0, 1], 2: [0]}
    assert s.sha256 == hashlib.sha256((tmp_path / "safe.csv").read_bytes()).hexdigest()
    raw = spool(tmp_path / "raw.csv", ["name", "=h"], [["=cmd|' /C calc'!A0", "-5"], ["plain", "a=b"], ["@x", "ok"]])
    assert raw.source_sha256 == raw.sha256 and s.source_sha256 not in (s.sha256, raw.sha256)
    # A raw value that looks like an escaped one gives another source checksum.
    lookalike = F.CsvSpool(str(tmp_path / "look.csv"), ["name", "=h"], EXCEL, safe=True)
    lookalike.writerow(["'=cmd|' /C calc'!A0", "'-5"])
    lookalike.writerow(["plain", "a=b"])
    lookalike.writerow(["'@x", "ok"])
    lookalike.close()
    assert lookalike.sha256 == s.sha256 and lookalike.source_sha256 != s.source_sha256
    sheet = W.Sheet("merged", "Inventory", ["name", "=h"], [False, False], [10, 10])
    W.render_workbook(str(tmp_path / "w.xlsx"), [(sheet, s.path, s.escaped)], EXCEL, "x" * 64)
    rows = list(openpyxl.load_workbook(tmp_path / "w.xlsx")["Inventory"].iter_rows(min_row=2, values_only=True))
    assert rows == [("=cmd|' /C calc'!A0", "-5"), ("plain", "a=b"), ("@x", "ok")]


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://evil\",\"click\")", "=1+1", "+1", "-1", "@SUM(A1)",
                                  "#N/A", "#REF!", "=", "plain"])
def test_workbook_text_is_never_a_formula(tmp_path, text):
    openpyxl = pytest.importorskip("openpyxl")
    writer = W.WorkbookWriter([W.Sheet("merged", "Inventory", [text, "id"], [False, True], [10, 10])])
    writer.append("merged", [text, "7"])
    writer.save(str(tmp_path / "w.xlsx"), "s" * 64)
    rows = list(openpyxl.load_workbook(tmp_path / "w.xlsx")["Inventory"].iter_rows())
    assert [(c.value, c.data_type) for c in rows[0]] == [(text, "s"), ("id", "s")]
    assert [(c.value, c.data_type) for c in rows[1]] == [(text, "s"), (7, "n")]


def test_stale_spools_are_removed_but_live_ones_and_other_files_stay(tmp_path):
    live = F.make_temp(str(tmp_path), "merged")
    stale = tmp_path / ".sot-export-devices-abc123.tmp"
    stale.write_text("left by a killed run")
    fresh = tmp_path / ".sot-export-vms-young.tmp"
    fresh.write_text("a run that has not locked it yet")
    other = tmp_path / "inventory.csv"
    other.write_text("x")
    (tmp_path / ".sot-export-dir.tmp").mkdir()
    old = os.stat(stale).st_mtime - 60
    for path in (stale, live.path, other):
        os.utime(path, (old, old))
    removed = F.remove_stale_spools(str(tmp_path), now=os.stat(fresh).st_mtime + 1)
    assert removed == [stale.name]
    assert os.path.exists(live.path) and fresh.exists() and other.exists()
    live.release()
    assert not os.path.exists(live.path)
    assert F.remove_stale_spools(str(tmp_path / "missing")) == []
