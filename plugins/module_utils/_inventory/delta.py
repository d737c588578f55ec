# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inventory's delta sync: a cached fetch result + a change set -> the fetch result now. PRIVATE; pure.

`watched_types` names every NetBox object type the result depends on. `affected` turns change records into
the host ids to re-read, or a reason to read everything: a changed lookup object (a site renamed, a tag,
a role...) feeds the nested payload of many hosts and their groups, so it is a full read, as is anything
this module cannot place exactly. `merge` puts re-read hosts in place of their cached records; a host that
is new to the result or was renamed changes the order NetBox lists hosts in (by name, with its collation),
which is not guessed: the runner then reads the list of ids in NetBox's order (a small `fields=id` list)
and `merge_in_order` places every host by it.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Iterable

# The merge of cached records with re-read ones is shared with the export's delta sync (_changes.py).
from ansible_collections.sot.netbox.plugins.module_utils._changes import merge_hosts, merge_in_order

HOST_TYPES = {"device": "dcim.device", "vm": "virtualization.virtualmachine"}
IP_TYPE = "ipam.ipaddress"
# Objects nested in host payloads, lookup tables, groups: a change to one is a full read.
LOOKUP_TYPES = frozenset((
    "dcim.site dcim.region dcim.sitegroup dcim.location dcim.rack dcim.rackrole dcim.devicerole dcim.platform "
    "dcim.devicetype dcim.manufacturer dcim.virtualchassis tenancy.tenant extras.tag extras.customfield "
    "virtualization.cluster virtualization.clustertype virtualization.clustergroup").split())
SERVICE_TYPES = frozenset(("ipam.service",))
INTERFACE_TYPES = frozenset(("dcim.interface", "virtualization.vminterface", IP_TYPE))
CONFIG_CONTEXT_TYPES = frozenset(("extras.configcontext",))
KIND_KEYS = {"device": "devices", "vm": "vms"}


@dataclasses.dataclass(frozen=True)
class Affected:
    ids: dict               # kind -> sorted host ids to re-read
    full: str = ""          # non-empty: read everything (why)


def watched_types(plan: Any, settings: Any) -> frozenset:
    """Every object type whose change can change this result."""
    kinds = {q.kind for q in plan.hosts}
    types = {HOST_TYPES[k] for k in kinds} | {IP_TYPE} | LOOKUP_TYPES
    if plan.extras and any(e.endswith("services") for e in plan.extras):
        types |= SERVICE_TYPES
    if settings.interfaces:
        types |= INTERFACE_TYPES
    if settings.config_context:
        types |= CONFIG_CONTEXT_TYPES
    return frozenset(types)


def _ip_owners(data: dict) -> dict:
    """IP address id -> [(kind, host id)] for every IP a cached host shows (primary IPs, out-of-band IP)."""
    owners: dict = {}
    for kind, key in KIND_KEYS.items():
        for host in data.get(key) or ():
            for field in ("primary_ip4", "primary_ip6", "oob_ip"):
                ip = host.get(field)
                if isinstance(ip, dict) and ip.get("id") is not None:
                    owners.setdefault(ip["id"], []).append((kind, host["id"]))
    return owners


def affected(changes: Iterable[Any], data: dict, settings: Any, plan: Any) -> Affected:
    """Host ids per kind to re-read for these changes, or why everything must be read."""
    watched = watched_types(plan, settings)
    by_type = {v: k for k, v in HOST_TYPES.items()}
    ids: dict[str, set] = {kind: set() for kind in KIND_KEYS}
    owners = None
    for change in changes:
        kind = by_type.get(change.object_type)
        if change.object_type not in watched:
            continue
        if kind is not None:
            ids[kind].add(change.object_id)
        elif change.object_type == IP_TYPE and not settings.interfaces:
            owners = _ip_owners(data) if owners is None else owners
            for owner_kind, host_id in owners.get(change.object_id, ()):
                ids[owner_kind].add(host_id)
        else:
            return Affected({}, f"{change.object_type} {change.object_id} changed ({change.action})")
    return Affected({kind: sorted(v) for kind, v in ids.items() if v})


def merge(data: dict, affected_ids: dict, reread: dict, orders: dict | None = None) -> tuple[dict, str]:
    """(fetch result now, reason for a full read or ''): `merge_hosts` for each kind, or `merge_in_order`
    for the kinds whose current order of ids is given; the rest is kept."""
    out = dict(data)
    for kind, ids in affected_ids.items():
        key = KIND_KEYS[kind]
        if orders and kind in orders:
            records, reason = merge_in_order(data.get(key) or [], ids, reread.get(kind) or [], orders[kind])
        else:
            records, reason = merge_hosts(data.get(key) or [], ids, reread.get(kind) or [])
        if reason:
            return data, reason
        out[key] = records
    return out, ""


def needs_order(reason: str) -> bool:
    """`merge_hosts` gave up only because of the order (a new or renamed host): NetBox's order fixes that."""
    return reason.endswith("is new to the result") or reason.endswith("was renamed")
