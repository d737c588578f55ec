#!/usr/bin/env python3
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where one `ansible-inventory --list` run of sot.netbox.inventory spends its wall-clock time.

    source tools/lib.sh && ensure_venv && ensure_collection_path
    eval "$(python3 tools/testbed.py env --dataset large)"
    python tools/inventory_phases.py -i my_netbox.yml --list > /dev/null

Runs ansible-inventory in this process with timers around its phases (no profiler, so the figures
are real time) and prints them to stderr:
- Ansible's start-up (importing the CLI);
- parsing the inventory source, and inside it our fetch (in its thread) and what follows the fetch;
- `VariableManager.get_vars` for every host (with its fact cleaning shown separately): Ansible's
  own per-host work for `--list`, paid by any inventory source;
- encoding the output as JSON.
Arguments are passed to ansible-inventory unchanged. Measurement only: nothing here changes results.
"""
from __future__ import annotations

import atexit
import functools
import sys
import time

STARTED = time.perf_counter()
TIMES = {}


def timed(owner, name, label):
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        began = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            TIMES[label] = TIMES.get(label, 0.0) + time.perf_counter() - began
    setattr(owner, name, wrapper)


def main():
    # pylint: disable=import-outside-toplevel
    from ansible.cli import inventory as cli
    TIMES["Ansible start-up (CLI import)"] = time.perf_counter() - STARTED
    from ansible.inventory import manager
    from ansible.plugins.inventory import BaseInventoryPlugin
    from ansible.vars import manager as var_manager

    from ansible.plugins.cache import CachePluginAdjudicator
    from ansible.inventory.data import InventoryData
    timed(manager.InventoryManager, "parse_sources", "parse the inventory source(s)")
    timed(CachePluginAdjudicator, "__getitem__", "  of which the cache plugin's read (Ansible)")
    timed(CachePluginAdjudicator, "update_cache_if_changed", "  of which the cache plugin's write (Ansible)")
    timed(InventoryData, "reconcile_inventory", "  of which reconcile_inventory (Ansible)")
    timed(cli.InventoryCLI, "json_inventory", "get_vars for every host (Ansible)")
    timed(var_manager, "_clean_and_deprecate_top_level_facts", "  of which fact cleaning")
    dump = cli.InventoryCLI.dump

    def timed_dump(stuff):
        began = time.perf_counter()
        try:
            return dump(stuff)
        finally:
            TIMES["JSON encoding of the output (Ansible)"] = time.perf_counter() - began
    cli.InventoryCLI.dump = staticmethod(timed_dump)

    base_parse = BaseInventoryPlugin.parse

    def parse(self, *args, **kwargs):
        runner = sys.modules.get("ansible_collections.sot.netbox.plugins.module_utils._inventory.runner")
        if runner is not None and not getattr(runner, "_phases_timed", False):
            runner._phases_timed = True  # pylint: disable=protected-access
            timed(runner, "load", "  of which our load (cache, change log, build)")
            timed(runner, "fetch", "  of which our fetch (its own thread)")
            timed(runner, "delta_sync", "    of which the change log and the merge")
            timed(runner.cached, "built_of", "    of which decoding the cached built inventory")
            timed(runner.cached, "data_of", "    of which decoding the cached data")
            timed(runner, "build", "    of which building from the data")
            timed(runner, "store", "    of which storing the entry")
            if hasattr(runner, "fetch_and_build"):
                timed(runner, "fetch_and_build", "  of which fetch + build as pages arrive")
                timed(runner.Populator, "finish", "  of which groups, compose (after the fetch)")
        return base_parse(self, *args, **kwargs)
    BaseInventoryPlugin.parse = parse

    order = ["Ansible start-up (CLI import)", "parse the inventory source(s)", "  of which the cache plugin's read (Ansible)",
             "  of which our load (cache, change log, build)", "    of which the change log and the merge",
             "    of which decoding the cached built inventory", "    of which decoding the cached data",
             "    of which building from the data", "    of which storing the entry",
             "  of which our fetch (its own thread)",
             "  of which fetch + build as pages arrive", "  of which groups, compose (after the fetch)",
             "  of which the cache plugin's write (Ansible)", "  of which reconcile_inventory (Ansible)",
             "get_vars for every host (Ansible)", "  of which fact cleaning", "JSON encoding of the output (Ansible)"]

    def report():
        TIMES["total"] = time.perf_counter() - STARTED
        for label in order + ["total"]:
            if label in TIMES:
                print(f"{label:<46} {TIMES[label]:7.2f} s", file=sys.stderr)
    atexit.register(report)
    sys.argv = ["ansible-inventory"] + sys.argv[1:]
    cli.main()


if __name__ == "__main__":
    main()
