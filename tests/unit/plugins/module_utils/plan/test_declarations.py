# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan path names NetBox types through _records only, and stays small: no endpoint string, type
hints on every function, no function over 50 lines and no file over 400."""
from __future__ import annotations

import ast
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[5]
FILES = sorted((ROOT / "plugins" / "module_utils" / "_plan").glob("*.py")) + [
    ROOT / "plugins" / "modules" / "netbox_plan_generate.py"]
ENDPOINT = re.compile(r"^/?(api/)?(dcim|ipam|extras|tenancy|virtualization|core|circuits|wireless|plugins)/[a-z]")


def _functions(tree: ast.AST) -> list:
    return [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_endpoint_string_outside_the_records(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    strays = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
              and ENDPOINT.match(n.value)]
    assert strays == []


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_small_and_typed(path):
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 400
    for fn in _functions(ast.parse(text)):
        args = fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs
        unhinted = [a.arg for a in args if a.annotation is None and a.arg not in ("self", "cls")]
        assert fn.end_lineno - fn.lineno < 50 and not unhinted and fn.returns is not None, fn.name
