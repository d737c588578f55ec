# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The export's Excel workbook: one table per sheet, rows streamed as they arrive, text never a
formula (written by `xlsx.py`, no third-party library). PRIVATE to the collection. No Ansible imports."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ansible_collections.sot.netbox.plugins.module_utils._export import xlsx as X
from ansible_collections.sot.netbox.plugins.module_utils._export.files import read_rows

WORKBOOK_LAYOUT = 3  # bump when the workbook's look changes, so existing workbooks are rebuilt


def workbook_source(merged_sha256: str, sheets: list) -> str:
    """The checksum the workbook is built from: merged CSV content plus each sheet's header."""
    digest = hashlib.sha256(f"layout={WORKBOOK_LAYOUT};merged={merged_sha256}".encode())
    for sheet in sheets:
        digest.update(("\n" + sheet.title + "\x1e" + "\x1f".join(sheet.header)).encode())
    return digest.hexdigest()


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
    """The workbook, streamed: rows can be appended while pages arrive, from several threads, then
    `save` writes the file. Each sheet is an Excel table with a styled, frozen header row, an
    autofilter and set column widths."""

    def __init__(self, sheets: list) -> None:
        self._index = {sheet.key: i for i, sheet in enumerate(sheets)}
        self._writer = X.XlsxWriter([X.SheetLayout(sheet.title, list(sheet.header), list(sheet.numeric),
                                                   column_widths(sheet.header, sheet.widths)) for sheet in sheets])

    def append(self, key: str, row: list) -> None:
        self._writer.append(self._index[key], row)

    def append_csv(self, key: str, path: str, fmt: dict, has_header: bool = True, escaped: dict | None = None) -> None:
        """Rows from a CSV spool; `escaped` (its CsvSpool.escaped) undoes spreadsheet_safe."""
        _header, rows = read_rows(path, fmt, has_header)
        for number, row in enumerate(rows):
            for column in (escaped or {}).get(number, ()):
                row[column] = row[column][1:]
            self.append(key, row)

    def discard(self) -> None:
        """Drop the sheets' temp files without writing a workbook (the export failed; a no-op after save)."""
        self._writer.close()

    def save(self, path: str, source_sha256: str) -> None:
        self._writer.save(path, {"title": "NetBox inventory export", "creator": "sot.netbox.netbox_export",
                                 "subject": f"sot.netbox.netbox_export source sha256 {source_sha256}",
                                 "application": "sot.netbox"})


def render_workbook(path: str, sheets: list, fmt: dict, source_sha256: str) -> None:
    """The workbook from CSV files: sheets as (Sheet, csv path[, escaped cells of that CSV])."""
    writer = WorkbookWriter([sheet for sheet, *_rest in sheets])
    for sheet, csv_path, *escaped in sheets:
        writer.append_csv(sheet.key, csv_path, fmt, escaped=escaped[0] if escaped else None)
    writer.save(path, source_sha256)
