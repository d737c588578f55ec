# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inventory's cache entry: the fetched data, the built inventory and the change watermark. PRIVATE; pure.

The data and the built inventory are stored as compressed JSON *strings* inside the entry (zlib, base64).
Ansible's cache plugins decode an entry with a per-object hook (data tagging), which on 15,000 hosts costs
seconds, and the file plugins escape a JSON string once more per level (35 MB for 15,000 hosts); one
base64 string is one token for them, about a tenth of the size, and the standard library's C decoder
reads it back in a fraction of the time. A run that
the change log proves unchanged decodes only the built inventory and builds nothing; a delta run decodes
the data, merges and builds. The built inventory is not reused when a grouping depends on the clock
(`utc_offset`): it is rebuilt from the data then, as every run did before.
"""
from __future__ import annotations

import base64
import binascii
import json
import zlib
from typing import Any

CACHE_FORMAT = 4  # 2: services as NetBox returns them; 3: the change watermark; 4: data and built as JSON strings
CLOCK_KEYS = frozenset(("utc_offset",))  # groupings whose value depends on the time of the run


def valid(entry: Any, fingerprint: str) -> bool:
    """An entry of this format, for exactly these options, URL and token."""
    return (isinstance(entry, dict) and entry.get("format") == CACHE_FORMAT and entry.get("fingerprint") == fingerprint
            and isinstance(entry.get("data"), str))


def reusable_built(settings: Any) -> bool:
    """Whether a built inventory stays right while NetBox does not change (no clock-dependent grouping)."""
    return not CLOCK_KEYS & set(settings.group_by)


def pack(value: Any) -> str:
    """JSON, compressed (level 1: most of the size for little time), as base64 text."""
    return base64.b64encode(zlib.compress(json.dumps(value, separators=(",", ":")).encode(), 1)).decode("ascii")


def unpack(text: Any) -> Any:
    """`pack`'s value, or None when `text` is not one (a damaged entry is a cache miss, not an error)."""
    if not isinstance(text, str):
        return None
    try:
        return json.loads(zlib.decompress(base64.b64decode(text)))
    except (binascii.Error, zlib.error, ValueError):
        return None


def encode(fingerprint: str, data: dict | str, built: dict | str | None, watermark: dict | None) -> dict:
    """The entry to store; `data`/`built` may already be packed (an unchanged run re-stores them as they are)."""
    if not isinstance(data, str):
        data = pack({k: v for k, v in data.items() if k != "warnings"})
    if built is not None and not isinstance(built, str):
        built = pack(built)
    return {"format": CACHE_FORMAT, "fingerprint": fingerprint, "data": data, "built": built, "watermark": watermark}


def data_of(entry: dict) -> dict | None:
    data = unpack(entry.get("data"))
    return data if isinstance(data, dict) else None


def built_of(entry: dict) -> dict | None:
    """The cached built inventory, or None when the entry has none."""
    built = unpack(entry.get("built"))
    return built if isinstance(built, dict) and {"hosts", "groups", "warnings"} <= set(built) else None
