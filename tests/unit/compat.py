# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the unit tests need from ansible-core across the supported range (2.16 through 2.21)."""
from __future__ import annotations

import contextlib
import json
from unittest import mock

from ansible.module_utils import basic

try:
    from ansible.module_utils.testing import patch_module_args  # ansible-core >= 2.19
except ImportError:  # ansible-core 2.16 - 2.18: the same effect through the module's serialized args
    @contextlib.contextmanager
    def patch_module_args(args: dict | None = None):
        """Expose the given module args to `AnsibleModule` instances created within this context."""
        if not isinstance(args, (dict, type(None))):
            raise TypeError("The `args` arg must be a dict or None.")
        serialized = json.dumps({"ANSIBLE_MODULE_ARGS": args or {}}).encode()
        with mock.patch.object(basic, "_ANSIBLE_ARGS", serialized):
            yield


class Exit(Exception):
    """What a module passed to exit_json/fail_json (with failed=True), raised so the test reads it."""

    def __init__(self, kwargs):
        super().__init__()
        self.kwargs = kwargs


def capture_exits(monkeypatch):
    """Make exit_json/fail_json raise `Exit` instead of printing and exiting."""
    def exit_json(self, **kwargs):
        raise Exit(kwargs)

    def fail_json(self, **kwargs):
        raise Exit(dict(kwargs, failed=True))

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)


def run_main(main, args):
    """Run a module's main() with these args; its exit_json/fail_json arguments."""
    with patch_module_args(args):
        try:
            main()
        except Exit as out:
            return out.kwargs
    raise AssertionError("the module returned without exit_json or fail_json")


__all__ = ["Exit", "capture_exits", "patch_module_args", "run_main"]
