# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The segment path's shape: endpoints only through _records, small files and functions, type hints."""
from __future__ import annotations

import ast
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[5]
# __init__.py stays empty (ansible-test sanity: empty-init)
FILES = sorted(p for p in (ROOT / "plugins" / "module_utils" / "_segment").glob("*.py") if p.name != "__init__.py") + [
    ROOT / "plugins" / "modules" / "netbox_segment.py"]
ENDPOINT = re.compile(r"^/?(api/)?(ipam|dcim|extras|tenancy|virtualization|core|users|circuits|wireless)/[a-z]")


def _functions(tree: ast.AST) -> list:
    return [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def _docstrings(tree: ast.AST) -> set:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_endpoint_string_outside_records(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = _docstrings(tree)
    strays = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
              and id(n) not in docs and ENDPOINT.match(n.value)]
    assert strays == [], f"{path.name}: endpoints belong in _records.py: {strays}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_files_and_functions_are_small_and_typed(path):
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 400
    assert "from __future__ import annotations" in text
    for fn in _functions(ast.parse(text)):
        assert fn.end_lineno - fn.lineno + 1 <= 50, f"{path.name}:{fn.lineno} {fn.name}"
        args = [a for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs if a.arg not in ("self", "cls")]
        assert fn.returns is not None and all(a.annotation is not None for a in args), f"{path.name}: {fn.name}"
