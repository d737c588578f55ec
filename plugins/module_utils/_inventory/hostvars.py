# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One host's vars and group values from its NetBox record and the lookup tables. PRIVATE; pure, no I/O.

Names and shapes follow netbox.netbox.nb_inventory (see build.py for the groups made from them).
"""
from __future__ import annotations

import datetime
import ipaddress
import re
from typing import Any

from ansible_collections.sot.netbox.plugins.module_utils._digits import ascii_digits

try:
    from zoneinfo import ZoneInfo
except ImportError:  # pragma: no cover - Python < 3.9
    ZoneInfo = None

# Host var name per grouping (nb_inventory renames these four; the plural ones follow `plurals`).
_LIST_VARS = {"tag": "tags", "region": "regions", "site_group": "site_groups", "location": "locations"}
_PLURAL_WRAPPED = ("site", "tenant", "rack", "role", "platform", "device_type", "manufacturer")


def _slug(obj: Any, key: str = "slug") -> Any:
    return obj.get(key) if isinstance(obj, dict) else None


def _ip(obj: Any) -> str | None:
    """'192.0.2.1/24' -> '192.0.2.1' (NetBox addresses are always CIDR; anything else is parsed strictly)."""
    if not isinstance(obj, dict) or not obj.get("address"):
        return None
    address = obj["address"]
    host, _sep, length = address.partition("/")
    if ascii_digits(length) and (host.count(".") == 3 or ":" in host):
        return host
    try:
        return str(ipaddress.ip_interface(address).ip)
    except ValueError:
        return None


def compact(obj: Any) -> Any:
    """Drop the URL noise of nested objects: smaller cache entry, same data for compose."""
    if isinstance(obj, dict):
        return {k: compact(v) for k, v in obj.items() if k not in ("url", "display_url")}
    if isinstance(obj, list):
        return [compact(v) for v in obj]
    return obj


# Host record fields that are host vars as NetBox returns them (nb_inventory's cluster_device keeps its URLs).
RAW_HOST_FIELDS = frozenset(("device",))


def compact_host(record: dict) -> dict:
    """`compact` for a device/VM record, except the fields that are host vars as they are."""
    return {k: (v if k in RAW_HOST_FIELDS else compact(v)) for k, v in record.items() if k not in ("url", "display_url")}


class Context:
    """Lookup maps built once from the fetched tables (id -> value)."""

    def __init__(self, tables: dict | None) -> None:
        tables = tables or {}
        self.sites = {r["id"]: r for r in tables.get("sites", ())}
        self.regions = {r["id"]: r for r in tables.get("regions", ())}
        self.site_groups = {r["id"]: r for r in tables.get("site_groups", ())}
        self.locations = {r["id"]: r for r in tables.get("locations", ())}
        self.racks = {r["id"]: r for r in tables.get("racks", ())}
        self.clusters = {r["id"]: r for r in tables.get("clusters", ())}

    @staticmethod
    def chain(start_id: Any, table: dict) -> list:
        """Slugs from an object up through its parents (nb_inventory's region/location lists)."""
        out, seen, oid = [], set(), start_id
        while oid is not None and oid in table and oid not in seen:
            seen.add(oid)
            out.append(table[oid]["slug"])
            oid = _slug(table[oid].get("parent"), "id")
        return out

    def site_attr(self, host: dict, column: str) -> Any:
        site = self.sites.get(_slug(host.get("site"), "id"))
        return site.get(column) if site else None


def utc_offset_name(time_zone: str | None, now: Any = None) -> str | None:
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


def _cluster_attr(host: dict, ctx: Context, column: str) -> Any:
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


def group_values(key: str, host: dict, ctx: Context, now: Any = None) -> list:
    """The value(s) a host contributes to grouping `key` (a list; empty when none)."""
    if key == "tag":
        return [t["slug"] for t in host.get("tags") or [] if isinstance(t, dict) and t.get("slug")]
    if key == "services":
        return [s["name"] for s in host.get("services") or [] if s.get("name")]
    if key == "is_virtual":
        return [True] if host.get("is_virtual") else []
    value = _SINGLE_VALUE[key](host, ctx, now)
    return [value] if value not in (None, "") else []


def group_name(prefix: str, value: Any, raw: bool) -> str:
    """nb_inventory's generate_group_name: booleans name the group after the key; else prefix_value."""
    if value is True:
        return prefix
    if prefix == "services":
        prefix = "service"
    return str(value) if raw else f"{prefix}_{value}"


def hostname(host: dict, settings: Any) -> str | None:
    """The inventory hostname, or None when the host has none (unnamed devices are skipped)."""
    vc = host.get("virtual_chassis")
    if settings.virtual_chassis_name and isinstance(vc, dict) and vc.get("master"):
        return vc.get("name") or None
    if settings.hostname_field:
        return (host.get("custom_fields") or {}).get(settings.hostname_field) or None
    return host.get("name") or None


def is_vc_member(host: dict) -> bool:
    """A virtual-chassis member that is not the master: nb_inventory represents the chassis by its master."""
    master = _slug((host.get("virtual_chassis") or {}).get("master"), "id")
    return master is not None and master != host.get("id")


def ansible_host(host: dict, settings: Any) -> tuple:
    first, second = ("primary_ip4", "primary_ip6") if settings.default_ip_version == "ipv4" else ("primary_ip6", "primary_ip4")
    chosen = host.get(first) or host.get(second)
    if settings.oob_ip_as_primary_ip and host.get("oob_ip"):
        chosen = host["oob_ip"]
    if settings.ansible_host_dns_name and isinstance(chosen, dict) and chosen.get("dns_name"):
        return chosen["dns_name"], chosen
    return _ip(chosen), chosen


def _var_name(key: str, settings: Any) -> str:
    if key in _LIST_VARS:
        return _LIST_VARS[key]
    return settings.group_prefix(key)


def host_vars(host: dict, ctx: Context, settings: Any, now: Any = None) -> dict:
    """Host vars with nb_inventory's names and shapes (plural vars are one-element lists with plurals)."""
    hv = _address_vars(host, settings)
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
    _lookup_vars(hv, host, ctx, settings, now)
    _data_vars(hv, host, settings)
    return _renamed(hv, settings.rename_variables)


def _address_vars(host: dict, settings: Any) -> dict:
    """ansible_host, the primary and out-of-band IPs, and the chosen IP's DNS name."""
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
    return hv


def _lookup_vars(hv: dict, host: dict, ctx: Context, settings: Any, now: Any) -> None:
    """The vars that come from the lookup tables (regions, site groups, locations, cluster and rack attributes)."""
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


def _data_vars(hv: dict, host: dict, settings: Any) -> None:
    """Custom fields, context data, services, interfaces and extra_fields."""
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
    if settings.services or "services" in settings.group_by:
        hv["services"] = host.get("services") or []
    if settings.interfaces:
        hv["interfaces"] = host.get("interfaces") or []
    for field in settings.extra_fields:
        if field in host:
            hv[field] = host[field]


def _put(hv: dict, name: str, value: Any, flatten: bool) -> None:
    if flatten and isinstance(value, dict):
        hv.update(value)
    else:
        hv[name] = value


def _renamed(hv: dict, renames: tuple) -> dict:
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


def split_reserved(hv: dict, reserved: frozenset, prefix: str) -> tuple:
    """Host vars named like play keywords (nb_inventory's `tags`, `serial`) get `prefix`: Ansible warns about
    and re-checks such names on every host. Returns (host vars, {original name: value}) for compose."""
    if not prefix or not reserved:
        return hv, {}
    moved = {k: v for k, v in hv.items() if k in reserved}
    if not moved:
        return hv, {}
    return {(prefix + k if k in moved else k): v for k, v in hv.items()}, moved
