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

from typing import Any, Optional

from ansible_collections.sot.netbox.plugins.module_utils._cache import Entry, entry
from ansible_collections.sot.netbox.plugins.module_utils._errors import (
    EXISTS, ApiError, FieldError, LookupFailed, PermissionDenied, RequestValidationFailed, ValidationErrors,
    classify_rejection)
from ansible_collections.sot.netbox.plugins.module_utils._lookups import slugify
from ansible_collections.sot.netbox.plugins.module_utils._records import record
from ansible_collections.sot.netbox.plugins.module_utils._segment.fields import (
    PREFIX_FIELDS, REFERENCE_TYPES, SITEGROUP)
from ansible_collections.sot.netbox.plugins.module_utils._segment.model import Segment

PREFIX, VLAN, GROUP = record("prefix"), record("vlan"), record("vlan_group")
PREFIX_OBJECT_TYPE = PREFIX.model


def add_permission(object_type: Any) -> str:
    """NetBox's permission to create objects of a type: `ipam.prefix` -> `ipam.add_prefix`."""
    app, model = object_type.model.split(".")
    return f"{app}.add_{model}"


class IdCache:
    """Rarely-changing ids in the shared persistent cache (TTL `static`); `drop` after a 404 or a
    rejected id. `fresh` (a retry after NetBox rejected a cached id) or a static TTL of 0 reads and
    writes nothing."""

    NAMESPACE = "sot.segment"

    def __init__(self, client: Any, fresh: bool = False) -> None:
        self.client = client
        self.cache = None if fresh else client.cache

    def _entry(self, kind: str, ident: Any) -> Entry | None:
        # None without a cache or with a static TTL of 0: nothing is read or written then.
        return entry(self.cache, f"{self.NAMESPACE}/{kind}", f"{kind}:{ident}", "static")

    def get(self, kind: str, ident: Any) -> Any:
        found = self._entry(kind, ident)
        return found.lookup(self.client.metrics) if found is not None else None

    def set(self, kind: str, ident: Any, value: Any) -> None:
        found = self._entry(kind, ident)
        if found is not None:
            found.store(value)

    def drop(self, kind: str) -> None:
        cache = self.client.cache
        if cache is not None:
            cache.invalidate(f"{self.NAMESPACE}/{kind}")


def scope_params(ids: dict) -> dict:
    return {"vrf_id": ids["vrf"], "scope_type": SITEGROUP, "scope_id": ids["site_group"]}


def vlan_group_name(spec: Any) -> str:
    """The VLAN group a segment's VLAN lives in: the one named by `vlan_group` (name, slug or id), else
    `<VRF>-<site group>` from the names NetBox spells (Store.resolve made them canonical)."""
    return spec.vlan_group or f"{spec.segment.vrf}-{spec.segment.site_group}"


def group_key(spec: Any, ids: dict) -> tuple:
    """Which VLAN group a spec needs: (vrf id, site group id, name it is asked by)."""
    return (ids["vrf"], ids["site_group"], vlan_group_name(spec))


class Store:
    def __init__(self, client: Any, lookups: Any, names: Any, fresh: bool = False) -> None:
        self.client = client
        self.lookups = lookups
        self.names = names
        self.ids_cache = IdCache(client, fresh=fresh)

    # ------------------------------------------------------------ names -> ids

    def resolve(self, specs: list) -> list:
        """ids per spec (vrf, site_group, tenant, role); every unknown name reported at once, before any write.

        The spec's names become NetBox's own names of the resolved objects, and the ids travel in
        `spec.segment.ids`: a VRF named by its RD, a tenant by its slug or an object by its id is the
        same object, with the same diff, the same VLAN group and the same claim names."""
        self.lookups.load("vrf", "site_group", "tenant", "prefix_role")
        errors, out = [], []
        for spec in specs:
            ids = {}
            seg = spec.segment
            for field, type_name in REFERENCE_TYPES:
                value = getattr(seg, field)
                path = f"segments[{spec.index}].{field}"
                try:
                    ids[field], name = self.lookups.canonical(type_name, value)
                except LookupFailed as exc:
                    keys = ", ".join(record(type_name).keys)
                    hint = (" (site groups are never created by this module: ask a NetBox administrator to create it)"
                            if field == "site_group" else "")
                    errors.append(FieldError(path, f"{exc.kind} not found in NetBox by {keys} or id{exc.known_hint}{hint}",
                                             value))
                    continue
                if name is not None:
                    setattr(seg, field, name)
            seg.ids.update({k: v for k, v in ids.items() if v is not None})
            out.append(ids)
        if errors:
            raise ValidationErrors(errors)
        return out

    def check_custom_fields(self, specs: list) -> list:
        """FieldErrors for every custom field a run would write or filter by that NetBox does not declare
        for prefixes, or whose value is not of its declared type: before any write, all at once."""
        used = {}          # name -> [(path, value, typed)]; `typed` False for filter-only use
        for spec in specs:
            for name, value in spec.segment.custom_fields.items():
                used.setdefault(name, []).append((self._cf_path(spec, name), value, True))
            if spec.state in ("allocated", "released"):
                for option in ("cluster_field", "key_field"):
                    name = getattr(self.names, option)
                    used.setdefault(name, []).append((option, name, False))
        if not used:
            return []
        try:
            self.lookups.table("custom_field")
        except PermissionDenied:
            return []      # a token that may not read custom fields: NetBox's own answer to the write decides
        errors = []
        for name, uses in used.items():
            row = self.lookups.find("custom_field", name)
            path, value, _typed = uses[0]
            shown = value if path.startswith("segments") else name
            if row is None:
                errors.append(FieldError(path, f"NetBox has no custom field {name!r}; create it for prefixes "
                                               "(ipam.prefix) or name another", shown))
                continue
            if PREFIX_OBJECT_TYPE not in (row.get("object_types") or []):
                errors.append(FieldError(path, f"custom field {name!r} is not enabled for prefixes (ipam.prefix) in "
                                               f"NetBox; it is for {', '.join(row.get('object_types') or []) or '-'}",
                                         shown))
                continue
            kind = (row.get("type") or {}).get("value") if isinstance(row.get("type"), dict) else row.get("type")
            for path, value, typed in uses:
                problem = _cf_type_problem(kind, value) if typed else None
                if problem:
                    errors.append(FieldError(path, f"custom field {name!r} is of type {kind} in NetBox: {problem}",
                                             value))
        return list(dict.fromkeys(errors))

    def _cf_path(self, spec: Any, name: str) -> str:
        at = f"segments[{spec.index}]"
        if name == self.names.dhcp_field:
            return f"{at}.dhcp"
        if name == self.names.cluster_field and spec.cluster is not None:
            return f"{at}.cluster"
        if name == self.names.key_field and spec.key is not None:
            return f"{at}.key"
        return f"{at}.custom_fields.{name}"

    def writable(self, types: list) -> list:
        """The types among `types` this token may NOT create objects of, from NetBox's OPTIONS answer
        (its `actions` lists POST only when the token has the add permission), cached per token:
        [(endpoint, missing permission)]."""
        missing = []
        for object_type in types:
            endpoint = object_type.path()
            actions = self.ids_cache.get("permissions", endpoint)
            if actions is None:
                try:
                    answer = self.client.request("OPTIONS", endpoint) or {}
                except ApiError:
                    continue   # no OPTIONS answer (a proxy refusing the method): the writes themselves decide
                actions = sorted((answer.get("actions") or {}) if isinstance(answer, dict) else {})
                self.ids_cache.set("permissions", endpoint, actions)
            if "POST" not in actions:
                missing.append((endpoint, add_permission(object_type)))
        return missing

    def pool_role_id(self) -> Optional[int]:
        return self.lookups.id_of("prefix_role", self.names.pool_role, field="pool_role")

    # ------------------------------------------------------------ reads

    def prefixes(self, params: dict, cache: Optional[str] = None) -> list:
        return self.client.list(PREFIX.path(), params, cache=cache, fields=PREFIX_FIELDS)

    def current_by_prefix(self, specs: list, ids_list: list) -> dict:
        """{(prefix, vrf_id): Segment} with one GET per VRF for all named prefixes.

        Never from the cache: whether a prefix exists, and its fields, decide the writes (a prefix
        re-created or deleted in NetBox since is seen as it is). The VLANs of the found prefixes are
        read too (one GET), so a VLAN moved to another group is seen in its real group."""
        by_vrf = {}
        for spec, ids in zip(specs, ids_list):
            if spec.segment.prefix:
                by_vrf.setdefault(ids.get("vrf"), []).append(spec.segment.prefix)
        found = {}
        for vrf_id, cidrs in by_vrf.items():
            params = {"prefix": sorted(set(cidrs)), "vrf_id": vrf_id if vrf_id else "null"}
            for row in self.prefixes(params):
                found[(row["prefix"], vrf_id)] = Segment.from_netbox(row)
        vlan_ids = sorted({s.ids["vlan"] for s in found.values() if s.ids.get("vlan")})
        if vlan_ids:
            rows = self.client.list(VLAN.path(), {"id": vlan_ids}, fields=("id", "vid", "name", "group"))
            groups = {r["id"]: (r.get("group") or {}) for r in rows}
            for seg in found.values():
                group = groups.get(seg.ids.get("vlan"), {})
                seg.ids.update(vlan_group=group.get("id"), vlan_group_name=group.get("name"))
        return found

    def by_identity(self, key: str, ids: dict) -> list:
        """The segments already allocated to `key` in this VRF and site group."""
        params = {**scope_params(ids), f"cf_{self.names.key_field}": key}
        # With the default "loose" filter logic NetBox matches a substring: confirm exactly.
        rows = [Segment.from_netbox(r) for r in self.prefixes(params)]
        return [s for s in rows if s.custom_fields.get(self.names.key_field) == key]

    # ------------------------------------------------------------ VLAN groups and VLANs

    def find_vlan_groups(self, wanted: list) -> tuple:
        """({key: {"id", "name"}} of the wanted groups that exist, [keys of missing ones], the scopes'
        group rows) with reads only. A key is (vrf_id, site_group_id, asked), see `group_key`; `asked`
        names the group by name, slug or id within the site group's scope."""
        out, missing = {}, []
        for key in dict.fromkeys(wanted):
            hit = self.ids_cache.get("vlan-group", f"{key[1]}:{key[2]}")
            if hit:
                out[key] = hit
            else:
                missing.append(key)
        if not missing:
            return out, [], []
        rows = self._groups_in(sorted({k[1] for k in missing}))
        absent = []
        for key in missing:
            row = _find_group(rows, key[1], key[2])
            if row:
                out[key] = {"id": row["id"], "name": row["name"]}
                self.ids_cache.set("vlan-group", f"{key[1]}:{key[2]}", out[key])
            else:
                absent.append(key)
        return out, absent, rows

    def create_vlan_groups(self, keys: list, rows: list) -> dict:
        """Create the groups `keys` name (scoped to the site group, slug from `slugify`, never one another
        group of the scope has); a concurrent creator's group is adopted. `rows`: the scopes' groups."""
        out = {}
        for key in keys:
            out[key] = self._create_group(key, rows)
            self.ids_cache.set("vlan-group", f"{key[1]}:{key[2]}", {"id": out[key]["id"], "name": out[key]["name"]})
        return out

    def vlan_groups(self, wanted: list) -> dict:
        """{key: group} for each wanted key: found, else created."""
        found, missing, rows = self.find_vlan_groups(wanted)
        return {**found, **self.create_vlan_groups(missing, list(rows))}

    def _groups_in(self, scope_ids: list) -> list:
        return self.client.list(GROUP.path(), {"scope_type": SITEGROUP, "scope_id": scope_ids},
                                fields=("id", "name", "slug", "scope_id"))

    def _create_group(self, key: tuple, rows: list) -> dict:
        """Create the group `key` names; `rows` (the scope's groups) grows by it, so a second group of
        the same batch sees its slug taken."""
        sg_id, name = key[1], key[2]
        taken = {r["slug"] for r in rows if r.get("scope_id") == sg_id}
        body = {"name": name, "slug": slugify(name, taken), "scope_type": SITEGROUP, "scope_id": sg_id}
        try:
            row = self.client.create_one(GROUP.path(), body)
        except RequestValidationFailed as exc:
            if classify_rejection(exc).kind != EXISTS:
                raise
            # Somebody created it meanwhile (unique name and slug per scope): use theirs.
            row = _find_group(self._groups_in([sg_id]), sg_id, name)
            if row is None:
                raise
        rows.append({"id": row["id"], "name": row["name"], "slug": row.get("slug"), "scope_id": sg_id})
        return {"id": row["id"], "name": row["name"], "created": True}

    def vlans(self, group_ids: list, vids: list) -> dict:
        """{(group_id, vid): vlan row} in one GET."""
        if not group_ids or not vids:
            return {}
        # Never cached: whether the VLAN exists decides a create.
        rows = self.client.list(VLAN.path(), {"group_id": sorted(set(group_ids)), "vid": sorted(set(vids))},
                                fields=("id", "vid", "name", "group"))
        return {((r.get("group") or {}).get("id"), r["vid"]): r for r in rows}

    def vlans_in_use(self, vlan_ids: list) -> set:
        """The ids among `vlan_ids` that some prefix still uses (one GET)."""
        if not vlan_ids:
            return set()
        rows = self.client.list(PREFIX.path(), {"vlan_id": sorted(set(vlan_ids))}, fields=("id", "vlan"))
        return {(r.get("vlan") or {}).get("id") for r in rows}

    def delete_orphan_vlans(self, vlan_ids: list) -> list:
        """Delete the VLANs no prefix uses any more; returns the deleted ids."""
        candidates = sorted({v for v in vlan_ids if v})
        orphans = [v for v in candidates if v not in self.vlans_in_use(candidates)]
        if orphans:
            self.client.delete(VLAN.path(), orphans)
        return orphans


def _find_group(rows: list, sg_id: Any, asked: Any) -> Optional[dict]:
    """The group of scope `sg_id` that `asked` names: by name, else slug, else numeric id."""
    scoped = [r for r in rows if r.get("scope_id") == sg_id]
    for key in ("name", "slug", "id"):
        for row in scoped:
            if str(row.get(key)) == str(asked):
                return row
    return None


# NetBox custom field type -> the Python types its values take in the API (None always clears).
_CF_TYPES = {
    "text": (str,), "longtext": (str,), "url": (str,), "date": (str,), "datetime": (str,), "select": (str,),
    "integer": (int,), "decimal": (int, float, str), "boolean": (bool,), "multiselect": (list,),
}


def _cf_type_problem(kind: Optional[str], value: Any) -> Optional[str]:
    """Why `value` cannot be stored in a custom field of NetBox type `kind`; None when it can."""
    allowed = _CF_TYPES.get(kind)
    if value is None or allowed is None:
        return None
    if isinstance(value, bool) and bool not in allowed:
        return "a yes/no value does not fit"
    if not isinstance(value, allowed):
        return f"expects {' or '.join(t.__name__ for t in allowed)}, not {type(value).__name__}"
    return None
