# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Topology plans as dataclasses, parsed from the user's data with every schema error. PRIVATE. Pure.

`parse_plan(data, limits)` turns the user's dict into a `Plan` and returns every schema problem as a
`FieldError` (path, value, message) in the same pass: unknown keys, types, bounds (see limits.py:
checked before anything is expanded), name patterns (see patterns.py). The plan's internal and
NetBox-side consistency checks live in checks.py; they run on whatever parsed, so one run reports
schema, reference, port and quantity errors together.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import asdict, dataclass, replace
from typing import Any, Callable

from ansible_collections.sot.netbox.plugins.module_utils._digits import ascii_digits
from ansible_collections.sot.netbox.plugins.module_utils._errors import FieldError
from ansible_collections.sot.netbox.plugins.module_utils._plan.limits import Limits
from ansible_collections.sot.netbox.plugins.module_utils._plan.patterns import pattern_problem

DEFAULT_DEVICE_NAME = "{plan}-{class}-{index:02d}"
PLACEMENTS = ("server", "rail")
# The plan's own workflow status in its status record (not the generated objects' NetBox status):
# no record yet ("none"), then validated, approved, generated. See docs/netbox_plan_generate.md.
PLAN_STATUSES = ("validated", "approved", "generated")
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
PLAN_NAME_MAX = 50
_PLAN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_RANGE = re.compile(r"^(.*?)(\d+)-(\d+)$")
_RANGE_DIGITS = 9
MAX_TEXT = 100        # NetBox's longest name/slug/model fields
MAX_PORT_NAME = 64    # NetBox's interface name length


def plan_slug(name: str) -> str:
    """The plan's tag slug: `sot-plan-<name>` in NetBox's slug characters."""
    return "sot-plan-" + re.sub(r"[^a-z0-9_-]+", "-", str(name).lower()).strip("-")


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
    cable_status: str = ""         # empty: the same as `status`
    device_name: str = DEFAULT_DEVICE_NAME

    @property
    def slug(self) -> str:
        return plan_slug(self.name)

    @property
    def classes(self) -> dict:
        return {c.id: c for c in (*self.switch_classes, *self.server_classes)}

    @property
    def cable_status_effective(self) -> str:
        return self.cable_status or self.status

    def to_dict(self) -> dict:
        return asdict(self)

    def digest(self) -> str:
        """A stable hash of the plan's content: approvals are bound to it. Computed on the resolved
        plan (references as NetBox's canonical names), so another spelling is the same content."""
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True, default=list).encode()).hexdigest()

    def resolved(self, canonical: Callable[[str, Any], Any]) -> Plan:
        """The plan with every reference replaced by `canonical(kind, value)` (name/slug/id -> name)."""
        def cls(c: Any) -> Any:
            return replace(c, device_type=canonical("device_type", c.device_type), role=canonical("role", c.role))
        return replace(self, site=canonical("site", self.site), tenant=canonical("tenant", self.tenant),
                       location=canonical("location", self.location), rack=canonical("rack", self.rack),
                       switch_classes=tuple(cls(c) for c in self.switch_classes),
                       server_classes=tuple(cls(c) for c in self.server_classes))


# ---------------------------------------------------------------------------------------- ports

def _range(text: str, where: str, room: int, errors: list) -> list | None:
    """The names of one range such as 'Ethernet1-16', or None when `text` is a plain name."""
    match = _RANGE.match(text)
    if not match:
        return None
    prefix, first, last = match.group(1), match.group(2), match.group(3)
    if len(first) > _RANGE_DIGITS or len(last) > _RANGE_DIGITS:
        errors.append(FieldError(where, f"range bounds have at most {_RANGE_DIGITS} digits", text))
        return []
    start, end = int(first), int(last)
    if start > end:
        errors.append(FieldError(where, "range runs backwards", text))
        return []
    if end - start + 1 > room:  # checked before expanding: no huge lists
        errors.append(FieldError(where, f"range has {end - start + 1} ports; at most {room} more fit the limit "
                                        "(option limits.ports)", text))
        return []
    return [f"{prefix}{n}" for n in range(start, end + 1)]


def expand_ports(spec: Any, where: str, errors: list, limits: Limits = Limits()) -> tuple:
    """'Ethernet1-4' -> Ethernet1..Ethernet4; a list may mix names and ranges. Order is kept."""
    if spec in (None, "", []):
        return ()
    items = spec if isinstance(spec, list) else [spec]
    if len(items) > limits.ports:
        errors.append(FieldError(where, f"lists {len(items)} items; at most {limits.ports} (option limits.ports)"))
        return ()
    out = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (str, int)) or str(item).strip() == "":
            errors.append(FieldError(where, "not a port name or range", item))
            continue
        text = str(item).strip()
        names = _range(text, where, limits.ports - len(out), errors)
        if names is None:
            names = [text]
            if len(out) + 1 > limits.ports:
                errors.append(FieldError(where, f"more than {limits.ports} ports (option limits.ports)"))
                break
        out.extend(names)
    long_names = [p for p in out if len(p) > MAX_PORT_NAME]
    if long_names:
        errors.append(FieldError(where, f"port name longer than {MAX_PORT_NAME} characters", long_names[0]))
    dupes = sorted(p for p, n in Counter(out).items() if n > 1)
    if dupes:
        errors.append(FieldError(where, f"port(s) listed twice: {', '.join(dupes)}"))
    return tuple(dict.fromkeys(out))


# ---------------------------------------------------------------------------------------- reading

_KINDS = {bool: "a boolean", dict: "a mapping", list: "a list", float: "a number"}


def _kind(value: Any) -> str:
    return _KINDS.get(type(value), "a " + type(value).__name__)


class _Reader:
    """Reads one mapping, recording every problem instead of stopping at the first."""

    def __init__(self, data: Any, where: str, errors: list, known: Any, limits: Limits = Limits()) -> None:
        self.where = where
        self.errors = errors
        self.limits = limits
        if not isinstance(data, dict):
            errors.append(FieldError(where, f"must be a mapping, not {_kind(data)}", data))
            data = {}
        self.data = data
        unknown = sorted(str(k) for k in set(data) - set(known))
        if unknown:
            errors.append(FieldError(where, f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(known)}"))

    def fail(self, key: str, message: str, *value: Any) -> None:
        """One problem at `<where>.<key>`; `value` is what the person typed (absent: nothing typed)."""
        self.errors.append(FieldError(f"{self.where}.{key}", message, *value))

    def text(self, key: str, required: bool = False, default: Any = "", pattern: str | None = None,
             choices: Any = None, maximum: int | None = MAX_TEXT) -> Any:
        value = self.data.get(key)
        if value in (None, ""):
            if required:
                self.fail(key, "required")
            return default
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            self.fail(key, f"must be a string, not {_kind(value)}", value)
            return default
        value = str(value)
        if len(value) > maximum:
            self.fail(key, f"longer than {maximum} characters ({len(value)})", value[:40] + "...")
            return default
        if "\x00" in value or any(c in value for c in "\r\n"):
            self.fail(key, "must not contain NUL or line breaks", value)
            return default
        if pattern is not None and not pattern.match(value):
            self.fail(key, f"invalid value (expected {pattern.pattern})", value)
        if choices and value not in choices:
            self.fail(key, f"not one of {', '.join(choices)}", value)
        return value

    def integer(self, key: str, required: bool = False, default: Any = None, maximum: int | None = None) -> Any:
        value = self.data.get(key)
        if value is None:
            if required:
                self.fail(key, "required")
            return default
        if isinstance(value, str) and ascii_digits(value.strip()) and len(value.strip()) <= 12:
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(key, f"must be an integer, not {_kind(value)}", value)
            return default
        if value < 1:
            self.fail(key, "must be greater than zero", value)
            return default
        if maximum is not None and value > maximum:
            self.fail(key, f"at most {maximum} (option limits.{'redundancy' if key == 'redundancy' else 'quantity'})",
                      value)
            return default
        return value

    def items(self, key: str, maximum: int | None = None, limit_name: str = "") -> list:
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(key, f"must be a list, not {_kind(value)}", value)
            return []
        if maximum is not None and len(value) > maximum:
            self.fail(key, f"has {len(value)} items; at most {maximum} (option limits.{limit_name})")
            return value[:maximum]
        return value

    def pattern(self, key: str, default: Any = "") -> str:
        value = self.text(key, default=default, maximum=10 ** 6)
        problem = pattern_problem(value) if value else None
        if problem:
            self.fail(key, problem, value if len(value) <= 80 else value[:80] + "...")
            return default
        return value

    def ports(self, key: str) -> tuple:
        return expand_ports(self.data.get(key), f"{self.where}.{key}", self.errors, self.limits)


def _interfaces(reader: _Reader, where: str) -> tuple:
    out = []
    for i, item in enumerate(reader.items("interfaces", reader.limits.interfaces, "interfaces")):
        sub = _Reader(item, f"{where}.interfaces[{i}]", reader.errors, ("name", "type"))
        out.append(InterfaceSpec(sub.text("name", required=True, maximum=MAX_PORT_NAME),
                                 sub.text("type", default="virtual")))
    return tuple(out)


SWITCH_KEYS = ("id", "device_type", "role", "downlinks", "uplinks", "uplink_to", "redundancy", "quantity", "name",
               "interfaces", "cable_type")
SERVER_KEYS = ("id", "device_type", "role", "quantity", "connections", "name", "interfaces")
CONNECTION_KEYS = ("ports", "to", "placement", "cable_type")
PLAN_KEYS = ("name", "site", "tenant", "location", "rack", "status", "cable_status", "naming", "switch_classes",
             "server_classes", "description")


def _switch_class(item: Any, where: str, errors: list, limits: Limits) -> SwitchClass:
    r = _Reader(item, where, errors, SWITCH_KEYS, limits)
    return SwitchClass(
        id=r.text("id", required=True, pattern=_ID), device_type=r.text("device_type", required=True),
        role=r.text("role", required=True), downlinks=r.ports("downlinks"), uplinks=r.ports("uplinks"),
        uplink_to=r.text("uplink_to"),
        redundancy=r.integer("redundancy", default=1, maximum=limits.redundancy) or 1,
        quantity=r.integer("quantity", maximum=limits.quantity), name=r.pattern("name"),
        interfaces=_interfaces(r, where), cable_type=r.text("cable_type"))


def _connection(conn: Any, where: str, errors: list, limits: Limits) -> Connection:
    c = _Reader(conn, where, errors, CONNECTION_KEYS, limits)
    ports = c.ports("ports")
    if not ports and not any(e.path == f"{where}.ports" for e in errors):
        c.fail("ports", "required (one or more server interface names)")
    return Connection(ports=ports, to=c.text("to", required=True),
                      placement=c.text("placement", default="server", choices=PLACEMENTS),
                      cable_type=c.text("cable_type"))


def _server_class(item: Any, where: str, errors: list, limits: Limits) -> ServerClass:
    r = _Reader(item, where, errors, SERVER_KEYS, limits)
    connections = tuple(_connection(conn, f"{where}.connections[{i}]", errors, limits)
                        for i, conn in enumerate(r.items("connections", limits.connections, "connections")))
    return ServerClass(
        id=r.text("id", required=True, pattern=_ID), device_type=r.text("device_type", required=True),
        role=r.text("role", required=True),
        quantity=r.integer("quantity", required=True, default=0, maximum=limits.quantity) or 0,
        connections=connections, name=r.pattern("name"), interfaces=_interfaces(r, where))


def _plan_name(r: _Reader) -> str:
    name = r.text("name", required=True, maximum=10 ** 6)
    if len(name) > PLAN_NAME_MAX:
        r.fail("name", f"longer than {PLAN_NAME_MAX} characters ({len(name)}): it names the tag and the status "
                       "record", name[:40] + "...")
        return ""
    if name and not _PLAN_NAME.match(name):
        r.fail("name", "letters, digits, '.', '_' and '-' only, starting with a letter or digit", name)
        return ""
    return name


def _classes(r: _Reader, errors: list, limits: Limits) -> tuple:
    switch_items = r.items("switch_classes", limits.classes, "classes")
    server_items = r.items("server_classes", limits.classes, "classes")
    if len(switch_items) + len(server_items) > limits.classes:
        r.fail("switch_classes", f"{len(switch_items) + len(server_items)} classes in all; at most {limits.classes} "
                                 "(option limits.classes)")
        return (), ()
    return (tuple(_switch_class(item, f"plan.switch_classes[{i}]", errors, limits)
                  for i, item in enumerate(switch_items)),
            tuple(_server_class(item, f"plan.server_classes[{i}]", errors, limits)
                  for i, item in enumerate(server_items)))


def parse_plan(data: Any, limits: Limits = Limits()) -> tuple[Plan, list]:
    """A `Plan` from a user's dict and the list of schema errors (FieldError; empty when it parsed)."""
    errors = []
    r = _Reader(data, "plan", errors, PLAN_KEYS, limits)
    naming = _Reader(r.data.get("naming") or {}, "plan.naming", errors, ("device",))
    switches, servers = _classes(r, errors, limits)
    plan = Plan(
        name=_plan_name(r), site=r.text("site", required=True), tenant=r.text("tenant"),
        location=r.text("location"), rack=r.text("rack"), status=r.text("status", default="planned"),
        cable_status=r.text("cable_status"), device_name=naming.pattern("device", default=DEFAULT_DEVICE_NAME),
        switch_classes=switches, server_classes=servers)
    if not plan.switch_classes and not plan.server_classes and isinstance(data, dict) and not any(
            e.path.startswith("plan.s") for e in errors):
        errors.append(FieldError("plan", "has no switch_classes and no server_classes: nothing to generate"))
    return plan, errors
