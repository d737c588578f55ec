# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hostile inputs for netbox_plan_generate (hypothesis, 300 cases by default), in-process against the
real local NetBox with every write blocked and counted (the harness of test_fuzz_inputs.py).

The cases aim at what a plan can do wrong: name patterns that reach into objects, ranges and
quantities that would expand to millions, very long / NUL / unicode / multi-line names, statuses and
types NetBox does not offer, malformed limits, and plan files that are alias bombs, too deep, too
big or not YAML. Every case ends in success or a clear error naming the field or option, without a
traceback, within 10 seconds of the module's own (CPU) time and a minute of wall time on a shared test
machine, and with no write attempted before the error.
"""
from __future__ import annotations

import copy
import os
import pathlib
import time

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.sot.netbox.plugins.module_utils._client import NetboxClient
from ansible_collections.sot.netbox.plugins.modules import netbox_plan_generate

from test_fuzz_inputs import SMALL_PLAN, harness, run_and_confirm  # noqa: F401  pylint: disable=import-error,unused-import

REAL_REQUEST = NetboxClient.request  # before the harness blocks writes
EXAMPLES = int(os.environ.get("SOT_FUZZ_PLAN_EXAMPLES", "300"))
CASE_SECONDS = 10       # CPU seconds of this process (the module's own work) per case
CASE_WALL_SECONDS = 60  # wall seconds per case, NetBox's answers included (a shared, loaded test machine)
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.data_too_large])

HOSTILE = st.sampled_from([
    "{plan.__class__.__mro__}-{index}", "{index.__class__}", "{index[0]}", "{plan!r}-{index}", "{index:{plan}}",
    "{index:099999999d}", "{0}{index}", "{}", "{", "}", "{plan}-{class}", "a\x00b", "line\nbreak", "Zürich-{index}",
    "日本{index}", "Ελλάδα", "x" * 5000, "Ethernet49-9999999", "Ethernet1-99999999999999999999", "Ethernet5-1",
    "eth[0-3]", "", " ", "-1", "0", "bogus", "active", "planned", "connected", "cat99", "virtual", "warp",
    "lab1", "no-such-site", "DCS-7060X5-64", "dcs-7060x5-64", "leaf", "server", "spine", "nowhere",
])
NUMBER = st.one_of(st.integers(-10 ** 12, 10 ** 12), st.sampled_from([0, -1, 1, 2, 10 ** 6, 2 ** 63, 1.5, "10",
                                                                      "1e9", "9" * 5000, True, False, None]))
VALUE = st.one_of(HOSTILE, NUMBER, st.lists(st.one_of(HOSTILE, NUMBER), max_size=3),
                  st.dictionaries(st.sampled_from(["name", "type", "x"]), HOSTILE, max_size=2))

TOP = ["name", "site", "tenant", "location", "rack", "status", "cable_status", "naming", "extra"]
SWITCH = ["id", "device_type", "role", "downlinks", "uplinks", "uplink_to", "redundancy", "quantity", "name",
          "interfaces", "cable_type"]
SERVER = ["id", "device_type", "role", "quantity", "name", "interfaces", "connections"]
CONNECTION = ["ports", "to", "placement", "cable_type"]

BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8))
FILES = st.sampled_from([BOMB, "x: " + "[" * 200 + "]" * 200, "name: [unclosed", "!!python/object/apply:os.system [id]",
                         "- a list", "", "name: " + "n" * 2_000_000, "\xff\xfe"])


def _at(plan, *path):
    """The dict at `path` in the (possibly already mutated) plan, or None when it is no longer there."""
    node = plan
    for step in path:
        ok = isinstance(node, dict) and step in node if isinstance(step, str) else (
            isinstance(node, list) and len(node) > step)
        if not ok:
            return None
        node = node[step]
    return node if isinstance(node, dict) else None


def _mutate(draw, plan):
    where = draw(st.sampled_from(["top", "switch", "server", "connection", "interface"]))
    target, keys = {
        "top": (plan, TOP), "switch": (_at(plan, "switch_classes", draw(st.integers(0, 1))), SWITCH),
        "server": (_at(plan, "server_classes", 0), SERVER),
        "connection": (_at(plan, "server_classes", 0, "connections", 0), CONNECTION),
        "interface": (_at(plan, "switch_classes", 0), ["interfaces"])}[where]
    if target is None:
        target, keys = plan, TOP
    key = draw(st.sampled_from(keys))
    if key == "naming" and draw(st.booleans()):
        target[key] = {"device": draw(HOSTILE)}
    elif key == "interfaces" and draw(st.booleans()):
        target[key] = [{"name": draw(HOSTILE), "type": draw(HOSTILE)}]
    else:
        target[key] = draw(VALUE)


@st.composite
def plan_case(draw):
    plan = copy.deepcopy(SMALL_PLAN)
    plan["name"] = "fuzz-plan"
    for _step in range(draw(st.integers(1, 3))):
        _mutate(draw, plan)
    args = {"plan": plan, "state": draw(st.sampled_from(["validated", "validated", "generated", "absent"]))}
    extra = draw(st.sampled_from(["none", "none", "limits", "batch", "approve", "file", "yaml"]))
    if extra == "limits":
        args["limits"] = draw(st.one_of(st.dictionaries(st.sampled_from(["ports", "quantity", "devices", "links",
                                                                         "bogus", "yaml_aliases"]), NUMBER,
                                                        max_size=2), HOSTILE))
    elif extra == "batch":
        # Not the 5000-digit string: ansible-core itself fails converting it for an int option (its
        # invocation logging), before any module code runs, so such a case says nothing about this module.
        args[draw(st.sampled_from(["batch_size", "device_batch_size"]))] = draw(NUMBER.filter(
            lambda v: not (isinstance(v, str) and len(v) > 100)))
    elif extra == "approve":
        args["approve"] = True
    elif extra in ("file", "yaml"):
        args["_file"] = draw(FILES) if extra == "file" else yaml.safe_dump(args.pop("plan"), allow_unicode=True)
        args.pop("plan", None)
    return args


def allow_options(monkeypatch):
    """OPTIONS reads NetBox's choice sets: a read, let through the write blocker."""
    blocked = NetboxClient.request

    def request(self, method, path, params=None, body=None):
        if method == "OPTIONS":
            return REAL_REQUEST(self, method, path, params, body)
        return blocked(self, method, path, params, body)
    monkeypatch.setattr(NetboxClient, "request", request)


def test_hostile_plan_inputs(harness, tmp_path_factory, monkeypatch):  # noqa: F811  pylint: disable=redefined-outer-name
    allow_options(monkeypatch)
    seen, slowest = {}, [0.0]
    root = tmp_path_factory.mktemp("plans")
    counter = iter(range(10 ** 9))

    @FUZZ
    @given(args=plan_case())
    def case(args):
        args = dict(args)
        text = args.pop("_file", None)
        if text is not None:
            path = pathlib.Path(root / f"plan{next(counter)}.yml")
            path.write_text(text, encoding="utf-8", errors="surrogateescape")
            args["plan_file"] = str(path)
        started, cpu = time.monotonic(), time.process_time()
        kind = run_and_confirm(harness, netbox_plan_generate, args)
        seconds, cpu = time.monotonic() - started, time.process_time() - cpu
        slowest[0] = max(slowest[0], cpu)
        assert cpu < CASE_SECONDS and seconds < CASE_WALL_SECONDS, f"{cpu:.1f}s CPU, {seconds:.1f}s for {args!r:.300}"
        seen[kind] = seen.get(kind, 0) + 1

    case()
    print(f"plan fuzz: {seen}, most CPU in one case {slowest[0]:.2f}s")
    assert sum(seen.values()) >= EXAMPLES and seen.get("clear-error", 0) > EXAMPLES // 2, seen
