# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bounds on what one plan may ask for, checked before anything is expanded. PRIVATE. Pure.

A plan is data from a file a person wrote; a typo (`Ethernet49-9999999`, `quantity: 10000000`) must
be a clear error in milliseconds, never minutes of expansion or a MemoryError. Every bound is
documented (docs/netbox_plan_generate.md) and can be raised with the module option `limits`.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from ansible_collections.sot.netbox.plugins.module_utils._errors import FieldError


@dataclass(frozen=True)
class Limits:
    ports: int = 1024            # ports in one port list (a range, a list, or both) of one class
    quantity: int = 1000         # devices of one class (a server quantity or a switch override)
    redundancy: int = 16         # switch group size
    classes: int = 64            # switch classes plus server classes
    interfaces: int = 256        # extra interfaces of one class
    connections: int = 64        # connections of one server class
    devices: int = 5000          # devices of the whole plan (calculated switches included)
    links: int = 50000           # cables of the whole plan
    file_bytes: int = 1048576    # size of a plan file
    yaml_aliases: int = 100      # YAML aliases (*ref) in a plan file
    yaml_depth: int = 32         # nesting depth of a plan file

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


NAMES = tuple(f.name for f in fields(Limits))
_CEILING = 10 ** 9  # an override is still a bound: no "unlimited" by accident


def limits_from_option(value: Any) -> tuple:
    """(Limits, [FieldError]) from the module option `limits` (a dict of names to positive integers)."""
    if value in (None, {}):
        return Limits(), []
    if not isinstance(value, dict):
        return Limits(), [FieldError("limits", f"must be a mapping of {', '.join(NAMES)} to integers", value)]
    errors, chosen = [], {}
    for key, number in value.items():
        if key not in NAMES:
            errors.append(FieldError(f"limits.{key}", f"unknown limit; known: {', '.join(NAMES)}"))
        elif isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= _CEILING:
            errors.append(FieldError(f"limits.{key}", f"must be an integer from 1 to {_CEILING}", number))
        else:
            chosen[key] = number
    return Limits(**chosen), errors
