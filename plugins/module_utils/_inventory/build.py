# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hosts, host vars and groups from fetched NetBox data. PRIVATE to the collection; pure, no I/O.

Group names and host var names follow netbox.netbox.nb_inventory, so switching the `plugin:` line keeps
every group a playbook targets: `<group_by key>_<slug>` (or the bare slug with group_names_raw),
plural prefixes with `plurals: true`, boolean groupings named after the key (`is_virtual`), and
region/site group -> site -> location nesting with each host in its deepest site/location group.
"""
from __future__ import annotations

from typing import Any, Iterator

from ansible_collections.sot.netbox.plugins.module_utils._inventory.hostvars import (
    Context, _slug, group_name, group_values, host_vars, hostname, is_vc_member, split_reserved)
from ansible_collections.sot.netbox.plugins.module_utils._inventory.settings import SITE_NESTING


class Extras:
    """Interfaces (with their IPs) and services by host, indexed once, attached to each host record as it comes."""

    def __init__(self, extras: dict) -> None:
        extras = extras or {}
        ips = {"dcim.interface": {}, "virtualization.vminterface": {}}
        for ip in list(extras.get("device_ips", ())) + list(extras.get("vm_ips", ())):
            ips.setdefault(ip.get("assigned_object_type"), {}).setdefault(ip.get("assigned_object_id"), []).append(ip)
        self.interfaces = {"device": {}, "vm": {}}
        for kind, name, owner, ip_type in (("device", "device_interfaces", "device", "dcim.interface"),
                                           ("vm", "vm_interfaces", "virtual_machine", "virtualization.vminterface")):
            for iface in extras.get(name, ()):
                iface = dict(iface)
                iface["ip_addresses"] = ips[ip_type].get(iface["id"], [])
                iface["tags"] = [t["slug"] for t in iface.get("tags") or []]
                self.interfaces[kind].setdefault(_slug(iface.get(owner), "id"), []).append(iface)
        self.services = {"device": {}, "vm": {}}
        for kind, name, owner in (("device", "device_services", "dcim.device"),
                                  ("vm", "vm_services", "virtualization.virtualmachine")):
            for service in extras.get(name, ()):
                if service.get("parent_object_type", owner) == owner:
                    self.services[kind].setdefault(service.get("parent_object_id"), []).append(service)
        self.empty = not any(self.interfaces[k] or self.services[k] for k in ("device", "vm"))

    def attach(self, host: dict) -> dict:
        """The host record with its interfaces and services (the record itself when it has none)."""
        if self.empty:
            return host
        kind = "vm" if host.get("is_virtual") else "device"
        ifaces, services = self.interfaces[kind].get(host.get("id")), self.services[kind].get(host.get("id"))
        if ifaces:
            host["interfaces"] = host.get("interfaces", []) + ifaces
        if services:
            host["services"] = host.get("services", []) + services
        return host


def attach_extras(hosts: list, extras: dict) -> None:
    """Interfaces (with their IPs) and services onto the host records they belong to."""
    index = Extras(extras)
    for host in hosts:
        index.attach(host)


class _Groups:
    """Ordered groups with host and child lists (no duplicates)."""

    def __init__(self) -> None:
        self.groups = {}

    def add(self, name: str) -> dict:
        return self.groups.setdefault(name, {"hosts": [], "children": []})

    def host(self, name: str, host: dict) -> None:
        hosts = self.add(name)["hosts"]
        if not hosts or hosts[-1] != host:
            hosts.append(host)

    def child(self, parent: str, child: str) -> None:
        children = self.add(parent)["children"]
        self.add(child)
        if child not in children:
            children.append(child)


class Shared:
    """One object per distinct small value across hosts: 15,000 hosts in a few sites, roles and tenants
    repeat the same strings, one-element lists and status dicts. Sharing them cut the peak RSS of
    `ansible-inventory --list` on 15,000 hosts by about 25 MB. Ansible never changes inventory values in
    place (set_fact and combine_vars make new objects)."""

    def __init__(self) -> None:
        self.memo = {}

    def __call__(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.memo.setdefault(value, value)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return self.memo.setdefault(("list",) + tuple(value), value)
        if isinstance(value, dict) and all(isinstance(v, (str, int, float, bool, type(None))) for v in value.values()):
            return self.memo.setdefault(("dict",) + tuple(sorted(value.items(), key=lambda kv: kv[0])), value)
        return value


def build(data: dict, settings: Any, now: Any = None, reserved: frozenset = frozenset(), keep_raw: bool = True) -> dict:
    """{'hosts': {name: {'vars': host vars, 'raw': host record}}, 'groups': {...}, 'warnings': [...]}.

    `reserved`: Ansible's reserved variable names (see split_reserved). With `keep_raw`, each host also keeps
    its NetBox record (`raw`) and its reserved-named vars under their plain names (`moved`), from which
    `constructed_vars` gives compose, groups and keyed_groups what nb_inventory gives them.
    """
    builder = Builder(settings, data.get("tables"), now=now, reserved=reserved, keep_raw=keep_raw)
    devices = [dict(h, is_virtual=False) for h in data.get("devices", ())]
    vms = [dict(h, is_virtual=True) for h in data.get("vms", ())]
    attach_extras(devices + vms, data.get("extras") or {})
    for _name in builder.add(devices):
        pass
    for _name in builder.add(vms):
        pass
    return builder.finish()


class Builder:
    """`build` in steps, so hosts can be built while later pages are still arriving.

    `add(records)` builds each host's vars as soon as its record is there (records carry `is_virtual`
    and, when asked for, their interfaces and services); it is `prepare` (per record) then `register`
    (in host order, where duplicate names are resolved), so later records can be prepared early.
    `finish()` makes the groups, in the same order and with the same members as building everything at once.
    """

    def __init__(self, settings: Any, tables: dict | None = None, now: Any = None,
                 reserved: frozenset = frozenset(), keep_raw: bool = True) -> None:
        self.settings, self.now, self.reserved, self.keep_raw = settings, now, reserved, keep_raw
        self.ctx = Context(tables)
        self.out, self.placed, self.host_sites = {}, [], {}
        self.unnamed, self.duplicates, self.shared = 0, [], Shared()
        self.flat_keys = [k for k in settings.group_by if k not in SITE_NESTING]

    def add(self, records: list) -> Iterator[str]:
        """Build each record's host (skipping unnamed hosts, chassis members and duplicate names); yields its name."""
        return self.register(self.prepare(records))

    def prepare(self, records: list) -> list:
        """The work on each record that no other host affects (its vars and group names), ahead of `register`."""
        settings, ctx, shared, raw = self.settings, self.ctx, self.shared, self.settings.group_names_raw
        out = []
        for host in records:
            site = host.get("site")
            if isinstance(site, dict) and site.get("id") is not None:
                self.host_sites.setdefault(site["id"], site.get("slug"))
            if is_vc_member(host):
                continue
            name = hostname(host, settings)
            if name is None:
                self.unnamed += 1
                continue
            hv, moved = split_reserved(host_vars(host, ctx, settings, self.now), self.reserved,
                                       settings.reserved_var_prefix)
            hv = {key: shared(value) for key, value in hv.items()}
            flat = [group_name(settings.group_prefix(key), value, raw)
                    for key in self.flat_keys for value in group_values(key, host, ctx, self.now)]
            out.append((str(name), host, hv, moved, flat, _slug(host.get("location"), "id"), _slug(site, "id")))
        return out

    def register(self, prepared: list) -> Iterator[str]:
        """Prepared hosts, in order: a name already taken by an earlier host is skipped. Yields each new name."""
        for name, host, hv, moved, flat, loc_id, site_id in prepared:
            if name in self.out:
                self.duplicates.append(name)
                continue
            self.out[name] = {"vars": hv, "raw": host if self.keep_raw else None,
                              "moved": moved if self.keep_raw else None}
            self.placed.append((name, flat, loc_id, site_id))
            yield name

    def finish(self) -> dict:
        settings, ctx, groups, raw = self.settings, self.ctx, _Groups(), self.settings.group_names_raw
        site_groups, location_groups = {}, {}
        if any(k in settings.group_by for k in SITE_NESTING):
            site_prefix = settings.group_prefix("site")
            sites = {s_id: s["slug"] for s_id, s in ctx.sites.items()}
            for s_id, slug in self.host_sites.items():
                sites.setdefault(s_id, slug)
            for s_id, slug in sorted(sites.items()):
                site_groups[s_id] = group_name(site_prefix, slug, raw)
                groups.add(site_groups[s_id])
            if "location" in settings.group_by:
                location_groups = _nested(groups, "location", ctx.locations, raw)
                for l_id, loc in ctx.locations.items():
                    site_id = _slug(loc.get("site"), "id")
                    if loc.get("parent") is None and site_id in site_groups:
                        groups.child(site_groups[site_id], location_groups[l_id])
            for key, table, column in (("region", ctx.regions, "region"), ("site_group", ctx.site_groups, "group")):
                if key in settings.group_by:
                    names = _nested(groups, key, table, raw)
                    for s_id, site in ctx.sites.items():
                        parent = _slug(site.get(column), "id")
                        if parent in names and s_id in site_groups:
                            groups.child(names[parent], site_groups[s_id])
        for name, flat, loc_id, site_id in self.placed:
            for group in flat:
                groups.host(group, name)
            if loc_id in location_groups:
                groups.host(location_groups[loc_id], name)
            elif site_id in site_groups:
                groups.host(site_groups[site_id], name)
        warnings = []
        if self.unnamed:
            warnings.append(f"{self.unnamed} device(s)/VM(s) without a name were skipped (set hostname_field, or name them)")
        if self.duplicates:
            sample = ", ".join(sorted(set(self.duplicates))[:10])
            warnings.append(f"{len(self.duplicates)} host(s) share a name with an earlier device or VM and were skipped: "
                            f"{sample}")
        return {"hosts": self.out, "groups": groups.groups, "warnings": warnings}


def constructed_vars(entry: dict) -> tuple:
    """(compose variables, groups/keyed_groups variables) for one built host, as nb_inventory has them.

    nb_inventory composes from the NetBox record alone; Ansible then merges the host's vars over the record
    for groups and keyed_groups. Here compose also sees the host vars (the record wins on shared names, so
    existing expressions keep their meaning), and the prefixed reserved vars are there under plain names.
    """
    raw, moved = entry["raw"] or {}, entry["moved"] or {}
    return {**entry["vars"], **moved, **raw}, {**raw, **moved}


def _nested(groups: _Groups, key: str, table: dict, raw: bool) -> dict:
    """One group per object of a hierarchical table, each a child of its parent's group."""
    names = {oid: group_name(key, row["slug"], raw) for oid, row in table.items()}
    for oid, name in names.items():
        groups.add(name)
    for oid, row in table.items():
        parent = _slug(row.get("parent"), "id")
        if parent in names:
            groups.child(names[parent], names[oid])
    return names
