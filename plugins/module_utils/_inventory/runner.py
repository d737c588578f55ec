# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inventory plugin's runner: options -> (cache or NetBox) -> built inventory -> Ansible's inventory.

PRIVATE to the collection; no Ansible imports. `load` is the only code that reads the plugin's options
(through the `get_option` callable); `Populator` is the only code that writes to Ansible's inventory.
"""
from __future__ import annotations

import hashlib
import json
import queue
import threading

from ansible_collections.sot.netbox.plugins.module_utils._changes import UNREADABLE, Watermark, read_changes, read_watermark
from ansible_collections.sot.netbox.plugins.module_utils._connection import build_client
from ansible_collections.sot.netbox.plugins.module_utils._inventory.build import Builder, Extras, build, constructed_vars
from ansible_collections.sot.netbox.plugins.module_utils._inventory.delta import affected, merge, needs_order, watched_types
from ansible_collections.sot.netbox.plugins.module_utils._inventory.fetch import fetch, host_order, reread_hosts
from ansible_collections.sot.netbox.plugins.module_utils._inventory.plan import plan_fetch
from ansible_collections.sot.netbox.plugins.module_utils._inventory.settings import client_options, settings_from, unsupported_warnings

CACHE_FORMAT = 3  # 2: services as NetBox returns them, every lookup table; 3: the change watermark


def constructed_templates(get_option):
    """The Jinja2 expressions of compose, groups and keyed_groups (to fetch the fields they name)."""
    out = list((get_option("compose") or {}).values()) + list((get_option("groups") or {}).values())
    out += [k.get("key", "") for k in get_option("keyed_groups") or [] if isinstance(k, dict)]
    return [str(t) for t in out]


def cache_fingerprint(settings, plan, connection):
    """Everything that determines the fetched data; a cached entry with another fingerprint is stale."""
    token = str(connection.get("token") or "")
    parts = [settings.fingerprint(), repr(plan), str(connection.get("url", "")).rstrip("/"),
             hashlib.sha256(token.encode()).hexdigest()]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def load(get_option, cache, cache_key, use_cache=True, metrics_path=None, client_factory=build_client,
         reserved=frozenset(), on_host=None, config=None, now=None):
    """{'inventory': built, 'warnings': [...], 'source': 'NetBox' | 'cache', 'sync': ...}.

    `sync` says which path ran: `full` (everything read), `delta` (the cached result and the hosts that
    changed since, re-read), `unchanged` (the cached result, proven fresh by the change log) or `cached`
    (the cached result as it is: `delta_sync: false`). With `on_host(name, host)`, hosts fetched from NetBox
    are handed over one by one as soon as they are built, while later pages are still arriving (only on a
    full read, and not when services or interfaces are read by host id after the hosts); `built` still holds
    every host. `config`: the inventory file's options as written, for the warnings about nb_inventory
    options this plugin does not implement.
    """
    settings = settings_from(get_option)
    connection = client_options(get_option)
    templates = constructed_templates(get_option)
    plan = plan_fetch(settings, templates)
    fingerprint = cache_fingerprint(settings, plan, connection)
    caching = bool(get_option("cache"))
    delta_on = caching and get_option("delta_sync") is not False
    types = watched_types(plan, settings)
    data, source, built, client, sync, watermark = None, "NetBox", None, None, "full", None
    stats, warnings = {}, []
    keep_raw = bool(templates)
    entry = None
    if caching and use_cache:
        try:
            entry = cache[cache_key]
        except KeyError:
            entry = None
        if not (isinstance(entry, dict) and entry.get("format") == CACHE_FORMAT and entry.get("fingerprint") == fingerprint):
            entry = None
    try:
        if entry is not None and not delta_on:
            data, source, sync = entry["data"], "cache", "cached"
        elif entry is not None and Watermark.from_dict(entry.get("watermark")) is not None:
            client = client_factory(connection)
            data, sync, watermark, stats = delta_sync(client, plan, settings, entry, types,
                                                      float(get_option("max_age") or 0), now)
            source = "cache" if sync == "unchanged" else "NetBox"
        if data is None:
            client = client or client_factory(connection)
            if delta_on:
                try:
                    watermark = read_watermark(client, types, now)
                except UNREADABLE as exc:
                    warnings.append("delta sync off: NetBox's change log cannot be read "
                                    f"(core/object-changes: {exc.message}); every run reads everything. Give the "
                                    "token the view permission on core > object change, or set delta_sync: false")
            if on_host is not None and not (plan.extras and plan.filtered):
                data, built = fetch_and_build(client, plan, settings, on_host, reserved=reserved, keep_raw=keep_raw)
            else:
                data = fetch(client, plan, cursor=settings.cursor_paging, page_size=settings.page_size,
                             max_uri_length=settings.max_uri_length)
    finally:
        if metrics_path:
            metrics = client.metrics.to_dict() if client is not None else {"requests": 0, "source": "cache"}
            write_metrics(metrics_path, dict(metrics, sync=sync, **stats))
    unchanged_mark = sync == "unchanged" and watermark == Watermark.from_dict(entry.get("watermark"))
    if caching and sync != "cached" and not unchanged_mark:  # an unchanged result is not written again
        cache[cache_key] = {"format": CACHE_FORMAT, "fingerprint": fingerprint,
                            "data": {k: v for k, v in data.items() if k != "warnings"},
                            "watermark": watermark.to_dict() if watermark is not None else None}
    if built is None:
        built = build(data, settings, reserved=reserved, keep_raw=keep_raw)
    warnings = unsupported_warnings(config) + warnings + list(data.get("warnings", [])) + built["warnings"]
    return {"inventory": built, "warnings": warnings, "source": source, "sync": sync}


def delta_sync(client, plan, settings, entry, types, max_age, now=None):
    """(data or None, sync, watermark, stats): the cached result brought up to date from the change log.

    None: freshness cannot be proven (change log not readable or trimmed, too many changes, max_age, a
    change this module cannot merge): the caller reads everything. `stats` go into the metrics.
    """
    cached, previous = entry["data"], Watermark.from_dict(entry["watermark"])
    found = read_changes(client, previous, types, max_age=max_age, now=now)
    stats = {"change_records_read": found.records_read}
    if found.fallback:
        return None, "full", None, dict(stats, fallback=found.fallback)
    if not found.changes:
        return cached, "unchanged", found.watermark, stats
    hit = affected(found.changes, cached, settings, plan)
    stats["changes"] = len(found.changes)
    if hit.full:
        return None, "full", None, dict(stats, fallback=hit.full)
    if not hit.ids:  # only changes to kinds or IPs this result does not show
        return cached, "unchanged", found.watermark, stats
    reread = reread_hosts(client, plan, hit.ids, page_size=settings.page_size, max_uri_length=settings.max_uri_length)
    stats["objects_reread"] = sum(len(v) for v in reread.values())
    merged, reason = merge(cached, hit.ids, reread)
    if needs_order(reason):  # a new or renamed host: place every host by NetBox's current order of ids
        orders = host_order(client, plan, set(hit.ids), page_size=settings.page_size)
        stats["order_read"] = True
        merged, reason = merge(cached, hit.ids, reread, orders)
    if reason:
        return None, "full", None, dict(stats, fallback=reason)
    return merged, "delta", found.watermark, stats


def fetch_and_build(client, plan, settings, on_host, reserved=frozenset(), keep_raw=False):
    """(data, built): `fetch` in a background thread while this thread builds each page's hosts.

    Hosts are added in the order `build` uses (every device, then every VM): pages that arrive before
    the kinds ahead of them are complete are prepared at once and wait only to be registered. Hosts are
    built once the lookup tables and the whole-table extras (services, interfaces) are in: those are
    read in the same concurrent batch as the first pages, and are usually much smaller than the host lists.
    """
    events = queue.Queue()

    def produce():
        try:
            events.put(("data", fetch(client, plan, cursor=settings.cursor_paging, page_size=settings.page_size,
                                      max_uri_length=settings.max_uri_length,
                                      on_rows=lambda kind, rows: events.put(("rows", kind, rows)),
                                      on_part=lambda key, rows: events.put(("part", key, rows)))))
        except BaseException as exc:  # pylint: disable=broad-except  # re-raised in the caller's thread
            events.put(("error", exc))

    threading.Thread(target=produce, name="sot.netbox.inventory-fetch", daemon=True).start()
    kinds = [q.kind for q in plan.hosts]
    pending, prepared, complete = {kind: [] for kind in kinds}, {kind: [] for kind in kinds}, set()
    needed = {"table:" + name for name in plan.tables} | {"extra:" + name for name in plan.extras}
    parts, state = {}, {"builder": None, "extras": None}

    def start_builder():
        tables = {k.split(":", 1)[1]: v for k, v in parts.items() if k.startswith("table:")}
        state["extras"] = Extras({k.split(":", 1)[1]: v for k, v in parts.items() if k.startswith("extra:")})
        state["builder"] = Builder(settings, tables, reserved=reserved, keep_raw=keep_raw)

    if not needed:
        start_builder()

    def drain():
        builder, extras = state["builder"], state["extras"]
        for kind in kinds:  # every page is prepared on arrival; registered once the kinds before it are complete
            while pending[kind]:
                rows = pending[kind].pop(0)
                prepared[kind].append(builder.prepare([extras.attach(dict(r, is_virtual=kind == "vm")) for r in rows]))
        for kind in kinds:
            while prepared[kind]:
                for name in builder.register(prepared[kind].pop(0)):
                    on_host(name, builder.out[name])
            if kind not in complete:
                return

    while True:
        event = events.get()
        if event[0] == "error":
            raise event[1]
        if event[0] == "data":
            data = event[1]
            break
        if event[0] == "part":
            parts[event[1]] = event[2]
            if state["builder"] is None and needed <= set(parts):
                start_builder()
        else:
            _tag, kind, rows = event
            if rows is None:
                complete.add(kind)
            else:
                pending[kind].append(rows)
        if state["builder"] is not None:
            drain()
    if state["builder"] is None:  # pragma: no cover - every part reports before the data
        parts.update({"table:" + k: v for k, v in data["tables"].items()})
        parts.update({"extra:" + k: v for k, v in data["extras"].items()})
        start_builder()
    complete.update(kinds)
    drain()
    return data, state["builder"].finish()


def write_metrics(path, metrics):
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

    def __init__(self, plugin, valid_name=None):
        self.plugin, self.inventory, self.valid_name = plugin, plugin.inventory, valid_name
        self.checked, self.added = {}, {}

    def host(self, name, host):
        """Add one built host now, unless another inventory source has it already (then `finish` sets it)."""
        if name in self.inventory.hosts:
            return
        self.added[name] = self._put(name, host)

    def _put(self, name, host):
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

    def discard(self):
        for entity in self.added.values():
            self.inventory.remove_host(entity)
        self.added = {}

    def finish(self, built):
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
