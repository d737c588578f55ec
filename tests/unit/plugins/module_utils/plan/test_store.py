# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tag, the status record and absent's deletes when NetBox applied a write but its answer was lost:
found out by reading back, adopted or counted, never left behind or duplicated."""
from __future__ import annotations

import itertools

import pytest
import requests

from ansible_collections.sot.netbox.plugins.module_utils._client import NetboxClient
from ansible_collections.sot.netbox.plugins.module_utils._errors import ApiError, SotNetboxError
from ansible_collections.sot.netbox.plugins.module_utils._plan.absent import delete_all
from ansible_collections.sot.netbox.plugins.module_utils._plan.model import parse_plan
from ansible_collections.sot.netbox.plugins.module_utils._plan.store import (
    ensure_tag, undo, with_rollback, write_record, write_status)
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.fakes import FakeResponse, FakeSession, paged
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.plan.helpers import plan_dict

TOKEN = "0123456789abcdef0123456789abcdef01234567"
LOST = requests.exceptions.ConnectionError("('Connection aborted.', RemoteDisconnected('closed without response'))")


class Store:
    """Tags and config contexts; `fault` says what a write does: ok, lost (applied, answer lost), refused."""

    def __init__(self, fault="ok"):
        self.ids = itertools.count(10)
        self.rows = {"tags": [], "config-contexts": [], "devices": [{"id": 1}, {"id": 2}]}
        self.fault = fault

    def routes(self):
        routes = {}
        for kind, app in (("tags", "extras"), ("config-contexts", "extras"), ("devices", "dcim")):
            base = f"/api/{app}/{kind}/"
            routes[("GET", base)] = self.read(kind)
            routes[("POST", base)] = self.write(kind, self.create)
            routes[("DELETE", base)] = self.write(kind, self.delete)
            routes[("PATCH", base + "1/")] = self.write(kind, self.patch)
        return routes

    def read(self, kind):
        def route(m, p, q, b):
            rows = [r for r in self.rows[kind] if all(str(r.get(k)) == v for k, v in q.items()
                                                      if k in ("slug", "name"))]
            if "id" in q:
                rows = [r for r in rows if str(r["id"]) == q["id"]]
            return paged(rows)(m, p, q, b)
        return route

    def write(self, kind, action):
        def route(m, p, q, b):
            if self.fault == "refused":
                return FakeResponse(403, {"detail": "You do not have permission to perform this action."})
            answer = action(kind, b)
            if self.fault == "lost":
                raise LOST
            return answer
        return route

    def create(self, kind, body):
        row = {"id": next(self.ids), **body}
        self.rows[kind].append(row)
        return FakeResponse(201, row)

    def delete(self, kind, body):
        gone = {x["id"] for x in body}
        self.rows[kind] = [r for r in self.rows[kind] if r["id"] not in gone]
        return FakeResponse(204)

    def patch(self, kind, body):
        self.rows[kind][0].update(body)
        return FakeResponse(200, self.rows[kind][0])


def client_for(store):
    return NetboxClient("http://nb.test", TOKEN, session=FakeSession(store.routes()), sleep=lambda s: None)


PLAN = parse_plan(plan_dict())[0]


def test_a_tag_whose_answer_was_lost_is_adopted_not_duplicated():
    store = Store("lost")
    created = []
    tag_id = ensure_tag(client_for(store), PLAN, None, created)
    assert [t["id"] for t in store.rows["tags"]] == [tag_id] and created == [("tag", "extras/tags", tag_id)]


def test_a_refused_tag_raises_and_leaves_nothing():
    store = Store("refused")
    with pytest.raises(ApiError):
        ensure_tag(client_for(store), PLAN, None, [])
    assert store.rows["tags"] == []


@pytest.mark.parametrize("fault", ["ok", "lost"])
def test_a_record_whose_answer_was_lost_is_found_and_counts_as_written(fault):
    store = Store(fault)
    created = []
    assert write_record(client_for(store), PLAN, None, {"sot_plan": {"status": "validated"}}, created) is True
    assert len(store.rows["config-contexts"]) == 1 and created[0][0] == "record"


def test_a_failed_status_write_removes_the_tag_it_created():
    store = Store()
    client = client_for(store)
    real = client.create_one

    def create_one(path, body):
        if path == "extras/config-contexts":
            raise SotNetboxError("refused")
        return real(path, body)
    client.create_one = create_one
    with pytest.raises(SotNetboxError) as failed:
        write_status(client, PLAN, None, None, {"sot_plan": {}})
    assert store.rows["tags"] == [] and failed.value.result["rollback"]["infrastructure"] == ["tag"]


def test_a_delete_whose_answer_was_lost_counts_what_is_gone():
    store = Store("lost")
    assert delete_all(client_for(store), "dcim/devices", [1, 2]) == [1, 2]
    assert store.rows["devices"] == []


def test_undo_reports_what_it_removed_and_what_stayed():
    store = Store()
    client = client_for(store)
    store.rows["tags"].append({"id": 5, "slug": "x"})
    store.fault = "refused"
    assert undo(client, [("tag", "extras/tags", 5)]) == {"failed_infrastructure": ["tag"]}
    store.fault = "ok"
    created = [("tag", "extras/tags", 5)]
    assert undo(client, created) == {"infrastructure": ["tag"]} and created == []


def test_with_rollback_keeps_what_the_object_rollback_said():
    result = {"rollback": {"deleted": {"devices": [1]}, "infrastructure": ["record"]}}
    merged = with_rollback(result, {"infrastructure": ["tag"], "failed_infrastructure": ["record"]})
    assert merged["rollback"] == {"deleted": {"devices": [1]}, "infrastructure": ["record"],
                                  "failed_infrastructure": ["record"]}
    assert with_rollback(result, {}) == result and result["rollback"]["infrastructure"] == ["record"]
