# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The execution-environment build context that tools/build_ee generates with ansible-builder 3."""
from __future__ import annotations

import os
import subprocess
import tarfile

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONTEXT = os.path.join(REPO, "ee", "context")


@pytest.fixture(scope="module")
def context():
    subprocess.run([os.path.join(REPO, "tools", "build_ee")], check=True, capture_output=True)
    return CONTEXT


def read(*parts):
    with open(os.path.join(CONTEXT, *parts), encoding="utf-8") as fh:
        return fh.read()


def test_containerfile_pins_ansible_core_and_runner(context):
    text = read("Containerfile")
    assert 'ANSIBLE_INSTALL_REFS="ansible-core==2.21.5 ansible-runner==2.4.3"' in text
    assert "python3.12" in text
    assert "ansible-galaxy collection install" in text


def test_python_requirements_are_pinned(context):
    reqs = read("_build", "requirements.txt")
    for pin in ("requests==2.34.2", "openpyxl==3.1.5", "redis"):
        assert pin in reqs


def test_the_collection_itself_is_in_the_context(context):
    galaxy = yaml.safe_load(read("_build", "requirements.yml"))
    assert galaxy["collections"][0]["name"] == "dist/sot-netbox-0.1.0.tar.gz"
    tarball = os.path.join(CONTEXT, "_build", "dist", "sot-netbox-0.1.0.tar.gz")
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
    assert "plugins/module_utils/_client.py" in names and "meta/runtime.yml" in names
    # What the collection build must leave out: local venvs, outputs, project scripts.
    assert not [n for n in names if n.startswith((".venv", "out/", "tools/", "ee/dist", "tests/output"))]


def test_collection_declares_its_python_requirements(context):
    out = subprocess.run(["ansible-builder", "introspect", "--sanitize", os.path.join(REPO, "out", "collections")],
                         check=True, capture_output=True, text=True).stdout
    assert "requests" in out and "openpyxl" in out and "sot.netbox" in out
