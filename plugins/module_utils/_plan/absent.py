# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""state=absent: remove exactly what a plan generated, its status record and its tag. PRIVATE.

Objects are found by the plan's tag and by its custom field (leftovers of an interrupted run that
lost the tag). A delete whose answer was cut off or lost is checked by reading the ids back: what
is gone counts as deleted, so the run goes on instead of failing on what NetBox already did.
"""
from __future__ import annotations

from ansible_collections.sot.netbox.plugins.module_utils._errors import (
    ApiError, FieldError, SotNetboxError, ValidationErrors)
from ansible_collections.sot.netbox.plugins.module_utils._plan.model import parse_plan, plan_slug
from ansible_collections.sot.netbox.plugins.module_utils._plan.reads import read_current, read_record, record_name

_ID_CHUNK = 100


def plan_name(data):
    """The plan's name, validated like any plan's (length, characters), for state=absent."""
    if not isinstance(data, dict) or data.get("name") in (None, ""):
        raise ValidationErrors([FieldError("plan.name", "required: state=absent removes what the plan of this "
                                                        "name generated")])
    errors = [e for e in parse_plan({"name": data["name"]})[1] if e.path == "plan.name"]
    if errors:
        raise ValidationErrors(errors)
    return str(data["name"])


def _still_there(client, path, ids):
    left = []
    for i in range(0, len(ids), _ID_CHUNK):
        left += [r["id"] for r in client.list(path, {"id": ids[i:i + _ID_CHUNK]}, fields=["id"])]
    return left


def delete_all(client, path, ids, batch_size=200):
    """Bulk delete; after an error, the ids NetBox no longer has count as deleted."""
    if not ids:
        return []
    try:
        return client.delete(path, ids, batch_size=batch_size)
    except ApiError:
        if _still_there(client, path, ids):
            raise
        return list(ids)


def _remove_tag(client, slug):
    tag = client.list("extras/tags", {"slug": slug}, fields=["id", "tagged_items"])
    if tag and not tag[0].get("tagged_items"):
        return delete_all(client, "extras/tags", [tag[0]["id"]])
    return []


def _result(name, slug, current, foreign, record):
    cables = [{"key": k, "id": x["id"], "name": k} for k, x in sorted(current.cables.items())]
    devices = [{"key": k, "id": x["id"], "name": x["name"]} for k, x in sorted(current.devices.items())]
    result = {"state": "absent", "plan": {"name": name, "tag": slug, "record": record_name(name)},
              "changed": bool(cables or devices or record),
              "counts": {"cables": {"deleted": len(cables)}, "devices": {"deleted": len(devices)},
                         "interfaces": {"deleted": 0}},
              "objects": {"devices": devices, "cables": cables}}
    if foreign.get("devices") or foreign.get("cables"):
        result["foreign"] = foreign
    return result


def run_absent(client, data, check_mode, device_batch_size):
    name = plan_name(data)
    slug = plan_slug(name)
    current, foreign = read_current(client, name, slug, sweep=True)[:2]
    record = read_record(client, name)
    result = _result(name, slug, current, foreign, record)
    if check_mode or not result["changed"] and not client.list("extras/tags", {"slug": slug}, fields=["id"]):
        return result
    deleted = {}
    try:
        deleted["cables"] = delete_all(client, "dcim/cables", [c["id"] for c in result["objects"]["cables"]])
        deleted["devices"] = delete_all(client, "dcim/devices", [d["id"] for d in result["objects"]["devices"]],
                                        device_batch_size)
        if record is not None:
            deleted["record"] = delete_all(client, "extras/config-contexts", [record["id"]])
        deleted["tag"] = _remove_tag(client, slug)
        result["changed"] = result["changed"] or bool(deleted["tag"])
    except SotNetboxError as exc:
        exc.result.update({"changed": bool(any(deleted.values())), "deleted": deleted})
        raise
    return result
