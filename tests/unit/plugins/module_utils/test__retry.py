# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one retry policy as data: what is retried, how long it waits, Retry-After. Its use at the
client boundary (which requests are retried, bounded, never sleeping) is in test__client.py."""
from __future__ import annotations

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._retry import RetryPolicy, parse_retry_after


@pytest.mark.parametrize("value, expected", [("5", 5.0), ("0", 0.0), ("-3", 0.0), ("", None), (None, None),
                                             ("soon", None)])
def test_parse_retry_after(value, expected):
    assert parse_retry_after(value) == expected


def test_retry_after_http_date():
    assert parse_retry_after("Sun, 22 Nov 2026 00:00:10 GMT", now=lambda: 1795305600.0) == 10.0


def test_backoff_is_capped_and_jittered():
    policy = RetryPolicy(backoff=1, max_backoff=4)
    assert [policy.delay(a, rng=lambda: 1.0) for a in range(5)] == [1, 2, 4, 4, 4]
    assert policy.delay(3, rng=lambda: 0.0) == 0.0
    assert policy.delay(0, retry_after="500", rng=lambda: 0.0) == policy.max_retry_after


@pytest.mark.parametrize("method, status, retried", [
    ("GET", 502, True), ("GET", 504, True), ("PATCH", 503, True), ("DELETE", 429, True),
    ("POST", 429, True), ("POST", 503, True), ("POST", 502, False), ("POST", 504, False),
    ("GET", 500, False), ("GET", 404, False), ("GET", 400, False),
])
def test_which_statuses_are_retried(method, status, retried):
    assert RetryPolicy().retry_status(method, status) is retried


@pytest.mark.parametrize("method, connected, retried", [
    ("GET", True, True), ("GET", False, True), ("POST", False, True), ("POST", True, False),
])
def test_connection_errors_retried_only_when_safe(method, connected, retried):
    assert RetryPolicy().retry_connection_error(method, connected) is retried
