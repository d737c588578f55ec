# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import copy

from ansible_collections.sot.netbox.plugins.module_utils._plan.expand import collisions
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.plan.helpers import SMALL, desired_of


def test_keys_and_names_are_stable():
    desired = desired_of(SMALL)
    assert sorted(desired.devices) == ["leaf/1", "leaf/2", "spine/1", "srv/1", "srv/2", "srv/3", "srv/4"]
    assert desired.devices["srv/1"]["name"] == "t-small-srv-01"
    assert "srv/1:eno1=leaf/1:Ethernet1" in desired.cables
    assert desired.interfaces["leaf/1:Loopback0"] == {"key": "leaf/1:Loopback0", "device": "leaf/1",
                                                      "name": "Loopback0", "type": "virtual", "template": False}


def test_collisions_name_the_owner():
    desired = desired_of(SMALL)
    rows = [{"id": 9, "name": "t-small-srv-02", "site": "lab1", "plan": None},
            {"id": 10, "name": "t-small-srv-03", "site": "lab1", "plan": "t-small"},
            {"id": 11, "name": "unrelated", "site": "lab1", "plan": None}]
    errors = collisions(desired, rows, "t-small")
    assert len(errors) == 2
    assert "by hand or another tool" in errors[0] and "id 9" in errors[0]
    assert "interrupted run" in errors[1]


def test_duplicate_generated_names_are_errors():
    data = copy.deepcopy(SMALL)
    data["naming"] = {"device": "same-{index}"}
    desired = desired_of(data)
    assert any("generated twice" in e for e in desired.errors)
