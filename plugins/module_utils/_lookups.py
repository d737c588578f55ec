# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Name -> id resolution in one place, from bulk-fetched lookup tables. PRIVATE to the collection.

A table is one paginated, cached read of the type's endpoint with only the fields a lookup needs;
never one GET per reference. Tables load concurrently, and come from the persistent cache when a
previous task already read them.
"""
from __future__ import annotations

from ansible_collections.sot.netbox.plugins.module_utils._errors import LookupFailed, SotNetboxError
from ansible_collections.sot.netbox.plugins.module_utils._records import record


def key_value(obj, key):
    """Dotted keys combine fields: 'app_label.model' -> 'dcim.device'."""
    if "." in key:
        return ".".join(str(obj.get(part, "")) for part in key.split("."))
    return obj.get(key)


class LookupTable:
    def __init__(self, object_type, rows):
        self.type = object_type
        self.rows = list(rows)
        self.by_id = {r["id"]: r for r in self.rows}
        self._index = {}
        for key in object_type.keys:
            for row in self.rows:
                value = key_value(row, key)
                if value not in (None, ""):
                    self._index.setdefault((key, str(value)), []).append(row)

    def find(self, value):
        """The row named `value` by any key (or its numeric id); None when absent."""
        for key in self.type.keys:
            rows = self._index.get((key, str(value)), [])
            if len(rows) == 1:
                return rows[0]
            if len(rows) > 1:
                ids = ", ".join(str(r["id"]) for r in rows)
                raise SotNetboxError(f"{self.type.title} {value!r} is ambiguous: {len(rows)} objects match "
                                     f"(ids {ids}); name it by another key ({', '.join(self.type.keys)}) or by id")
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            return self.by_id.get(int(value))
        return None

    def names(self):
        return [key_value(r, self.type.keys[0]) for r in self.rows]


class Lookups:
    """Lookup tables for one run, loaded on demand in bulk."""

    def __init__(self, client):
        self.client = client
        self._tables = {}

    def load(self, *type_names, params=None):
        """Fetch the named tables not loaded yet, concurrently."""
        missing = [n for n in dict.fromkeys(type_names) if n not in self._tables]
        calls = {n: self._fetcher(n, params) for n in missing}
        for name, rows in self.client.fetch_concurrently(calls).items():
            self._tables[name] = LookupTable(record(name), rows)
        return self

    def _fetcher(self, name, params):
        rec = record(name)
        return lambda: self.client.list(rec.endpoint, params, cache=rec.kind, fields=list(rec.fields))

    def table(self, type_name):
        if type_name not in self._tables:
            self.load(type_name)
        return self._tables[type_name]

    def get(self, type_name, value, field=None):
        """The row for `value`; LookupFailed naming the type, the value and what exists."""
        table = self.table(type_name)
        row = table.find(value)
        if row is None:
            what = f"{table.type.title}" + (f" (option {field})" if field else "")
            raise LookupFailed(what, value, known=table.names())
        return row

    def id_of(self, type_name, value, field=None):
        if value is None or value == "":
            return None
        return self.get(type_name, value, field)["id"]

    def name_of(self, type_name, obj_id):
        """For diffs: ids become names."""
        if obj_id is None:
            return None
        row = self.table(type_name).by_id.get(obj_id)
        return key_value(row, record(type_name).keys[0]) if row else f"#{obj_id}"
