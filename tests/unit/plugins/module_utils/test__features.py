# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._features import FEATURES, feature, parse_version


@pytest.mark.parametrize("text, version", [("4.7", (4, 7)), ("4.6.2", (4, 6)), ("v4.5-beta1", (4, 5)),
                                           ("", None), (None, None), ("latest", None)])
def test_parse_version(text, version):
    assert parse_version(text) == version


def test_declared_minimums():
    assert {name: f.minimum for name, f in FEATURES.items()} == {
        "prefix_scope": (4, 2), "vlan_group_scope": (2, 11), "vlan_group_vid_ranges": (4, 2),
        "v2_tokens": (4, 5), "cursor_paging": (4, 6), "branching": (4, 7)}


def test_unknown_feature_is_a_programming_error_listing_the_known():
    with pytest.raises(ValueError) as info:
        feature("time_travel")
    assert "cursor_paging" in str(info.value)
