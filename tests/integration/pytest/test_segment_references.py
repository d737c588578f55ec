# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""netbox_segment against the real NetBox on every legal input of issue 12: every documented
spelling of every reference (name, slug, id, a VRF's RD) is one object; unicode VRF and site group
names; objects created, deleted, re-created or moved in NetBox between runs (with the persistent
cache warm, and with TTL 0); a dual-stack pair sharing one new VLAN; `--diff` text with unicode;
validation errors as data.

Each test builds its own objects (named `sotseg-ref-<run>…`) and removes them. Every run is the
module's runner with a client built from module options, exactly what one task does; a new client
per run is a new task (a new process's view of the shared cache file)."""
from __future__ import annotations

import ipaddress
import os
import re
import uuid

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._connection import build_client
from ansible_collections.sot.netbox.plugins.module_utils._errors import SotNetboxError, ValidationErrors
from ansible_collections.sot.netbox.plugins.module_utils._segment.runner import OPTIONS, execute

URL = os.environ.get("NETBOX_URL")
TOKEN = os.environ.get("NETBOX_TOKEN")
SLUG_OK = re.compile(r"^[-a-zA-Z0-9_]+\Z")
pytestmark = pytest.mark.skipif(not (URL and TOKEN), reason="needs NETBOX_URL and NETBOX_TOKEN (tools/test integration)")


def params(**over):
    out = {k: spec.get("default") for k, spec in OPTIONS.items()}
    out.update(over)
    return out


class World:
    """Objects one test made in NetBox, removed in reverse order (prefixes, VLANs, groups, the rest)."""

    ORDER = ("ipam/prefixes", "ipam/vlans", "ipam/vlan-groups", "ipam/vrfs", "tenancy/tenants", "ipam/roles",
             "dcim/site-groups")

    def __init__(self, tmp_path):
        self.run = uuid.uuid4().hex[:6]
        self.cache_path = str(tmp_path / "cache.sqlite")
        self.nb = build_client({"url": URL, "token": TOKEN, "cache": False})
        self.made = {}
        self.net = ipaddress.ip_network(f"10.{150 + int(self.run[:2], 16) % 50}.{int(self.run[2:4], 16)}.0/24")

    def task(self, **options):
        """A client as one task builds it: the test's shared cache file and the given options."""
        return build_client({"url": URL, "token": TOKEN, "cache_path": self.cache_path, **options})

    def make(self, endpoint, **body):
        row = self.nb.create_one(endpoint, body)
        self.made.setdefault(endpoint, []).append(row["id"])
        return row

    def name(self, what):
        return f"sotseg-ref-{self.run}-{what}"

    def cleanup(self):
        """Everything carrying this run's name, and everything it made, in dependency order."""
        run = f"sotseg-ref-{self.run}"
        vrfs = self.made.get("ipam/vrfs", [])
        if vrfs:
            rows = self.nb.list("ipam/prefixes", {"vrf_id": vrfs}, fields=("id",))
            self.nb.delete("ipam/prefixes", [r["id"] for r in rows])
        groups = self.nb.list("ipam/vlan-groups", {"q": self.run}, fields=("id",))
        sgs = self.made.get("dcim/site-groups", [])
        if sgs:
            groups += self.nb.list("ipam/vlan-groups", {"scope_type": "dcim.sitegroup", "scope_id": sgs},
                                   fields=("id",))
        group_ids = sorted({g["id"] for g in groups})
        if group_ids:
            vlans = self.nb.list("ipam/vlans", {"group_id": group_ids}, fields=("id",))
            self.nb.delete("ipam/vlans", [v["id"] for v in vlans])
        for endpoint in self.ORDER:
            ids = list(self.made.get(endpoint, []))
            if endpoint == "ipam/vlan-groups":
                ids = sorted(set(ids) | set(group_ids))
            ids = [r["id"] for r in self.nb.list(endpoint, {"id": ids}, fields=("id",))] if ids else []
            if ids:  # only those still there: NetBox 4.7 answers a bulk DELETE of a missing id with 400
                self.nb.delete(endpoint, ids)
        assert run  # names are per run: nothing of another test is touched


@pytest.fixture
def world(tmp_path):
    w = World(tmp_path)
    try:
        yield w
    finally:
        w.cleanup()


def refs(world):
    """A VRF, site group, tenant and role whose name differs from their slug (and the VRF's RD)."""
    n = world.name
    return {
        "vrf": world.make("ipam/vrfs", name=n("VRF One"), rd=f"65099:{int(world.run, 16) % 60000}"),
        "site_group": world.make("dcim/site-groups", name=n("Site Group"), slug=n("sg")),
        "tenant": world.make("tenancy/tenants", name=n("Tenant Team"), slug=n("tenant")),
        "role": world.make("ipam/roles", name=n("Role Web"), slug=n("role")),
    }


def seg(world, objs, **over):
    base = dict(state="present", prefix=str(world.net), vrf=objs["vrf"]["name"],
                site_group=objs["site_group"]["name"], tenant=objs["tenant"]["name"], role=objs["role"]["name"],
                vlan={"vid": 3950, "name": world.name("vlan")})
    base.update(over)
    return params(**base)


# ---------------------------------------------------------------- §1 every spelling is one object

SPELLINGS = [
    ("vrf", "rd"), ("vrf", "id"), ("site_group", "slug"), ("site_group", "id"),
    ("tenant", "slug"), ("tenant", "id"), ("role", "slug"), ("role", "id"),
]


@pytest.mark.parametrize("field, key", SPELLINGS)
def test_every_spelling_of_every_reference_is_the_same_segment(world, field, key):
    objs = refs(world)
    first = execute(world.task(), seg(world, objs))
    assert first["segment"]["action"] == "create"
    spelled = str(objs[field][key])
    for check_mode in (True, False):
        again = execute(world.task(), seg(world, objs, **{field: spelled}), check_mode=check_mode)
        assert not again["changed"], again["segment"]["changes"]
        assert again["segment"]["vlan"]["group_id"] == first["segment"]["vlan"]["group_id"]
        assert again["segment"]["vlan"]["id"] == first["segment"]["vlan"]["id"]
        assert again["segment"][field] == objs[field]["name"]      # NetBox's name, not the spelling
    groups = world.nb.list("ipam/vlan-groups", {"scope_type": "dcim.sitegroup",
                                                "scope_id": objs["site_group"]["id"]}, fields=("id",))
    assert len(groups) == 1


def test_two_spellings_of_one_vrf_in_one_task_are_one_segment(world):
    objs = refs(world)
    with pytest.raises(ValidationErrors, match="same segment as segments"):
        execute(world.task(), seg(world, objs, segments=[{"vrf": objs["vrf"]["name"]}, {"vrf": objs["vrf"]["rd"]}]))
    assert world.nb.list("ipam/prefixes", {"vrf_id": objs["vrf"]["id"]}, fields=("id",)) == []


# ---------------------------------------------------------------- §2 unicode

@pytest.mark.parametrize("vrf_name, sg_names", [
    ("Zürich", ["Ελλάδα", "日本"]),
    ("日本", ["中国", "Zürich"]),
])
def test_unicode_vrf_and_site_group_names(world, vrf_name, sg_names):
    vrf = world.make("ipam/vrfs", name=f"{vrf_name} {world.run}")
    out = []
    for i, sg_name in enumerate(sg_names):
        sg = world.make("dcim/site-groups", name=f"{sg_name} {world.run}", slug=world.name(f"u{i}"))
        result = execute(world.task(), params(prefix=str(list(world.net.subnets(new_prefix=26))[i]), vrf=vrf["name"],
                                              site_group=sg["name"], vlan={"vid": 3951, "name": "ünï"}))
        assert result["segment"]["action"] == "create"
        group = world.nb.get(f"ipam/vlan-groups/{result['segment']['vlan']['group_id']}")
        assert group["name"] == f"{vrf['name']}-{sg['name']}" and SLUG_OK.match(group["slug"])
        out.append(group["slug"])
        assert not execute(world.task(), params(prefix=str(list(world.net.subnets(new_prefix=26))[i]),
                                                vrf=vrf["name"], site_group=sg["slug"],
                                                vlan={"vid": 3951, "name": "ünï"}))["changed"]
    assert len(set(out)) == len(out)


def test_two_unicode_vlan_groups_in_one_site_group_get_two_slugs(world):
    objs = refs(world)
    subnets = list(world.net.subnets(new_prefix=26))
    for i, name in enumerate(("東京", "大阪", "Zürich", "Zurich")):
        execute(world.task(), seg(world, objs, prefix=str(subnets[i]), vlan_group=f"{name} {world.run}"))
    groups = world.nb.list("ipam/vlan-groups", {"scope_type": "dcim.sitegroup", "scope_id": objs["site_group"]["id"]},
                           fields=("id", "name", "slug"))
    assert len(groups) == 4 and len({g["slug"] for g in groups}) == 4
    assert all(SLUG_OK.match(g["slug"]) for g in groups)


# ---------------------------------------------------------------- §3 objects changed outside the collection

@pytest.mark.parametrize("ttl", [3600, 0])
def test_a_site_group_created_after_the_lookup_was_cached_is_found(world, ttl):
    objs = refs(world)
    execute(world.task(cache_ttl_static=3600), seg(world, objs))           # fills the site group table
    late = world.make("dcim/site-groups", name=world.name("late"), slug=world.name("late"))
    result = execute(world.task(cache_ttl_static=ttl), seg(world, objs, prefix=str(world.net.supernet()),
                                                           site_group=late["name"]))
    assert result["segment"]["site_group_id"] == late["id"]


def test_a_vlan_group_deleted_after_it_was_cached_is_created_again(world):
    objs = refs(world)
    first = execute(world.task(), seg(world, objs))
    nb = world.nb
    nb.update_one("ipam/prefixes", first["segment"]["id"], {"vlan": None})
    nb.delete("ipam/vlans", [first["segment"]["vlan"]["id"]])
    nb.delete("ipam/vlan-groups", [first["segment"]["vlan"]["group_id"]])
    for _run in range(2):
        result = execute(world.task(), seg(world, objs))
    assert result["changed"] is False and result["segment"]["vlan"]["group_id"] != first["segment"]["vlan"]["group_id"]
    assert nb.get(f"ipam/vlan-groups/{result['segment']['vlan']['group_id']}") is not None


def test_a_vrf_deleted_and_re_created_under_its_name(world):
    objs = refs(world)
    first = execute(world.task(), seg(world, objs))
    nb = world.nb
    nb.delete("ipam/prefixes", [first["segment"]["id"]])
    nb.delete("ipam/vrfs", [objs["vrf"]["id"]])
    world.made["ipam/vrfs"].remove(objs["vrf"]["id"])
    again = world.make("ipam/vrfs", name=objs["vrf"]["name"], rd=objs["vrf"]["rd"])
    result = execute(world.task(), seg(world, objs))
    assert result["segment"]["action"] == "create" and result["segment"]["vrf_id"] == again["id"]


def test_existence_and_fields_are_read_fresh_before_any_write(world):
    objs = refs(world)
    nb = world.nb
    execute(world.task(), seg(world, objs))
    execute(world.task(), seg(world, objs, state="absent"))
    # Somebody re-creates the prefix by hand: present adopts it, never creates a second one.
    nb.create_one("ipam/prefixes", {"prefix": str(world.net), "vrf": objs["vrf"]["id"]})
    for check_mode in (True, False):
        result = execute(world.task(), seg(world, objs), check_mode=check_mode)
        assert result["segment"]["action"] == "update"
    assert len(nb.list("ipam/prefixes", {"vrf_id": objs["vrf"]["id"]}, fields=("id",))) == 1
    # Deleted by hand: reported as missing and created again, in check mode too.
    execute(world.task(), seg(world, objs))
    nb.delete("ipam/prefixes", [r["id"] for r in nb.list("ipam/prefixes", {"vrf_id": objs["vrf"]["id"]},
                                                         fields=("id",))])
    assert execute(world.task(), seg(world, objs), check_mode=True)["segment"]["action"] == "create"
    # An update of a prefix deleted meanwhile: the cached read must not decide it.
    execute(world.task(), seg(world, objs, description="one"))
    nb.delete("ipam/prefixes", [r["id"] for r in nb.list("ipam/prefixes", {"vrf_id": objs["vrf"]["id"]},
                                                         fields=("id",))])
    assert execute(world.task(), seg(world, objs, description="two"))["segment"]["action"] == "create"


def test_a_retired_pool_is_not_carved_from(world):
    objs = refs(world)
    pool_role = world.make("ipam/roles", name=world.name("Pool"), slug=world.name("pool"))
    pool = world.make("ipam/prefixes", prefix=str(world.net), vrf=objs["vrf"]["id"], status="container",
                      scope_type="dcim.sitegroup", scope_id=objs["site_group"]["id"], role=pool_role["id"])
    carve = dict(state="allocated", vrf=objs["vrf"]["name"], site_group=objs["site_group"]["name"], prefix_length=28,
                 pool_role=pool_role["name"], allocate_vlan=False)
    assert execute(world.task(), params(**carve, cluster=world.name("a")))["segment"]["action"] == "carve"
    world.nb.update_one("ipam/prefixes", pool["id"], {"status": "deprecated"})
    with pytest.raises(SotNetboxError, match="no pool prefix"):
        execute(world.task(), params(**carve, cluster=world.name("b")))


def test_a_vlan_moved_to_another_group_is_drift(world):
    objs = refs(world)
    first = execute(world.task(), seg(world, objs))
    other = world.make("ipam/vlan-groups", name=world.name("elsewhere"), slug=world.name("elsewhere"),
                       scope_type="dcim.sitegroup", scope_id=objs["site_group"]["id"])
    world.nb.update_one("ipam/vlans", first["segment"]["vlan"]["id"], {"group": other["id"]})
    check = execute(world.task(), seg(world, objs), check_mode=True)
    assert check["changed"] and "in " + other["name"] in check["segment"]["changes"]["vlan"]["before"]
    fixed = execute(world.task(), seg(world, objs))
    assert fixed["changed"] and fixed["segment"]["vlan"]["group_id"] == first["segment"]["vlan"]["group_id"]
    vlan = world.nb.get(f"ipam/vlans/{fixed['segment']['vlan']['id']}")
    assert vlan["group"]["id"] == first["segment"]["vlan"]["group_id"]
    assert not execute(world.task(), seg(world, objs))["changed"]


# ---------------------------------------------------------------- §4 a dual-stack pair in one task

def test_a_dual_stack_pair_shares_one_new_vlan(world):
    objs = refs(world)
    pair = [{"prefix": str(world.net)}, {"prefix": f"2001:db8:{int(world.run[:4], 16):x}::/64"}]
    result = execute(world.task(), seg(world, objs, segments=pair))
    assert [s["action"] for s in result["segments"]] == ["create", "create"]
    assert result["segments"][0]["vlan"]["id"] == result["segments"][1]["vlan"]["id"]
    assert not execute(world.task(), seg(world, objs, segments=pair))["changed"]


# ---------------------------------------------------------------- §7 what a person reads

def test_diff_text_keeps_unicode_as_written(world):
    objs = refs(world)
    result = execute(world.task(), seg(world, objs, description="Rôle Zürich 日本"), want_diff=True)
    assert "Rôle Zürich 日本" in result["diff"]["after"] and "\\u" not in result["diff"]["after"]


def test_validation_errors_are_data_naming_what_was_typed(world):
    objs = refs(world)
    with pytest.raises(ValidationErrors) as info:
        execute(world.task(), seg(world, objs, segments=[{"vlan": {"vid": True}}, {"description": "d" * 201},
                                                         {"tenant": "no-such-tenant"}]))
    errors = info.value.result["errors"]
    assert {e["path"] for e in errors} >= {"segments[0].vlan.vid", "segments[1].description"}
    assert all("value" in e for e in errors)
