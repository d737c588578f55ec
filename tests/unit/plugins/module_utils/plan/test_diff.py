# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import itertools

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._plan.diff import Current, before_after, diff
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.plan.helpers import SMALL, catalog, desired_of, plan_dict


def as_current(desired):
    """What NetBox would hold after generating `desired` (ids 1..n)."""
    cur = Current()
    for i, (k, d) in enumerate(sorted(desired.devices.items()), 1):
        cur.devices[k] = {**{f: d[f] for f in ("key", "name", "device_type", "role", "site", "tenant", "location",
                                               "rack", "status")}, "id": i}
    ids = itertools.count(100)
    for k, d in sorted(desired.devices.items()):   # every template port, as NetBox instantiates them
        for port, kind in catalog().ports[d["device_type"]].items():
            cur.interfaces[f"{k}:{port}"] = {"key": f"{k}:{port}", "id": next(ids), "device": k, "name": port,
                                             "type": kind, "tracked": False}
    for k, itf in sorted(desired.interfaces.items()):
        if not itf["template"]:
            cur.interfaces[k] = {"key": k, "id": next(ids), "device": itf["device"], "name": itf["name"],
                                 "type": itf["type"], "tracked": True}
    for i, (k, c) in enumerate(sorted(desired.cables.items()), 1000):
        cur.cables[k] = {"key": k, "id": i, "a": c["a"], "b": c["b"], "type": c["type"], "status": c["status"]}
    return cur


def counts(plan):
    return {kind: tuple(len(getattr(getattr(plan, kind), op)) for op in ("create", "update", "delete", "unchanged"))
            for kind in ("devices", "interfaces", "cables")}


# (current plan, desired plan, (create, update, delete, unchanged) per kind)
CASES = [
    ("nothing -> small", None, SMALL,
     {"devices": (7, 0, 0, 0), "interfaces": (2, 0, 0, 0), "cables": (12, 0, 0, 0)}),
    ("unchanged", SMALL, SMALL,
     {"devices": (0, 0, 0, 7), "interfaces": (0, 0, 0, 26), "cables": (0, 0, 0, 12)}),
    ("grow by one server", SMALL, plan_dict(server_classes__0__quantity=5),
     {"devices": (1, 0, 0, 7), "interfaces": (0, 0, 0, 28), "cables": (2, 0, 0, 12)}),
    ("shrink by two servers", SMALL, plan_dict(server_classes__0__quantity=2),
     {"devices": (0, 0, 2, 5), "interfaces": (0, 0, 0, 18), "cables": (0, 0, 4, 8)}),
    ("rename by pattern", SMALL, plan_dict(naming={"device": "x-{class}{index}"}),
     {"devices": (0, 7, 0, 0), "interfaces": (0, 0, 0, 26), "cables": (0, 0, 0, 12)}),
    ("device type change replaces devices and their cables", SMALL,
     plan_dict(server_classes__0__device_type="DGX-H100", server_classes__0__connections__0__ports=["fe0", "fe1"]),
     {"devices": (4, 0, 4, 3), "interfaces": (0, 0, 0, 18), "cables": (8, 0, 8, 4)}),
    ("extra interface removed", SMALL, plan_dict(switch_classes__0__interfaces=[]),
     {"devices": (0, 0, 0, 7), "interfaces": (0, 0, 2, 24), "cables": (0, 0, 0, 12)}),
    ("cable type set", SMALL, plan_dict(server_classes__0__connections__0__cable_type="dac-active"),
     {"devices": (0, 0, 0, 7), "interfaces": (0, 0, 0, 26), "cables": (0, 8, 0, 4)}),
    ("everything removed", SMALL, {"name": "t-small", "site": "lab1", "switch_classes": [
        {"id": "x", "device_type": "DCS-7060X5-64", "role": "leaf", "quantity": 1}]},
     {"devices": (1, 0, 7, 0), "interfaces": (0, 0, 0, 0), "cables": (0, 0, 12, 0)}),
]


@pytest.mark.parametrize("label, before, after, expected", CASES, ids=[c[0] for c in CASES])
def test_diff_touches_only_what_changed(label, before, after, expected):
    current = as_current(desired_of(before)) if before else Current()
    plan = diff(current, desired_of(after))
    assert counts(plan) == expected, label
    assert bool(plan) == any(sum(v[:3]) for v in expected.values())


def test_replaced_devices_delete_and_recreate_cables():
    current = as_current(desired_of(SMALL))
    after = plan_dict(server_classes__0__device_type="DGX-H100", server_classes__0__connections__0__ports=["fe0", "fe1"])
    plan = diff(current, desired_of(after))
    # the 8 server cables change ends (fe0/fe1): new keys; the old ones are deleted as not desired
    assert {c["a"][1] for c in plan.cables.create} == {"fe0", "fe1"}
    assert len(plan.cables.delete) == 8


def test_missing_template_interface_on_existing_device_is_created():
    desired = desired_of(SMALL)
    current = as_current(desired)
    del current.interfaces["srv/1:eno1"]
    plan = diff(current, desired)
    assert [i["key"] for i in plan.interfaces.create] == ["srv/1:eno1"]


def test_update_lists_changed_fields_by_name():
    current = as_current(desired_of(SMALL))
    current.devices["srv/1"]["role"] = "leaf"
    current.devices["srv/1"]["tenant"] = ""
    plan = diff(current, desired_of(SMALL))
    assert plan.devices.update == [{"key": "srv/1", "id": current.devices["srv/1"]["id"], "name": "t-small-srv-01",
                                    "changes": {"role": ["leaf", "server"], "tenant": ["", "platform"]}}]


def test_before_after_shows_names_not_ids():
    desired = desired_of(plan_dict(server_classes__0__quantity=5))
    current = as_current(desired_of(SMALL))

    def names(kind, obj):
        return obj["name"] if kind == "devices" else obj["key"]
    before, after = before_after(diff(current, desired), names)
    added = set(after.splitlines()) - set(before.splitlines())
    assert "device t-small-srv-05" in added
    assert not any(str(i) in line.split() for line in added for i in range(1000, 1010))
