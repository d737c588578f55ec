# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One declarative record per NetBox object type. PRIVATE to the collection.

Everything the collection knows about an object type lives in its record: the endpoint, the keys a
user may name it by, the fields worth fetching for a lookup table, the cache TTL kind, and the
references of its own fields to other types. No `if endpoint == ...` branches elsewhere.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ObjectType:
    name: str                       # our name for the type, used in messages ("VRF 'prod' not found")
    endpoint: str                   # REST collection, e.g. "ipam/vrfs"
    keys: tuple = ("name", "slug")  # what a user may call an object by, tried in order
    kind: str = "static"            # cache TTL kind of its lookup table
    fields: tuple = ("id", "name", "slug")  # fetched for the lookup table
    references: dict = field(default_factory=dict)  # field -> ObjectType.name
    label: str = ""                 # human name in messages

    @property
    def title(self):
        return self.label or self.name.replace("_", " ")


_TYPES = (
    ObjectType("region", "dcim/regions"),
    ObjectType("site_group", "dcim/site-groups", label="site group"),
    ObjectType("site", "dcim/sites", fields=("id", "name", "slug", "group", "region"),
               references={"group": "site_group", "region": "region"}),
    ObjectType("location", "dcim/locations", fields=("id", "name", "slug", "site"), references={"site": "site"}),
    ObjectType("rack", "dcim/racks", keys=("name",), fields=("id", "name", "site", "location"),
               references={"site": "site", "location": "location"}),
    ObjectType("manufacturer", "dcim/manufacturers"),
    ObjectType("device_type", "dcim/device-types", keys=("model", "slug"),
               fields=("id", "model", "slug", "manufacturer", "u_height"), references={"manufacturer": "manufacturer"},
               label="device type"),
    ObjectType("device_role", "dcim/device-roles", label="device role"),
    ObjectType("platform", "dcim/platforms"),
    ObjectType("tenant", "tenancy/tenants"),
    ObjectType("tenant_group", "tenancy/tenant-groups", label="tenant group"),
    ObjectType("contact", "tenancy/contacts", keys=("name",), fields=("id", "name", "email")),
    ObjectType("contact_role", "tenancy/contact-roles", label="contact role"),
    ObjectType("cluster", "virtualization/clusters", keys=("name",), fields=("id", "name", "type", "group")),
    ObjectType("cluster_type", "virtualization/cluster-types", label="cluster type"),
    ObjectType("cluster_group", "virtualization/cluster-groups", label="cluster group"),
    ObjectType("vrf", "ipam/vrfs", keys=("name", "rd"), fields=("id", "name", "rd"), label="VRF"),
    ObjectType("prefix_role", "ipam/roles", label="prefix/VLAN role"),
    ObjectType("vlan_group", "ipam/vlan-groups", fields=("id", "name", "slug", "scope_type", "scope_id"),
               kind="dynamic", label="VLAN group"),
    ObjectType("tag", "extras/tags"),
    ObjectType("custom_field", "extras/custom-fields", keys=("name",),
               fields=("id", "name", "type", "object_types", "default"), label="custom field"),
    ObjectType("object_type", "core/object-types", keys=("app_label.model",),
               fields=("id", "app_label", "model"), label="object type"),
)

REGISTRY = {t.name: t for t in _TYPES}


def record(name):
    return REGISTRY[name]
