# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""netbox_export's delta sync, pure: a cached result + change records -> what to re-read, and the merge.

The cached result holds, per kind, one entry per exported object in NetBox's order: `{"id", "name",
"refs", "row"}`. `refs` are the objects its payload names (its site, role, tenant, tags, primary IPs, a VM's
device...), as `model:id`, so a change to a lookup object re-reads exactly the rows it feeds. The contact
assignments are cached too (as NetBox returned them): a changed assignment re-reads the rows of its old
and its new object, a changed contact the rows of every object it is assigned to.

A change this module cannot place exactly is a full read: the custom fields or contact roles changed
(they make the columns), or a lookup object changed while filters are set (a site moved into a filtered
site group brings devices no change record names).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from ansible_collections.sot.netbox.plugins.module_utils._changes import Change, merge_hosts, merge_in_order

from ansible_collections.sot.netbox.plugins.module_utils._export.rows import KINDS, KIND_OF_OBJECT_TYPE, OBJECT_TYPES
from ansible_collections.sot.netbox.plugins.module_utils._records import record

# Payload key of a device or VM -> the record of the object it names (nested: (key, inner key)).
REFERENCES = {
    ("site",): "site", ("location",): "location", ("rack",): "rack", ("role",): "device_role",
    ("tenant",): "tenant", ("platform",): "platform", ("device_type",): "device_type",
    ("device_type", "manufacturer"): "manufacturer", ("primary_ip4",): "ip_address", ("primary_ip6",): "ip_address",
    ("oob_ip",): "ip_address", ("cluster",): "cluster", ("device",): "device", ("tags",): "tag",
}
REF_MODELS = frozenset(record(name).model for name in REFERENCES.values())
ASSIGNMENT_MODEL = record("contact_assignment").model
CONTACT_MODEL = record("contact").model
# These make the columns (custom field columns, contact role columns and headers): a change is a full read.
CATALOG_MODELS = frozenset((record("custom_field").model, record("contact_role").model))
# No column shows these, but filters select by them (site_group and region include their descendants): with
# filters set, a change to one may change which objects are exported.
FILTER_MODELS = frozenset(record(name).model for name in ("site_group", "region", "tenant_group", "cluster_group",
                                                          "cluster_type"))


def watched_types() -> frozenset:
    """Every object type whose change can change an export."""
    return frozenset(OBJECT_TYPES.values()) | REF_MODELS | {ASSIGNMENT_MODEL, CONTACT_MODEL} | CATALOG_MODELS | FILTER_MODELS


def refs_of(obj: dict) -> list:
    """`model:id` of every object this payload names (only the fields that were read: the columns')."""
    out = set()
    for keys, name in REFERENCES.items():
        values = [obj]
        for key in keys:
            values = [v.get(key) for v in values if isinstance(v, dict)]
            values = [x for v in values for x in (v if isinstance(v, list) else [v])]
        model = record(name).model
        out.update(f"{model}:{v['id']}" for v in values if isinstance(v, dict) and v.get("id") is not None)
    return sorted(out)


def entry(obj: dict, row: list) -> dict:
    return {"id": obj.get("id"), "name": obj.get("name"), "refs": refs_of(obj), "row": row}


@dataclass
class Rereads:
    objects: dict = field(default_factory=lambda: {k: set() for k in KINDS})  # kind -> ids to re-read
    assignments: set = field(default_factory=set)   # contact assignment ids to re-read
    full: str = ""                                  # non-empty: read everything (why)


def _ref_index(body: dict) -> dict:
    """`model:id` -> [(kind, object id)] over the cached rows."""
    index = {}
    for kind in KINDS:
        for item in body["rows"].get(kind) or ():
            for ref in item["refs"]:
                index.setdefault(ref, []).append((kind, item["id"]))
    return index


def plan_rereads(changes: Iterable[Change], body: dict, filtered: bool) -> Rereads:
    """Which objects and assignments to re-read for these change records, or why everything must be read."""
    out, index = Rereads(), None
    for change in changes:
        model, oid = change.object_type, change.object_id
        if model in CATALOG_MODELS:
            return Rereads(full=f"{model} {oid} changed ({change.action}): the columns may differ")
        kind = KIND_OF_OBJECT_TYPE.get(model)
        if kind is not None:
            out.objects[kind].add(oid)
        elif model == ASSIGNMENT_MODEL:
            out.assignments.add(oid)
        elif model == CONTACT_MODEL:
            out.assignments.update(a["id"] for a in body["assignments"] if (a.get("contact") or {}).get("id") == oid)
        elif filtered:
            return Rereads(full=f"{model} {oid} changed ({change.action}) and filters are set")
        if model in REF_MODELS:
            index = _ref_index(body) if index is None else index
            for ref_kind, ref_id in index.get(f"{model}:{oid}", ()):
                out.objects[ref_kind].add(ref_id)
    return out


def assignment_object(assignment: dict) -> tuple | None:
    """(kind, object id) an assignment is for, or None for another object type."""
    kind = KIND_OF_OBJECT_TYPE.get(assignment.get("object_type"))
    return None if kind is None else (kind, assignment.get("object_id"))


def merge_assignments(cached: list, ids: Iterable[int], fresh: list) -> tuple:
    """(assignments now, {kind: object ids whose contacts may have changed}): re-read ids replace theirs;
    an id NetBox no longer returns was deleted."""
    ids, touched = set(ids), {k: set() for k in KINDS}
    for assignment in [a for a in cached if a["id"] in ids] + list(fresh):
        target = assignment_object(assignment)
        if target is not None:
            touched[target[0]].add(target[1])
    kept = [a for a in cached if a["id"] not in ids]
    return sorted(kept + [a for a in fresh if assignment_object(a)], key=lambda a: a["id"]), touched


def merge_rows(cached: list, ids: Iterable[int], fresh: list, order: list | None = None) -> tuple:
    """(entries now, reason for a full read or ''), `fresh` being the re-read entries of `ids` (with the run's
    filters: a missing id was deleted or left the result). `order`: NetBox's ids in its order, needed when an
    object is new or renamed (`needs_order` of the reason)."""
    if order is not None:
        return merge_in_order(cached, ids, fresh, order)
    return merge_hosts(cached, ids, fresh)
