# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module options -> Specs: parsing and validation, every problem of every item at once. PRIVATE.

Pure: no I/O, no Ansible imports. The values of the segment fields are taken by the field table
(`fields.SEGMENT_FIELDS`), their choices and lengths checked from it too.
"""
from __future__ import annotations

import ipaddress
from typing import Any, Callable, Optional

from ansible_collections.sot.netbox.plugins.module_utils._errors import FieldError, InputError, ValidationErrors
from ansible_collections.sot.netbox.plugins.module_utils._segment.fields import SEGMENT_FIELDS, STATES
from ansible_collections.sot.netbox.plugins.module_utils._segment.model import Names, Segment, Spec

VID_MIN, VID_MAX = 1, 4094
VLAN_NAME_MAX = 64     # NetBox VLAN name length
VLAN_GROUP_NAME_MAX = 100  # NetBox VLAN group name length


def parse_cidr(value: Any, field: str) -> Any:
    try:
        net = ipaddress.ip_network(str(value), strict=True)
    except ValueError as exc:
        raise InputError(field, value, f"not a valid network in CIDR notation ({exc})") from None
    if "/" not in str(value):
        raise InputError(field, value, "give the prefix length, for example 10.0.0.0/24")
    return net


def _not_bool(value: Any, field: str, what: str) -> None:
    """YAML `yes`/`true` arrive as Python True, which is also the int 1: refuse it by name."""
    if isinstance(value, bool):
        raise InputError(field, value, f"{what} must be a whole number, not a yes/no value")


def check_vid(value: Any, field: str) -> int:
    _not_bool(value, field, "a VLAN ID")
    try:
        vid = int(value)
    except (TypeError, ValueError):
        raise InputError(field, value, "a VLAN ID must be a whole number") from None
    if not VID_MIN <= vid <= VID_MAX or str(value).strip() != str(vid):
        raise InputError(field, value, f"a VLAN ID must be between {VID_MIN} and {VID_MAX}")
    return vid


def check_fits(pool_cidr: str, length: int, field: str = "prefix_length") -> None:
    """A child of `length` must be longer than the pool and within the address family."""
    pool = ipaddress.ip_network(pool_cidr)
    if not pool.prefixlen < int(length) <= pool.max_prefixlen:
        raise InputError(field, length, f"a /{length} does not fit in pool {pool} (must be longer than "
                                        f"/{pool.prefixlen} and at most /{pool.max_prefixlen})")


def merge(defaults: dict, item: dict) -> dict:
    """An item of `segments` over the top-level options (None in the item means "not given")."""
    out = dict(defaults)
    out.update({k: v for k, v in item.items() if v is not None})
    return out


class _Collector:
    """The problems of one item, each with its option path."""

    def __init__(self, index: int) -> None:
        self.at = f"segments[{index}]"
        self.errors: list = []

    def guard(self, fn: Callable, *args: Any) -> Any:
        try:
            return fn(*args)
        except InputError as exc:
            self.errors.append(FieldError(exc.field, exc.problem, exc.value))
            return None

    def error(self, field: str, message: str, *value: Any) -> None:
        self.errors.append(FieldError(f"{self.at}.{field}" if field else self.at, message, *value))


def _identity(raw: dict, names: Names, out: _Collector) -> tuple:
    """(custom fields, cluster, key): the DHCP, cluster and key options become custom fields."""
    custom = dict(raw.get("custom_fields") or {})
    if raw.get("dhcp") is not None:
        custom[names.dhcp_field] = bool(raw["dhcp"])
    cluster = raw.get("cluster")
    key = raw.get("key") or cluster
    if cluster is not None:
        custom[names.cluster_field] = cluster
    if key is not None and names.key_field != names.cluster_field:
        custom[names.key_field] = key
    if raw.get("key") and cluster and raw["key"] != cluster and names.key_field == names.cluster_field:
        out.error("key", f"differs from cluster {cluster!r} but both would be stored in custom field "
                         f"{names.cluster_field!r}; set key_field to another custom field", raw["key"])
    return custom, cluster, key


def _networks(raw: dict, out: _Collector) -> tuple:
    """(prefix, pool, prefix_length) normalized; bad values reported and dropped."""
    prefix = raw.get("prefix")
    if prefix is not None and out.guard(parse_cidr, prefix, f"{out.at}.prefix") is not None:
        prefix = str(ipaddress.ip_network(prefix))
    pool = raw.get("pool")
    if pool is not None and out.guard(parse_cidr, pool, f"{out.at}.pool") is None:
        pool = None
    length = raw.get("prefix_length")
    if length is not None:
        if isinstance(length, bool) or not isinstance(length, int) or not 1 <= length <= 128:
            out.error("prefix_length", "must be a whole number of bits 1-128"
                      + (", not a yes/no value" if isinstance(length, bool) else ""), length)
            length = None
        elif pool is not None:
            out.guard(check_fits, pool, length, f"{out.at}.prefix_length")
    return prefix, pool, length


def _field_choices(raw: dict, out: _Collector) -> None:
    for field in SEGMENT_FIELDS:
        value = raw.get(field.name)
        if field.choices and value is not None and value not in field.choices:
            out.error(field.name, f"must be one of {', '.join(field.choices)}", value)


def _state_needs(raw: dict, state: str, prefix: Optional[str], key: Optional[str], out: _Collector) -> None:
    for field in ("vrf", "site_group"):
        if state in ("present", "allocated") and not raw.get(field):
            out.error(field, f"required for state {state}")
    if state in ("present", "absent") and not prefix:
        out.error("prefix", f"required for state {state}")
    if state == "allocated":
        if not key:
            out.error("", "state allocated needs cluster or key (the allocation's identity)")
        if prefix:
            out.error("prefix", "not used by state allocated (the segment is chosen); use state present to manage "
                                "a known prefix", prefix)
    if state == "released" and not prefix and not key:
        out.error("", "state released needs prefix (with vrf) or cluster/key")


def _lengths(raw: dict, state: str, length: Optional[int], carved_vlan_name: Optional[str], out: _Collector) -> None:
    vlan = raw.get("vlan") or {}
    if state == "allocated" and length is not None and raw.get("allocate_vlan", True) and carved_vlan_name \
            and len(carved_vlan_name) > VLAN_NAME_MAX:
        out.error("vlan_name", f"VLAN names are at most {VLAN_NAME_MAX} characters; set vlan_name", carved_vlan_name)
    if vlan.get("name") and len(vlan["name"]) > VLAN_NAME_MAX:
        out.error("vlan.name", f"at most {VLAN_NAME_MAX} characters", vlan["name"])
    for field in SEGMENT_FIELDS:
        value = raw.get(field.name)
        if field.max_length and value is not None and len(value) > field.max_length:
            out.error(field.name, f"at most {field.max_length} characters (NetBox's limit); this one has "
                                  f"{len(value)}", value)
    if raw.get("vlan_group") is not None and len(str(raw["vlan_group"])) > VLAN_GROUP_NAME_MAX:
        out.error("vlan_group", f"VLAN group names are at most {VLAN_GROUP_NAME_MAX} characters", raw["vlan_group"])


def parse_spec(raw: dict, names: Names, index: int = 0) -> Spec:
    """A Spec from one option dict; raises ValidationErrors listing every problem of the item."""
    out = _Collector(index)
    state = raw.get("state") or "present"
    if state not in STATES:
        out.error("state", f"must be one of {', '.join(STATES)}", state)
    custom, cluster, key = _identity(raw, names, out)
    vlan = raw.get("vlan") or {}
    vid = out.guard(check_vid, vlan["vid"], f"{out.at}.vlan.vid") if vlan.get("vid") is not None else None
    prefix, pool, length = _networks(raw, out)
    _field_choices(raw, out)
    _state_needs(raw, state, prefix, key, out)
    carved_vlan_name = raw.get("vlan_name") or key
    _lengths(raw, state, length, carved_vlan_name, out)
    if vlan and vid is None and not out.errors:
        out.error("vlan.vid", "required when vlan is given")
    if out.errors:
        raise ValidationErrors(out.errors)
    values = {f.name: raw.get(f.name) for f in SEGMENT_FIELDS}
    values["prefix"] = prefix
    segment = Segment(**values, vlan_vid=vid, vlan_name=vlan.get("name") if vlan else None, custom_fields=custom)
    return Spec(state=state, segment=segment, index=index, vlan_group=raw.get("vlan_group"), cluster=cluster, key=key,
                pool=str(ipaddress.ip_network(pool)) if pool else None, prefix_length=length,
                allocate_vlan=bool(raw.get("allocate_vlan", True)), vlan_name=carved_vlan_name,
                release_delete=bool(raw.get("release_delete", False)))


def parse_all(params: dict, items: Optional[list], names: Names) -> list:
    """Every item (or the top-level options alone); all errors of all items at once."""
    defaults = {k: v for k, v in params.items() if k != "segments"}
    raws = [merge(defaults, item) for item in items] if items else [defaults]
    specs, errors = [], []
    for i, raw in enumerate(raws):
        try:
            specs.append(parse_spec(raw, names, i))
        except ValidationErrors as exc:
            errors.extend(exc.errors)
    if errors:
        raise ValidationErrors(errors)
    return specs


def duplicates(specs: list) -> list:
    """Two items for the same segment (after names became ids: `prod` and its RD are one VRF)."""
    errors, seen = [], {}
    for spec in specs:
        ids = spec.segment.ids
        if spec.state == "allocated":
            ident = (spec.key, ids.get("vrf"), ids.get("site_group"))
        else:
            ident = (spec.segment.prefix, ids.get("vrf"))
        if ident in seen and ident[0] is not None:
            errors.append(FieldError(f"segments[{spec.index}]", f"same segment as segments[{seen[ident]}]", ident[0]))
        seen.setdefault(ident, spec.index)
    return errors


def identity(spec: Spec) -> tuple:
    """What makes two allocations the same: the key within a VRF and site group."""
    return (spec.key, spec.segment.vrf, spec.segment.site_group)
