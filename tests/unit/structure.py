# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the structure tests read: the collection's Python files, their ASTs and their imports.
Plain ast over the source files: nothing is imported, so a test names the file and line it faults."""
from __future__ import annotations

import ast
import functools
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]      # the collection root (holds plugins/)
PLUGINS = ROOT / "plugins"
MODULE_UTILS = PLUGINS / "module_utils"
PACKAGE = "ansible_collections.sot.netbox."
# A NetBox REST path: the API's top-level apps (and the `status` endpoint) followed by a '/'.
ENDPOINT = re.compile(r"^/?(?:api/)?(?:dcim|ipam|extras|tenancy|virtualization|core|users|plugins|status)/")


def rel(path: pathlib.Path) -> str:
    return path.relative_to(ROOT).as_posix()


def python_files(under: pathlib.Path = PLUGINS) -> list[pathlib.Path]:
    return sorted(p for p in under.rglob("*.py") if "__pycache__" not in p.parts)


@functools.lru_cache(maxsize=None)
def tree(path: pathlib.Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def imported_modules(path: pathlib.Path) -> set[str]:
    """Every module name an import statement in `path` names (`from a import b` gives a and a.b)."""
    out = set()
    for node in ast.walk(tree(path)):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            out.add(node.module)
            out.update(f"{node.module}.{alias.name}" for alias in node.names)
    return out


def file_of(module: str) -> pathlib.Path | None:
    """The collection file a module name is, or None (the standard library, Ansible, requests...)."""
    if not module.startswith(PACKAGE):
        return None
    base = ROOT.joinpath(*module[len(PACKAGE):].split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imports_closure(path: pathlib.Path) -> dict[pathlib.Path, set[str]]:
    """`path` and every collection file it imports, directly or through others, with their imports."""
    todo, seen = [path], {}
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen[current] = imported_modules(current)
        todo.extend(f for f in map(file_of, seen[current]) if f is not None)
    return seen


def is_ansible(module: str) -> bool:
    return module == "ansible" or module.startswith("ansible.")


def functions(path: pathlib.Path) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [n for n in ast.walk(tree(path)) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def missing_hints(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    """The parameters (and `return`) of a function that have no annotation (`self`/`cls` need none)."""
    args = node.args
    params = args.posonlyargs + args.args + args.kwonlyargs + [a for a in (args.vararg, args.kwarg) if a]
    out = [a.arg for i, a in enumerate(params) if a.annotation is None
           and not (i == 0 and a.arg in ("self", "cls") and a in args.posonlyargs + args.args)]
    if node.returns is None:
        out.append("return")
    return out


def string_constants(path: pathlib.Path) -> list[tuple[int, str]]:
    """(line, text) of every string literal, and of the literal head of every f-string."""
    out = []
    for node in ast.walk(tree(path)):
        if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
            out.append((node.lineno, str(node.values[0].value)))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            out.append((node.lineno, node.value))
    return out
