# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Export files: streamed CSV spools with sha256, row-level diffs, the xlsx workbook, the manifest,
the Prometheus textfile, and the atomic commit of changed files.

PRIVATE to the collection. No Ansible imports: the runner hands in `move` and `backup` callables
(AnsibleModule.atomic_move / backup_local); the defaults are os.replace and a plain copy.
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass, field

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

from ansible_collections.sot.netbox.plugins.module_utils._errors import InputError, SotNetboxError

MANIFEST = ".sot-netbox-export.json"
MANIFEST_FORMAT = 1
WORKBOOK_LAYOUT = 2  # bump when the workbook's look changes, so existing workbooks are rebuilt
DIALECTS = ("excel", "excel-tab", "unix")
DIFF_NAMES = 10  # names listed per file and change kind in the diff summary
_CHUNK = 1 << 16
_DURATION_BUCKETS = (1, 2.5, 5, 10, 30, 60, 120, 300, 600)


def csv_format(dialect="excel", delimiter=None):
    """csv.writer/reader keyword arguments for a dialect name and an optional delimiter."""
    if dialect not in DIALECTS:
        raise InputError("dialect", dialect, f"must be one of {', '.join(DIALECTS)}")
    fmt = {"dialect": dialect}
    if delimiter is not None:
        if len(delimiter) != 1 or delimiter in '\r\n"':  # Python 3.13's csv refuses those three
            raise InputError("delimiter", delimiter, "must be exactly one character, not a line break or '\"'")
        fmt["delimiter"] = delimiter
    return fmt


def file_mode():
    """0666 minus the process umask: what a plain open() would create (mkstemp makes 0600)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def sha256_file(path):
    """Hex sha256 of a file's bytes, streamed; None when it does not exist."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(_CHUNK), b""):
                digest.update(chunk)
    except FileNotFoundError:
        return None
    return digest.hexdigest()


class CsvSpool:
    """A CSV written row by row to a temp file, hashed as it goes (memory stays flat)."""

    def __init__(self, path, header, fmt, write_header=True):
        self.path = path
        self.header = list(header)
        self.rows = 0
        self.bytes = 0
        self._sha = hashlib.sha256()
        self._fh = open(path, "wb")
        os.chmod(path, file_mode())
        self._writer = csv.writer(self, **fmt)
        if write_header:
            self._writer.writerow(self.header)

    def write(self, text):  # the file-like interface csv.writer needs
        self._write_bytes(text.encode("utf-8"))

    def writerow(self, row):
        self._writer.writerow(row)
        self.rows += 1

    def append_spool(self, other):
        """Append another (header-less) spool's bytes and rows: the merged file's VM part."""
        with open(other.path, "rb") as fh:
            for chunk in iter(lambda: fh.read(_CHUNK), b""):
                self._write_bytes(chunk)
        self.rows += other.rows

    def _write_bytes(self, data):
        self._sha.update(data)
        self.bytes += len(data)
        self._fh.write(data)

    def close(self):
        if not self._fh.closed:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()
        return self.sha256

    @property
    def sha256(self):
        return self._sha.hexdigest()


def read_rows(path, fmt, has_header=True):
    """(header, row iterator) of a CSV file; ([], empty) when it does not exist."""
    try:
        fh = open(path, newline="", encoding="utf-8")
    except FileNotFoundError:
        return [], iter(())
    reader = csv.reader(fh, **fmt)
    header = next(reader, []) if has_header else []

    def rows():
        with fh:
            yield from reader
    return header, rows()


# ---------------------------------------------------------------- row-level diff (pure)

@dataclass
class RowChanges:
    added: list = field(default_factory=list)     # row names
    removed: list = field(default_factory=list)
    changed: list = field(default_factory=list)

    def counts(self):
        return {"rows_added": len(self.added), "rows_removed": len(self.removed), "rows_changed": len(self.changed)}


def _key_index(header):
    wanted = [i for i, h in enumerate(header) if h in ("type", "name")]
    return wanted or [0]


def _digest(header, rows):
    """row name -> sorted row hashes (rows sharing a name compare as a multiset)."""
    idx = _key_index(header)
    out = {}
    for row in rows:
        key = " ".join(row[i] for i in idx if i < len(row)) or "(unnamed)"
        out.setdefault(key, []).append(hashlib.sha1("\x1f".join(row).encode()).hexdigest())
    return {k: sorted(v) for k, v in out.items()}


def diff_rows(old_header, old_rows, new_header, new_rows):
    """Which named rows were added, removed or changed. A changed header changes every common row."""
    old, new = _digest(old_header, old_rows), _digest(new_header, new_rows)
    same_header = old_header == new_header
    changes = RowChanges(
        added=sorted(k for k in new if k not in old),
        removed=sorted(k for k in old if k not in new),
        changed=sorted(k for k in new if k in old and (not same_header or old[k] != new[k])),
    )
    return changes


def summarize(name, changes, limit=DIFF_NAMES):
    """A few lines for the diff: counts, then up to `limit` names per kind."""
    lines = [f"{name}: +{len(changes.added)} -{len(changes.removed)} ~{len(changes.changed)} rows"]
    for sign, names in (("+", changes.added), ("-", changes.removed), ("~", changes.changed)):
        lines.extend(f"  {sign} {n}" for n in names[:limit])
        if len(names) > limit:
            lines.append(f"  {sign} ... and {len(names) - limit} more")
    return "\n".join(lines)


# ---------------------------------------------------------------- workbook

def workbook_source(merged_sha256, sheets):
    """The checksum the workbook is built from: merged CSV content plus each sheet's header."""
    digest = hashlib.sha256(f"layout={WORKBOOK_LAYOUT};merged={merged_sha256}".encode())
    for sheet in sheets:
        digest.update(("\n" + sheet.title + "\x1e" + "\x1f".join(sheet.header)).encode())
    return digest.hexdigest()


# XML 1.0 (and so xlsx) cannot hold most ASCII control characters; NetBox text fields can. The CSV
# files keep them; the workbook drops them instead of failing the whole export.
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def xlsx_text(value):
    return _XLSX_ILLEGAL.sub("", value) if isinstance(value, str) else value


def _cell(value, numeric):
    value = xlsx_text(value)
    if numeric and value:
        try:
            number = float(value)
            return int(number) if number.is_integer() else number
        except ValueError:
            return value
    return value


def column_widths(header, hints):
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

    def __init__(self, sheets):
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
                cell.font, cell.fill, cell.alignment = font, fill, Alignment(vertical="center")
                head.append(cell)
            ws.append(head)
            self._sheets[sheet.key] = (sheet, ws)
            self.rows[sheet.key] = 0

    def append(self, key, row):
        sheet, ws = self._sheets[key]
        values = [_cell(v, n) for v, n in zip(row, sheet.numeric)]
        with self._lock:
            ws.append(values)
            self.rows[key] += 1

    def append_csv(self, key, path, fmt, has_header=True):
        _header, rows = read_rows(path, fmt, has_header)
        for row in rows:
            self.append(key, row)

    def discard(self):
        """Close the sheets' temp files without writing a workbook (the export failed)."""
        for _sheet, ws in self._sheets.values():
            try:
                ws.close()
            except Exception:  # pylint: disable=broad-except
                pass  # already closed, or openpyxl could not finish a sheet nobody will read

    def save(self, path, source_sha256):
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


def render_workbook(path, sheets, fmt, source_sha256):
    """The workbook from CSV files: sheets as (Sheet, csv path)."""
    writer = WorkbookWriter([sheet for sheet, _path in sheets])
    for sheet, csv_path in sheets:
        writer.append_csv(sheet.key, csv_path, fmt)
    writer.save(path, source_sha256)


# ---------------------------------------------------------------- manifest and metrics

def read_manifest(dest):
    try:
        with open(os.path.join(dest, MANIFEST), encoding="utf-8") as fh:
            data = json.load(fh)
        return data if isinstance(data, dict) and data.get("format") == MANIFEST_FORMAT else {}
    except (OSError, ValueError):
        return {}  # missing or unreadable: every file is compared by its own checksum anyway


def manifest_text(files, workbook):
    """Deterministic (no timestamps): an unchanged export leaves the manifest unchanged too."""
    data = {"format": MANIFEST_FORMAT, "files": files, "workbook": workbook}
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def prometheus_text(seconds, requests, rows, changed_files, timestamp):
    """A node_exporter textfile: run duration histogram, request/row counters, last success time."""
    lines = ["# HELP netbox_export_duration_seconds Duration of the NetBox export run.",
             "# TYPE netbox_export_duration_seconds histogram"]
    for bound in _DURATION_BUCKETS:
        lines.append(f'netbox_export_duration_seconds_bucket{{le="{bound}"}} {1 if seconds <= bound else 0}')
    lines += ['netbox_export_duration_seconds_bucket{le="+Inf"} 1',
              f"netbox_export_duration_seconds_sum {seconds:.3f}",
              "netbox_export_duration_seconds_count 1",
              "# HELP netbox_export_requests_total HTTP requests made to NetBox by the export run.",
              "# TYPE netbox_export_requests_total counter",
              f"netbox_export_requests_total {int(requests)}",
              "# HELP netbox_export_rows_total Rows exported, by file.",
              "# TYPE netbox_export_rows_total counter"]
    lines += [f'netbox_export_rows_total{{file="{name}"}} {int(n)}' for name, n in sorted(rows.items())]
    lines += ["# HELP netbox_export_files_changed Files rewritten by the export run.",
              "# TYPE netbox_export_files_changed gauge",
              f"netbox_export_files_changed {int(changed_files)}",
              "# HELP netbox_export_last_success_timestamp_seconds When the export last succeeded.",
              "# TYPE netbox_export_last_success_timestamp_seconds gauge",
              f"netbox_export_last_success_timestamp_seconds {timestamp:.0f}"]
    return "\n".join(lines) + "\n"


def write_text_atomic(path, text, move=os.replace):
    """Write a small text file through a temp file in the same directory and an atomic rename."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".sot-export-", suffix=".tmp")
    os.chmod(tmp, file_mode())
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(text.encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
        move(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def copy_backup(path):
    """Default backup: `<path>.<timestamp>~` next to the file (AnsibleModule.backup_local's naming)."""
    backup = f"{path}.{time.strftime('%Y-%m-%d@%H:%M:%S~')}"
    shutil.copy2(path, backup)
    return backup


def check_dest(dest, paths, check_mode):
    """Before any request: dest must be (or be creatable as) a writable directory, and no output
    path may be a directory. Raises InputError naming the problem."""
    if not os.path.isabs(dest):
        raise InputError("dest", dest, "must be an absolute path")
    if os.path.exists(dest):
        if not os.path.isdir(dest):
            raise InputError("dest", dest, "exists and is not a directory")
        if not os.access(dest, os.W_OK | os.X_OK):
            raise InputError("dest", dest, "directory is not writable by this user")
    else:
        parent = os.path.dirname(dest.rstrip("/")) or "/"
        while not os.path.exists(parent):
            parent = os.path.dirname(parent)
        if not os.access(parent, os.W_OK | os.X_OK):
            raise InputError("dest", dest, f"does not exist and cannot be created ({parent} is not writable)")
        if not check_mode:
            try:
                os.makedirs(dest, exist_ok=True)
            except OSError as exc:
                raise InputError("dest", dest, f"cannot be created: {exc.strerror}") from exc
    for path in paths:
        if os.path.isdir(path):
            raise InputError("dest", path, "an output file's path is a directory; remove it or choose file_names")
