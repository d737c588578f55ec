# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a module's main() in this process, as AnsiballZ would, and capture its result."""
from __future__ import annotations

from ansible.module_utils import basic
from ansible_collections.sot.netbox.tests.unit.compat import patch_module_args


class Outcome(Exception):
    def __init__(self, kwargs):
        super().__init__()
        self.kwargs = kwargs


def install(monkeypatch):
    """exit_json/fail_json raise Outcome (with `failed`), so main() returns control to the test."""
    def exit_json(self, **kwargs):
        raise Outcome(dict(kwargs, failed=False))

    def fail_json(self, **kwargs):
        raise Outcome(dict(kwargs, failed=True))

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)


def invoke(module, args, check_mode=False):
    with patch_module_args({**args, "_ansible_check_mode": check_mode}):
        try:
            module.main()
        except Outcome as out:
            return out.kwargs
    raise AssertionError("module returned without exit_json/fail_json")
