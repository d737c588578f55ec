# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sot.netbox.netbox_segment: module parameters -> plan -> one writer -> result. PRIVATE to the collection.

The only code that reads `module.params`. The planner (plan.py) validates every item, resolves
every name and plans every change with reads only, so bad input fails before any write. Check mode
and diff stop after the plan; otherwise the writer (writer.py) applies it.
"""
from __future__ import annotations

import time
from typing import Any, Callable

from ansible_collections.sot.netbox.plugins.module_utils._difftext import diff_entry
from ansible_collections.sot.netbox.plugins.module_utils._errors import (
    STALE_REFERENCE, FieldError, SotNetboxError, ValidationErrors, classify_rejection)
from ansible_collections.sot.netbox.plugins.module_utils._lookups import Lookups
from ansible_collections.sot.netbox.plugins.module_utils._segment import domain
from ansible_collections.sot.netbox.plugins.module_utils._segment.claim import Allocator
from ansible_collections.sot.netbox.plugins.module_utils._segment.fields import argspec, item_argspec
from ansible_collections.sot.netbox.plugins.module_utils._segment.model import Change
from ansible_collections.sot.netbox.plugins.module_utils._segment.plan import Planner
from ansible_collections.sot.netbox.plugins.module_utils._segment.store import Store
from ansible_collections.sot.netbox.plugins.module_utils._segment.writer import Writer

_ITEM = item_argspec()
OPTIONS = argspec()


def names_from(params: dict) -> domain.Names:
    return domain.Names(dhcp_field=params["dhcp_field"], cluster_field=params["cluster_field"],
                        key_field=params.get("key_field") or params["cluster_field"],
                        free_status=params["free_status"], reserved_status=params["reserved_status"],
                        pool_role=params["pool_role"])


def run(module: Any, client: Any) -> dict:
    params = module.params
    result = execute(client, params, module.check_mode, module._diff)  # pylint: disable=protected-access
    for warning in result.pop("warnings", []):
        module.warn(warning)
    return result


def execute(client: Any, params: dict, check_mode: bool = False, want_diff: bool = False,
            sleep: Callable = time.sleep, clock: Callable = time.time) -> dict:
    """Everything the module does, from a plain params dict (unit tests and the benchmark call this).

    When NetBox rejects an id this run took from the cache (an object deleted or re-created since),
    the run starts once more from fresh reads (no cache): every step is idempotent, and what the
    first attempt wrote is found and kept."""
    names = names_from(params)
    item_params = {k: v for k, v in params.items() if k in _ITEM or k == "segments"}
    domain.parse_all(item_params, params.get("segments"), names)   # every input error before any request
    if params.get("claim_timeout", 900) < 0:
        raise ValidationErrors([FieldError("claim_timeout", "must be 0 (never take over a claim) or seconds",
                                           params["claim_timeout"])])
    done = []
    for fresh in (False, True):
        specs = domain.parse_all(item_params, params.get("segments"), names)
        store = Store(client, Lookups(client, fresh=fresh), names, fresh=fresh)
        allocator = Allocator(client, store, names, claim_timeout=params.get("claim_timeout", 900), sleep=sleep,
                              clock=clock)
        writer = Writer(client, store, allocator)
        try:
            changes = _run_once(Planner(store, allocator, names, check_mode), writer, allocator, specs, check_mode)
            break
        except SotNetboxError as exc:
            done.extend(writer.done)
            if not fresh and classify_rejection(exc).kind == STALE_REFERENCE:
                store.ids_cache.drop("vlan-group")
                continue
            exc.result.setdefault("segments", [entry(c) for c in done])
            exc.result["changed"] = any(c.changed for c in done) or bool(exc.result.get("rolled_back"))
            raise
    result = {"changed": any(c.changed for c in changes + done), "segments": [entry(c) for c in changes],
              "warnings": allocator.warnings}
    if len(changes) == 1:
        result["segment"] = result["segments"][0]
    if want_diff:
        diffs = [diff_entry(**c.diff()) for c in changes if c.changed]
        result["diff"] = diffs[0] if len(diffs) == 1 else diffs
    return result


def _run_once(planner: Planner, writer: Writer, allocator: Allocator, specs: list, check_mode: bool) -> list:
    """Plan; in check mode the plan is the answer (allocations previewed), else the writer applies it."""
    plan = planner.plan(specs)
    if not check_mode:
        return writer.apply(plan)
    return [item.change if item.allocation is None else
            allocator.preview(item.allocation, plan.group(item.allocation.group) if item.allocation.group else None)
            for item in plan.items]


def entry(change: Change) -> dict:
    seg = change.after if change.after is not None and change.action != "delete" else change.before
    out = seg.to_dict() if seg is not None else {"prefix": change.spec.segment.prefix, "id": None}
    out.update(action=change.action, state=change.spec.state, key=change.spec.key,
               changes={f: {"before": b, "after": a} for f, (b, a) in change.changes.items()})
    return out
