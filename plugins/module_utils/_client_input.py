# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the connection options may hold, checked before any request. PRIVATE to the collection.

Part of the transport client (`_client.py` re-exports every name): no Ansible imports, and every
problem is an InputError naming the option, never echoing a secret.
"""
from __future__ import annotations

import os
import re
from typing import Any

from ansible_collections.sot.netbox.plugins.module_utils._errors import InputError
from ansible_collections.sot.netbox.plugins.module_utils._http import split_http_url

# An HTTP header name (RFC 9110 token); values may not contain CR, LF or NUL.
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
# What may stand in an Authorization header: NetBox decides whether the token is right (its 401/403
# speak for a wrong one); we only refuse what cannot be sent (whitespace, control or non-ASCII).
_TOKEN_V1 = re.compile(r"^[!-~]{1,512}$")
_TOKEN_V2 = re.compile(r"^nbt_[A-Za-z0-9]+\.[!-~]+$")


def authorization_header(token: str | None) -> str:
    """NetBox v2 tokens (`nbt_<key>.<secret>`, NetBox >= 4.5) are Bearer; anything else is sent as a
    v1 `Token` (hex before NetBox 4.7, mixed-case letters and digits from 4.7 on)."""
    if not token:
        raise InputError("token", "(empty)", "a NetBox API token is required (option token or env NETBOX_TOKEN)")
    token = token.strip()
    # Never echo the token: name only its shape.
    if token.startswith("nbt_"):
        if not _TOKEN_V2.match(token):
            raise InputError("token", f"<{len(token)} characters starting nbt_>",
                             "not a NetBox v2 token: expected nbt_<key>.<secret> of printable ASCII, no spaces")
        return "Bearer " + token
    if _TOKEN_V1.match(token):
        return "Token " + token
    raise InputError("token", f"<{len(token)} characters>",
                     "not a NetBox token: a v1 token is printable ASCII with no spaces or line breaks; "
                     "a v2 token is nbt_<key>.<secret>")


def check_url(url: str | None) -> str:
    """The base URL (no trailing '/' or '/api'), or InputError naming `url` for what cannot be a NetBox URL."""
    if not url:
        raise InputError("url", url, "the NetBox URL is required (option url or env NETBOX_URL/NETBOX_API)")
    parts = split_http_url("url", url, "https://netbox.example.com")
    if parts.query or parts.fragment:
        raise InputError("url", url, "must be the base URL of NetBox, without ?query or #fragment")
    if "@" in parts.netloc:
        raise InputError("url", "<url with credentials>", "must not carry a user or password; use token")
    base = url.rstrip("/")
    return base[:-4] if base.endswith("/api") else base


def check_headers(headers: Any) -> dict[str, str]:
    """Extra headers as {str: str}; CR/LF/NUL, non-string names and structured values are refused up front."""
    if headers is None:
        return {}
    if not isinstance(headers, dict):
        raise InputError("headers", type(headers).__name__, "must be a mapping of header names to values")
    out = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
            raise InputError("headers", name, "a header name must be letters, digits and -_.!#$%&'*+^`|~ only")
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise InputError(f"headers.{name}", type(value).__name__, "a header value must be a string")
        value = str(value)
        if any(c in value for c in "\r\n\0"):
            raise InputError(f"headers.{name}", "<value with a line break or NUL>",
                             "a header value must not contain line breaks or NUL characters")
        if name.lower() != "authorization":  # the token decides the Authorization header
            out[name] = value
    return out


def check_client_cert(cert: Any, key: str | None) -> str | tuple[str, str] | None:
    """What requests takes as `cert`: None, a path, or (cert, key). netbox.netbox's list form is accepted."""
    if isinstance(cert, (list, tuple)):
        if len(cert) != 2 or key:
            raise InputError("cert", cert, "a list must be [certificate file, key file]; or set cert and key")
        cert, key = cert
    if not cert:
        if key:
            raise InputError("key", "<path>", "a client key needs its certificate: set cert as well")
        return None
    for option, path in (("cert", cert), ("key", key)):
        if path is None:
            continue
        if not isinstance(path, str) or not os.path.isfile(os.path.expanduser(path)):
            raise InputError(option, path, "must be a readable PEM file on the machine that runs the task")
    cert = os.path.expanduser(cert)
    return (cert, os.path.expanduser(key)) if key else cert
