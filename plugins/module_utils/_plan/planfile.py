# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading a plan file: a safe YAML loader with limits on size, aliases, depth and expansion. PRIVATE.

A plan file is input a person wrote (or a job received): it is parsed with PyYAML's SafeLoader (no
Python objects), after its size is checked, while aliases and nesting are counted, and its expanded
size (what walking it would cost: a "billion laughs" file is small, with few aliases, but expands
exponentially) is computed on the node graph without expanding it. Every problem is a FieldError
naming `plan_file`.
"""
from __future__ import annotations

import os
from typing import Any

try:  # PyYAML comes with ansible-core on the controller; a module may run elsewhere
    import yaml
    HAS_YAML = True
except ImportError:  # pragma: no cover - reported as a plan_file error
    yaml = None
    HAS_YAML = False

from ansible_collections.sot.netbox.plugins.module_utils._errors import FieldError
from ansible_collections.sot.netbox.plugins.module_utils._plan.limits import Limits

MAX_NODES = 1_000_000  # expanded nodes (scalars, lists, mappings); gpu-128.yml has a few hundred


class _TooMuch(Exception):
    pass


def _loader(text: str, limits: Limits) -> Any:
    """A SafeLoader for `text` that counts aliases and nesting while composing."""
    class Loader(yaml.SafeLoader):  # pylint: disable=too-many-ancestors
        aliases = 0
        depth = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                self.aliases += 1
                if self.aliases > limits.yaml_aliases:
                    raise _TooMuch(f"more than {limits.yaml_aliases} YAML aliases (option limits.yaml_aliases)")
            self.depth += 1
            try:
                if self.depth > limits.yaml_depth:
                    raise _TooMuch(f"nested deeper than {limits.yaml_depth} levels (option limits.yaml_depth)")
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1
    return Loader(text)


def _expanded(node: Any, memo: dict) -> int:
    """Nodes the document has once every alias is expanded, computed once per distinct node."""
    key = id(node)
    if key not in memo:
        memo[key] = 1  # a recursive alias counts once instead of looping
        if isinstance(node, yaml.SequenceNode):
            memo[key] = 1 + sum(_expanded(child, memo) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            memo[key] = 1 + sum(_expanded(k, memo) + _expanded(v, memo) for k, v in node.value)
    return memo[key]


def _read(path: str, limits: Limits) -> tuple:
    try:
        size = os.stat(path).st_size
        if size > limits.file_bytes:
            return None, f"file is {size} bytes; at most {limits.file_bytes} (option limits.file_bytes)"
        with open(path, "rb") as fh:
            return fh.read(limits.file_bytes + 1).decode("utf-8"), None
    except UnicodeDecodeError:
        return None, "not UTF-8 text"
    except (OSError, ValueError) as exc:
        return None, f"cannot read it: {exc.strerror or exc.__class__.__name__}" if isinstance(exc, OSError) \
            else "not a valid path"


def load_plan_file(path: str, limits: Limits = Limits()) -> tuple:
    """(data, [FieldError]) from the plan file at `path`."""
    if not HAS_YAML:
        return None, [FieldError("plan_file", "reading a plan file needs the Python library PyYAML where the "
                                              "module runs (it comes with ansible-core on the controller)", path)]
    text, problem = _read(path, limits)
    if problem:
        return None, [FieldError("plan_file", problem, path)]
    loader = _loader(text, limits)
    try:
        node = loader.get_single_node()
        if node is not None and _expanded(node, {}) > MAX_NODES:
            raise _TooMuch(f"expands to more than {MAX_NODES} values through its aliases (a YAML alias bomb?)")
        data = loader.construct_document(node) if node is not None else None
    except _TooMuch as exc:
        return None, [FieldError("plan_file", str(exc), path)]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        return None, [FieldError("plan_file", f"not valid YAML{where}: {getattr(exc, 'problem', None) or exc}", path)]
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        return None, [FieldError("plan_file", "must hold one plan (a mapping with name, site, ...)", path)]
    return data, []
