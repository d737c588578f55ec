# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan files: parsed safely, with limits on size, aliases, depth and expansion, each a FieldError."""
from __future__ import annotations

import pathlib
import time

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._plan.limits import Limits
from ansible_collections.sot.netbox.plugins.module_utils._plan.planfile import load_plan_file

EXAMPLES = pathlib.Path(__file__).parents[5] / "examples" / "plans"

BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8))


@pytest.mark.parametrize("text, limits, fragment", [
    (BOMB, Limits(), "expands to more than"),
    ("a: &a [1]\n" + "".join(f"k{i}: *a\n" for i in range(150)), Limits(), "more than 100 YAML aliases"),
    ("x: " + "[" * 40 + "]" * 40 + "\n", Limits(), "nested deeper than 32 levels"),
    ("name: x\n" + "#" * 2000 + "\n", Limits(file_bytes=1000), "at most 1000 (option limits.file_bytes)"),
    ("name: [unclosed\n", Limits(), "not valid YAML at line"),
    ("!!python/object/apply:os.system [echo hi]\n", Limits(), "not valid YAML"),
    ("- just\n- a list\n", Limits(), "must hold one plan"),
    ("", Limits(), "must hold one plan"),
])
def test_bad_plan_files_fail_fast_naming_plan_file(tmp_path, text, limits, fragment):
    path = tmp_path / "plan.yml"
    path.write_text(text)
    started = time.monotonic()
    data, errors = load_plan_file(str(path), limits)
    assert data is None and len(errors) == 1
    assert errors[0].path == "plan_file" and fragment in str(errors[0]), str(errors[0])
    assert time.monotonic() - started < 2


def test_unreadable_and_non_utf8(tmp_path):
    assert "cannot read it" in str(load_plan_file(str(tmp_path / "missing.yml"))[1][0])
    raw = tmp_path / "latin1.yml"
    raw.write_bytes(b"name: Z\xfcrich\n")
    assert "not UTF-8" in str(load_plan_file(str(raw))[1][0])


@pytest.mark.parametrize("name", ["small.yml", "gpu-128.yml"])
def test_the_examples_load(name):
    data, errors = load_plan_file(str(EXAMPLES / name))
    assert errors == [] and data["name"]


def test_a_few_aliases_are_fine(tmp_path):
    path = tmp_path / "plan.yml"
    path.write_text("name: p\nsite: lab1\nx: &leaf {device_type: A}\nswitch_classes: [*leaf, *leaf]\n")
    data, errors = load_plan_file(str(path))
    assert errors == [] and data["switch_classes"] == [{"device_type": "A"}] * 2
