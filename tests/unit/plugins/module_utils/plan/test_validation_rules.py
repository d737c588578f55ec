# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bounds, name patterns, choice sets, reference spellings and the one-pass rule, table-driven."""
from __future__ import annotations

import time

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._errors import FieldError
from ansible_collections.sot.netbox.plugins.module_utils._plan.checks import check_against, check_bounds, check_plan
from ansible_collections.sot.netbox.plugins.module_utils._plan.choices import FRAGMENT, check_choices, outside
from ansible_collections.sot.netbox.plugins.module_utils._plan.limits import Limits, limits_from_option
from ansible_collections.sot.netbox.plugins.module_utils._plan.model import parse_plan
from ansible_collections.sot.netbox.plugins.module_utils._plan.patterns import pattern_problem
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.plan.helpers import SMALL, catalog, plan_dict


def texts(errors):
    return "\n".join(map(str, errors))


@pytest.mark.parametrize("pattern, fragment", [
    ("{plan.__class__.__mro__}-{index}", "unknown field {plan.__class__.__mro__}"),
    ("{plan}-{index[0]}", "unknown field {index[0]}"),
    ("{plan!r}-{index}", "format '!r' that is not allowed"),
    ("{plan}-{index:{plan}}", "not allowed"),
    ("{plan}-{index:0999999999d}", "not allowed"),
    ("{0}-{index}", "unknown field {0}"),
    ("{}-{index}", "unknown field {}"),
    ("{plan}-{index", "not a valid name pattern"),
    ("{plan}-{class}", "must contain {index}"),
    ("x" * 300 + "{index}", "at most 200 characters"),
    ("{site}-{index:x}", "not allowed"),
])
def test_name_patterns_may_name_only_the_documented_fields(pattern, fragment):
    assert fragment in (pattern_problem(pattern) or ""), pattern_problem(pattern)


@pytest.mark.parametrize("pattern", ["{plan}-{class}-{index:02d}", "{site}/{role}/{index}", "{plan}{index:>3}",
                                     "{plan}-{index:03}"])
def test_good_patterns(pattern):
    assert pattern_problem(pattern) is None


# (changes to the small plan, expected fragment): every bound is checked before expanding.
BOUNDS = [
    ({"switch_classes__0__downlinks": "Ethernet49-9999999"}, "range has 9999951 ports; at most 1024"),
    ({"switch_classes__0__downlinks": "Ethernet1-99999999999999999999"}, "at most 9 digits"),
    ({"switch_classes__0__downlinks": [f"e{i}" for i in range(2000)]}, "lists 2000 items; at most 1024"),
    ({"server_classes__0__quantity": 10 ** 9}, "quantity: at most 1000 (option limits.quantity) (got 1000000000)"),
    ({"switch_classes__0__redundancy": 10 ** 6}, "redundancy: at most 16"),
    ({"switch_classes__0__quantity": 10 ** 12}, "quantity: at most 1000"),
    ({"server_classes__0__quantity": "9" * 5000}, "must be an integer, not a str"),
    ({"name": "p" * 5000}, "plan.name: longer than 50 characters (5000)"),
    ({"site": "s" * 300}, "plan.site: longer than 100 characters"),
    ({"server_classes__0__interfaces": [{"name": f"x{i}"} for i in range(300)]}, "at most 256"),
    ({"switch_classes__0__interfaces": [{"name": "x" * 70}]}, "longer than 64 characters"),
    ({"switch_classes__0__downlinks": "E" * 70 + "1-2"}, "port name longer than 64 characters"),
]


@pytest.mark.parametrize("changes, fragment", BOUNDS)
def test_bounds_fail_fast(changes, fragment):
    started = time.monotonic()
    plan, errors = parse_plan(plan_dict(**changes))
    errors += check_plan(plan) + check_bounds(plan)
    assert fragment in texts(errors)
    assert time.monotonic() - started < 1


def test_plan_wide_bounds_and_overrides():
    data = plan_dict(server_classes__0__quantity=900, server_classes__0__connections=[
        {"ports": ["eno1", "eno2"], "to": "leaf"}])
    plan, errors = parse_plan(data, Limits(devices=100, links=1000))
    assert errors == []
    text = texts(check_bounds(plan, Limits(devices=100, links=1000)))
    assert "asks for 900 devices; at most 100 per plan (option limits.devices)" in text
    assert "asks for 1800 server links; at most 1000 per plan (option limits.links)" in text
    assert check_bounds(plan, Limits()) == []


@pytest.mark.parametrize("value, fragment", [
    ({"ports": 0}, "limits.ports: must be an integer from 1"),
    ({"bogus": 3}, "limits.bogus: unknown limit"),
    ({"quantity": True}, "limits.quantity: must be an integer"),
    ("many", "limits: must be a mapping"),
])
def test_limits_option(value, fragment):
    assert fragment in texts(limits_from_option(value)[1])


def test_limits_option_overrides():
    limits, errors = limits_from_option({"ports": 5000, "quantity": 2})
    assert errors == [] and limits.ports == 5000 and limits.quantity == 2 and limits.devices == Limits().devices


@pytest.mark.parametrize("changes, fragment", [
    ({"status": "bogus"}, "plan.status: not a NetBox device status; choices: offline, active"),
    ({"status": "active"}, "plan.status: not a NetBox cable status; choices: connected"),
    ({"status": "active", "cable_status": "wired"}, "plan.cable_status: not a NetBox cable status"),
    ({"switch_classes__0__cable_type": "cat99"}, "switch_classes[0].cable_type: not a NetBox cable type"),
    ({"server_classes__0__connections__0__cable_type": "string"}, "connections[0].cable_type: not a NetBox cable"),
    ({"switch_classes__0__interfaces": [{"name": "lo9", "type": "warp"}]},
     "interfaces[0].type: not a NetBox interface type"),
])
def test_choice_values_are_checked_before_any_write(changes, fragment):
    plan, errors = parse_plan(plan_dict(**changes))
    assert errors == []
    assert fragment in texts(check_choices(plan))
    assert outside(plan)  # such a value is looked up in NetBox's OPTIONS before it is called unknown


def test_choices_netbox_declares_are_accepted():
    plan = parse_plan(plan_dict(status="frozen"))[0]
    known = {k: set(v) for k, v in FRAGMENT.items()}
    known["device_status"].add("frozen")
    known["cable_status"].add("frozen")
    assert check_choices(plan, known) == []
    assert outside(parse_plan(plan_dict(status="active", cable_status="connected"))[0]) == []


def test_one_pass_reports_schema_reference_port_and_quantity_errors_together():
    data = plan_dict(**{"colour": "red", "server_classes__0__quantity": 0, "server_classes__0__role": "router",
                        "switch_classes__0__uplink_to": "nowhere", "switch_classes__0__downlinks": "Ethernet60-70",
                        "status": "bogus"})
    plan, errors = parse_plan(data)
    errors += check_plan(plan) + check_bounds(plan) + check_against(plan, catalog()) + check_choices(plan)
    paths = {e.path for e in errors}
    assert {"plan", "plan.server_classes[0].quantity", "plan.server_classes[0].role",
            "plan.switch_classes[0].uplink_to", "plan.switch_classes[0].downlinks", "plan.status"} <= paths
    assert all(isinstance(e, FieldError) for e in errors)
    as_data = [e.as_dict() for e in errors]
    assert {"path": "plan.server_classes[0].quantity", "message": "must be greater than zero", "value": 0} in as_data


@pytest.mark.parametrize("spelling", [{"site": "lab1"}, {"site": "LAB1-slug"}, {"site": 4}, {"site": "4"}])
def test_a_reference_by_name_slug_or_id_is_the_same_plan(spelling):
    cat = catalog()
    cat.sites.update({"LAB1-slug": "lab1", "4": "lab1"})
    base = parse_plan(plan_dict())[0].resolved(cat.canonical)
    other = parse_plan(plan_dict(**spelling))[0]
    assert check_against(other, cat) == []
    assert other.resolved(cat.canonical).digest() == base.digest()


@pytest.mark.parametrize("value, fragment", [
    (True, "plan.name: must be a string, not a boolean (got True)"),
    ([1], "plan.name: must be a string, not a list"),
    ("a\nb", "plan.name: must not contain NUL or line breaks"),
])
def test_type_errors_say_what_was_typed(value, fragment):
    assert fragment in texts(parse_plan(plan_dict(name=value))[1])


def test_no_message_ends_in_a_bare_got_true():
    errors = parse_plan(plan_dict(**{"server_classes__0__quantity": True, "switch_classes__0__redundancy": False}))[1]
    for error in map(str, errors):
        assert "not a boolean (got" in error, error


def test_examples_use_only_builtin_choices():
    assert outside(parse_plan(SMALL)[0]) == []
