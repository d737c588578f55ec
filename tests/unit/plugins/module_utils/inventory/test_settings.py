# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_inventory/settings.py: options -> Settings (every error at once, naming the field), client options."""
from __future__ import annotations

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._errors import InputError, ValidationErrors
from ansible_collections.sot.netbox.plugins.module_utils._inventory.settings import client_options, unsupported_warnings
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.inventory.helpers import options, settings


@pytest.mark.parametrize("opts,field", [
    ({"group_by": ["nonsense"]}, "group_by"),
    ({"query_filters": [{"a": 1, "b": 2}]}, "query_filters[0]"),
    ({"query_filters": ["role=leaf"]}, "query_filters[0]"),
    ({"device_query_filters": [{"role": {"x": 1}}]}, "device_query_filters[0]"),
    ({"default_ip_version": "ipv5"}, "default_ip_version"),
    ({"extra_fields": ["Bad Field"]}, "extra_fields"),
    ({"page_size": 5000}, "page_size"),
    ({"devices": False, "virtual_machines": False}, "devices"),
    ({"rename_variables": [{"pattern": "("}]}, "rename_variables[0]"),
    ({"reserved_var_prefix": "9x"}, "reserved_var_prefix"),
    ({"racks": False, "group_by": ["racks"]}, "group_by"),
    ({"racks": False, "group_by": ["location"]}, "group_by"),
    ({"max_uri_length": 10}, "max_uri_length"),
])
def test_settings_errors_name_the_field(opts, field):
    with pytest.raises(InputError) as err:
        settings(**opts)
    assert err.value.field == field


def test_settings_report_every_error_at_once():
    with pytest.raises(ValidationErrors) as err:
        settings(group_by=["x"], default_ip_version="y")
    assert len(err.value.errors) == 2


def test_group_by_spellings_are_normalised():
    assert settings(group_by=["sites", "site", "device_roles", "role", "tags"]).group_by == ("site", "role", "tag")


@pytest.mark.parametrize("opts,expected", [
    ({"url": "http://nb", "token": {"type": "Bearer", "value": "nbt_k.s"}}, {"token": "nbt_k.s"}),
    ({"url": "http://nb", "headers": '{"X-A": "1"}'}, {"headers": {"X-A": "1"}}),
    ({"url": "http://nb", "branch": "review", "branch_timeout": 30.0}, {"branch": "review", "branch_timeout": 30.0}),
])
def test_client_options(opts, expected):
    out = client_options(options(**opts))
    for key, value in expected.items():
        assert out[key] == value
    assert out["cache"] is False


def test_client_options_bad_headers():
    with pytest.raises(InputError) as err:
        client_options(options(headers="{nope"))
    assert err.value.field == "headers"


@pytest.mark.parametrize("config,expected", [
    ({}, []),
    ({"site_data": False, "fetch_all": False, "follow_redirects": "urllib2"}, []),
    ({"site_data": True}, ["site_data"]),
    ({"prefixes": True, "virtual_disks": True, "follow_redirects": "all"}, ["prefixes", "virtual_disks", "follow_redirects"]),
])
def test_unsupported_nb_inventory_options_warn(config, expected):
    warnings = unsupported_warnings(config)
    assert [w.split()[1] for w in warnings] == expected
