# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_inventory/fetch.py: reading a plan through the shared client (fake HTTP)."""
from __future__ import annotations

import threading

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._errors import AuthenticationFailed, PermissionDenied
from ansible_collections.sot.netbox.plugins.module_utils._inventory import build as b
from ansible_collections.sot.netbox.plugins.module_utils._inventory.fetch import fetch, query_params
from ansible_collections.sot.netbox.plugins.module_utils._inventory.plan import plan_fetch
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.fakes import FakeResponse
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.inventory.helpers import HOST, NETBOX, fake_client, netbox_routes, settings


def test_query_params_repeat_names():
    assert query_params([("role", "a"), ("role", "b"), ("site", "x")]) == {"role": ["a", "b"], "site": "x"}


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


def test_fetch_hands_over_host_pages_as_they_arrive():
    seen = []
    client = fake_client(netbox_routes())[0]
    data = fetch(client, plan_fetch(settings()), on_rows=lambda kind, rows: seen.append((kind, rows)))
    for kind, records in (("device", data["devices"]), ("vm", data["vms"])):
        chunks = [rows for k, rows in seen if k == kind]
        assert chunks[-1] is None  # then complete
        assert [r for rows in chunks[:-1] for r in rows] == records
        assert all(0 < len(rows) <= 5 for rows in chunks[:-1])  # one page (page_size 5) at a time
