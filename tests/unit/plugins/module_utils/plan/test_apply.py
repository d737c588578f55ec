# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import itertools

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._client import NetboxClient
from ansible_collections.sot.netbox.plugins.module_utils._errors import SotNetboxError
from ansible_collections.sot.netbox.plugins.module_utils._domain_errors import PlanWriteFailed
from ansible_collections.sot.netbox.plugins.module_utils._plan.apply import Context, apply
from ansible_collections.sot.netbox.plugins.module_utils._plan.diff import Current, diff
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.fakes import FakeResponse, FakeSession, paged
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.plan.helpers import SMALL, catalog
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.plan.test_diff import desired_of

TOKEN = "0123456789abcdef0123456789abcdef01234567"
REFS = {"device_type": {"DCS-7060X5-64": 1, "DCS-7800R3-36": 2, "PowerEdge R760": 4}, "role": {"leaf": 1, "spine": 2,
        "server": 4}, "site": {"lab1": 4}, "tenant": {"platform": 1}, "location": {}, "rack": {}}


class FakeNetbox:
    """Creates devices with their template interfaces; cables fail when `fail_cables` is set."""

    def __init__(self, fail_cables=False):
        self.ids = itertools.count(500)
        self.devices, self.interfaces, self.cables = {}, {}, {}
        self.fail_cables = fail_cables
        self.deleted = []

    def routes(self):
        return {
            ("POST", "/api/dcim/devices/"): self.create_devices,
            ("POST", "/api/dcim/interfaces/"): self.create("interfaces"),
            ("POST", "/api/dcim/cables/"): self.create_cables,
            ("GET", "/api/dcim/interfaces/"): self.read("interfaces"),
            ("GET", "/api/dcim/devices/"): self.read("devices"),
            ("GET", "/api/dcim/cables/"): self.read("cables"),
            ("DELETE", "/api/dcim/devices/"): self.delete("devices"),
            ("DELETE", "/api/dcim/interfaces/"): self.delete("interfaces"),
            ("DELETE", "/api/dcim/cables/"): self.delete("cables"),
        }

    def read(self, kind):
        def route(method, path, params, body):
            rows = [] if kind == "interfaces" and "tag" in params else list(getattr(self, kind).values())
            return paged(rows)(method, path, params, body)
        return route

    def create_devices(self, method, path, params, body):
        out = []
        models = {v: k for k, v in REFS["device_type"].items()}
        for obj in body:
            row = {**obj, "id": next(self.ids)}
            self.devices[row["id"]] = row
            for port in catalog().ports[models[obj["device_type"]]]:
                iid = next(self.ids)
                self.interfaces[iid] = {"id": iid, "name": port, "device": {"id": row["id"]}}
            out.append(row)
        return FakeResponse(201, out)

    def create(self, kind):
        def route(method, path, params, body):
            rows = [{**obj, "id": next(self.ids)} for obj in body]
            getattr(self, kind).update({r["id"]: r for r in rows})
            return FakeResponse(201, rows)
        return route

    def create_cables(self, method, path, params, body):
        if self.fail_cables:
            return FakeResponse(400, [{"type": ["\"bogus\" is not a valid choice."]}])
        return self.create("cables")(method, path, params, body)

    def delete(self, kind):
        def route(method, path, params, body):
            for obj in body:
                getattr(self, kind).pop(obj["id"], None)
                self.deleted.append((kind, obj["id"]))
            return FakeResponse(204)
        return route


def setup(fail_cables=False):
    netbox = FakeNetbox(fail_cables)
    session = FakeSession(netbox.routes())
    client = NetboxClient("http://nb.test", TOKEN, session=session, sleep=lambda s: None)
    ctx = Context(plan_name="t-small", tag_id=7, refs=REFS, batch_size=5, device_batch_size=3, tag_slug="sot-plan-t")
    return netbox, session, client, ctx


def test_generate_in_bulk_with_few_requests():
    netbox, session, client, ctx = setup()
    journal = apply(client, diff(Current(), desired_of(SMALL)), ctx)
    assert [len(journal.created[k]) for k in ("devices", "interfaces", "cables")] == [7, 2, 12]
    posts = [c for c in session.calls if c["method"] == "POST"]
    # 7 devices in batches of 3, 2 interfaces, 12 cables in batches of 5
    assert [c["path"] for c in posts].count("/api/dcim/devices/") == 3
    assert [c["path"] for c in posts].count("/api/dcim/cables/") == 3
    cable = posts[-1]["body"][0]
    assert cable["a_terminations"][0]["object_type"] == "dcim.interface"
    assert cable["tags"] == [7] and cable["custom_fields"]["sot_plan"] == "t-small"
    device = posts[0]["body"][0]
    assert device["custom_fields"] == {"sot_plan": "t-small", "sot_plan_key": "leaf/1"}
    assert device["device_type"] == 1 and device["tenant"] == 1 and device["site"] == 4
    # one read of the new devices' interfaces, never one per device
    assert [c["path"] for c in session.calls if c["method"] == "GET"] == ["/api/dcim/interfaces/"]


def test_failure_rolls_back_what_this_run_created_in_reverse_order():
    netbox, session, client, ctx = setup(fail_cables=True)
    with pytest.raises(SotNetboxError) as info:
        apply(client, diff(Current(), desired_of(SMALL)), ctx)
    err = info.value
    assert "create cables failed" in err.message and "is not a valid choice" in err.message
    assert err.result["failed_step"] == "create cables"
    assert len(err.result["done"]["created"]["devices"]) == 7
    assert sorted(err.result["rollback"]["deleted"]) == ["devices", "interfaces"]
    kinds = [entry[0] for entry in netbox.deleted]
    assert kinds.index("interfaces") < kinds.index("devices")
    assert netbox.devices == {}
    assert err.result["changed"] is False


def test_rollback_also_removes_objects_the_journal_missed():
    netbox, session, client, ctx = setup(fail_cables=True)
    netbox.devices[42] = {"id": 42, "custom_fields": {"sot_plan": "t-small"}}   # committed by a timed-out request
    netbox.devices[43] = {"id": 43, "custom_fields": {"sot_plan": "other"}}     # someone else's
    with pytest.raises(SotNetboxError) as info:
        apply(client, diff(Current(), desired_of(SMALL)), ctx)
    assert info.value.result["rollback"]["found_after_failure"] == {"devices": [42]}
    assert list(netbox.devices) == [43]


def test_a_failed_write_is_a_named_error_that_keeps_its_cause():
    _netbox, _session, client, ctx = setup(fail_cables=True)
    with pytest.raises(PlanWriteFailed) as info:
        apply(client, diff(Current(), desired_of(SMALL)), ctx)
    assert info.value.plan == "t-small" and isinstance(info.value.__cause__, SotNetboxError)
