# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan's status record as data: what it holds, the next status, the approval gate. PRIVATE. Pure.

The status record is the config context `sot-plan-<name>`, assigned to the plan's tag, holding
`data.sot_plan` (status, content hash, quantities...). A plan has no record until it validates
(its status is reported as `none`); then validated, approved, generated. Reading and writing the
record and the tag is store.py's job; nothing here does I/O.
"""
from __future__ import annotations

from typing import Any

from ansible_collections.sot.netbox.plugins.module_utils._domain_errors import PlanNotApproved
from ansible_collections.sot.netbox.plugins.module_utils._plan.calculate import ALGORITHM_VERSION

NO_RECORD = "none"
APPROVING = ("approved", "generated")  # statuses that let this exact content be generated


def record_name(name: str) -> str:
    return f"sot-plan-{name}"


def recorded(record: dict | None) -> dict:
    return ((record or {}).get("data") or {}).get("sot_plan") or {}


def record_data(plan: Any, status: str, calc: Any, desired: Any, branch: str | None = None) -> dict:
    """The record's `data`; `branch` names the NetBox branch holding the generated objects (if any)."""
    data = {
        "name": plan.name, "status": status, "plan_hash": plan.digest(), "site": plan.site,
        "algorithm_version": ALGORITHM_VERSION,
        "quantities": dict(calc.quantities) if calc else {},
        "inputs_hashes": {k: v["inputs_hash"] for k, v in calc.metadata.items()} if calc else {},
        "counts": desired.counts() if desired else {}}
    if branch:
        data["branch"] = branch
    return {"sot_plan": data}


def next_status(record: dict | None, plan: Any, approve: bool) -> str:
    info = recorded(record)
    if approve:
        return "approved"
    if info.get("plan_hash") == plan.digest() and info.get("status") in APPROVING:
        return info["status"]
    return "validated"


def approval_error(record: dict | None, plan: Any, result: dict | None = None,
                   option: str = "require_approval") -> PlanNotApproved | None:
    """None when the record approves exactly this content; else the error to raise (with `result`)."""
    info = recorded(record)
    if info.get("status") in APPROVING and info.get("plan_hash") == plan.digest():
        return None
    if not info:
        why = "it has no status record yet (run state=validated, then approve it)"
    elif info.get("plan_hash") != plan.digest():
        why = (f"its status is {info.get('status')!r} for different plan content (hash "
               f"{str(info.get('plan_hash'))[:12]}, this plan {plan.digest()[:12]}); validate and approve this version")
    else:
        why = f"its status is {info.get('status')!r}; approve it (state=validated with approve=true, or edit " \
              f"data.sot_plan.status in config context {record_name(plan.name)})"
    return PlanNotApproved(plan.name, f"{option}: plan {plan.name!r} is not approved: {why}", result)
