# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Quantities and link placement, with calculation metadata. PRIVATE to the collection. Pure.

A switch class needs enough downlinks for every link that targets it:
- server links are placed in order, a "unit" at a time: with placement `server` a unit is one
  server's ports of a connection (port k goes to member k mod redundancy of a switch group, so a
  dual-homed server lands on one leaf pair); with placement `rail` a unit is one link and links are
  ordered by port, then server (gpu0 of every server first: rail-aligned leafs). A unit that does
  not fit in the current group starts the next group. Groups have `redundancy` members.
- uplinks of lower switch classes are spread round-robin: uplink u of each lower switch goes to
  upper switch (u mod S). S is the smallest multiple of the redundancy that holds them all.
The calculated quantity is what the placement uses; an override replaces it when it is enough,
and is an error ("more links than ports") when it is not. Every class's result carries
`algorithm_version`, the inputs, their sha256 and the result.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only: these import nothing at run time
    from ansible_collections.sot.netbox.plugins.module_utils._plan.model import Plan, SwitchClass

ALGORITHM_VERSION = "sot.netbox.plan/1"
_MAX_TRIES = 256


@dataclass(frozen=True)
class Link:
    a_class: str
    a_index: int
    a_port: str
    b_class: str
    b_index: int
    b_port: str
    cable_type: str = ""


@dataclass
class Calculation:
    quantities: dict = field(default_factory=dict)   # class id -> effective quantity
    metadata: dict = field(default_factory=dict)     # class id -> calculation metadata
    links: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    max_links: int | None = None

    def to_dict(self) -> dict:
        return {"algorithm_version": ALGORITHM_VERSION, "quantities": dict(self.quantities),
                "classes": dict(self.metadata), "links": len(self.links)}


def inputs_hash(inputs: dict) -> str:
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def metadata(inputs: dict, result: dict) -> dict:
    return {"algorithm_version": ALGORITHM_VERSION, "inputs_hash": inputs_hash(inputs), "inputs": inputs,
            "result": result}


def calculate(plan: Plan, max_links: int | None = None) -> Calculation:
    """Quantities, metadata and every link of the plan. Assumes `check_plan` found no errors.

    `max_links` bounds the links of the whole plan: a class whose links would pass it is an error
    before its links are placed (uplinks multiply: a bound on server links alone is not enough)."""
    calc = Calculation(max_links=max_links)
    for srv in plan.server_classes:
        calc.quantities[srv.id] = srv.quantity
        calc.metadata[srv.id] = metadata({"class": srv.id, "kind": "server", "quantity": srv.quantity},
                                         {"calculated": srv.quantity, "override": None, "quantity": srv.quantity})
    switches = {s.id: s for s in plan.switch_classes}
    for sw in plan.switch_classes:
        _switch_quantity(plan, switches, sw.id, calc, set())
    return calc


def _switch_quantity(plan: Plan, switches: dict, class_id: str, calc: Calculation, visiting: set) -> int:
    if class_id in calc.quantities:
        return calc.quantities[class_id]
    if class_id in visiting:  # a cycle: check_plan reports it
        return 0
    visiting.add(class_id)
    sw = switches[class_id]
    lower = [s for s in plan.switch_classes if s.uplink_to == class_id]
    for src in lower:
        _switch_quantity(plan, switches, src.id, calc, visiting)
    units, demand = _server_units(plan, sw)
    uplinks = [(src, calc.quantities.get(src.id, 0)) for src in lower]
    demand += [{"from": src.id, "kind": "uplinks", "quantity": q, "ports_per_switch": len(src.uplinks)}
               for src, q in uplinks]
    inputs = {"class": sw.id, "kind": "switch", "ports_per_switch": len(sw.downlinks),
              "redundancy": sw.redundancy, "override": sw.quantity, "demand": demand}
    total = sum(len(u) for u in units) + sum(q * len(src.uplinks) for src, q in uplinks)
    if calc.max_links is not None and len(calc.links) + total > calc.max_links:
        calc.errors.append(f"plan.switch_classes[{sw.id}]: {len(calc.links) + total} links with those into {sw.id!r}; "
                           f"at most {calc.max_links} per plan (option limits.links)")
        calc.quantities[class_id] = 0
        visiting.discard(class_id)
        return 0
    placed, groups_needed, error = _place_units(sw, units)
    calculated = 0
    links = []
    if error is None:
        base = groups_needed * sw.redundancy
        calculated, links, error = _fit_uplinks(sw, base, placed, uplinks, total)
    effective = calculated
    if error is None and sw.quantity is not None:
        effective = sw.quantity
        if sw.quantity < calculated:
            error = (f"plan.switch_classes[{sw.id}]: more links than ports: {total} link(s) into {sw.id!r} need "
                     f"{calculated} switch(es) with {len(sw.downlinks)} downlinks each; quantity is {sw.quantity}")
        else:
            links, error = _fit_uplinks(sw, sw.quantity, placed, uplinks, total, exact=True)[1:]
    if error is not None:
        calc.errors.append(error)
        effective = 0
        links = []
    calc.quantities[class_id] = effective
    per_switch = len(sw.downlinks) or 1
    calc.metadata[class_id] = metadata(inputs, {
        "links": total, "min_by_ports": -(-total // per_switch) if total else 0,
        "calculated": calculated, "override": sw.quantity, "quantity": effective})
    calc.links.extend(links)
    visiting.discard(class_id)
    return effective


def _server_units(plan: Plan, sw: SwitchClass) -> tuple:
    """Units of server links that target `sw`, in placement order, and the demand they describe."""
    units, demand = [], []
    for srv in plan.server_classes:
        for conn in srv.connections:
            if conn.to != sw.id:
                continue
            demand.append({"from": srv.id, "kind": "server", "quantity": srv.quantity, "ports": list(conn.ports),
                           "placement": conn.placement})
            member = {p: k % sw.redundancy for k, p in enumerate(conn.ports)}
            if conn.placement == "rail":
                units.extend([(srv.id, s, p, member[p], conn.cable_type)]
                             for p in conn.ports for s in range(1, srv.quantity + 1))
            else:
                units.extend([(srv.id, s, p, member[p], conn.cable_type) for p in conn.ports]
                             for s in range(1, srv.quantity + 1))
    return units, demand


def _place_units(sw: SwitchClass, units: list) -> tuple:
    """Fill groups in order. Returns ([(src_class, src_index, port, switch_index, cable_type)], groups, error)."""
    r, size = sw.redundancy, len(sw.downlinks)
    group, used, placed = 0, [0] * r, []
    for unit in units:
        need = [0] * r
        for item in unit:
            need[item[3]] += 1
        if max(need) > size:
            return [], 0, (f"plan.switch_classes[{sw.id}]: more links than ports: one server needs {max(need)} "
                           f"port(s) on one {sw.id!r} switch, which has {size} downlinks")
        if any(used[m] + need[m] > size for m in range(r)):
            group, used = group + 1, [0] * r
        for src, idx, port, m, cable_type in unit:
            placed.append((src, idx, port, group * r + m, used[m], cable_type))
            used[m] += 1
    return placed, (group + 1 if units else 0), None


def _fit_uplinks(sw: SwitchClass, base: int, placed: list, uplinks: int, total: int, exact: bool = False) -> tuple:
    """The smallest quantity >= base (a multiple of redundancy) that also holds the uplinks, and the links."""
    r, size = sw.redundancy, len(sw.downlinks)
    counts = {}
    for item in placed:
        counts[item[3]] = counts.get(item[3], 0) + 1
    need_up = sum(q * len(src.uplinks) for src, q in uplinks)
    start = base
    if need_up and not exact:
        lower_bound = -(-total // size) if size else 1
        start = max(base, lower_bound, r)
        start = -(-start // r) * r
    # Round-robin imbalance needs at most a few more groups than the port bound; uplinks that do not
    # fit after many more never will (every lower switch's first uplink lands on the same switch).
    limit = start + (min(need_up + r, _MAX_TRIES * r) if not exact else 0)
    quantity = start
    while quantity <= limit:
        result = _spread(sw, quantity, placed, counts, uplinks)
        if result is not None:
            return quantity, result, None
        if exact:
            break
        quantity += r
    return 0, [], (f"plan.switch_classes[{sw.id}]: more links than ports: {need_up} uplink(s) into {sw.id!r} "
                   f"do not fit {quantity if exact else 'any number of'} switch(es) with {size} downlinks each")


def _uplinks_fit(quantity: int, size: int, counts: Any, uplinks: int) -> bool:
    """Whether round-robin uplinks fit `quantity` switches: counts only, so a failing try is cheap."""
    used = [counts.get(i, 0) for i in range(quantity)]
    for src, q in uplinks:
        for _i in range(q):
            for u in range(len(src.uplinks)):
                used[u % quantity] += 1
                if used[u % quantity] > size:
                    return False
    return True


def _spread(sw: SwitchClass, quantity: int, placed: list, counts: Any, uplinks: int) -> list | None:
    size = len(sw.downlinks)
    if not quantity or not _uplinks_fit(quantity, size, counts, uplinks):
        return None
    used = {i: counts.get(i, 0) for i in range(quantity)}
    links = [Link(src, idx, port, sw.id, b + 1, sw.downlinks[slot], cable_type)
             for src, idx, port, b, slot, cable_type in placed]
    for src, q in uplinks:
        for i in range(1, q + 1):
            for u, port in enumerate(src.uplinks):
                target = u % quantity if quantity else None
                if target is None or used[target] >= size:
                    return None
                links.append(Link(src.id, i, port, sw.id, target + 1, sw.downlinks[used[target]], src.cable_type))
                used[target] += 1
    return links
