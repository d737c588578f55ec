# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._errors import InputError, ValidationErrors
from ansible_collections.sot.netbox.plugins.module_utils._export import rows as R

CFS = [{"name": "cost_center", "object_types": ["dcim.device", "virtualization.virtualmachine"]},
       {"name": "rack_power", "object_types": ["dcim.device"]},
       {"name": "dhcp_enabled", "object_types": ["ipam.prefix"]}]
ROLES = [{"slug": "owner", "name": "Owner"}, {"slug": "24x7-ops", "name": "24x7 ops"}]
CATALOG = R.Catalog.build(CFS, ROLES)

DEVICE = {
    "id": 7, "name": "ams1-leaf1", "status": {"value": "active", "label": "Active"},
    "role": {"name": "leaf"}, "tenant": {"name": "platform"}, "site": {"name": "ams1"},
    "location": {"name": "Hall A"}, "rack": {"name": "R02"}, "platform": None,
    "device_type": {"model": "DCS-7060X5-64", "manufacturer": {"name": "Arista"}},
    "serial": "SN1", "asset_tag": None, "primary_ip4": {"address": "192.0.2.10/24"}, "primary_ip6": None,
    "tags": [{"name": "prod"}, {"name": "monitored"}], "comments": 'a "quoted", comma',
    "custom_fields": {"cost_center": "CC-100", "rack_power": 4.0},
}
VM = {"id": 7, "name": "app01", "status": {"value": "active"}, "cluster": {"name": "prod-cl1"},
      "vcpus": 2.0, "memory": 4096, "disk": 50000, "tags": [], "custom_fields": {"cost_center": None}}
ASSIGNMENTS = [
    {"object_type": "dcim.device", "object_id": 7, "contact": {"name": "Zed"}, "role": {"slug": "owner"},
     "priority": {"value": "secondary"}},
    {"object_type": "dcim.device", "object_id": 7, "contact": {"name": "Bob"}, "role": {"slug": "owner"},
     "priority": None},
    {"object_type": "dcim.device", "object_id": 7, "contact": {"name": "Amy"}, "role": {"slug": "owner"},
     "priority": {"value": "primary"}},
    {"object_type": "dcim.device", "object_id": 7, "contact": {"name": "Amy"}, "role": {"slug": "owner"},
     "priority": {"value": "primary"}},
    {"object_type": "virtualization.virtualmachine", "object_id": 7, "contact": {"name": "Vic"},
     "role": {"slug": "24x7-ops"}, "priority": "primary"},
    {"object_type": "dcim.site", "object_id": 7, "contact": {"name": "Site"}, "role": {"slug": "owner"}},
]


def test_catalog_keeps_device_and_vm_custom_fields_and_sorts_roles():
    assert CATALOG.custom_fields == {"cost_center": R.KINDS, "rack_power": (R.DEVICE,)}
    assert CATALOG.roles == ("24x7-ops", "owner")


def test_default_columns_builtin_then_custom_fields_then_contacts():
    fields = [c.field for c in R.select_columns(CATALOG)]
    assert fields[:len(R.DEFAULT_FIELDS)] == list(R.DEFAULT_FIELDS)
    assert fields[len(R.DEFAULT_FIELDS):] == ["cf_cost_center", "cf_rack_power", "contact_24x7_ops", "contact_owner"]


@pytest.mark.parametrize("columns, expected", [
    (["name", "site"], [("name", "name"), ("site", "site")]),
    ([{"field": "name", "header": "Hostname"}, "contact_owner", {"field": "cf_cost_center", "header": "CC"}],
     [("name", "Hostname"), ("contact_owner", "contact_owner"), ("cf_cost_center", "CC")]),
    (["site", "name"], [("site", "site"), ("name", "name")]),
])
def test_columns_option_chooses_renames_and_orders(columns, expected):
    assert [(c.field, c.header) for c in R.select_columns(CATALOG, columns)] == expected


@pytest.mark.parametrize("columns, custom_fields, message", [
    (["name", "nmae"], None, "unknown field 'nmae'"),
    (["cf_nope"], None, "unknown field 'cf_nope'"),
    (["name", {"field": "site", "header": "name"}], None, "header 'name' appears twice"),
    ([{"header": "x"}], None, "columns[0]: must be a field name"),
    ([{"field": "name", "width": 3}], None, "columns[0]: unknown keys ['width']"),
    ([{"field": "name", "header": ""}], None, "columns[0].header"),
    ([], None, "at least one column"),
    (None, ["nope"], "custom_fields: no custom field 'nope'"),
])
def test_bad_columns_are_reported_together(columns, custom_fields, message):
    with pytest.raises(ValidationErrors) as info:
        R.select_columns(CATALOG, columns, custom_fields)
    assert message in info.value.message


def test_custom_fields_option_limits_default_layout():
    fields = [c.field for c in R.select_columns(CATALOG, None, ["cost_center"])]
    assert "cf_cost_center" in fields and "cf_rack_power" not in fields


def test_contacts_grouped_by_role_primary_first_then_name_deduplicated():
    index = R.ContactIndex.from_assignments(ASSIGNMENTS)
    assert index.names(R.DEVICE, 7, "owner") == ("Amy", "Zed", "Bob")
    assert index.names(R.VM, 7, "24x7-ops") == ("Vic",)
    assert index.names(R.VM, 7, "owner") == ()
    assert len(index) == 2  # the site assignment is not ours


def test_device_row_default_layout():
    columns = R.select_columns(CATALOG)
    index = R.ContactIndex.from_assignments(ASSIGNMENTS)
    row = dict(zip([c.header for c in columns], R.build_row(DEVICE, R.DEVICE, columns, index)))
    assert row["name"] == "ams1-leaf1" and row["type"] == "device" and row["status"] == "active"
    assert row["manufacturer"] == "Arista" and row["device_type"] == "DCS-7060X5-64"
    assert row["primary_ip4"] == "192.0.2.10/24" and row["primary_ip6"] == "" and row["platform"] == ""
    assert row["tags"] == "monitored, prod"
    assert row["cf_rack_power"] == "4" and row["cf_cost_center"] == "CC-100"
    assert row["contact_owner"] == "Amy, Zed, Bob" and row["contact_24x7_ops"] == ""
    assert row["vcpus"] == "" and row["comments"] == 'a "quoted", comma'


def test_vm_row_leaves_device_only_columns_empty():
    columns = R.select_columns(CATALOG)
    index = R.ContactIndex.from_assignments(ASSIGNMENTS)
    row = dict(zip([c.header for c in columns], R.build_row(VM, R.VM, columns, index, separator="; ")))
    assert row["type"] == "virtual_machine" and row["vcpus"] == "2" and row["memory"] == "4096"
    assert row["rack"] == "" and row["cf_rack_power"] == "" and row["cf_cost_center"] == ""
    assert row["contact_24x7_ops"] == "Vic" and row["contact_owner"] == ""


def test_per_kind_columns_drop_type_and_other_kinds_fields():
    columns = R.select_columns(CATALOG)
    dev = [c.field for c in R.columns_for(columns, R.DEVICE)]
    vm = [c.field for c in R.columns_for(columns, R.VM)]
    assert "type" not in dev and "vcpus" not in dev and "rack" in dev and "cf_rack_power" in dev
    assert "rack" not in vm and "vcpus" in vm and "cf_rack_power" not in vm and "contact_owner" in vm


@pytest.mark.parametrize("columns, kind, fields", [
    (["name", "manufacturer", "device_type"], R.DEVICE, ["device_type", "id", "name"]),
    (["name", "vcpus", "rack"], R.VM, ["id", "name", "vcpus"]),
    (["name", "cf_cost_center", "contact_owner"], R.VM, ["custom_fields", "id", "name"]),
    (["url", "primary_ip4"], R.DEVICE, ["display_url", "id", "name", "primary_ip4"]),
])
def test_api_fields_are_only_what_columns_need(columns, kind, fields):
    assert R.api_fields(R.select_columns(CATALOG, columns), kind) == fields


@pytest.mark.parametrize("value, expected", [
    (None, ""), (True, "true"), (False, "false"), (2.0, "2"), (2.5, "2.5"), (0, "0"),
    ({"name": "x"}, "x"), ({"value": "active", "label": "Active"}, "active"), ({}, ""),
    (["a", {"name": "b"}], "a, b"), ("é", "é"),
])
def test_format_value(value, expected):
    assert R.format_value(value, ", ") == expected


@pytest.mark.parametrize("names, ok", [
    (["platform"], True), (["platform", "cf_cost_center"], True), (["cf_cost_center__ic"], True),
    (["platfrom"], False), (["cf_nope"], False),
])
def test_filter_names_checked_against_schema_and_custom_fields(names, ok):
    known = {"platform", "site", "q"}
    if ok:
        R.check_filter_names("filters", names, "dcim/devices", known, {"cost_center"})
    else:
        with pytest.raises(InputError) as info:
            R.check_filter_names("filters", names, "dcim/devices", known, {"cost_center"})
        assert info.value.field.startswith("filters.") and "silently ignore" in info.value.message
