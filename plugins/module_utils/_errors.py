# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's one exception hierarchy, and the one place HTTP outcomes become exceptions.

PRIVATE to the collection: may change at any time. No Ansible imports: the transport client, the
domain layer and the inventory plugin all raise these; only the runners turn them into fail_json.
"""
from __future__ import annotations

import json
import re
from typing import Any, Iterable, Iterator, Sequence


class SotNetboxError(Exception):
    """Base of every error this collection raises on purpose.

    ``result`` carries partial results (what was done before the failure), so a failed task still
    tells the user exactly which objects were written or rolled back.
    """

    def __init__(self, message: str, result: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.result = dict(result or {})


class InputError(SotNetboxError):
    """Bad user input, detected before anything is written. Names the field and the value."""

    def __init__(self, field: str, value: Any, problem: str, result: dict | None = None) -> None:
        self.field = field
        self.value = value
        self.problem = problem
        super().__init__(f"{field}: {problem} (got {value!r})", result)


_NO_VALUE = object()


class FieldError:
    """One input problem as data: where (`path`, e.g. `segments[2].vlan.vid`), what was typed
    (`value`; absent for a missing field) and what is wrong (`message`). Its text is the line a
    person reads; `as_dict()` is what AWX users read without parsing text."""

    __slots__ = ("path", "value", "message")

    def __init__(self, path: str, message: str, value: Any = _NO_VALUE) -> None:
        self.path = path
        self.message = message
        self.value = value

    def __str__(self) -> str:
        typed = "" if self.value is _NO_VALUE else f" (got {self.value!r})"
        return f"{self.path}: {self.message}{typed}"

    def __eq__(self, other: object) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))

    def as_dict(self) -> dict:
        out = {"path": self.path, "message": self.message}
        if self.value is not _NO_VALUE:
            out["value"] = self.value
        return out


def field_error(item: Any) -> FieldError:
    """A FieldError from what validators collect: a FieldError, an InputError, or a text line
    `path: message` (older validators; the path is the text before the first ': ')."""
    if isinstance(item, FieldError):
        return item
    if isinstance(item, InputError):
        return FieldError(item.field, item.problem, item.value)
    text = str(item)
    path, sep, message = text.partition(": ")
    return FieldError(path, message) if sep and " " not in path else FieldError("", text)


class ValidationErrors(SotNetboxError):
    """Several input problems reported at once (a plan's validation reports every error).

    The message lists them one a line; ``result['errors']`` holds them as data
    (``[{path, value, message}]``) so a job's output can be read without parsing text."""

    def __init__(self, errors: Iterable[Any], result: dict | None = None) -> None:
        self.errors = list(errors)
        lines = "\n".join(f"- {e}" for e in self.errors)
        super().__init__(f"{len(self.errors)} validation error(s):\n{lines}", result)
        self.result.setdefault("errors", [field_error(e).as_dict() for e in self.errors])


class LookupFailed(SotNetboxError):
    """A name given by the user does not exist in NetBox (or is ambiguous)."""

    def __init__(self, kind: str, value: Any, known: Sequence[Any] | None = None,
                 result: dict | None = None) -> None:
        self.kind = kind
        self.value = value
        self.known_hint = ""  # "; known: a, b ..." for callers that word the message themselves
        if known:
            sample = ", ".join(sorted(str(k) for k in known)[:10])
            self.known_hint = f"; known: {sample}" + (" ..." if len(known) > 10 else "")
        super().__init__(f"{kind} {value!r} not found in NetBox{self.known_hint}", result)


class ApiError(SotNetboxError):
    """An HTTP-level failure. Never carries the token: messages are built from method, URL and body."""

    # True only when NetBox may have done a write whose answer we could not read (AnswerUnreadable).
    may_have_applied = False

    def __init__(self, message: str, status: int | None = None, method: str | None = None, url: str | None = None,
                 body: Any = None, result: dict | None = None) -> None:
        self.status = status
        self.method = method
        self.url = url
        self.body = body
        super().__init__(message, result)


class ConnectionFailed(ApiError):
    """NetBox could not be reached (refused, DNS, TLS, reset) after the allowed retries."""


class Timeout(ConnectionFailed):
    """NetBox did not answer within `timeout` seconds, after the allowed retries."""


class AuthenticationFailed(ApiError):
    """401, or 403 with an invalid token: the token is wrong, expired or disabled."""


class PermissionDenied(ApiError):
    """403: the token is valid but may not do this (for example a read-only token writing)."""


class NotFound(ApiError):
    """404 on an endpoint or object that must exist."""


class RequestValidationFailed(ApiError):
    """400: NetBox rejected the request body or a filter; ``fields`` holds NetBox's per-field messages."""

    def __init__(self, message: str, fields: Any = None, **kw: Any) -> None:
        self.fields = fields or {}
        super().__init__(message, **kw)


class BranchIdentifierInvalid(RequestValidationFailed):
    """400 from NetBox Branching's middleware: the X-NetBox-Branch header names a schema id it does not
    know (the branch was deleted, or deleted and re-created, since the id was read). Nothing was done."""


class Conflict(ApiError):
    """409: a uniqueness or state conflict (for example two allocations racing)."""


class PreconditionFailed(Conflict):
    """412: the resource changed on the server since we last saw it (If-Match / If-None-Match)."""


class PayloadTooLarge(ApiError):
    """413: the server refuses a body this large (an upload size limit)."""


class Unavailable(ApiError):
    """429/5xx that did not clear within the retries, or a 500 from NetBox."""


class UriTooLong(ApiError):
    """414: the request URL (usually a long filter list) is longer than NetBox or its proxy accepts."""


class AnswerUnreadable(ApiError):
    """NetBox's answer was cut off or is not JSON, after the allowed retries.

    ``may_have_applied`` is True for a write: the request reached NetBox, which may have done it.
    A writer that sees it must find out (read back by identity) and roll back or adopt, never repeat.
    """

    def __init__(self, message: str, may_have_applied: bool = False, **kw: Any) -> None:
        self.may_have_applied = bool(may_have_applied)
        super().__init__(message, **kw)


class ResponseIncomplete(AnswerUnreadable, ConnectionFailed):
    """The answer was cut off mid-body (connection reset, short body, truncated JSON) or lost."""


class ResponseNotJson(AnswerUnreadable):
    """A complete answer that is not JSON (for example a proxy's HTML login or error page with 200)."""


class FeatureUnsupported(SotNetboxError):
    """The connected NetBox is older than a feature this task needs."""

    def __init__(self, feature: str, needed: str, server: str, result: dict | None = None) -> None:
        self.feature = feature
        self.needed = needed
        self.server = server
        super().__init__(f"{feature} needs NetBox {needed} or later; {server} answered. Upgrade NetBox, "
                         "or leave out the option that needs it", result)


def _parse_body(text: str | None) -> Any:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return _text_summary(text) if text else None


def _text_summary(text: str) -> str:
    """One line from a non-JSON error page: an HTML page's title, else its first line of text."""
    title = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
    if title:
        text = title.group(1)
    elif re.search(r"<(html|body|!doctype)", text[:2000], re.IGNORECASE):
        text = " ".join(re.sub(r"<[^>]*>", " ", text).split())
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    line = re.sub(r"\s+", " ", lines[0]) if lines else ""
    return line[:200] + ("..." if len(line) > 200 else "")


def _describe(body: Any) -> str:
    """NetBox's error bodies: {"detail": ...}, {"field": ["msg"]}, or a list of those for bulk calls."""
    if isinstance(body, dict):
        if set(body) == {"detail"}:
            return str(body["detail"])
        return "; ".join(f"{k}: {_join(v)}" for k, v in body.items())
    if isinstance(body, list):
        parts = [f"item {i}: {_describe(b)}" for i, b in enumerate(body) if b]
        return "; ".join(parts)
    return str(body) if body else ""


def _join(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(_join(v) for v in value)
    if isinstance(value, dict):
        return "{" + _describe(value) + "}"
    return str(value)


# netbox_branching's middleware answers this plain-text 400 before any view runs (middleware.py).
_BRANCH_INVALID = "Invalid branch identifier"


def error_for_status(status: int, method: str, url: str, text: str | None,
                     service: str = "NetBox") -> ApiError | None:
    """Map one HTTP response to the exception to raise, or None when it is a success.

    The only place HTTP status codes are interpreted. 404 semantics for GET (absent) and DELETE
    (already gone) are decided by the client's callers through ``NotFound``. `service` names the
    server in messages (the publishing clients talk to Confluence and WebDAV servers).
    """
    if status < 400:
        return None
    body = _parse_body(text)
    detail, where = _describe(body), f"{method} {url}"
    kw = dict(status=status, method=method, url=url, body=body)
    if status == 401:
        what = "token" if service == "NetBox" else "credentials"
        return AuthenticationFailed(f"{service} rejected the {what} (HTTP 401) on {where}: {detail}", **kw)
    if status == 403:
        if "invalid" in detail.lower() and "token" in detail.lower():
            return AuthenticationFailed(f"{service} rejected the token (HTTP 403) on {where}: {detail}", **kw)
        return PermissionDenied(f"permission denied (HTTP 403) on {where}: {detail}", **kw)
    if status == 404:
        return NotFound(f"not found (HTTP 404): {where}", **kw)
    if status == 400 and isinstance(body, str) and body.strip() == _BRANCH_INVALID:
        return BranchIdentifierInvalid(f"{service} does not know the branch this request named (HTTP 400 "
                                       f"{_BRANCH_INVALID!r}) on {where}: it was deleted or re-created meanwhile", **kw)
    if status == 400:
        fields = body if isinstance(body, (dict, list)) else {}
        return RequestValidationFailed(f"{service} rejected the request (HTTP 400) on {where}: {detail}",
                                       fields=fields, **kw)
    if status == 414:
        return UriTooLong(f"the request URL is too long for {service} or a proxy in front of it (HTTP 414) on "
                          f"{method} {url.split('?', 1)[0]}: name fewer objects in one filter", **kw)
    if status == 409:
        return Conflict(f"conflict (HTTP 409) on {where}: {detail}", **kw)
    if status == 412:
        return PreconditionFailed(f"changed on the server meanwhile (HTTP 412) on {where}: {detail}", **kw)
    if status == 413:
        return PayloadTooLarge(f"{service} refused the body as too large (HTTP 413) on {where}: {detail}", **kw)
    if status in (429, 502, 503, 504):
        return Unavailable(f"{service} unavailable (HTTP {status}) on {where}: {detail}", **kw)
    if status >= 500:
        return Unavailable(f"{service} server error (HTTP {status}) on {where}: {detail}", **kw)
    return ApiError(f"unexpected HTTP {status} on {where}: {detail}", **kw)


# ---------------------------------------------------------------- what a 400 from NetBox means
# (added by the segment work; kept as one block at the end of the file for clean merges)

EXISTS = "exists"                  # a uniqueness constraint: the object (or its name/slug) is already there
STALE_REFERENCE = "stale_reference"  # an id NetBox no longer has (a deleted or re-created object)
NO_SPACE = "no_space"              # available-prefixes / available-vlans has nothing left
ALREADY_GONE = "already_gone"      # a bulk DELETE naming ids NetBox no longer has (NetBox 4.7 answers 400, not 404)
INVALID = "invalid"                # any other rejection of the request

# NetBox's (Django's, DRF's, django-filter's) messages, lower-cased, per kind. The only place they are read.
_REJECTION_TEXTS = (
    (EXISTS, ("already exists",)),
    (STALE_REFERENCE, ("not one of the available choices", "select a valid choice", "object does not exist",
                       "related object not found", "invalid pk")),
    (NO_SPACE, ("insufficient space", "unable to allocate")),
    (ALREADY_GONE, ("could not be found",)),
)


class Rejection:
    """A 400 classified: `kind` (one of EXISTS, STALE_REFERENCE, NO_SPACE, ALREADY_GONE, INVALID) and the `fields`
    NetBox named for that kind (`__all__` for a model-level constraint such as unique name per group)."""

    __slots__ = ("kind", "fields")

    def __init__(self, kind: str, fields: Iterable[str] = ()) -> None:
        self.kind = kind
        self.fields = frozenset(fields)

    def __repr__(self) -> str:
        return f"Rejection({self.kind!r}, {sorted(self.fields)!r})"


def _messages(body: Any, field: str = "__all__") -> Iterator[tuple[str, str]]:
    """(field, lower-cased message) pairs from a NetBox error body (dict, list of dicts for bulk, text)."""
    if isinstance(body, dict):
        for key, value in body.items():
            yield from _messages(value, key if key not in ("detail", "non_field_errors") else "__all__")
    elif isinstance(body, list):
        for value in body:
            yield from _messages(value, field)
    elif body not in (None, ""):
        yield field, str(body).lower()


def classify_rejection(exc: BaseException) -> Rejection:
    """What a NetBox 400 (or 409) means, from its body: the first kind any of its messages matches,
    with every field that matched it. Anything that is not a 400/409 is INVALID."""
    if not isinstance(exc, (RequestValidationFailed, Conflict)):
        return Rejection(INVALID)
    pairs = list(_messages(exc.body))
    for kind, texts in _REJECTION_TEXTS:
        fields = {f for f, text in pairs if any(t in text for t in texts)}
        if fields:
            return Rejection(kind, fields)
    return Rejection(INVALID, {f for f, _text in pairs})


# The named domain conditions (segment allocation, plans, NetBox Branching) continue this hierarchy in
# _domain_errors.py (imported from there; it imports this file, so this file never imports it).
