# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""(current, desired) -> change plan. PRIVATE to the collection. Pure: no I/O, no ids invented.

`current` holds what this plan generated earlier (found by its tag and custom field), keyed like the
desired objects. The change plan is data: check mode returns it, diff mode prints it, apply
executes it. A device whose device type changes is replaced (delete + create); cables are never
edited in place when an end moves (their key is their ends), only their type/status.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from ansible_collections.sot.netbox.plugins.module_utils._records import record

if TYPE_CHECKING:  # annotations only: these import nothing at run time
    from ansible_collections.sot.netbox.plugins.module_utils._plan.expand import Desired

KINDS = ("devices", "interfaces", "cables")
DEVICE_FIELDS = record("device").compare   # declared in _records, with the fields read
CABLE_FIELDS = record("cable").compare


@dataclass
class Current:
    devices: dict = field(default_factory=dict)     # key -> {"id", "name", "device_type", ...}
    interfaces: dict = field(default_factory=dict)  # "<device key>:<name>" -> {"id", "device", "name", "type", "tracked"}
    cables: dict = field(default_factory=dict)      # key -> {"id", "a", "b", "type", "status"}


@dataclass
class Changes:
    create: list = field(default_factory=list)
    update: list = field(default_factory=list)      # {"key", "id", "name", "changes": {field: [before, after]}}
    delete: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)   # desired objects

    def __bool__(self) -> bool:
        return bool(self.create or self.update or self.delete)


@dataclass
class ChangePlan:
    devices: Changes = field(default_factory=Changes)
    interfaces: Changes = field(default_factory=Changes)
    cables: Changes = field(default_factory=Changes)

    def __bool__(self) -> bool:
        return any(bool(getattr(self, k)) for k in KINDS)

    def summary(self, names: Callable[[str, dict], str]) -> dict:
        """Counts and names per kind, for check mode and the result."""
        out = {}
        for kind in KINDS:
            ch = getattr(self, kind)
            out[kind] = {
                "create": sorted(names(kind, o) for o in ch.create),
                "update": sorted(f"{u['name']} ({', '.join(sorted(u['changes']))})" for u in ch.update),
                "delete": sorted(names(kind, o) for o in ch.delete),
                "unchanged": len(ch.unchanged),
            }
        return out


def _norm(value: Any) -> Any:
    return value if value not in (None, "") else ""


def _diff_devices(plan: ChangePlan, current: Current, desired: Desired) -> set:
    """Device changes; returns the keys of devices that are replaced (device type changed)."""
    replaced = set()
    for key, want in sorted(desired.devices.items()):
        have = current.devices.get(key)
        if have is None:
            plan.devices.create.append(want)
        elif _norm(have.get("device_type")) != _norm(want["device_type"]):
            replaced.add(key)
            plan.devices.delete.append(have)
            plan.devices.create.append(want)
        else:
            changes = {f: [have.get(f), want[f]] for f in DEVICE_FIELDS if _norm(have.get(f)) != _norm(want[f])}
            if changes:
                plan.devices.update.append({"key": key, "id": have["id"], "name": want["name"], "changes": changes})
            else:
                plan.devices.unchanged.append(want)
    gone = {k for k in current.devices if k not in desired.devices}
    plan.devices.delete.extend(current.devices[k] for k in sorted(gone))
    return replaced


def _diff_interfaces(plan: ChangePlan, current: Current, desired: Desired, removed: set) -> None:
    created = {d["key"] for d in plan.devices.create}
    for key, want in sorted(desired.interfaces.items()):
        if want["device"] in created:
            if not want["template"]:
                plan.interfaces.create.append(want)
            continue
        have = current.interfaces.get(key)
        if have is None:
            plan.interfaces.create.append(want)
        elif have.get("tracked") and not want["template"] and _norm(have.get("type")) != _norm(want["type"]):
            plan.interfaces.update.append({"key": key, "id": have["id"], "name": key,
                                           "changes": {"type": [have.get("type"), want["type"]]}})
        else:
            plan.interfaces.unchanged.append(want)
    for key, have in sorted(current.interfaces.items()):
        if have.get("tracked") and key not in desired.interfaces and have["device"] not in removed:
            plan.interfaces.delete.append(have)


def _diff_cables(plan: ChangePlan, current: Current, desired: Desired, removed: set) -> None:
    for key, want in sorted(desired.cables.items()):
        have = current.cables.get(key)
        touches_removed = want["a"][0] in removed or want["b"][0] in removed
        if have is None or touches_removed:
            if have is not None:
                plan.cables.delete.append(have)
            plan.cables.create.append(want)
            continue
        changes = {f: [have.get(f), want[f]] for f in CABLE_FIELDS if _norm(have.get(f)) != _norm(want[f])}
        if changes:
            plan.cables.update.append({"key": key, "id": have["id"], "name": key, "changes": changes})
        else:
            plan.cables.unchanged.append(want)
    plan.cables.delete.extend(have for key, have in sorted(current.cables.items()) if key not in desired.cables)


def diff(current: Current, desired: Desired) -> ChangePlan:
    plan = ChangePlan()
    replaced = _diff_devices(plan, current, desired)
    # a device that goes (or is replaced) takes its interfaces and cables with it
    removed = {k for k in current.devices if k not in desired.devices} | replaced
    _diff_interfaces(plan, current, desired, removed)
    _diff_cables(plan, current, desired, removed)
    return plan


def before_after(plan: ChangePlan, names: Callable[[str, dict], str]) -> tuple[str, str]:
    """Diff mode's texts: one line per object, sorted, names instead of ids."""
    before, after = [], []
    for kind in KINDS:
        ch = getattr(plan, kind)
        label = kind[:-1]
        same = [f"{label} {names(kind, o)}" for o in ch.unchanged]
        before += same + [f"{label} {names(kind, o)}" for o in ch.delete]
        after += same + [f"{label} {names(kind, o)}" for o in ch.create]
        for upd in ch.update:
            before += [f"{label} {upd['name']} {f}={v[0]}" for f, v in sorted(upd["changes"].items())]
            after += [f"{label} {upd['name']} {f}={v[1]}" for f, v in sorted(upd["changes"].items())]
    return "".join(line + "\n" for line in sorted(before)), "".join(line + "\n" for line in sorted(after))
