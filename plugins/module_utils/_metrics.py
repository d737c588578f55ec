# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Client metrics: what every module returns as `metrics`. PRIVATE to the collection."""
from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any, Callable


class Metrics:
    """Thread-safe counters: requests by method, retries, cache hits/misses, bytes and seconds."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._started = clock()
        self.requests = Counter()
        self.counters = Counter()
        self.http_seconds = 0.0
        self.notes = {}  # what a feature reports about its run (the export's sync path, ...)

    def request(self, method: str, sent: int, received: int, seconds: float) -> None:
        with self._lock:
            self.requests[method] += 1
            self.counters["bytes_sent"] += sent
            self.counters["bytes_received"] += received
            self.http_seconds += seconds

    def incr(self, name: str, amount: int = 1) -> None:
        with self._lock:
            self.counters[name] += amount

    def note(self, name: str, value: Any) -> None:
        with self._lock:
            self.notes[name] = value

    def to_dict(self) -> dict:
        with self._lock:
            return {
                "requests": sum(self.requests.values()),
                "requests_by_method": dict(sorted(self.requests.items())),
                "retries": self.counters["retries"],
                "cache_hits": self.counters["cache_hits"],
                "cache_misses": self.counters["cache_misses"],
                "coalesced": self.counters["coalesced"],
                "bytes_sent": self.counters["bytes_sent"],
                "bytes_received": self.counters["bytes_received"],
                "http_seconds": round(self.http_seconds, 3),
                "seconds": round(self._clock() - self._started, 3),
                **self.notes,
            }
