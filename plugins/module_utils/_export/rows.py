# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Export rows: columns, contacts grouped by role, custom fields, the `columns` option.

PRIVATE to the collection. Pure: plain dicts in, lists of strings out; no I/O, no Ansible.
"""
from __future__ import annotations

import re
from collections.abc import Container, Iterable
from dataclasses import dataclass
from typing import Any, Callable

from ansible_collections.sot.netbox.plugins.module_utils._errors import InputError, ValidationErrors

DEVICE = "device"
VM = "virtual_machine"
KINDS = (DEVICE, VM)
OBJECT_TYPES = {DEVICE: "dcim.device", VM: "virtualization.virtualmachine"}
KIND_OF_OBJECT_TYPE = {v: k for k, v in OBJECT_TYPES.items()}
# Contacts of one role on one object, in this order: primary first, then by name.
_PRIORITY_RANK = {"primary": 0, "secondary": 1, "tertiary": 2, "inactive": 3}


def _name(obj: Any) -> Any:
    return obj.get("name") if isinstance(obj, dict) else obj


def _path(*keys: str) -> Callable[[Any], Any]:
    """An extractor following nested keys: _path('device_type', 'manufacturer', 'name')."""
    def get(obj: Any) -> Any:
        for key in keys:
            if not isinstance(obj, dict):
                return None
            obj = obj.get(key)
        return obj
    return get


def _choice(key: str) -> Callable[[dict], Any]:
    return lambda obj: (obj.get(key) or {}).get("value") if isinstance(obj.get(key), dict) else obj.get(key)


def _address(key: str) -> Callable[[dict], Any]:
    return lambda obj: (obj.get(key) or {}).get("address")


def _tags(obj: dict) -> list[str]:
    return sorted(_name(t) or "" for t in obj.get("tags") or [])


@dataclass(frozen=True)
class Source:
    """One exportable field: where its value comes from and which object kinds have it."""
    key: str
    fields: tuple           # API fields it needs (for `fields=`)
    kinds: tuple = KINDS    # object kinds that have it
    get: object = None      # obj -> value; None means obj[key]
    numeric: bool = False   # written as a number in the workbook
    width: int = 14         # workbook column width (characters)

    def value(self, obj: dict) -> Any:
        return self.get(obj) if self.get else obj.get(self.key)


_BOTH, _DEV, _VM = KINDS, (DEVICE,), (VM,)
SOURCES = {s.key: s for s in (
    Source("id", ("id",), numeric=True, width=8),
    Source("name", ("name",), width=28),
    Source("type", (), width=16),  # the object kind; build_row fills it
    Source("status", ("status",), get=_choice("status")),
    Source("role", ("role",), get=_path("role", "name"), width=16),
    Source("tenant", ("tenant",), get=_path("tenant", "name"), width=16),
    Source("site", ("site",), get=_path("site", "name")),
    Source("location", ("location",), _DEV, get=_path("location", "name"), width=16),
    Source("rack", ("rack",), _DEV, get=_path("rack", "name"), width=10),
    Source("position", ("position",), _DEV, numeric=True, width=10),
    Source("platform", ("platform",), get=_path("platform", "name")),
    Source("manufacturer", ("device_type",), _DEV, get=_path("device_type", "manufacturer", "name"), width=16),
    Source("device_type", ("device_type",), _DEV, get=_path("device_type", "model"), width=22),
    Source("serial", ("serial",), width=16),
    Source("asset_tag", ("asset_tag",), _DEV),
    Source("primary_ip4", ("primary_ip4",), get=_address("primary_ip4"), width=20),
    Source("primary_ip6", ("primary_ip6",), get=_address("primary_ip6"), width=30),
    Source("oob_ip", ("oob_ip",), _DEV, get=_address("oob_ip"), width=20),
    Source("cluster", ("cluster",), get=_path("cluster", "name"), width=16),
    Source("device", ("device",), _VM, get=_path("device", "name"), width=24),
    Source("vcpus", ("vcpus",), _VM, numeric=True, width=8),
    Source("memory", ("memory",), _VM, numeric=True, width=10),
    Source("disk", ("disk",), _VM, numeric=True, width=10),
    Source("tags", ("tags",), get=_tags, width=24),
    Source("description", ("description",), width=36),
    Source("comments", ("comments",), width=40),
    Source("url", ("display_url",), get=lambda obj: obj.get("display_url"), width=50),
)}

DEFAULT_FIELDS = ("name", "type", "status", "role", "tenant", "site", "location", "rack", "platform", "manufacturer",
                  "device_type", "serial", "asset_tag", "primary_ip4", "primary_ip6", "cluster", "vcpus", "memory",
                  "disk", "tags", "description", "comments")
CF_PREFIX = "cf_"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # not in a header: CSV readers and the workbook's table need one line
CONTACT_PREFIX = "contact_"


def contact_key(role_slug: str) -> str:
    return CONTACT_PREFIX + re.sub(r"[^0-9a-zA-Z]+", "_", role_slug).strip("_").lower()


@dataclass(frozen=True)
class Column:
    field: str      # a SOURCES key, cf_<custom field>, or contact_<role slug with _>
    header: str
    kinds: tuple
    numeric: bool = False
    width: int = 14     # workbook column width hint
    custom_field: str = ""
    role: str = ""  # contact role slug

    def applies_to(self, kind: str) -> bool:
        return kind in self.kinds


@dataclass(frozen=True)
class Catalog:
    """What can be exported from this NetBox: built-in sources, custom fields, contact roles."""
    custom_fields: dict   # name -> tuple of kinds it applies to
    roles: tuple          # contact role slugs, in name order
    role_names: dict      # slug -> name

    @classmethod
    def build(cls, custom_field_rows: Iterable[dict], role_rows: Iterable[dict]) -> Catalog:
        cfs = {}
        for row in custom_field_rows:
            kinds = tuple(k for k in KINDS if OBJECT_TYPES[k] in (row.get("object_types") or []))
            if kinds:
                cfs[row["name"]] = kinds
        roles = sorted(role_rows, key=lambda r: (r.get("name") or "", r.get("slug") or ""))
        return cls(custom_fields=dict(sorted(cfs.items())), roles=tuple(r["slug"] for r in roles),
                   role_names={r["slug"]: r.get("name") or r["slug"] for r in roles})

    def column(self, field: str, header: str | None = None) -> Column | None:
        """The Column for a field name, or None when this NetBox has no such field."""
        if field in SOURCES:
            src = SOURCES[field]
            kinds = KINDS if field == "type" else src.kinds
            return Column(field, header or field, kinds, src.numeric, src.width)
        if field.startswith(CF_PREFIX) and field[len(CF_PREFIX):] in self.custom_fields:
            name = field[len(CF_PREFIX):]
            return Column(field, header or field, self.custom_fields[name], width=18, custom_field=name)
        for slug in self.roles:
            if contact_key(slug) == field:
                return Column(field, header or field, KINDS, width=24, role=slug)
        return None

    def known_fields(self) -> list[str]:
        return (list(SOURCES) + [CF_PREFIX + n for n in self.custom_fields]
                + [contact_key(s) for s in self.roles])


def select_columns(catalog: Catalog, columns: list | None = None, custom_fields: list | None = None) -> list[Column]:
    """The export's columns, from the `columns` and `custom_fields` options, validated together.

    `columns` None: the default layout (DEFAULT_FIELDS, then the custom fields, then one column per
    contact role). Otherwise each entry is a field name or {field, header}; order is kept.
    """
    errors = []
    if custom_fields is None:
        cf_names = list(catalog.custom_fields)
    else:
        cf_names = []
        for name in custom_fields:
            if name in catalog.custom_fields:
                cf_names.append(name)
            else:
                errors.append(f"custom_fields: no custom field {name!r} on devices or virtual machines "
                              f"(known: {', '.join(catalog.custom_fields) or 'none'})")
    if columns is None:
        entries = ([{"field": f} for f in DEFAULT_FIELDS] + [{"field": CF_PREFIX + n} for n in cf_names]
                   + [{"field": contact_key(s)} for s in catalog.roles])
    else:
        entries = [_entry(c, i, errors) for i, c in enumerate(columns)]
    result, headers = [], set()
    for entry in entries:
        if entry is None:
            continue
        column = catalog.column(entry["field"], entry.get("header"))
        if column is None:
            errors.append(f"columns: unknown field {entry['field']!r}; known: {', '.join(catalog.known_fields())}")
            continue
        if column.header in headers:
            errors.append(f"columns: header {column.header!r} appears twice")
            continue
        headers.add(column.header)
        result.append(column)
    if not result and not errors:
        errors.append("columns: at least one column is required")
    if errors:
        raise ValidationErrors(errors)
    return result


def _entry(column: Any, index: int, errors: list[str]) -> dict | None:
    if isinstance(column, str) and column:
        return {"field": column}
    if isinstance(column, dict) and isinstance(column.get("field"), str) and column["field"]:
        unknown = set(column) - {"field", "header"}
        if unknown:
            errors.append(f"columns[{index}]: unknown keys {sorted(unknown)}; use field and header")
            return None
        header = column.get("header")
        if header is not None and (not isinstance(header, str) or not header.strip()):
            errors.append(f"columns[{index}].header: must be a non-empty string (got {header!r})")
            return None
        if header is not None and _CONTROL.search(header):
            errors.append(f"columns[{index}].header: must not contain NUL, line breaks or other control "
                          f"characters (got {header!r})")
            return None
        return {"field": column["field"], "header": header}
    errors.append(f"columns[{index}]: must be a field name or a dict with field (and header), got {column!r}")
    return None


def columns_for(columns: Iterable[Column], kind: str) -> list[Column]:
    """The columns of one kind's own file: those that apply to the kind; `type` only in the merged file."""
    return [c for c in columns if c.applies_to(kind) and c.field != "type"]


def api_fields(columns: Iterable[Column], kind: str) -> list[str]:
    """The `fields=` for one kind's list request: only what the columns need."""
    wanted = {"id", "name"}
    for col in columns:
        if not col.applies_to(kind):
            continue
        if col.custom_field:
            wanted.add("custom_fields")
        elif not col.role:
            wanted.update(SOURCES[col.field].fields)
    return sorted(wanted)


class ContactIndex:
    """Contact names by object and role, from contact assignments (each with nested contact and role)."""

    def __init__(self) -> None:
        self._by_object: dict = {}

    @classmethod
    def from_assignments(cls, assignments: Iterable[dict]) -> ContactIndex:
        index = cls()
        for assignment in assignments:
            index.add(assignment)
        return index.freeze()

    def add(self, assignment: dict) -> None:
        kind = KIND_OF_OBJECT_TYPE.get(assignment.get("object_type"))
        contact, role = assignment.get("contact") or {}, assignment.get("role") or {}
        if kind is None or not contact.get("name"):
            return
        priority = assignment.get("priority")
        priority = priority.get("value") if isinstance(priority, dict) else priority
        roles = self._by_object.setdefault((kind, assignment.get("object_id")), {})
        roles.setdefault(role.get("slug") or "", []).append((_PRIORITY_RANK.get(priority, 4), contact["name"]))

    def freeze(self) -> ContactIndex:
        for roles in self._by_object.values():
            for slug, entries in roles.items():
                roles[slug] = tuple(dict.fromkeys(entry[1] for entry in sorted(entries)))
        return self

    def names(self, kind: str, object_id: Any, role_slug: str) -> tuple:
        return self._by_object.get((kind, object_id), {}).get(role_slug, ())

    def __len__(self) -> int:
        return len(self._by_object)


def format_value(value: Any, separator: str) -> str:
    """One cell: '' for None, names for nested objects, integral floats without '.0', lists joined."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict):
        for key in ("name", "display", "value", "address", "model"):
            if value.get(key) is not None:
                return str(value[key])
        return ""
    if isinstance(value, (list, tuple)):
        return separator.join(format_value(v, separator) for v in value)
    return str(value)


def build_row(obj: dict, kind: str, columns: Iterable[Column], contacts: ContactIndex,
              separator: str = ", ") -> list[str]:
    """One CSV row (list of strings) for a device or VM as NetBox returned it."""
    row = []
    for col in columns:
        if not col.applies_to(kind):
            row.append("")
        elif col.field == "type":
            row.append(kind)
        elif col.custom_field:
            row.append(format_value((obj.get("custom_fields") or {}).get(col.custom_field), separator))
        elif col.role:
            row.append(separator.join(contacts.names(kind, obj.get("id"), col.role)))
        else:
            row.append(format_value(SOURCES[col.field].value(obj), separator))
    return row


def check_filter_names(option: str, names: Iterable[str], endpoint: str, known: Container[str],
                       custom_fields: Container[str]) -> None:
    """Free-form filter names NetBox would silently ignore: InputError naming the first bad one.

    `known` is the set of filter names the endpoint's OpenAPI schema lists; `cf_<name>` (with an
    optional `__lookup`) is valid for a custom field of that object type.
    """
    for name in names:
        base = name.split("__", 1)[0]
        if name in known or (base.startswith(CF_PREFIX) and base[len(CF_PREFIX):] in custom_fields):
            continue
        raise InputError(f"{option}.{name}", name,
                         f"{endpoint} has no such filter; NetBox would silently ignore it and export "
                         "everything. Check the name against NetBox's API schema (/api/schema/)")
