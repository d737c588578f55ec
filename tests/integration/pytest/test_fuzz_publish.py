# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Property-based fuzzing of netbox_export_publish's inputs (hypothesis, 300 cases by default),
in-process, publishing a real netbox_export output (made once from the real local NetBox) to a real
WebDAV server (tools/davserver.py on 127.0.0.1), with every write to the server blocked and counted.

For every case: the module ends in success or in a clear error that names an option (never an
unexpected exception or a traceback), no secret reaches the result, and a case that fails its
validation has sent no write (PUT, MKCOL, POST) and left the publish record as it was. Confluence
targets pointed at the DAV server get answers that are not Confluence's: those must be clear errors too.
"""
from __future__ import annotations

import json
import os
import pathlib
import sys
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.sot.netbox.plugins.module_utils._http import HttpTransport
from ansible_collections.sot.netbox.plugins.modules import netbox_export, netbox_export_publish

import modharness  # pylint: disable=import-error

sys.path.insert(0, str(pathlib.Path(__file__).parents[3] / "tools"))
import davserver  # noqa: E402  pylint: disable=import-error,wrong-import-position

URL = os.environ["NETBOX_URL"]
TOKEN = os.environ["NETBOX_TOKEN"]
EXAMPLES = int(os.environ.get("SOT_FUZZ_PUBLISH_EXAMPLES", "300"))
DAV_PORT = int(os.environ.get("SOT_TESTBED_DAV_PORT", "8797")) + 1
USER, PASSWORD = "svc-fuzz", "fuzz-" + uuid.uuid4().hex
SECRET_TOKEN = "tok-" + uuid.uuid4().hex
READS = {"GET", "HEAD", "OPTIONS", "PROPFIND"}
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.data_too_large, HealthCheck.filter_too_much])


class WriteBlocked(Exception):
    """Raised instead of sending a write to the publishing server."""


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A real export (from the real NetBox) and a real DAV server, shared by every case."""
    base = tmp_path_factory.mktemp("publish-fuzz")
    mp = pytest.MonkeyPatch()
    modharness.install(mp)
    exported = modharness.invoke(netbox_export, {"url": URL, "token": TOKEN, "dest": str(base / "export"),
                                                 "cache_path": str(base / "cache.sqlite")})
    mp.undo()
    assert not exported["failed"], exported.get("msg")
    (base / "dav").mkdir()
    proc = davserver.start(str(base / "dav"), DAV_PORT, USER, PASSWORD, str(base / "dav.jsonl"))
    try:
        yield {"src": str(base / "export"), "dav": f"http://127.0.0.1:{DAV_PORT}/share/netbox", "base": base}
    finally:
        davserver.stop(proc)


@pytest.fixture
def harness(monkeypatch, world):
    writes = []
    real_send = HttpTransport.send

    def send(self, method, url, *args, **kwargs):
        if method not in READS:
            writes.append((method, url))
            raise WriteBlocked(f"{method} {url}")
        return real_send(self, method, url, *args, **kwargs)

    monkeypatch.setattr(HttpTransport, "send", send)
    modharness.install(monkeypatch)

    def invoke(args, check_mode=False):
        writes.clear()
        return modharness.invoke(netbox_export_publish, args, check_mode), list(writes)
    return invoke


TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12)


def target(world):
    urls = st.one_of(st.sampled_from([world["dav"], world["dav"] + "/deeper/still", "ftp://127.0.0.1/x", "",
                                      "http://", "http://127.0.0.1:9/closed", "https://127.0.0.1:1/x",
                                      f"http://127.0.0.1:{DAV_PORT}/wiki", "http://[::1", "not a url"]), TEXT)
    return st.fixed_dictionaries({
        "type": st.sampled_from(["webdav", "confluence", "sharepoint", "", "WEBDAV"]),
        "url": urls,
    }, optional={
        "username": st.sampled_from([USER, "", "nobody", "ü"]),
        "password": st.sampled_from([PASSWORD, "", "wrong"]),
        "token": st.sampled_from([SECRET_TOKEN, "", "with space", "line\nbreak"]),
        "create_folders": st.booleans(),
        "page_id": st.one_of(st.sampled_from(["123", "", "-1", "12a"]), TEXT),
        "space": st.one_of(st.sampled_from(["NET", ""]), TEXT),
        "title": st.one_of(st.sampled_from(["Inventory", ""]), TEXT),
        "comment": st.one_of(st.sampled_from(["{sha12}", "{__class__}", "{0}", "=HYPERLINK(1)"]), TEXT),
        "timeout": st.sampled_from([-1, 0, 0.001, 5, 1e12]),
        "validate_certs": st.booleans(),
        "name": TEXT,
    })


def publish_args(world):
    return st.fixed_dictionaries({
        "src": st.sampled_from([world["src"], world["src"] + "/missing", "", "/etc/hostname", "relative/dir"]),
        "targets": st.lists(target(world), max_size=3),
    }, optional={
        "files": st.lists(st.sampled_from(["workbook", "merged", "devices", "virtual_machines", "bogus", "",
                                           "../escape", "inventory.csv"]), max_size=3),
        "overwrite": st.booleans(),
        "record_path": st.sampled_from([world["src"] + "/.sot-netbox-publish.json", "/nonexistent/dir/r.json",
                                        world["src"], world["src"] + "/devices.csv"]),
    })


def names_an_option(msg, args):
    names = set(netbox_export_publish.OPTIONS) | set(netbox_export_publish.TARGET) | {"targets[", "validation error"}
    names |= {str(t.get("url")) for t in args.get("targets", []) if t.get("url")}
    return any(name and name in msg for name in names)


def record_state(world):
    path = pathlib.Path(world["src"]) / ".sot-netbox-publish.json"
    return path.read_bytes() if path.exists() else None


def test_publish_inputs(harness, world):
    seen = {}

    @FUZZ
    @given(args=publish_args(world))
    def case(args):
        before = record_state(world)
        result, writes = harness(args)
        text = json.dumps(result, default=str)
        for secret in (PASSWORD, SECRET_TOKEN):
            assert secret not in text, "a secret reached the result"
        msg = str(result.get("msg", ""))
        if result["failed"] and msg.startswith("unexpected error: WriteBlocked"):
            assert writes, msg  # validation passed; the run stopped at our blocked write (our own traceback)
            kind = "reached-write"
        elif "Traceback" in text:
            raise AssertionError(f"a traceback reached the result: {msg}")
        elif not result["failed"]:
            kind = "ok"
        else:
            assert not msg.startswith("unexpected error"), msg
            assert names_an_option(msg, args), f"error names no option: {msg}"
            if "publishing did not complete" not in msg:  # a server's answer may come after planning
                assert not writes, f"validation failed after writes {writes}: {msg}"
            assert record_state(world) == before, "a failed case changed the publish record"
            kind = "clear-error"
        seen[kind] = seen.get(kind, 0) + 1

    case()
    print(f"netbox_export_publish fuzz: {EXAMPLES} cases: {seen}")  # the figure docs/reliability.md quotes
    assert seen.get("clear-error", 0) > EXAMPLES // 4, seen
