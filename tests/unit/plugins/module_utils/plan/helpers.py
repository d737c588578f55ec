# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared plan fixtures for the plan unit tests: a catalog like the sample NetBox's."""
from __future__ import annotations

import copy

from ansible_collections.sot.netbox.plugins.module_utils._plan.calculate import calculate
from ansible_collections.sot.netbox.plugins.module_utils._plan.checks import Catalog
from ansible_collections.sot.netbox.plugins.module_utils._plan.expand import expand
from ansible_collections.sot.netbox.plugins.module_utils._plan.model import parse_plan

LEAF_PORTS = {f"Ethernet{i}": "400gbase-x-osfp" for i in range(1, 65)} | {"Management1": "1000base-t"}
SPINE_PORTS = {f"Ethernet{i}": "400gbase-x-osfp" for i in range(1, 37)} | {"Management1": "1000base-t"}
DGX_PORTS = {f"gpu{i}": "400gbase-x-osfp" for i in range(8)}
DGX_PORTS.update({"fe0": "100gbase-x-qsfp28", "fe1": "100gbase-x-qsfp28", "bmc": "1000base-t"})
R760_PORTS = {"eno1": "25gbase-x-sfp28", "eno2": "25gbase-x-sfp28", "idrac": "1000base-t"}


def catalog():
    return Catalog(
        device_types={"DCS-7060X5-64": "DCS-7060X5-64", "dcs-7060x5-64": "DCS-7060X5-64",
                      "DCS-7800R3-36": "DCS-7800R3-36", "dcs-7800r3-36": "DCS-7800R3-36",
                      "DGX-H100": "DGX-H100", "dgx-h100": "DGX-H100",
                      "PowerEdge R760": "PowerEdge R760", "poweredge-r760": "PowerEdge R760"},
        ports={"DCS-7060X5-64": LEAF_PORTS, "DCS-7800R3-36": SPINE_PORTS, "DGX-H100": DGX_PORTS,
               "PowerEdge R760": R760_PORTS},
        roles={r: r for r in ("leaf", "spine", "gpu-server", "server")},
        sites={"lab1": "lab1", "ams1": "ams1"},
        tenants={"platform": "platform", "research": "research"},
    )


SMALL = {
    "name": "t-small", "site": "lab1", "tenant": "platform",
    "switch_classes": [
        {"id": "leaf", "device_type": "DCS-7060X5-64", "role": "leaf", "redundancy": 2,
         "downlinks": "Ethernet1-48", "uplinks": "Ethernet49-50", "uplink_to": "spine",
         "interfaces": [{"name": "Loopback0", "type": "virtual"}]},
        {"id": "spine", "device_type": "DCS-7800R3-36", "role": "spine", "downlinks": "Ethernet1-36"},
    ],
    "server_classes": [
        {"id": "srv", "device_type": "PowerEdge R760", "role": "server", "quantity": 4,
         "connections": [{"ports": ["eno1", "eno2"], "to": "leaf"}]},
    ],
}

GPU = {
    "name": "t-gpu", "site": "lab1", "tenant": "research",
    "switch_classes": [
        {"id": "rail-leaf", "device_type": "DCS-7060X5-64", "role": "leaf", "downlinks": "Ethernet1-16",
         "uplinks": "Ethernet33-48", "uplink_to": "spine"},
        {"id": "fe-leaf", "device_type": "DCS-7060X5-64", "role": "leaf", "redundancy": 2,
         "downlinks": "Ethernet1-48", "uplinks": "Ethernet49-52", "uplink_to": "spine"},
        {"id": "spine", "device_type": "DCS-7800R3-36", "role": "spine", "downlinks": "Ethernet1-36"},
    ],
    "server_classes": [
        {"id": "gpu", "device_type": "DGX-H100", "role": "gpu-server", "quantity": 16,
         "connections": [{"ports": "gpu0-7", "to": "rail-leaf", "placement": "rail"},
                         {"ports": ["fe0", "fe1"], "to": "fe-leaf"}]},
    ],
}


def plan_dict(base=None, **changes):
    data = copy.deepcopy(SMALL if base is None else base)
    for path, value in changes.items():
        target = data
        parts = path.split("__")
        for part in parts[:-1]:
            target = target[int(part)] if part.isdigit() else target[part]
        last = parts[-1]
        if value is DELETE:
            del target[int(last) if last.isdigit() else last]
        else:
            target[int(last) if last.isdigit() else last] = value
    return data


DELETE = object()


def desired_of(data):
    plan, errors = parse_plan(data)
    assert errors == []
    return expand(plan, calculate(plan), catalog())
