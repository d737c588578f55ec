# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One declarative record per NetBox object type. PRIVATE to the collection.

Everything the collection knows about an object type lives in its record: the endpoint, the keys a
user may name it by, the fields worth fetching for a lookup table, the cache TTL kind, the
references of its own fields to other types, the change-log name (`app_label.model`), and the
actions below an object (`available-prefixes`). No endpoint string is written anywhere else:
feature code asks `record("prefix").path(pid, "available_prefixes")`; a unit test greps for strays.

Lookup types (names users give: VRF, site group, tenant...) and managed types (objects the modules
create and change: prefix, VLAN, device, cable...) are the same kind of record.
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
    model: str = ""                 # change-log / object-type name, e.g. "ipam.prefix"
    actions: dict = field(default_factory=dict)  # our action name -> sub-path below one object
    read: tuple = ()                # managed types: `fields=` of the reads a module compares and keeps
    compare: tuple = ()             # managed types: the fields a module compares and shows in its diff

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ")

    def path(self, object_id: int | str | None = None, action: str | None = None) -> str:
        """The REST path: the collection, one object, or an action below one object (or the collection)."""
        parts = [self.endpoint]
        if object_id is not None:
            parts.append(str(object_id))
        if action is not None:
            parts.append(self.actions[action])
        return "/".join(parts)


_TYPES = (
    ObjectType("region", "dcim/regions", model="dcim.region"),
    ObjectType("site_group", "dcim/site-groups", label="site group", model="dcim.sitegroup"),
    ObjectType("site", "dcim/sites", fields=("id", "name", "slug", "group", "region"),
               references={"group": "site_group", "region": "region"}, model="dcim.site"),
    ObjectType("location", "dcim/locations", fields=("id", "name", "slug", "site"), references={"site": "site"},
               model="dcim.location"),
    ObjectType("rack", "dcim/racks", keys=("name",), fields=("id", "name", "site", "location"),
               references={"site": "site", "location": "location"}, model="dcim.rack"),
    ObjectType("manufacturer", "dcim/manufacturers", model="dcim.manufacturer"),
    ObjectType("device_type", "dcim/device-types", keys=("model", "slug"),
               fields=("id", "model", "slug", "manufacturer", "u_height"), references={"manufacturer": "manufacturer"},
               label="device type", model="dcim.devicetype"),
    ObjectType("device_role", "dcim/device-roles", label="device role", model="dcim.devicerole"),
    ObjectType("platform", "dcim/platforms", model="dcim.platform"),
    ObjectType("tenant", "tenancy/tenants", model="tenancy.tenant"),
    ObjectType("tenant_group", "tenancy/tenant-groups", label="tenant group", model="tenancy.tenantgroup"),
    ObjectType("contact", "tenancy/contacts", keys=("name",), fields=("id", "name", "email"),
               model="tenancy.contact"),
    ObjectType("contact_role", "tenancy/contact-roles", label="contact role", model="tenancy.contactrole"),
    ObjectType("cluster", "virtualization/clusters", keys=("name",), fields=("id", "name", "type", "group"),
               model="virtualization.cluster"),
    ObjectType("cluster_type", "virtualization/cluster-types", label="cluster type",
               model="virtualization.clustertype"),
    ObjectType("cluster_group", "virtualization/cluster-groups", label="cluster group",
               model="virtualization.clustergroup"),
    ObjectType("vrf", "ipam/vrfs", keys=("name", "rd"), fields=("id", "name", "rd"), label="VRF", model="ipam.vrf"),
    ObjectType("prefix_role", "ipam/roles", label="prefix/VLAN role", model="ipam.role"),
    ObjectType("vlan_group", "ipam/vlan-groups", fields=("id", "name", "slug", "scope_type", "scope_id"),
               kind="dynamic", label="VLAN group", model="ipam.vlangroup",
               actions={"available_vlans": "available-vlans"}),
    ObjectType("tag", "extras/tags", model="extras.tag"),
    ObjectType("custom_field", "extras/custom-fields", keys=("name",),
               fields=("id", "name", "type", "object_types", "default"), label="custom field",
               model="extras.customfield"),
    ObjectType("object_type", "core/object-types", keys=("app_label.model",),
               fields=("id", "app_label", "model"), label="object type", model="core.objecttype"),
    # ---- managed and read-in-bulk types (the modules create/change them, or read them as data)
    ObjectType("prefix", "ipam/prefixes", keys=("prefix",), fields=("id", "prefix"), kind="dynamic",
               model="ipam.prefix", actions={"available_prefixes": "available-prefixes"}),
    ObjectType("vlan", "ipam/vlans", keys=("name",), fields=("id", "vid", "name", "group"), kind="dynamic",
               label="VLAN", model="ipam.vlan"),
    ObjectType("ip_address", "ipam/ip-addresses", keys=("address",), fields=("id", "address"), kind="dynamic",
               label="IP address", model="ipam.ipaddress"),
    ObjectType("service", "ipam/services", keys=("name",), kind="dynamic", model="ipam.service"),
    ObjectType("asn", "ipam/asns", keys=("asn",), fields=("id", "asn"), label="ASN", model="ipam.asn"),
    ObjectType("device", "dcim/devices", keys=("name",), fields=("id", "name"), kind="dynamic",
               model="dcim.device",
               read=("id", "name", "device_type", "role", "site", "tenant", "location", "rack", "status", "tags",
                     "custom_fields"),
               compare=("name", "role", "site", "tenant", "location", "rack", "status")),
    ObjectType("interface", "dcim/interfaces", keys=("name",), fields=("id", "name", "device"), kind="dynamic",
               model="dcim.interface", read=("id", "name", "type", "device", "tags", "custom_fields")),
    ObjectType("interface_template", "dcim/interface-templates", keys=("name",),
               fields=("id", "name", "device_type"), label="interface template", model="dcim.interfacetemplate"),
    ObjectType("cable", "dcim/cables", keys=("label",), fields=("id", "label"), kind="dynamic",
               model="dcim.cable", read=("id", "a_terminations", "b_terminations", "type", "status", "tags", "custom_fields"),
               compare=("type", "status")),
    ObjectType("virtual_machine", "virtualization/virtual-machines", keys=("name",), fields=("id", "name"),
               kind="dynamic", label="virtual machine", model="virtualization.virtualmachine"),
    ObjectType("vm_interface", "virtualization/interfaces", keys=("name",),
               fields=("id", "name", "virtual_machine"), kind="dynamic", label="VM interface",
               model="virtualization.vminterface"),
    ObjectType("contact_assignment", "tenancy/contact-assignments", keys=("id",), kind="dynamic",
               label="contact assignment", model="tenancy.contactassignment"),
    ObjectType("config_context", "extras/config-contexts", kind="dynamic", label="config context",
               model="extras.configcontext", read=("id", "name", "data", "tags")),
    ObjectType("object_change", "core/object-changes", keys=("id",), kind="dynamic", label="change record",
               model="core.objectchange"),
    ObjectType("status", "status", keys=(), fields=(), kind="dynamic", label="NetBox status"),
    # ---- NetBox Branching (the netboxlabs-netbox-branching plugin) and the jobs it runs
    ObjectType("branching", "plugins/branching", keys=(), fields=(), label="NetBox Branching plugin"),
    ObjectType("branch", "plugins/branching/branches", keys=("name",),
               fields=("id", "name", "status", "schema_id", "description", "merged_time", "last_sync"),
               kind="dynamic", model="netbox_branching.branch",
               actions={"sync": "sync", "merge": "merge", "revert": "revert", "archive": "archive"}),
    ObjectType("branch_change", "plugins/branching/changes", keys=("id",), kind="dynamic", label="branch change",
               model="netbox_branching.changediff"),
    ObjectType("job", "core/jobs", keys=("id",), fields=("id", "status", "error"), kind="dynamic",
               label="background job", model="core.job"),
)

REGISTRY = {t.name: t for t in _TYPES}
BY_MODEL = {t.model: t for t in _TYPES if t.model}


def record(name: str) -> ObjectType:
    return REGISTRY[name]


def by_model(model: str) -> ObjectType:
    """The record of a change-log / object-type name such as "dcim.device"."""
    return BY_MODEL[model]


# The type a POST to an action creates: the client drops that type's cached reads too.
ACTION_CREATES = {"available_prefixes": "prefix", "available_vlans": "vlan"}


def written_through() -> dict:
    """Action sub-path -> the endpoint a POST to it writes to ("available-vlans" -> "ipam/vlans")."""
    return {sub: REGISTRY[ACTION_CREATES[action]].endpoint
            for t in _TYPES for action, sub in t.actions.items() if action in ACTION_CREATES}
