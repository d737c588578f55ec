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
(b) carve a new child prefix and the next VID (carve.py).

The protocol's decisions are pure functions in protocol.py (`after_marker_read`, `adoption_step`);
this file is the loop that performs each step's request and feeds NetBox's answer back.
See docs/netbox_segment.md for the exact guarantee.
"""
from __future__ import annotations

import secrets
import time
from typing import Any, Callable, Optional

from ansible_collections.sot.netbox.plugins.module_utils._errors import ApiError, SotNetboxError
from ansible_collections.sot.netbox.plugins.module_utils._domain_errors import (
    ClaimConflict, NoFreeSegment, SegmentsClaimedMeanwhile)
from ansible_collections.sot.netbox.plugins.module_utils._records import record
from ansible_collections.sot.netbox.plugins.module_utils._segment import domain, protocol
from ansible_collections.sot.netbox.plugins.module_utils._segment.carve import Carver
from ansible_collections.sot.netbox.plugins.module_utils._segment.fields import SITEGROUP
from ansible_collections.sot.netbox.plugins.module_utils._segment.model import Change, Segment, Spec
from ansible_collections.sot.netbox.plugins.module_utils._segment.store import scope_params

AWAIT_DELAYS = (0.25, 0.5, 1.0, 2.0, 4.0)   # waiting for a concurrent allocation of the same identity
# A claim marker of this identity younger than this is a concurrent run still at work (wait for it to
# finish its PATCH); an older one on a still-free segment is an interrupted run (finish it at once).
IN_FLIGHT_SECONDS = 60
PREFIX, TAG = record("prefix"), record("tag")


class Allocator(Carver):
    def __init__(self, client: Any, store: Any, names: domain.Names, claim_timeout: int = 900,
                 sleep: Callable = time.sleep, clock: Callable = time.time,
                 nonce: Callable = lambda: secrets.token_hex(8)) -> None:
        self.client = client
        self.store = store
        self.names = names
        self.claim_timeout = claim_timeout
        self.sleep = sleep
        self.clock = clock
        self.nonce = nonce
        self.warnings: list = []
        self._pool_rows: dict = {}
        self._held: dict = {}
        self._reserved: set = set()      # prefix ids this run reserved

    # ------------------------------------------------------------ allocated

    def apply(self, allocation: Any, group: Optional[dict]) -> Change:
        """Carry out a planned allocation (the writer's step): claim a candidate, or carve."""
        spec, ids = allocation.spec, allocation.ids
        if allocation.held is not None:
            return Change("none", spec, allocation.held, allocation.held)
        if spec.carve:
            return self.carve(spec, ids, list(allocation.pools), group)
        return self.reserve(spec, ids, list(allocation.candidates))

    def preview(self, allocation: Any, group: Optional[dict]) -> Change:
        """Check mode: what the allocation would do now (another run may take it first)."""
        spec = allocation.spec
        if allocation.held is not None:
            return Change("none", spec, allocation.held, allocation.held)
        if spec.carve:
            return self._carve_preview(spec, list(allocation.pools), group, self._carve_body(spec, allocation.ids))
        return self._reserve_change(spec, Segment.from_netbox(allocation.candidates[0]))

    def _existing(self, spec: Spec, found: list) -> Optional[Any]:
        """The identity's current segment (lowest id when a past race left several)."""
        if not found:
            return None
        found = sorted(found, key=lambda s: s.ids["prefix"])
        if len(found) > 1:
            self.warnings.append(f"{spec.label}: key {spec.key!r} holds {len(found)} segments "
                                 f"({', '.join(s.prefix for s in found)}); returning {found[0].prefix}")
        return found[0]

    def _free_filter(self, ids: dict) -> dict:
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

    def _no_free(self, spec: Spec) -> NoFreeSegment:
        tried = [f"VRF {spec.segment.vrf}", f"site group {spec.segment.site_group}",
                 f"status {self.names.free_status}"]
        tried += [f"role {spec.segment.role}"] if spec.segment.role else []
        tried += [f"empty {self.names.cluster_field}"]
        return NoFreeSegment(spec.label, f"no free segment matches ({', '.join(tried)})", tried)

    def reserve_candidates(self, spec: Spec, ids: dict) -> tuple:
        """(the identity's segment, None) or (None, the free segments to try in claim order): reads only.
        No candidate is NoFreeSegment, raised before anything is written."""
        got = self.client.fetch_concurrently({
            "existing": lambda: self.store.by_identity(spec.key, ids),
            "free": lambda: self.store.prefixes(self._free_filter(ids)),
        })
        existing = self._existing(spec, got["existing"])
        if existing is not None:
            return existing, []
        free = [r for r in got["free"] if self._is_free(Segment.from_netbox(r))]
        candidates = domain.claim_order(free, spec.key)
        if not candidates:
            raise self._no_free(spec)
        return None, candidates

    def reserve(self, spec: Spec, ids: dict, candidates: list) -> Change:
        """Mode (a): claim one of the planned candidates; see the module docstring. A candidate an
        earlier item of this run reserved is skipped (it is not free any more)."""
        untaken = [r for r in candidates if r["id"] not in self._reserved]
        if not untaken:
            raise self._no_free(spec)
        for row in untaken:
            change = self._try_candidate(spec, ids, row)
            if change is not None:
                self._reserved.add(change.before.ids["prefix"])
                return change
        raise SegmentsClaimedMeanwhile(
            spec.label, f"all {len(untaken)} matching free segments were claimed by concurrent allocations "
                        "while this one ran; run it again", tuple(r["prefix"] for r in untaken))

    def _try_candidate(self, spec: Spec, ids: dict, row: dict) -> Optional[Change]:
        """Claim one candidate: its Change, or None when another claimant has it."""
        step = self._claim(row, spec)
        if step.do == protocol.TAKEN:
            return None
        if step.do == protocol.ADOPT:
            return self._adopt(spec, ids, step.marker)
        fresh = self.client.get(PREFIX.path(row["id"]))
        if fresh is None or not self._is_free(Segment.from_netbox(fresh)):
            # Written by something outside this protocol after we listed it: give the marker back.
            self.client.delete(TAG.path(), [step.marker["id"]])
            return None
        return self._patch_or_give_back(spec, Segment.from_netbox(fresh), step.marker)

    def _patch_or_give_back(self, spec: Spec, current: Any, marker: dict) -> Change:
        """PATCH the won segment. When the PATCH fails (a 500, an answer cut off), find out: the segment
        holding our key means NetBox applied it; otherwise our marker is removed, so nothing of this
        claim is left and a re-run starts clean."""
        try:
            return self._patch_reserved(spec, current, marker)
        except (SotNetboxError, ValueError) as exc:
            fresh = self.client.get(PREFIX.path(current.ids["prefix"]))
            now = Segment.from_netbox(fresh) if fresh else None
            if now is not None and now.custom_fields.get(self.names.key_field) == spec.key:
                change = self._reserve_change(spec, current)
                change.after = now
                return change
            self.client.delete(TAG.path(), [marker["id"]])
            if isinstance(exc, SotNetboxError):
                exc.result.setdefault("rolled_back", []).append(f"claim marker {marker.get('name')!r}")
            raise

    def _is_free(self, seg: Any) -> bool:
        return seg.status == self.names.free_status and not domain.is_allocated(seg, self.names)

    def _desired_on_reserve(self, spec: Spec) -> Any:
        seg = spec.segment
        return Segment(status=self.names.reserved_status, tenant=seg.tenant, description=seg.description,
                       custom_fields=dict(seg.custom_fields))

    def _reserve_change(self, spec: Spec, before: Any) -> Change:
        desired = self._desired_on_reserve(spec)
        after = domain.apply_changes(before, desired)
        return Change("reserve", spec, before, after, domain.diff_segment(before, desired))

    def _patch_reserved(self, spec: Spec, current: Any, marker: dict) -> Change:
        change = self._reserve_change(spec, current)
        body = domain.body_for(self._desired_on_reserve(spec), {"tenant": self._tenant_id(spec)})
        tag_ids = [t["id"] for t in current.tags if t["id"] != marker["id"]] + [marker["id"]]
        body["tags"] = tag_ids
        row = self.client.update_one(PREFIX.path(), current.ids["prefix"], body)
        change.after = Segment.from_netbox(row)
        return change

    def _tenant_id(self, spec: Spec) -> Optional[int]:
        return self.store.lookups.id_of("tenant", spec.segment.tenant) if spec.segment.tenant else None

    def _claim(self, row: dict, spec: Spec) -> protocol.Step:
        """POST the marker; after a failure, `protocol.after_marker_read` decides from the markers read back."""
        seg = spec.segment
        slug = domain.claim_slug(row["id"])
        name = domain.claim_name(seg.vrf, seg.site_group, spec.key)
        for attempt in (0, 1):
            state = protocol.ClaimState(attempt, self.nonce(), self.claim_timeout)
            body = {"name": name, "slug": slug, "color": "9e9e9e",
                    "description": domain.claim_description(state.nonce, spec.key, row["prefix"])}
            try:
                return protocol.Step(protocol.WON, self.client.create_one(TAG.path(), body))
            except (ApiError, ValueError) as exc:   # ValueError: an answer that is not JSON (cut off)
                failure = exc
            found = self.client.fetch_concurrently({
                "slug": lambda: self.client.list(TAG.path(), {"slug": slug}),
                "name": lambda: self.client.list(TAG.path(), {"name": name}),
            })
            step = protocol.after_marker_read(state, (found["slug"] or [None])[0], (found["name"] or [None])[0],
                                              self.clock())
            if step.do == protocol.RAISE:
                raise failure                    # not a claim conflict: report NetBox's answer
            if step.do != protocol.RETRY:
                return step
            self.client.delete(TAG.path(), [step.marker["id"]])
        return protocol.Step(protocol.TAKEN)

    def _adopt(self, spec: Spec, ids: dict, marker: dict) -> Change:
        """The same identity's claim: a concurrent run's (wait for its segment and return it, unchanged)
        or an interrupted run's (finish it: same values, same segment)."""
        prefix_id = domain.prefix_id_of_claim(marker.get("slug"))
        row = self.client.get(PREFIX.path(prefix_id)) if prefix_id else None
        if row is None:
            raise ClaimConflict(spec.label, f"claim marker {marker.get('name')!r} names segment #{prefix_id}, "
                                            "which no longer exists; delete the tag and run again", (marker.get("name"),))
        current = Segment.from_netbox(row)
        waited = False
        while True:
            holder = current.custom_fields.get(self.names.key_field)
            step = protocol.adoption_step(holder, spec.key, self._is_free(current), marker, self.clock(),
                                          IN_FLIGHT_SECONDS, waited)
            if step == protocol.DONE:
                return Change("none", spec, current, current)
            if step == protocol.HELD:
                raise self._held_by_other(spec, marker, current, holder, waited)
            if step == protocol.PATCH:
                return self._patch_reserved(spec, current, marker)
            found = self._await_identity(spec, ids)      # AWAIT: a concurrent run of this identity PATCHes it
            if found is not None:
                return Change("none", spec, found, found)
            current, waited = Segment.from_netbox(self.client.get(PREFIX.path(prefix_id)) or row), True

    @staticmethod
    def _held_by_other(spec: Spec, marker: dict, current: Any, holder: Any, waited: bool) -> ClaimConflict:
        if waited:
            return ClaimConflict(spec.label, f"claim marker {marker.get('name')!r} names {current.prefix}, which was "
                                             "changed outside the allocation protocol while this run waited; "
                                             "release it or delete the marker tag", (current.prefix,))
        return ClaimConflict(spec.label, f"claim marker {marker.get('name')!r} names {current.prefix}, which is held "
                                         f"by {holder!r}; release it or delete the marker tag", (current.prefix,))

    def _await_identity(self, spec: Spec, ids: dict) -> Optional[Any]:
        for delay in AWAIT_DELAYS:
            self.sleep(delay)
            found = self._existing(spec, self.store.by_identity(spec.key, ids))
            if found is not None:
                return found
        return None

    # ------------------------------------------------------------ released

    def find_for_release(self, spec: Spec, ids: dict, current_by_prefix: dict) -> Optional[Any]:
        if spec.segment.prefix:
            return current_by_prefix.get((spec.segment.prefix, ids.get("vrf")))
        params = {f"cf_{self.names.key_field}": spec.key}
        if ids.get("vrf"):
            params["vrf_id"] = ids["vrf"]
        if ids.get("site_group"):
            params.update(scope_type=SITEGROUP, scope_id=ids["site_group"])
        rows = [Segment.from_netbox(r) for r in self.store.prefixes(params)]
        return self._existing(spec, [s for s in rows if s.custom_fields.get(self.names.key_field) == spec.key])

    def markers_of(self, current: Any) -> list:
        """The claim marker tags of a segment: attached ones, else looked up by slug."""
        slug = domain.claim_slug(current.ids["prefix"])
        attached = [t for t in current.tags if t.get("slug") == slug]
        if attached:
            return attached
        return [{"id": r["id"], "slug": r["slug"]} for r in self.client.list(TAG.path(), {"slug": slug})]

    def release(self, change: Change) -> Any:
        """Free status and cleared fields first, then the marker: a competitor never sees a free segment
        whose marker is gone while the holder still writes to it. Returns the segment after."""
        current = change.before
        markers = self.markers_of(current)
        marker_ids = {m["id"] for m in markers}
        body = domain.body_for(domain.released(self.names), {})
        body["tags"] = [t["id"] for t in current.tags if t["id"] not in marker_ids]
        row = self.client.update_one(PREFIX.path(), current.ids["prefix"], body)
        if marker_ids:
            self.client.delete(TAG.path(), sorted(marker_ids))
        return Segment.from_netbox(row)
