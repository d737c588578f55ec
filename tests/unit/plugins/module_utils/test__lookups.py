# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._client import NetboxClient
from ansible_collections.sot.netbox.plugins.module_utils._errors import LookupFailed, SotNetboxError
from ansible_collections.sot.netbox.plugins.module_utils._lookups import Lookups
from ansible_collections.sot.netbox.plugins.module_utils._records import REGISTRY
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.fakes import FakeSession, paged

VRFS = [{"id": 1, "name": "prod", "rd": "65000:1"}, {"id": 2, "name": "dev", "rd": "65000:2"},
        {"id": 3, "name": "dup", "rd": None}, {"id": 4, "name": "dup", "rd": "65000:4"}]
ROLES = [{"id": 7, "name": "Web Servers", "slug": "web"}, {"id": 8, "name": "12", "slug": "twelve"}]


def lookups():
    session = FakeSession({("GET", "/api/ipam/vrfs/"): paged(VRFS), ("GET", "/api/ipam/roles/"): paged(ROLES)})
    client = NetboxClient("http://nb.test", "0" * 40, session=session, sleep=lambda s: None)
    return Lookups(client), session


@pytest.mark.parametrize("type_name, value, expected", [
    ("vrf", "prod", 1), ("vrf", "65000:2", 2), ("vrf", 2, 2), ("vrf", "2", 2),
    ("prefix_role", "Web Servers", 7), ("prefix_role", "web", 7),
    ("prefix_role", "12", 8),  # a name that looks like an id is a name first
    ("vrf", None, None), ("vrf", "", None),
])
def test_id_of(type_name, value, expected):
    lk, _session = lookups()
    assert lk.id_of(type_name, value) == expected


def test_missing_name_lists_what_exists():
    lk, _session = lookups()
    with pytest.raises(LookupFailed) as info:
        lk.id_of("vrf", "prd", field="vrf")
    assert "VRF (option vrf) 'prd' not found in NetBox; known: dev, dup, dup, prod" in str(info.value)


def test_ambiguous_name_is_an_error_that_suggests_other_keys():
    lk, _session = lookups()
    with pytest.raises(SotNetboxError) as info:
        lk.id_of("vrf", "dup")
    assert "ambiguous" in str(info.value) and "rd" in str(info.value)


def test_tables_load_once_with_only_the_lookup_fields():
    lk, session = lookups()
    lk.load("vrf", "prefix_role", "vrf")
    lk.id_of("vrf", "prod")
    lk.id_of("prefix_role", "web")
    assert len(session.calls) == 2
    assert {c["params"]["fields"] for c in session.calls} == {"id,name,rd", "id,name,slug"}


def test_name_of_for_diffs():
    lk, _session = lookups()
    assert lk.name_of("vrf", 1) == "prod" and lk.name_of("vrf", 99) == "#99" and lk.name_of("vrf", None) is None


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_record_is_complete(name):
    rec = REGISTRY[name]
    assert rec.endpoint.count("/") == 1 and rec.keys and "id" in rec.fields and rec.kind in ("static", "dynamic")
    for key in rec.keys:
        assert all(part in rec.fields for part in key.split("."))
