# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sot.netbox.inventory: planning, fetching (fake HTTP), grouping, naming and host vars.

Fixtures are recorded from the sample NetBox (fixtures/record.py): `netbox.json` holds what NetBox
returned, `nb_<variant>.json` what netbox.netbox.nb_inventory made of it. The same records built by
our pure layer must give nb_inventory's hosts, group memberships and shared host vars.
"""
from __future__ import annotations

import datetime
import json
import os
import sys
import threading

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._client import NetboxClient
from ansible_collections.sot.netbox.plugins.module_utils._errors import (
    AuthenticationFailed, InputError, PermissionDenied, ValidationErrors)
from ansible_collections.sot.netbox.plugins.module_utils._inventory import build as b
from ansible_collections.sot.netbox.plugins.module_utils._inventory.fetch import fetch, query_params
from ansible_collections.sot.netbox.plugins.module_utils._inventory.plan import TABLES, id_batches, plan_fetch, referenced_fields
from ansible_collections.sot.netbox.plugins.module_utils._inventory.runner import Populator, load
from ansible_collections.sot.netbox.plugins.module_utils._inventory.settings import (
    client_options, settings_from, unsupported_warnings)
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.fakes import FakeResponse, FakeSession, paged

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "integration", "targets", "inventory"))
from compare_inventories import compare, unwrap  # noqa: E402  pylint: disable=wrong-import-position

RESERVED = frozenset(("tags", "serial", "environment", "name", "hosts", "vars"))


def fixture(name):
    with open(os.path.join(HERE, "fixtures", name), encoding="utf-8") as handle:
        return json.load(handle)


NETBOX = fixture("netbox.json")


def options(**kw):
    return kw.get


def settings(**kw):
    return settings_from(options(**kw))


def as_listing(built):
    """Our built inventory in `ansible-inventory --list` shape (for compare_inventories)."""
    listing = {"_meta": {"hostvars": {n: h["vars"] for n, h in built["hosts"].items()}}}
    for name, group in built["groups"].items():
        listing[name] = {k: v for k, v in group.items() if v}
    return listing


def nb_options(variant):
    """The options of each recorded nb_inventory variant (fixtures/record.py); nb_inventory's defaults otherwise."""
    return {
        "defaults": {},
        "plurals": dict(group_by=["sites", "device_roles", "tags", "region", "site_group", "location", "is_virtual",
                                  "status", "cluster", "cluster_type", "cluster_group", "rack_role", "platforms",
                                  "tenants", "manufacturers", "device_types", "racks", "time_zone", "facility"]),
        "singular_raw": dict(plurals=False, group_names_raw=True,
                             group_by=["site", "role", "tag", "platform", "tenant", "device_type", "manufacturer",
                                       "rack", "location", "status"]),
        "filtered": dict(group_by=["sites", "device_roles"], query_filters=[{"role": "leaf"}, {"role": "application"}],
                         device_query_filters=[{"site": "ams1"}]),
    }[variant]


# nb_inventory asks for exclude=config_context, which NetBox 4.7 ignores, so it sets config_context on every host
# although its own default is config_context: false. Ours keeps that default (NetBox renders it per host).
NB_ONLY_VARS = {"config_context"}


def all_var_names(*listings):
    names = {k for listing in listings for hv in listing["_meta"]["hostvars"].values() for k in hv}
    return sorted(names - NB_ONLY_VARS)


# ---------------------------------------------------------------- compatibility with nb_inventory (recorded)

@pytest.mark.parametrize("variant", ["defaults", "plurals", "singular_raw"])
def test_same_hosts_groups_and_every_host_var_as_nb_inventory(variant):
    built = b.build(NETBOX, settings(**nb_options(variant)), reserved=RESERVED)
    theirs = unwrap(fixture(f"nb_{variant}.json"))
    ours = as_listing(built)
    assert ours["_meta"]["hostvars"] and compare(ours, theirs, all_var_names(ours, theirs)) == []


def test_defaults_give_nb_inventorys_names_and_services():
    hv = as_listing(b.build(NETBOX, settings(), reserved=RESERVED))["_meta"]["hostvars"]
    theirs = unwrap(fixture("nb_defaults.json"))["_meta"]["hostvars"]
    with_services = sorted(h for h, v in theirs.items() if v["services"])
    assert len(with_services) == 2 and all(hv[h]["services"] == theirs[h]["services"] for h in with_services)
    assert theirs[with_services[0]]["services"][0]["url"].startswith("http")  # NetBox's records, URLs kept
    assert all("tags" in v and "serial" in v and "netbox_tags" not in v for v in hv.values())


def test_filtered_hosts_match_nb_inventory():
    """nb_filtered: query_filters role leaf|application, device_query_filters site ams1 (NetBox filtered)."""
    opts = nb_options("filtered")
    plan = plan_fetch(settings(**opts))
    assert {q.kind: q.params for q in plan.hosts} == {
        "device": (("role", "leaf"), ("role", "application"), ("site", "ams1")),
        "vm": (("role", "leaf"), ("role", "application"))}
    data = {"devices": [d for d in NETBOX["devices"] if d["role"]["slug"] in ("leaf", "application")
                        and d["site"]["slug"] == "ams1"],
            "vms": [v for v in NETBOX["vms"] if v["role"]["slug"] in ("leaf", "application")],
            "tables": NETBOX["tables"], "extras": NETBOX["extras"]}
    ours, theirs = as_listing(b.build(data, settings(**opts))), unwrap(fixture("nb_filtered.json"))
    assert compare(ours, theirs, all_var_names(ours, theirs)) == []


# ---------------------------------------------------------------- naming

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
    assert b.group_name(prefix, value, raw) == expected


HOST = {"id": 7, "name": "sw1", "site": {"id": 1, "slug": "ams1"}, "role": {"id": 2, "slug": "leaf"},
        "tenant": None, "platform": {"id": 3, "slug": "eos"}, "rack": {"id": 4, "name": "R01"},
        "device_type": {"id": 5, "slug": "dcs", "manufacturer": {"id": 6, "slug": "arista"}},
        "status": {"value": "active", "label": "Active"}, "tags": [{"slug": "prod"}, {"slug": "edge"}],
        "cluster": {"id": 9, "name": "cl1"}, "is_virtual": False,
        "primary_ip4": {"address": "192.0.2.1/24", "dns_name": "sw1.example.com"},
        "primary_ip6": {"address": "2001:db8::1/64", "dns_name": ""},
        "oob_ip": {"address": "198.51.100.9/24"}, "custom_fields": {"cost_center": "CC-1", "empty": None},
        "serial": "SN1", "asset_tag": None, "local_context_data": None, "virtual_chassis": None}
CTX = b.Context({"clusters": [{"id": 9, "type": {"slug": "vmware"}, "group": None}],
                 "racks": [{"id": 4, "role": {"slug": "network"}}],
                 "sites": [{"id": 1, "slug": "ams1", "time_zone": "Europe/Amsterdam", "facility": "Equinix AM3"}]})


@pytest.mark.parametrize("key,expected", [
    ("site", ["ams1"]), ("tenant", []), ("rack", ["R01"]), ("tag", ["prod", "edge"]), ("role", ["leaf"]),
    ("platform", ["eos"]), ("device_type", ["dcs"]), ("manufacturer", ["arista"]), ("status", ["active"]),
    ("cluster", ["cl1"]), ("cluster_type", ["vmware"]), ("cluster_group", []), ("rack_role", ["network"]),
    ("is_virtual", []), ("time_zone", ["Europe_Amsterdam"]), ("facility", ["Equinix AM3"]), ("services", []),
])
def test_group_values(key, expected):
    assert b.group_values(key, HOST, CTX) == expected


@pytest.mark.parametrize("when,expected", [
    (datetime.datetime(2026, 1, 15, tzinfo=datetime.timezone.utc), "plus_1"),
    (datetime.datetime(2026, 7, 15, tzinfo=datetime.timezone.utc), "plus_2"),
])
def test_utc_offset(when, expected):
    assert b.group_values("utc_offset", HOST, CTX, now=when) == [expected]
    assert b.utc_offset_name("America/New_York", when).startswith("minus_")
    assert b.utc_offset_name("Not/AZone", when) is None


@pytest.mark.parametrize("opts,expected", [
    ({}, "192.0.2.1"),
    ({"default_ip_version": "ipv6"}, "2001:db8::1"),
    ({"ansible_host_dns_name": True}, "sw1.example.com"),
    ({"default_ip_version": "ipv6", "ansible_host_dns_name": True}, "2001:db8::1"),  # v6 has no DNS name
    ({"oob_ip_as_primary_ip": True}, "198.51.100.9"),
])
def test_ansible_host(opts, expected):
    assert b.ansible_host(HOST, settings(**opts))[0] == expected


def test_ansible_host_falls_back_to_the_other_family():
    only6 = dict(HOST, primary_ip4=None)
    assert b.ansible_host(only6, settings())[0] == "2001:db8::1"
    assert b.ansible_host(dict(only6, primary_ip6=None, oob_ip=None), settings())[0] is None


@pytest.mark.parametrize("opts,host,expected", [
    ({}, HOST, "sw1"),
    ({}, dict(HOST, name=None), None),
    ({"hostname_field": "cost_center"}, HOST, "CC-1"),
    ({"virtual_chassis_name": True}, dict(HOST, virtual_chassis={"name": "vc1", "master": {"id": 7}}), "vc1"),
])
def test_hostname(opts, host, expected):
    assert b.hostname(host, settings(**opts)) == expected


# ---------------------------------------------------------------- host vars

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
    hv = b.host_vars(HOST, CTX, settings(**opts))
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
    hv = b.host_vars(dict(HOST, config_context={"ntp": "x"}), CTX, settings(**opts))
    if expected is None:
        assert hv["ntp"] == "x" and "config_context" not in hv
    else:
        assert hv["config_context"] == expected


@pytest.mark.parametrize("prefix,expected_keys", [
    ("netbox_", {"netbox_tags", "netbox_serial"}),
    ("", {"tags", "serial"}),
])
def test_reserved_names_get_the_prefix_but_compose_sees_the_plain_names(prefix, expected_keys):
    built = b.build({"devices": [HOST]}, settings(reserved_var_prefix=prefix), reserved=RESERVED)
    host = built["hosts"]["sw1"]
    assert expected_keys <= set(host["vars"])
    compose_vars, group_vars = b.constructed_vars(host)
    # as nb_inventory: compose sees the NetBox record's tags, groups/keyed_groups the slugs
    assert compose_vars["tags"] == HOST["tags"] and compose_vars["sites"] == ["ams1"]
    assert compose_vars["serial"] == "SN1"
    if prefix:  # Ansible merges the host's (prefixed) vars over these: the plain names come from `moved`
        assert group_vars["tags"] == ["prod", "edge"] and group_vars["serial"] == "SN1"
    assert b.build({"devices": [HOST]}, settings(), reserved=RESERVED, keep_raw=False)["hosts"]["sw1"]["raw"] is None


# ---------------------------------------------------------------- building

def test_build_skips_unnamed_duplicates_and_chassis_members():
    member = dict(HOST, id=8, name="sw1-member", virtual_chassis={"name": "vc", "master": {"id": 7}})
    data = {"devices": [HOST, dict(HOST, id=9, name=None), member], "vms": [dict(HOST, id=7, name="sw1")]}
    built = b.build(data, settings(group_by=["sites"]))
    assert list(built["hosts"]) == ["sw1"]
    assert len(built["warnings"]) == 2
    assert "without a name" in built["warnings"][0] and "sw1" in built["warnings"][1]


def test_build_nests_region_site_location():
    tables = {"sites": [{"id": 1, "slug": "ams1", "region": {"id": 2}, "group": None},
                        {"id": 5, "slug": "empty", "region": {"id": 3}, "group": None}],
              "regions": [{"id": 2, "slug": "nl", "parent": {"id": 3}}, {"id": 3, "slug": "europe", "parent": None}],
              "locations": [{"id": 10, "slug": "hall-a", "parent": None, "site": {"id": 1}},
                            {"id": 11, "slug": "cage-1", "parent": {"id": 10}, "site": {"id": 1}}]}
    in_cage = dict(HOST, location={"id": 11, "slug": "cage-1"})
    no_loc = dict(HOST, id=8, name="sw2", location=None)
    built = b.build({"devices": [in_cage, no_loc], "tables": tables},
                    settings(group_by=["region", "location"]))
    groups = built["groups"]
    assert groups["region_europe"]["children"] == ["region_nl", "sites_empty"]
    assert groups["region_nl"]["children"] == ["sites_ams1"]
    assert groups["sites_ams1"]["children"] == ["location_hall-a"] and groups["sites_ams1"]["hosts"] == ["sw2"]
    assert groups["location_hall-a"]["children"] == ["location_cage-1"]
    assert groups["location_cage-1"]["hosts"] == ["sw1"]
    assert built["hosts"]["sw1"]["vars"]["regions"] == ["nl", "europe"]
    assert built["hosts"]["sw1"]["vars"]["locations"] == ["cage-1", "hall-a"]


def test_attach_extras_interfaces_ips_services():
    extras = {
        "device_interfaces": [{"id": 100, "name": "eth0", "device": {"id": 7}, "tags": [{"slug": "mgmt"}]},
                              {"id": 101, "name": "eth0", "device": {"id": 999}, "tags": []}],
        "device_ips": [{"id": 1, "address": "192.0.2.1/24", "assigned_object_type": "dcim.interface",
                        "assigned_object_id": 100}],
        "vm_services": [{"id": 5, "name": "ssh", "parent_object_type": "virtualization.virtualmachine",
                         "parent_object_id": 7}],
    }
    built = b.build({"devices": [HOST], "vms": [dict(HOST, name="vm7")], "extras": extras},
                    settings(interfaces=True, group_by=["services"]))
    iface = built["hosts"]["sw1"]["vars"]["interfaces"]
    assert [i["name"] for i in iface] == ["eth0"] and iface[0]["ip_addresses"][0]["address"] == "192.0.2.1/24"
    assert iface[0]["tags"] == ["mgmt"]
    assert built["hosts"]["vm7"]["vars"]["services"][0]["name"] == "ssh"
    assert built["groups"]["service_ssh"]["hosts"] == ["vm7"]


# ---------------------------------------------------------------- settings and planning

@pytest.mark.parametrize("opts,field", [
    ({"group_by": ["nonsense"]}, "group_by"),
    ({"query_filters": [{"a": 1, "b": 2}]}, "query_filters[0]"),
    ({"query_filters": ["role=leaf"]}, "query_filters[0]"),
    ({"device_query_filters": [{"role": {"x": 1}}]}, "device_query_filters[0]"),
    ({"default_ip_version": "ipv5"}, "default_ip_version"),
    ({"extra_fields": ["Bad Field"]}, "extra_fields"),
    ({"page_size": 5000}, "page_size"),
    ({"devices": False, "virtual_machines": False}, "devices"),
    ({"rename_variables": [{"pattern": "("}]}, "rename_variables[0]"),
    ({"reserved_var_prefix": "9x"}, "reserved_var_prefix"),
    ({"racks": False, "group_by": ["racks"]}, "group_by"),
    ({"racks": False, "group_by": ["location"]}, "group_by"),
    ({"max_uri_length": 10}, "max_uri_length"),
])
def test_settings_errors_name_the_field(opts, field):
    with pytest.raises(InputError) as err:
        settings(**opts)
    assert err.value.field == field


def test_settings_report_every_error_at_once():
    with pytest.raises(ValidationErrors) as err:
        settings(group_by=["x"], default_ip_version="y")
    assert len(err.value.errors) == 2


def test_group_by_spellings_are_normalised():
    assert settings(group_by=["sites", "site", "device_roles", "role", "tags"]).group_by == ("site", "role", "tag")


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


def test_query_params_repeat_names():
    assert query_params([("role", "a"), ("role", "b"), ("site", "x")]) == {"role": ["a", "b"], "site": "x"}


@pytest.mark.parametrize("opts,expected", [
    ({"url": "http://nb", "token": {"type": "Bearer", "value": "nbt_k.s"}}, {"token": "nbt_k.s"}),
    ({"url": "http://nb", "headers": '{"X-A": "1"}'}, {"headers": {"X-A": "1"}}),
    ({"url": "http://nb", "branch": "review", "branch_timeout": 30.0}, {"branch": "review", "branch_timeout": 30.0}),
])
def test_client_options(opts, expected):
    out = client_options(options(**opts))
    for key, value in expected.items():
        assert out[key] == value
    assert out["cache"] is False


def test_client_options_bad_headers():
    with pytest.raises(InputError) as err:
        client_options(options(headers="{nope"))
    assert err.value.field == "headers"


# ---------------------------------------------------------------- fetching through the shared client (fake HTTP)

TOKEN = "0123456789abcdef0123456789abcdef01234567"


def fake_client(routes):
    session = FakeSession(routes)
    return NetboxClient("http://nb.test", TOKEN, session=session, max_workers=4, page_size=5), session


def netbox_routes(devices=None, vms=None, **extra):
    """The sample NetBox behind fake HTTP: hosts, every lookup table, services (both kinds on one path: none)."""
    routes = {("GET", "/api/dcim/devices/"): paged(devices if devices is not None else NETBOX["devices"], 5),
              ("GET", "/api/virtualization/virtual-machines/"): paged(vms if vms is not None else NETBOX["vms"], 5),
              ("GET", "/api/ipam/services/"): paged([], 5)}
    for name, (endpoint, _fields) in TABLES.items():
        routes[("GET", f"/api/{endpoint}/")] = paged(NETBOX["tables"][name], 5)
    for name, (path, rows) in extra.items():
        routes[("GET", path)] = rows if isinstance(rows, list) and rows and isinstance(rows[0], FakeResponse) \
            else paged(rows, 5)
    return routes


def test_fetch_pages_concurrently_with_fields_and_only_needed_tables():
    client, session = fake_client(netbox_routes())
    session.delay_event = threading.Event()  # the fake holds each request briefly (never set): overlap shows
    data = fetch(client, plan_fetch(settings(group_by=["region", "sites"], services=False, racks=False)))
    assert len(data["devices"]) == len(NETBOX["devices"]) and len(data["vms"]) == len(NETBOX["vms"])
    paths = {c["path"] for c in session.calls}
    assert paths == {"/api/dcim/devices/", "/api/virtualization/virtual-machines/", "/api/dcim/regions/",
                     "/api/dcim/sites/", "/api/dcim/site-groups/", "/api/virtualization/clusters/"}
    device_call = next(c for c in session.calls if c["path"] == "/api/dcim/devices/")
    assert "primary_ip4" in device_call["params"]["fields"] and "config_context" not in device_call["params"]["fields"]
    assert session.max_in_flight > 1
    assert data["warnings"] == []


def test_fetch_services_as_netbox_returns_them():
    service = {"id": 1, "url": "http://nb.test/api/ipam/services/1/", "name": "ssh", "parent_object_id": 1,
               "parent_object_type": "dcim.device", "parent": {"id": 1, "url": "http://nb.test/api/dcim/devices/1/"}}
    client, session = fake_client(netbox_routes(services=("/api/ipam/services/", [service])))
    data = fetch(client, plan_fetch(settings()))
    assert data["extras"]["device_services"] == [service]  # every field, URLs kept (nb_inventory's records)
    calls = [c for c in session.calls if c["path"] == "/api/ipam/services/"]
    assert {c["params"]["parent_object_type"] for c in calls} == {"dcim.device", "virtualization.virtualmachine"}
    assert all("fields" not in c["params"] for c in calls)
    built = b.build(dict(data, devices=[dict(HOST, id=1)], vms=[dict(HOST, id=1, name="vm1")]), settings())
    assert built["hosts"]["sw1"]["vars"]["services"] == [service] and built["hosts"]["vm1"]["vars"]["services"] == []


def test_vm_cluster_device_keeps_netboxs_nested_record():
    device = {"id": 3, "url": "http://nb.test/api/dcim/devices/3/", "name": "hv1"}
    record = b.compact_host({"id": 1, "url": "x", "device": device, "site": {"id": 1, "url": "y", "slug": "s"}})
    assert record == {"id": 1, "device": device, "site": {"id": 1, "slug": "s"}}


@pytest.mark.parametrize("config,expected", [
    ({}, []),
    ({"site_data": False, "fetch_all": False, "follow_redirects": "urllib2"}, []),
    ({"site_data": True}, ["site_data"]),
    ({"prefixes": True, "virtual_disks": True, "follow_redirects": "all"}, ["prefixes", "virtual_disks", "follow_redirects"]),
])
def test_unsupported_nb_inventory_options_warn(config, expected):
    warnings = unsupported_warnings(config)
    assert [w.split()[1] for w in warnings] == expected


@pytest.mark.parametrize("name,accepted", [
    ("nb.yml", True), ("hosts_netbox.yaml", True), ("sot_netbox.yml", True), ("inventory.yml", True),
    ("hosts.ini", False), ("nb.json", False), ("nb.yml.bak", False),
])
def test_verify_file_accepts_any_yaml_file(tmp_path, name, accepted):
    from ansible_collections.sot.netbox.plugins.inventory.inventory import InventoryModule
    path = tmp_path / name
    path.write_text("plugin: sot.netbox.inventory\n")
    assert InventoryModule().verify_file(str(path)) is accepted


def test_max_uri_length_sizes_the_id_batches():
    devices = [dict(HOST, id=i, name=f"d{i}") for i in range(1, 301)]
    short, long_ = [], []
    for limit, seen in ((700, short), (4000, long_)):
        client, session = fake_client(netbox_routes(devices=devices, vms=[]))
        fetch(client, plan_fetch(settings(device_query_filters=[{"site": "ams1"}], max_uri_length=limit)),
              max_uri_length=limit)
        seen.extend(c for c in session.calls if c["path"] == "/api/ipam/services/")
    assert len(short) > len(long_) >= 1


def test_fetch_403_on_optional_table_is_a_warning():
    denied = [FakeResponse(403, {"detail": "You do not have permission to perform this action."})]
    client = fake_client(netbox_routes(racks=("/api/dcim/racks/", denied)))[0]
    data = fetch(client, plan_fetch(settings(group_by=["rack_role"])))
    assert data["tables"]["racks"] == [] and "racks" in data["warnings"][0]


def test_fetch_403_on_hosts_is_an_error():
    routes = netbox_routes()
    routes[("GET", "/api/dcim/devices/")] = [FakeResponse(403, {"detail": "You do not have permission."})]
    client = fake_client(routes)[0]
    with pytest.raises(PermissionDenied):
        fetch(client, plan_fetch(settings()))
    routes[("GET", "/api/dcim/devices/")] = [FakeResponse(403, {"detail": "Invalid v1 token"})]
    client = fake_client(routes)[0]
    with pytest.raises(AuthenticationFailed):
        fetch(client, plan_fetch(settings()))


def test_fetch_extras_for_filtered_hosts_by_id():
    devices = NETBOX["devices"][:3]
    ifaces = [{"id": 1, "name": "eth0", "device": {"id": devices[0]["id"]}, "tags": []}]
    client, session = fake_client(netbox_routes(
        devices=devices, vms=[],
        ifaces=("/api/dcim/interfaces/", ifaces), vmifaces=("/api/virtualization/interfaces/", []),
        ips=("/api/ipam/ip-addresses/", [])))
    data = fetch(client, plan_fetch(settings(interfaces=True, device_query_filters=[{"site": "ams1"}])))
    assert data["extras"]["device_interfaces"] == ifaces
    call = next(c for c in session.calls if c["path"] == "/api/dcim/interfaces/")
    assert "device_id" in call["params"]


# ---------------------------------------------------------------- runner: one cache entry

class Cache(dict):
    pass


def test_load_uses_one_cache_entry_and_refetches_when_options_change():
    calls = []

    def factory(connection):
        client, session = fake_client(netbox_routes())
        calls.append(session)
        return client

    opts = dict(url="http://nb.test", token=TOKEN, cache=True, group_by=["sites"], delta_sync=False)
    cache = Cache()
    first = load(options(**opts), cache, "k", True, client_factory=factory)
    assert first["source"] == "NetBox" and list(cache) == ["k"] and len(calls) == 1
    again = load(options(**opts), cache, "k", True, client_factory=factory)
    assert again["source"] == "cache" and len(calls) == 1
    assert again["inventory"]["groups"] == first["inventory"]["groups"]
    refreshed = load(options(**opts), cache, "k", False, client_factory=factory)  # --flush-cache
    assert refreshed["source"] == "NetBox" and len(calls) == 2
    opts["group_by"] = ["tags"]
    changed = load(options(**opts), cache, "k", True, client_factory=factory)
    assert changed["source"] == "NetBox" and len(calls) == 3
    assert TOKEN not in json.dumps(cache["k"])


def test_load_writes_metrics(tmp_path):
    path = tmp_path / "m.json"
    load(options(url="http://nb.test", token=TOKEN), {}, "k", True, metrics_path=str(path),
         client_factory=lambda c: fake_client(netbox_routes())[0])
    assert json.loads(path.read_text())["requests"] >= 2


def test_equal_small_values_are_shared_between_hosts():
    built = b.build({"devices": [HOST, dict(HOST, id=8, name="sw2")]}, settings(), reserved=RESERVED)
    one, two = built["hosts"]["sw1"]["vars"], built["hosts"]["sw2"]["vars"]
    assert one == dict(two) and one is not two
    for key in ("sites", "status", "custom_fields", "tags", "ansible_host"):
        assert one[key] is two[key], key


def test_fetch_hands_over_host_pages_as_they_arrive():
    seen = []
    client = fake_client(netbox_routes())[0]
    data = fetch(client, plan_fetch(settings()), on_rows=lambda kind, rows: seen.append((kind, rows)))
    for kind, records in (("device", data["devices"]), ("vm", data["vms"])):
        chunks = [rows for k, rows in seen if k == kind]
        assert chunks[-1] is None  # then complete
        assert [r for rows in chunks[:-1] for r in rows] == records
        assert all(0 < len(rows) <= 5 for rows in chunks[:-1])  # one page (page_size 5) at a time


@pytest.mark.parametrize("opts", [
    dict(group_by=["sites", "device_roles", "tags", "is_virtual", "status"]),
    dict(group_by=["region", "location", "site_group", "tags"], compose={"x": "description"}),  # tables: waits
    dict(group_by=["sites"], devices=False),
])
def test_load_hands_over_each_host_as_built_and_builds_what_build_builds(opts):
    routes = netbox_routes(**{name: (f"/api/{endpoint}/", NETBOX["tables"].get(name, []))
                              for name, (endpoint, _fields) in TABLES.items()})
    handed = []
    streamed = load(options(url="http://nb.test", token=TOKEN, **opts), {}, "k", True, reserved=RESERVED,
                    client_factory=lambda c: fake_client(routes)[0], on_host=lambda n, h: handed.append((n, h)))
    whole = load(options(url="http://nb.test", token=TOKEN, **opts), {}, "k", True, reserved=RESERVED,
                 client_factory=lambda c: fake_client(routes)[0])
    assert streamed["inventory"] == whole["inventory"] and streamed["warnings"] == whole["warnings"]
    assert list(streamed["inventory"]["groups"]) == list(whole["inventory"]["groups"])
    assert [n for n, _h in handed] == list(whole["inventory"]["hosts"])
    assert all(h is streamed["inventory"]["hosts"][n] for n, h in handed)


@pytest.mark.parametrize("opts,early", [
    ({"interfaces": True}, True),  # whole tables, read with the first pages: hosts are built as pages arrive
    ({"interfaces": True, "device_query_filters": [{"site": "ams1"}]}, False),  # by host id, after the hosts
])
def test_load_with_interfaces_and_services(opts, early):
    extras = NETBOX["extras"]
    routes = netbox_routes(ifaces=("/api/dcim/interfaces/", extras["device_interfaces"]),
                           vmifaces=("/api/virtualization/interfaces/", extras["vm_interfaces"]),
                           ips=("/api/ipam/ip-addresses/", extras["device_ips"] + extras["vm_ips"]),
                           services=("/api/ipam/services/", extras["device_services"] + extras["vm_services"]))
    handed = []
    result = load(options(url="http://nb.test", token=TOKEN, **opts), {}, "k", True,
                  client_factory=lambda c: fake_client(routes)[0], on_host=lambda n, h: handed.append(n))
    whole = load(options(url="http://nb.test", token=TOKEN, **opts), {}, "k", True,
                 client_factory=lambda c: fake_client(routes)[0])
    assert result["inventory"] == whole["inventory"] and result["inventory"]["hosts"]
    assert handed == (list(whole["inventory"]["hosts"]) if early else [])
    hv = result["inventory"]["hosts"]
    assert any(h["vars"]["interfaces"] for h in hv.values()) and any(h["vars"]["services"] for h in hv.values())


def test_load_streaming_raises_a_fetch_error_in_the_caller():
    routes = netbox_routes()
    routes[("GET", "/api/virtualization/virtual-machines/")] = [FakeResponse(403, {"detail": "Invalid v1 token"})]
    with pytest.raises(AuthenticationFailed):
        load(options(url="http://nb.test", token=TOKEN), {}, "k", True,
             client_factory=lambda c: fake_client(routes)[0], on_host=lambda n, h: None)


class _Inventory:
    """The few InventoryData calls Populator makes."""

    def __init__(self):
        self.hosts, self.groups = {}, {}

    def add_host(self, name):
        self.hosts.setdefault(name, type("Host", (), {"vars": {}, "name": name})())

    def get_host(self, name):
        return self.hosts[name]

    def remove_host(self, entity):
        del self.hosts[entity.name]

    def set_variable(self, name, key, value):
        self.hosts[name].vars[key] = value

    def add_group(self, name):
        self.groups.setdefault(name, [])
        return name

    def add_child(self, group, child):
        self.groups[group].append(child)


class _Plugin:
    def __init__(self):
        self.inventory = _Inventory()

    def get_option(self, name):
        return None


def test_populator_adds_hosts_early_and_discard_takes_them_out():
    built = b.build({"devices": [HOST, dict(HOST, id=8, name="sw2")]}, settings(group_by=["sites"]),
                    reserved=RESERVED)
    plugin = _Plugin()
    populator = Populator(plugin, valid_name=lambda key: True)
    populator.host("sw1", built["hosts"]["sw1"])
    assert list(plugin.inventory.hosts) == ["sw1"] and plugin.inventory.groups == {}
    populator.discard()
    assert plugin.inventory.hosts == {}
    populator.host("sw1", built["hosts"]["sw1"])
    populator.finish(built)  # adds the hosts not handed over yet, then the groups
    assert list(plugin.inventory.hosts) == ["sw1", "sw2"]
    assert plugin.inventory.hosts["sw2"].vars == built["hosts"]["sw2"]["vars"]
    assert plugin.inventory.groups == {name: g["hosts"] for name, g in built["groups"].items()}


def test_populator_leaves_a_host_of_another_source_alone_until_finish():
    built = b.build({"devices": [HOST]}, settings(), reserved=RESERVED)
    plugin = _Plugin()
    plugin.inventory.add_host("sw1")
    plugin.inventory.hosts["sw1"].vars = {"from_other_source": 1}
    populator = Populator(plugin, valid_name=lambda key: True)
    populator.host("sw1", built["hosts"]["sw1"])
    populator.discard()  # a failed run
    assert plugin.inventory.hosts["sw1"].vars == {"from_other_source": 1}
    populator.finish(built)
    assert plugin.inventory.hosts["sw1"].vars["from_other_source"] == 1
    assert plugin.inventory.hosts["sw1"].vars["ansible_host"] == built["hosts"]["sw1"]["vars"]["ansible_host"]


def test_builder_prepares_vms_early_and_still_keeps_the_device_on_a_name_clash():
    device, vm = dict(HOST, is_virtual=False), dict(HOST, id=70, is_virtual=True, vcpus=2)
    other_vm = dict(HOST, id=71, name="vm2", is_virtual=True)
    builder = b.Builder(settings(group_by=["sites", "is_virtual"]), reserved=RESERVED)
    early = builder.prepare([vm, other_vm])  # VM pages came in first
    assert list(builder.register(builder.prepare([device]))) == ["sw1"]
    assert list(builder.register(early)) == ["vm2"]
    built = builder.finish()
    whole = b.build({"devices": [HOST], "vms": [dict(HOST, id=70, vcpus=2), dict(HOST, id=71, name="vm2")]},
                    settings(group_by=["sites", "is_virtual"]), reserved=RESERVED)
    assert built == whole and list(built["groups"]) == list(whole["groups"])
    assert built["hosts"]["sw1"]["vars"]["is_virtual"] is False and "1 host(s) share a name" in built["warnings"][0]
