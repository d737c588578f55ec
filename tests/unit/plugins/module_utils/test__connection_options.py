# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared options are declared once: the argspec, the inventory's reading and both doc fragments
come from the one table, so they agree on names, types, defaults, aliases and environment variables."""
from __future__ import annotations

import pytest
import yaml

from ansible.module_utils.basic import env_fallback

from ansible_collections.sot.netbox.plugins.doc_fragments.connection import ModuleDocFragment
from ansible_collections.sot.netbox.plugins.module_utils import _connection_options as table
from ansible_collections.sot.netbox.plugins.module_utils._inventory.settings import CONNECTION_OPTIONS
from ansible_collections.sot.netbox.plugins.module_utils._module import CONNECTION_ARG_SPEC

MODULE_DOC = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
PLUGIN_DOC = yaml.safe_load(ModuleDocFragment.PLUGIN)["options"]


def test_every_consumer_lists_the_table_s_options():
    assert list(CONNECTION_ARG_SPEC) == list(MODULE_DOC) == list(table.CONNECTION_OPTION_NAMES)
    assert CONNECTION_OPTIONS == tuple(PLUGIN_DOC) == table.PLUGIN_OPTION_NAMES
    assert "cache_ttl_static" not in PLUGIN_DOC  # the inventory caches through Ansible's inventory cache


@pytest.mark.parametrize("option", table.CONNECTION_OPTIONS, ids=lambda o: o.name)
def test_argspec_and_module_doc_agree(option):
    spec, doc = CONNECTION_ARG_SPEC[option.name], MODULE_DOC[option.name]
    assert spec["type"] == doc["type"] == option.type
    assert spec.get("default") == doc.get("default") == option.default
    assert spec.get("aliases", []) == doc.get("aliases", []) == list(option.aliases)
    if option.env:
        assert spec["fallback"] == (env_fallback, list(option.env))
        assert all(f"E({name})" in doc["description"][-1] for name in option.env)


@pytest.mark.parametrize("option", [o for o in table.CONNECTION_OPTIONS if o.plugin is not False], ids=lambda o: o.name)
def test_plugin_doc_has_the_same_env_names_and_aliases(option):
    doc = PLUGIN_DOC[option.name]
    assert [e["name"] for e in doc.get("env", [])] == list(option.env)
    assert doc.get("aliases", []) == list(option.aliases) and doc.get("default") == option.default


@pytest.mark.parametrize("name, expected", [
    ("url", {"aliases": ["netbox_url", "api_endpoint"], "fallback": (env_fallback, ["NETBOX_URL", "NETBOX_API"])}),
    ("token", {"no_log": True, "fallback": (env_fallback, ["NETBOX_TOKEN", "NETBOX_API_KEY"])}),
    ("key", {"no_log": False}),
    ("cache_redis_url", {"no_log": True}),
    ("headers", {"default": {}, "fallback": (env_fallback, ["NETBOX_HEADERS"])}),
    ("timeout", {"type": "float", "default": 30}),
])
def test_argspec_rows(name, expected):
    assert expected.items() <= CONNECTION_ARG_SPEC[name].items()


def test_plugin_differences_are_declared_in_the_row():
    assert PLUGIN_DOC["token"]["type"] == "raw" and CONNECTION_ARG_SPEC["token"]["type"] == "str"
    assert PLUGIN_DOC["url"]["required"] is True and "required" not in CONNECTION_ARG_SPEC["url"]


def test_a_mutable_default_is_not_shared():
    spec = table.module_argspec(env_fallback)
    spec["headers"]["default"]["X"] = "1"
    assert table.module_argspec(env_fallback)["headers"]["default"] == {}
