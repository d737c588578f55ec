# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module shell: argument spec and the error path (bad input fails before any request)."""
from __future__ import annotations

import json
from unittest.mock import patch

import pytest
from ansible.module_utils import basic
from ansible_collections.sot.netbox.tests.unit.compat import patch_module_args

from ansible_collections.sot.netbox.plugins.modules import netbox_segment

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
            netbox_segment.main()
    return info.value.args[0]


@pytest.mark.parametrize("args, text", [
    ({"prefix": "10.0.0.0/33", "vrf": "prod", "site_group": "dc-east"}, "not a valid network"),
    ({"prefix": "10.0.0.0/24", "vrf": "prod", "site_group": "dc-east", "vlan": {"vid": 4095}}, "between 1 and 4094"),
    ({"state": "allocated", "vrf": "prod", "site_group": "dc-east", "cluster": "c", "pool": "10.0.0.0/20",
      "prefix_length": 8}, "does not fit"),
])
def test_bad_input_fails_before_any_request(args, text, tmp_path):
    result = run({"url": "http://127.0.0.1:9", "token": TOKEN, "cache_path": str(tmp_path / "c.sqlite"), **args})
    assert result["failed"] and text in result["msg"]
    assert result["metrics"]["requests"] == 0
    assert TOKEN not in json.dumps(result)


def test_token_is_no_log():
    assert netbox_segment.argument_spec(**netbox_segment.OPTIONS)["token"]["no_log"] is True


def test_documentation_options_are_the_field_table_rendered():
    """DOCUMENTATION's options are generated (tools/segment_docs.py): the copy equals the table, as
    text and as the options validate-modules compares with the argument spec."""
    import yaml
    from ansible_collections.sot.netbox.plugins.module_utils._segment.fields import render_options
    assert render_options() in netbox_segment.DOCUMENTATION, "run tools/segment_docs.py"
    documented = yaml.safe_load(netbox_segment.DOCUMENTATION)["options"]
    assert set(documented) == set(netbox_segment.OPTIONS)
    assert set(documented["segments"]["suboptions"]) == set(netbox_segment.OPTIONS["segments"]["options"])
    for name, spec in netbox_segment.OPTIONS.items():
        assert documented[name]["type"] == spec["type"], name
        assert documented[name].get("default") == spec.get("default"), name
        assert documented[name].get("choices") == spec.get("choices"), name
