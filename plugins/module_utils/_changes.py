# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Change watermarks: "result at watermark W" + "changes after W" = "result now". PRIVATE to the collection.

No Ansible imports. A feature that caches a result from NetBox (the inventory; the export can use the same)
stores a `Watermark` with it, read *before* its full read. On the next run `read_changes` asks NetBox's
change log (`core/object-changes`) what changed since, for the object types the result depends on, and
says either which changes there are or why it cannot prove freshness (then the caller reads everything).

Change records commit with their transaction, so a record with a lower id can become visible after a
higher one was read. Every read therefore covers an overlap window: every record whose `time` (set when
the record is made, inside its transaction) is at most OVERLAP_SECONDS before the watermark's, minus the
ids seen in that window last time. A transaction shorter than the window is never missed: its records'
time is after (its commit - window), and its commit is after the watermark was read.

The change log may be trimmed (CHANGELOG_RETENTION): the watermark's own record is always in the window,
so when NetBox no longer returns it, records after it may be gone too, and the answer is a full read.
"""
from __future__ import annotations

import dataclasses
import datetime
import time
from typing import TYPE_CHECKING, Any, Iterable

from ansible_collections.sot.netbox.plugins.module_utils._errors import NotFound, PermissionDenied
from ansible_collections.sot.netbox.plugins.module_utils._records import record as record_type

if TYPE_CHECKING:  # pragma: no cover
    from ansible_collections.sot.netbox.plugins.module_utils._cache import ResponseCache

# The change log cannot be read: the token may not view it (403), or NetBox has no core/object-changes (404, < 4.0).
UNREADABLE = (PermissionDenied, NotFound)

ENDPOINT = record_type("object_change").path()
FIELDS = ("id", "time", "action", "changed_object_type", "changed_object_id")
OVERLAP_SECONDS = 300
MAX_CHANGES = 5000  # more change records than this since the last run: a full read is cheaper
SEEN_LIMIT = 1000  # change records read with the watermark (the newest; enough for the window on any NetBox)
# A result kept with its watermark (the export's rows, in the client's response cache) stays valid as long
# as the change log proves it fresh, so it outlives the response cache's dynamic TTL: a scheduled job every
# 15 minutes must find it. Its own cache kind, so cache_ttl_dynamic does not expire it.
RESULT_KIND = "watermarked"
RESULT_TTL = 30 * 86400


@dataclasses.dataclass(frozen=True)
class Watermark:
    """The newest relevant change record when a result was read, and the ids seen in its overlap window."""

    max_id: int = 0
    time: str = ""          # the record's time, as NetBox wrote it (server clock)
    seen: tuple = ()        # ids of records in the window (time >= time - OVERLAP_SECONDS)
    full_at: float = 0.0    # local epoch seconds of the last full read (for max_age)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, value: Any) -> Watermark | None:
        if not isinstance(value, dict):
            return None
        try:
            return cls(int(value.get("max_id", 0)), str(value.get("time", "")), tuple(int(i) for i in value.get("seen", ())),
                       float(value.get("full_at", 0.0)))
        except (TypeError, ValueError):
            return None


@dataclasses.dataclass(frozen=True)
class Change:
    id: int
    time: str
    action: str             # create | update | delete
    object_type: str        # app_label.model, e.g. dcim.device
    object_id: int


@dataclasses.dataclass(frozen=True)
class Changes:
    """What `read_changes` found: new records (deduplicated, by id) and the next watermark; or why not."""

    changes: tuple = ()
    watermark: Watermark | None = None
    records_read: int = 0
    fallback: str = ""      # non-empty: freshness cannot be proven, read everything (the reason, for humans)


def parse_time(value: str) -> datetime.datetime | None:
    """NetBox's ISO time ('...Z'); Python 3.10's fromisoformat does not take the Z."""
    try:
        return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return None


def window_start(watermark: Watermark) -> str:
    start = parse_time(watermark.time)
    if start is None:
        return ""
    start -= datetime.timedelta(seconds=OVERLAP_SECONDS)
    return start.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def as_change(record: dict) -> Change:
    action = record.get("action")
    if isinstance(action, dict):
        action = action.get("value")
    return Change(int(record["id"]), str(record.get("time") or ""), str(action or ""),
                  str(record.get("changed_object_type") or ""), int(record.get("changed_object_id") or 0))


def next_watermark(previous: Watermark | None, records: list, full_at: float) -> Watermark:
    """The watermark after reading `records` (every record of the window, any order)."""
    changes = [as_change(r) for r in records]
    if not changes:
        return Watermark(previous.max_id, previous.time, previous.seen, full_at) if previous else Watermark(full_at=full_at)
    newest = max(changes, key=lambda c: c.id)
    newest_time = parse_time(newest.time)
    start = newest_time - datetime.timedelta(seconds=OVERLAP_SECONDS) if newest_time else None
    seen = sorted(c.id for c in changes if start is None or (parse_time(c.time) or start) >= start)
    return Watermark(newest.id, newest.time, tuple(seen), full_at)


def new_changes(watermark: Watermark, records: list) -> list:
    """The records of a window read that were not seen before, once each, by id."""
    seen, out = set(watermark.seen), {}
    for change in (as_change(r) for r in records):
        if change.id not in seen:
            out[change.id] = change
    return [out[i] for i in sorted(out)]


def read_watermark(client: Any, object_types: Iterable[str], full_at: float | None = None) -> Watermark:
    """Before a full read: the newest relevant record and the ids in its window (one request).

    Raises one of UNREADABLE when the change log cannot be read (the caller warns and caches no watermark,
    so later runs read everything too).
    """
    page = client.request("GET", ENDPOINT, {"changed_object_type": sorted(object_types), "ordering": "-id",
                                            "limit": SEEN_LIMIT, "fields": ",".join(FIELDS)})
    return next_watermark(None, list((page or {}).get("results") or []), time.time() if full_at is None else full_at)


def read_changes(client: Any, watermark: Watermark, object_types: Iterable[str], max_age: float = 0,
                 now: float | None = None) -> Changes:
    """The relevant changes since `watermark` (one request when there are few), or a fallback reason."""
    now = time.time() if now is None else now
    if max_age and now - watermark.full_at > max_age:
        return Changes(fallback=f"the last full read is older than max_age ({int(max_age)} s)")
    params = {"changed_object_type": sorted(object_types), "ordering": "id"}
    start = window_start(watermark)
    if start:
        params["time_after"] = start
    try:
        records = []
        for record in client.iter_all(ENDPOINT, params, fields=list(FIELDS)):
            records.append(record)
            if len(records) > MAX_CHANGES:
                return Changes(records_read=len(records), fallback=f"more than {MAX_CHANGES} change records since the last run")
    except UNREADABLE as exc:
        return Changes(fallback=f"the change log cannot be read ({exc.message})")
    if watermark.max_id and not any(int(r["id"]) == watermark.max_id for r in records):
        return Changes(records_read=len(records),
                       fallback="the change log no longer holds the last run's newest record (trimmed: CHANGELOG_RETENTION)")
    return Changes(tuple(new_changes(watermark, records)), next_watermark(watermark, records, watermark.full_at),
                   len(records))


def load_result(cache: ResponseCache | None, key: str) -> object:
    """A result stored with `store_result` (None: none, expired, or unreadable)."""
    if cache is None:
        return None
    return cache.get(key)


def store_result(cache: ResponseCache | None, key: str, value: object) -> None:
    """Keep a watermarked result in the response cache (SQLite file or Redis) for RESULT_TTL seconds."""
    if cache is None:
        return
    cache.ttls.setdefault(RESULT_KIND, RESULT_TTL)
    cache.set(key, value, RESULT_KIND)


# ---------------------------------------------------------------- cached records + re-read records
# (the inventory and the export both keep records by id in NetBox's order)

def merge_hosts(records: list, changed_ids: Iterable[int], reread: list) -> tuple[list, str]:
    """(records now, reason for a full read or ''): re-read records in place of the cached ones.

    `reread` holds what NetBox returned for `changed_ids` with the run's filters: a changed id that is
    missing was deleted or no longer matches the filters, and is dropped.
    """
    changed, fresh = set(changed_ids), {r["id"]: r for r in reread}
    out, placed = [], set()
    for record in records:
        oid = record.get("id")
        if oid not in changed:
            out.append(record)
            continue
        new = fresh.get(oid)
        if new is None:
            continue
        if new.get("name") != record.get("name"):
            return records, f"host {oid} was renamed"
        out.append(new)
        placed.add(oid)
    extra = sorted(set(fresh) - placed)
    if extra:
        return records, f"host {extra[0]} is new to the result"
    return out, ""


def merge_in_order(records: list, changed_ids: Iterable[int], reread: list, order: list) -> tuple[list, str]:
    """(records now, reason or ''): like `merge_hosts`, with NetBox's current order of ids (`order`, from a
    list of only ids with the run's filters) placing new and renamed hosts exactly where a full read would."""
    changed = set(changed_ids)
    by_id = {r["id"]: r for r in records if r.get("id") not in changed}
    by_id.update({r["id"]: r for r in reread})
    missing = [oid for oid in order if oid not in by_id]
    if missing:  # NetBox lists a host no change record told us about (yet): read everything
        return records, f"host {missing[0]} is listed but was neither cached nor re-read"
    listed = set(order)
    stale = [oid for oid in by_id if oid not in listed and oid not in changed]
    if stale:
        return records, f"host {stale[0]} is cached but no longer listed"
    return [by_id[oid] for oid in order], ""
