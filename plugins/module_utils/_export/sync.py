# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""netbox_export's delta sync, the I/O side: the cached result and its change watermark, the change-log read
(through the shared `_changes` mechanism), the re-reads by id, the new cache entry. PRIVATE to the collection.

The cached result is two entries in the client's response cache (SQLite file or Redis, keyed by NetBox URL and
token fingerprint; here also by every option that shapes the rows): a small head (watermark, the files'
checksums and the result) and the body (rows and contact assignments). An unchanged NetBox reads only the
head: one change-log request, then the result is the cached one if the files in dest are still the ones it
names.
"""
from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from ansible_collections.sot.netbox.plugins.module_utils._changes import (
    UNREADABLE, Watermark, load_result, read_changes, read_watermark, store_result)
from ansible_collections.sot.netbox.plugins.module_utils._export import delta as D
from ansible_collections.sot.netbox.plugins.module_utils._export.rows import KINDS, OBJECT_TYPES, ContactIndex, api_fields, build_row
from ansible_collections.sot.netbox.plugins.module_utils._export.spec import ENDPOINTS, OBJECT_FILTERS
from ansible_collections.sot.netbox.plugins.module_utils._inventory.delta import needs_order
from ansible_collections.sot.netbox.plugins.module_utils._records import record

if TYPE_CHECKING:  # pragma: no cover
    from ansible_collections.sot.netbox.plugins.module_utils._client import NetboxClient
    from ansible_collections.sot.netbox.plugins.module_utils._export.spec import ExportSpec
    from ansible_collections.sot.netbox.plugins.module_utils._metrics import Metrics

CACHE_FORMAT = 1
ASSIGNMENTS = record("contact_assignment").path()
ASSIGNMENT_FIELDS = ("id", "object_type", "object_id", "contact", "role", "priority")
UNREADABLE_WARNING = ("delta sync off: NetBox's change log cannot be read ({reason}); every run reads everything. "
                      "Give the token the view permission on core > object change, or set delta_sync: false")


@dataclass
class Sync:
    """Which path this run takes and what it starts from."""
    path: str = "full"                  # full | delta | unchanged
    key: str = ""                       # cache key of the head ('' : no caching of the result)
    head: dict | None = None                   # the cached head (delta, unchanged)
    body: dict | None = None                   # rows and assignments the export is written from (delta)
    watermark: Watermark | None = None         # to store with the result (None: store nothing)
    stats: dict = field(default_factory=dict)

    def note(self, metrics: Metrics) -> None:
        metrics.note("sync", self.path)
        for name, value in self.stats.items():
            metrics.note(name, value)


def fingerprint(spec: ExportSpec, columns: list) -> str:
    """Every option that shapes the rows or the files (URL and token are the cache's own namespace)."""
    parts = [spec.dest, spec.formats, sorted(spec.file_names.items()), sorted((k, repr(v)) for k, v in spec.filters.items()),
             [repr(c) for c in columns], spec.dialect, spec.delimiter, spec.list_separator, spec.spreadsheet_safe]
    return hashlib.sha256(json.dumps(parts, default=repr).encode()).hexdigest()


RESULT_NAMESPACE = "export-result"   # the cached export results (head and body), under their own generation


def begin(client: NetboxClient, spec: ExportSpec, columns: list, kinds: tuple) -> Sync:
    """The cached result brought up to date from the change log, or a full read (with a new watermark)."""
    cache = getattr(client, "cache", None)
    if cache is None or not spec.delta_sync:
        return Sync(stats={"fallback": "delta sync off" if cache is not None else "cache off"})
    key = cache.key(RESULT_NAMESPACE, fingerprint(spec, columns), cache.generation(RESULT_NAMESPACE))
    head = None if spec.flush_cache else load_result(cache, key)
    previous = Watermark.from_dict(head.get("watermark")) if _valid(head) else None
    if previous is None:
        return _full(client, key, {"fallback": "flushed" if spec.flush_cache else "no cached result"})
    found = read_changes(client, previous, D.watched_types(), max_age=spec.max_age)
    stats = {"change_records_read": found.records_read}
    if found.fallback:
        return _full(client, key, dict(stats, fallback=found.fallback))
    if not found.changes:
        return Sync("unchanged", key, head, None, found.watermark, stats)
    body = load_result(cache, head["body_key"])
    if not (isinstance(body, dict) and body.get("serial") == head.get("serial")):
        return _full(client, key, dict(stats, fallback="the cached rows are gone"))
    stats["changes"] = len(found.changes)
    return _delta(client, spec, columns, kinds, Sync("delta", key, head, body, found.watermark, stats), found.changes)


def _valid(head: object) -> bool:
    return isinstance(head, dict) and head.get("format") == CACHE_FORMAT and isinstance(head.get("body_key"), str)


def _full(client: NetboxClient, key: str, stats: dict) -> Sync:
    """A full read; its watermark is read first, so a change made while it reads is seen next time."""
    try:
        return Sync("full", key, watermark=read_watermark(client, D.watched_types()), stats=stats)
    except UNREADABLE as exc:
        client.warn(UNREADABLE_WARNING.format(reason=f"{record('object_change').path()}: {exc.message}"))
        return Sync("full", "", stats=dict(stats, fallback="the change log cannot be read"))


def _delta(client: NetboxClient, spec: ExportSpec, columns: list, kinds: tuple, sync: Sync, changes: tuple) -> Sync:
    filtered = any(spec.filters.get(o) for o in (*OBJECT_FILTERS, "filters", "device_filters", "vm_filters"))
    plan = D.plan_rereads(changes, sync.body, filtered)
    if plan.full:
        return _full(client, sync.key, dict(sync.stats, fallback=plan.full))
    assignments, touched = sync.body["assignments"], {k: set() for k in KINDS}
    if plan.assignments and any(c.role for c in columns):  # contacts shown: their assignments matter
        fresh = client.list_by(ASSIGNMENTS, "id", sorted(plan.assignments), params=assignment_params(kinds),
                               fields=list(ASSIGNMENT_FIELDS))
        assignments, touched = D.merge_assignments(assignments, plan.assignments, fresh)
    index = ContactIndex.from_assignments(assignments)
    rows, reread = dict(sync.body["rows"]), 0
    for kind in kinds:
        ids = sorted(plan.objects[kind] | touched[kind])
        if not ids:
            continue
        fresh = [D.entry(obj, build_row(obj, kind, columns, index, spec.list_separator)) for obj in
                 client.list_by(ENDPOINTS[kind], "id", ids, params=spec.params_for(kind), fields=api_fields(columns, kind))]
        reread += len(fresh)
        merged, reason = D.merge_rows(rows.get(kind) or [], ids, fresh)
        if needs_order(reason):  # a new or renamed object: NetBox's order of ids places it
            order = [o["id"] for o in client.iter_all(ENDPOINTS[kind], spec.params_for(kind), fields=["id"])]
            merged, reason = D.merge_rows(rows.get(kind) or [], ids, fresh, order)
        if reason:
            return _full(client, sync.key, dict(sync.stats, fallback=reason))
        rows[kind] = merged
    sync.stats["objects_reread"] = reread
    sync.body = {"rows": rows, "assignments": assignments}
    return sync


def assignment_params(kinds: tuple) -> dict:
    return {"object_type": [OBJECT_TYPES[k] for k in kinds]}


def with_body(client: NetboxClient, sync: Sync) -> Sync:
    """An unchanged result whose files must be written again: from the cached rows (or a full read)."""
    body = load_result(getattr(client, "cache", None), sync.head["body_key"])
    if not (isinstance(body, dict) and body.get("serial") == sync.head.get("serial")):
        return _full(client, sync.key, dict(sync.stats, fallback="the cached rows are gone"))
    sync.body = body
    return sync


def files_intact(head: dict, sha256_file: Callable[[str], str | None]) -> bool:
    """The files in dest are the ones the cached result names (nobody edited or removed one)."""
    files = (head.get("result") or {}).get("files") or {}
    return bool(files) and all(sha256_file(f["path"]) == f["sha256"] for f in files.values())


def finish(client: NetboxClient, sync: Sync, result: dict, body: dict | None) -> None:
    """Keep the result with its watermark: the body only when its rows changed (a new serial)."""
    cache = getattr(client, "cache", None)
    if cache is None or not sync.key or sync.watermark is None:
        return
    head = sync.head if sync.path == "unchanged" and sync.head else None
    if head is not None and Watermark.from_dict(head.get("watermark")) == sync.watermark:
        return  # nothing new: nothing written
    if head is None:
        # One body per head key, its serial in both: a head and a body written by two concurrent runs do not
        # match, and the next run reads everything.
        serial = uuid.uuid4().hex
        body_key = cache.key(RESULT_NAMESPACE, f"{sync.key} body", cache.generation(RESULT_NAMESPACE))
        store_result(cache, body_key, dict(body, serial=serial))
        head = {"format": CACHE_FORMAT, "body_key": body_key, "serial": serial}
    stored = {k: v for k, v in result.items() if k in ("files", "totals", "dest")}
    store_result(cache, sync.key, dict(head, watermark=sync.watermark.to_dict(), result=stored))
