# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The publish plan, pure: which export file goes to which target, from the export's checksums
and the record of what was last published where. PRIVATE to the collection. No I/O.

The publish record (`.sot-netbox-publish.json` next to the export's own manifest) is
`{"format": 1, "targets": {<target key>: {"type", "location", "files": {<file name>: {"sha256",
"etag" | "attachment_id" + "version", "url"}}}}}`. A file is uploaded to a target only when its
checksum differs from the one recorded for that target, so an unchanged export makes no request.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping, Protocol, Sequence

from ansible_collections.sot.netbox.plugins.module_utils._errors import FieldError

RECORD = ".sot-netbox-publish.json"
RECORD_FORMAT = 1
TYPES = ("webdav", "confluence")
# The export manifest's outputs, in the order they are published.
OUTPUTS = ("workbook", "merged", "devices", "virtual_machines")


@dataclass(frozen=True)
class LocalFile:
    output: str     # manifest key: workbook, merged, devices, virtual_machines
    name: str       # file name (the remote name too)
    path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Target:
    type: str
    url: str
    name: str | None = None
    page_id: str | None = None
    space: str | None = None
    title: str | None = None
    create_folders: bool = False
    comment: str | None = None
    minor_edit: bool = True

    @property
    def key(self) -> str:
        """Where the files go, without credentials: the record's key for this target."""
        if self.type == "webdav":
            return f"webdav {self.url.rstrip('/')}/"
        where = f"page {self.page_id}" if self.page_id else f"space {self.space} title {self.title}"
        return f"confluence {self.url.rstrip('/')} {where}"

    @property
    def label(self) -> str:
        return self.name or self.key


@dataclass
class Step:
    file: LocalFile
    upload: bool
    reason: str                 # new, changed, unchanged
    previous: dict | None = None  # what the record holds for this file on this target

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file.name, "action": "upload" if self.upload else "skip", "reason": self.reason,
                "sha256": self.file.sha256, "bytes": self.file.size}


@dataclass
class TargetPlan:
    target: Target
    steps: list[Step] = field(default_factory=list)

    @property
    def uploads(self) -> list[Step]:
        return [s for s in self.steps if s.upload]


class Published(Protocol):
    """What a client reports of one upload (transport.Uploaded), as far as the record keeps it;
    described here so the domain does not import the client."""

    url: str
    etag: str | None
    attachment_id: str | None
    version: int | None


def validate_targets(raw_targets: Sequence[Mapping[str, Any]] | None) -> list[FieldError]:
    """FieldErrors for the target options (Ansible checked types and choices already)."""
    errors, keys = [], {}
    if not raw_targets:
        errors.append(FieldError("targets", "give at least one target", raw_targets))
    for i, t in enumerate(raw_targets or []):
        at = f"targets[{i}]"
        if t.get("type") == "confluence":
            has_page, has_title = bool(t.get("page_id")), bool(t.get("space") or t.get("title"))
            if has_page == has_title:
                errors.append(FieldError(at, "a confluence target needs page_id, or space and title (not both)"))
            elif has_title and not (t.get("space") and t.get("title")):
                errors.append(FieldError(at, "space and title go together"))
            if not (t.get("token") or t.get("password")):
                errors.append(FieldError(f"{at}.token", "Confluence needs an API token (Cloud: with username, "
                                                        "the account's e-mail) or a personal access token"))
            if t.get("create_folders"):
                errors.append(FieldError(f"{at}.create_folders", "only for webdav targets", True))
        elif any(t.get(k) for k in ("page_id", "space", "title")):
            errors.append(FieldError(at, "page_id, space and title are for confluence targets"))
        if t.get("password") and not t.get("username"):
            errors.append(FieldError(f"{at}.password", "a password needs a username (or use token for Bearer auth)"))
        target = make_target(t)
        if target.key in keys:
            errors.append(FieldError(f"{at}", f"publishes to the same place as targets[{keys[target.key]}]",
                                     target.key))
        keys.setdefault(target.key, i)
    return errors


def make_target(t: Mapping[str, Any]) -> Target:
    return Target(type=t.get("type"), url=(t.get("url") or "").rstrip("/"), name=t.get("name"),
                  page_id=str(t["page_id"]) if t.get("page_id") else None, space=t.get("space"),
                  title=t.get("title"), create_folders=bool(t.get("create_folders")), comment=t.get("comment"),
                  minor_edit=t.get("minor_edit", True) is not False)


def select_outputs(manifest: Mapping[str, Any], wanted: Sequence[str] | None
                   ) -> tuple[list[tuple[str, str, str]], list[FieldError]]:
    """(output, file name, sha256) of the export manifest's files, in publishing order; `wanted`
    (outputs or file names; empty: all) filters. Unknown names are FieldErrors."""
    entries = dict(manifest.get("files") or {})
    if manifest.get("workbook"):
        entries["workbook"] = manifest["workbook"]
    ordered = [(o, entries[o]) for o in OUTPUTS if o in entries and entries[o]]
    ordered += [(o, e) for o, e in sorted(entries.items()) if o not in OUTPUTS and e]
    errors, chosen = [], []
    names = {e.get("file"): o for o, e in ordered}
    for i, w in enumerate(wanted or []):
        if w not in entries and w not in names:
            known = ", ".join([o for o, _e in ordered] + sorted(n for n in names if n))
            errors.append(FieldError(f"files[{i}]", f"not in the export manifest (known: {known})", w))
    want = {names.get(w, w) for w in wanted or []}
    for output, entry in ordered:
        if not want or output in want:
            chosen.append((output, entry.get("file"), entry.get("sha256")))
    return chosen, errors


def plan(files: Sequence[LocalFile], targets: Sequence[Target], record: Mapping[str, Any]) -> list[TargetPlan]:
    """One TargetPlan per target: upload a file when the record has no entry for it on that target,
    or a different checksum; skip it otherwise."""
    plans = []
    for target in targets:
        recorded = ((record.get("targets") or {}).get(target.key) or {}).get("files") or {}
        steps = []
        for f in files:
            previous = recorded.get(f.name)
            if previous is None:
                steps.append(Step(f, True, "new"))
            elif previous.get("sha256") != f.sha256:
                steps.append(Step(f, True, "changed", previous))
            else:
                steps.append(Step(f, False, "unchanged", previous))
        plans.append(TargetPlan(target, steps))
    return plans


def record_upload(record: Mapping[str, Any] | None, target: Target, file: LocalFile,
                  uploaded: Published) -> dict[str, Any]:
    """The record after `file` was uploaded to `target` (a new dict: the input is left alone)."""
    out = json.loads(json.dumps(record or {}))
    out["format"] = RECORD_FORMAT
    entry = out.setdefault("targets", {}).setdefault(target.key, {})
    entry["type"], entry["location"] = target.type, target.url
    values = {"sha256": file.sha256, "url": uploaded.url}
    for key in ("etag", "attachment_id", "version"):
        value = getattr(uploaded, key)
        if value is not None:
            values[key] = value
    entry.setdefault("files", {})[file.name] = values
    return out


def record_text(record: Mapping[str, Any] | None) -> str:
    """Deterministic, so an unchanged record is not rewritten."""
    return json.dumps({"format": RECORD_FORMAT, "targets": (record or {}).get("targets") or {}},
                      indent=2, sort_keys=True) + "\n"


def parse_record(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) and data.get("format") == RECORD_FORMAT else {}


def diff_lines(plans: Sequence[TargetPlan]) -> list[str]:
    """What would be uploaded where, one line per upload."""
    lines = []
    for p in plans:
        for s in p.uploads:
            lines.append(f"{p.target.label}: upload {s.file.name} ({s.reason}, {s.file.size} bytes)")
    return lines
