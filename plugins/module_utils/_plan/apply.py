# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Executing a change plan with bulk writes, and rolling back what this run created on failure.

PRIVATE to the collection. Order: delete cables, interfaces, devices; update devices; create
devices (NetBox instantiates their interface templates); read the new devices' interfaces; create
the interfaces the templates lack; update interfaces and cables; create cables. If any write
fails, every object this run created is deleted again, newest kind first, and the raised error's
`result` says what was created, rolled back, updated and deleted.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ansible_collections.sot.netbox.plugins.module_utils._errors import SotNetboxError

CF_PLAN = "sot_plan"
CF_KEY = "sot_plan_key"
INTERFACE_FIELDS = ("id", "name", "type", "device", "tags", "custom_fields")
_ID_CHUNK = 100


@dataclass
class Context:
    """Everything apply needs besides the plan: ids for names, the tag, the batch size."""
    plan_name: str
    tag_id: int
    refs: dict                                   # "device_type"/"role"/"site"/... -> {name: id}
    device_ids: dict = field(default_factory=dict)     # device key -> id (current devices)
    interface_ids: dict = field(default_factory=dict)  # interface key -> id (current interfaces)
    batch_size: int = 200
    device_batch_size: int = 10
    tag_slug: str = ""
    existing: dict = field(default_factory=dict)       # kind -> ids that existed before this run


@dataclass
class Journal:
    created: dict = field(default_factory=lambda: {"devices": [], "interfaces": [], "cables": []})
    updated: dict = field(default_factory=lambda: {"devices": [], "interfaces": [], "cables": []})
    deleted: dict = field(default_factory=lambda: {"devices": [], "interfaces": [], "cables": []})

    def to_dict(self):
        return {"created": self.created, "updated": self.updated, "deleted": self.deleted}


def tracking(ctx, key):
    return {"tags": [ctx.tag_id], "custom_fields": {CF_PLAN: ctx.plan_name, CF_KEY: key}}


def device_body(ctx, dev):
    body = {"name": dev["name"], "status": dev["status"], **tracking(ctx, dev["key"])}
    for attr in ("device_type", "role", "site", "tenant", "location", "rack"):
        body[attr] = ctx.refs[attr].get(dev[attr]) if dev.get(attr) else None
    return body


def interface_body(ctx, device_ids, itf):
    return {"device": device_ids[itf["device"]], "name": itf["name"], "type": itf["type"],
            **tracking(ctx, itf["key"])}


def cable_body(ctx, interface_ids, cable):
    body = {"a_terminations": [{"object_type": "dcim.interface",
                                "object_id": interface_ids[f"{cable['a'][0]}:{cable['a'][1]}"]}],
            "b_terminations": [{"object_type": "dcim.interface",
                                "object_id": interface_ids[f"{cable['b'][0]}:{cable['b'][1]}"]}],
            "status": cable["status"], **tracking(ctx, cable["key"])}
    if cable.get("type"):
        body["type"] = cable["type"]
    return body


def _update_body(ctx, upd):
    body = {"id": upd["id"]}
    for attr, change in upd["changes"].items():
        after = change[1]
        if after in (None, ""):
            body[attr] = "" if attr == "type" else None
        else:
            body[attr] = ctx.refs[attr].get(after) if attr in ctx.refs else after
    return body


def apply(client, plan, ctx):
    """Execute `plan`. Returns the Journal; on failure rolls back creations and raises with a report."""
    journal = Journal()
    device_ids = dict(ctx.device_ids)
    interface_ids = dict(ctx.interface_ids)
    step = "start"
    try:
        step = "delete cables"
        _delete(client, "dcim/cables", plan.cables.delete, journal, "cables", ctx.batch_size)
        step = "delete interfaces"
        _delete(client, "dcim/interfaces", plan.interfaces.delete, journal, "interfaces", ctx.batch_size)
        step = "delete devices"
        _delete(client, "dcim/devices", plan.devices.delete, journal, "devices", ctx.device_batch_size)
        for obj in plan.devices.delete:
            device_ids.pop(obj["key"], None)
        step = "update devices"
        _update(client, "dcim/devices", [_update_body(ctx, u) for u in plan.devices.update], plan.devices.update,
                journal, "devices", ctx.batch_size)
        step = "create devices"
        created = _create(client, "dcim/devices", [device_body(ctx, d) for d in plan.devices.create],
                          plan.devices.create, journal, "devices", ctx.device_batch_size)
        device_ids.update({obj["key"]: row["id"] for obj, row in created})
        if created:
            step = "read the new devices' interfaces"
            keys_by_id = {row["id"]: obj["key"] for obj, row in created}
            for row in read_interfaces(client, list(keys_by_id)):
                interface_ids[f"{keys_by_id[row['device']['id']]}:{row['name']}"] = row["id"]
        step = "create interfaces"
        created = _create(client, "dcim/interfaces",
                          [interface_body(ctx, device_ids, i) for i in plan.interfaces.create],
                          plan.interfaces.create, journal, "interfaces", ctx.batch_size)
        interface_ids.update({obj["key"]: row["id"] for obj, row in created})
        step = "update interfaces"
        _update(client, "dcim/interfaces", [_update_body(ctx, u) for u in plan.interfaces.update],
                plan.interfaces.update, journal, "interfaces", ctx.batch_size)
        step = "update cables"
        _update(client, "dcim/cables", [_update_body(ctx, u) for u in plan.cables.update], plan.cables.update,
                journal, "cables", ctx.batch_size)
        step = "create cables"
        _create(client, "dcim/cables", [cable_body(ctx, interface_ids, c) for c in plan.cables.create],
                plan.cables.create, journal, "cables", ctx.batch_size)
    except SotNetboxError as exc:
        found = _unjournaled(client, ctx, journal)
        rollback = roll_back(client, journal, ctx.batch_size)
        if found:
            rollback["found_after_failure"] = found
        report = journal.to_dict()
        message = (f"plan {ctx.plan_name!r}: {step} failed: {exc.message}. Rolled back what this run created "
                   f"({_count(rollback['deleted'])} object(s) deleted again")
        if rollback["failed"]:
            message += f"; could NOT delete {_count(rollback['failed'])}: see rollback.failed"
        message += ")"
        kept = _count(journal.updated) + _count(journal.deleted)
        if kept:
            message += f"; {kept} update(s)/deletion(s) done before the failure remain (see done)"
        raise SotNetboxError(message, {"changed": bool(kept or rollback["failed"]), "failed_step": step,
                                       "done": report, "rollback": rollback}) from exc
    return journal


def _unjournaled(client, ctx, journal):
    """Objects this run created that the journal cannot know (a request that timed out after NetBox
    committed it): they carry the plan's tag and custom field but did not exist before the run."""
    if not ctx.tag_slug:
        return {}
    found = {}
    for kind, path in (("devices", "dcim/devices"), ("interfaces", "dcim/interfaces"), ("cables", "dcim/cables")):
        try:
            rows = client.list(path, {"tag": ctx.tag_slug}, fields=["id", "custom_fields"])
        except SotNetboxError:
            continue
        known = set(ctx.existing.get(kind, ())) | {e["id"] for e in journal.created[kind]}
        extra = [r["id"] for r in rows if r["id"] not in known
                 and (r.get("custom_fields") or {}).get(CF_PLAN) == ctx.plan_name]
        if extra:
            found[kind] = extra
            journal.created[kind].extend({"key": None, "id": i, "name": f"#{i}"} for i in extra)
    return found


def read_interfaces(client, device_ids):
    rows = []
    for i in range(0, len(device_ids), _ID_CHUNK):
        rows.extend(client.iter_all("dcim/interfaces", {"device_id": device_ids[i:i + _ID_CHUNK]},
                                    fields=list(INTERFACE_FIELDS)))
    return rows


def _create(client, path, bodies, objects, journal, kind, batch_size):
    if not bodies:
        return []
    try:
        rows = client.create(path, bodies, batch_size=batch_size)
    except SotNetboxError as exc:
        done = exc.result.get("created", [])
        journal.created[kind].extend(_entry(o, r) for o, r in zip(objects, done))
        raise
    journal.created[kind].extend(_entry(o, r) for o, r in zip(objects, rows))
    return list(zip(objects, rows))


def _update(client, path, bodies, objects, journal, kind, batch_size):
    if not bodies:
        return
    try:
        rows = client.update(path, bodies, batch_size=batch_size)
    except SotNetboxError as exc:
        journal.updated[kind].extend(_entry(o, r) for o, r in zip(objects, exc.result.get("updated", [])))
        raise
    journal.updated[kind].extend(_entry(o, r) for o, r in zip(objects, rows))


def _delete(client, path, objects, journal, kind, batch_size):
    if not objects:
        return
    try:
        done = client.delete(path, [o["id"] for o in objects], batch_size=batch_size)
    except SotNetboxError as exc:
        done = exc.result.get("deleted", [])
        journal.deleted[kind].extend(_entry(o, {"id": i}) for o, i in zip(objects, done))
        raise
    journal.deleted[kind].extend(_entry(o, {"id": i}) for o, i in zip(objects, done))


def _entry(obj, row):
    return {"key": obj["key"], "id": row.get("id") if isinstance(row, dict) else row,
            "name": obj.get("name") or obj["key"]}


def roll_back(client, journal, batch_size):
    """Delete what the journal created, newest kind first. Never raises: reports what stayed."""
    out = {"deleted": {}, "failed": {}}
    for kind, path in (("cables", "dcim/cables"), ("interfaces", "dcim/interfaces"), ("devices", "dcim/devices")):
        entries = journal.created.get(kind, [])
        ids = [e["id"] for e in entries if e.get("id") is not None][::-1]
        if not ids:
            continue
        try:
            out["deleted"][kind] = client.delete(path, ids, batch_size=batch_size)
        except SotNetboxError as exc:
            done = exc.result.get("deleted", [])
            out["deleted"][kind] = done
            out["failed"][kind] = {"ids": [i for i in ids if i not in done], "error": exc.message}
    return out


def _count(by_kind):
    return sum(len(v) if isinstance(v, list) else len(v.get("ids", [])) for v in by_kind.values())
