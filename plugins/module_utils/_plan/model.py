# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Topology plans as dataclasses: parse, validate, to_dict. PRIVATE to the collection.

Pure: no I/O. `parse_plan(data)` turns the user's dict into a `Plan` and collects every schema
error at once (`ValidationErrors`); `check_plan(plan)` finds the plan's internal problems
(duplicate ids, unknown targets, zero quantities, name collisions inside the plan);
`check_against(plan, catalog)` finds the problems only NetBox's data can show (unknown device
types/roles/sites, port names missing on a device type). Every function returns a list of
messages that name the field and the value, so a user fixes everything in one round.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field

DEFAULT_DEVICE_NAME = "{plan}-{class}-{index:02d}"
NAME_FIELDS = ("plan", "class", "index", "site", "role")
PLACEMENTS = ("server", "rail")
PLAN_STATUSES = ("draft", "validated", "approved", "generated")
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_PLAN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,49}$")
_RANGE = re.compile(r"^(.*?)(\d+)-(\d+)$")
MAX_NAME = 64


@dataclass(frozen=True)
class InterfaceSpec:
    name: str
    type: str = "virtual"


@dataclass(frozen=True)
class Connection:
    ports: tuple          # server interface names, expanded
    to: str               # switch class id
    placement: str = "server"
    cable_type: str = ""


@dataclass(frozen=True)
class SwitchClass:
    id: str
    device_type: str
    role: str
    downlinks: tuple = ()
    uplinks: tuple = ()
    uplink_to: str = ""
    redundancy: int = 1
    quantity: int | None = None    # the override; None means "as calculated"
    name: str = ""
    interfaces: tuple = ()
    cable_type: str = ""           # cable type of this class's uplinks


@dataclass(frozen=True)
class ServerClass:
    id: str
    device_type: str
    role: str
    quantity: int
    connections: tuple = ()
    name: str = ""
    interfaces: tuple = ()


@dataclass(frozen=True)
class Plan:
    name: str
    site: str
    switch_classes: tuple
    server_classes: tuple
    tenant: str = ""
    location: str = ""
    rack: str = ""
    status: str = "planned"
    device_name: str = DEFAULT_DEVICE_NAME

    @property
    def slug(self):
        return "sot-plan-" + re.sub(r"[^a-z0-9_-]+", "-", self.name.lower()).strip("-")

    @property
    def classes(self):
        return {c.id: c for c in (*self.switch_classes, *self.server_classes)}

    def to_dict(self):
        return asdict(self)

    def digest(self):
        """A stable hash of the plan's content: approvals are bound to it."""
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True, default=list).encode()).hexdigest()


# ---------------------------------------------------------------------------------------- parsing

def expand_ports(spec, where, errors):
    """'Ethernet1-4' -> Ethernet1..Ethernet4; a list may mix names and ranges. Order is kept."""
    if spec in (None, "", []):
        return ()
    items = spec if isinstance(spec, list) else [spec]
    out = []
    for item in items:
        if not isinstance(item, (str, int)) or str(item).strip() == "":
            errors.append(f"{where}: not a port name or range (got {item!r})")
            continue
        text = str(item).strip()
        match = _RANGE.match(text)
        if match:
            prefix, start, end = match.group(1), int(match.group(2)), int(match.group(3))
            if start > end:
                errors.append(f"{where}: range {text!r} runs backwards")
                continue
            out.extend(f"{prefix}{n}" for n in range(start, end + 1))
        else:
            out.append(text)
    dupes = sorted({p for p in out if out.count(p) > 1})
    if dupes:
        errors.append(f"{where}: port(s) listed twice: {', '.join(dupes)}")
    return tuple(dict.fromkeys(out))


class _Reader:
    """Reads one mapping, recording every problem instead of stopping at the first."""

    def __init__(self, data, where, errors, known):
        self.where = where
        self.errors = errors
        if not isinstance(data, dict):
            errors.append(f"{where}: must be a mapping (got {type(data).__name__})")
            data = {}
        self.data = data
        unknown = sorted(set(data) - set(known))
        if unknown:
            errors.append(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(known)}")

    def text(self, key, required=False, default="", pattern=None, choices=None):
        value = self.data.get(key)
        if value in (None, ""):
            if required:
                self.errors.append(f"{self.where}.{key}: required")
            return default
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            self.errors.append(f"{self.where}.{key}: must be a string (got {value!r})")
            return default
        value = str(value)
        if pattern is not None and not pattern.match(value):
            self.errors.append(f"{self.where}.{key}: invalid value {value!r} (expected {pattern.pattern})")
        if choices and value not in choices:
            self.errors.append(f"{self.where}.{key}: {value!r} is not one of {', '.join(choices)}")
        return value

    def integer(self, key, required=False, default=None, minimum=0):
        value = self.data.get(key)
        if value is None:
            if required:
                self.errors.append(f"{self.where}.{key}: required")
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, str) and value.strip().isdigit():
                value = int(value)
            else:
                self.errors.append(f"{self.where}.{key}: must be an integer (got {value!r})")
                return default
        if value < minimum:
            what = "greater than zero" if minimum == 1 else f"at least {minimum}"
            self.errors.append(f"{self.where}.{key}: must be {what} (got {value})")
        return value

    def items(self, key):
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.errors.append(f"{self.where}.{key}: must be a list (got {type(value).__name__})")
            return []
        return value

    def pattern(self, key, default=""):
        value = self.text(key, default=default)
        if value:
            check_pattern(value, f"{self.where}.{key}", self.errors)
        return value


def check_pattern(pattern, where, errors):
    sample = {"plan": "p", "class": "c", "index": 1, "site": "s", "role": "r"}
    try:
        pattern.format(**sample)
    except (KeyError, IndexError, ValueError) as exc:
        errors.append(f"{where}: invalid name pattern {pattern!r} ({exc.__class__.__name__}: {exc}); "
                      f"fields: {', '.join('{' + f + '}' for f in NAME_FIELDS)}")
        return
    if "{index" not in pattern:
        errors.append(f"{where}: name pattern {pattern!r} must contain {{index}} so names are unique")


def _interfaces(reader, where):
    out = []
    for i, item in enumerate(reader.items("interfaces")):
        sub = _Reader(item, f"{where}.interfaces[{i}]", reader.errors, ("name", "type"))
        out.append(InterfaceSpec(sub.text("name", required=True), sub.text("type", default="virtual")))
    return tuple(out)


def _switch_class(item, where, errors):
    known = ("id", "device_type", "role", "downlinks", "uplinks", "uplink_to", "redundancy", "quantity", "name",
             "interfaces", "cable_type")
    r = _Reader(item, where, errors, known)
    return SwitchClass(
        id=r.text("id", required=True, pattern=_ID),
        device_type=r.text("device_type", required=True),
        role=r.text("role", required=True),
        downlinks=expand_ports(r.data.get("downlinks"), f"{where}.downlinks", errors),
        uplinks=expand_ports(r.data.get("uplinks"), f"{where}.uplinks", errors),
        uplink_to=r.text("uplink_to"),
        redundancy=r.integer("redundancy", default=1, minimum=1) or 1,
        quantity=r.integer("quantity", minimum=1),
        name=r.pattern("name"),
        interfaces=_interfaces(r, where),
        cable_type=r.text("cable_type"),
    )


def _server_class(item, where, errors):
    known = ("id", "device_type", "role", "quantity", "connections", "name", "interfaces")
    r = _Reader(item, where, errors, known)
    connections = []
    for i, conn in enumerate(r.items("connections")):
        cwhere = f"{where}.connections[{i}]"
        c = _Reader(conn, cwhere, errors, ("ports", "to", "placement", "cable_type"))
        ports = expand_ports(c.data.get("ports"), f"{cwhere}.ports", errors)
        if not ports:
            errors.append(f"{cwhere}.ports: required (one or more server interface names)")
        connections.append(Connection(ports=ports, to=c.text("to", required=True),
                                      placement=c.text("placement", default="server", choices=PLACEMENTS),
                                      cable_type=c.text("cable_type")))
    return ServerClass(
        id=r.text("id", required=True, pattern=_ID),
        device_type=r.text("device_type", required=True),
        role=r.text("role", required=True),
        quantity=r.integer("quantity", required=True, default=0, minimum=1) or 0,
        connections=tuple(connections),
        name=r.pattern("name"),
        interfaces=_interfaces(r, where),
    )


def parse_plan(data):
    """A `Plan` from a user's dict and the list of schema errors (empty when it parsed cleanly)."""
    errors = []
    known = ("name", "site", "tenant", "location", "rack", "status", "naming", "switch_classes", "server_classes",
             "description")
    r = _Reader(data, "plan", errors, known)
    naming = _Reader(r.data.get("naming") or {}, "plan.naming", errors, ("device",))
    plan = Plan(
        name=r.text("name", required=True, pattern=_PLAN_NAME),
        site=r.text("site", required=True),
        tenant=r.text("tenant"),
        location=r.text("location"),
        rack=r.text("rack"),
        status=r.text("status", default="planned"),
        device_name=naming.pattern("device", default=DEFAULT_DEVICE_NAME),
        switch_classes=tuple(_switch_class(item, f"plan.switch_classes[{i}]", errors)
                             for i, item in enumerate(r.items("switch_classes"))),
        server_classes=tuple(_server_class(item, f"plan.server_classes[{i}]", errors)
                             for i, item in enumerate(r.items("server_classes"))),
    )
    if not plan.switch_classes and not plan.server_classes and isinstance(data, dict):
        errors.append("plan: has no switch_classes and no server_classes: nothing to generate")
    return plan, errors


# ---------------------------------------------------------------------------------------- checks

def check_plan(plan):
    """The plan's internal consistency: every problem, as messages."""
    errors = []
    seen = {}
    for kind, classes in (("switch_classes", plan.switch_classes), ("server_classes", plan.server_classes)):
        for i, cls in enumerate(classes):
            if cls.id and cls.id in seen:
                errors.append(f"plan.{kind}[{i}].id: duplicate id {cls.id!r} (also {seen[cls.id]})")
            seen.setdefault(cls.id, f"plan.{kind}[{i}]")
    switch_ids = {c.id for c in plan.switch_classes}
    for i, sw in enumerate(plan.switch_classes):
        where = f"plan.switch_classes[{i}]"
        if sw.uplink_to:
            if sw.uplink_to not in switch_ids:
                errors.append(f"{where}.uplink_to: unknown switch class {sw.uplink_to!r}; "
                              f"known: {', '.join(sorted(switch_ids)) or '(none)'}")
            elif sw.uplink_to == sw.id:
                errors.append(f"{where}.uplink_to: a class cannot uplink to itself ({sw.id!r})")
            if not sw.uplinks:
                errors.append(f"{where}.uplinks: required when uplink_to is set ({sw.uplink_to!r})")
        elif sw.uplinks:
            errors.append(f"{where}.uplink_to: required when uplinks are listed")
        if sw.quantity is not None and sw.quantity % sw.redundancy:
            errors.append(f"{where}.quantity: {sw.quantity} is not a multiple of redundancy {sw.redundancy}")
        both = sorted(set(sw.downlinks) & set(sw.uplinks))
        if both:
            errors.append(f"{where}: port(s) both downlink and uplink: {', '.join(both)}")
    cycle = _uplink_cycle(plan)
    if cycle:
        errors.append(f"plan.switch_classes: uplink_to forms a cycle: {' -> '.join(cycle)}")
    for i, srv in enumerate(plan.server_classes):
        used = []
        for j, conn in enumerate(srv.connections):
            where = f"plan.server_classes[{i}].connections[{j}]"
            if conn.to and conn.to not in switch_ids:
                errors.append(f"{where}.to: unknown switch class {conn.to!r}; "
                              f"known: {', '.join(sorted(switch_ids)) or '(none)'}")
            used.extend(conn.ports)
        dupes = sorted({p for p in used if used.count(p) > 1})
        if dupes:
            errors.append(f"plan.server_classes[{i}].connections: port(s) used by two connections: "
                          f"{', '.join(dupes)}")
    targeted = {c.to for s in plan.server_classes for c in s.connections} | {s.uplink_to for s in plan.switch_classes}
    for i, sw in enumerate(plan.switch_classes):
        where = f"plan.switch_classes[{i}]"
        if sw.id in targeted and not sw.downlinks:
            errors.append(f"{where}.downlinks: required: other classes connect to {sw.id!r}")
        if sw.id not in targeted and sw.quantity is None:
            errors.append(f"{where}.quantity: zero quantity: nothing connects to {sw.id!r} and no quantity "
                          "is set")
    return errors


def _uplink_cycle(plan):
    nxt = {s.id: s.uplink_to for s in plan.switch_classes if s.uplink_to}
    for start in nxt:
        path, node = [start], nxt.get(start)
        while node:
            if node in path:
                return path[path.index(node):] + [node]
            path.append(node)
            node = nxt.get(node)
    return []


@dataclass
class Catalog:
    """What validation needs from NetBox, as plain data (names are canonical)."""
    device_types: dict = field(default_factory=dict)   # any model/slug -> canonical model
    ports: dict = field(default_factory=dict)          # canonical model -> {port name: type}
    roles: dict = field(default_factory=dict)          # name/slug -> canonical name
    sites: dict = field(default_factory=dict)
    tenants: dict = field(default_factory=dict)
    locations: dict = field(default_factory=dict)
    racks: dict = field(default_factory=dict)


def check_against(plan, catalog):
    """Problems only NetBox's data shows: unknown references, ports missing on the device type."""
    errors = []
    for key, table, what in (("site", catalog.sites, "site"), ("tenant", catalog.tenants, "tenant"),
                             ("location", catalog.locations, "location"), ("rack", catalog.racks, "rack")):
        value = getattr(plan, key)
        if value and value not in table:
            errors.append(f"plan.{key}: unknown {what} {value!r}{_known(table)}")
    for kind, classes in (("switch_classes", plan.switch_classes), ("server_classes", plan.server_classes)):
        for i, cls in enumerate(classes):
            where = f"plan.{kind}[{i}]"
            if cls.role and cls.role not in catalog.roles:
                errors.append(f"{where}.role: unknown device role {cls.role!r}{_known(catalog.roles)}")
            model = catalog.device_types.get(cls.device_type)
            if cls.device_type and model is None:
                errors.append(f"{where}.device_type: unknown device type {cls.device_type!r}"
                              f"{_known(catalog.device_types)}")
                continue
            available = set(catalog.ports.get(model, {})) | {x.name for x in cls.interfaces}
            groups = [("downlinks", getattr(cls, "downlinks", ())), ("uplinks", getattr(cls, "uplinks", ()))]
            groups += [(f"connections[{j}].ports", c.ports) for j, c in enumerate(getattr(cls, "connections", ()))]
            for label, ports in groups:
                missing = [p for p in ports if p not in available]
                if missing:
                    errors.append(f"{where}.{label}: port(s) not on device type {model!r}: {', '.join(missing)}"
                                  f" (it has {_sample(catalog.ports.get(model, {}))})")
    return errors


def _known(table):
    names = sorted({str(v) for v in table.values()})
    if not names:
        return ""
    return "; known: " + ", ".join(names[:10]) + (" ..." if len(names) > 10 else "")


def _sample(ports):
    names = list(ports)
    return ", ".join(names[:6]) + (f" ... ({len(names)} ports)" if len(names) > 6 else "") if names else "no ports"
