# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A plan's consistency, as FieldErrors. PRIVATE to the collection. Pure.

Every check works on whatever `parse_plan` could read (missing pieces are empty), so schema,
reference, port and quantity errors come back together in one run:
- `check_plan`: the plan against itself (duplicate ids, unknown or cyclic targets, zero quantities);
- `check_bounds`: the plan's size against the limits, before the calculation expands anything;
- `check_against`: the plan against NetBox's data (`Catalog`): references and ports.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterator

from ansible_collections.sot.netbox.plugins.module_utils._errors import FieldError
from ansible_collections.sot.netbox.plugins.module_utils._plan.limits import Limits

if TYPE_CHECKING:  # annotations only: these import nothing at run time
    from ansible_collections.sot.netbox.plugins.module_utils._plan.calculate import Calculation
    from ansible_collections.sot.netbox.plugins.module_utils._plan.model import Plan

KINDS = ("switch_classes", "server_classes")


def _each_class(plan: Plan) -> Iterator[tuple]:
    for kind in KINDS:
        for i, cls in enumerate(getattr(plan, kind)):
            yield f"plan.{kind}[{i}]", cls


def _known(ids: Any) -> str:
    return ", ".join(sorted(ids)) or "(none)"


def _duplicate_ids(plan: Plan) -> list:
    seen, errors = {}, []
    for where, cls in _each_class(plan):
        if cls.id and cls.id in seen:
            errors.append(FieldError(f"{where}.id", f"duplicate id (also {seen[cls.id]})", cls.id))
        seen.setdefault(cls.id, where)
    return errors


def _switch_links(plan: Plan, switch_ids: set) -> list:
    errors = []
    for i, sw in enumerate(plan.switch_classes):
        where = f"plan.switch_classes[{i}]"
        if sw.uplink_to:
            if sw.uplink_to not in switch_ids:
                errors.append(FieldError(f"{where}.uplink_to", f"unknown switch class; known: {_known(switch_ids)}",
                                         sw.uplink_to))
            elif sw.uplink_to == sw.id:
                errors.append(FieldError(f"{where}.uplink_to", "a class cannot uplink to itself", sw.uplink_to))
            if not sw.uplinks:
                errors.append(FieldError(f"{where}.uplinks", f"required when uplink_to is set ({sw.uplink_to})"))
        elif sw.uplinks:
            errors.append(FieldError(f"{where}.uplink_to", "required when uplinks are listed"))
        if sw.quantity is not None and sw.quantity % sw.redundancy:
            errors.append(FieldError(f"{where}.quantity", f"not a multiple of redundancy {sw.redundancy}",
                                     sw.quantity))
        both = sorted(set(sw.downlinks) & set(sw.uplinks))
        if both:
            errors.append(FieldError(where, f"port(s) both downlink and uplink: {', '.join(both)}"))
    cycle = _uplink_cycle(plan)
    if cycle:
        errors.append(FieldError("plan.switch_classes", f"uplink_to forms a cycle: {' -> '.join(cycle)}"))
    return errors


def _server_links(plan: Plan, switch_ids: set) -> list:
    errors = []
    for i, srv in enumerate(plan.server_classes):
        used = []
        for j, conn in enumerate(srv.connections):
            if conn.to and conn.to not in switch_ids:
                errors.append(FieldError(f"plan.server_classes[{i}].connections[{j}].to",
                                         f"unknown switch class; known: {_known(switch_ids)}", conn.to))
            used.extend(conn.ports)
        dupes = sorted(p for p, n in Counter(used).items() if n > 1)
        if dupes:
            errors.append(FieldError(f"plan.server_classes[{i}].connections",
                                     f"port(s) used by two connections: {', '.join(dupes)}"))
    return errors


def _unconnected(plan: Plan) -> list:
    errors = []
    targeted = {c.to for s in plan.server_classes for c in s.connections} | {s.uplink_to for s in plan.switch_classes}
    for i, sw in enumerate(plan.switch_classes):
        where = f"plan.switch_classes[{i}]"
        if sw.id in targeted and not sw.downlinks:
            errors.append(FieldError(f"{where}.downlinks", f"required: other classes connect to {sw.id!r}"))
        if sw.id and sw.id not in targeted and sw.quantity is None:
            errors.append(FieldError(f"{where}.quantity", f"zero quantity: nothing connects to {sw.id!r} and no "
                                                          "quantity is set"))
    return errors


def check_plan(plan: Plan) -> list:
    """The plan's internal consistency: every problem, as FieldErrors."""
    switch_ids = {c.id for c in plan.switch_classes if c.id}
    return (_duplicate_ids(plan) + _switch_links(plan, switch_ids) + _server_links(plan, switch_ids)
            + _unconnected(plan))


def _uplink_cycle(plan: Plan) -> list:
    nxt = {s.id: s.uplink_to for s in plan.switch_classes if s.uplink_to}
    for start in nxt:
        path, node = [start], nxt.get(start)
        while node:
            if node in path:
                return path[path.index(node):] + [node]
            path.append(node)
            node = nxt.get(node)
    return []


def check_bounds(plan: Plan, limits: Limits = Limits()) -> list:
    """The plan's size before anything is expanded: server devices plus switch overrides, server links."""
    devices = sum(s.quantity for s in plan.server_classes) + sum(s.quantity or 0 for s in plan.switch_classes)
    links = sum(s.quantity * len(c.ports) for s in plan.server_classes for c in s.connections)
    errors = []
    if devices > limits.devices:
        errors.append(FieldError("plan", f"asks for {devices} devices; at most {limits.devices} per plan "
                                         "(option limits.devices)"))
    if links > limits.links:
        errors.append(FieldError("plan", f"asks for {links} server links; at most {limits.links} per plan "
                                         "(option limits.links)"))
    return errors


def check_totals(calc: Calculation, limits: Limits = Limits()) -> list:
    """After the calculation: the calculated switches count too."""
    devices = sum(calc.quantities.values())
    if devices > limits.devices:
        return [FieldError("plan", f"needs {devices} devices with the calculated switches; at most {limits.devices}"
                                   " per plan (option limits.devices)")]
    return []


@dataclass
class Catalog:
    """What validation needs from NetBox, as plain data: for each kind, every spelling a user may
    name an object by (name, slug, model, id) -> its canonical name; the device types' ports."""
    device_types: dict = field(default_factory=dict)   # model/slug/id -> canonical model
    ports: dict = field(default_factory=dict)          # canonical model -> {port name: type}
    roles: dict = field(default_factory=dict)          # name/slug/id -> canonical name
    sites: dict = field(default_factory=dict)
    tenants: dict = field(default_factory=dict)
    locations: dict = field(default_factory=dict)
    racks: dict = field(default_factory=dict)

    TABLES = {"device_type": "device_types", "role": "roles", "site": "sites", "tenant": "tenants",
              "location": "locations", "rack": "racks"}

    def canonical(self, kind: str, value: Any) -> Any:
        """The canonical name for a spelling; the spelling itself when unknown (reported elsewhere)."""
        if not value:
            return value
        return getattr(self, self.TABLES[kind]).get(str(value), value)


def _references(plan: Plan, catalog: Catalog) -> list:
    errors = []
    for key, table in (("site", catalog.sites), ("tenant", catalog.tenants), ("location", catalog.locations),
                       ("rack", catalog.racks)):
        value = getattr(plan, key)
        if value and value not in table:
            errors.append(FieldError(f"plan.{key}", f"unknown {key}{_sample_of(table)}", value))
    return errors


def _ports(where: str, cls: Any, model: str, catalog: Catalog) -> list:
    available = set(catalog.ports.get(model, {})) | {x.name for x in cls.interfaces}
    groups = [("downlinks", getattr(cls, "downlinks", ())), ("uplinks", getattr(cls, "uplinks", ()))]
    groups += [(f"connections[{j}].ports", c.ports) for j, c in enumerate(getattr(cls, "connections", ()))]
    errors = []
    for label, ports in groups:
        missing = [p for p in ports if p not in available]
        if missing:
            shown = ", ".join(missing[:10]) + (f" ... ({len(missing)} ports)" if len(missing) > 10 else "")
            errors.append(FieldError(f"{where}.{label}", f"port(s) not on device type {model!r}: {shown} (it has "
                                                         f"{_sample(catalog.ports.get(model, {}))})"))
    return errors


def check_against(plan: Plan, catalog: Catalog) -> list:
    """Problems only NetBox's data shows: unknown references, ports missing on the device type."""
    errors = _references(plan, catalog)
    for where, cls in _each_class(plan):
        if cls.role and cls.role not in catalog.roles:
            errors.append(FieldError(f"{where}.role", f"unknown device role{_sample_of(catalog.roles)}", cls.role))
        model = catalog.device_types.get(cls.device_type)
        if cls.device_type and model is None:
            errors.append(FieldError(f"{where}.device_type", f"unknown device type{_sample_of(catalog.device_types)}",
                                     cls.device_type))
        elif model is not None:
            errors += _ports(where, cls, model, catalog)
    return errors


def _sample_of(table: dict) -> str:
    names = sorted({str(v) for v in table.values()})
    if not names:
        return ""
    return "; known: " + ", ".join(names[:10]) + (" ..." if len(names) > 10 else "")


def _sample(ports: Any) -> str:
    names = list(ports)
    return ", ".join(names[:6]) + (f" ... ({len(names)} ports)" if len(names) > 6 else "") if names else "no ports"
