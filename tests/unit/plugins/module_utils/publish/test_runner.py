# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The runner end to end over an export directory, with fake DAV and Confluence servers."""
from __future__ import annotations

import hashlib
import json
import os

import pytest
import requests

from ansible_collections.sot.netbox.plugins.module_utils._errors import InputError, SotNetboxError, ValidationErrors
from ansible_collections.sot.netbox.plugins.module_utils._export import files as export_files
from ansible_collections.sot.netbox.plugins.module_utils._publish.runner import PublishContext, publish_export
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.publish.recorder import (
    Recorder, Resp, transport_options)

DAV_URL = "https://dav.test/share/Inventory"
SECRET = "dav-password-9876"


def write_export(dest, contents):
    """Export files and their manifest, as netbox_export writes them."""
    files, workbook = {}, None
    for output, (name, data) in contents.items():
        with open(os.path.join(dest, name), "wb") as fh:
            fh.write(data)
        entry = {"file": name, "sha256": hashlib.sha256(data).hexdigest()}
        if output == "workbook":
            workbook = dict(entry, source_sha256="s")
        else:
            files[output] = dict(entry, rows=1)
    export_files.write_text_atomic(os.path.join(dest, export_files.MANIFEST), export_files.manifest_text(files,
                                                                                                         workbook))


EXPORT = {"merged": ("inventory.csv", b"type,name\ndevice,a\n"), "devices": ("devices.csv", b"name\na\n"),
          "workbook": ("inventory.xlsx", b"PK\x03\x04wb")}


class DavServer:
    """An in-memory DAV folder with ETags and If-Match/If-None-Match, like a real server."""

    def __init__(self):
        self.files = {}
        self.session = Recorder()
        self.session.request = self._wrap(self.session.request)
        self.counter = 0
        self.lose_answer_to = set()

    def _wrap(self, record):
        def request(method, url, **kw):
            record(method, url, **kw)  # recorded (answers 404), then answered here
            return self.answer(self.session.calls[-1])
        return request

    def answer(self, call):
        name = call["path"].rsplit("/", 1)[1]
        if call["headers"].get("Authorization") != "Basic " + __import__("base64").b64encode(
                f"svc:{SECRET}".encode()).decode():
            return Resp(401, raw=b"")
        current = self.files.get(name)
        if call["method"] == "HEAD":
            return Resp(200 if current else 404, raw=b"", headers={"ETag": current[1]} if current else {})
        if call["method"] == "GET":
            return Resp(200, raw=current[0], headers={"ETag": current[1]}) if current else Resp(404, raw=b"")
        if call["method"] == "PUT":
            if call["headers"].get("If-None-Match") == "*" and current:
                return Resp(412, raw=b"")
            if "If-Match" in call["headers"] and (not current or current[1] != call["headers"]["If-Match"]):
                return Resp(412, raw=b"")
            self.counter += 1
            self.files[name] = (call["data"], f'"e{self.counter}"')
            if name in self.lose_answer_to:
                # Stored, but the answer never comes back (a reset after the server applied the PUT).
                self.lose_answer_to.discard(name)
                raise requests.exceptions.ConnectionError("('Connection aborted.', RemoteDisconnected())")
            return Resp(204 if current else 201, raw=b"", headers={"ETag": f'"e{self.counter}"'})
        return Resp(405, raw=b"")

    def edit(self, name, data):
        self.counter += 1
        self.files[name] = (data, f'"person{self.counter}"')

    def puts(self):
        return [c["path"].rsplit("/", 1)[1] for c in self.session.calls if c["method"] == "PUT"]


@pytest.fixture
def export_dir(tmp_path):
    write_export(str(tmp_path), EXPORT)
    return str(tmp_path)


def dav_target(**kw):
    return dict({"type": "webdav", "url": DAV_URL, "username": "svc", "password": SECRET}, **kw)


def publish(server, src, targets=None, **kw):
    context = PublishContext(transport_options=transport_options(server.session))
    return publish_export(context, src, targets or [dav_target()], **kw)


def test_first_publish_uploads_then_unchanged_makes_no_request(export_dir):
    server = DavServer()
    first = publish(server, export_dir)
    assert first["changed"] is True and sorted(server.puts()) == sorted(n for n, _d in EXPORT.values())
    (target,) = first["targets"]
    assert target["outcome"] == "uploaded" and target["uploaded"] == ["inventory.xlsx", "inventory.csv",
                                                                      "devices.csv"]
    assert first["totals"]["files_uploaded"] == 3 and first["record_changed"] is True
    record = json.load(open(os.path.join(export_dir, ".sot-netbox-publish.json")))
    assert record["targets"]["webdav " + DAV_URL + "/"]["files"]["devices.csv"]["etag"].startswith('"e')
    calls = len(server.session.calls)
    again = publish(server, export_dir)
    assert again["changed"] is False and len(server.session.calls) == calls
    assert again["targets"][0]["outcome"] == "unchanged" and "record_changed" not in again


def test_changed_export_uploads_only_changed_file_with_if_match(export_dir):
    server = DavServer()
    publish(server, export_dir)
    etag = server.files["devices.csv"][1]
    write_export(export_dir, dict(EXPORT, devices=("devices.csv", b"name\na\nb\n")))
    before = len(server.session.calls)
    result = publish(server, export_dir)
    new_calls = server.session.calls[before:]
    assert [c["method"] for c in new_calls] == ["PUT"] and new_calls[0]["headers"]["If-Match"] == etag
    assert result["targets"][0]["uploaded"] == ["devices.csv"] and result["changed"] is True
    assert server.files["devices.csv"][0] == b"name\na\nb\n"


def test_file_changed_on_server_is_reported_not_overwritten(export_dir):
    server = DavServer()
    publish(server, export_dir)
    server.edit("devices.csv", b"edited by a person")
    write_export(export_dir, dict(EXPORT, devices=("devices.csv", b"name\nz\n"),
                                  merged=("inventory.csv", b"type,name\ndevice,z\n")))
    with pytest.raises(SotNetboxError) as err:
        publish(server, export_dir)
    assert server.files["devices.csv"][0] == b"edited by a person"
    result = err.value.result
    target = result["targets"][0]
    assert target["outcome"] == "conflict" and target["conflict"] == ["devices.csv"]
    assert target["uploaded"] == ["inventory.csv"] and result["changed"] is True
    assert "changed since it was last published" in err.value.message and SECRET not in err.value.message
    # The upload that succeeded is recorded: a re-run retries only the conflicted file.
    server.session.calls.clear()
    with pytest.raises(SotNetboxError):
        publish(server, export_dir)
    assert server.puts() == ["devices.csv"]


def test_a_put_whose_answer_was_lost_is_found_on_the_server_and_adopted(export_dir):
    server = DavServer()
    publish(server, export_dir)
    write_export(export_dir, dict(EXPORT, devices=("devices.csv", b"name\na\nc\n")))
    server.lose_answer_to.add("devices.csv")
    result = publish(server, export_dir)
    # The resent PUT fails If-Match on our own upload; the bytes on the server are ours: adopted.
    assert result["targets"][0]["uploaded"] == ["devices.csv"] and server.files["devices.csv"][0] == b"name\na\nc\n"
    server.session.calls.clear()
    again = publish(server, export_dir)
    assert again["changed"] is False and server.session.calls == []


def test_identical_bytes_put_there_by_an_earlier_lost_answer_are_adopted_not_a_conflict(export_dir):
    server = DavServer()
    publish(server, export_dir)
    write_export(export_dir, dict(EXPORT, devices=("devices.csv", b"name\nd\n")))
    server.edit("devices.csv", b"name\nd\n")    # what an interrupted earlier run stored, under a new ETag
    result = publish(server, export_dir)
    assert result["targets"][0]["outcome"] == "uploaded"
    assert server.puts().count("devices.csv") == 2    # the first run's and the refused If-Match one
    server.session.calls.clear()
    assert publish(server, export_dir)["changed"] is False and server.session.calls == []


def test_overwrite_replaces_a_changed_remote_file(export_dir):
    server = DavServer()
    publish(server, export_dir)
    server.edit("devices.csv", b"edited")
    write_export(export_dir, dict(EXPORT, devices=("devices.csv", b"name\nq\n")))
    result = publish(server, export_dir, overwrite=True)
    assert result["targets"][0]["uploaded"] == ["devices.csv"] and server.files["devices.csv"][0] == b"name\nq\n"


def test_existing_remote_file_not_published_by_us_is_a_conflict(export_dir):
    server = DavServer()
    server.edit("inventory.xlsx", b"somebody's workbook")
    with pytest.raises(SotNetboxError) as err:
        publish(server, export_dir, files=["workbook"])
    assert err.value.result["targets"][0]["conflict"] == ["inventory.xlsx"]


def test_auth_failure_is_a_clear_error_and_nothing_recorded(export_dir):
    server = DavServer()
    with pytest.raises(SotNetboxError) as err:
        publish(server, export_dir, [dav_target(password="wrong-password")])
    assert "WebDAV rejected the credentials (HTTP 401)" in err.value.message
    assert "wrong-password" not in json.dumps(err.value.result) + err.value.message
    target = err.value.result["targets"][0]
    assert target["outcome"] == "failed" and [f["outcome"] for f in target["files"]] == [
        "failed", "not_attempted", "not_attempted"]
    assert not os.path.exists(os.path.join(export_dir, ".sot-netbox-publish.json"))


def test_after_a_failure_unchanged_files_stay_unchanged(export_dir):
    server = DavServer()
    publish(server, export_dir)
    write_export(export_dir, dict(EXPORT, workbook=("inventory.xlsx", b"PK\x03\x04v2")))
    with pytest.raises(SotNetboxError) as err:
        publish(server, export_dir, [dav_target(password="wrong-password")])
    files = err.value.result["targets"][0]["files"]
    assert [(f["file"], f["outcome"]) for f in files] == [
        ("inventory.xlsx", "failed"), ("inventory.csv", "unchanged"), ("devices.csv", "unchanged")]


def test_check_mode_makes_no_request_and_writes_nothing(export_dir):
    server = DavServer()
    result = publish(server, export_dir, check_mode=True)
    assert result["changed"] is True and server.session.calls == []
    assert result["targets"][0]["would_upload"] == ["inventory.xlsx", "inventory.csv", "devices.csv"]
    assert "upload inventory.xlsx (new" in result["_diff_text"]
    assert not os.path.exists(os.path.join(export_dir, ".sot-netbox-publish.json"))


def test_file_edited_since_export_is_refused(export_dir):
    with open(os.path.join(export_dir, "devices.csv"), "ab") as fh:
        fh.write(b"extra\n")
    with pytest.raises(InputError) as err:
        publish(DavServer(), export_dir)
    assert "differs from the export manifest" in err.value.message


@pytest.mark.parametrize("src, targets, text", [
    ("relative/dir", None, "must be an absolute path"),
    ("/nonexistent-dir-for-test", None, "holds no export manifest"),
    (None, [dav_target(url="https://svc:pw@dav.test/x")], "must not contain a user name or password"),
    (None, [{"type": "confluence", "url": "https://c.test", "token": "t"}], "needs page_id"),
])
def test_bad_input_before_any_request(export_dir, src, targets, text):
    server = DavServer()
    with pytest.raises((InputError, ValidationErrors)) as err:
        publish(server, src or export_dir, targets)
    assert text in err.value.message and server.session.calls == []


def test_confluence_target_end_to_end(export_dir):
    att = {}

    def attachments(call):
        name = call["params"]["filename"]
        return Resp(200, {"results": [att[name]] if name in att else []})

    def create(call):
        name = call["data"].split(b'filename="', 1)[1].split(b'"', 1)[0].decode()
        att[name] = {"id": f"att-{name}", "title": name, "version": {"number": 1}}
        return Resp(200, {"results": [att[name]]})

    session = Recorder({("GET", "/wiki/rest/api/content"): [Resp(200, {"results": [{"id": "77"}]})],
                        ("GET", "/wiki/rest/api/content/77/child/attachment"): attachments,
                        ("POST", "/wiki/rest/api/content/77/child/attachment"): create})
    context = PublishContext(transport_options=transport_options(session))
    target = {"type": "confluence", "url": "https://example.atlassian.net/wiki", "space": "NET", "title": "Inv",
              "username": "svc@example.com", "token": "api-token-1234", "comment": "export {sha12} of {file}"}
    result = publish_export(context, export_dir, [target], files=["workbook"])
    assert result["targets"][0]["files"][0]["attachment_id"] == "att-inventory.xlsx"
    post = [c for c in session.calls if c["method"] == "POST"][0]
    sha = hashlib.sha256(EXPORT["workbook"][1]).hexdigest()
    assert f"export {sha[:12]} of inventory.xlsx".encode() in post["data"]
    # a person uploads version 2: the next changed export reports it instead of adding version 3
    att["inventory.xlsx"]["version"]["number"] = 2
    write_export(export_dir, dict(EXPORT, workbook=("inventory.xlsx", b"PK\x03\x04v2")))
    with pytest.raises(SotNetboxError) as err:
        publish_export(context, export_dir, [target], files=["workbook"])
    assert "is at version 2, but version 1 was published last" in err.value.message
    assert "api-token-1234" not in json.dumps(err.value.result)
