# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One test for "this text is a number", shared by every place that turns user or NetBox text into an
integer id. PRIVATE to the collection. No Ansible imports."""
from __future__ import annotations


def ascii_digits(text: str) -> bool:
    """True for '0'-'9' only. str.isdigit() is also true for '²' (which int() rejects) and for
    '٣' (which int() reads as 3, but no NetBox id, uid or port is ever written that way)."""
    return text.isascii() and text.isdigit()
