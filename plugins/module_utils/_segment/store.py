# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Segment reads and writes through the shared client. PRIVATE to the collection.

Names become ids once per run through `Lookups` (cached tables). Reads are bulk list calls with
filters applied by NetBox; writes are bulk. Structural ids that change rarely (a VLAN group of a
VRF and site group, the pools of a scope) are kept in the shared persistent cache under their own
namespace and are dropped when a write names an id NetBox no longer has.
"""
from __future__ import annotations

from ansible_collections.sot.netbox.plugins.module_utils._errors import (
    LookupFailed, RequestValidationFailed, ValidationErrors)
from ansible_collections.sot.netbox.plugins.module_utils._segment.domain import Segment

PREFIX_FIELDS = ("id", "prefix", "vrf", "scope_type", "scope_id", "scope", "tenant", "role", "status", "description",
                 "vlan", "custom_fields", "tags")
SITEGROUP = "dcim.sitegroup"


class IdCache:
    """Rarely-changing ids in the shared persistent cache (TTL `static`); `drop` after a 404."""

    NAMESPACE = "sot.segment"

    def __init__(self, client):
        self.client = client
        self.cache = client.cache

    def _key(self, kind, ident):
        return self.cache.key(f"{self.NAMESPACE}/{kind}", f"{kind}:{ident}")

    def get(self, kind, ident):
        if self.cache is None:
            return None
        value = self.cache.get(self._key(kind, ident))
        self.client.metrics.incr("cache_hits" if value is not None else "cache_misses")
        return value

    def set(self, kind, ident, value):
        if self.cache is not None:
            self.cache.set(self._key(kind, ident), value, "static")

    def drop(self, kind):
        if self.cache is not None:
            self.cache.invalidate(f"{self.NAMESPACE}/{kind}")


def scope_params(ids):
    return {"vrf_id": ids["vrf"], "scope_type": SITEGROUP, "scope_id": ids["site_group"]}


def vlan_group_name(spec):
    return spec.vlan_group or f"{spec.segment.vrf}-{spec.segment.site_group}"


class Store:
    def __init__(self, client, lookups, names):
        self.client = client
        self.lookups = lookups
        self.names = names
        self.ids_cache = IdCache(client)

    # ------------------------------------------------------------ names -> ids

    def resolve(self, specs):
        """ids per spec (vrf, site_group, tenant, role); every unknown name reported at once, before any write."""
        self.lookups.load("vrf", "site_group", "tenant", "prefix_role")
        errors, out = [], []
        for spec in specs:
            ids = {}
            seg = spec.segment
            for field, type_name in (("vrf", "vrf"), ("site_group", "site_group"), ("tenant", "tenant"),
                                     ("role", "prefix_role")):
                value = getattr(seg, field)
                try:
                    ids[field] = self.lookups.id_of(type_name, value, field=f"segments[{spec.index}].{field}")
                except LookupFailed as exc:
                    if field == "site_group":
                        errors.append(f"{exc.message} (site groups are never created by this module: "
                                      "ask a NetBox administrator to create it)")
                    else:
                        errors.append(exc.message)
            out.append(ids)
        if errors:
            raise ValidationErrors(errors)
        return out

    def pool_role_id(self):
        return self.lookups.id_of("prefix_role", self.names.pool_role, field="pool_role")

    # ------------------------------------------------------------ reads

    def prefixes(self, params, cache=None):
        return self.client.list("ipam/prefixes", params, cache=cache, fields=PREFIX_FIELDS)

    def current_by_prefix(self, specs, ids_list):
        """{(prefix, vrf_id): Segment} with one GET per VRF for all named prefixes."""
        by_vrf = {}
        for spec, ids in zip(specs, ids_list):
            if spec.segment.prefix:
                by_vrf.setdefault(ids.get("vrf"), []).append(spec.segment.prefix)
        found = {}
        for vrf_id, cidrs in by_vrf.items():
            params = {"prefix": sorted(set(cidrs)), "vrf_id": vrf_id if vrf_id else "null"}
            # Cached as dynamic data: every write through this collection to ipam/prefixes (any
            # process, same cache) invalidates it; allocation reads below are never cached.
            for row in self.prefixes(params, cache="dynamic"):
                found[(row["prefix"], vrf_id)] = Segment.from_netbox(row)
        return found

    def by_identity(self, key, ids):
        """The segments already allocated to `key` in this VRF and site group."""
        params = {**scope_params(ids), f"cf_{self.names.key_field}": key}
        # With the default "loose" filter logic NetBox matches a substring: confirm exactly.
        rows = [Segment.from_netbox(r) for r in self.prefixes(params)]
        return [s for s in rows if s.custom_fields.get(self.names.key_field) == key]

    # ------------------------------------------------------------ VLAN groups and VLANs

    def vlan_groups(self, wanted, create, check_mode):
        """{(vrf_id, site_group_id): {"id", "name"}} for each wanted (vrf_id, sg_id, name); missing groups are
        created (scoped to the site group) unless check mode; a concurrent creator's group is adopted."""
        out, missing = {}, []
        for (vrf_id, sg_id), name in wanted.items():
            hit = self.ids_cache.get("vlan-group", f"{sg_id}:{name}")
            if hit:
                out[(vrf_id, sg_id)] = hit
            else:
                missing.append(((vrf_id, sg_id), name))
        if not missing:
            return out
        rows = self.client.list("ipam/vlan-groups", {"scope_type": SITEGROUP,
                                                     "scope_id": sorted({k[1] for k, _name in missing})},
                                fields=("id", "name", "slug", "scope_id"))
        index = {(r["scope_id"], r["name"]): r for r in rows}
        to_create = []
        for key, name in missing:
            row = index.get((key[1], name))
            if row:
                out[key] = {"id": row["id"], "name": name}
                self.ids_cache.set("vlan-group", f"{key[1]}:{name}", out[key])
            elif create:
                to_create.append((key, name))
        if to_create and check_mode:
            for key, name in to_create:
                out[key] = {"id": None, "name": name, "planned": True}
            return out
        for key, name in to_create:
            body = {"name": name, "slug": _slug(name), "scope_type": SITEGROUP, "scope_id": key[1]}
            try:
                row = self.client.create_one("ipam/vlan-groups", body)
            except RequestValidationFailed:
                # Somebody created it meanwhile (unique name per scope): use theirs.
                rows = self.client.list("ipam/vlan-groups", {"scope_type": SITEGROUP, "scope_id": key[1], "name": name},
                                        fields=("id", "name"))
                if not rows:
                    raise
                row = rows[0]
            out[key] = {"id": row["id"], "name": name, "created": True}
            self.ids_cache.set("vlan-group", f"{key[1]}:{name}", {"id": row["id"], "name": name})
        return out

    def vlans(self, group_ids, vids):
        """{(group_id, vid): vlan row} in one GET."""
        if not group_ids or not vids:
            return {}
        rows = self.client.list("ipam/vlans", {"group_id": sorted(set(group_ids)), "vid": sorted(set(vids))},
                                cache="dynamic", fields=("id", "vid", "name", "group"))
        return {((r.get("group") or {}).get("id"), r["vid"]): r for r in rows}

    def vlans_in_use(self, vlan_ids):
        """The ids among `vlan_ids` that some prefix still uses (one GET)."""
        if not vlan_ids:
            return set()
        rows = self.client.list("ipam/prefixes", {"vlan_id": sorted(set(vlan_ids))}, fields=("id", "vlan"))
        return {(r.get("vlan") or {}).get("id") for r in rows}

    def delete_orphan_vlans(self, vlan_ids):
        """Delete the VLANs no prefix uses any more; returns the deleted ids."""
        candidates = sorted({v for v in vlan_ids if v})
        orphans = [v for v in candidates if v not in self.vlans_in_use(candidates)]
        if orphans:
            self.client.delete("ipam/vlans", orphans)
        return orphans


def _slug(name):
    out = "".join(c if c.isalnum() or c in "-_" else "-" for c in name.lower())
    return out.strip("-")[:100] or "vlan-group"


def error_fields(exc):
    """Field names NetBox complained about in a 400 (top-level dict or first item of a list)."""
    fields = getattr(exc, "fields", None) or {}
    if isinstance(fields, list):
        fields = next((f for f in fields if f), {})
    return set(fields) if isinstance(fields, dict) else set()
