# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The changelog fragments make release notes in which every new module, plugin, role and playbook
is announced exactly once, with a release summary: a dry-run `antsibull-changelog release` in a copy."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

pytest.importorskip("antsibull_changelog")

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
# Collection content antsibull-changelog reads (the plugins' docs, roles, playbooks, fragments).
CONTENT = ("galaxy.yml", "meta", "plugins", "roles", "playbooks", "changelogs")


def names(directory, pattern):
    return sorted(m.group(1) for m in (re.match(pattern, f) for f in os.listdir(os.path.join(REPO, directory))) if m)


@pytest.fixture(scope="module")
def release_notes(tmp_path_factory):
    root = tmp_path_factory.mktemp("changelog") / "ansible_collections" / "sot" / "netbox"
    root.mkdir(parents=True)
    for item in CONTENT:
        source = os.path.join(REPO, item)
        (shutil.copytree if os.path.isdir(source) else shutil.copy2)(source, str(root / item))
    cache = root / "changelogs" / ".plugin-cache.yaml"
    if cache.exists():
        cache.unlink()
    with open(os.path.join(REPO, "galaxy.yml"), encoding="utf-8") as fh:
        version = yaml.safe_load(fh)["version"]
    subprocess.run([sys.executable, "-m", "antsibull_changelog", "lint"], cwd=str(root), check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "antsibull_changelog", "release", "--version", version, "--date", "2026-01-01"],
                   cwd=str(root), check=True, capture_output=True)
    return (root / "CHANGELOG.rst").read_text(encoding="utf-8")


def sections(text):
    """Section title -> body of an RST document whose titles are underlined with - or ~."""
    out, title = {}, None
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if i + 1 < len(lines) and line and re.fullmatch(r"[-~]{3,}", lines[i + 1]) and len(lines[i + 1]) == len(line):
            title = line
            out[title] = []
        elif title is not None and not re.fullmatch(r"[-~=]{3,}", line):
            out[title].append(line)
    return {k: "\n".join(v) for k, v in out.items()}


# Where antsibull-changelog announces each kind of new object.
SECTION = {"module": "New Modules", "inventory": "Inventory", "role": "New Roles", "playbook": "New Playbooks"}


@pytest.mark.parametrize("kind, name", [
    *(("module", n) for n in names("plugins/modules", r"^(netbox_\w+)\.py$")),
    ("inventory", "inventory"),
    *(("role", n) for n in names("roles", r"^(\w+)$")),
    *(("playbook", n) for n in names("playbooks", r"^(\w+)\.yml$")),
])
def test_every_new_object_is_announced_once(release_notes, kind, name):
    by_section = sections(release_notes)
    entry = re.compile(rf"^- (?:sot\.netbox\.)?{name} - ", re.M)
    # Once in its own section ...
    assert len(entry.findall(by_section[SECTION[kind]])) == 1, f"{kind} {name} not announced once"
    # ... and not described again as a change (a role and a playbook may share a name: export).
    others = [t for t in by_section if t not in SECTION.values() and t not in ("New Plugins",)]
    assert not [t for t in others if entry.search(by_section[t])], f"{kind} {name} also listed as a change"


def test_the_release_has_a_summary(release_notes):
    assert sections(release_notes)["Release Summary"].strip()
