# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._errors import (
    FieldError, InputError, SotNetboxError, ValidationErrors, error_for_status, field_error)
from ansible_collections.sot.netbox.plugins.module_utils._domain_errors import (
    ClaimConflict, DomainError, NoFreeSegment, NoPool, PlanNotApproved, PlanWriteFailed, PoolExhausted,
    SegmentsClaimedMeanwhile, VlanNameTaken)


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
    (NoFreeSegment("segments[0]", "no free segment matches", ("VRF blue", "site group eu", "status active")),
     "segments[0]: no free segment matches", ("VRF blue", "site group eu", "status active")),
    (SegmentsClaimedMeanwhile("segments[1]", "all 3 matching free segments were claimed", ("#1", "#2", "#3")),
     "segments[1]: all 3 matching free segments were claimed", ("#1", "#2", "#3")),
    (ClaimConflict("s", "claim marker 'claim-1' names segment #7, which no longer exists"),
     "s: claim marker 'claim-1' names segment #7, which no longer exists", ()),
    (NoPool("s", "no pool 10.0.0.0/8 in VRF blue", ("10.0.0.0/8",)), "s: no pool 10.0.0.0/8 in VRF blue",
     ("10.0.0.0/8",)),
    (PoolExhausted("s", "no free /24 left", ("10.0.0.0/16", "10.1.0.0/16")), "s: no free /24 left",
     ("10.0.0.0/16", "10.1.0.0/16")),
    (VlanNameTaken("s", "VLAN name 'web' is already used"), "s: VLAN name 'web' is already used", ()),
])
def test_domain_errors_name_the_condition_and_keep_what_was_tried(error, message, tried):
    assert isinstance(error, DomainError) and isinstance(error, SotNetboxError)
    assert error.message == message == str(error)
    assert error.tried == tried


def test_plan_errors_are_domain_errors_that_keep_their_partial_result():
    error = PlanWriteFailed("p", "plan 'p': create cables failed", {"changed": True, "failed_step": "x"})
    assert isinstance(error, DomainError) and error.plan == "p"
    assert error.result == {"changed": True, "failed_step": "x"}
    assert isinstance(PlanNotApproved("p", "not approved"), DomainError)
