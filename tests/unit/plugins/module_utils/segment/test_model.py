# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_segment/model.py: a segment read from NetBox, its diff by id and in names, the request body."""
from __future__ import annotations

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._segment import model
from ansible_collections.sot.netbox.plugins.module_utils._segment.model import Segment
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.segment.helpers import netbox_prefix


@pytest.mark.parametrize("field, typed", [("vrf", "65000:1"), ("tenant", "platform-slug"), ("role", "3"),
                                          ("site_group", "dc-east-slug")])
def test_references_compare_by_id_not_spelling(field, typed):
    current = Segment.from_netbox(netbox_prefix())
    desired = Segment(**{field: typed})
    desired.ids[field] = current.ids[field]
    assert field not in model.diff_segment(current, desired)
    desired.ids[field] = 99
    assert field in model.diff_segment(current, desired)


def test_from_netbox_reads_names_and_ids():
    seg = Segment.from_netbox(netbox_prefix())
    assert (seg.vrf, seg.site_group, seg.tenant, seg.role, seg.status, seg.vlan) == \
        ("prod", "dc-east", "platform", "web", "active", "100 (web)")
    assert seg.ids == {"prefix": 7, "vrf": 1, "site_group": 1, "tenant": 1, "role": 1, "vlan": 3}


@pytest.mark.parametrize("desired, expected", [
    (Segment(vlan_vid=200, vlan_name="db"), {"vlan": ("100 (web)", "200 (db)")}),
    (Segment(vrf="dev"), {"vrf": ("prod", "dev")}),
    (Segment(vrf="prod", role="web"), {}),
    (Segment(custom_fields={"cluster_name": None}), {}),
    (Segment(custom_fields={"dhcp_enabled": True}), {"custom_fields.dhcp_enabled": (False, True)}),
    (Segment(vlan_vid=100), {}),
])
def test_diff_shows_names(desired, expected):
    assert model.diff_segment(Segment.from_netbox(netbox_prefix()), desired) == expected


def test_body_uses_ids_and_scope():
    body = model.body_for(Segment(prefix="10.0.0.0/24", vrf="prod", site_group="dc-east", role="web", status="active",
                                  custom_fields={"cluster_name": "c"}), {"vrf": 1, "site_group": 2, "role": 3}, 4)
    assert body == {"prefix": "10.0.0.0/24", "vrf": 1, "role": 3, "scope_type": "dcim.sitegroup", "scope_id": 2,
                    "status": "active", "vlan": 4, "custom_fields": {"cluster_name": "c"}}
