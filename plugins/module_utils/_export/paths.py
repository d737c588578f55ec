# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every path an export writes, resolved and checked before anything is fetched or written.

PRIVATE to the collection. No Ansible imports. `plan_paths` is pure (strings in, OutputPaths out,
every problem of the options at once); `check_paths` asks the file system (directories exist or can
be created, names fit, nothing in the way) without changing it; `make_dirs` creates what is missing.
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.sot.netbox.plugins.module_utils._errors import FieldError, InputError, ValidationErrors
from ansible_collections.sot.netbox.plugins.module_utils._export.files import MANIFEST, SPOOL_PATTERN

NAME_MAX_DEFAULT = 255   # when the file system does not say (pathconf unsupported)
PATH_MAX_DEFAULT = 4096


@dataclass(frozen=True)
class OutputPaths:
    dest: str
    files: dict                 # output -> absolute path, for the outputs `formats` selects
    manifest: str
    metrics: str | None = None  # absolute, or None
    options: dict = field(default_factory=dict)  # absolute path -> the option that names it

    def all(self) -> list[str]:
        """Every path the run may write (files, manifest, metrics)."""
        return list(self.files.values()) + [self.manifest] + ([self.metrics] if self.metrics else [])


def normalize_dest(value: Any) -> str:
    """`dest` as an absolute, normalized path; InputError when missing, relative or holding NUL."""
    if not value or not isinstance(value, str):
        raise InputError("dest", value, "is required: the directory to write the export into")
    if "\x00" in value:
        raise InputError("dest", value, "must not contain a NUL character")
    dest = os.path.normpath(os.path.expanduser(value))
    if not os.path.isabs(dest):
        raise InputError("dest", value, "must be an absolute path (a relative one would land in the module's "
                         "working directory)")
    return dest


def check_file_name(option: str, name: Any) -> str | None:
    """A `file_names` entry: one plain name inside dest, not the manifest, not a temp-file name.
    Returns the problem, or None."""
    if not isinstance(name, str) or not name:
        return "must be a non-empty file name"
    if "\x00" in name:
        return "must not contain a NUL character"
    if "/" in name or name in (".", ".."):
        return "must be a plain file name inside dest (no directory part)"
    if name == MANIFEST:
        return f"is the export's manifest ({MANIFEST}); choose another name"
    if SPOOL_PATTERN.match(name):
        return "has the export's temp-file pattern (.sot-export-*.tmp), which a run removes; choose another name"
    return None


def plan_paths(dest: str, file_names: dict, outputs: Iterable[str], metrics_path: Any = None) -> OutputPaths:
    """Resolve every output. `file_names`: output -> name (all outputs, selected or not), `outputs`:
    the selected ones. A relative `metrics_path` is inside dest (never the working directory) and
    may not leave it; an absolute one is the user's explicit choice. Every path is distinct from
    every other and from the manifest. Raises ValidationErrors with every problem."""
    errors = []
    for key, name in file_names.items():
        problem = check_file_name(f"file_names.{key}", name)
        if problem:
            errors.append(FieldError(f"file_names.{key}", problem, name))
    if errors:
        raise ValidationErrors(errors)
    names = list(file_names.values())
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise ValidationErrors([FieldError("file_names", "every output needs its own file name; used twice: "
                                           + ", ".join(twice), dict(file_names))])
    files = {out: os.path.join(dest, file_names[out]) for out in outputs}
    manifest = os.path.join(dest, MANIFEST)
    options = {path: f"file_names.{out}" for out, path in files.items()}
    options[manifest] = "the manifest"
    metrics = None
    if metrics_path is not None:
        metrics = _metrics_path(dest, metrics_path, options)
        options[metrics] = "metrics_path"
    return OutputPaths(dest, files, manifest, metrics, options)


def _metrics_path(dest: str, value: Any, taken: dict) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError("metrics_path", value, "must be a file path")
    if "\x00" in value:
        raise InputError("metrics_path", value, "must not contain a NUL character")
    if value.endswith("/"):
        raise InputError("metrics_path", value, "must name a file, not a directory")
    expanded = os.path.expanduser(value)
    path = os.path.normpath(expanded if os.path.isabs(expanded) else os.path.join(dest, expanded))
    if not os.path.isabs(expanded) and os.path.commonpath([dest, path]) != dest:
        raise InputError("metrics_path", value, f"a relative path is taken inside dest ({dest}) and must stay "
                         "there; give an absolute path to write elsewhere")
    if SPOOL_PATTERN.match(os.path.basename(path)):
        raise InputError("metrics_path", value, "has the export's temp-file pattern (.sot-export-*.tmp)")
    same = [option for other, option in taken.items() if _same_path(other, path)]
    if same:
        raise InputError("metrics_path", value, f"is the same file as {same[0]}; every output needs its own path")
    return path


def _same_path(a: str, b: str) -> bool:
    return os.path.realpath(a) == os.path.realpath(b)


def check_paths(paths: OutputPaths) -> None:
    """Ask the file system, change nothing: dest is a writable directory or can be created; every
    file's directory too; no output is a directory; every name fits the file system. Raises
    InputError naming the option."""
    _check_dir("dest", paths.dest)
    for path in paths.all():
        option = paths.options.get(path, "dest")
        directory = os.path.dirname(path)
        if directory != paths.dest:
            _check_dir(option, directory)
        if os.path.isdir(path):
            raise InputError(option, path, "is a directory; remove it or choose another name")
        _check_lengths(option, path)


def _check_dir(option: str, directory: str) -> None:
    if os.path.exists(directory):
        if not os.path.isdir(directory):
            raise InputError(option, directory, "exists and is not a directory")
        if not os.access(directory, os.W_OK | os.X_OK):
            raise InputError(option, directory, "directory is not writable by this user")
        return
    parent = _existing_ancestor(directory)
    if not os.path.isdir(parent):
        raise InputError(option, directory, f"cannot be created: {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(option, directory, f"does not exist and cannot be created ({parent} is not writable)")
    _check_lengths(option, directory)


def _existing_ancestor(path: str) -> str:
    parent = path
    while not os.path.exists(parent):
        up = os.path.dirname(parent)
        if up == parent:
            break
        parent = up
    return parent


def _check_lengths(option: str, path: str) -> None:
    """Each component within the file system's NAME_MAX, the whole within PATH_MAX (bytes)."""
    base = _existing_ancestor(os.path.dirname(path)) or "/"
    name_max = _pathconf(base, "PC_NAME_MAX", NAME_MAX_DEFAULT)
    path_max = _pathconf(base, "PC_PATH_MAX", PATH_MAX_DEFAULT)
    encoded = os.fsencode(path)
    if len(encoded) >= path_max:
        raise InputError(option, path, f"the path is {len(encoded)} bytes; this file system allows {path_max - 1}")
    for part in encoded.split(b"/"):
        if len(part) > name_max:
            raise InputError(option, path, f"a name of {len(part)} bytes; this file system allows {name_max}")


def _pathconf(path: str, name: str, default: int) -> int:
    try:
        value = os.pathconf(path, name)
    except (OSError, ValueError):
        return default
    return value if value and value > 0 else default


def make_dirs(paths: OutputPaths) -> None:
    """Create dest and the metrics file's directory when missing (after every check passed)."""
    for directory in dict.fromkeys([paths.dest] + [os.path.dirname(p) for p in paths.all()]):
        try:
            os.makedirs(directory, exist_ok=True)
        except OSError as exc:
            option = "dest" if directory == paths.dest else "metrics_path"
            raise InputError(option, directory, f"cannot be created: {exc.strerror}") from exc
