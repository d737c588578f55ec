# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""netbox_export_publish: read the export's manifest, plan which file goes where, stop there in
check mode, else upload with one client per target and record what was published. PRIVATE.

`run(module, context)` is the only function that reads module.params; `publish_export(...)` does
the work with plain values, so tests drive it without Ansible.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from ansible_collections.sot.netbox.plugins.module_utils._errors import InputError, SotNetboxError, ValidationErrors
from ansible_collections.sot.netbox.plugins.module_utils._export import files as export_files
from ansible_collections.sot.netbox.plugins.module_utils._metrics import Metrics
from ansible_collections.sot.netbox.plugins.module_utils._publish import domain as D
from ansible_collections.sot.netbox.plugins.module_utils._publish import writer
from ansible_collections.sot.netbox.plugins.module_utils._publish.transport import (
    ConfluenceClient, Credentials, PublishClient, WebDavClient, check_url, secrets_of)
from ansible_collections.sot.netbox.plugins.module_utils._redact import Redactor

TARGET_CLIENTS = {"webdav": WebDavClient, "confluence": ConfluenceClient}


@dataclass
class PublishContext:
    """What the runner gets instead of a NetBox client: shared metrics, the one Redactor of the run
    (every target's password and token: `run_module` masks the result and messages with it, and
    every client its errors), and how a target's client is built (tests inject
    `transport_options`, e.g. a fake session and no sleep)."""
    metrics: Metrics = field(default_factory=Metrics)
    transport_options: dict[str, Any] = field(default_factory=dict)
    redact: Redactor = field(default_factory=Redactor)

    def client_for(self, target: D.Target, raw: Mapping[str, Any]) -> PublishClient:
        cls = TARGET_CLIENTS[target.type]
        credentials = Credentials(raw.get("username") or None, raw.get("password"), raw.get("token"))
        return cls(target.url, credentials, validate_certs=raw.get("validate_certs", True),
                   ca_path=raw.get("ca_path"), timeout=float(raw.get("timeout") or 30), metrics=self.metrics,
                   redact=self.redact if self.redact else None, **self.transport_options)


def context_for(module: Any) -> PublishContext:
    return PublishContext(redact=Redactor(*secrets_of(module.params.get("targets"))))


def run(module: Any, context: PublishContext) -> dict[str, Any]:
    p = module.params
    result = publish_export(context, src=p["src"], raw_targets=p["targets"], files=p.get("files") or [],
                            overwrite=p.get("overwrite", False), record_path=p.get("record_path"),
                            check_mode=module.check_mode, move=module.atomic_move)
    text = result.pop("_diff_text")
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = {"prepared": text}
    return result


def publish_export(context: PublishContext, src: str, raw_targets: Sequence[Mapping[str, Any]],
                   files: Sequence[str] = (), overwrite: bool = False, record_path: str | None = None,
                   check_mode: bool = False, move: Callable[[str, str], Any] = os.replace) -> dict[str, Any]:
    targets = _targets(raw_targets)
    local = local_files(src, files)
    record_path = record_path or os.path.join(src, D.RECORD)
    record = read_record(record_path)
    plans = D.plan(local, targets, record)
    by_key = {D.make_target(t).key: t for t in raw_targets}
    results = []
    for target_plan in plans:
        if check_mode or not target_plan.uploads:
            results.append(writer.preview(target_plan))  # no client, so no request at all
            continue
        client = context.client_for(target_plan.target, by_key[target_plan.target.key])
        outcome, record = writer.publish(target_plan, client, record, _read, overwrite)
        results.append(outcome)
    recorded = False if check_mode else write_record(record_path, record, move)
    return _result(src, record_path, plans, results, check_mode, recorded)


def _targets(raw_targets: Sequence[Mapping[str, Any]]) -> list[D.Target]:
    errors = D.validate_targets(raw_targets)
    for i, t in enumerate(raw_targets or []):
        try:
            check_url(f"targets[{i}].url", t.get("url"))
        except InputError as exc:
            errors.append(exc)
    if errors:
        raise ValidationErrors(errors)
    return [D.make_target(t) for t in raw_targets]


def local_files(src: str, wanted: Sequence[str]) -> list[D.LocalFile]:
    """The export's files as LocalFile, each checked against the manifest's checksum (a file edited
    or half-copied since the export is refused, not published)."""
    if not os.path.isabs(src):
        raise InputError("src", src, "must be an absolute path (the export's dest)")
    manifest = export_files.read_manifest(src)
    if not manifest:
        raise InputError("src", src, f"holds no export manifest {export_files.MANIFEST}: run "
                                     "sot.netbox.netbox_export with this dest first")
    chosen, errors = D.select_outputs(manifest, wanted)
    if errors:
        raise ValidationErrors(errors)
    out = []
    for output, name, sha256 in chosen:
        path = os.path.join(src, name)
        actual = export_files.sha256_file(path)
        if actual is None:
            raise InputError("src", path, "the export manifest lists this file but it is missing; re-run the export")
        if actual != sha256:
            raise InputError("src", path, "the file differs from the export manifest's checksum (edited since the "
                                          "export?); re-run the export")
        out.append(D.LocalFile(output, name, path, sha256, os.path.getsize(path)))
    return out


def _read(file: D.LocalFile) -> bytes:
    with open(file.path, "rb") as fh:
        return fh.read()


def read_record(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as fh:
            return D.parse_record(fh.read())
    except OSError:
        return {}


def write_record(path: str, record: Mapping[str, Any], move: Callable[[str, str], Any]) -> bool:
    """Atomically, and only when it changed. Returns whether it was written."""
    if not record.get("targets"):
        return False
    try:
        return export_files.write_text_if_changed(path, D.record_text(record), move)
    except OSError as exc:
        raise SotNetboxError(f"the files were published but the record {path} could not be written: {exc}; the "
                             "next run uploads them again") from exc


def _result(src: str, record_path: str, plans: Sequence[D.TargetPlan], results: Sequence[writer.TargetResult],
            check_mode: bool, recorded: bool) -> dict[str, Any]:
    targets = [r.as_dict() for r in results]
    uploaded = sum(len(t["uploaded"]) for t in targets)
    would = sum(len(t["would_upload"]) for t in targets)
    conflicts = [(t["name"], f) for t in targets for f in t["files"] if f["outcome"] == "conflict"]
    failed = [t for t in targets if t["outcome"] == "failed"]
    result = {
        "changed": bool(uploaded or would),
        "src": src,
        "record": record_path,
        "targets": targets,
        "totals": {"targets": len(targets), "files_uploaded": uploaded, "files_would_upload": would,
                   "files_unchanged": sum(len(t["unchanged"]) for t in targets), "conflicts": len(conflicts),
                   "targets_failed": len(failed),
                   "bytes_uploaded": sum(f["bytes"] for t in targets for f in t["files"]
                                         if f["outcome"] == "uploaded")},
        "_diff_text": "\n".join(D.diff_lines(plans)) + ("\n" if any(p.uploads for p in plans) else ""),
    }
    if recorded:
        result["record_changed"] = True
    if conflicts or failed:
        problems = [f"{name}: {f['message']}" for name, f in conflicts] + [f"{t['name']}: {t['error']}" for t in failed]
        result.pop("_diff_text")
        raise SotNetboxError("publishing did not complete: " + "; ".join(problems), result=result)
    return result
