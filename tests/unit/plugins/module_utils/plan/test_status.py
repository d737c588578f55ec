# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The status record as data: the approval gate's messages, the next status, the branch it names."""
from __future__ import annotations

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._domain_errors import PlanNotApproved
from ansible_collections.sot.netbox.plugins.module_utils._plan.model import parse_plan
from ansible_collections.sot.netbox.plugins.module_utils._plan.status import (
    approval_error, next_status, record_data, recorded)
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.plan.helpers import plan_dict

PLAN = parse_plan(plan_dict())[0]


def test_approval_messages_end_in_what_to_do_not_a_bare_value():
    record = {"data": {"sot_plan": {"status": "validated", "plan_hash": PLAN.digest()}}}
    message = approval_error(record, PLAN).message
    assert message.startswith("require_approval: plan 't-small' is not approved: its status is 'validated'")
    assert "(got True)" not in message and approval_error(None, PLAN).message.endswith("then approve it)")


def test_an_approval_error_is_named_and_carries_the_run_result():
    error = approval_error(None, PLAN, {"plan": {"name": "t-small"}}, option="require_approved")
    assert isinstance(error, PlanNotApproved) and error.plan == "t-small"
    assert error.result == {"plan": {"name": "t-small"}} and error.message.startswith("require_approved: ")


@pytest.mark.parametrize("record, approve, expected", [
    (None, False, "validated"),
    (None, True, "approved"),
    ({"data": {"sot_plan": {"status": "approved", "plan_hash": "other"}}}, False, "validated"),
    ({"data": {"sot_plan": {"status": "generated", "plan_hash": PLAN.digest()}}}, False, "generated"),
])
def test_next_status(record, approve, expected):
    assert next_status(record, PLAN, approve) == expected


@pytest.mark.parametrize("branch, recorded_branch", [(None, None), ("review-1", "review-1")])
def test_the_record_names_the_branch_that_holds_the_objects(branch, recorded_branch):
    data = record_data(PLAN, "generated", None, None, branch)["sot_plan"]
    assert data.get("branch") == recorded_branch and recorded({"data": {"sot_plan": data}})["status"] == "generated"
