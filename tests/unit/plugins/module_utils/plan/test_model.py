# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._plan.checks import check_against, check_plan
from ansible_collections.sot.netbox.plugins.module_utils._plan.model import expand_ports, parse_plan
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.plan.helpers import (
    DELETE, GPU, SMALL, catalog, plan_dict)


@pytest.mark.parametrize("spec, ports", [
    ("Ethernet1-3", ("Ethernet1", "Ethernet2", "Ethernet3")),
    (["gpu0-1", "fe0"], ("gpu0", "gpu1", "fe0")),
    ("Ethernet1/1-2", ("Ethernet1/1", "Ethernet1/2")),
    ("eno1", ("eno1",)),
    (None, ()),
])
def test_expand_ports(spec, ports):
    errors = []
    assert expand_ports(spec, "x", errors) == ports
    assert errors == []


@pytest.mark.parametrize("spec, message", [
    ("Ethernet5-1", "runs backwards"),
    (["eno1", "eno1"], "listed twice"),
    ([{"a": 1}], "not a port name"),
])
def test_expand_ports_errors(spec, message):
    errors = []
    expand_ports(spec, "x", errors)
    assert message in str(errors[0])


def test_examples_are_clean():
    for data in (SMALL, GPU):
        plan, errors = parse_plan(data)
        assert errors == []
        assert check_plan(plan) == []
        assert check_against(plan, catalog()) == []


# (changes to the small plan, phase, expected fragments): one row per validation rule.
CASES = [
    ({"name": DELETE}, "parse", ["plan.name: required"]),
    ({"name": "bad name!"}, "parse", ["plan.name: letters, digits, '.', '_' and '-' only", "(got 'bad name!')"]),
    ({"colour": "red"}, "parse", ["unknown key(s) colour"]),
    ({"server_classes__0__quantity": 0}, "parse", ["quantity: must be greater than zero (got 0)"]),
    ({"server_classes__0__quantity": "many"}, "parse", ["quantity: must be an integer"]),
    ({"server_classes__0__quantity": "\u00b2"}, "parse", ["quantity: must be an integer"]),
    ({"switch_classes__0__redundancy": 0}, "parse", ["redundancy: must be greater than zero"]),
    ({"server_classes__0__connections__0__placement": "zigzag"}, "parse", ["placement: not one of server, rail (got 'zigzag')"]),
    ({"naming": {"device": "{plan}-{klass}{index}"}}, "parse", ["unknown field {klass}"]),
    ({"naming": {"device": "{plan}-{class}"}}, "parse", ["must contain {index}"]),
    ({"switch_classes": "leaf"}, "parse", ["switch_classes: must be a list"]),
    ({"switch_classes__1__id": "leaf"}, "check", ["switch_classes[1].id: duplicate id (also plan.switch_classes[0]) (got 'leaf')"]),
    ({"server_classes__0__connections__0__to": "nowhere"}, "check", ["connections[0].to: unknown switch class; known: leaf, spine (got 'nowhere')"]),
    ({"switch_classes__0__uplink_to": "leaf"}, "check", ["cannot uplink to itself"]),
    ({"switch_classes__0__quantity": 3}, "check", ["not a multiple of redundancy 2"]),
    ({"switch_classes__0__uplinks": "Ethernet40-50"}, "check", ["both downlink and uplink"]),
    ({"server_classes__0__connections": [{"ports": "eno1", "to": "leaf"}, {"ports": "eno1", "to": "leaf"}]},
     "check", ["used by two connections: eno1"]),
    ({"switch_classes__0__uplink_to": DELETE}, "check", ["uplink_to: required when uplinks are listed",
                                                         "zero quantity: nothing connects to 'spine'"]),
    ({"switch_classes__1__uplink_to": "leaf", "switch_classes__1__uplinks": "Ethernet30-31",
      "switch_classes__1__downlinks": "Ethernet1-29"}, "check", ["forms a cycle"]),
    ({"site": "nowhere"}, "catalog", ["plan.site: unknown site; known: ams1, lab1 (got 'nowhere')"]),
    ({"tenant": "nobody"}, "catalog", ["plan.tenant: unknown tenant; known: platform, research (got 'nobody')"]),
    ({"switch_classes__0__device_type": "DCS-9999"}, "catalog", ["device_type: unknown device type; known: DCS-7060X5-64", "(got 'DCS-9999')"]),
    ({"server_classes__0__role": "router"}, "catalog", ["role: unknown device role; known: gpu-server", "(got 'router')"]),
    ({"server_classes__0__connections__0__ports": ["eno1", "eth9"]}, "catalog",
     ["port(s) not on device type 'PowerEdge R760': eth9"]),
    ({"switch_classes__0__downlinks": "Ethernet60-70"}, "catalog", ["Ethernet65, Ethernet66"]),
]


@pytest.mark.parametrize("changes, phase, fragments", CASES)
def test_each_rule_names_field_and_value(changes, phase, fragments):
    plan, errors = parse_plan(plan_dict(**changes))
    if phase in ("check", "catalog"):
        assert errors == []
        errors = check_plan(plan)
    if phase == "catalog":
        assert errors == []
        errors = check_against(plan, catalog())
    text = "\n".join(map(str, errors))
    for fragment in fragments:
        assert fragment in text, text


def test_every_error_is_reported_at_once():
    data = plan_dict(**{"name": DELETE, "server_classes__0__quantity": 0, "switch_classes__0__redundancy": "x",
                        "colour": 1})
    errors = parse_plan(data)[1]
    assert len(errors) == 4


def test_not_a_mapping():
    errors = parse_plan(["not", "a", "plan"])[1]
    assert any("must be a mapping" in str(e) for e in errors)


def test_digest_changes_with_content_only():
    a = parse_plan(plan_dict())[0]
    b = parse_plan(plan_dict())[0]
    c = parse_plan(plan_dict(server_classes__0__quantity=5))[0]
    assert a.digest() == b.digest() != c.digest()
    assert a.to_dict()["server_classes"][0]["quantity"] == 4


def test_slug_and_classes():
    plan = parse_plan(plan_dict(name="My.Plan"))[0]
    assert plan.slug == "sot-plan-my-plan"
    assert set(plan.classes) == {"leaf", "spine", "srv"}
