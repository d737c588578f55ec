# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What `--diff` shows, as text. PRIVATE to the collection. No Ansible imports.

Ansible's callbacks print a dict `before`/`after` with `json.dumps`' default `ensure_ascii`, so a
name such as `Zürich` reaches the person as `Z\\u00fcrich`. Handing them text instead keeps every
name as it was written.
"""
from __future__ import annotations

import json
from typing import Any


def diff_text(value: Any) -> str:
    """`value` (dicts, lists, scalars) as indented JSON with non-ASCII kept, keys sorted, and a
    final newline (so difflib does not flag the last line as changed)."""
    if value is None:
        return ""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n"


def diff_entry(before: Any, after: Any, before_header: str | None = None, after_header: str | None = None) -> dict:
    """One Ansible diff dict with text sides (see the module docstring)."""
    out = {"before": diff_text(before), "after": diff_text(after)}
    if before_header:
        out["before_header"] = before_header
    if after_header:
        out["after_header"] = after_header
    return out
