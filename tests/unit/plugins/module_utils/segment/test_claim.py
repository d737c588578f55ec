# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The allocation protocol against a small in-memory NetBox (FakeSession routes): claims, lost
answers, conflicts, stale markers, carving, release, and the request counts."""
from __future__ import annotations

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._cache import MemoryBackend, ResponseCache
from ansible_collections.sot.netbox.plugins.module_utils._client import NetboxClient
from ansible_collections.sot.netbox.plugins.module_utils._errors import SotNetboxError
from ansible_collections.sot.netbox.plugins.module_utils._segment.runner import OPTIONS, execute
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.fakes import FakeResponse, FakeSession, paged

TOKEN = "0123456789abcdef0123456789abcdef01234567"
NOW = 1767225600.0  # 2026-01-01T00:00:00Z
CUSTOM_FIELDS = [{"id": 1, "name": "cluster_name", "type": {"value": "text"}, "object_types": ["ipam.prefix"]},
                 {"id": 2, "name": "dhcp_enabled", "type": {"value": "boolean"}, "object_types": ["ipam.prefix"]}]


def free_prefix(pid, cidr, cluster=None, status="active"):
    return {"id": pid, "prefix": cidr, "vrf": {"id": 1, "name": "prod"}, "scope_type": "dcim.sitegroup", "scope_id": 1,
            "scope": {"id": 1, "name": "dc-east"}, "tenant": None, "role": {"id": 1, "name": "web"},
            "status": {"value": status}, "description": "", "vlan": None,
            "custom_fields": {"cluster_name": cluster, "dhcp_enabled": False}, "tags": []}


class FakeNetbox:
    """Just enough NetBox for the segment protocol; `hooks` inject races."""

    def __init__(self, prefixes=(), tags=()):
        self.prefixes = {p["id"]: p for p in prefixes}
        self.tags = {t["id"]: t for t in tags}
        self.next_id = 1000
        self.hooks = {}
        lookups = {
            "/api/ipam/vrfs/": [{"id": 1, "name": "prod", "rd": "65000:1"}],
            "/api/dcim/site-groups/": [{"id": 1, "name": "dc-east", "slug": "dc-east"}],
            "/api/tenancy/tenants/": [{"id": 1, "name": "platform", "slug": "platform"}],
            "/api/ipam/roles/": [{"id": 1, "name": "web", "slug": "web"}, {"id": 4, "name": "pool", "slug": "pool"}],
            "/api/extras/custom-fields/": CUSTOM_FIELDS,
        }
        self.routes = {("GET", path): paged(rows) for path, rows in lookups.items()}
        self.routes.update({
            ("GET", "/api/ipam/prefixes/"): self.list_prefixes,
            ("POST", "/api/extras/tags/"): self.post_tag,
            ("GET", "/api/extras/tags/"): self.list_tags,
            ("DELETE", "/api/extras/tags/"): self.delete_tags,
            ("GET", "/api/ipam/vlan-groups/"): paged([{"id": 5, "name": "prod-dc-east", "slug": "prod-dc-east",
                                                       "scope_id": 1}]),
            ("POST", "/api/ipam/vlan-groups/5/available-vlans/"): self.post_vlan,
            ("POST", "/api/ipam/prefixes/50/available-prefixes/"): self.post_carve,
            ("DELETE", "/api/ipam/vlans/"): lambda *a: FakeResponse(204),
            ("OPTIONS", "/api/ipam/prefixes/"): [FakeResponse(200, {"actions": {"POST": {}}})],
            ("OPTIONS", "/api/ipam/vlans/"): [FakeResponse(200, {"actions": {"POST": {}}})],
        })
        for pid in list(self.prefixes) + [1000, 1001]:
            self.routes[("GET", f"/api/ipam/prefixes/{pid}/")] = self.get_prefix
            self.routes[("PATCH", f"/api/ipam/prefixes/{pid}/")] = self.patch_prefix
        self.session = FakeSession(self.routes)

    def client(self):
        cache = ResponseCache(MemoryBackend(), "http://nb.test", TOKEN)
        return NetboxClient("http://nb.test", TOKEN, session=self.session, sleep=lambda s: None, cache=cache)

    def _id(self):
        self.next_id += 1
        return self.next_id

    def list_prefixes(self, method, path, params, body):
        rows = list(self.prefixes.values())
        if params.get("status"):
            rows = [r for r in rows if r["status"]["value"] == params["status"]]
        if params.get("role_id") == "4":
            rows = [{"id": 50, "prefix": "10.21.0.0/20"}]
        elif params.get("cf_cluster_name"):  # NetBox's loose logic: substring
            rows = [r for r in rows if params["cf_cluster_name"] in (r["custom_fields"]["cluster_name"] or "")]
        return paged(rows)(method, path, params, body)

    def get_prefix(self, method, path, params, body):
        return FakeResponse(200, self.prefixes[int(path.strip("/").split("/")[-1])])

    def patch_prefix(self, method, path, params, body):
        row = self.prefixes[int(path.strip("/").split("/")[-1])]
        if "status" in body:
            row["status"] = {"value": body["status"]}
        row["custom_fields"].update(body.get("custom_fields", {}))
        if "tags" in body:
            row["tags"] = [{"id": t, "slug": self.tags[t]["slug"] if t in self.tags else "x"} for t in body["tags"]]
        return FakeResponse(200, row)

    def post_tag(self, method, path, params, body):
        if "post_tag" in self.hooks:
            hooked = self.hooks.pop("post_tag")(body)
            if hooked is not None:
                return hooked
        errors = {f: [f"tag with this {f} already exists."] for f in ("name", "slug")
                  if any(t[f] == body[f] for t in self.tags.values())}
        if errors:
            return FakeResponse(400, errors)
        return FakeResponse(201, self._store_tag(body))

    def _store_tag(self, body, created="2026-01-01T00:00:00Z"):
        tag = dict(body, id=self._id(), created=created)
        self.tags[tag["id"]] = tag
        return tag

    def list_tags(self, method, path, params, body):
        rows = [t for t in self.tags.values() if all(t.get(k) == v for k, v in params.items()
                                                     if k in ("slug", "name"))]
        return paged(rows)(method, path, params, body)

    def delete_tags(self, method, path, params, body):
        for item in body:
            self.tags.pop(item["id"], None)
        return FakeResponse(204)

    def post_vlan(self, method, path, params, body):
        return FakeResponse(201, {"id": 77, "vid": 2, "name": body["name"]})

    def post_carve(self, method, path, params, body):
        row = free_prefix(1001, "10.21.0.0/28", cluster=body["custom_fields"]["cluster_name"])
        row["vlan"] = {"id": body.get("vlan"), "vid": 2, "name": "k1"}
        self.prefixes[1001] = row
        return FakeResponse(201, row)


def params(**over):
    out = {k: spec.get("default") for k, spec in OPTIONS.items()}
    out.update(dict(state="allocated", vrf="prod", site_group="dc-east", cluster="k1"), **over)
    return out


def run(nb, sleep=lambda seconds: None, **over):
    return execute(nb.client(), params(**over), clock=lambda: NOW, sleep=sleep)


def methods(nb):
    return [(c["method"], c["path"]) for c in nb.session.calls]


def test_reserve_claims_then_patches_with_marker():
    nb = FakeNetbox([free_prefix(1, "10.20.1.0/24")])
    result = run(nb)
    seg = result["segment"]
    assert result["changed"] and seg["action"] == "reserve" and seg["status"] == "reserved"
    assert seg["custom_fields"]["cluster_name"] == "k1"
    (marker,) = nb.tags.values()
    assert marker["slug"] == "sot-claim-p1" and marker["name"] == "sot-claim prod/dc-east/k1"
    assert nb.prefixes[1]["tags"][0]["id"] == marker["id"]


def test_reserve_is_idempotent_and_exact_about_the_key():
    nb = FakeNetbox([free_prefix(1, "10.20.1.0/24", cluster="k1", status="reserved"),
                     free_prefix(2, "10.20.2.0/24", cluster="k10", status="reserved"),
                     free_prefix(3, "10.20.3.0/24")])
    result = run(nb)
    assert not result["changed"] and result["segment"]["id"] == 1
    assert not any(m == "POST" for m, _path in methods(nb))


def test_a_taken_segment_is_skipped_for_the_next():
    nb = FakeNetbox([free_prefix(1, "10.20.1.0/24"), free_prefix(2, "10.20.2.0/24"), free_prefix(3, "10.20.3.0/24")],
                    tags=[{"id": 500, "name": "sot-claim prod/dc-east/other", "slug": "sot-claim-p1",
                           "description": "nonce=zz", "created": "2026-01-01T00:00:00Z"},
                          {"id": 501, "name": "sot-claim prod/dc-east/other2", "slug": "sot-claim-p2",
                           "description": "nonce=yy", "created": "2026-01-01T00:00:00Z"}])
    assert run(nb)["segment"]["id"] == 3


def test_lost_answer_is_won_by_nonce():
    nb = FakeNetbox([free_prefix(1, "10.20.1.0/24")])
    # NetBox inserted the tag but the answer was a 500: the nonce read back decides.
    nb.hooks["post_tag"] = lambda body: (nb._store_tag(body), FakeResponse(500, {"error": "lost"}))[1]
    result = run(nb)
    assert result["segment"]["action"] == "reserve" and len(nb.tags) == 1


def test_integrity_error_race_is_a_lost_claim():
    nb = FakeNetbox([free_prefix(1, "10.20.1.0/24")])
    # A competitor's tag for the same segment landed first; ours fails with NetBox's 500 IntegrityError.
    nb.hooks["post_tag"] = lambda body: (nb._store_tag(dict(body, name="sot-claim prod/dc-east/rival",
                                                            description="nonce=rival")),
                                         FakeResponse(500, {"exception": "IntegrityError"}))[1]
    with pytest.raises(SotNetboxError, match="claimed by concurrent allocations"):
        run(nb)
    assert nb.prefixes[1]["custom_fields"]["cluster_name"] is None  # never PATCHed by the loser


def test_same_identity_adopts_the_claimed_segment():
    nb = FakeNetbox([free_prefix(1, "10.20.1.0/24"), free_prefix(2, "10.20.2.0/24")],
                    tags=[{"id": 500, "name": "sot-claim prod/dc-east/k1", "slug": "sot-claim-p2",
                           "description": "nonce=other", "created": "2026-01-01T00:00:00Z"}])
    result = run(nb)
    assert result["segment"]["id"] == 2 and nb.prefixes[2]["custom_fields"]["cluster_name"] == "k1"
    assert len(nb.tags) == 1


def claimed_by_k1(created):
    return FakeNetbox([free_prefix(1, "10.20.1.0/24"), free_prefix(2, "10.20.2.0/24")],
                      tags=[{"id": 500, "name": "sot-claim prod/dc-east/k1", "slug": "sot-claim-p2",
                             "description": "nonce=other", "created": created}])


def test_a_concurrent_claim_of_the_same_identity_is_waited_for_not_written_twice():
    nb = claimed_by_k1(created="2026-01-01T00:00:00Z")      # made just now: its run is still at work
    waits = []

    def winner_finishes_while_we_wait(seconds):
        waits.append(seconds)
        nb.prefixes[2].update(status={"value": "reserved"})
        nb.prefixes[2]["custom_fields"]["cluster_name"] = "k1"
    result = run(nb, sleep=winner_finishes_while_we_wait)
    assert not result["changed"] and result["segment"]["id"] == 2 and result["segment"]["action"] == "none"
    assert waits and ("PATCH", "/api/ipam/prefixes/2/") not in methods(nb)


def test_an_interrupted_claim_of_the_same_identity_is_finished_at_once():
    nb = claimed_by_k1(created="2025-12-31T23:00:00Z")      # an hour old, segment still free
    waits = []
    result = run(nb, sleep=waits.append)
    assert result["changed"] and result["segment"]["action"] == "reserve" and result["segment"]["id"] == 2
    assert waits == [] and nb.prefixes[2]["custom_fields"]["cluster_name"] == "k1"


def test_a_young_claim_whose_run_never_finishes_is_finished_after_the_wait():
    nb = claimed_by_k1(created="2026-01-01T00:00:00Z")
    waits = []
    result = run(nb, sleep=waits.append)
    assert result["segment"]["action"] == "reserve" and nb.prefixes[2]["custom_fields"]["cluster_name"] == "k1"
    assert len(waits) == 5


def test_stale_marker_is_taken_over_fresh_one_is_not():
    stale = {"id": 500, "name": "sot-claim prod/dc-east/crashed", "slug": "sot-claim-p1", "description": "nonce=x",
             "created": "2025-12-31T23:00:00Z"}
    nb = FakeNetbox([free_prefix(1, "10.20.1.0/24")], tags=[stale])
    assert run(nb)["segment"]["id"] == 1 and 500 not in nb.tags
    nb = FakeNetbox([free_prefix(1, "10.20.1.0/24")], tags=[dict(stale, created="2025-12-31T23:59:00Z")])
    with pytest.raises(SotNetboxError, match="claimed by concurrent"):
        run(nb)


def test_claimed_segment_changed_outside_the_protocol_returns_the_marker():
    nb = FakeNetbox([free_prefix(1, "10.20.1.0/24")])

    def then_someone_writes(body):
        nb.prefixes[1]["custom_fields"]["cluster_name"] = "manual"
    nb.hooks["post_tag"] = then_someone_writes
    with pytest.raises(SotNetboxError):
        run(nb)
    assert nb.tags == {} and nb.prefixes[1]["custom_fields"]["cluster_name"] == "manual"


def test_none_free():
    nb = FakeNetbox([free_prefix(1, "10.20.1.0/24", cluster="x", status="active")])
    with pytest.raises(SotNetboxError, match="no free segment"):
        run(nb)


def test_check_mode_writes_nothing():
    nb = FakeNetbox([free_prefix(1, "10.20.1.0/24")])
    result = execute(nb.client(), params(), check_mode=True, want_diff=True)
    assert result["changed"] and result["segment"]["action"] == "reserve"
    assert '"status": "reserved"' in result["diff"]["after"]
    assert all(m == "GET" for m, _path in methods(nb))


def test_carve_costs_five_requests_with_a_warm_cache():
    """identity, pools (fresh: a retired pool is never carved from), VLAN, prefix, identity again."""
    nb = FakeNetbox()
    client = nb.client()
    first = execute(client, params(prefix_length=28, role="web"))
    assert first["segment"]["action"] == "carve" and first["segment"]["vlan"]["vid"] == 2
    nb.prefixes.clear()
    before = len(nb.session.calls)
    execute(client, params(prefix_length=28, role="web", cluster="k2"))
    assert [m for m, _path in methods(nb)[before:]] == ["GET", "GET", "POST", "POST", "GET"]


def test_the_carves_of_one_list_share_one_fresh_pool_read():
    nb = FakeNetbox()
    ids = iter(range(2000, 2100))

    def post_carve(method, path, params, body):
        row = free_prefix(next(ids), "10.21.0.0/28", cluster=body["custom_fields"]["cluster_name"])
        nb.prefixes[row["id"]] = row
        return FakeResponse(201, row)
    nb.session.routes[("POST", "/api/ipam/prefixes/50/available-prefixes/")] = post_carve
    items = [{"cluster": f"k{n}"} for n in range(3)]
    result = execute(nb.client(), params(prefix_length=28, role="web", cluster=None, segments=items))
    assert [s["action"] for s in result["segments"]] == ["carve"] * 3
    pool_reads = [c for c in nb.session.calls if c["method"] == "GET" and c["params"].get("role_id") == "4"]
    assert len(pool_reads) == 1
    # The next task reads the pools again: a pool retired in NetBox meanwhile is never carved from.
    execute(nb.client(), params(prefix_length=28, role="web", cluster="k9"))
    assert len([c for c in nb.session.calls if c["method"] == "GET" and c["params"].get("role_id") == "4"]) == 2


def test_release_frees_then_deletes_marker():
    nb = FakeNetbox([free_prefix(1, "10.20.1.0/24")])
    run(nb)
    result = run(nb, state="released")
    assert result["segment"]["action"] == "release" and result["segment"]["status"] == "active"
    assert nb.tags == {} and nb.prefixes[1]["custom_fields"]["cluster_name"] is None
    order = [m for m, _path in methods(nb) if m in ("PATCH", "DELETE")]
    assert order[-2:] == ["PATCH", "DELETE"]


def test_a_reservation_whose_patch_fails_leaves_no_marker():
    nb = FakeNetbox([free_prefix(1, "10.20.1.0/24")])
    nb.session.routes[("PATCH", "/api/ipam/prefixes/1/")] = [FakeResponse(500, {"detail": "boom"})]
    with pytest.raises(SotNetboxError) as info:
        run(nb)
    assert nb.tags == {} and "claim marker" in info.value.result["rolled_back"][0]
    nb.session.routes[("PATCH", "/api/ipam/prefixes/1/")] = nb.patch_prefix
    assert run(nb)["segment"]["action"] == "reserve"


class CutBody(FakeResponse):
    """A 2xx whose body was cut off: the write was applied, its answer is not JSON."""

    def __init__(self, status, body):
        super().__init__(status, body)
        self.content = self.content[:len(self.content) // 2]


def test_a_claim_marker_whose_answer_was_cut_off_is_won_by_nonce():
    nb = FakeNetbox([free_prefix(1, "10.20.1.0/24")])
    nb.hooks["post_tag"] = lambda body: CutBody(201, nb._store_tag(body))  # pylint: disable=protected-access
    result = run(nb)
    assert result["segment"]["action"] == "reserve" and len(nb.tags) == 1


def no_prefix_uses_a_vlan(nb):
    return lambda *a: paged([])(*a) if "vlan_id" in a[2] else nb.list_prefixes(*a)


def test_a_carve_whose_vlan_answer_was_cut_off_finds_its_vlan():
    nb = FakeNetbox()
    made = {"id": 77, "vid": 2, "name": "k1", "group": {"id": 5, "name": "prod-dc-east"}}
    nb.session.routes[("POST", "/api/ipam/vlan-groups/5/available-vlans/")] = [CutBody(201, made)]
    nb.session.routes[("GET", "/api/ipam/vlans/")] = paged([made])
    nb.session.routes[("GET", "/api/ipam/prefixes/")] = no_prefix_uses_a_vlan(nb)
    result = run(nb, prefix_length=28, role="web")
    assert result["segment"]["action"] == "carve" and result["segment"]["vlan"]["id"] == 77


def test_an_interrupted_carve_leaves_a_vlan_the_next_run_adopts():
    nb = FakeNetbox()
    left = {"id": 66, "vid": 3, "name": "k1", "group": {"id": 5, "name": "prod-dc-east"}}
    nb.session.routes[("POST", "/api/ipam/vlan-groups/5/available-vlans/")] = [
        FakeResponse(400, {"__all__": ["VLAN with this Group and Name already exists."]})]
    nb.session.routes[("GET", "/api/ipam/vlans/")] = paged([left])
    nb.session.routes[("GET", "/api/ipam/prefixes/")] = no_prefix_uses_a_vlan(nb)
    result = execute(nb.client(), params(prefix_length=28, role="web"), sleep=lambda s: None)
    carved = [c for c in nb.session.calls if c["path"].endswith("available-prefixes/")]
    assert result["segment"]["action"] == "carve" and carved[0]["body"]["vlan"] == 66
    assert "adopted VLAN 3 (k1)" in result["warnings"][0]


def test_a_token_that_may_not_add_prefixes_is_refused_before_any_write():
    nb = FakeNetbox()
    nb.session.routes[("OPTIONS", "/api/ipam/prefixes/")] = [FakeResponse(200, {"name": "Prefix List"})]
    with pytest.raises(SotNetboxError) as info:
        run(nb, prefix_length=28, role="web")
    assert "ipam.add_prefix" in str(info.value)
    assert [m for m, _path in methods(nb) if m not in ("GET", "OPTIONS")] == []


@pytest.mark.parametrize("option, value", [
    ("vrf", "dev"), ("site_group", "dc-west"), ("pool_role", "web"), ("pool", "10.21.0.0/20"),
])
def test_every_parameter_that_changes_the_pools_is_in_their_query(option, value):
    """Pools are never cached; each parameter that changes the answer changes the query (issue 13)."""
    from ansible_collections.sot.netbox.plugins.module_utils._segment import domain  # pylint: disable=import-outside-toplevel
    from ansible_collections.sot.netbox.plugins.module_utils._segment.claim import Allocator  # pylint: disable=import-outside-toplevel

    class Roles:
        def __init__(self, role):
            self.role = role

        def pool_role_id(self):
            return {"pool": 4, "web": 1}[self.role]

    def query(**over):
        names = domain.Names(pool_role=over.pop("pool_role", "pool"))
        ids = {"vrf": {"prod": 1, "dev": 2}[over.pop("vrf", "prod")],
               "site_group": {"dc-east": 1, "dc-west": 2}[over.pop("site_group", "dc-east")]}
        spec = domain.parse_spec(dict(state="allocated", vrf="v", site_group="s", cluster="k", prefix_length=28,
                                      **over), names)
        return Allocator(None, Roles(names.pool_role), names).pool_params(spec, ids)

    assert query() != query(**{option: value})


def test_no_options_answer_leaves_the_decision_to_the_writes():
    nb = FakeNetbox()
    nb.session.routes[("OPTIONS", "/api/ipam/prefixes/")] = [FakeResponse(405, {"detail": "Method not allowed"})]
    assert run(nb, prefix_length=28, role="web")["segment"]["action"] == "carve"
