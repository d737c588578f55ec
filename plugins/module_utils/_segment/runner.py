# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sot.netbox.netbox_segment: module parameters -> plan -> writes -> result. PRIVATE to the collection.

The only code that reads `module.params`. Phase 1 validates every item, resolves every name and
plans every change with reads only, so bad input fails before any write. Phase 2 writes (skipped in
check mode; check mode and diff come from the same plan).
"""
from __future__ import annotations

import time

from ansible_collections.sot.netbox.plugins.module_utils._difftext import diff_entry
from ansible_collections.sot.netbox.plugins.module_utils._errors import (
    STALE_REFERENCE, FieldError, SotNetboxError, ValidationErrors, classify_rejection)
from ansible_collections.sot.netbox.plugins.module_utils._lookups import Lookups
from ansible_collections.sot.netbox.plugins.module_utils._segment import domain
from ansible_collections.sot.netbox.plugins.module_utils._segment.claim import Allocator
from ansible_collections.sot.netbox.plugins.module_utils._segment.fields import argspec, item_argspec
from ansible_collections.sot.netbox.plugins.module_utils._segment.store import Store, group_key

_ITEM = item_argspec()
OPTIONS = argspec()


def names_from(params):
    return domain.Names(dhcp_field=params["dhcp_field"], cluster_field=params["cluster_field"],
                        key_field=params.get("key_field") or params["cluster_field"],
                        free_status=params["free_status"], reserved_status=params["reserved_status"],
                        pool_role=params["pool_role"])


def run(module, client):
    params = module.params
    result = execute(client, params, module.check_mode, module._diff)  # pylint: disable=protected-access
    for warning in result.pop("warnings", []):
        module.warn(warning)
    return result


def execute(client, params, check_mode=False, want_diff=False, sleep=time.sleep, clock=time.time):
    """Everything the module does, from a plain params dict (unit tests and the benchmark call this).

    When NetBox rejects an id this run took from the cache (an object deleted or re-created since),
    the run starts once more from fresh reads (no cache): every step is idempotent, and what the
    first attempt wrote is found and kept."""
    names = names_from(params)
    item_params = {k: v for k, v in params.items() if k in _ITEM or k == "segments"}
    domain.parse_all(item_params, params.get("segments"), names)   # every input error before any request
    if params.get("claim_timeout", 900) < 0:
        raise ValidationErrors([FieldError("claim_timeout", "must be 0 (never take over a claim) or seconds",
                                           params["claim_timeout"])])
    done = []
    for fresh in (False, True):
        specs = domain.parse_all(item_params, params.get("segments"), names)
        store = Store(client, Lookups(client, fresh=fresh), names, fresh=fresh)
        allocator = Allocator(client, store, names, claim_timeout=params.get("claim_timeout", 900), sleep=sleep,
                              clock=clock)
        run_ = SegmentRun(client, store, allocator, names, check_mode)
        try:
            changes = run_.execute(specs)
            break
        except SotNetboxError as exc:
            done.extend(run_.done)
            if not fresh and classify_rejection(exc).kind == STALE_REFERENCE:
                store.ids_cache.drop("vlan-group")
                continue
            exc.result.setdefault("segments", [entry(c) for c in done])
            exc.result["changed"] = any(c.changed for c in done) or bool(exc.result.get("rolled_back"))
            raise
    result = {"changed": any(c.changed for c in changes + done), "segments": [entry(c) for c in changes],
              "warnings": allocator.warnings}
    if len(changes) == 1:
        result["segment"] = result["segments"][0]
    if want_diff:
        diffs = [diff_entry(**c.diff()) for c in changes if c.changed]
        result["diff"] = diffs[0] if len(diffs) == 1 else diffs
    return result


def entry(change):
    seg = change.after if change.after is not None and change.action != "delete" else change.before
    out = seg.to_dict() if seg is not None else {"prefix": change.spec.segment.prefix, "id": None}
    out.update(action=change.action, state=change.spec.state, key=change.spec.key,
               changes={f: {"before": b, "after": a} for f, (b, a) in change.changes.items()})
    return out


class SegmentRun:
    def __init__(self, client, store, allocator, names, check_mode):
        self.client = client
        self.store = store
        self.allocator = allocator
        self.names = names
        self.check_mode = check_mode
        self.done = []

    def execute(self, specs):
        ids_list = self._validate(specs)
        known = [(s, i) for s, i in zip(specs, ids_list) if s.state != "allocated"]
        current = self.store.current_by_prefix([s for s, _ids in known], [i for _spec, i in known])
        plans = {}
        for spec, ids in zip(specs, ids_list):
            if spec.state == "present":
                plans[spec.index] = domain.plan_present(spec, current.get((spec.segment.prefix, ids["vrf"])))
            elif spec.state == "absent":
                plans[spec.index] = domain.plan_absent(spec, current.get((spec.segment.prefix, ids.get("vrf"))))
            elif spec.state == "released":
                found = self.allocator.find_for_release(spec, ids, current)
                plans[spec.index] = domain.plan_release(spec, found, self.names)
            elif spec.carve:
                self.allocator.check_carve(spec, ids)
        present = [(plans[s.index], i) for s, i in zip(specs, ids_list) if s.state == "present"]
        self._prepare_vlans(present)
        if not self.check_mode:
            self._write_present(present)
            self._write_absent([(plans[s.index], i) for s, i in zip(specs, ids_list)
                                if s.state == "absent" or (s.state == "released" and s.release_delete)])
        out = []
        for spec, ids in zip(specs, ids_list):
            if spec.state == "allocated":
                change = self.allocator.allocate(spec, ids, self.check_mode)
            else:
                change = plans[spec.index]
                if spec.state == "released" and change.action == "update" and not self.check_mode:
                    change.after = self.allocator.release(change)
                change.action = "release" if spec.state == "released" and change.action == "update" else change.action
            self.done.append(change)
            out.append(change)
        return out

    def _validate(self, specs):
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
            endpoints = ["ipam/prefixes"] + (["ipam/vlans"] if any(s.allocate_vlan for s in carves) else [])
            for endpoint, permission in self.store.writable(endpoints):
                errors.append(FieldError(f"segments[{carves[0].index}]", f"permission denied: this token may not create objects in "
                                         f"{endpoint} (NetBox permission {permission}), which a carve needs; "
                                         "nothing was written", carves[0].key))
        if errors:
            raise ValidationErrors(errors)
        return ids_list

    # ------------------------------------------------------------ present: VLAN groups, VLANs, prefixes

    def _prepare_vlans(self, present):
        """Per change with a VLAN: its group (found or planned) and whether the VLAN is created or renamed.

        The desired VLAN is the one with the VID in the desired group; a prefix that points to
        another VLAN (one moved to another group, same VID and name) is drift, and is fixed."""
        wanted = [group_key(c.spec, ids) for c, ids in present if c.spec.segment.vlan_vid is not None]
        if not wanted:
            return
        needed = [c for c, _ids in present if c.changed and c.spec.segment.vlan_vid is not None]
        groups = self.store.vlan_groups(wanted, create=bool(needed), check_mode=self.check_mode)
        existing = self._known_vlans(present)
        unknown = [(groups[group_key(c.spec, ids)], c.spec.segment.vlan_vid) for c, ids in present
                   if c.spec.segment.vlan_vid is not None]
        unknown = [(g["id"], vid) for g, vid in unknown if g.get("id") and (g["id"], vid) not in existing]
        if unknown:
            existing.update(self.store.vlans([g for g, _vid in unknown], [vid for _g, vid in unknown]))
        for change, ids in present:
            seg = change.spec.segment
            if seg.vlan_vid is None:
                continue
            group = groups.get(group_key(change.spec, ids))
            change.after.ids.update(vlan_group=group["id"], vlan_group_name=group["name"])
            row = existing.get((group["id"], seg.vlan_vid)) if group["id"] else None
            before_vlan = change.before.ids.get("vlan") if change.before else None
            if row is None:
                change.vlan_action = "create"
                change.after.ids["vlan"] = None
                self._vlan_change(change, group)
            else:
                change.after.ids["vlan"] = row["id"]
                if seg.vlan_name and row["name"] != seg.vlan_name:
                    change.vlan_action = "update"
                    if change.action == "none":
                        change.action = "update"
                if change.before is not None and before_vlan != row["id"]:
                    self._vlan_change(change, group)
            if change.orphan_vlan and change.orphan_vlan.get("id") == change.after.ids.get("vlan"):
                change.orphan_vlan = None

    @staticmethod
    def _known_vlans(present):
        """{(group id, vid): VLAN} of the VLANs the current prefixes use, as just read with them (their
        real group): a steady-state run asks NetBox for no other VLAN."""
        out = {}
        for change, _ids in present:
            before = change.before
            if before is not None and before.ids.get("vlan") and before.ids.get("vlan_group"):
                vlan = {"id": before.ids["vlan"], "vid": before.vlan_vid, "name": before.vlan_name}
                out[(before.ids["vlan_group"], before.vlan_vid)] = vlan
        return out

    @staticmethod
    def _vlan_change(change, group):
        """The prefix gets another VLAN object: say which group each side's VLAN is in."""
        if change.action == "none":
            change.action = "update"
        before = change.before
        old = None
        if before is not None and before.vlan is not None:
            old = before.vlan + (f" in {before.ids['vlan_group_name']}" if before.ids.get("vlan_group_name") else "")
        change.changes["vlan"] = (old, f"{change.after.vlan} in {group['name']}")

    def _write_present(self, present):
        """VLANs (each distinct one once: a dual-stack pair shares it), then prefixes. A failed prefix
        write removes the VLANs this task created, and says so in the failure."""
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

    def _create_vlans(self, present):
        """Create each planned VLAN once per (group, VID); returns the created rows."""
        planned = {}
        for change, ids in present:
            if change.vlan_action == "create":
                planned.setdefault((change.after.ids["vlan_group"], change.spec.segment.vlan_vid), []).append(
                    (change, ids))
        if not planned:
            return []
        bodies = [self._vlan_body(*users[0]) for users in planned.values()]
        rows = self.client.create("ipam/vlans", bodies)
        for users, row in zip(planned.values(), rows):
            for change, _ids in users:
                change.after.ids["vlan"] = row["id"]
        return rows

    def _write_prefixes(self, present):
        renames = {c.after.ids["vlan"]: {"id": c.after.ids["vlan"], "name": c.spec.segment.vlan_name}
                   for c, _ids in present if c.vlan_action == "update"}
        if renames:
            self.client.update("ipam/vlans", list(renames.values()))
        creates = [(c, domain.body_for(c.after, i, c.after.ids.get("vlan"))) for c, i in present if c.action == "create"]
        if creates:
            for (change, _ids), row in zip(creates, self.client.create("ipam/prefixes", [b for _change, b in creates])):
                change.after.ids["prefix"] = row["id"]
        updates = [dict(domain.body_for(c.spec.segment, i, c.after.ids.get("vlan")), id=c.before.ids["prefix"])
                   for c, i in present if c.action == "update"]
        if updates:
            self.client.update("ipam/prefixes", updates)

    def _roll_back_vlans(self, rows, exc):
        if not rows:
            return
        labels = [f"VLAN {r.get('vid')} ({r.get('name')})" for r in rows]
        try:
            self.client.delete("ipam/vlans", [r["id"] for r in rows])
        except SotNetboxError as failure:
            exc.result.setdefault("left_behind", []).extend(f"{label}: {failure.message}" for label in labels)
        else:
            exc.result.setdefault("rolled_back", []).extend(labels)

    def _vlan_body(self, change, ids):
        seg = change.spec.segment
        body = {"group": change.after.ids["vlan_group"], "vid": seg.vlan_vid,
                "name": seg.vlan_name or f"vlan-{seg.vlan_vid}", "status": "active"}
        for field in ("tenant", "role"):
            if ids.get(field):
                body[field] = ids[field]
        return body

    def _write_absent(self, deletions):
        targets = [c for c, _ids in deletions if c.action == "delete"]
        if not targets:
            return
        markers = [m["id"] for c in targets for m in self.allocator.markers_of(c.before)]
        self.client.delete("ipam/prefixes", [c.before.ids["prefix"] for c in targets])
        if markers:
            self.client.delete("extras/tags", markers)
        orphans = [c.orphan_vlan["id"] for c in targets if c.orphan_vlan and c.orphan_vlan.get("id")]
        deleted = set(self.store.delete_orphan_vlans(orphans)) if orphans else set()
        for change in targets:
            if change.orphan_vlan and change.orphan_vlan["id"] in deleted:
                change.changes["deleted_vlan"] = (change.before.vlan, None)
