#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: netbox_segment
short_description: Network segments in NetBox (prefix, VLAN, VRF, site group, tenant, role, custom fields), allocated safely
version_added: "0.1.0"
description:
  - A segment is one prefix in a VRF, scoped to a site group (C(scope_type=dcim.sitegroup)), with a
    tenant, a role, a status, a description, custom fields and optionally a VLAN (VID and name) in the
    VLAN group of its VRF and site group (named C(<vrf>-<site group>) unless O(vlan_group) is set; the
    group is found or created, scoped to the site group).
  - O(state=present) creates or updates a segment to match. Moving it to another VLAN deletes the old
    VLAN when no other prefix uses it. O(state=absent) deletes the prefix, its claim marker and its VLAN
    when orphaned.
  - O(state=allocated) gives a cluster (or an explicit O(key)) a segment, idempotently. Without
    O(prefix_length) it reserves an existing free segment matching the filters (VRF, site group,
    O(role), status O(free_status), empty cluster field); with O(prefix_length) it carves a new child
    prefix from a pool prefix and the next free VID from the VLAN group, using NetBox's
    C(available-prefixes) and C(available-vlans) endpoints.
  - Concurrent allocations never receive the same segment, prefix or VID. Reservations claim a segment
    with a uniquely-constrained marker tag (C(sot-claim-p<prefix id>)) before writing it; see the
    collection's C(docs/netbox_segment.md) for the exact guarantee.
  - O(state=released) clears the cluster (and key) field and returns the segment to O(free_status), or
    deletes it with O(release_delete=true).
  - Site groups are never created; a missing site group, VRF, tenant or role is an error naming it,
    reported before anything is written. Names resolve through cached lookup tables (a name a cached
    table does not know is read once more fresh); every spelling of one object (name, slug, id, a
    VRF's RD) is that object, compared by id.
  - Whether a prefix exists and its fields are read fresh before any write; a cached id NetBox rejects
    makes the run start once more from fresh reads.
  - O(segments) handles many segments in one task; its items take the same options as the top level,
    and top-level values are their defaults.
author:
  - sot.netbox developers (@sot-netbox)
extends_documentation_fragment:
  - sot.netbox.connection
  - sot.netbox.attributes
attributes:
  check_mode:
    support: full
    details: Reports exactly what would be created, changed or deleted; allocations preview what NetBox would hand out now.
  diff_mode:
    support: full
    details: Before and after by names (VRF, site group, tenant, role, VLAN as C(100 (web))), never ids.
# BEGIN generated options: from plugins/module_utils/_segment/fields.py by tools/segment_docs.py, do not edit
options:
  state:
    description: What to do with the segment(s).
    type: str
    choices: [present, absent, allocated, released]
    default: present
  prefix:
    description: The segment's prefix in CIDR notation. Required for O(state=present) and O(state=absent).
    type: str
  vrf:
    description: VRF by name, RD or id (one VRF, however it is named). Required for O(state=present) and
      O(state=allocated).
    type: str
  site_group:
    description: Site group (name, slug or id) the prefix is scoped to. Never created.
    type: str
  tenant:
    description: Tenant by name, slug or id.
    type: str
  role:
    description: Prefix role by name, slug or id. For O(state=allocated), also a filter on the free segments.
    type: str
  status:
    description: Prefix status (new segments default to V(active)).
    type: str
    choices: [container, active, reserved, deprecated]
  description:
    description: Prefix description (at most 200 characters).
    type: str
  vlan:
    description: The segment's VLAN in the VLAN group of its VRF and site group; created when missing.
    type: dict
    suboptions:
      vid:
        description: VLAN ID, 1-4094.
        type: int
        required: true
      name:
        description: VLAN name (a new VLAN without a name is called C(vlan-<vid>)).
        type: str
  vlan_group:
    description:
      - VLAN group, when it is not C(<vrf>-<site group>) (built from NetBox's names).
      - Names an existing group of the site group by name, slug or id; created by name when missing.
    type: str
  custom_fields:
    description: Further custom fields of the prefix, by name; checked against the custom fields NetBox declares for
      prefixes and their types before any write.
    type: dict
  dhcp:
    description: Value of the DHCP custom field (named by O(dhcp_field)).
    type: bool
  cluster:
    description: Value of the cluster custom field (named by O(cluster_field)); the allocation's identity unless O(key)
      is set.
    type: str
  key:
    description:
      - The allocation's identity (with the VRF and site group). Defaults to O(cluster).
      - Stored in the custom field O(key_field); when it differs from O(cluster), O(key_field) must name another custom
        field.
    type: str
  pool:
    description: Carve from this pool prefix (CIDR, in the VRF). Default is every prefix of role O(pool_role) and status
      C(container) in the VRF and site group.
    type: str
  prefix_length:
    description: With O(state=allocated), carve a new prefix of this length (mode b) instead of reserving a free segment
      (mode a).
    type: int
  allocate_vlan:
    description: When carving, also allocate the next free VID of the VLAN group for the segment.
    type: bool
    default: true
  vlan_name:
    description: Name of a carved VLAN. Defaults to the allocation key. VLAN names are unique per group, which also
      guards the identity.
    type: str
  release_delete:
    description: With O(state=released), delete the segment (and its orphaned VLAN) instead of returning it to
      O(free_status).
    type: bool
    default: false
  segments:
    description: Many segments in one task, with names resolved once. Each item takes the options above (O(state),
      O(prefix), O(vrf), O(site_group), O(tenant), O(role), O(status), O(description), O(vlan), O(vlan_group),
      O(custom_fields), O(dhcp), O(cluster), O(key), O(pool), O(prefix_length), O(allocate_vlan), O(vlan_name),
      O(release_delete)); top-level values are the defaults.
    type: list
    elements: dict
    suboptions:
      state:
        description: See O(state).
        type: str
        choices: [present, absent, allocated, released]
      prefix:
        description: See O(prefix).
        type: str
      vrf:
        description: See O(vrf).
        type: str
      site_group:
        description: See O(site_group).
        type: str
      tenant:
        description: See O(tenant).
        type: str
      role:
        description: See O(role).
        type: str
      status:
        description: See O(status).
        type: str
        choices: [container, active, reserved, deprecated]
      description:
        description: See O(description).
        type: str
      vlan:
        description: See O(vlan).
        type: dict
        suboptions:
          vid:
            description: VLAN ID, 1-4094.
            type: int
            required: true
          name:
            description: VLAN name.
            type: str
      vlan_group:
        description: See O(vlan_group).
        type: str
      custom_fields:
        description: See O(custom_fields).
        type: dict
      dhcp:
        description: See O(dhcp).
        type: bool
      cluster:
        description: See O(cluster).
        type: str
      key:
        description: See O(key).
        type: str
      pool:
        description: See O(pool).
        type: str
      prefix_length:
        description: See O(prefix_length).
        type: int
      allocate_vlan:
        description: See O(allocate_vlan).
        type: bool
      vlan_name:
        description: See O(vlan_name).
        type: str
      release_delete:
        description: See O(release_delete).
        type: bool
  dhcp_field:
    description: Name of the prefix custom field that O(dhcp) sets.
    type: str
    default: dhcp_enabled
  cluster_field:
    description: Name of the prefix custom field that holds the cluster; empty means the segment is free.
    type: str
    default: cluster_name
  key_field:
    description: Name of the prefix custom field that holds the allocation key. Defaults to O(cluster_field).
    type: str
  free_status:
    description: Status of a free segment (filter when reserving, status after a release).
    type: str
    choices: [container, active, reserved, deprecated]
    default: active
  reserved_status:
    description: Status a reserved segment gets.
    type: str
    choices: [container, active, reserved, deprecated]
    default: reserved
  pool_role:
    description: Prefix role of the pool prefixes to carve from (with status C(container)).
    type: str
    default: pool
  claim_timeout:
    description:
      - Seconds after which a claim marker on a segment that is still free counts as abandoned (its allocation was
        interrupted between claiming and writing) and may be taken over. V(0) never takes over.
      - Must be far longer than one NetBox request including its retries.
    type: int
    default: 900
# END generated options
notes:
  - Run on the controller, with C(hosts=localhost) or C(delegate_to=localhost).
"""

EXAMPLES = r"""
- name: Give cluster k8s-a a free web segment in prod / dc-east (idempotent)
  sot.netbox.netbox_segment:
    state: allocated
    vrf: prod
    site_group: dc-east
    role: web
    cluster: k8s-a
    dhcp: true
  register: seg

- name: Carve a /26 and the next VID for cluster k8s-b from the dc-west pool
  sot.netbox.netbox_segment:
    state: allocated
    vrf: prod
    site_group: dc-west
    role: db
    cluster: k8s-b
    prefix_length: 26

- name: Manage known segments in one task (lookups resolved once)
  sot.netbox.netbox_segment:
    vrf: dev
    site_group: dc-east
    tenant: platform
    segments:
      - prefix: 10.41.0.0/24
        role: web
        vlan: {vid: 100, name: web}
      - prefix: 10.41.1.0/24
        role: db
        vlan: {vid: 200, name: db}
        dhcp: true

- name: Release the segment of k8s-a
  sot.netbox.netbox_segment:
    state: released
    vrf: prod
    site_group: dc-east
    cluster: k8s-a
"""

RETURN = r"""
segments:
  description: Every requested segment after the task (or as it would be, in check mode), in order.
  returned: always
  type: list
  elements: dict
  contains:
    id: {description: Prefix id (null for a planned one in check mode)., type: int}
    prefix: {description: The prefix., type: str, sample: 10.20.3.0/24}
    vrf: {description: VRF name., type: str}
    vrf_id: {description: VRF id., type: int}
    site_group: {description: Site group name., type: str}
    site_group_id: {description: Site group id., type: int}
    tenant: {description: Tenant name., type: str}
    tenant_id: {description: Tenant id., type: int}
    role: {description: Role name., type: str}
    role_id: {description: Role id., type: int}
    status: {description: Prefix status., type: str}
    description: {description: Prefix description (at most 200 characters)., type: str}
    vlan: {description: "VLAN as id, vid, name, group, group_id; null without one.", type: dict}
    custom_fields: {description: Custom fields of the prefix., type: dict}
    action: {description: "What happened: create, update, delete, reserve, carve, release or none.", type: str}
    state: {description: The requested state., type: str}
    key: {description: "The allocation key (identity), if any.", type: str}
    changes: {description: "Per changed field, before and after by names.", type: dict}
  sample:
    - {id: 3, prefix: 10.20.3.0/24, vrf: prod, vrf_id: 1, site_group: dc-east, site_group_id: 1, tenant: platform,
       tenant_id: 1, role: web, role_id: 1, status: reserved, description: free segment 10.20.3.0/24,
       vlan: {id: 3, vid: 1003, name: seg-1003, group: null, group_id: null},
       custom_fields: {cluster_name: k8s-a, dhcp_enabled: true}, action: reserve, state: allocated, key: k8s-a,
       changes: {status: {before: active, after: reserved}}}
segment:
  description: The segment, when the task handled exactly one.
  returned: when one segment was requested
  type: dict
metrics:
  description: Client metrics of the task (requests by method, cache hits and misses, seconds).
  returned: always
  type: dict
  sample: {requests: 3, requests_by_method: {GET: 1, POST: 2}, cache_hits: 6, cache_misses: 0}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sot.netbox.plugins.module_utils._module import argument_spec, run_module
from ansible_collections.sot.netbox.plugins.module_utils._segment.fields import argspec
from ansible_collections.sot.netbox.plugins.module_utils._segment.runner import run

OPTIONS = argspec()   # from the field table, like the options of DOCUMENTATION


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(**OPTIONS), supports_check_mode=True)
    run_module(module, run)


if __name__ == "__main__":
    main()
