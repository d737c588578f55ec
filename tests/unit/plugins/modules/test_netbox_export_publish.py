# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module through AnsibleModule: argument spec (env fallbacks, NetBox options accepted),
check mode and diff, errors as fail_json, secrets never in the result."""
from __future__ import annotations

import json

import pytest
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.sot.netbox.plugins.module_utils._publish import runner
from ansible_collections.sot.netbox.plugins.modules import netbox_export_publish
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.publish.recorder import transport_options
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.publish.test_runner import (
    DAV_URL, EXPORT, SECRET, DavServer, write_export)


class Exit(Exception):
    def __init__(self, kwargs):
        super().__init__()
        self.kwargs = kwargs


@pytest.fixture
def server(monkeypatch):
    fake = DavServer()
    monkeypatch.setattr(netbox_export_publish, "context_for",
                        lambda module: runner.PublishContext(transport_options=transport_options(fake.session)))

    def exit_json(self, **kwargs):
        raise Exit(kwargs)

    def fail_json(self, **kwargs):
        raise Exit(dict(kwargs, failed=True))

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)
    return fake


def run(args, tmp_path, check=False, diff=False):
    extra = {"_ansible_check_mode": check, "_ansible_diff": diff, "_ansible_tmpdir": str(tmp_path)}
    with patch_module_args({**args, **extra}):
        with pytest.raises(Exit) as out:
            netbox_export_publish.main()
    return out.value.kwargs


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
