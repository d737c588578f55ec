# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_segment/parse.py: options -> Specs, every input problem at once, naming path and value."""
from __future__ import annotations

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._errors import InputError, ValidationErrors
from ansible_collections.sot.netbox.plugins.module_utils._segment import parse
from ansible_collections.sot.netbox.plugins.module_utils._segment.model import Names
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.segment.helpers import NAMES, spec


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
        parse.parse_all({"vrf": "prod", "site_group": "dc-east"},
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
    specs = parse.parse_all({"site_group": "dc-east"}, [{"prefix": "10.0.0.0/24", "vrf": "prod"},
                                                        {"prefix": "10.0.0.0/24", "vrf": "65000:1"}], NAMES)
    specs[0].segment.ids.update(vrf=1)
    specs[1].segment.ids.update(second_ids)
    assert "same segment as segments[0]" in str(parse.duplicates(specs)[0])


def test_items_inherit_top_level_values():
    specs = parse.parse_all({"vrf": "prod", "site_group": "dc-east", "tenant": "platform", "state": "present"},
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
    parsed = parse.parse_spec(dict(state="allocated", vrf="p", site_group="s", cluster="c", key="k"), names, 0)
    assert parsed.key == "k" and parsed.segment.custom_fields == {"cluster_name": "c", "alloc_key": "k"}


def test_check_fits():
    parse.check_fits("10.21.0.0/20", 28)
    with pytest.raises(InputError):
        parse.check_fits("10.21.0.0/20", 19)
