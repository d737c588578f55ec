# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module shell: argument spec, the branch option left out of its own client, the error path."""
from __future__ import annotations

import json
from unittest.mock import patch

import pytest
from ansible.module_utils import basic
from ansible_collections.sot.netbox.tests.unit.compat import patch_module_args

from ansible_collections.sot.netbox.plugins.modules import netbox_branch

TOKEN = "0123456789abcdef0123456789abcdef01234567"


class Exit(Exception):
    pass


def run(args):
    def exit_json(self, **kw):
        raise Exit(dict(kw, failed=False))

    def fail_json(self, **kw):
        raise Exit(dict(kw, failed=True))
    with patch_module_args(args), patch.multiple(basic.AnsibleModule, exit_json=exit_json, fail_json=fail_json):
        with pytest.raises(Exit) as info:
            netbox_branch.main()
    return info.value.args[0]


@pytest.mark.parametrize("args, text", [({"name": ""}, "name: must be the name of a NetBox branch"),
                                        ({"name": "b", "branch_timeout": -1}, "branch_timeout:")])
def test_bad_input_fails_before_any_request(args, text, tmp_path):
    result = run({"url": "http://127.0.0.1:9", "token": TOKEN, "cache_path": str(tmp_path / "c.sqlite"),
                  "branch": "some-branch", **args})
    assert result["failed"] and text in result["msg"], result["msg"]
    assert result["metrics"]["requests"] == 0  # the branch option was not acted on either
    assert TOKEN not in json.dumps(result)


def test_every_module_takes_the_branch_options():
    spec = netbox_branch.argument_spec(**netbox_branch.OPTIONS)
    assert spec["branch"]["type"] == "str" and spec["branch_create"]["default"] is False
    assert spec["branch_timeout"]["default"] == 300
