# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one writer: carries out a target's plan with its client and reports each file's outcome.
PRIVATE to the collection. No Ansible imports.

A file changed on the server meanwhile (WebDAV If-Match/If-None-Match failed, or a Confluence
attachment with a newer version than the one we published) is reported as a conflict and left
alone; the other files of the target are still published. Any other error stops the target: the
files published before it are kept in the record, the rest are reported as not attempted.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Callable

from ansible_collections.sot.netbox.plugins.module_utils._errors import ApiError, PreconditionFailed, SotNetboxError
from ansible_collections.sot.netbox.plugins.module_utils._publish import domain as D
from ansible_collections.sot.netbox.plugins.module_utils._publish.transport import (
    ConfluenceClient, Uploaded, WebDavClient)

DEFAULT_COMMENT = "Published by sot.netbox from the NetBox export (sha256 {sha12})"


@dataclass
class TargetResult:
    plan: D.TargetPlan
    files: list[dict[str, Any]] = field(default_factory=list)   # one dict per file
    error: str | None = None

    def outcome(self) -> str:
        kinds = {f["outcome"] for f in self.files}
        if self.error:
            return "failed"
        if "conflict" in kinds:
            return "conflict"
        if "uploaded" in kinds:
            return "uploaded"
        if "would_upload" in kinds:
            return "would_upload"
        return "unchanged"

    def as_dict(self) -> dict[str, Any]:
        t = self.plan.target
        out = {"name": t.label, "type": t.type, "location": t.url, "outcome": self.outcome(), "files": self.files}
        for kind in ("uploaded", "unchanged", "conflict", "would_upload"):
            out[kind] = [f["file"] for f in self.files if f["outcome"] == kind]
        if self.error:
            out["error"] = self.error
        return out


class Conflicted(SotNetboxError):
    """This file changed on the server since we published it; it was not overwritten."""


def preview(plan: D.TargetPlan) -> TargetResult:
    """Check mode: the plan as outcomes, no request."""
    result = TargetResult(plan)
    for step in plan.steps:
        result.files.append(dict(step.as_dict(), outcome="would_upload" if step.upload else "unchanged"))
    return result


def publish(plan: D.TargetPlan, client: WebDavClient | ConfluenceClient, record: dict[str, Any],
            read: Callable[[D.LocalFile], bytes], overwrite: bool = False) -> tuple[TargetResult, dict[str, Any]]:
    """Upload the plan's files. Returns (TargetResult, record after the uploads)."""
    result = TargetResult(plan)
    pending = list(plan.steps)
    state = _TargetState()
    try:
        while pending:
            step = pending.pop(0)
            entry = step.as_dict()
            if not step.upload:
                result.files.append(dict(entry, outcome="unchanged"))
                continue
            try:
                uploaded = _upload(plan.target, client, step, read(step.file), overwrite, state)
            except (PreconditionFailed, Conflicted) as exc:
                result.files.append(dict(entry, outcome="conflict", message=exc.message))
                continue
            record = D.record_upload(record, plan.target, step.file, uploaded)
            result.files.append(dict(entry, outcome="uploaded", url=uploaded.url,
                                     **{k: v for k, v in (("etag", uploaded.etag),
                                                          ("attachment_id", uploaded.attachment_id),
                                                          ("version", uploaded.version)) if v is not None}))
    except SotNetboxError as exc:
        result.error = exc.message
        result.files.append(dict(step.as_dict(), outcome="failed", message=exc.message))
        result.files.extend(dict(s.as_dict(), outcome="not_attempted" if s.upload else "unchanged") for s in pending)
    return result, record


class _TargetState:
    """Per-target facts learnt on the way (the Confluence page id, whether folders were made)."""

    def __init__(self) -> None:
        self.page: str | None = None
        self.folders_made = False


def version_comment(template: str | None, file: D.LocalFile) -> str:
    """The Confluence version comment; {file}, {sha256} and {sha12} are replaced (nothing else is
    interpreted: a comment is text, never a template of ours to evaluate)."""
    text = template or DEFAULT_COMMENT
    for key, value in (("{file}", file.name), ("{sha256}", file.sha256), ("{sha12}", file.sha256[:12])):
        text = text.replace(key, value)
    return text


def _upload(target: D.Target, client: WebDavClient | ConfluenceClient, step: D.Step, data: bytes, overwrite: bool,
            state: _TargetState) -> Uploaded:
    if target.type == "webdav":
        return _put(target, client, step, data, overwrite, state)
    return _attach(target, client, step, data, overwrite, state)


def _put(target: D.Target, client: WebDavClient, step: D.Step, data: bytes, overwrite: bool,
         state: _TargetState) -> Uploaded:
    etag = (step.previous or {}).get("etag")
    kwargs = {} if overwrite else {"if_match": etag, "if_none_match": step.previous is None}
    if target.create_folders and not state.folders_made:
        client.make_folders()   # before the first upload only, and only when something is uploaded
        state.folders_made = True
    try:
        return client.put(step.file.name, data, **kwargs)
    except ApiError as exc:
        # "Find out" instead of guessing: a PUT whose answer was lost may have been stored, and then
        # the next run's If-Match fails on our own upload. When the server holds exactly our bytes,
        # the file is published: adopt it (with its ETag) so a re-run converges with no manual step.
        if not (exc.may_have_applied or isinstance(exc, PreconditionFailed)):
            raise
        adopted = _same_file_on_server(client, step)
        if adopted is None:
            raise
        return adopted


def _same_file_on_server(client: WebDavClient, step: D.Step) -> Uploaded | None:
    """Uploaded(...) when the server's copy of the file has the checksum we meant to upload, else None."""
    found = client.fetch(step.file.name)
    if found is None or hashlib.sha256(found[0]).hexdigest() != step.file.sha256:
        return None
    return Uploaded(url=client.file_url(step.file.name), etag=found[1])


def _attach(target: D.Target, client: ConfluenceClient, step: D.Step, data: bytes, overwrite: bool,
            state: _TargetState) -> Uploaded:
    if state.page is None:
        state.page = client.resolve_page(target.page_id, target.space, target.title)
    existing = client.find_attachment(state.page, step.file.name)
    previous = step.previous or {}
    if existing is not None and not overwrite:
        if not previous or previous.get("attachment_id") != existing.id:
            raise Conflicted(f"{step.file.name}: page {state.page} already has an attachment of this name that this "
                             "task did not publish; it was not overwritten (publish with overwrite: true to "
                             "add a new version)")
        if previous.get("version") and existing.version != previous.get("version"):
            raise Conflicted(f"{step.file.name}: the attachment on page {state.page} is at version "
                             f"{existing.version}, but version {previous['version']} was published last: somebody "
                             "uploaded a new version meanwhile; it was not overwritten (publish with overwrite: "
                             "true to replace it)")
    comment = version_comment(target.comment, step.file)
    uploaded = client.upload(state.page, step.file.name, data, comment, target.minor_edit, existing)
    return Uploaded(url=uploaded.url, attachment_id=uploaded.attachment_id or (existing.id if existing else None),
                    version=uploaded.version)
