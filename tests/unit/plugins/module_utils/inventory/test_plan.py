# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_inventory/plan.py: which tables, columns, host queries and extras a run reads."""
from __future__ import annotations

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._inventory.plan import id_batches, plan_fetch, referenced_fields
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.inventory.helpers import settings


ALL_TABLES = {"sites", "regions", "site_groups", "clusters", "locations", "racks"}


@pytest.mark.parametrize("opts,tables,site_columns", [
    # nb_inventory's host vars regions, site_groups, cluster_type/group (and with racks: locations, rack_role)
    # need these tables whatever group_by says; time zones and facilities only for their groupings
    ({}, ALL_TABLES, ("id", "slug", "region", "group")),
    ({"group_by": ["sites", "device_roles", "tags", "region", "location"]}, ALL_TABLES, ("id", "slug", "region", "group")),
    ({"racks": False}, ALL_TABLES - {"locations", "racks"}, ("id", "slug", "region", "group")),
    ({"group_by": ["time_zone"]}, ALL_TABLES, ("id", "slug", "region", "group", "time_zone")),
    ({"group_by": ["utc_offset", "facility"]}, ALL_TABLES, ("id", "slug", "region", "group", "time_zone", "facility")),
])
def test_plan_tables(opts, tables, site_columns):
    plan = plan_fetch(settings(**opts))
    assert set(plan.tables) == tables and plan.tables["sites"] == ("dcim/sites", site_columns)
    assert [q.kind for q in plan.hosts] == ["device", "vm"]


def test_plan_site_columns_and_fields():
    plan = plan_fetch(settings(group_by=["region"], config_context=True, extra_fields=["description", "bogus"]),
                      templates=["description | upper", "rack.name", "last_updated"])
    device = plan.hosts[0]
    assert "config_context" in device.fields and "description" in device.fields
    assert "last_updated" in device.fields and "bogus" not in device.fields


@pytest.mark.parametrize("opts,kinds,params", [
    ({"query_filters": [{"rack_id": 4}]}, ["device"], {"device": (("rack_id", "4"),)}),
    ({"query_filters": [{"cluster_type": "vmware"}]}, ["vm"], {"vm": (("cluster_type", "vmware"),)}),
    ({"query_filters": [{"rack_id": 4}], "vm_query_filters": [{"status": "active"}]}, ["device", "vm"],
     {"device": (("rack_id", "4"),), "vm": (("status", "active"),)}),
    ({"query_filters": [{"tenant__n": "x"}, {"has_primary_ip": True}]}, ["device", "vm"],
     {"device": (("tenant__n", "x"), ("has_primary_ip", "true")), "vm": (("tenant__n", "x"), ("has_primary_ip", "true"))}),
    ({"virtual_machines": False}, ["device"], {"device": ()}),
])
def test_plan_routes_filters_like_nb_inventory(opts, kinds, params):
    plan = plan_fetch(settings(**opts))
    assert [q.kind for q in plan.hosts] == kinds
    assert {q.kind: q.params for q in plan.hosts} == params


def test_plan_extras():
    plan = plan_fetch(settings(interfaces=True, services=True, device_query_filters=[{"site": "a"}]))
    assert plan.extras == ("device_interfaces", "vm_interfaces", "device_ips", "vm_ips", "device_services",
                           "vm_services")
    assert plan.filtered


def test_referenced_fields_and_id_batches():
    assert referenced_fields(["description", "rack.name", "x.description"], {"description", "name", "rack"}) == \
        ["description", "rack"]
    batches = list(id_batches(range(1, 1001), "device_id", budget=200))
    assert sum(len(x) for x in batches) == 1000
    assert all(sum(len("device_id") + len(str(i)) + 2 for i in x) <= 200 for x in batches)
