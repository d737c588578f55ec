# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one redaction step: every text that reaches a user passes through `Redactor`. PRIVATE.

No Ansible imports. A token can come back to us in many shapes: a proxy or a debug page that echoes
the request headers (`Authorization: Token x`, `Bearer nbt_k.s`), a URL that carries it encoded, a
JSON body that escapes it, or only the secret half of a v2 token. Ansible's no_log masks the raw
value only; this removes every form.
"""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "********"


def secret_forms(secret: str | None) -> list[str]:
    """The spellings of one secret that may appear in text, longest first (so 'Token x' goes whole)."""
    secret = (secret or "").strip()
    if not secret:
        return []
    parts = {secret}
    if secret.startswith("nbt_") and "." in secret:
        tail = secret.split(".", 1)[1]
        if len(tail) >= 8:  # the v2 secret alone; the key half is an identifier, not a secret
            parts.add(tail)
    forms = set()
    for part in parts:
        forms.update({part, quote(part, safe=""), quote_plus(part), json.dumps(part)[1:-1]})
        for scheme in ("Token ", "Bearer "):
            forms.update({scheme + part, quote(scheme + part, safe=""), quote_plus(scheme + part)})
    # Very short values would mask ordinary words; a real token is never this short.
    return sorted((f for f in forms if len(f) >= 4), key=len, reverse=True)


class Redactor:
    """Callable over str/list/tuple/dict: returns the same shape with every secret form masked."""

    def __init__(self, *secrets: str | None) -> None:
        forms = set()
        for secret in secrets:
            if isinstance(secret, str):
                forms.update(secret_forms(secret))
        self.forms = sorted(forms, key=len, reverse=True)

    def __bool__(self) -> bool:
        return bool(self.forms)

    def text(self, value: str) -> str:
        for form in self.forms:
            if form in value:
                value = value.replace(form, MASK)
        return value

    def __call__(self, value: Any) -> Any:
        if not self.forms:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self(k): self(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self(v) for v in value)
        return value
