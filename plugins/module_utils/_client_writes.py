# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The client's writes: bulk POST/PATCH/DELETE in batches, single writes, and the cache invalidation
of every endpoint a write touched. PRIVATE to the collection; `NetboxClient` mixes it in (and
`_client.py` re-exports the names). No Ansible imports.
"""
from __future__ import annotations

from typing import Any, Iterable, Iterator, Sequence

from ansible_collections.sot.netbox.plugins.module_utils._errors import (
    ALREADY_GONE, NotFound, RequestValidationFailed, SotNetboxError, classify_rejection)
from ansible_collections.sot.netbox.plugins.module_utils._records import written_through

DEFAULT_BATCH_SIZE = 200
# A create through an action (`available-vlans` below a VLAN group) writes to another endpoint
# (VLANs): invalidate that one too. Declared in `_records` with the actions.
_WRITES_THROUGH = written_through()


def endpoint_of(path: str) -> str:
    """The collection endpoint a path reads or writes: 'dcim/devices/5/' -> 'dcim/devices'."""
    parts = [p for p in path.strip("/").split("/") if p]
    if parts and parts[0] == "api":
        parts = parts[1:]
    return "/".join(parts[:2])


def endpoints_written(path: str) -> set[str]:
    touched = {endpoint_of(path)}
    tail = path.strip("/").split("/")[-1]
    if tail in _WRITES_THROUGH:
        touched.add(_WRITES_THROUGH[tail])
    return touched


def _batches(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


class WritesMixin:
    """Needs `request(method, path, params, body)` and `cache` from the client it is mixed into."""

    def create(self, path: str, objects: Iterable[dict], batch_size: int = DEFAULT_BATCH_SIZE) -> list:
        """Bulk POST in batches. On failure the error's result['created'] lists what was created."""
        return self._bulk("POST", path, list(objects), batch_size, "created")

    def update(self, path: str, objects: Iterable[dict], batch_size: int = DEFAULT_BATCH_SIZE) -> list:
        """Bulk PATCH (each object carries its `id`)."""
        return self._bulk("PATCH", path, list(objects), batch_size, "updated")

    def delete(self, path: str, ids: Iterable[int], batch_size: int = DEFAULT_BATCH_SIZE) -> list:
        """Bulk DELETE by id; ids already gone count as deleted (404 on DELETE means absent)."""
        ids = list(ids)
        done: list = []
        try:
            for batch in _batches(ids, batch_size):
                self._delete_batch(path, batch)
                done.extend(batch)
        except SotNetboxError as exc:
            exc.result.setdefault("deleted", done)
            raise
        finally:
            self._invalidate(path, bool(done) or bool(ids))
        return done

    def _delete_batch(self, path: str, batch: Sequence[int]) -> None:
        try:
            self.request("DELETE", path, body=[{"id": i} for i in batch])
        except (NotFound, RequestValidationFailed) as exc:
            # NetBox 4.7 refuses a whole bulk DELETE with a 400 when some ids are gone already.
            if not isinstance(exc, NotFound) and classify_rejection(exc).kind != ALREADY_GONE:
                raise
            for obj_id in batch:  # somebody deleted some already: finish one by one
                try:
                    self.request("DELETE", f"{path.strip('/')}/{obj_id}")
                except NotFound:
                    pass

    def create_one(self, path: str, body: Any) -> Any:
        """POST one object (or to an `available-*` endpoint, where NetBox serializes allocation)."""
        try:
            return self.request("POST", path, body=body)
        finally:
            self._invalidate(path, True)

    def update_one(self, path: str, obj_id: int, body: dict) -> Any:
        try:
            return self.request("PATCH", f"{path.strip('/')}/{obj_id}", body=body)
        finally:
            self._invalidate(path, True)

    def _bulk(self, method: str, path: str, objects: list, batch_size: int, label: str) -> list:
        done: list = []
        try:
            for batch in _batches(objects, batch_size):
                result = self.request(method, path, body=batch)
                done.extend(result if isinstance(result, list) else [result])
        except SotNetboxError as exc:
            exc.result.setdefault(label, done)
            raise
        finally:
            self._invalidate(path, bool(objects))
        return done

    def _invalidate(self, path: str, wrote: bool) -> None:
        if wrote and self.cache is not None:
            for endpoint in endpoints_written(path):
                self.cache.invalidate(endpoint)
