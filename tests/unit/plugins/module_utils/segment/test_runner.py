# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`state: present` against a small in-memory NetBox: every spelling of a reference is one object,
unicode VLAN group slugs, a shared VLAN created once, stale cached ids retried from fresh reads,
drift of a moved VLAN, rollback of the task's VLANs when the prefix write fails."""
from __future__ import annotations

import re

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._cache import MemoryBackend, ResponseCache
from ansible_collections.sot.netbox.plugins.module_utils._client import NetboxClient
from ansible_collections.sot.netbox.plugins.module_utils._errors import SotNetboxError, ValidationErrors
from ansible_collections.sot.netbox.plugins.module_utils._segment.runner import OPTIONS, execute
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.fakes import FakeResponse, FakeSession, paged

TOKEN = "0123456789abcdef0123456789abcdef01234567"
SLUG_OK = re.compile(r"^[-a-zA-Z0-9_]+\Z")


def values(params, key):
    """A filter's values: FakeSession sends a list parameter as its str()."""
    raw = params.get(key, "")
    return [v.strip().strip("'") for v in raw.strip("[]").split(",") if v.strip()]


def brief(row, key="name"):
    return {"id": row["id"], key: row[key]} if row else None


class Netbox:
    """Tables as dicts of rows; list filters, bulk writes and NetBox's answers to stale ids."""

    def __init__(self):
        self.tables = {
            "vrfs": {1: {"id": 1, "name": "prod", "rd": "65000:1"}, 2: {"id": 2, "name": "Zürich", "rd": "65000:2"}},
            "site-groups": {1: {"id": 1, "name": "dc-east", "slug": "dc-east-sg"},
                            2: {"id": 2, "name": "日本", "slug": "nihon"}, 3: {"id": 3, "name": "中国", "slug": "zhongguo"}},
            "tenants": {1: {"id": 1, "name": "Platform Team", "slug": "platform"}},
            "roles": {1: {"id": 1, "name": "Web", "slug": "web"}},
            "custom-fields": {1: {"id": 1, "name": "cluster_name", "type": {"value": "text"},
                                  "object_types": ["ipam.prefix"]},
                              2: {"id": 2, "name": "dhcp_enabled", "type": {"value": "boolean"},
                                  "object_types": ["ipam.prefix"]},
                              3: {"id": 3, "name": "owner", "type": {"value": "text"}, "object_types": ["dcim.site"]},
                              4: {"id": 4, "name": "rack_count", "type": {"value": "integer"},
                                  "object_types": ["ipam.prefix"]}},
            "vlan-groups": {}, "vlans": {}, "prefixes": {},
        }
        self.next_id = 100
        self.fail_prefix_write = None
        session_routes = {}
        for name, endpoint in (("vrfs", "ipam/vrfs"), ("site-groups", "dcim/site-groups"),
                               ("tenants", "tenancy/tenants"), ("roles", "ipam/roles"),
                               ("custom-fields", "extras/custom-fields")):
            session_routes[("GET", f"/api/{endpoint}/")] = self._lister(name)
        session_routes.update({
            ("GET", "/api/ipam/vlan-groups/"): self.list_groups, ("POST", "/api/ipam/vlan-groups/"): self.post_group,
            ("GET", "/api/ipam/vlans/"): self.list_vlans, ("POST", "/api/ipam/vlans/"): self.post_vlans,
            ("PATCH", "/api/ipam/vlans/"): self.patch_vlans, ("DELETE", "/api/ipam/vlans/"): self.delete_vlans,
            ("GET", "/api/ipam/prefixes/"): self.list_prefixes, ("POST", "/api/ipam/prefixes/"): self.post_prefixes,
            ("PATCH", "/api/ipam/prefixes/"): self.patch_prefixes,
        })
        self.session = FakeSession(session_routes)
        self.backend = MemoryBackend()

    def client(self, ttls=None):
        cache = ResponseCache(self.backend, "http://nb.test", TOKEN, ttls=ttls)
        return NetboxClient("http://nb.test", TOKEN, session=self.session, sleep=lambda s: None, cache=cache)

    def _id(self):
        self.next_id += 1
        return self.next_id

    def _lister(self, name):
        def route(*args):
            return paged(list(self.tables[name].values()))(*args)   # the table as it is now
        return route

    def _stale(self, field, value, table):
        if value and int(value) not in self.tables[table]:
            return FakeResponse(400, {field: [f"Select a valid choice. {value} is not one of the available choices."]})
        return None

    def list_groups(self, method, path, params, body):
        scopes = set(values(params, "scope_id"))
        return paged([g for g in self.tables["vlan-groups"].values() if str(g["scope_id"]) in scopes])(
            method, path, params, body)

    def post_group(self, method, path, params, body):
        if not SLUG_OK.match(body["slug"]):
            return FakeResponse(400, {"slug": ["Enter a valid 'slug' consisting of letters, numbers, ..."]})
        for g in self.tables["vlan-groups"].values():
            if g["scope_id"] == body["scope_id"] and body["slug"] == g["slug"]:
                return FakeResponse(400, {"__all__": ["VLAN group with this Scope type, Scope id and Slug already "
                                                      "exists."]})
        row = dict(body, id=self._id())
        self.tables["vlan-groups"][row["id"]] = row
        return FakeResponse(201, row)

    def list_vlans(self, method, path, params, body):
        rows = list(self.tables["vlans"].values())
        if "group_id" in params:
            for gid in values(params, "group_id"):
                stale = self._stale("group_id", gid, "vlan-groups")
                if stale:
                    return stale
            rows = [v for v in rows if str(v["group"]["id"]) in values(params, "group_id")
                    and str(v["vid"]) in values(params, "vid")]
        if "id" in params:
            rows = [v for v in rows if str(v["id"]) in values(params, "id")]
        return paged(rows)(method, path, params, body)

    def post_vlans(self, method, path, params, body):
        seen = {(v["group"]["id"], v["vid"]) for v in self.tables["vlans"].values()}
        out = []
        for item in body:
            if (item["group"], item["vid"]) in seen:
                return FakeResponse(400, [{"__all__": ["VLAN with this Group and VLAN ID already exists."]}])
            seen.add((item["group"], item["vid"]))
            group = self.tables["vlan-groups"][item["group"]]
            out.append(dict(item, id=self._id(), group={"id": group["id"], "name": group["name"]}))
        for row in out:
            self.tables["vlans"][row["id"]] = row
        return FakeResponse(201, out)

    def patch_vlans(self, method, path, params, body):
        for item in body:
            self.tables["vlans"][item["id"]].update(item)
        return FakeResponse(200, body)

    def delete_vlans(self, method, path, params, body):
        for item in body:
            self.tables["vlans"].pop(item["id"], None)
        return FakeResponse(204)

    def list_prefixes(self, method, path, params, body):
        stale = self._stale("vrf_id", params.get("vrf_id"), "vrfs") if params.get("vrf_id") != "null" else None
        if stale:
            return stale
        rows = list(self.tables["prefixes"].values())
        if "prefix" in params:
            rows = [p for p in rows if p["prefix"] in values(params, "prefix")]
        if "vrf_id" in params:
            rows = [p for p in rows if str((p["vrf"] or {}).get("id")) == params["vrf_id"]]
        if "vlan_id" in params:
            rows = [p for p in rows if str(p.get("vlan_id")) in values(params, "vlan_id")]
        return paged([self._view(p) for p in rows])(method, path, params, body)

    def _view(self, row):
        vlan = self.tables["vlans"].get(row.get("vlan_id"))
        return dict(row, vlan={"id": vlan["id"], "vid": vlan["vid"], "name": vlan["name"]} if vlan else None)

    def _store_prefix(self, item, row):
        if self.fail_prefix_write:
            return FakeResponse(400, self.fail_prefix_write)
        t = self.tables
        row.update(prefix=item.get("prefix", row.get("prefix")))
        for field, table in (("vrf", "vrfs"), ("tenant", "tenants"), ("role", "roles")):
            if field in item:
                row[field] = brief(t[table].get(item[field]))
        if "scope_id" in item:
            row.update(scope_type="dcim.sitegroup", scope_id=item["scope_id"],
                       scope=brief(t["site-groups"][item["scope_id"]]))
        for field in ("status", "description"):
            if field in item:
                row[field] = {"value": item[field]} if field == "status" else item[field]
        if "vlan" in item:
            row["vlan_id"] = item["vlan"]
        row.setdefault("custom_fields", {}).update(item.get("custom_fields") or {})
        row.setdefault("tags", [])
        return None

    def post_prefixes(self, method, path, params, body):
        out = []
        for item in body:
            row = {"id": self._id()}
            failed = self._store_prefix(item, row)
            if failed:
                return failed
            self.tables["prefixes"][row["id"]] = row
            out.append(self._view(row))
        return FakeResponse(201, out)

    def patch_prefixes(self, method, path, params, body):
        for item in body:
            if item["id"] not in self.tables["prefixes"]:
                return FakeResponse(404, {"detail": "Not found."})
            failed = self._store_prefix(item, self.tables["prefixes"][item["id"]])
            if failed:
                return failed
        return FakeResponse(200, [self._view(self.tables["prefixes"][i["id"]]) for i in body])

    def writes(self):
        return [(c["method"], c["path"]) for c in self.session.calls if c["method"] != "GET"]


def params(**over):
    out = {k: spec.get("default") for k, spec in OPTIONS.items()}
    out.update(dict(state="present", prefix="10.1.0.0/24", vrf="prod", site_group="dc-east", tenant="Platform Team",
                    role="Web", vlan={"vid": 100, "name": "web"}), **over)
    return out


@pytest.mark.parametrize("field, spellings", [
    ("vrf", ["65000:1", 1, "1"]),
    ("site_group", ["dc-east-sg", 1, "1"]),
    ("tenant", ["platform", 1, "1"]),
    ("role", ["web", 1, "1"]),
])
def test_every_spelling_of_a_reference_converges(field, spellings):
    nb = Netbox()
    first = execute(nb.client(), params())
    assert first["changed"]
    groups = dict(nb.tables["vlan-groups"])
    for spelling in spellings:
        again = execute(nb.client(), params(**{field: spelling}))
        assert not again["changed"], (spelling, again["segment"]["changes"])
        assert again["segment"]["vlan"]["group_id"] == first["segment"]["vlan"]["group_id"]
    assert nb.tables["vlan-groups"] == groups and len(nb.tables["prefixes"]) == 1 and len(nb.tables["vlans"]) == 1


def test_duplicate_spellings_in_one_task_are_one_segment():
    nb = Netbox()
    with pytest.raises(ValidationErrors, match="same segment as segments"):
        execute(nb.client(), params(segments=[{"vrf": "prod"}, {"vrf": "65000:1"}]))
    assert nb.writes() == []


@pytest.mark.parametrize("vrf, site_group", [("Zürich", "dc-east"), ("prod", "日本"), ("Zürich", "中国")])
def test_unicode_names_make_valid_slugs_and_keep_the_name(vrf, site_group):
    nb = Netbox()
    result = execute(nb.client(), params(vrf=vrf, site_group=site_group))
    group = next(iter(nb.tables["vlan-groups"].values()))
    assert group["name"] == f"{vrf}-{site_group}" and SLUG_OK.match(group["slug"])
    assert result["segment"]["vlan"]["group"] == f"{vrf}-{site_group}"


def test_two_unicode_groups_in_one_scope_never_share_a_slug():
    nb = Netbox()
    execute(nb.client(), params(site_group="日本", vlan_group="東京"))
    execute(nb.client(), params(prefix="10.2.0.0/24", site_group="日本", vlan_group="大阪"))
    slugs = [g["slug"] for g in nb.tables["vlan-groups"].values()]
    assert len(slugs) == 2 and len(set(slugs)) == 2


def test_a_dual_stack_pair_creates_its_vlan_once():
    nb = Netbox()
    result = execute(nb.client(), params(segments=[{"prefix": "10.1.0.0/24"}, {"prefix": "2001:db8:1::/64"}]))
    assert [s["action"] for s in result["segments"]] == ["create", "create"]
    assert len(nb.tables["vlans"]) == 1
    assert len({s["vlan"]["id"] for s in result["segments"]}) == 1
    again = execute(nb.client(), params(segments=[{"prefix": "10.1.0.0/24"}, {"prefix": "2001:db8:1::/64"}]))
    assert not again["changed"]


def test_a_vlan_group_deleted_after_it_was_cached_is_read_again():
    nb = Netbox()
    execute(nb.client(), params())
    nb.tables["vlan-groups"].clear()
    nb.tables["vlans"].clear()
    result = execute(nb.client(), params())
    assert result["changed"] and result["segment"]["vlan"]["group_id"] in nb.tables["vlan-groups"]
    assert execute(nb.client(), params())["changed"] is False


def test_a_vrf_re_created_under_its_name_is_read_again():
    nb = Netbox()
    execute(nb.client(), params(prefix="10.9.0.0/24"))
    del nb.tables["vrfs"][1]
    nb.tables["vrfs"][7] = {"id": 7, "name": "prod", "rd": "65000:1"}
    result = execute(nb.client(), params(prefix="10.9.1.0/24"))
    assert result["segment"]["vrf_id"] == 7 and result["segment"]["action"] == "create"


@pytest.mark.parametrize("ttls", [None, {"dynamic": 0, "static": 0}])
def test_existence_is_read_fresh_before_a_write(ttls):
    nb = Netbox()
    execute(nb.client(ttls), params())
    nb.tables["prefixes"].clear()                      # deleted in NetBox
    assert execute(nb.client(ttls), params(), check_mode=True)["segment"]["action"] == "create"
    assert execute(nb.client(ttls), params())["segment"]["action"] == "create"
    assert len(nb.tables["prefixes"]) == 1


def test_a_vlan_moved_to_another_group_is_drift():
    nb = Netbox()
    first = execute(nb.client(), params())
    other = {"id": 55, "name": "elsewhere", "slug": "elsewhere", "scope_id": 1}
    nb.tables["vlan-groups"][55] = other
    vlan = nb.tables["vlans"][first["segment"]["vlan"]["id"]]
    vlan["group"] = {"id": 55, "name": "elsewhere"}
    check = execute(nb.client(), params(), check_mode=True)
    assert check["changed"] and check["segment"]["changes"]["vlan"]["before"] == "100 (web) in elsewhere"
    fixed = execute(nb.client(), params())
    assert fixed["segment"]["vlan"]["group"] == "prod-dc-east"
    assert fixed["segment"]["vlan"]["id"] != vlan["id"]
    assert not execute(nb.client(), params())["changed"]


def test_a_failed_prefix_write_rolls_back_the_vlans_it_created():
    nb = Netbox()
    nb.fail_prefix_write = {"description": ["Ensure this field has no more than 200 characters."]}
    with pytest.raises(SotNetboxError) as info:
        execute(nb.client(), params())
    assert nb.tables["vlans"] == {} and info.value.result["rolled_back"] == ["VLAN 100 (web)"]


def test_diff_is_text_that_keeps_unicode():
    nb = Netbox()
    result = execute(nb.client(), params(vrf="Zürich", description="Ελλάδα"), want_diff=True)
    assert "Zürich" in result["diff"]["after"] and "Ελλάδα" in result["diff"]["after"]


@pytest.mark.parametrize("over, path, message", [
    (dict(custom_fields={"no_such": "x"}), "segments[0].custom_fields.no_such", "no custom field 'no_such'"),
    (dict(custom_fields={"owner": "x"}), "segments[0].custom_fields.owner", "not enabled for prefixes"),
    (dict(custom_fields={"rack_count": "many"}), "segments[0].custom_fields.rack_count", "of type integer"),
    (dict(custom_fields={"rack_count": True}), "segments[0].custom_fields.rack_count", "yes/no"),
    (dict(dhcp=True, dhcp_field="dhcp_on"), "segments[0].dhcp", "no custom field 'dhcp_on'"),
    (dict(custom_fields={"cluster_name": 5}), "segments[0].custom_fields.cluster_name", "of type text"),
])
def test_custom_fields_are_checked_against_netbox_before_any_write(over, path, message):
    nb = Netbox()
    with pytest.raises(ValidationErrors) as info:
        execute(nb.client(), params(**over))
    assert any(e["path"] == path and message in e["message"] for e in info.value.result["errors"]), \
        info.value.result["errors"]
    assert nb.writes() == []


def test_every_problem_of_a_task_at_once():
    nb = Netbox()
    with pytest.raises(ValidationErrors) as info:
        execute(nb.client(), params(segments=[{"tenant": "nobody"}, {"prefix": "10.3.0.0/24",
                                                                     "custom_fields": {"no_such": 1}}]))
    assert {e["path"] for e in info.value.result["errors"]} == {"segments[0].tenant",
                                                                "segments[1].custom_fields.no_such"}
    assert nb.writes() == []


def test_a_custom_field_created_after_the_table_was_cached_is_found():
    nb = Netbox()
    execute(nb.client(), params())
    nb.tables["custom-fields"][9] = {"id": 9, "name": "late", "type": {"value": "text"},
                                     "object_types": ["ipam.prefix"]}
    assert execute(nb.client(), params(custom_fields={"late": "x"}))["changed"]


def test_a_token_that_may_not_read_custom_fields_still_works():
    nb = Netbox()
    nb.session.routes[("GET", "/api/extras/custom-fields/")] = [FakeResponse(403, {"detail": "no permission"})]
    assert execute(nb.client(), params(dhcp=True))["changed"]
