# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import json
from unittest.mock import patch

import pytest
from ansible.module_utils import basic
from ansible_collections.sot.netbox.tests.unit.compat import patch_module_args

from ansible_collections.sot.netbox.plugins.module_utils import _module
from ansible_collections.sot.netbox.plugins.module_utils._client import NetboxClient
from ansible_collections.sot.netbox.plugins.modules import netbox_plan_generate
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.fakes import FakeResponse, FakeSession, paged
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.plan.helpers import (
    SMALL, catalog, plan_dict)

TOKEN = "0123456789abcdef0123456789abcdef01234567"


class Exit(Exception):
    pass


def netbox_routes(record=None):
    cat = catalog()
    types = [{"id": i, "model": m, "slug": m.lower().replace(" ", "-")} for i, m in enumerate(cat.ports, 1)]
    templates, tid = [], 1
    for t in types:
        for port, kind in cat.ports[t["model"]].items():
            templates.append({"id": tid, "name": port, "type": {"value": kind}, "device_type": {"id": t["id"]}})
            tid += 1
    no_tag = FakeResponse(400, {"tag": ["Select a valid choice. sot-plan-t-small is not one of the available choices."]})
    return {
        ("GET", "/api/dcim/device-types/"): paged(types),
        ("GET", "/api/dcim/device-roles/"): paged([{"id": i, "name": r, "slug": r} for i, r in enumerate(cat.roles, 1)]),
        ("GET", "/api/dcim/sites/"): paged([{"id": 4, "name": "lab1", "slug": "lab1"}]),
        ("GET", "/api/tenancy/tenants/"): paged([{"id": 1, "name": "platform", "slug": "platform"}]),
        ("GET", "/api/dcim/interface-templates/"): paged(templates),
        ("GET", "/api/extras/config-contexts/"): paged([record] if record else []),
        ("GET", "/api/dcim/devices/"): lambda m, p, q, b: no_tag if "tag" in q else paged(
            [{"id": 3, "name": "t-small-srv-02", "site": {"name": "lab1"}, "custom_fields": {}}])(m, p, q, b),
        ("GET", "/api/dcim/cables/"): [no_tag],
    }


def run_module(args, routes, check_mode=True):
    """Run the module with a fake NetBox; `args` without a plan key means no plan option at all."""
    session = FakeSession(routes)
    client = NetboxClient("http://nb.test", TOKEN, session=session, sleep=lambda s: None)
    out = {}

    def exit_json(self, **kw):
        out.update(kw, failed=False)
        raise Exit

    def fail_json(self, **kw):
        out.update(kw, failed=True)
        raise Exit

    args = {"url": "http://nb.test", "token": TOKEN, "_ansible_check_mode": check_mode, **args}
    args = {k: v for k, v in args.items() if v is not None}
    with patch_module_args(args), patch.object(_module, "build_client", return_value=client), \
            patch.multiple(basic.AnsibleModule, exit_json=exit_json, fail_json=fail_json):
        with pytest.raises(Exit):
            netbox_plan_generate.main()
    return out, session


def test_collision_with_a_hand_made_device_fails_before_any_write():
    out, session = run_module({"plan": SMALL, "state": "generated"}, netbox_routes(), check_mode=False)
    assert out["failed"]
    assert "t-small-srv-02" in out["msg"] and "by hand or another tool" in out["msg"]
    assert {c["method"] for c in session.calls} == {"GET"}
    assert out["calculation"]["quantities"] == {"srv": 4, "leaf": 2, "spine": 1}


def test_every_error_at_once_in_one_failure():
    bad = plan_dict(**{"site": "nowhere", "server_classes__0__role": "router",
                       "switch_classes__0__downlinks": "Ethernet60-70"})
    out, session = run_module({"plan": bad, "state": "validated"}, netbox_routes())
    assert out["failed"]
    assert "3 validation error(s)" in out["msg"]
    for fragment in ("plan.site: unknown site; known: lab1 (got 'nowhere')", "unknown device role", "(got 'router')",
                     "Ethernet65"):
        assert fragment in out["msg"]
    assert {c["method"] for c in session.calls} == {"GET"}


def test_check_mode_returns_the_full_change_plan():
    plan = plan_dict(name="t-small", naming={"device": "{plan}-x-{class}-{index}"})
    out, session = run_module({"plan": plan, "state": "generated", "_ansible_diff": True}, netbox_routes())
    assert not out["failed"] and out["changed"]
    assert out["counts"]["devices"] == {"created": 7, "updated": 0, "deleted": 0, "unchanged": 0}
    assert out["changes"]["cables"]["create"][0] == "t-small-x-leaf-1:Ethernet49 -- t-small-x-spine-1:Ethernet1"
    assert "device t-small-x-srv-4" in out["diff"]["after"]
    assert all(o["id"] is None for o in out["objects"]["devices"])
    assert {c["method"] for c in session.calls} == {"GET"}
    assert out["metrics"]["requests"] == len(session.calls)
    json.dumps(out)


def test_approval_gate_refuses_unapproved_content():
    record = {"id": 1, "name": "sot-plan-t-small", "tags": [], "data": {"sot_plan": {"status": "approved",
                                                                                     "plan_hash": "old"}}}
    plan = plan_dict(naming={"device": "{plan}-y-{class}-{index}"})
    out = run_module({"plan": plan, "state": "generated", "require_approval": True}, netbox_routes(record),
                     check_mode=False)[0]
    assert out["failed"] and "is not approved" in out["msg"] and "different plan content" in out["msg"]


@pytest.mark.parametrize("args, fragment", [
    ({"state": "generated", "approve": True}, "approve: true is only valid with state=validated (state is generated)"),
    ({"state": "generated", "batch_size": 0}, "batch_size: must be at least 1"),
    ({"state": "absent", "plan": {}}, "plan.name: required"),
])
def test_bad_options(args, fragment):
    out, session = run_module({"plan": SMALL, **args}, netbox_routes())
    assert out["failed"] and fragment in out["msg"]
    assert session.calls == []


def options_route(field, *values):
    return lambda m, p, q, b: FakeResponse(200, {"actions": {"POST": {field: {
        "type": "choice", "choices": [{"value": v, "display_name": v} for v in values]}}}})


def writes(session):
    return [c for c in session.calls if c["method"] not in ("GET", "OPTIONS")]


@pytest.mark.parametrize("status, ok", [("bogus", False), ("frozen", True)])
def test_an_unknown_status_is_checked_against_netbox_before_any_write(status, ok):
    routes = netbox_routes()
    routes[("OPTIONS", "/api/dcim/devices/")] = options_route("status", "planned", "frozen")
    routes[("OPTIONS", "/api/dcim/cables/")] = options_route("status", "planned", "frozen")
    out, session = run_module({"plan": plan_dict(status=status, name="t-other"), "state": "validated"}, routes)
    assert {c["method"] for c in session.calls if c["method"] == "OPTIONS"} == {"OPTIONS"}
    if ok:
        assert not out["failed"], out["msg"]
    else:
        assert out["failed"] and not writes(session)
        assert {"path": "plan.status", "value": "bogus", "message": "not a NetBox device status; choices: offline, "
                "active, planned, staged, failed, inventory, decommissioning, frozen"} in out["errors"]


def test_every_error_comes_back_as_data():
    bad = plan_dict(**{"server_classes__0__quantity": 0, "switch_classes__0__uplink_to": "nowhere",
                       "server_classes__0__connections__0__ports": ["eno1", "eth9"], "site": "nowhere"})
    out, session = run_module({"plan": bad, "state": "validated"}, netbox_routes(), check_mode=False)
    assert out["failed"] and not writes(session)
    paths = {e["path"] for e in out["errors"]}
    assert {"plan.server_classes[0].quantity", "plan.switch_classes[0].uplink_to", "plan.site",
            "plan.server_classes[0].connections[0].ports"} <= paths
    assert "(got True)" not in out["msg"]


def test_a_bound_fails_before_any_request():
    bad = plan_dict(switch_classes__0__downlinks="Ethernet49-9999999")
    out, session = run_module({"plan": bad, "state": "generated", "limits": {"ports": 64}}, netbox_routes(),
                              check_mode=False)
    assert out["failed"] and "range has 9999951 ports; at most 64 more fit the limit (option limits.ports)" in out["msg"]
    assert not writes(session)


def test_plan_file_is_parsed_by_the_module(tmp_path):
    path = tmp_path / "plan.yml"
    path.write_text(json.dumps(plan_dict(name="t-file", site=4)))
    out, session = run_module({"plan_file": str(path), "state": "validated"}, netbox_routes())
    assert not out["failed"], out["msg"]
    assert out["plan"]["site"] == "lab1" and out["calculation"]["quantities"]["srv"] == 4
    by_name = run_module({"plan": plan_dict(name="t-file"), "state": "validated"}, netbox_routes())[0]
    assert by_name["plan"]["hash"] == out["plan"]["hash"]  # site by id and by name: the same content


def test_plan_and_plan_file_are_exclusive_and_one_is_required(tmp_path):
    out, session = run_module({"plan": SMALL, "plan_file": str(tmp_path / "x.yml")}, netbox_routes())
    assert out["failed"] and "mutually exclusive" in out["msg"] and session.calls == []
    out, session = run_module({}, netbox_routes())
    assert out["failed"] and "one of the following is required: plan, plan_file" in out["msg"]


def test_absent_validates_the_name_before_any_request():
    out, session = run_module({"plan": {"name": "n" * 5000}, "state": "absent"}, netbox_routes())
    assert out["failed"] and "plan.name: longer than 50 characters (5000)" in out["msg"] and session.calls == []


def test_diff_keeps_non_ascii_names_as_written():
    plan = plan_dict(name="t-zurich", naming={"device": "Zürich-{class}-{index}"})
    out = run_module({"plan": plan, "state": "generated", "_ansible_diff": True}, netbox_routes())[0]
    assert "device Zürich-srv-1" in out["diff"]["after"] and "\\u00fc" not in json.dumps(out["diff"], ensure_ascii=False)
