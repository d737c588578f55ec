# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""state=absent: remove exactly what a plan generated, its status record and its tag. PRIVATE.

Objects are found by the plan's tag and by its custom field (leftovers of an interrupted run that
lost the tag). A delete whose answer was cut off or lost is checked by reading the ids back: what
is gone counts as deleted, so the run goes on instead of failing on what NetBox already did.
"""
from __future__ import annotations

from typing import Any

from ansible_collections.sot.netbox.plugins.module_utils._errors import (
    ApiError, FieldError, SotNetboxError, ValidationErrors)
from ansible_collections.sot.netbox.plugins.module_utils._domain_errors import PlanRemovalFailed
from ansible_collections.sot.netbox.plugins.module_utils._plan.apply import RECORDS
from ansible_collections.sot.netbox.plugins.module_utils._plan.diff import Current
from ansible_collections.sot.netbox.plugins.module_utils._plan.model import parse_plan, plan_slug
from ansible_collections.sot.netbox.plugins.module_utils._plan.reads import read_current
from ansible_collections.sot.netbox.plugins.module_utils._plan.status import record_name
from ansible_collections.sot.netbox.plugins.module_utils._plan.store import (
    CONTEXT, find_tag, read_record, remove_tag_if_unused)

_ID_CHUNK = 100


def plan_name(data: Any) -> str:
    """The plan's name, validated like any plan's (length, characters), for state=absent."""
    if not isinstance(data, dict) or data.get("name") in (None, ""):
        raise ValidationErrors([FieldError("plan.name", "required: state=absent removes what the plan of this "
                                                        "name generated")])
    errors = [e for e in parse_plan({"name": data["name"]})[1] if e.path == "plan.name"]
    if errors:
        raise ValidationErrors(errors)
    return str(data["name"])


def _still_there(client: Any, path: str, ids: list) -> list:
    left = []
    for i in range(0, len(ids), _ID_CHUNK):
        left += [r["id"] for r in client.list(path, {"id": ids[i:i + _ID_CHUNK]}, fields=["id"])]
    return left


def delete_all(client: Any, path: str, ids: list, batch_size: int = 200) -> list:
    """Bulk delete; after an error, the ids NetBox no longer has count as deleted."""
    if not ids:
        return []
    try:
        return client.delete(path, ids, batch_size=batch_size)
    except ApiError:
        if _still_there(client, path, ids):
            raise
        return list(ids)


def _result(name: str, slug: str, current: Current, foreign: dict, record: dict | None) -> dict:
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


def _delete_everything(client: Any, result: dict, record: dict | None, slug: str, device_batch_size: int,
                       deleted: dict) -> None:
    """Cables, devices (their interfaces go with them), the record, then the tag once nothing carries it."""
    deleted["cables"] = delete_all(client, RECORDS["cables"].path(), [c["id"] for c in result["objects"]["cables"]])
    deleted["devices"] = delete_all(client, RECORDS["devices"].path(),
                                    [d["id"] for d in result["objects"]["devices"]], device_batch_size)
    if record is not None:
        deleted["record"] = delete_all(client, CONTEXT.path(), [record["id"]])
    deleted["tag"] = remove_tag_if_unused(client, slug, delete_all)


def run_absent(client: Any, data: Any, check_mode: bool, device_batch_size: int) -> dict:
    name = plan_name(data)
    slug = plan_slug(name)
    current, foreign = read_current(client, name, slug, sweep=True)[:2]
    record = read_record(client, name)
    result = _result(name, slug, current, foreign, record)
    if check_mode or not result["changed"] and not find_tag(client, slug, ("id",)):
        return result
    deleted: dict = {}
    try:
        _delete_everything(client, result, record, slug, device_batch_size, deleted)
    except SotNetboxError as exc:
        raise PlanRemovalFailed(name, exc.message, {**exc.result, "changed": bool(any(deleted.values())),
                                                    "deleted": deleted}) from exc
    result["changed"] = result["changed"] or bool(deleted["tag"])
    return result
