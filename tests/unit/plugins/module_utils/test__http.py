# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The generic HTTP transport: statuses are returned (callers classify), transient ones retried
under the one policy, connection failures named after the service."""
from __future__ import annotations

import pytest
import requests

from ansible_collections.sot.netbox.plugins.module_utils._errors import ConnectionFailed, Timeout
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
    (requests.exceptions.ReadTimeout("slow"), Timeout, "WebDAV did not answer PUT https://dav.test/f within 30s"),
    (requests.exceptions.ConnectionError("Connection refused"), ConnectionFailed, "cannot reach WebDAV at https://dav.test"),
])
def test_connection_failures_name_the_service(exc, expected, text):
    http, session, _sleeps = transport({("PUT", "/f"): [exc]})
    with pytest.raises(expected) as err:
        http.send("PUT", "https://dav.test/f")
    assert text in err.value.message and len(session.calls) == 5
