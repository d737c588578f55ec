# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_inventory/cached.py: the inventory's cache entry (pure); and the merge of a cached result with a change set,
table-driven.
"""
from __future__ import annotations

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._inventory import cached
from ansible_collections.sot.netbox.plugins.module_utils._inventory.delta import merge
from ansible_collections.sot.netbox.plugins.module_utils._inventory.settings import settings_from


BUILT = {"hosts": {"a": {"vars": {"x": [1, "é"]}, "raw": None, "moved": None}},
         "groups": {"g": {"hosts": ["a"], "children": []}}, "warnings": []}


@pytest.mark.parametrize("value", [BUILT, {"devices": [], "vms": [{"id": 1, "name": "ü"}]}, [], "text", 3, None])
def test_pack_round_trip(value):
    packed = cached.pack(value)
    assert isinstance(packed, str) and cached.unpack(packed) == value


@pytest.mark.parametrize("text", [None, 3, "", "not base64 !", "aGVsbG8=", cached.pack("x")[:-8]])
def test_unpack_of_anything_else_is_none(text):
    assert cached.unpack(text) is None


@pytest.mark.parametrize("entry,ok", [
    (cached.encode("f", {"devices": []}, None, None), True),
    (cached.encode("other", {"devices": []}, None, None), False),
    (dict(cached.encode("f", {"devices": []}, None, None), format=3), False),
    ({"format": cached.CACHE_FORMAT, "fingerprint": "f", "data": {"devices": []}}, False),  # format 3's dict data
    ("not a dict", False),
])
def test_valid(entry, ok):
    assert cached.valid(entry, "f") is ok


@pytest.mark.parametrize("built,expected", [
    (BUILT, BUILT), (None, None), ({"hosts": {}}, None),
])
def test_built_of(built, expected):
    entry = cached.encode("f", {"warnings": ["dropped"], "devices": []}, built, None)
    assert cached.built_of(entry) == expected
    assert cached.data_of(entry) == {"devices": []}  # fetch warnings are not cached


@pytest.mark.parametrize("group_by,reusable", [(["sites"], True), (["sites", "utc_offset"], False), ([], True)])
def test_reusable_built(group_by, reusable):
    assert cached.reusable_built(settings_from({"group_by": group_by}.get)) is reusable


def dev(oid, name, **kw):
    return dict({"id": oid, "name": name}, **kw)


DATA = {"devices": [dev(1, "a"), dev(2, "b"), dev(3, "c")], "vms": [dev(7, "v"), dev(8, "w")], "tables": {"sites": []}}


@pytest.mark.parametrize("ids,reread,orders,devices,vms,reason", [
    # nothing changed that the result shows
    ({}, {}, None, ["a", "b", "c"], ["v", "w"], ""),
    # one device updated, one VM deleted
    ({"device": [2], "vm": [8]}, {"device": [dev(2, "b", serial="S")]}, None, ["a", "b", "c"], ["v"], ""),
    # a device and a VM both deleted
    ({"device": [1], "vm": [7]}, {}, None, ["b", "c"], ["w"], ""),
    # a new device: without NetBox's order it cannot be placed
    ({"device": [4]}, {"device": [dev(4, "bb")]}, None, None, None, "new to the result"),
    # ... with it, it is placed where a full read puts it
    ({"device": [4]}, {"device": [dev(4, "bb")]}, {"device": [1, 2, 4, 3]}, ["a", "b", "bb", "c"], ["v", "w"], ""),
    # a renamed VM moves; the devices are kept as they are
    ({"vm": [7]}, {"vm": [dev(7, "z")]}, {"vm": [8, 7]}, ["a", "b", "c"], ["w", "z"], ""),
    # a host listed that no change record named (a write racing the read): a full read
    ({"device": [4]}, {"device": [dev(4, "bb")]}, {"device": [1, 2, 4, 3, 5]}, None, None, "neither cached"),
])
def test_merge_of_a_cached_result_with_a_change_set(ids, reread, orders, devices, vms, reason):
    out, why = merge(DATA, ids, reread, orders)
    assert reason in why and bool(why) == bool(reason)
    if reason:
        assert out is DATA
        return
    assert [h["name"] for h in out["devices"]] == devices and [h["name"] for h in out["vms"]] == vms
    assert out["tables"] is DATA["tables"]
    fresh = {h["id"]: h for h in reread.get("device", [])}
    assert all(h == fresh.get(h["id"], h) for h in out["devices"])  # re-read records replace the cached ones
