# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Executing a change plan with bulk writes, and rolling back what this run created on failure.

PRIVATE to the collection. Order: delete cables, interfaces, devices; update devices; create
devices (NetBox instantiates their interface templates); read the new devices' interfaces; create
the interfaces the templates lack; update interfaces and cables; create cables. If any write
fails, every object this run created is deleted again, newest kind first, and the raised
PlanWriteFailed's `result` says what was created, rolled back, updated and deleted.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from ansible_collections.sot.netbox.plugins.module_utils._errors import SotNetboxError
from ansible_collections.sot.netbox.plugins.module_utils._domain_errors import PlanWriteFailed
from ansible_collections.sot.netbox.plugins.module_utils._records import ObjectType, record
from ansible_collections.sot.netbox.plugins.module_utils._plan.store import CF_KEY, CF_PLAN

INTERFACE_FIELDS = record("interface").read
RECORDS = {"devices": record("device"), "interfaces": record("interface"), "cables": record("cable")}
_ID_CHUNK = 100
__all__ = ["CF_KEY", "CF_PLAN", "Context", "Journal", "RECORDS", "apply", "read_interfaces", "roll_back"]


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


def _per_kind() -> dict:
    return {kind: [] for kind in RECORDS}


@dataclass
class Journal:
    created: dict = field(default_factory=_per_kind)
    updated: dict = field(default_factory=_per_kind)
    deleted: dict = field(default_factory=_per_kind)

    def to_dict(self) -> dict:
        return {"created": self.created, "updated": self.updated, "deleted": self.deleted}


def tracking(ctx: Context, key: str) -> dict:
    return {"tags": [ctx.tag_id], "custom_fields": {CF_PLAN: ctx.plan_name, CF_KEY: key}}


def device_body(ctx: Context, dev: dict) -> dict:
    body = {"name": dev["name"], "status": dev["status"], **tracking(ctx, dev["key"])}
    for attr in ("device_type", "role", "site", "tenant", "location", "rack"):
        body[attr] = ctx.refs[attr].get(dev[attr]) if dev.get(attr) else None
    return body


def interface_body(ctx: Context, device_ids: dict, itf: dict) -> dict:
    return {"device": device_ids[itf["device"]], "name": itf["name"], "type": itf["type"],
            **tracking(ctx, itf["key"])}


def _termination(interface_ids: dict, end: list) -> list:
    return [{"object_type": RECORDS["interfaces"].model, "object_id": interface_ids[f"{end[0]}:{end[1]}"]}]


def cable_body(ctx: Context, interface_ids: dict, cable: dict) -> dict:
    body = {"a_terminations": _termination(interface_ids, cable["a"]),
            "b_terminations": _termination(interface_ids, cable["b"]),
            "status": cable["status"], **tracking(ctx, cable["key"])}
    if cable.get("type"):
        body["type"] = cable["type"]
    return body


def _update_body(ctx: Context, upd: dict) -> dict:
    body = {"id": upd["id"]}
    for attr, change in upd["changes"].items():
        after = change[1]
        if after in (None, ""):
            body[attr] = "" if attr == "type" else None
        else:
            body[attr] = ctx.refs[attr].get(after) if attr in ctx.refs else after
    return body


# ------------------------------------------------------------------------------------------ the steps

@dataclass
class _Run:
    """One apply's moving parts: the ids known so far grow as objects are created."""
    client: Any
    plan: Any
    ctx: Context
    journal: Journal = field(default_factory=Journal)
    device_ids: dict = field(default_factory=dict)
    interface_ids: dict = field(default_factory=dict)
    new_devices: list = field(default_factory=list)   # [(desired device, created row)]

    def batch(self, kind: str) -> int:
        return self.ctx.device_batch_size if kind == "devices" else self.ctx.batch_size


def _deletes(kind: str) -> Callable[[_Run], None]:
    def step(run: _Run) -> None:
        objects = getattr(run.plan, kind).delete
        _delete(run.client, RECORDS[kind], objects, run.journal, kind, run.batch(kind))
        if kind == "devices":
            for obj in objects:
                run.device_ids.pop(obj["key"], None)
    return step


def _updates(kind: str) -> Callable[[_Run], None]:
    def step(run: _Run) -> None:
        updates = getattr(run.plan, kind).update
        _update(run.client, RECORDS[kind], [_update_body(run.ctx, u) for u in updates], updates, run.journal, kind,
                run.ctx.batch_size)
    return step


def _create_devices(run: _Run) -> None:
    wanted = run.plan.devices.create
    run.new_devices = _create(run.client, RECORDS["devices"], [device_body(run.ctx, d) for d in wanted], wanted,
                              run.journal, "devices", run.ctx.device_batch_size)
    run.device_ids.update({obj["key"]: row["id"] for obj, row in run.new_devices})


def _read_new_interfaces(run: _Run) -> None:
    if not run.new_devices:
        return
    keys_by_id = {row["id"]: obj["key"] for obj, row in run.new_devices}
    for row in read_interfaces(run.client, list(keys_by_id)):
        run.interface_ids[f"{keys_by_id[row['device']['id']]}:{row['name']}"] = row["id"]


def _create_interfaces(run: _Run) -> None:
    wanted = run.plan.interfaces.create
    created = _create(run.client, RECORDS["interfaces"], [interface_body(run.ctx, run.device_ids, i) for i in wanted],
                      wanted, run.journal, "interfaces", run.ctx.batch_size)
    run.interface_ids.update({obj["key"]: row["id"] for obj, row in created})


def _create_cables(run: _Run) -> None:
    wanted = run.plan.cables.create
    _create(run.client, RECORDS["cables"], [cable_body(run.ctx, run.interface_ids, c) for c in wanted], wanted,
            run.journal, "cables", run.ctx.batch_size)


STEPS = (("delete cables", _deletes("cables")), ("delete interfaces", _deletes("interfaces")),
         ("delete devices", _deletes("devices")), ("update devices", _updates("devices")),
         ("create devices", _create_devices), ("read the new devices' interfaces", _read_new_interfaces),
         ("create interfaces", _create_interfaces), ("update interfaces", _updates("interfaces")),
         ("update cables", _updates("cables")), ("create cables", _create_cables))


def apply(client: Any, plan: Any, ctx: Context) -> Journal:
    """Execute `plan`. Returns the Journal; on failure rolls back creations and raises PlanWriteFailed."""
    run = _Run(client, plan, ctx, device_ids=dict(ctx.device_ids), interface_ids=dict(ctx.interface_ids))
    step = "start"
    try:
        for step, do in STEPS:
            do(run)
    except SotNetboxError as exc:
        raise _failure(client, ctx, run.journal, step, exc) from exc
    return run.journal


def _failure(client: Any, ctx: Context, journal: Journal, step: str, exc: SotNetboxError) -> PlanWriteFailed:
    """Roll back what this run created; the error that says what happened, object kind by kind."""
    found = _unjournaled(client, ctx, journal)
    rollback = roll_back(client, journal, ctx.batch_size)
    if found:
        rollback["found_after_failure"] = found
    message = (f"plan {ctx.plan_name!r}: {step} failed: {exc.message}. Rolled back what this run created "
               f"({_count(rollback['deleted'])} object(s) deleted again")
    if rollback["failed"]:
        message += f"; could NOT delete {_count(rollback['failed'])}: see rollback.failed"
    message += ")"
    kept = _count(journal.updated) + _count(journal.deleted)
    if kept:
        message += f"; {kept} update(s)/deletion(s) done before the failure remain (see done)"
    return PlanWriteFailed(ctx.plan_name, message, {"changed": bool(kept or rollback["failed"]), "failed_step": step,
                                                    "done": journal.to_dict(), "rollback": rollback})


def _unjournaled(client: Any, ctx: Context, journal: Journal) -> dict:
    """Objects this run created that the journal cannot know (a request that timed out after NetBox
    committed it): they carry the plan's tag and custom field but did not exist before the run."""
    if not ctx.tag_slug:
        return {}
    found = {}
    for kind, rec in RECORDS.items():
        try:
            rows = client.list(rec.path(), {"tag": ctx.tag_slug}, fields=["id", "custom_fields"])
        except SotNetboxError:
            continue
        known = set(ctx.existing.get(kind, ())) | {e["id"] for e in journal.created[kind]}
        extra = [r["id"] for r in rows if r["id"] not in known
                 and (r.get("custom_fields") or {}).get(CF_PLAN) == ctx.plan_name]
        if extra:
            found[kind] = extra
            journal.created[kind].extend({"key": None, "id": i, "name": f"#{i}"} for i in extra)
    return found


def read_interfaces(client: Any, device_ids: list) -> list:
    rows = []
    for i in range(0, len(device_ids), _ID_CHUNK):
        rows.extend(client.iter_all(RECORDS["interfaces"].path(), {"device_id": device_ids[i:i + _ID_CHUNK]},
                                    fields=list(INTERFACE_FIELDS)))
    return rows


def _create(client: Any, rec: ObjectType, bodies: list, objects: list, journal: Journal, kind: str,
            batch_size: int) -> list:
    if not bodies:
        return []
    try:
        rows = client.create(rec.path(), bodies, batch_size=batch_size)
    except SotNetboxError as exc:
        done = exc.result.get("created", [])
        journal.created[kind].extend(_entry(o, r) for o, r in zip(objects, done))
        raise
    journal.created[kind].extend(_entry(o, r) for o, r in zip(objects, rows))
    return list(zip(objects, rows))


def _update(client: Any, rec: ObjectType, bodies: list, objects: list, journal: Journal, kind: str,
            batch_size: int) -> None:
    if not bodies:
        return
    try:
        rows = client.update(rec.path(), bodies, batch_size=batch_size)
    except SotNetboxError as exc:
        journal.updated[kind].extend(_entry(o, r) for o, r in zip(objects, exc.result.get("updated", [])))
        raise
    journal.updated[kind].extend(_entry(o, r) for o, r in zip(objects, rows))


def _delete(client: Any, rec: ObjectType, objects: list, journal: Journal, kind: str, batch_size: int) -> None:
    if not objects:
        return
    try:
        done = client.delete(rec.path(), [o["id"] for o in objects], batch_size=batch_size)
    except SotNetboxError as exc:
        done = exc.result.get("deleted", [])
        journal.deleted[kind].extend(_entry(o, {"id": i}) for o, i in zip(objects, done))
        raise
    journal.deleted[kind].extend(_entry(o, {"id": i}) for o, i in zip(objects, done))


def _entry(obj: dict, row: Any) -> dict:
    return {"key": obj["key"], "id": row.get("id") if isinstance(row, dict) else row,
            "name": obj.get("name") or obj["key"]}


def roll_back(client: Any, journal: Journal, batch_size: int) -> dict:
    """Delete what the journal created, newest kind first. Never raises: reports what stayed."""
    out: dict = {"deleted": {}, "failed": {}}
    for kind in ("cables", "interfaces", "devices"):
        entries = journal.created.get(kind, [])
        ids = [e["id"] for e in entries if e.get("id") is not None][::-1]
        if not ids:
            continue
        try:
            out["deleted"][kind] = client.delete(RECORDS[kind].path(), ids, batch_size=batch_size)
        except SotNetboxError as exc:
            done = exc.result.get("deleted", [])
            out["deleted"][kind] = done
            out["failed"][kind] = {"ids": [i for i in ids if i not in done], "error": exc.message}
    return out


def _count(by_kind: dict) -> int:
    return sum(len(v) if isinstance(v, list) else len(v.get("ids", [])) for v in by_kind.values())
