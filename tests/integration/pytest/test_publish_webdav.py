# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""netbox_export_publish against a real WebDAV server (wsgidav under cheroot, started here by
tools/davserver.py on 127.0.0.1 and stopped after each test), publishing the real output of
netbox_export run against the real local NetBox. Every request the DAV server answers is logged,
so "no upload request at all" is counted, not assumed."""
from __future__ import annotations

import os
import pathlib
import sys
import uuid

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._connection import build_client
from ansible_collections.sot.netbox.plugins.modules import netbox_export, netbox_export_publish

import modharness  # pylint: disable=import-error

sys.path.insert(0, str(pathlib.Path(__file__).parents[3] / "tools"))
import davserver  # noqa: E402  pylint: disable=import-error,wrong-import-position

URL = os.environ["NETBOX_URL"]
TOKEN = os.environ["NETBOX_TOKEN"]
DAV_PORT = int(os.environ.get("SOT_TESTBED_DAV_PORT", "8797"))
USER, PASSWORD = "svc-netbox", "dav-" + uuid.uuid4().hex


class Dav:
    def __init__(self, tmp_path):
        self.root = tmp_path / "dav-root"
        self.root.mkdir()
        self.log = str(tmp_path / "dav-requests.jsonl")
        self.url = f"http://127.0.0.1:{DAV_PORT}/exports/netbox"
        self.proc = davserver.start(str(self.root), DAV_PORT, USER, PASSWORD, self.log)

    def requests(self):
        return davserver.read_log(self.log)

    def folder(self):
        return self.root / "exports" / "netbox"


@pytest.fixture
def dav(tmp_path, monkeypatch):
    modharness.install(monkeypatch)
    server = Dav(tmp_path)
    try:
        yield server
    finally:
        davserver.stop(server.proc)


def export(dest, tmp_path, **filters):
    result = modharness.invoke(netbox_export, {"url": URL, "token": TOKEN, "dest": str(dest),
                                               "cache_path": str(tmp_path / "cache.sqlite"), **filters})
    assert not result["failed"], result.get("msg")
    return result


def publish(dav, dest, password=PASSWORD, check_mode=False, **target):
    args = {"src": str(dest), "targets": [dict({"type": "webdav", "url": dav.url, "username": USER,
                                                "password": password, "create_folders": True}, **target)]}
    return modharness.invoke(netbox_export_publish, args, check_mode=check_mode)


def test_publish_uploads_then_unchanged_makes_no_request_then_only_changed_files(dav, tmp_path):
    dest = tmp_path / "export"
    exported = export(dest, tmp_path)
    names = sorted(pathlib.Path(f["path"]).name for f in exported["files"].values())

    preview = publish(dav, dest, check_mode=True)
    assert preview["changed"] is True and sorted(preview["targets"][0]["would_upload"]) == names
    assert dav.requests() == []  # check mode plans without a single request

    first = publish(dav, dest)
    assert not first["failed"], first.get("msg")
    assert first["changed"] is True and sorted(first["targets"][0]["uploaded"]) == names
    for name in names:  # byte for byte what the export wrote, in a folder MKCOL created
        assert (dav.folder() / name).read_bytes() == (dest / name).read_bytes()
    assert {r["method"] for r in dav.requests()} <= {"MKCOL", "PUT", "HEAD"}
    assert all(r["if_none_match"] == "*" for r in dav.requests() if r["method"] == "PUT")
    assert PASSWORD not in str(first)

    seen = len(dav.requests())
    again = publish(dav, dest)
    assert not again["failed"] and again["changed"] is False
    assert again["targets"][0]["outcome"] == "unchanged"
    assert len(dav.requests()) == seen and again["metrics"]["requests"] == 0

    # A real change in NetBox: one device's description. The export rewrites the files that show it.
    nb = build_client({"url": URL, "token": TOKEN, "cache": False})
    device = nb.list("dcim/devices", {"name": "ams1-leaf1"}, fields=["id", "description"])[0]
    try:
        nb.update_one("dcim/devices", device["id"], {"description": f"publish test {uuid.uuid4().hex[:8]}"})
        changed = export(dest, tmp_path)
        rewritten = sorted(pathlib.Path(f["path"]).name for f in changed["files"].values() if f["changed"])
        assert rewritten and "virtual_machines.csv" not in rewritten
        third = publish(dav, dest)
        assert not third["failed"], third.get("msg")
        new = dav.requests()[seen:]
        puts = sorted(r["path"].rsplit("/", 1)[1] for r in new if r["method"] == "PUT")
        assert puts == rewritten == sorted(third["targets"][0]["uploaded"])
        assert all(r["if_match"] for r in new if r["method"] == "PUT")  # the ETag of our last upload
        assert sorted(third["targets"][0]["unchanged"]) == sorted(set(names) - set(rewritten))
    finally:
        nb.update_one("dcim/devices", device["id"], {"description": device["description"]})


def test_file_changed_on_the_server_is_reported_not_overwritten(dav, tmp_path):
    dest = tmp_path / "export"
    export(dest, tmp_path)
    assert not publish(dav, dest)["failed"]
    # A person edits the merged CSV on the share (a different size, so its ETag changes).
    edited = dav.folder() / "inventory.csv"
    edited.write_bytes(b"type,name\nnote,edited by a person on the share\n")
    export(dest, tmp_path, site=["ams1"])  # a different export: every file changes
    result = publish(dav, dest)
    assert result["failed"] is True
    target = result["targets"][0]
    assert target["outcome"] == "conflict" and target["conflict"] == ["inventory.csv"]
    assert "changed since it was last published (HTTP 412" in result["msg"]
    assert edited.read_bytes() == b"type,name\nnote,edited by a person on the share\n"
    for name in target["uploaded"]:  # the other files were published
        assert (dav.folder() / name).read_bytes() == (dest / name).read_bytes()
    assert "inventory.csv" not in target["uploaded"] and len(target["uploaded"]) == 3
    # overwrite: true replaces the person's edit (a deliberate choice)
    forced = modharness.invoke(netbox_export_publish, {
        "src": str(dest), "overwrite": True,
        "targets": [{"type": "webdav", "url": dav.url, "username": USER, "password": PASSWORD}]})
    assert not forced["failed"] and forced["targets"][0]["uploaded"] == ["inventory.csv"]
    assert edited.read_bytes() == (dest / "inventory.csv").read_bytes()


def test_auth_failure_is_a_clear_error(dav, tmp_path):
    dest = tmp_path / "export"
    export(dest, tmp_path)
    wrong = "wrong-" + uuid.uuid4().hex
    result = publish(dav, dest, password=wrong)
    assert result["failed"] is True
    assert "WebDAV rejected the credentials (HTTP 401)" in result["msg"]
    assert result["targets"][0]["outcome"] == "failed" and result["changed"] is False
    assert wrong not in str(result) and "Traceback" not in result["msg"]
    assert [r["status"] for r in dav.requests()] == [401]  # not retried, nothing else tried
    assert not (dest / ".sot-netbox-publish.json").exists()


@pytest.mark.parametrize("fault", ["lost", "truncate", "cut"])
def test_an_upload_whose_answer_is_spoiled_converges_without_manual_cleanup(dav, tmp_path, fault):
    """The DAV server stores the PUT, then its answer is lost or cut off on the way back (a fault
    proxy between the module and the server). The run reads the file back, finds its own bytes and
    records them (or fails clearly); a re-run converges and then makes no request at all."""
    from faultproxy import FaultProxy  # pylint: disable=import-error,import-outside-toplevel

    dest = tmp_path / "export"
    base = dav.url.split("/exports/")[0]
    with FaultProxy(base) as proxy:
        through = dav.url.replace(base, proxy.url)
        export(dest, tmp_path)
        initial = publish(dav, dest, url=through)
        assert not initial["failed"], initial.get("msg")
        export(dest, tmp_path, site=["ams1"])  # every file changes
        proxy.add(fault, method="PUT", path=r"/inventory\.csv$")
        first = publish(dav, dest, url=through)
        assert proxy.count(outcome=fault) == 1
        assert PASSWORD not in str(first)
        assert "Error" not in str(first.get("msg", "")), first.get("msg")  # no exception class name
        if first["failed"]:
            second = publish(dav, dest, url=through)
            assert not second["failed"], second.get("msg")
        assert (dav.folder() / "inventory.csv").read_bytes() == (dest / "inventory.csv").read_bytes()
        seen = len(dav.requests())
        last = publish(dav, dest, url=through)
        assert not last["failed"] and last["changed"] is False and len(dav.requests()) == seen
