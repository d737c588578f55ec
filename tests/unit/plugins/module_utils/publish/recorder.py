# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A recording fake of requests.Session for the publishing clients: raw bytes bodies (multipart,
file uploads), response headers (ETag), scripted answers. No network, no sleep."""
from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit


class Resp:
    def __init__(self, status=200, body=None, headers=None, raw=None):
        self.status_code = status
        self.headers = dict(headers or {})
        if raw is not None:
            self.content = raw
        else:
            self.content = b"" if body is None else json.dumps(body).encode()

    @property
    def text(self):
        return self.content.decode("utf-8", "replace")


class Recorder:
    """`routes` maps (method, path) to a list of answers (consumed in order, the last repeats) or
    to a callable(call) -> Resp. Unknown routes answer 404."""

    def __init__(self, routes=None):
        self.routes = dict(routes or {})
        self.calls = []

    def request(self, method, url, params=None, data=None, headers=None, timeout=None, verify=None):
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        query.update({k: str(v) for k, v in (params or {}).items()})
        call = dict(method=method, url=url, path=parts.path, params=query, data=data, headers=dict(headers or {}),
                    timeout=timeout, verify=verify)
        self.calls.append(call)
        route = self.routes.get((method, parts.path))
        if route is None:
            return Resp(404, {"message": "No route"})
        if callable(route):
            result = route(call)
        else:
            result = route.pop(0) if len(route) > 1 else route[0]
        if isinstance(result, BaseException):
            raise result
        return result

    def paths(self):
        return [(c["method"], c["path"]) for c in self.calls]


def transport_options(session):
    return {"session": session, "sleep": lambda seconds: None}
