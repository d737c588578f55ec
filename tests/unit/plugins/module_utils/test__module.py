# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import json

import pytest
from ansible.module_utils import basic
from ansible_collections.sot.netbox.tests.unit.compat import patch_module_args

from ansible_collections.sot.netbox.plugins.module_utils import _module
from ansible_collections.sot.netbox.plugins.module_utils._errors import InputError, SotNetboxError

TOKEN = "0123456789abcdef0123456789abcdef01234567"


class Exit(Exception):
    def __init__(self, kwargs):
        super().__init__()
        self.kwargs = kwargs


def run(args, runner, monkeypatch, base=None):
    def exit_json(self, **kwargs):
        raise Exit(dict(kwargs, failed=False))

    def fail_json(self, **kwargs):
        raise Exit(dict(kwargs, failed=True))

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)
    base = {"url": "http://127.0.0.1:9", "token": TOKEN, "cache": False} if base is None else base
    with patch_module_args({**base, **args}):
        module = basic.AnsibleModule(argument_spec=_module.argument_spec(), supports_check_mode=True)
        with pytest.raises(Exit) as info:
            _module.run_module(module, runner)
    return info.value.kwargs


def test_success_adds_metrics_and_changed(monkeypatch):
    out = run({}, lambda module, client: {"thing": 1}, monkeypatch)
    assert out["failed"] is False and out["changed"] is False and out["thing"] == 1
    assert out["metrics"]["requests"] == 0


def test_our_error_becomes_fail_json_with_partial_result(monkeypatch):
    def runner(module, client):
        raise SotNetboxError("boom", result={"created": ["a"], "changed": True})
    out = run({}, runner, monkeypatch)
    assert out["failed"] is True and out["msg"] == "boom" and out["created"] == ["a"] and out["changed"] is True
    assert "metrics" in out


def test_input_error_names_field_and_value(monkeypatch):
    def runner(module, client):
        raise InputError("vid", 5000, "must be between 1 and 4094")
    assert run({}, runner, monkeypatch)["msg"] == "vid: must be between 1 and 4094 (got 5000)"


def test_bad_connection_option_fails_before_runner(monkeypatch):
    called = []
    out = run({"max_workers": 0}, lambda module, client: called.append(1), monkeypatch)
    assert out["failed"] and "max_workers" in out["msg"] and not called


def test_unexpected_error_is_reported_without_the_token(monkeypatch):
    def runner(module, client):
        raise KeyError("x")
    out = run({}, runner, monkeypatch)
    assert out["failed"] and out["msg"].startswith("unexpected error: KeyError")
    assert TOKEN not in json.dumps(out)


def test_token_env_fallback_and_no_log(monkeypatch):
    monkeypatch.setenv("NETBOX_TOKEN", TOKEN)
    monkeypatch.setenv("NETBOX_API", "http://nb.test")
    seen = {}

    def runner(module, client):
        seen["url"] = client.base_url
        return {"echo": dict(module.params)}

    def exit_json(self, **kwargs):
        raise Exit(kwargs)
    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    with patch_module_args({}):
        module = basic.AnsibleModule(argument_spec=_module.argument_spec(), supports_check_mode=True)
        assert TOKEN in module.no_log_values
        with pytest.raises(Exit):
            _module.run_module(module, runner)
    assert seen["url"] == "http://nb.test"


def test_netbox_netbox_option_names_are_aliases(monkeypatch):
    out = run({}, lambda module, client: {"url": client.base_url, "auth": client._auth}, monkeypatch,
              base={"netbox_url": "http://nb.alias", "netbox_token": TOKEN, "cache": False})
    assert out["failed"] is False and out["url"] == "http://nb.alias"
    assert out["auth"] == "********"  # the token reached the client, and is masked on the way out


def test_every_text_that_leaves_is_redacted_in_every_form(monkeypatch):
    from urllib.parse import quote
    warned = []
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda self, text: warned.append(text))

    def runner(module, client):
        client.warn(f"proxy said Token {TOKEN}")
        raise SotNetboxError(f"echo: Authorization: {quote('Token ' + TOKEN, safe='')}",
                             result={"body": {"headers": [f"Token {TOKEN}"]}})
    out = run({}, runner, monkeypatch)
    assert TOKEN not in json.dumps(out) and quote(TOKEN) not in json.dumps(out)
    assert warned and TOKEN not in " ".join(warned)


def test_client_warnings_become_task_warnings_on_success(monkeypatch):
    warned = []
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda self, text: warned.append(text))

    def runner(module, client):
        client.warn("once")
        client.warn("once")
        return {}
    assert run({}, runner, monkeypatch)["failed"] is False
    assert warned == ["once"]


@pytest.mark.parametrize("args, words", [
    ({"url": "http://nb .test"}, "url: must not contain spaces"), ({"token": TOKEN[:10] + "\n" + TOKEN[10:]}, "token:"),
    ({"headers": {"X-A": "a\r\nb"}}, "headers.X-A:"), ({"cert": "/nonexistent.pem"}, "cert:"),
])
def test_bad_connection_options_are_one_line_naming_the_option(monkeypatch, args, words):
    out = run(args, lambda module, client: {}, monkeypatch)
    assert out["failed"] and out["msg"].startswith(words) and "Traceback" not in out["msg"]
    assert TOKEN[10:] not in out["msg"]
