# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Network segments as plain data: parsing, validation, the desired-vs-current diff and claim names.

PRIVATE to the collection. Pure: no I/O, no Ansible imports. A segment is one prefix in a VRF,
scoped to a site group, with tenant, role, status, description, custom fields and optionally a VLAN
(VID and name) in the VLAN group of its VRF and site group. Everything here speaks in names (what a
user reads in a diff); ids travel alongside in `Segment.ids`.
"""
from __future__ import annotations

import dataclasses
import datetime
import hashlib
import ipaddress
import re

from ansible_collections.sot.netbox.plugins.module_utils._errors import FieldError, InputError, ValidationErrors

STATES = ("present", "absent", "allocated", "released")
PREFIX_STATUSES = ("container", "active", "reserved", "deprecated")
VID_MIN, VID_MAX = 1, 4094
TAG_MAX = 100          # NetBox tag name and slug length
VLAN_NAME_MAX = 64     # NetBox VLAN name length
VLAN_GROUP_NAME_MAX = 100  # NetBox VLAN group name length
DESCRIPTION_MAX = 200  # NetBox description length (prefixes, VLANs)
CLAIM_SLUG_PREFIX = "sot-claim-p"
CLAIM_NAME_PREFIX = "sot-claim "
# Fields compared by the diff, in display order. `vlan` is compared as (vid, name) and by its id
# once the desired VLAN is known. References are compared by id (any spelling of one object is it).
FIELDS = ("prefix", "vrf", "site_group", "tenant", "role", "status", "description", "vlan")
REFERENCES = ("vrf", "site_group", "tenant", "role")


@dataclasses.dataclass
class Segment:
    """A segment by names. `None` means "not managed" in a desired segment and "unset" in a current one."""

    prefix: str = None
    vrf: str = None
    site_group: str = None
    tenant: str = None
    role: str = None
    status: str = None
    description: str = None
    vlan_vid: int = None
    vlan_name: str = None
    custom_fields: dict = dataclasses.field(default_factory=dict)
    ids: dict = dataclasses.field(default_factory=dict)  # prefix, vrf, site_group, tenant, role, vlan, vlan_group
    tags: list = dataclasses.field(default_factory=list)  # [{"id", "slug"}] of the current prefix

    @property
    def vlan(self):
        """`100 (web)` as a diff shows it; None without a VLAN."""
        if self.vlan_vid is None:
            return None
        return f"{self.vlan_vid} ({self.vlan_name})" if self.vlan_name else str(self.vlan_vid)

    def to_dict(self):
        """The result shape: names and ids side by side."""
        vlan = None
        if self.vlan_vid is not None:
            vlan = {"id": self.ids.get("vlan"), "vid": self.vlan_vid, "name": self.vlan_name,
                    "group": self.ids.get("vlan_group_name"), "group_id": self.ids.get("vlan_group")}
        return {
            "id": self.ids.get("prefix"),
            "prefix": self.prefix,
            "vrf": self.vrf, "vrf_id": self.ids.get("vrf"),
            "site_group": self.site_group, "site_group_id": self.ids.get("site_group"),
            "tenant": self.tenant, "tenant_id": self.ids.get("tenant"),
            "role": self.role, "role_id": self.ids.get("role"),
            "status": self.status,
            "description": self.description,
            "vlan": vlan,
            "custom_fields": dict(self.custom_fields),
        }

    def view(self):
        """The names-only view used in diffs."""
        out = {f: getattr(self, f) for f in FIELDS}
        out["custom_fields"] = dict(sorted(self.custom_fields.items()))
        return out

    @classmethod
    def from_netbox(cls, obj):
        """A NetBox prefix (with nested brief objects) as a Segment."""
        def name(key):
            ref = obj.get(key)
            return ref.get("name") if isinstance(ref, dict) else None

        def ref_id(key):
            ref = obj.get(key)
            return ref.get("id") if isinstance(ref, dict) else None

        status = obj.get("status")
        vlan = obj.get("vlan") or {}
        scoped = obj.get("scope_type") == "dcim.sitegroup"
        return cls(
            prefix=obj.get("prefix"), vrf=name("vrf"), site_group=name("scope") if scoped else None,
            tenant=name("tenant"), role=name("role"),
            status=status.get("value") if isinstance(status, dict) else status,
            description=obj.get("description") or "",
            vlan_vid=vlan.get("vid"), vlan_name=vlan.get("name"),
            custom_fields=dict(obj.get("custom_fields") or {}),
            ids={"prefix": obj.get("id"), "vrf": ref_id("vrf"), "site_group": obj.get("scope_id") if scoped else None,
                 "tenant": ref_id("tenant"), "role": ref_id("role"), "vlan": vlan.get("id")},
            tags=[{"id": t.get("id"), "slug": t.get("slug")} for t in obj.get("tags") or []],
        )


@dataclasses.dataclass
class Spec:
    """One requested segment: the desired Segment plus what the state needs (allocation, release)."""

    state: str
    segment: Segment
    index: int = 0
    vlan_group: str = None      # explicit VLAN group name; default "<vrf>-<site group>"
    cluster: str = None
    key: str = None             # allocation identity; defaults to the cluster
    pool: str = None            # carve from this pool prefix (CIDR)
    prefix_length: int = None   # carve a child of this length (mode b); without it, reserve (mode a)
    allocate_vlan: bool = True
    vlan_name: str = None       # name of a carved VLAN; default: the key
    release_delete: bool = False

    @property
    def label(self):
        seg = self.segment
        what = seg.prefix or (f"key {self.key!r}" if self.key else "segment")
        return f"segments[{self.index}] ({what} in {seg.vrf or '-'}/{seg.site_group or '-'})"

    @property
    def carve(self):
        return self.prefix_length is not None


@dataclasses.dataclass(frozen=True)
class Names:
    """Configurable custom field names and statuses."""

    dhcp_field: str = "dhcp_enabled"
    cluster_field: str = "cluster_name"
    key_field: str = "cluster_name"
    free_status: str = "active"
    reserved_status: str = "reserved"
    pool_role: str = "pool"
    pool_status: str = "container"


# ---------------------------------------------------------------- parsing and validation

def parse_cidr(value, field):
    try:
        net = ipaddress.ip_network(str(value), strict=True)
    except ValueError as exc:
        raise InputError(field, value, f"not a valid network in CIDR notation ({exc})") from None
    if "/" not in str(value):
        raise InputError(field, value, "give the prefix length, for example 10.0.0.0/24")
    return net


def _not_bool(value, field, what):
    """YAML `yes`/`true` arrive as Python True, which is also the int 1: refuse it by name."""
    if isinstance(value, bool):
        raise InputError(field, value, f"{what} must be a whole number, not a yes/no value")


def check_vid(value, field):
    _not_bool(value, field, "a VLAN ID")
    try:
        vid = int(value)
    except (TypeError, ValueError):
        raise InputError(field, value, "a VLAN ID must be a whole number") from None
    if not VID_MIN <= vid <= VID_MAX or str(value).strip() != str(vid):
        raise InputError(field, value, f"a VLAN ID must be between {VID_MIN} and {VID_MAX}")
    return vid


def check_fits(pool_cidr, length, field="prefix_length"):
    """A child of `length` must be longer than the pool and within the address family."""
    pool = ipaddress.ip_network(pool_cidr)
    if not pool.prefixlen < int(length) <= pool.max_prefixlen:
        raise InputError(field, length, f"a /{length} does not fit in pool {pool} (must be longer than "
                                        f"/{pool.prefixlen} and at most /{pool.max_prefixlen})")


def merge(defaults, item):
    """An item of `segments` over the top-level options (None in the item means "not given")."""
    out = dict(defaults)
    out.update({k: v for k, v in item.items() if v is not None})
    return out


def parse_spec(raw, names, index=0):
    """A Spec from one option dict; raises ValidationErrors listing every problem of the item."""
    errors = []
    at = f"segments[{index}]"

    def guard(fn, *args):
        try:
            return fn(*args)
        except InputError as exc:
            errors.append(FieldError(exc.field, exc.problem, exc.value))
            return None

    def error(field, message, *value):
        errors.append(FieldError(f"{at}.{field}" if field else at, message, *value))

    state = raw.get("state") or "present"
    if state not in STATES:
        error("state", f"must be one of {', '.join(STATES)}", state)
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
        error("key", f"differs from cluster {cluster!r} but both would be stored in custom field "
                     f"{names.cluster_field!r}; set key_field to another custom field", raw["key"])
    vlan = raw.get("vlan") or {}
    vid = guard(check_vid, vlan["vid"], f"{at}.vlan.vid") if vlan.get("vid") is not None else None
    prefix = raw.get("prefix")
    if prefix is not None and guard(parse_cidr, prefix, f"{at}.prefix") is not None:
        prefix = str(ipaddress.ip_network(prefix))
    pool = raw.get("pool")
    if pool is not None and guard(parse_cidr, pool, f"{at}.pool") is None:
        pool = None
    length = raw.get("prefix_length")
    if length is not None:
        if isinstance(length, bool) or not isinstance(length, int) or not 1 <= length <= 128:
            error("prefix_length", "must be a whole number of bits 1-128"
                  + (", not a yes/no value" if isinstance(length, bool) else ""), length)
            length = None
        elif pool is not None:
            guard(check_fits, pool, length, f"{at}.prefix_length")
    status = raw.get("status")
    if status is not None and status not in PREFIX_STATUSES:
        error("status", f"must be one of {', '.join(PREFIX_STATUSES)}", status)
    for field in ("vrf", "site_group"):
        if state in ("present", "allocated") and not raw.get(field):
            error(field, f"required for state {state}")
    if state in ("present", "absent") and not prefix:
        error("prefix", f"required for state {state}")
    if state == "allocated":
        if not key:
            error("", "state allocated needs cluster or key (the allocation's identity)")
        if prefix:
            error("prefix", "not used by state allocated (the segment is chosen); use state present to manage "
                            "a known prefix", prefix)
    if state == "released" and not prefix and not key:
        error("", "state released needs prefix (with vrf) or cluster/key")
    vlan_name = raw.get("vlan_name")
    carved_vlan_name = vlan_name or key
    if state == "allocated" and length is not None and raw.get("allocate_vlan", True) and carved_vlan_name \
            and len(carved_vlan_name) > VLAN_NAME_MAX:
        error("vlan_name", f"VLAN names are at most {VLAN_NAME_MAX} characters; set vlan_name", carved_vlan_name)
    if vlan.get("name") and len(vlan["name"]) > VLAN_NAME_MAX:
        error("vlan.name", f"at most {VLAN_NAME_MAX} characters", vlan["name"])
    description = raw.get("description")
    if description is not None and len(description) > DESCRIPTION_MAX:
        error("description", f"at most {DESCRIPTION_MAX} characters (NetBox's limit); this one has "
                             f"{len(description)}", description)
    if raw.get("vlan_group") is not None and len(str(raw["vlan_group"])) > VLAN_GROUP_NAME_MAX:
        error("vlan_group", f"VLAN group names are at most {VLAN_GROUP_NAME_MAX} characters", raw["vlan_group"])
    if vlan and vid is None and not errors:
        error("vlan.vid", "required when vlan is given")
    if errors:
        raise ValidationErrors(errors)
    segment = Segment(prefix=prefix, vrf=raw.get("vrf"), site_group=raw.get("site_group"), tenant=raw.get("tenant"),
                      role=raw.get("role"), status=status, description=raw.get("description"),
                      vlan_vid=vid, vlan_name=vlan.get("name") if vlan else None, custom_fields=custom)
    return Spec(state=state, segment=segment, index=index, vlan_group=raw.get("vlan_group"), cluster=cluster, key=key,
                pool=str(ipaddress.ip_network(pool)) if pool else None, prefix_length=length,
                allocate_vlan=bool(raw.get("allocate_vlan", True)), vlan_name=carved_vlan_name,
                release_delete=bool(raw.get("release_delete", False)))


def parse_all(params, items, names):
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


def duplicates(specs):
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


def identity(spec):
    """What makes two allocations the same: the key within a VRF and site group."""
    return (spec.key, spec.segment.vrf, spec.segment.site_group)


# ---------------------------------------------------------------- the diff (pure)

@dataclasses.dataclass
class Change:
    """One planned change: action in create/update/delete/none, changes as field -> (before, after) names."""

    action: str
    spec: Spec
    before: Segment = None
    after: Segment = None
    changes: dict = dataclasses.field(default_factory=dict)
    vlan_action: str = None        # create/update/None for the desired VLAN
    orphan_vlan: dict = None       # {"id", "vid", "name"} of a VLAN to delete when no other prefix uses it

    @property
    def changed(self):
        return self.action != "none"

    def diff(self):
        before = self.before.view() if self.before else {}
        after = self.after.view() if self.after and self.action != "delete" else {}
        return {"before": before, "after": after,
                "before_header": f"{self.spec.label} (NetBox)", "after_header": f"{self.spec.label} ({self.action})"}


def diff_segment(current, desired):
    """field -> (before, after) for every managed field that differs. Custom fields per managed name."""
    changes = {}
    for field in FIELDS:
        if field == "vlan":
            if desired.vlan_vid is None:
                continue
            want = (desired.vlan_vid, desired.vlan_name if desired.vlan_name is not None else current.vlan_name)
            if (current.vlan_vid, current.vlan_name) != want:
                changes["vlan"] = (current.vlan, Segment(vlan_vid=want[0], vlan_name=want[1]).vlan)
            continue
        want = getattr(desired, field)
        if want is None:
            continue
        if field in REFERENCES and desired.ids.get(field) is not None:
            if current.ids.get(field) != desired.ids[field]:
                changes[field] = (getattr(current, field), want)
        elif getattr(current, field) != want:
            changes[field] = (getattr(current, field), want)
    for name, want in sorted(desired.custom_fields.items()):
        have = current.custom_fields.get(name)
        if have != want and not (have in (None, "") and want in (None, "")):
            changes[f"custom_fields.{name}"] = (have, want)
    return changes


def apply_changes(current, desired):
    """The segment after the change: the current one with every managed field of the desired one."""
    out = dataclasses.replace(current, custom_fields={**current.custom_fields, **desired.custom_fields},
                              ids=dict(current.ids))
    for field in ("prefix", "vrf", "site_group", "tenant", "role", "status", "description"):
        if getattr(desired, field) is not None:
            setattr(out, field, getattr(desired, field))
            if field in REFERENCES and desired.ids.get(field) is not None:
                out.ids[field] = desired.ids[field]
    if desired.vlan_vid is not None:
        out.vlan_vid = desired.vlan_vid
        out.vlan_name = desired.vlan_name if desired.vlan_name is not None else current.vlan_name
    return out


def plan_present(spec, current):
    """Create or update to match; a VLAN move leaves the old VLAN as an orphan candidate."""
    desired = spec.segment
    if current is None:
        after = dataclasses.replace(desired, status=desired.status or "active",
                                    description=desired.description or "", custom_fields=dict(desired.custom_fields))
        return Change("create", spec, None, after, {f: (None, v) for f, v in after.view().items() if v not in (None, {})})
    changes = diff_segment(current, desired)
    after = apply_changes(current, desired)
    orphan = None
    if current.vlan_vid is not None and desired.vlan_vid is not None and current.vlan_vid != desired.vlan_vid:
        orphan = {"id": current.ids.get("vlan"), "vid": current.vlan_vid, "name": current.vlan_name}
    return Change("update" if changes else "none", spec, current, after, changes, orphan_vlan=orphan)


def plan_absent(spec, current):
    if current is None:
        return Change("none", spec)
    orphan = None
    if current.vlan_vid is not None:
        orphan = {"id": current.ids.get("vlan"), "vid": current.vlan_vid, "name": current.vlan_name}
    return Change("delete", spec, current, None, {f: (v, None) for f, v in current.view().items() if v not in (None, {})},
                  orphan_vlan=orphan)


def is_allocated(segment, names):
    return bool(segment.custom_fields.get(names.cluster_field) or segment.custom_fields.get(names.key_field))


def plan_release(spec, current, names):
    """Back to free (cluster and key cleared, free status), or delete the segment by option."""
    if current is None or not is_allocated(current, names):
        return Change("none", spec, current, current)
    if spec.release_delete:
        return plan_absent(spec, current)
    desired = Segment(status=names.free_status,
                      custom_fields={names.cluster_field: None, names.key_field: None})
    changes = diff_segment(current, desired)
    return Change("update", spec, current, apply_changes(current, desired), changes)


def body_for(segment, ids, vlan_id=None):
    """The NetBox write body of a desired segment (only managed fields)."""
    body = {}
    if segment.prefix is not None:
        body["prefix"] = segment.prefix
    for field in ("vrf", "tenant", "role"):
        if getattr(segment, field) is not None:
            body[field] = ids[field]
    if segment.site_group is not None:
        body["scope_type"], body["scope_id"] = "dcim.sitegroup", ids["site_group"]
    for field in ("status", "description"):
        if getattr(segment, field) is not None:
            body[field] = getattr(segment, field)
    if vlan_id is not None:
        body["vlan"] = vlan_id
    if segment.custom_fields:
        body["custom_fields"] = dict(segment.custom_fields)
    return body


def first_fit(available, length):
    """The first /length block NetBox's available ranges would hand out (check-mode preview)."""
    for row in available:
        net = ipaddress.ip_network(row["prefix"])
        if net.prefixlen <= length:
            return str(next(net.subnets(new_prefix=length)))
    return None


# ---------------------------------------------------------------- claims (names, ownership, order)

def claim_slug(prefix_id):
    """One marker per segment: NetBox's unique tag slug makes the second claim fail."""
    return f"{CLAIM_SLUG_PREFIX}{int(prefix_id)}"


def claim_name(vrf, site_group, key):
    """One marker per allocation identity: NetBox's unique tag name makes a second segment for it fail."""
    name = f"{CLAIM_NAME_PREFIX}{vrf}/{site_group}/{key}"
    if len(name) <= TAG_MAX:
        return name
    return CLAIM_NAME_PREFIX + hashlib.sha256(f"{vrf}/{site_group}/{key}".encode()).hexdigest()[:64]


def claim_description(nonce, key, prefix):
    return f"sot.netbox segment claim nonce={nonce} prefix={prefix} key={key}"[:200]


def nonce_of(description):
    for word in (description or "").split():
        if word.startswith("nonce="):
            return word[len("nonce="):]
    return None


def prefix_id_of_claim(slug):
    if slug and slug.startswith(CLAIM_SLUG_PREFIX) and slug[len(CLAIM_SLUG_PREFIX):].isdigit():
        return int(slug[len(CLAIM_SLUG_PREFIX):])
    return None


def parse_time(value):
    """NetBox's ISO timestamps ('2026-11-22T00:33:04.908767Z') as epoch seconds."""
    # Python 3.10's fromisoformat takes only 3 or 6 fraction digits: pad or cut to 6.
    text = re.sub(r"\.(\d+)", lambda m: "." + m.group(1).ljust(6, "0")[:6], str(value).replace("Z", "+00:00"))
    return datetime.datetime.fromisoformat(text).timestamp()


def is_stale(created, now, timeout):
    """A claim older than `timeout` seconds whose segment is still free was abandoned mid-claim."""
    return timeout > 0 and created is not None and now - parse_time(created) > timeout


def claim_order(candidates, key):
    """Candidates by id, starting at a place chosen by the key: concurrent claimants spread out
    instead of all racing for the first free segment (fewer lost claims, same correctness)."""
    rows = sorted(candidates, key=lambda r: r["id"])
    if not rows:
        return rows
    start = int(hashlib.sha256(str(key).encode()).hexdigest(), 16) % len(rows)
    return rows[start:] + rows[:start]
