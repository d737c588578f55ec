# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._difftext import diff_entry, diff_text


@pytest.mark.parametrize("value, expected", [
    (None, ""),
    ({"vrf": "Zürich", "role": "Rôle"}, '{\n  "role": "Rôle",\n  "vrf": "Zürich"\n}\n'),
    (["日本"], '[\n  "日本"\n]\n'),
])
def test_diff_text_keeps_names_as_written(value, expected):
    assert diff_text(value) == expected


def test_diff_entry_has_text_sides_and_headers():
    entry = diff_entry(None, {"name": "Ελλάδα"}, after_header="segment 10.0.0.0/24")
    assert entry == {"before": "", "after": '{\n  "name": "Ελλάδα"\n}\n', "after_header": "segment 10.0.0.0/24"}
