# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""netbox_plan_generate's runner: `execute(client, params, ...)` without Ansible, `run` its thin adapter. PRIVATE.

The flow, one file per step: options and the plan (plan or plan_file, planfile.py), one validation
pass (validate.py: every error at once, before any write), the change plan (diff.py), then
state=validated records the status (status.py decides, store.py writes), state=generated writes
(materialize.py), and state=absent removes what the plan generated (absent.py).

Tracking: every generated device, interface and cable carries the tag `sot-plan-<name>` and the
custom fields `sot_plan` (plan name) and `sot_plan_key` (stable key); the plan's status lives in the
config context `sot-plan-<name>`, assigned to the plan's tag, so every generated device shows its plan.
"""
from __future__ import annotations

from typing import Any

from ansible_collections.sot.netbox.plugins.module_utils._errors import FieldError, ValidationErrors
from ansible_collections.sot.netbox.plugins.module_utils._plan.absent import run_absent
from ansible_collections.sot.netbox.plugins.module_utils._plan.branch import Target, check_stageable, merge, target_for
from ansible_collections.sot.netbox.plugins.module_utils._plan.diff import ChangePlan, before_after, diff
from ansible_collections.sot.netbox.plugins.module_utils._plan.limits import Limits, limits_from_option
from ansible_collections.sot.netbox.plugins.module_utils._plan.materialize import counts, generate, namer, objects
from ansible_collections.sot.netbox.plugins.module_utils._plan.planfile import load_plan_file
from ansible_collections.sot.netbox.plugins.module_utils._plan.status import (
    NO_RECORD, approval_error, next_status, record_data, record_name, recorded)
from ansible_collections.sot.netbox.plugins.module_utils._plan.store import write_status
from ansible_collections.sot.netbox.plugins.module_utils._plan.validate import Validated, validate


def _option_errors(p: dict) -> list:
    errors = []
    if p["approve"] and p["state"] != "validated":
        errors.append(FieldError("approve", f"true is only valid with state=validated (state is "
                                            f"{p['state']})"))
    if p["state"] == "merged" and not p.get("branch"):
        errors.append(FieldError("branch", "required with state=merged: the branch the plan was generated into"))
    if p["state"] == "absent" and p.get("branch"):
        errors.append(FieldError("branch", "state=absent runs in main (revert or delete the branch to drop what "
                                           "it holds: sot.netbox.netbox_branch)", p["branch"]))
    if p.get("require_approved") and p["state"] != "merged":
        errors.append(FieldError("require_approved", f"true is only valid with state=merged (state is "
                                                     f"{p['state']}); require_approval gates state=generated"))
    for option in ("batch_size", "device_batch_size"):
        if p[option] < 1:
            errors.append(FieldError(option, "must be at least 1", p[option]))
    return errors


def read_options(p: dict) -> tuple[Any, Limits]:
    """(plan data, Limits) from the options, or ValidationErrors naming each bad option."""
    limits, errors = limits_from_option(p.get("limits"))
    errors += _option_errors(p)
    data = p.get("plan")
    if p.get("plan_file"):
        data, file_errors = load_plan_file(p["plan_file"], limits)
        errors += file_errors
    if errors:
        raise ValidationErrors(errors)
    return data, limits


def _base_result(v: Validated, state: str) -> dict:
    plan = v.plan
    return {"changed": False, "state": state,
            "plan": {"name": plan.name, "site": plan.site, "hash": plan.digest(), "tag": plan.slug,
                     "record": record_name(plan.name), "status": recorded(v.record).get("status", NO_RECORD)},
            "calculation": v.calc.to_dict() if v.calc and not v.calc.errors else {}}


def _changes(v: Validated, result: dict, want_diff: bool) -> ChangePlan:
    changes = diff(v.current, v.desired)
    names = namer(v.desired, v.current)
    result["desired"] = v.desired.counts()
    result["changes"] = changes.summary(names)
    if want_diff:  # text, not dicts: names such as Zürich stay as written
        before, after = before_after(changes, names)
        result["diff"] = {"before": before, "after": after, "before_header": f"NetBox: plan {v.plan.name}",
                          "after_header": f"plan {v.plan.name}"}
    if v.foreign.get("devices") or v.foreign.get("cables"):
        result["foreign"] = v.foreign
    return changes


def _validated(client: Any, v: Validated, approve: bool, result: dict, check_mode: bool) -> dict:
    status = next_status(v.record, v.plan, approve)
    result["plan"]["status"] = status
    data = record_data(v.plan, status, v.calc, v.desired)
    if v.record is not None and v.record.get("data") == data:
        return result
    result["changed"] = True
    if not check_mode:
        write_status(client, v.plan, v.tag_id, v.record, data)
    return result


def _approved(v: Validated, params: dict, result: dict, option: str) -> None:
    if params.get(option):
        error = approval_error(v.record, v.plan, result, option)
        if error is not None:
            raise error


def _generated(client: Any, v: Validated, changes: ChangePlan, params: dict, result: dict, check_mode: bool,
               target: Target) -> dict:
    _approved(v, params, result, "require_approval")
    if target.branch:
        check_stageable(client, v, target.branch, changes)
        result["plan"]["branch"] = target.branch
    result["counts"] = counts(changes, None)
    result["changed"] = bool(changes)
    if check_mode:
        result["objects"] = objects(v.current, v.desired, changes, None)
        result["plan"]["status"] = next_status(v.record, v.plan, False) if target.branch else "generated"
        return result
    return generate(client, v, changes, params, result, target.records if target.branch else None)


def _merged(client: Any, v: Validated, params: dict, result: dict, check_mode: bool, want_diff: bool) -> dict:
    """Merge the branch holding the plan's objects (approval checked first), then mark the plan generated."""
    branch = params["branch"]
    _approved(v, params, result, "require_approved")
    info = recorded(v.record)
    staged = info.get("branch") if info.get("status") != "generated" else None
    if staged and staged != branch:
        raise ValidationErrors([FieldError("branch", f"plan {v.plan.name!r} is staged in branch {staged!r}, "
                                                     "not this one", branch)], result=result)
    merged = merge(client, branch, params, check_mode, want_diff)
    result.update({"changed": merged["changed"], "branch": merged.get("branch"), "merge": merged.get("action"),
                   "branch_changes": merged.get("summary", {})})
    if want_diff and "diff" in merged:
        result["diff"] = merged["diff"]
    result["plan"].update(branch=branch, status="generated")
    data = record_data(v.plan, "generated", v.calc, v.desired, branch)
    if v.record is not None and v.record.get("data") == data:
        return result
    result["changed"] = True
    if not check_mode:
        write_status(client, v.plan, v.tag_id, v.record, data)
    return result


def execute(client: Any, params: dict, check_mode: bool = False, want_diff: bool = False) -> dict:
    """Everything the module does, from a plain params dict (no Ansible: unit tests and tools call it)."""
    data, limits = read_options(params)
    if params["state"] == "absent":
        return run_absent(client, data, check_mode, params["device_batch_size"])
    target = target_for(client, params)
    v = validate(client, data, limits, target.records)
    result = _base_result(v, params["state"])
    if v.errors:
        # Nothing is written when validation fails (not even a status): the plan stays what NetBox
        # last recorded, and an approval is bound to the content hash, so it cannot carry over.
        raise ValidationErrors(v.errors, result=result)
    if params["state"] == "merged":
        return _merged(client, v, params, result, check_mode, want_diff)
    changes = _changes(v, result, want_diff)
    if params["state"] == "validated":
        return _validated(client, v, params["approve"], result, check_mode)
    return _generated(client, v, changes, params, result, check_mode, target)


def run(module: Any, client: Any) -> dict:
    """The Ansible side: the module's params, check mode and diff mode."""
    return execute(client, module.params, module.check_mode, module._diff)  # pylint: disable=protected-access
