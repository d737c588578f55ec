# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection doc fragments are rendered at import time from the option table: they must be
YAML that Ansible's docs loader accepts (ansible-test's yamllint does not read generated strings)."""
from __future__ import annotations

import pytest
import yaml

from ansible_collections.sot.netbox.plugins.doc_fragments.connection import ModuleDocFragment
from ansible_collections.sot.netbox.plugins.module_utils._connection_options import (
    module_doc_options, plugin_doc_options)


@pytest.mark.parametrize("text, options", [
    (ModuleDocFragment.DOCUMENTATION, module_doc_options()),
    (ModuleDocFragment.PLUGIN, plugin_doc_options()),
])
def test_fragment_is_the_table_as_yaml(text, options):
    doc = yaml.safe_load(text)
    assert doc["options"] == options
    for name, option in doc["options"].items():
        assert option["type"] and all(isinstance(line, str) and line for line in option["description"]), name


def test_modules_fragment_names_its_requirement_and_plugins_declare_env():
    assert yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["requirements"] == ["requests"]
    plugin = yaml.safe_load(ModuleDocFragment.PLUGIN)["options"]
    assert plugin["token"]["env"] == [{"name": "NETBOX_TOKEN"}, {"name": "NETBOX_API_KEY"}]
