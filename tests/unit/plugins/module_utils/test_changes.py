# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_changes: watermarks, the overlap window, deduplication and the fallbacks to a full read (fake HTTP)."""
from __future__ import annotations

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._cache import MemoryBackend, ResponseCache
from ansible_collections.sot.netbox.plugins.module_utils._changes import (
    load_result, store_result,
    OVERLAP_SECONDS, Watermark, new_changes, next_watermark, read_changes, read_watermark, window_start)
from ansible_collections.sot.netbox.plugins.module_utils._client import NetboxClient
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.fakes import FakeResponse, FakeSession

TOKEN = "0123456789abcdef0123456789abcdef01234567"


def rec(oid, time, otype="dcim.device", object_id=1, action="update"):
    return {"id": oid, "time": time, "action": {"value": action}, "changed_object_type": otype,
            "changed_object_id": object_id}


T0 = "2026-12-01T10:00:00.000000Z"
T_IN = "2026-12-01T09:58:00.000000Z"    # inside the window before T0
T_OUT = "2026-12-01T09:50:00.000000Z"   # before the window


def changelog(records):
    """core/object-changes with NetBox's time_after, ordering and paging (as the fake passes params: strings)."""
    def route(method, path, params, body):
        rows = [r for r in records if "time_after" not in params or r["time"] >= params["time_after"]]
        rows.sort(key=lambda r: r["id"], reverse=params.get("ordering") == "-id")
        limit, offset = int(params.get("limit", 50)), int(params.get("offset", 0))
        page = rows[offset:offset + limit]
        nxt = f"http://nb.test{path}?limit={limit}&offset={offset + limit}" if offset + limit < len(rows) else None
        return FakeResponse(200, {"count": len(rows), "next": nxt, "previous": None, "results": page})
    return route


def client_for(route):
    session = FakeSession({("GET", "/api/core/object-changes/"): route})
    return NetboxClient("http://nb.test", TOKEN, session=session, max_workers=2, page_size=1000), session


def test_window_start_is_overlap_seconds_before_the_watermark():
    assert window_start(Watermark(5, T0)) == "2026-12-01T09:55:00.000000Z"
    assert OVERLAP_SECONDS == 300 and window_start(Watermark()) == ""


@pytest.mark.parametrize("records,expected", [
    ([], Watermark(0, "", (), 9.0)),
    ([rec(3, T_OUT), rec(5, T_IN), rec(7, T0)], Watermark(7, T0, (5, 7), 9.0)),
    ([rec(7, T0), rec(6, T_IN)], Watermark(7, T0, (6, 7), 9.0)),   # any order
])
def test_next_watermark(records, expected):
    assert next_watermark(None, records, 9.0) == expected


@pytest.mark.parametrize("watermark,records,new_ids", [
    (Watermark(7, T0, (5, 7)), [rec(5, T_IN), rec(7, T0)], []),                    # nothing new
    (Watermark(7, T0, (5, 7)), [rec(5, T_IN), rec(7, T0), rec(8, T0)], [8]),       # a newer record
    (Watermark(7, T0, (5, 7)), [rec(5, T_IN), rec(6, T_IN), rec(7, T0)], [6]),     # committed late, lower id
    (Watermark(7, T0, (7,)), [rec(7, T0), rec(9, T0), rec(9, T0)], [9]),           # the same record twice: once
])
def test_new_changes_overlap_and_dedup(watermark, records, new_ids):
    assert [c.id for c in new_changes(watermark, records)] == new_ids


def test_read_watermark_then_changes():
    log = [rec(1, T_OUT), rec(2, T_IN), rec(3, T0)]
    client, session = client_for(changelog(log))
    mark = read_watermark(client, {"dcim.device"}, full_at=100.0)
    assert mark == Watermark(3, T0, (2, 3), 100.0)
    call = session.calls[-1]
    assert call["params"]["ordering"] == "-id" and "dcim.device" in call["params"]["changed_object_type"]
    found = read_changes(client, mark, {"dcim.device"}, now=101.0)
    assert found.fallback == "" and found.changes == () and found.watermark == mark
    assert session.calls[-1]["params"]["time_after"] == "2026-12-01T09:55:00.000000Z"
    log.append(rec(4, "2026-12-01T10:01:00.000000Z", object_id=9, action="delete"))
    found = read_changes(client, mark, {"dcim.device"}, now=102.0)
    assert [(c.id, c.object_id, c.action) for c in found.changes] == [(4, 9, "delete")]
    assert found.watermark.max_id == 4 and found.watermark.full_at == 100.0 and found.records_read == 3


@pytest.mark.parametrize("case,reason", [
    ("trimmed", "trimmed"),
    ("forbidden", "cannot be read"),
    ("missing", "cannot be read"),
    ("old", "max_age"),
    ("many", "more than"),
])
def test_read_changes_falls_back_to_a_full_read(case, reason, monkeypatch):
    mark = Watermark(3, T0, (3,), 100.0)
    log = [rec(3, T0)]
    if case == "trimmed":
        log = [rec(4, T0)]  # the watermark's own record is gone
    if case == "many":
        monkeypatch.setattr("ansible_collections.sot.netbox.plugins.module_utils._changes.MAX_CHANGES", 2)
        log += [rec(i, T0) for i in range(4, 8)]
    route = changelog(log)
    if case == "forbidden":
        route = [FakeResponse(403, {"detail": "You do not have permission to perform this action."})]
    client, _session = client_for(route)
    if case == "missing":
        client = NetboxClient("http://nb.test", TOKEN, session=FakeSession({}), max_workers=2)
    found = read_changes(client, mark, {"dcim.device"}, max_age=60 if case == "old" else 0, now=1000.0)
    assert reason in found.fallback and found.changes == ()


def test_watermark_round_trips_through_the_cache():
    mark = Watermark(3, T0, (2, 3), 100.0)
    assert Watermark.from_dict(mark.to_dict()) == mark
    assert Watermark.from_dict(None) is None and Watermark.from_dict({"max_id": "x"}) is None


@pytest.mark.parametrize("cache", [None, ResponseCache(MemoryBackend(), "http://nb.test", TOKEN,
                                                       ttls={"dynamic": 1, "static": 1})])
def test_a_watermarked_result_outlives_the_dynamic_ttl(cache):
    """store_result/load_result (the export keeps its rows with the watermark): their own cache kind."""
    store_result(cache, "k", {"rows": [1]})
    assert load_result(cache, "k") == ({"rows": [1]} if cache is not None else None)
    if cache is not None:
        assert cache.ttls["watermarked"] > cache.ttls["dynamic"]
