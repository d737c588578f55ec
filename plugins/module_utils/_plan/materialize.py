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

from ansible_collections.sot.netbox.plugins.module_utils._errors import ApiError, SotNetboxError, Timeout
from ansible_collections.sot.netbox.plugins.module_utils._plan.apply import CF_KEY, CF_PLAN, Context, apply
from ansible_collections.sot.netbox.plugins.module_utils._plan.diff import KINDS
from ansible_collections.sot.netbox.plugins.module_utils._plan.status import (
    ensure_tag, record_data, undo, write_record)

TRACKED_TYPES = ["dcim.device", "dcim.interface", "dcim.cable"]


def _custom_field_rows(client):
    found = client.list("extras/custom-fields", {"name": [CF_PLAN, CF_KEY]}, fields=["id", "name", "object_types"])
    return {r["name"]: r for r in found}


def ensure_custom_fields(client):
    """The tracking custom fields exist and apply to devices, interfaces and cables. Returns what it made."""
    rows = _custom_field_rows(client)
    new, fix = [], []
    for name, label in ((CF_PLAN, "sot.netbox plan"), (CF_KEY, "sot.netbox plan key")):
        row = rows.get(name)
        if row is None:
            new.append({"name": name, "label": label, "type": "text", "object_types": TRACKED_TYPES,
                        "ui_editable": "no", "filter_logic": "exact",
                        "description": "set by sot.netbox.netbox_plan_generate; do not edit"})
        elif set(TRACKED_TYPES) - set(row.get("object_types") or []):
            fix.append({"id": row["id"], "object_types": sorted(set(row.get("object_types") or []) | set(TRACKED_TYPES))})
    try:
        if new:
            client.create("extras/custom-fields", new)
        if fix:
            client.update("extras/custom-fields", fix)
    except ApiError:
        # Shared infrastructure, not the plan's: whatever NetBox applied is adopted on the next step.
        if set(_custom_field_rows(client)) != {CF_PLAN, CF_KEY}:
            raise
    return [n["name"] for n in new]


def _timed_out(exc):
    return isinstance(exc, Timeout) or isinstance(exc.__cause__, Timeout)


def _fail(client, infra, exc, result):
    if _timed_out(exc):
        exc.message += (f" A request timed out: NetBox may still commit it, so the plan's tag is kept; the next "
                        f"run adopts what it committed, and state=absent removes every object whose custom field "
                        f"{CF_PLAN} names this plan. Or raise timeout / lower device_batch_size.")
    elif (exc.result.get("rollback") or {}).get("failed"):
        pass  # objects stayed: they keep the tag, so the next run finds (adopts) them
    else:
        undo(client, infra, exc)
    # `counts` are the planned ones here: `done` and `rollback` say what really happened.
    exc.result.update({k: v for k, v in result.items() if k not in exc.result and k != "counts"})


def _context(v, params, tag_id):
    current = v.current
    return Context(plan_name=v.plan.name, tag_id=tag_id, refs=v.refs, batch_size=params["batch_size"],
                   device_batch_size=params["device_batch_size"], tag_slug=v.plan.slug,
                   device_ids={k: x["id"] for k, x in current.devices.items()},
                   interface_ids={k: x["id"] for k, x in current.interfaces.items()},
                   existing={kind: {x["id"] for x in getattr(current, kind).values()} for kind in KINDS})


def generate(client, v, changes, params, result):
    """Write the change plan and the status record; returns the result."""
    infra = []
    journal = None
    try:
        tag_id = v.tag_id
        if changes:
            tag_id = ensure_tag(client, v.plan, tag_id, infra)
            result["custom_fields_created"] = ensure_custom_fields(client)
            journal = apply(client, changes, _context(v, params, tag_id))
    except SotNetboxError as exc:
        _fail(client, infra, exc, result)
        raise
    result["counts"] = counts(changes, journal)
    result["objects"] = objects(v.current, v.desired, changes, journal)
    result["plan"]["status"] = "generated"
    try:
        ensure_tag(client, v.plan, tag_id, infra)
        wrote = write_record(client, v.plan, v.record, record_data(v.plan, "generated", v.calc, v.desired), infra)
    except SotNetboxError as exc:
        exc.message = (f"plan {v.plan.name!r} was generated, but its status record was not written (a re-run "
                       f"writes it): {exc.message}")
        exc.result.update({**result, "changed": bool(changes)})
        raise
    result["changed"] = bool(changes) or wrote or bool(infra)
    return result


# ------------------------------------------------------------------------------------------ results

def namer(desired, current):
    dev_names = {k: x["name"] for k, x in current.devices.items()}
    dev_names.update({k: x["name"] for k, x in desired.devices.items()})

    def names(kind, obj):
        if kind == "devices":
            return obj["name"]
        if kind == "interfaces":
            return f"{dev_names.get(obj['device'], obj['device'])}:{obj['name']}"
        (a_dev, a_port), (b_dev, b_port) = obj["a"], obj["b"]
        return f"{dev_names.get(a_dev, a_dev)}:{a_port} -- {dev_names.get(b_dev, b_dev)}:{b_port}"
    return names


def counts(changes, journal):
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


def objects(current, desired, changes, journal):
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
