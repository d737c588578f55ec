# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The xlsx writer: cells as XML (table-driven), then whole packages read back by openpyxl and parsed
part by part, so Excel's rules (unique table columns, names that are not cell references, escaped
"_xHHHH_", illegal characters) are checked without Excel."""
from __future__ import annotations

import concurrent.futures
import hashlib
import zipfile
from xml.etree import ElementTree

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._domain_errors import WorkbookTooLarge
from ansible_collections.sot.netbox.plugins.module_utils._export import xlsx as X


@pytest.mark.parametrize("number, letters", [(1, "A"), (26, "Z"), (27, "AA"), (52, "AZ"), (702, "ZZ"),
                                             (703, "AAA"), (16384, "XFD")])
def test_column_letter(number, letters):
    assert X.column_letter(number) == letters


@pytest.mark.parametrize("value, xml", [
    ("7", "7"), (" 7 ", "7"), ("1.5", "1.5"), ("-3", "-3"), ("1e3", "1000"), (7, "7"), (2.25, "2.25"),
    ("", None), (None, None), ("seven", None), ("nan", None), ("inf", None), ("1e400", None), (True, None),
])
def test_as_number(value, xml):
    assert X.as_number(value) == xml


@pytest.mark.parametrize("values, numeric, xml", [
    (["a", "7"], [False, True], '<row r="2"><c r="A2" t="inlineStr"><is><t>a</t></is></c><c r="B2"><v>7</v></c></row>'),
    (["", None], [False, False], '<row r="2"></row>'),
    (["x", "", "z"], [False] * 3,
     '<row r="2"><c r="A2" t="inlineStr"><is><t>x</t></is></c><c r="C2" t="inlineStr"><is><t>z</t></is></c></row>'),
    (["n/a"], [True], '<row r="2"><c r="A2" t="inlineStr"><is><t>n/a</t></is></c></row>'),
    (["=1+1"], [False], '<row r="2"><c r="A2" t="inlineStr"><is><t>=1+1</t></is></c></row>'),
    (["a&b<c>d\re"], [False], '<row r="2"><c r="A2" t="inlineStr"><is><t>a&amp;b&lt;c&gt;d&#13;e</t></is></c></row>'),
    ([" lead"], [False], '<row r="2"><c r="A2" t="inlineStr"><is><t xml:space="preserve"> lead</t></is></c></row>'),
    (["bell\x07\x00"], [False], '<row r="2"><c r="A2" t="inlineStr"><is><t>bell</t></is></c></row>'),
    (["lone\ud800surrogate\uffff"], [False], '<row r="2"><c r="A2" t="inlineStr"><is><t>lonesurrogate</t></is></c></row>'),
    (["R_x0041_D"], [False], '<row r="2"><c r="A2" t="inlineStr"><is><t>R_x005F_x0041_D</t></is></c></row>'),
    (["_xZZZZ_ ok"], [False], '<row r="2"><c r="A2" t="inlineStr"><is><t>_xZZZZ_ ok</t></is></c></row>'),
    (["Zürich 東京"], [False], '<row r="2"><c r="A2" t="inlineStr"><is><t>Zürich 東京</t></is></c></row>'),
])
def test_row_xml(values, numeric, xml):
    letters = [X.column_letter(i) for i in range(1, len(values) + 1)]
    assert X.row_xml(2, letters, values, numeric) == xml
    ElementTree.fromstring(xml)  # well-formed


def test_long_text_is_cut_at_excels_limit():
    xml = X.row_xml(2, ["A"], ["x" * (X.MAX_CELL_TEXT + 10)], [False])
    assert xml.count("x") == X.MAX_CELL_TEXT


@pytest.mark.parametrize("names, unique", [
    (["a", "b"], ["a", "b"]), (["a", "A", "a"], ["a", "A 2", "a 3"]), (["", ""], ["column", "column 2"]),
    (["x\x01"], ["x"]),
])
def test_unique_names(names, unique):
    assert X.unique_names(names) == unique


@pytest.mark.parametrize("titles, names", [
    (["Inventory", "Virtual machines"], ["Inventory", "VirtualMachines"]),
    (["Devices", "devices"], ["Devices", "Devices2"]),
    (["A1", "R", "1st"], ["_A1", "_R", "_1St"]),
    (["---"], ["Table"]),
])
def test_table_name(titles, names):
    taken = set()
    assert [X.table_name(t, taken) for t in titles] == names


def layouts():
    return [X.SheetLayout("Inventory", ["name", "vcpus", "Name"], [False, True, False], [12, 8, 30]),
            X.SheetLayout("Empty", ["name"], [False], [10]),
            X.SheetLayout("Devices & more", ["name"], [False], [300])]


def write(path, rows):
    writer = X.XlsxWriter(layouts())
    for values in rows:
        writer.append(0, values)
    writer.save(str(path), {"title": "T & t", "subject": "s", "creator": "c", "application": "sot.netbox"})
    return path


def test_every_part_is_well_formed_and_declared(tmp_path):
    path = write(tmp_path / "w.xlsx", [["a", "1", "x"]])
    with zipfile.ZipFile(path) as package:
        names = package.namelist()
        for name in names:
            ElementTree.fromstring(package.read(name))
        types = package.read("[Content_Types].xml").decode()
        assert names[0] == "[Content_Types].xml" and "xl/tables/table1.xml" in names
        assert "/xl/tables/table1.xml" in types and "/xl/worksheets/sheet3.xml" in types
        assert "xl/tables/table2.xml" not in names  # sheets without rows get no table
        assert {info.date_time for info in package.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_read_back_by_openpyxl(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.load_workbook(write(tmp_path / "w.xlsx", [["a", "2", "=x"], ["b", "", "#N/A"], ["c", "1.5", ""]]))
    assert book.sheetnames == ["Inventory", "Empty", "Devices & more"]
    sheet = book["Inventory"]
    assert [[(c.value, c.data_type) for c in row] for row in sheet.iter_rows(min_row=2)] == [
        [("a", "s"), (2, "n"), ("=x", "s")], [("b", "s"), (None, "n"), ("#N/A", "s")],
        [("c", "s"), (1.5, "n"), (None, "n")]]
    assert [c.value for c in sheet[1]] == ["name", "vcpus", "Name 2"]
    assert sheet["A1"].font.b and sheet["A1"].fill.fgColor.rgb == "FF1F4E78" and sheet["A1"].font.color.rgb == "FFFFFFFF"
    assert sheet.freeze_panes == "A2" and sheet.column_dimensions["A"].width == 12
    table = sheet.tables["Inventory"]
    assert table.ref == table.autoFilter.ref == "A1:C4"
    assert [c.name for c in table.tableColumns] == ["name", "vcpus", "Name 2"]
    assert book["Devices & more"].column_dimensions["A"].width == X.MAX_WIDTH
    assert book["Empty"].max_row == 1 and not book["Empty"].tables
    assert (book.properties.title, book.properties.subject, book.properties.creator) == ("T & t", "s", "c")


def test_same_rows_same_bytes(tmp_path):
    rows = [["a", "1", "x"], ["b", "2", "y"]]
    first = hashlib.sha256(write(tmp_path / "1.xlsx", rows).read_bytes()).hexdigest()
    assert first == hashlib.sha256(write(tmp_path / "2.xlsx", rows).read_bytes()).hexdigest()
    assert first != hashlib.sha256(write(tmp_path / "3.xlsx", rows[:1]).read_bytes()).hexdigest()


def test_rows_from_threads_are_all_there_in_sheet_order(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    writer = X.XlsxWriter(layouts())
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: writer.append(n % 2 * 2, [f"h{n}", str(n), ""]), range(400)))
    assert (writer.rows(0), writer.rows(2)) == (200, 200)
    writer.save(str(tmp_path / "w.xlsx"), {})
    book = openpyxl.load_workbook(tmp_path / "w.xlsx", read_only=True)
    numbers = [row[1] for row in book["Inventory"].iter_rows(min_row=2, values_only=True)]
    assert sorted(numbers) == list(range(0, 400, 2))
    assert book["Devices & more"].max_row == 201


def test_a_sheet_past_excels_row_limit_is_a_named_error(tmp_path, monkeypatch):
    monkeypatch.setattr(X, "MAX_ROWS", 3)
    writer = X.XlsxWriter(layouts())
    writer.append(0, ["a"])
    writer.append(0, ["b"])
    with pytest.raises(WorkbookTooLarge, match="'Inventory' would have more than 2 rows"):
        writer.append(0, ["c"])
    writer.close()


def test_close_without_save_leaves_no_file(tmp_path):
    writer = X.XlsxWriter(layouts())
    writer.append(0, ["a"])
    writer.close()
    writer.close()  # twice: a no-op
    assert list(tmp_path.iterdir()) == []
