# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What netbox_plan_generate reads from NetBox: few list calls, concurrent where independent. PRIVATE.

Lookup tables (cached) and the device types' interface templates (cached) make the `Catalog`; the
choice sets come from the built-in fragment, and from the API's OPTIONS answer only for a value
outside it; then the plan's status record, its devices and cables by its tag, the interfaces of
those devices, and the names the plan would newly use (collision check).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ansible_collections.sot.netbox.plugins.module_utils._errors import RequestValidationFailed, SotNetboxError
from ansible_collections.sot.netbox.plugins.module_utils._lookups import Lookups
from ansible_collections.sot.netbox.plugins.module_utils._records import record
from ansible_collections.sot.netbox.plugins.module_utils._plan.apply import CF_KEY, CF_PLAN, RECORDS, read_interfaces
from ansible_collections.sot.netbox.plugins.module_utils._plan.checks import Catalog
from ansible_collections.sot.netbox.plugins.module_utils._plan.choices import FIELDS, FRAGMENT
from ansible_collections.sot.netbox.plugins.module_utils._plan.diff import Current
from ansible_collections.sot.netbox.plugins.module_utils._plan.expand import cable_key
from ansible_collections.sot.netbox.plugins.module_utils._plan.status import record_name
from ansible_collections.sot.netbox.plugins.module_utils._plan.store import has_plan_field, read_record

if TYPE_CHECKING:  # annotations only: these import nothing at run time
    from ansible_collections.sot.netbox.plugins.module_utils._plan.expand import Desired
    from ansible_collections.sot.netbox.plugins.module_utils._plan.model import Plan

DEVICE_FIELDS = record("device").read      # declared in _records, with what a plan compares
CABLE_FIELDS = record("cable").read
_NAME_CHUNK = 50
# (lookup table, Catalog attribute, refs key, spellings, canonical field): every reference a plan makes.
_TABLES = (("device_type", "device_types", "device_type", ("model", "slug"), "model"),
           ("device_role", "roles", "role", ("name", "slug"), "name"),
           ("site", "sites", "site", ("name", "slug"), "name"),
           ("tenant", "tenants", "tenant", ("name", "slug"), "name"),
           ("location", "locations", "location", ("name", "slug"), "name"),
           ("rack", "racks", "rack", ("name",), "name"))

__all__ = ["load_catalog", "load_choices", "read_collisions", "read_current", "read_record", "record_name"]


# ------------------------------------------------------------------------------------------ catalog

def _site_id(rows: list, spelling: Any) -> int | None:
    for key in ("name", "slug", "id"):
        for row in rows:
            if str(row.get(key)) == str(spelling):
                return row["id"]
    return None


def _fill(mapping: dict, ids: Any, rows: list, keys: tuple, label: str) -> None:
    """Every spelling (the keys, then the id) -> the canonical name; canonical name -> id."""
    for row in rows:
        for key in keys:
            if row.get(key) not in (None, ""):
                mapping.setdefault(str(row[key]), row[label])
    for row in rows:  # ids after names, so a name that looks like a number still means that name
        mapping.setdefault(str(row["id"]), row[label])
        ids[row[label]] = row["id"]


def load_catalog(client: Any, plan: Plan) -> tuple:
    """Lookup tables (cached) and the referenced device types' interface templates."""
    wanted = ["device_type", "device_role", "site"] + [t for t in ("tenant", "location", "rack") if getattr(plan, t)]
    lookups = Lookups(client).load(*wanted)
    catalog, refs = Catalog(), {ref: {} for _t, _a, ref, _k, _l in _TABLES}
    site_id = _site_id(lookups.table("site").rows, plan.site)
    for table_name, attr, ref, keys, label in _TABLES:
        if table_name not in wanted:
            continue
        rows = lookups.table(table_name).rows
        if table_name in ("location", "rack"):  # names are unique per site only
            rows = [r for r in rows if (r.get("site") or {}).get("id") in (site_id, None)]
        _fill(getattr(catalog, attr), refs[ref], rows, keys, label)
    _load_ports(client, plan, catalog, refs)
    return catalog, refs


def _load_ports(client: Any, plan: Plan, catalog: Catalog, refs: dict) -> None:
    type_ids = sorted({refs["device_type"][catalog.device_types[c.device_type]]
                       for c in plan.classes.values() if c.device_type in catalog.device_types})
    if type_ids:
        models = {v: k for k, v in refs["device_type"].items()}
        templates = client.list(record("interface_template").path(), {"device_type_id": type_ids}, cache="static",
                                fields=["id", "name", "type", "device_type"])
        for row in templates:
            model = models.get((row.get("device_type") or {}).get("id"))
            if model:
                catalog.ports.setdefault(model, {})[row["name"]] = _value(row.get("type"))
    for model in refs["device_type"]:
        catalog.ports.setdefault(model, {})


def load_choices(client: Any, kinds: list) -> dict:
    """The choice sets for `kinds` as NetBox declares them (OPTIONS); the fragment when NetBox does not
    say (a token without add permission gets no `actions` in the answer)."""
    known = {kind: list(values) for kind, values in FRAGMENT.items()}
    types = sorted({FIELDS[k][0] for k in kinds})
    answers = client.fetch_concurrently({t: (lambda t=t: _options(client, record(t).path())) for t in types})
    for kind in kinds:
        type_name, field = FIELDS[kind]
        declared = ((answers.get(type_name) or {}).get("actions") or {}).get("POST", {}).get(field, {})
        values = [c.get("value") for c in declared.get("choices") or [] if isinstance(c, dict)]
        known[kind] += [v for v in values if v not in known[kind]]
    return known


def _options(client: Any, endpoint: str) -> dict | None:
    try:
        return client.request("OPTIONS", endpoint)
    except SotNetboxError:
        return None  # validation then relies on the fragment alone


def _value(v: Any) -> Any:
    return v.get("value") if isinstance(v, dict) else v


def _name(v: Any, key: str = "name") -> str:
    return (v or {}).get(key) or "" if isinstance(v, dict) else (v or "")


def ours(row: dict, name: str) -> bool:
    cf = row.get("custom_fields") or {}
    return cf.get(CF_PLAN) == name and bool(cf.get(CF_KEY))


# ------------------------------------------------------------------------------------------ current

def by_tag(client: Any, path: str, slug: str, fields: tuple) -> list | None:
    """Objects carrying the tag; None when the tag does not exist (NetBox rejects the filter)."""
    try:
        return client.list(path, {"tag": slug}, fields=list(fields))
    except RequestValidationFailed as exc:
        if isinstance(exc.fields, dict) and "tag" in exc.fields:
            return None
        raise


def by_custom_field(client: Any, path: str, name: str, fields: tuple) -> list:
    """Objects whose custom field sot_plan is `name` (also those that lost the tag); [] without the field.

    NetBox ignores a filter on an unknown custom field, so the field's existence is checked first."""
    if not has_plan_field(client):
        return []
    return client.list(path, {f"cf_{CF_PLAN}": name}, fields=list(fields))


def _fetch_current(client: Any, name: str, slug: str, sweep: bool) -> dict:
    devices, cables = RECORDS["devices"].path(), RECORDS["cables"].path()
    calls = {"devices": lambda: by_tag(client, devices, slug, DEVICE_FIELDS),
             "cables": lambda: by_tag(client, cables, slug, CABLE_FIELDS)}
    if sweep:
        calls["cf_devices"] = lambda: by_custom_field(client, devices, name, DEVICE_FIELDS)
        calls["cf_cables"] = lambda: by_custom_field(client, cables, name, CABLE_FIELDS)
    got = client.fetch_concurrently(calls)
    for kind in ("devices", "cables"):
        extra = got.pop("cf_" + kind, None) or []
        if extra:
            seen = {r["id"] for r in got[kind] or []}
            got[kind] = (got[kind] or []) + [r for r in extra if r["id"] not in seen]
    return got


def _tag_id(rows: list, slug: str) -> int | None:
    for row in rows:
        found = next((t["id"] for t in row.get("tags") or [] if t.get("slug") == slug), None)
        if found:
            return found
    return None


def _device(row: dict, key: str) -> dict:
    return {"key": key, "id": row["id"], "name": row.get("name"),
            "device_type": _name(row.get("device_type"), "model"), "role": _name(row.get("role")),
            "site": _name(row.get("site")), "tenant": _name(row.get("tenant")),
            "location": _name(row.get("location")), "rack": _name(row.get("rack")),
            "status": _value(row.get("status")) or ""}


def _cable(row: dict, key_by_id: dict) -> tuple:
    ends = [_end(row.get(side), key_by_id) for side in ("a_terminations", "b_terminations")]
    if None in ends:  # an end is no longer on one of the plan's devices: replace the cable
        key = f"{row['custom_fields'][CF_KEY]}#unresolved-{row['id']}"
        ends = [e or ["?", "?"] for e in ends]
    else:
        key = cable_key(ends[0][0], ends[0][1], ends[1][0], ends[1][1])
    return key, {"key": key, "id": row["id"], "a": ends[0], "b": ends[1], "type": row.get("type") or "",
                 "status": _value(row.get("status")) or ""}


def read_current(client: Any, name: str, slug: str, sweep: bool = False) -> tuple:
    """The plan's current objects, keyed, plus foreign objects that carry its tag, plus the tag id.

    With `sweep` (state absent) objects are found by the plan's custom field as well as its tag, so
    leftovers of an interrupted run that lost the tag are removed too."""
    got = _fetch_current(client, name, slug, sweep)
    current, foreign = Current(), {"devices": [], "cables": []}
    if got["devices"] is None:
        return current, foreign, None
    tag_id = _tag_id((got["devices"] or []) + (got["cables"] or []), slug)
    key_by_id = {}
    for row in got["devices"]:
        if not ours(row, name):
            foreign["devices"].append({"id": row["id"], "name": row.get("name")})
            continue
        key_by_id[row["id"]] = row["custom_fields"][CF_KEY]
        current.devices[key_by_id[row["id"]]] = _device(row, key_by_id[row["id"]])
    for row in got["cables"] or []:
        if not ours(row, name):
            foreign["cables"].append({"id": row["id"], "name": (row.get("custom_fields") or {}).get(CF_KEY)})
            continue
        key, cable = _cable(row, key_by_id)
        current.cables[key] = cable
    _interfaces_of(client, name, key_by_id, current)
    return current, foreign, tag_id


def _interfaces_of(client: Any, name: str, key_by_id: dict, current: Current) -> None:
    if not key_by_id:
        return
    for row in read_interfaces(client, sorted(key_by_id)):
        dev = key_by_id.get((row.get("device") or {}).get("id"))
        if dev is None:
            continue
        ikey = f"{dev}:{row['name']}"
        current.interfaces[ikey] = {"key": ikey, "id": row["id"], "device": dev, "name": row["name"],
                                    "type": _value(row.get("type")) or "", "tracked": ours(row, name)}


def _end(terminations: list | None, key_by_id: dict) -> list | None:
    if not terminations or len(terminations) != 1:
        return None
    obj = terminations[0].get("object") or {}
    dev = key_by_id.get((obj.get("device") or {}).get("id"))
    return [dev, obj.get("name")] if dev and obj.get("name") else None


def read_collisions(client: Any, desired: Desired, current: Current) -> list:
    """Devices of other owners using a name the plan would newly use."""
    ours_ids = {d["id"] for d in current.devices.values()}
    taken = {d["name"] for d in current.devices.values()}
    names = sorted({d["name"] for d in desired.devices.values()} - taken
                   | {d["name"] for k, d in desired.devices.items() if k in current.devices
                      and current.devices[k]["name"] != d["name"]})
    rows = []
    for i in range(0, len(names), _NAME_CHUNK):
        rows.extend(client.list(RECORDS["devices"].path(), {"name": names[i:i + _NAME_CHUNK]},
                                fields=["id", "name", "site", "custom_fields"]))
    return [{"id": r["id"], "name": r["name"], "site": _name(r.get("site")),
             "plan": (r.get("custom_fields") or {}).get(CF_PLAN)} for r in rows if r["id"] not in ours_ids]
