# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What each NetBox feature the collection uses needs of the server, declared once. PRIVATE.

No Ansible imports. The client learns the server's version from the `API-Version` header of its
first answer (NetBox sends `major.minor` on every REST response) and checks `client.require(name)`
against this table. Minimums are from NetBox's release notes:
- 4.2: prefixes are scoped (`scope_type`/`scope_id` replace `site`), VLAN groups take `vid_ranges`;
- 2.11: VLAN groups are scoped (`scope_type`/`scope_id`);
- 4.5: v2 tokens (`nbt_<key>.<secret>`, sent as `Bearer`);
- 4.6: cursor paging (`start=` on list endpoints);
- 4.7 and the NetBox Branching plugin (`probe`: a feature of a plugin is there when the plugin's API
  root answers; netboxlabs-netbox-branching 1.2 needs NetBox 4.7).
"""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Feature:
    name: str
    description: str
    minimum: tuple
    probe: str = ""  # a record (in _records.py) whose endpoint answers only when the plugin is installed

    @property
    def minimum_text(self) -> str:
        return ".".join(str(p) for p in self.minimum)


FEATURES = {f.name: f for f in (
    Feature("prefix_scope", "prefix scopes (scope_type/scope_id on prefixes)", (4, 2)),
    Feature("vlan_group_scope", "VLAN group scopes (scope_type/scope_id on VLAN groups)", (2, 11)),
    Feature("vlan_group_vid_ranges", "VLAN group VLAN ID ranges (vid_ranges)", (4, 2)),
    Feature("v2_tokens", "v2 tokens (nbt_<key>.<secret>)", (4, 5)),
    Feature("cursor_paging", "cursor paging (start= on list endpoints)", (4, 6)),
    Feature("branching", "NetBox Branching (the netboxlabs-netbox-branching plugin)", (4, 7), probe="branching"),
)}


def parse_version(text) -> tuple | None:
    """'4.7' / '4.7.3' / 'v4.6-beta' -> (4, 7) etc.; None when it is not a version."""
    match = re.match(r"^\s*v?(\d+)\.(\d+)", str(text or ""))
    return (int(match.group(1)), int(match.group(2))) if match else None


def feature(name: str) -> Feature:
    try:
        return FEATURES[name]
    except KeyError:
        raise ValueError(f"unknown NetBox feature {name!r}; declared: {', '.join(sorted(FEATURES))}") from None
