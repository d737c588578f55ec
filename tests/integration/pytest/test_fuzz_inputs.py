# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Property-based fuzzing of the modules' inputs (hypothesis, 1,000 cases per module), run
in-process against the real local NetBox, with writes to NetBox blocked and counted.

For every case: the module ends in success or in a clear error (never an unexpected exception or a
traceback), the error names a field, and a case that fails validation has attempted no write to
NetBox and left nothing on disk. A case that passes validation may reach a write: it then stops at
the blocked write, which proves validation finished first.
"""
from __future__ import annotations

import copy
import json
import os
import pathlib

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.sot.netbox.plugins.module_utils._client import NetboxClient
from ansible_collections.sot.netbox.plugins.modules import netbox_export, netbox_plan_generate, netbox_segment

import modharness  # pylint: disable=import-error

URL = os.environ["NETBOX_URL"]
TOKEN = os.environ["NETBOX_TOKEN"]
EXAMPLES = int(os.environ.get("SOT_FUZZ_EXAMPLES", "1000"))
SMALL_PLAN = yaml.safe_load((pathlib.Path(__file__).parents[3] / "examples" / "plans" / "small.yml").read_text())
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.data_too_large, HealthCheck.filter_too_much])


class WriteBlocked(Exception):
    """Raised instead of sending a POST/PATCH/DELETE to NetBox."""


@pytest.fixture
def harness(monkeypatch, tmp_path_factory):
    cache = str(tmp_path_factory.mktemp("cache") / "c.sqlite")
    writes = []
    real_request = NetboxClient.request

    def request(self, method, path, params=None, body=None):
        if method != "GET":
            writes.append((method, path))
            raise WriteBlocked(f"{method} {path}")
        return real_request(self, method, path, params, body)

    monkeypatch.setattr(NetboxClient, "request", request)
    modharness.install(monkeypatch)

    def invoke(module, args, check_mode=False):
        writes.clear()
        full = {"url": URL, "token": TOKEN, "cache_path": cache, **args}
        return modharness.invoke(module, full, check_mode), list(writes)
    return invoke


def keys_of(value, out=None):
    out = set() if out is None else out
    if isinstance(value, dict):
        for k, v in value.items():
            out.add(str(k))
            keys_of(v, out)
    elif isinstance(value, list):
        for v in value:
            keys_of(v, out)
    return out


def check_outcome(result, writes, args, option_names):
    msg = str(result.get("msg", ""))
    if result["failed"] and msg.startswith("unexpected error: WriteBlocked"):
        assert writes, msg  # validation passed; the run stopped at our blocked write
        return "reached-write"
    assert "Traceback" not in json.dumps(result), msg
    if not result["failed"]:
        return "ok"
    assert not msg.startswith("unexpected error"), msg
    assert msg.strip(), result
    named = {*option_names, *keys_of(args), "validation error"}
    assert any(name in msg for name in named), f"error names no field: {msg}"
    assert not writes, f"validation failed after writes {writes}: {msg}"
    return "clear-error"


def run_and_confirm(harness, module, args):
    """Run for real (writes blocked). A run that reached a write must be one whose input validates:
    check mode (which never writes) must then not report a validation error. So a module that wrote
    something and only then rejected its input is caught."""
    result, writes = harness(module, args)
    kind = check_outcome(result, writes, args, module.OPTIONS)
    if kind == "reached-write":
        checked, _none = harness(module, args, check_mode=True)
        assert not checked["failed"] or "validation error" not in str(checked.get("msg")), \
            f"wrote {writes} for an input check mode rejects: {checked.get('msg')}"
    return kind


# ------------------------------------------------------------------------ strategies

# No NUL: ansible-core itself refuses it in module arguments (its invocation logging fails) before any
# module code runs, so such a case says nothing about this collection.
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12)
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-10, 5000), TEXT,
                   st.sampled_from(["prod", "dev", "dc-east", "lab", "web", "pool", "platform", "10.0.0.0/24",
                                    "10.21.0.0/20", "300.1.1.1/24", "10.20.1.5/24", "::/0", "fe80::/64"]))
ANY = st.recursive(SCALAR, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                   st.dictionaries(TEXT, inner, max_size=3)), max_leaves=6)


def maybe(strategy):
    return st.one_of(st.none(), strategy)


SEGMENT_ITEM = st.fixed_dictionaries({}, optional={
    "prefix": st.one_of(st.sampled_from(["10.250.0.0/24", "10.20.1.0/24", "10.999.0.0/24", "nonsense", "",
                                         "10.250.0.1/24", "2001:db8::/64"]), TEXT),
    "vrf": st.sampled_from(["prod", "dev", "nope", ""]),
    "site_group": st.sampled_from(["dc-east", "dc-west", "lab", "missing-group"]),
    "tenant": st.sampled_from(["platform", "research", "ghost"]),
    "role": st.sampled_from(["web", "db", "pool", "unknown-role"]),
    "status": st.sampled_from(["active", "reserved", "deprecated", "container"]),
    "vlan": st.fixed_dictionaries({"vid": st.integers(-5, 5000)}, optional={"name": TEXT}),
    "vlan_group": st.sampled_from(["prod-dc-east", "nope-group"]),
    "vlan_name": TEXT,
    "description": TEXT,
    "dhcp": st.booleans(),
    "cluster": st.sampled_from(["fuzz-cluster", "", "c" * 200]),
    "key": TEXT,
    "prefix_length": st.integers(-1, 140),
    "pool": st.sampled_from(["10.21.0.0/20", "10.99.0.0/16", "bad pool", "10.20.1.0/24"]),
    "custom_fields": st.dictionaries(st.sampled_from(["dhcp_enabled", "cluster_name", "nope"]), SCALAR,
                                     max_size=2),
    "allocate_vlan": st.booleans(),
})


@st.composite
def segment_args(draw):
    args = dict(draw(SEGMENT_ITEM))
    args["state"] = draw(st.sampled_from(["present", "absent", "allocated", "released"]))
    if draw(st.integers(0, 3)) == 0:
        args = {"state": args["state"], "segments": draw(st.lists(SEGMENT_ITEM, max_size=3))}
    if draw(st.integers(0, 5)) == 0:
        args[draw(st.sampled_from(["free_status", "claim_timeout", "dhcp_field", "not_an_option"]))] = draw(SCALAR)
    return args


@st.composite
def plan_args(draw):
    plan = copy.deepcopy(SMALL_PLAN)
    for _step in range(draw(st.integers(1, 4))):
        action = draw(st.sampled_from(["drop", "set", "dup", "class"]))
        if action == "drop" and plan:
            plan.pop(draw(st.sampled_from(sorted(plan))), None)
        elif action == "set":
            plan[draw(st.sampled_from(sorted(SMALL_PLAN) + ["extra"]))] = draw(ANY)
        elif action == "dup" and isinstance(plan.get("switch_classes"), list) and plan["switch_classes"]:
            plan["switch_classes"].append(copy.deepcopy(plan["switch_classes"][0]))
        elif action == "class":
            key = draw(st.sampled_from(["switch_classes", "server_classes"]))
            if isinstance(plan.get(key), list) and plan[key] and isinstance(plan[key][0], dict):
                field = draw(st.sampled_from(sorted(plan[key][0]) + ["quantity", "device_type", "ports"]))
                plan[key][0][field] = draw(st.one_of(ANY, st.sampled_from(
                    [0, -1, 10_000, "DGX-H100", "no-such-type", "Ethernet1-999", "eth[0-3]"])))
    state = draw(st.sampled_from(["validated", "validated", "generated", "absent"]))
    return {"plan": plan, "state": state}


COLUMN = st.one_of(st.sampled_from(["name", "type", "status", "site", "tenant", "serial", "cf_cost_center",
                                    "contacts_owner", "no_such_column", ""]),
                   st.fixed_dictionaries({}, optional={"field": st.sampled_from(["name", "site", "bogus"]),
                                                       "header": TEXT, "other": SCALAR}),
                   SCALAR)


@st.composite
def export_args(draw, dest):
    args = {"dest": dest}
    optional = {
        "formats": st.lists(st.sampled_from(["devices_csv", "vms_csv", "merged_csv", "xlsx", "pdf"]), max_size=3),
        "columns": st.lists(COLUMN, max_size=4),
        "dialect": st.sampled_from(["excel", "excel-tab", "unix", "nope"]),
        "delimiter": st.one_of(st.sampled_from([",", ";", "\t", "", ";;", "\n", '"']), TEXT),
        "list_separator": TEXT,
        "filters": st.dictionaries(st.sampled_from(["site", "status", "q", "no_such_filter", "tag"]), SCALAR,
                                   max_size=2),
        "status": st.lists(st.sampled_from(["active", "planned", "bogus"]), max_size=2),
        "site": st.lists(st.sampled_from(["ams1", "nowhere"]), max_size=2),
        "custom_fields": st.lists(st.sampled_from(["cost_center", "nope"]), max_size=2),
        "file_names": st.dictionaries(st.sampled_from(["devices", "virtual_machines", "merged", "xlsx"]),
                                      st.sampled_from(["a.csv", "../escape.csv", "", "sub/dir.csv", "x.xlsx"]),
                                      max_size=2),
    }
    for name, strategy in optional.items():
        if draw(st.integers(0, 2)) == 0:
            args[name] = draw(strategy)
    return args


# ------------------------------------------------------------------------ properties

def test_segment_inputs(harness):
    seen = {}

    @FUZZ
    @given(args=segment_args())
    def case(args):
        kind = run_and_confirm(harness, netbox_segment, args)
        seen[kind] = seen.get(kind, 0) + 1

    case()
    assert seen.get("clear-error", 0) > EXAMPLES // 4, seen


def test_plan_inputs(harness):
    seen = {}

    @FUZZ
    @given(args=plan_args())
    def case(args):
        kind = run_and_confirm(harness, netbox_plan_generate, args)
        seen[kind] = seen.get(kind, 0) + 1

    case()
    assert seen.get("clear-error", 0) > EXAMPLES // 4, seen


def test_export_inputs(harness, tmp_path_factory):
    seen = {}
    root = tmp_path_factory.mktemp("exports")
    counter = iter(range(10 ** 9))

    @FUZZ
    @given(data=st.data())
    def case(data):
        dest = root / f"case{next(counter)}"
        args = data.draw(export_args(str(dest)))
        result, writes = harness(netbox_export, args)
        kind = check_outcome(result, writes, args, netbox_export.OPTIONS)
        if kind == "clear-error":  # nothing written to disk
            leftovers = list(dest.rglob("*")) if dest.exists() else []
            assert not leftovers, leftovers
        assert not any(p.name.startswith("escape") for p in root.rglob("*"))
        seen[kind] = seen.get(kind, 0) + 1

    case()
    assert seen.get("ok", 0) > 0 and seen.get("clear-error", 0) > EXAMPLES // 4, seen
