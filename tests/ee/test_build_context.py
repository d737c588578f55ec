# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The execution-environment build contexts that tools/build_ee generates with ansible-builder 3.

Two definitions cover the supported range: ee/execution-environment.yml (the newest pair,
ansible-core 2.21 on Python 3.12) and ee/execution-environment-2.16.yml (the oldest, ansible-core
2.16 on Python 3.11, as in AAP 2.5's own EEs). No container engine runs here, so the proof is the
generated Containerfile, the context's files, and pip resolving each EE's exact pins on its Python.
"""
from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import tarfile

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EE = os.path.join(REPO, "ee")
TARBALL = "dist/sot-netbox-0.1.0.tar.gz"

# definition file -> (context directory, base image, Python, ansible-core)
DEFINITIONS = {
    "execution-environment.yml": ("context", "registry.access.redhat.com/ubi9/python-312:latest", "3.12", "2.21.5"),
    "execution-environment-2.16.yml": ("context-2.16", "registry.access.redhat.com/ubi9/python-311:latest", "3.11",
                                       "2.16.19"),
}
# What may differ between the definitions; everything else must be the same (declared twice, checked here).
PER_PAIR = {("images",), ("dependencies", "python_interpreter"), ("dependencies", "ansible_core")}


@pytest.fixture(scope="module")
def contexts():
    subprocess.run([os.path.join(REPO, "tools", "build_ee")], check=True, capture_output=True)
    return {name: os.path.join(EE, spec[0]) for name, spec in DEFINITIONS.items()}


def read(context, *parts):
    with open(os.path.join(context, *parts), encoding="utf-8") as fh:
        return fh.read()


def definition(name):
    with open(os.path.join(EE, name), encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def without(data, paths):
    data = json.loads(json.dumps(data))
    for path in paths:
        node = data
        for key in path[:-1]:
            node = node.get(key, {})
        node.pop(path[-1], None)
    return data


def python_for(version):
    """The interpreter of that minor version (PATH or pyenv), or None."""
    found = shutil.which(f"python{version}")
    candidates = ([found] if found else []) + sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}.*/bin/python{version}")))
    for candidate in candidates:
        if subprocess.run([candidate, "-c", "import pip"], capture_output=True, check=False).returncode == 0:
            return candidate
    return None


def test_every_definition_has_a_row_here():
    assert sorted(os.path.basename(p) for p in glob.glob(os.path.join(EE, "execution-environment*.yml"))) == \
        sorted(DEFINITIONS)


def test_definitions_differ_only_in_base_python_and_ansible_core():
    first, second = (without(definition(name), PER_PAIR) for name in DEFINITIONS)
    assert first == second


@pytest.mark.parametrize("name", sorted(DEFINITIONS))
def test_containerfile_pins_base_python_ansible_core_and_runner(contexts, name):
    base, python, core = DEFINITIONS[name][1:]
    text = read(contexts[name], "Containerfile")
    # Build arguments: each default can be overridden with podman build --build-arg (docs/awx.md).
    assert f'ARG EE_BASE_IMAGE="{base}"' in text
    assert f'ARG PYCMD="/usr/bin/python{python}"' in text and f'ARG PYPKG="python{python}"' in text
    assert f'ARG ANSIBLE_INSTALL_REFS="ansible-core=={core} ansible-runner==2.4.3"' in text
    assert "ansible-galaxy collection install" in text


@pytest.mark.parametrize("name", sorted(DEFINITIONS))
def test_python_requirements_are_pinned(contexts, name):
    reqs = read(contexts[name], "_build", "requirements.txt")
    for pin in ("requests==2.34.2", "redis"):
        assert pin in reqs
    assert "openpyxl" not in reqs  # the workbook is written without it


@pytest.mark.parametrize("name", sorted(DEFINITIONS))
def test_the_pins_install_together_on_the_ees_python(contexts, name, tmp_path):
    python, core = DEFINITIONS[name][2:]
    interpreter = python_for(python)
    if interpreter is None:
        pytest.skip(f"no Python {python} with pip here")
    report = str(tmp_path / "pip-report.json")
    subprocess.run([interpreter, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet", "--report", report,
                    f"ansible-core=={core}", "ansible-runner==2.4.3",
                    "-r", os.path.join(contexts[name], "_build", "requirements.txt")],
                   check=True, capture_output=True)
    with open(report, encoding="utf-8") as fh:
        resolved = {item["metadata"]["name"].lower(): item["metadata"]["version"] for item in json.load(fh)["install"]}
    assert resolved["ansible-core"] == core
    assert resolved["requests"] == "2.34.2" and "redis" in resolved


@pytest.mark.parametrize("name", sorted(DEFINITIONS))
def test_the_collection_itself_is_in_the_context(contexts, name):
    galaxy = yaml.safe_load(read(contexts[name], "_build", "requirements.yml"))
    assert galaxy["collections"][0]["name"] == TARBALL
    with tarfile.open(os.path.join(contexts[name], "_build", TARBALL)) as tar:
        names = tar.getnames()
    assert "plugins/module_utils/_client.py" in names and "meta/runtime.yml" in names
    assert "LICENSE" in names and "requirements.txt" in names
    # What the collection build must leave out: local venvs, outputs, project scripts.
    assert not [n for n in names if n.startswith((".venv", "out/", "tools/", "ee/dist", "ee/context", "tests/output"))]


def test_collection_declares_its_python_requirements(contexts):
    # What ansible-builder (and AWX/AAP's EE builds) find from the installed collection alone:
    # meta/execution-environment.yml -> requirements.txt, the file users `pip install -r`.
    out = subprocess.run(["ansible-builder", "introspect", "--sanitize", os.path.join(REPO, "out", "collections")],
                         check=True, capture_output=True, text=True).stdout
    with open(os.path.join(REPO, "requirements.txt"), encoding="utf-8") as fh:
        declared = [line.strip() for line in fh if line.strip() and not line.startswith("#")]
    assert [d.split(">")[0] for d in declared] == ["requests"]
    for requirement in declared:
        assert f"'{requirement}  # from collection sot.netbox'" in out
