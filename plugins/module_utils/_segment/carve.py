# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Mode (b) of an allocation: carve a new child prefix and the next VID. PRIVATE to the collection.

NetBox's `available-vlans` and `available-prefixes` endpoints hand out the next VID and the next
free block, serialized by NetBox (PostgreSQL advisory locks). The carved VLAN is named by the
identity; VLAN names are unique per group, so a second concurrent carve for the same identity fails
before it takes a prefix. `Carver` is a part of `claim.Allocator` (which supplies the client, the
store, `_existing` and `_await_identity`).
"""
from __future__ import annotations

from typing import Any, Optional

from ansible_collections.sot.netbox.plugins.module_utils._errors import (
    ApiError, Conflict, ConnectionFailed, EXISTS, InputError, NO_SPACE, NotFound, RequestValidationFailed,
    SotNetboxError, classify_rejection)
from ansible_collections.sot.netbox.plugins.module_utils._domain_errors import NoPool, PoolExhausted, VlanNameTaken
from ansible_collections.sot.netbox.plugins.module_utils._records import record
from ansible_collections.sot.netbox.plugins.module_utils._segment import domain
from ansible_collections.sot.netbox.plugins.module_utils._segment.model import Change, Segment, Spec, created
from ansible_collections.sot.netbox.plugins.module_utils._segment.store import group_key, scope_params

PREFIX, VLAN, GROUP = record("prefix"), record("vlan"), record("vlan_group")


class Carver:
    def existing_for(self, spec: Spec, ids: dict) -> Optional[Any]:
        """The identity's segment as read once at the start of this run (None: carve one)."""
        if spec.index not in self._held:
            self._held[spec.index] = self._existing(spec, self.store.by_identity(spec.key, ids))
        return self._held[spec.index]

    def pool_params(self, spec: Spec, ids: dict) -> dict:
        """The pool query: every parameter that changes which pools answer is in it (and the query is
        never cached: a pool retired in NetBox is not carved from)."""
        if spec.pool:
            return {"prefix": spec.pool, "vrf_id": ids["vrf"]}
        return {**scope_params(ids), "role_id": self.store.pool_role_id(), "status": self.names.pool_status,
                "ordering": "prefix"}

    def pools(self, spec: Spec, ids: dict) -> list:
        """The pools a carve may use, read fresh once per run and query (the plan checks them before
        writes): the items of one `segments:` list that share a VRF, scope and pool share one read. A
        pool deleted or filled meanwhile is skipped by the carve itself (404, no space)."""
        params = self.pool_params(spec, ids)
        query = tuple(sorted((k, str(v)) for k, v in params.items()))
        if query not in self._pool_rows:
            self._pool_rows[query] = [
                {"id": r["id"], "prefix": r["prefix"]}
                for r in self.client.list(PREFIX.path(), params, fields=("id", "prefix"))]
        pools = self._pool_rows[query]
        if not pools:
            what = f"pool {spec.pool}" if spec.pool else (f"pool prefix (role {self.names.pool_role}, status "
                                                          f"{self.names.pool_status})")
            raise NoPool(spec.label, f"no {what} in VRF {spec.segment.vrf} and site group {spec.segment.site_group}",
                         (what,))
        fitting = [p for p in pools if _fits(p["prefix"], spec.prefix_length)]
        if not fitting:
            raise InputError(f"segments[{spec.index}].prefix_length", spec.prefix_length,
                             f"does not fit in the pool(s) {', '.join(p['prefix'] for p in pools)}")
        return fitting

    def _vlan_group(self, spec: Spec, ids: dict) -> dict:
        key = group_key(spec, ids)
        return self.store.vlan_groups([key])[key]

    @staticmethod
    def _carve_body(spec: Spec, ids: dict) -> dict:
        desired = spec.segment
        return domain.body_for(Segment(vrf=desired.vrf, site_group=desired.site_group, tenant=desired.tenant,
                                       role=desired.role, status=desired.status or "active",
                                       description=desired.description, custom_fields=dict(desired.custom_fields)),
                               ids)

    def carve(self, spec: Spec, ids: dict, pools: list, group: Optional[dict]) -> Change:
        """Mode (b): the next VID from the VLAN group, then the next /length from a pool, both by NetBox.

        Of concurrent carves of one identity one creates its VLAN and the others wait for its segment
        and return it. A VLAN of this identity that no segment uses (an interrupted carve, or a lost
        answer) is adopted. After its prefix is created, a carve reads the identity back: should two
        segments hold it (an adopter racing a slow winner), the lowest id is the allocation and the
        other is removed."""
        body = self._carve_body(spec, ids)
        group = dict(group) if group else None       # the NotFound path below updates it
        vlan, created_vlan = self._carve_vlan(spec, ids, group) if group else (None, False)
        if isinstance(vlan, Change):
            return vlan
        if vlan:
            body["vlan"] = vlan["id"]
        try:
            row = self._carve_prefix(spec, pools, body)
        except (SotNetboxError, ValueError) as exc:
            held = self._existing(spec, self.store.by_identity(spec.key, ids)) if _may_have_applied(exc) else None
            if held is None:
                if vlan and created_vlan:
                    self._roll_back_vlan(vlan, exc)
                raise
            return self._carved(spec, ids, group, held, {"id": held.ids["prefix"]})  # applied; answer lost
        return self._carved(spec, ids, group, Segment.from_netbox(row), row)

    def _carved(self, spec: Spec, ids: dict, group: Optional[dict], mine: Any, row: dict) -> Change:
        after = self._settle(spec, ids, mine)
        if after.ids.get("prefix") != row.get("id"):
            return Change("none", spec, after, after)
        if group:
            after.ids.update(vlan_group=group["id"], vlan_group_name=group["name"])
        return created(spec, after, "carve")

    def _roll_back_vlan(self, vlan: dict, exc: Exception) -> None:
        """Remove the VLAN this carve created; a failure that is ours says what was rolled back."""
        if not isinstance(exc, SotNetboxError):
            self.client.delete(VLAN.path(), [vlan["id"]])
            return
        try:
            self.client.delete(VLAN.path(), [vlan["id"]])
        except SotNetboxError as failure:
            exc.result.setdefault("left_behind", []).append(f"VLAN {vlan['vid']} ({vlan['name']}): {failure.message}")
        else:
            exc.result.setdefault("rolled_back", []).append(f"VLAN {vlan['vid']} ({vlan['name']})")

    def _settle(self, spec: Spec, ids: dict, mine: Any) -> Any:
        """The identity's allocation after our create: ours, or a lower-id one we then remove ours for."""
        held = self._existing(spec, self.store.by_identity(spec.key, ids))
        if held is None or held.ids["prefix"] == mine.ids["prefix"]:
            return mine
        self.warnings = [w for w in self.warnings if not w.startswith(f"{spec.label}: key ")]
        self.client.delete(PREFIX.path(), [mine.ids["prefix"]])
        return held

    def _carve_vlan(self, spec: Spec, ids: dict, group: dict) -> tuple:
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
            group.update(self._vlan_group(spec, ids))
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

    def _create_vlan(self, group: dict, body: dict) -> dict:
        vlan = self.client.create_one(GROUP.path(group["id"], "available_vlans"), body)
        return vlan[0] if isinstance(vlan, list) else vlan

    def _vlan_named(self, group: dict, name: str) -> Optional[dict]:
        rows = self.client.list(VLAN.path(), {"group_id": group["id"], "name": name},
                                fields=("id", "vid", "name", "group"))
        rows = [r for r in rows if r.get("name") == name]
        return rows[0] if rows else None

    def _await_or_adopt(self, spec: Spec, ids: dict, group: dict, exc: Exception) -> Any:
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
        raise VlanNameTaken(spec.label, f"VLAN name {spec.vlan_name!r} is already used in VLAN group "
                                        f"{group['name']!r} by a VLAN another segment uses, and no segment holds key "
                                        f"{spec.key!r}; delete that VLAN or set vlan_name",
                            (spec.vlan_name,)) from exc

    @staticmethod
    def _exhausted(spec: Spec, pools: list) -> PoolExhausted:
        cidrs = tuple(p["prefix"] for p in pools)
        return PoolExhausted(spec.label, f"no free /{spec.prefix_length} left in pool(s) {', '.join(cidrs)}", cidrs)

    def _carve_prefix(self, spec: Spec, pools: list, body: dict) -> dict:
        body = {**body, "prefix_length": spec.prefix_length}
        for pool in pools:
            try:
                row = self.client.create_one(PREFIX.path(pool["id"], "available_prefixes"), body)
                return row[0] if isinstance(row, list) else row
            except NotFound:
                continue                                  # the pool was deleted since it was listed
            except (Conflict, RequestValidationFailed) as exc:
                if classify_rejection(exc).kind == NO_SPACE:
                    continue
                raise
        raise self._exhausted(spec, pools)

    def _preview_vid(self, group: Optional[dict]) -> Optional[int]:
        if group and group.get("id"):
            free = self.client.request("GET", GROUP.path(group["id"], "available_vlans"), {"limit": 1}) or []
            return free[0]["vid"] if free else None
        return domain.VID_MIN if group else None

    def _carve_preview(self, spec: Spec, pools: list, group: Optional[dict], body: dict) -> Change:
        """Check mode: what NetBox would hand out now (another run may take it first)."""
        prefix = None
        for pool in pools:
            prefix = domain.first_fit(self.client.request("GET", PREFIX.path(pool["id"], "available_prefixes"))
                                      or [], spec.prefix_length)
            if prefix:
                break
        if prefix is None:
            raise self._exhausted(spec, pools)
        after = Segment(prefix=prefix, vrf=spec.segment.vrf, site_group=spec.segment.site_group,
                        tenant=spec.segment.tenant, role=spec.segment.role, status=body.get("status"),
                        description=body.get("description", ""), vlan_vid=self._preview_vid(group),
                        vlan_name=spec.vlan_name if group else None, custom_fields=dict(spec.segment.custom_fields))
        return created(spec, after, "carve")


def _may_have_applied(exc: Exception) -> bool:
    """A write whose answer was lost or cut off: NetBox may have applied it (find out by identity).
    A connection that failed may have failed after NetBox applied the write; reading back costs one
    GET and finds nothing when it did not."""
    return isinstance(exc, (ValueError, ConnectionFailed)) or bool(getattr(exc, "may_have_applied", False))


def _fits(pool: str, length: int) -> bool:
    try:
        domain.check_fits(pool, length)
        return True
    except InputError:
        return False
