# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sot.netbox.netbox_branch's decisions, as pure functions. PRIVATE to the collection.

What to do for a wanted state and the branch's current status (or an error naming why it cannot be
done), and the branch's changes as a person reads them: by object type and name, never by id.
"""
from __future__ import annotations

from ansible_collections.sot.netbox.plugins.module_utils._branching import (
    ARCHIVED, MERGED, READY, TRANSITIONAL, Branch, choice_value)
from ansible_collections.sot.netbox.plugins.module_utils._errors import InputError

STATES = ("present", "synced", "merged", "reverted", "archived", "absent")

# Actions, in the order a run does them.
NOTHING, CREATE, SYNC, MERGE, REVERT, ARCHIVE, DELETE = "nothing", "create", "sync", "merge", "revert", "archive", "delete"


def action_for(state: str, branch: Branch | None, name: str) -> str:
    """The one change a run makes to reach `state` (NOTHING when it is there already)."""
    if state == "absent":
        return DELETE if branch is not None else NOTHING
    if branch is None:
        if state == "present":
            return CREATE
        raise InputError("name", name, f"no such branch in NetBox, so it cannot be {state}: create it first "
                                       "(state: present)")
    status = branch.status
    if state == "present":
        return NOTHING
    if state == "merged":
        return NOTHING if status in (MERGED, ARCHIVED) else MERGE
    if state == "reverted":
        if status == ARCHIVED:
            raise InputError("state", state, f"branch {name!r} is archived (its schema is gone): it cannot be reverted")
        return REVERT if status == MERGED else NOTHING
    if state == "archived":
        if status == ARCHIVED:
            return NOTHING
        if status != MERGED:
            raise InputError("state", state, f"branch {name!r} is {status!r}: only a merged branch can be archived "
                                             "(merge it first with state: merged, or delete it with state: absent)")
        return ARCHIVE
    if status in (MERGED, ARCHIVED):
        raise InputError("state", state, f"branch {name!r} is {status!r}: a merged branch is not synced")
    return SYNC


def needs_ready(action: str) -> bool:
    """Sync and merge need a ready branch (the plugin refuses a busy one)."""
    return action in (SYNC, MERGE)


def busy(branch: Branch | None) -> bool:
    return branch is not None and branch.status in TRANSITIONAL


def change_items(changes: list[dict]) -> list[dict]:
    """One item per changed object: {object_type, object, action, before, after, main, conflicts}, sorted by
    type and name. before/after hold only the fields that changed (the plugin's own three-way diff); main
    holds main's values of the conflicting fields."""
    items = []
    for c in changes:
        diff = c.get("diff") or {}
        before = diff.get("original") if diff else c.get("original_data")
        after = diff.get("modified") if diff else c.get("modified_data")
        main = c.get("current_data") or {}
        items.append({"object_type": _type_name(c.get("object_type")), "object": str(c.get("object_repr") or ""),
                      "action": choice_value(c.get("action")), "before": before or {}, "after": after or {},
                      "main": {k: main.get(k) for k in (c.get("conflicts") or [])},
                      "conflicts": list(c.get("conflicts") or [])})
    return sorted(items, key=lambda i: (i["object_type"], i["object"], i["action"]))


def _type_name(value: object) -> str:
    if isinstance(value, dict):  # an object-type representation rather than "app_label.model"
        return f"{value.get('app_label', '')}.{value.get('model', '')}"
    return str(value or "")


def diff_sides(items: list[dict]) -> tuple[dict, dict]:
    """The before (main) and after (branch) sides for --diff: {object type: {name: fields}}; an object
    created in the branch is absent before, a deleted one absent after."""
    before: dict = {}
    after: dict = {}
    for item in items:
        label = f"{item['object']} ({item['action']})" if item["action"] != "update" else item["object"]
        if item["action"] != "create":
            before.setdefault(item["object_type"], {})[label] = item["before"]
        if item["action"] != "delete":
            after.setdefault(item["object_type"], {})[label] = item["after"]
    return before, after


def summary(items: list[dict]) -> dict:
    """{object type: {create: n, update: n, delete: n}}: what the branch would bring into main."""
    out: dict = {}
    for item in items:
        counts = out.setdefault(item["object_type"], {})
        counts[item["action"]] = counts.get(item["action"], 0) + 1
    return out


def result_of(branch: Branch | None) -> dict | None:
    if branch is None:
        return None
    return {"id": branch.id, "name": branch.name, "status": branch.status, "schema_id": branch.schema_id,
            "description": branch.description}


def ready_enough(action: str) -> frozenset:
    """The statuses a branch is waited for after `action` ran (or before one that needs it ready)."""
    return frozenset({MERGED}) if action == MERGE else frozenset({READY})
