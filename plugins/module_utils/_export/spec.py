# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""netbox_export's options: the ExportSpec and every check that needs no NetBox. PRIVATE to the collection."""
from __future__ import annotations

import grp
import math
import os
import pwd
import re
from dataclasses import dataclass, field

from ansible_collections.sot.netbox.plugins.module_utils._digits import ascii_digits
from ansible_collections.sot.netbox.plugins.module_utils._errors import FieldError, InputError, ValidationErrors
from ansible_collections.sot.netbox.plugins.module_utils._export import files as F
from ansible_collections.sot.netbox.plugins.module_utils._export import paths as P
from ansible_collections.sot.netbox.plugins.module_utils._export.rows import DEVICE, KINDS, VM
from ansible_collections.sot.netbox.plugins.module_utils._records import record

ENDPOINTS = {DEVICE: record("device").path(), VM: record("virtual_machine").path()}
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
    columns: list | None = None
    custom_fields: list | None = None
    dialect: str = "excel"
    delimiter: str | None = None
    list_separator: str = ", "
    backup: bool = False
    metrics_path: str | None = None
    spreadsheet_safe: tuple = ("merged",)   # CSV outputs whose cells are made spreadsheet-safe
    object_ids: dict = field(default_factory=dict)  # object filter option -> ids, set by resolve_filters
    delta_sync: bool = True     # with a cache: read only what the change log says changed
    max_age: float = 0          # seconds after which a run reads everything anyway (0: never)
    flush_cache: bool = False   # read everything now, and keep that as the new cached result

    def outputs(self) -> list:
        return [out for out, fmt in OUTPUTS.items() if fmt in self.formats]

    def paths(self) -> dict:
        return {out: os.path.join(self.dest, self.file_names[out]) for out in self.outputs()}

    def params_for(self, kind: str) -> dict:
        """The NetBox query parameters of one kind's list request (object filters by id once resolved)."""
        return {param: value for _option, param, value in self.param_sources(kind)}

    def param_sources(self, kind: str) -> list:
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

    def free_filter_names(self, kind: str) -> dict:
        return {option: sorted(self.filters.get(option) or {}) for option, kinds in FREE_FILTER_OPTIONS.items()
                if kind in kinds and self.filters.get(option)}


def spec_from_params(params: dict) -> ExportSpec:
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
        delta_sync=params.get("delta_sync", True) is not False,
        max_age=_max_age(params.get("max_age")),
        flush_cache=bool(params.get("flush_cache")),
    )
    F.csv_format(spec.dialect, spec.delimiter)  # validates both
    P.plan_paths(dest, names, spec.outputs(), spec.metrics_path)  # validates names and metrics_path
    return spec


def _filters(params: dict) -> dict:
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


def _free_filter_problem(name: object, value: object) -> str | None:
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


def _filter_value(value: object) -> str | list:
    """As NetBox reads query values: booleans lowercase, a list repeats the parameter."""
    def one(item: object) -> str:
        return ("true" if item else "false") if isinstance(item, bool) else str(item)
    return [one(v) for v in value] if isinstance(value, list) else one(value)


def _list_separator(value: object) -> str:
    if not isinstance(value, str):
        raise InputError("list_separator", value, "must be a string")
    if "\x00" in value:
        raise InputError("list_separator", value, "must not contain a NUL character")
    return value


def _max_age(value: object) -> float:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise InputError("max_age", value, "must be a number of seconds, 0 or more (0: no limit)")
    return float(value)


def _spreadsheet_safe(value: list | None) -> list:
    value = value or []
    unknown = [v for v in value if v not in CSV_OUTPUTS]
    if unknown:
        raise InputError("spreadsheet_safe", unknown, f"each entry must be one of {', '.join(CSV_OUTPUTS)}")
    return value


_SYMBOLIC_MODE = re.compile(r"^[ugoa]*(?:[-+=][rwxXstugo]*)+$")


def check_file_args(file_args: dict) -> None:
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


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwuid(int(name)) if ascii_digits(name) else pwd.getpwnam(name)
        return True
    except (KeyError, ValueError, OverflowError):
        return ascii_digits(name)  # a numeric id needs no passwd entry


def _group_exists(name: str) -> bool:
    try:
        grp.getgrgid(int(name)) if ascii_digits(name) else grp.getgrnam(name)
        return True
    except (KeyError, ValueError, OverflowError):
        return ascii_digits(name)
