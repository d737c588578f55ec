# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The client's list reading: offset pages read concurrently, cursor pages, long filter lists split
under the URL limit, each object once. PRIVATE to the collection; `NetboxClient` mixes it in (and
`_client.py` re-exports the names), so callers only ever see `client.iter_all`/`list`/`list_by`.
No Ansible imports.
"""
from __future__ import annotations

import concurrent.futures
from typing import Any, Callable, Iterable, Iterator, Sequence
from urllib.parse import urlencode

from ansible_collections.sot.netbox.plugins.module_utils._errors import InputError

DEFAULT_PAGE_SIZE = 1000  # NetBox's default MAX_PAGE_SIZE; a larger limit is silently capped by the server
# Longest request URL `list_by` builds: well under the 8 KiB most servers and proxies accept.
MAX_URL_LENGTH = 4000


class PagingMixin:
    """Needs `request(method, path, params)`, `supports`/`require` (features), `max_workers`,
    `page_size` and `list(path, params, cache, **options)` from the client it is mixed into."""

    def iter_all(self, path: str, params: dict | None = None, fields: Any = None, brief: bool = False,
                 omit: Any = None, cursor: bool = False, page_size: int | None = None) -> Iterator[Any]:
        """Every object of a list endpoint. Callers never see `next`.

        Offset mode (default) reads the first page, then the rest concurrently (bounded), yielding in
        order with at most `max_workers` pages held. Cursor mode (`start=`, NetBox >= 4.6) pages by id
        sequentially; it avoids the COUNT and OFFSET costs on very large tables.
        """
        params = list_params(params, fields, brief, omit)
        size = int(page_size or self.page_size)
        if cursor:
            yield from self._iter_cursor(path, params, size)
            return
        first = self.request("GET", path, {**params, "limit": size, "offset": 0})
        seen: set = set()
        yield from unique(first["results"], seen)
        if not first.get("next"):
            return
        count = int(first.get("count") or 0)
        # The server may cap `limit` below what we asked (MAX_PAGE_SIZE): page by what it returned.
        step = len(first["results"]) or size
        offsets = list(range(step, count, step))
        last = None
        for page in self._map_ordered(lambda off: self.request("GET", path, {**params, "limit": step, "offset": off}),
                                      offsets):
            last = page
            yield from unique(page["results"], seen)
        # Objects created while we paged: follow `next` from the last page (rare, sequential).
        while last is not None and last.get("next"):
            last = self.request("GET", last["next"])
            yield from unique(last["results"], seen)

    def _iter_cursor(self, path: str, params: dict, size: int) -> Iterator[Any]:
        start = 0
        while True:
            page = self.request("GET", path, {**params, "start": start, "limit": size})
            results = page["results"]
            if start == 0 and self.supports("cursor_paging") is False:
                # An older NetBox ignores start= and answers by offset: paging by id would loop on page 1.
                self.require("cursor_paging", optional=True)
                yield from self._follow_next(page)
                return
            yield from results
            if not page.get("next") or not results:
                return
            start = max(r["id"] for r in results) + 1

    def _follow_next(self, page: dict) -> Iterator[Any]:
        seen: set = set()
        while True:
            yield from unique(page["results"], seen)
            if not page.get("next"):
                return
            page = self.request("GET", page["next"])

    def list_by(self, path: str, field: str, values: Iterable[Any], params: dict | None = None,
                cache: str | None = None, max_url: int = MAX_URL_LENGTH, **options: Any) -> list:
        """Every object whose `field` (id, name, slug...) is one of `values`, without HTTP 414.

        Long value lists are sent in as many requests as keep each URL under `max_url` characters
        (NetBox ORs repeated filter values); results come back once each, in request order.
        """
        values = list(dict.fromkeys(str(v) for v in values))
        if not values:
            return []
        fixed = list_params(params, options.get("fields"), options.get("brief"), options.get("omit"))
        base = len(self.url_for(path)) + len(urlencode(sorted(fixed.items()), doseq=True)) + 40  # limit/offset
        out: list = []
        seen: set = set()
        for chunk in list_chunks(values, field, base, max_url):
            out.extend(unique(self.list(path, {**(params or {}), field: chunk}, cache=cache, **options), seen))
        return out

    def fetch_concurrently(self, calls: dict[str, Callable[[], Any]]) -> dict[str, Any]:
        """Run several zero-argument callables at once (e.g. devices, VMs and assignments).

        Returns their results in a dict with the same keys. HTTP concurrency stays bounded by
        `max_workers` because every request takes a slot.
        """
        if len(calls) <= 1:
            return {k: fn() for k, fn in calls.items()}
        with concurrent.futures.ThreadPoolExecutor(max_workers=len(calls)) as pool:
            futures = {k: pool.submit(fn) for k, fn in calls.items()}
            return {k: f.result() for k, f in futures.items()}

    def _map_ordered(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> Iterator[Any]:
        """fn over items with bounded concurrency, yielding results in input order, holding few at once."""
        if not items:
            return
        with concurrent.futures.ThreadPoolExecutor(max_workers=self.max_workers) as pool:
            window = []
            iterator = iter(items)
            for item in iterator:
                window.append(pool.submit(fn, item))
                if len(window) >= self.max_workers:
                    break
            while window:
                future = window.pop(0)
                result = future.result()
                nxt = next(iterator, None)
                if nxt is not None:
                    window.append(pool.submit(fn, nxt))
                yield result


def list_params(params: dict | None, fields: Any, brief: Any, omit: Any) -> dict:
    out = dict(params or {})
    if fields:
        out["fields"] = ",".join(fields) if not isinstance(fields, str) else fields
    if brief:
        out["brief"] = "true"
    if omit:
        out["omit"] = ",".join(omit) if not isinstance(omit, str) else omit
    return out


def unique(results: Iterable[Any], seen: set) -> Iterator[Any]:
    """Offset paging can repeat a row when objects are created meanwhile: yield each id once."""
    for obj in results:
        oid = obj.get("id") if isinstance(obj, dict) else None
        if oid is None:
            yield obj
            continue
        if oid in seen:
            continue
        seen.add(oid)
        yield obj


def list_chunks(values: Sequence[str], field: str, base_length: int, max_length: int = MAX_URL_LENGTH) -> list:
    """Split filter values so that each request URL stays under `max_length` characters."""
    chunks, current, size = [], [], base_length
    for value in values:
        piece = len(urlencode({field: value})) + 1
        if base_length + piece > max_length:
            raise InputError(field, value if len(value) <= 60 else value[:60] + "...",
                             f"is too long to send as a NetBox filter (a URL longer than {max_length} characters)")
        if current and size + piece > max_length:
            chunks.append(current)
            current, size = [], base_length
        current.append(value)
        size += piece
    if current:
        chunks.append(current)
    return chunks
