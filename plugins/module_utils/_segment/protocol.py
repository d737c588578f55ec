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
    if slug and slug.startswith(CLAIM_SLUG_PREFIX) and slug[len(CLAIM_SLUG_PREFIX):].isdigit():
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
