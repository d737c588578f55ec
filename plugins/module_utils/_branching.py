# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""NetBox Branching (the netboxlabs-netbox-branching plugin): branches, their jobs and their diffs.
PRIVATE to the collection.

No Ansible imports. Every REST request that carries `X-NetBox-Branch: <schema_id>` reads and writes
the branch's own copy of NetBox's data; `use_branch` resolves the `branch` connection option to that
schema id once (through the client's cache), creates the branch when asked, waits until it is ready,
and puts the header on the client, so every request of the task goes to the branch. Waiting polls
with the client's one retry policy (bounded, jittered, its sleep injected).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from ansible_collections.sot.netbox.plugins.module_utils._errors import Conflict, InputError, NotFound
from ansible_collections.sot.netbox.plugins.module_utils._domain_errors import (
    BranchJobFailed, BranchMergeConflicts, BranchNotFound, BranchNotReady)
from ansible_collections.sot.netbox.plugins.module_utils._client import endpoint_of
from ansible_collections.sot.netbox.plugins.module_utils._records import record

if TYPE_CHECKING:  # pragma: no cover
    from ansible_collections.sot.netbox.plugins.module_utils._client import NetboxClient

BRANCH_HEADER = "X-NetBox-Branch"
DEFAULT_TIMEOUT = 300.0
MAX_POLL_ATTEMPT = 8  # the policy's delay stops growing well before this (its max_backoff)

# The plugin's branch statuses (netbox_branching.choices.BranchStatusChoices).
NEW, PROVISIONING, READY, SYNCING, MIGRATING = "new", "provisioning", "ready", "syncing", "migrating"
MERGING, REVERTING, MERGED, ARCHIVED = "merging", "reverting", "merged", "archived"
PENDING_MIGRATIONS, FAILED = "pending-migrations", "failed"
TRANSITIONAL = frozenset({NEW, PROVISIONING, SYNCING, MIGRATING, MERGING, REVERTING})
# NetBox's job statuses (core.choices.JobStatusChoices).
JOB_COMPLETED = "completed"
JOB_FAILED = frozenset({"errored", "failed"})


@dataclass(frozen=True)
class Branch:
    id: int
    name: str
    status: str
    schema_id: str
    description: str = ""

    @classmethod
    def from_api(cls, obj: dict) -> Branch:
        return cls(id=int(obj["id"]), name=str(obj.get("name") or ""), status=choice_value(obj.get("status")),
                   schema_id=str(obj.get("schema_id") or ""), description=str(obj.get("description") or ""))


def choice_value(value: object) -> str:
    """NetBox's choice fields are {value, label}; older answers and brief forms may be the bare value."""
    if isinstance(value, dict):
        return str(value.get("value") or "")
    return str(value or "")


def check_branch_name(option: str, name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InputError(option, name, "must be the name of a NetBox branch")
    if len(name) > 64 or any(c in name for c in "\r\n\0"):
        raise InputError(option, name, "a branch name is at most 64 characters on one line")
    return name


class Branches:
    """The plugin's REST API over one client: find, create, wait, run jobs, archive, delete, diff."""

    def __init__(self, client: NetboxClient, clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.clock = clock

    def find(self, name: str, cached: bool = False) -> Branch | None:
        rows = self.client.list(record("branch").path(), {"name": name}, cache="dynamic" if cached else None)
        exact = [row for row in rows if row.get("name") == name]
        return Branch.from_api(exact[0]) if exact else None

    def names(self) -> list[str]:
        return sorted(str(row.get("name")) for row in self.client.list(record("branch").path(), brief=True))

    def get(self, branch: Branch) -> Branch:
        obj = self.client.get(record("branch").path(branch.id))
        if obj is None:
            raise BranchNotFound("name", branch.name, "the branch was deleted meanwhile")
        return Branch.from_api(obj)

    def create(self, name: str, description: str = "") -> Branch:
        body = {"name": name, **({"description": description} if description else {})}
        return Branch.from_api(self.client.create_one(record("branch").path(), body))

    def update(self, branch: Branch, **fields: str) -> Branch:
        return Branch.from_api(self.client.update_one(record("branch").path(), branch.id, fields))

    def delete(self, branch: Branch) -> None:
        """DELETE one branch (the plugin has no bulk delete); one already gone counts as deleted."""
        path = record("branch").path(branch.id)
        try:
            self.client.request("DELETE", path)
        except NotFound:
            pass
        finally:
            if self.client.cache is not None:
                self.client.cache.invalidate(endpoint_of(path))

    def archive(self, branch: Branch) -> Branch:
        path = record("branch").path(branch.id, "archive")
        return Branch.from_api(self.client.create_one(path, {}))

    def changes(self, branch: Branch) -> list[dict]:
        """The branch's change diffs (one per object changed in it), as NetBox keeps them."""
        return self.client.list(record("branch_change").path(), {"branch_id": branch.id})

    def wait(self, branch: Branch, wanted: frozenset, timeout: float, option: str = "branch_timeout") -> Branch:
        """Poll until the branch's status is one of `wanted`; a failed or unexpected status, or still
        busy after `timeout` seconds, is BranchNotReady naming the branch, its status and the option."""
        started, waited, attempt = self.clock(), 0.0, 0
        while True:
            if branch.status in wanted:
                return branch
            if branch.status not in TRANSITIONAL:
                raise BranchNotReady(f"branch {branch.name!r} is {branch.status!r}, not {_either(wanted)}"
                                     + _status_hint(branch.status), status=branch.status)
            if max(waited, self.clock() - started) >= timeout:
                raise BranchNotReady(f"branch {branch.name!r} is still {branch.status!r} after {timeout:g} s "
                                     f"({option}); NetBox's background worker may be busy or not running: raise "
                                     f"{option} or look at the branch in NetBox", status=branch.status)
            waited += self.client.pause(min(attempt, MAX_POLL_ATTEMPT))
            attempt += 1
            branch = self.get(branch)

    def run(self, branch: Branch, action: str, commit: bool = True) -> dict:
        """Start sync/merge/revert (a background job); NetBox's 409 is the conflicts, object by object."""
        try:
            return self.client.create_one(record("branch").path(branch.id, action), {"commit": commit})
        except Conflict as exc:
            conflicts = (exc.body or {}).get("conflicts") if isinstance(exc.body, dict) else None
            if not conflicts:
                raise
            items = conflict_items(conflicts)
            lines = "; ".join(conflict_text(item) for item in items)
            raise BranchMergeConflicts(
                f"{action} of branch {branch.name!r} refused: {len(items)} object(s) changed both in main and in the "
                f"branch: {lines}. Resolve them in the branch (or in main) and run again",
                result={"conflicts": items}) from None

    def wait_job(self, job: dict, timeout: float, what: str, option: str = "branch_timeout") -> dict:
        started, waited, attempt = self.clock(), 0.0, 0
        while True:
            status = choice_value(job.get("status"))
            if status == JOB_COMPLETED:
                return job
            if status in JOB_FAILED:
                raise BranchJobFailed(f"{what} failed in NetBox (job {job.get('id')}, {status}): "
                                      f"{job.get('error') or 'see the job in NetBox'}")
            if max(waited, self.clock() - started) >= timeout:
                raise BranchNotReady(f"{what} did not finish within {timeout:g} s ({option}); job {job.get('id')} is "
                                     f"still {status!r} in NetBox: wait for it there, or raise {option}", status=status)
            waited += self.client.pause(min(attempt, MAX_POLL_ATTEMPT))
            attempt += 1
            job = self.client.get(record("job").path(job["id"])) or job


def _either(wanted: frozenset) -> str:
    return " or ".join(repr(s) for s in sorted(wanted))


def _status_hint(status: str) -> str:
    if status == FAILED:
        return ": its last operation failed; see the branch's job log in NetBox, then delete and re-create it"
    if status == PENDING_MIGRATIONS:
        return ": NetBox was upgraded since it was made; apply its migrations in NetBox's UI first"
    return ""


def conflict_items(conflicts: list) -> list[dict]:
    """NetBox's conflict summaries as {object_type, object, action, fields: {name: {original, branch, main}}}."""
    items = []
    for c in conflicts:
        data = c.get("conflicting_data") or {}
        names = c.get("conflicts") or sorted(set(data.get("branch") or {}) | set(data.get("main") or {}))
        fields = {name: {side: (data.get(side) or {}).get(name) for side in ("original", "branch", "main")}
                  for name in names}
        items.append({"object_type": str(c.get("object_type") or ""), "object": str(c.get("object_repr") or ""),
                      "action": choice_value(c.get("action")), "fields": fields})
    return items


def conflict_text(item: dict) -> str:
    fields = ", ".join(f"{name} (was {v['original']!r}, branch {v['branch']!r}, main {v['main']!r})"
                       for name, v in item["fields"].items())
    return f"{item['object_type']} {item['object']!r}: {fields or 'changed in both'}"


def use_branch(client: NetboxClient, name: str, create: bool = False, timeout: float = DEFAULT_TIMEOUT,
               clock: Callable[[], float] = time.monotonic) -> Branch:
    """Send every later request of `client` to branch `name` (the `branch` connection option)."""
    check_branch_name("branch", name)
    timeout = check_timeout(timeout)
    client.require("branching")
    branches = Branches(client, clock)
    branch = branches.find(name, cached=True)
    if branch is None:
        if not create:
            known = branches.names()
            hint = f"; existing branches: {', '.join(known[:10])}" if known else "; NetBox has no branches yet"
            raise BranchNotFound("branch", name, "no such branch in NetBox: create it (netbox_branch, or "
                                 "branch_create: true)" + hint)
        branch = branches.create(name)
    _activate(client, branches.wait(branch, frozenset({READY}), timeout))  # a ready branch: no request

    def refresh() -> None:
        """NetBox no longer knows the cached schema id: forget it, and find the branch by name again."""
        if client.cache is not None:
            client.cache.invalidate(endpoint_of(record("branch").path()))
        client.headers.pop(BRANCH_HEADER, None)
        again = branches.find(name)
        if again is None:
            raise BranchNotFound("branch", name, "the branch was deleted in NetBox (its cached schema id "
                                 f"{branch.schema_id} is unknown there now): create it again, or leave branch out")
        _activate(client, branches.wait(again, frozenset({READY}), timeout))
    client.branch_refresh = refresh
    return client.branch


def _activate(client: NetboxClient, branch: Branch) -> None:
    client.headers[BRANCH_HEADER] = branch.schema_id
    client.branch = branch


def check_timeout(value: object, option: str = "branch_timeout") -> float:
    try:
        seconds = float(DEFAULT_TIMEOUT if value is None else value)
    except (TypeError, ValueError):
        raise InputError(option, value, "must be a number of seconds") from None
    if seconds < 0:
        raise InputError(option, value, "must be 0 (do not wait) or a positive number of seconds")
    return seconds
