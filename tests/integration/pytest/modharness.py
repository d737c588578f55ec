# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a module's main() in this process, as AnsiballZ would, and capture its result (the unit
tests' exit capture, tests/unit/compat.py, with `failed` always set)."""
from __future__ import annotations

from ansible_collections.sot.netbox.tests.unit.compat import capture_exits, run_main


def install(monkeypatch):
    """exit_json/fail_json raise instead of exiting, so main() returns control to the test."""
    capture_exits(monkeypatch)


def invoke(module, args, check_mode=False):
    result = run_main(module.main, {**args, "_ansible_check_mode": check_mode})
    return dict(result, failed=bool(result.get("failed", False)))


def branching_main(monkeypatch, url, token):
    """The set-up of a branching test: module exits captured, no NETBOX_BRANCH from the caller's
    environment, and a client of main (skipped without the plugin)."""
    from ansible_collections.sot.netbox.plugins.module_utils._connection import build_client  # pylint: disable=import-outside-toplevel
    install(monkeypatch)
    monkeypatch.delenv("NETBOX_BRANCH", raising=False)
    main = build_client({"url": url, "token": token, "cache": False})
    skip_without_branching(main)
    return main


def skip_without_branching(client) -> None:
    """Skip (with the reason) when the test bed's NetBox has no NetBox Branching plugin."""
    import pytest  # pylint: disable=import-outside-toplevel
    from ansible_collections.sot.netbox.plugins.module_utils._records import record  # pylint: disable=import-outside-toplevel
    if client.get(record("branching").path()) is None:
        pytest.skip("the NetBox Branching plugin is not installed on this test bed: tools/testbed.py could not "
                    "install netboxlabs-netbox-branching (see logs/pip-branching.log in SOT_TESTBED_RUN)")
