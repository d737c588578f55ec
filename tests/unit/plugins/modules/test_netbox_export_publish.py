# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module through AnsibleModule: argument spec (env fallbacks, NetBox options accepted),
check mode and diff, errors as fail_json, secrets never in the result."""
from __future__ import annotations

import dataclasses
import json

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._publish import runner
from ansible_collections.sot.netbox.plugins.modules import netbox_export_publish
from ansible_collections.sot.netbox.tests.unit.compat import capture_exits, run_main
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.publish.recorder import Resp, transport_options
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.publish.test_runner import (
    DAV_URL, EXPORT, SECRET, DavServer, write_export)


@pytest.fixture
def server(monkeypatch):
    fake = DavServer()
    # The module's own context (its Redactor of the targets' secrets), with the fake session.
    monkeypatch.setattr(netbox_export_publish, "context_for", lambda module: dataclasses.replace(
        runner.context_for(module), transport_options=transport_options(fake.session)))
    capture_exits(monkeypatch)
    return fake


def run(args, tmp_path, check=False, diff=False):
    extra = {"_ansible_check_mode": check, "_ansible_diff": diff, "_ansible_tmpdir": str(tmp_path)}
    return run_main(netbox_export_publish.main, {**args, **extra})


def args(src, **kw):
    return dict({"src": src, "targets": [{"type": "webdav", "url": DAV_URL, "username": "svc"}],
                 # the NetBox options of module_defaults group/sot.netbox.netbox are accepted and unused
                 "url": "https://netbox.example.com", "token": "0123456789abcdef0123456789abcdef01234567"}, **kw)


def test_publish_with_env_password_then_unchanged(server, tmp_path, monkeypatch):
    export = tmp_path / "export"
    export.mkdir()
    write_export(str(export), EXPORT)
    monkeypatch.setenv("SOT_PUBLISH_PASSWORD", SECRET)
    first = run(args(str(export)), tmp_path)
    assert first["changed"] is True and not first.get("failed")
    assert first["targets"][0]["outcome"] == "uploaded" and first["metrics"]["requests"] == 3
    assert SECRET not in json.dumps(first)
    second = run(args(str(export)), tmp_path)
    assert second["changed"] is False and second["metrics"]["requests"] == 0


def test_check_mode_and_diff(server, tmp_path, monkeypatch):
    export = tmp_path / "export"
    export.mkdir()
    write_export(str(export), EXPORT)
    monkeypatch.setenv("SOT_PUBLISH_PASSWORD", SECRET)
    out = run(args(str(export)), tmp_path, check=True, diff=True)
    assert out["changed"] is True and server.session.calls == []
    assert "upload devices.csv (new" in out["diff"]["prepared"]


def test_failure_is_fail_json_with_targets_and_no_secret(server, tmp_path, monkeypatch):
    export = tmp_path / "export"
    export.mkdir()
    write_export(str(export), EXPORT)
    monkeypatch.setenv("SOT_PUBLISH_PASSWORD", "not-the-password")
    out = run(args(str(export)), tmp_path)
    assert out["failed"] is True and "WebDAV rejected the credentials" in out["msg"]
    assert out["targets"][0]["outcome"] == "failed" and "not-the-password" not in json.dumps(out)
    assert "Traceback" not in out["msg"]


def test_bad_target_is_a_validation_error(server, tmp_path):
    export = tmp_path / "export"
    export.mkdir()
    write_export(str(export), EXPORT)
    out = run(args(str(export), targets=[{"type": "confluence", "url": "https://c.test", "token": "t1234"}]),
              tmp_path)
    assert out["failed"] is True and out["errors"][0]["path"] == "targets[0]"


def test_target_secrets_are_redacted_even_when_the_server_echoes_them(server, tmp_path, monkeypatch):
    """A debug proxy that echoes the request (the password, the Basic header) into its error page:
    neither reaches the result, the message or the per-target error."""
    export = tmp_path / "export"
    export.mkdir()
    write_export(str(export), EXPORT)
    monkeypatch.setenv("SOT_PUBLISH_PASSWORD", "echoed-password-31")
    encoded = __import__("base64").b64encode(b"svc:echoed-password-31").decode()
    monkeypatch.setattr(server, "answer", lambda call: Resp(
        400, raw=f"bad request from {call['headers']['Authorization']} password=echoed-password-31".encode()))
    out = run(args(str(export)), tmp_path)
    text = json.dumps(out)
    assert out["failed"] is True and "rejected the request (HTTP 400)" in out["msg"]
    assert "echoed-password-31" not in text and encoded not in text and "********" in text
