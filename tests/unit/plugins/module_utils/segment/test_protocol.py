# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The claim protocol's transitions as pure functions: every branch without a fake NetBox."""
from __future__ import annotations

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._segment import protocol
from ansible_collections.sot.netbox.plugins.module_utils._segment.protocol import ClaimState, after_marker_read

NOW = protocol.parse_time("2026-11-22T01:00:00Z")
OLD = "2026-11-22T00:00:00Z"        # an hour before NOW
YOUNG = "2026-11-22T00:59:50Z"      # ten seconds before NOW
OURS = {"id": 7, "slug": "sot-claim-p3", "description": "sot.netbox segment claim nonce=n1 prefix=p key=k"}
THEIRS = {"id": 8, "slug": "sot-claim-p3", "description": "sot.netbox segment claim nonce=zz prefix=p key=o",
          "created": YOUNG}
STALE = dict(THEIRS, created=OLD)
SAME_IDENTITY = {"id": 9, "slug": "sot-claim-p4", "name": "sot-claim dev/dc-east/k"}


@pytest.mark.parametrize("attempt, by_slug, by_name, do", [
    (0, OURS, None, protocol.WON),                 # our POST was applied; its answer was lost
    (0, OURS, SAME_IDENTITY, protocol.WON),
    (0, None, SAME_IDENTITY, protocol.ADOPT),      # this identity already claims another segment
    (0, THEIRS, SAME_IDENTITY, protocol.ADOPT),
    (0, None, None, protocol.RAISE),               # no marker: the rejection was about something else
    (0, STALE, None, protocol.RETRY),              # abandoned mid-claim: delete it by id, claim again
    (1, STALE, None, protocol.TAKEN),              # only once
    (0, THEIRS, None, protocol.TAKEN),             # a live competitor has it
])
def test_after_marker_read(attempt, by_slug, by_name, do):
    step = after_marker_read(ClaimState(attempt, "n1", 900), by_slug, by_name, NOW)
    assert step.do == do
    if do in (protocol.WON, protocol.ADOPT, protocol.RETRY):
        assert step.marker is (by_slug if do != protocol.ADOPT else by_name)


def test_claim_timeout_zero_never_takes_over():
    assert after_marker_read(ClaimState(0, "n1", 0), STALE, None, NOW).do == protocol.TAKEN


@pytest.mark.parametrize("holder, free, created, waited, step", [
    ("k", False, YOUNG, False, protocol.DONE),      # the segment holds our key already
    ("other", False, YOUNG, False, protocol.HELD),
    (None, True, YOUNG, False, protocol.AWAIT),     # a concurrent claim still in flight: wait, never PATCH twice
    (None, True, OLD, False, protocol.PATCH),       # an interrupted claim: finish it
    (None, True, YOUNG, True, protocol.PATCH),      # waited and still free: finish it
    ("k", False, YOUNG, True, protocol.HELD),       # changed while waiting: report, as before
])
def test_adoption_step(holder, free, created, waited, step):
    marker = {"created": created}
    assert protocol.adoption_step(holder, "k", free, marker, NOW, 60, waited) == step


def test_claim_names_are_unique_per_segment_and_identity():
    assert protocol.claim_slug(5) == "sot-claim-p5"
    assert protocol.prefix_id_of_claim("sot-claim-p5") == 5 and protocol.prefix_id_of_claim("prod") is None
    assert protocol.claim_name("prod", "dc-east", "k") == "sot-claim prod/dc-east/k"
    long = protocol.claim_name("prod", "dc-east", "k" * 200)
    assert len(long) <= protocol.TAG_MAX and long != protocol.claim_name("prod", "dc-east", "k" * 199)
    assert protocol.nonce_of(protocol.claim_description("abc", "k", "10.0.0.0/24")) == "abc"


@pytest.mark.parametrize("created, now, timeout, stale", [
    ("2026-01-01T00:00:00Z", 1767225600 + 901, 900, True),
    ("2026-01-01T00:00:00.5Z", 1767225600 + 10, 900, False),
    ("2026-01-01T00:00:00Z", 1767225600 + 10 ** 6, 0, False),
])
def test_stale_claims(created, now, timeout, stale):
    assert protocol.is_stale(created, now, timeout) is stale


def test_claim_order_spreads_claimants_but_keeps_every_candidate():
    rows = [{"id": i} for i in range(10)]
    starts = {protocol.claim_order(rows, f"k{i}")[0]["id"] for i in range(40)}
    assert len(starts) > 3
    assert sorted(r["id"] for r in protocol.claim_order(rows, "k")) == list(range(10))
