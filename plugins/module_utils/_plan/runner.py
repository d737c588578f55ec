# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""netbox_plan_generate's runner: the only code that reads module.params. PRIVATE to the collection.

Reads (few list calls, concurrent where independent): lookup tables (cached), the plan's status
record, the device types' interface templates (cached), the plan's devices and cables by its tag,
the interfaces of those devices, and the names the plan would newly use (collision check).

Tracking: every generated device, interface and cable carries the tag `sot-plan-<name>` and the
custom fields `sot_plan` (plan name) and `sot_plan_key` (stable key). The plan's status (draft,
validated, approved, generated), content hash and calculation summary live in the config context
`sot-plan-<name>`, assigned to the plan's tag, so every generated device shows its plan.
"""
from __future__ import annotations

import re

from ansible_collections.sot.netbox.plugins.module_utils._errors import (
    InputError, RequestValidationFailed, SotNetboxError, Timeout, ValidationErrors)
from ansible_collections.sot.netbox.plugins.module_utils._lookups import Lookups
from ansible_collections.sot.netbox.plugins.module_utils._plan.apply import (
    CF_KEY, CF_PLAN, Context, apply, read_interfaces)
from ansible_collections.sot.netbox.plugins.module_utils._plan.calculate import ALGORITHM_VERSION, calculate
from ansible_collections.sot.netbox.plugins.module_utils._plan.diff import KINDS, Current, before_after, diff
from ansible_collections.sot.netbox.plugins.module_utils._plan.expand import cable_key, collisions, expand
from ansible_collections.sot.netbox.plugins.module_utils._plan.model import (
    Catalog, check_against, check_plan, parse_plan)

DEVICE_FIELDS = ("id", "name", "device_type", "role", "site", "tenant", "location", "rack", "status", "tags",
                 "custom_fields")
CABLE_FIELDS = ("id", "a_terminations", "b_terminations", "type", "status", "tags", "custom_fields")
RECORD_FIELDS = ("id", "name", "data", "tags")
TRACKED_TYPES = ["dcim.device", "dcim.interface", "dcim.cable"]
_NAME_CHUNK = 50


def plan_slug(name):
    return "sot-plan-" + re.sub(r"[^a-z0-9_-]+", "-", str(name).lower()).strip("-")


def record_name(name):
    return f"sot-plan-{name}"


# ------------------------------------------------------------------------------------------ reads

def load_catalog(client, plan):
    """Lookup tables (cached) and the referenced device types' interface templates."""
    wanted = ["device_type", "device_role", "site"] + [t for t in ("tenant", "location", "rack") if getattr(plan, t)]
    lookups = Lookups(client).load(*wanted)
    catalog, refs = Catalog(), {"device_type": {}, "role": {}, "site": {}, "tenant": {}, "location": {}, "rack": {}}
    for table_name, attr, ref, keys, label in (
            ("device_type", "device_types", "device_type", ("model", "slug"), "model"),
            ("device_role", "roles", "role", ("name", "slug"), "name"),
            ("site", "sites", "site", ("name", "slug"), "name"),
            ("tenant", "tenants", "tenant", ("name", "slug"), "name"),
            ("location", "locations", "location", ("name", "slug"), "name"),
            ("rack", "racks", "rack", ("name",), "name")):
        if table_name not in wanted:
            continue
        rows = lookups.table(table_name).rows
        if table_name in ("location", "rack"):  # site-scoped names
            rows = [r for r in rows if (r.get("site") or {}).get("name") in (plan.site, None)
                    or (r.get("site") or {}).get("slug") == plan.site]
        mapping = getattr(catalog, attr)
        for row in rows:
            for key in keys:
                if row.get(key):
                    mapping[str(row[key])] = row[label]
            refs[ref][row[label]] = row["id"]
    type_ids = sorted({refs["device_type"][catalog.device_types[c.device_type]]
                       for c in plan.classes.values() if c.device_type in catalog.device_types})
    if type_ids:
        models = {v: k for k, v in refs["device_type"].items()}
        templates = client.list("dcim/interface-templates", {"device_type_id": type_ids}, cache="static",
                                fields=["id", "name", "type", "device_type"])
        for row in templates:
            model = models.get((row.get("device_type") or {}).get("id"))
            if model:
                catalog.ports.setdefault(model, {})[row["name"]] = _value(row.get("type"))
    for model in refs["device_type"]:
        catalog.ports.setdefault(model, {})
    return catalog, refs


def _value(v):
    return v.get("value") if isinstance(v, dict) else v


def _name(v, key="name"):
    return (v or {}).get(key) or "" if isinstance(v, dict) else (v or "")


def _ours(row, name):
    cf = row.get("custom_fields") or {}
    return cf.get(CF_PLAN) == name and bool(cf.get(CF_KEY))


def by_tag(client, path, slug, fields):
    """Objects carrying the tag; None when the tag does not exist (NetBox rejects the filter)."""
    try:
        return client.list(path, {"tag": slug}, fields=list(fields))
    except RequestValidationFailed as exc:
        if isinstance(exc.fields, dict) and "tag" in exc.fields:
            return None
        raise


def read_record(client, name):
    rows = client.list("extras/config-contexts", {"name": record_name(name)}, fields=list(RECORD_FIELDS))
    return rows[0] if rows else None


def by_custom_field(client, path, name, fields):
    """Objects whose custom field sot_plan is `name` (also those that lost the tag); [] without the field.

    NetBox ignores a filter on an unknown custom field, so the field's existence is checked first."""
    if not client.list("extras/custom-fields", {"name": CF_PLAN}, fields=["id"]):
        return []
    return client.list(path, {f"cf_{CF_PLAN}": name}, fields=list(fields))


def read_current(client, name, slug, sweep=False):
    """The plan's current objects, keyed, plus foreign objects that carry its tag, plus the tag id.

    With `sweep` (state absent) objects are found by the plan's custom field as well as its tag, so
    leftovers of an interrupted run that lost the tag are removed too."""
    calls = {"devices": lambda: by_tag(client, "dcim/devices", slug, DEVICE_FIELDS),
             "cables": lambda: by_tag(client, "dcim/cables", slug, CABLE_FIELDS)}
    if sweep:
        calls["cf_devices"] = lambda: by_custom_field(client, "dcim/devices", name, DEVICE_FIELDS)
        calls["cf_cables"] = lambda: by_custom_field(client, "dcim/cables", name, CABLE_FIELDS)
    got = client.fetch_concurrently(calls)
    for kind in ("devices", "cables"):
        extra = got.get("cf_" + kind) or []
        if extra:
            seen = {r["id"] for r in got[kind] or []}
            got[kind] = (got[kind] or []) + [r for r in extra if r["id"] not in seen]
    current, foreign, tag_id = Current(), {"devices": [], "cables": []}, None
    if got["devices"] is None:
        return current, foreign, None
    key_by_id = {}
    for row in got["devices"]:
        tag_id = tag_id or next((t["id"] for t in row.get("tags") or [] if t.get("slug") == slug), None)
        if not _ours(row, name):
            foreign["devices"].append({"id": row["id"], "name": row.get("name")})
            continue
        key = row["custom_fields"][CF_KEY]
        key_by_id[row["id"]] = key
        current.devices[key] = {
            "key": key, "id": row["id"], "name": row.get("name"),
            "device_type": _name(row.get("device_type"), "model"), "role": _name(row.get("role")),
            "site": _name(row.get("site")), "tenant": _name(row.get("tenant")),
            "location": _name(row.get("location")), "rack": _name(row.get("rack")),
            "status": _value(row.get("status")) or "",
        }
    for row in got["cables"] or []:
        tag_id = tag_id or next((t["id"] for t in row.get("tags") or [] if t.get("slug") == slug), None)
        if not _ours(row, name):
            foreign["cables"].append({"id": row["id"], "name": (row.get("custom_fields") or {}).get(CF_KEY)})
            continue
        ends = [_end(row.get(side), key_by_id) for side in ("a_terminations", "b_terminations")]
        if None in ends:  # an end is no longer on one of the plan's devices: replace the cable
            key = f"{row['custom_fields'][CF_KEY]}#unresolved-{row['id']}"
            ends = [e or ["?", "?"] for e in ends]
        else:
            key = cable_key(ends[0][0], ends[0][1], ends[1][0], ends[1][1])
        current.cables[key] = {"key": key, "id": row["id"], "a": ends[0], "b": ends[1],
                               "type": row.get("type") or "", "status": _value(row.get("status")) or ""}
    if key_by_id:
        for row in read_interfaces(client, sorted(key_by_id)):
            dev = key_by_id.get((row.get("device") or {}).get("id"))
            if dev is None:
                continue
            ikey = f"{dev}:{row['name']}"
            current.interfaces[ikey] = {"key": ikey, "id": row["id"], "device": dev, "name": row["name"],
                                        "type": _value(row.get("type")) or "", "tracked": _ours(row, name)}
    return current, foreign, tag_id


def _end(terminations, key_by_id):
    if not terminations or len(terminations) != 1:
        return None
    obj = terminations[0].get("object") or {}
    dev = key_by_id.get((obj.get("device") or {}).get("id"))
    return [dev, obj.get("name")] if dev and obj.get("name") else None


def read_collisions(client, desired, current):
    """Devices of other owners using a name the plan would newly use."""
    ours = {d["id"] for d in current.devices.values()}
    taken = {d["name"] for d in current.devices.values()}
    names = sorted({d["name"] for d in desired.devices.values()} - taken
                   | {d["name"] for k, d in desired.devices.items() if k in current.devices
                      and current.devices[k]["name"] != d["name"]})
    rows = []
    for i in range(0, len(names), _NAME_CHUNK):
        rows.extend(client.list("dcim/devices", {"name": names[i:i + _NAME_CHUNK]},
                                fields=["id", "name", "site", "custom_fields"]))
    return [{"id": r["id"], "name": r["name"], "site": _name(r.get("site")),
             "plan": (r.get("custom_fields") or {}).get(CF_PLAN)} for r in rows if r["id"] not in ours]


# ------------------------------------------------------------------------------------------ writes

def ensure_tag(client, plan_name, slug, tag_id, created):
    if tag_id:
        return tag_id
    rows = client.list("extras/tags", {"slug": slug}, fields=["id", "slug"])
    if rows:
        return rows[0]["id"]
    row = client.create_one("extras/tags", {"name": slug, "slug": slug, "color": "607d8b",
                                            "description": f"generated by sot.netbox plan {plan_name}"})
    created.append(("tag", "extras/tags", row["id"]))
    return row["id"]


def ensure_custom_fields(client):
    """The tracking custom fields exist and apply to devices, interfaces and cables. Returns what it did."""
    found = client.list("extras/custom-fields", {"name": [CF_PLAN, CF_KEY]}, fields=["id", "name", "object_types"])
    rows = {r["name"]: r for r in found}
    new, fix = [], []
    for name, label in ((CF_PLAN, "sot.netbox plan"), (CF_KEY, "sot.netbox plan key")):
        row = rows.get(name)
        if row is None:
            new.append({"name": name, "label": label, "type": "text", "object_types": TRACKED_TYPES,
                        "ui_editable": "no", "filter_logic": "exact",
                        "description": "set by sot.netbox.netbox_plan_generate; do not edit"})
        elif set(TRACKED_TYPES) - set(row.get("object_types") or []):
            fix.append({"id": row["id"], "object_types": sorted(set(row.get("object_types") or []) | set(TRACKED_TYPES))})
    if new:
        client.create("extras/custom-fields", new)
    if fix:
        client.update("extras/custom-fields", fix)
    return [n["name"] for n in new]


def record_data(plan, status, calc, desired):
    return {"sot_plan": {
        "name": plan.name, "status": status, "plan_hash": plan.digest(), "site": plan.site,
        "algorithm_version": ALGORITHM_VERSION,
        "quantities": dict(calc.quantities) if calc else {},
        "inputs_hashes": {k: v["inputs_hash"] for k, v in calc.metadata.items()} if calc else {},
        "counts": desired.counts() if desired else {}}}


def write_record(client, plan, record, data, created):
    """Create or update the status record; returns True when it wrote."""
    if record is None:
        row = client.create_one("extras/config-contexts", {
            "name": record_name(plan.name), "weight": 1000, "is_active": True, "tags": [plan_slug(plan.name)],
            "data": data,
            "description": f"status of sot.netbox plan {plan.name} (edit data.sot_plan.status to approve)"})
        created.append(("record", "extras/config-contexts", row["id"]))
        return True
    if record.get("data") == data:
        return False
    client.update_one("extras/config-contexts", record["id"], {"data": data, "tags": [plan_slug(plan.name)]})
    return True


def next_status(record, plan, approve):
    info = ((record or {}).get("data") or {}).get("sot_plan") or {}
    same = info.get("plan_hash") == plan.digest()
    if approve:
        return "approved"
    if same and info.get("status") in ("approved", "generated"):
        return info["status"]
    return "validated"


def approval_error(record, plan):
    info = ((record or {}).get("data") or {}).get("sot_plan") or {}
    if info.get("status") in ("approved", "generated") and info.get("plan_hash") == plan.digest():
        return None
    if not info:
        why = "it has no status record yet (run state=validated, then approve it)"
    elif info.get("plan_hash") != plan.digest():
        why = (f"its status is {info.get('status')!r} for different plan content (hash {str(info.get('plan_hash'))[:12]}, "
               f"this plan {plan.digest()[:12]}); validate and approve this version")
    else:
        why = f"its status is {info.get('status')!r}"
    return InputError("require_approval", True, f"plan {plan.name!r} is not approved: {why}")


# ------------------------------------------------------------------------------------------ run

def run(module, client):
    p = module.params
    state = p["state"]
    if p["approve"] and state != "validated":
        raise InputError("approve", True, "only valid with state=validated")
    for option in ("batch_size", "device_batch_size"):
        if p[option] < 1:
            raise InputError(option, p[option], "must be at least 1")
    if state == "absent":
        return run_absent(client, p["plan"], module.check_mode, p["device_batch_size"])
    plan, errors = parse_plan(p["plan"])
    if not errors:
        errors += check_plan(plan)
    catalog, refs = load_catalog(client, plan) if plan.site or plan.classes else (Catalog(), {})
    errors += check_against(plan, catalog)
    calc = desired = None
    if not errors:
        calc = calculate(plan)
        errors += calc.errors
    if not errors:
        desired = expand(plan, calc, catalog)
        errors += desired.errors
    slug = plan_slug(plan.name)
    record = read_record(client, plan.name) if plan.name else None
    result = {"changed": False, "state": state,
              "plan": {"name": plan.name, "site": plan.site, "hash": plan.digest(), "tag": slug,
                       "record": record_name(plan.name),
                       "status": (((record or {}).get("data") or {}).get("sot_plan") or {}).get("status", "none")},
              "calculation": calc.to_dict() if calc else {}}
    # What the plan generated is read only for a plan that validates (nothing else needs it).
    current, foreign, tag_id = (read_current(client, plan.name, slug) if plan.name and not errors
                                else (Current(), {}, None))
    if desired is not None and not errors:
        errors += collisions(desired, read_collisions(client, desired, current), plan.name)
    if foreign.get("devices") or foreign.get("cables"):
        result["foreign"] = foreign
    if errors:
        # Nothing is written when validation fails (not even a status): the plan stays what NetBox
        # last recorded, and an approval is bound to the content hash, so it cannot carry over.
        raise ValidationErrors(errors, result=result)

    changes = diff(current, desired)
    names = _namer(desired, current)
    result["desired"] = desired.counts()
    result["changes"] = changes.summary(names)
    if module._diff:
        before, after = before_after(changes, names)
        result["diff"] = {"before": before, "after": after, "before_header": f"NetBox: plan {plan.name}",
                          "after_header": f"plan {plan.name}"}
    if state == "validated":
        status = next_status(record, plan, p["approve"])
        return _write_status(client, plan, record, status, calc, desired, tag_id, result, module.check_mode)

    if p["require_approval"]:
        error = approval_error(record, plan)
        if error is not None:
            error.result.update(result)
            raise error
    result["counts"] = _counts(changes, None)
    result["changed"] = bool(changes)
    if module.check_mode:
        result["objects"] = _objects(current, desired, changes, None)
        result["plan"]["status"] = "generated"
        return result
    infra = []
    try:
        if changes:
            tag_id = ensure_tag(client, plan.name, slug, tag_id, infra)
            result["custom_fields_created"] = ensure_custom_fields(client)
    except SotNetboxError as exc:
        _undo_infra(client, infra, exc)
        raise
    ctx = Context(plan_name=plan.name, tag_id=tag_id, refs=refs, batch_size=p["batch_size"],
                  device_batch_size=p["device_batch_size"], tag_slug=slug,
                  device_ids={k: v["id"] for k, v in current.devices.items()},
                  interface_ids={k: v["id"] for k, v in current.interfaces.items()},
                  existing={kind: {v["id"] for v in getattr(current, kind).values()} for kind in KINDS})
    try:
        journal = apply(client, changes, ctx) if changes else None
    except SotNetboxError as exc:
        _undo_infra(client, infra, exc)
        exc.result.update({k: v for k, v in result.items() if k not in exc.result})
        raise
    result["counts"] = _counts(changes, journal)
    result["objects"] = _objects(current, desired, changes, journal)
    result["plan"]["status"] = "generated"
    try:
        ensure_tag(client, plan.name, slug, tag_id, infra)
        wrote = write_record(client, plan, record, record_data(plan, "generated", calc, desired), infra)
    except SotNetboxError as exc:
        exc.message = f"plan {plan.name!r} was generated, but its status record was not written: {exc.message}"
        exc.result.update({**result, "changed": bool(changes)})
        raise
    result["changed"] = bool(changes) or wrote or bool(infra)
    return result


def _write_status(client, plan, record, status, calc, desired, tag_id, result, check_mode):
    result["plan"]["status"] = status
    data = record_data(plan, status, calc, desired)
    if record is not None and record.get("data") == data:
        return result
    result["changed"] = True
    if not check_mode:
        created = []
        ensure_tag(client, plan.name, plan_slug(plan.name), tag_id, created)
        write_record(client, plan, record, data, created)
    return result


def _undo_infra(client, infra, exc):
    """Remove the tag/record this run created when the run failed.

    Not after a timeout: NetBox may still commit the timed-out request, and its objects keep the tag."""
    undone = []
    if isinstance(exc.__cause__, Timeout) or isinstance(exc, Timeout):
        exc.message += (f" A request timed out: NetBox may still commit it. Re-run with state=absent to remove "
                        f"every object whose custom field {CF_PLAN} names this plan, or raise timeout/lower "
                        "device_batch_size.")
        return
    for kind, path, obj_id in reversed(infra):
        try:
            client.delete(path, [obj_id])
            undone.append(kind)
        except SotNetboxError:
            pass
    if undone:
        exc.result.setdefault("rollback", {}).setdefault("infrastructure", undone)


def _namer(desired, current):
    dev_names = {k: v["name"] for k, v in current.devices.items()}
    dev_names.update({k: v["name"] for k, v in desired.devices.items()})

    def names(kind, obj):
        if kind == "devices":
            return obj["name"]
        if kind == "interfaces":
            return f"{dev_names.get(obj['device'], obj['device'])}:{obj['name']}"
        (a_dev, a_port), (b_dev, b_port) = obj["a"], obj["b"]
        return f"{dev_names.get(a_dev, a_dev)}:{a_port} -- {dev_names.get(b_dev, b_dev)}:{b_port}"
    return names


def _counts(changes, journal):
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


def _objects(current, desired, changes, journal):
    """The plan's devices and cables after the run: key, id (None in check mode for new ones), name."""
    names = _namer(desired, current)
    out = {}
    created = {}
    if journal is not None:
        for kind in KINDS:
            created[kind] = {e["key"]: e["id"] for e in journal.created[kind]}
    for kind, wanted, have in (("devices", desired.devices, current.devices),
                               ("cables", desired.cables, current.cables)):
        ids = {k: v["id"] for k, v in have.items()}
        ids.update(created.get(kind, {}))
        replaced = {o["key"] for o in getattr(changes, kind).create}
        out[kind] = [{"key": k, "id": (created.get(kind, {}).get(k) if k in replaced else ids.get(k)),
                      "name": names(kind, obj)} for k, obj in sorted(wanted.items())]
    tracked = {k: v["id"] for k, v in current.interfaces.items() if v.get("tracked")}
    tracked.update(created.get("interfaces", {}))
    out["interfaces"] = [{"key": k, "id": tracked.get(k), "name": names("interfaces", obj)}
                         for k, obj in sorted(desired.interfaces.items()) if not obj["template"] or k in tracked]
    return out


# ------------------------------------------------------------------------------------------ absent

def run_absent(client, data, check_mode, device_batch_size):
    name = (data or {}).get("name") if isinstance(data, dict) else None
    if not name:
        raise InputError("plan.name", name, "required: state=absent removes what the plan of this name generated")
    slug = plan_slug(name)
    current, foreign = read_current(client, name, slug, sweep=True)[:2]
    record = read_record(client, name)
    cables = [{"key": k, "id": v["id"], "name": k} for k, v in sorted(current.cables.items())]
    devices = [{"key": k, "id": v["id"], "name": v["name"]} for k, v in sorted(current.devices.items())]
    result = {"state": "absent", "plan": {"name": name, "tag": slug, "record": record_name(name)},
              "changed": bool(cables or devices or record),
              "counts": {"cables": {"deleted": len(cables)}, "devices": {"deleted": len(devices)},
                         "interfaces": {"deleted": 0}},
              "objects": {"devices": devices, "cables": cables}}
    if foreign.get("devices") or foreign.get("cables"):
        result["foreign"] = foreign
    if check_mode or not result["changed"] and not _tag_exists(client, slug):
        return result
    deleted = {}
    try:
        deleted["cables"] = client.delete("dcim/cables", [c["id"] for c in cables]) if cables else []
        deleted["devices"] = (client.delete("dcim/devices", [d["id"] for d in devices], batch_size=device_batch_size)
                              if devices else [])
        if record is not None:
            client.delete("extras/config-contexts", [record["id"]])
            deleted["record"] = [record["id"]]
        tag = client.list("extras/tags", {"slug": slug}, fields=["id", "tagged_items"])
        if tag and not tag[0].get("tagged_items"):
            client.delete("extras/tags", [tag[0]["id"]])
            deleted["tag"] = [tag[0]["id"]]
            result["changed"] = True
    except SotNetboxError as exc:
        exc.result.update({"changed": bool(any(deleted.values())), "deleted": deleted})
        raise
    return result


def _tag_exists(client, slug):
    return bool(client.list("extras/tags", {"slug": slug}, fields=["id"]))
