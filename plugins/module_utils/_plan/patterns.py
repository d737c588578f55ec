# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Device name patterns: only the documented fields, no attribute or index access. PRIVATE. Pure.

Patterns look like Python format strings (`{plan}-{class}-{index:02d}`), but a format string may
reach into an object (`{plan.__class__.__mro__}`, `{index[0]}`): here every replacement field must
be exactly one of NAME_FIELDS, with no conversion and a plain width/alignment spec, so rendering a
pattern can only ever produce text from the plan's own values.
"""
from __future__ import annotations

import re
import string

NAME_FIELDS = ("plan", "class", "index", "site", "role")
MAX_PATTERN = 200
# fill/align, sign, zero padding, a width below 100, an optional type: enough for `02d`, `>3`, `s`.
_SPEC = re.compile(r"^(?:.?[<>=^])?[+ -]?0?\d{0,2}[ds]?$")
_SAMPLE = {"plan": "p", "class": "c", "index": 1, "site": "s", "role": "r"}


def pattern_problem(pattern: str) -> str | None:
    """Why `pattern` is not an allowed name pattern, or None."""
    if len(pattern) > MAX_PATTERN:
        return f"a name pattern is at most {MAX_PATTERN} characters (this one has {len(pattern)})"
    allowed = ", ".join("{" + f + "}" for f in NAME_FIELDS)
    try:
        parts = list(string.Formatter().parse(pattern))
    except ValueError as exc:
        return f"not a valid name pattern ({exc}); fields: {allowed}"
    used = set()
    for _literal, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in NAME_FIELDS:
            return f"unknown field {{{name}}}: a pattern may use only {allowed} (no attributes or indexes)"
        if conversion is not None or not _SPEC.match(spec or "") or "{" in (spec or ""):
            return f"field {{{name}}} has a format {('!' + conversion) if conversion else ':' + spec!r} " \
                   "that is not allowed: use a plain width such as {index:02d}"
        used.add(name)
    if "index" not in used:
        return "must contain {index} so names are unique"
    try:
        render(pattern, _SAMPLE)
    except (ValueError, TypeError) as exc:
        return f"not a valid name pattern ({exc}); fields: {allowed}"
    return None


def render(pattern: str, values: dict) -> str:
    """The name for one device from {plan, class, index, site, role}; `pattern` passed pattern_problem."""
    return pattern.format(**{name: values[name] for name in NAME_FIELDS})
