# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._errors import InputError, ValidationErrors
from ansible_collections.sot.netbox.plugins.module_utils._segment import domain
from ansible_collections.sot.netbox.plugins.module_utils._segment.domain import Names, Segment

NAMES = Names()


def spec(**raw):
    return domain.parse_spec(raw, NAMES, 0)


def netbox_prefix(**over):
    row = {"id": 7, "prefix": "10.20.1.0/24", "vrf": {"id": 1, "name": "prod"}, "scope_type": "dcim.sitegroup",
           "scope_id": 1, "scope": {"id": 1, "name": "dc-east"}, "tenant": {"id": 1, "name": "platform"},
           "role": {"id": 1, "name": "web"}, "status": {"value": "active"}, "description": "free",
           "vlan": {"id": 3, "vid": 100, "name": "web"}, "custom_fields": {"cluster_name": None, "dhcp_enabled": False},
           "tags": [{"id": 9, "slug": "prod"}]}
    row.update(over)
    return row


@pytest.mark.parametrize("raw, message", [
    (dict(prefix="10.0.0.0/33", vrf="prod", site_group="dc-east"), "not a valid network"),
    (dict(prefix="10.0.0.1/24", vrf="prod", site_group="dc-east"), "not a valid network"),
    (dict(prefix="10.0.0.0", vrf="prod", site_group="dc-east"), "give the prefix length"),
    (dict(prefix="10.0.0.0/24", vrf="prod", site_group="dc-east", vlan={"vid": 0}), "between 1 and 4094"),
    (dict(prefix="10.0.0.0/24", vrf="prod", site_group="dc-east", vlan={"vid": 4095}), "between 1 and 4094"),
    (dict(state="allocated", vrf="prod", site_group="dc-east", cluster="c", pool="10.21.0.0/20", prefix_length=20),
     "does not fit in pool 10.21.0.0/20"),
    (dict(state="allocated", vrf="prod", site_group="dc-east", cluster="c", pool="10.21.0.0/20", prefix_length=33),
     "does not fit"),
    (dict(state="allocated", vrf="prod", site_group="dc-east"), "needs cluster or key"),
    (dict(state="allocated", vrf="prod", site_group="dc-east", cluster="c", prefix="10.0.0.0/24"), "not used by state"),
    (dict(state="present", vrf="prod"), "site_group: required"),
    (dict(state="absent"), "prefix: required"),
    (dict(state="released"), "needs prefix"),
    (dict(prefix="10.0.0.0/24", vrf="p", site_group="s", status="weird"), "status: must be one of"),
    (dict(state="allocated", vrf="p", site_group="s", cluster="c", key="k"), "set key_field"),
    (dict(state="allocated", vrf="p", site_group="s", cluster="x" * 70, prefix_length=28), "at most 64"),
])
def test_bad_input_is_named(raw, message):
    with pytest.raises(ValidationErrors) as info:
        spec(**raw)
    assert message in str(info.value)


def test_all_errors_of_all_items_at_once():
    with pytest.raises(ValidationErrors) as info:
        domain.parse_all({"vrf": "prod", "site_group": "dc-east"},
                         [{"prefix": "10.0.0.0/33"}, {"prefix": "10.0.1.0/24", "vlan": {"vid": 9999}}], NAMES)
    assert len(info.value.errors) == 2


@pytest.mark.parametrize("raw, path, value, message", [
    (dict(prefix="10.0.0.0/24", vrf="p", site_group="s", vlan={"vid": True}), "segments[0].vlan.vid", True,
     "not a yes/no value"),
    (dict(state="allocated", vrf="p", site_group="s", cluster="c", prefix_length=True), "segments[0].prefix_length",
     True, "not a yes/no value"),
    (dict(prefix="10.0.0.0/24", vrf="p", site_group="s", description="d" * 201), "segments[0].description",
     "d" * 201, "at most 200 characters"),
    (dict(prefix="10.0.0.0/24", vrf="p", site_group="s", vlan_group="g" * 101), "segments[0].vlan_group",
     "g" * 101, "at most 100 characters"),
    (dict(prefix="10.0.0.0/24", vrf="p", site_group="s", status="weird"), "segments[0].status", "weird",
     "must be one of"),
])
def test_errors_are_data_naming_path_and_typed_value(raw, path, value, message):
    with pytest.raises(ValidationErrors) as info:
        spec(**raw)
    entries = info.value.result["errors"]
    assert any(e["path"] == path and e["value"] == value and message in e["message"] for e in entries), entries


@pytest.mark.parametrize("second_ids", [{"vrf": 1}, {"vrf": 1, "site_group": 2}])
def test_duplicate_items_are_rejected_by_resolved_ids(second_ids):
    specs = domain.parse_all({"site_group": "dc-east"}, [{"prefix": "10.0.0.0/24", "vrf": "prod"},
                                                         {"prefix": "10.0.0.0/24", "vrf": "65000:1"}], NAMES)
    specs[0].segment.ids.update(vrf=1)
    specs[1].segment.ids.update(second_ids)
    assert "same segment as segments[0]" in str(domain.duplicates(specs)[0])


@pytest.mark.parametrize("field, typed", [("vrf", "65000:1"), ("tenant", "platform-slug"), ("role", "3"),
                                          ("site_group", "dc-east-slug")])
def test_references_compare_by_id_not_spelling(field, typed):
    current = Segment.from_netbox(netbox_prefix())
    desired = Segment(**{field: typed})
    desired.ids[field] = current.ids[field]
    assert field not in domain.diff_segment(current, desired)
    desired.ids[field] = 99
    assert field in domain.diff_segment(current, desired)


def test_items_inherit_top_level_values():
    specs = domain.parse_all({"vrf": "prod", "site_group": "dc-east", "tenant": "platform", "state": "present"},
                             [{"prefix": "10.0.0.0/24", "tenant": "research"}, {"prefix": "10.0.1.0/24"}], NAMES)
    assert [s.segment.tenant for s in specs] == ["research", "platform"]


@pytest.mark.parametrize("raw, custom", [
    (dict(dhcp=True, cluster="k8s"), {"dhcp_enabled": True, "cluster_name": "k8s"}),
    (dict(custom_fields={"owner": "x"}), {"owner": "x"}),
])
def test_custom_field_defaults(raw, custom):
    assert spec(prefix="10.0.0.0/24", vrf="p", site_group="s", **raw).segment.custom_fields == custom


def test_explicit_key_goes_to_its_own_field():
    names = Names(key_field="alloc_key")
    parsed = domain.parse_spec(dict(state="allocated", vrf="p", site_group="s", cluster="c", key="k"), names, 0)
    assert parsed.key == "k" and parsed.segment.custom_fields == {"cluster_name": "c", "alloc_key": "k"}


def test_from_netbox_reads_names_and_ids():
    seg = Segment.from_netbox(netbox_prefix())
    assert (seg.vrf, seg.site_group, seg.tenant, seg.role, seg.status, seg.vlan) == \
        ("prod", "dc-east", "platform", "web", "active", "100 (web)")
    assert seg.ids == {"prefix": 7, "vrf": 1, "site_group": 1, "tenant": 1, "role": 1, "vlan": 3}


@pytest.mark.parametrize("desired, expected", [
    (Segment(vlan_vid=200, vlan_name="db"), {"vlan": ("100 (web)", "200 (db)")}),
    (Segment(vrf="dev"), {"vrf": ("prod", "dev")}),
    (Segment(vrf="prod", role="web"), {}),
    (Segment(custom_fields={"cluster_name": None}), {}),
    (Segment(custom_fields={"dhcp_enabled": True}), {"custom_fields.dhcp_enabled": (False, True)}),
    (Segment(vlan_vid=100), {}),
])
def test_diff_shows_names(desired, expected):
    assert domain.diff_segment(Segment.from_netbox(netbox_prefix()), desired) == expected


@pytest.mark.parametrize("current, desired_vid, action, orphan", [
    (None, 100, "create", None),
    (netbox_prefix(), 100, "none", None),
    (netbox_prefix(), 200, "update", 3),
])
def test_plan_present(current, desired_vid, action, orphan):
    s = spec(prefix="10.20.1.0/24", vrf="prod", site_group="dc-east", vlan={"vid": desired_vid, "name": "web"})
    change = domain.plan_present(s, Segment.from_netbox(current) if current else None)
    assert change.action == action
    assert (change.orphan_vlan or {}).get("id") == orphan


def test_plan_absent_and_diff():
    s = spec(state="absent", prefix="10.20.1.0/24", vrf="prod")
    change = domain.plan_absent(s, Segment.from_netbox(netbox_prefix()))
    assert change.action == "delete" and change.orphan_vlan["vid"] == 100
    assert change.diff()["after"] == {} and change.diff()["before"]["vlan"] == "100 (web)"
    assert domain.plan_absent(s, None).action == "none"


@pytest.mark.parametrize("cluster, delete, action", [(None, False, "none"), ("k", False, "update"), ("k", True, "delete")])
def test_plan_release(cluster, delete, action):
    row = netbox_prefix(status={"value": "reserved"}, custom_fields={"cluster_name": cluster})
    s = spec(state="released", vrf="prod", site_group="dc-east", cluster="k", release_delete=delete)
    change = domain.plan_release(s, Segment.from_netbox(row), NAMES)
    assert change.action == action
    if action == "update":
        assert change.after.status == "active" and change.after.custom_fields["cluster_name"] is None


def test_body_uses_ids_and_scope():
    body = domain.body_for(Segment(prefix="10.0.0.0/24", vrf="prod", site_group="dc-east", role="web", status="active",
                                   custom_fields={"cluster_name": "c"}), {"vrf": 1, "site_group": 2, "role": 3}, 4)
    assert body == {"prefix": "10.0.0.0/24", "vrf": 1, "role": 3, "scope_type": "dcim.sitegroup", "scope_id": 2,
                    "status": "active", "vlan": 4, "custom_fields": {"cluster_name": "c"}}


def test_claim_names_are_unique_per_segment_and_identity():
    assert domain.claim_slug(5) == "sot-claim-p5"
    assert domain.prefix_id_of_claim("sot-claim-p5") == 5 and domain.prefix_id_of_claim("prod") is None
    assert domain.claim_name("prod", "dc-east", "k") == "sot-claim prod/dc-east/k"
    long = domain.claim_name("prod", "dc-east", "k" * 200)
    assert len(long) <= domain.TAG_MAX and long != domain.claim_name("prod", "dc-east", "k" * 199)
    assert domain.nonce_of(domain.claim_description("abc", "k", "10.0.0.0/24")) == "abc"


@pytest.mark.parametrize("created, now, timeout, stale", [
    ("2026-01-01T00:00:00Z", 1767225600 + 901, 900, True),
    ("2026-01-01T00:00:00.5Z", 1767225600 + 10, 900, False),
    ("2026-01-01T00:00:00Z", 1767225600 + 10 ** 6, 0, False),
])
def test_stale_claims(created, now, timeout, stale):
    assert domain.is_stale(created, now, timeout) is stale


def test_claim_order_spreads_claimants_but_keeps_every_candidate():
    rows = [{"id": i} for i in range(10)]
    starts = {domain.claim_order(rows, f"k{i}")[0]["id"] for i in range(40)}
    assert len(starts) > 3
    assert sorted(r["id"] for r in domain.claim_order(rows, "k")) == list(range(10))


@pytest.mark.parametrize("available, length, expected", [
    ([{"prefix": "10.41.0.0/20"}], 28, "10.41.0.0/28"),
    ([{"prefix": "10.41.0.0/28"}, {"prefix": "10.41.1.0/24"}], 26, "10.41.1.0/26"),
    ([{"prefix": "10.41.0.0/28"}], 24, None),
])
def test_first_fit(available, length, expected):
    assert domain.first_fit(available, length) == expected


def test_check_fits():
    domain.check_fits("10.21.0.0/20", 28)
    with pytest.raises(InputError):
        domain.check_fits("10.21.0.0/20", 19)
