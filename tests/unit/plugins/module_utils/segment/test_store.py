# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_segment/store.py's pure parts and its id cache (through the one cache helper, _cache.entry)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._cache import MemoryBackend, ResponseCache
from ansible_collections.sot.netbox.plugins.module_utils._metrics import Metrics
from ansible_collections.sot.netbox.plugins.module_utils._records import record
from ansible_collections.sot.netbox.plugins.module_utils._segment import store

TOKEN = "0123456789abcdef0123456789abcdef01234567"


def client(static_ttl=3600, cache=True):
    cache_ = ResponseCache(MemoryBackend(), "http://nb.test", TOKEN, {"static": static_ttl}) if cache else None
    return SimpleNamespace(cache=cache_, metrics=Metrics())


def counts(c):
    return c.metrics.counters["cache_hits"], c.metrics.counters["cache_misses"]


def test_ids_are_kept_between_runs_and_counted():
    c = client()
    first = store.IdCache(c)
    assert first.get("vlan-group", "k") is None
    first.set("vlan-group", "k", 7)
    assert store.IdCache(c).get("vlan-group", "k") == 7          # another run, same cache
    assert counts(c) == (1, 1)


@pytest.mark.parametrize("case, make", [
    ("fresh retry", lambda c: store.IdCache(c, fresh=True)),
    ("static TTL 0", lambda c: store.IdCache(SimpleNamespace(cache=ResponseCache(
        c.cache.backend, "http://nb.test", TOKEN, {"static": 0}), metrics=c.metrics))),
])
def test_a_fresh_run_or_a_ttl_of_0_reads_and_writes_nothing(case, make):
    c = client()
    store.IdCache(c).set("vlan-group", "k", 7)
    quiet = make(c)
    quiet.set("vlan-group", "k", 8)
    assert quiet.get("vlan-group", "k") is None, case
    assert store.IdCache(c).get("vlan-group", "k") == 7, case    # the stored id was neither read nor replaced


def test_drop_forgets_every_id_of_a_kind():
    c = client()
    ids = store.IdCache(c)
    ids.set("vlan-group", "a", 1)
    ids.set("vrf", "b", 2)
    ids.drop("vlan-group")
    assert ids.get("vlan-group", "a") is None and ids.get("vrf", "b") == 2


def test_no_cache_is_no_cache():
    ids = store.IdCache(client(cache=False))
    ids.set("vlan-group", "k", 1)
    assert ids.get("vlan-group", "k") is None


@pytest.mark.parametrize("type_name, permission", [
    ("prefix", "ipam.add_prefix"), ("vlan", "ipam.add_vlan"), ("vlan_group", "ipam.add_vlangroup"),
])
def test_add_permission_is_netbox_s_name(type_name, permission):
    assert store.add_permission(record(type_name)) == permission


def test_scope_params_scope_a_prefix_to_its_site_group():
    wanted = {"vrf_id": 1, "scope_type": "dcim.sitegroup", "scope_id": 3}
    assert store.scope_params({"vrf": 1, "site_group": 3}) == wanted


@pytest.mark.parametrize("asked, expected", [("blue-east", 10), ("blue-east-slug", 10), ("10", 10), (11, None)])
def test_a_vlan_group_is_found_by_name_slug_or_id_within_its_scope(asked, expected):
    rows = [{"id": 10, "name": "blue-east", "slug": "blue-east-slug", "scope_id": 3},
            {"id": 11, "name": "other", "slug": "other", "scope_id": 4}]
    found = store._find_group(rows, 3, asked)  # pylint: disable=protected-access
    assert (found or {}).get("id") == expected


@pytest.mark.parametrize("kind, value, problem", [
    ("text", "x", None), ("integer", 3, None), ("integer", True, "a yes/no value does not fit"),
    ("integer", "3", "expects int, not str"), ("boolean", False, None), ("select", None, None), ("unknown", 1, None),
])
def test_custom_field_values_are_checked_against_their_netbox_type(kind, value, problem):
    assert store._cf_type_problem(kind, value) == problem  # pylint: disable=protected-access
