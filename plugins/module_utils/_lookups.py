# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Name -> id resolution in one place, from bulk-fetched lookup tables. PRIVATE to the collection.

A table is one paginated, cached read of the type's endpoint with only the fields a lookup needs;
never one GET per reference. Tables load concurrently, and come from the persistent cache when a
previous task already read them.

Every documented way to name an object (each key of its record, e.g. name or slug, a VRF's RD, or
its numeric id) resolves to the same row: callers compare the resolved ids, and take names they
derive (a VLAN group's name) from the row, never from the user's spelling. A name that a cached
table does not know is looked up once more in a fresh read of that table (the object may have been
created since), and a TTL of 0 for the table's kind means no cache at all, not even old entries.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any, Callable, Collection, Iterable

from ansible_collections.sot.netbox.plugins.module_utils._digits import ascii_digits
from ansible_collections.sot.netbox.plugins.module_utils._errors import LookupFailed, SotNetboxError
from ansible_collections.sot.netbox.plugins.module_utils._records import ObjectType, record

SLUG_MAX = 100                      # NetBox's slug fields are 100 characters
_SLUG_INVALID = re.compile(r"[^a-z0-9_-]+")
_SLUG_HASH = 8                      # hex digits of the stable suffix for names ASCII cannot spell


def slugify(name: Any, taken: Collection[str] = (), max_length: int = SLUG_MAX) -> str:
    """A slug NetBox accepts (ASCII letters, digits, '-' and '_'; Django's validate_slug) for `name`.

    Accents fold to ASCII (`Zürich` -> `zurich`). A name ASCII cannot spell exactly (any non-ASCII
    character: `Ελλάδα`, `日本`, also `Zürich`, which would otherwise collide with `Zurich`) gets a
    stable suffix from a hash of the exact name, so two different names never share a slug by
    folding. A slug in `taken` (slugs already used by other objects in the same uniqueness scope)
    gets the suffix too, deterministically."""
    text = str(name)
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    base = _SLUG_INVALID.sub("-", folded.lower()).strip("-")
    suffix = hashlib.sha256(text.encode("utf-8")).hexdigest()[:_SLUG_HASH]
    plain = base[:max_length].strip("-")
    if plain and text.isascii() and plain not in taken:
        return plain
    head = base[:max_length - _SLUG_HASH - 1].strip("-")
    return f"{head}-{suffix}" if head else f"x-{suffix}"


def key_value(obj: dict, key: str) -> Any:
    """Dotted keys combine fields: 'app_label.model' -> 'dcim.device'."""
    if "." in key:
        return ".".join(str(obj.get(part, "")) for part in key.split("."))
    return obj.get(key)


class LookupTable:
    def __init__(self, object_type: ObjectType, rows: Iterable[dict], fresh: bool = False) -> None:
        self.type = object_type
        self.rows = list(rows)
        self.fresh = fresh           # read from NetBox in this run (not from the persistent cache)
        self.by_id = {r["id"]: r for r in self.rows}
        self._index = {}
        for key in object_type.keys:
            for row in self.rows:
                value = key_value(row, key)
                if value not in (None, ""):
                    self._index.setdefault((key, str(value)), []).append(row)

    def find(self, value: Any) -> dict | None:
        """The row named `value` by any key (or its numeric id); None when absent."""
        for key in self.type.keys:
            rows = self._index.get((key, str(value)), [])
            if len(rows) == 1:
                return rows[0]
            if len(rows) > 1:
                ids = ", ".join(str(r["id"]) for r in rows)
                raise SotNetboxError(f"{self.type.title} {value!r} is ambiguous: {len(rows)} objects match "
                                     f"(ids {ids}); name it by another key ({', '.join(self.type.keys)}) or by id")
        if (isinstance(value, int) and not isinstance(value, bool)) or (isinstance(value, str) and ascii_digits(value)):
            return self.by_id.get(int(value))
        return None

    def names(self) -> list:
        return [key_value(r, self.type.keys[0]) for r in self.rows]


class Lookups:
    """Lookup tables for one run, loaded on demand in bulk.

    `fresh=True` never reads the persistent cache (a retry after NetBox rejected a cached id)."""

    def __init__(self, client: Any, fresh: bool = False) -> None:
        self.client = client
        self.fresh = fresh
        self._tables = {}

    def load(self, *type_names: str, params: dict | None = None) -> Lookups:
        """Fetch the named tables not loaded yet, concurrently."""
        missing = [n for n in dict.fromkeys(type_names) if n not in self._tables]
        calls = {n: self._fetcher(n, params) for n in missing}
        for name, rows in self.client.fetch_concurrently(calls).items():
            self._tables[name] = LookupTable(record(name), rows, fresh=self._cache_kind(name) is None)
        return self

    def _cache_kind(self, name: str) -> str | None:
        """The cache TTL kind to read the table with; None for no cache (fresh, or its TTL is 0)."""
        cache = getattr(self.client, "cache", None)
        kind = record(name).kind
        if self.fresh or cache is None or getattr(cache, "ttls", {}).get(kind, 1) <= 0:
            return None
        return kind

    def _fetcher(self, name: str, params: dict | None) -> Callable[[], list]:
        rec = record(name)
        kind = self._cache_kind(name)
        return lambda: self.client.list(rec.endpoint, params, cache=kind, fields=list(rec.fields))

    def refresh(self, type_name: str) -> LookupTable:
        """Read the table again from NetBox (not the cache), and drop its cached copies for every
        later reader: generation-based invalidation of its endpoint."""
        rec = record(type_name)
        cache = getattr(self.client, "cache", None)
        if cache is not None:
            cache.invalidate(rec.endpoint)
        rows = self._fetcher(type_name, None)()    # a miss now (new generation); stored for later readers
        self._tables[type_name] = LookupTable(rec, rows, fresh=True)
        return self._tables[type_name]

    def table(self, type_name: str) -> LookupTable:
        if type_name not in self._tables:
            self.load(type_name)
        return self._tables[type_name]

    def find(self, type_name: str, value: Any) -> dict | None:
        """The row for `value`, or None; a miss in a table from the cache re-reads it once."""
        table = self.table(type_name)
        row = table.find(value)
        if row is None and not table.fresh:
            row = self.refresh(type_name).find(value)
        return row

    def get(self, type_name: str, value: Any, field: str | None = None) -> dict:
        """The row for `value`; LookupFailed naming the type, the value and what exists."""
        row = self.find(type_name, value)
        if row is None:
            table = self.table(type_name)
            what = f"{table.type.title}" + (f" (option {field})" if field else "")
            raise LookupFailed(what, value, known=table.names())
        return row

    def id_of(self, type_name: str, value: Any, field: str | None = None) -> int | None:
        if value is None or value == "":
            return None
        return self.get(type_name, value, field)["id"]

    def canonical(self, type_name: str, value: Any, field: str | None = None) -> tuple[Any, Any]:
        """(id, name) of the object `value` names by any key: the name as NetBox spells it."""
        if value is None or value == "":
            return None, None
        row = self.get(type_name, value, field)
        return row["id"], key_value(row, record(type_name).keys[0])

    def name_of(self, type_name: str, obj_id: int | None) -> Any:
        """For diffs: ids become names."""
        if obj_id is None:
            return None
        row = self.table(type_name).by_id.get(obj_id)
        return key_value(row, record(type_name).keys[0]) if row else f"#{obj_id}"
