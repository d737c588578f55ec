# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""netbox_plan_generate's write paths under answers that are cut off or lost, against the real NetBox.

For every write path (devices, interfaces, cables, the tag, the status record, and absent's deletes)
and every fault (a 200 whose body is truncated, a connection reset mid-body, a write NetBox applied
whose answer never arrives): the run ends in success or a clear error (no traceback, no exception
name), leaves nothing of the plan behind when it fails, and a re-run converges with no manual cleanup
(generate again, then unchanged, then absent leaves nothing).
"""
from __future__ import annotations

import json
import os
import pathlib
import uuid

import pytest

from ansible_collections.sot.netbox.plugins.module_utils import _errors
from ansible_collections.sot.netbox.plugins.module_utils._connection import build_client
from ansible_collections.sot.netbox.plugins.modules import netbox_plan_generate

import modharness  # pylint: disable=import-error
from faultproxy import FaultProxy, Rule, _reset  # pylint: disable=import-error

URL = os.environ["NETBOX_URL"]
TOKEN = os.environ["NETBOX_TOKEN"]
CUTS = ("truncate", "cut", "lost")
# The client's typed "answer cut off / NetBox may have applied it" error (issue 13 §1) turns a
# truncated or cut body into an ApiError; until it is in _errors.py those faults surface as
# JSONDecodeError/ChunkedEncodingError, which no writer can act on.
CLIENT_TYPES_CUT_OFF = "may_have_applied" in pathlib.Path(_errors.__file__).read_text()


class CuttingProxy(FaultProxy):
    """FaultProxy plus three faults of the answer (the request always reaches NetBox):
    ``truncate``: a 200 (or 201) whose body is cut in half, with a matching Content-Length;
    ``cut``: the full Content-Length announced, half the body sent, then a TCP reset;
    ``lost``: nothing answered at all (reset after NetBox applied the request)."""

    def __init__(self, upstream):
        super().__init__(upstream)
        self.cuts = []

    def cut(self, action, method, path, times=1):
        assert action in CUTS, action
        with self.lock:
            self.cuts.append(Rule(action, method=method, path=path, times=times))

    def clear(self):
        with self.lock:
            self.rules.clear()
            self.cuts.clear()

    def _take_cut(self, method, path):
        with self.lock:
            rule = next((r for r in self.cuts if r.times > 0 and r.matches(method, path)), None)
            if rule is not None:
                rule.times -= 1
        return rule

    def handle(self, req):
        rule = self._take_cut(req.command, req.path)
        if rule is None:
            return super().handle(req)
        length = int(req.headers.get("Content-Length") or 0)
        body = req.rfile.read(length) if length else None
        headers = {k: v for k, v in req.headers.items() if k.lower() not in ("host", "content-length", "connection")}
        upstream = self._session.request(req.command, self.upstream + req.path, data=body, headers=headers,
                                         timeout=120)
        self._record(req.command, req.path, rule.action)
        if rule.action == "lost":
            return _reset(req)
        content = upstream.content
        half = content[:max(1, len(content) // 2)]
        req.send_response(upstream.status_code)
        req.send_header("Content-Type", "application/json")
        req.send_header("Content-Length", str(len(half) if rule.action == "truncate" else len(content)))
        req.end_headers()
        req.wfile.write(half)
        req.wfile.flush()
        if rule.action == "cut":
            return _reset(req)
        return None


def tiny_plan():
    """Three small devices (a 3-port device type as the switch: cheap to instantiate), an extra
    interface per device, two cables: every write path, quickly."""
    return {"name": "cut-" + uuid.uuid4().hex[:6], "site": "lab1",
            "switch_classes": [{"id": "leaf", "device_type": "PowerEdge R760", "role": "leaf",
                                "downlinks": ["eno1", "eno2"], "interfaces": [{"name": "Loopback0", "type": "virtual"}]}],
            "server_classes": [{"id": "srv", "device_type": "PowerEdge R760", "role": "server", "quantity": 2,
                                "connections": [{"ports": ["eno1"], "to": "leaf"}]}]}


@pytest.fixture
def proxy(monkeypatch):
    modharness.install(monkeypatch)
    with CuttingProxy(URL) as p:
        yield p


def run(proxy, plan, state="generated"):
    return modharness.invoke(netbox_plan_generate, {"url": proxy.url, "token": TOKEN, "cache": False, "plan": plan,
                                                    "state": state, "timeout": 120})


def left_in_netbox(name):
    """Everything of the plan in NetBox: by its tag and by its custom field, plus the tag and the record."""
    client = build_client({"url": URL, "token": TOKEN, "cache": False})
    out = {"tag": client.list("extras/tags", {"slug": f"sot-plan-{name}"}, fields=["id"]),
           "record": client.list("extras/config-contexts", {"name": f"sot-plan-{name}"}, fields=["id"])}
    for kind, endpoint in (("devices", "dcim/devices"), ("cables", "dcim/cables")):
        out[kind] = client.list(endpoint, {"cf_sot_plan": name}, fields=["id"])
    return {k: v for k, v in out.items() if v}


def assert_clear(result):
    text = json.dumps(result, default=str)
    assert "Traceback" not in text and not str(result.get("msg", "")).startswith("unexpected error"), result["msg"]


def converges(proxy, plan):
    proxy.clear()
    again = run(proxy, plan)
    assert not again["failed"], again["msg"]
    same = run(proxy, plan)
    assert not same["failed"] and not same["changed"], same.get("msg")
    gone = run(proxy, {"name": plan["name"]}, state="absent")
    assert not gone["failed"], gone["msg"]
    assert left_in_netbox(plan["name"]) == {}


GENERATE_PATHS = [("devices", "POST", "/api/dcim/devices/"), ("interfaces", "POST", "/api/dcim/interfaces/"),
                  ("cables", "POST", "/api/dcim/cables/"), ("tag", "POST", "/api/extras/tags/"),
                  ("record", "POST", "/api/extras/config-contexts/")]


def needs_client(fault):
    return pytest.mark.xfail(fault != "lost" and not CLIENT_TYPES_CUT_OFF, strict=False,
                             reason="needs the client's typed cut-off ApiError (issue 13 §1, client branch)")


@pytest.mark.parametrize("fault", [pytest.param(f, marks=needs_client(f)) for f in CUTS])
@pytest.mark.parametrize("label, method, path", GENERATE_PATHS)
def test_a_generate_write_cut_off_leaves_nothing_and_a_rerun_converges(proxy, label, method, path, fault):
    plan = tiny_plan()
    proxy.cut(fault, method, path)
    try:
        result = run(proxy, plan)
        assert proxy.count(outcome=fault) == 1, f"the {label} write was not hit"
        assert_clear(result)
        if result["failed"]:
            assert left_in_netbox(plan["name"]) == {}, result["msg"]
        converges(proxy, plan)
    finally:
        proxy.clear()
        run(proxy, {"name": plan["name"]}, state="absent")


ABSENT_PATHS = [("cables", "/api/dcim/cables/"), ("devices", "/api/dcim/devices/"),
                ("record", "/api/extras/config-contexts/"), ("tag", "/api/extras/tags/")]


@pytest.mark.parametrize("fault", CUTS)  # a 204 has no body to misread: these hold without the client change
@pytest.mark.parametrize("label, path", ABSENT_PATHS)
def test_an_absent_delete_cut_off_is_found_out_and_a_rerun_converges(proxy, label, path, fault):
    plan = tiny_plan()
    made = run(proxy, plan)
    assert not made["failed"], made["msg"]
    proxy.cut(fault, "DELETE", path)
    try:
        result = run(proxy, {"name": plan["name"]}, state="absent")
        assert proxy.count(outcome=fault) == 1, f"the {label} delete was not hit"
        assert_clear(result)
        proxy.clear()
        again = run(proxy, {"name": plan["name"]}, state="absent")
        assert not again["failed"], again["msg"]
        assert left_in_netbox(plan["name"]) == {}
    finally:
        proxy.clear()
        run(proxy, {"name": plan["name"]}, state="absent")
