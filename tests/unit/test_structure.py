# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tree's shape rules (issue 15), checked with ast on every file in plugins/:
no NetBox endpoint string outside _records.py, no file over 400 lines, no function over 50 lines,
and type hints on every parameter and return in module_utils.

DEBT lists the files that broke a rule when the rule was added and are being reshaped by their
owners in parallel; they are expected failures (strict: once a file complies, its entry must go,
or the test fails). A new file is never added to DEBT."""
from __future__ import annotations

import pytest

from ansible_collections.sot.netbox.tests.unit.structure import (
    ENDPOINT, MODULE_UTILS, PLUGINS, functions, missing_hints, python_files, rel, string_constants)

MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 50
DECLARATIONS = ("plugins/module_utils/_records.py",)   # the one place endpoints are written

_SEGMENT = ("plugins/module_utils/_segment/claim.py", "plugins/module_utils/_segment/runner.py",
            "plugins/module_utils/_segment/store.py", "plugins/module_utils/_segment/domain.py")
_PLAN = tuple(f"plugins/module_utils/_plan/{n}.py" for n in (
    "absent", "apply", "calculate", "checks", "choices", "diff", "expand", "limits", "materialize", "model",
    "planfile", "reads", "runner", "status", "validate"))
_EXPORT = tuple(f"plugins/module_utils/_export/{n}.py" for n in ("files", "paths", "rows", "runner"))
_INVENTORY = tuple(f"plugins/module_utils/_inventory/{n}.py" for n in (
    "build", "delta", "fetch", "plan", "runner", "settings"))
_PUBLISH = tuple(f"plugins/module_utils/_publish/{n}.py" for n in ("domain", "runner", "transport", "writer"))
DEBT: dict = {"endpoints": set(), "file_lines": set(), "function_lines": set(), "hints": set()}


def _cases(rule: str, under=PLUGINS) -> list:
    """One case per file; a file in DEBT[rule] is an expected (strict) failure."""
    return [pytest.param(path, id=rel(path), marks=[pytest.mark.xfail(
        strict=True, reason="reshaped in parallel by its owner; remove it from DEBT once it complies")]
        if rel(path) in DEBT[rule] else []) for path in python_files(under)]


@pytest.mark.parametrize("path", _cases("endpoints"))
def test_no_endpoint_string_outside_the_declarations(path) -> None:
    if rel(path) in DECLARATIONS:
        return
    found = [f"line {line}: {text[:60]!r}" for line, text in string_constants(path) if ENDPOINT.match(text)]
    assert found == [], f"{rel(path)} writes NetBox paths: use record(...).path(...) from _records.py"


@pytest.mark.parametrize("path", _cases("file_lines"))
def test_no_file_over_400_lines(path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_FILE_LINES, f"{rel(path)} has {lines} lines: split it by responsibility"


@pytest.mark.parametrize("path", _cases("function_lines"))
def test_no_function_over_50_lines(path) -> None:
    long = [f"{f.name} (line {f.lineno}): {f.end_lineno - f.lineno + 1} lines" for f in functions(path)
            if f.end_lineno - f.lineno + 1 > MAX_FUNCTION_LINES]
    assert long == []


@pytest.mark.parametrize("path", _cases("hints", MODULE_UTILS))
def test_every_function_has_type_hints(path) -> None:
    bare = [f"{f.name} (line {f.lineno}): {', '.join(missing_hints(f))}" for f in functions(path) if missing_hints(f)]
    assert bare == []


@pytest.mark.parametrize("text, endpoint", [
    ("ipam/prefixes", True), ("dcim/devices/5/", True), ("/api/extras/tags/", True), ("status/", True),
    ("plugins/netbox-branching/branches/", True), ("tenancy/contacts", True),
    ("prefixes", False), ("ipam", False), ("see ipam/prefixes", False), ("status", False),
])
def test_the_endpoint_pattern(text: str, endpoint: bool) -> None:
    assert bool(ENDPOINT.match(text)) is endpoint


def test_debt_names_only_existing_files() -> None:
    known = {rel(p) for p in python_files()}
    assert sorted(f for files in DEBT.values() for f in files if f not in known) == []
