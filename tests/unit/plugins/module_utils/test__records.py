# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one declaration per NetBox type: paths, models, actions and what a write through an action touches."""
from __future__ import annotations

import pytest

from ansible_collections.sot.netbox.plugins.module_utils import _records
from ansible_collections.sot.netbox.plugins.module_utils._records import by_model, record, written_through


@pytest.mark.parametrize("name, args, path", [
    ("prefix", (), "ipam/prefixes"),
    ("prefix", (7,), "ipam/prefixes/7"),
    ("prefix", (7, "available_prefixes"), "ipam/prefixes/7/available-prefixes"),
    ("vlan_group", ("3", "available_vlans"), "ipam/vlan-groups/3/available-vlans"),
    ("virtual_machine", (), "virtualization/virtual-machines"),
    ("status", (), "status"),
])
def test_paths(name, args, path):
    assert record(name).path(*args) == path


def test_an_undeclared_action_is_a_key_error_not_a_made_up_path():
    with pytest.raises(KeyError):
        record("device").path(1, "available_prefixes")


def test_names_models_and_endpoints_are_unique():
    types = list(_records.REGISTRY.values())
    assert len(types) == len(_records._TYPES)  # pylint: disable=protected-access
    assert len({t.endpoint for t in types}) == len(types)
    with_model = [t for t in types if t.model]
    assert len({t.model for t in with_model}) == len(with_model)
    assert all(by_model(t.model) is t for t in with_model)


@pytest.mark.parametrize("name, title", [("vrf", "VRF"), ("site_group", "site group"), ("tenant", "tenant")])
def test_titles_for_messages(name, title):
    assert record(name).title == title


def test_every_record_looks_up_by_fields_it_fetches():
    for t in _records.REGISTRY.values():
        fetched = set(t.fields)
        for key in t.keys:
            assert not fetched or all(part in fetched for part in key.split(".")), (t.name, key)


def test_a_post_to_an_action_invalidates_the_type_it_creates():
    assert written_through() == {"available-prefixes": "ipam/prefixes", "available-vlans": "ipam/vlans"}
    assert set(_records.ACTION_CREATES.values()) <= set(_records.REGISTRY)
