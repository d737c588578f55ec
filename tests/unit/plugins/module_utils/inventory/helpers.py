# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared fixtures of the inventory unit tests: the recorded sample NetBox (tests/unit/plugins/inventory/fixtures,
beside record.py that writes it), a settings maker, a sample host, the fake HTTP client in front of the recorded data
and a fake NetBox whose data and change log change between load() runs."""
from __future__ import annotations

import ast
import copy
import json
import os

from ansible_collections.sot.netbox.plugins.module_utils._client import NetboxClient
from ansible_collections.sot.netbox.plugins.module_utils._inventory.hostvars import Context
from ansible_collections.sot.netbox.plugins.module_utils._inventory.plan import TABLES
from ansible_collections.sot.netbox.plugins.module_utils._inventory.runner import load
from ansible_collections.sot.netbox.plugins.module_utils._inventory.settings import settings_from
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.fakes import FakeResponse, FakeSession, paged

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "inventory", "fixtures")
RESERVED = frozenset(("tags", "serial", "environment", "name", "hosts", "vars"))


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as handle:
        return json.load(handle)


NETBOX = fixture("netbox.json")


def options(**kw):
    return kw.get


def settings(**kw):
    return settings_from(options(**kw))


HOST = {"id": 7, "name": "sw1", "site": {"id": 1, "slug": "ams1"}, "role": {"id": 2, "slug": "leaf"},
        "tenant": None, "platform": {"id": 3, "slug": "eos"}, "rack": {"id": 4, "name": "R01"},
        "device_type": {"id": 5, "slug": "dcs", "manufacturer": {"id": 6, "slug": "arista"}},
        "status": {"value": "active", "label": "Active"}, "tags": [{"slug": "prod"}, {"slug": "edge"}],
        "cluster": {"id": 9, "name": "cl1"}, "is_virtual": False,
        "primary_ip4": {"address": "192.0.2.1/24", "dns_name": "sw1.example.com"},
        "primary_ip6": {"address": "2001:db8::1/64", "dns_name": ""},
        "oob_ip": {"address": "198.51.100.9/24"}, "custom_fields": {"cost_center": "CC-1", "empty": None},
        "serial": "SN1", "asset_tag": None, "local_context_data": None, "virtual_chassis": None}


CTX = Context({"clusters": [{"id": 9, "type": {"slug": "vmware"}, "group": None}],
               "racks": [{"id": 4, "role": {"slug": "network"}}],
               "sites": [{"id": 1, "slug": "ams1", "time_zone": "Europe/Amsterdam", "facility": "Equinix AM3"}]})


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


class FakeNetbox:
    """The sample data behind fake HTTP, with a change log that records what the tests change."""

    def __init__(self):
        self.devices = copy.deepcopy(NETBOX["devices"])
        self.vms = copy.deepcopy(NETBOX["vms"])
        self.log, self.clock, self.session = [], 0, None

    def record(self, otype, oid, action="update"):
        self.clock += 1
        self.log.append({"id": len(self.log) + 1, "time": f"2026-12-01T10:{self.clock // 60:02d}:{self.clock % 60:02d}Z",
                         "action": {"value": action}, "changed_object_type": otype, "changed_object_id": oid})

    def lister(self, rows_of):
        def route(method, path, params, body):
            rows = rows_of()
            if "id" in params:
                wanted = set(ast.literal_eval(params["id"])) if params["id"].startswith("[") else {int(params["id"])}
                rows = [r for r in rows if r["id"] in wanted]
            if path.endswith("/object-changes/"):
                rows = [r for r in rows if "time_after" not in params or r["time"] >= params["time_after"]]
                rows = sorted(rows, key=lambda r: r["id"], reverse=params.get("ordering") == "-id")
            limit, offset = int(params.get("limit", 50)), int(params.get("offset", 0))
            nxt = f"http://nb.test{path}?limit={limit}&offset={offset + limit}" if offset + limit < len(rows) else None
            return FakeResponse(200, {"count": len(rows), "next": nxt, "previous": None,
                                      "results": rows[offset:offset + limit]})
        return route

    def client(self, _connection=None):
        routes = {("GET", "/api/dcim/devices/"): self.lister(lambda: self.devices),
                  ("GET", "/api/virtualization/virtual-machines/"): self.lister(lambda: self.vms),
                  ("GET", "/api/ipam/services/"): self.lister(lambda: []),
                  ("GET", "/api/core/object-changes/"): self.lister(lambda: self.log)}
        for name, (endpoint, _fields) in TABLES.items():
            routes[("GET", f"/api/{endpoint}/")] = self.lister(lambda n=name: NETBOX["tables"][n])
        self.session = FakeSession(routes)
        return NetboxClient("http://nb.test", TOKEN, session=self.session, max_workers=4, page_size=1000)


def run(netbox, cache, **opts):
    opts = dict(dict(url="http://nb.test", token=TOKEN, cache=True, group_by=["sites", "tags"]), **opts)
    netbox.session = None
    result = load(opts.get, cache, "k", True, client_factory=netbox.client, now=1000.0)
    return result, len(netbox.session.calls) if netbox.session is not None else 0


def full_read(netbox, **opts):
    return run(netbox, {}, **opts)[0]["inventory"]
