# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one retry policy, applied at the client boundary. PRIVATE to the collection.

Retries only what is transient: HTTP 429/502/503/504 and connection-level failures. Delays are
exponential with full jitter, and a server's Retry-After wins when it asks for longer. Sleeping and
randomness are injected, so tests never sleep.
"""
from __future__ import annotations

import email.utils
import random
import time
from dataclasses import dataclass
from typing import Any, Callable

RETRY_STATUSES = frozenset({429, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})
# A POST is retried only when the server certainly did not act on it: it refused to (429, 503),
# or the connection was never made. A 502/504 or a reset after sending may hide a created object.
SAFE_POST_STATUSES = frozenset({429, 503})


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = 4
    backoff: float = 0.5
    max_backoff: float = 20.0
    max_retry_after: float = 60.0

    def retry_status(self, method: str, status: int) -> bool:
        if status not in RETRY_STATUSES:
            return False
        return method in IDEMPOTENT_METHODS or status in SAFE_POST_STATUSES

    def retry_connection_error(self, method: str, connected: bool) -> bool:
        """`connected` is False when the request never reached the server (refused, DNS, connect timeout)."""
        return method in IDEMPOTENT_METHODS or not connected

    def delay(self, attempt: int, retry_after: Any = None, rng: Callable[[], float] = random.random) -> float:
        """Seconds to wait before retry number `attempt` (0-based)."""
        ceiling = min(self.max_backoff, self.backoff * (2 ** attempt))
        jittered = ceiling * rng()
        server = parse_retry_after(retry_after)
        if server is not None:
            return max(jittered, min(server, self.max_retry_after))
        return jittered


def parse_retry_after(value: Any, now: Callable[[], float] = time.time) -> float | None:
    """Retry-After is either delta-seconds or an HTTP date; None when absent or unreadable."""
    if value is None or value == "":
        return None
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        pass
    try:
        when = email.utils.parsedate_to_datetime(str(value))
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - now())
