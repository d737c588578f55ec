# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""state=generated: a validated plan's change plan applied, then its status recorded. PRIVATE.

Order: the tag and the tracking custom fields, then apply.py's bulk writes (which roll back what
they created on any failure, including objects found by the plan's tag after an answer that was
cut off or lost), then the status record. A failure removes the tag this run created, except
after a timeout: NetBox may still commit the timed-out request, and its objects must keep the tag
so the next run finds (adopts) them.
"""
from __future__ import annotations

from typing import Any, Callable

from ansible_collections.sot.netbox.plugins.module_utils._errors import SotNetboxError, Timeout
from ansible_collections.sot.netbox.plugins.module_utils._domain_errors import (
    PlanStatusNotWritten, PlanWriteFailed, PlanWriteTimedOut)
from ansible_collections.sot.netbox.plugins.module_utils._plan.apply import Context, Journal, apply
from ansible_collections.sot.netbox.plugins.module_utils._plan.diff import KINDS
from ansible_collections.sot.netbox.plugins.module_utils._plan.status import next_status, record_data
from ansible_collections.sot.netbox.plugins.module_utils._plan.store import (
    CF_PLAN, ensure_custom_fields, ensure_tag, undo, with_rollback, write_record)

_TIMED_OUT = (" A request timed out: NetBox may still commit it, so the plan's tag is kept; the next run adopts "
              f"what it committed, and state=absent removes every object whose custom field {CF_PLAN} names this "
              "plan. Or raise timeout / lower device_batch_size.")


def _timed_out(exc: BaseException) -> bool:
    return isinstance(exc, Timeout) or isinstance(exc.__cause__, Timeout)


def _fail(client: Any, infra: list, exc: SotNetboxError, result: dict) -> PlanWriteFailed:
    """The error to raise after a failed write, with the run's result; removes the tag this run made
    unless objects of the run may remain (a timeout, or a rollback that could not delete)."""
    name = (result.get("plan") or {}).get("name") or ""
    # `counts` are the planned ones here: `done` and `rollback` say what really happened.
    merged = {**{k: v for k, v in result.items() if k != "counts"}, **exc.result}
    if _timed_out(exc):
        return PlanWriteTimedOut(name, exc.message + _TIMED_OUT, merged)
    if not (exc.result.get("rollback") or {}).get("failed"):
        merged = with_rollback(merged, undo(client, infra))
    # else objects stayed: they keep the tag, so the next run finds (adopts) them
    return PlanWriteFailed(name, exc.message, merged)


def _context(v: Any, params: dict, tag_id: int) -> Context:
    current = v.current
    return Context(plan_name=v.plan.name, tag_id=tag_id, refs=v.refs, batch_size=params["batch_size"],
                   device_batch_size=params["device_batch_size"], tag_slug=v.plan.slug,
                   device_ids={k: x["id"] for k, x in current.devices.items()},
                   interface_ids={k: x["id"] for k, x in current.interfaces.items()},
                   existing={kind: {x["id"] for x in getattr(current, kind).values()} for kind in KINDS})


def _write_objects(client: Any, v: Any, changes: Any, params: dict, result: dict, infra: list) -> tuple:
    """(tag id, Journal or None): the tag, the custom fields and the objects."""
    tag_id, journal = v.tag_id, None
    try:
        if changes:
            tag_id = ensure_tag(client, v.plan, tag_id, infra)
            result["custom_fields_created"] = ensure_custom_fields(client)
            journal = apply(client, changes, _context(v, params, tag_id))
    except SotNetboxError as exc:
        raise _fail(client, infra, exc, result) from exc
    return tag_id, journal


def _write_generated(records: Any, v: Any, tag_id: int | None, infra: list, result: dict, changed: bool,
                     branch: str | None) -> bool:
    """The status record (in main) says `generated`, or, for objects in a branch, keeps its status and names
    the branch (the merge makes it `generated`); True when it wrote."""
    try:
        ensure_tag(records, v.plan, tag_id, infra)
        data = record_data(v.plan, result["plan"]["status"], v.calc, v.desired, branch)
        return write_record(records, v.plan, v.record, data, infra)
    except SotNetboxError as exc:
        message = (f"plan {v.plan.name!r} was generated, but its status record was not written (a re-run "
                   f"writes it): {exc.message}")
        raise PlanStatusNotWritten(v.plan.name, message, {**exc.result, **result, "changed": changed}) from exc


def generate(client: Any, v: Any, changes: Any, params: dict, result: dict, records: Any = None) -> dict:
    """Write the change plan and the status record (with `records`, main's client, when `client` writes into
    a branch); returns the result."""
    infra: list = []
    tag_id, journal = _write_objects(client, v, changes, params, result, infra)
    result["counts"] = counts(changes, journal)
    result["objects"] = objects(v.current, v.desired, changes, journal)
    branch = params.get("branch") if records is not None else None
    result["plan"]["status"] = next_status(v.record, v.plan, False) if branch else "generated"
    wrote = _write_generated(records or client, v, tag_id, infra, result, bool(changes), branch)
    result["changed"] = bool(changes) or wrote or bool(infra)
    return result


# ------------------------------------------------------------------------------------------ results

def namer(desired: Any, current: Any) -> Callable[[str, dict], str]:
    dev_names = {k: x["name"] for k, x in current.devices.items()}
    dev_names.update({k: x["name"] for k, x in desired.devices.items()})

    def names(kind: str, obj: dict) -> str:
        if kind == "devices":
            return obj["name"]
        if kind == "interfaces":
            return f"{dev_names.get(obj['device'], obj['device'])}:{obj['name']}"
        (a_dev, a_port), (b_dev, b_port) = obj["a"], obj["b"]
        return f"{dev_names.get(a_dev, a_dev)}:{a_port} -- {dev_names.get(b_dev, b_dev)}:{b_port}"
    return names


def counts(changes: Any, journal: Journal | None) -> dict:
    out = {}
    for kind in KINDS:
        ch = getattr(changes, kind)
        if journal is None:
            out[kind] = {"created": len(ch.create), "updated": len(ch.update), "deleted": len(ch.delete),
                         "unchanged": len(ch.unchanged)}
        else:
            out[kind] = {"created": len(journal.created[kind]), "updated": len(journal.updated[kind]),
                         "deleted": len(journal.deleted[kind]), "unchanged": len(ch.unchanged)}
    return out


def objects(current: Any, desired: Any, changes: Any, journal: Journal | None) -> dict:
    """The plan's devices and cables after the run: key, id (None in check mode for new ones), name."""
    names = namer(desired, current)
    created = {kind: {e["key"]: e["id"] for e in journal.created[kind]} for kind in KINDS} if journal else {}
    out = {}
    for kind, wanted, have in (("devices", desired.devices, current.devices),
                               ("cables", desired.cables, current.cables)):
        ids = {k: x["id"] for k, x in have.items()}
        ids.update(created.get(kind, {}))
        replaced = {o["key"] for o in getattr(changes, kind).create}
        out[kind] = [{"key": k, "id": (created.get(kind, {}).get(k) if k in replaced else ids.get(k)),
                      "name": names(kind, obj)} for k, obj in sorted(wanted.items())]
    tracked = {k: x["id"] for k, x in current.interfaces.items() if x.get("tracked")}
    tracked.update(created.get("interfaces", {}))
    out["interfaces"] = [{"key": k, "id": tracked.get(k), "name": names("interfaces", obj)}
                         for k, obj in sorted(desired.interfaces.items()) if not obj["template"] or k in tracked]
    return out
