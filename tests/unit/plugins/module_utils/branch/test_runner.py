# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""netbox_branch's runner against a small in-memory NetBox with the Branching plugin: create and wait,
merge and wait for the job, idempotence, check mode and diff, conflicts and permissions before any write."""
from __future__ import annotations

import pytest

from ansible_collections.sot.netbox.plugins.module_utils import _domain_errors as domain_errors
from ansible_collections.sot.netbox.plugins.module_utils import _errors as errors
from ansible_collections.sot.netbox.plugins.module_utils._branch.runner import run
from ansible_collections.sot.netbox.plugins.module_utils._client import NetboxClient
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.fakes import FakeResponse, FakeSession

TOKEN = "0123456789abcdef0123456789abcdef01234567"
API = "/api/plugins/branching/"
H = {"API-Version": "4.7"}


class Module:
    def __init__(self, check_mode=False, diff=False, **params):
        self.params = {"state": "present", "description": None, "branch_timeout": 60, **params}
        self.check_mode = check_mode
        self._diff = diff


class Plugin:
    """Branches, their change diffs and jobs; `merge_status` is what a merge POST answers."""

    def __init__(self, status=None, changes=(), merge_status=200):
        self.branches = {} if status is None else {1: self.row(1, "review", status)}
        self.changes = list(changes)
        self.merge_status = merge_status
        self.jobs = {}

    @staticmethod
    def row(bid, name, status, description=""):
        return {"id": bid, "name": name, "status": {"value": status}, "schema_id": f"s{bid}",
                "description": description, "last_sync": "2026-01-01T00:00:00Z"}

    def __call__(self, method, path, params, body):
        parts = path[len(API):].strip("/").split("/")
        if parts == [""]:
            return FakeResponse(200, {"branches": "..."}, H)
        if parts[0] == "changes":
            return FakeResponse(200, {"count": len(self.changes), "next": None, "results": self.changes}, H)
        if parts == ["branches"] and method == "GET":
            rows = [b for b in self.branches.values() if params.get("name") in (None, b["name"])]
            return FakeResponse(200, {"count": len(rows), "next": None, "results": rows}, H)
        if parts == ["branches"] and method == "POST":
            bid = len(self.branches) + 1
            self.branches[bid] = self.row(bid, body["name"], "ready", body.get("description", ""))
            return FakeResponse(201, dict(self.row(bid, body["name"], "provisioning")), H)
        branch = self.branches[int(parts[1])]
        if len(parts) == 2 and method == "DELETE":
            del self.branches[branch["id"]]
            return FakeResponse(204, None, H)
        if len(parts) == 2 and method == "GET":
            return FakeResponse(200, branch, H)
        if len(parts) == 2 and method == "PATCH":
            branch.update(body)
            return FakeResponse(200, branch, H)
        return self.action(branch, parts[2])

    def action(self, branch, action):
        if action == "merge" and self.merge_status != 200:
            return FakeResponse(self.merge_status, {"detail": "This user does not have permission to merge branches."}, H)
        branch["status"] = {"value": {"merge": "merged", "revert": "ready", "sync": "ready", "archive": "archived"}[action]}
        if action == "archive":
            return FakeResponse(200, branch, H)
        self.jobs[9] = {"id": 9, "status": {"value": "completed"}}
        return FakeResponse(200, {"id": 9, "status": {"value": "pending"}}, H)


def client_for(plugin):
    session = FakeSession()
    session.routes = _Routes(plugin)
    return NetboxClient("http://nb.test", TOKEN, session=session, sleep=lambda s: None, rng=lambda: 1.0), session


class _Routes(dict):
    """Every plugin path to the Plugin; jobs and object changes to fixed answers."""

    def __init__(self, plugin):
        super().__init__()
        self.plugin = plugin

    def get(self, key, default=None):
        method, path = key
        if path.startswith(API):
            return self.plugin
        if path.startswith("/api/core/jobs/"):
            return lambda *a: FakeResponse(200, self.plugin.jobs[9], H)
        if path.startswith("/api/core/object-changes/"):
            return lambda *a: FakeResponse(200, {"count": 0, "next": None, "results": []}, H)
        return default


def writes(session):
    return [(c["method"], c["path"]) for c in session.calls if c["method"] != "GET"]


def test_present_creates_and_waits_until_ready():
    plugin = Plugin()
    client, session = client_for(plugin)
    result = run(Module(name="review", description="plan"), client)
    assert result["changed"] and result["action"] == "create"
    assert result["branch"]["status"] == "ready" and result["branch"]["description"] == "plan"
    again = run(Module(name="review", description="plan"), client)
    assert not again["changed"] and writes(session) == [("POST", API + "branches/")]


def test_merge_waits_for_the_job_and_a_merged_branch_is_unchanged():
    plugin = Plugin("ready")
    client, session = client_for(plugin)
    result = run(Module(name="review", state="merged"), client)
    assert result["changed"] and result["branch"]["status"] == "merged"
    assert writes(session) == [("POST", API + "branches/1/merge/")]
    assert [c["body"] for c in session.calls if c["method"] == "POST"] == [{"commit": True}]
    again = run(Module(name="review", state="merged"), client)
    assert not again["changed"] and again["action"] == "nothing"
    assert len(writes(session)) == 1


CHANGE = {"object_type": "ipam.prefix", "object_repr": "10.0.0.0/24", "action": {"value": "update"},
          "conflicts": ["status"], "diff": {"original": {"status": "active"}, "modified": {"status": "reserved"}},
          "current_data": {"status": "deprecated"}}


def test_check_mode_shows_the_diff_by_names_and_writes_nothing():
    plugin = Plugin("ready", changes=[dict(CHANGE, conflicts=None)])
    client, session = client_for(plugin)
    result = run(Module(name="review", state="merged", check_mode=True, diff=True), client)
    assert result["changed"] and writes(session) == []
    assert '"10.0.0.0/24"' in result["diff"]["after"] and '"reserved"' in result["diff"]["after"]
    assert result["diff"]["before_header"] == "main" and result["summary"] == {"ipam.prefix": {"update": 1}}


def test_conflicts_are_reported_object_by_object_before_the_merge():
    client, session = client_for(Plugin("ready", changes=[CHANGE]))
    with pytest.raises(domain_errors.BranchMergeConflicts) as info:
        run(Module(name="review", state="merged"), client)
    assert "ipam.prefix '10.0.0.0/24': status (was 'active', branch 'reserved', main 'deprecated')" in info.value.message
    assert info.value.result["conflicts"][0]["fields"] == {
        "status": {"original": "active", "branch": "reserved", "main": "deprecated"}}
    assert writes(session) == []


def test_a_token_that_may_not_merge_gets_the_permission_named():
    client, session = client_for(Plugin("ready", merge_status=403))
    with pytest.raises(errors.PermissionDenied) as info:
        run(Module(name="review", state="merged"), client)
    assert "netbox_branching.merge_branch" in info.value.message and "was not changed" in info.value.message


def test_revert_archive_and_absent():
    plugin = Plugin("merged")
    client, session = client_for(plugin)
    assert run(Module(name="review", state="reverted"), client)["branch"]["status"] == "ready"
    assert not run(Module(name="review", state="reverted"), client)["changed"]
    plugin.branches[1]["status"] = {"value": "merged"}
    assert run(Module(name="review", state="archived"), client)["branch"]["status"] == "archived"
    assert run(Module(name="review", state="absent"), client)["branch"] is None
    assert ("DELETE", API + "branches/1/") in writes(session)
    assert not run(Module(name="review", state="absent"), client)["changed"]


def test_synced_without_changes_in_main_is_unchanged():
    client, session = client_for(Plugin("ready"))
    result = run(Module(name="review", state="synced"), client)
    assert not result["changed"] and writes(session) == []


def test_a_missing_branch_to_merge_names_the_option():
    client, _session = client_for(Plugin())
    with pytest.raises(errors.InputError) as info:
        run(Module(name="nope", state="merged"), client)
    assert info.value.field == "name" and info.value.value == "nope"
