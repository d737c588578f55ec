# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan + calculation -> the desired NetBox objects, with stable keys and names. PRIVATE. Pure.

Keys never depend on names, so renaming a pattern renames objects instead of replacing them:
- device    `<class>/<index>`                      e.g. `rail-leaf/3`
- interface `<device key>:<interface name>`         e.g. `rail-leaf/3:Loopback0`
- cable     `<a device key>:<port>=<b device key>:<port>`
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ansible_collections.sot.netbox.plugins.module_utils._plan.patterns import render

if TYPE_CHECKING:  # annotations only: these import nothing at run time
    from ansible_collections.sot.netbox.plugins.module_utils._plan.calculate import Calculation
    from ansible_collections.sot.netbox.plugins.module_utils._plan.checks import Catalog
    from ansible_collections.sot.netbox.plugins.module_utils._plan.model import Plan

MAX_NAME = 64


@dataclass
class Desired:
    devices: dict = field(default_factory=dict)      # key -> device dict
    interfaces: dict = field(default_factory=dict)   # key -> interface dict (ports the plan needs)
    cables: dict = field(default_factory=dict)       # key -> cable dict
    errors: list = field(default_factory=list)

    def counts(self) -> dict:
        return {"devices": len(self.devices), "interfaces": len(self.interfaces), "cables": len(self.cables)}


def device_key(class_id: str, index: Any) -> str:
    return f"{class_id}/{index}"


def interface_key(dev_key: str, name: str) -> str:
    return f"{dev_key}:{name}"


def cable_key(a_dev: str, a_port: str, b_dev: str, b_port: str) -> str:
    return f"{a_dev}:{a_port}={b_dev}:{b_port}"


def expand(plan: Plan, calc: Calculation, catalog: Catalog) -> Desired:
    """Every object the plan wants, keyed. Name collisions inside the plan are errors."""
    out = Desired()
    classes = plan.classes
    names = {}
    for cls in (*plan.switch_classes, *plan.server_classes):
        model = catalog.device_types.get(cls.device_type, cls.device_type)
        role = catalog.roles.get(cls.role, cls.role)
        pattern = cls.name or plan.device_name
        template_ports = catalog.ports.get(model, {})
        extras = {x.name: x.type for x in cls.interfaces}
        for index in range(1, calc.quantities.get(cls.id, 0) + 1):
            key = device_key(cls.id, index)
            name = render(pattern, {"plan": plan.name, "index": index, "site": catalog.canonical("site", plan.site),
                                    "role": role, "class": cls.id})
            if name in names:
                out.errors.append(f"plan: device name {name!r} generated twice ({names[name]} and {key}); "
                                  "use distinct name patterns")
            elif len(name) > MAX_NAME:
                out.errors.append(f"plan: device name {name!r} ({key}) is longer than {MAX_NAME} characters")
            names.setdefault(name, key)
            out.devices[key] = {
                "key": key, "name": name, "class": cls.id, "device_type": model, "role": role,
                "site": catalog.sites.get(plan.site, plan.site), "tenant": catalog.tenants.get(plan.tenant, plan.tenant),
                "location": catalog.locations.get(plan.location, plan.location),
                "rack": catalog.racks.get(plan.rack, plan.rack), "status": plan.status,
            }
            for port, kind in extras.items():
                ikey = interface_key(key, port)
                out.interfaces[ikey] = {"key": ikey, "device": key, "name": port, "type": kind,
                                        "template": port in template_ports}
    for link in calc.links:
        a_dev, b_dev = device_key(link.a_class, link.a_index), device_key(link.b_class, link.b_index)
        for dev, port in ((a_dev, link.a_port), (b_dev, link.b_port)):
            ikey = interface_key(dev, port)
            if ikey not in out.interfaces:
                model = out.devices[dev]["device_type"]
                kind = catalog.ports.get(model, {}).get(port) or _extra_type(classes, dev, port)
                out.interfaces[ikey] = {"key": ikey, "device": dev, "name": port, "type": kind,
                                        "template": port in catalog.ports.get(model, {})}
        key = cable_key(a_dev, link.a_port, b_dev, link.b_port)
        out.cables[key] = {"key": key, "a": [a_dev, link.a_port], "b": [b_dev, link.b_port],
                           "type": link.cable_type, "status": plan.cable_status_effective}
    return out


def _extra_type(classes: dict, dev_key: str, port: str) -> str:
    cls = classes[dev_key.split("/")[0]]
    return next((x.type for x in cls.interfaces if x.name == port), "virtual")


def collisions(desired: Desired, existing: list, plan_name: str = "") -> list:
    """Messages for devices of other owners that already use a name the plan generates.

    `existing` is a list of {"name", "id", "site", "plan"} rows of devices not generated by this plan."""
    errors = []
    wanted = {d["name"]: d["key"] for d in desired.devices.values()}
    for row in sorted(existing, key=lambda r: r["name"]):
        if row["name"] in wanted:
            if row.get("plan") == plan_name:
                errors.append(f"plan: device name {row['name']!r} ({wanted[row['name']]}) is used by device id "
                              f"{row['id']}, which carries this plan's custom field but not its tag (left by an "
                              "interrupted run); remove it with state=absent, then generate again")
                continue
            owner = f"plan {row['plan']!r}" if row.get("plan") else "by hand or another tool"
            errors.append(f"plan: device name {row['name']!r} ({wanted[row['name']]}) collides with existing device "
                          f"id {row['id']} in site {row.get('site')!r}, created {owner}, not by this plan")
    return errors
