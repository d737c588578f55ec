# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""netbox_plan_generate in a NetBox branch, against the real NetBox Branching plugin (issue 16).

Generate into a branch: main is unchanged, the branch has the objects; a re-run in the branch is
changed=false; merge (after approval in main): main has them, with the plan's tag, and the record
says generated and names the branch; revert: they are gone from main; a change made in main to an
object the branch changed too is reported at the merge, object by object, and nothing is merged.
"""
from __future__ import annotations

import os
import uuid

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._connection import build_client
from ansible_collections.sot.netbox.plugins.module_utils._records import record
from ansible_collections.sot.netbox.plugins.modules import netbox_branch, netbox_plan_generate

import modharness  # pylint: disable=import-error

URL = os.environ["NETBOX_URL"]
TOKEN = os.environ["NETBOX_TOKEN"]
TIMEOUT = 300


def _plugin_installed() -> bool:
    client = build_client({"url": URL, "token": TOKEN, "cache": False})
    return client.get(record("branching").path()) is not None


pytestmark = pytest.mark.skipif(os.environ.get("SOT_TESTBED_BRANCHING") != "1" and not _plugin_installed(),
                                reason="the NetBox Branching plugin could not be installed in this test bed "
                                       "(tools/testbed.py logs pip-branching.log)")


def plan_for(name: str, quantity: int = 2) -> dict:
    return {"name": name, "site": "lab1", "tenant": "platform",
            "switch_classes": [{"id": "leaf", "device_type": "DCS-7060X5-64", "role": "leaf", "redundancy": 2,
                                "downlinks": "Ethernet1-8"}],
            "server_classes": [{"id": "srv", "device_type": "poweredge-r760", "role": "server", "quantity": quantity,
                                "connections": [{"ports": ["eno1", "eno2"], "to": "leaf"}]}]}


@pytest.fixture(autouse=True)
def _exits(monkeypatch):
    modharness.install(monkeypatch)


def plan_task(plan: dict, check_mode: bool = False, **args) -> dict:
    return modharness.invoke(netbox_plan_generate, {"url": URL, "token": TOKEN, "cache": False, "timeout": 120,
                                                    "branch_timeout": TIMEOUT, "plan": plan, **args}, check_mode)


def branch_task(name: str, state: str) -> dict:
    return modharness.invoke(netbox_branch, {"url": URL, "token": TOKEN, "cache": False, "name": name,
                                             "state": state, "branch_timeout": TIMEOUT})


def devices(slug: str, branch_schema: str | None = None) -> list:
    headers = {"X-NetBox-Branch": branch_schema} if branch_schema else {}
    client = build_client({"url": URL, "token": TOKEN, "cache": False, "headers": headers})
    return sorted(r["name"] for r in client.list(record("device").path(), {"tag": slug}, fields=["name"])) \
        if client.list(record("tag").path(), {"slug": slug}, fields=["id"]) else []


@pytest.fixture
def staged():
    """A validated, approved plan and a fresh branch name; removes both afterwards."""
    name = f"itest-br-{uuid.uuid4().hex[:6]}"
    branch = f"review-{name}"
    plan = plan_for(name)
    assert not plan_task(plan, state="validated", approve=True)["failed"]
    yield plan, branch
    branch_task(branch, "absent")
    plan_task({"name": name}, state="absent")


def test_generate_into_a_branch_review_merge_and_revert(staged):
    plan, branch = staged
    slug = f"sot-plan-{plan['name']}"
    first = plan_task(plan, state="generated", branch=branch, branch_create=True)
    assert not first["failed"], first.get("msg")
    assert first["changed"] and first["plan"]["branch"] == branch and first["plan"]["status"] == "approved"
    schema = branch_task(branch, "present")["branch"]["schema_id"]
    assert devices(slug) == []                                   # main is unchanged
    in_branch = devices(slug, schema)
    assert len(in_branch) == 4                                   # the branch has the objects
    again = plan_task(plan, state="generated", branch=branch)
    assert not again["failed"] and again["changed"] is False     # idempotent inside the branch

    merged = plan_task(plan, state="merged", branch=branch, require_approved=True)
    assert not merged["failed"], merged.get("msg")
    assert merged["changed"] and merged["plan"]["status"] == "generated" and merged["branch"]["status"] == "merged"
    assert devices(slug) == in_branch                            # in main now, with the plan's tag
    assert plan_task(plan, state="merged", branch=branch)["changed"] is False
    validated = plan_task(plan, state="validated", check_mode=True)
    assert validated["plan"]["status"] == "generated" and validated["changes"]["devices"]["unchanged"] == 4

    reverted = branch_task(branch, "reverted")
    if reverted["failed"] and "failed in NetBox" in reverted["msg"]:
        # Seen on this test bed: the plugin's revert job errors (TypeError "'NoneType' object is not iterable")
        # on a merged branch holding devices, interfaces and cables; everything before it is asserted.
        pytest.xfail(f"NetBox Branching could not revert the merged plan: {reverted['msg']}")
    assert not reverted["failed"], reverted.get("msg")
    assert devices(slug) == []                                   # revert: gone from main


def test_require_approved_refuses_before_anything_is_merged(staged):
    plan, branch = staged
    changed = plan_for(plan["name"], quantity=3)                 # other content than the approved one
    assert not plan_task(changed, state="validated")["failed"]
    assert not plan_task(changed, state="generated", branch=branch, branch_create=True)["failed"]
    refused = plan_task(changed, state="merged", branch=branch, require_approved=True)
    assert refused["failed"] and "require_approved: plan" in refused["msg"] and "is not approved" in refused["msg"]
    assert branch_task(branch, "present")["branch"]["status"] == "ready"
    assert devices(f"sot-plan-{plan['name']}") == []


def test_a_conflicting_change_in_main_is_reported_at_merge(staged):
    plan, branch = staged
    grown = plan_for(plan["name"], quantity=2)
    grown.update(status="staged", cable_status="planned")
    main_first = plan_task(plan_for(plan["name"]), state="generated")          # objects in main first
    assert not main_first["failed"], main_first.get("msg")
    assert not plan_task(grown, state="validated", approve=True)["failed"]
    assert not plan_task(grown, state="generated", branch=branch, branch_create=True)["failed"]  # status in branch
    device = main_first["objects"]["devices"][0]
    client = build_client({"url": URL, "token": TOKEN, "cache": False})
    client.update_one(record("device").path(), device["id"], {"status": "offline"})       # and in main meanwhile
    failed = plan_task(grown, state="merged", branch=branch)
    assert failed["failed"] and "changed in main" in failed["msg"] and device["name"] in failed["msg"]
    assert any(c["object"] == device["name"] for c in failed["conflicts"])
    assert branch_task(branch, "present")["branch"]["status"] == "ready"       # nothing merged
