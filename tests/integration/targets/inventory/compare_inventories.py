# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compare two `ansible-inventory --list` outputs: same hosts, same group memberships (incl. nesting).

Usage: compare_inventories.py OURS.json THEIRS.json [--vars name,name,...]
Group membership is compared per host as the set of every group containing it, directly or through
child groups (what `hosts: <group>` would target). Empty groups and `all`/`ungrouped` are ignored.
`--vars` also compares the named host vars. Exit status 1 with a readable report on any difference.
"""
from __future__ import annotations

import json
import sys


def unwrap(value):
    """--list marks inventory strings unsafe: {'__ansible_unsafe': 'x'} -> 'x'."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def memberships(listing):
    parents = {}
    direct = {}
    for group, body in listing.items():
        if group == "_meta" or not isinstance(body, dict):
            continue
        for child in body.get("children", []):
            parents.setdefault(child, set()).add(group)
        for host in body.get("hosts", []):
            direct.setdefault(host, set()).add(group)

    def ancestors(group, seen):
        for parent in parents.get(group, ()):
            if parent not in seen:
                seen.add(parent)
                ancestors(parent, seen)
        return seen

    hosts = set(listing.get("_meta", {}).get("hostvars", {})) | set(direct)
    out = {}
    for host in hosts:
        groups = set()
        for group in direct.get(host, ()):
            groups |= {group} | ancestors(group, set())
        out[host] = groups - {"all", "ungrouped"}
    return out


def compare(ours, theirs, var_names=()):
    problems = []
    a, b = memberships(ours), memberships(theirs)
    if set(a) != set(b):
        problems.append(f"hosts only in ours: {sorted(set(a) - set(b))[:20]}; only in theirs: {sorted(set(b) - set(a))[:20]}")
    for host in sorted(set(a) & set(b)):
        if a[host] != b[host]:
            problems.append(f"{host}: groups only in ours {sorted(a[host] - b[host])}, only in theirs {sorted(b[host] - a[host])}")
    hv_a, hv_b = ours.get("_meta", {}).get("hostvars", {}), theirs.get("_meta", {}).get("hostvars", {})
    for host in sorted(set(hv_a) & set(hv_b)):
        for name in var_names:
            if hv_a[host].get(name) != hv_b[host].get(name):
                problems.append(f"{host}: var {name}: ours {hv_a[host].get(name)!r} theirs {hv_b[host].get(name)!r}")
    return problems


def main(argv):
    var_names = []
    if "--vars" in argv:
        i = argv.index("--vars")
        var_names = [v for v in argv[i + 1].split(",") if v]
        argv = argv[:i] + argv[i + 2:]
    with open(argv[1], encoding="utf-8") as fa, open(argv[2], encoding="utf-8") as fb:
        problems = compare(json.load(fa), json.load(fb), var_names)
    for line in problems[:50]:
        print(line)
    if problems:
        print(f"{len(problems)} difference(s)")
        return 1
    print(f"same hosts and group memberships ({len(memberships(json.load(open(argv[1], encoding='utf-8'))))} hosts)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
