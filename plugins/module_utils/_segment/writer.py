# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""netbox_segment's one writer: applies a plan (plan.py), in this order. PRIVATE to the collection.

1. the VLAN groups the plan creates;
2. present: the new VLANs (each distinct one once: a dual-stack pair shares it), VLAN renames, then
   prefixes; a failed prefix write removes the VLANs this task created, and says so in the failure;
   then the VLANs no prefix uses any more;
3. absent (and released with release_delete): prefixes, their claim markers, orphaned VLANs;
4. item by item: the allocations' claim steps (claim.Allocator.apply) and the releases.

The plan is never edited: each planned Change is copied into the result and the copy gets what
NetBox answered (ids of created objects, the deleted VLAN).
"""
from __future__ import annotations

import dataclasses
from typing import Any

from ansible_collections.sot.netbox.plugins.module_utils._errors import SotNetboxError
from ansible_collections.sot.netbox.plugins.module_utils._segment import domain
from ansible_collections.sot.netbox.plugins.module_utils._segment.model import Change
from ansible_collections.sot.netbox.plugins.module_utils._segment.store import PREFIX, VLAN, group_key
from ansible_collections.sot.netbox.plugins.module_utils._records import record

TAG = record("tag")


def _copy(change: Change) -> Change:
    """A planned change as the writer's own result (the plan stays as planned)."""
    after = dataclasses.replace(change.after, ids=dict(change.after.ids)) if change.after is not None else None
    return dataclasses.replace(change, after=after, changes=dict(change.changes))


class Writer:
    def __init__(self, client: Any, store: Any, allocator: Any) -> None:
        self.client = client
        self.store = store
        self.allocator = allocator
        self.done: list = []           # the items finished, for a failure's partial result

    def apply(self, plan: Any) -> list:
        groups = dict(plan.groups)
        if plan.new_groups:
            groups.update(self.store.create_vlan_groups(list(plan.new_groups), list(plan.scope_groups)))
        results = {i: _copy(item.change) for i, item in enumerate(plan.items) if item.change is not None}
        present = [(results[i], item.ids) for i, item in enumerate(plan.items)
                   if item.change is not None and item.spec.state == "present"]
        for change, ids in present:
            if change.spec.segment.vlan_vid is not None and change.after.ids.get("vlan_group") is None:
                group = groups[group_key(change.spec, ids)]        # created just now
                change.after.ids.update(vlan_group=group["id"], vlan_group_name=group["name"])
        self._write_present(present)
        self._write_absent([(results[i], item.ids) for i, item in enumerate(plan.items) if item.change is not None
                            and (item.spec.state == "absent" or (item.spec.state == "released"
                                                                 and item.spec.release_delete))])
        out = []
        for i, item in enumerate(plan.items):
            if item.allocation is not None:
                group = groups.get(item.allocation.group) if item.allocation.group else None
                change = self.allocator.apply(item.allocation, group)
            else:
                change = results[i]
                if change.action == "release":
                    change.after = self.allocator.release(change)
            self.done.append(change)
            out.append(change)
        return out

    # ------------------------------------------------------------ present: VLANs, prefixes

    def _write_present(self, present: list) -> None:
        created_vlans = self._create_vlans(present)
        try:
            self._write_prefixes(present)
        except SotNetboxError as exc:
            self._roll_back_vlans(created_vlans, exc)
            raise
        orphans = [c.orphan_vlan["id"] for c, _ids in present if c.action == "update" and c.orphan_vlan]
        if orphans:
            deleted = set(self.store.delete_orphan_vlans(orphans))
            for change, _ids in present:
                if change.orphan_vlan and change.orphan_vlan["id"] in deleted:
                    change.changes["deleted_vlan"] = (domain.Segment(vlan_vid=change.orphan_vlan["vid"],
                                                                     vlan_name=change.orphan_vlan["name"]).vlan, None)
        for change, ids in present:
            change.after.ids.update({k: v for k, v in ids.items() if v is not None and k not in change.after.ids})

    def _create_vlans(self, present: list) -> list:
        """Create each planned VLAN once per (group, VID); returns the created rows."""
        planned: dict = {}
        for change, ids in present:
            if change.vlan_action == "create":
                planned.setdefault((change.after.ids["vlan_group"], change.spec.segment.vlan_vid), []).append(
                    (change, ids))
        if not planned:
            return []
        bodies = [_vlan_body(*users[0]) for users in planned.values()]
        rows = self.client.create(VLAN.path(), bodies)
        for users, row in zip(planned.values(), rows):
            for change, _ids in users:
                change.after.ids["vlan"] = row["id"]
        return rows

    def _write_prefixes(self, present: list) -> None:
        renames = {c.after.ids["vlan"]: {"id": c.after.ids["vlan"], "name": c.spec.segment.vlan_name}
                   for c, _ids in present if c.vlan_action == "update"}
        if renames:
            self.client.update(VLAN.path(), list(renames.values()))
        creates = [(c, domain.body_for(c.after, i, c.after.ids.get("vlan"))) for c, i in present if c.action == "create"]
        if creates:
            for (change, _ids), row in zip(creates, self.client.create(PREFIX.path(), [b for _c, b in creates])):
                change.after.ids["prefix"] = row["id"]
        updates = [dict(domain.body_for(c.spec.segment, i, c.after.ids.get("vlan")), id=c.before.ids["prefix"])
                   for c, i in present if c.action == "update"]
        if updates:
            self.client.update(PREFIX.path(), updates)

    def _roll_back_vlans(self, rows: list, exc: SotNetboxError) -> None:
        if not rows:
            return
        labels = [f"VLAN {r.get('vid')} ({r.get('name')})" for r in rows]
        try:
            self.client.delete(VLAN.path(), [r["id"] for r in rows])
        except SotNetboxError as failure:
            exc.result.setdefault("left_behind", []).extend(f"{label}: {failure.message}" for label in labels)
        else:
            exc.result.setdefault("rolled_back", []).extend(labels)

    # ------------------------------------------------------------ absent

    def _write_absent(self, deletions: list) -> None:
        targets = [c for c, _ids in deletions if c.action == "delete"]
        if not targets:
            return
        markers = [m["id"] for c in targets for m in self.allocator.markers_of(c.before)]
        self.client.delete(PREFIX.path(), [c.before.ids["prefix"] for c in targets])
        if markers:
            self.client.delete(TAG.path(), markers)
        orphans = [c.orphan_vlan["id"] for c in targets if c.orphan_vlan and c.orphan_vlan.get("id")]
        deleted = set(self.store.delete_orphan_vlans(orphans)) if orphans else set()
        for change in targets:
            if change.orphan_vlan and change.orphan_vlan["id"] in deleted:
                change.changes["deleted_vlan"] = (change.before.vlan, None)


def _vlan_body(change: Change, ids: dict) -> dict:
    seg = change.spec.segment
    body = {"group": change.after.ids["vlan_group"], "vid": seg.vlan_vid,
            "name": seg.vlan_name or f"vlan-{seg.vlan_vid}", "status": "active"}
    for field in ("tenant", "role"):
        if ids.get(field):
            body[field] = ids[field]
    return body
