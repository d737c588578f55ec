# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.sot.netbox.plugins.module_utils._plan.calculate import (
    ALGORITHM_VERSION, calculate, inputs_hash)
from ansible_collections.sot.netbox.plugins.module_utils._plan.checks import check_plan
from ansible_collections.sot.netbox.plugins.module_utils._plan.model import parse_plan
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.plan.helpers import GPU, SMALL, plan_dict


def calc_of(data):
    plan, errors = parse_plan(data)
    assert errors == [] and check_plan(plan) == []
    return calculate(plan)


@pytest.mark.parametrize("data, quantities, links", [
    (SMALL, {"srv": 4, "leaf": 2, "spine": 1}, 12),
    (GPU, {"gpu": 16, "rail-leaf": 8, "fe-leaf": 2, "spine": 4}, 128 + 32 + 8 * 16 + 2 * 4),
    # 25 dual-homed servers on 24-port pairs: a second pair
    (plan_dict(server_classes__0__quantity=25, switch_classes__0__downlinks="Ethernet1-24"),
     {"srv": 25, "leaf": 4, "spine": 1}, 50 + 8),
    # rail placement on 32-port leafs: two rails per leaf
    (plan_dict(GPU, switch_classes__0__downlinks="Ethernet1-32"),
     {"gpu": 16, "rail-leaf": 4, "fe-leaf": 2, "spine": 2}, 128 + 32 + 4 * 16 + 2 * 4),
    # override above the calculated quantity is kept
    (plan_dict(switch_classes__1__quantity=2), {"srv": 4, "leaf": 2, "spine": 2}, 12),
])
def test_quantities(data, quantities, links):
    calc = calc_of(data)
    assert calc.errors == []
    assert calc.quantities == quantities
    assert len(calc.links) == links


def test_rail_alignment_and_dual_homing():
    calc = calc_of(GPU)
    for link in calc.links:
        if link.a_class == "gpu" and link.b_class == "rail-leaf":
            assert link.b_index == int(link.a_port[3:]) + 1          # gpuN -> rail leaf N+1
            assert link.b_port == f"Ethernet{link.a_index}"          # server s -> port s
        if link.b_class == "fe-leaf":
            assert link.b_index == (1 if link.a_port == "fe0" else 2)  # a pair: fe0 -> A, fe1 -> B


def test_metadata_records_version_inputs_hash_and_result():
    calc = calc_of(GPU)
    meta = calc.metadata["spine"]
    assert meta["algorithm_version"] == ALGORITHM_VERSION
    assert meta["inputs_hash"] == inputs_hash(meta["inputs"])
    assert meta["inputs"]["demand"] == [
        {"from": "rail-leaf", "kind": "uplinks", "quantity": 8, "ports_per_switch": 16},
        {"from": "fe-leaf", "kind": "uplinks", "quantity": 2, "ports_per_switch": 4}]
    assert meta["result"] == {"links": 136, "min_by_ports": 4, "calculated": 4, "override": None, "quantity": 4}
    assert calc_of(GPU).metadata["spine"]["inputs_hash"] == meta["inputs_hash"]


@pytest.mark.parametrize("changes, fragment", [
    ({"switch_classes__0__quantity": 2, "server_classes__0__quantity": 60}, "more links than ports: 120"),
    ({"switch_classes__1__quantity": 1, "switch_classes__1__downlinks": "Ethernet1-2"},
     "more links than ports"),
    ({"switch_classes__0__downlinks": "Ethernet1"}, None),
])
def test_more_links_than_ports(changes, fragment):
    calc = calc_of(plan_dict(**changes))
    if fragment is None:
        # one downlink per leaf: 4 servers need 4 pairs
        assert calc.quantities["leaf"] == 8 and calc.errors == []
    else:
        assert any(fragment in e for e in calc.errors), calc.errors


def test_a_server_too_wide_for_one_switch():
    calc = calc_of(plan_dict(switch_classes__0__redundancy=1, switch_classes__0__downlinks="Ethernet1",
                             switch_classes__0__uplinks="Ethernet49"))
    assert any("one server needs 2 port(s)" in e for e in calc.errors)


@settings(max_examples=60, deadline=None)
@given(servers=st.integers(1, 40), ports=st.integers(1, 4), downlinks=st.integers(4, 48),
       redundancy=st.sampled_from([1, 2]), uplinks=st.integers(1, 8), spine_ports=st.integers(8, 36),
       placement=st.sampled_from(["server", "rail"]))
def test_placement_properties(servers, ports, downlinks, redundancy, uplinks, spine_ports, placement):
    data = {
        "name": "prop", "site": "lab1",
        "switch_classes": [
            {"id": "leaf", "device_type": "DCS-7060X5-64", "role": "leaf", "redundancy": redundancy,
             "downlinks": f"Ethernet1-{downlinks}", "uplinks": f"Ethernet{49}-{48 + uplinks}", "uplink_to": "spine"},
            {"id": "spine", "device_type": "DCS-7800R3-36", "role": "spine", "downlinks": f"Ethernet1-{spine_ports}"},
        ],
        "server_classes": [{"id": "srv", "device_type": "DGX-H100", "role": "gpu-server", "quantity": servers,
                            "connections": [{"ports": f"gpu0-{ports - 1}", "to": "leaf", "placement": placement}]}],
    }
    calc = calc_of(data)
    if calc.errors:
        assert all("more links than ports" in e for e in calc.errors)
        return
    q = calc.quantities
    # every server port is cabled exactly once, every leaf uplink exactly once
    assert Counter((l.a_class, l.a_index, l.a_port) for l in calc.links).most_common(1)[0][1] == 1
    assert len(calc.links) == servers * ports + q["leaf"] * uplinks
    # no switch port is used twice, and only downlink ports are used
    used = Counter((l.b_class, l.b_index, l.b_port) for l in calc.links)
    assert max(used.values()) == 1
    assert all(1 <= l.b_index <= q[l.b_class] for l in calc.links)
    # quantities: enough ports, a multiple of the redundancy
    assert q["leaf"] * downlinks >= servers * ports
    assert q["leaf"] % redundancy == 0
    assert q["spine"] * spine_ports >= q["leaf"] * uplinks
