# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""netbox_segment's plan: every change of a run, built from the current state with reads only. PRIVATE.

The plan is complete and immutable: the VLAN groups to create, per item its Change (present,
absent, released) or its allocation (the identity's segment if it holds one, else the reservation's
candidates or the carve's pools and group), the VLANs to create or rename and the orphaned VLANs to
delete. Check mode and diff stop here; writer.py applies a plan and nothing else writes.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Optional

from ansible_collections.sot.netbox.plugins.module_utils._errors import FieldError, ValidationErrors
from ansible_collections.sot.netbox.plugins.module_utils._segment import domain
from ansible_collections.sot.netbox.plugins.module_utils._segment.model import Change, Spec
from ansible_collections.sot.netbox.plugins.module_utils._segment.store import PREFIX, VLAN, group_key


@dataclasses.dataclass(frozen=True)
class Allocation:
    """An allocated item's claim steps: nothing to do (`held`), or claim one of `candidates` (reserve),
    or carve from `pools` with a VLAN in `group` (its key in Plan.new_groups when it is to be created)."""

    spec: Spec
    ids: dict
    held: Optional[Any] = None
    candidates: tuple = ()
    pools: tuple = ()
    group: Optional[tuple] = None        # group key (see store.group_key), None: no VLAN


@dataclasses.dataclass(frozen=True)
class Item:
    spec: Spec
    ids: dict
    change: Optional[Change] = None      # present, absent, released
    allocation: Optional[Allocation] = None


@dataclasses.dataclass(frozen=True)
class Plan:
    items: tuple
    groups: tuple = ()                   # ((key, {"id", "name"}), ...) of the existing groups used
    new_groups: tuple = ()               # keys of the groups to create
    scope_groups: tuple = ()             # the scopes' group rows (a new group's slug is unique among them)

    def group(self, key: tuple) -> dict:
        """The group a key names: found, or as it will be created (no id yet)."""
        return dict(self.groups).get(key) or {"id": None, "name": key[2]}

    @property
    def changes(self) -> list:
        return [item.change for item in self.items if item.change is not None]


def _vlan_drift(change: Change, group: dict) -> Change:
    """The prefix gets another VLAN object: say which group each side's VLAN is in."""
    before, old = change.before, None
    if before is not None and before.vlan is not None:
        old = before.vlan + (f" in {before.ids['vlan_group_name']}" if before.ids.get("vlan_group_name") else "")
    changes = {**change.changes, "vlan": (old, f"{change.after.vlan} in {group['name']}")}
    return dataclasses.replace(change, action="update" if change.action == "none" else change.action,
                               changes=changes)


def plan_vlan(change: Change, group: dict, row: Optional[dict]) -> Change:
    """A present change with a VLAN, given its group and the VLAN of that VID in it (None: to create).

    The desired VLAN is the one with the VID in the desired group; a prefix that points to another
    VLAN (one moved to another group, same VID and name) is drift, and is fixed."""
    seg = change.spec.segment
    after = dataclasses.replace(change.after, ids={**change.after.ids, "vlan_group": group["id"],
                                                   "vlan_group_name": group["name"]})
    change = dataclasses.replace(change, after=after)
    before_vlan = change.before.ids.get("vlan") if change.before else None
    if row is None:
        after.ids["vlan"] = None
        change = _vlan_drift(dataclasses.replace(change, vlan_action="create"), group)
    else:
        after.ids["vlan"] = row["id"]
        if seg.vlan_name and row["name"] != seg.vlan_name:
            change = dataclasses.replace(change, vlan_action="update",
                                         action="update" if change.action == "none" else change.action)
        if change.before is not None and before_vlan != row["id"]:
            change = _vlan_drift(change, group)
    if change.orphan_vlan and change.orphan_vlan.get("id") == after.ids.get("vlan"):
        change = dataclasses.replace(change, orphan_vlan=None)
    return change


def _known_vlans(changes: list) -> dict:
    """{(group id, vid): VLAN} of the VLANs the current prefixes use, as just read with them (their
    real group): a steady-state run asks NetBox for no other VLAN."""
    out = {}
    for change in changes:
        before = change.before
        if before is not None and before.ids.get("vlan") and before.ids.get("vlan_group"):
            out[(before.ids["vlan_group"], before.vlan_vid)] = {"id": before.ids["vlan"], "vid": before.vlan_vid,
                                                                "name": before.vlan_name}
    return out


class Planner:
    def __init__(self, store: Any, allocator: Any, names: domain.Names, check_mode: bool) -> None:
        self.store = store
        self.allocator = allocator
        self.names = names
        self.check_mode = check_mode

    def plan(self, specs: list) -> Plan:
        ids_list = self._validate(specs)
        known = [(s, i) for s, i in zip(specs, ids_list) if s.state != "allocated"]
        current = self.store.current_by_prefix([s for s, _ids in known], [i for _spec, i in known])
        items = [self._item(spec, ids, current) for spec, ids in zip(specs, ids_list)]
        wanted = [group_key(i.spec, i.ids) for i in items if i.change and i.spec.state == "present"
                  and i.spec.segment.vlan_vid is not None]
        wanted += [i.allocation.group for i in items if i.allocation and i.allocation.group]
        found, missing, rows = self.store.find_vlan_groups(wanted) if wanted else ({}, [], [])
        plan = Plan(tuple(items), tuple(found.items()), tuple(missing), tuple(rows))
        return dataclasses.replace(plan, items=tuple(self._with_vlans(plan)))

    def _item(self, spec: Spec, ids: dict, current: dict) -> Item:
        if spec.state == "present":
            return Item(spec, ids, domain.plan_present(spec, current.get((spec.segment.prefix, ids["vrf"]))))
        if spec.state == "absent":
            return Item(spec, ids, domain.plan_absent(spec, current.get((spec.segment.prefix, ids.get("vrf")))))
        if spec.state == "released":
            change = domain.plan_release(spec, self.allocator.find_for_release(spec, ids, current), self.names)
            if change.action == "update":
                change = dataclasses.replace(change, action="release")
            return Item(spec, ids, change)
        return Item(spec, ids, allocation=self._allocation(spec, ids))

    def _allocation(self, spec: Spec, ids: dict) -> Allocation:
        """The claim steps of an allocation, from reads (every problem raised here, before any write)."""
        if not spec.carve:
            held, candidates = self.allocator.reserve_candidates(spec, ids)
            return Allocation(spec, ids, held=held, candidates=tuple(candidates))
        held = self.allocator.existing_for(spec, ids)
        if held is not None:
            return Allocation(spec, ids, held=held)
        return Allocation(spec, ids, pools=tuple(self.allocator.pools(spec, ids)),
                          group=group_key(spec, ids) if spec.allocate_vlan else None)

    def _with_vlans(self, plan: Plan) -> list:
        """Present changes with their VLAN planned: found by (group, VID), created, renamed or drifted."""
        present = [i for i in plan.items if i.change and i.spec.state == "present" and i.spec.segment.vlan_vid
                   is not None]
        if not present:
            return list(plan.items)
        existing = _known_vlans([i.change for i in present])
        unknown = [(plan.group(group_key(i.spec, i.ids))["id"], i.spec.segment.vlan_vid) for i in present]
        unknown = [(g, vid) for g, vid in unknown if g and (g, vid) not in existing]
        if unknown:
            existing.update(self.store.vlans([g for g, _vid in unknown], [vid for _g, vid in unknown]))
        out, planned = [], {id(i) for i in present}
        for item in plan.items:
            if id(item) in planned:
                group = plan.group(group_key(item.spec, item.ids))
                row = existing.get((group["id"], item.spec.segment.vlan_vid)) if group["id"] else None
                item = dataclasses.replace(item, change=plan_vlan(item.change, group, row))
            out.append(item)
        return out

    def _validate(self, specs: list) -> list:
        """Names to ids, custom fields against NetBox's declarations, duplicates after resolution, and
        the write permissions a carve needs: every problem at once, before any write."""
        errors, ids_list = [], None
        try:
            ids_list = self.store.resolve(specs)
        except ValidationErrors as exc:
            errors.extend(exc.errors)
        errors.extend(self.store.check_custom_fields(specs))
        if ids_list is not None:
            errors.extend(domain.duplicates(specs))
        carves = [s for s in specs if s.state == "allocated" and s.carve]
        if carves and not errors and not self.check_mode:   # asking costs a request: only for valid input
            types = [PREFIX] + ([VLAN] if any(s.allocate_vlan for s in carves) else [])
            for endpoint, permission in self.store.writable(types):
                errors.append(FieldError(f"segments[{carves[0].index}]", f"permission denied: this token may not "
                                         f"create objects in {endpoint} (NetBox permission {permission}), which a "
                                         "carve needs; nothing was written", carves[0].key))
        if errors:
            raise ValidationErrors(errors)
        return ids_list
