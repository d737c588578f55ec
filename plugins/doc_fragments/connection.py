# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import yaml

from ansible_collections.sot.netbox.plugins.module_utils._connection_options import (
    module_doc_options, plugin_doc_options)


def _render(options: dict, **extra: object) -> str:
    return yaml.safe_dump(dict(options=options, **extra), sort_keys=False, default_flow_style=False, width=110,
                          allow_unicode=True)


class ModuleDocFragment:
    # The connection, concurrency and cache options shared by every sot.netbox module (DOCUMENTATION,
    # `sot.netbox.connection`) and the connection options of the inventory plugin (PLUGIN,
    # `sot.netbox.connection.plugin`). Both are rendered from the one table in
    # module_utils/_connection_options.py: edit the table, never these strings.
    # Annotated assignments on purpose: ansible-test's yamllint reads plain `NAME = "..."` literals in
    # doc fragments; ansible-doc and validate-modules import the fragment and get the rendered YAML
    # (tests/unit/plugins/doc_fragments/test_connection.py parses it).
    DOCUMENTATION: str = _render(module_doc_options(), requirements=["requests"])
    PLUGIN: str = _render(plugin_doc_options())
