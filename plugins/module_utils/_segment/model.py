# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A segment as plain data, built from the field table. PRIVATE to the collection.

Pure: no I/O, no Ansible imports. `Segment` has one attribute per field of `fields.SEGMENT_FIELDS`
plus the VLAN (vid, name), custom fields, the ids travelling alongside the names and the tags;
reading it from NetBox, the write body, the diff, the change and the result shape are derived from
the table, so a new plain field needs no code here.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Optional

from ansible_collections.sot.netbox.plugins.module_utils._segment.fields import (
    FIELDS, REFERENCES, SEGMENT_FIELDS, SITEGROUP)


class _SegmentBase:
    """Methods of Segment (its attributes come from the field table)."""

    @property
    def vlan(self) -> Optional[str]:
        """`100 (web)` as a diff shows it; None without a VLAN."""
        if self.vlan_vid is None:
            return None
        return f"{self.vlan_vid} ({self.vlan_name})" if self.vlan_name else str(self.vlan_vid)

    def to_dict(self) -> dict:
        """The result shape: names and ids side by side (the id after each reference's name)."""
        vlan = None
        if self.vlan_vid is not None:
            vlan = {"id": self.ids.get("vlan"), "vid": self.vlan_vid, "name": self.vlan_name,
                    "group": self.ids.get("vlan_group_name"), "group_id": self.ids.get("vlan_group")}
        out: dict = {"id": self.ids.get("prefix")}
        for field in SEGMENT_FIELDS:
            out[field.name] = getattr(self, field.name)
            if field.name in REFERENCES:
                out[f"{field.name}_id"] = self.ids.get(field.name)
        out.update(vlan=vlan, custom_fields=dict(self.custom_fields))
        return out

    def view(self) -> dict:
        """The names-only view used in diffs."""
        out = {f: getattr(self, f) for f in FIELDS}
        out["custom_fields"] = dict(sorted(self.custom_fields.items()))
        return out

    @classmethod
    def from_netbox(cls, obj: dict) -> "Segment":
        """A NetBox prefix (with nested brief objects) as a Segment."""
        values, ids = {}, {}
        for field in SEGMENT_FIELDS:
            values[field.name], ref_id = _read(field, obj)
            if field.name in REFERENCES:
                ids[field.name] = ref_id
        ids["prefix"] = obj.get("id")
        vlan = obj.get("vlan") or {}
        ids["vlan"] = vlan.get("id")
        return cls(**values, vlan_vid=vlan.get("vid"), vlan_name=vlan.get("name"),
                   custom_fields=dict(obj.get("custom_fields") or {}), ids=ids,
                   tags=[{"id": t.get("id"), "slug": t.get("slug")} for t in obj.get("tags") or []])


def _read(field: Any, obj: dict) -> tuple:
    """(name, id) of one field in a NetBox prefix."""
    if field.kind == "scope":
        scope = obj.get("scope") if obj.get("scope_type") == SITEGROUP else None
        return ((scope.get("name") if isinstance(scope, dict) else None),
                obj.get("scope_id") if obj.get("scope_type") == SITEGROUP else None)
    value = obj.get(field.api)
    if field.kind == "reference":
        return (value.get("name"), value.get("id")) if isinstance(value, dict) else (None, None)
    if isinstance(value, dict) and "value" in value:      # a choice field: {"value", "label"}
        value = value["value"]
    if value in (None, "") and field.unset is not None:
        value = field.unset
    return value, None


# pylint: disable=invalid-field-call
# (pylint does not see that these field() calls are make_dataclass's, built from the table)
Segment = dataclasses.make_dataclass(
    "Segment",
    [(f.name, Optional[str], dataclasses.field(default=None)) for f in SEGMENT_FIELDS]
    + [("vlan_vid", Optional[int], dataclasses.field(default=None)),
       ("vlan_name", Optional[str], dataclasses.field(default=None)),
       ("custom_fields", dict, dataclasses.field(default_factory=dict)),
       ("ids", dict, dataclasses.field(default_factory=dict)),     # prefix, each reference, vlan, vlan_group
       ("tags", list, dataclasses.field(default_factory=list))],   # [{"id", "slug"}] of the current prefix
    bases=(_SegmentBase,),
    namespace={"__doc__": 'A segment by names. `None` means "not managed" in a desired segment and "unset" '
                          "in a current one.", "__module__": __name__},
)
# pylint: enable=invalid-field-call


def body_for(segment: Any, ids: dict, vlan_id: Optional[int] = None) -> dict:
    """The NetBox write body of a desired segment (only managed fields)."""
    body: dict = {}
    for field in SEGMENT_FIELDS:
        value = getattr(segment, field.name)
        if value is None:
            continue
        if field.kind == "scope":
            body["scope_type"], body["scope_id"] = SITEGROUP, ids[field.name]
        elif field.kind == "reference":
            body[field.api] = ids[field.name]
        else:
            body[field.api] = value
    if vlan_id is not None:
        body["vlan"] = vlan_id
    if segment.custom_fields:
        body["custom_fields"] = dict(segment.custom_fields)
    return body


def _vlan_change(current: Any, desired: Any) -> Optional[tuple]:
    if desired.vlan_vid is None:
        return None
    want = (desired.vlan_vid, desired.vlan_name if desired.vlan_name is not None else current.vlan_name)
    if (current.vlan_vid, current.vlan_name) == want:
        return None
    return current.vlan, Segment(vlan_vid=want[0], vlan_name=want[1]).vlan


def diff_segment(current: Any, desired: Any) -> dict:
    """field -> (before, after) for every managed field that differs. References are compared by id
    (any spelling of one object is it), custom fields per managed name."""
    changes = {}
    for field in SEGMENT_FIELDS:
        name, want = field.name, getattr(desired, field.name)
        if want is None:
            continue
        if name in REFERENCES and desired.ids.get(name) is not None:
            if current.ids.get(name) != desired.ids[name]:
                changes[name] = (getattr(current, name), want)
        elif getattr(current, name) != want:
            changes[name] = (getattr(current, name), want)
    vlan = _vlan_change(current, desired)
    if vlan is not None:
        changes["vlan"] = vlan
    for name, want in sorted(desired.custom_fields.items()):
        have = current.custom_fields.get(name)
        if have != want and not (have in (None, "") and want in (None, "")):
            changes[f"custom_fields.{name}"] = (have, want)
    return changes


def apply_changes(current: Any, desired: Any) -> Any:
    """The segment after the change: the current one with every managed field of the desired one."""
    out = dataclasses.replace(current, custom_fields={**current.custom_fields, **desired.custom_fields},
                              ids=dict(current.ids))
    for field in SEGMENT_FIELDS:
        if getattr(desired, field.name) is not None:
            setattr(out, field.name, getattr(desired, field.name))
            if field.name in REFERENCES and desired.ids.get(field.name) is not None:
                out.ids[field.name] = desired.ids[field.name]
    if desired.vlan_vid is not None:
        out.vlan_vid = desired.vlan_vid
        out.vlan_name = desired.vlan_name if desired.vlan_name is not None else current.vlan_name
    return out


@dataclasses.dataclass
class Spec:
    """One requested segment: the desired Segment plus what the state needs (allocation, release)."""

    state: str
    segment: Any
    index: int = 0
    vlan_group: Optional[str] = None      # explicit VLAN group name; default "<vrf>-<site group>"
    cluster: Optional[str] = None
    key: Optional[str] = None             # allocation identity; defaults to the cluster
    pool: Optional[str] = None            # carve from this pool prefix (CIDR)
    prefix_length: Optional[int] = None   # carve a child of this length (mode b); without it, reserve (mode a)
    allocate_vlan: bool = True
    vlan_name: Optional[str] = None       # name of a carved VLAN; default: the key
    release_delete: bool = False

    @property
    def label(self) -> str:
        seg = self.segment
        what = seg.prefix or (f"key {self.key!r}" if self.key else "segment")
        return f"segments[{self.index}] ({what} in {seg.vrf or '-'}/{seg.site_group or '-'})"

    @property
    def carve(self) -> bool:
        return self.prefix_length is not None


@dataclasses.dataclass(frozen=True)
class Names:
    """Configurable custom field names and statuses."""

    dhcp_field: str = "dhcp_enabled"
    cluster_field: str = "cluster_name"
    key_field: str = "cluster_name"
    free_status: str = "active"
    reserved_status: str = "reserved"
    pool_role: str = "pool"
    pool_status: str = "container"


@dataclasses.dataclass
class Change:
    """One planned change: action in create/update/delete/none, changes as field -> (before, after) names."""

    action: str
    spec: Spec
    before: Any = None
    after: Any = None
    changes: dict = dataclasses.field(default_factory=dict)
    vlan_action: Optional[str] = None   # create/update/None for the desired VLAN
    orphan_vlan: Optional[dict] = None  # {"id", "vid", "name"} of a VLAN to delete when no other prefix uses it

    @property
    def changed(self) -> bool:
        return self.action != "none"

    def diff(self) -> dict:
        before = self.before.view() if self.before else {}
        after = self.after.view() if self.after and self.action != "delete" else {}
        return {"before": before, "after": after,
                "before_header": f"{self.spec.label} (NetBox)", "after_header": f"{self.spec.label} ({self.action})"}


def created(spec: Spec, after: Any, action: str = "create") -> Change:
    """A change that makes a new segment: every shown field goes from nothing to its value."""
    return Change(action, spec, None, after, {f: (None, v) for f, v in after.view().items() if v not in (None, {})})
