# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sot.netbox.netbox_branch: module parameters -> one branch action -> result. PRIVATE to the collection.

The only code of the module that reads `module.params`. Reads first (the branch, its changes, its
conflicts), decides with `domain.action_for`, then does at most one action (none in check mode).
The module's own client never carries a branch header: it manages branches from main.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Callable

from ansible_collections.sot.netbox.plugins.module_utils._branch import domain
from ansible_collections.sot.netbox.plugins.module_utils._branching import (
    ARCHIVED, MERGED, READY, TRANSITIONAL, Branch, Branches, check_branch_name, check_timeout, conflict_text)
from ansible_collections.sot.netbox.plugins.module_utils._difftext import diff_entry
from ansible_collections.sot.netbox.plugins.module_utils._errors import PermissionDenied
from ansible_collections.sot.netbox.plugins.module_utils._domain_errors import BranchJobFailed, BranchMergeConflicts
from ansible_collections.sot.netbox.plugins.module_utils._module import client_for
from ansible_collections.sot.netbox.plugins.module_utils._records import record

if TYPE_CHECKING:  # pragma: no cover
    from ansible_collections.sot.netbox.plugins.module_utils._client import NetboxClient

OPTIONS = dict(
    name=dict(type="str", required=True),
    description=dict(type="str"),
    state=dict(type="str", default="present", choices=list(domain.STATES)),
)
SETTLED = frozenset({READY, MERGED, ARCHIVED, "failed", "pending-migrations"})
# The NetBox permission each action needs (the plugin checks it before it changes anything).
PERMISSIONS = {domain.SYNC: "sync_branch", domain.MERGE: "merge_branch", domain.REVERT: "revert_branch",
               domain.ARCHIVE: "archive_branch"}


def client_factory(module: Any) -> NetboxClient:
    """netbox_branch talks to main: a `branch` option (or NETBOX_BRANCH) is not applied to its client."""
    return client_for(module, branch=None)


def run(module: Any, client: NetboxClient, clock: Callable[[], float] = time.monotonic) -> dict:
    params = module.params
    name = check_branch_name("name", params["name"])
    timeout = check_timeout(params.get("branch_timeout"))
    client.require("branching")
    branches = Branches(client, clock)
    branch = branches.find(name)
    if domain.busy(branch):  # an operation in progress: its outcome decides what is left to do
        branch = branches.wait(branch, SETTLED, timeout)
    action = domain.action_for(params["state"], branch, name)
    if action == domain.NOTHING and params["state"] == "present":
        action = _describe_action(branch, params.get("description"))
    if action == domain.SYNC and not _main_changed_since_sync(client, branch):
        action = domain.NOTHING
    items = domain.change_items(branches.changes(branch)) if branch and branch.status != ARCHIVED else []
    if action == domain.MERGE:
        _refuse_conflicts(name, items)
    result = {"changed": action != domain.NOTHING, "action": action, "changes": items,
              "summary": domain.summary(items)}
    if module._diff:  # pylint: disable=protected-access
        before, after = domain.diff_sides(items)
        result["diff"] = diff_entry(before, after, "main", f"branch {name}")
    if not module.check_mode and action != domain.NOTHING:
        branch = _act(branches, action, branch, params, timeout)
    result["branch"] = domain.result_of(branch)
    return result


def _describe_action(branch: Branch, description: str | None) -> str:
    return "update" if description is not None and description != branch.description else domain.NOTHING


def _main_changed_since_sync(client: NetboxClient, branch: Branch) -> bool:
    """What the plugin itself syncs: changes in main to branchable objects since the last sync."""
    obj = client.get(record("branch").path(branch.id)) or {}
    since = obj.get("last_sync") or obj.get("created")
    if not since:
        return True
    page = client.request("GET", record("object_change").path(), {"time_after": since, "limit": 100, "brief": 1})
    changes = (page or {}).get("results") or []
    return any(not str(c.get("changed_object_type") or "").startswith("netbox_branching.") for c in changes) \
        or bool((page or {}).get("next"))


def _refuse_conflicts(name: str, items: list[dict]) -> None:
    """Objects changed in main and in the branch: named one by one, before the merge is asked for."""
    conflicting = [i for i in items if i["conflicts"]]
    if not conflicting:
        return
    reported = [{"object_type": i["object_type"], "object": i["object"], "action": i["action"],
                 "fields": {f: {"original": i["before"].get(f), "branch": i["after"].get(f), "main": i["main"].get(f)}
                            for f in i["conflicts"]}}
                for i in conflicting]
    lines = "; ".join(conflict_text(r) for r in reported)
    raise BranchMergeConflicts(f"branch {name!r} was not merged: {len(reported)} object(s) were changed in main "
                               f"too since the branch took them: {lines}. Resolve them in the branch, sync it "
                               "(state: synced) and merge again; nothing was changed", result={"conflicts": reported})


def _act(branches: Branches, action: str, branch: Branch | None, params: dict, timeout: float) -> Branch | None:
    name = params["name"]
    if action == domain.CREATE:
        created = branches.create(name, params.get("description") or "")
        return branches.wait(created, frozenset({READY}), timeout)
    if action == "update":
        return branches.update(branch, description=params["description"])
    if action == domain.DELETE:
        branches.delete(branch)
        return None
    try:
        return _run_job(branches, action, branch, timeout)
    except PermissionDenied as exc:
        raise PermissionDenied(
            f"the token's user may not {action} branches (NetBox permission netbox_branching."
            f"{PERMISSIONS[action]}): branch {name!r} was not changed. Use a token of a user who may, "
            f"or ask one to {action} it", status=exc.status, method=exc.method, url=exc.url) from None


def _run_job(branches: Branches, action: str, branch: Branch, timeout: float) -> Branch:
    if action == domain.ARCHIVE:
        return branches.archive(branch)
    if domain.needs_ready(action) and branch.status != READY:
        branch = branches.wait(branch, frozenset({READY}), timeout)
    job = branches.run(branch, action)
    branches.wait_job(job, timeout, f"{action} of branch {branch.name!r}")
    wanted = domain.ready_enough(action)
    after = branches.get(branch)
    if after.status in TRANSITIONAL:
        after = branches.wait(after, SETTLED, timeout)
    if after.status not in wanted:
        raise BranchJobFailed(f"{action} of branch {branch.name!r} finished, but the branch is {after.status!r}, "
                              f"not {' or '.join(sorted(wanted))}: see its job log in NetBox")
    return after
