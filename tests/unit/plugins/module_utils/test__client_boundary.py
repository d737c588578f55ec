# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The client boundary: versions and features, unreadable answers, one-line transport errors, option
checks, long filter lists. Fakes only: no network, no sleep."""
from __future__ import annotations

import ast
import http.client
from urllib.parse import quote

import pytest
import requests
import urllib3

from ansible_collections.sot.netbox.plugins.module_utils import _errors as errors
from ansible_collections.sot.netbox.plugins.module_utils._client import NetboxClient, check_headers, check_url
from ansible_collections.sot.netbox.plugins.module_utils._retry import RetryPolicy
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.fakes import FakeResponse, FakeSession, paged

TOKEN = "Ab3dEf9hIjKlMn0pQrStUvWxYz0123456789AbCd"
V2 = "nbt_abcdefghijkl.SecretSecretSecretSecretSecretSecretSecret1"
STATUS = ("GET", "/api/status/")


def make(routes=None, **kw):
    session = FakeSession(routes)
    sleeps = []
    client = NetboxClient("http://nb.test", kw.pop("token", TOKEN), session=session, sleep=sleeps.append,
                          rng=lambda: 0.5, **kw)
    return client, session, sleeps


def answer(body=None, version="4.7", status=200, raw=None, ctype="application/json"):
    response = FakeResponse(status, body, headers={"API-Version": version, "Content-Type": ctype} if version else
                            {"Content-Type": ctype})
    if raw is not None:
        response.content = raw
    return response


# ---------------------------------------------------------------- versions and features

def test_version_comes_from_the_first_answer_without_an_extra_request():
    client, session, _sleeps = make({("GET", "/api/dcim/sites/"): [answer({"results": [], "count": 0, "next": None})]})
    assert client.api_version is None
    client.list("dcim/sites")
    assert client.api_version == (4, 7) and len(session.calls) == 1


def test_v1_token_on_a_netbox_with_v2_tokens_warns_once():
    client, _session, _sleeps = make({STATUS: [answer({})]})
    client.status()
    client.status()
    assert len(client.warnings) == 1 and "v1 API token" in client.warnings[0] and TOKEN not in client.warnings[0]


@pytest.mark.parametrize("token, version", [(V2, "4.7"), (TOKEN, "4.4")])
def test_no_deprecation_warning_when_v2_is_used_or_unsupported(token, version):
    client, _session, _sleeps = make({STATUS: [answer({}, version=version)]}, token=token)
    client.status()
    assert client.warnings == []


def test_require_names_feature_needed_version_and_server_version():
    client, _session, _sleeps = make({STATUS: [answer({}, version="4.5")]})
    client.status()
    assert client.require("v2_tokens") is True
    with pytest.raises(errors.FeatureUnsupported) as info:
        client.require("cursor_paging")
    assert info.value.message.startswith("cursor paging (start= on list endpoints) needs NetBox 4.6 or later; "
                                         "NetBox 4.5 answered")


def test_optional_feature_is_a_warning():
    client, _session, _sleeps = make({STATUS: [answer({}, version="4.1")]}, token=V2)
    client.status()
    assert client.require("prefix_scope", optional=True) is False
    assert "needs NetBox 4.2" in client.warnings[0]


def test_require_before_any_answer_is_checked_on_the_first_answer():
    client, _session, _sleeps = make({STATUS: [answer({}, version="4.1")]}, token=V2)
    assert client.require("prefix_scope") is True  # not known yet
    with pytest.raises(errors.FeatureUnsupported):
        client.status()


def test_required_feature_is_checked_before_the_first_write():
    routes = {STATUS: [answer({}, version="4.1")], ("POST", "/api/ipam/prefixes/"): [answer({})]}
    client, session, _sleeps = make(routes, token=V2)
    client.require("prefix_scope")
    with pytest.raises(errors.FeatureUnsupported):
        client.create_one("ipam/prefixes", {"prefix": "10.0.0.0/24"})
    assert [c["method"] for c in session.calls] == ["GET"]  # learnt the version, wrote nothing


def test_cursor_paging_on_an_older_netbox_falls_back_to_offset_paging():
    objects = [{"id": i} for i in range(1, 8)]
    route = paged(objects, max_page=3)

    def old_netbox(method, path, params, body):  # ignores start=, as NetBox < 4.6 does
        params = {k: v for k, v in params.items() if k != "start"}
        response = route(method, path, params, body)
        response.headers = {"API-Version": "4.5"}
        return response
    client, _session, _sleeps = make({("GET", "/api/dcim/devices/"): old_netbox}, token=V2)
    assert [o["id"] for o in client.iter_all("dcim/devices", cursor=True, page_size=3)] == list(range(1, 8))
    assert any("cursor paging" in w for w in client.warnings)


# ---------------------------------------------------------------- unreadable answers

CUT_OFF = [
    requests.exceptions.ChunkedEncodingError("Connection broken: IncompleteRead(10 bytes read, 90 more expected)"),
    requests.exceptions.ContentDecodingError("Received response with content-encoding: gzip, but failed to decode"),
    http.client.IncompleteRead(b"{", 10),
    answer(raw=b'{"count": 3, "results": [{"id"'),
]
NOT_JSON = [answer(raw=b"<html><body>Please log in</body></html>", ctype="text/html"),
            answer(raw=b"Service temporarily moved", ctype="text/plain")]


@pytest.mark.parametrize("bad", CUT_OFF + NOT_JSON)
def test_get_with_an_unreadable_answer_is_retried_like_a_503(bad):
    client, session, sleeps = make({STATUS: [bad, answer({"ok": 1})]})
    assert client.status() == {"ok": 1}
    assert len(session.calls) == 2 and len(sleeps) == 1


@pytest.mark.parametrize("bad, cls, words", [(b, errors.ResponseIncomplete, "was cut off") for b in CUT_OFF] +
                         [(b, errors.ResponseNotJson, "is not JSON") for b in NOT_JSON])
def test_get_still_unreadable_is_a_typed_error_without_class_names(bad, cls, words):
    client, session, _sleeps = make({STATUS: [bad]}, retry=RetryPolicy(retries=2))
    with pytest.raises(cls) as info:
        client.status()
    message = info.value.message
    assert words in message and "GET /api/status/" in message and "3 attempts" in message
    assert info.value.may_have_applied is False and len(session.calls) == 3
    for name in ("Error", "IncompleteRead", "JSONDecode", "Traceback"):
        assert name not in message


@pytest.mark.parametrize("bad", CUT_OFF + NOT_JSON + [
    requests.exceptions.ConnectionError("('Connection aborted.', ConnectionResetError(104, 'reset'))")])
def test_a_write_whose_answer_is_unreadable_may_have_applied_and_is_not_repeated(bad):
    client, session, _sleeps = make({("POST", "/api/dcim/sites/"): [bad, answer({"id": 1})]})
    with pytest.raises(errors.AnswerUnreadable) as info:
        client.create_one("dcim/sites", {"name": "a"})
    assert info.value.may_have_applied is True and "NetBox may have applied it" in info.value.message
    assert len(session.calls) == 1


def test_a_cut_bulk_create_reports_what_earlier_batches_created():
    route = [answer([{"id": 1}]), requests.exceptions.ChunkedEncodingError("broken")]
    client, _session, _sleeps = make({("POST", "/api/dcim/sites/"): route})
    with pytest.raises(errors.ResponseIncomplete) as info:
        client.create("dcim/sites", [{"name": "a"}, {"name": "b"}], batch_size=1)
    assert info.value.result["created"] == [{"id": 1}] and info.value.may_have_applied


def test_a_cut_off_answer_is_also_a_connection_failure_for_old_callers():
    assert issubclass(errors.ResponseIncomplete, errors.ConnectionFailed)


# ---------------------------------------------------------------- one line per transport failure

def _urllib3_refused():
    conn = urllib3.connection.HTTPConnection("127.0.0.1", 9)
    cause = urllib3.exceptions.NewConnectionError(conn, "Failed to establish a new connection: [Errno 111] "
                                                        "Connection refused")
    return requests.exceptions.ConnectionError(urllib3.exceptions.MaxRetryError(None, "/api/status/", cause))


@pytest.mark.parametrize("exc, phrase", [
    (_urllib3_refused(), "connection refused"),
    (requests.exceptions.ConnectionError(urllib3.exceptions.ProtocolError(
        "Connection aborted.", http.client.RemoteDisconnected("Remote end closed connection without response"))),
     "closed the connection without answering"),
    (requests.exceptions.ConnectionError(urllib3.exceptions.ProtocolError(
        "Connection aborted.", ConnectionResetError(104, "Connection reset by peer"))), "the connection was reset"),
])
def test_connection_failures_are_one_clear_line(exc, phrase):
    client, _session, _sleeps = make({STATUS: [exc]}, retry=RetryPolicy(retries=0))
    with pytest.raises(errors.ConnectionFailed) as info:
        client.status()
    message = info.value.message
    assert phrase in message and "option url" in message and "\n" not in message
    for junk in ('"))', "'))", "HTTPConnection", "object at 0x", "Max retries", "Caused by"):
        assert junk not in message


def test_http_414_is_a_clear_error():
    client, _session, _sleeps = make({("GET", "/api/dcim/devices/"): [answer({"detail": "x"}, status=414)]})
    with pytest.raises(errors.UriTooLong) as info:
        client.list("dcim/devices", {"name": ["a"] * 3})
    assert "HTTP 414" in info.value.message and "fewer" in info.value.message


def test_error_bodies_that_echo_the_token_are_redacted():
    echo = f"headers: Authorization: Token {TOKEN}; encoded {quote(TOKEN)}"
    client, _session, _sleeps = make({STATUS: [answer(raw=echo.encode(), status=400, ctype="text/plain")]})
    with pytest.raises(errors.RequestValidationFailed) as info:
        client.status()
    assert TOKEN not in info.value.message and quote(TOKEN) not in info.value.message
    assert TOKEN not in repr(info.value.body)


# ---------------------------------------------------------------- long filter lists

def test_list_by_keeps_every_url_bounded_and_returns_each_object_once():
    urls = []

    def route(method, path, params, body):
        names = ast.literal_eval(params["name"])
        urls.append(len("http://nb.test" + path) + sum(len(quote(n)) + 6 for n in names))
        rows = [{"id": int(n[1:4]) % 50, "name": n} for n in names]
        return answer({"count": len(names), "next": None, "results": rows})
    client, session, _sleeps = make({("GET", "/api/dcim/devices/"): route})
    names = [f"n{i:03d}" + "x" * 60 for i in range(200)]
    out = client.list_by("dcim/devices", "name", names, max_url=1000)
    assert len(session.calls) > 1 and max(urls) <= 1000
    assert sorted(o["id"] for o in out) == list(range(50))


def test_list_by_refuses_a_value_that_can_never_fit():
    client, session, _sleeps = make({})
    with pytest.raises(errors.InputError) as info:
        client.list_by("dcim/devices", "name", ["x" * 5000])
    assert info.value.field == "name" and not session.calls


# ---------------------------------------------------------------- options checked up front

@pytest.mark.parametrize("url, words", [
    ("http://nb .test", "spaces"), ("http://nb.test\n", "spaces"), ("http://", "no host"), ("https:///api", "no host"),
    ("http://nb.test:99999", "invalid port"), ("http://nb.test:abc", "invalid port"), ("http://nb.test:0", "invalid port"),
    ("http://user:pw@nb.test", "user or password"), ("http://nb.test/?x=1", "query"), (5, "string"),
    ("http://[::1", "not a valid URL"),
])
def test_malformed_urls_name_the_option(url, words):
    with pytest.raises(errors.InputError) as info:
        check_url(url)
    assert info.value.field == "url" and words in info.value.message
    assert "pw" not in info.value.message


@pytest.mark.parametrize("url", ["HTTPS://NB.test:8443/netbox/", "http://[::1]:8000/api/", "http://localhost"])
def test_good_urls(url):
    assert check_url(url).startswith(("HTTPS://", "http://"))


@pytest.mark.parametrize("headers, field", [
    ({"X-A": "a\r\nX-Injected: 1"}, "headers.X-A"), ({"X-A": "a\nb"}, "headers.X-A"), ({"X-A": "a\0"}, "headers.X-A"),
    ({"X-A": None}, "headers.X-A"), ({"X-A": {"b": 1}}, "headers.X-A"), ({"X-A": True}, "headers.X-A"),
    ({"Bad Name": "1"}, "headers"), ({"X-A\n": "1"}, "headers"), ({5: "1"}, "headers"), (["X-A"], "headers"),
])
def test_bad_headers_name_the_option(headers, field):
    with pytest.raises(errors.InputError) as info:
        check_headers(headers)
    assert info.value.field == field


def test_numeric_header_values_are_sent_as_text_and_authorization_is_dropped():
    assert check_headers({"X-Num": 5, "Authorization": "Token evil"}) == {"X-Num": "5"}


def test_client_certificate_files(tmp_path):
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    cert.write_text("x")
    key.write_text("y")
    assert NetboxClient("http://nb.test", TOKEN, cert=str(cert), key=str(key)).cert == (str(cert), str(key))
    assert NetboxClient("http://nb.test", TOKEN, cert=[str(cert), str(key)]).cert == (str(cert), str(key))
    assert NetboxClient("http://nb.test", TOKEN, cert=str(cert)).cert == str(cert)
    for kwargs, field in (({"cert": str(tmp_path / "missing.pem")}, "cert"), ({"key": str(key)}, "key"),
                          ({"cert": str(cert), "key": str(tmp_path / "nokey")}, "key")):
        with pytest.raises(errors.InputError) as info:
            NetboxClient("http://nb.test", TOKEN, **kwargs)
        assert info.value.field == field


def test_client_certificate_is_set_on_the_session(tmp_path):
    cert = tmp_path / "c.pem"
    cert.write_text("x")
    client = NetboxClient("http://nb.test", TOKEN, cert=str(cert))
    assert client.session.cert == str(cert)


# ---------------------------------------------------------------- the cache key holds everything that changes an answer

def _cache_key(**changes):
    from ansible_collections.sot.netbox.plugins.module_utils._connection import build_client
    options = {"url": "http://nb.test", "token": TOKEN, "cache": False, "headers": {}, **changes.pop("client", {})}
    client = build_client(options)
    seen = []
    client.cache.backend.get = seen.append  # record the key, always a miss
    call = {"path": "ipam/prefixes", "params": {"role": "pool"}, "options": {}, **changes}
    client._session = FakeSession({("GET", "/api/" + call["path"].strip("/") + "/"): [answer(
        {"count": 0, "next": None, "results": []})]})
    client.list(call["path"], call["params"], cache="dynamic", **call["options"])
    return seen[0]


# Every NetboxClient/list() parameter, and whether it can change NetBox's answer.
ANSWER_CHANGING = {
    "url": {"client": {"url": "http://other.test"}},
    "token": {"client": {"token": V2}},  # another user may see other objects
    "headers": {"client": {"headers": {"X-Tenant": "b"}}},  # a proxy may route on them
    "path": {"path": "ipam/vlans"},
    "params": {"params": {"role": "other"}},  # e.g. a segment's pool_role
    "fields": {"options": {"fields": ["id"]}},
    "brief": {"options": {"brief": True}},
    "omit": {"options": {"omit": ["tags"]}},
    "cursor": {"options": {"cursor": True}},
}
ANSWER_NEUTRAL = {"validate_certs", "ca_path", "cert", "key", "timeout", "max_workers", "page_size", "retry", "cache",
                  "metrics", "session", "sleep", "rng"}


def test_every_client_parameter_is_classified():
    import inspect
    constructor = set(inspect.signature(NetboxClient.__init__).parameters) - {"self"}
    listing = set(inspect.signature(NetboxClient.iter_all).parameters) - {"self", "page_size"}
    assert constructor | listing == set(ANSWER_CHANGING) | ANSWER_NEUTRAL


@pytest.mark.parametrize("name", sorted(ANSWER_CHANGING))
def test_each_answer_changing_parameter_is_in_the_cache_key(name):
    assert _cache_key(**ANSWER_CHANGING[name]) != _cache_key()


def test_ttl_zero_bypasses_entries_cached_earlier():
    from ansible_collections.sot.netbox.plugins.module_utils._cache import MemoryBackend, ResponseCache
    backend = MemoryBackend()
    routes = {("GET", "/api/ipam/roles/"): [answer({"count": 1, "next": None, "results": [{"id": 1}]})]}
    warm, _session, _sleeps = make(routes, cache=ResponseCache(backend, "http://nb.test", TOKEN))
    warm.list("ipam/roles", cache="static")
    cold, session, _sleeps = make(routes, cache=ResponseCache(backend, "http://nb.test", TOKEN, {"static": 0}))
    cold.list("ipam/roles", cache="static")
    assert len(session.calls) == 1 and cold.metrics.to_dict()["cache_hits"] == 0


@pytest.mark.parametrize("method, exc, applied", [
    ("POST", requests.exceptions.ReadTimeout("slow"), True), ("GET", requests.exceptions.ReadTimeout("slow"), False),
    ("POST", requests.exceptions.ConnectTimeout("never connected"), False)])
def test_a_write_that_timed_out_after_sending_may_have_applied(method, exc, applied):
    client, _session, _sleeps = make({(method, "/api/dcim/sites/"): [exc]}, retry=RetryPolicy(retries=0))
    with pytest.raises(errors.Timeout) as info:
        client.request(method, "dcim/sites", body={"name": "a"} if method == "POST" else None)
    assert info.value.may_have_applied is applied
