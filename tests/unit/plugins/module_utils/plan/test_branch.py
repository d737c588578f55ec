# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A plan in a NetBox branch: the status record read and written in main, what must hold before staging,
and the options that go with a branch."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._branching import BRANCH_HEADER
from ansible_collections.sot.netbox.plugins.module_utils._errors import ValidationErrors
from ansible_collections.sot.netbox.plugins.module_utils._domain_errors import PlanNotStageable
from ansible_collections.sot.netbox.plugins.module_utils._plan.branch import InMain, check_stageable, target_for
from ansible_collections.sot.netbox.plugins.module_utils._plan.model import parse_plan
from ansible_collections.sot.netbox.plugins.module_utils._plan.runner import read_options
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.plan.helpers import SMALL, plan_dict

PLAN = parse_plan(plan_dict())[0]


class Client:
    """Records the branch header each call saw; `tags` is what a tag lookup answers."""

    def __init__(self, tags=()):
        self.headers = {BRANCH_HEADER: "schema1"}
        self.seen = []
        self.tags = list(tags)
        self.name = "client"

    def list(self, path, params=None, **kw):
        self.seen.append((path, self.headers.get(BRANCH_HEADER)))
        return self.tags


def test_in_main_drops_the_branch_header_for_one_call_and_puts_it_back():
    client = Client()
    assert InMain(client).list("extras/config-contexts") == [] and InMain(client).name == "client"
    assert client.seen == [("extras/config-contexts", None)] and client.headers[BRANCH_HEADER] == "schema1"
    client.list("dcim/devices")
    assert client.seen[-1] == ("dcim/devices", "schema1")


@pytest.mark.parametrize("state, branch, in_main", [
    ("generated", "review", True), ("validated", "review", True), ("merged", "review", False),
    ("generated", None, False)])
def test_where_the_record_is_read(state, branch, in_main):
    target = target_for(Client(), {"state": state, "branch": branch})
    assert target.branch == branch and isinstance(target.records, InMain) is in_main


def validated(record, tag_id=None):
    return SimpleNamespace(plan=PLAN, record=record, tag_id=tag_id)


def status(value, branch=None):
    return {"data": {"sot_plan": {"status": value, **({"branch": branch} if branch else {})}}}


@pytest.mark.parametrize("record, tags, fragment", [
    (None, [{"id": 1}], "has no status record in main yet; validate it in main first"),
    (status("approved", "other"), [{"id": 1}], "is staged in branch 'other'"),
    (status("validated"), [], "was made before the plan's tag 'sot-plan-t-small': sync it first"),
])
def test_staging_refused_with_what_to_do(record, tags, fragment):
    with pytest.raises(PlanNotStageable) as info:
        check_stageable(Client(tags), validated(record), "review", changes=True)
    assert fragment in info.value.message and info.value.plan == "t-small"


@pytest.mark.parametrize("record", [status("validated"), status("approved", "review"), status("generated", "old")])
def test_staging_allowed(record):
    check_stageable(Client([{"id": 1}]), validated(record), "review", changes=True)


def params(**kw):
    return {"plan": SMALL, "state": "generated", "approve": False, "batch_size": 200, "device_batch_size": 10, **kw}


@pytest.mark.parametrize("options, fragment", [
    ({"state": "merged"}, "branch: required with state=merged"),
    ({"state": "absent", "branch": "review"}, "branch: state=absent runs in main"),
    ({"state": "generated", "require_approved": True}, "require_approved: true is only valid with state=merged"),
])
def test_branch_options(options, fragment):
    with pytest.raises(ValidationErrors) as info:
        read_options(params(**options))
    assert fragment in info.value.message
