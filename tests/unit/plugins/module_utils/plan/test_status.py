# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The status record as data: the approval gate's messages, the next status, the branch it names."""
from __future__ import annotations

from ansible_collections.sot.netbox.plugins.module_utils._plan.model import parse_plan
from ansible_collections.sot.netbox.plugins.module_utils._plan.status import approval_error
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.plan.helpers import plan_dict

PLAN = parse_plan(plan_dict())[0]


def test_approval_messages_end_in_what_to_do_not_a_bare_value():
    record = {"data": {"sot_plan": {"status": "validated", "plan_hash": PLAN.digest()}}}
    message = approval_error(record, PLAN).message
    assert message.startswith("require_approval: plan 't-small' is not approved: its status is 'validated'")
    assert "(got True)" not in message and approval_error(None, PLAN).message.endswith("then approve it)")
