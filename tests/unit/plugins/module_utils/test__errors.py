# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._errors import (
    ApplyFailed, ClaimMarkerConflict, ClaimsContended, DomainError, FieldError, InputError, NoFreeSegment, NoPool,
    PlanNotApproved, PoolExhausted, SotNetboxError, ValidationErrors, VlanNameTaken, error_for_status, field_error)


@pytest.mark.parametrize("item, expected", [
    (FieldError("plan.devices[0].quantity", "must be at least 1", 0),
     {"path": "plan.devices[0].quantity", "message": "must be at least 1", "value": 0}),
    (FieldError("segments[1].vrf", "required for state present"),
     {"path": "segments[1].vrf", "message": "required for state present"}),
    (InputError("max_workers", 99, "must be between 1 and 32"),
     {"path": "max_workers", "message": "must be between 1 and 32", "value": 99}),
    ("segments[0].status: must be one of active, reserved (got 'bogus')",
     {"path": "segments[0].status", "message": "must be one of active, reserved (got 'bogus')"}),
    ("a sentence with no path in front", {"path": "", "message": "a sentence with no path in front"}),
])
def test_field_error_as_data(item, expected):
    assert field_error(item).as_dict() == expected


def test_field_error_text_names_path_and_typed_value():
    assert str(FieldError("plan.name", "too long", "Zürich")) == "plan.name: too long (got 'Zürich')"
    assert str(FieldError("plan.name", "required")) == "plan.name: required"


def test_validation_errors_carry_every_error_as_data_and_text():
    exc = ValidationErrors([FieldError("a", "bad", 1), "b.c: missing"], result={"changed": False})
    assert exc.result["errors"] == [{"path": "a", "message": "bad", "value": 1},
                                    {"path": "b.c", "message": "missing"}]
    assert exc.result["changed"] is False
    assert exc.message.splitlines() == ["2 validation error(s):", "- a: bad (got 1)", "- b.c: missing"]


@pytest.mark.parametrize("text, line", [
    ("<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>", "502 Bad Gateway"),
    ("<html><body><h1>Sign in</h1>\n<p>to continue</p></body></html>", "Sign in to continue"),
    ("first line\nsecond line\n", "first line"),
    ("x" * 300, "x" * 200 + "..."),
])
def test_a_non_json_error_page_is_one_line(text, line):
    error = error_for_status(502, "GET", "http://nb/api/status/", text)
    assert error.message.endswith(line) and "\n" not in error.message


@pytest.mark.parametrize("error, message, tried", [
    (NoFreeSegment(label="segments[0]", filters="VRF blue, site group eu, status active"),
     "segments[0]: no free segment matches (VRF blue, site group eu, status active)", "filters"),
    (ClaimsContended(label="segments[1]", candidates=3),
     "segments[1]: all 3 matching free segments were claimed by concurrent allocations while this one ran; "
     "run it again", "candidates"),
    (ClaimMarkerConflict(label="s", marker="claim-1", problem="segment #7, which no longer exists"),
     "s: claim marker 'claim-1' names segment #7, which no longer exists", "marker"),
    (NoPool(label="s", what="pool 10.0.0.0/8", vrf="blue", site_group="eu"),
     "s: no pool 10.0.0.0/8 in VRF blue and site group eu", "what"),
    (PoolExhausted(label="s", prefix_length=24, pools=["10.0.0.0/16", "10.1.0.0/16"]),
     "s: no free /24 left in pool(s) 10.0.0.0/16, 10.1.0.0/16", "pools"),
    (VlanNameTaken(label="s", name="web", group="g1", key="k"),
     "s: VLAN name 'web' is already used in VLAN group 'g1' by a VLAN another segment uses, and no segment "
     "holds key 'k'; delete that VLAN or set vlan_name", "key"),
    (PlanNotApproved(plan="p1", why="it has no status record yet"),
     "require_approval: plan 'p1' is not approved: it has no status record yet", "why"),
    (ApplyFailed(problem="plan 'p': create cables failed", step="create cables", result={"changed": True}),
     "plan 'p': create cables failed", "step"),
])
def test_domain_errors_name_the_condition_and_keep_what_was_tried(error, message, tried):
    assert isinstance(error, DomainError) and isinstance(error, SotNetboxError)
    assert error.message == message == str(error)
    assert getattr(error, tried) == error.tried[tried]


def test_a_domain_error_keeps_its_partial_result():
    error = ApplyFailed({"changed": True, "failed_step": "x"}, problem="failed", step="x")
    assert error.result == {"changed": True, "failed_step": "x"} and error.step == "x"
