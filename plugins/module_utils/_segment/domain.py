# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Network segments as plain data: the plans of present, absent and released. PRIVATE to the collection.

Pure: no I/O, no Ansible imports. A segment is one prefix in a VRF, scoped to a site group, with
tenant, role, status, description, custom fields and optionally a VLAN (VID and name) in the VLAN
group of its VRF and site group. Everything here speaks in names (what a user reads in a diff);
ids travel alongside in `Segment.ids`. The pieces live beside this file and are re-exported here
for the callers that know the segment path by one name:

  fields.py   the one table of options and segment fields (argspec, docs, body, diff, result)
  model.py    Segment, Spec, Names, Change and the table-driven body / diff / apply
  parse.py    options -> Specs, every input problem at once
  protocol.py the claim protocol's names, order and transitions
"""
from __future__ import annotations

import dataclasses
import ipaddress
from typing import Any, Optional

from ansible_collections.sot.netbox.plugins.module_utils._segment.fields import (
    FIELDS, PREFIX_STATUSES, REFERENCES, STATES)
from ansible_collections.sot.netbox.plugins.module_utils._segment.model import (
    Change, Names, Segment, Spec, apply_changes, body_for, created, diff_segment)
from ansible_collections.sot.netbox.plugins.module_utils._segment.parse import (
    VID_MAX, VID_MIN, VLAN_GROUP_NAME_MAX, VLAN_NAME_MAX, check_fits, check_vid, duplicates, identity, merge,
    parse_all, parse_cidr, parse_spec)
from ansible_collections.sot.netbox.plugins.module_utils._segment.protocol import (
    CLAIM_NAME_PREFIX, CLAIM_SLUG_PREFIX, TAG_MAX, claim_description, claim_name, claim_order, claim_slug, is_stale,
    nonce_of, parse_time, prefix_id_of_claim)

__all__ = [  # the re-exported names (callers know the segment path by `domain`)
    "FIELDS", "PREFIX_STATUSES", "REFERENCES", "STATES",
    "Change", "Names", "Segment", "Spec", "apply_changes", "body_for", "created", "diff_segment",
    "VID_MAX", "VID_MIN", "VLAN_GROUP_NAME_MAX", "VLAN_NAME_MAX", "check_fits", "check_vid", "duplicates", "identity",
    "merge", "parse_all", "parse_cidr", "parse_spec",
    "CLAIM_NAME_PREFIX", "CLAIM_SLUG_PREFIX", "TAG_MAX", "claim_description", "claim_name", "claim_order", "claim_slug",
    "is_stale", "nonce_of", "parse_time", "prefix_id_of_claim",
    "DESCRIPTION_MAX", "first_fit", "is_allocated", "plan_absent", "plan_present", "plan_release", "released",
]
DESCRIPTION_MAX = 200  # NetBox description length (prefixes, VLANs)


def _vlan_of(segment: Any) -> dict:
    return {"id": segment.ids.get("vlan"), "vid": segment.vlan_vid, "name": segment.vlan_name}


def plan_present(spec: Spec, current: Optional[Any]) -> Change:
    """Create or update to match; a VLAN move leaves the old VLAN as an orphan candidate."""
    desired = spec.segment
    if current is None:
        after = dataclasses.replace(desired, status=desired.status or "active",
                                    description=desired.description or "", custom_fields=dict(desired.custom_fields))
        return created(spec, after)
    changes = diff_segment(current, desired)
    after = apply_changes(current, desired)
    orphan = None
    if current.vlan_vid is not None and desired.vlan_vid is not None and current.vlan_vid != desired.vlan_vid:
        orphan = _vlan_of(current)
    return Change("update" if changes else "none", spec, current, after, changes, orphan_vlan=orphan)


def plan_absent(spec: Spec, current: Optional[Any]) -> Change:
    if current is None:
        return Change("none", spec)
    orphan = _vlan_of(current) if current.vlan_vid is not None else None
    return Change("delete", spec, current, None, {f: (v, None) for f, v in current.view().items() if v not in (None, {})},
                  orphan_vlan=orphan)


def is_allocated(segment: Any, names: Names) -> bool:
    return bool(segment.custom_fields.get(names.cluster_field) or segment.custom_fields.get(names.key_field))


def released(names: Names) -> Any:
    """What a released segment is: free status, cluster and key cleared."""
    return Segment(status=names.free_status, custom_fields={names.cluster_field: None, names.key_field: None})


def plan_release(spec: Spec, current: Optional[Any], names: Names) -> Change:
    """Back to free (cluster and key cleared, free status), or delete the segment by option."""
    if current is None or not is_allocated(current, names):
        return Change("none", spec, current, current)
    if spec.release_delete:
        return plan_absent(spec, current)
    desired = released(names)
    changes = diff_segment(current, desired)
    return Change("update", spec, current, apply_changes(current, desired), changes)


def first_fit(available: list, length: int) -> Optional[str]:
    """The first /length block NetBox's available ranges would hand out (check-mode preview)."""
    for row in available:
        net = ipaddress.ip_network(row["prefix"])
        if net.prefixlen <= length:
            return str(next(net.subnets(new_prefix=length)))
    return None
