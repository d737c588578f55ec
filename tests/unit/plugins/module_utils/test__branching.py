# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_branching: the `branch` connection option over a fake NetBox with the Branching plugin (no network,
no sleep: the client's sleep records the policy's delays)."""
from __future__ import annotations

import pytest

from ansible_collections.sot.netbox.plugins.module_utils import _domain_errors as domain_errors
from ansible_collections.sot.netbox.plugins.module_utils import _errors as errors
from ansible_collections.sot.netbox.plugins.module_utils._branching import (
    BRANCH_HEADER, Branch, Branches, conflict_items, conflict_text, use_branch)
from ansible_collections.sot.netbox.plugins.module_utils._cache import MemoryBackend, ResponseCache
from ansible_collections.sot.netbox.plugins.module_utils._client import NetboxClient
from ansible_collections.sot.netbox.plugins.module_utils._connection import build_client
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.fakes import FakeResponse, FakeSession

TOKEN = "0123456789abcdef0123456789abcdef01234567"
ROOT = "/api/plugins/branching/"
BRANCHES = "/api/plugins/branching/branches/"
HEADERS = {"API-Version": "4.7"}


def branch_obj(status="ready", name="review", bid=7, schema="ab12cd34"):
    return {"id": bid, "name": name, "status": {"value": status, "label": status.title()}, "schema_id": schema}


def listing(*objs):
    return FakeResponse(200, {"count": len(objs), "next": None, "previous": None, "results": list(objs)}, HEADERS)


def make(routes, cache=None):
    sleeps: list = []
    session = FakeSession({("GET", ROOT): [FakeResponse(200, {"branches": "..."}, HEADERS)], **routes})
    client = NetboxClient("http://nb.test", TOKEN, session=session, sleep=sleeps.append, rng=lambda: 1.0,
                          cache=cache)
    return client, session, sleeps


def test_the_header_goes_on_every_later_request():
    client, session, sleeps = make({("GET", BRANCHES): [listing(branch_obj())],
                                    ("GET", "/api/dcim/sites/"): [listing()]})
    branch = use_branch(client, "review")
    client.list("dcim/sites")
    assert branch == Branch(7, "review", "ready", "ab12cd34")
    assert client.branch is branch
    assert session.calls[-1]["headers"][BRANCH_HEADER] == "ab12cd34"
    assert session.calls[1]["params"]["name"] == "review"
    assert sleeps == []


def test_the_name_is_resolved_once_through_the_client_s_cache():
    cache = ResponseCache(MemoryBackend(), "http://nb.test", TOKEN)
    for _task in range(2):
        client, session, _sleeps = make({("GET", BRANCHES): [listing(branch_obj())]}, cache=cache)
        use_branch(client, "review")
    assert [c["path"] for c in session.calls] == []  # the second task asked NetBox nothing


def invalid_branch():
    """netbox_branching's middleware refusing an unknown schema id: a plain-text 400."""
    response = FakeResponse(400, None, HEADERS)
    response.content = b"Invalid branch identifier"
    return response


def test_a_branch_re_created_since_its_id_was_cached_is_found_again_once():
    cache = ResponseCache(MemoryBackend(), "http://nb.test", TOKEN)
    client, _session, _sleeps = make({("GET", BRANCHES): [listing(branch_obj(schema="old00000"))]}, cache=cache)
    use_branch(client, "review")                                  # caches schema id old00000
    # The branch is deleted and re-created in NetBox's UI under the same name: a new schema id.
    client, session, _sleeps = make({("GET", BRANCHES): [listing(branch_obj(bid=8, schema="new00000"))],
                                     ("GET", "/api/dcim/sites/"): [invalid_branch(), listing()]}, cache=cache)
    assert use_branch(client, "review").schema_id == "old00000"   # from the cache, no request
    assert client.list("dcim/sites") == []
    assert [c["headers"].get(BRANCH_HEADER) for c in session.calls if c["path"] == "/api/dcim/sites/"] == \
        ["old00000", "new00000"]
    assert client.branch.schema_id == "new00000" and client.headers[BRANCH_HEADER] == "new00000"
    # The next task finds the new id: the stale cache entry was dropped.
    client, session, _sleeps = make({("GET", BRANCHES): [listing(branch_obj(bid=8, schema="new00000"))]}, cache=cache)
    assert use_branch(client, "review").schema_id == "new00000"


def test_a_branch_deleted_since_its_id_was_cached_is_a_clear_error():
    cache = ResponseCache(MemoryBackend(), "http://nb.test", TOKEN)
    client, _session, _sleeps = make({("GET", BRANCHES): [listing(branch_obj(schema="old00000"))]}, cache=cache)
    use_branch(client, "review")
    client, _session, _sleeps = make({("GET", BRANCHES): [listing()],
                                      ("GET", "/api/dcim/sites/"): [invalid_branch()]}, cache=cache)
    use_branch(client, "review")
    with pytest.raises(domain_errors.BranchNotFound, match="the branch was deleted in NetBox") as info:
        client.list("dcim/sites")
    assert info.value.field == "branch" and info.value.value == "review"


def test_a_refusal_without_a_branch_to_find_again_is_its_own_error():
    client, _session, _sleeps = make({("GET", "/api/dcim/sites/"): [invalid_branch()]})
    client.headers[BRANCH_HEADER] = "set-by-hand"
    with pytest.raises(errors.BranchIdentifierInvalid, match="does not know the branch this request named"):
        client.list("dcim/sites")


def test_a_missing_branch_names_the_option_and_the_value():
    client, _session, _sleeps = make({("GET", BRANCHES): [listing()]})
    with pytest.raises(domain_errors.BranchNotFound) as info:
        use_branch(client, "nope")
    assert info.value.field == "branch" and info.value.value == "nope"
    assert "branch_create: true" in info.value.message


def test_a_missing_branch_is_created_and_waited_for_with_the_retry_policy():
    client, session, sleeps = make({
        ("GET", BRANCHES): [listing()],
        ("POST", BRANCHES): [FakeResponse(201, branch_obj("new"), HEADERS)],
        ("GET", BRANCHES + "7/"): [FakeResponse(200, branch_obj("provisioning"), HEADERS),
                                   FakeResponse(200, branch_obj("ready"), HEADERS)],
    })
    branch = use_branch(client, "review", create=True)
    assert branch.status == "ready"
    assert [c["body"] for c in session.calls if c["method"] == "POST"] == [{"name": "review"}]
    assert sleeps == [0.5, 1.0]  # the policy's growing delays (jitter fixed at 1.0 here)


def test_a_branch_that_stays_busy_times_out_naming_the_option():
    client, _session, sleeps = make({("GET", BRANCHES): [listing(branch_obj("provisioning"))],
                                     ("GET", BRANCHES + "7/"): [FakeResponse(200, branch_obj("provisioning"), HEADERS)]})
    with pytest.raises(domain_errors.BranchNotReady) as info:
        use_branch(client, "review", timeout=10)
    assert "branch_timeout" in info.value.message and "'provisioning'" in info.value.message
    assert sum(sleeps) >= 10 and len(sleeps) < 10  # bounded: growing delays, never a busy loop


@pytest.mark.parametrize("status, text", [("failed", "delete and re-create"), ("merged", "'merged', not 'ready'"),
                                          ("pending-migrations", "migrations")])
def test_an_unusable_branch_is_a_clear_error(status, text):
    client, _session, _sleeps = make({("GET", BRANCHES): [listing(branch_obj(status))]})
    with pytest.raises(domain_errors.BranchNotReady) as info:
        use_branch(client, "review")
    assert text in info.value.message
    assert client.branch is None and BRANCH_HEADER not in client.headers


def test_no_plugin_is_a_clear_error_before_anything_else():
    session = FakeSession({("GET", ROOT): [FakeResponse(404, {"detail": "Not found."}, HEADERS)]})
    client = NetboxClient("http://nb.test", TOKEN, session=session, sleep=lambda s: None)
    with pytest.raises(domain_errors.PluginMissing) as info:
        use_branch(client, "review")
    assert "NetBox Branching" in info.value.message and "not installed" in info.value.message
    assert len(session.calls) == 1


@pytest.mark.parametrize("name", ["", "   ", 5, "x" * 65, "a\nb"])
def test_bad_names_name_the_option(name):
    client, session, _sleeps = make({})
    with pytest.raises(errors.InputError) as info:
        use_branch(client, name)
    assert info.value.field == "branch" and session.calls == []


@pytest.mark.parametrize("timeout", [-1, "soon"])
def test_bad_timeouts_name_the_option(timeout):
    client, _session, _sleeps = make({})
    with pytest.raises(errors.InputError) as info:
        use_branch(client, "review", timeout=timeout)
    assert info.value.field == "branch_timeout"


def test_build_client_applies_the_branch_option_and_keeps_its_cache_apart():
    main = build_client({"url": "http://nb.test", "token": TOKEN, "cache": False})
    options = {"url": "http://nb.test", "token": TOKEN, "cache": False, "branch": "review"}
    with pytest.raises(errors.SotNetboxError):  # no NetBox here: the option is acted on at build time
        build_client({**options, "branch_timeout": 0}, session=FakeSession({}), sleep=lambda s: None)
    other = build_client({"url": "http://nb.test", "token": TOKEN, "cache": False, "branch": "b2"},
                         session=FakeSession({("GET", ROOT): [FakeResponse(200, {}, HEADERS)],
                                              ("GET", BRANCHES): [listing(branch_obj(name="b2"))]}))
    assert main.cache.key("dcim/sites", "k", 0) != other.cache.key("dcim/sites", "k", 0)
    assert other.headers[BRANCH_HEADER] == "ab12cd34"


CONFLICT = {"id": 3, "object_type": "dcim.site", "object_id": 9, "object_repr": "dc-1", "action": {"value": "update"},
            "conflicts": ["status"], "conflicting_data": {"original": {"status": "planned"},
                                                          "branch": {"status": "active"},
                                                          "main": {"status": "retired"}}}


def test_merge_conflicts_are_reported_object_by_object():
    client, _session, _sleeps = make({("POST", BRANCHES + "7/merge/"): [FakeResponse(409, {
        "detail": "All conflicts must be acknowledged before this action can proceed.", "conflicts": [CONFLICT]},
        HEADERS)]})
    with pytest.raises(domain_errors.BranchMergeConflicts) as info:
        Branches(client).run(Branch(7, "review", "ready", "ab12cd34"), "merge")
    assert info.value.result["conflicts"] == conflict_items([CONFLICT])
    assert "dcim.site 'dc-1': status (was 'planned', branch 'active', main 'retired')" in info.value.message


def test_conflict_text_without_field_details():
    item = conflict_items([{"object_type": "ipam.prefix", "object_repr": "10.0.0.0/24", "conflicts": None}])[0]
    assert conflict_text(item) == "ipam.prefix '10.0.0.0/24': changed in both"


@pytest.mark.parametrize("jobs, error", [
    ([{"id": 5, "status": {"value": "running"}}, {"id": 5, "status": {"value": "completed"}}], None),
    ([{"id": 5, "status": {"value": "errored"}, "error": "boom"}], domain_errors.BranchJobFailed),
])
def test_jobs_are_waited_for(jobs, error):
    client, _session, sleeps = make({("GET", "/api/core/jobs/5/"): [FakeResponse(200, j, HEADERS) for j in jobs]})
    branches = Branches(client)
    first = {"id": 5, "status": {"value": "pending"}}
    if error is None:
        assert branches.wait_job(first, 60, "merge")["status"]["value"] == "completed"
        assert len(sleeps) == 2
    else:
        with pytest.raises(error) as info:
            branches.wait_job(first, 60, "merge")
        assert "boom" in info.value.message
