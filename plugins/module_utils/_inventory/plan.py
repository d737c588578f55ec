# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fetch planning: which endpoints, filters and fields one inventory run needs. PRIVATE; pure, no I/O.

The device and VM payloads already carry site, role, tenant, platform, device type and manufacturer
(id, name, slug), so those groupings cost no extra request. Only hierarchies and second-hand
attributes need a lookup table, and only the columns they use are asked for.
"""
from __future__ import annotations

import dataclasses
import re
from typing import Any, Iterator

from ansible_collections.sot.netbox.plugins.module_utils._records import record

# Top-level fields of NetBox 4.x devices and VMs (for extra_fields and for fields used by compose/groups).
DEVICE_FIELDS = frozenset((
    "id url display_url display name device_type role tenant platform serial asset_tag site location rack position "
    "face latitude longitude parent_device status airflow cooling_method primary_ip primary_ip4 primary_ip6 oob_ip "
    "cluster virtual_chassis vc_position vc_priority description owner comments config_template config_context "
    "local_context_data tags custom_fields created last_updated console_port_count console_server_port_count "
    "power_port_count power_outlet_count interface_count front_port_count rear_port_count device_bay_count "
    "module_bay_count inventory_item_count").split())
VM_FIELDS = frozenset((
    "id url display_url display name virtual_machine_type role status start_on_boot site cluster device platform "
    "primary_ip primary_ip4 primary_ip6 vcpus memory disk description serial tenant owner comments tags "
    "local_context_data config_template custom_fields created last_updated interface_count virtual_disk_count "
    "config_context").split())

# What every host needs for its name, ansible_host and the nb_inventory-compatible host vars.
BASE_DEVICE_FIELDS = ("id", "name", "role", "tenant", "platform", "site", "location", "rack", "status", "primary_ip4",
                      "primary_ip6", "oob_ip", "tags", "custom_fields", "serial", "asset_tag", "device_type", "cluster",
                      "virtual_chassis", "local_context_data")
BASE_VM_FIELDS = ("id", "name", "role", "tenant", "platform", "site", "cluster", "device", "status", "primary_ip4",
                  "primary_ip6", "tags", "custom_fields", "serial", "vcpus", "memory", "disk", "local_context_data")

# Filters that exist for one kind only: nb_inventory validates query_filters per kind against the OpenAPI
# schema (a 6 MB download); this small table gives the same routing without it. Others go to both kinds.
DEVICE_ONLY_FILTERS = frozenset((
    "rack rack_id location location_id device_type device_type_id manufacturer manufacturer_id model asset_tag "
    "face position airflow cooling_method virtual_chassis_id virtual_chassis_member vc_position vc_priority "
    "has_oob_ip oob_ip_id parent_device_id console_ports console_server_ports power_ports power_outlets "
    "interfaces pass_through_ports module_bays device_bays is_full_depth has_virtual_device_context "
    "latitude longitude").split())
VM_ONLY_FILTERS = frozenset((
    "cluster_type cluster_type_id cluster_group cluster_group_id device device_id vcpus memory disk "
    "virtual_machine_type virtual_machine_type_id start_on_boot").split())

# lookup table -> (endpoint, fields). Which runs read which table: VAR_TABLES, RACK_TABLES, SITE_COLUMNS_FOR.
TABLES = {
    "sites": (record("site").path(), ("id", "slug", "region", "group", "time_zone", "facility")),
    "regions": (record("region").path(), ("id", "slug", "parent")),
    "site_groups": (record("site_group").path(), ("id", "slug", "parent")),
    "locations": (record("location").path(), ("id", "slug", "parent", "site")),
    "racks": (record("rack").path(), ("id", "role")),
    "clusters": (record("cluster").path(), ("id", "type", "group")),
}
# nb_inventory sets regions, site_groups, cluster_type and cluster_group on every host (and, with racks: true,
# locations and rack_role), whatever group_by says: these tables are read on every run.
VAR_TABLES = ("sites", "regions", "site_groups", "clusters")
RACK_TABLES = ("locations", "racks")
BASE_SITE_COLUMNS = ("region", "group")
# Site columns only some groupings read.
SITE_COLUMNS_FOR = {"time_zone": "time_zone", "utc_offset": "time_zone", "facility": "facility"}

# Optional per-host data, fetched in bulk (whole table, or by host id batches when hosts are filtered).
# Services are host vars as NetBox returns them (nb_inventory's shape): every field (None), URLs kept.
EXTRAS = {
    "device_interfaces": (record("interface").path(), "device_id", (
        "id", "name", "device", "label", "type", "enabled", "parent", "lag", "mtu", "mac_address", "mgmt_only",
        "description", "mode", "untagged_vlan", "tagged_vlans", "vrf", "tags", "count_ipaddresses")),
    "vm_interfaces": (record("vm_interface").path(), "virtual_machine_id", (
        "id", "name", "virtual_machine", "enabled", "parent", "mtu", "mac_address", "description", "mode",
        "untagged_vlan", "tagged_vlans", "vrf", "tags")),
    "device_ips": (record("ip_address").path(), "device_id", (
        "id", "address", "family", "vrf", "tenant", "status", "role", "dns_name", "description", "tags",
        "assigned_object_type", "assigned_object_id")),
    "vm_ips": (record("ip_address").path(), "virtual_machine_id", (
        "id", "address", "family", "vrf", "tenant", "status", "role", "dns_name", "description", "tags",
        "assigned_object_type", "assigned_object_id")),
    "device_services": (record("service").path(), "parent_object_id", None),
    "vm_services": (record("service").path(), "parent_object_id", None),
}
EXTRA_PARAMS = {
    "device_ips": {"assigned_to_interface": "true"},
    "vm_ips": {"assigned_to_interface": "true"},
    "device_services": {"parent_object_type": "dcim.device"},
    "vm_services": {"parent_object_type": "virtualization.virtualmachine"},
}
# Extras kept exactly as NetBox returns them (not compacted): they are host vars, compared with nb_inventory's.
RAW_EXTRAS = frozenset(("device_services", "vm_services"))
URL_OVERHEAD = 500  # characters of a request URL besides its id filters (base URL, path, fields=, limit)


@dataclasses.dataclass(frozen=True)
class HostQuery:
    kind: str          # "device" | "vm"
    endpoint: str
    params: tuple      # ((name, value), ...) repeated names allowed (NetBox ORs them)
    fields: tuple


@dataclasses.dataclass(frozen=True)
class FetchPlan:
    hosts: tuple       # HostQuery per kind that is fetched
    tables: dict       # table name -> (endpoint, fields)
    extras: tuple      # names from EXTRAS
    filtered: bool     # hosts are a subset: extras are fetched by host id, not whole tables


def _base(name: str) -> str:
    return name.split("__", 1)[0]


def route_filters(query_filters: tuple, kind: str) -> tuple:
    """nb_inventory's rule: a shared filter applies to a kind only if that kind has such a filter."""
    other = VM_ONLY_FILTERS if kind == "device" else DEVICE_ONLY_FILTERS
    return tuple((k, v) for k, v in query_filters if _base(k) not in other)


def referenced_fields(templates: Any, known: frozenset) -> list:
    """Top-level NetBox fields that compose/groups/keyed_groups expressions name, e.g. 'description'."""
    names = set()
    for text in templates:
        names.update(re.findall(r"(?<![.\w])([a-z_][a-z0-9_]*)", str(text)))
    return sorted(names & known)


def _host_query(kind: str, settings: Any, used_fields: list) -> HostQuery | None:
    if kind == "device":
        endpoint, base, known, own = record("device").path(), BASE_DEVICE_FIELDS, DEVICE_FIELDS, settings.device_query_filters
    else:
        endpoint, base, known, own = record("virtual_machine").path(), BASE_VM_FIELDS, VM_FIELDS, settings.vm_query_filters
    shared = route_filters(settings.query_filters, kind)
    if settings.query_filters and not shared and not own:
        return None  # every shared filter belongs to the other kind: nb_inventory fetches none of this kind
    fields = list(base)
    wanted = list(settings.extra_fields) + list(used_fields)
    if settings.config_context:
        wanted.append("config_context")
    fields += [f for f in wanted if f in known and f not in fields]
    return HostQuery(kind, endpoint, shared + own, tuple(fields))


def plan_fetch(settings: Any, templates: Any = ()) -> FetchPlan:
    """The requests one run needs, from the settings and the compose/groups/keyed_groups expressions."""
    used = referenced_fields(templates, DEVICE_FIELDS | VM_FIELDS)
    kinds = [k for k, on in (("device", settings.devices), ("vm", settings.virtual_machines)) if on]
    hosts = tuple(q for q in (_host_query(k, settings, used) for k in kinds) if q is not None)
    names = VAR_TABLES + (RACK_TABLES if settings.racks else ())
    tables = {name: TABLES[name] for name in names}
    columns = set(BASE_SITE_COLUMNS) | {SITE_COLUMNS_FOR[k] for k in settings.group_by if k in SITE_COLUMNS_FOR}
    tables["sites"] = (TABLES["sites"][0], ("id", "slug") + tuple(c for c in TABLES["sites"][1] if c in columns))
    kinds_fetched = {q.kind for q in hosts}
    extras = []
    if settings.interfaces:
        extras += [e for k, e in (("device", "device_interfaces"), ("vm", "vm_interfaces")) if k in kinds_fetched]
        extras += [e for k, e in (("device", "device_ips"), ("vm", "vm_ips")) if k in kinds_fetched]
    if settings.services or "services" in settings.group_by:
        extras += [e for k, e in (("device", "device_services"), ("vm", "vm_services")) if k in kinds_fetched]
    filtered = any(q.params for q in hosts)
    return FetchPlan(hosts=hosts, tables=tables, extras=tuple(extras), filtered=filtered)


def id_batches(ids: Any, param: str, budget: int = 4000 - URL_OVERHEAD) -> Iterator[list]:
    """Split host ids into groups whose `param=<id>&...` query stays within `budget` characters."""
    batch, used = [], 0
    for oid in sorted(ids):
        cost = len(param) + len(str(oid)) + 2
        if batch and used + cost > budget:
            yield batch
            batch, used = [], 0
        batch.append(oid)
        used += cost
    if batch:
        yield batch
