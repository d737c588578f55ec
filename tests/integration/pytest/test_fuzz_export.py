# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Property-based fuzzing of netbox_export's inputs against the real NetBox (issue 13 §4): paths
(dest, file_names, metrics_path), CSV format (delimiter, headers, list_separator, dialect,
spreadsheet_safe), filters (object filters by any spelling, free-form names and values, values too
long for a request line), file options (mode, owner, group). 300 cases by default
(SOT_FUZZ_EXPORT_EXAMPLES).

For every case: success or a clear error that names an option (never an unexpected exception or a
traceback), within 10 seconds, no file written outside `dest` (nor in the working directory), and a
failed case has left nothing in `dest`.
"""
from __future__ import annotations

import json
import os
import pathlib
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.sot.netbox.plugins.module_utils._client import NetboxClient
from ansible_collections.sot.netbox.plugins.modules import netbox_export

import modharness  # pylint: disable=import-error

URL = os.environ["NETBOX_URL"]
TOKEN = os.environ["NETBOX_TOKEN"]
EXAMPLES = int(os.environ.get("SOT_FUZZ_EXPORT_EXAMPLES", "300"))
CASE_SECONDS = 10
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.data_too_large, HealthCheck.filter_too_much])
FILE_OPTIONS = ("mode", "owner", "group")

# No NUL at the top level: ansible-core refuses it while logging the invocation, before any module
# code runs. Nested values (file_names, columns, filters) may hold one.
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12)
NESTED_TEXT = st.one_of(TEXT, st.sampled_from(["a\x00b", "\x00", "x\ny", "\t", "=1+1", "ü"]))
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-10, 10 ** 12), st.floats(allow_nan=True), NESTED_TEXT)
LONG = st.sampled_from(["x" * 300, "y" * 3000, "z" * 6000])

NAME = st.one_of(st.sampled_from([
    "a.csv", "b.csv", "../escape.csv", "", ".", "..", "sub/x.csv", "/abs.csv", ".sot-netbox-export.json",
    ".sot-export-x.tmp", "n" * 300, "inventory.csv", "devices.csv", "ü-ßtrange.csv", "x\ny.csv", "a\x00.csv",
    " ", "-leading.csv"]), TEXT)
METRICS = st.one_of(st.sampled_from([
    "m.prom", "sub/m.prom", "deep/er/m.prom", "../escape.prom", "a/../../escape.prom", ".sot-netbox-export.json",
    "inventory.csv", "devices.csv", "inventory.xlsx", "dir/", "", ".", "m" * 300 + ".prom", "./a/../b.prom",
    "~/escape.prom", ".sot-export-m.tmp", "DEST/abs.prom", "DEST/../escape.prom"]), TEXT)
OBJECT_VALUE = st.one_of(st.sampled_from([
    "ams1", "fra1", "dc-east", "lab", "platform", "research", "Ünïcode Tenant", "ünïcode-tenant", "leaf", "server",
    "prod", "pci", "1", "2", "3", "0", "-1", "999999", "nope", "", " ", " ams1 ", "x" * 3000]), TEXT, st.integers(-5, 10 ** 9))
FILTER_VALUE = st.one_of(SCALAR, LONG, st.lists(SCALAR, max_size=3), st.dictionaries(TEXT, SCALAR, max_size=2),
                         st.lists(st.integers(1, 10 ** 6), min_size=200, max_size=900))
HEADER = st.one_of(st.sampled_from(["ok", "=x", "+y", "-z", "@w", "a\nb", "\x07", "", " ", "a\x00b", "Name",
                                    "name"]), TEXT)
COLUMN = st.one_of(st.sampled_from(["name", "type", "status", "site", "tenant", "description", "cf_nope", "bogus"]),
                   st.fixed_dictionaries({"field": st.sampled_from(["name", "site", "description", "bogus"])},
                                         optional={"header": HEADER}))
MODE = st.one_of(st.sampled_from(["0640", "640", "0600", "999", "0999", "u=rw,g=r,o=", "a+X", "rw-r--r--",
                                  "0o644", "u+q", "", "17777"]), st.integers(-1, 0o20000), st.booleans())
OWNER = st.sampled_from(["root", "0", "no-such-user-sotfz", "", "99999", "nobody"])


@st.composite
def export_args(draw, dest):
    args = {"dest": dest}
    optional = {
        "formats": st.lists(st.sampled_from(["devices_csv", "vms_csv", "merged_csv", "xlsx", "pdf"]), max_size=3),
        "file_names": st.dictionaries(st.sampled_from(["devices", "virtual_machines", "merged", "workbook",
                                                       "xlsx"]), NAME, max_size=3),
        "metrics_path": METRICS,
        "delimiter": st.one_of(st.sampled_from([",", ";", "\t", "|", "", ";;", "\n", "\r", '"', "1", "0", "a",
                                                "é", " ", "\x01"]), TEXT),
        "dialect": st.sampled_from(["excel", "excel-tab", "unix", "nope"]),
        "list_separator": st.one_of(TEXT, st.sampled_from(["\n", "", ";", "\r\n"])),
        "spreadsheet_safe": st.lists(st.sampled_from(["merged", "devices", "virtual_machines", "workbook", "x"]),
                                     max_size=3),
        "columns": st.lists(COLUMN, max_size=4),
        "filters": st.dictionaries(st.sampled_from(["q", "status", "no_such_filter", "platform", "limit", "site",
                                                    "cf_nope", "", "has_primary_ip", "name__ic"]),
                                   FILTER_VALUE, max_size=2),
        "device_filters": st.dictionaries(st.sampled_from(["rack_id", "serial", "nope"]), FILTER_VALUE, max_size=1),
        "validate_filters": st.booleans(),
        "status": st.one_of(st.lists(st.sampled_from(["active", "planned", "offline", "bogus", ""]), max_size=3),
                            st.just(["active"] * 700)),
        "mode": MODE,
        "owner": OWNER,
        "group": OWNER,
    }
    for option in ("site", "site_group", "tenant", "role", "tag"):
        optional[option] = st.lists(OBJECT_VALUE, max_size=3)
    odds = draw(st.sampled_from([3, 8, 20]))  # some cases try many options, some only one or two
    for name, strategy in optional.items():
        if draw(st.integers(0, odds)) == 0:
            args[name] = draw(strategy)
    if isinstance(args.get("metrics_path"), str) and args["metrics_path"].startswith("DEST"):
        args["metrics_path"] = dest + args["metrics_path"][4:]
    return args


WAITED = [0.0]  # seconds spent waiting for NetBox in the current case, every attempt counted


@pytest.fixture
def invoke(monkeypatch, tmp_path_factory):
    cache = str(tmp_path_factory.mktemp("cache") / "c.sqlite")
    modharness.install(monkeypatch)
    real_send = NetboxClient._send_once  # pylint: disable=protected-access

    def send_once(self, *a, **kw):
        started = time.monotonic()
        try:
            return real_send(self, *a, **kw)
        finally:
            WAITED[0] += time.monotonic() - started
    monkeypatch.setattr(NetboxClient, "_send_once", send_once)

    def run(args, timeout=None):
        WAITED[0] = 0.0
        extra = {"timeout": timeout} if timeout else {}
        return modharness.invoke(netbox_export, {"url": URL, "token": TOKEN, "cache_path": cache, **extra, **args})
    # NetBox's OpenAPI schema (for checking free-form filter names) can take NetBox over 30 s to
    # build on a loaded test bed: read it once into the cache, as a first task of a play would.
    warm = str(tmp_path_factory.mktemp("warm"))
    for formats, option in ((["merged_csv"], "filters"), (["devices_csv"], "device_filters"),
                            (["vms_csv"], "vm_filters")):
        assert not run({"dest": warm, "formats": formats, option: {"q": "x"}}, timeout=300)["failed"]
    return run


def option_named(msg, args):
    names = set(netbox_export.OPTIONS) | set(FILE_OPTIONS) | {"validation error"}
    for value in args.values():
        if isinstance(value, dict):
            names.update(str(k) for k in value)
    return any(name and name in msg for name in names)


def files_under(path):
    return sorted(str(p) for p in pathlib.Path(path).rglob("*") if not p.is_dir()) if os.path.isdir(path) else []


def test_export_inputs(invoke, tmp_path_factory, monkeypatch):
    root = tmp_path_factory.mktemp("fuzz")
    cwd = root / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("HOME", str(root / "home"))  # `~/escape.prom` must stay out of the real home too
    counter = iter(range(10 ** 9))
    seen = {}
    slowest = [0.0, None]

    @FUZZ
    @given(data=st.data())
    def case(data):
        case_dir = root / f"case{next(counter)}"
        case_dir.mkdir()
        dest = case_dir / "out"
        args = data.draw(export_args(str(dest)))
        started = time.monotonic()
        result = invoke(args)
        seconds = time.monotonic() - started
        if seconds > slowest[0]:
            slowest[:] = [seconds, os.getloadavg()[0]]
        msg = str(result.get("msg", ""))
        text = json.dumps(result, default=str)
        # No hang: 10 s, not counting the time NetBox took to answer (on a loaded 2-core test bed one
        # plain export can take NetBox longer than that; a hang in our code is not in http_seconds).
        waited = WAITED[0]
        assert seconds < CASE_SECONDS or seconds - waited < CASE_SECONDS, \
            f"{seconds:.1f}s ({waited:.1f}s waiting for NetBox) for {args!r}"
        assert "Traceback" not in text and not msg.startswith("unexpected error"), msg
        # An absolute metrics_path is the one place allowed outside dest: the user named it.
        asked = args.get("metrics_path")
        allowed = {os.path.normpath(os.path.expanduser(asked))} if isinstance(asked, str) and \
            os.path.isabs(os.path.expanduser(asked)) and not result["failed"] else set()
        outside = [p for p in files_under(case_dir) if not p.startswith(str(dest) + os.sep) and p not in allowed]
        assert not outside, (outside, args)
        assert not files_under(cwd) and not (root / "escape.csv").exists()
        assert all(p in allowed for p in files_under(root / "home")), args
        if result["failed"]:
            assert msg.strip() and option_named(msg, args), f"error names no option: {msg}"
            assert not files_under(dest), (files_under(dest), msg)  # nothing written before the error
            kind = "clear-error"
            if os.environ.get("SOT_FUZZ_EXPORT_LOG"):
                with open(os.environ["SOT_FUZZ_EXPORT_LOG"], "a", encoding="utf-8") as log:
                    log.write(msg.replace("\n", " | ")[:300] + "\n")
        else:
            assert os.path.exists(os.path.join(str(dest), ".sot-netbox-export.json")), args
            assert not [p for p in files_under(dest) if ".sot-export-" in p]  # no spool left
            kind = "ok"
        seen[kind] = seen.get(kind, 0) + 1

    case()
    print(f"\nnetbox_export fuzz: {EXAMPLES} cases {seen}; slowest {slowest[0]:.2f}s (load average "
          f"{slowest[1]:.1f})")
    assert seen.get("ok", 0) > 0 and seen.get("clear-error", 0) > EXAMPLES // 4, seen
