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
import grp
import itertools
import math
import os
import pwd
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlparse

from ansible_collections.sot.netbox.plugins.module_utils._errors import (
    FieldError, InputError, RequestValidationFailed, SotNetboxError, ValidationErrors)
from ansible_collections.sot.netbox.plugins.module_utils._export import files as F
from ansible_collections.sot.netbox.plugins.module_utils._export import paths as P
from ansible_collections.sot.netbox.plugins.module_utils._export.rows import (
    DEVICE, KINDS, OBJECT_TYPES, VM, Catalog, ContactIndex, api_fields, build_row, check_filter_names,
    columns_for, select_columns)
from ansible_collections.sot.netbox.plugins.module_utils._lookups import LookupTable, Lookups
from ansible_collections.sot.netbox.plugins.module_utils._records import record

ENDPOINTS = {DEVICE: "dcim/devices", VM: "virtualization/virtual-machines"}
ASSIGNMENTS = "tenancy/contact-assignments"
ASSIGNMENT_FIELDS = ("id", "object_type", "object_id", "contact", "role", "priority")
FORMATS = ("devices_csv", "vms_csv", "merged_csv", "xlsx")
DEFAULT_NAMES = {"devices": "devices.csv", "virtual_machines": "virtual_machines.csv",
                 "merged": "inventory.csv", "workbook": "inventory.xlsx"}
# output -> (file_names key, format that keeps it)
OUTPUTS = {"devices": "devices_csv", "virtual_machines": "vms_csv", "merged": "merged_csv", "workbook": "xlsx"}
FILTER_OPTIONS = ("site", "site_group", "tenant", "role", "status", "tag")
# Filters that name objects: option -> (lookup type, NetBox's id filter). Every spelling a user may
# use (name, slug, id) resolves to the object's id, so all of them export the same objects.
OBJECT_FILTERS = {"site": ("site", "site_id"), "site_group": ("site_group", "site_group_id"),
                  "tenant": ("tenant", "tenant_id"), "role": ("device_role", "role_id"), "tag": ("tag", "tag_id")}
CSV_OUTPUTS = ("devices", "virtual_machines", "merged")
# NetBox's server (gunicorn) refuses a request line over 4094 bytes with HTTP 414; stay under it.
MAX_REQUEST_LINE = 4094
_PAGING_PARAMS = ("limit", "offset", "fields", "omit", "brief", "start", "format")
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
    spreadsheet_safe: tuple = ("merged",)   # CSV outputs whose cells are made spreadsheet-safe
    object_ids: dict = field(default_factory=dict)  # object filter option -> ids, set by resolve_filters

    def outputs(self):
        return [out for out, fmt in OUTPUTS.items() if fmt in self.formats]

    def paths(self):
        return {out: os.path.join(self.dest, self.file_names[out]) for out in self.outputs()}

    def params_for(self, kind):
        """The NetBox query parameters of one kind's list request (object filters by id once resolved)."""
        return {param: value for _option, param, value in self.param_sources(kind)}

    def param_sources(self, kind):
        """(option, query parameter, value) per filter of one kind's list request."""
        out = []
        for option in FILTER_OPTIONS:
            if option in self.object_ids:
                out.append((option, OBJECT_FILTERS[option][1], list(self.object_ids[option])))
            elif self.filters.get(option):
                out.append((option, option, list(self.filters[option])))
        for option, kinds in FREE_FILTER_OPTIONS.items():
            if kind in kinds:
                out.extend((f"{option}.{name}", name, value) for name, value in (self.filters.get(option) or {}).items())
        return out

    def free_filter_names(self, kind):
        return {option: sorted(self.filters.get(option) or {}) for option, kinds in FREE_FILTER_OPTIONS.items()
                if kind in kinds and self.filters.get(option)}


def spec_from_params(params):
    """Module parameters -> ExportSpec, every option checked that can be checked without NetBox."""
    names = dict(DEFAULT_NAMES)
    names.update({k: v for k, v in (params.get("file_names") or {}).items() if v is not None})
    dest = P.normalize_dest(params.get("dest"))
    formats = tuple(params.get("formats") or FORMATS)
    spec = ExportSpec(
        dest=dest,
        formats=formats,
        file_names=names,
        filters=_filters(params),
        validate_filters=params.get("validate_filters", True),
        columns=params.get("columns"),
        custom_fields=params.get("custom_fields"),
        dialect=params.get("dialect") or "excel",
        delimiter=params.get("delimiter"),
        list_separator=_list_separator(params.get("list_separator", ", ")),
        backup=bool(params.get("backup")),
        metrics_path=params.get("metrics_path"),
        spreadsheet_safe=tuple(_spreadsheet_safe(params.get("spreadsheet_safe", ["merged"]))),
    )
    F.csv_format(spec.dialect, spec.delimiter)  # validates both
    P.plan_paths(dest, names, spec.outputs(), spec.metrics_path)  # validates names and metrics_path
    return spec


def _filters(params):
    filters = {o: params.get(o) for o in FILTER_OPTIONS + tuple(FREE_FILTER_OPTIONS) if params.get(o)}
    errors = []
    for option in FILTER_OPTIONS:
        for i, value in enumerate(filters.get(option) or []):
            if not isinstance(value, str) or not value.strip():
                what = "status value" if option == "status" else "name, slug or id"
                errors.append(FieldError(f"{option}[{i}]", f"must be a non-empty {what}", value))
            elif "\x00" in value:
                errors.append(FieldError(f"{option}[{i}]", "must not contain a NUL character", value))
    for option in FREE_FILTER_OPTIONS:
        given = filters.get(option) or {}
        if not isinstance(given, dict):
            errors.append(FieldError(option, "must be a dict of NetBox filter names and values", given))
            continue
        clean = {}
        for name, value in given.items():
            problem = _free_filter_problem(name, value)
            if problem:
                errors.append(FieldError(f"{option}.{name}", problem, value))
            else:
                clean[name] = _filter_value(value)
        if given:
            filters[option] = clean
    if errors:
        raise ValidationErrors(errors)
    return filters


def _free_filter_problem(name, value):
    if not isinstance(name, str) or not name or "\x00" in name or name != name.strip():
        return "the filter name must be a non-empty NetBox filter name"
    if name in _PAGING_PARAMS:
        return "is a paging/serialization parameter, not a filter"
    values = value if isinstance(value, list) else [value]
    if not values:
        return "needs at least one value"
    for item in values:
        if item is None or isinstance(item, (dict, list)) or not isinstance(item, (str, int, float, bool)):
            return "each value must be a string, number or boolean"
        if isinstance(item, str) and "\x00" in item:
            return "must not contain a NUL character"
        if isinstance(item, float) and not math.isfinite(item):
            return "must be a number NetBox can read"
    return None


def _filter_value(value):
    """As NetBox reads query values: booleans lowercase, a list repeats the parameter."""
    def one(item):
        return ("true" if item else "false") if isinstance(item, bool) else str(item)
    return [one(v) for v in value] if isinstance(value, list) else one(value)


def _list_separator(value):
    if not isinstance(value, str):
        raise InputError("list_separator", value, "must be a string")
    if "\x00" in value:
        raise InputError("list_separator", value, "must not contain a NUL character")
    return value


def _spreadsheet_safe(value):
    value = value or []
    unknown = [v for v in value if v not in CSV_OUTPUTS]
    if unknown:
        raise InputError("spreadsheet_safe", unknown, f"each entry must be one of {', '.join(CSV_OUTPUTS)}")
    return value


def run(module, client):
    """The Ansible side: params -> spec; AnsibleModule's atomic_move, backup_local and file attributes."""
    spec = spec_from_params(module.params)
    file_args = module.load_file_common_arguments(module.params)
    check_file_args(file_args)  # Ansible would only find a bad mode or owner after the files were written

    def attributes(path, changed):
        return module.set_fs_attributes_if_different(dict(file_args, path=path), changed)

    result = export(client, spec, check_mode=module.check_mode, workdir=module.tmpdir,
                    move=module.atomic_move, backup=module.backup_local, attributes=attributes)
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = {"prepared": result.pop("_diff_text")}
    else:
        result.pop("_diff_text")
    return result


# A symbolic mode as AnsibleModule reads it: clauses like u+rwx,g-w,o=r (or a=, ug+X ...).
_SYMBOLIC_MODE = re.compile(r"^[ugoa]*(?:[-+=][rwxXstugo]*)+$")


def check_file_args(file_args):
    """The file options, checked before anything is fetched: `mode` octal or symbolic, `owner` and
    `group` names or ids this host knows."""
    mode = file_args.get("mode")
    if isinstance(mode, bool):
        raise InputError("mode", mode, "must be an octal mode (for example '0640') or a symbolic one")
    if mode is not None and not isinstance(mode, int):
        text = str(mode)
        if not (re.fullmatch(r"0?[0-7]{3,4}", text) or all(_SYMBOLIC_MODE.match(c) for c in text.split(","))):
            raise InputError("mode", mode, "must be an octal mode (for example '0640') or a symbolic one "
                             "(for example 'u=rw,g=r,o=')")
    elif isinstance(mode, int) and not 0 <= mode <= 0o7777:
        raise InputError("mode", mode, "must be between 0 and 07777")
    for option, lookup in (("owner", _user_exists), ("group", _group_exists)):
        value = file_args.get(option)
        if value is not None and not lookup(str(value)):
            raise InputError(option, value, f"no such {'user' if option == 'owner' else 'group'} on this host")


def _user_exists(name):
    try:
        pwd.getpwuid(int(name)) if name.isdigit() else pwd.getpwnam(name)
        return True
    except (KeyError, ValueError, OverflowError):
        return name.isdigit()  # a numeric id needs no passwd entry


def _group_exists(name):
    try:
        grp.getgrgid(int(name)) if name.isdigit() else grp.getgrnam(name)
        return True
    except (KeyError, ValueError, OverflowError):
        return name.isdigit()


# ---------------------------------------------------------------- the export


def export(client, spec, check_mode=False, workdir=None, move=os.replace, backup=F.copy_backup,
           attributes=None, clock=time.monotonic, now=time.time):
    """`attributes(path, changed) -> changed`: applies the file options (mode, owner, ...) to a file
    in dest; None leaves them as created."""
    started = clock()
    fmt = F.csv_format(spec.dialect, spec.delimiter)
    out = P.plan_paths(spec.dest, spec.file_names, spec.outputs(), spec.metrics_path)
    P.check_paths(out)
    paths = out.files
    if "xlsx" in spec.formats and not F.HAS_OPENPYXL:
        raise SotNetboxError("the Python library 'openpyxl' is required for the xlsx format; install it "
                             "or leave xlsx out of formats")

    object_types = [OBJECT_FILTERS[o][0] for o in OBJECT_FILTERS if spec.filters.get(o)]
    lookups = Lookups(client).load("contact_role", "custom_field", *object_types)
    catalog = Catalog.build(lookups.table("custom_field").rows, lookups.table("contact_role").rows)
    columns = select_columns(catalog, spec.columns, spec.custom_fields)
    kinds = _kinds_needed(spec.formats)
    resolve_filters(client, lookups, spec)
    for kind in kinds:
        check_request_line(client, spec, kind, api_fields(columns, kind))
    if spec.validate_filters:
        _validate_filter_names(client, spec, catalog, kinds)

    if check_mode:
        spool_dir = tempfile.mkdtemp(prefix="sot-export-", dir=workdir)
    else:  # every check passed: only now is anything created in dest
        P.make_dirs(out)
        F.remove_stale_spools(spec.dest)
        spool_dir = spec.dest
    # No workbook yet (first export): it will be written, so fill it while the pages arrive.
    stream_workbook = "workbook" in paths and not check_mode and not (
        os.path.exists(paths["workbook"]) and F.read_manifest(spec.dest).get("workbook"))
    temps, streamed = [], None
    try:
        streamed = _fetch_and_spool(client, spec, columns, kinds, fmt, spool_dir, temps, stream_workbook)
        outcomes = _compare(spec, paths, fmt, streamed)
        manifest_changed = False
        if not check_mode:
            _render_workbook_if_needed(spec, outcomes, fmt, streamed, spool_dir, temps)
            manifest_changed = _commit(spec, outcomes, move, backup)
        attributes_changed = _apply_attributes(attributes, outcomes, out.manifest, check_mode)
        result = _result(spec, outcomes, streamed, check_mode, manifest_changed or attributes_changed)
    finally:
        if streamed is not None and streamed.workbook is not None:
            streamed.workbook.discard()  # a no-op after save
        for spool in (streamed.all_spools if streamed is not None else []):
            spool.close()
        for temp in temps:
            temp.release()
        if check_mode:
            shutil.rmtree(spool_dir, ignore_errors=True)
    seconds = clock() - started
    result["totals"]["seconds"] = round(seconds, 3)
    if out.metrics and not check_mode:
        text = F.prometheus_text(seconds, client.metrics.to_dict()["requests"],
                                 {k: v["rows"] for k, v in result["files"].items()},
                                 result["totals"]["files_changed"], now())
        F.write_text_atomic(out.metrics, text, move)
        result["metrics_path"] = out.metrics
    return result


def _apply_attributes(attributes, outcomes, manifest, check_mode):
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


def resolve_filters(client, lookups, spec):
    """Object filters (site, tenant, role, tag, site group) by name, slug or id -> ids, so every
    spelling exports the same objects. A value not in a (possibly cached) table is looked for again
    in a fresh read of that table before it is an error; every unknown value is reported at once."""
    errors = []
    for option, (type_name, _param) in OBJECT_FILTERS.items():
        values = spec.filters.get(option)
        if not values:
            continue
        table = lookups.table(type_name)
        rows = _find_all(table, values)
        if any(row is None for row in rows):
            rec = record(type_name)
            table = LookupTable(rec, client.list(rec.endpoint, None, cache=None, fields=list(rec.fields)))
            rows = _find_all(table, values)
        ids = []
        for i, (value, row) in enumerate(zip(values, rows)):
            if isinstance(row, str):
                errors.append(FieldError(f"{option}[{i}]", row, value))
            elif row is None:
                known = ", ".join(sorted(str(n) for n in table.names())[:10]) or "none"
                errors.append(FieldError(f"{option}[{i}]", f"no {table.type.title} with this name, slug or id in "
                                         f"NetBox (known: {known}{' ...' if len(table.rows) > 10 else ''})", value))
            else:
                ids.append(row["id"])
        spec.object_ids[option] = sorted(set(ids))
    if errors:
        raise ValidationErrors(errors)


def _find_all(table, values):
    """Per value: its row, None when absent, or the text of an ambiguity."""
    rows = []
    for value in values:
        try:
            rows.append(table.find(value.strip()))
        except SotNetboxError as exc:
            rows.append(exc.message)
    return rows


def check_request_line(client, spec, kind, fields):
    """NetBox's server answers HTTP 414 to a request line over MAX_REQUEST_LINE bytes: refuse such
    filters before any request, naming the option that takes the most room."""
    path = urlparse(client.url_for(ENDPOINTS[kind])).path
    sources = spec.param_sources(kind)
    extra = {"fields": ",".join(fields), "limit": 1000, "offset": 10 ** 9}
    query = urlencode([*((p, v) for _o, p, v in sources), *extra.items()], doseq=True)
    length = len(f"GET {path}?{query} HTTP/1.1")
    if length <= MAX_REQUEST_LINE or not sources:
        return
    sizes = {}
    for option, param, value in sources:
        sizes[option] = sizes.get(option, 0) + len(urlencode([(param, value)], doseq=True))
    option = max(sizes, key=sizes.get)
    value = next(v for o, _p, v in sources if o == option)
    raise InputError(option, value if len(str(value)) <= 200 else f"<{len(str(value))} characters>",
                     f"the filters make a {length}-byte request to {ENDPOINTS[kind]}; NetBox's server accepts "
                     f"{MAX_REQUEST_LINE} (it would answer HTTP 414). This option takes {sizes[option]} bytes: "
                     "use fewer or shorter values, or a broader filter (for example site_group instead of many sites)")


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
    all_spools: list = field(default_factory=list)  # every spool opened, closed on the way out


def _fetch_and_spool(client, spec, columns, kinds, fmt, spool_dir, temps, stream_workbook=False):
    """Devices, VMs and contact assignments at once; rows go straight to the spools (and, when
    `stream_workbook`, to the workbook's sheets, so rendering it overlaps the network waits)."""
    layout = {"merged": columns, "devices": columns_for(columns, DEVICE), "virtual_machines": columns_for(columns, VM)}
    sheets = [F.Sheet(key, title, [c.header for c in layout[key]], [c.numeric for c in layout[key]],
                      [c.width for c in layout[key]]) for title, key in SHEETS]
    workbook = F.WorkbookWriter(sheets) if stream_workbook else None
    spools = []

    def temp(tag):
        handle = F.make_temp(spool_dir, tag)
        temps.append(handle)
        return handle.path

    def spool(name, cols, write_header=True, output=None):
        s = F.CsvSpool(temp(name), [c.header for c in cols], fmt, write_header, safe=output in spec.spreadsheet_safe)
        spools.append(s)
        return s

    out = {"merged": spool("merged", columns, output="merged"),
           "devices": spool("devices", layout["devices"], output="devices"),
           "virtual_machines": spool("vms", layout["virtual_machines"], output="virtual_machines")}
    tail = spool("merged-vms", columns, write_header=False)  # raw: the merged file's VM part
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
        for s in spools:
            s.close()
        raise
    tail.close()
    out["merged"].append_spool(tail)
    if workbook is not None:
        workbook.append_csv("merged", tail.path, fmt, has_header=False)
    for s in spools:
        s.close()
    return Streamed(spools=out, sheets=sheets, counts={k: counts.get(k, 0) for k in KINDS}, workbook=workbook,
                    all_spools=spools)


def own_key(kind):
    return "devices" if kind == DEVICE else "virtual_machines"


def _filter_error(spec, kind, exc):
    """A 400 on a list request means a filter value NetBox does not accept: name the option."""
    problems = []
    by_param = {param: (option, value) for option, param, value in spec.param_sources(kind)}
    for name, messages in (exc.fields.items() if isinstance(exc.fields, dict) else []):
        option, value = by_param.get(name, (name, None))
        text = " ".join(messages) if isinstance(messages, list) else str(messages)
        problems.append((option, value, text))
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
    attributes_changed: bool = False  # mode/owner/... changed (content maybe not)


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
    # NetBox's values (not the spreadsheet-safe CSV's) identify what the workbook holds.
    source = F.workbook_source(streamed.spools["merged"].source_sha256, streamed.sheets)
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


def _render_workbook_if_needed(spec, outcomes, fmt, streamed, spool_dir, temps):
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
        F.render_workbook(tmp, [(sheet, streamed.spools[sheet.key].path, streamed.spools[sheet.key].escaped)
                                for sheet in streamed.sheets], fmt, outcome.source_sha256)
    outcome.tmp = tmp
    outcome.sha256 = F.sha256_file(tmp)
    outcome.bytes = os.path.getsize(tmp)


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
        return F.write_text_if_changed(os.path.join(spec.dest, F.MANIFEST), text, move)
    except OSError as exc:
        raise SotNetboxError(f"writing the export into {spec.dest} failed: {exc}; files already replaced: "
                             f"{', '.join(moved) or 'none'} (the others keep their previous content)",
                             result={"changed": bool(moved), "moved": moved}) from exc


def _result(spec, outcomes, streamed, check_mode, manifest_changed):
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
