# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sot.netbox.inventory: the plugin class itself (plugins/inventory/inventory.py).

The layers under it (module_utils/_inventory/*) are tested in tests/unit/plugins/module_utils/inventory/.
"""
from __future__ import annotations

import pytest


@pytest.mark.parametrize("name,accepted", [
    ("nb.yml", True), ("hosts_netbox.yaml", True), ("sot_netbox.yml", True), ("inventory.yml", True),
    ("hosts.ini", False), ("nb.json", False), ("nb.yml.bak", False),
])
def test_verify_file_accepts_any_yaml_file(tmp_path, name, accepted):
    from ansible_collections.sot.netbox.plugins.inventory.inventory import InventoryModule
    path = tmp_path / name
    path.write_text("plugin: sot.netbox.inventory\n")
    assert InventoryModule().verify_file(str(path)) is accepted
