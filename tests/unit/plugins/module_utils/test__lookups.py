# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import re

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._cache import MemoryBackend, ResponseCache
from ansible_collections.sot.netbox.plugins.module_utils._client import NetboxClient
from ansible_collections.sot.netbox.plugins.module_utils._errors import LookupFailed, SotNetboxError
from ansible_collections.sot.netbox.plugins.module_utils._lookups import Lookups, slugify
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


@pytest.mark.parametrize("value", ["\u00b2", "\u0662", "\uff12", True])
def test_digits_that_are_not_ascii_and_booleans_are_names_not_ids(value):
    # '²'.isdigit() is true but int('²') fails; int('٢') and int('２') are 2: none of them is an id.
    lk, _session = lookups()
    with pytest.raises(LookupFailed):
        lk.id_of("vrf", value, field="vrf")


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
    assert re.fullmatch(r"[a-z-]+(/[a-z-]+)*", rec.endpoint) and rec.kind in ("static", "dynamic")
    assert (rec.keys and "id" in rec.fields) or (not rec.keys and not rec.fields)   # or a singleton (status)
    assert all(re.fullmatch(r"[a-z-]+", sub) for sub in rec.actions.values())
    for key in rec.keys:
        assert all(part in rec.fields for part in key.split("."))


# ---------------------------------------------------------------- slugs NetBox accepts

SLUG_OK = re.compile(r"^[-a-zA-Z0-9_]+\Z")  # Django's validate_slug, which NetBox's slug fields use


@pytest.mark.parametrize("name, expected", [
    ("prod-dc-east", "prod-dc-east"), ("Prod DC East", "prod-dc-east"), ("a_b", "a_b"), ("  x  ", "x"),
    ("Zürich", "zurich-"), ("Ελλάδα", "x-"), ("日本", "x-"), ("prod-日本", "prod-"), ("---", "x-"),
])
def test_slugify_is_a_valid_netbox_slug(name, expected):
    slug = slugify(name)
    assert SLUG_OK.match(slug) and len(slug) <= 100
    assert slug == expected if not expected.endswith("-") else slug.startswith(expected) and len(slug) > len(expected)


def test_slugify_is_stable_and_never_folds_two_names_together():
    names = ["Zürich", "Zurich", "zurich", "Zürich ", "Ελλάδα", "Ελλαδα", "日本", "中国", "prod-日本", "prod-中国",
             "Köln", "Koln", "x" * 150, "x" * 149 + "ü"]
    slugs = [slugify(n) for n in names]
    assert slugs == [slugify(n) for n in names]                        # deterministic
    ascii_twins = {"Zurich", "zurich"}                                 # one slug by design: NetBox names them alike
    distinct = [s for n, s in zip(names, slugs) if n not in ascii_twins]
    assert len(set(distinct)) == len(distinct), dict(zip(names, slugs))
    assert all(len(s) <= 100 and SLUG_OK.match(s) for s in slugs)


def test_slugify_steps_around_a_taken_slug():
    assert slugify("Prod DC", taken={"prod-dc"}) != "prod-dc"
    assert slugify("Prod DC", taken={"prod-dc"}) == slugify("Prod DC", taken={"prod-dc"})


# ---------------------------------------------------------------- every spelling, fresh reads

@pytest.mark.parametrize("type_name, spellings, name", [
    ("vrf", ("prod", "65000:1", 1, "1"), "prod"),
    ("prefix_role", ("Web Servers", "web", 7, "7"), "Web Servers"),
])
def test_every_spelling_is_the_same_object(type_name, spellings, name):
    lk, _session = lookups()
    assert {lk.canonical(type_name, s) for s in spellings} == {(lk.id_of(type_name, spellings[0]), name)}


def cached_lookups(rows, ttls=None, backend=None):
    backend = backend or MemoryBackend()

    def route(*args):
        return paged(list(rows))(*args)   # the rows as they are now

    session = FakeSession({("GET", "/api/ipam/vrfs/"): route})
    cache = ResponseCache(backend, "http://nb.test", "0" * 40, ttls=ttls)
    client = NetboxClient("http://nb.test", "0" * 40, session=session, sleep=lambda s: None, cache=cache)
    return client, session, backend


def test_a_miss_in_a_cached_table_reads_it_again_once():
    rows = [{"id": 1, "name": "prod", "rd": None}]
    client, session, backend = cached_lookups(rows)
    assert Lookups(client).id_of("vrf", "prod") == 1
    rows.append({"id": 2, "name": "new", "rd": None})            # created in NetBox after the cache was filled
    client2, session2, _backend = cached_lookups(rows, backend=backend)
    lk = Lookups(client2)
    assert lk.id_of("vrf", "new") == 2
    assert len(session2.calls) == 1                                # the cached table, then one fresh read
    with pytest.raises(LookupFailed):
        lk.id_of("vrf", "absent")                                  # a fresh table is not read again
    assert len(session2.calls) == 1
    client3, session3, _backend = cached_lookups(rows, backend=backend)
    assert Lookups(client3).id_of("vrf", "new") == 2 and session3.calls == []   # the fresh read was cached


@pytest.mark.parametrize("ttls, reads", [({"static": 0}, 2), ({"static": 3600}, 1)])
def test_ttl_zero_means_no_cache_not_even_old_entries(ttls, reads):
    backend = MemoryBackend()
    rows = [{"id": 1, "name": "prod", "rd": None}]
    client, _session, _backend = cached_lookups(rows, backend=backend)
    Lookups(client).id_of("vrf", "prod")                           # fills the cache
    rows[0] = {"id": 5, "name": "prod", "rd": None}                # re-created in NetBox: a new id
    client2, session2, _backend = cached_lookups(rows, ttls=ttls, backend=backend)
    assert Lookups(client2).id_of("vrf", "prod") == (5 if reads == 2 else 1)
    assert len(session2.calls) == reads - 1


def test_fresh_lookups_never_read_the_cache():
    backend = MemoryBackend()
    rows = [{"id": 1, "name": "prod", "rd": None}]
    client, _session, _backend = cached_lookups(rows, backend=backend)
    Lookups(client).id_of("vrf", "prod")
    rows[0] = {"id": 5, "name": "prod", "rd": None}
    client2, session2, _backend = cached_lookups(rows, backend=backend)
    assert Lookups(client2, fresh=True).id_of("vrf", "prod") == 5 and len(session2.calls) == 1
