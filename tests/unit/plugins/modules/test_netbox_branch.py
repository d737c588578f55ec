# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module shell: argument spec, the branch option left out of its own client, the error path."""
from __future__ import annotations

import json

import pytest
from ansible_collections.sot.netbox.tests.unit.compat import capture_exits, run_main

from ansible_collections.sot.netbox.plugins.modules import netbox_branch

TOKEN = "0123456789abcdef0123456789abcdef01234567"


@pytest.mark.parametrize("args, text", [({"name": ""}, "name: must be the name of a NetBox branch"),
                                        ({"name": "b", "branch_timeout": -1}, "branch_timeout:")])
def test_bad_input_fails_before_any_request(args, text, tmp_path, monkeypatch):
    capture_exits(monkeypatch)
    result = run_main(netbox_branch.main, {"url": "http://127.0.0.1:9", "token": TOKEN, "branch": "some-branch",
                                           "cache_path": str(tmp_path / "c.sqlite"), **args})
    assert result["failed"] and text in result["msg"], result["msg"]
    assert result["metrics"]["requests"] == 0  # the branch option was not acted on either
    assert TOKEN not in json.dumps(result)


def test_every_module_takes_the_branch_options():
    spec = netbox_branch.argument_spec(**netbox_branch.OPTIONS)
    assert spec["branch"]["type"] == "str" and spec["branch_create"]["default"] is False
    assert spec["branch_timeout"]["default"] == 300
