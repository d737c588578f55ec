# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One validation pass over a plan, before any request that writes. PRIVATE to the collection.

Schema, bounds, the plan's own consistency, references and ports (against NetBox's lookup tables),
choice values (status, cable and interface types, against NetBox's choice sets) and the switch
capacity are all checked in the same run and reported together, each as a FieldError with its
path; only the collision check (names already used in NetBox) needs a plan that expanded cleanly.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ansible_collections.sot.netbox.plugins.module_utils._plan.calculate import calculate
from ansible_collections.sot.netbox.plugins.module_utils._plan.checks import (
    Catalog, check_against, check_bounds, check_plan, check_totals)
from ansible_collections.sot.netbox.plugins.module_utils._plan.choices import FRAGMENT, check_choices, outside
from ansible_collections.sot.netbox.plugins.module_utils._plan.diff import Current
from ansible_collections.sot.netbox.plugins.module_utils._plan.expand import collisions, expand
from ansible_collections.sot.netbox.plugins.module_utils._plan.limits import Limits
from ansible_collections.sot.netbox.plugins.module_utils._plan.model import parse_plan
from ansible_collections.sot.netbox.plugins.module_utils._plan.reads import (
    load_catalog, load_choices, read_collisions, read_current)
from ansible_collections.sot.netbox.plugins.module_utils._plan.store import read_record


@dataclass
class Validated:
    """A plan and everything read to validate it; `errors` empty means it may be written."""
    plan: Any                       # model.Plan
    errors: list = field(default_factory=list)
    catalog: Catalog = field(default_factory=Catalog)
    refs: dict = field(default_factory=dict)
    calc: Any = None                # calculate.Calculation, once the plan is structurally sound
    desired: Any = None             # expand.Desired, once the plan validates
    record: dict | None = None
    current: Current = field(default_factory=Current)
    foreign: dict = field(default_factory=dict)
    tag_id: int | None = None


def validate(client: Any, data: Any, limits: Limits = Limits(), records: Any = None) -> Validated:
    """Every error of the plan at once; reads NetBox, never writes. `records` reads the status record
    (main's client when the objects are in a branch; default `client`)."""
    plan, errors = parse_plan(data, limits)
    errors += check_plan(plan)
    errors += check_bounds(plan, limits)
    structural = bool(errors)
    out = Validated(plan=plan)
    if plan.site or plan.classes:
        out.catalog, out.refs = load_catalog(client, plan)
    errors += check_against(plan, out.catalog)
    kinds = outside(plan)
    errors += check_choices(plan, load_choices(client, kinds) if kinds else FRAGMENT)
    # Every spelling (name, slug, id) of a reference is the same object: from here on the plan names
    # each by its canonical name, so its content hash and generated names do not depend on spelling.
    out.plan = plan = plan.resolved(out.catalog.canonical)
    if not structural:
        out.calc = calculate(plan, max_links=limits.links)
        errors += out.calc.errors + check_totals(out.calc, limits)
    if not errors:
        out.desired = expand(plan, out.calc, out.catalog)
        errors += out.desired.errors
    if plan.name:
        out.record = read_record(records or client, plan.name)
    if plan.name and not errors:  # what the plan generated is read only for a plan that validates
        out.current, out.foreign, out.tag_id = read_current(client, plan.name, plan.slug)
        errors += collisions(out.desired, read_collisions(client, out.desired, out.current), plan.name)
    out.errors = errors
    return out
