# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""netbox_plan_generate's runner: the only code that reads module.params. PRIVATE to the collection.

The flow, one file per step: options and the plan (plan or plan_file, planfile.py), one validation
pass (validate.py: every error at once, before any write), the change plan (diff.py), then
state=validated records the status (status.py), state=generated writes (materialize.py), and
state=absent removes what the plan generated (absent.py).

Tracking: every generated device, interface and cable carries the tag `sot-plan-<name>` and the
custom fields `sot_plan` (plan name) and `sot_plan_key` (stable key); the plan's status lives in the
config context `sot-plan-<name>`, assigned to the plan's tag, so every generated device shows its plan.
"""
from __future__ import annotations

from ansible_collections.sot.netbox.plugins.module_utils._errors import FieldError, ValidationErrors
from ansible_collections.sot.netbox.plugins.module_utils._plan.absent import run_absent
from ansible_collections.sot.netbox.plugins.module_utils._plan.diff import before_after, diff
from ansible_collections.sot.netbox.plugins.module_utils._plan.limits import limits_from_option
from ansible_collections.sot.netbox.plugins.module_utils._plan.materialize import counts, generate, namer, objects
from ansible_collections.sot.netbox.plugins.module_utils._plan.planfile import load_plan_file
from ansible_collections.sot.netbox.plugins.module_utils._plan.reads import record_name
from ansible_collections.sot.netbox.plugins.module_utils._plan.status import (
    NO_RECORD, approval_error, next_status, record_data, recorded, write_status)
from ansible_collections.sot.netbox.plugins.module_utils._plan.validate import validate


def _option_errors(p):
    errors = []
    if p["approve"] and p["state"] != "validated":
        errors.append(FieldError("approve", f"true is only valid with state=validated (state is "
                                            f"{p['state']})"))
    for option in ("batch_size", "device_batch_size"):
        if p[option] < 1:
            errors.append(FieldError(option, "must be at least 1", p[option]))
    return errors


def read_options(p):
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


def _base_result(v, state):
    plan = v.plan
    return {"changed": False, "state": state,
            "plan": {"name": plan.name, "site": plan.site, "hash": plan.digest(), "tag": plan.slug,
                     "record": record_name(plan.name), "status": recorded(v.record).get("status", NO_RECORD)},
            "calculation": v.calc.to_dict() if v.calc and not v.calc.errors else {}}


def _changes(v, result, want_diff):
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


def _validated(client, v, approve, result, check_mode):
    status = next_status(v.record, v.plan, approve)
    result["plan"]["status"] = status
    data = record_data(v.plan, status, v.calc, v.desired)
    if v.record is not None and v.record.get("data") == data:
        return result
    result["changed"] = True
    if not check_mode:
        write_status(client, v.plan, v.tag_id, v.record, data)
    return result


def run(module, client):
    p = module.params
    data, limits = read_options(p)
    if p["state"] == "absent":
        return run_absent(client, data, module.check_mode, p["device_batch_size"])
    v = validate(client, data, limits)
    result = _base_result(v, p["state"])
    if v.errors:
        # Nothing is written when validation fails (not even a status): the plan stays what NetBox
        # last recorded, and an approval is bound to the content hash, so it cannot carry over.
        raise ValidationErrors(v.errors, result=result)
    changes = _changes(v, result, module._diff)
    if p["state"] == "validated":
        return _validated(client, v, p["approve"], result, module.check_mode)
    if p["require_approval"]:
        error = approval_error(v.record, v.plan)
        if error is not None:
            error.result.update(result)
            raise error
    result["counts"] = counts(changes, None)
    result["changed"] = bool(changes)
    if module.check_mode:
        result["objects"] = objects(v.current, v.desired, changes, None)
        result["plan"]["status"] = "generated"
        return result
    return generate(client, v, changes, p, result)
