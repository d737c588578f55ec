# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""netbox_plan_generate with a NetBox branch: the objects in the branch, the status record in main. PRIVATE.

With the `branch` option every request goes to the branch (the client carries X-NetBox-Branch),
so the devices, interfaces, cables, the plan's tag and its custom fields are written there, with the
same tracking, idempotence and rollback as in main. The plan's status record stays in main (read
and written without the header): a person approves the plan in main while the branch is reviewed,
and the branch never touches the record, so approving cannot conflict with the merge. The record
names the branch that holds the objects; state=merged merges the branch with netbox_branch's own
code (`_branch.runner`, no second copy) and then marks the plan `generated` in main.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from ansible_collections.sot.netbox.plugins.module_utils._branching import BRANCH_HEADER
from ansible_collections.sot.netbox.plugins.module_utils._domain_errors import PlanNotStageable
from ansible_collections.sot.netbox.plugins.module_utils._plan.status import record_name, recorded
from ansible_collections.sot.netbox.plugins.module_utils._plan.store import find_tag

_LOCK = threading.Lock()


class InMain:
    """The client's calls without the branch header (the status record's reads and writes).

    Only uncached calls go through it (the record is never cached): the client's cache namespace
    is the branch's."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if not callable(attr):
            return attr

        def in_main(*args: Any, **kwargs: Any) -> Any:
            with _LOCK:
                header = self._client.headers.pop(BRANCH_HEADER, None)
                try:
                    return attr(*args, **kwargs)
                finally:
                    if header is not None:
                        self._client.headers[BRANCH_HEADER] = header
        return in_main


@dataclass(frozen=True)
class Target:
    """Where a run writes: `branch` None is main; `records` is the client for the status record."""
    branch: str | None
    records: Any


def target_for(client: Any, params: dict) -> Target:
    branch = params.get("branch") or None
    if branch and params["state"] != "merged":
        return Target(branch, InMain(client))
    return Target(branch, client)  # main, or state=merged (whose client is main's)


def check_stageable(client: Any, v: Any, branch: str, changes: Any) -> None:
    """Generating into a branch needs the plan's record (and so its tag) in main, and the tag in the branch:
    a tag made in both would collide at the merge."""
    plan = v.plan
    if v.record is None:
        raise PlanNotStageable(plan.name, f"branch {branch!r}: plan {plan.name!r} has no status record in main yet; "
                                          "validate it in main first (state=validated without branch), then "
                                          "generate it into the branch")
    info = recorded(v.record)
    staged = info.get("branch") if info.get("status") != "generated" else None  # generated: merged already
    if staged and staged != branch:
        raise PlanNotStageable(plan.name, f"branch {branch!r}: plan {plan.name!r} is staged in branch {staged!r} "
                                          f"(config context {record_name(plan.name)}); merge or revert that "
                                          "branch first")
    if changes and not v.tag_id and find_tag(client, plan.slug) is None:
        raise PlanNotStageable(plan.name, f"branch {branch!r} was made before the plan's tag {plan.slug!r}: sync "
                                          "it first (sot.netbox.netbox_branch state=synced), then generate again")


def merge(client: Any, branch: str, params: dict, check_mode: bool, want_diff: bool) -> dict:
    """Merge `branch` into main with netbox_branch's runner (conflicts refused object by object)."""
    # Imported here: netbox_branch's runner imports the Ansible adapter, and execute() stays Ansible-free.
    from ansible_collections.sot.netbox.plugins.module_utils._branch import runner as branch_runner  # pylint: disable=import-outside-toplevel
    shim = SimpleNamespace(params={"name": branch, "state": "merged", "description": None,
                                   "branch_timeout": params.get("branch_timeout")},
                           check_mode=check_mode, _diff=want_diff)
    return branch_runner.run(shim, client)
