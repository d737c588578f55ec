# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inventory plugin's runner: options -> (cache or NetBox) -> built inventory -> Ansible's inventory.

PRIVATE to the collection; no Ansible imports. `load` is the only code that reads the plugin's options
(through the `get_option` callable); `Populator` is the only code that writes to Ansible's inventory.
"""
from __future__ import annotations

import concurrent.futures
import dataclasses
import hashlib
import json
import queue
import threading
from typing import Any, Callable

from ansible_collections.sot.netbox.plugins.module_utils._changes import UNREADABLE, Watermark, read_changes, read_watermark
from ansible_collections.sot.netbox.plugins.module_utils._connection import build_client
from ansible_collections.sot.netbox.plugins.module_utils._inventory import cached
from ansible_collections.sot.netbox.plugins.module_utils._inventory.build import Builder, Extras, build, constructed_vars
from ansible_collections.sot.netbox.plugins.module_utils._inventory.delta import affected, merge, needs_order, watched_types
from ansible_collections.sot.netbox.plugins.module_utils._inventory.fetch import fetch, host_order, reread_hosts
from ansible_collections.sot.netbox.plugins.module_utils._inventory.plan import plan_fetch
from ansible_collections.sot.netbox.plugins.module_utils._inventory.settings import client_options, settings_from, unsupported_warnings


def constructed_templates(get_option: Callable) -> list:
    """The Jinja2 expressions of compose, groups and keyed_groups (to fetch the fields they name)."""
    out = list((get_option("compose") or {}).values()) + list((get_option("groups") or {}).values())
    out += [k.get("key", "") for k in get_option("keyed_groups") or [] if isinstance(k, dict)]
    return [str(t) for t in out]


def cache_fingerprint(settings: Any, plan: Any, connection: dict) -> str:
    """Everything that determines the fetched data; a cached entry with another fingerprint is stale."""
    token = str(connection.get("token") or "")
    parts = [settings.fingerprint(), repr(plan), str(connection.get("url", "")).rstrip("/"),
             hashlib.sha256(token.encode()).hexdigest()]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


@dataclasses.dataclass(frozen=True)
class Run:
    """What one run's options determine: settings, the fetch plan, the cache fingerprint, the watched types."""

    settings: Any
    connection: dict
    plan: Any
    fingerprint: str
    caching: bool
    delta_on: bool
    types: frozenset
    keep_raw: bool
    max_age: float

    @classmethod
    def of(cls, get_option: Callable) -> Run:
        settings, connection = settings_from(get_option), client_options(get_option)
        templates = constructed_templates(get_option)
        plan = plan_fetch(settings, templates)
        caching = bool(get_option("cache"))
        return cls(settings, connection, plan, cache_fingerprint(settings, plan, connection), caching,
                   caching and get_option("delta_sync") is not False, watched_types(plan, settings), bool(templates),
                   float(get_option("max_age") or 0))


@dataclasses.dataclass
class Outcome:
    """Which path ran and what it gave: `data` (fetched, or None when only the cached built inventory is
    needed), `built` (None: build it from `data`), the next watermark and the metrics' stats."""

    sync: str = "full"
    source: str = "NetBox"
    data: dict | None = None
    built: dict | None = None
    watermark: Watermark | None = None
    stats: dict = dataclasses.field(default_factory=dict)
    warnings: list = dataclasses.field(default_factory=list)


def load(get_option: Callable, cache: Any, cache_key: str, use_cache: bool = True, metrics_path: str | None = None,
         client_factory: Callable = build_client, reserved: frozenset = frozenset(), on_host: Callable | None = None,
         config: dict | None = None, now: float | None = None) -> dict:
    """{'inventory': built, 'warnings': [...], 'source': 'NetBox' | 'cache', 'sync': ...}.

    `sync` says which path ran: `full` (everything read), `delta` (the cached result and the hosts that
    changed since, re-read), `unchanged` (the cached result, proven fresh by the change log) or `cached`
    (the cached result as it is: `delta_sync: false`). With `on_host(name, host)`, hosts fetched from NetBox
    are handed over one by one as soon as they are built, while later pages are still arriving (only on a
    full read, and not when services or interfaces are read by host id after the hosts); `built` still holds
    every host. `config`: the inventory file's options as written, for the warnings about nb_inventory
    options this plugin does not implement.
    """
    run = Run.of(get_option)
    entry = _entry(cache, cache_key, run.fingerprint) if run.caching and use_cache else None
    clients: list = []

    def client() -> Any:
        if not clients:
            clients.append(client_factory(run.connection))
        return clients[0]

    out = Outcome()
    try:
        out = read(run, entry, client, on_host, reserved, now)
    finally:
        if metrics_path:
            metrics = clients[0].metrics.to_dict() if clients else {"requests": 0, "source": "cache"}
            write_metrics(metrics_path, dict(metrics, sync=out.sync, **out.stats))
    if out.built is None:
        out.built = build(out.data, run.settings, reserved=reserved, keep_raw=run.keep_raw)
    store(cache, cache_key, run, entry, out)
    warnings = unsupported_warnings(config) + out.warnings + list((out.data or {}).get("warnings", []))
    return {"inventory": out.built, "warnings": warnings + out.built["warnings"], "source": out.source,
            "sync": out.sync}


def _entry(cache: Any, cache_key: str, fingerprint: str) -> dict | None:
    try:
        entry = cache[cache_key]
    except KeyError:
        return None
    return entry if cached.valid(entry, fingerprint) else None


def read(run: Run, entry: dict | None, client: Callable, on_host: Callable | None, reserved: frozenset,
         now: float | None) -> Outcome:
    """The cached result as it is (`delta_sync: false`), brought up to date, or everything read."""
    out = Outcome()
    if entry is not None and not run.delta_on:
        out = from_cache(run, entry, Outcome("cached", "cache"))
    elif entry is not None and Watermark.from_dict(entry.get("watermark")) is not None:
        out = delta_sync(client(), run, entry, now)
    if out.sync != "full":
        return out
    return full_read(client(), run, on_host, reserved, now, out.stats)


def from_cache(run: Run, entry: dict, out: Outcome) -> Outcome:
    """The entry's built inventory when it can be reused as it is (`out.built`, when already decoded), else
    its data (to build); a damaged entry is a full read."""
    if out.built is None and cached.reusable_built(run.settings):
        out.built = cached.built_of(entry)
    if out.built is None:
        out.data = cached.data_of(entry)
        if out.data is None:
            return Outcome(stats=dict(out.stats, fallback="the cached entry cannot be read"))
    return out


def full_read(client: Any, run: Run, on_host: Callable | None, reserved: frozenset, now: float | None,
              stats: dict) -> Outcome:
    """Everything read (after the watermark, so that a change made during the read is seen next time)."""
    out, settings, plan = Outcome(stats=stats), run.settings, run.plan
    if run.delta_on:
        try:
            out.watermark = read_watermark(client, run.types, now)
        except UNREADABLE as exc:
            out.warnings.append("delta sync off: NetBox's change log cannot be read "
                                f"(core/object-changes: {exc.message}); every run reads everything. Give the "
                                "token the view permission on core > object change, or set delta_sync: false")
    if on_host is not None and not (plan.extras and plan.filtered):
        out.data, out.built = fetch_and_build(client, plan, settings, on_host, reserved=reserved, keep_raw=run.keep_raw)
    else:
        out.data = fetch(client, plan, cursor=settings.cursor_paging, page_size=settings.page_size,
                         max_uri_length=settings.max_uri_length)
    return out


def store(cache: Any, cache_key: str, run: Run, entry: dict | None, out: Outcome) -> None:
    """Write the entry, unless nothing in it changed (an unchanged result with the same watermark)."""
    if not run.caching or out.sync == "cached":
        return
    mark = out.watermark.to_dict() if out.watermark is not None else None
    if out.sync == "unchanged" and entry is not None:
        if out.watermark == Watermark.from_dict(entry.get("watermark")):
            return
        cache[cache_key] = dict(entry, watermark=mark)  # the same data and built strings, a newer watermark
        return
    built = out.built if cached.reusable_built(run.settings) else None
    cache[cache_key] = cached.encode(run.fingerprint, out.data, built, mark)


def delta_sync(client: Any, run: Run, entry: dict, now: float | None = None) -> Outcome:
    """The cached result brought up to date from the change log; `sync: full` (and the reason in the stats)
    when freshness cannot be proven (change log not readable or trimmed, too many changes, max_age, a
    change this module cannot merge): the caller then reads everything."""
    found, built = changes_and_built(client, run, entry, now)
    stats = {"change_records_read": found.records_read}
    if found.fallback:
        return Outcome(stats=dict(stats, fallback=found.fallback))
    unchanged = Outcome("unchanged", "cache", built=built, watermark=found.watermark, stats=stats)
    if not found.changes:
        return from_cache(run, entry, unchanged)
    data = cached.data_of(entry)
    if data is None:
        return Outcome(stats=dict(stats, fallback="the cached entry cannot be read"))
    hit = affected(found.changes, data, run.settings, run.plan)
    stats["changes"] = len(found.changes)
    if hit.full:
        return Outcome(stats=dict(stats, fallback=hit.full))
    if not hit.ids:  # only changes to kinds or IPs this result does not show
        return from_cache(run, entry, unchanged)
    merged, reason = reread_and_merge(client, run, data, hit.ids, stats)
    if reason:
        return Outcome(stats=dict(stats, fallback=reason))
    return Outcome("delta", "NetBox", data=merged, watermark=found.watermark, stats=stats)


def changes_and_built(client: Any, run: Run, entry: dict, now: float | None) -> tuple:
    """(the change log's answer, the cached built inventory or None): the built inventory is decoded while
    NetBox answers (the request waits on the network, the decoding on this CPU), since no change is the
    usual answer; when there are changes, that decoding was for nothing."""
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="sot.netbox.changes") as pool:
        future = pool.submit(read_changes, client, Watermark.from_dict(entry["watermark"]), run.types,
                             max_age=run.max_age, now=now)
        built = cached.built_of(entry) if cached.reusable_built(run.settings) else None
        return future.result(), built


def reread_and_merge(client: Any, run: Run, data: dict, ids: dict, stats: dict) -> tuple:
    """(merged data, reason for a full read or ''): the changed hosts re-read by id and put in place."""
    settings = run.settings
    reread = reread_hosts(client, run.plan, ids, page_size=settings.page_size, max_uri_length=settings.max_uri_length)
    stats["objects_reread"] = sum(len(v) for v in reread.values())
    merged, reason = merge(data, ids, reread)
    if needs_order(reason):  # a new or renamed host: place every host by NetBox's current order of ids
        orders = host_order(client, run.plan, set(ids), page_size=settings.page_size)
        stats["order_read"] = True
        merged, reason = merge(data, ids, reread, orders)
    return merged, reason


def fetch_and_build(client: Any, plan: Any, settings: Any, on_host: Callable, reserved: frozenset = frozenset(),
                    keep_raw: bool = False) -> tuple:
    """(data, built): `fetch` in a background thread while this thread builds each page's hosts.

    Hosts are added in the order `build` uses (every device, then every VM): pages that arrive before
    the kinds ahead of them are complete are prepared at once and wait only to be registered. Hosts are
    built once the lookup tables and the whole-table extras (services, interfaces) are in: those are
    read in the same concurrent batch as the first pages, and are usually much smaller than the host lists.
    """
    events: queue.Queue = queue.Queue()

    def produce() -> None:
        try:
            events.put(("data", fetch(client, plan, cursor=settings.cursor_paging, page_size=settings.page_size,
                                      max_uri_length=settings.max_uri_length,
                                      on_rows=lambda kind, rows: events.put(("rows", kind, rows)),
                                      on_part=lambda key, rows: events.put(("part", key, rows)))))
        except BaseException as exc:  # pylint: disable=broad-except  # re-raised in the caller's thread
            events.put(("error", exc))

    threading.Thread(target=produce, name="sot.netbox.inventory-fetch", daemon=True).start()
    stream = _Stream(plan, settings, on_host, reserved, keep_raw)
    while True:
        event = events.get()
        if event[0] == "error":
            raise event[1]
        if event[0] == "data":
            return event[1], stream.finish(event[1])
        stream.take(event)


class _Stream:
    """`fetch_and_build`'s consumer: pages and parts as they arrive -> hosts handed to `on_host` in order."""

    def __init__(self, plan: Any, settings: Any, on_host: Callable, reserved: frozenset, keep_raw: bool) -> None:
        self.settings, self.on_host, self.reserved, self.keep_raw = settings, on_host, reserved, keep_raw
        self.kinds = [q.kind for q in plan.hosts]
        self.pending: dict = {kind: [] for kind in self.kinds}
        self.prepared: dict = {kind: [] for kind in self.kinds}
        self.complete: set = set()
        self.needed = {"table:" + name for name in plan.tables} | {"extra:" + name for name in plan.extras}
        self.parts: dict = {}
        self.builder: Builder | None = None
        self.extras: Extras | None = None
        if not self.needed:
            self.start_builder()

    def start_builder(self) -> None:
        tables = {k.split(":", 1)[1]: v for k, v in self.parts.items() if k.startswith("table:")}
        self.extras = Extras({k.split(":", 1)[1]: v for k, v in self.parts.items() if k.startswith("extra:")})
        self.builder = Builder(self.settings, tables, reserved=self.reserved, keep_raw=self.keep_raw)

    def take(self, event: tuple) -> None:
        """One `part` (a lookup table or an extra) or `rows` (a page of a kind; None: the kind is complete)."""
        if event[0] == "part":
            self.parts[event[1]] = event[2]
            if self.builder is None and self.needed <= set(self.parts):
                self.start_builder()
        else:
            _tag, kind, rows = event
            if rows is None:
                self.complete.add(kind)
            else:
                self.pending[kind].append(rows)
        if self.builder is not None:
            self.drain()

    def drain(self) -> None:
        builder, extras = self.builder, self.extras
        for kind in self.kinds:  # every page is prepared on arrival; registered once the kinds before it are complete
            while self.pending[kind]:
                rows = self.pending[kind].pop(0)
                self.prepared[kind].append(builder.prepare([extras.attach(dict(r, is_virtual=kind == "vm")) for r in rows]))
        for kind in self.kinds:
            while self.prepared[kind]:
                for name in builder.register(self.prepared[kind].pop(0)):
                    self.on_host(name, builder.out[name])
            if kind not in self.complete:
                return

    def finish(self, data: dict) -> dict:
        if self.builder is None:  # pragma: no cover - every part reports before the data
            self.parts.update({"table:" + k: v for k, v in data["tables"].items()})
            self.parts.update({"extra:" + k: v for k, v in data["extras"].items()})
            self.start_builder()
        self.complete.update(self.kinds)
        self.drain()
        return self.builder.finish()


def write_metrics(path: str, metrics: dict) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(metrics, handle, indent=1, sort_keys=True)


class Populator:
    """Writes built hosts into Ansible's inventory: each new host as soon as it is built (`host`), then
    the groups and compose/groups/keyed_groups (`finish`). `discard` takes the hosts it added back out
    when the run fails, so a failed source never leaves part of its hosts behind; a host that another
    inventory source made is only touched in `finish`, as before.

    `valid_name(key) -> bool` (Ansible's variable-name rule): a fresh host's vars are set in one update
    when every name is valid, which is what set_variable does per key minus its per-call checks and
    debug logging; any other name goes through set_variable (and its deprecation warning).
    """

    def __init__(self, plugin: Any, valid_name: Any = None) -> None:
        self.plugin, self.inventory, self.valid_name = plugin, plugin.inventory, valid_name
        self.checked, self.added = {}, {}

    def host(self, name: str, host: dict) -> None:
        """Add one built host now, unless another inventory source has it already (then `finish` sets it)."""
        if name in self.inventory.hosts:
            return
        self.added[name] = self._put(name, host)

    def _put(self, name: str, host: dict) -> Any:
        inventory, checked, valid_name = self.inventory, self.checked, self.valid_name
        inventory.add_host(name)
        entity = inventory.get_host(name)
        fresh = not entity.vars or set(entity.vars) <= {"inventory_file", "inventory_dir"}
        ok = fresh and valid_name is not None and all(
            checked[k] if k in checked else checked.setdefault(k, valid_name(k)) for k in host["vars"])
        if ok:
            entity.vars.update(host["vars"])
        else:
            for key, value in host["vars"].items():
                inventory.set_variable(name, key, value)
        return entity

    def discard(self) -> None:
        for entity in self.added.values():
            self.inventory.remove_host(entity)
        self.added = {}

    def finish(self, built: dict) -> None:
        plugin, inventory = self.plugin, self.inventory
        for name, host in built["hosts"].items():
            if name not in self.added:
                self._put(name, host)
        compose, groups, keyed = (plugin.get_option(n) for n in ("compose", "groups", "keyed_groups"))
        strict = plugin.get_option("strict")
        names = {group: inventory.add_group(group) for group in built["groups"]}
        for group, members in built["groups"].items():
            for child in members["children"]:
                inventory.add_child(names[group], names[child])
            for host in members["hosts"]:
                inventory.add_child(names[group], host)
        if not (compose or groups or keyed):
            return
        for name, host in built["hosts"].items():
            compose_vars, group_vars = constructed_vars(host)
            if compose:
                plugin._set_composite_vars(compose, compose_vars, name, strict=strict)
            if groups:
                plugin._add_host_to_composed_groups(groups, group_vars, name, strict=strict)
            if keyed:
                plugin._add_host_to_keyed_groups(keyed, group_vars, name, strict=strict)
