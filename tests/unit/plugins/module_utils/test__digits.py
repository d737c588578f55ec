# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._digits import ascii_digits


@pytest.mark.parametrize("text, expected", [
    ("0", True), ("42", True), ("007", True),
    ("", False), (" 4", False), ("-4", False), ("4.0", False), ("1e3", False),
    ("\u00b2", False),   # SUPERSCRIPT TWO: isdigit() is true, int() fails
    ("\u0662", False),   # ARABIC-INDIC DIGIT TWO: int() gives 2
    ("\uff12", False),   # FULLWIDTH DIGIT TWO
])
def test_ascii_digits(text, expected):
    assert ascii_digits(text) is expected
