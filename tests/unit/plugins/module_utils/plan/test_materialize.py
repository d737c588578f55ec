# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""After a failed generation: when the plan's tag is removed again and when it must stay."""
from __future__ import annotations

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._errors import ConnectionFailed, SotNetboxError, Timeout
from ansible_collections.sot.netbox.plugins.module_utils._plan import materialize


class Recorder:
    def __init__(self):
        self.deleted = []

    def delete(self, path, ids, batch_size=200):
        self.deleted.append((path, list(ids)))
        return list(ids)


def failure(kind):
    if kind == "timeout":
        exc = SotNetboxError("create devices failed")
        exc.__cause__ = Timeout("NetBox did not answer")
        return exc
    failed = {"devices": {"ids": [7]}} if kind == "rollback-failed" else {}
    exc = SotNetboxError("create devices failed", {"rollback": {"failed": failed}})
    exc.__cause__ = ConnectionFailed("reset")
    return exc


@pytest.mark.parametrize("kind, tag_removed", [("error", True), ("timeout", False), ("rollback-failed", False)])
def test_the_tag_is_removed_only_when_nothing_of_the_run_can_remain(kind, tag_removed):
    client, exc = Recorder(), failure(kind)
    exc = materialize._fail(client, [("tag", "extras/tags", 3)], exc, {"counts": {"devices": {"created": 4}}, "plan": {}})
    assert (client.deleted == [("extras/tags", [3])]) is tag_removed
    assert "counts" not in exc.result and "plan" in exc.result  # planned counts are not what happened
    if kind == "timeout":
        assert "the next run adopts what it committed" in exc.message
