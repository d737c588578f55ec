# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The generic HTTP transport: statuses are returned (callers classify), transient ones retried
under the one policy, connection failures named after the service."""
from __future__ import annotations

import ssl

import pytest
import requests

from ansible_collections.sot.netbox.plugins.module_utils._errors import (
    ConnectionFailed, ResponseIncomplete, ResponseNotJson, Timeout)
from ansible_collections.sot.netbox.plugins.module_utils._http import HttpTransport
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.publish.recorder import Recorder, Resp


def transport(routes):
    sleeps = []
    session = Recorder(routes)
    return HttpTransport("WebDAV", "https://dav.test", session=session, sleep=sleeps.append), session, sleeps


@pytest.mark.parametrize("method, answers, calls, status", [
    ("PUT", [Resp(503, raw=b""), Resp(201, raw=b"")], 2, 201),     # idempotent: retried
    ("POST", [Resp(502, raw=b""), Resp(201, raw=b"")], 1, 502),    # may have acted: not retried
    ("POST", [Resp(429, raw=b""), Resp(201, raw=b"")], 2, 201),    # refused: safe to retry
    ("PUT", [Resp(404, raw=b"")], 1, 404),                         # not transient: returned as is
])
def test_retries_follow_the_policy(method, answers, calls, status):
    http, session, sleeps = transport({(method, "/f"): answers})
    assert http.send(method, "https://dav.test/f").status_code == status
    assert len(session.calls) == calls and len(sleeps) == calls - 1
    assert http.metrics.to_dict()["retries"] == calls - 1


@pytest.mark.parametrize("exc, expected, text", [
    (requests.exceptions.ReadTimeout("slow"), Timeout, "WebDAV at https://dav.test did not answer PUT /f within 30s"),
    (requests.exceptions.ConnectionError("Connection refused"), ConnectionFailed,
     "cannot reach WebDAV at https://dav.test (option url) for PUT /f: connection refused (5 attempts)"),
])
def test_connection_failures_name_the_service(exc, expected, text):
    http, session, _sleeps = transport({("PUT", "/f"): [exc]})
    with pytest.raises(expected) as err:
        http.send("PUT", "https://dav.test/f")
    assert text in err.value.message and len(session.calls) == 5


def test_cut_off_read_is_retried_then_answered():
    answers = [requests.exceptions.ChunkedEncodingError("cut"), Resp(200, raw=b"ok")]
    http, session, _sleeps = transport({("GET", "/f"): answers})
    assert http.send("GET", "https://dav.test/f").content == b"ok" and len(session.calls) == 2


@pytest.mark.parametrize("method, raw, expected, calls, applied", [
    ("GET", b"<html><title>Login</title></html>", ResponseNotJson, 5, False),  # a proxy's page: retried
    ("POST", b'{"results": [', ResponseIncomplete, 1, True),                   # a write: never sent again
])
def test_unreadable_json_answers(method, raw, expected, calls, applied):
    http, session, _sleeps = transport({(method, "/f"): [Resp(200, raw=raw)]})
    with pytest.raises(expected) as err:
        http.send(method, "https://dav.test/f", decode=True)
    assert len(session.calls) == calls and err.value.may_have_applied is applied
    assert err.value.message.startswith(f"WebDAV's answer to {method} /f")


def test_tls_failure_is_one_line_naming_service_and_options():
    cause = ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    cause.verify_message = "self-signed certificate"
    http = HttpTransport("Confluence", "https://c.test", session=Recorder({("GET", "/f"): [
        requests.exceptions.SSLError(cause)]}), option="targets[].")
    with pytest.raises(ConnectionFailed) as err:
        http.send("GET", "https://c.test/f")
    assert err.value.message == ("TLS verification failed for https://c.test (GET /f): self-signed certificate. "
                                 "To fix: use a certificate Confluence's clients trust, set targets[].ca_path to the "
                                 "CA bundle that signed it, or (not recommended) targets[].validate_certs: false")


def test_messages_are_redacted():
    http = HttpTransport("WebDAV", "https://dav.test/s3cr3t-in-url", redact=lambda text: text.replace("s3cr3t", "*"),
                         session=Recorder({("PUT", "/f"): [requests.exceptions.ConnectionError("Connection refused")]}),
                         sleep=lambda s: None)
    with pytest.raises(ConnectionFailed) as err:
        http.send("PUT", "https://dav.test/f")
    assert "s3cr3t" not in err.value.message
