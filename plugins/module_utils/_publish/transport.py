# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Publishing clients: Confluence (Cloud and Data Center REST API v1) and WebDAV. PRIVATE.

No Ansible imports. Each target gets its own client, and each client its own `_http.HttpTransport`
(session, the one retry policy, cut-off and non-JSON answers, one-line connection and TLS errors
naming the service and the targets[] option); HTTP statuses become exceptions in one place,
`PublishClient.classify`, which adds what the status means for the service (a missing page, a
parent folder that does not exist, an attachment size limit) to `_errors.error_for_status`.
Secrets are only ever in the Authorization header: every message passes through the client's
`_redact.Redactor` (the runner's context builds one for all targets; see `secrets_of`).
"""
from __future__ import annotations

import base64
import mimetypes
import os
import re
import uuid
from dataclasses import dataclass
from typing import Any, Iterable, Mapping
from urllib.parse import quote, urlsplit, urlunsplit

from ansible_collections.sot.netbox.plugins.module_utils._errors import (
    AnswerUnreadable, ApiError, Conflict, InputError, NotFound, PayloadTooLarge, PermissionDenied,
    PreconditionFailed, ResponseNotJson, error_for_status)
from ansible_collections.sot.netbox.plugins.module_utils._http import USER_AGENT, HttpTransport, _text, split_http_url
from ansible_collections.sot.netbox.plugins.module_utils._redact import Redactor

CONTENT_TYPES = {".csv": "text/csv; charset=utf-8",
                 ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
# Confluence REST API v1, the same paths on Cloud (base https://<site>.atlassian.net/wiki) and
# Data Center (base https://<host>[/<context>]).
CONFLUENCE_CONTENT = "rest/api/content"
CONFLUENCE_PAGE = "rest/api/content/{page}"
CONFLUENCE_ATTACHMENTS = "rest/api/content/{page}/child/attachment"
CONFLUENCE_ATTACHMENT_DATA = "rest/api/content/{page}/child/attachment/{attachment}/data"
# Confluence's XSRF check refuses multipart POSTs without it (Atlassian accepts no-check and nocheck).
XSRF_HEADER = {"X-Atlassian-Token": "no-check"}
_SIZE_LIMIT = re.compile(r"(exceed|too large|maximum (attachment|file) size|size limit)", re.I)


def content_type(name: str) -> str:
    ext = os.path.splitext(name)[1].lower()
    return CONTENT_TYPES.get(ext) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def check_url(field: str, url: str | None) -> str:
    """An http(s) URL without credentials in it (they belong in username/password/token)."""
    if not url:
        raise InputError(field, url, "must be an http:// or https:// URL")
    parts = split_http_url(field, url)
    if parts.username is not None or parts.password is not None:
        shown = urlunsplit((parts.scheme, parts.hostname + (f":{parts.port}" if parts.port else ""),
                            parts.path, "", ""))
        raise InputError(field, shown, "must not contain a user name or password: use username/password/token")
    return url


@dataclass(frozen=True)
class Credentials:
    username: str | None = None
    password: str | None = None
    token: str | None = None

    def header(self) -> str | None:
        """Basic when a username is given (with the password, or the token as the password: Confluence
        Cloud's e-mail + API token, a Nextcloud app password); otherwise Bearer with the token
        (Confluence Data Center personal access token, SharePoint/OAuth); None when anonymous."""
        if self.username:
            secret = self.password if self.password is not None else (self.token or "")
            raw = f"{self.username}:{secret}".encode("utf-8")
            return "Basic " + base64.b64encode(raw).decode("ascii")
        if self.token:
            return "Bearer " + self.token
        return None

    def secrets(self) -> list[str]:
        """The password, the token and the Basic encoding that carries them."""
        values = [v for v in (self.password, self.token) if v]
        header = self.header()
        if header:
            values.append(header.split(" ", 1)[1])
        return values


def secrets_of(raw_targets: Any) -> list[str]:
    """Every secret of the module's targets (raw option dicts), for the one Redactor of a run."""
    out = []
    for raw in raw_targets if isinstance(raw_targets, list) else []:
        if isinstance(raw, dict):
            out.extend(Credentials(raw.get("username") or None, raw.get("password"), raw.get("token")).secrets())
    return out


def multipart(fields: Iterable[tuple[str, str | None, str, bytes]], boundary: str | None = None
              ) -> tuple[bytes, str]:
    """A multipart/form-data body: fields as (name, filename or None, content type, bytes).
    Returns (body, Content-Type header)."""
    boundary = boundary or uuid.uuid4().hex
    out = []
    for name, filename, ctype, data in fields:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{_quoted(filename)}"'
        out.append(f"--{boundary}\r\nContent-Disposition: {disposition}\r\nContent-Type: {ctype}\r\n\r\n"
                   .encode("utf-8"))
        out.append(data)
        out.append(b"\r\n")
    out.append(f"--{boundary}--\r\n".encode("ascii"))
    return b"".join(out), f"multipart/form-data; boundary={boundary}"


def _quoted(filename: str) -> str:
    return filename.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "").replace("\n", "")


class PublishClient:
    """What both publishing clients share: the transport, the auth header, one classification."""

    service = "server"

    def __init__(self, url: str, credentials: Credentials, validate_certs: bool = True, ca_path: str | None = None,
                 timeout: float = 30, transport: HttpTransport | None = None, redact: Redactor | None = None,
                 **kw: Any) -> None:
        self.base_url = url.rstrip("/")
        self.credentials = credentials
        self._auth = credentials.header()
        self.redact = redact or Redactor(*credentials.secrets())
        self.transport = transport or HttpTransport(self.service, self.base_url, validate_certs=validate_certs,
                                                    ca_path=ca_path, timeout=timeout, max_workers=2,
                                                    redact=self.redact, option="targets[].", **kw)

    def call(self, method: str, url: str, data: bytes | None = None, headers: Mapping[str, str] | None = None,
             params: Mapping[str, Any] | None = None, what: str = "", decode: bool = False) -> Any:
        """One exchange; returns the response of a success (its JSON body with `decode`), raises the
        classified error otherwise."""
        sent = {"User-Agent": USER_AGENT, **(headers or {})}
        if self._auth:
            sent["Authorization"] = self._auth
        try:
            return self.transport.send(method, url, params=params, data=data, headers=sent, decode=decode,
                                       classify=lambda response: self.classify(response.status_code, method, url,
                                                                               _text(response), what))
        except AnswerUnreadable as exc:  # cut off or not JSON: say what we were doing
            raise self._finish(exc, what) from None

    def classify(self, status: int, method: str, url: str, text: str, what: str) -> ApiError | None:
        return self._finish(error_for_status(status, method, url, text, service=self.service), what)

    def _finish(self, error: ApiError | None, what: str) -> ApiError | None:
        """The error with its message explained for this service, and redacted."""
        if error is None:
            return None
        error.message = self.redact(self.explain(error, what))
        error.args = (error.message,)
        return error

    def explain(self, error: ApiError, what: str) -> str:
        return f"{what}: {error.message}" if what else error.message


# ---------------------------------------------------------------- WebDAV


@dataclass(frozen=True)
class Uploaded:
    url: str
    etag: str | None = None
    attachment_id: str | None = None
    version: int | None = None


class WebDavClient(PublishClient):
    """PUT files into one folder (`url`), with If-Match/If-None-Match so a file a person changed (or
    put there) meanwhile is reported, not overwritten; MKCOL for missing folders when asked."""

    service = "WebDAV"

    def file_url(self, name: str) -> str:
        return f"{self.base_url}/{quote(name)}"

    def put(self, name: str, data: bytes, if_match: str | None = None, if_none_match: bool = False) -> Uploaded:
        url = self.file_url(name)
        headers = {"Content-Type": content_type(name)}
        if if_match:
            headers["If-Match"] = if_match
        elif if_none_match:
            headers["If-None-Match"] = "*"
        response = self.call("PUT", url, data=data, headers=headers, what=f"uploading {name}")
        etag = response.headers.get("ETag")
        if not etag:  # some servers answer a PUT without one: ask for it
            etag = self.call("HEAD", url, what=f"reading the ETag of {name}").headers.get("ETag")
        return Uploaded(url=url, etag=etag or None)

    def fetch(self, name: str) -> tuple[bytes, str | None] | None:
        """(content, ETag) of the file on the server, or None when it is not there."""
        try:
            response = self.call("GET", self.file_url(name), what=f"reading {name} back")
        except NotFound:
            return None
        return response.content, response.headers.get("ETag") or None

    def make_folders(self, url: str | None = None, depth: int = 0) -> None:
        """MKCOL `url` (default: the target folder), creating missing parents first. 405 means it exists."""
        url = (url or self.base_url).rstrip("/")
        try:
            self.call("MKCOL", url + "/", what=f"creating the folder {url}/")
        except _FolderExists:
            return
        except _ParentMissing:
            parent = url.rsplit("/", 1)[0]
            if depth > 20 or len(urlsplit(parent).path) <= 1:
                raise
            self.make_folders(parent, depth + 1)
            self.call("MKCOL", url + "/", what=f"creating the folder {url}/")

    def classify(self, status: int, method: str, url: str, text: str, what: str) -> ApiError | None:
        if method == "MKCOL" and status == 405:
            return _FolderExists("exists", status=status, method=method, url=url)
        if method == "MKCOL" and status == 409:
            return _ParentMissing(f"{what}: its parent folder does not exist (HTTP 409)", status=status,
                                  method=method, url=url)
        return super().classify(status, method, url, text, what)

    def explain(self, error: ApiError, what: str) -> str:
        if isinstance(error, PreconditionFailed):
            return (f"{what}: the file on the server changed since it was last published (HTTP 412, If-Match "
                    "or If-None-Match failed); it was not overwritten. Check the change, then publish with "
                    "overwrite: true to replace it")
        if isinstance(error, Conflict) and error.method == "PUT":
            return (f"{what}: the folder {self.base_url}/ does not exist on the server (HTTP 409); create it "
                    "or set create_folders: true")
        if isinstance(error, PayloadTooLarge):
            return f"{what}: the server refused the file as too large (HTTP 413)"
        return super().explain(error, what)


class _FolderExists(ApiError):
    """MKCOL on a folder that exists (405): not a failure."""


class _ParentMissing(Conflict):
    """MKCOL whose parent folder is missing (409)."""


# ---------------------------------------------------------------- Confluence


@dataclass(frozen=True)
class Attachment:
    id: str
    version: int


class ConfluenceClient(PublishClient):
    """Attachments on one Confluence page, through the REST API v1 that Cloud and Data Center share."""

    service = "Confluence"

    def url_for(self, template: str, **ids: Any) -> str:
        return f"{self.base_url}/{template.format(**{k: quote(str(v), safe='') for k, v in ids.items()})}"

    def get_json(self, url: str, params: Mapping[str, Any] | None = None, what: str = "") -> dict[str, Any]:
        return self.call("GET", url, params=params, headers={"Accept": "application/json"}, what=what,
                         decode=True) or {}

    def resolve_page(self, page_id: str | None = None, space: str | None = None, title: str | None = None) -> str:
        """The page id: checked when given (a missing page is a clear error), else found by space + title."""
        if page_id:
            page = self.get_json(self.url_for(CONFLUENCE_PAGE, page=page_id), what=f"reading page {page_id}")
            return str(page.get("id") or page_id)
        found = self.get_json(self.url_for(CONFLUENCE_CONTENT),
                              params={"spaceKey": space, "title": title, "type": "page"},
                              what=f"finding the page {title!r} in space {space}")
        results = found.get("results") or []
        if not results:
            raise NotFound(f"Confluence has no page titled {title!r} in space {space} (or this user may not "
                           "view it); check space and title, or give page_id", status=404,
                           url=self.url_for(CONFLUENCE_CONTENT))
        return str(results[0]["id"])

    def find_attachment(self, page: str, name: str) -> Attachment | None:
        found = self.get_json(self.url_for(CONFLUENCE_ATTACHMENTS, page=page),
                              params={"filename": name, "expand": "version"},
                              what=f"reading the attachments of page {page}")
        for item in found.get("results") or []:
            if item.get("title") in (None, name):
                return Attachment(str(item["id"]), int((item.get("version") or {}).get("number") or 0))
        return None

    def upload(self, page: str, name: str, data: bytes, comment: str, minor_edit: bool = True,
               attachment: Attachment | None = None, boundary: str | None = None) -> Uploaded:
        """A new attachment, or a new version of `attachment`, with a version comment."""
        body, ctype = multipart([("file", name, content_type(name), data),
                                 ("comment", None, "text/plain; charset=utf-8", comment.encode("utf-8")),
                                 ("minorEdit", None, "text/plain; charset=utf-8",
                                  b"true" if minor_edit else b"false")], boundary)
        if attachment is None:
            url = self.url_for(CONFLUENCE_ATTACHMENTS, page=page)
        else:
            url = self.url_for(CONFLUENCE_ATTACHMENT_DATA, page=page, attachment=attachment.id)
        headers = {**XSRF_HEADER, "Content-Type": ctype, "Accept": "application/json"}
        answer = self.call("POST", url, data=body, headers=headers, decode=True,
                           what=f"uploading {name} ({len(data)} bytes) to page {page}") or {}
        item = (answer.get("results") or [answer])[0] if isinstance(answer, dict) else {}
        download = (item.get("_links") or {}).get("download")  # relative to the base URL, where people open it
        attachment_id = str(item.get("id") or (attachment.id if attachment else "")) or None
        return Uploaded(url=f"{self.base_url}{download}" if download else url, attachment_id=attachment_id,
                        version=int((item.get("version") or {}).get("number") or 0) or None)

    def classify(self, status: int, method: str, url: str, text: str, what: str) -> ApiError | None:
        error = error_for_status(status, method, url, text, service=self.service)
        if error is not None and status in (400, 413, 500) and _SIZE_LIMIT.search(_message(error.body)):
            # Data Center reports its attachment size limit as a 400/500 with a message, Cloud as a 413.
            error = PayloadTooLarge(error.message, status=status, method=method, url=url, body=error.body)
        return self._finish(error, what)

    def explain(self, error: ApiError, what: str) -> str:
        if isinstance(error, ResponseNotJson):
            return (f"{what}: {error.message} (is url the Confluence base URL, e.g. "
                    "https://example.atlassian.net/wiki?)")
        if isinstance(error, PayloadTooLarge):
            return (f"{what}: the attachment is larger than Confluence's attachment size limit (HTTP {error.status}; "
                    "an administrator sets the limit in the attachment settings)")
        if isinstance(error, NotFound):
            return (f"{what}: the page does not exist, or this user may not view it (HTTP 404 on "
                    f"{error.method} {error.url})")
        if isinstance(error, PermissionDenied):
            detail = _message(error.body)
            return f"{what}: this user may not add or update attachments on the page (HTTP 403)" + (
                f": {detail}" if detail else "")
        return super().explain(error, what)


def _message(body: Any) -> str:
    """Confluence's error bodies are {"statusCode": ..., "message": ...}."""
    if isinstance(body, dict):
        return str(body.get("message") or body.get("reason") or "")
    return str(body or "")
