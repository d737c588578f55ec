# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared fixtures of the segment unit tests: a parsed item and a NetBox prefix row."""
from __future__ import annotations

from ansible_collections.sot.netbox.plugins.module_utils._segment.model import Names
from ansible_collections.sot.netbox.plugins.module_utils._segment.parse import parse_spec

NAMES = Names()


def spec(**raw):
    return parse_spec(raw, NAMES, 0)


def netbox_prefix(**over):
    row = {"id": 7, "prefix": "10.20.1.0/24", "vrf": {"id": 1, "name": "prod"}, "scope_type": "dcim.sitegroup",
           "scope_id": 1, "scope": {"id": 1, "name": "dc-east"}, "tenant": {"id": 1, "name": "platform"},
           "role": {"id": 1, "name": "web"}, "status": {"value": "active"}, "description": "free",
           "vlan": {"id": 3, "vid": 100, "name": "web"}, "custom_fields": {"cluster_name": None, "dhcp_enabled": False},
           "tags": [{"id": 9, "slug": "prod"}]}
    row.update(over)
    return row
