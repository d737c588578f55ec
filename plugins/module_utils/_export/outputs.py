# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""netbox_export's outputs: compare each spool with the file in dest, render the workbook when needed,
commit changed files (atomic moves, then the manifest), and the result. PRIVATE to the collection."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from ansible_collections.sot.netbox.plugins.module_utils._errors import SotNetboxError
from ansible_collections.sot.netbox.plugins.module_utils._export import files as F
from ansible_collections.sot.netbox.plugins.module_utils._export import workbook as W
from ansible_collections.sot.netbox.plugins.module_utils._export.rows import DEVICE, VM

if TYPE_CHECKING:  # pragma: no cover
    from ansible_collections.sot.netbox.plugins.module_utils._export.runner import Streamed
    from ansible_collections.sot.netbox.plugins.module_utils._export.spec import ExportSpec


@dataclass
class Outcome:
    output: str
    path: str
    tmp: str            # the new content (None: nothing to write)
    sha256: str         # checksum of the file after the run (or would be, in check mode)
    rows: int
    changed: bool
    changes: F.RowChanges | None = None
    source_sha256: str = None
    backup_file: str = None
    bytes: int = 0
    attributes_changed: bool = False  # mode/owner/... changed (content maybe not)


def compare(spec: ExportSpec, paths: dict, fmt: dict, streamed: Streamed) -> dict:
    """Per output: does its content differ from the file in dest? Row-level changes when it does."""
    outcomes = {}
    for output, path in paths.items():
        if output == "workbook":
            continue
        spool = streamed.spools[output]
        current = F.sha256_file(path)
        changed = current != spool.sha256
        changes = None
        if changed:
            old_header, old_rows = F.read_rows(path, fmt)
            new_header, new_rows = F.read_rows(spool.path, fmt)
            changes = F.diff_rows(old_header, old_rows, new_header, new_rows)
        outcomes[output] = Outcome(output, path, spool.path, spool.sha256, spool.rows, changed, changes,
                                   bytes=spool.bytes)
    if "workbook" in paths:
        outcomes["workbook"] = _compare_workbook(spec, paths["workbook"], fmt, streamed, outcomes.get("merged"))
    return outcomes


def _compare_workbook(spec: ExportSpec, path: str, fmt: dict, streamed: Streamed,
                      merged_outcome: Outcome | None) -> Outcome:
    """The workbook changes when its source (merged CSV content, sheet headers) changed, or when the
    file in dest is not the one the manifest recorded (deleted or edited by hand)."""
    # NetBox's values (not the spreadsheet-safe CSV's) identify what the workbook holds.
    source = W.workbook_source(streamed.spools["merged"].source_sha256, streamed.sheets)
    recorded = (F.read_manifest(spec.dest).get("workbook") or {})
    current = F.sha256_file(path)
    changed = (current is None or recorded.get("source_sha256") != source or recorded.get("sha256") != current
               or recorded.get("file") != os.path.basename(path))
    changes = None
    if changed:
        if merged_outcome is not None:
            changes = merged_outcome.changes or F.RowChanges()
        elif current is None:
            _h, rows = F.read_rows(streamed.spools["merged"].path, fmt)
            changes = F.diff_rows([], [], streamed.spools["merged"].header, rows)
    return Outcome("workbook", path, None, None if changed else current, streamed.spools["merged"].rows,
                   changed, changes, source_sha256=source)


def render_workbook_if_needed(spec: ExportSpec, outcomes: dict, fmt: dict, streamed: Streamed, spool_dir: str,
                              temps: list) -> None:
    outcome = outcomes.get("workbook")
    if outcome is None or not outcome.changed:
        return
    handle = F.make_temp(spool_dir, "workbook")
    temps.append(handle)
    tmp = handle.path
    os.chmod(tmp, F.file_mode())
    if streamed.workbook is not None:
        streamed.workbook.save(tmp, outcome.source_sha256)
    else:
        W.render_workbook(tmp, [(sheet, streamed.spools[sheet.key].path, streamed.spools[sheet.key].escaped)
                                for sheet in streamed.sheets], fmt, outcome.source_sha256)
    outcome.tmp = tmp
    outcome.sha256 = F.sha256_file(tmp)
    outcome.bytes = os.path.getsize(tmp)


def commit(spec: ExportSpec, outcomes: dict, move: Callable, backup: Callable) -> bool:
    """Move every changed file into place (atomic renames), then the manifest. Nothing before this
    point touched dest's outputs, so a failure earlier leaves the previous export intact."""
    moved = []
    try:
        for outcome in outcomes.values():
            if not outcome.changed:
                continue
            if spec.backup and os.path.exists(outcome.path):
                outcome.backup_file = backup(outcome.path)
            move(outcome.tmp, outcome.path)
            outcome.tmp = None
            moved.append(outcome.path)
        files = {o.output: {"file": os.path.basename(o.path), "sha256": o.sha256, "rows": o.rows}
                 for o in outcomes.values() if o.output != "workbook"}
        workbook = None
        if "workbook" in outcomes:
            o = outcomes["workbook"]
            workbook = {"file": os.path.basename(o.path), "sha256": o.sha256, "source_sha256": o.source_sha256}
        else:
            workbook = F.read_manifest(spec.dest).get("workbook")
        text = F.manifest_text(files, workbook)
        return F.write_text_if_changed(os.path.join(spec.dest, F.MANIFEST), text, move)
    except OSError as exc:
        raise SotNetboxError(f"writing the export into {spec.dest} failed: {exc}; files already replaced: "
                             f"{', '.join(moved) or 'none'} (the others keep their previous content)",
                             result={"changed": bool(moved), "moved": moved}) from exc


def result(spec: ExportSpec, outcomes: dict, streamed: Streamed, check_mode: bool, manifest_changed: bool) -> dict:
    files, diff = {}, []
    for output, o in outcomes.items():
        entry = {"path": o.path, "sha256": o.sha256, "rows": o.rows, "changed": o.changed or o.attributes_changed}
        if o.attributes_changed:
            entry["attributes_changed"] = True
        if o.changes is not None:
            entry.update(o.changes.counts())
            diff.append(F.summarize(os.path.basename(o.path), o.changes))
        if o.source_sha256:
            entry["source_sha256"] = o.source_sha256
        if o.backup_file:
            entry["backup_file"] = o.backup_file
        files[output] = entry
    changed_files = [o for o in outcomes.values() if o.changed]
    totals = {
        "devices": streamed.counts[DEVICE],
        "virtual_machines": streamed.counts[VM],
        "files": len(outcomes),
        "files_changed": len(changed_files),
        "bytes_written": 0 if check_mode else sum(o.bytes for o in changed_files),
    }
    return {
        "changed": bool(changed_files) or manifest_changed,
        "dest": spec.dest,
        "files": files,
        "totals": totals,
        "_diff_text": "\n".join(diff) + ("\n" if diff else ""),
    }


def apply_attributes(attributes: Callable | None, outcomes: dict, manifest: str, check_mode: bool) -> bool:
    """The file options on every output and the manifest; an output whose only change is its
    attributes is reported changed. In check mode a file still to be created has none to compare."""
    if attributes is None:
        return False
    any_changed = False
    for outcome in outcomes.values():
        if check_mode and not os.path.exists(outcome.path):
            continue
        if attributes(outcome.path, False):
            outcome.attributes_changed = any_changed = True
    if os.path.exists(manifest):
        any_changed = attributes(manifest, False) or any_changed
    return any_changed
