# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pure rules of the claim protocol: marker names, ownership, order, and its transitions. PRIVATE.

No I/O. Each transition takes what the protocol knows and NetBox's answer, and returns the next
step; `claim.Allocator` is the thin loop that performs the step's request and feeds the answer
back. So every branch of the protocol is a unit test of a function, without a fake NetBox.
"""
from __future__ import annotations

import datetime
import hashlib
import re
from dataclasses import dataclass
from typing import Any, Optional

from ansible_collections.sot.netbox.plugins.module_utils._digits import ascii_digits

CLAIM_SLUG_PREFIX = "sot-claim-p"
CLAIM_NAME_PREFIX = "sot-claim "
TAG_MAX = 100          # NetBox tag name and slug length


def claim_slug(prefix_id: Any) -> str:
    """One marker per segment: NetBox's unique tag slug makes the second claim fail."""
    return f"{CLAIM_SLUG_PREFIX}{int(prefix_id)}"


def claim_name(vrf: str, site_group: str, key: str) -> str:
    """One marker per allocation identity: NetBox's unique tag name makes a second segment for it fail."""
    name = f"{CLAIM_NAME_PREFIX}{vrf}/{site_group}/{key}"
    if len(name) <= TAG_MAX:
        return name
    return CLAIM_NAME_PREFIX + hashlib.sha256(f"{vrf}/{site_group}/{key}".encode()).hexdigest()[:64]


def claim_description(nonce: str, key: str, prefix: str) -> str:
    return f"sot.netbox segment claim nonce={nonce} prefix={prefix} key={key}"[:200]


def nonce_of(description: Optional[str]) -> Optional[str]:
    for word in (description or "").split():
        if word.startswith("nonce="):
            return word[len("nonce="):]
    return None


def prefix_id_of_claim(slug: Optional[str]) -> Optional[int]:
    if slug and slug.startswith(CLAIM_SLUG_PREFIX) and ascii_digits(slug[len(CLAIM_SLUG_PREFIX):]):
        return int(slug[len(CLAIM_SLUG_PREFIX):])
    return None


def parse_time(value: Any) -> float:
    """NetBox's ISO timestamps ('2026-11-22T00:33:04.908767Z') as epoch seconds."""
    # Python 3.10's fromisoformat takes only 3 or 6 fraction digits: pad or cut to 6.
    text = re.sub(r"\.(\d+)", lambda m: "." + m.group(1).ljust(6, "0")[:6], str(value).replace("Z", "+00:00"))
    return datetime.datetime.fromisoformat(text).timestamp()


def is_stale(created: Any, now: float, timeout: float) -> bool:
    """A claim older than `timeout` seconds whose segment is still free was abandoned mid-claim."""
    return timeout > 0 and created is not None and now - parse_time(created) > timeout


def claim_order(candidates: list, key: Any) -> list:
    """Candidates by id, starting at a place chosen by the key: concurrent claimants spread out
    instead of all racing for the first free segment (fewer lost claims, same correctness)."""
    rows = sorted(candidates, key=lambda r: r["id"])
    if not rows:
        return rows
    start = int(hashlib.sha256(str(key).encode()).hexdigest(), 16) % len(rows)
    return rows[start:] + rows[:start]


# ---------------------------------------------------------------- transitions (state + NetBox's answer -> next step)

WON, TAKEN, ADOPT, RAISE, RETRY = "won", "taken", "adopt", "raise", "retry"   # outcomes of one marker POST
DONE, HELD, DANGLING, AWAIT, PATCH = "done", "held", "dangling", "await", "patch"  # steps of an adoption


@dataclass(frozen=True)
class ClaimState:
    """What a claimant knows about its claim of one segment: the attempt and its nonce."""

    attempt: int
    nonce: str
    timeout: float              # claim_timeout: an older marker on a free segment was abandoned


@dataclass(frozen=True)
class Step:
    do: str                     # one of the outcome / step names above
    marker: Optional[dict] = None


def after_marker_read(state: ClaimState, by_slug: Optional[dict], by_name: Optional[dict], now: float) -> Step:
    """After a marker POST failed (or its answer was lost), from the markers read back by slug and name:

    ours by nonce: the POST was applied (WON); this identity's marker: ADOPT it; no marker for the
    segment: NetBox's rejection was about something else (RAISE it); an abandoned marker on the
    first attempt: delete it by id and POST again (RETRY: a competitor's newer marker has another
    id and survives); any other marker: the segment is TAKEN."""
    if by_slug and nonce_of(by_slug.get("description")) == state.nonce:
        return Step(WON, by_slug)
    if by_name:
        return Step(ADOPT, by_name)
    if by_slug is None:
        return Step(RAISE)
    if state.attempt == 0 and is_stale(by_slug.get("created"), now, state.timeout):
        return Step(RETRY, by_slug)
    return Step(TAKEN)


def adoption_step(holder: Optional[str], key: str, free: bool, marker: dict, now: float, in_flight: float,
                  waited: bool = False) -> str:
    """What to do with this identity's marker, from the segment it names (`holder`: its key field,
    `free`: whether it is free; None for a segment that is gone): DONE (it holds our key already),
    DANGLING / HELD (a contradiction to report), AWAIT (a concurrent run, younger than `in_flight`,
    is about to PATCH it: wait for it instead of writing twice) or PATCH (an interrupted run's claim:
    finish it). After a wait (`waited`) the segment is re-read: only HELD or PATCH remain."""
    if holder == key and not waited:
        return DONE
    if not free:
        return HELD
    if not waited and not is_stale(marker.get("created"), now, in_flight):
        return AWAIT
    return PATCH
