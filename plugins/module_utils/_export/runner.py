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
from typing import TYPE_CHECKING, Any, Callable

from ansible_collections.sot.netbox.plugins.module_utils._errors import RequestValidationFailed
from ansible_collections.sot.netbox.plugins.module_utils._export import delta as D
from ansible_collections.sot.netbox.plugins.module_utils._export import files as F
from ansible_collections.sot.netbox.plugins.module_utils._export import outputs as OUT
from ansible_collections.sot.netbox.plugins.module_utils._export import paths as P
from ansible_collections.sot.netbox.plugins.module_utils._export import sync as S
from ansible_collections.sot.netbox.plugins.module_utils._export import workbook as W
from ansible_collections.sot.netbox.plugins.module_utils._export.checks import (
    check_request_line, filter_error, resolve_filters, validate_filter_names)
from ansible_collections.sot.netbox.plugins.module_utils._export.rows import (
    DEVICE, KINDS, VM, Catalog, ContactIndex, api_fields, build_row, columns_for, select_columns)
# The module and the tests take the options' names from here too.
from ansible_collections.sot.netbox.plugins.module_utils._export.spec import (  # noqa: F401  pylint: disable=unused-import
    CSV_OUTPUTS, DEFAULT_NAMES, ENDPOINTS, FORMATS, OBJECT_FILTERS, SHEETS, ExportSpec, check_file_args, spec_from_params)
from ansible_collections.sot.netbox.plugins.module_utils._lookups import Lookups

if TYPE_CHECKING:  # pragma: no cover
    from ansible_collections.sot.netbox.plugins.module_utils._client import NetboxClient


def run(module: Any, client: NetboxClient) -> dict:   # module: the AnsibleModule (only _module.py imports Ansible)
    """The Ansible side: params -> spec; AnsibleModule's atomic_move, backup_local and file attributes."""
    spec = spec_from_params(module.params)
    file_args = module.load_file_common_arguments(module.params)
    check_file_args(file_args)  # Ansible would only find a bad mode or owner after the files were written

    def attributes(path: str, changed: bool) -> bool:
        return module.set_fs_attributes_if_different(dict(file_args, path=path), changed)

    result = export(client, spec, check_mode=module.check_mode, workdir=module.tmpdir,
                    move=module.atomic_move, backup=module.backup_local, attributes=attributes)
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = {"prepared": result.pop("_diff_text")}
    else:
        result.pop("_diff_text")
    return result


# ---------------------------------------------------------------- the export


@dataclass
class Plan:
    """What a run writes and from which columns: every check passed."""
    fmt: dict
    out: P.OutputPaths
    columns: list
    kinds: tuple


def export(client: NetboxClient, spec: ExportSpec, check_mode: bool = False, workdir: str | None = None,
           move: Callable = os.replace, backup: Callable = F.copy_backup, attributes: Callable | None = None,
           clock: Callable[[], float] = time.monotonic, now: Callable[[], float] = time.time) -> dict:
    """`attributes(path, changed) -> changed`: applies the file options (mode, owner, ...) to a file
    in dest; None leaves them as created."""
    started = clock()
    plan = _plan(client, spec)
    sync = S.begin(client, spec, plan.columns, plan.kinds)
    result = None
    if sync.path == "unchanged" and S.files_intact(sync.head, F.sha256_file) and os.path.exists(plan.out.manifest):
        if not check_mode:
            F.remove_stale_spools(spec.dest)   # what a killed run left, as a full run would sweep it
        result = _unchanged_result(sync, plan, attributes)
    elif sync.path == "unchanged":  # fresh rows, but the files in dest are not the ones they made
        sync = S.with_body(client, sync)
    if result is None:
        result, body = _write(client, spec, plan, sync, check_mode, workdir, move, backup, attributes)
        if not check_mode:
            S.finish(client, sync, result, body)
    elif not check_mode:
        S.finish(client, sync, result, None)
    sync.note(client.metrics)
    result["sync"] = sync.path
    _metrics_file(client, plan, result, clock() - started, check_mode, move, now)
    return result


def _plan(client: NetboxClient, spec: ExportSpec) -> Plan:
    """Every check that can fail, before anything is read in bulk or written."""
    fmt = F.csv_format(spec.dialect, spec.delimiter)
    out = P.plan_paths(spec.dest, spec.file_names, spec.outputs(), spec.metrics_path)
    P.check_paths(out)
    object_types = [OBJECT_FILTERS[o][0] for o in OBJECT_FILTERS if spec.filters.get(o)]
    lookups = Lookups(client).load("contact_role", "custom_field", *object_types)
    catalog = Catalog.build(lookups.table("custom_field").rows, lookups.table("contact_role").rows)
    columns = select_columns(catalog, spec.columns, spec.custom_fields)
    kinds = _kinds_needed(spec.formats)
    resolve_filters(client, lookups, spec)
    for kind in kinds:
        check_request_line(client, spec, kind, api_fields(columns, kind))
    if spec.validate_filters:
        validate_filter_names(client, spec, catalog, kinds)
    return Plan(fmt, out, columns, kinds)


def _write(client: NetboxClient, spec: ExportSpec, plan: Plan, sync: S.Sync, check_mode: bool, workdir: str | None,
           move: Callable, backup: Callable, attributes: Callable | None) -> tuple:
    """(result, body to cache): rows from NetBox (full) or the merged cache (delta) into spools, compared with
    dest, and the changed files committed."""
    paths = plan.out.files
    if check_mode:
        spool_dir = tempfile.mkdtemp(prefix="sot-export-", dir=workdir)
    else:  # every check passed: only now is anything created in dest
        P.make_dirs(plan.out)
        F.remove_stale_spools(spec.dest)
        spool_dir = spec.dest
    # No workbook yet (first export): it will be written, so fill it while the rows arrive.
    stream_workbook = "workbook" in paths and not check_mode and not (
        os.path.exists(paths["workbook"]) and F.read_manifest(spec.dest).get("workbook"))
    spooler = None
    try:
        spooler = Spooler(spec, plan, spool_dir, stream_workbook, collect=sync.watermark is not None)
        if sync.body is not None:
            streamed = spooler.from_rows(sync.body)
        else:
            streamed = _fetch_and_spool(client, spec, plan, spooler)
        outcomes = OUT.compare(spec, paths, plan.fmt, streamed)
        manifest_changed = False
        if not check_mode:
            OUT.render_workbook_if_needed(spec, outcomes, plan.fmt, streamed, spool_dir, spooler.temps)
            manifest_changed = OUT.commit(spec, outcomes, move, backup)
        attributes_changed = OUT.apply_attributes(attributes, outcomes, plan.out.manifest, check_mode)
        result = OUT.result(spec, outcomes, streamed, check_mode, manifest_changed or attributes_changed)
    finally:
        if spooler is not None:
            spooler.release()
        if check_mode:
            shutil.rmtree(spool_dir, ignore_errors=True)
    return result, sync.body if sync.body is not None else spooler.collected()


def _unchanged_result(sync: S.Sync, plan: Plan, attributes: Callable | None) -> dict:
    """The cached result, its files proven current: nothing read in bulk, nothing written."""
    cached = sync.head["result"]
    kept = ("path", "sha256", "rows", "source_sha256")
    files = {k: dict({n: v[n] for n in kept if n in v}, changed=False) for k, v in cached["files"].items()}
    changed = False
    if attributes is not None:
        for entry in files.values():
            if attributes(entry["path"], False):
                entry["changed"] = entry["attributes_changed"] = changed = True
        changed = attributes(plan.out.manifest, False) or changed
    totals = dict(cached["totals"], files_changed=0, bytes_written=0)   # files_changed: rewritten files (none)
    return {"changed": changed, "dest": cached["dest"], "files": files, "totals": totals, "_diff_text": ""}


def _metrics_file(client: NetboxClient, plan: Plan, result: dict, seconds: float, check_mode: bool, move: Callable,
                  now: Callable[[], float]) -> None:
    result["totals"]["seconds"] = round(seconds, 3)
    if plan.out.metrics and not check_mode:
        text = F.prometheus_text(seconds, client.metrics.to_dict()["requests"],
                                 {k: v["rows"] for k, v in result["files"].items()},
                                 result["totals"]["files_changed"], now())
        F.write_text_atomic(plan.out.metrics, text, move)
        result["metrics_path"] = plan.out.metrics


def _kinds_needed(formats: tuple) -> tuple:
    if {"merged_csv", "xlsx"} & set(formats):
        return KINDS
    return tuple(k for k, f in ((DEVICE, "devices_csv"), (VM, "vms_csv")) if f in formats)


@dataclass
class Streamed:
    spools: dict            # output -> CsvSpool (closed)
    sheets: list            # workbook.Sheet per workbook sheet
    counts: dict            # kind -> objects
    workbook: W.WorkbookWriter | None = None  # filled while streaming, or None
    all_spools: list = field(default_factory=list)  # every spool opened, closed on the way out


def own_key(kind: str) -> str:
    return "devices" if kind == DEVICE else "virtual_machines"


class Spooler:
    """The run's spools: one per CSV output, plus the merged file's VM part (appended after the devices'),
    and the workbook's sheets when it is streamed. Rows come from NetBox or from the merged cache alike, so
    a delta run writes exactly the bytes a full run would. `collect`: keep the rows for the cache."""

    def __init__(self, spec: ExportSpec, plan: Plan, spool_dir: str, stream_workbook: bool, collect: bool = False) -> None:
        columns = plan.columns
        self.plan, self.spec, self.spool_dir = plan, spec, spool_dir
        self.layout = {"merged": columns, "devices": columns_for(columns, DEVICE),
                       "virtual_machines": columns_for(columns, VM)}
        self.sheets = [W.Sheet(key, title, [c.header for c in self.layout[key]], [c.numeric for c in self.layout[key]],
                               [c.width for c in self.layout[key]]) for title, key in SHEETS]
        self.temps, self.spools = [], []
        self.workbook = W.WorkbookWriter(self.sheets) if stream_workbook else None
        self.out = {"merged": self._spool("merged", columns, output="merged"),
                    "devices": self._spool("devices", self.layout["devices"], output="devices"),
                    "virtual_machines": self._spool("vms", self.layout["virtual_machines"], output="virtual_machines")}
        self.tail = self._spool("merged-vms", columns, write_header=False)  # raw: the merged file's VM part
        self.own = {DEVICE: (self.out["devices"], self.out["merged"]), VM: (self.out["virtual_machines"], self.tail)}
        self.own_idx = {kind: [i for i, c in enumerate(columns) if c in self.layout[own_key(kind)]] for kind in KINDS}
        self.entries = {kind: [] for kind in KINDS} if collect else None
        self.assignments = [] if collect else None

    def _spool(self, name: str, cols: list, write_header: bool = True, output: str | None = None) -> F.CsvSpool:
        handle = F.make_temp(self.spool_dir, name)
        self.temps.append(handle)
        spool = F.CsvSpool(handle.path, [c.header for c in cols], self.plan.fmt, write_header,
                           safe=output in self.spec.spreadsheet_safe)
        self.spools.append(spool)
        return spool

    def write(self, kind: str, row: list, obj: dict | None = None) -> None:
        own_spool, merged_spool = self.own[kind]
        own_row = [row[i] for i in self.own_idx[kind]]
        merged_spool.writerow(row)
        own_spool.writerow(own_row)
        if self.workbook is not None:
            self.workbook.append(own_key(kind), own_row)
            if kind == DEVICE:  # the VMs' merged rows follow the devices', from their spool
                self.workbook.append("merged", row)
        if self.entries is not None and obj is not None:
            self.entries[kind].append(D.entry(obj, row))

    def from_rows(self, body: dict) -> Streamed:
        """The spools from cached (merged) rows: no request."""
        counts = {}
        for kind in self.plan.kinds:
            items = body["rows"].get(kind) or []
            for item in items:
                self.write(kind, item["row"])
            counts[kind] = len(items)
        return self.finish(counts)

    def finish(self, counts: dict) -> Streamed:
        self.tail.close()
        self.out["merged"].append_spool(self.tail)
        if self.workbook is not None:
            self.workbook.append_csv("merged", self.tail.path, self.plan.fmt, has_header=False)
        for spool in self.spools:
            spool.close()
        return Streamed(spools=self.out, sheets=self.sheets, counts={k: counts.get(k, 0) for k in KINDS},
                        workbook=self.workbook, all_spools=self.spools)

    def collected(self) -> dict | None:
        if self.entries is None:
            return None
        return {"rows": self.entries, "assignments": sorted(self.assignments, key=lambda a: a["id"])}

    def release(self) -> None:
        if self.workbook is not None:
            self.workbook.discard()  # a no-op after save
        for spool in self.spools:
            spool.close()
        for temp in self.temps:
            temp.release()


def _fetch_and_spool(client: NetboxClient, spec: ExportSpec, plan: Plan, spooler: Spooler) -> Streamed:
    """Devices, VMs and contact assignments at once; rows go straight to the spools (and, when the workbook
    is streamed, to its sheets, so rendering it overlaps the network waits)."""
    contacts = concurrent.futures.Future()
    wants_contacts = any(c.role for c in plan.columns)

    def load_contacts() -> int:
        try:
            index = ContactIndex()
            if wants_contacts:
                params = S.assignment_params(plan.kinds)
                for assignment in client.iter_all(S.ASSIGNMENTS, params, fields=list(S.ASSIGNMENT_FIELDS)):
                    index.add(assignment)
                    if spooler.assignments is not None and D.assignment_object(assignment):
                        spooler.assignments.append(assignment)
            contacts.set_result(index.freeze())
            return len(index)
        except BaseException as exc:
            contacts.set_exception(exc)
            raise

    def stream(kind: str) -> int:
        objects = client.iter_all(ENDPOINTS[kind], spec.params_for(kind), fields=api_fields(plan.columns, kind))
        try:
            first = list(itertools.islice(objects, 1))  # the first page loads while the assignments do
        except RequestValidationFailed as exc:
            raise filter_error(spec, kind, exc) from exc
        index, count = contacts.result(), 0
        for obj in itertools.chain(first, objects):
            spooler.write(kind, build_row(obj, kind, plan.columns, index, spec.list_separator), obj)
            count += 1
        return count

    calls = {"contacts": load_contacts}
    calls.update({kind: (lambda k=kind: stream(k)) for kind in plan.kinds})
    return spooler.finish(client.fetch_concurrently(calls))
