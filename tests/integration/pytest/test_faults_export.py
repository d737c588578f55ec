# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""netbox_export when NetBox's answer is cut off mid-body (issue 13 §1), against the real NetBox
behind the loopback fault proxy: a body truncated after a 200 (short of its Content-Length, or a
complete but cut JSON document), a connection reset mid-body, an HTML page answered with 200.

Every case ends in success (the client retried the idempotent GET) or a clear error that names
what happened (never JSONDecodeError, ChunkedEncodingError or a traceback); the previous export is
byte-for-byte and mtime intact, no spool is left in dest, and a re-run converges.
"""
from __future__ import annotations

import hashlib
import os
import pathlib

import pytest
import requests

from ansible_collections.sot.netbox.plugins.modules import netbox_export

import modharness  # pylint: disable=import-error
from faultproxy import _HOP_HEADERS, FaultProxy, _reset  # pylint: disable=import-error

URL = os.environ["NETBOX_URL"]
TOKEN = os.environ["NETBOX_TOKEN"]
LOGIN_PAGE = b"<!DOCTYPE html><html><head><title>Sign in</title></head><body><form>proxy login</form></body></html>"
RAW_ERRORS = ("JSONDecodeError", "ChunkedEncodingError", "IncompleteRead", "ProtocolError", "Traceback",
              "unexpected error")


class CuttingProxy(FaultProxy):
    """FaultProxy with body faults: `truncate` (half the body, full Content-Length, then close),
    `cut-json` (half the body with a matching Content-Length: valid HTTP, broken JSON), `reset-body`
    (half the body, then a TCP RST) and `html` (a login page with 200)."""

    BODY_FAULTS = ("truncate", "cut-json", "reset-body", "html")

    def handle(self, req):
        rule = self._peek(req.command, req.path)
        if rule is None:
            return super().handle(req)
        self._take_rule(req.command, req.path)
        self._record(req.command, req.path, rule.action)
        if rule.action == "html":
            return _send(req, 200, {"Content-Type": "text/html"}, LOGIN_PAGE, len(LOGIN_PAGE))
        headers = {k: v for k, v in req.headers.items() if k.lower() not in _HOP_HEADERS}
        upstream = self._session.request(req.command, self.upstream + req.path, headers=headers, timeout=120)
        body = upstream.content
        half = body[: max(1, len(body) // 2)]
        kept = {k: v for k, v in upstream.headers.items() if k.lower() not in _HOP_HEADERS}
        if rule.action == "cut-json":
            return _send(req, upstream.status_code, kept, half, len(half))
        _send(req, upstream.status_code, kept, half, len(body))
        if rule.action == "reset-body":
            return _reset(req)
        req.close_connection = True
        req.wfile.flush()
        req.connection.shutdown(2)
        return None

    def _peek(self, method, path):
        with self.lock:
            for rule in self.rules:
                if rule.times > 0 and rule.matches(method, path):
                    return rule if rule.action in self.BODY_FAULTS and rule.skip == 0 else None
        return None


def _send(req, status, headers, body, length):
    req.send_response(status)
    for k, v in headers.items():
        req.send_header(k, v)
    req.send_header("Content-Length", str(length))
    req.end_headers()
    try:
        req.wfile.write(body)
    except (BrokenPipeError, ConnectionResetError):
        pass


@pytest.fixture
def proxy(monkeypatch):
    modharness.install(monkeypatch)
    with CuttingProxy(URL) as p:
        yield p


def snapshot(directory):
    return {p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(pathlib.Path(directory).iterdir())}


def args(proxy, dest, tmp_path, **extra):
    # The cache is off so every lookup crosses the proxy too.
    return {"url": proxy.url, "token": TOKEN, "dest": str(dest), "cache": False, **extra}


@pytest.mark.parametrize("fault", CuttingProxy.BODY_FAULTS)
@pytest.mark.parametrize("path", ["/api/dcim/devices/",
                                  "/api/tenancy/contact-assignments/", "/api/extras/custom-fields/"])
@pytest.mark.parametrize("times", [1, 50])
def test_an_answer_cut_off_mid_body_is_survived_or_a_clear_error(proxy, tmp_path, fault, path, times):
    dest = tmp_path / "export"
    first = modharness.invoke(netbox_export, args(proxy, dest, tmp_path))
    assert not first["failed"], first.get("msg")
    before = snapshot(dest)
    proxy.add(fault, method="GET", path=path, times=times)
    result = modharness.invoke(netbox_export, args(proxy, dest, tmp_path))
    text = str(result)
    assert not any(raw in text for raw in RAW_ERRORS), result.get("msg")
    assert proxy.count(path=path, outcome=fault) >= 1
    if result["failed"]:
        assert "NetBox" in result["msg"] and path.strip("/").split("/", 1)[1] in result["msg"], result["msg"]
    else:
        assert times == 1 and result["changed"] is False  # retried: the same export
    assert snapshot(dest) == before  # previous files intact, no spool left behind
    proxy.rules.clear()
    again = modharness.invoke(netbox_export, args(proxy, dest, tmp_path))
    assert not again["failed"] and again["changed"] is False, again.get("msg")
    assert snapshot(dest) == before


def test_the_proxy_really_cuts_bodies(proxy):
    """The faults above are what they claim: requests itself fails on each."""
    headers = {"Authorization": f"Token {TOKEN}", "Accept": "application/json"}
    for fault in CuttingProxy.BODY_FAULTS:
        proxy.add(fault, path="/api/dcim/devices/", times=1)
        try:
            response = requests.get(f"{proxy.url}/api/dcim/devices/", headers=headers, timeout=60)
            response.json()
        except (requests.exceptions.RequestException, ValueError):
            continue
        pytest.fail(f"{fault}: the answer was complete JSON")
