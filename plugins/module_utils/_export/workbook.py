# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The export's Excel workbook: streamed (openpyxl write-only), one table per sheet, text never a formula.
PRIVATE to the collection. No Ansible imports."""
from __future__ import annotations

import hashlib
import math
import re
import threading
import warnings
from dataclasses import dataclass

try:
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.filters import AutoFilter
    from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo
    HAS_OPENPYXL = True
except ImportError:  # pragma: no cover - reported through missing_required_lib when xlsx is wanted
    openpyxl = None
    HAS_OPENPYXL = False

from ansible_collections.sot.netbox.plugins.module_utils._errors import SotNetboxError
from ansible_collections.sot.netbox.plugins.module_utils._export.files import read_rows

WORKBOOK_LAYOUT = 2  # bump when the workbook's look changes, so existing workbooks are rebuilt


def workbook_source(merged_sha256: str, sheets: list) -> str:
    """The checksum the workbook is built from: merged CSV content plus each sheet's header."""
    digest = hashlib.sha256(f"layout={WORKBOOK_LAYOUT};merged={merged_sha256}".encode())
    for sheet in sheets:
        digest.update(("\n" + sheet.title + "\x1e" + "\x1f".join(sheet.header)).encode())
    return digest.hexdigest()


# XML 1.0 (and so xlsx) cannot hold most ASCII control characters; NetBox text fields can. The CSV
# files keep them; the workbook drops them instead of failing the whole export.
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def xlsx_text(value: object) -> object:
    return _XLSX_ILLEGAL.sub("", value) if isinstance(value, str) else value


def _cell(ws: object, value: object, numeric: bool) -> object:
    value = xlsx_text(value)
    if numeric and value:
        try:
            number = float(value)
            if math.isfinite(number):
                return int(number) if number.is_integer() else number
        except ValueError:
            pass
    return text_cell(ws, value)


def text_cell(ws: object, value: object) -> object:
    """A value openpyxl would store as a formula (text starting with '=') or an error ('#N/A'), as a
    typed string cell instead: data from NetBox is data, never a formula. Other text stays a plain
    value (openpyxl stores it as a string; a cell object per value would slow big exports)."""
    if isinstance(value, str) and (value.startswith("=") or value.startswith("#")):
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"
        return cell
    return value


def column_widths(header: list, hints: list) -> list:
    """Excel widths: the column's hint, or the header with room for the filter button; at most 62."""
    return [min(max(len(h) + 4, w), 60) + 2 for h, w in zip(header, hints)]


@dataclass(frozen=True)
class Sheet:
    key: str        # which rows go to it: merged, devices, virtual_machines
    title: str
    header: list
    numeric: list   # per column: write numbers as numbers
    widths: list    # per column: width hint


class WorkbookWriter:
    """The workbook, streamed (openpyxl write-only mode): rows can be appended while pages arrive,
    from several threads (one lock), then `save` adds the tables and writes the file. Each sheet is
    an Excel table with a styled, frozen header row, an autofilter and set column widths."""

    def __init__(self, sheets: list) -> None:
        if not HAS_OPENPYXL:
            raise SotNetboxError("the Python library 'openpyxl' is required for the xlsx format "
                                 "(pip install openpyxl), or leave xlsx out of formats")
        self._lock = threading.Lock()
        self._wb = openpyxl.Workbook(write_only=True)
        self._sheets = {}
        self.rows = {}
        font, fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="1F4E78")
        for sheet in sheets:
            ws = self._wb.create_sheet(sheet.title)
            for i, width in enumerate(column_widths(sheet.header, sheet.widths), start=1):
                ws.column_dimensions[get_column_letter(i)].width = width
            ws.freeze_panes = "A2"
            head = []
            for name in sheet.header:
                cell = WriteOnlyCell(ws, value=xlsx_text(name))
                cell.data_type = "s"  # a header is text, whatever it starts with
                cell.font, cell.fill, cell.alignment = font, fill, Alignment(vertical="center")
                head.append(cell)
            ws.append(head)
            self._sheets[sheet.key] = (sheet, ws)
            self.rows[sheet.key] = 0

    def append(self, key: str, row: list) -> None:
        sheet, ws = self._sheets[key]
        values = [_cell(ws, v, n) for v, n in zip(row, sheet.numeric)]
        with self._lock:
            ws.append(values)
            self.rows[key] += 1

    def append_csv(self, key: str, path: str, fmt: dict, has_header: bool = True, escaped: dict | None = None) -> None:
        """Rows from a CSV spool; `escaped` (its CsvSpool.escaped) undoes spreadsheet_safe."""
        _header, rows = read_rows(path, fmt, has_header)
        for number, row in enumerate(rows):
            for column in (escaped or {}).get(number, ()):
                row[column] = row[column][1:]
            self.append(key, row)

    def discard(self) -> None:
        """Close the sheets' temp files without writing a workbook (the export failed)."""
        for _sheet, ws in self._sheets.values():
            try:
                ws.close()
            except Exception:  # pylint: disable=broad-except
                pass  # already closed, or openpyxl could not finish a sheet nobody will read

    def save(self, path: str, source_sha256: str) -> None:
        for key, (sheet, ws) in self._sheets.items():
            count = self.rows[key]
            if not (count and sheet.header):
                continue
            ref = f"A1:{get_column_letter(len(sheet.header))}{count + 1}"
            table = Table(displayName="".join(ch for ch in sheet.title.title() if ch.isalnum()), ref=ref)
            table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
            table.tableColumns = [TableColumn(id=i, name=xlsx_text(h)) for i, h in enumerate(sheet.header, start=1)]
            table.autoFilter = AutoFilter(ref=ref)
            with warnings.catch_warnings():  # columns are set above, as write-only mode requires
                warnings.simplefilter("ignore")
                ws.add_table(table)
        self._wb.properties.title = "NetBox inventory export"
        self._wb.properties.subject = f"sot.netbox.netbox_export source sha256 {source_sha256}"
        self._wb.properties.creator = "sot.netbox.netbox_export"
        self._wb.save(path)


def render_workbook(path: str, sheets: list, fmt: dict, source_sha256: str) -> None:
    """The workbook from CSV files: sheets as (Sheet, csv path[, escaped cells of that CSV])."""
    writer = WorkbookWriter([sheet for sheet, *_rest in sheets])
    for sheet, csv_path, *escaped in sheets:
        writer.append_csv(sheet.key, csv_path, fmt, escaped=escaped[0] if escaped else None)
    writer.save(path, source_sha256)
