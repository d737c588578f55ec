# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._errors import (
    FieldError, InputError, ValidationErrors, error_for_status, field_error)


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
