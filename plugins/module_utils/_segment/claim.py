# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Allocating and releasing segments safely under concurrency. PRIVATE to the collection.

Two ways to allocate, both idempotent by the allocation's identity (key within VRF and site group):

(a) reserve an existing free segment. A PATCH has no compare-and-swap, so the claim is a write that
    NetBox's database constrains: a marker tag whose slug is `sot-claim-p<prefix id>` (one per
    segment) and whose name is `sot-claim <vrf>/<site group>/<key>` (one per identity). Tag name and
    slug are UNIQUE columns: of any number of concurrent POSTs for one segment exactly one row is
    inserted. Only the claimant whose marker was inserted PATCHes the segment. The outcome of a
    failed or lost POST (400, 500 IntegrityError, timeout) is decided by reading the marker back and
    comparing the random nonce in its description. The marker lives as long as the reservation; a
    release frees the segment first and deletes the marker last.
(b) carve a new child prefix and the next VID with NetBox's `available-vlans` and
    `available-prefixes` endpoints, which NetBox serializes (PostgreSQL advisory locks). The carved
    VLAN is named by the identity; VLAN names are unique per group, so a second concurrent carve for
    the same identity fails before it takes a prefix.

See docs/netbox_segment.md for the exact guarantee.
"""
from __future__ import annotations

import secrets
import time

from ansible_collections.sot.netbox.plugins.module_utils._errors import (
    EXISTS, NO_SPACE, ApiError, Conflict, ConnectionFailed, InputError, NotFound, RequestValidationFailed,
    SotNetboxError, classify_rejection)
from ansible_collections.sot.netbox.plugins.module_utils._segment import domain
from ansible_collections.sot.netbox.plugins.module_utils._segment.domain import Change, Segment
from ansible_collections.sot.netbox.plugins.module_utils._segment.store import group_key, scope_params

AWAIT_DELAYS = (0.25, 0.5, 1.0, 2.0, 4.0)   # waiting for a concurrent allocation of the same identity
# A claim marker of this identity younger than this is a concurrent run still at work (wait for it to
# finish its PATCH); an older one on a still-free segment is an interrupted run (finish it at once).
IN_FLIGHT_SECONDS = 60


class Allocator:
    def __init__(self, client, store, names, claim_timeout=900, sleep=time.sleep, clock=time.time,
                 nonce=lambda: secrets.token_hex(8)):
        self.client = client
        self.store = store
        self.names = names
        self.claim_timeout = claim_timeout
        self.sleep = sleep
        self.clock = clock
        self.nonce = nonce
        self.warnings = []
        self._pool_rows = {}
        self._held = {}

    # ------------------------------------------------------------ allocated

    def allocate(self, spec, ids, check_mode):
        if spec.carve:
            return self.carve(spec, ids, check_mode)
        return self.reserve(spec, ids, check_mode)

    def _existing(self, spec, found):
        """The identity's current segment (lowest id when a past race left several)."""
        if not found:
            return None
        found = sorted(found, key=lambda s: s.ids["prefix"])
        if len(found) > 1:
            self.warnings.append(f"{spec.label}: key {spec.key!r} holds {len(found)} segments "
                                 f"({', '.join(s.prefix for s in found)}); returning {found[0].prefix}")
        return found[0]

    def _free_filter(self, ids):
        """NetBox applies VRF, scope, status and role. The emptiness of the cluster field is asked too
        (`__empty` exists for custom fields with filter logic "exact"; NetBox ignores it under the
        default "loose" logic), and confirmed exactly on the rows by `_is_free`."""
        params = {**scope_params(ids), "status": self.names.free_status, "ordering": "id",
                  f"cf_{self.names.cluster_field}__empty": "true"}
        if self.names.key_field != self.names.cluster_field:
            params[f"cf_{self.names.key_field}__empty"] = "true"
        if ids.get("role"):
            params["role_id"] = ids["role"]
        return params

    def reserve(self, spec, ids, check_mode):
        """Mode (a): claim one free segment matching the filters; see the module docstring."""
        got = self.client.fetch_concurrently({
            "existing": lambda: self.store.by_identity(spec.key, ids),
            "free": lambda: self.store.prefixes(self._free_filter(ids)),
        })
        existing = self._existing(spec, got["existing"])
        if existing is not None:
            return Change("none", spec, existing, existing)
        free = [r for r in got["free"] if self._is_free(Segment.from_netbox(r))]
        candidates = domain.claim_order(free, spec.key)
        if not candidates:
            raise SotNetboxError(f"{spec.label}: no free segment matches (VRF {spec.segment.vrf}, site group "
                                 f"{spec.segment.site_group}, status {self.names.free_status}"
                                 + (f", role {spec.segment.role}" if spec.segment.role else "")
                                 + f", empty {self.names.cluster_field})")
        if check_mode:
            before = Segment.from_netbox(candidates[0])
            return self._reserve_change(spec, before)
        for row in candidates:
            outcome, marker = self._claim(row, spec)
            if outcome == "taken":
                continue
            if outcome == "adopt":
                return self._adopt(spec, ids, marker)
            fresh = self.client.get(f"ipam/prefixes/{row['id']}")
            if fresh is None or not self._is_free(Segment.from_netbox(fresh)):
                # Written by something outside this protocol after we listed it: give the marker back.
                self.client.delete("extras/tags", [marker["id"]])
                continue
            return self._patch_or_give_back(spec, Segment.from_netbox(fresh), marker)
        raise SotNetboxError(f"{spec.label}: all {len(candidates)} matching free segments were claimed by "
                             "concurrent allocations while this one ran; run it again")

    def _patch_or_give_back(self, spec, current, marker):
        """PATCH the won segment. When the PATCH fails (a 500, an answer cut off), find out: the segment
        holding our key means NetBox applied it; otherwise our marker is removed, so nothing of this
        claim is left and a re-run starts clean."""
        try:
            return self._patch_reserved(spec, current, marker)
        except (SotNetboxError, ValueError) as exc:
            fresh = self.client.get(f"ipam/prefixes/{current.ids['prefix']}")
            now = Segment.from_netbox(fresh) if fresh else None
            if now is not None and now.custom_fields.get(self.names.key_field) == spec.key:
                change = self._reserve_change(spec, current)
                change.after = now
                return change
            self.client.delete("extras/tags", [marker["id"]])
            if isinstance(exc, SotNetboxError):
                exc.result.setdefault("rolled_back", []).append(f"claim marker {marker.get('name')!r}")
            raise

    def _is_free(self, seg):
        return seg.status == self.names.free_status and not domain.is_allocated(seg, self.names)

    def _desired_on_reserve(self, spec):
        seg = spec.segment
        return Segment(status=self.names.reserved_status, tenant=seg.tenant, description=seg.description,
                       custom_fields=dict(seg.custom_fields))

    def _reserve_change(self, spec, before):
        desired = self._desired_on_reserve(spec)
        after = domain.apply_changes(before, desired)
        return Change("reserve", spec, before, after, domain.diff_segment(before, desired))

    def _patch_reserved(self, spec, current, marker):
        change = self._reserve_change(spec, current)
        body = domain.body_for(self._desired_on_reserve(spec), {"tenant": self._tenant_id(spec)})
        tag_ids = [t["id"] for t in current.tags if t["id"] != marker["id"]] + [marker["id"]]
        body["tags"] = tag_ids
        row = self.client.update_one("ipam/prefixes", current.ids["prefix"], body)
        change.after = Segment.from_netbox(row)
        return change

    def _tenant_id(self, spec):
        return self.store.lookups.id_of("tenant", spec.segment.tenant) if spec.segment.tenant else None

    def _claim(self, row, spec):
        """('won', marker) | ('taken', None) | ('adopt', marker of this identity on another segment)."""
        seg = spec.segment
        slug = domain.claim_slug(row["id"])
        name = domain.claim_name(seg.vrf, seg.site_group, spec.key)
        for attempt in (0, 1):
            nonce = self.nonce()
            body = {"name": name, "slug": slug, "color": "9e9e9e",
                    "description": domain.claim_description(nonce, spec.key, row["prefix"])}
            try:
                return "won", self.client.create_one("extras/tags", body)
            except (ApiError, ValueError) as exc:   # ValueError: an answer that is not JSON (cut off)
                failure = exc
            found = self.client.fetch_concurrently({
                "slug": lambda: self.client.list("extras/tags", {"slug": slug}),
                "name": lambda: self.client.list("extras/tags", {"name": name}),
            })
            by_slug = found["slug"][0] if found["slug"] else None
            by_name = found["name"][0] if found["name"] else None
            if by_slug and domain.nonce_of(by_slug.get("description")) == nonce:
                return "won", by_slug            # our POST was applied; its answer was lost
            if by_name:
                return "adopt", by_name          # this identity already claims a segment
            if by_slug is None:
                raise failure                    # not a claim conflict: report NetBox's answer
            if attempt == 0 and domain.is_stale(by_slug.get("created"), self.clock(), self.claim_timeout):
                # Abandoned mid-claim (the segment is still free): delete that marker by id, claim again.
                # Deleting by id is safe: a competitor's newer marker has another id and survives.
                self.client.delete("extras/tags", [by_slug["id"]])
                continue
            return "taken", None
        return "taken", None

    def _adopt(self, spec, ids, marker):
        """The same identity's claim: a concurrent run's (wait for its segment and return it, unchanged)
        or an interrupted run's (finish it: same values, same segment)."""
        prefix_id = domain.prefix_id_of_claim(marker.get("slug"))
        row = self.client.get(f"ipam/prefixes/{prefix_id}") if prefix_id else None
        if row is None:
            raise SotNetboxError(f"{spec.label}: claim marker {marker.get('name')!r} names segment #{prefix_id}, "
                                 "which no longer exists; delete the tag and run again")
        current = Segment.from_netbox(row)
        key_value = current.custom_fields.get(self.names.key_field)
        if key_value == spec.key:
            return Change("none", spec, current, current)
        if not self._is_free(current):
            raise SotNetboxError(f"{spec.label}: claim marker {marker.get('name')!r} names {current.prefix}, "
                                 f"which is held by {key_value!r}; release it or delete the marker tag")
        if not domain.is_stale(marker.get("created"), self.clock(), IN_FLIGHT_SECONDS):
            found = self._await_identity(spec, ids)
            if found is not None:
                return Change("none", spec, found, found)
            current = Segment.from_netbox(self.client.get(f"ipam/prefixes/{prefix_id}") or row)
            if not self._is_free(current):
                raise SotNetboxError(f"{spec.label}: claim marker {marker.get('name')!r} names {current.prefix}, "
                                     "which was changed outside the allocation protocol while this run waited; "
                                     "release it or delete the marker tag")
        return self._patch_reserved(spec, current, marker)

    # ------------------------------------------------------------ carve

    def existing_for(self, spec, ids):
        """The identity's segment as read once at the start of this run (None: carve one)."""
        if spec.index not in self._held:
            self._held[spec.index] = self._existing(spec, self.store.by_identity(spec.key, ids))
        return self._held[spec.index]

    def check_carve(self, spec, ids):
        """Before any write: an allocation to carve has a pool it fits in."""
        if self.existing_for(spec, ids) is None:
            self._pools(spec, ids)

    def pool_params(self, spec, ids):
        """The pool query: every parameter that changes which pools answer is in it (and the query is
        never cached: a pool retired in NetBox is not carved from)."""
        if spec.pool:
            return {"prefix": spec.pool, "vrf_id": ids["vrf"]}
        return {**scope_params(ids), "role_id": self.store.pool_role_id(), "status": self.names.pool_status,
                "ordering": "prefix"}

    def _pools(self, spec, ids):
        """The pools a carve may use, read once per item in this run (the plan checks them before writes)."""
        if spec.index not in self._pool_rows:
            self._pool_rows[spec.index] = [
                {"id": r["id"], "prefix": r["prefix"]}
                for r in self.client.list("ipam/prefixes", self.pool_params(spec, ids), fields=("id", "prefix"))]
        pools = self._pool_rows[spec.index]
        if not pools:
            what = f"pool {spec.pool}" if spec.pool else (f"pool prefix (role {self.names.pool_role}, status "
                                                          f"{self.names.pool_status})")
            raise SotNetboxError(f"{spec.label}: no {what} in VRF {spec.segment.vrf} "
                                 f"and site group {spec.segment.site_group}")
        fitting = [p for p in pools if _fits(p["prefix"], spec.prefix_length)]
        if not fitting:
            raise InputError(f"segments[{spec.index}].prefix_length", spec.prefix_length,
                             f"does not fit in the pool(s) {', '.join(p['prefix'] for p in pools)}")
        return fitting

    def _vlan_group(self, spec, ids, check_mode):
        key = group_key(spec, ids)
        return self.store.vlan_groups([key], create=True, check_mode=check_mode)[key]

    def carve(self, spec, ids, check_mode):
        """Mode (b): the next VID from the VLAN group, then the next /length from a pool, both by NetBox.

        The carved VLAN is named by the identity (unique per group): of concurrent carves of one
        identity one creates it and the others wait for its segment and return it. A VLAN of this
        identity that no segment uses (an interrupted carve, or a lost answer) is adopted. After its
        prefix is created, a carve reads the identity back: should two segments hold it (an adopter
        racing a slow winner), the lowest id is the allocation and the other is removed."""
        existing = self.existing_for(spec, ids)
        if existing is not None:
            return Change("none", spec, existing, existing)
        pools = self._pools(spec, ids)
        group = self._vlan_group(spec, ids, check_mode) if spec.allocate_vlan else None
        desired = spec.segment
        body = domain.body_for(Segment(vrf=desired.vrf, site_group=desired.site_group, tenant=desired.tenant,
                                       role=desired.role, status=desired.status or "active",
                                       description=desired.description, custom_fields=dict(desired.custom_fields)),
                               ids)
        if check_mode:
            return self._carve_preview(spec, pools, group, body)
        vlan, created_vlan = self._carve_vlan(spec, ids, group) if group else (None, False)
        if isinstance(vlan, Change):
            return vlan
        if vlan:
            body["vlan"] = vlan["id"]
        try:
            created = self._carve_prefix(spec, pools, body)
        except (SotNetboxError, ValueError) as exc:
            held = self._existing(spec, self.store.by_identity(spec.key, ids)) if _may_have_applied(exc) else None
            if held is None:
                if vlan and created_vlan and isinstance(exc, SotNetboxError):
                    self._roll_back_vlan(vlan, exc)
                elif vlan and created_vlan:
                    self.client.delete("ipam/vlans", [vlan["id"]])
                raise
            created = {"id": held.ids["prefix"]}      # NetBox applied it; its answer was lost
            return self._carved(spec, ids, group, held, created)
        return self._carved(spec, ids, group, Segment.from_netbox(created), created)

    def _carved(self, spec, ids, group, mine, created):
        after = self._settle(spec, ids, mine)
        if after.ids.get("prefix") != created.get("id"):
            return Change("none", spec, after, after)
        if group:
            after.ids.update(vlan_group=group["id"], vlan_group_name=group["name"])
        return Change("carve", spec, None, after, {f: (None, v) for f, v in after.view().items() if v not in (None, {})})

    def _roll_back_vlan(self, vlan, exc):
        try:
            self.client.delete("ipam/vlans", [vlan["id"]])
        except SotNetboxError as failure:
            exc.result.setdefault("left_behind", []).append(f"VLAN {vlan['vid']} ({vlan['name']}): {failure.message}")
        else:
            exc.result.setdefault("rolled_back", []).append(f"VLAN {vlan['vid']} ({vlan['name']})")

    def _settle(self, spec, ids, mine):
        """The identity's allocation after our create: ours, or a lower-id one we then remove ours for."""
        held = self._existing(spec, self.store.by_identity(spec.key, ids))
        if held is None or held.ids["prefix"] == mine.ids["prefix"]:
            return mine
        self.warnings = [w for w in self.warnings if not w.startswith(f"{spec.label}: key ")]
        self.client.delete("ipam/prefixes", [mine.ids["prefix"]])
        return held

    def _carve_vlan(self, spec, ids, group):
        """(vlan row, created by this run) or (Change, False) when a concurrent run of the identity won."""
        body = {"name": spec.vlan_name, "status": "active"}
        for field in ("tenant", "role"):
            if ids.get(field):
                body[field] = ids[field]
        try:
            return self._create_vlan(group, body), True
        except NotFound:
            # The cached group id is gone: forget it, resolve again (and create it if needed), once.
            self.store.ids_cache.drop("vlan-group")
            group.update(self._vlan_group(spec, ids, False))
            return self._create_vlan(group, body), True
        except (ApiError, ValueError) as exc:
            if _may_have_applied(exc):
                found = self._vlan_named(group, spec.vlan_name)   # our create may be in NetBox: find out
                if found is not None:
                    return found, True
                raise
            if classify_rejection(exc).kind != EXISTS:
                raise
            return self._await_or_adopt(spec, ids, group, exc), False

    def _create_vlan(self, group, body):
        vlan = self.client.create_one(f"ipam/vlan-groups/{group['id']}/available-vlans", body)
        return vlan[0] if isinstance(vlan, list) else vlan

    def _vlan_named(self, group, name):
        rows = self.client.list("ipam/vlans", {"group_id": group["id"], "name": name},
                                fields=("id", "vid", "name", "group"))
        rows = [r for r in rows if r.get("name") == name]
        return rows[0] if rows else None

    def _await_or_adopt(self, spec, ids, group, exc):
        """The identity's VLAN exists: a concurrent carve's segment (return it), or what an interrupted
        carve left (a VLAN no prefix uses: adopt it)."""
        found = self._await_identity(spec, ids)
        if found is not None:
            return Change("none", spec, found, found)
        vlan = self._vlan_named(group, spec.vlan_name)
        if vlan is not None and not self.store.vlans_in_use([vlan["id"]]):
            self.warnings.append(f"{spec.label}: adopted VLAN {vlan['vid']} ({vlan['name']}) that an interrupted "
                                 f"allocation of key {spec.key!r} left in VLAN group {group['name']!r}")
            return vlan
        raise SotNetboxError(f"{spec.label}: VLAN name {spec.vlan_name!r} is already used in VLAN group "
                             f"{group['name']!r} by a VLAN another segment uses, and no segment holds key "
                             f"{spec.key!r}; delete that VLAN or set vlan_name") from exc

    def _carve_prefix(self, spec, pools, body):
        body = {**body, "prefix_length": spec.prefix_length}
        for pool in pools:
            try:
                created = self.client.create_one(f"ipam/prefixes/{pool['id']}/available-prefixes", body)
                return created[0] if isinstance(created, list) else created
            except NotFound:
                continue                                  # the pool was deleted since it was listed
            except (Conflict, RequestValidationFailed) as exc:
                if classify_rejection(exc).kind == NO_SPACE:
                    continue
                raise
        raise SotNetboxError(f"{spec.label}: no free /{spec.prefix_length} left in pool(s) "
                             f"{', '.join(p['prefix'] for p in pools)}")

    def _carve_preview(self, spec, pools, group, body):
        """Check mode: what NetBox would hand out now (another run may take it first)."""
        prefix = None
        for pool in pools:
            prefix = domain.first_fit(self.client.request("GET", f"ipam/prefixes/{pool['id']}/available-prefixes")
                                      or [], spec.prefix_length)
            if prefix:
                break
        if prefix is None:
            raise SotNetboxError(f"{spec.label}: no free /{spec.prefix_length} left in pool(s) "
                                 f"{', '.join(p['prefix'] for p in pools)}")
        vid = None
        if group and group.get("id"):
            free = self.client.request("GET", f"ipam/vlan-groups/{group['id']}/available-vlans", {"limit": 1}) or []
            vid = free[0]["vid"] if free else None
        elif group:
            vid = domain.VID_MIN
        after = Segment(prefix=prefix, vrf=spec.segment.vrf, site_group=spec.segment.site_group,
                        tenant=spec.segment.tenant, role=spec.segment.role, status=body.get("status"),
                        description=body.get("description", ""), vlan_vid=vid,
                        vlan_name=spec.vlan_name if group else None, custom_fields=dict(spec.segment.custom_fields))
        return Change("carve", spec, None, after, {f: (None, v) for f, v in after.view().items() if v not in (None, {})})

    def _await_identity(self, spec, ids):
        for delay in AWAIT_DELAYS:
            self.sleep(delay)
            found = self._existing(spec, self.store.by_identity(spec.key, ids))
            if found is not None:
                return found
        return None

    # ------------------------------------------------------------ released

    def find_for_release(self, spec, ids, current_by_prefix):
        if spec.segment.prefix:
            return current_by_prefix.get((spec.segment.prefix, ids.get("vrf")))
        params = {f"cf_{self.names.key_field}": spec.key}
        if ids.get("vrf"):
            params["vrf_id"] = ids["vrf"]
        if ids.get("site_group"):
            params.update(scope_type="dcim.sitegroup", scope_id=ids["site_group"])
        rows = [Segment.from_netbox(r) for r in self.store.prefixes(params)]
        return self._existing(spec, [s for s in rows if s.custom_fields.get(self.names.key_field) == spec.key])

    def markers_of(self, current):
        """The claim marker tags of a segment: attached ones, else looked up by slug."""
        slug = domain.claim_slug(current.ids["prefix"])
        attached = [t for t in current.tags if t.get("slug") == slug]
        if attached:
            return attached
        return [{"id": r["id"], "slug": r["slug"]} for r in self.client.list("extras/tags", {"slug": slug})]

    def release(self, change):
        """Free status and cleared fields first, then the marker: a competitor never sees a free segment
        whose marker is gone while the holder still writes to it."""
        current = change.before
        markers = self.markers_of(current)
        marker_ids = {m["id"] for m in markers}
        desired = Segment(status=self.names.free_status,
                          custom_fields={self.names.cluster_field: None, self.names.key_field: None})
        body = domain.body_for(desired, {})
        body["tags"] = [t["id"] for t in current.tags if t["id"] not in marker_ids]
        row = self.client.update_one("ipam/prefixes", current.ids["prefix"], body)
        if marker_ids:
            self.client.delete("extras/tags", sorted(marker_ids))
        change.after = Segment.from_netbox(row)
        return change


def _may_have_applied(exc):
    """A write whose answer was lost or cut off: NetBox may have applied it (find out by identity).
    A connection that failed may have failed after NetBox applied the write; reading back costs one
    GET and finds nothing when it did not."""
    return isinstance(exc, (ValueError, ConnectionFailed)) or bool(getattr(exc, "may_have_applied", False))


def _fits(pool, length):
    try:
        domain.check_fits(pool, length)
        return True
    except InputError:
        return False
