# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Export files: streamed CSV spools with sha256, row-level diffs, the manifest, the Prometheus
textfile, and locked temp files for the atomic commit of changed files (the workbook: workbook.py).

PRIVATE to the collection. No Ansible imports: the runner hands in `move` and `backup` callables
(AnsibleModule.atomic_move / backup_local); the defaults are os.replace and a plain copy.
"""
from __future__ import annotations

import csv
import fcntl
import hashlib
import json
import os
import re
import shutil
import stat
import tempfile
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

from ansible_collections.sot.netbox.plugins.module_utils._errors import InputError

MANIFEST = ".sot-netbox-export.json"
MANIFEST_FORMAT = 1
DIALECTS = ("excel", "excel-tab", "unix")
DIFF_NAMES = 10  # names listed per file and change kind in the diff summary
_CHUNK = 1 << 16
# Temp files of a run (spools, renders, small text files) are named like this inside dest; a run
# removes the ones a killed run left (see `remove_stale_spools`).
SPOOL_PREFIX = ".sot-export-"
SPOOL_SUFFIX = ".tmp"
SPOOL_PATTERN = re.compile(r"^\.sot-export-.*\.tmp$")
STALE_SECONDS = 5  # a spool younger than this may be one a running export has not locked yet
# A cell starting with one of these is a formula (or a DDE call) to a spreadsheet that opens the CSV.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_TRIGGER_AT_CELL_START = re.compile("\x1f[=+\\-@\t\r]")
_DURATION_BUCKETS = (1, 2.5, 5, 10, 30, 60, 120, 300, 600)


def csv_format(dialect: str = "excel", delimiter: str | None = None) -> dict:
    """csv.writer/reader keyword arguments for a dialect name and an optional delimiter."""
    if dialect not in DIALECTS:
        raise InputError("dialect", dialect, f"must be one of {', '.join(DIALECTS)}")
    fmt = {"dialect": dialect}
    if delimiter is not None:
        if not isinstance(delimiter, str) or len(delimiter) != 1:
            raise InputError("delimiter", delimiter, "must be exactly one character")
        if delimiter.isalnum():
            raise InputError("delimiter", delimiter, "must not be a letter or digit (a reader could not tell "
                             "the delimiter from the data)")
        if delimiter in ('"', "\r", "\n", "\x00"):
            raise InputError("delimiter", delimiter, "must not be the quote character, a line break or NUL")
        fmt["delimiter"] = delimiter
    return fmt


def spreadsheet_safe(value: str) -> str:
    """A CSV cell a spreadsheet will not run: text starting with =, +, -, @, tab or CR gets a leading
    apostrophe (OWASP's CSV-injection advice), so Excel/LibreOffice show it as text."""
    return "'" + value if value and value.startswith(FORMULA_TRIGGERS) else value


def file_mode() -> int:
    """0666 minus the process umask: what a plain open() would create (mkstemp makes 0600)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def sha256_file(path: str) -> str | None:
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
    """A CSV written row by row to a temp file, hashed as it goes (memory stays flat).

    `safe`: cells go through `spreadsheet_safe`. The cells it changed are remembered (`escaped`:
    data row -> columns), so the workbook built from this spool gets NetBox's values back (its cells
    are typed strings and need no apostrophe), and `source_sha256` identifies NetBox's values."""

    def __init__(self, path: str, header: list, fmt: dict, write_header: bool = True, safe: bool = False) -> None:
        self.path = path
        self.header = list(header)
        self.safe = safe
        self.rows = 0
        self.bytes = 0
        self.escaped = {}
        self._sha = hashlib.sha256()
        self._fh = open(path, "wb")
        os.chmod(path, file_mode())
        self._writer = csv.writer(self, **fmt)
        self._fmt = fmt
        if write_header:
            self._writer.writerow([spreadsheet_safe(h) for h in self.header] if safe else self.header)

    def write(self, text: str) -> None:  # the file-like interface csv.writer needs
        self._write_bytes(text.encode("utf-8"))

    def writerow(self, row: list) -> None:
        # One C-level search per row finds the rare rows with a cell to escape.
        if self.safe and _TRIGGER_AT_CELL_START.search("\x1f" + "\x1f".join(row)):
            columns = [i for i, v in enumerate(row) if v.startswith(FORMULA_TRIGGERS)]
            if columns:
                self.escaped[self.rows] = columns
                row = [spreadsheet_safe(v) for v in row]
        self._writer.writerow(row)
        self.rows += 1

    def append_spool(self, other: CsvSpool) -> None:
        """Append another (header-less, raw) spool's rows: the merged file's VM part. Bytes are
        copied as they are unless this spool makes cells spreadsheet-safe."""
        if self.safe:
            _header, rows = read_rows(other.path, self._fmt, has_header=False)
            for row in rows:
                self.writerow(row)
        else:
            self._copy_bytes(other.path)
            self.rows += other.rows

    @property
    def source_sha256(self) -> str:
        """Identifies NetBox's values: the file's checksum, plus which cells were escaped (so two
        different values can never look the same after escaping)."""
        if not self.escaped:
            return self.sha256
        digest = hashlib.sha256(self.sha256.encode())
        digest.update(json.dumps(sorted(self.escaped.items())).encode())
        return digest.hexdigest()

    def _copy_bytes(self, path: str) -> None:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(_CHUNK), b""):
                self._write_bytes(chunk)

    def _write_bytes(self, data: bytes) -> None:
        self._sha.update(data)
        self.bytes += len(data)
        self._fh.write(data)

    def close(self) -> str:
        if not self._fh.closed:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()
        return self.sha256

    @property
    def sha256(self) -> str:
        return self._sha.hexdigest()


def read_rows(path: str, fmt: dict, has_header: bool = True) -> tuple:
    """(header, row iterator) of a CSV file; ([], empty) when it does not exist."""
    try:
        fh = open(path, newline="", encoding="utf-8")
    except FileNotFoundError:
        return [], iter(())
    reader = csv.reader(fh, **fmt)
    header = next(reader, []) if has_header else []

    def rows() -> Iterator[list]:
        with fh:
            yield from reader
    return header, rows()


# ---------------------------------------------------------------- row-level diff (pure)

@dataclass
class RowChanges:
    added: list = field(default_factory=list)     # row names
    removed: list = field(default_factory=list)
    changed: list = field(default_factory=list)

    def counts(self) -> dict:
        return {"rows_added": len(self.added), "rows_removed": len(self.removed), "rows_changed": len(self.changed)}


def _key_index(header: list) -> list:
    wanted = [i for i, h in enumerate(header) if h in ("type", "name")]
    return wanted or [0]


def _digest(header: list, rows: Iterable[list]) -> dict:
    """row name -> sorted row hashes (rows sharing a name compare as a multiset)."""
    idx = _key_index(header)
    out = {}
    for row in rows:
        key = " ".join(row[i] for i in idx if i < len(row)) or "(unnamed)"
        out.setdefault(key, []).append(hashlib.sha1("\x1f".join(row).encode()).hexdigest())
    return {k: sorted(v) for k, v in out.items()}


def diff_rows(old_header: list, old_rows: Iterable[list], new_header: list, new_rows: Iterable[list]) -> RowChanges:
    """Which named rows were added, removed or changed. A changed header changes every common row."""
    old, new = _digest(old_header, old_rows), _digest(new_header, new_rows)
    same_header = old_header == new_header
    changes = RowChanges(
        added=sorted(k for k in new if k not in old),
        removed=sorted(k for k in old if k not in new),
        changed=sorted(k for k in new if k in old and (not same_header or old[k] != new[k])),
    )
    return changes


def summarize(name: str, changes: RowChanges, limit: int = DIFF_NAMES) -> str:
    """A few lines for the diff: counts, then up to `limit` names per kind."""
    lines = [f"{name}: +{len(changes.added)} -{len(changes.removed)} ~{len(changes.changed)} rows"]
    for sign, names in (("+", changes.added), ("-", changes.removed), ("~", changes.changed)):
        lines.extend(f"  {sign} {n}" for n in names[:limit])
        if len(names) > limit:
            lines.append(f"  {sign} ... and {len(names) - limit} more")
    return "\n".join(lines)


# ---------------------------------------------------------------- manifest and metrics

def read_manifest(dest: str) -> dict:
    try:
        with open(os.path.join(dest, MANIFEST), encoding="utf-8") as fh:
            data = json.load(fh)
        return data if isinstance(data, dict) and data.get("format") == MANIFEST_FORMAT else {}
    except (OSError, ValueError):
        return {}  # missing or unreadable: every file is compared by its own checksum anyway


def manifest_text(files: dict, workbook: dict | None) -> str:
    """Deterministic (no timestamps): an unchanged export leaves the manifest unchanged too."""
    data = {"format": MANIFEST_FORMAT, "files": files, "workbook": workbook}
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def prometheus_text(seconds: float, requests: int, rows: dict, changed_files: int, timestamp: float) -> str:
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


def write_text_atomic(path: str, text: str, move: Callable = os.replace) -> None:
    """Write a small text file through a temp file in the same directory and an atomic rename."""
    temp = make_temp(os.path.dirname(os.path.abspath(path)), "text")
    try:
        os.chmod(temp.path, file_mode())
        data = text.encode("utf-8")
        view = memoryview(data)
        while view:
            view = view[os.write(temp.fd, view):]
        os.fsync(temp.fd)
        move(temp.path, path)
    finally:
        temp.release()


def write_text_if_changed(path: str, text: str, move: Callable = os.replace) -> bool:
    """`write_text_atomic` unless the file already holds exactly `text`. Returns whether it wrote."""
    try:
        with open(path, encoding="utf-8") as fh:
            if fh.read() == text:
                return False
    except OSError:
        pass
    write_text_atomic(path, text, move)
    return True


class TempFile:
    """A temp file of this run, locked (flock) while its handle is open: a concurrent run's sweep of
    stale spools leaves it alone, and a killed run's lock goes with its process."""

    def __init__(self, path: str, fd: int | None) -> None:
        self.path = path
        self.fd = fd

    def close(self) -> None:  # the spool interface the runner cleans up through
        return None

    def release(self) -> None:
        """Remove the file unless it was moved into place, and drop the lock."""
        try:
            if os.path.exists(self.path):
                os.unlink(self.path)
        finally:
            if self.fd is not None:
                os.close(self.fd)
                self.fd = None


def make_temp(directory: str, tag: str) -> TempFile:
    """A new, locked temp file `.sot-export-<tag>-XXXX.tmp` in `directory`."""
    fd, path = tempfile.mkstemp(dir=directory, prefix=f"{SPOOL_PREFIX}{tag}-", suffix=SPOOL_SUFFIX)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        pass  # no locks on this file system: the sweep's age limit still protects a fresh file
    return TempFile(path, fd)


def remove_stale_spools(directory: str, now: float | None = None) -> list:
    """Remove the temp files (`.sot-export-*.tmp`) a killed run left in `directory`: those no running
    export holds locked, older than STALE_SECONDS. Returns the names removed."""
    removed = []
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return removed
    now = time.time() if now is None else now
    for name in names:
        if SPOOL_PATTERN.match(name) and _remove_if_stale(os.path.join(directory, name), now):
            removed.append(name)
    return removed


def _remove_if_stale(path: str, now: float) -> bool:
    try:
        info = os.lstat(path)
        if not stat.S_ISREG(info.st_mode) or now - info.st_mtime < STALE_SECONDS:
            return False
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # held by a running export (or no locks here: cannot tell, so keep it)
        os.close(fd)
        return False
    try:
        os.unlink(path)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def copy_backup(path: str) -> str:
    """Default backup: `<path>.<timestamp>~` next to the file (AnsibleModule.backup_local's naming)."""
    backup = f"{path}.{time.strftime('%Y-%m-%d@%H:%M:%S~')}"
    shutil.copy2(path, backup)
    return backup
