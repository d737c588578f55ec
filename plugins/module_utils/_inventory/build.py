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

import datetime
import ipaddress
import re

try:
    from zoneinfo import ZoneInfo
except ImportError:  # pragma: no cover - Python < 3.9
    ZoneInfo = None

from ansible_collections.sot.netbox.plugins.module_utils._inventory.settings import SITE_NESTING

# Host var name per grouping (nb_inventory renames these four; the plural ones follow `plurals`).
_LIST_VARS = {"tag": "tags", "region": "regions", "site_group": "site_groups", "location": "locations"}
_PLURAL_WRAPPED = ("site", "tenant", "rack", "role", "platform", "device_type", "manufacturer")


def _slug(obj, key="slug"):
    return obj.get(key) if isinstance(obj, dict) else None


def _ip(obj):
    """'192.0.2.1/24' -> '192.0.2.1' (NetBox addresses are always CIDR; anything else is parsed strictly)."""
    if not isinstance(obj, dict) or not obj.get("address"):
        return None
    address = obj["address"]
    host, _sep, length = address.partition("/")
    if length.isdigit() and (host.count(".") == 3 or ":" in host):
        return host
    try:
        return str(ipaddress.ip_interface(address).ip)
    except ValueError:
        return None


def compact(obj):
    """Drop the URL noise of nested objects: smaller cache entry, same data for compose."""
    if isinstance(obj, dict):
        return {k: compact(v) for k, v in obj.items() if k not in ("url", "display_url")}
    if isinstance(obj, list):
        return [compact(v) for v in obj]
    return obj


# Host record fields that are host vars as NetBox returns them (nb_inventory's cluster_device keeps its URLs).
RAW_HOST_FIELDS = frozenset(("device",))


def compact_host(record):
    """`compact` for a device/VM record, except the fields that are host vars as they are."""
    return {k: (v if k in RAW_HOST_FIELDS else compact(v)) for k, v in record.items() if k not in ("url", "display_url")}


class Context:
    """Lookup maps built once from the fetched tables (id -> value)."""

    def __init__(self, tables):
        tables = tables or {}
        self.sites = {r["id"]: r for r in tables.get("sites", ())}
        self.regions = {r["id"]: r for r in tables.get("regions", ())}
        self.site_groups = {r["id"]: r for r in tables.get("site_groups", ())}
        self.locations = {r["id"]: r for r in tables.get("locations", ())}
        self.racks = {r["id"]: r for r in tables.get("racks", ())}
        self.clusters = {r["id"]: r for r in tables.get("clusters", ())}

    @staticmethod
    def chain(start_id, table):
        """Slugs from an object up through its parents (nb_inventory's region/location lists)."""
        out, seen, oid = [], set(), start_id
        while oid is not None and oid in table and oid not in seen:
            seen.add(oid)
            out.append(table[oid]["slug"])
            oid = _slug(table[oid].get("parent"), "id")
        return out

    def site_attr(self, host, column):
        site = self.sites.get(_slug(host.get("site"), "id"))
        return site.get(column) if site else None


def utc_offset_name(time_zone, now=None):
    """nb_inventory's utc_offset group value: 'plus_1', 'minus_5' (rounded hours, at `now`)."""
    if not time_zone or ZoneInfo is None:
        return None
    try:
        zone = ZoneInfo(time_zone)
    except (KeyError, ValueError, OSError):
        return None
    moment = (now or datetime.datetime.now(datetime.timezone.utc)).astimezone(zone)
    hours = round(moment.utcoffset().total_seconds() / 3600)
    return str(hours).replace("-", "minus_") if hours < 0 else f"plus_{hours}"


def _cluster_attr(host, ctx, column):
    return _slug(ctx.clusters.get(_slug(host.get("cluster"), "id"), {}).get(column))


# grouping -> (host, ctx, now) -> its one value or None (tag, services and is_virtual give lists: see group_values)
_SINGLE_VALUE = {
    "site": lambda h, c, n: _slug(h.get("site")),
    "tenant": lambda h, c, n: _slug(h.get("tenant")),
    "rack": lambda h, c, n: _slug(h.get("rack"), "name"),
    "role": lambda h, c, n: _slug(h.get("role")),
    "platform": lambda h, c, n: _slug(h.get("platform")),
    "device_type": lambda h, c, n: _slug(h.get("device_type")),
    "manufacturer": lambda h, c, n: _slug((h.get("device_type") or {}).get("manufacturer")),
    "status": lambda h, c, n: _slug(h.get("status"), "value"),
    "cluster": lambda h, c, n: _slug(h.get("cluster"), "name"),
    "cluster_type": lambda h, c, n: _cluster_attr(h, c, "type"),
    "cluster_group": lambda h, c, n: _cluster_attr(h, c, "group"),
    "rack_role": lambda h, c, n: _slug(c.racks.get(_slug(h.get("rack"), "id"), {}).get("role")),
    "time_zone": lambda h, c, n: (c.site_attr(h, "time_zone") or "").replace("/", "_", 2) or None,
    "utc_offset": lambda h, c, n: utc_offset_name(c.site_attr(h, "time_zone"), n),
    "facility": lambda h, c, n: c.site_attr(h, "facility") or None,
}


def group_values(key, host, ctx, now=None):
    """The value(s) a host contributes to grouping `key` (a list; empty when none)."""
    if key == "tag":
        return [t["slug"] for t in host.get("tags") or [] if isinstance(t, dict) and t.get("slug")]
    if key == "services":
        return [s["name"] for s in host.get("services") or [] if s.get("name")]
    if key == "is_virtual":
        return [True] if host.get("is_virtual") else []
    value = _SINGLE_VALUE[key](host, ctx, now)
    return [value] if value not in (None, "") else []


def group_name(prefix, value, raw):
    """nb_inventory's generate_group_name: booleans name the group after the key; else prefix_value."""
    if value is True:
        return prefix
    if prefix == "services":
        prefix = "service"
    return str(value) if raw else f"{prefix}_{value}"


def hostname(host, settings):
    """The inventory hostname, or None when the host has none (unnamed devices are skipped)."""
    vc = host.get("virtual_chassis")
    if settings.virtual_chassis_name and isinstance(vc, dict) and vc.get("master"):
        return vc.get("name") or None
    if settings.hostname_field:
        return (host.get("custom_fields") or {}).get(settings.hostname_field) or None
    return host.get("name") or None


def is_vc_member(host):
    """A virtual-chassis member that is not the master: nb_inventory represents the chassis by its master."""
    master = _slug((host.get("virtual_chassis") or {}).get("master"), "id")
    return master is not None and master != host.get("id")


def ansible_host(host, settings):
    first, second = ("primary_ip4", "primary_ip6") if settings.default_ip_version == "ipv4" else ("primary_ip6", "primary_ip4")
    chosen = host.get(first) or host.get(second)
    if settings.oob_ip_as_primary_ip and host.get("oob_ip"):
        chosen = host["oob_ip"]
    if settings.ansible_host_dns_name and isinstance(chosen, dict) and chosen.get("dns_name"):
        return chosen["dns_name"], chosen
    return _ip(chosen), chosen


def _var_name(key, settings):
    if key in _LIST_VARS:
        return _LIST_VARS[key]
    return settings.group_prefix(key)


def host_vars(host, ctx, settings, now=None):
    """Host vars with nb_inventory's names and shapes (plural vars are one-element lists with plurals)."""
    hv = {}
    address, chosen = ansible_host(host, settings)
    if address:
        hv["ansible_host"] = address
    for name in ("primary_ip4", "primary_ip6", "oob_ip"):
        if _ip(host.get(name)):
            hv[name] = _ip(host.get(name))
    if (settings.dns_name or settings.interfaces or settings.ansible_host_dns_name) and isinstance(chosen, dict) \
            and chosen.get("dns_name"):
        hv["dns_name"] = chosen["dns_name"]
    for name in ("vcpus", "memory", "disk", "serial", "asset_tag", "status"):
        if host.get(name) is not None:
            hv[name] = host[name]
    hv["is_virtual"] = bool(host.get("is_virtual"))
    if isinstance(host.get("cluster"), dict):
        hv["cluster"] = host["cluster"].get("name")
    if host.get("device"):
        hv["cluster_device"] = host["device"]
    for key in _PLURAL_WRAPPED:
        if key == "rack" and not settings.racks:
            continue
        values = group_values(key, host, ctx)
        if values:
            hv[_var_name(key, settings)] = values if settings.plurals else values[0]
    hv["tags"] = group_values("tag", host, ctx)
    # nb_inventory sets these on every host (lists, possibly empty), whatever group_by says.
    hv["regions"] = ctx.chain(_slug(ctx.sites.get(_slug(host.get("site"), "id"), {}).get("region"), "id"), ctx.regions)
    hv["site_groups"] = ctx.chain(_slug(ctx.sites.get(_slug(host.get("site"), "id"), {}).get("group"), "id"),
                                  ctx.site_groups)
    if settings.racks:
        hv["locations"] = ctx.chain(_slug(host.get("location"), "id"), ctx.locations)
    lookups = set(settings.group_by)
    if "facility" in lookups and ctx.site_attr(host, "facility") is not None:
        hv["facility"] = ctx.site_attr(host, "facility")  # nb_inventory sets an empty facility too
    for key in ("rack_role", "cluster_type", "cluster_group", "time_zone", "utc_offset"):
        if key in ("cluster_type", "cluster_group") or (key == "rack_role" and settings.racks) or key in lookups:
            values = group_values(key, host, ctx, now)
            if values:
                hv[key] = values[0]
    custom = {k: v for k, v in (host.get("custom_fields") or {}).items() if v is not None}
    _put(hv, "custom_fields", custom, settings.flatten_custom_fields)
    data = host.get("local_context_data")
    if settings.plurals and not settings.flatten_local_context_data:
        hv["local_context_data"] = [data]  # nb_inventory's [null] when there is none
    elif data is not None:
        _put(hv, "local_context_data", data, settings.flatten_local_context_data)
    if settings.config_context and "config_context" in host:
        data = host["config_context"] or {}
        _put(hv, "config_context", data if settings.flatten_config_context or not settings.plurals else [data],
             settings.flatten_config_context)
    if settings.services or "services" in lookups:
        hv["services"] = host.get("services") or []
    if settings.interfaces:
        hv["interfaces"] = host.get("interfaces") or []
    for field in settings.extra_fields:
        if field in host:
            hv[field] = host[field]
    return _renamed(hv, settings.rename_variables)


def _put(hv, name, value, flatten):
    if flatten and isinstance(value, dict):
        hv.update(value)
    else:
        hv[name] = value


def _renamed(hv, renames):
    if not renames:
        return hv
    compiled = [(re.compile(p), r) for p, r in renames]
    out = {}
    for key, value in hv.items():
        for pattern, repl in compiled:
            if pattern.match(key):
                key = pattern.sub(repl, key)
                break
        out[key] = value
    return out


class Extras:
    """Interfaces (with their IPs) and services by host, indexed once, attached to each host record as it comes."""

    def __init__(self, extras):
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

    def attach(self, host):
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


def attach_extras(hosts, extras):
    """Interfaces (with their IPs) and services onto the host records they belong to."""
    index = Extras(extras)
    for host in hosts:
        index.attach(host)


class _Groups:
    """Ordered groups with host and child lists (no duplicates)."""

    def __init__(self):
        self.groups = {}

    def add(self, name):
        return self.groups.setdefault(name, {"hosts": [], "children": []})

    def host(self, name, host):
        hosts = self.add(name)["hosts"]
        if not hosts or hosts[-1] != host:
            hosts.append(host)

    def child(self, parent, child):
        children = self.add(parent)["children"]
        self.add(child)
        if child not in children:
            children.append(child)


class Shared:
    """One object per distinct small value across hosts: 15,000 hosts in a few sites, roles and tenants
    repeat the same strings, one-element lists and status dicts. Sharing them cut the peak RSS of
    `ansible-inventory --list` on 15,000 hosts by about 25 MB. Ansible never changes inventory values in
    place (set_fact and combine_vars make new objects)."""

    def __init__(self):
        self.memo = {}

    def __call__(self, value):
        if isinstance(value, str):
            return self.memo.setdefault(value, value)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return self.memo.setdefault(("list",) + tuple(value), value)
        if isinstance(value, dict) and all(isinstance(v, (str, int, float, bool, type(None))) for v in value.values()):
            return self.memo.setdefault(("dict",) + tuple(sorted(value.items(), key=lambda kv: kv[0])), value)
        return value


def split_reserved(hv, reserved, prefix):
    """Host vars named like play keywords (nb_inventory's `tags`, `serial`) get `prefix`: Ansible warns about
    and re-checks such names on every host. Returns (host vars, {original name: value}) for compose."""
    if not prefix or not reserved:
        return hv, {}
    moved = {k: v for k, v in hv.items() if k in reserved}
    if not moved:
        return hv, {}
    return {(prefix + k if k in moved else k): v for k, v in hv.items()}, moved


def build(data, settings, now=None, reserved=frozenset(), keep_raw=True):
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

    def __init__(self, settings, tables=None, now=None, reserved=frozenset(), keep_raw=True):
        self.settings, self.now, self.reserved, self.keep_raw = settings, now, reserved, keep_raw
        self.ctx = Context(tables)
        self.out, self.placed, self.host_sites = {}, [], {}
        self.unnamed, self.duplicates, self.shared = 0, [], Shared()
        self.flat_keys = [k for k in settings.group_by if k not in SITE_NESTING]

    def add(self, records):
        """Build each record's host (skipping unnamed hosts, chassis members and duplicate names); yields its name."""
        return self.register(self.prepare(records))

    def prepare(self, records):
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

    def register(self, prepared):
        """Prepared hosts, in order: a name already taken by an earlier host is skipped. Yields each new name."""
        for name, host, hv, moved, flat, loc_id, site_id in prepared:
            if name in self.out:
                self.duplicates.append(name)
                continue
            self.out[name] = {"vars": hv, "raw": host if self.keep_raw else None,
                              "moved": moved if self.keep_raw else None}
            self.placed.append((name, flat, loc_id, site_id))
            yield name

    def finish(self):
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


def constructed_vars(entry):
    """(compose variables, groups/keyed_groups variables) for one built host, as nb_inventory has them.

    nb_inventory composes from the NetBox record alone; Ansible then merges the host's vars over the record
    for groups and keyed_groups. Here compose also sees the host vars (the record wins on shared names, so
    existing expressions keep their meaning), and the prefixed reserved vars are there under plain names.
    """
    raw, moved = entry["raw"] or {}, entry["moved"] or {}
    return {**entry["vars"], **moved, **raw}, {**raw, **moved}


def _nested(groups, key, table, raw):
    """One group per object of a hierarchical table, each a child of its parent's group."""
    names = {oid: group_name(key, row["slug"], raw) for oid, row in table.items()}
    for oid, name in names.items():
        groups.add(name)
    for oid, row in table.items():
        parent = _slug(row.get("parent"), "id")
        if parent in names:
            groups.child(names[parent], names[oid])
    return names
