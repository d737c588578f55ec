#!/usr/bin/env python3
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write netbox_segment's DOCUMENTATION `options:` block from its field table.

The table (plugins/module_utils/_segment/fields.py) is the one declaration of the module's options;
the module keeps a rendered copy because ansible-doc and ansible-test's validate-modules read
DOCUMENTATION as text. tests/unit/plugins/modules/test_netbox_segment.py fails when the copy and the
table differ; this script rewrites the copy:

  source tools/lib.sh && ensure_venv && ensure_collection_path && python tools/segment_docs.py [--check]
"""
from __future__ import annotations

import pathlib
import re
import sys

from ansible_collections.sot.netbox.plugins.module_utils._segment.fields import render_options

MODULE = pathlib.Path(__file__).resolve().parent.parent / "plugins" / "modules" / "netbox_segment.py"
BLOCK = re.compile(r"(# BEGIN generated options[^\n]*\n)(.*?)(# END generated options\n)", re.DOTALL)


def main(argv: list) -> int:
    text = MODULE.read_text(encoding="utf-8")
    new = BLOCK.sub(lambda m: m.group(1) + render_options() + m.group(3), text, count=1)
    if "--check" in argv:
        return 0 if new == text else 1
    if new != text:
        MODULE.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
