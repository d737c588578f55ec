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

from ansible_collections.sot.netbox.plugins.module_utils._errors import SotNetboxError
from ansible_collections.sot.netbox.plugins.module_utils._lookups import Lookups
from ansible_collections.sot.netbox.plugins.module_utils._segment import domain
from ansible_collections.sot.netbox.plugins.module_utils._segment.claim import Allocator
from ansible_collections.sot.netbox.plugins.module_utils._segment.store import Store, vlan_group_name

_ITEM = dict(
    state=dict(type="str", choices=list(domain.STATES)),
    prefix=dict(type="str"),
    vrf=dict(type="str"),
    site_group=dict(type="str"),
    tenant=dict(type="str"),
    role=dict(type="str"),
    status=dict(type="str", choices=list(domain.PREFIX_STATUSES)),
    description=dict(type="str"),
    vlan=dict(type="dict", options=dict(vid=dict(type="int", required=True), name=dict(type="str"))),
    vlan_group=dict(type="str"),
    custom_fields=dict(type="dict"),
    dhcp=dict(type="bool"),
    cluster=dict(type="str"),
    key=dict(type="str", no_log=False),
    pool=dict(type="str"),
    prefix_length=dict(type="int"),
    allocate_vlan=dict(type="bool"),
    vlan_name=dict(type="str"),
    release_delete=dict(type="bool"),
)

OPTIONS = {**_ITEM, **dict(
    state=dict(type="str", choices=list(domain.STATES), default="present"),
    allocate_vlan=dict(type="bool", default=True),
    release_delete=dict(type="bool", default=False),
    segments=dict(type="list", elements="dict", options=_ITEM),
    dhcp_field=dict(type="str", default="dhcp_enabled"),
    cluster_field=dict(type="str", default="cluster_name"),
    key_field=dict(type="str", no_log=False),
    free_status=dict(type="str", default="active", choices=list(domain.PREFIX_STATUSES)),
    reserved_status=dict(type="str", default="reserved", choices=list(domain.PREFIX_STATUSES)),
    pool_role=dict(type="str", default="pool"),
    claim_timeout=dict(type="int", default=900),
)}


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
    """Everything the module does, from a plain params dict (unit tests and the benchmark call this)."""
    names = names_from(params)
    item_params = {k: v for k, v in params.items() if k in _ITEM or k == "segments"}
    specs = domain.parse_all(item_params, params.get("segments"), names)
    if params.get("claim_timeout", 900) < 0:
        raise SotNetboxError(f"claim_timeout: must be 0 (never take over a claim) or seconds (got {params['claim_timeout']})")
    store = Store(client, Lookups(client), names)
    allocator = Allocator(client, store, names, claim_timeout=params.get("claim_timeout", 900), sleep=sleep, clock=clock)
    run_ = SegmentRun(client, store, allocator, names, check_mode)
    try:
        changes = run_.execute(specs)
    except SotNetboxError as exc:
        exc.result.setdefault("segments", [entry(c) for c in run_.done])
        exc.result["changed"] = any(c.changed for c in run_.done)
        raise
    result = {"changed": any(c.changed for c in changes), "segments": [entry(c) for c in changes],
              "warnings": allocator.warnings}
    if len(changes) == 1:
        result["segment"] = result["segments"][0]
    if want_diff:
        diffs = [c.diff() for c in changes if c.changed]
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
        ids_list = self.store.resolve(specs)
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
                self.allocator._pools(spec, ids)  # pylint: disable=protected-access  # fit errors before writes
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
                    self.allocator.release(change)
                change.action = "release" if spec.state == "released" and change.action == "update" else change.action
            self.done.append(change)
            out.append(change)
        return out

    # ------------------------------------------------------------ present: VLAN groups, VLANs, prefixes

    def _prepare_vlans(self, present):
        """Per change with a VLAN: its group (found or planned) and whether the VLAN is created or renamed."""
        wanted = {}
        for change, ids in present:
            if change.spec.segment.vlan_vid is not None:
                wanted[(ids["vrf"], ids["site_group"])] = vlan_group_name(change.spec)
        if not wanted:
            return
        needed = [c for c, _ids in present if c.changed and c.spec.segment.vlan_vid is not None]
        groups = self.store.vlan_groups(wanted, create=bool(needed), check_mode=self.check_mode)
        existing = self.store.vlans([g["id"] for g in groups.values() if g.get("id")],
                                    [c.spec.segment.vlan_vid for c, _ids in present if c.spec.segment.vlan_vid])
        for change, ids in present:
            seg = change.spec.segment
            if seg.vlan_vid is None:
                continue
            group = groups.get((ids["vrf"], ids["site_group"]))
            change.after.ids.update(vlan_group=group["id"], vlan_group_name=group["name"])
            row = existing.get((group["id"], seg.vlan_vid)) if group["id"] else None
            if row is None:
                change.vlan_action = "create"
                change.after.ids["vlan"] = None
                if change.action == "none":
                    change.action = "update"
                change.changes.setdefault("vlan", (change.before.vlan if change.before else None,
                                                   change.after.vlan))
            else:
                change.after.ids["vlan"] = row["id"]
                if seg.vlan_name and row["name"] != seg.vlan_name:
                    change.vlan_action = "update"
                    if change.action == "none":
                        change.action = "update"
            if change.orphan_vlan and change.orphan_vlan.get("id") == change.after.ids.get("vlan"):
                change.orphan_vlan = None

    def _write_present(self, present):
        to_create = [(c, i) for c, i in present if c.vlan_action == "create"]
        if to_create:
            bodies = [self._vlan_body(c, i) for c, i in to_create]
            for (change, _ids), row in zip(to_create, self.client.create("ipam/vlans", bodies)):
                change.after.ids["vlan"] = row["id"]
        renames = [{"id": c.after.ids["vlan"], "name": c.spec.segment.vlan_name}
                   for c, _ids in present if c.vlan_action == "update"]
        if renames:
            self.client.update("ipam/vlans", renames)
        creates = [(c, domain.body_for(c.after, i, c.after.ids.get("vlan"))) for c, i in present if c.action == "create"]
        if creates:
            for (change, _ids), row in zip(creates, self.client.create("ipam/prefixes", [b for _change, b in creates])):
                change.after.ids["prefix"] = row["id"]
        updates = [dict(domain.body_for(c.spec.segment, i, c.after.ids.get("vlan")), id=c.before.ids["prefix"])
                   for c, i in present if c.action == "update"]
        if updates:
            self.client.update("ipam/prefixes", updates)
        orphans = [c.orphan_vlan["id"] for c, _ids in present if c.action == "update" and c.orphan_vlan]
        if orphans:
            deleted = set(self.store.delete_orphan_vlans(orphans))
            for change, _ids in present:
                if change.orphan_vlan and change.orphan_vlan["id"] in deleted:
                    change.changes["deleted_vlan"] = (domain.Segment(vlan_vid=change.orphan_vlan["vid"],
                                                                     vlan_name=change.orphan_vlan["name"]).vlan, None)
        for change, ids in present:
            change.after.ids.update({k: v for k, v in ids.items() if v is not None and k not in change.after.ids})

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
