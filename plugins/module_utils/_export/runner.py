# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""netbox_export: fetch devices, VMs and contact assignments concurrently, stream rows into CSV
spools, compare checksums, then commit only what changed. PRIVATE to the collection.

`run(module, client)` is the only function that reads module.params; `export(client, spec, ...)`
does the work with plain values, so tests and the benchmark drive it without Ansible.
"""
from __future__ import annotations

import concurrent.futures
import itertools
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field

from ansible_collections.sot.netbox.plugins.module_utils._errors import (
    InputError, RequestValidationFailed, SotNetboxError)
from ansible_collections.sot.netbox.plugins.module_utils._export import files as F
from ansible_collections.sot.netbox.plugins.module_utils._export.rows import (
    DEVICE, KINDS, OBJECT_TYPES, VM, Catalog, ContactIndex, api_fields, build_row, check_filter_names,
    columns_for, select_columns)
from ansible_collections.sot.netbox.plugins.module_utils._lookups import Lookups

ENDPOINTS = {DEVICE: "dcim/devices", VM: "virtualization/virtual-machines"}
ASSIGNMENTS = "tenancy/contact-assignments"
ASSIGNMENT_FIELDS = ("id", "object_type", "object_id", "contact", "role", "priority")
FORMATS = ("devices_csv", "vms_csv", "merged_csv", "xlsx")
DEFAULT_NAMES = {"devices": "devices.csv", "virtual_machines": "virtual_machines.csv",
                 "merged": "inventory.csv", "workbook": "inventory.xlsx"}
# output -> (file_names key, format that keeps it)
OUTPUTS = {"devices": "devices_csv", "virtual_machines": "vms_csv", "merged": "merged_csv", "workbook": "xlsx"}
FILTER_OPTIONS = ("site", "site_group", "tenant", "role", "status", "tag")
FREE_FILTER_OPTIONS = {"filters": KINDS, "device_filters": (DEVICE,), "vm_filters": (VM,)}
SHEETS = (("Inventory", "merged"), ("Devices", "devices"), ("Virtual machines", "virtual_machines"))


@dataclass
class ExportSpec:
    dest: str
    formats: tuple = FORMATS
    file_names: dict = field(default_factory=lambda: dict(DEFAULT_NAMES))
    filters: dict = field(default_factory=dict)        # option name -> value (site, tag, filters, ...)
    validate_filters: bool = True
    columns: list = None
    custom_fields: list = None
    dialect: str = "excel"
    delimiter: str = None
    list_separator: str = ", "
    backup: bool = False
    metrics_path: str = None

    def paths(self):
        return {out: os.path.join(self.dest, self.file_names[out]) for out, fmt in OUTPUTS.items()
                if fmt in self.formats}

    def params_for(self, kind):
        """The NetBox query parameters of one kind's list request."""
        params = {}
        for option in FILTER_OPTIONS:
            if self.filters.get(option):
                params[option] = list(self.filters[option])
        for option, kinds in FREE_FILTER_OPTIONS.items():
            if kind in kinds:
                params.update(self.filters.get(option) or {})
        return params

    def free_filter_names(self, kind):
        return {option: sorted(self.filters.get(option) or {}) for option, kinds in FREE_FILTER_OPTIONS.items()
                if kind in kinds and self.filters.get(option)}


def spec_from_params(params):
    names = dict(DEFAULT_NAMES)
    names.update({k: v for k, v in (params.get("file_names") or {}).items() if v})
    for key, name in names.items():
        if os.path.basename(name) != name or name in (".", ".."):
            raise InputError(f"file_names.{key}", name, "must be a plain file name inside dest")
    if len(set(names.values())) != len(names):
        raise InputError("file_names", names, "every output needs its own file name")
    F.csv_format(params.get("dialect") or "excel", params.get("delimiter"))  # validates both
    filters = {o: params.get(o) for o in FILTER_OPTIONS + tuple(FREE_FILTER_OPTIONS) if params.get(o)}
    for option in FREE_FILTER_OPTIONS:
        for name, value in (filters.get(option) or {}).items():
            if name in ("limit", "offset", "fields", "omit", "brief", "start", "format"):
                raise InputError(f"{option}.{name}", value, "is a paging/serialization parameter, not a filter")
    return ExportSpec(
        dest=_dest(params.get("dest")),
        formats=tuple(params.get("formats") or FORMATS),
        file_names=names,
        filters=filters,
        validate_filters=params.get("validate_filters", True),
        columns=params.get("columns"),
        custom_fields=params.get("custom_fields"),
        dialect=params.get("dialect") or "excel",
        delimiter=params.get("delimiter"),
        list_separator=params.get("list_separator", ", "),
        backup=bool(params.get("backup")),
        metrics_path=params.get("metrics_path"),
    )


def _dest(value):
    if not value:
        raise InputError("dest", value, "is required: the directory to write the export into")
    dest = os.path.normpath(os.path.expanduser(value))
    if not os.path.isabs(dest):
        raise InputError("dest", value, "must be an absolute path (a relative one would land in the module's "
                         "working directory)")
    return dest


def run(module, client):
    """The Ansible side: params -> spec; AnsibleModule's atomic_move and backup_local for the commit."""
    spec = spec_from_params(module.params)
    result = export(client, spec, check_mode=module.check_mode, workdir=module.tmpdir,
                    move=module.atomic_move, backup=module.backup_local)
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = {"prepared": result.pop("_diff_text")}
    else:
        result.pop("_diff_text")
    return result


# ---------------------------------------------------------------- the export


def export(client, spec, check_mode=False, workdir=None, move=os.replace, backup=F.copy_backup,
           clock=time.monotonic, now=time.time):
    started = clock()
    fmt = F.csv_format(spec.dialect, spec.delimiter)
    paths = spec.paths()
    F.check_dest(spec.dest, list(paths.values()) + ([spec.metrics_path] if spec.metrics_path else []), check_mode)
    if "xlsx" in spec.formats and not F.HAS_OPENPYXL:
        raise SotNetboxError("the Python library 'openpyxl' is required for the xlsx format; install it "
                             "or leave xlsx out of formats")

    lookups = Lookups(client).load("contact_role", "custom_field")
    catalog = Catalog.build(lookups.table("custom_field").rows, lookups.table("contact_role").rows)
    columns = select_columns(catalog, spec.columns, spec.custom_fields)
    kinds = _kinds_needed(spec.formats)
    if spec.validate_filters:
        _validate_filter_names(client, spec, catalog, kinds)

    spool_dir = tempfile.mkdtemp(prefix="sot-export-", dir=workdir) if check_mode else spec.dest
    # No workbook yet (first export): it will be written, so fill it while the pages arrive.
    stream_workbook = "workbook" in paths and not check_mode and not (
        os.path.exists(paths["workbook"]) and F.read_manifest(spec.dest).get("workbook"))
    spools, streamed = [], None
    try:
        streamed = _fetch_and_spool(client, spec, columns, kinds, fmt, spool_dir, spools, stream_workbook)
        outcomes = _compare(spec, paths, fmt, streamed)
        manifest_changed = False
        if not check_mode:
            _render_workbook_if_needed(spec, outcomes, fmt, streamed, spool_dir, spools)
            manifest_changed = _commit(spec, outcomes, move, backup)
        result = _result(spec, outcomes, streamed, check_mode, manifest_changed)
    finally:
        if streamed is not None and streamed.workbook is not None:
            streamed.workbook.discard()  # a no-op after save
        for spool in spools:
            spool.close()
            if os.path.exists(spool.path):
                os.unlink(spool.path)
        if check_mode:
            shutil.rmtree(spool_dir, ignore_errors=True)
    seconds = clock() - started
    result["totals"]["seconds"] = round(seconds, 3)
    if spec.metrics_path and not check_mode:
        text = F.prometheus_text(seconds, client.metrics.to_dict()["requests"],
                                 {k: v["rows"] for k, v in result["files"].items()},
                                 result["totals"]["files_changed"], now())
        F.write_text_atomic(spec.metrics_path, text, move)
        result["metrics_path"] = spec.metrics_path
    return result


def _kinds_needed(formats):
    if {"merged_csv", "xlsx"} & set(formats):
        return KINDS
    return tuple(k for k, f in ((DEVICE, "devices_csv"), (VM, "vms_csv")) if f in formats)


def _validate_filter_names(client, spec, catalog, kinds):
    """NetBox silently ignores unknown filter names: check free-form ones against its API schema."""
    wanted = {kind: spec.free_filter_names(kind) for kind in kinds}
    if not any(wanted.values()):
        return
    known = schema_filter_names(client, [ENDPOINTS[k] for k in kinds])
    for kind in kinds:
        cfs = {name for name, cf_kinds in catalog.custom_fields.items() if kind in cf_kinds}
        for option, names in wanted[kind].items():
            check_filter_names(option, names, ENDPOINTS[kind], set(known.get(ENDPOINTS[kind], ())), cfs)


def schema_filter_names(client, endpoints):
    """Query parameter names of list endpoints, from NetBox's OpenAPI schema (large and slow to build,
    so only the names are kept, in the client's cache as a static lookup)."""
    def fetch():
        schema = client.request("GET", "schema", {"format": "json"}) or {}
        out = {}
        for endpoint in endpoints:
            suffix = f"/api/{endpoint}/"
            for path, item in (schema.get("paths") or {}).items():
                if path.endswith(suffix):
                    params = (item.get("get") or {}).get("parameters") or []
                    out[endpoint] = sorted(p["name"] for p in params if p.get("in") == "query")
        return out

    cache = client.cache
    if cache is None:
        return fetch()
    key = cache.key("schema", "export-filter-names " + ",".join(sorted(endpoints)))
    hit = cache.get(key)
    if hit is not None:
        client.metrics.incr("cache_hits")
        return hit
    client.metrics.incr("cache_misses")
    value = fetch()
    cache.set(key, value, "static")
    return value


@dataclass
class Streamed:
    spools: dict            # output -> CsvSpool (closed)
    sheets: list            # files.Sheet per workbook sheet
    counts: dict            # kind -> objects
    workbook: object = None  # files.WorkbookWriter filled while streaming, or None


def _fetch_and_spool(client, spec, columns, kinds, fmt, spool_dir, spools, stream_workbook=False):
    """Devices, VMs and contact assignments at once; rows go straight to the spools (and, when
    `stream_workbook`, to the workbook's sheets, so rendering it overlaps the network waits)."""
    layout = {"merged": columns, "devices": columns_for(columns, DEVICE), "virtual_machines": columns_for(columns, VM)}
    sheets = [F.Sheet(key, title, [c.header for c in layout[key]], [c.numeric for c in layout[key]],
                      [c.width for c in layout[key]]) for title, key in SHEETS]
    workbook = F.WorkbookWriter(sheets) if stream_workbook else None

    def spool(name, cols, write_header=True):
        fd, path = tempfile.mkstemp(dir=spool_dir, prefix=f".sot-export-{name}-", suffix=".tmp")
        os.close(fd)
        s = F.CsvSpool(path, [c.header for c in cols], fmt, write_header)
        spools.append(s)
        return s

    out = {"merged": spool("merged", columns), "devices": spool("devices", layout["devices"]),
           "virtual_machines": spool("vms", layout["virtual_machines"])}
    tail = spool("merged-vms", columns, write_header=False)
    own = {DEVICE: (out["devices"], out["merged"]), VM: (out["virtual_machines"], tail)}
    contacts = concurrent.futures.Future()
    wants_contacts = any(c.role for c in columns)

    def load_contacts():
        try:
            index = ContactIndex()
            if wants_contacts:
                params = {"object_type": [OBJECT_TYPES[k] for k in kinds]}
                for assignment in client.iter_all(ASSIGNMENTS, params, fields=list(ASSIGNMENT_FIELDS)):
                    index.add(assignment)
            contacts.set_result(index.freeze())
            return len(index)
        except BaseException as exc:
            contacts.set_exception(exc)
            raise

    def stream(kind):
        own_spool, merged_spool = own[kind]
        own_idx = [i for i, c in enumerate(columns) if c in layout[own_key(kind)]]
        objects = client.iter_all(ENDPOINTS[kind], spec.params_for(kind), fields=api_fields(columns, kind))
        try:
            first = list(itertools.islice(objects, 1))  # the first page loads while the assignments do
        except RequestValidationFailed as exc:
            raise _filter_error(spec, kind, exc) from exc
        index = contacts.result()
        count = 0
        for obj in itertools.chain(first, objects):
            row = build_row(obj, kind, columns, index, spec.list_separator)
            own_row = [row[i] for i in own_idx]
            merged_spool.writerow(row)
            own_spool.writerow(own_row)
            if workbook is not None:
                workbook.append(own_key(kind), own_row)
                if kind == DEVICE:  # the VMs' merged rows follow the devices', from their spool
                    workbook.append("merged", row)
            count += 1
        return count

    calls = {"contacts": load_contacts}
    calls.update({kind: (lambda k=kind: stream(k)) for kind in kinds})
    try:
        counts = client.fetch_concurrently(calls)
    except BaseException:
        if workbook is not None:
            workbook.discard()
        raise
    tail.close()
    out["merged"].append_spool(tail)
    if workbook is not None:
        workbook.append_csv("merged", tail.path, fmt, has_header=False)
    for s in spools:
        s.close()
    return Streamed(spools=out, sheets=sheets, counts={k: counts.get(k, 0) for k in KINDS}, workbook=workbook)


def own_key(kind):
    return "devices" if kind == DEVICE else "virtual_machines"


def _filter_error(spec, kind, exc):
    """A 400 on a list request means a filter value NetBox does not accept: name the option."""
    problems = []
    for name, messages in (exc.fields.items() if isinstance(exc.fields, dict) else []):
        option = name if name in FILTER_OPTIONS else next(
            (f"{o}.{name}" for o, kinds in FREE_FILTER_OPTIONS.items()
             if kind in kinds and name in (spec.filters.get(o) or {})), name)
        text = " ".join(messages) if isinstance(messages, list) else str(messages)
        problems.append((option, spec.params_for(kind).get(name), text))
    if not problems:
        return exc
    option, value, text = problems[0]
    more = "; ".join(f"{o}: {t}" for o, _v, t in problems[1:])
    return InputError(option, value, f"NetBox rejected this filter for {ENDPOINTS[kind]}: {text}"
                      + (f" (also {more})" if more else ""))


@dataclass
class Outcome:
    output: str
    path: str
    tmp: str            # the new content (None: nothing to write)
    sha256: str         # checksum of the file after the run (or would be, in check mode)
    rows: int
    changed: bool
    changes: object = None  # files.RowChanges
    source_sha256: str = None
    backup_file: str = None
    bytes: int = 0


def _compare(spec, paths, fmt, streamed):
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


def _compare_workbook(spec, path, fmt, streamed, merged_outcome):
    """The workbook changes when its source (merged CSV content, sheet headers) changed, or when the
    file in dest is not the one the manifest recorded (deleted or edited by hand)."""
    source = F.workbook_source(streamed.spools["merged"].sha256, streamed.sheets)
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


def _render_workbook_if_needed(spec, outcomes, fmt, streamed, spool_dir, spools):
    outcome = outcomes.get("workbook")
    if outcome is None or not outcome.changed:
        return
    fd, tmp = tempfile.mkstemp(dir=spool_dir, prefix=".sot-export-workbook-", suffix=".tmp")
    os.close(fd)
    os.chmod(tmp, F.file_mode())
    spools.append(_TempFile(tmp))
    if streamed.workbook is not None:
        streamed.workbook.save(tmp, outcome.source_sha256)
    else:
        F.render_workbook(tmp, [(sheet, streamed.spools[sheet.key].path) for sheet in streamed.sheets], fmt,
                          outcome.source_sha256)
    outcome.tmp = tmp
    outcome.sha256 = F.sha256_file(tmp)
    outcome.bytes = os.path.getsize(tmp)


class _TempFile:
    """A temp file cleaned up like a spool."""

    def __init__(self, path):
        self.path = path

    def close(self):
        return None


def _commit(spec, outcomes, move, backup):
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
        manifest = os.path.join(spec.dest, F.MANIFEST)
        try:
            with open(manifest, encoding="utf-8") as fh:
                if fh.read() == text:
                    return False
        except OSError:
            pass
        F.write_text_atomic(manifest, text, move)
        return True
    except OSError as exc:
        raise SotNetboxError(f"writing the export into {spec.dest} failed: {exc}; files already replaced: "
                             f"{', '.join(moved) or 'none'} (the others keep their previous content)",
                             result={"changed": bool(moved), "moved": moved}) from exc


def _result(spec, outcomes, streamed, check_mode, manifest_changed):
    files, diff = {}, []
    for output, o in outcomes.items():
        entry = {"path": o.path, "sha256": o.sha256, "rows": o.rows, "changed": o.changed}
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
