# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_segment/domain.py: the plans of present, absent and released, and the first fit in a pool."""
from __future__ import annotations

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._segment import domain
from ansible_collections.sot.netbox.plugins.module_utils._segment.domain import Segment
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.segment.helpers import NAMES, netbox_prefix, spec


@pytest.mark.parametrize("current, desired_vid, action, orphan", [
    (None, 100, "create", None),
    (netbox_prefix(), 100, "none", None),
    (netbox_prefix(), 200, "update", 3),
])
def test_plan_present(current, desired_vid, action, orphan):
    s = spec(prefix="10.20.1.0/24", vrf="prod", site_group="dc-east", vlan={"vid": desired_vid, "name": "web"})
    change = domain.plan_present(s, Segment.from_netbox(current) if current else None)
    assert change.action == action
    assert (change.orphan_vlan or {}).get("id") == orphan


def test_plan_absent_and_diff():
    s = spec(state="absent", prefix="10.20.1.0/24", vrf="prod")
    change = domain.plan_absent(s, Segment.from_netbox(netbox_prefix()))
    assert change.action == "delete" and change.orphan_vlan["vid"] == 100
    assert change.diff()["after"] == {} and change.diff()["before"]["vlan"] == "100 (web)"
    assert domain.plan_absent(s, None).action == "none"


@pytest.mark.parametrize("cluster, delete, action", [(None, False, "none"), ("k", False, "update"), ("k", True, "delete")])
def test_plan_release(cluster, delete, action):
    row = netbox_prefix(status={"value": "reserved"}, custom_fields={"cluster_name": cluster})
    s = spec(state="released", vrf="prod", site_group="dc-east", cluster="k", release_delete=delete)
    change = domain.plan_release(s, Segment.from_netbox(row), NAMES)
    assert change.action == action
    if action == "update":
        assert change.after.status == "active" and change.after.custom_fields["cluster_name"] is None


@pytest.mark.parametrize("available, length, expected", [
    ([{"prefix": "10.41.0.0/20"}], 28, "10.41.0.0/28"),
    ([{"prefix": "10.41.0.0/28"}, {"prefix": "10.41.1.0/24"}], 26, "10.41.1.0/26"),
    ([{"prefix": "10.41.0.0/28"}], 24, None),
])
def test_first_fit(available, length, expected):
    assert domain.first_fit(available, length) == expected
