# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one table of netbox_segment's options and segment fields. PRIVATE to the collection.

Each row declares an option once: its argument spec (top level and inside `segments` items), its
documentation, and, for the fields of a segment, how it is read from NetBox, written to NetBox,
compared and shown. The module's argument spec, its DOCUMENTATION options (rendered by
`render_options`; a unit test keeps the module's copy equal), `Segment`, `Segment.from_netbox`,
`body_for`, the diff and the result all come from here. Adding a plain prefix field is one row.

Segment field kinds: `value` (the NetBox field as is: prefix, status, description), `reference`
(a brief object named by a lookup record: VRF, tenant, role), `scope` (the site group, as
scope_type/scope_id). The VLAN and custom fields have their own shapes and code.
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any

from ansible_collections.sot.netbox.plugins.module_utils._records import record

STATES = ("present", "absent", "allocated", "released")
PREFIX_STATUSES = ("container", "active", "reserved", "deprecated")
SITEGROUP = record("site_group").model   # a prefix scoped to a site group: scope_type "dcim.sitegroup"


@dataclass(frozen=True)
class Option:
    name: str
    type: str
    doc: tuple                           # description lines at the top level
    item_doc: tuple = ()                 # description inside a `segments` item; default "See O(name)."
    choices: tuple = ()
    default: Any = None                  # top-level default only (None inside items: "not given")
    item: bool = True                    # also an option of each `segments` item
    required: bool = False
    no_log: Any = None
    elements: str = ""
    suboptions: tuple = ()
    kind: str = ""                       # segment field kind: value, reference, scope ("" = not a field)
    lookup: str = ""                     # lookup record of a reference
    netbox: str = ""                     # NetBox field name when it differs from `name`
    max_length: int = 0                  # checked while parsing (NetBox's own limit)
    unset: Any = None                    # what NetBox's empty value reads as

    @property
    def api(self) -> str:
        return self.netbox or self.name

    def spec(self, top: bool) -> dict:
        """This option's argument spec entry (top level or inside a `segments` item)."""
        out: dict = {"type": self.type}
        for key, value in (("choices", list(self.choices)), ("elements", self.elements),
                           ("required", self.required)):
            if value:
                out[key] = value
        if self.no_log is not None:
            out["no_log"] = self.no_log
        if top and self.default is not None:
            out["default"] = self.default
        if self.suboptions:
            out["options"] = {o.name: o.spec(top=False) for o in self.suboptions}
        return out


VLAN_SUBOPTIONS = (
    Option("vid", "int", ("VLAN ID, 1-4094.",), required=True),
    Option("name", "str", ("VLAN name (a new VLAN without a name is called C(vlan-<vid>)).",), item_doc=("VLAN name.",)),
)

TABLE = (
    Option("state", "str", ("What to do with the segment(s).",), choices=STATES, default="present"),
    Option("prefix", "str", ("The segment's prefix in CIDR notation. Required for O(state=present) and "
                             "O(state=absent).",), kind="value"),
    Option("vrf", "str", ("VRF by name, RD or id (one VRF, however it is named). Required for O(state=present) "
                          "and O(state=allocated).",), kind="reference", lookup="vrf"),
    Option("site_group", "str", ("Site group (name, slug or id) the prefix is scoped to. Never created.",),
           kind="scope", lookup="site_group"),
    Option("tenant", "str", ("Tenant by name, slug or id.",), kind="reference", lookup="tenant"),
    Option("role", "str", ("Prefix role by name, slug or id. For O(state=allocated), also a filter on the free "
                           "segments.",), kind="reference", lookup="prefix_role"),
    Option("status", "str", ("Prefix status (new segments default to V(active)).",), choices=PREFIX_STATUSES,
           kind="value"),
    Option("description", "str", ("Prefix description (at most 200 characters).",), kind="value", max_length=200,
           unset=""),
    Option("vlan", "dict", ("The segment's VLAN in the VLAN group of its VRF and site group; created when missing.",),
           suboptions=VLAN_SUBOPTIONS),
    Option("vlan_group", "str", ("VLAN group, when it is not C(<vrf>-<site group>) (built from NetBox's names).",
                                 "Names an existing group of the site group by name, slug or id; created by name "
                                 "when missing.")),
    Option("custom_fields", "dict", ("Further custom fields of the prefix, by name; checked against the custom "
                                     "fields NetBox declares for prefixes and their types before any write.",)),
    Option("dhcp", "bool", ("Value of the DHCP custom field (named by O(dhcp_field)).",)),
    Option("cluster", "str", ("Value of the cluster custom field (named by O(cluster_field)); the allocation's "
                              "identity unless O(key) is set.",)),
    Option("key", "str", ("The allocation's identity (with the VRF and site group). Defaults to O(cluster).",
                          "Stored in the custom field O(key_field); when it differs from O(cluster), O(key_field) "
                          "must name another custom field."), no_log=False),
    Option("pool", "str", ("Carve from this pool prefix (CIDR, in the VRF). Default is every prefix of role "
                           "O(pool_role) and status C(container) in the VRF and site group.",)),
    Option("prefix_length", "int", ("With O(state=allocated), carve a new prefix of this length (mode b) instead "
                                    "of reserving a free segment (mode a).",)),
    Option("allocate_vlan", "bool", ("When carving, also allocate the next free VID of the VLAN group for the "
                                     "segment.",), default=True),
    Option("vlan_name", "str", ("Name of a carved VLAN. Defaults to the allocation key. VLAN names are unique per "
                                "group, which also guards the identity.",)),
    Option("release_delete", "bool", ("With O(state=released), delete the segment (and its orphaned VLAN) instead "
                                      "of returning it to O(free_status).",), default=False),
    # ---- top level only: the run's settings
    Option("dhcp_field", "str", ("Name of the prefix custom field that O(dhcp) sets.",), default="dhcp_enabled",
           item=False),
    Option("cluster_field", "str", ("Name of the prefix custom field that holds the cluster; empty means the "
                                    "segment is free.",), default="cluster_name", item=False),
    Option("key_field", "str", ("Name of the prefix custom field that holds the allocation key. Defaults to "
                                "O(cluster_field).",), no_log=False, item=False),
    Option("free_status", "str", ("Status of a free segment (filter when reserving, status after a release).",),
           default="active", choices=PREFIX_STATUSES, item=False),
    Option("reserved_status", "str", ("Status a reserved segment gets.",), default="reserved",
           choices=PREFIX_STATUSES, item=False),
    Option("pool_role", "str", ("Prefix role of the pool prefixes to carve from (with status C(container)).",),
           default="pool", item=False),
    Option("claim_timeout", "int", ("Seconds after which a claim marker on a segment that is still free counts as "
                                    "abandoned (its allocation was interrupted between claiming and writing) and may "
                                    "be taken over. V(0) never takes over.",
                                    "Must be far longer than one NetBox request including its retries."),
           default=900, item=False),
)

ITEM_OPTIONS = tuple(o for o in TABLE if o.item)
SEGMENT_FIELDS = tuple(o for o in TABLE if o.kind)          # prefix, vrf, site_group, tenant, role, status, ...
REFERENCES = tuple(o.name for o in SEGMENT_FIELDS if o.kind in ("reference", "scope"))
REFERENCE_TYPES = tuple((o.name, o.lookup) for o in SEGMENT_FIELDS if o.lookup)
# Fields compared by the diff, in display order; `vlan` is compared as (vid, name).
FIELDS = tuple(o.name for o in SEGMENT_FIELDS) + ("vlan",)
# What a segment read needs from NetBox: every field's NetBox name, the VLAN, custom fields and tags.
PREFIX_FIELDS = ("id",) + tuple(dict.fromkeys(
    n for o in SEGMENT_FIELDS for n in ((o.api,) if o.kind != "scope" else ("scope_type", "scope_id", "scope")))) \
    + ("vlan", "custom_fields", "tags")


def item_argspec() -> dict:
    return {o.name: o.spec(top=False) for o in ITEM_OPTIONS}


def argspec() -> dict:
    """The module's options: every row at the top level, plus `segments` of items."""
    out = {o.name: o.spec(top=True) for o in TABLE}
    out["segments"] = {"type": "list", "elements": "dict", "options": item_argspec()}
    return out


# ---------------------------------------------------------------- documentation

SEGMENTS_DOC = ("Many segments in one task, with names resolved once. Each item takes the options above "
                "(" + ", ".join(f"O({o.name})" for o in ITEM_OPTIONS) + "); top-level values are the defaults.",)


def _yaml_text(text: str) -> str:
    """A plain scalar when YAML reads it back unchanged, else a double-quoted one."""
    risky = text[:1] in "!&*[]{}|>'\"%@`#,?:-" or ": " in text or " #" in text or text.endswith(":")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"' if risky else text


def _wrapped(lead: str, text: str, more: str) -> list:
    """`lead` + text as YAML lines of at most ~120 characters; continuation lines indented by `more`
    (a plain or double-quoted YAML scalar folds them back into one line of spaces)."""
    return textwrap.wrap(_yaml_text(text), width=120, initial_indent=lead, subsequent_indent=more,
                         break_long_words=False, break_on_hyphens=False)


def _doc_lines(option: Option, indent: int, top: bool, see: bool = True) -> list:
    """One option's YAML; inside `segments` items (not `top`) an item option refers to its top-level
    twin (`see`), a suboption of it keeps its own (shorter) text."""
    pad = " " * indent
    doc = option.doc if top else (option.item_doc or ((f"See O({option.name}).",) if see else option.doc))
    lines = [f"{pad}{option.name}:"]
    if len(doc) == 1:
        lines.extend(_wrapped(f"{pad}  description: ", doc[0], f"{pad}    "))
    else:
        lines.append(f"{pad}  description:")
        for text in doc:
            lines.extend(_wrapped(f"{pad}    - ", text, f"{pad}      "))
    lines.append(f"{pad}  type: {option.type}")
    if option.elements:
        lines.append(f"{pad}  elements: {option.elements}")
    if option.required:
        lines.append(f"{pad}  required: true")
    if option.choices:
        lines.append(f"{pad}  choices: [{', '.join(option.choices)}]")
    if top and option.default is not None:
        default = str(option.default).lower() if isinstance(option.default, bool) else option.default
        lines.append(f"{pad}  default: {default}")
    if option.suboptions:
        lines.append(f"{pad}  suboptions:")
        for sub in option.suboptions:
            lines.extend(_doc_lines(sub, indent + 4, top, see=False))
    return lines


def render_options() -> str:
    """The module's DOCUMENTATION `options:` block (YAML text), from the table."""
    lines = ["options:"]
    for option in TABLE:
        if option.name == "dhcp_field":      # `segments` sits between the item options and the settings
            lines.extend(_doc_lines(Option("segments", "list", SEGMENTS_DOC, elements="dict"), 2, True))
            lines.append("    suboptions:")
            for item in ITEM_OPTIONS:
                lines.extend(_doc_lines(item, 6, False))
        lines.extend(_doc_lines(option, 2, True))
    return "\n".join(lines) + "\n"
