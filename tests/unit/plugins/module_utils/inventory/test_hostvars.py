# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_inventory/hostvars.py: group names and values, ansible_host, hostname and host vars of one host."""
from __future__ import annotations

import datetime

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._inventory import hostvars as h
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.inventory.helpers import CTX, HOST, settings


@pytest.mark.parametrize("prefix,value,raw,expected", [
    ("sites", "ams1", False, "sites_ams1"),
    ("sites", "ams1", True, "ams1"),
    ("device_roles", "leaf", False, "device_roles_leaf"),
    ("role", "leaf", False, "role_leaf"),
    ("is_virtual", True, False, "is_virtual"),
    ("is_virtual", True, True, "is_virtual"),
    ("services", "ssh", False, "service_ssh"),
    ("status", "active", False, "status_active"),
])
def test_group_name(prefix, value, raw, expected):
    assert h.group_name(prefix, value, raw) == expected


@pytest.mark.parametrize("key,expected", [
    ("site", ["ams1"]), ("tenant", []), ("rack", ["R01"]), ("tag", ["prod", "edge"]), ("role", ["leaf"]),
    ("platform", ["eos"]), ("device_type", ["dcs"]), ("manufacturer", ["arista"]), ("status", ["active"]),
    ("cluster", ["cl1"]), ("cluster_type", ["vmware"]), ("cluster_group", []), ("rack_role", ["network"]),
    ("is_virtual", []), ("time_zone", ["Europe_Amsterdam"]), ("facility", ["Equinix AM3"]), ("services", []),
])
def test_group_values(key, expected):
    assert h.group_values(key, HOST, CTX) == expected


@pytest.mark.parametrize("when,expected", [
    (datetime.datetime(2026, 1, 15, tzinfo=datetime.timezone.utc), "plus_1"),
    (datetime.datetime(2026, 7, 15, tzinfo=datetime.timezone.utc), "plus_2"),
])
def test_utc_offset(when, expected):
    assert h.group_values("utc_offset", HOST, CTX, now=when) == [expected]
    assert h.utc_offset_name("America/New_York", when).startswith("minus_")
    assert h.utc_offset_name("Not/AZone", when) is None


@pytest.mark.parametrize("opts,expected", [
    ({}, "192.0.2.1"),
    ({"default_ip_version": "ipv6"}, "2001:db8::1"),
    ({"ansible_host_dns_name": True}, "sw1.example.com"),
    ({"default_ip_version": "ipv6", "ansible_host_dns_name": True}, "2001:db8::1"),  # v6 has no DNS name
    ({"oob_ip_as_primary_ip": True}, "198.51.100.9"),
])
def test_ansible_host(opts, expected):
    assert h.ansible_host(HOST, settings(**opts))[0] == expected


def test_ansible_host_falls_back_to_the_other_family():
    only6 = dict(HOST, primary_ip4=None)
    assert h.ansible_host(only6, settings())[0] == "2001:db8::1"
    assert h.ansible_host(dict(only6, primary_ip6=None, oob_ip=None), settings())[0] is None


@pytest.mark.parametrize("opts,host,expected", [
    ({}, HOST, "sw1"),
    ({}, dict(HOST, name=None), None),
    ({"hostname_field": "cost_center"}, HOST, "CC-1"),
    ({"virtual_chassis_name": True}, dict(HOST, virtual_chassis={"name": "vc1", "master": {"id": 7}}), "vc1"),
])
def test_hostname(opts, host, expected):
    assert h.hostname(host, settings(**opts)) == expected


@pytest.mark.parametrize("opts,present,absent", [
    ({}, {"ansible_host": "192.0.2.1", "sites": ["ams1"], "device_roles": ["leaf"], "tags": ["prod", "edge"],
          "custom_fields": {"cost_center": "CC-1"}, "racks": ["R01"], "manufacturers": ["arista"],
          "status": {"value": "active", "label": "Active"}, "is_virtual": False, "cluster": "cl1",
          "oob_ip": "198.51.100.9", "regions": [], "site_groups": [], "locations": [], "services": [],
          "rack_role": "network", "cluster_type": "vmware", "local_context_data": [None], "serial": "SN1"},
     ["tenants", "dns_name", "interfaces", "asset_tag", "cluster_group", "time_zone", "facility", "config_context"]),
    ({"racks": False}, {"sites": ["ams1"]}, ["racks", "rack_role", "locations"]),
    ({"services": False}, {}, ["services"]),
    ({"plurals": False}, {}, ["local_context_data"]),
    ({"flatten_local_context_data": True}, {}, ["local_context_data"]),
    ({"plurals": False}, {"site": "ams1", "role": "leaf", "rack": "R01"}, ["sites", "device_roles"]),
    ({"flatten_custom_fields": True}, {"cost_center": "CC-1"}, ["custom_fields"]),
    ({"dns_name": True}, {"dns_name": "sw1.example.com"}, []),
    ({"group_by": ["rack_role", "cluster_type", "facility", "time_zone"]},
     {"rack_role": "network", "cluster_type": "vmware", "facility": "Equinix AM3", "time_zone": "Europe_Amsterdam"},
     ["cluster_group"]),
    ({"rename_variables": [{"pattern": "^sites$", "repl": "netbox_sites"}]}, {"netbox_sites": ["ams1"]}, ["sites"]),
    ({"services": True, "interfaces": True}, {"services": [], "interfaces": []}, []),
])
def test_host_vars(opts, present, absent):
    hv = h.host_vars(HOST, CTX, settings(**opts))
    for key, value in present.items():
        assert hv[key] == value, key
    for key in absent:
        assert key not in hv, key


@pytest.mark.parametrize("opts,expected", [
    ({"config_context": True}, [{"ntp": "x"}]),
    ({"config_context": True, "plurals": False}, {"ntp": "x"}),
    ({"config_context": True, "flatten_config_context": True}, None),
])
def test_config_context(opts, expected):
    hv = h.host_vars(dict(HOST, config_context={"ntp": "x"}), CTX, settings(**opts))
    if expected is None:
        assert hv["ntp"] == "x" and "config_context" not in hv
    else:
        assert hv["config_context"] == expected


def test_vm_cluster_device_keeps_netboxs_nested_record():
    device = {"id": 3, "url": "http://nb.test/api/dcim/devices/3/", "name": "hv1"}
    record = h.compact_host({"id": 1, "url": "x", "device": device, "site": {"id": 1, "url": "y", "slug": "s"}})
    assert record == {"id": 1, "device": device, "site": {"id": 1, "slug": "s"}}
