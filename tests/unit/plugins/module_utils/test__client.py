# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import threading

import pytest
import requests

from ansible_collections.sot.netbox.plugins.module_utils import _errors as errors
from ansible_collections.sot.netbox.plugins.module_utils._cache import MemoryBackend, ResponseCache
from ansible_collections.sot.netbox.plugins.module_utils._client import (
    NetboxClient, authorization_header, endpoint_of, endpoints_written)
from ansible_collections.sot.netbox.plugins.module_utils._retry import RetryPolicy
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.fakes import FakeResponse, FakeSession, paged

TOKEN = "0123456789abcdef0123456789abcdef01234567"
V2 = "nbt_abcdefghijkl.SecretSecretSecretSecretSecretSecretSecret1"


def make(routes=None, sleeps=None, cache=None, **kw):
    session = FakeSession(routes)
    sleeps = [] if sleeps is None else sleeps
    client = NetboxClient("http://nb.test", kw.pop("token", TOKEN), session=session, sleep=sleeps.append,
                          rng=lambda: 0.5, cache=cache, **kw)
    return client, session, sleeps


# ---------------------------------------------------------------- tokens

@pytest.mark.parametrize("token, header", [
    (TOKEN, "Token " + TOKEN),
    (TOKEN.upper(), "Token " + TOKEN.upper()),
    (V2, "Bearer " + V2),
    ("  " + TOKEN + "\n", "Token " + TOKEN),
    # NetBox 4.7 makes v1 tokens of mixed-case letters and digits, not hex: NetBox decides.
    ("Ab3dEf9hIjKlMn0pQrStUvWxYz0123456789AbCd", "Token Ab3dEf9hIjKlMn0pQrStUvWxYz0123456789AbCd"),
    ("short", "Token short"),
])
def test_token_schemes(token, header):
    assert authorization_header(token) == header


@pytest.mark.parametrize("token", ["", None, "Token " + TOKEN, TOKEN[:20] + "\n" + TOKEN[20:], "t\u00f6ken" + TOKEN,
                                   "nbt_key", "nbt_key.se cret", "nbt_k\u00e9y.secret", "nbt_.secret"])
def test_bad_tokens_are_clear_and_never_echoed(token):
    with pytest.raises(errors.InputError) as info:
        authorization_header(token)
    assert info.value.field == "token"
    if token:
        assert token not in str(info.value)


def test_v2_token_sent_as_bearer():
    client, session, _sleeps = make({("GET", "/api/status/"): [FakeResponse(200, {"netbox-version": "4.7.3"})]}, token=V2)
    client.status()
    assert session.calls[0]["headers"]["Authorization"] == "Bearer " + V2


def test_user_headers_cannot_replace_authorization():
    client, session, _sleeps = make({("GET", "/api/status/"): [FakeResponse(200, {})]},
                                    headers={"Authorization": "Token evil", "X-Proxy": "1"})
    client.status()
    assert session.calls[0]["headers"]["Authorization"] == "Token " + TOKEN
    assert session.calls[0]["headers"]["X-Proxy"] == "1"


@pytest.mark.parametrize("url, base", [
    ("http://nb.test", "http://nb.test"),
    ("http://nb.test/", "http://nb.test"),
    ("http://nb.test/api", "http://nb.test"),
    ("https://nb.test/netbox/api/", "https://nb.test/netbox"),
])
def test_base_url_normalised(url, base):
    assert NetboxClient(url, TOKEN).base_url == base


@pytest.mark.parametrize("url", ["", None, "nb.test", "ftp://nb.test"])
def test_bad_url_is_input_error(url):
    with pytest.raises(errors.InputError) as info:
        NetboxClient(url, TOKEN)
    assert info.value.field == "url"


# ---------------------------------------------------------------- error mapping

@pytest.mark.parametrize("status, body, cls", [
    (400, {"name": ["This field is required."]}, errors.RequestValidationFailed),
    (401, {"detail": "Invalid token"}, errors.AuthenticationFailed),
    (403, {"detail": "Invalid v1 token"}, errors.AuthenticationFailed),
    (403, {"detail": "You do not have permission to perform this action."}, errors.PermissionDenied),
    (404, {"detail": "Not found."}, errors.NotFound),
    (409, {"detail": "conflict"}, errors.Conflict),
    (500, "<html>boom</html>", errors.Unavailable),
    (418, {"detail": "teapot"}, errors.ApiError),
])
def test_error_mapping(status, body, cls):
    client, _session, _sleeps = make({("POST", "/api/dcim/sites/"): [FakeResponse(status, body)]})
    with pytest.raises(cls) as info:
        client.create_one("dcim/sites", {"name": "x"})
    assert info.value.status == status
    assert TOKEN not in info.value.message


def test_validation_error_names_netbox_fields():
    body = [{}, {"slug": ["site with this slug already exists."]}]
    client, _session, _sleeps = make({("POST", "/api/dcim/sites/"): [FakeResponse(400, body)]})
    with pytest.raises(errors.RequestValidationFailed) as info:
        client.create("dcim/sites", [{"name": "a"}, {"name": "b"}])
    assert "item 1: slug: site with this slug already exists." in info.value.message
    assert info.value.result["created"] == []


def test_get_404_is_none():
    client, _session, _sleeps = make({})
    assert client.get("dcim/devices/99") is None


# ---------------------------------------------------------------- retries

def test_retries_transient_statuses_then_succeeds():
    route = [FakeResponse(503), FakeResponse(429, headers={"Retry-After": "7"}), FakeResponse(200, {"ok": 1})]
    client, session, sleeps = make({("GET", "/api/status/"): route})
    assert client.status() == {"ok": 1}
    assert len(session.calls) == 3
    assert sleeps == [0.25, 7.0]  # jittered backoff (rng=0.5 of 0.5s), then the server's Retry-After
    assert client.metrics.to_dict()["retries"] == 2


def test_retries_are_bounded():
    client, session, sleeps = make({("GET", "/api/status/"): [FakeResponse(502)]}, retry=RetryPolicy(retries=2))
    with pytest.raises(errors.Unavailable):
        client.status()
    assert len(session.calls) == 3 and len(sleeps) == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 500])
def test_non_transient_statuses_are_not_retried(status):
    client, session, sleeps = make({("GET", "/api/status/"): [FakeResponse(status, {"detail": "x"})]})
    with pytest.raises(errors.ApiError):
        client.status()
    assert len(session.calls) == 1 and sleeps == []


@pytest.mark.parametrize("status, retried", [(429, True), (503, True), (502, False), (504, False)])
def test_post_retried_only_when_server_did_not_act(status, retried):
    client, session, _sleeps = make({("POST", "/api/dcim/sites/"): [FakeResponse(status), FakeResponse(201, {"id": 1})]})
    if retried:
        assert client.create_one("dcim/sites", {"name": "a"}) == {"id": 1}
    else:
        with pytest.raises(errors.Unavailable):
            client.create_one("dcim/sites", {"name": "a"})
    assert len(session.calls) == (2 if retried else 1)


def test_connection_reset_retried_for_get():
    reset = requests.exceptions.ConnectionError("('Connection aborted.', ConnectionResetError(104))")
    client, session, _sleeps = make({("GET", "/api/status/"): [reset, FakeResponse(200, {"ok": 1})]})
    assert client.status() == {"ok": 1}


def test_connection_reset_not_retried_for_post():
    reset = requests.exceptions.ConnectionError("('Connection aborted.', ConnectionResetError(104))")
    client, session, _sleeps = make({("POST", "/api/dcim/sites/"): [reset, FakeResponse(201, {"id": 1})]})
    with pytest.raises(errors.ConnectionFailed):
        client.create_one("dcim/sites", {"name": "a"})
    assert len(session.calls) == 1


def test_refused_connection_retried_even_for_post_then_clear_error():
    refused = requests.exceptions.ConnectionError("NewConnectionError: [Errno 111] Connection refused")
    client, session, sleeps = make({("POST", "/api/dcim/sites/"): [refused]}, retry=RetryPolicy(retries=3))
    with pytest.raises(errors.ConnectionFailed) as info:
        client.create_one("dcim/sites", {"name": "a"})
    assert len(session.calls) == 4 and len(sleeps) == 3
    assert "cannot reach NetBox at http://nb.test" in info.value.message


def test_timeout_is_typed():
    client, _session, _sleeps = make({("GET", "/api/status/"): [requests.exceptions.ReadTimeout("slow")]},
                                     retry=RetryPolicy(retries=1), timeout=3)
    with pytest.raises(errors.Timeout) as info:
        client.status()
    assert "within 3s (2 attempts)" in info.value.message


def test_tls_failure_is_clear_and_not_retried():
    client, session, _sleeps = make({("GET", "/api/status/"): [requests.exceptions.SSLError("bad cert")]})
    with pytest.raises(errors.ConnectionFailed) as info:
        client.status()
    assert "TLS verification failed" in info.value.message and "ca_path" in info.value.message
    assert len(session.calls) == 1


def test_tls_options_passed_to_session():
    client, session, _sleeps = make({("GET", "/api/status/"): [FakeResponse(200, {})]}, ca_path="/etc/ca.pem")
    client.status()
    assert session.calls[0]["verify"] == "/etc/ca.pem"
    client2, session2, _sleeps2 = make({("GET", "/api/status/"): [FakeResponse(200, {})]})
    client2.status()
    assert session2.calls[0]["verify"] is True


# ---------------------------------------------------------------- pagination

def objects(n):
    return [{"id": i + 1, "name": f"obj{i + 1}"} for i in range(n)]


@pytest.mark.parametrize("n, page, requests_made", [(0, 1000, 1), (999, 1000, 1), (1000, 1000, 1), (2500, 1000, 3),
                                                    (25, 10, 3)])
def test_pagination_yields_everything_in_order(n, page, requests_made):
    client, session, _sleeps = make({("GET", "/api/dcim/devices/"): paged(objects(n))}, page_size=page)
    got = list(client.iter_all("dcim/devices"))
    assert [o["id"] for o in got] == list(range(1, n + 1))
    assert len(session.calls) == requests_made


def test_pagination_respects_a_smaller_server_cap():
    client, session, _sleeps = make({("GET", "/api/dcim/devices/"): paged(objects(250), max_page=100)}, page_size=1000)
    assert len(list(client.iter_all("dcim/devices"))) == 250
    assert [c["params"]["offset"] for c in session.calls] == ["0", "100", "200"]


def test_pagination_concurrency_is_bounded():
    client, session, _sleeps = make({("GET", "/api/dcim/devices/"): paged(objects(5000))}, page_size=100, max_workers=3)
    session.delay_event = threading.Event()
    assert len(list(client.iter_all("dcim/devices"))) == 5000
    assert session.max_in_flight == 3


def test_pagination_fields_brief_omit():
    client, session, _sleeps = make({("GET", "/api/dcim/devices/"): paged(objects(3))})
    list(client.iter_all("dcim/devices", {"site": "ams1"}, fields=["id", "name"], omit=["config_context"]))
    assert session.calls[0]["params"] == {"site": "ams1", "fields": "id,name", "omit": "config_context",
                                          "limit": "1000", "offset": "0"}


def test_cursor_pagination():
    client, session, _sleeps = make({("GET", "/api/dcim/devices/"): paged(objects(25))}, page_size=10)
    got = list(client.iter_all("dcim/devices", cursor=True))
    assert [o["id"] for o in got] == list(range(1, 26))
    assert [c["params"]["start"] for c in session.calls] == ["0", "11", "21"]


def test_concurrent_fetch_of_several_lists_shares_the_bound():
    routes = {("GET", f"/api/{e}/"): paged(objects(800)) for e in ("dcim/devices", "virtualization/virtual-machines")}
    client, session, _sleeps = make(routes, page_size=100, max_workers=2)
    session.delay_event = threading.Event()
    kinds = ("dcim/devices", "virtualization/virtual-machines")
    out = client.fetch_concurrently({e: (lambda e=e: client.list(e)) for e in kinds})
    assert len(out["dcim/devices"]) == 800 and len(out["virtualization/virtual-machines"]) == 800
    assert session.max_in_flight <= 2


# ---------------------------------------------------------------- bulk writes

def test_bulk_create_batches_and_reports_partial_progress():
    calls = []

    def route(method, path, params, body):
        calls.append(len(body))
        if len(calls) == 3:
            return FakeResponse(400, [{"name": ["bad"]}])
        return FakeResponse(201, [{"id": i} for i in range(len(body))])
    client, _session, _sleeps = make({("POST", "/api/dcim/devices/"): route})
    with pytest.raises(errors.RequestValidationFailed) as info:
        client.create("dcim/devices", [{"name": str(i)} for i in range(5)], batch_size=2)
    assert calls == [2, 2, 1]
    assert len(info.value.result["created"]) == 4


@pytest.mark.parametrize("bulk_answer", [
    FakeResponse(404, {"detail": "Not found."}),
    # NetBox 4.7 refuses the whole bulk DELETE with a 400 when some ids are gone already.
    FakeResponse(400, {"detail": "1 of 2 objects could not be found: [2]"}),
])
def test_bulk_delete_of_ids_already_gone_finishes_one_by_one(bulk_answer):
    client, _session, _sleeps = make({
        ("DELETE", "/api/dcim/cables/"): [bulk_answer],
        ("DELETE", "/api/dcim/cables/1/"): [FakeResponse(204)],
        ("DELETE", "/api/dcim/cables/2/"): [FakeResponse(404, {"detail": "Not found."})],
    })
    assert client.delete("dcim/cables", [1, 2]) == [1, 2]


def test_bulk_delete_refused_for_another_reason_is_an_error():
    client, _session, _sleeps = make({
        ("DELETE", "/api/dcim/cables/"): [FakeResponse(400, {"detail": "protected by a dependent object"})],
    })
    with pytest.raises(errors.RequestValidationFailed) as info:
        client.delete("dcim/cables", [1, 2])
    assert info.value.result["deleted"] == []


# ---------------------------------------------------------------- cache

@pytest.mark.parametrize("path, endpoint", [("dcim/devices", "dcim/devices"), ("dcim/devices/5/", "dcim/devices"),
                                            ("/api/ipam/prefixes/7/available-prefixes/", "ipam/prefixes")])
def test_endpoint_of(path, endpoint):
    assert endpoint_of(path) == endpoint


def test_available_vlans_write_invalidates_vlans():
    assert endpoints_written("ipam/vlan-groups/3/available-vlans") == {"ipam/vlan-groups", "ipam/vlans"}


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def cached_client(routes, clock=None, backend=None):
    backend = backend or MemoryBackend(clock=clock or Clock())
    return make(routes, cache=ResponseCache(backend, "http://nb.test", TOKEN, {"static": 100, "dynamic": 10}))


def test_cache_hit_then_ttl_expiry():
    clock = Clock()
    client, session, _sleeps = cached_client({("GET", "/api/ipam/vrfs/"): paged(objects(3))}, clock=clock)
    assert client.list("ipam/vrfs", cache="static") == client.list("ipam/vrfs", cache="static")
    assert len(session.calls) == 1
    clock.now += 101
    client.list("ipam/vrfs", cache="static")
    assert len(session.calls) == 2
    m = client.metrics.to_dict()
    assert (m["cache_hits"], m["cache_misses"]) == (1, 2)


def test_dynamic_ttl_is_shorter():
    clock = Clock()
    client, session, _sleeps = cached_client({("GET", "/api/ipam/prefixes/"): paged(objects(3))}, clock=clock)
    client.list("ipam/prefixes", cache="dynamic")
    clock.now += 11
    client.list("ipam/prefixes", cache="dynamic")
    assert len(session.calls) == 2


def test_write_invalidates_the_endpoint_it_touched_only():
    client, session, _sleeps = cached_client({("GET", "/api/ipam/vrfs/"): paged(objects(3)),
                                              ("GET", "/api/ipam/prefixes/"): paged(objects(3)),
                                              ("POST", "/api/ipam/prefixes/"): [FakeResponse(201, [{"id": 9}])]})
    client.list("ipam/vrfs", cache="static")
    client.list("ipam/prefixes", cache="dynamic")
    client.create("ipam/prefixes", [{"prefix": "10.0.0.0/24"}])
    client.list("ipam/vrfs", cache="static")
    client.list("ipam/prefixes", cache="dynamic")
    gets = [c["path"] for c in session.calls if c["method"] == "GET"]
    assert gets == ["/api/ipam/vrfs/", "/api/ipam/prefixes/", "/api/ipam/prefixes/"]


def test_cache_is_shared_between_clients_but_not_between_tokens():
    backend = MemoryBackend(clock=Clock())
    first, _s1, _sleeps1 = cached_client({("GET", "/api/ipam/vrfs/"): paged(objects(3))}, backend=backend)
    second, s2, _sleeps2 = cached_client({("GET", "/api/ipam/vrfs/"): paged(objects(3))}, backend=backend)
    first.list("ipam/vrfs", cache="static")
    second.list("ipam/vrfs", cache="static")
    assert len(s2.calls) == 0
    other = ResponseCache(backend, "http://nb.test", "f" * 40)
    assert other.key("ipam/vrfs", "x", other.generation("ipam/vrfs")) != \
        first.cache.key("ipam/vrfs", "x", first.cache.generation("ipam/vrfs"))


def test_cache_never_stores_the_token():
    backend = MemoryBackend(clock=Clock())
    client, _session, _sleeps = cached_client({("GET", "/api/ipam/vrfs/"): paged(objects(3))}, backend=backend)
    client.list("ipam/vrfs", cache="static")
    dump = repr(backend._data) + repr(backend._gens)
    assert TOKEN not in dump


def test_concurrent_identical_gets_share_one_request():
    client, session, _sleeps = make({("GET", "/api/ipam/vrfs/"): paged(objects(3))})
    session.delay_event = threading.Event()
    results = []
    threads = [threading.Thread(target=lambda: results.append(client.list("ipam/vrfs"))) for _i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 5 and all(r == results[0] for r in results)
    assert len(session.calls) < 5
    assert client.metrics.to_dict()["coalesced"] == 5 - len(session.calls)


# ---------------------------------------------------------------- metrics

def test_metrics_count_requests_bytes_and_seconds():
    client, _session, _sleeps = make({("GET", "/api/status/"): [FakeResponse(200, {"a": 1})],
                                     ("POST", "/api/dcim/sites/"): [FakeResponse(201, {"id": 1})]})
    client.status()
    client.create_one("dcim/sites", {"name": "a"})
    m = client.metrics.to_dict()
    assert m["requests"] == 2 and m["requests_by_method"] == {"GET": 1, "POST": 1}
    assert m["bytes_received"] > 0 and m["bytes_sent"] > 0
    assert m["http_seconds"] >= 0 and m["seconds"] >= 0
