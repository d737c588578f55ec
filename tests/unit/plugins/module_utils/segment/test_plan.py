# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan, then one writer: the plan is built with reads only and is immutable; the writer applies it."""
from __future__ import annotations

import dataclasses

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._lookups import Lookups
from ansible_collections.sot.netbox.plugins.module_utils._segment import domain
from ansible_collections.sot.netbox.plugins.module_utils._segment.claim import Allocator
from ansible_collections.sot.netbox.plugins.module_utils._segment.plan import Planner, plan_vlan
from ansible_collections.sot.netbox.plugins.module_utils._segment.runner import _ITEM, execute, names_from
from ansible_collections.sot.netbox.plugins.module_utils._segment.store import Store
from ansible_collections.sot.netbox.plugins.module_utils._segment.writer import Writer
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.segment.test_runner import Netbox, params


def _planned(nb, check_mode, **over):
    client = nb.client()
    p = params(**over)
    names = names_from(p)
    specs = domain.parse_all({k: v for k, v in p.items() if k in _ITEM}, p.get("segments"), names)
    store = Store(client, Lookups(client), names)
    allocator = Allocator(client, store, names)
    return Planner(store, allocator, names, check_mode).plan(specs), Writer(client, store, allocator)


def test_the_plan_is_read_only_complete_and_immutable():
    nb = Netbox()
    plan, _writer = _planned(nb, check_mode=False)
    assert nb.writes() == []
    assert [k[2] for k in plan.new_groups] == ["prod-dc-east"]           # the VLAN group creation is planned
    (change,) = plan.changes
    assert change.action == "create" and change.vlan_action == "create"
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.items = ()


def test_the_writer_applies_the_plan_and_leaves_it_as_planned():
    nb = Netbox()
    plan, writer = _planned(nb, check_mode=False)
    (planned,) = plan.changes
    (done,) = writer.apply(plan)
    assert [m for m, _p in nb.writes()] == ["POST", "POST", "POST"]       # group, VLAN, prefix: in this order
    assert [p.rstrip("/").rsplit("/", 1)[-1] for _m, p in nb.writes()] == ["vlan-groups", "vlans", "prefixes"]
    assert done.after.ids["prefix"] and done.after.ids["vlan_group"]
    assert planned.after.ids.get("prefix") is None and planned.after.ids["vlan_group"] is None


def test_check_mode_stops_after_the_plan():
    nb = Netbox()
    result = execute(nb.client(), params(), check_mode=True, want_diff=True)
    assert result["changed"] and nb.writes() == []
    assert result["segment"]["vlan"]["group"] == "prod-dc-east" and result["segment"]["vlan"]["group_id"] is None


def test_plan_vlan_is_pure():
    spec = domain.parse_spec({"state": "present", "prefix": "10.0.0.0/24", "vrf": "p", "site_group": "s",
                              "vlan": {"vid": 7, "name": "new"}}, domain.Names())
    current = domain.Segment(prefix="10.0.0.0/24", vlan_vid=7, vlan_name="old", ids={"vlan": 5})
    change = domain.plan_present(spec, current)
    out = plan_vlan(change, {"id": 3, "name": "p-s"}, {"id": 5, "vid": 7, "name": "old"})
    assert out.vlan_action == "update" and out.action == "update" and out.after.ids["vlan"] == 5
    assert change.vlan_action is None and "vlan_group" not in change.after.ids
