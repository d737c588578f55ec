# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Executing a FetchPlan with the shared client. PRIVATE to the collection; no Ansible imports.

Devices, VMs and the lookup tables are read at the same time (`fetch_concurrently`), each list's
pages concurrently (`iter_all`), on one pooled session bounded by `max_workers`. Optional data
(tables, interfaces, services) that the token may not read is a warning; hosts are required.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterable, Optional

from ansible_collections.sot.netbox.plugins.module_utils._errors import PermissionDenied
from ansible_collections.sot.netbox.plugins.module_utils._inventory.hostvars import compact, compact_host
from ansible_collections.sot.netbox.plugins.module_utils._inventory.plan import (
    EXTRA_PARAMS, EXTRAS, RAW_EXTRAS, URL_OVERHEAD, FetchPlan, HostQuery, id_batches)

if TYPE_CHECKING:  # pragma: no cover
    from ansible_collections.sot.netbox.plugins.module_utils._client import NetboxClient

    OnRows = Callable[[str, Optional[list]], None]  # (kind, a page's host records, or None: the kind is complete)
    OnPart = Callable[[str, list], None]            # (table:<name> or extra:<name>, its records)


def query_params(pairs: Iterable[tuple[str, Any]]) -> dict:
    """(name, value) pairs -> the params dict requests sends (a repeated name becomes a list: NetBox ORs them)."""
    out: dict = {}
    for key, value in pairs:
        if key in out:
            out[key] = (out[key] if isinstance(out[key], list) else [out[key]]) + [value]
        else:
            out[key] = value
    return out


class _Reader:
    """One run's reads: the paging options, the callbacks, and the warnings for optional data not readable."""

    def __init__(self, client: NetboxClient, cursor: bool, page_size: int | None, on_rows: OnRows | None,
                 on_part: OnPart | None) -> None:
        self.client, self.cursor, self.page_size = client, cursor, page_size
        self.on_rows, self.on_part = on_rows, on_part
        self.warnings: list[str] = []

    def rows(self, endpoint: str, params: dict, fields: Any, kind: str | None = None, raw: bool = False) -> list:
        """Every record of a list, compacted (host records when `kind` is given), streamed to `on_rows`."""
        pages = self.client.iter_all(endpoint, params, fields=list(fields or ()), cursor=self.cursor,
                                     page_size=self.page_size)
        if raw:
            return list(pages)
        if self.on_rows is None or kind is None:
            return [compact_host(r) for r in pages] if kind else [compact(r) for r in pages]
        return self._streamed(pages, kind, self.on_rows)

    def _streamed(self, pages: Iterable[dict], kind: str, on_rows: OnRows) -> list:
        """Host records, handed to `on_rows` a page's worth at a time, then `on_rows(kind, None)`."""
        out, chunk, start = [], int(self.page_size or self.client.page_size), 0
        for record in pages:
            out.append(compact_host(record))
            if len(out) - start >= chunk:
                on_rows(kind, out[start:])
                start = len(out)
        if len(out) > start:
            on_rows(kind, out[start:])
        on_rows(kind, None)
        return out

    def optional(self, label: str, endpoint: str, params: dict, fields: Any, raw: bool = False,
                 part: str | None = None) -> Callable[[], list]:
        """A call reading optional data: a token that may not read it gives a warning and no rows."""
        def call() -> list:
            try:
                out = self.rows(endpoint, params, fields, raw=raw)
            except PermissionDenied as exc:
                self.warnings.append(f"{label} skipped: the token may not read {endpoint} ({exc.message})")
                out = []
            if part is not None and self.on_part is not None:
                self.on_part(part, out)
            return out
        return call


def fetch(client: NetboxClient, plan: FetchPlan, cursor: bool = False, page_size: int | None = None,
          on_rows: OnRows | None = None, on_part: OnPart | None = None, max_uri_length: int = 4000) -> dict:
    """All data one run needs: {'devices', 'vms', 'tables', 'extras', 'warnings'} (compact records).

    `on_rows(kind, records)`, when given, is called from the fetching threads with each page's worth of
    a kind's host records as they arrive, then `on_rows(kind, None)` when that kind is complete, so the
    caller can build hosts while later pages are still on their way. `on_part(key, records)` is called
    when a lookup table (`table:<name>`) or a whole-table extra (`extra:<name>`) is complete.
    """
    reader = _Reader(client, cursor, page_size, on_rows, on_part)
    results = client.fetch_concurrently(_first_calls(reader, plan))
    data = {
        "devices": results.get("host:device", []),
        "vms": results.get("host:vm", []),
        "tables": {k.split(":", 1)[1]: v for k, v in results.items() if k.startswith("table:")},
        "extras": {k.split(":", 1)[1]: v for k, v in results.items() if k.startswith("extra:")},
    }
    if plan.filtered and plan.extras:
        data["extras"] = _extras_for_hosts(client, plan.extras, data, reader.optional, max_uri_length - URL_OVERHEAD)
    data["warnings"] = reader.warnings
    return data


def _first_calls(reader: _Reader, plan: FetchPlan) -> dict[str, Callable[[], list]]:
    """The concurrent batch every run starts with: hosts, lookup tables and (all hosts selected) whole extras."""
    calls: dict[str, Callable[[], list]] = {}
    for query in plan.hosts:
        calls["host:" + query.kind] = (lambda q=query: reader.rows(q.endpoint, query_params(q.params), q.fields, q.kind))
    for name, (endpoint, fields) in plan.tables.items():
        calls["table:" + name] = reader.optional(f"lookup table {name}", endpoint, {}, fields, part="table:" + name)
    if not plan.filtered:  # every host is selected: whole tables, in the same concurrent batch
        for name in plan.extras:
            endpoint, _param, fields = EXTRAS[name]
            calls["extra:" + name] = reader.optional(name.replace("_", " "), endpoint, EXTRA_PARAMS.get(name, {}),
                                                     fields, raw=name in RAW_EXTRAS, part="extra:" + name)
    return calls


def _extras_for_hosts(client: NetboxClient, extras: Iterable[str], data: dict,
                      optional: Callable[..., Callable[[], list]], budget: int) -> dict:
    """Optional data for the selected hosts only: id-filtered requests, batched to a URL budget, concurrently."""
    ids = {"device": [h["id"] for h in data["devices"]], "vm": [h["id"] for h in data["vms"]]}
    calls: dict = {}
    parts: dict = {}
    for name in extras:
        endpoint, param, fields = EXTRAS[name]
        kind = "vm" if name.startswith("vm_") else "device"
        for i, batch in enumerate(id_batches(ids[kind], param, budget=max(budget, 100))):
            params = dict(EXTRA_PARAMS.get(name, {}))
            params[param] = batch
            key = f"{name}:{i}"
            calls[key] = optional(name.replace("_", " "), endpoint, params, fields, raw=name in RAW_EXTRAS)
            parts.setdefault(name, []).append(key)
    results = client.fetch_concurrently(calls) if calls else {}
    return {name: [row for key in keys for row in results[key]] for name, keys in parts.items()}


def reread_hosts(client: NetboxClient, plan: FetchPlan, ids: dict, page_size: int | None = None,
                 max_uri_length: int = 4000) -> dict:
    """{kind: records} for the given host ids, with the run's filters and fields (id batches, concurrently)."""
    calls: dict = {}
    parts: dict = {}
    for query in plan.hosts:
        for i, batch in enumerate(id_batches(ids.get(query.kind, ()), "id", budget=max(max_uri_length - URL_OVERHEAD, 100))):
            params = query_params(query.params)
            params["id"] = batch
            key = f"{query.kind}:{i}"
            calls[key] = (lambda p=params, q=query: [compact_host(r) for r in client.iter_all(
                q.endpoint, p, fields=list(q.fields), page_size=page_size)])
            parts.setdefault(query.kind, []).append(key)
    results = client.fetch_concurrently(calls) if calls else {}
    return {kind: [row for key in keys for row in results[key]] for kind, keys in parts.items()}


def host_order(client: NetboxClient, plan: FetchPlan, kinds: Iterable[str], page_size: int | None = None) -> dict:
    """{kind: [ids in NetBox's order]} with the run's filters: what a full read would list, ids only."""
    def ids(query: HostQuery) -> list:
        return [r["id"] for r in client.iter_all(query.endpoint, query_params(query.params), fields=["id"],
                                                 page_size=page_size)]

    calls = {q.kind: (lambda q=q: ids(q)) for q in plan.hosts if q.kind in kinds}
    return client.fetch_concurrently(calls) if calls else {}
