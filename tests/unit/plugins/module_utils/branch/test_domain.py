# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""netbox_branch's decisions: the action for each wanted state and status, and the diff by names."""
from __future__ import annotations

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._branch import domain
from ansible_collections.sot.netbox.plugins.module_utils._branching import Branch
from ansible_collections.sot.netbox.plugins.module_utils._errors import InputError


def br(status):
    return Branch(1, "b", status, "s1")


@pytest.mark.parametrize("state, status, action", [
    ("present", None, domain.CREATE), ("present", "ready", domain.NOTHING), ("present", "merged", domain.NOTHING),
    ("absent", None, domain.NOTHING), ("absent", "ready", domain.DELETE), ("absent", "merged", domain.DELETE),
    ("merged", "ready", domain.MERGE), ("merged", "merged", domain.NOTHING), ("merged", "archived", domain.NOTHING),
    ("reverted", "merged", domain.REVERT), ("reverted", "ready", domain.NOTHING),
    ("archived", "merged", domain.ARCHIVE), ("archived", "archived", domain.NOTHING),
    ("synced", "ready", domain.SYNC),
])
def test_action_for(state, status, action):
    assert domain.action_for(state, br(status) if status else None, "b") == action


@pytest.mark.parametrize("state, status, field, text", [
    ("merged", None, "name", "no such branch"), ("synced", None, "name", "create it first"),
    ("archived", "ready", "state", "only a merged branch can be archived"),
    ("reverted", "archived", "state", "cannot be reverted"), ("synced", "merged", "state", "not synced"),
])
def test_impossible_states_are_clear_errors(state, status, field, text):
    with pytest.raises(InputError) as info:
        domain.action_for(state, br(status) if status else None, "b")
    assert info.value.field == field and text in info.value.message


CHANGES = [
    {"object_type": "ipam.vlan", "object_repr": "web (100)", "action": {"value": "update"}, "conflicts": ["name"],
     "diff": {"original": {"name": "web"}, "modified": {"name": "web-new"}, "current": {"name": "web-main"}},
     "current_data": {"name": "web-main", "vid": 100}},
    {"object_type": "ipam.prefix", "object_repr": "10.0.0.0/24", "action": {"value": "create"},
     "diff": {"original": {}, "modified": {"prefix": "10.0.0.0/24"}, "current": {}}},
    {"object_type": "dcim.site", "object_repr": "Zürich", "action": "delete", "original_data": {"name": "Zürich"}},
]


def test_changes_are_by_type_and_name_and_only_changed_fields():
    items = domain.change_items(CHANGES)
    assert [(i["object_type"], i["object"], i["action"]) for i in items] == [
        ("dcim.site", "Zürich", "delete"), ("ipam.prefix", "10.0.0.0/24", "create"), ("ipam.vlan", "web (100)", "update")]
    assert items[2]["before"] == {"name": "web"} and items[2]["after"] == {"name": "web-new"}
    assert items[2]["main"] == {"name": "web-main"} and items[2]["conflicts"] == ["name"]
    assert all("id" not in str(i["object"]) for i in items)


def test_diff_sides_show_creates_only_after_and_deletes_only_before():
    before, after = domain.diff_sides(domain.change_items(CHANGES))
    assert before == {"dcim.site": {"Zürich (delete)": {"name": "Zürich"}}, "ipam.vlan": {"web (100)": {"name": "web"}}}
    assert after == {"ipam.prefix": {"10.0.0.0/24 (create)": {"prefix": "10.0.0.0/24"}},
                     "ipam.vlan": {"web (100)": {"name": "web-new"}}}


def test_summary_counts_per_type_and_action():
    assert domain.summary(domain.change_items(CHANGES)) == {
        "dcim.site": {"delete": 1}, "ipam.prefix": {"create": 1}, "ipam.vlan": {"update": 1}}
